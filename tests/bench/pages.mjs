// The speed benchmark's pages, shared by widget-load.mjs and widget-trace.mjs: the widget's
// 30-field form, the same fields as static HTML, the HTML-first floor (a script that only shows
// the relay's markup) and, when `KFORM_BENCH_PKG` names the bench's
// widget directory (`target/bench-pkg/`, which holds the size floor), the floor's page.
import { startDemo } from "../e2e/demo.mjs";

/** Starts the demo on the bench's widget directory, if any; resolves to it and the pages. */
export async function startBench() {
  const pkg = process.env.KFORM_BENCH_PKG;
  const demo = await startDemo({ pkg });
  const pages = [["widget", "/bench.html"], ["static", "/bench-static.html"], ["markup_floor", "/bench-markup-floor.html"]];
  if (pkg) pages.push(["floor", "/bench-floor.html"]);
  return { demo, pages: pages.map(([name, path]) => [name, new URL(path, demo.page).href]) };
}
