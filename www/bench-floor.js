// The size floor's loader for the speed benchmark (www/bench-floor.html): it loads the floor's
// .wasm and glue as kform.js loads the widget's (at once, compiling while it streams), renders
// 40 inputs into an open shadow root, and fires kform:ready as the widget does.
const wasm = fetch("/widget/kform_size_floor_bg.wasm");
const glue = await import("/widget/kform_size_floor.js");
await glue.default({ module_or_path: wasm });
const host = document.getElementById("floor");
const container = document.createElement("div");
host.attachShadow({ mode: "open" }).append(container);
glue.mount(container, "/nowhere", 40);
host.dispatchEvent(new CustomEvent("kform:ready", { bubbles: true, composed: true }));
