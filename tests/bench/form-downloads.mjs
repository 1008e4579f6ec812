// What a visitor downloads for each of the demo's forms (run by `cargo xtask bench`): `kform.js`,
// the form's markup (which carries its stylesheet and descriptor), the build of the `.wasm` the
// markup names (its `kform-wasm` header) and, for a form with a captcha, `kform-captcha.js`,
// each as the relay sends it to a browser that accepts brotli. The markup is asked for until
// its size stops falling: the relay compresses each version of a form's markup at brotli's best
// quality off the request path, and serves a quicker compression until that is done.
//
// Prints one JSON object: `{"forms": {"<form>": {"build": …, "parts": {"kform.js": …,
// "markup": …, "<.wasm file>": …}, "total": …}, …}}` (bytes).
import { request } from "node:http";
import { brotliDecompressSync } from "node:zlib";
import { startDemo } from "../e2e/demo.mjs";

const FORMS = ["bench", "contact", "captcha", "steps", "showcase"];

/** GETs `url` accepting brotli; resolves to the bytes sent (still encoded) and the headers. */
function sent(url) {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { "accept-encoding": "br" } }, (response) => {
      let bytes = 0;
      const chunks = [];
      response.on("data", (chunk) => {
        bytes += chunk.length;
        chunks.push(chunk);
      });
      response.on("end", () => {
        if (response.statusCode !== 200) reject(new Error(`${url}: ${response.statusCode}`));
        else resolve({ bytes, headers: response.headers, body: Buffer.concat(chunks) });
      });
    });
    req.on("error", reject);
    req.end();
  });
}

const demo = await startDemo({ pkg: process.env.KFORM_BENCH_PKG });
try {
  const forms = {};
  for (const form of FORMS) {
    const url = new URL(`/v1/forms/${form}/html`, demo.page).href;
    let markup = await sent(url);
    for (let tries = 0; tries < 20; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const again = await sent(url);
      if (again.bytes >= markup.bytes) break;
      markup = again;
    }
    if (markup.headers["content-encoding"] !== "br") throw new Error(`${form}: the markup was not sent as brotli`);
    const build = markup.headers["kform-wasm"];
    const wasm = build === "whole" ? "kform_widget_bg.wasm" : `kform_widget_${build}_bg.wasm`;
    const files = ["kform.js", wasm];
    // A captcha form's markup names its provider for kform-captcha.js.
    if (brotliDecompressSync(markup.body).toString().includes("data-kform-captcha=")) files.push("kform-captcha.js");
    const parts = { markup: markup.bytes };
    for (const file of files) {
      const asset = await sent(new URL(`/widget/${file}`, demo.page).href);
      if (asset.headers["content-encoding"] !== "br") throw new Error(`${file} was not sent as brotli`);
      parts[file] = asset.bytes;
    }
    const total = Object.values(parts).reduce((sum, bytes) => sum + bytes, 0);
    forms[form] = { build, parts, total };
  }
  console.log(JSON.stringify({ forms }));
} finally {
  await demo.stop();
}
