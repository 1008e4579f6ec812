// The editor's delivery view (its own bundle, loaded when the tab is opened) against the fake
// kintone's faults: records kintone refuses show as failures with kintone's words and the fix;
// fixing the app and replaying every failure delivers them; a form paused by a revoked token
// shows the reason and resumes; an editor token for another form sees nothing of this one;
// axe-core finds no violations.
import assert from "node:assert/strict";
import { test } from "node:test";

import { changeAppFields, kintoneRecords } from "./demo.mjs";
import { admin, assertAccessible, personPause, useDemo } from "./session.mjs";

const session = useDemo();

/** Sends the hosted form `id` as a visitor, choosing `kind` for 問い合わせ種別. */
async function sendHosted(id, company, kind) {
  const page = await session.open(`/f/${id}`);
  await page.locator("form[novalidate]").waitFor();
  await page.getByLabel("会社名").fill(company);
  await page.getByLabel("メールアドレス").fill("lead@example.com");
  await page.getByLabel("問い合わせ種別").selectOption(kind);
  await personPause();
  await page.getByRole("button", { name: "送信" }).click();
  await page.getByText("送信しました。ありがとうございました。").waitFor();
  await page.context().close();
}

/** The editor for form `id` with its delivery view open. */
async function openDelivery(id) {
  const page = await session.open(`/cms.html?form=${id}`, { viewport: { width: 1400, height: 1000 } });
  const editor = page.locator("kform-editor");
  await editor.getByRole("button", { name: "送信状況" }).click();
  const view = editor.locator(".kfe-delivery");
  await view.getByRole("heading", { name: "送信状況" }).waitFor();
  return { page, editor, view };
}

/** The demo app's tokens, as the fake kintone takes them. */
async function setTokens(tokens) {
  const response = await fetch(`${session.demo.kintone}/_fake/apps/${session.demo.app}/tokens`, {
    method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(tokens),
  });
  assert.equal(response.status, 200, await response.text());
}

test("refused records show kintone's words and the fix, and replaying them after the app is fixed delivers them", async () => {
  await admin(session, "POST", "/v1/admin/forms", {
    connection: "demo", allowed_origins: [], captcha: false,
    spec: {
      format: 1, id: "leads", app: Number(session.demo.app), default_lang: "ja",
      items: [{ field: "会社名" }, { field: "メールアドレス" }, { field: "問い合わせ種別" }],
    },
  });
  // An administrator removes a choice in kintone after the relay last synced the app.
  let removed;
  await changeAppFields(session.demo, (properties) => {
    removed = properties["問い合わせ種別"].options["見積依頼"];
    delete properties["問い合わせ種別"].options["見積依頼"];
  });
  try {
    await sendHosted("leads", "失敗商事", "見積依頼");
    const { page, editor, view } = await openDelivery("leads");
    assert.equal(page.errors.length, 0, page.errors.join("\n"));
    const failed = view.getByRole("row", { name: /失敗|送信失敗/ });
    await failed.first().waitFor();
    const row = await failed.first().innerText();
    assert.match(row, /送信失敗/);
    assert.match(row, /見積依頼/, "kintone's (or the relay's) words name the refused choice");
    assert.match(row, /再送/, "the fix says what to do");
    await view.getByLabel("表示する状態").locator("option", { hasText: "送信失敗 (1)" }).waitFor({ state: "attached" });
    // The view refreshes by itself; a refresh that redraws the list keeps the reader's place.
    const first = view.getByRole("button", { name: "詳細 1" });
    const firstId = await first.getAttribute("id");
    await first.focus();
    await sendHosted("leads", "追加商事", "資料請求");
    await view.getByRole("row", { name: /送信済み/ }).first().waitFor({ timeout: 15_000 });
    const focused = await editor.evaluate((host) => host.shadowRoot.activeElement?.id);
    assert.equal(focused, firstId, "the focus stays on the same submission's button");
    // One submission's details, opened from the keyboard: its values and its calls to kintone.
    await page.keyboard.press("Enter");
    const details = view.locator(".kfe-settings");
    await details.getByRole("heading", { name: /^送信 / }).waitFor();
    assert.match(await details.innerText(), /失敗商事/);
    assert.match(await details.innerText(), /POST records\.json/);
    await assertAccessible(page, "with the delivery view and a submission's details open");

    // The app is fixed in kintone; every failure is replayed after a confirmation.
    await changeAppFields(session.demo, (properties) => {
      properties["問い合わせ種別"].options["見積依頼"] = removed;
    });
    removed = undefined;
    await view.getByRole("button", { name: "送信失敗をすべて再送" }).click();
    await view.getByText("送信失敗をすべて kintone に送り直します。").waitFor();
    await view.getByRole("button", { name: "再送する" }).click();
    await view.getByText("送信失敗を再送しました。").waitFor();
    await failed.first().waitFor({ state: "detached", timeout: 15_000 });
    // A replayed record is first waiting again, then sent: wait for both rows to say so.
    const delivered = view.getByRole("row", { name: /送信済み/ });
    await delivered.nth(1).waitFor({ timeout: 15_000 });
    assert.equal(await delivered.count(), 2, "the replayed one and the one sent since");
    assert.match(await delivered.first().innerText(), /レコード \d+/);
    const link = delivered.first().getByRole("link", { name: "kintone で開く" });
    assert.match(await link.getAttribute("href"), /\/k\/\d+\/show#record=\d+$/);
    const records = (await kintoneRecords(session.demo)).filter((r) => r["会社名"].value === "失敗商事");
    assert.equal(records.length, 1, "delivered once");
    // Leaving the tab unmounts the view: it stops asking the relay (it asks every 4 s while
    // open), and the editing screen is back.
    let asked = 0;
    page.on("request", (request) => (asked += request.url().includes("/delivery?") ? 1 : 0));
    await editor.getByRole("button", { name: "編集" }).click();
    assert.equal(await editor.locator(".kfe-delivery").count(), 0);
    await editor.getByRole("heading", { name: "kintone のフィールド" }).waitFor();
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    assert.equal(asked, 0, "a closed view refreshes no more");
    assert.deepEqual(page.errors, []);
  } finally {
    if (removed) {
      await changeAppFields(session.demo, (properties) => {
        properties["問い合わせ種別"].options["見積依頼"] = removed;
      });
    }
  }
});

test("a form paused by a revoked token shows the reason and resumes; another form's token sees nothing", async () => {
  await admin(session, "POST", "/v1/admin/forms", {
    connection: "demo", allowed_origins: [], captcha: false,
    spec: {
      format: 1, id: "paused", app: Number(session.demo.app), default_lang: "ja",
      items: [{ field: "会社名" }, { field: "メールアドレス" }, { field: "問い合わせ種別" }],
    },
  });
  const tokens = [{ token: session.demo.token, permissions: ["view", "add"] }];
  await setTokens([]);
  try {
    await sendHosted("paused", "停止商事", "資料請求");
    const { page, view } = await openDelivery("paused");
    const pause = view.getByRole("alert").filter({ hasText: "配信を止めています" });
    await pause.waitFor({ timeout: 15_000 });
    assert.match(await pause.innerText(), /GAIA_IA02/);
    await setTokens(tokens);
    await pause.getByRole("button", { name: "配信を再開" }).click();
    await view.getByText("配信を再開しました。").waitFor();
    await view.getByRole("row", { name: /送信済み/ }).first().waitFor({ timeout: 15_000 });
    assert.equal(await view.getByText("配信を止めています").count(), 0);
    // The editor opened on the fields last synced: its sync was refused while the token was
    // revoked, which the browser logs; nothing else went wrong.
    assert.deepEqual(page.errors.filter((error) => !/502 \(Bad Gateway\).*\/sync$/.test(error)), []);
  } finally {
    await setTokens(tokens);
  }
  // A token for another form is refused everything about this one.
  const minted = await fetch(new URL("/demo/editor-token", session.demo.page), {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ form: "contact" }),
  }).then((response) => response.json());
  for (const [method, path] of [
    ["GET", "/v1/admin/forms/paused/delivery"],
    ["GET", "/v1/admin/forms/paused/submissions"],
    ["POST", "/v1/admin/forms/paused/replay-dead-letters"],
    ["POST", "/v1/admin/forms/paused/resume"],
  ]) {
    const response = await fetch(new URL(path, session.demo.page), {
      method, headers: { authorization: `Bearer ${minted.token}` },
    });
    assert.equal(response.status, 403, `${method} ${path}`);
    assert.equal((await response.json()).code, "other_form");
  }
});
