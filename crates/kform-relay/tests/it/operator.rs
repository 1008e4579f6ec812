//! `kform history`, `replay`, `discard`, `resume`, `resend-mail` and `drop-mail` as an operator
//! runs them on the relay's machine while the relay serves: their output, their exit codes, a
//! replay after the app was fixed in kintone that the running relay delivers, and a mail sent
//! again once the mail server is back.

use std::process::{Child, Output, Stdio};

use super::serve_cli::{kform, setup};
use super::*;

/// A running `kform serve`, killed when dropped (also when a test fails).
struct Relay(Child);

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A running `kform serve` from `dir`, and its address.
fn serve(dir: &std::path::Path) -> (Relay, String) {
    let mut command = kform(dir, &["serve", "--config", "kform.toml"]);
    command.stderr(Stdio::null());
    let (child, base) = spawn_listening(command);
    (Relay(child), base)
}

/// Runs `kform args…` in `dir` on a blocking thread (the fake kintone keeps answering).
async fn run(dir: &std::path::Path, args: &[&str]) -> Output {
    let mut command = kform(dir, args);
    tokio::task::spawn_blocking(move || command.output().unwrap()).await.unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// One admin API call to the running relay; status and JSON body.
async fn admin_api(method: &str, url: &str, body: Option<Value>) -> (u16, Value) {
    #[expect(clippy::disallowed_methods, reason = "a test client for the relay, not for kintone")]
    let client = reqwest::Client::new();
    let mut request = client
        .request(method.parse().unwrap(), url)
        .header("authorization", format!("Bearer {ADMIN}"));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Submits `values` to the running relay as a page on an allowed origin; the submission id.
async fn submit_to(base: &str, values: Value) -> String {
    let id = new_id();
    #[expect(clippy::disallowed_methods, reason = "a test client for the relay, not for kintone")]
    let response = reqwest::Client::new()
        .post(format!("{base}/v1/forms/contact/submissions"))
        .header("origin", "https://www.example.com")
        .json(&json!({ "submission_id": id, "values": values }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 202, "{}", response.text().await.unwrap());
    id
}

/// Waits until the running relay shows submission `id` in `stage`.
async fn stage_reached(base: &str, id: &str, stage: &str) {
    let url = format!("{base}/v1/admin/forms/contact/submissions/{id}");
    eventually(&format!("submission {id} in {stage}"), || async {
        let (_, shown) = admin_api("GET", &url, None).await;
        if shown["stage"] == stage { Ok(()) } else { Err(format!("{shown:#}")) }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_sees_dead_letters_with_the_fix_and_replays_them_once_the_app_is_fixed() {
    let fake = spawn(Apps::demo(TOKEN)).await.unwrap();
    let dir = setup(fake.url());
    let (relay, base) = serve(dir.path());
    let contact = |n: usize, kind: &str| json!({ "会社名": format!("会社{n}"), "メールアドレス": format!("u{n}@example.com"), "問い合わせ種別": kind });
    // The relay syncs the app, then 見積依頼 is removed from it in kintone.
    assert_eq!(admin_api("GET", &format!("{base}/v1/forms/contact"), None).await.0, 200);
    let original = Apps::demo(TOKEN).apps[0].properties.clone();
    let mut changed = original.clone();
    changed["問い合わせ種別"]["options"].as_object_mut().unwrap().remove("見積依頼");
    fake.state().set_properties(1, changed).unwrap();
    let refused = [
        submit_to(&base, contact(1, "見積依頼")).await,
        submit_to(&base, contact(2, "見積依頼")).await,
    ];
    let delivered = submit_to(&base, contact(3, "資料請求")).await;
    for id in &refused {
        stage_reached(&base, id, "dead_letter").await;
    }
    stage_reached(&base, &delivered, "delivered").await;

    // The history names each dead letter with kintone's words and what to do, in lines…
    let lines = run(dir.path(), &["history", "--form", "contact", "--stage", "dead_letter"]).await;
    assert_eq!(lines.status.code(), Some(0), "{}", text(&lines.stderr));
    let out = text(&lines.stdout);
    assert!(
        out.starts_with(
            "form contact: dead_letter 2, delivered 1, discarded 0, pending 0, spam 0, tested 0\n"
        ),
        "{out}"
    );
    for id in &refused {
        assert!(out.contains(&format!("dead_letter  tries 1  {id}")), "{out}");
    }
    assert!(out.contains("見積依頼"), "kintone's or the relay's words: {out}");
    assert!(out.contains("    what to do: "), "{out}");
    assert!(!out.contains(&delivered), "only the stage asked for: {out}");
    // …and as the admin API's JSON, with the delivered record's page in kintone.
    let json = run(dir.path(), &["history", "--form", "contact", "--json", "--lang", "ja"]).await;
    assert_eq!(json.status.code(), Some(0));
    let json: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(json["status"]["counts"]["dead_letter"], 2);
    let listed = json["submissions"].as_array().unwrap();
    assert_eq!(listed.len(), 3);
    let record = listed.iter().find(|s| s["submission_id"] == delivered.as_str()).unwrap();
    let url = record["record_url"].as_str().unwrap();
    assert!(url.starts_with(fake.url()) && url.contains("/k/1/show#record="), "{url}");
    let dead = listed.iter().find(|s| s["submission_id"] == refused[0].as_str()).unwrap();
    assert!(dead["fix"].as_str().unwrap().contains("再送"), "the fix in Japanese: {dead:#}");

    // A correction kintone would refuse is refused first, named field by field.
    let id = refused[1].as_str();
    let set =
        |value: &'static str| ["replay", "--form", "contact", "--submission", id, "--set", value];
    let wrong = run(dir.path(), &set("問い合わせ種別=見積依頼")).await;
    assert_eq!(wrong.status.code(), Some(1));
    let said = text(&wrong.stderr);
    assert!(
        said.starts_with(
            "kform: the corrected values are refused:\n  record.問い合わせ種別.value: "
        ),
        "{said}"
    );
    let malformed = run(dir.path(), &set("問い合わせ種別")).await;
    assert_eq!(malformed.status.code(), Some(1));
    assert!(text(&malformed.stderr).contains("is not FIELD=VALUE"));
    // One is given up; a settled or unknown submission is refused with exit 1.
    let discard =
        run(dir.path(), &["discard", "--form", "contact", "--submission", &refused[1]]).await;
    assert_eq!(discard.status.code(), Some(0), "{}", text(&discard.stderr));
    assert!(text(&discard.stdout).contains("discarded"));
    let again =
        run(dir.path(), &["discard", "--form", "contact", "--submission", &refused[1]]).await;
    assert_eq!(again.status.code(), Some(1));
    assert!(
        text(&again.stderr).contains("the submission is discarded;"),
        "{}",
        text(&again.stderr)
    );
    let unknown = run(dir.path(), &["replay", "--form", "contact", "--submission", "nope"]).await;
    assert_eq!(unknown.status.code(), Some(1));
    assert!(text(&unknown.stderr).contains("there is no submission \"nope\""));

    // The app is fixed in kintone; replaying every dead letter delivers the other one, by the
    // running relay, checked against the fields the command synced.
    fake.state().set_properties(1, original).unwrap();
    let replay = run(dir.path(), &["replay", "--form", "contact", "--all-dead-letters"]).await;
    assert_eq!(replay.status.code(), Some(0), "{}", text(&replay.stderr));
    assert_eq!(text(&replay.stdout), "1 dead letter(s) of form contact pending again\n");
    stage_reached(&base, &refused[0], "delivered").await;
    let records = kintone_records(&fake).await;
    assert_eq!(records.len(), 2, "the replayed one and the first delivery, nothing twice");

    // A form that is not paused says so; a mistyped form or stage is refused; a bad kform.toml
    // exits 2 as for every command.
    let resume = run(dir.path(), &["resume", "--form", "contact"]).await;
    assert_eq!(
        (resume.status.code(), text(&resume.stdout)),
        (Some(0), "form contact was not paused\n".to_owned())
    );
    let nope = run(dir.path(), &["history", "--form", "contcat"]).await;
    assert_eq!(nope.status.code(), Some(1));
    assert!(text(&nope.stderr).contains("there is no form \"contcat\""), "{}", text(&nope.stderr));
    let stage = run(dir.path(), &["history", "--form", "contact", "--stage", "lost"]).await;
    assert_eq!(stage.status.code(), Some(1));
    assert!(text(&stage.stderr).contains("there is no stage \"lost\""));
    let missing =
        run(dir.path(), &["history", "--config", "missing.toml", "--form", "contact"]).await;
    assert_eq!(missing.status.code(), Some(2));
    drop(relay);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_form_is_shown_with_its_reason_and_resumed_from_the_command_line() {
    let fake = spawn(Apps::demo(TOKEN)).await.unwrap();
    let dir = setup(fake.url());
    let (relay, base) = serve(dir.path());
    assert_eq!(admin_api("GET", &format!("{base}/v1/forms/contact"), None).await.0, 200);
    // kintone stops taking the token (it was regenerated): the form pauses.
    fake.state().set_tokens(1, Vec::new()).unwrap();
    let id = submit_to(&base, json!({ "会社名": "A", "メールアドレス": "a@example.com" })).await;
    let delivery = format!("{base}/v1/admin/forms/contact/delivery");
    let reason = eventually("the pause", || async {
        let (_, status) = admin_api("GET", &delivery, None).await;
        status["paused"]["reason"].as_str().map(str::to_owned).ok_or(format!("{status:#}"))
    })
    .await;
    assert!(reason.contains("GAIA_IA02"), "{reason}");
    let history = run(dir.path(), &["history", "--form", "contact"]).await;
    let out = text(&history.stdout);
    assert!(out.contains("delivery paused since "), "{out}");
    assert!(out.contains(&format!("pending      tries 0  {id}")), "{out}");
    fake.state().set_tokens(1, Apps::demo(TOKEN).apps[0].tokens.clone()).unwrap();
    let resume = run(dir.path(), &["resume", "--form", "contact"]).await;
    assert_eq!(resume.status.code(), Some(0), "{}", text(&resume.stderr));
    assert!(text(&resume.stdout).contains("form contact resumed"));
    stage_reached(&base, &id, "delivered").await;
    drop(relay);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undelivered_mail_is_listed_and_sent_again_from_the_command_line() {
    let fake = spawn(Apps::demo(TOKEN)).await.unwrap();
    let dir = setup(fake.url());
    // The team's notice goes to a mail server that is not there yet; one try, then given up.
    let port = super::mail::free_port();
    let mut toml = std::fs::read_to_string(dir.path().join("kform.toml")).unwrap();
    toml.push_str(&format!(
        "\n[forms.mail]\nnotify = [\"team@example.com\"]\n\n[mail]\nfrom = \"kform <kform@example.com>\"\n\
         retry_seconds = 1\ngive_up_after_tries = 1\n\n[mail.smtp]\nhost = \"127.0.0.1\"\nport = {port}\nstarttls = false\n"
    ));
    std::fs::write(dir.path().join("kform.toml"), toml).unwrap();
    let (relay, base) = serve(dir.path());
    let id = submit_to(&base, json!({ "会社名": "A", "メールアドレス": "a@example.com" })).await;
    let listed = eventually("the undelivered notice in the history", || async {
        let out = text(&run(dir.path(), &["history", "--form", "contact"]).await.stdout);
        let line = out.lines().find(|line| line.contains("not delivered")).map(str::to_owned);
        line.ok_or(out)
    })
    .await;
    assert!(listed.contains(&format!("(team notice for submission {id}, 1 tries")), "{listed}");
    let number = listed.strip_prefix("mail ").and_then(|rest| rest.split(' ').next()).unwrap();

    let unknown = run(dir.path(), &["resend-mail", "--form", "contact", "--mail", "999999"]).await;
    assert_eq!(unknown.status.code(), Some(1));
    assert!(text(&unknown.stderr).contains("no undelivered mail 999999"), "{unknown:?}");
    let smtp = super::mail::SmtpServer::start_on(port);
    let resent = run(dir.path(), &["resend-mail", "--form", "contact", "--mail", number]).await;
    assert_eq!(resent.status.code(), Some(0), "{}", text(&resent.stdout));
    assert!(text(&resent.stdout).contains("1 undelivered mail(s) of form contact queued again"));
    // The running relay finds it within a second or so.
    let mails = smtp.wait_for(1).await;
    assert_eq!(mails[0].1, "team@example.com");
    let all = run(dir.path(), &["resend-mail", "--form", "contact", "--all"]).await;
    assert!(text(&all.stdout).contains("0 undelivered mail(s)"), "{}", text(&all.stdout));
    let dropped = run(dir.path(), &["drop-mail", "--form", "contact", "--mail", number]).await;
    assert_eq!(dropped.status.code(), Some(1), "sent already: {}", text(&dropped.stderr));
    drop(relay);
}
