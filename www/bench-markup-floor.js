// The speed benchmark's floors (cargo xtask bench). The HTML-first floor
// (`bench-markup-floor.html`): the least any script that shows the relay's markup can do. It
// fetches the bench form's markup, puts it in a shadow root with its stylesheet and nothing
// else (no WebAssembly, no prefill, no events but the bench's). kform.js does this and more;
// the gap between the two is what kform.js itself costs.
//
// The enhancement floor (`bench-markup-floor.html?wasm=/bench-empty.wasm`, the page's address
// naming a module): the same, plus the emptiest WebAssembly module (8 bytes, no code), which
// the script asks for as it starts, the way kform.js asks for its `.wasm`. Once the markup is
// shown and the module instantiated it fires `kform:ready` as an enhanced form does. No takeover
// can be sooner: kform.js learns its `.wasm`'s address and integrity only when it runs, so the
// `.wasm` is a request after the script, and its own bytes and code only add to this.
const element = document.querySelector("[data-kform]");
const wasm = new URLSearchParams(location.search).get("wasm");
const module = wasm && WebAssembly.instantiateStreaming(fetch(wasm));
const shadow = element.attachShadow({ mode: "open" });
const response = await fetch("/v1/forms/bench/html?lang=ja");
shadow.innerHTML = await response.text();
const style = shadow.querySelector("script.kform-stylesheet");
const sheet = new CSSStyleSheet();
sheet.replaceSync(JSON.parse(style.textContent));
shadow.adoptedStyleSheets = [sheet];
style.remove();
if (module) {
  await module;
  element.dispatchEvent(new CustomEvent("kform:ready", {
    bubbles: true, composed: true, detail: { mode: "enhanced" },
  }));
}
