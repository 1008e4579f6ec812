// The thin slice in a real browser: the demo page, the widget in its shadow root, the relay and
// the fake kintone, from invalid input to a record read back with kintone's API.
import assert from "node:assert/strict";
import { test } from "node:test";

import { kintoneRecords, recordsEventually } from "./demo.mjs";
import { admin, personPause, useDemo } from "./session.mjs";

const session = useDemo();

test("invalid input shows kintone's messages and sends nothing; valid input lands in kintone", async () => {
  const page = await session.browser.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(error.message));
  const requested = [];
  page.on("request", (request) => requested.push(request.url()));
  await page.goto(session.demo.page);

  // Playwright's locators see inside open shadow roots.
  const form = page.locator("#contact form");
  await form.waitFor();
  const shownAt = Date.now();
  await page.locator("#contact form[novalidate]").waitFor();
  assert.equal(await page.locator("#contact").evaluate((el) => el.querySelector("form")), null,
    "the form lives in the shadow root, not in the page's DOM");
  const company = page.getByLabel("会社名");
  const email = page.getByLabel("メールアドレス");
  assert.equal(await page.getByLabel("フォーム識別").count(), 0, "the hidden identifier is not shown");

  // Invalid: too long a company name, no e-mail.
  await company.fill("あ".repeat(65));
  assert.equal((await company.inputValue()).length, 64, "the browser stops at kintone's maximum");
  // A longer value set by a script (an autofill extension, say) gets kintone's own message.
  await company.evaluate((input) => {
    input.value = "あ".repeat(65);
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });
  await page.getByRole("button", { name: "送信" }).click();
  await page.getByText("65文字より短くなければなりません。", { exact: true }).waitFor();
  await page.getByText("必須です。", { exact: true }).waitFor();
  assert.equal(await company.getAttribute("aria-invalid"), "true");
  const described = await company.getAttribute("aria-describedby");
  assert.equal(await page.locator(`#contact [id="${described}"]`).textContent(),
    "65文字より短くなければなりません。", "the message is linked to its input");
  // The error summary takes the focus and links to each field.
  const summary = page.getByRole("group", { name: "入力内容を確認してください。" });
  await page.waitForFunction(() =>
    document.querySelector("#contact").shadowRoot.activeElement?.classList.contains("kform-summary"));
  assert.deepEqual(await summary.getByRole("link").allTextContents(),
    ["会社名: 65文字より短くなければなりません。", "メールアドレス: 必須です。"]);
  // A box in the error colour, as the messages are.
  assert.deepEqual(await summary.evaluate((box) => {
    const [style, message] = [box, box.getRootNode().querySelector(".kform-message span")].map(getComputedStyle);
    return [style.borderTopStyle, style.borderTopWidth, style.borderTopColor === message.color];
  }), ["solid", "2px", true]);
  await summary.getByRole("link", { name: /メールアドレス/ }).click();
  assert.equal(await email.evaluate((el) => el.getRootNode().activeElement === el), true,
    "a summary link moves the focus to its field");
  assert.deepEqual(await kintoneRecords(session.demo), [], "nothing invalid reached kintone");

  // Valid.
  await company.fill("サイボウズ株式会社");
  await email.fill("info@example.com");
  await page.getByLabel("問い合わせ種別").selectOption("見積依頼");
  await page.getByLabel("お問い合わせ内容").fill("見積をお願いします。\n二行目");
  // The relay refuses a form sent sooner than a person could (the demo's min_fill_seconds is 1).
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, 1100 - (Date.now() - shownAt))));
  const submitted = page.waitForResponse((r) => r.url().includes("/submissions"));
  await page.getByRole("button", { name: "送信" }).click();
  const response = await submitted;
  // The relay keeps the submission durably and answers at once; delivery follows.
  assert.equal(response.status(), 202);
  assert.equal((await response.json()).state, "accepted");
  assert.match(JSON.parse(response.request().postData()).render_token, /^[\w-]+\.[\w-]+$/,
    "the widget sends back the render token it got with the form");
  await page.getByText("送信しました。ありがとうございました。").waitFor();

  let records = [];
  for (let i = 0; i < 100 && records.length === 0; i += 1) {
    records = await kintoneRecords(session.demo);
    if (records.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.equal(records.length, 1, "the relay delivered the record to kintone");
  const record = records[0];
  assert.equal(record["会社名"].value, "サイボウズ株式会社");
  assert.equal(record["メールアドレス"].value, "info@example.com");
  assert.equal(record["問い合わせ種別"].value, "見積依頼");
  assert.equal(record["お問い合わせ内容"].value, "見積をお願いします。\n二行目");
  assert.equal(record["フォーム識別"].value, "demo-contact");
  assert.equal(record["$id"].value, "1");

  assert.deepEqual(errors, [], "no script errors on the page");
  assert.ok(requested.every((url) => !url.startsWith(session.demo.kintone)), "the page never talks to kintone");
  // kform.js is all the widget's JavaScript (the glue is joined into it).
  const script = await (await fetch(new URL("/widget/kform.js", session.demo.page))).text();
  assert.ok(script.includes("__wbindgen_start"), "kform.js holds the glue");
  assert.ok(!script.includes(session.demo.token), "the widget bundle holds no token");
  await page.close();
});

test("the relay serves the widget's wasm with its media type", async () => {
  for (const build of ["", "_lean", "_rows", "_confirm"]) {
    const file = `kform_widget${build}_bg.wasm`;
    const response = await fetch(new URL(`/widget/${file}`, session.demo.page));
    assert.equal(response.status, 200, file);
    assert.equal(response.headers.get("content-type"), "application/wasm", file);
  }
});

test("a form sent faster than a person could is refused with a clear message, then goes", async () => {
  const page = await session.browser.newPage();
  await page.goto(session.demo.page);
  await page.locator("#contact form[novalidate]").waitFor();
  await page.getByLabel("会社名").fill("早い会社");
  await page.getByLabel("メールアドレス").fill("fast@example.com");
  await page.getByRole("button", { name: "送信" }).click();
  await page.getByText("送信が早すぎました。もう一度送信してください。").waitFor();
  // A moment later the same submission goes through.
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const submitted = page.waitForResponse((r) => r.url().includes("/submissions"));
  await page.getByRole("button", { name: "送信" }).click();
  assert.equal((await submitted).status(), 202);
  await page.getByText("送信しました。ありがとうございました。").waitFor();
  await page.close();
});

test("a robot that fills the hidden honeypot is told 'accepted' and nothing reaches kintone", async () => {
  const page = await session.browser.newPage();
  await page.goto(session.demo.page);
  await page.locator("#contact form[novalidate]").waitFor();
  assert.equal(await page.getByRole("textbox", { name: "website" }).count(), 0,
    "it is not in the accessibility tree");
  assert.equal(await page.locator("#contact input[name=website]").isVisible(), true,
    "robots find it in the DOM");
  assert.ok(await page.locator("#contact input[name=website]").evaluate((el) => el.getBoundingClientRect().right <= 0),
    "people never see it: it is off screen");
  await page.getByLabel("会社名").fill("ロボット");
  await page.getByLabel("メールアドレス").fill("robot@example.com");
  await page.locator("#contact input[name=website]").fill("http://spam.example");
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const submitted = page.waitForResponse((r) => r.url().includes("/submissions"));
  await page.getByRole("button", { name: "送信" }).click();
  const response = await submitted;
  assert.equal(response.status(), 202);
  assert.equal(JSON.parse(response.request().postData()).honeypot, "http://spam.example");
  await page.getByText("送信しました。ありがとうございました。").waitFor();
  await new Promise((resolve) => setTimeout(resolve, 800));
  const robots = (await kintoneRecords(session.demo)).filter((r) => r["会社名"].value === "ロボット");
  assert.deepEqual(robots, [], "the robot's submission was dropped");
  await page.close();
});

test("fields are prefilled from the page address by field code", async () => {
  const page = await session.browser.newPage();
  const url = new URL(session.demo.page);
  url.searchParams.set("会社名", "サイボウズ 株式会社");
  url.searchParams.set("フォーム識別", "forged");
  await page.goto(url.href);
  await page.locator("#contact form[novalidate]").waitFor();
  assert.equal(await page.getByLabel("会社名").inputValue(), "サイボウズ 株式会社");
  await page.close();
});

test("capture items take the visit's UTM parameters from the page address, decoded, once the form is enhanced", async () => {
  await admin(session, "POST", "/v1/admin/forms", {
    connection: "demo", allowed_origins: [], captcha: false,
    spec: { format: 1, id: "campaign", app: Number(session.demo.app), default_lang: "ja", items: [
      { field: "会社名" }, { field: "メールアドレス" },
      { field: "お問い合わせ内容", capture: "utm_campaign" }, { field: "フォーム識別", capture: "utm_source" },
    ] },
  });
  const page = await session.browser.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(error.message));
  // As a mail's link writes them: `+` for a space, percent-encoded UTF-8 and punctuation.
  const source = encodeURIComponent("メルマガ 12月");
  await page.goto(new URL(`/blank.html?utm_campaign=spring+sale%21&utm_source=${source}`, session.demo.page).href);
  // The markup a script fetches cannot know the page's address: the WebAssembly fills these.
  const mode = await page.evaluate(async () => {
    const { KForm } = await import("/widget/kform.js");
    const div = Object.assign(document.createElement("div"), { id: "campaign" });
    document.querySelector("main").append(div);
    const ready = new Promise((resolve) => div.addEventListener("kform:ready", (event) => resolve(event.detail.mode)));
    await KForm.mount(div, { form: "campaign", relay: "/" });
    return ready;
  });
  assert.equal(mode, "enhanced");
  const form = page.locator("#campaign");
  assert.equal(await form.getByLabel("お問い合わせ内容").count(), 0, "a capture item is not shown");
  await form.getByLabel("会社名").fill("キャンペーン商事");
  await form.getByLabel("メールアドレス").fill("campaign@example.com");
  await personPause();
  await form.getByRole("button", { name: "送信" }).click();
  await form.locator(".kform-thanks").waitFor();
  const [record] = await recordsEventually(session.demo, session.demo,
    (record) => record["会社名"].value === "キャンペーン商事");
  assert.ok(record, "the lead lands in kintone");
  assert.equal(record["お問い合わせ内容"].value, "spring sale!");
  assert.equal(record["フォーム識別"].value, "メルマガ 12月");
  assert.deepEqual(errors, []);
  await page.close();
});

test("<kform-form> and KForm.mount with onSubmit work side by side on one page", async () => {
  const page = await session.browser.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(new URL("/element.html", session.demo.page).href);
  await page.locator("#contact form[novalidate]").waitFor();
  assert.equal(await page.locator("#contact").getByRole("button", { name: "Send" }).count(), 1,
    "the element's lang attribute is used");
  await page.evaluate(async () => {
    const { KForm } = await import("/widget/kform.js");
    const div = document.createElement("div");
    div.id = "second";
    document.querySelector("main").append(div);
    window.submitted = null;
    // kform:ready comes once the form's inputs are on the page.
    window.readyInputs = null;
    div.addEventListener("kform:ready", () => {
      window.readyInputs = div.shadowRoot.querySelectorAll("input, select, textarea").length;
    });
    await KForm.mount(div, {
      form: "contact", relay: "/", lang: "en", values: { 会社名: "Given Co", 問い合わせ種別: "見積依頼" },
      onSubmit: (detail) => { window.submitted = detail; },
    });
  });
  const second = page.locator("#second");
  await second.locator("form[novalidate]").waitFor();
  await page.waitForFunction(() => window.readyInputs !== null);
  assert.ok(await page.evaluate(() => window.readyInputs) >= 4, "kform:ready after the inputs render");
  assert.equal(await second.getByLabel("会社名").inputValue(), "Given Co", "values prefill by field code");
  assert.equal(await second.getByLabel("問い合わせ種別").inputValue(), "見積依頼");
  await second.getByLabel("会社名").fill("Second Co");
  await second.getByLabel("メールアドレス").fill("second@example.com");
  await new Promise((resolve) => setTimeout(resolve, 1100));
  await second.getByRole("button", { name: "Send" }).click();
  await page.waitForFunction(() => window.submitted !== null);
  const detail = await page.evaluate(() => window.submitted);
  assert.equal(detail.state, "accepted");
  assert.match(detail.submission_id, /^[0-9a-f-]{36}$/);
  assert.equal(await page.locator("#contact").getByLabel("会社名").inputValue(), "",
    "the element's form is independent of the second one");
  // An element a script builds attribute by attribute downloads its form once, with all three.
  const descriptors = [];
  page.on("request", (request) => {
    if (new URL(request.url()).pathname === "/v1/forms/contact/html") descriptors.push(request.url());
  });
  await page.evaluate(() => {
    const element = document.createElement("kform-form");
    element.id = "third";
    document.querySelector("main").append(element);
    element.setAttribute("form", "contact");
    element.setAttribute("relay", "/");
    element.setAttribute("lang", "en");
  });
  await page.locator("#third form").waitFor();
  assert.equal(await page.locator("#third").getByRole("button", { name: "Send" }).count(), 1);
  assert.equal(descriptors.length, 1, `one download of the form, not ${descriptors.length}`);
  // Removing the element unmounts its form, without an error.
  await page.evaluate(() => document.querySelector("#contact").remove());
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.deepEqual(errors, []);
  await page.close();
});
