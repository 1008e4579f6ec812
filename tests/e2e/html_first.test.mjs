// HTML first: the form shows from the relay's markup before (and without) the WebAssembly. A
// host page on another origin whose policy refuses WebAssembly, a browser without it, a .wasm
// that arrives late, and the relay's hosted page with JavaScript turned off: in each, kintone's
// messages reach the fields they concern and a valid lead lands in kintone exactly once.
import assert from "node:assert/strict";
import { test } from "node:test";

import { kintoneRecords, recordsEventually } from "./demo.mjs";
import { admin, assertAccessible, fakeTurnstile, firstEvent, openHeld, personPause, recordEvents, useDemo } from "./session.mjs";

const session = useDemo();
/**
 * The host page's origin: the relay's port on `localhost` instead of 127.0.0.1, another origin
 * (the browser would refuse a public origin's requests to loopback). Playwright answers for it.
 */
const host = () => {
  const url = new URL(session.demo.page);
  return `http://localhost:${url.port}`;
};

/** Adds this file's forms to the demo once (the session starts it before the first test). */
let added;
const forms = () => (added ??= addForms());

async function addForms() {
  // The contact app, for pages on another origin; an e-mail hint the browser checks too.
  await admin(session, "POST", "/v1/admin/forms", {
    connection: "demo", allowed_origins: [host()], captcha: false,
    spec: { format: 1, id: "elsewhere", app: 1, default_lang: "ja", items: [
      { field: "会社名" }, { field: "メールアドレス", input_hint: "email" }, { field: "問い合わせ種別" },
      { field: "お問い合わせ内容" }, { field: "フォーム識別", hidden: "lp-elsewhere" },
    ] },
  });
  // The showcase app on one page, with a file.
  await admin(session, "POST", "/v1/admin/forms", {
    connection: "demo", allowed_origins: [], captcha: false,
    spec: { format: 1, id: "late", app: 2, default_lang: "ja", items: [
      { field: "氏名" }, { field: "メール" }, { field: "業種" }, { field: "相談内容" },
      { field: "添付資料", max_files: 2 }, { field: "連絡方法" }, { field: "関心" }, { field: "地域" },
      { field: "フォーム識別", hidden: "demo-late" },
    ] },
  });
}

const recordsOf = (app, predicate) => recordsEventually(session.demo, app, predicate);

/**
 * In basic mode: a value the browser lets through but kintone refuses comes back with
 * kintone's message on its field; then a valid send lands exactly once.
 */
async function basicRoundTrip(page, host, company) {
  const form = page.locator(host);
  assert.equal(await form.locator("form").getAttribute("novalidate"), null, "the browser's own checks stay on");
  await form.getByLabel("会社名").fill(company);
  await form.getByLabel("メールアドレス").fill("a@b");
  await personPause();
  await form.getByRole("button", { name: "送信" }).click();
  const message = form.locator('[id="kform-メールアドレス-message"]');
  await message.getByText("メールアドレスの形式が正しくありません。").waitFor();
  assert.equal(await form.getByLabel("メールアドレス").getAttribute("aria-invalid"), "true");
  assert.equal(await form.getByLabel("会社名").inputValue(), company, "the values are kept");
  await form.getByRole("group", { name: "入力内容を確認してください。" }).waitFor();
  assert.deepEqual((await firstEvent(page, "invalid")).errors,
    [{ field: "メールアドレス", message: "メールアドレスの形式が正しくありません。" }]);
  await form.getByLabel("メールアドレス").fill("lead@example.com");
  await form.getByRole("button", { name: "送信" }).click();
  await form.getByText("送信しました。ありがとうございました。").waitFor();
  assert.equal((await firstEvent(page, "submitted")).state, "accepted");
  const records = await recordsOf(session.demo, (record) => record["会社名"].value === company);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const again = (await kintoneRecords(session.demo)).filter((record) => record["会社名"].value === company);
  assert.equal(again.length, 1, "exactly one record");
  return records[0];
}

test("a host page on another origin whose policy refuses WebAssembly gets a working basic form", async () => {
  await forms();
  const relay = new URL(session.demo.page).origin;
  const page = await session.open("/blank.html");
  const policy = `default-src 'none'; script-src ${relay}; connect-src ${relay}; style-src 'none'`;
  await page.route(`${host()}/elsewhere.html`, (route) => route.fulfill({
    contentType: "text/html; charset=utf-8",
    headers: { "content-security-policy": policy },
    body: `<!doctype html><html lang="ja"><title>host</title>
      <script type="module" src="${relay}/widget/kform.js"></script>
      <div id="lead" data-kform="elsewhere" data-kform-relay="${relay}"></div>`,
  }));
  await recordEvents(page);
  await page.goto(`${host()}/elsewhere.html`);
  assert.deepEqual(await firstEvent(page, "ready"), { mode: "basic" });
  const failure = await firstEvent(page, "error");
  assert.equal(failure.stage, "script");
  assert.match(failure.reason, /WebAssembly|wasm/i, "the policy refused to compile the .wasm");
  const record = await basicRoundTrip(page, "#lead", "別オリジン株式会社");
  assert.equal(record["フォーム識別"].value, "lp-elsewhere");
});

test("a browser without WebAssembly gets the same form in basic mode", async () => {
  const page = await session.browser.newPage();
  await page.addInitScript(() => { delete window.WebAssembly; });
  await recordEvents(page);
  await page.goto(session.demo.page);
  assert.deepEqual(await firstEvent(page, "ready"), { mode: "basic" });
  assert.deepEqual(await firstEvent(page, "error"), { stage: "script", reason: "this browser runs no WebAssembly" });
  await assertAccessible(page, "in basic mode");
  await basicRoundTrip(page, "#contact", "WASMなし株式会社");
  await assertAccessible(page, "in basic mode after sending");
  await page.close();
});

test("a captcha form in basic mode shows the challenge and sends with its answer, once", async () => {
  const page = await session.browser.newPage();
  await page.addInitScript(() => { delete window.WebAssembly; });
  await fakeTurnstile(page);
  await recordEvents(page);
  await page.goto(new URL("/captcha.html", session.demo.page).href);
  assert.deepEqual(await firstEvent(page, "ready"), { mode: "basic" });
  const form = page.locator("#captcha");
  await page.getByRole("button", { name: "I am human" }).waitFor();
  assert.deepEqual(await page.evaluate(() => window.rendered), { sitekey: "1x00000000000000000000AA", language: "ja", inShadow: false });
  await form.getByLabel("会社名").fill("基本キャプチャ株式会社");
  await form.getByLabel("メールアドレス").fill("basic-captcha@example.com");
  await personPause();
  // Sent before the challenge is answered: the relay says so, on the same form.
  await form.getByRole("button", { name: "送信" }).click();
  await form.getByText("ロボットでないことを確認できませんでした。もう一度確認してから送信してください。").waitFor();
  assert.equal(await form.getByLabel("会社名").inputValue(), "基本キャプチャ株式会社", "the values are kept");
  assert.equal(await page.evaluate(() => window.resets), 1, "the challenge starts again");
  await page.getByRole("button", { name: "I am human" }).click();
  const sent = page.waitForResponse((response) => response.request().method() === "POST" && response.url().includes("/html"));
  await form.getByRole("button", { name: "送信" }).click();
  assert.equal((await sent).headers()["kform-outcome"], "sent");
  assert.match((await sent).request().postData(), /kform_captcha_token=XXXX\.DUMMY\.TOKEN\.XXXX/);
  await form.getByText("送信しました。ありがとうございました。").waitFor();
  const records = await recordsOf(session.demo, (record) => record["会社名"].value === "基本キャプチャ株式会社");
  assert.equal(records.length, 1);
  assert.equal(records[0]["フォーム識別"].value, "demo-captcha");
  assert.equal(await page.locator(".kform-captcha").count(), 0, "the challenge goes with the form");
  await page.close();
});

test("the demo's page without 'wasm-unsafe-eval' shows its form in basic mode", async () => {
  const page = await session.browser.newPage();
  await recordEvents(page);
  await page.goto(new URL("/no-wasm.html", session.demo.page).href);
  assert.deepEqual(await firstEvent(page, "ready"), { mode: "basic" });
  await page.locator("#contact").getByLabel("会社名").waitFor();
  await page.close();
});

test("what the visitor typed, chose and attached before a late .wasm arrived stays, focus included", async () => {
  await forms();
  const page = await session.open("/blank.html");
  let release;
  const arrived = new Promise((resolve) => (release = resolve));
  await page.route("**/kform_widget*_bg.wasm", async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await route.continue();
    release();
  });
  await page.evaluate(() => {
    const host = Object.assign(document.createElement("div"), { id: "late" });
    Object.assign(host.dataset, { kform: "late", kformRelay: "/" });
    document.body.append(host);
    const script = Object.assign(document.createElement("script"), { type: "module", src: "/widget/kform.js" });
    document.head.append(script);
  });
  const form = page.locator("#late");
  await form.locator("form").waitFor();
  assert.equal(await form.locator("form").getAttribute("novalidate"), null, "not taken over yet");
  await form.getByLabel("氏名").fill("遅延 太郎");
  await form.getByRole("textbox", { name: /^メール/ }).fill("late@example.com");
  await form.getByLabel("業種").selectOption("製造");
  await form.getByRole("radio", { name: "電話" }).check();
  // kintone's default box unticked and others ticked: the takeover reads boxes as they are.
  await form.getByRole("checkbox", { name: "製品A" }).uncheck();
  await form.getByRole("checkbox", { name: "製品B" }).check();
  await form.getByRole("checkbox", { name: "西日本" }).check();
  await form.getByLabel("添付資料").setInputFiles({ name: "memo.txt", mimeType: "text/plain", buffer: Buffer.from("kform") });
  await form.getByLabel("相談内容").fill("途中まで");
  await form.getByLabel("相談内容").evaluate((area) => area.setSelectionRange(2, 2));
  assert.equal(await form.locator("form").getAttribute("novalidate"), null, "still not taken over");
  await arrived;
  await form.locator("form[novalidate]").waitFor();
  assert.equal(await form.getByLabel("氏名").inputValue(), "遅延 太郎");
  assert.equal(await form.getByRole("textbox", { name: /^メール/ }).inputValue(), "late@example.com");
  assert.equal(await form.getByLabel("業種").inputValue(), "製造");
  assert.equal(await form.getByRole("radio", { name: "電話" }).isChecked(), true);
  assert.equal(await form.locator(".kform-files").innerText(), "memo.txt");
  const focus = await page.evaluate(() => {
    const active = document.querySelector("#late").shadowRoot.activeElement;
    return { name: active?.name, caret: active?.selectionStart };
  });
  assert.deepEqual(focus, { name: "相談内容", caret: 2 }, "the focus and the caret stay");
  await page.keyboard.type("入力");
  assert.equal(await form.getByLabel("相談内容").inputValue(), "途中入力まで");
  await personPause();
  await form.getByLabel("氏名").focus();
  await page.keyboard.press("Enter");
  await form.getByText("送信しました。ありがとうございました。").waitFor();
  assert.equal(await page.evaluate(() => document.querySelector("#late").shadowRoot.activeElement?.id),
    "kform-thanks", "after a keyboard send the focus is on the thanks, not on <body>");
  const records = await recordsOf(session.demo.showcase, (record) => record["氏名"].value === "遅延 太郎");
  await new Promise((resolve) => setTimeout(resolve, 500));
  const all = (await kintoneRecords(session.demo, session.demo.showcase)).filter((record) => record["氏名"].value === "遅延 太郎");
  assert.equal(all.length, 1, "exactly one record");
  assert.equal(records[0]["業種"].value, "製造");
  assert.equal(records[0]["連絡方法"].value, "電話");
  assert.deepEqual(records[0]["関心"].value, ["製品B"]);
  assert.deepEqual(records[0]["地域"].value, ["西日本"]);
  assert.equal(records[0]["相談内容"].value, "途中入力まで");
  assert.deepEqual(records[0]["添付資料"].value.map((file) => file.name), ["memo.txt"]);
  assert.deepEqual(page.errors, []);
});

/** Changes the next post of the hosted page as `change(params)` says, once. */
async function changeNextPost(page, change) {
  const hosted = (url) => url.pathname === "/f/contact";
  await page.route(hosted, async (route) => {
    if (route.request().method() !== "POST") return route.continue();
    const params = new URLSearchParams(route.request().postData());
    change(params);
    await route.continue({ postData: params.toString() });
    await page.unroute(hosted);
  });
}

test("the hosted page works with JavaScript turned off", async () => {
  const context = await session.browser.newContext({ javaScriptEnabled: false, timezoneId: "Asia/Tokyo" });
  const page = await context.newPage();
  const url = new URL("/f/contact", session.demo.page).href;
  await page.goto(url);
  await page.getByLabel("メールアドレス").fill("nojs@example.com");
  await page.getByLabel("お問い合わせ内容").fill("一行目\n二行目");
  // The browser's own check stops an empty required field before anything is sent.
  let posts = 0;
  page.on("request", (request) => (posts += request.method() === "POST" ? 1 : 0));
  await page.getByRole("button", { name: "送信" }).click();
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(posts, 0, "nothing was sent");
  // A browser that does not check sends it empty: the relay answers with the page, kintone's
  // message on the field and the other values kept.
  await page.getByLabel("会社名").fill("x");
  await changeNextPost(page, (params) => params.set("会社名", ""));
  await personPause();
  await page.getByRole("button", { name: "送信" }).click();
  await page.locator('[id="kform-会社名-message"]').getByText("必須です。").waitFor();
  assert.equal(await page.getByLabel("会社名").getAttribute("aria-invalid"), "true");
  assert.equal(await page.getByLabel("会社名").inputValue(), "");
  assert.equal(await page.getByLabel("メールアドレス").inputValue(), "nojs@example.com");
  assert.equal(await page.getByLabel("お問い合わせ内容").inputValue(), "一行目\n二行目");
  await page.getByLabel("会社名").fill("スクリプトなし株式会社");
  await page.getByRole("button", { name: "送信" }).click();
  await page.getByText("送信しました。ありがとうございました。").waitFor();
  assert.match(page.url(), /\/f\/contact\/sent\?lang=ja$/, "Post/Redirect/Get");
  const records = await recordsOf(session.demo, (record) => record["会社名"].value === "スクリプトなし株式会社");
  assert.equal(records.length, 1);
  assert.equal(records[0]["フォーム識別"].value, "demo-contact");
  assert.equal(records[0]["お問い合わせ内容"].value, "一行目\n二行目");
  // A forged or missing render token is refused, and nothing lands.
  for (const [name, forge] of [["偽造株式会社", (params) => params.set("kform_render_token", "e30.AAAA")],
    ["欠落株式会社", (params) => params.delete("kform_render_token")]]) {
    await page.goto(url);
    await page.getByLabel("会社名").fill(name);
    await page.getByLabel("メールアドレス").fill("forged@example.com");
    await changeNextPost(page, forge);
    await page.getByRole("button", { name: "送信" }).click();
    await page.getByText("フォームの有効期限が切れていたため、送信できませんでした。もう一度送信してください。").waitFor();
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
  const forged = (await kintoneRecords(session.demo)).filter((record) => /偽造|欠落/.test(record["会社名"].value));
  assert.equal(forged.length, 0);
  // The refusal came with a new token and the values: sent again as it is, it lands, once.
  assert.equal(await page.getByLabel("会社名").inputValue(), "欠落株式会社");
  await personPause();
  await page.getByRole("button", { name: "送信" }).click();
  await page.getByText("送信しました。ありがとうございました。").waitFor();
  assert.equal((await recordsOf(session.demo, (record) => record["会社名"].value === "欠落株式会社")).length, 1);
  await context.close();
  // The page has no accessibility violations: axe-core runs in it as an injected script, which
  // the page's own policy (no scripts at all) would refuse, so only that policy is set aside.
  const shown = await session.open("/f/contact", { bypassCSP: true });
  await assertAccessible(shown, "on the hosted page");
  await shown.getByRole("button", { name: "送信" }).click();
  await assertAccessible(shown, "on the hosted page with the browser's own messages");
});

/**
 * The vertical space between the shown parts of each of the form's pages in `root` (an element
 * whose shadow root holds the form, or the form's own element), in px, and the space above the
 * first page's first part.
 */
function spacing(root) {
  const box = (element) => element.getBoundingClientRect();
  const tenth = (px) => Math.round(px * 10) / 10;
  const inside = root.shadowRoot ?? root;
  const pages = [...inside.querySelectorAll(".kform-page")].filter((page) => page.getClientRects().length);
  const gaps = pages.flatMap((page) => {
    const parts = [...page.children].filter((part) => part.getClientRects().length);
    return parts.slice(1).map((part, i) => tenth(box(part).top - box(parts[i]).bottom));
  });
  const first = [...pages[0].children].find((part) => part.getClientRects().length);
  return { gaps, above: tenth(box(first).top - box(inside.querySelector(".kform-form")).top) };
}

test("a form's items are --kform-gap apart in every mode, and the host page sets it", async () => {
  const expect = async (page, selector, gap, what) => {
    const { gaps, above } = await page.locator(selector).evaluate(spacing);
    assert.ok(gaps.length >= 3, `${what}: ${gaps.length} gaps measured`);
    assert.deepEqual([...new Set(gaps)], [gap], `${what}: every item ${gap}px from the next`);
    assert.equal(above, 0, `${what}: the empty error summary's place adds no space above the items`);
  };
  // Enhanced, on the demo's page: 1em of the form's 15px, then the page's own.
  const page = await session.open("/");
  await page.locator("#contact form[novalidate]").waitFor();
  await expect(page, "#contact", 15, "embedded");
  await page.locator("#contact").evaluate((host) => host.style.setProperty("--kform-gap", "24px"));
  await expect(page, "#contact", 24, "embedded, the host page's --kform-gap");
  await page.context().close();
  // Without JavaScript: the hosted page, and an included form with steps, every step shown.
  const context = await session.browser.newContext({ javaScriptEnabled: false });
  const plain = await context.newPage();
  await plain.goto(new URL("/f/contact", session.demo.page).href);
  await expect(plain, ".kform", 15, "hosted");
  await plain.goto(new URL("/included-steps.html", session.demo.page).href);
  await expect(plain, "[data-kform=steps]", 15, "included, JavaScript off");
  await context.close();
});

test("a form that cannot load says so, and tells the page why in a sentence", async () => {
  const relay = new URL(session.demo.page).origin;
  const page = await session.open("/blank.html");
  await recordEvents(page);
  // The demo's contact form allows only the relay's own origin.
  await page.route(`${host()}/refused.html`, (route) => route.fulfill({
    contentType: "text/html; charset=utf-8",
    body: `<!doctype html><html lang="en"><title>host</title>
      <script type="module" src="${relay}/widget/kform.js"></script>
      <div id="refused" data-kform="contact" data-kform-relay="${relay}"></div>
      <div id="down" data-kform="contact" data-kform-relay="http://127.0.0.1:9"><a href="${relay}/f/contact">Open the form</a></div>
      <div id="proxied" data-kform="contact" data-kform-relay="http://proxy.test"></div>`,
  }));
  // A proxy (or a captive portal) between the page and the relay answers with a page of its own.
  await page.route("http://proxy.test/**", (route) => route.fulfill({
    contentType: "text/html; charset=utf-8",
    headers: { "access-control-allow-origin": "*" },
    body: "<!doctype html><title>Access denied</title><h1>This site is blocked by your network</h1>",
  }));
  await page.goto(`${host()}/refused.html`);
  await page.waitForFunction(() => window.kform.error.length === 3);
  const reasons = await page.evaluate(() => window.kform.error.map((detail) => `${detail.stage}: ${detail.reason}`).sort());
  assert.deepEqual(reasons, [
    `load: the relay at http://127.0.0.1:9 could not be reached`,
    `load: the relay at http://proxy.test answered with something other than the form`,
    `load: this page's origin (${host()}) is not in the allowed_origins of form "contact"`,
  ]);
  for (const id of ["#refused", "#down", "#proxied"]) {
    assert.equal(await page.locator(id).getByRole("alert").innerText(), "The form could not be loaded.");
  }
  // What the page put in the element for this case shows below the message.
  assert.equal(await page.locator("#down").getByRole("link", { name: "Open the form" }).isVisible(), true);
});

test("what a page puts in the element shows only where the form cannot: kform.js blocked, or JavaScript off", async () => {
  const relay = new URL(session.demo.page).origin;
  const body = `<!doctype html><html lang="en"><title>host</title>
    <script type="module" src="${relay}/widget/kform.js"></script>
    <div id="contact" data-kform="contact" data-kform-relay="${relay}" data-kform-lang="en"><a href="${relay}/f/contact">Open the form</a></div>`;
  const fallback = (page) => page.getByRole("link", { name: "Open the form" });
  // The demo's contact form allows the relay's own origin: the page is served from there.
  const open = async (context, block) => {
    const page = await context.newPage();
    await page.route(`${relay}/fallback.html`, (route) => route.fulfill({ contentType: "text/html; charset=utf-8", body }));
    if (block) await page.route(`${relay}/widget/kform.js`, (route) => route.abort("blockedbyclient"));
    await page.goto(`${relay}/fallback.html`);
    return page;
  };
  // While the markup is on its way, the fallback; then the form, never the fallback beside it.
  const context = await session.browser.newContext();
  let arrive;
  const arrived = new Promise((resolve) => (arrive = resolve));
  await context.route(`${relay}/v1/forms/contact/html?lang=en`, async (route) => {
    await arrived;
    await route.continue();
  });
  const shown = await open(context, false);
  await shown.waitForFunction(() => window.customElements.get("kform-form"));
  assert.equal(await fallback(shown).isVisible(), true, "the fallback shows while the form loads");
  arrive();
  await shown.locator("#contact form[novalidate]").waitFor();
  assert.equal(await fallback(shown).isVisible(), false, "the fallback is hidden beside the form");
  await context.close();
  // kform.js blocked (an extension, a policy): the fallback, which leads to the hosted page.
  const blocked = await open(await session.browser.newContext(), true);
  await fallback(blocked).click();
  await blocked.waitForURL(`${relay}/f/contact`);
  await blocked.getByRole("button", { name: "送信" }).waitFor();
  await blocked.context().close();
  // JavaScript off: the fallback too.
  const plain = await open(await session.browser.newContext({ javaScriptEnabled: false }), false);
  assert.equal(await fallback(plain).isVisible(), true, "the fallback shows without JavaScript");
  await plain.context().close();
});

test("an enhanced form refused as out of date is sent again as it is, with the token the refusal carries", async () => {
  const { page, release } = await openHeld(session, "/");
  const form = page.locator("#contact");
  // A token the relay no longer accepts (as after its key changed), there before the takeover.
  await form.locator("input[name=kform_render_token]").evaluate((input) => (input.value = "e30.AAAA"));
  release();
  assert.deepEqual(await firstEvent(page, "ready"), { mode: "enhanced" });
  await form.getByLabel("会社名").fill("期限切れ再送株式会社");
  await form.getByLabel("メールアドレス").fill("again@example.com");
  await personPause();
  await form.getByRole("button", { name: "送信" }).click();
  await form.getByText("フォームの有効期限が切れていたため、送信できませんでした。もう一度送信してください。").waitFor();
  assert.equal(await form.getByLabel("会社名").inputValue(), "期限切れ再送株式会社", "nothing typed is lost");
  await personPause();
  await form.getByRole("button", { name: "送信" }).click();
  await form.getByText("送信しました。ありがとうございました。").waitFor();
  assert.equal((await recordsOf(session.demo, (record) => record["会社名"].value === "期限切れ再送株式会社")).length, 1);
  await page.context().close();
});

test("a form mounted in an element while another is still loading there is the one shown", async () => {
  const page = await session.open("/blank.html");
  // The first form's markup comes last.
  let arrive;
  const arrived = new Promise((resolve) => (arrive = resolve));
  await page.route("**/v1/forms/contact/html", async (route) => {
    await arrived;
    await route.continue();
  });
  await page.evaluate(async () => {
    const { KForm } = await import("/widget/kform.js");
    const host = document.body.appendChild(document.createElement("div"));
    host.id = "host";
    KForm.mount(host, { form: "contact", relay: "/" });
    await KForm.mount(host, { form: "steps", relay: "/" });
  });
  arrive();
  await page.locator("#host form[novalidate]").waitFor();
  // The late markup has arrived and was read (its request finished) by the time the page is idle.
  await page.waitForLoadState("networkidle");
  const actions = await page.locator("#host form").evaluateAll((forms) => forms.map((form) => new URL(form.action).pathname));
  assert.deepEqual(actions, ["/f/steps"], "only the form mounted last");
});

test("the hosted page of a captcha form shows the challenge where a script runs, with or without WebAssembly", async () => {
  for (const wasm of [true, false]) {
    const page = await session.browser.newPage();
    page.errors = [];
    page.on("console", (message) => message.type() === "error" && page.errors.push(message.text()));
    if (!wasm) await page.addInitScript(() => { delete window.WebAssembly; });
    await fakeTurnstile(page);
    await recordEvents(page);
    await page.goto(new URL("/f/captcha", session.demo.page).href);
    assert.deepEqual(await firstEvent(page, "ready"), { mode: wasm ? "enhanced" : "basic" });
    // The page's policy lets the provider's script in; the challenge sits in the form.
    await page.locator("form").getByRole("button", { name: "I am human" }).waitFor();
    assert.equal(await page.getByText("JavaScript が必要です").isHidden(), true, "the script runs");
    const company = wasm ? "ホストキャプチャ株式会社" : "ホストキャプチャ基本株式会社";
    await page.getByLabel("会社名").fill(company);
    await page.getByLabel("メールアドレス").fill("hosted-captcha@example.com");
    await page.getByLabel("問い合わせ種別").selectOption("見積依頼");
    await personPause();
    await page.getByRole("button", { name: "I am human" }).click();
    await page.getByRole("button", { name: "送信" }).click();
    await page.getByText("送信しました。ありがとうございました。").waitFor();
    // Without WebAssembly the plain form posted itself, the provider's own copy of the answer
    // with it, and the relay redirected to the thanks.
    assert.match(page.url(), wasm ? /\/f\/captcha$/ : /\/f\/captcha\/sent/);
    const records = await recordsOf(session.demo, (record) => record["会社名"].value === company);
    assert.equal(records.length, 1);
    assert.equal(records[0]["フォーム識別"].value, "demo-captcha");
    assert.deepEqual(page.errors, []);
    await page.close();
  }
});

test("with JavaScript the hosted page is taken over like an embedded form", async () => {
  const context = await session.browser.newContext({ timezoneId: "Asia/Tokyo" });
  const page = await context.newPage();
  page.errors = [];
  page.on("console", (message) => message.type() === "error" && page.errors.push(message.text()));
  await recordEvents(page);
  await page.goto(new URL("/f/contact", session.demo.page).href);
  assert.deepEqual(await firstEvent(page, "ready"), { mode: "enhanced" });
  assert.equal(await page.locator("form").getAttribute("novalidate"), "", "the WebAssembly checks now");
  // kintone's live check, as the visitor leaves the field.
  await page.getByLabel("メールアドレス").fill("taro@");
  await page.getByLabel("会社名").focus();
  await page.locator('[id="kform-メールアドレス-message"]').getByText("メールアドレスの形式が正しくありません。").waitFor();
  await page.getByLabel("メールアドレス").fill("hosted@example.com");
  await page.getByLabel("会社名").fill("ホスト株式会社");
  await personPause();
  await page.getByRole("button", { name: "送信" }).click();
  await page.getByText("送信しました。ありがとうございました。").waitFor();
  assert.match(page.url(), /\/f\/contact$/, "sent in place, without leaving the page");
  assert.equal((await firstEvent(page, "submitted")).state, "accepted");
  assert.equal((await recordsOf(session.demo, (record) => record["会社名"].value === "ホスト株式会社")).length, 1);
  assert.deepEqual(page.errors, []);
  await context.close();
});

test("a form's theme colors its hosted page under the page's strict policy", async () => {
  await admin(session, "POST", "/v1/admin/forms", {
    connection: "demo", allowed_origins: [], captcha: false,
    theme: { accent: "#aa0000", accent_text: "#ffffee", radius_px: 0 },
    spec: { format: 1, id: "themed", app: 1, default_lang: "ja", items: [{ field: "会社名" }] },
  });
  const page = await session.open("/f/themed");
  const send = page.getByRole("button", { name: "送信" });
  await send.waitFor();
  const look = await send.evaluate((button) => {
    const style = getComputedStyle(button);
    return [style.backgroundColor, style.color, style.borderTopLeftRadius];
  });
  assert.deepEqual(look, ["rgb(170, 0, 0)", "rgb(255, 255, 238)", "0px"]);
  assert.deepEqual(page.errors, [], "the theme is the page's own stylesheet: the policy refuses nothing");
});

test("a step sent before the .wasm arrived moves on once it has, though a later step has required fields", async () => {
  const { page, release } = await openHeld(session, "/steps.html");
  const form = page.locator("[data-kform=steps]");
  await form.getByLabel("氏名").fill("先送り 三郎");
  await form.getByLabel("メールアドレス").fill("saburo@example.com");
  // The browser does not stop this send at the second step's required 業種, which it hides:
  // kform.js holds it for the WebAssembly.
  const next = form.getByRole("button", { name: "次へ", exact: true });
  await next.click();
  // Held, it looks busy and keeps the focus.
  assert.equal(await next.getAttribute("aria-disabled"), "true");
  assert.equal(await next.evaluate((button) => button.getRootNode().activeElement === button), true, "the focus stays on it");
  assert.equal(await next.evaluate((button) => getComputedStyle(button).cursor), "progress");
  release();
  assert.deepEqual(await firstEvent(page, "ready"), { mode: "enhanced" });
  await form.getByLabel("業種").waitFor();
  assert.equal(await next.getAttribute("aria-disabled"), null, "no longer busy once sent");
  assert.equal(await form.getByLabel("氏名").isVisible(), false, "on the second step");
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("each form gets the .wasm with just what it uses (lean, rows, confirm), several on one page", async () => {
  const wasmFiles = (page) => page.evaluate(() => performance.getEntriesByType("resource")
    .filter((entry) => entry.name.endsWith(".wasm")).map((entry) => new URL(entry.name).pathname).sort());
  const page = await session.open("/blank.html");
  const mount = (forms) => page.evaluate((forms) => {
    if (!window.modes) {
      window.modes = [];
      document.addEventListener("kform:ready", (event) => window.modes.push(event.detail.mode));
    }
    for (const form of forms) {
      const host = Object.assign(document.createElement("div"), { id: form });
      document.body.append(host);
      import("/widget/kform.js").then(({ KForm }) => KForm.mount(host, { form, relay: "/" }));
    }
  }, forms);
  const enhanced = (id) => page.locator(`#${id} form[novalidate]`).waitFor();
  // The contact form alone: the lean .wasm only.
  await mount(["contact"]);
  await enhanced("contact");
  assert.equal(await page.locator("#contact .kform").getAttribute("data-kform-wasm"), "lean");
  assert.deepEqual(await wasmFiles(page), ["/widget/kform_widget_lean_bg.wasm"]);
  const contact = page.locator("#contact");
  await contact.getByLabel("メールアドレス").fill("taro@");
  await contact.getByLabel("会社名").focus();
  await contact.getByText("メールアドレスの形式が正しくありません。").waitFor();
  // Then the form with steps and a confirmation screen beside it, and the one with a subtable:
  // each its own .wasm, on the same page, each form taken over by its own.
  await mount(["steps"]);
  await enhanced("steps");
  assert.equal(await page.locator("#steps .kform").getAttribute("data-kform-wasm"), "confirm");
  assert.deepEqual(await wasmFiles(page), ["/widget/kform_widget_confirm_bg.wasm", "/widget/kform_widget_lean_bg.wasm"]);
  await mount(["showcase"]);
  await enhanced("showcase");
  assert.equal(await page.locator("#showcase .kform").getAttribute("data-kform-wasm"), "rows");
  assert.deepEqual(await wasmFiles(page), [
    "/widget/kform_widget_confirm_bg.wasm", "/widget/kform_widget_lean_bg.wasm", "/widget/kform_widget_rows_bg.wasm",
  ]);
  assert.deepEqual(await page.evaluate(() => window.modes), ["enhanced", "enhanced", "enhanced"]);
  // The rows .wasm adds a subtable's row.
  const showcase = page.locator("#showcase");
  const rows = showcase.locator(".kform-row");
  const before = await rows.count();
  await showcase.getByRole("button", { name: "行を追加" }).click();
  await page.waitForFunction(([count]) =>
    document.querySelector("#showcase").shadowRoot.querySelectorAll(".kform-row").length === count, [before + 1]);
  // The confirm .wasm's steps: kintone's check of the first, then the second.
  const steps = page.locator("#steps");
  await steps.getByLabel("メールアドレス").fill("hanako@");
  await steps.getByRole("button", { name: "次へ" }).click();
  await steps.locator(".kform-message").getByText("メールアドレスの形式が正しくありません。").waitFor();
  await steps.getByLabel("メールアドレス").fill("hanako@example.com");
  await steps.getByLabel("氏名").fill("段階 花子");
  await steps.getByRole("button", { name: "次へ" }).click();
  await steps.getByLabel("業種").waitFor();
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("a page's fetched form starts the lean .wasm on a guess, which a form needing another one stops", async () => {
  const page = await session.browser.newPage();
  const failed = [];
  page.on("requestfailed", (request) => failed.push(`${new URL(request.url()).pathname} ${request.failure()?.errorText}`));
  // The lean .wasm held long enough for the markup to say which build the form needs.
  await page.route("**/kform_widget_lean_bg.wasm", async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await route.continue().catch(() => {});
  });
  await recordEvents(page);
  await page.goto(new URL("/steps.html", session.demo.page).href);
  assert.deepEqual(await firstEvent(page, "ready"), { mode: "enhanced" });
  await page.waitForTimeout(1600);
  assert.deepEqual(failed, ["/widget/kform_widget_lean_bg.wasm net::ERR_ABORTED"], "the guess stopped");
  // The stopped one is listed with nothing received.
  const wasm = await page.evaluate(() => performance.getEntriesByType("resource")
    .filter((entry) => entry.name.endsWith(".wasm"))
    .map((entry) => `${new URL(entry.name).pathname} ${entry.encodedBodySize > 0 ? "received" : "nothing"}`));
  assert.deepEqual(wasm, ["/widget/kform_widget_lean_bg.wasm nothing", "/widget/kform_widget_confirm_bg.wasm received"]);
  // The contact page's guess is its form's build: one .wasm, the lean one.
  const contact = await session.browser.newPage();
  await contact.goto(session.demo.page);
  await contact.locator("#contact form[novalidate]").waitFor();
  const fetched = await contact.evaluate(() => performance.getEntriesByType("resource")
    .filter((entry) => entry.name.endsWith(".wasm")).map((entry) => `${new URL(entry.name).pathname} ${entry.initiatorType}`));
  assert.deepEqual(fetched, ["/widget/kform_widget_lean_bg.wasm fetch"]);
  await page.close();
  await contact.close();
});
