import { launch } from "../e2e/browser.mjs";
import { startBench } from "./pages.mjs";
const { demo, pages } = await startBench();
const browser = await launch();
try {
  for (const which of ["widget", "included"]) {
  const url = pages.find(([n]) => n === which)[1];
  const sums = {};
  const RUNS = 6;
  for (let run = 0; run < RUNS; run++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await browser.startTracing(page, { categories: ["devtools.timeline", "v8", "v8.wasm", "blink", "loading", "disabled-by-default-devtools.timeline"] });
    await page.goto(url);
    await page.waitForFunction(() => { const s = document.querySelector("[data-kform]")?.shadowRoot; return s && s.querySelectorAll("form input").length > 30 && !s.querySelector("form:not([novalidate])"); }, null, {polling: 20});
    await page.waitForTimeout(500);
    const events = JSON.parse((await browser.stopTracing()).toString()).traceEvents;
    const mains = events.filter((e) => e.name === "thread_name" && e.args.name === "CrRendererMain");
    const main = mains.map((m) => [m, events.filter((x) => x.pid === m.pid && x.tid === m.tid && x.name === "wasm.CompileLazy").length]).sort((a, b) => b[1] - a[1])[0][0];
    const mine = events.filter((e) => e.pid === main.pid && e.tid === main.tid && e.ph === "X");
    // The takeover task: the RunTask holding the most wasm.CompileLazy time.
    const tasks = mine.filter((e) => e.name === "RunTask");
    let best = null, bestLazy = 0;
    for (const t of tasks) {
      const lazy = mine.filter((x) => x.name === "wasm.CompileLazy" && x.ts >= t.ts && x.ts < t.ts + t.dur).reduce((s, x) => s + x.dur, 0);
      if (lazy > bestLazy) { bestLazy = lazy; best = t; }
    }
    const inside = mine.filter((x) => x !== best && x.ts >= best.ts && x.ts + x.dur <= best.ts + best.dur);
    const add = (k, v) => (sums[k] = (sums[k] ?? 0) + v / 1000 / RUNS);
    add("task", best.dur);
    for (const x of inside) add(x.name, x.dur);
    await context.close();
  }
  console.log(which, JSON.stringify(Object.fromEntries(Object.entries(sums).filter(([,v]) => v > 0.3).sort((a,b)=>b[1]-a[1]).map(([k,v])=>[k, +v.toFixed(1)]))));
  }
} finally { await browser.close(); await demo.stop(); }
