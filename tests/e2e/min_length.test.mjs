// kintone checks minLength on an empty value too: a field with one behaves as required. The
// visitor who leaves it empty sees kintone's message on it, in the enhanced form and on the
// hosted page without JavaScript, and nothing is accepted that kintone would refuse later (no
// dead letter); filled in, the lead lands.
import assert from "node:assert/strict";
import { test } from "node:test";

import { changeAppFields, recordsEventually } from "./demo.mjs";
import { admin, countSubmissions, personPause, useDemo } from "./session.mjs";

const session = useDemo();

/** Adds 部署名 (optional, minLength 2) to the contact app, syncs it and maps it on a new form. */
let added;
const form = () => (added ??= addForm());

async function addForm() {
  await changeAppFields(session.demo, (properties) => {
    properties["部署名"] = {
      type: "SINGLE_LINE_TEXT", code: "部署名", label: "部署名", noLabel: false, required: false,
      unique: false, minLength: "2", maxLength: "20", defaultValue: "", expression: "", hideExpression: false,
    };
  });
  const { app } = session.demo;
  await admin(session, "POST", `/v1/admin/connections/demo/apps/${app}/sync`);
  const saved = await admin(session, "POST", "/v1/admin/forms", {
    connection: "demo", allowed_origins: [], captcha: false,
    spec: { format: 1, id: "dept", app: Number(app), default_lang: "ja", items: [
      { field: "会社名" }, { field: "メールアドレス" }, { field: "部署名" },
      { field: "フォーム識別", hidden: "lp-dept" },
    ] },
  });
  // The author is told: kintone refuses the field blank, and the form shows it as required.
  assert.deepEqual(saved.lint.map((issue) => [issue.field, issue.problem, issue.severity]),
    [["部署名", "min_length_optional", "warning"]]);
}

test("an empty field with a minLength gets kintone's message, and nothing dead-letters", async () => {
  await form();
  const page = await session.open("/f/dept");
  await page.locator("form[novalidate]").waitFor();
  const dept = page.getByLabel("部署名");
  assert.equal(await dept.getAttribute("required"), "", "marked required");
  assert.equal(await page.locator('label[for="kform-部署名"] .kform-required').count(), 1);
  await page.getByLabel("会社名").fill("最小株式会社");
  await page.getByLabel("メールアドレス").fill("min@example.com");
  const sent = countSubmissions(page);
  await personPause();
  await page.getByRole("button", { name: "送信" }).click();
  await page.locator('[id="kform-部署名-message"]').getByText("1文字より長くなければなりません。").waitFor();
  assert.equal(await dept.getAttribute("aria-invalid"), "true");
  assert.equal(sent(), 0, "nothing kintone would refuse is sent");
  await dept.fill("営業");
  await page.getByRole("button", { name: "送信" }).click();
  await page.getByText("送信しました。ありがとうございました。").waitFor();
  const records = await recordsEventually(session.demo, session.demo, (record) => record["会社名"].value === "最小株式会社");
  assert.equal(records.length, 1);
  assert.equal(records[0]["部署名"].value, "営業");
  assert.deepEqual(page.errors, []);
});

test("without JavaScript the relay refuses the empty field with kintone's message", async () => {
  await form();
  const context = await session.browser.newContext({ javaScriptEnabled: false, timezoneId: "Asia/Tokyo" });
  const page = await context.newPage();
  await page.goto(new URL("/f/dept", session.demo.page).href);
  assert.equal(await page.getByLabel("部署名").getAttribute("required"), "", "the browser's own check");
  // A browser that does not check sends it empty: the relay answers with kintone's message.
  await page.getByLabel("会社名").fill("素のまま株式会社");
  await page.getByLabel("メールアドレス").fill("plain@example.com");
  await page.getByLabel("部署名").fill("営業");
  const hosted = (url) => url.pathname === "/f/dept";
  await page.route(hosted, async (route) => {
    if (route.request().method() !== "POST") return route.continue();
    const params = new URLSearchParams(route.request().postData());
    params.set("部署名", "");
    await route.continue({ postData: params.toString() });
    await page.unroute(hosted);
  });
  await personPause();
  await page.getByRole("button", { name: "送信" }).click();
  await page.locator('[id="kform-部署名-message"]').getByText("1文字より長くなければなりません。").waitFor();
  assert.equal(await page.getByLabel("会社名").inputValue(), "素のまま株式会社", "values kept");
  await context.close();
  // Nothing was accepted for kintone to refuse later: no dead letter, nothing pending.
  const status = await admin(session, "GET", "/v1/admin/delivery");
  const stages = status.forms.dept ?? {};
  assert.equal(stages.dead_letter ?? 0, 0, JSON.stringify(status));
  assert.equal(stages.pending ?? 0, 0, JSON.stringify(status));
});
