// A form lives while its kintone app changes. When a field the form maps is deleted in kintone,
// an optional item drops out and the rest of the form is still sent; an item the form requires
// makes the form say it cannot be sent (and tell the page why), never a silent "invalid". A rule
// tightened after the page loaded is the relay's to catch: its 422 shows on the field.
import assert from "node:assert/strict";
import { test } from "node:test";

import { changeAppFields, recordsEventually } from "./demo.mjs";
import { admin, countSubmissions, personPause, useDemo } from "./session.mjs";

const session = useDemo();

/** Deletes `code` from the contact app in the (fake) kintone, and has the relay sync it. */
async function deleteField(code) {
  await changeAppFields(session.demo, (properties) => delete properties[code]);
  return admin(session, "POST", `/v1/admin/connections/demo/apps/${session.demo.app}/sync`);
}

/** A page of the hosted form `id` recording its events. */
async function openForm(id) {
  const page = await session.open("/blank.html");
  await page.addInitScript(() => {
    window.events = [];
    for (const name of ["kform:invalid", "kform:error", "kform:submitted"]) {
      document.addEventListener(name, (event) => window.events.push([name, event.detail]), true);
    }
  });
  await page.goto(new URL(`/f/${id}`, session.demo.page).href);
  await page.locator("form[novalidate]").waitFor();
  return page;
}

test("a deleted optional field drops out; a deleted required one says the form cannot be sent", async () => {
  const items = (required) => [
    { field: "会社名" }, { field: "メールアドレス" }, { field: "問い合わせ種別" },
    { field: "お問い合わせ内容", required },
  ];
  for (const [id, required] of [["changing", false], ["needs", true]]) {
    await admin(session, "POST", "/v1/admin/forms", {
      connection: "demo", allowed_origins: [], captcha: false,
      spec: { format: 1, id, app: Number(session.demo.app), default_lang: "ja", items: items(required) },
    });
  }
  const synced = await deleteField("問い合わせ種別");
  assert.ok(synced.drift.changing, "the drift alert still names the deleted field");
  const page = await openForm("changing");
  assert.equal(await page.getByLabel("問い合わせ種別").count(), 0, "no longer shown");
  await page.getByLabel("会社名").fill("変更後株式会社");
  await page.getByLabel("メールアドレス").fill("changed@example.com");
  await personPause();
  await page.getByRole("button", { name: "送信" }).click();
  await page.getByText("送信しました。ありがとうございました。").waitFor();
  const records = await recordsEventually(session.demo, session.demo, (r) => r["会社名"].value === "変更後株式会社");
  assert.equal(records.length, 1, "the lead reached kintone without the deleted field");

  await deleteField("お問い合わせ内容");
  const broken = await openForm("needs");
  await broken.getByLabel("会社名").fill("送れない株式会社");
  await broken.getByLabel("メールアドレス").fill("broken@example.com");
  const sent = countSubmissions(broken);
  await personPause();
  await broken.getByRole("button", { name: "送信" }).click();
  await broken.getByText("kintone アプリの変更により、このフォームは現在送信できません。").waitFor();
  const events = await broken.evaluate(() => window.events);
  assert.deepEqual(events.map(([name]) => name), ["kform:error"], "never kform:invalid with nothing to fix");
  assert.match(events[0][1].reason, /お問い合わせ内容/);
  assert.equal(sent(), 0);
  assert.deepEqual(page.errors, []);
});

test("a rule tightened in kintone after the page loaded: the relay's refusal shows on its field", async () => {
  await admin(session, "POST", "/v1/admin/forms", {
    connection: "demo", allowed_origins: [], captcha: false,
    spec: { format: 1, id: "tightened", app: Number(session.demo.app), default_lang: "ja",
      items: [{ field: "会社名" }, { field: "メールアドレス" }] },
  });
  const page = await openForm("tightened");
  // The page's form has the old rule (64 characters); the relay checks with the new one.
  await changeAppFields(session.demo, (properties) => (properties["会社名"].maxLength = "5"));
  await admin(session, "POST", `/v1/admin/connections/demo/apps/${session.demo.app}/sync`);
  const name = page.getByLabel("会社名");
  await name.fill("とても長い会社名株式会社");
  await page.getByLabel("メールアドレス").fill("tightened@example.com");
  const sent = countSubmissions(page);
  await personPause();
  await page.getByRole("button", { name: "送信" }).click();
  const message = "6文字より短くなければなりません。";
  await page.locator(".kform-message", { hasText: message }).waitFor();
  assert.equal(await name.getAttribute("aria-invalid"), "true", "the field is marked invalid");
  assert.match(await page.locator(".kform-summary").innerText(), new RegExp(message), "and listed in the summary");
  const events = await page.evaluate(() => window.events);
  assert.deepEqual(events.map(([event]) => event), ["kform:invalid"]);
  const answer = events[0][1];
  assert.equal(answer.code, "invalid_values", "the detail is the relay's 422 answer");
  assert.deepEqual(answer.errors.map(({ field, code, max, message }) => [field, code, max, message]),
    [["会社名", "too_long", 5, message]]);
  // Fixed, the same form sends, and the lead lands once.
  await name.fill("短い社名");
  await page.getByRole("button", { name: "送信" }).click();
  await page.getByText("送信しました。ありがとうございました。").waitFor();
  assert.equal(sent(), 2);
  const records = await recordsEventually(session.demo, session.demo, (r) => r["会社名"].value === "短い社名");
  assert.equal(records.length, 1);
  // Chromium logs the 422 it was answered; nothing else may be logged.
  assert.deepEqual(page.errors.filter((e) => !/status of 422 \(Unprocessable Entity\)/.test(e)), []);
});
