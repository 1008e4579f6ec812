// Where the widget's load time goes (run by hand: `KFORM_BIN=target/release/kform node
// tests/bench/widget-trace.mjs`): Chromium's trace of first visits to the benchmark pages,
// summed per kind of main-thread work and averaged. With `KFORM_BENCH_PKG` naming the directory
// `cargo xtask bench` leaves in `target/bench-pkg/`, the size floor's page is traced too. Prints
// one JSON object: `{"runs": N, "widget": {"wasm.CompileLazy": ms, ...}, "static": {...}}`.
import { launch } from "../e2e/browser.mjs";
import { startBench } from "./pages.mjs";

const RUNS = Number(process.env.KFORM_BENCH_RUNS || 6);
// The main thread's work a page's load is made of: script and wasm (FunctionCall, which holds
// V8's compiling of wasm functions on their first call, wasm.CompileLazy), style
// (UpdateLayoutTree), layout and paint.
const KINDS = ["FunctionCall", "wasm.CompileLazy", "UpdateLayoutTree", "Layout", "Paint"];

async function trace(browser, url, enhances) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await browser.startTracing(page, { categories: ["devtools.timeline", "v8", "v8.wasm", "blink", "loading"] });
    await page.goto(url);
    // Until the form is usable and, for the widget, taken over by its WebAssembly.
    await page.waitForFunction((enhances) => {
      const shadow = document.querySelector("[data-kform]")?.shadowRoot;
      const root = shadow ?? document;
      const controls = root.querySelectorAll("form input:not([type=hidden]), form select, form textarea");
      return controls.length >= 40 && (!enhances || !shadow?.querySelector("form:not([novalidate])"));
    }, enhances);
    const events = JSON.parse((await browser.stopTracing()).toString()).traceEvents;
    const main = events.find((e) => e.name === "thread_name" && e.args.name === "CrRendererMain");
    const totals = Object.fromEntries(KINDS.map((kind) => [kind, 0]));
    for (const e of events) {
      if (e.pid === main.pid && e.tid === main.tid && e.ph === "X" && e.name in totals) totals[e.name] += e.dur / 1000;
    }
    return totals;
  } finally {
    await context.close();
  }
}

const { demo, pages } = await startBench();
const browser = await launch();
try {
  const result = { runs: RUNS };
  for (const [name, url] of pages) {
    const enhances = name === "widget";
    await trace(browser, url, enhances); // warm the relay and the disk, not counted
    const sum = Object.fromEntries(KINDS.map((kind) => [kind, 0]));
    for (let i = 0; i < RUNS; i++) {
      for (const [kind, ms] of Object.entries(await trace(browser, url, enhances))) sum[kind] += ms / RUNS;
    }
    result[name] = Object.fromEntries(Object.entries(sum).map(([kind, ms]) => [kind, Number(ms.toFixed(1))]));
  }
  console.log(JSON.stringify(result));
} finally {
  await browser.close();
  await demo.stop();
}
