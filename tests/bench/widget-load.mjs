// The widget's speed benchmark (run by `cargo xtask bench`): time from navigation to a usable
// 30-field form, the widget's (`www/bench.html`) against the same fields as static HTML
// (`www/bench-static.html`), in headless Chromium on loopback, in the same run. The widget is
// timed twice per visit: when its form is visible and typeable (the relay's markup in the
// shadow root, every input enabled) and when it is fully enhanced (the WebAssembly's
// `kform:ready` with `"enhanced"`). The same form included by the page's server
// (`www/bench-included.html`: the relay's `/include` in a declarative shadow root, taken over
// by the same kform.js) is timed the same way.
//
// Each visit is a first visit (a fresh browser context: nothing cached, the .wasm compiled
// anew). The pages alternate so all see the same machine load. With `KFORM_BENCH_PKG` naming
// a widget directory that also holds the size floor's files (`cargo xtask bench` makes one),
// another page is timed: the floor, a bare Leptos form of as many inputs
// (`www/bench-floor.html`). The HTML-first floor (`www/bench-markup-floor.html`: a script that
// only fetches the bench form's markup and shows it) is timed in every run: it is the least any
// embed that shows the relay's markup costs. So is the enhancement floor
// (`www/bench-markup-floor.html?wasm=/bench-empty.wasm`: the same, plus an empty WebAssembly
// module the script asks for as it starts, then `kform:ready`): the least any embed whose
// script asks for its .wasm costs until it is enhanced. Prints one JSON object: `{"runs": N, "controls": C,
// "widget_visible_ms": [...], "widget_enhanced_ms": [...], "included_visible_ms": [...],
// "included_enhanced_ms": [...], "static_ms": [...], "<page>_painted_ms": [...] (each page's
// first contentful paint),
// "markup_floor_ms": [...], "wasm_floor_visible_ms": [...], "wasm_floor_enhanced_ms": [...],
// "floor_ms": [...],
// "widget_download_bytes": {"kform.js": …, "markup": …, "kform_widget_lean_bg.wasm": …},
// "included_download_bytes": {…}}`, the last two from each page's last visit (the included
// page's markup is in the page itself, not counted there).
import { launch } from "../e2e/browser.mjs";
import { paced, startBench } from "./pages.mjs";

const RUNS = Number(process.env.KFORM_BENCH_RUNS || 21);
// The pages timed twice, shown and enhanced: the embed that fetches the markup
// (`www/bench.html`), the one whose server included it (`www/bench-included.html`), whose
// WebAssembly takes the form over, and the enhancement floor.
const ENHANCING = ["widget", "included", "wasm_floor"];

/**
 * Runs in the page before its own scripts: resolves `window.kformVisible` with the time (ms
 * since navigation started) at which the page's form has `controls` enabled inputs, and
 * `window.kformEnhanced` with the time the form said it is ready (`kform:ready`, for the
 * widget in its enhanced mode). Shadow roots a script attaches are watched from the moment they
 * are attached, so a form shown before any event counts.
 */
function watchForm(controls) {
  const selector = "input:not([type=hidden]):not([name=website]), select, textarea";
  const usable = (root) =>
    [...root.querySelectorAll(selector)].filter((control) => !control.disabled).length >= controls;
  let visible;
  let enhanced;
  window.kformVisible = new Promise((resolve) => (visible = resolve));
  window.kformEnhanced = new Promise((resolve) => (enhanced = resolve));
  // A form in the page as it is parsed (static HTML, or one the page's server included in a
  // declarative shadow root) is visible once its inputs are in the document: watched as the
  // parser adds them, and at the latest when the page is parsed.
  const inPage = () => usable(document.querySelector("[data-kform]")?.shadowRoot ?? document);
  const parsing = new MutationObserver(() => inPage() && (visible(performance.now()), parsing.disconnect()));
  parsing.observe(document, { childList: true, subtree: true });
  document.addEventListener("DOMContentLoaded", () => {
    parsing.disconnect();
    if (inPage()) visible(performance.now());
  });
  const attach = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (init) {
    const root = attach.call(this, init);
    const check = () => usable(root) && (visible(performance.now()), true);
    new MutationObserver((_, observer) => check() && observer.disconnect())
      .observe(root, { childList: true, subtree: true });
    return root;
  };
  document.addEventListener("kform:ready", (event) => {
    if (event.detail?.mode !== "basic") enhanced(performance.now());
  });
}

async function visit(browser, url, controls, { enhances }) {
  const context = await browser.newContext();
  try {
    await context.addInitScript(watchForm, controls);
    const page = await context.newPage();
    // What the page said went wrong, for the error of a visit that never gets ready.
    const said = [];
    page.on("console", (message) => message.type() === "error" && said.push(message.text()));
    page.on("pageerror", (error) => said.push(error.message));
    page.on("requestfailed", (request) => said.push(`${request.url()}: ${request.failure()?.errorText}`));
    await page.goto(url, { waitUntil: "commit" });
    // A page that never gets there (a refused descriptor, say) fails the run instead of hanging.
    const times = await page.evaluate((enhances) => Promise.race([
      Promise.all([window.kformVisible, enhances ? window.kformEnhanced : window.kformVisible]),
      new Promise((_, reject) => setTimeout(() => reject(new Error("not ready within 15 s")), 15000)),
    ]), enhances).catch((error) => {
      throw new Error(`${url}: ${error.message}; the page said: ${JSON.stringify(said)}`);
    });
    const counted = await page.evaluate(() => {
      const root = document.querySelector("[data-kform]")?.shadowRoot ?? document;
      const selector = "input:not([type=hidden]):not([name=website]), select, textarea";
      return root.querySelectorAll(`form :is(${selector})`).length || root.querySelectorAll(selector).length;
    });
    if (counted !== controls) throw new Error(`${url} has ${counted} controls, not ${controls}`);
    // When the browser first drew the page's content (in headless Chromium, on its own frame
    // clock), for every page alike.
    const painted = await page.evaluate(() => new Promise((resolve) => {
      new PerformanceObserver((list, observer) => {
        const entry = list.getEntries().find((entry) => entry.name === "first-contentful-paint");
        if (entry) (observer.disconnect(), resolve(entry.startTime));
      }).observe({ type: "paint", buffered: true });
    }));
    // What the page fetched for its form, as sent over the wire (brotli where the relay
    // compresses), by part: the script, the markup (with its stylesheet and descriptor), the
    // .wasm and anything else but the page's icon.
    const fetched = await page.evaluate(() => {
      const parts = {};
      for (const entry of performance.getEntriesByType("resource")) {
        const path = new URL(entry.name).pathname;
        if (path.endsWith("favicon.svg")) continue;
        const part = path.endsWith("/html") ? "markup" : path.split("/").pop();
        parts[part] = (parts[part] ?? 0) + entry.encodedBodySize;
      }
      return parts;
    });
    return [...times, painted, fetched];
  } finally {
    await context.close();
  }
}

const { demo, pages } = await startBench();
const browser = await launch();
try {
  // 10 text, 5 number, 5 drop-down, 3 date, 2 multi-line inputs and 3 radio groups and 2
  // check-box groups of 3: 40 controls for the 30 fields.
  const controls = 40;
  // One visit each to warm the relay and the disk, not counted.
  for (const [name, url] of pages) await visit(browser, url, controls, { enhances: ENHANCING.includes(name) });
  const result = {
    runs: RUNS, controls, widget_visible_ms: [], widget_enhanced_ms: [], included_visible_ms: [],
    included_enhanced_ms: [], static_ms: [], markup_floor_ms: [], wasm_floor_visible_ms: [],
    wasm_floor_enhanced_ms: [],
  };
  if (pages.some(([name]) => name === "floor")) result.floor_ms = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    for (const [name, url] of pages) {
      const [visible, enhanced, painted, fetched] = await visit(browser, url, controls, { enhances: ENHANCING.includes(name) });
      (result[`${name}_painted_ms`] ??= []).push(painted);
      if (ENHANCING.includes(name)) {
        result[`${name}_visible_ms`].push(visible);
        result[`${name}_enhanced_ms`].push(enhanced);
        result[`${name}_download_bytes`] = fetched;
      } else {
        // The static page and the floors are usable as soon as they are shown.
        result[`${name}_ms`].push(enhanced);
      }
    }
    await paced(started);
  }
  console.log(JSON.stringify(result));
} finally {
  await browser.close();
  await demo.stop();
}
