import { launch } from "../e2e/browser.mjs";
import { startBench } from "./pages.mjs";
const { demo, pages } = await startBench();
const browser = await launch();
const which = process.env.PAGE || "included";
try {
  const url = pages.find(([n]) => n === which)[1];
  for (let run = 0; run < 3; run++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await browser.startTracing(page, { categories: ["devtools.timeline", "v8", "v8.wasm", "blink", "loading", "disabled-by-default-devtools.timeline"] });
    await page.goto(url);
    await page.waitForTimeout(800);
    const events = JSON.parse((await browser.stopTracing()).toString()).traceEvents;
    const main = events.find((e) => e.name === "thread_name" && e.args.name === "CrRendererMain" && events.some(x=>x.pid===e.pid && x.tid===e.tid && x.name==="ParseHTML"));
    const nav = events.find((e) => e.name === "navigationStart" && e.pid === main.pid) ?? events.find((e)=> e.name==="TracingStartedInBrowser");
    const t0 = nav.ts;
    const top = events.filter((e) => e.pid === main.pid && e.tid === main.tid && e.ph === "X" && e.dur > 1000)
      .sort((a, b) => a.ts - b.ts);
    // Print only events not nested in an earlier printed one.
    let end = 0;
    console.log("---- run", run);
    for (const e of top) {
      if (e.ts < end) continue;
      end = e.ts + e.dur;
      const inner = top.filter((x) => x !== e && x.ts >= e.ts && x.ts + x.dur <= end).map((x) => `${x.name}:${(x.dur/1000).toFixed(1)}`).slice(0, 6).join(" ");
      console.log(((e.ts - t0) / 1000).toFixed(1), (e.dur / 1000).toFixed(1), e.name, JSON.stringify(e.args?.data?.url ?? e.args?.data?.functionName ?? "").slice(0,60), inner);
    }
    for (const e of events.filter((e) => e.pid === main.pid && ["firstContentfulPaint","MarkDOMContent","domContentLoadedEventEnd"].includes(e.name))) console.log("mark", e.name, ((e.ts - t0)/1000).toFixed(1));
    await context.close();
  }
} finally { await browser.close(); await demo.stop(); }
