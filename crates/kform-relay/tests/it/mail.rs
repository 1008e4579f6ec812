//! Mail about submissions through a real SMTP server (PyPI's aiosmtpd, which `cargo xtask
//! setup` installs in `target/tools/aiosmtpd`): the auto-reply's headers and body byte for byte
//! in Japanese and English, the team's notice, the per-address limit under a burst, and a
//! mail given up, then sent again or dropped by an operator.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use kform_relay::config::Smtp;
use kform_relay::mail::{AutoReply, FormMail, MailSettings, Texts};

use super::*;

/// A throwaway aiosmtpd on a free loopback port, keeping every mail it accepts in a maildir.
pub(super) struct SmtpServer {
    port: u16,
    maildir: tempfile::TempDir,
    child: Child,
}

impl SmtpServer {
    fn start() -> Self {
        Self::start_on(free_port())
    }

    pub(super) fn start_on(port: u16) -> Self {
        let python = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../target/tools/aiosmtpd/bin/python");
        assert!(
            python.is_file(),
            "aiosmtpd is not installed at {}: run `cargo xtask setup`",
            python.display()
        );
        let maildir = tempfile::tempdir().unwrap();
        let child = Command::new(python)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir.path().join("box"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = Self { port, maildir, child };
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return server;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("aiosmtpd did not listen on port {port}");
    }

    /// Every mail received so far, oldest first, as the server keeps it, less the lines the
    /// server itself adds (`X-Peer`, `X-MailFrom`, `X-RcptTo`), with the recipients it was
    /// sent to.
    fn received(&self) -> Vec<(String, String)> {
        let new = self.maildir.path().join("box/new");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&new)
            .map(|dir| dir.flatten().map(|entry| entry.path()).collect())
            .unwrap_or_default();
        files.sort_by_key(|path| std::fs::metadata(path).and_then(|m| m.modified()).ok());
        files
            .iter()
            .map(|path| {
                let text = std::fs::read_to_string(path).unwrap().replace("\r\n", "\n");
                let rcpt = text
                    .lines()
                    .find_map(|line| line.strip_prefix("X-RcptTo: "))
                    .unwrap_or_default()
                    .to_owned();
                let kept: Vec<&str> = text
                    .split_inclusive('\n')
                    .filter(|line| {
                        !["X-Peer:", "X-MailFrom:", "X-RcptTo:"].iter().any(|p| line.starts_with(p))
                    })
                    .collect();
                (kept.concat(), rcpt)
            })
            .collect()
    }

    pub(super) async fn wait_for(&self, count: usize) -> Vec<(String, String)> {
        eventually(&format!("{count} mails"), || async {
            let got = self.received();
            if got.len() >= count { Ok(got) } else { Err(format!("{} mails", got.len())) }
        })
        .await
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(super) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn mail_settings(port: u16, per_recipient: i64) -> MailSettings {
    MailSettings {
        from: "Example <info@example.com>".into(),
        allowed_from: Vec::new(),
        per_recipient_per_hour: per_recipient,
        per_form_per_hour: 1_000,
        retry_ms: 60_000,
        give_up_after_tries: 8,
        smtp: Smtp { host: "127.0.0.1".into(), port, tls: false, login: None, password: None },
    }
}

fn form_mail() -> FormMail {
    FormMail {
        title: Some("お問い合わせ".into()),
        autoreply: Some(AutoReply {
            to: "メールアドレス".into(),
            from: None,
            reply_to: Some("support@example.com".into()),
            subject: Texts {
                ja: Some("【{{form_title}}】受付のお知らせ（{{会社名}} 様）".into()),
                en: Some("We received your message, {{会社名}}".into()),
            },
            body: Texts {
                ja: Some("{{会社名}} 様\n\nお問い合わせを受け付けました。\n受付番号: {{submission_id}}\n\n内容:\n{{お問い合わせ内容}}\n".into()),
                en: Some("Dear {{会社名}},\n\nWe received your message.\nSubmission: {{submission_id}}\n\n{{お問い合わせ内容}}\n".into()),
            },
            html: false,
        }),
        notify: vec!["team@example.com".into()],
        test_recipients: Vec::new(),
    }
}

/// The mail with its `Date:` line (the time it was accepted) replaced by a mark, after checking
/// it is one.
fn without_date(mail: &str) -> String {
    let date = mail.lines().find(|line| line.starts_with("Date: ")).expect("a Date header");
    assert!(date.ends_with(" +0000"), "{date}");
    mail.replace(date, "Date: (the time it was accepted)")
}

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/mail").join(name)
}

#[tokio::test]
async fn the_auto_reply_and_the_teams_notice_arrive_byte_for_byte_in_japanese_and_english() {
    let smtp = SmtpServer::start();
    let Harness { fake: _fake, state, _dir } = harness_with(Apps::demo(TOKEN), TOKEN, |config| {
        config.mail = Some(mail_settings(smtp.port, 10));
        config.forms[0].mail = form_mail();
    })
    .await;
    for (n, lang) in ["ja", "en"].into_iter().enumerate() {
        let body = json!({ "submission_id": format!("3f2c6a1e-0000-4000-8000-00000000000{n}"), "values": {
            "会社名": "サイボウズ株式会社", "メールアドレス": "taro@example.com",
            "お問い合わせ内容": "資料を送ってください。\n二行目です。" } });
        let answer = send(&state, submit(&body.to_string(), Some(lang))).await;
        assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.text);
        let mails = smtp.wait_for(2 * (n + 1)).await;
        let (reply, rcpt) = mails
            .iter()
            .find(|(mail, _)| {
                mail.contains("autoreply") && mail.contains(&format!("0000000000{n}"))
            })
            .unwrap();
        assert_eq!(rcpt, "taro@example.com", "only the visitor");
        let reply = without_date(reply);
        let file = golden(&format!("autoreply-{lang}.eml"));
        if std::env::var_os("KFORM_BLESS").is_some() {
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(&file, &reply).unwrap();
        }
        assert_eq!(reply, std::fs::read_to_string(&file).unwrap(), "{}", file.display());
        let (notice, rcpt) = mails
            .iter()
            .find(|(mail, _)| mail.contains("notify") && mail.contains(&format!("0000000000{n}")))
            .unwrap();
        assert_eq!(rcpt, "team@example.com");
        // The team's notice is in the form's language, whatever the visitor's, and lists the
        // values by label (its body holds the time, so it is read rather than compared whole).
        let notice = without_date(notice);
        let (headers, body) = notice.split_once("\n\n").unwrap();
        assert!(
            headers.contains(&format!(
                "Message-ID: <3f2c6a1e-0000-4000-8000-00000000000{n}.notify.contact@example.com>"
            )),
            "{headers}"
        );
        assert!(headers.contains("To: team@example.com\n"), "{headers}");
        let body: String = body.split_whitespace().collect();
        let text = String::from_utf8(
            base64::Engine::decode(&base64::engine::general_purpose::STANDARD, body).unwrap(),
        )
        .unwrap();
        let text = text.replace("\r\n", "\n");
        assert!(text.starts_with("「お問い合わせ」に新しい送信がありました。\n\n会社名: サイボウズ株式会社\nメールアドレス: taro@example.com\n"), "{text}");
        assert!(
            text.contains("お問い合わせ内容: 資料を送ってください。\n二行目です。\n"),
            "{text}"
        );
        assert!(!text.contains("demo-contact"), "hidden items are not listed: {text}");
    }
    // The history shows each mail beside the kintone attempts.
    let id = "3f2c6a1e-0000-4000-8000-000000000000";
    let history = eventually("the mails in the history", || async {
        let shown = send(
            &state,
            bearer("GET", &format!("/v1/admin/forms/contact/submissions/{id}"), ADMIN, None),
        )
        .await;
        let endpoints: Vec<String> = shown.body["attempts"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|attempt| attempt["endpoint"].as_str().unwrap_or_default().to_owned())
            .collect();
        if endpoints.iter().filter(|e| e.starts_with("SMTP")).count() == 2 {
            Ok(endpoints)
        } else {
            Err(format!("{endpoints:?}"))
        }
    })
    .await;
    assert!(history.contains(&"SMTP auto-reply".to_owned()), "{history:?}");
}

#[tokio::test]
async fn a_burst_to_one_address_gets_only_its_hourly_auto_replies_and_every_submission_is_kept() {
    let smtp = SmtpServer::start();
    let Harness { fake, state, _dir } = harness_with(Apps::demo(TOKEN), TOKEN, |config| {
        config.mail = Some(mail_settings(smtp.port, 2));
        let mut mail = form_mail();
        mail.notify.clear();
        config.forms[0].mail = mail;
    })
    .await;
    let mut sends = tokio::task::JoinSet::new();
    for n in 0..10 {
        let state = state.clone();
        // However the address is written, it is one recipient.
        let address = if n % 2 == 0 { "Taro@Example.com" } else { "taro@example.com" };
        let body = json!({ "submission_id": new_id(), "values": {
            "会社名": format!("会社{n}"), "メールアドレス": address } });
        sends.spawn(async move { send(&state, submit(&body.to_string(), None)).await.status });
    }
    while let Some(status) = sends.join_next().await {
        assert_eq!(status.unwrap(), StatusCode::ACCEPTED);
    }
    smtp.wait_for(2).await;
    records_eventually(&fake, 10).await;
    // A retry of a kept submission neither mails again nor spends the address's count: with the
    // two spent, a third address still gets its own.
    let body = json!({ "submission_id": new_id(), "values": { "会社名": "別", "メールアドレス": "hanako@example.com" } });
    for _ in 0..2 {
        assert_eq!(
            send(&state, submit(&body.to_string(), None)).await.status,
            StatusCode::ACCEPTED
        );
    }
    let again = json!({ "submission_id": new_id(), "values": { "会社名": "別", "メールアドレス": "hanako@example.com" } });
    assert_eq!(send(&state, submit(&again.to_string(), None)).await.status, StatusCode::ACCEPTED);
    smtp.wait_for(4).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(smtp.received().len(), 4, "two auto-replies an hour to each address");
    let metrics = send(&state, get("/metrics")).await.text;
    assert!(
        metrics.contains("kform_mails_total{form=\"contact\",outcome=\"limited\"} 8"),
        "{metrics}"
    );
}

/// Kills the child when the test ends, however it ends.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn a_relay_killed_with_a_mail_in_its_queue_sends_it_once_after_a_restart() {
    let fake = spawn(Apps::demo(TOKEN)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    std::fs::write(dir.path().join("contact.json"), include_str!("../../src/demo-form.json"))
        .unwrap();
    let store = match shared_store(dir.path()) {
        Some(url) => format!("database_url = \"{}\"", url.expose()),
        None => "data_dir = \"data\"".to_owned(),
    };
    let toml = format!(
        r#"listen = "127.0.0.1:0"
{store}

[spam]
min_fill_seconds = 0

[mail]
from = "Example <info@example.com>"
retry_seconds = 1

[mail.smtp]
host = "127.0.0.1"
port = {port}
starttls = false

[connections.demo]
base_url = "{kintone}"
allow_any_host = true

[connections.demo.apps.1]
tokens = ["{TOKEN}"]

[[forms]]
file = "contact.json"
connection = "demo"

[forms.mail.autoreply]
to = "メールアドレス"
subject = {{ ja = "受付のお知らせ" }}
body = {{ ja = "{{{{会社名}}}} 様、受付番号 {{{{submission_id}}}}" }}
"#,
        kintone = fake.url()
    );
    std::fs::write(dir.path().join("kform.toml"), toml).unwrap();
    let start = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_kform"));
        command.args(["serve", "--config", "kform.toml"]).current_dir(dir.path());
        command.stderr(Stdio::null());
        let (child, base) = spawn_listening(command);
        (Killed(child), base)
    };
    // The mail server is down: the submission is accepted and its auto-reply waits in the queue.
    let (mut relay, base) = start();
    #[expect(clippy::disallowed_methods, reason = "a test client for the relay, not for kintone")]
    let http = reqwest::Client::new();
    let id = new_id();
    let body = json!({ "submission_id": id, "values": { "会社名": "サイボウズ", "メールアドレス": "taro@example.com" } });
    let answer =
        http.post(format!("{base}/v1/forms/contact/submissions")).json(&body).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::ACCEPTED);
    // Its first try fails (nothing listens), then the relay is killed.
    tokio::time::sleep(Duration::from_millis(300)).await;
    relay.0.kill().unwrap();
    relay.0.wait().unwrap();
    let smtp = SmtpServer::start_on(port);
    let (_relay, _base) = start();
    let mails = smtp.wait_for(1).await;
    assert!(
        mails[0].0.contains(&format!("Message-ID: <{id}.autoreply.contact@example.com>")),
        "{}",
        mails[0].0
    );
    // Several more tries' time: nothing is sent again.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(smtp.received().len(), 1, "exactly one auto-reply");
    records_eventually(&fake, 1).await;
}

#[tokio::test]
async fn the_editors_test_mail_goes_to_the_typed_address_alone_with_the_draft_templates() {
    let smtp = SmtpServer::start();
    let Harness { fake: _fake, state, _dir } = harness_with(Apps::demo(TOKEN), TOKEN, |config| {
        config.mail = Some(mail_settings(smtp.port, 2));
        config.forms[0].mail = form_mail();
    })
    .await;
    let path = "/v1/admin/forms/contact/mail-test";
    let mut draft = serde_json::to_value(form_mail()).unwrap();
    draft["autoreply"]["subject"]["ja"] = json!("下書き: {{会社名}} 様");
    let values = json!({ "会社名": "見本株式会社", "メールアドレス": "visitor@example.com" });
    let body = json!({ "to": "editor@example.com", "values": values, "mail": draft });
    let answer = send(&state, bearer("POST", path, ADMIN, Some(body.clone()))).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.body["sent"], true, "{}", answer.text);
    assert_eq!(answer.body["subject"], "下書き: 見本株式会社 様");
    let mails = smtp.wait_for(1).await;
    assert_eq!(mails[0].1, "editor@example.com", "never the values' address, nor the team");

    // A template naming what the form lacks is refused with its key; so is a bad address.
    let mut bad = body.clone();
    bad["mail"]["autoreply"]["body"]["ja"] = json!("{{氏名}}");
    let refused = send(&state, bearer("POST", path, ADMIN, Some(bad))).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text);
    assert!(refused.text.contains("mail.autoreply.body.ja"), "{}", refused.text);
    let mut bad = body.clone();
    bad["to"] = json!("editor@example.com\r\nBcc: evil@example.com");
    let refused = send(&state, bearer("POST", path, ADMIN, Some(bad))).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.text);
    // The hourly limit per address holds for tests too (two here).
    assert_eq!(
        send(&state, bearer("POST", path, ADMIN, Some(body.clone()))).await.status,
        StatusCode::OK
    );
    let limited = send(&state, bearer("POST", path, ADMIN, Some(body))).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS, "{}", limited.text);
    assert_eq!(smtp.wait_for(2).await.len(), 2);
}

#[tokio::test]
async fn a_form_saved_without_mail_keeps_its_mail_and_one_with_it_changes_it() {
    let smtp = SmtpServer::start();
    let Harness { fake: _fake, state, _dir } = harness_with(Apps::demo(TOKEN), TOKEN, |config| {
        config.mail = Some(mail_settings(smtp.port, 10));
    })
    .await;
    let mut form = json!({ "connection": "demo", "spec": serde_json::to_value(kform_relay::demo::demo_form().unwrap()).unwrap() });
    form["spec"]["id"] = json!("mailed");
    form["mail"] = serde_json::to_value(form_mail()).unwrap();
    let created = send(&state, bearer("POST", "/v1/admin/forms", ADMIN, Some(form.clone()))).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    // The editor's form screen saves without `mail`: the mail stays.
    let mut without = form.clone();
    without.as_object_mut().unwrap().remove("mail");
    without["captcha"] = json!(false);
    let saved = send(&state, bearer("PUT", "/v1/admin/forms/mailed", ADMIN, Some(without))).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    assert_eq!(saved.body["mail"]["notify"], json!(["team@example.com"]), "{}", saved.text);
    // A body with `mail` sets it, `{}` included.
    let mut cleared = form.clone();
    cleared["mail"] = json!({});
    let saved = send(&state, bearer("PUT", "/v1/admin/forms/mailed", ADMIN, Some(cleared))).await;
    assert_eq!(saved.body["mail"], json!({}), "{}", saved.text);
}

#[tokio::test]
async fn a_mail_that_cannot_be_delivered_is_listed_and_sent_once_when_an_operator_asks() {
    // Nothing listens on the port until the operator has fixed the mail server.
    let port = free_port();
    let Harness { fake: _fake, state, _dir } = harness_with(Apps::demo(TOKEN), TOKEN, |config| {
        let mut settings = mail_settings(port, 10);
        settings.give_up_after_tries = 2;
        settings.retry_ms = 100;
        config.mail = Some(settings);
        config.forms[0].mail = form_mail();
    })
    .await;
    let id = "3f2c6a1e-0000-4000-8000-0000000000aa";
    let body = json!({ "submission_id": id, "values": {
        "会社名": "サイボウズ株式会社", "メールアドレス": "taro@example.com" } });
    let answer = send(&state, submit(&body.to_string(), Some("ja"))).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.text);

    // After two failed tries both mails are given up and listed with the server's failure.
    let status = "/v1/admin/forms/contact/delivery";
    let failed = eventually("two mails given up", || async {
        let shown = send(&state, bearer("GET", status, ADMIN, None)).await;
        let failed = shown.body["failed_mails"].as_array().cloned().unwrap_or_default();
        if failed.len() == 2 { Ok(failed) } else { Err(shown.text) }
    })
    .await;
    let of_kind = |kind: &str| failed.iter().find(|mail| mail["kind"] == kind).unwrap().clone();
    let (reply, notice) = (of_kind("autoreply"), of_kind("notify"));
    assert_eq!(reply["submission_id"], id);
    assert_eq!(reply["to"], json!(["taro@example.com"]));
    assert_eq!(reply["tries"], 2, "{reply}");
    assert!(reply["error"].as_str().is_some_and(|error| !error.is_empty()), "{reply}");
    let metrics = send(&state, get("/metrics")).await.text;
    assert!(metrics.contains("kform_mail_queued{state=\"given_up\"} 2"), "{metrics}");
    assert!(metrics.contains("kform_mail_queued{state=\"new\"} 0"), "{metrics}");

    // Numbers that are not the form's undelivered mails are refused.
    for wrong in ["999999", "abc"] {
        let path = format!("/v1/admin/forms/contact/mails/{wrong}/resend");
        let refused = send(&state, bearer("POST", &path, ADMIN, None)).await;
        assert_eq!(refused.status, StatusCode::NOT_FOUND, "{}", refused.text);
        assert_eq!(refused.body["code"], "unknown_mail", "{}", refused.text);
    }

    // The operator starts the mail server, sends the auto-reply again and drops the notice.
    let smtp = SmtpServer::start_on(port);
    let resend = format!("/v1/admin/forms/contact/mails/{}/resend", reply["mail"]);
    let resent = send(&state, bearer("POST", &resend, ADMIN, None)).await;
    assert_eq!((resent.status, resent.body["resent"].clone()), (StatusCode::OK, json!(1)));
    let dropped = format!("/v1/admin/forms/contact/mails/{}/drop", notice["mail"]);
    let answer = send(&state, bearer("POST", &dropped, ADMIN, None)).await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{}", answer.text);
    let mails = smtp.wait_for(1).await;
    assert_eq!(mails[0].1, "taro@example.com");
    assert!(mails[0].0.contains(&format!("Message-ID: <{id}.autoreply.contact@example.com>")));
    let again = send(&state, bearer("POST", &resend, ADMIN, None)).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND, "sent once: {}", again.text);
    let shown = send(&state, bearer("GET", status, ADMIN, None)).await;
    assert_eq!(shown.body["failed_mails"], json!([]), "{}", shown.text);

    // The history shows the failed tries and the delivery; the dropped notice never goes.
    let endpoints = eventually("the auto-reply's delivery in the history", || async {
        let path = format!("/v1/admin/forms/contact/submissions/{id}");
        let shown = send(&state, bearer("GET", &path, ADMIN, None)).await;
        let attempts = shown.body["attempts"].as_array().cloned().unwrap_or_default();
        let replies: Vec<Value> = attempts
            .into_iter()
            .filter(|attempt| attempt["endpoint"] == "SMTP auto-reply")
            .map(|attempt| attempt["status"].clone())
            .collect();
        if replies.contains(&json!(250)) { Ok(replies) } else { Err(shown.text) }
    })
    .await;
    assert_eq!(endpoints, [Value::Null, json!(250)], "given up, then sent");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(smtp.received().len(), 1, "the dropped notice was not sent");
}
