// The editor embedded in the demo's mock CMS (/cms.html): a form built from the demo app end to
// end (sync, map, hidden identifier, lint, preview, test send, save), embedded on a page,
// submitted and found in the fake kintone; refused tokens; keyboard-only editing; axe-core.
import assert from "node:assert/strict";
import { test } from "node:test";

import { kintoneRecords } from "./demo.mjs";
import { assertAccessible, useDemo } from "./session.mjs";

const session = useDemo();
/** A page wide enough for the editor's three columns, allowed to use the clipboard. */
const open = (path) =>
  session.open(path, { viewport: { width: 1400, height: 1000 }, permissions: ["clipboard-read", "clipboard-write"] });

/** Whether leaving the page now would be held up by the editor (a `beforeunload` cancelled). */
function leaving(page) {
  return page.evaluate(() => {
    const event = new Event("beforeunload", { cancelable: true });
    window.dispatchEvent(event);
    return event.defaultPrevented;
  });
}

/** The editor's problem list, as text. */
async function problems(page) {
  const section = page.locator("kform-editor .kfe-lint");
  await section.waitFor();
  return section.innerText();
}

/** Starts a new form `id` on the demo contact app. */
async function startForm(page, id) {
  const editor = page.locator("kform-editor");
  await editor.getByLabel("アプリ").locator("option").first().waitFor({ state: "attached" });
  await editor.getByLabel("フォーム ID（英数字、- と _）").fill(id);
  await editor.getByRole("button", { name: "フィールドを同期して始める" }).click();
  await editor.getByRole("heading", { name: "kintone のフィールド" }).waitFor();
  return editor;
}

test("a form built in the editor is saved, embedded, sent, and reaches kintone with its identifier", async () => {
  const page = await open("/cms.html");
  // An id in use is refused on the start screen, before any work is done on the form.
  const start = page.locator("kform-editor");
  await start.getByLabel("アプリ").locator("option").first().waitFor({ state: "attached" });
  await start.getByLabel("フォーム ID（英数字、- と _）").fill("contact");
  await start.getByRole("button", { name: "フィールドを同期して始める" }).click();
  await start.getByRole("alert").getByText("フォーム ID「contact」は使われています。別の ID にしてください。").waitFor();
  assert.equal(await start.getByRole("heading", { name: "kintone のフィールド" }).count(), 0, "still on the start screen");
  const editor = await startForm(page, "lp-spring");
  // Every field of the app is listed; the system ones are greyed with the reason.
  const creator = editor.locator(".kfe-field", { hasText: "CREATOR" });
  await assert.doesNotReject(creator.waitFor());
  assert.match(await creator.innerText(), /kintone が管理/);
  assert.equal(await creator.getByRole("button").count(), 0, "a system field cannot be added");
  assert.match(await creator.getAttribute("class"), /kfe-greyed/);

  await editor.getByRole("button", { name: "会社名 を追加" }).click();
  // Changes not saved yet are shown, and leaving the page asks first.
  await editor.getByText("未保存の変更があります").waitFor();
  assert.equal(await leaving(page), true, "leaving with unsaved changes is guarded");
  // Lint names the required field that is missing, live, with the fix.
  assert.match(await problems(page), /「メールアドレス」は必須ですが、フォームになく.*「メールアドレス」をフォームに追加するか、隠し項目として固定値を送ってください。/s);
  await editor.getByRole("button", { name: "メールアドレス を追加" }).click();
  await editor.getByLabel("入力の種類").selectOption("email");
  // The settings are headed by the item's label, and a label applies as it is typed: the
  // heading and the preview follow before the box is left.
  await editor.getByRole("heading", { name: "「メールアドレス」の設定" }).waitFor();
  const boxFirst = await editor.locator(".kfe-hidden").evaluate((box) =>
    Boolean(box.compareDocumentPosition(box.getRootNode().querySelector(".kfe-settings")) & Node.DOCUMENT_POSITION_FOLLOWING));
  assert.equal(boxFirst, true, "the hidden-item box stays above an item's settings, not pushed below them");
  await editor.getByLabel("ラベル（空欄で kintone のラベル）").fill("ご担当者のメールアドレス");
  await editor.getByRole("heading", { name: "「ご担当者のメールアドレス」の設定" }).waitFor();
  await editor.locator(".kfe-preview-form").getByLabel("ご担当者のメールアドレス").waitFor();
  await editor.getByLabel("ラベル（空欄で kintone のラベル）").press("Tab");
  await editor.getByRole("button", { name: "問い合わせ種別 を追加" }).click();
  await editor.getByLabel("その他", { exact: true }).uncheck();
  // An option shown in the form's own words; the value sent stays kintone's.
  await editor.getByLabel("資料請求 の表示名").fill("資料のご請求");
  await editor.locator(".kfe-preview-form").getByRole("option", { name: "資料のご請求" }).waitFor({ state: "attached" });
  // The details are asked only for a quotation.
  await editor.getByRole("button", { name: "お問い合わせ内容 を追加" }).click();
  await editor.getByLabel("項目", { exact: true }).selectOption("問い合わせ種別");
  await editor.getByLabel("が次のいずれか（カンマ区切り）").fill("見積依頼");
  await editor.getByLabel("が次のいずれか（カンマ区切り）").press("Tab");
  // The hidden identifier: which form the lead came from.
  await editor.getByLabel("フィールド", { exact: true }).selectOption("フォーム識別");
  await editor.getByLabel("送る値").fill("lp-spring-2026");
  await editor.getByRole("button", { name: "隠し項目を追加" }).click();
  await editor.getByLabel("送信後のメッセージ（空欄で標準）").fill("ありがとうございました。担当よりご連絡します。");
  await editor.getByLabel("送信後のメッセージ（空欄で標準）").press("Tab");
  assert.match(await problems(page), /問題はありません。/);

  // The preview is the real widget with the edits: the new label, the email hint, the
  // hidden option gone, and the identifier never shown.
  const preview = editor.locator(".kfe-preview-form");
  const email = preview.getByLabel("ご担当者のメールアドレス");
  await email.waitFor();
  assert.equal(await email.getAttribute("type"), "email");
  const options = await preview.getByLabel("問い合わせ種別").locator("option").allInnerTexts();
  assert.ok(!options.includes("その他"), `options ${options}`);
  assert.equal(await preview.getByText("フォーム識別").count(), 0);
  assert.equal(await preview.getByLabel("お問い合わせ内容").isVisible(), false, "shown only for 見積依頼");
  await preview.getByLabel("問い合わせ種別").selectOption("見積依頼");
  await preview.getByLabel("お問い合わせ内容").waitFor();
  await preview.getByLabel("問い合わせ種別").selectOption("");
  // Its validation works in the preview, in kintone's words.
  await preview.getByRole("button", { name: "送信" }).click();
  await preview.getByText("必須です。").first().waitFor();

  await editor.getByRole("button", { name: "保存", exact: true }).click();
  await editor.getByText("保存しました。").waitFor();
  await page.getByText("CMS: フォーム「lp-spring」が保存されました。").waitFor();
  assert.equal(new URL(page.url()).search, "?form=lp-spring", "a reload opens the saved form");
  assert.equal(await editor.getByText("未保存の変更があります").count(), 0);
  assert.equal(await leaving(page), false, "nothing to lose once saved");
  const snippet = await editor.getByLabel("サイトに貼り付けるコード").inputValue();
  const origin = new URL(session.demo.page).origin;
  assert.equal(
    snippet,
    `<script type="module" src="${origin}/widget/kform.js"></script>\n` +
      `<div data-kform="lp-spring" data-kform-relay="${origin}" data-kform-lang="ja"></div>`,
  );
  assert.match(await editor.getByLabel("Content-Security-Policy に加える指定").inputValue(), /'wasm-unsafe-eval'/);
  const include = await editor.getByLabel("サイトのサーバーで埋め込むときのアドレス").inputValue();
  assert.equal(include, `${origin}/v1/forms/lp-spring/include?lang=ja&relay=${origin}`);
  // What a site's server would get there: the saved form, ready to be written into a page.
  const included = await (await fetch(include)).text();
  assert.match(included, /^<div data-kform="lp-spring" [^>]*><template shadowrootmode="open">/);
  await editor.getByRole("button", { name: "コードをコピー" }).click();
  await editor.getByText("コピーしました。").waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), snippet, "the snippet is copied as shown");

  // A test send: the values sent from the preview go to kintone, which answers with the id.
  await preview.getByLabel("会社名").fill("テスト送信株式会社");
  await email.fill("test-send@example.com");
  await preview.getByRole("button", { name: "送信" }).click();
  await editor.getByRole("button", { name: "kintone にテスト送信" }).click();
  const answer = editor.locator(".kfe-answer");
  await answer.waitFor();
  const sent = JSON.parse(await answer.innerText());
  assert.equal(sent.kintone.status, 200, JSON.stringify(sent));
  assert.ok(sent.kintone.body.id, JSON.stringify(sent));
  const tested = await kintoneRecords(session.demo);
  assert.ok(tested.some((r) => r.会社名.value === "テスト送信株式会社" && r.フォーム識別.value === "lp-spring-2026"));
  assert.deepEqual(page.errors, []);

  // Embedded on a site page with the snippet as it is, a visitor's lead reaches kintone
  // tagged with the identifier.
  const site = await open("/blank.html");
  await site.evaluate((html) => {
    const holder = document.createElement("div");
    holder.innerHTML = html;
    const script = document.createElement("script");
    script.type = "module";
    script.src = holder.querySelector("script").src;
    document.querySelector("main").append(holder.querySelector("div"), script);
  }, snippet);
  const form = site.locator("[data-kform=lp-spring]");
  await form.getByLabel("会社名").fill("春のキャンペーン株式会社");
  await form.getByLabel("ご担当者のメールアドレス").fill("spring@example.com");
  await form.getByLabel("問い合わせ種別").selectOption({ label: "資料のご請求" });
  await new Promise((resolve) => setTimeout(resolve, 1100));
  await form.getByRole("button", { name: "送信" }).click();
  await form.getByText("ありがとうございました。担当よりご連絡します。").waitFor();
  let found = [];
  for (let i = 0; i < 100 && found.length === 0; i++) {
    found = (await kintoneRecords(session.demo)).filter((r) => r.会社名.value === "春のキャンペーン株式会社");
    if (found.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.equal(found.length, 1);
  assert.equal(found[0].フォーム識別.value, "lp-spring-2026");
  assert.equal(found[0].メールアドレス.value, "spring@example.com");
  assert.equal(found[0].問い合わせ種別.value, "資料請求", "the form's label, kintone's option");
  assert.deepEqual(site.errors, []);

  // Opened again from the CMS, the saved form comes back as it was saved.
  const again = await open("/cms.html?form=lp-spring");
  const reopened = again.locator("kform-editor");
  await reopened.getByRole("button", { name: "ご担当者のメールアドレス を編集" }).waitFor();
  assert.match(await problems(again), /問題はありません。/);
  assert.equal(await reopened.getByLabel("送信後のメッセージ（空欄で標準）").inputValue(), "ありがとうございました。担当よりご連絡します。");
});

test("a wrong or expired editor token is refused with a clear message", async () => {
  const wrong = await open("/cms.html?token=not-a-token");
  const alert = wrong.locator("kform-editor").getByRole("alert");
  await alert.waitFor();
  // One sentence in the editor's language, nothing about keys the CMS user never has, and the
  // start screen's controls disabled: nothing can work until the editor is opened again.
  const refused = "エディタのトークンが受け付けられませんでした。CMS の画面を開き直してください。";
  assert.equal(await alert.innerText(), refused);
  assert.equal(await wrong.locator("kform-editor").getByRole("button", { name: "フィールドを同期して始める" }).isDisabled(), true);
  assert.equal(await wrong.locator("kform-editor").getByLabel("接続").isDisabled(), true);

  const minted = await fetch(new URL("/demo/editor-token", session.demo.page), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ form: "contact", ttl_seconds: 1 }),
  }).then((response) => response.json());
  await new Promise((resolve) => setTimeout(resolve, 2100));
  const expired = await open(`/cms.html?form=contact&token=${encodeURIComponent(minted.token)}`);
  const expiredAlert = expired.locator("kform-editor").getByRole("alert");
  await expiredAlert.waitFor();
  assert.equal(await expiredAlert.innerText(), refused);

  // A token for one form does not open another.
  const other = await fetch(new URL("/demo/editor-token", session.demo.page), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ form: "showcase" }),
  }).then((response) => response.json());
  const elsewhere = await open(`/cms.html?form=contact&token=${encodeURIComponent(other.token)}`);
  await elsewhere.locator("kform-editor").getByRole("alert").waitFor();
  assert.equal(await elsewhere.locator("kform-editor").getByRole("alert").innerText(), refused);
});

test("the editor works from the keyboard alone and axe-core finds no violations", async () => {
  const page = await open("/cms.html");
  const editor = await startForm(page, "kb-only");
  await assertAccessible(page, "on a new form");
  // Tab from the top of the page reaches the add buttons; Enter adds.
  const focusedName = () =>
    page.evaluate(() => {
      let element = document.activeElement;
      while (element?.shadowRoot?.activeElement) element = element.shadowRoot.activeElement;
      return element?.getAttribute("aria-label") ?? element?.textContent ?? "";
    });
  const expectFocus = async (name) => {
    for (let i = 0; i < 50 && (await focusedName()) !== name; i++) await page.waitForTimeout(20);
    assert.equal(await focusedName(), name);
  };
  const tabTo = async (name) => {
    for (let i = 0; i < 120; i++) {
      await page.keyboard.press("Tab");
      if ((await focusedName()) === name) return;
    }
    assert.fail(`Tab never reached ${name}`);
  };
  await tabTo("会社名 を追加");
  await page.keyboard.press("Enter");
  await tabTo("メールアドレス を追加");
  await page.keyboard.press("Enter");
  // Reorder without dragging: the focus follows the item.
  await tabTo("会社名 を下へ");
  await page.keyboard.press("Enter");
  await editor.locator(".kfe-item-name").first().filter({ hasText: "メールアドレス" }).waitFor();
  assert.deepEqual(await editor.locator(".kfe-item-name").allInnerTexts(), ["メールアドレス", "会社名"]);
  // Now last, its "down" is disabled, so its "up" has the focus (moved after the next frame).
  await expectFocus("会社名 を上へ");
  await page.keyboard.press("Enter");
  await editor.locator(".kfe-item-name").first().filter({ hasText: "会社名" }).waitFor();
  assert.deepEqual(await editor.locator(".kfe-item-name").allInnerTexts(), ["会社名", "メールアドレス"]);
  await expectFocus("会社名 を下へ");
  await tabTo("保存");
  await page.keyboard.press("Enter");
  await editor.getByText("保存しました。").waitFor();
  // Mapping an item to another field rebuilds its settings for that field (here, options).
  await editor.getByRole("button", { name: "会社名 を編集" }).click();
  const legend = "表示する選択肢と表示名（送る値は kintone の選択肢のまま）";
  assert.equal(await editor.getByText(legend).count(), 0);
  await editor.locator("#kfe-s-field").selectOption("問い合わせ種別");
  await editor.getByText(legend).waitFor();
  assert.equal(await editor.getByLabel("見積依頼", { exact: true }).isChecked(), true);
  await assertAccessible(page, "with items, lint, preview, the snippet and an item's settings");
  assert.deepEqual(page.errors, []);
});

test("a form whose app changed in kintone opens with the drift and what to fix", async () => {
  const page = await open("/cms.html");
  const editor = await startForm(page, "lp-drift");
  await editor.getByRole("button", { name: "会社名 を追加" }).click();
  await editor.getByRole("button", { name: "メールアドレス を追加" }).click();
  await editor.getByRole("button", { name: "保存", exact: true }).click();
  await editor.getByText("保存しました。").waitFor();

  // An administrator adds a required field to the app in kintone.
  const fields = `${session.demo.kintone}/k/v1/app/form/fields.json?app=${session.demo.app}`;
  const before = await fetch(fields, { headers: { "X-Cybozu-API-Token": session.demo.token } }).then((r) => r.json());
  const changed = {
    ...before.properties,
    電話番号: {
      type: "SINGLE_LINE_TEXT", code: "電話番号", label: "電話番号", noLabel: false, required: true,
      unique: false, minLength: "", maxLength: "", defaultValue: "", expression: "", hideExpression: false,
    },
  };
  const deploy = (properties) =>
    fetch(`${session.demo.kintone}/_fake/apps/${session.demo.app}/properties`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(properties),
    });
  assert.equal((await deploy(changed)).status, 200);
  try {
    const again = await open("/cms.html?form=lp-drift");
    const reopened = again.locator("kform-editor");
    const drift = reopened.locator(".kfe-drift");
    await drift.waitFor();
    assert.match(await drift.innerText(), /保存後に kintone のアプリが変更され/);
    assert.match(
      await problems(again),
      /「電話番号」は必須ですが、フォームになく.*「電話番号」をフォームに追加するか、隠し項目として固定値を送ってください。/s,
    );
    await reopened.getByRole("button", { name: "電話番号 を追加" }).click();
    assert.match(await problems(again), /問題はありません。/);
    await reopened.getByRole("button", { name: "保存", exact: true }).click();
    await reopened.getByText("保存しました。").waitFor();
    assert.equal(await drift.count(), 0, "saving the fixed form clears the drift");
    // Deleting asks first, then the form is gone from the relay.
    await reopened.getByRole("button", { name: "フォームを削除" }).click();
    await reopened.getByText("本当に削除しますか？").waitFor();
    assert.equal(
      (await fetch(new URL("/v1/forms/lp-drift", session.demo.page))).status,
      200,
      "nothing is deleted before the confirmation",
    );
    await reopened.getByRole("button", { name: "削除する" }).click();
    await reopened.getByText("フォームを削除しました。").waitFor();
    assert.equal((await fetch(new URL("/v1/forms/lp-drift", session.demo.page))).status, 404);
    assert.deepEqual(again.errors, []);
  } finally {
    assert.equal((await deploy(before.properties)).status, 200);
  }
});

test("KFormEditor.mount opens a saved form imperatively, and a refused save is shown", async () => {
  const page = await open("/blank.html");
  const { token } = await fetch(new URL("/demo/editor-token", session.demo.page), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ form: "contact" }),
  }).then((response) => response.json());
  await page.evaluate(async (token) => {
    const { KFormEditor } = await import("/widget/kform-editor.js");
    const element = document.createElement("div");
    element.id = "editor";
    document.querySelector("main").append(element);
    window.saved = [];
    window.editor = await KFormEditor.mount(element, { token, form: "contact", lang: "en", onSave: (d) => window.saved.push(d) });
  }, token);
  const editor = page.locator("#editor");
  // English, with the saved form's items.
  await editor.getByRole("button", { name: "会社名 : edit" }).waitFor();
  assert.match(await editor.locator(".kfe-lint").innerText(), /No problems\./);
  // The contact form is defined in kform.toml, so the relay refuses to save it, and says why.
  await editor.getByRole("button", { name: "Save", exact: true }).click();
  const refused = editor.getByRole("alert");
  await refused.waitFor();
  assert.match(await refused.innerText(), /defined in kform\.toml/);
  assert.deepEqual(await page.evaluate(() => window.saved), []);
  await page.evaluate(() => window.editor.unmount());
  assert.equal(await editor.locator(".kfe").count(), 0);
  // The browser itself logs the refused request; nothing else went wrong.
  assert.deepEqual(page.errors.filter((e) => !/status of 409 \(Conflict\)/.test(e)), []);
});
