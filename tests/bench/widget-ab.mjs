// Compares widget builds side by side (run by hand): `KFORM_AB="pkg /tmp/variant"
// KFORM_BIN=target/release/kform node tests/bench/widget-ab.mjs` starts one demo per widget
// directory and visits, in turn and each as a first visit, the static page, the HTML-first floor
// and each build's `/bench.html`, so every build meets the same moments of a noisy machine.
// Prints per page the medians of the moments `pages.mjs`'s `watchMoments` notes (ms since
// navigation: page parsed, form shown, the WebAssembly's instantiating called and settled, its
// takeover started, `kform:ready`), with the form shown and `kform:ready` ratios to the static page's parsing.
// `RUNS` sets the visits per page (21); `KFORM_AB_PAGE` the builds' page (`/bench.html`; say
// `/bench-included.html` for the form the page's server included); `KFORM_NET="40,10"` a
// network of 40 ms latency and 10 Mbit/s instead of loopback (`pages.mjs`). Not part of `cargo
// xtask bench`, whose figures stay the ones to quote; this is for deciding between builds.
import { launch } from "../e2e/browser.mjs";
import { startDemo } from "../e2e/demo.mjs";
import { firstVisit, sampleRounds } from "./pages.mjs";

const dirs = (process.env.KFORM_AB ?? "").split(/\s+/).filter(Boolean);
if (dirs.length === 0) throw new Error("KFORM_AB must name at least one widget directory");
const RUNS = Number(process.env.RUNS || 21);

function visit(browser, url) {
  return firstVisit(browser, url, async (page) => {
    // The static page's form, the floor's shown form, or the widget taken over.
    await page.waitForFunction(() => document.querySelector("form select") || window.kformMoments["kform:ready"] ||
      (window.kformMoments["form shown"] && location.pathname.includes("floor")));
    return await page.evaluate(() => ({ ...window.kformMoments }));
  });
}

const demos = [];
for (const dir of dirs) demos.push(await startDemo({ pkg: dir }));
const browser = await launch();
const page = (demo, path) => new URL(path, demo.page).href;
const targets = [
  ["static", page(demos[0], "/bench-static.html")],
  ["floor", page(demos[0], "/bench-markup-floor.html")],
  ...dirs.map((dir, i) => [dir, page(demos[i], process.env.KFORM_AB_PAGE || "/bench.html")]),
];
let samples;
try {
  for (const [, url] of targets) await visit(browser, url); // warm the relays and the disk
  samples = await sampleRounds(targets, RUNS, (url) => visit(browser, url));
} finally {
  await browser.close();
  for (const demo of demos) await demo.stop();
}
const median = (values) => values.sort((a, b) => a - b)[values.length >> 1];
const base = median(samples.static["page parsed"]);
for (const [name, moments] of Object.entries(samples)) {
  const line = Object.entries(moments).map(([moment, ms]) => `${moment}=${median(ms).toFixed(1)}`).join(" ");
  const ratio = (moment) => (moments[moment] ? `${moment} ${(median(moments[moment]) / base).toFixed(2)}×` : "");
  console.log(`${name.padEnd(12)} ${line} | ${ratio("form shown")} ${ratio("kform:ready")}`.trimEnd());
}
