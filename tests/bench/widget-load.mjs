// The widget's speed benchmark (run by `cargo xtask bench`): time from navigation to an
// interactive 30-field form, the widget's (`www/bench.html`) against the same fields as static
// HTML (`www/bench-static.html`), in headless Chromium on loopback, in the same run.
//
// Each visit is a first visit (a fresh browser context: nothing cached, the .wasm compiled
// anew). The pages alternate so all see the same machine load. With `KFORM_BENCH_PKG` naming
// a widget directory that also holds the size floor's files (`cargo xtask bench` makes one),
// a third page is timed: the floor, a bare Leptos form of as many inputs
// (`www/bench-floor.html`). Prints one JSON object:
// `{"runs": N, "controls": C, "widget_ms": [...], "static_ms": [...], "floor_ms": [...]}`.
import { launch } from "../e2e/browser.mjs";
import { startBench } from "./pages.mjs";

const RUNS = Number(process.env.KFORM_BENCH_RUNS || 21);

/**
 * Runs in the page before its own scripts: resolves `window.kformInteractive` with the time
 * (ms since navigation started) at which the page's form has `controls` inputs ready to use.
 * The static page's are ready when its HTML is parsed; the widget's when they are rendered in
 * its shadow root, watched from its `kform:ready` event on.
 */
function watchForm(controls) {
  const selector = "input:not([name=website]), select, textarea";
  window.kformInteractive = new Promise((resolve) => {
    document.addEventListener("DOMContentLoaded", () => {
      if (document.querySelectorAll(`form ${selector}`).length >= controls) resolve(performance.now());
    });
    document.addEventListener("kform:ready", (event) => {
      const root = event.target.shadowRoot;
      const check = () => {
        if (root.querySelectorAll(selector).length >= controls) {
          resolve(performance.now());
          return true;
        }
        return false;
      };
      if (!check()) new MutationObserver((_, observer) => check() && observer.disconnect())
        .observe(root, { childList: true, subtree: true });
    });
  });
}

async function visit(browser, url, controls) {
  const context = await browser.newContext();
  try {
    await context.addInitScript(watchForm, controls);
    const page = await context.newPage();
    await page.goto(url, { waitUntil: "commit" });
    // A page that never gets there (a refused descriptor, say) fails the run instead of hanging.
    const ms = await page.evaluate(() => Promise.race([
      window.kformInteractive,
      new Promise((_, reject) => setTimeout(() => reject(new Error("not interactive within 15 s")), 15000)),
    ]));
    const counted = await page.evaluate(() => {
      const root = document.querySelector("[data-kform]")?.shadowRoot ?? document;
      return root.querySelectorAll("form input:not([name=website]), form select, form textarea").length;
    });
    if (counted !== controls) throw new Error(`${url} has ${counted} controls, not ${controls}`);
    return ms;
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
  for (const [, url] of pages) await visit(browser, url, controls);
  const result = { runs: RUNS, controls };
  for (const [name] of pages) result[`${name}_ms`] = [];
  for (let i = 0; i < RUNS; i++) {
    for (const [name, url] of pages) result[`${name}_ms`].push(await visit(browser, url, controls));
  }
  console.log(JSON.stringify(result));
} finally {
  await browser.close();
  await demo.stop();
}
