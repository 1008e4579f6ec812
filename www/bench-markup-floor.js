// The speed benchmark's HTML-first floor (cargo xtask bench): the least any script that shows
// the relay's markup can do. It fetches the bench form's markup, puts it in a shadow root with
// its stylesheet and nothing else (no WebAssembly, no prefill, no events but the bench's).
// kform.js does this and more; the gap between the two is what kform.js itself costs.
const element = document.querySelector("[data-kform]");
const shadow = element.attachShadow({ mode: "open" });
const response = await fetch("/v1/forms/bench/html?lang=ja");
shadow.innerHTML = await response.text();
const style = shadow.querySelector("script.kform-stylesheet");
const sheet = new CSSStyleSheet();
sheet.replaceSync(JSON.parse(style.textContent));
shadow.adoptedStyleSheets = [sheet];
style.remove();
