// Where a first visit's time goes before the form is shown (run by hand: `KFORM_BIN=
// target/release/kform node tests/bench/widget-timeline.mjs`): for each benchmark page, the
// medians over first visits of when each resource was asked for, sent and arrived (resource timing),
// when a shadow root was attached (the script running), when the form's inputs were in it and
// when the page was parsed (DOMContentLoaded), when the WebAssembly's instantiating was called and
// settled, when the takeover started and `kform:ready`, all in ms since navigation; over an
// emulated network with `KFORM_NET="40,10"` (`pages.mjs`). Prints one JSON
// object: `{"runs": N, "widget": {"kform.js requested": ms, ...}, "static": {...}, ...}`.
import { launch } from "../e2e/browser.mjs";
import { firstVisit, sampleRounds, startBench } from "./pages.mjs";

const RUNS = Number(process.env.KFORM_BENCH_RUNS || 12);

function visit(browser, url) {
  return firstVisit(browser, url, async (page) => {
    await page.waitForFunction(() => document.querySelector("form select") ||
      document.querySelector("[data-kform]")?.shadowRoot?.querySelector("form select"));
    await page.waitForTimeout(300); // for the .wasm and kform:ready, when there is one
    return await page.evaluate(() => {
      const found = { ...window.kformMoments };
      found["page arrived"] = performance.getEntriesByType("navigation")[0].responseEnd;
      for (const entry of performance.getEntriesByType("resource")) {
        const path = new URL(entry.name).pathname;
        const name = path.endsWith("/html") ? "markup" : path.split("/").pop();
        if (name === "favicon.svg") continue;
        // Asked for by the page, then sent by the browser (after its queueing and connecting).
        found[`${name} asked for`] = entry.startTime;
        found[`${name} sent`] = entry.requestStart || entry.startTime;
        found[`${name} arrived`] = entry.responseEnd;
      }
      return found;
    });
  });
}

const { demo, pages } = await startBench();
const browser = await launch();
try {
  for (const [, url] of pages) await visit(browser, url); // warm the relay and the disk
  const samples = await sampleRounds(pages, RUNS, (url) => visit(browser, url));
  const median = (values) => values.sort((a, b) => a - b)[values.length >> 1];
  const result = { runs: RUNS };
  for (const [name, moments] of Object.entries(samples)) {
    const medians = Object.entries(moments).map(([moment, values]) => [moment, Number(median(values).toFixed(1))]);
    result[name] = Object.fromEntries(medians.sort((a, b) => a[1] - b[1]));
  }
  console.log(JSON.stringify(result, null, 1));
} finally {
  await browser.close();
  await demo.stop();
}
