// What the browser test files share: one `kform demo` and one Chromium per file, pages that
// collect script errors, and axe-core's accessibility check.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { after, before } from "node:test";

import { launch } from "./browser.mjs";
import { startDemo } from "./demo.mjs";

const axePath = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

/**
 * Starts the demo and the browser before the file's tests and stops both after them (the demo
 * must stop cleanly on Ctrl-C). The returned object's `demo` and `browser` are set once started.
 * `options` gives `startDemo`'s options when the demo starts (after earlier `before` hooks).
 */
export function useDemo(options = () => ({})) {
  const session = {
    demo: undefined,
    browser: undefined,
    /** A page in Tokyo's time zone at `path` whose script errors collect in `page.errors`. */
    async open(path, options = {}) {
      const context = await session.browser.newContext({ timezoneId: "Asia/Tokyo", ...options });
      const page = await context.newPage();
      page.errors = [];
      page.on("pageerror", (error) => page.errors.push(error.message));
      page.on("console", (message) => {
        if (message.type() === "error") page.errors.push(`${message.text()} ${message.location().url}`);
      });
      await page.goto(new URL(path, session.demo.page).href);
      return page;
    },
  };
  before(async () => {
    session.demo = await startDemo(options());
    session.browser = await launch();
  });
  after(async () => {
    await session.browser?.close();
    if (session.demo) assert.equal(await session.demo.stop(), 0, "kform demo stops cleanly on Ctrl-C");
  });
  return session;
}

/** Records the forms' `kform:*` events from the page's start, in `window.kform[name]`. */
export async function recordEvents(page) {
  await page.addInitScript(() => {
    window.kform = { ready: [], error: [], invalid: [], submitted: [] };
    for (const name of Object.keys(window.kform)) {
      document.addEventListener(`kform:${name}`, (event) => window.kform[name].push(event.detail));
    }
  });
}

/** Waits for the first `kform:<name>` recorded by `recordEvents` and answers its detail. */
export async function firstEvent(page, name) {
  await page.waitForFunction((name) => window.kform[name].length > 0, name);
  return page.evaluate((name) => window.kform[name][0], name);
}

/** The relay refuses a form sent sooner than a person could (the demo's minimum is 1 s). */
export const personPause = () => new Promise((resolve) => setTimeout(resolve, 1100));

/**
 * Holds the widget's `.wasm` for `page` until the function returned is called. A page that
 * preloads it (an included form's) has its load event held too: open it with
 * `waitUntil: "domcontentloaded"`.
 */
export async function holdWasm(page) {
  let release;
  const held = new Promise((resolve) => (release = resolve));
  await page.route("**/kform_widget*_bg.wasm", async (route) => {
    await held;
    await route.continue();
  });
  return release;
}

/**
 * Opens the demo's page at `path` with its `.wasm` held (`holdWasm`) and its events recorded
 * (`recordEvents`); `options` are `page.goto`'s. Resolves to the page and the function that lets
 * the `.wasm` through.
 */
export async function openHeld(session, path, options = {}) {
  const page = await session.open("/blank.html");
  const release = await holdWasm(page);
  await recordEvents(page);
  await page.goto(new URL(path, session.demo.page).href, options);
  return { page, release };
}

/** Counts the submissions `page` posts from now on; the function returned says how many so far. */
export function countSubmissions(page) {
  let count = 0;
  page.on("request", (request) => (count += request.url().includes("/submissions") ? 1 : 0));
  return () => count;
}

/** Calls the relay's admin API with the demo's admin key; the answer's JSON (or null). */
export async function admin(session, method, path, body) {
  const response = await fetch(new URL(path, session.demo.page), {
    method,
    headers: { authorization: `Bearer ${session.demo.admin}`, "content-type": "application/json" },
    body: body && JSON.stringify(body),
  });
  const text = await response.text();
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** Runs axe-core on the page (it looks into open shadow roots) and fails on any violation. */
export async function assertAccessible(page, when) {
  await page.addScriptTag({ path: axePath });
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ["violations"] });
    return result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
  });
  assert.deepEqual(violations, [], `axe-core violations ${when}`);
}

/**
 * Cloudflare's Turnstile script is not reachable here: answers for it on `target` (a page or a
 * context) with a stand-in that has Turnstile's explicit-render API. Its button answers like the
 * always-pass test key; `window.answer` sets the next answer, `window.resets` counts the resets
 * and `window.rendered` says how it was rendered.
 */
export async function fakeTurnstile(target) {
  await target.route("https://challenges.cloudflare.com/turnstile/v0/api.js*", (route) =>
    route.fulfill({
      contentType: "text/javascript",
      body: `window.answer = "XXXX.DUMMY.TOKEN.XXXX"; window.resets = 0; window.turnstile = {
        render(el, options) {
          window.rendered = { sitekey: options.sitekey, language: options.language, inShadow: !el.isConnected || el.getRootNode() !== document };
          const button = document.createElement("button");
          button.type = "button"; button.textContent = "I am human";
          // Like Turnstile, it keeps its own copy of the answer in an input of its element.
          const copy = Object.assign(document.createElement("input"), { type: "hidden", name: "cf-turnstile-response" });
          button.onclick = () => { copy.value = window.answer; options.callback(window.answer); };
          el.append(button, copy);
          return "w1";
        },
        reset() { window.resets += 1; },
        remove() {},
      };`,
    }));
}
