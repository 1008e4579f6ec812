// A form included by the host page's own server (`GET /v1/forms/{id}/include`, in a declarative
// shadow root): it is in the page as the browser parses it and works with JavaScript turned off;
// with JavaScript, kform.js takes it over (enhanced, or basic without WebAssembly) without
// fetching its markup again, and its stylesheet survives a page policy that refuses inline style.
import assert from "node:assert/strict";
import { test } from "node:test";

import { kintoneRecords, recordsEventually } from "./demo.mjs";
import { admin, assertAccessible, firstEvent, openHeld, personPause, recordEvents, useDemo } from "./session.mjs";

const session = useDemo();
const recordsOf = (predicate) => recordsEventually(session.demo, undefined, predicate);

/** Exactly one record of company `company`, given time for a duplicate to arrive. */
async function landedOnce(company) {
  const records = await recordsOf((record) => record["会社名"].value === company);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const again = (await kintoneRecords(session.demo)).filter((record) => record["会社名"].value === company);
  assert.equal(again.length, 1, "exactly one record");
  return records[0];
}

test("an included form works with JavaScript turned off", async () => {
  const context = await session.browser.newContext({ javaScriptEnabled: false, timezoneId: "Asia/Tokyo" });
  const page = await context.newPage();
  await page.goto(new URL("/included.html", session.demo.page).href);
  const form = page.locator("[data-kform=contact]");
  // In the page as parsed: no script put it there.
  assert.equal(await form.evaluate((host) => host.shadowRoot?.querySelectorAll("input").length > 3), true);
  await form.getByLabel("会社名").fill("埋め込み株式会社");
  // The browser lets "a@b" through as an e-mail address; kintone does not.
  await form.getByLabel("メールアドレス").fill("a@b");
  await personPause();
  await form.getByRole("button", { name: "送信" }).click();
  // The relay answers with its hosted page: kintone's message on the field, the values kept.
  await page.locator('[id="kform-メールアドレス-message"]').getByText("メールアドレスの形式が正しくありません。").waitFor();
  assert.equal(await page.getByLabel("会社名").inputValue(), "埋め込み株式会社");
  assert.equal(await page.getByLabel("メールアドレス").getAttribute("aria-invalid"), "true");
  await page.getByLabel("メールアドレス").fill("included@example.com");
  await page.getByRole("button", { name: "送信" }).click();
  await page.getByText("送信しました。ありがとうございました。").waitFor();
  assert.match(page.url(), /\/f\/contact\/sent\?lang=ja$/, "Post/Redirect/Get");
  const record = await landedOnce("埋め込み株式会社");
  assert.equal(record["フォーム識別"].value, "demo-contact");
  await context.close();
});

test("kform.js takes an included form over in place, without fetching its markup", async () => {
  const page = await session.open("/blank.html");
  const markups = [];
  page.on("request", (request) => request.url().includes("/html") && markups.push(request.url()));
  await recordEvents(page);
  await page.goto(new URL("/included.html", session.demo.page).href);
  assert.deepEqual(await firstEvent(page, "ready"), { mode: "enhanced" });
  const form = page.locator("[data-kform=contact]");
  assert.equal(await form.locator("form").getAttribute("novalidate"), "", "the WebAssembly checks now");
  assert.deepEqual(markups, [], "the form came with the page");
  // Its <style> stays as the page's server sent it: the browser does not style the form again.
  const styles = await form.evaluate((host) => [host.shadowRoot.querySelectorAll("style").length, host.shadowRoot.adoptedStyleSheets.length]);
  assert.deepEqual(styles, [1, 0], "the included <style>, no constructed sheet");
  // Each asked for once, by the include's preloads (a preload kform.js did not use would be
  // followed by kform.js's own request, a "fetch").
  const initiators = await page.evaluate(() => performance.getEntriesByType("resource")
    .filter((entry) => /\.wasm$|\/v1\/forms\/contact$/.test(entry.name))
    .map((entry) => `${new URL(entry.name).pathname} ${entry.initiatorType}`).sort());
  assert.deepEqual(initiators, ["/v1/forms/contact link", "/widget/kform_widget_lean_bg.wasm link"]);
  // The .wasm's preload carries the integrity kform.js fetches it with, character for character.
  const preloaded = await page.locator('link[rel="preload"][href$=".wasm"]').getAttribute("integrity");
  const script = await (await fetch(new URL("/widget/kform.js", session.demo.page))).text();
  assert.ok(preloaded.startsWith("sha256-") && script.includes(`"${preloaded}"`), preloaded);
  // kintone's live check as the visitor leaves the field.
  await form.getByLabel("メールアドレス").fill("taro@");
  await form.getByLabel("会社名").focus();
  await form.locator('[id="kform-メールアドレス-message"]').getByText("メールアドレスの形式が正しくありません。").waitFor();
  await assertAccessible(page, "on an included form, enhanced");
  await form.getByLabel("メールアドレス").fill("enhanced@example.com");
  await form.getByLabel("会社名").fill("埋め込み強化株式会社");
  await personPause();
  await form.getByRole("button", { name: "送信" }).click();
  await form.getByText("送信しました。ありがとうございました。").waitFor();
  assert.match(page.url(), /\/included\.html$/, "sent in place");
  assert.equal((await firstEvent(page, "submitted")).state, "accepted");
  await landedOnce("埋め込み強化株式会社");
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("without WebAssembly an included form posts through kform.js and shows kintone's messages", async () => {
  const page = await session.open("/blank.html");
  await page.addInitScript(() => { delete window.WebAssembly; });
  await recordEvents(page);
  await page.goto(new URL("/included.html", session.demo.page).href);
  assert.deepEqual(await firstEvent(page, "ready"), { mode: "basic" });
  const form = page.locator("[data-kform=contact]");
  await form.getByLabel("会社名").fill("埋め込み基本株式会社");
  await form.getByLabel("メールアドレス").fill("a@b");
  await personPause();
  await form.getByRole("button", { name: "送信" }).click();
  await form.locator('[id="kform-メールアドレス-message"]').getByText("メールアドレスの形式が正しくありません。").waitFor();
  assert.equal(await form.getByLabel("会社名").inputValue(), "埋め込み基本株式会社", "the values are kept");
  // The relay's answer carries no stylesheet: the form keeps the included one, and its theme.
  const send = form.getByRole("button", { name: "送信" });
  assert.equal(await send.evaluate((button) => getComputedStyle(button).backgroundColor), "rgb(29, 111, 216)");
  assert.match(page.url(), /\/included\.html$/, "the visitor stays on the page");
  await assertAccessible(page, "on an included form in basic mode");
  await form.getByLabel("メールアドレス").fill("basic@example.com");
  await form.getByRole("button", { name: "送信" }).click();
  await form.getByText("送信しました。ありがとうございました。").waitFor();
  await landedOnce("埋め込み基本株式会社");
  await page.context().close();
});

test("an included form on another origin keeps its style under a policy that refuses inline style", async () => {
  const relay = new URL(session.demo.page).origin;
  const host = `http://localhost:${new URL(session.demo.page).port}`;
  await admin(session, "POST", "/v1/admin/forms", {
    connection: "demo", allowed_origins: [host], captcha: false,
    spec: { format: 1, id: "included", app: 1, default_lang: "ja", items: [
      { field: "会社名" }, { field: "メールアドレス", input_hint: "email" }, { field: "フォーム識別", hidden: "lp-included" },
    ] },
  });
  // What the host's server includes, asked for as a server would: the relay's address given.
  const answer = await fetch(`${relay}/v1/forms/included/include?lang=ja&relay=${encodeURIComponent(relay)}`);
  assert.equal(answer.status, 200);
  const included = await answer.text();
  const page = await session.open("/blank.html");
  await page.route(`${host}/page.html`, (route) => route.fulfill({
    contentType: "text/html; charset=utf-8",
    headers: {
      "content-security-policy":
        `default-src 'none'; script-src ${relay} 'wasm-unsafe-eval'; connect-src ${relay}; style-src 'none'; form-action ${relay}`,
    },
    body: `<!doctype html><html lang="ja"><title>host</title>
      <script type="module" src="${relay}/widget/kform.js"></script><main>${included}</main>`,
  }));
  await recordEvents(page);
  await page.goto(`${host}/page.html`);
  assert.deepEqual(await firstEvent(page, "ready"), { mode: "enhanced" });
  const send = page.getByRole("button", { name: "送信" });
  // The theme's accent, from the stylesheet kform.js adopted in place of the refused <style>.
  assert.equal(await send.evaluate((button) => getComputedStyle(button).backgroundColor), "rgb(29, 111, 216)");
  assert.equal(await page.locator("form").getAttribute("action"), `${relay}/f/included?lang=ja`);
  await page.getByLabel("会社名").fill("別オリジン埋め込み株式会社");
  await page.getByLabel("メールアドレス").fill("elsewhere@example.com");
  await personPause();
  await send.click();
  await page.getByText("送信しました。ありがとうございました。").waitFor();
  const record = await landedOnce("別オリジン埋め込み株式会社");
  assert.equal(record["フォーム識別"].value, "lp-included");
  await page.context().close();
});

test("an included form mounted again before the WebAssembly arrives is taken over once", async () => {
  const { page, release } = await openHeld(session, "/included.html", { waitUntil: "domcontentloaded" });
  // The page mounts the same form again in its element (the included one is unmounted).
  // (`mount` resolves once the form is taken over, so it is not awaited here.)
  await page.evaluate(async () => {
    const { KForm } = await import("/widget/kform.js");
    KForm.mount(document.querySelector("[data-kform=contact]"), { form: "contact" });
  });
  await page.locator("[data-kform=contact]").getByLabel("会社名").waitFor();
  release();
  assert.deepEqual(await firstEvent(page, "ready"), { mode: "enhanced" });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  assert.equal(await page.evaluate(() => window.kform.ready.length), 1, "one takeover, of the mounted form");
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("an included form with steps shows one step from the start, and every step with JavaScript off", async () => {
  // With JavaScript: one step at a time before kform.js has taken it over, so nothing moves then.
  const { page, release } = await openHeld(session, "/included-steps.html", { waitUntil: "domcontentloaded" });
  const form = page.locator("[data-kform=steps]");
  await form.getByLabel("氏名").waitFor();
  assert.equal(await form.getByLabel("相談内容").isVisible(), false, "the third step waits");
  assert.equal(await form.getByLabel("電話番号").isVisible(), false, "so does an item whose condition does not hold");
  await form.getByRole("button", { name: "次へ", exact: true }).waitFor();
  // The page is laid out with its own stylesheet before the form is measured: the form can be
  // there before it (the page is read at `domcontentloaded`).
  await page.waitForFunction(() => [...document.querySelectorAll('link[rel="stylesheet"]')].every((link) => link.sheet));
  const before = await form.boundingBox();
  release();
  assert.deepEqual(await firstEvent(page, "ready"), { mode: "enhanced" });
  assert.deepEqual(await form.boundingBox(), before, "the takeover moves nothing");
  await form.getByRole("button", { name: "次へ", exact: true }).waitFor();
  assert.deepEqual(page.errors, []);
  await page.context().close();

  // Without: every step and item at once, and a button that sends, as on the hosted page.
  const context = await session.browser.newContext({ javaScriptEnabled: false, timezoneId: "Asia/Tokyo" });
  const off = await context.newPage();
  await off.goto(new URL("/included-steps.html", session.demo.page).href);
  const plain = off.locator("[data-kform=steps]");
  for (const label of ["氏名", "相談内容", "電話番号"]) assert.equal(await plain.getByLabel(label).isVisible(), true, label);
  assert.equal(await plain.getByRole("button", { name: "次へ" }).count(), 0);
  await plain.getByLabel("氏名").fill("段階 花子");
  // The browser lets "a@b" through as an e-mail address; kintone does not.
  await plain.getByLabel("メールアドレス").fill("a@b");
  await plain.getByLabel("業種").selectOption("製造");
  await plain.getByLabel("メール", { exact: true }).check();
  await plain.getByLabel("相談内容").fill("三つ目の段階から");
  await personPause();
  await plain.getByRole("button", { name: "送信", exact: true }).click();
  // The relay's hosted page answers with kintone's message, every step's values kept.
  await off.locator('[id="kform-メール-message"]').getByText("メールアドレスの形式が正しくありません。").waitFor();
  assert.equal(await off.getByLabel("相談内容").inputValue(), "三つ目の段階から");
  await context.close();

  // Scripts run but kform.js is blocked: the first step, filled in, posts all the same (the
  // browser does not stop it for the second step's required 業種, which it hides), and the
  // relay's hosted page answers with every step and the message.
  const blocked = await session.open("/blank.html");
  await blocked.route("**/widget/kform.js", (route) => route.abort());
  await blocked.goto(new URL("/included-steps.html", session.demo.page).href, { waitUntil: "domcontentloaded" });
  const first = blocked.locator("[data-kform=steps]");
  await first.getByLabel("氏名").fill("段階 次郎");
  await first.getByLabel("メールアドレス").fill("jiro@example.com");
  await personPause();
  await first.getByRole("button", { name: "次へ", exact: true }).click();
  await blocked.locator('[id="kform-業種-message"]').getByText("必須です。").waitFor();
  assert.equal(await blocked.getByLabel("氏名").inputValue(), "段階 次郎");
  await blocked.context().close();

  // Without WebAssembly, kform.js shows every step, so the browser's own checks come back.
  const basic = await session.open("/blank.html");
  await basic.addInitScript(() => { delete window.WebAssembly; });
  await recordEvents(basic);
  await basic.goto(new URL("/included-steps.html", session.demo.page).href);
  assert.deepEqual(await firstEvent(basic, "ready"), { mode: "basic" });
  const shown = basic.locator("[data-kform=steps]");
  assert.equal(await shown.getByLabel("相談内容").isVisible(), true);
  assert.equal(await shown.getByRole("button", { name: "送信", exact: true }).evaluate((button) => button.formNoValidate), false);
  await basic.context().close();
});
