// The speed benchmark's pages, shared by widget-load.mjs and widget-trace.mjs: the widget's
// 30-field form (fetched by kform.js, and included by the page's server), the same fields as
// static HTML, the HTML-first floor (a script that only shows the relay's markup), the
// enhancement floor (that, and an empty .wasm the script asks for) and, when `KFORM_BENCH_PKG`
// names the bench's widget directory (`target/bench-pkg/`, which holds the size floor), the
// floor's page.
import { startDemo } from "../e2e/demo.mjs";

/** Starts the demo on the bench's widget directory, if any; resolves to it and the pages. */
export async function startBench() {
  const pkg = process.env.KFORM_BENCH_PKG;
  const demo = await startDemo({ pkg });
  const pages = [
    ["widget", "/bench.html"], ["included", "/bench-included.html"], ["static", "/bench-static.html"],
    ["markup_floor", "/bench-markup-floor.html"],
    ["wasm_floor", "/bench-markup-floor.html?wasm=/bench-empty.wasm"],
  ];
  if (pkg) pages.push(["floor", "/bench-floor.html"]);
  return { demo, pages: pages.map(([name, path]) => [name, new URL(path, demo.page).href]) };
}

/**
 * Runs in a bench page before its own scripts (`context.addInitScript(watchMoments)`): notes in
 * `window.kformMoments`, in ms since navigation, when a shadow root was attached, when the form
 * was shown in it, when the page was parsed, when the WebAssembly's instantiating was called and
 * settled, when its takeover started (its first query, for the markup's descriptor) and
 * `kform:ready`, which the takeover fires as it ends.
 */
export function watchMoments() {
  const moments = (window.kformMoments = {});
  const attach = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (init) {
    const root = attach.call(this, init);
    moments["shadow root attached"] = performance.now();
    new MutationObserver((_, observer) => {
      if (root.querySelector("form select")) {
        moments["form shown"] = performance.now();
        observer.disconnect();
      }
    }).observe(root, { childList: true, subtree: true });
    return root;
  };
  const instantiate = WebAssembly.instantiateStreaming;
  WebAssembly.instantiateStreaming = function (...args) {
    moments["instantiate called"] = performance.now();
    const settled = instantiate.apply(this, args);
    settled.then(() => (moments["instantiate settled"] = performance.now()), () => {});
    return settled;
  };
  const query = Element.prototype.querySelector;
  Element.prototype.querySelector = function (selector) {
    if (selector === "script.kform-descriptor") moments["takeover started"] ??= performance.now();
    return query.call(this, selector);
  };
  document.addEventListener("DOMContentLoaded", () => (moments["page parsed"] = performance.now()));
  document.addEventListener("kform:ready", () => (moments["kform:ready"] = performance.now()));
}

/**
 * The link a by-hand bench's visits go over instead of loopback, from `KFORM_NET="40,10"`: 40 ms
 * of added latency each way and 10 Mbit/s down (half that up), as Chromium's DevTools emulate a
 * network. On loopback a request costs no round trip and a byte no time, so what a real visitor
 * waits for a round trip or a download shows only with it. `cargo xtask bench` stays on
 * loopback: its figures are the ones to quote.
 */
const NETWORK = process.env.KFORM_NET?.split(",").map(Number);

async function emulateNetwork(context, page, [latency, mbits]) {
  const session = await context.newCDPSession(page);
  await session.send("Network.enable");
  await session.send("Network.emulateNetworkConditions", {
    offline: false, latency, downloadThroughput: (mbits * 1e6) / 8, uploadThroughput: (mbits * 1e6) / 16,
  });
}

/**
 * A first visit to `url` in a fresh context of `browser`, watched by `watchMoments`: resolves
 * to what `read(page)` resolves to once the page has been opened.
 */
export async function firstVisit(browser, url, read) {
  const context = await browser.newContext();
  try {
    await context.addInitScript(watchMoments);
    const page = await context.newPage();
    if (NETWORK) await emulateNetwork(context, page, NETWORK);
    await page.goto(url);
    return await read(page);
  } finally {
    await context.close();
  }
}

/**
 * Resolves once 4 s have passed since `started` (a `performance.now()`): a bench that runs its
 * pages in rounds waits for it after each, so that a round's requests to the relay's form API
 * from the browser (four at most: the widget's, the HTML-first floor's and the enhancement
 * floor's markup, the included form's fresh render token) stay within the demo relay's
 * per-address rate limit, a burst of 20, then one a second, which fast pages outran.
 */
export function paced(started) {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, started + 4000 - performance.now())));
}

/**
 * Visits each of `targets` (`[name, url]`) `runs` times, in paced rounds (every other one in
 * reverse order), with `visit(url)`
 * resolving to the visit's moments (`{moment: ms}`); resolves to every moment's values by page
 * name: `{name: {moment: [ms, …]}}`.
 */
export async function sampleRounds(targets, runs, visit) {
  const samples = {};
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    // Every other round in the other order, so no page is always visited right after another.
    for (const [name, url] of run % 2 ? [...targets].reverse() : targets) {
      for (const [moment, ms] of Object.entries(await visit(url))) {
        ((samples[name] ??= {})[moment] ??= []).push(ms);
      }
    }
    await paced(started);
  }
  return samples;
}
