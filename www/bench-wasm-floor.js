// The speed benchmark's enhancement floor (cargo xtask bench): the HTML-first floor
// (`bench-markup-floor.js`) plus the emptiest WebAssembly module (8 bytes, no code), which the
// script asks for as it starts, the way kform.js asks for its `.wasm`. Once the markup is shown
// and the module instantiated it fires `kform:ready` as an enhanced form does. No takeover can be
// sooner: kform.js learns its `.wasm`'s address and integrity only when it runs, so the `.wasm`
// is a request after the script, and its own bytes and code only add to this.
const element = document.querySelector("[data-kform]");
const module = WebAssembly.instantiateStreaming(fetch("/bench-empty.wasm"));
const shadow = element.attachShadow({ mode: "open" });
const response = await fetch("/v1/forms/bench/html?lang=ja");
shadow.innerHTML = await response.text();
const style = shadow.querySelector("script.kform-stylesheet");
const sheet = new CSSStyleSheet();
sheet.replaceSync(JSON.parse(style.textContent));
shadow.adoptedStyleSheets = [sheet];
style.remove();
await module;
element.dispatchEvent(new CustomEvent("kform:ready", {
  bubbles: true, composed: true, detail: { mode: "enhanced" },
}));
