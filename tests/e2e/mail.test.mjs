// Mail through the editor: a form saved in the editor gets an auto-reply in its "Mail" tab (a
// view loaded on demand), a test mail goes to the address typed there, and a visitor's
// submission on the hosted page produces the auto-reply, through a real SMTP server (PyPI's
// aiosmtpd, which `cargo xtask setup` installs in target/tools/aiosmtpd). A mail the server
// refuses for good is listed in the delivery view and sent again from there.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { personPause, useDemo } from "./session.mjs";

const root = new URL("../../", import.meta.url).pathname;
const smtp = { port: 0, child: undefined, dir: mkdtempSync(join(tmpdir(), "kform-mail-")) };
// The addresses the server refuses (550), one per line, while this file exists.
const refused = join(smtp.dir, "refuse");

/** A free loopback port. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

// Chosen before any hook runs, so the demo started by `useDemo` is given it.
smtp.port = await freePort();

before(async () => {
  const python = join(root, "target/tools/aiosmtpd/bin/python");
  smtp.child = spawn(python, ["-m", "aiosmtpd", "-n", "-l", `127.0.0.1:${smtp.port}`,
    "-c", "refusing_mailbox.RefusingMailbox", join(smtp.dir, "box")], {
    stdio: "ignore",
    env: { ...process.env, PYTHONPATH: join(root, "tests/e2e"), KFORM_SMTP_REFUSE: refused },
  });
  for (let i = 0; i < 200; i++) {
    const up = await new Promise((resolve) => {
      const socket = connect(smtp.port, "127.0.0.1", () => { socket.end(); resolve(true); });
      socket.on("error", () => resolve(false));
    });
    if (up) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("aiosmtpd did not start (run `cargo xtask setup`)");
});

after(() => {
  smtp.child?.kill();
  rmSync(smtp.dir, { recursive: true, force: true });
});

const session = useDemo(() => ({ smtp: `127.0.0.1:${smtp.port}` }));

/** The mails received so far: each as `{ to, subject, text }`, the subject and body decoded. */
function received() {
  const dir = join(smtp.dir, "box/new");
  let names = [];
  try { names = readdirSync(dir); } catch { return []; }
  return names.map((name) => {
    const raw = readFileSync(join(dir, name), "utf8").replace(/\r\n/g, "\n");
    const split = raw.indexOf("\n\n");
    const head = raw.slice(0, split);
    const header = (key) => {
      const match = head.match(new RegExp(`^${key}: (.*(?:\\n[ \\t].*)*)`, "m"));
      return match ? match[1].replace(/\n[ \t]/g, "") : "";
    };
    const subject = header("Subject")
      .replace(/=\?utf-8\?b\?([^?]*)\?=\s*/gi, (_, b64) => Buffer.from(b64, "base64").toString("utf8"));
    const encoded = raw.slice(split + 2);
    // lettre writes base64, or quoted-printable for text that is mostly ASCII.
    const text = /quoted-printable/i.test(header("Content-Transfer-Encoding"))
      ? Buffer.from(encoded.replace(/=\n/g, "").replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16))), "latin1").toString("utf8")
      : Buffer.from(encoded.replace(/\s/g, ""), "base64").toString("utf8");
    return { to: header("X-RcptTo"), subject, text };
  });
}

async function mailTo(address) {
  for (let i = 0; i < 100; i++) {
    const found = received().find((mail) => mail.to === address);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no mail to ${address}; received ${JSON.stringify(received())}`);
}

/** A visitor sends the hosted page of form `mailed` with a company and an address. */
async function sendHosted(company, address) {
  const visitor = await session.open("/f/mailed");
  await visitor.getByLabel("会社名").fill(company);
  await visitor.getByLabel("メールアドレス").fill(address);
  await personPause();
  await visitor.getByRole("button", { name: "送信" }).click();
  await visitor.getByText(/ありがとう|送信しました/).first().waitFor();
}

test("an auto-reply set in the editor's Mail tab is tested there and sent to a visitor", async () => {
  const page = await session.open("/cms.html", { viewport: { width: 1400, height: 1000 } });
  const editor = page.locator("kform-editor");
  await editor.getByLabel("アプリ").locator("option").first().waitFor({ state: "attached" });
  await editor.getByLabel("フォーム ID（英数字、- と _）").fill("mailed");
  await editor.getByRole("button", { name: "フィールドを同期して始める" }).click();
  await editor.getByRole("button", { name: "会社名 を追加" }).click();
  await editor.getByRole("button", { name: "メールアドレス を追加" }).click();
  await editor.getByLabel("入力の種類").selectOption("email");
  await editor.getByRole("button", { name: "保存", exact: true }).click();
  await editor.getByText("保存しました。").waitFor();

  // The Mail tab: its view comes with the delivery view's bundle.
  await editor.getByRole("button", { name: "メール", exact: true }).click();
  const mail = editor.getByRole("region", { name: "メール" });
  await editor.getByLabel("送信した人に自動返信メールを送る").check();
  assert.equal(await editor.getByLabel("送り先（メールアドレスの項目）").inputValue(), "メールアドレス");
  await editor.getByLabel("件名（日本語）").fill("【テスト】{{会社名}} 様");
  await editor.getByLabel("本文（日本語）").fill("{{会社名}} 様\n受付番号: {{submission_id}}\n{{氏名}}");
  // A name the form lacks is named at once; the preview shows where the values go.
  await editor.getByText("本文（日本語）: フォームにない名前: {{氏名}}").waitFor();
  assert.match(await editor.locator(".kfe-mail-preview pre").innerText(), /^【テスト】\{\{会社名\}\} 様/);
  await editor.getByLabel("本文（日本語）").fill("{{会社名}} 様\n受付番号: {{submission_id}}\n");
  await editor.getByRole("button", { name: "保存", exact: true }).click();
  await mail.getByText("保存しました。").waitFor();

  // A test mail goes to the address typed here alone.
  await editor.getByLabel("テストメールの宛先").fill("editor@example.com");
  await editor.getByRole("button", { name: "テストメールを送る" }).click();
  await mail.getByRole("status").filter({ hasNotText: "保存しました。" }).waitFor();
  assert.equal(await mail.getByRole("status").last().innerText(), "テストメールを送りました。");
  const tested = await mailTo("editor@example.com");
  assert.equal(tested.subject, "【テスト】 様", "no preview values were sent: the place is empty, as the relay fills it");

  // Back on the form, a save keeps the mail the Mail tab saved.
  await editor.getByRole("button", { name: "編集", exact: true }).click();
  await editor.getByRole("button", { name: "保存", exact: true }).click();
  await editor.getByText("保存しました。").waitFor();

  // A visitor of the hosted page gets the auto-reply at the address typed.
  await sendHosted("春株式会社", "visitor@example.com");
  const reply = await mailTo("visitor@example.com");
  assert.equal(reply.subject, "【テスト】春株式会社 様");
  assert.match(reply.text, /^春株式会社 様\r?\n受付番号: [0-9a-f-]{36}/);

  // The server refuses an address for good: the auto-reply is given up at once and listed in
  // the delivery view, which sends it again once the address works.
  writeFileSync(refused, "bounce@example.com\n");
  await sendHosted("秋株式会社", "bounce@example.com");
  await editor.getByRole("button", { name: "送信状況" }).click();
  const view = editor.locator(".kfe-delivery");
  const failed = view.locator("li").filter({ hasText: "自動返信 → bounce@example.com: 【テスト】秋株式会社 様" });
  await failed.waitFor();
  assert.match(await failed.innerText(), /550/);
  rmSync(refused);
  await failed.getByRole("button", { name: /^再送/ }).click();
  await view.getByText("メールを再送します。").waitFor();
  const resent = await mailTo("bounce@example.com");
  assert.equal(resent.subject, "【テスト】秋株式会社 様");
  await view.getByText("届かなかったメール", { exact: false }).waitFor({ state: "detached" });
  assert.deepEqual(page.errors, []);
});
