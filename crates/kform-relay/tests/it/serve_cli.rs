//! `kform serve` and `kform check-config` as an operator runs them: a real `kform.toml`, secrets
//! from the environment, JSON logs, graceful shutdown, and a canary check that no secret shows
//! in any answer, log line or the widget bundle.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

use super::*;

const FORM: &str = include_str!("../../src/demo-form.json");

/// A folder with `kform.toml` and `contact.json` for a relay in front of `kintone_url`.
pub(super) fn setup(kintone_url: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("contact.json"), FORM).unwrap();
    let pkg = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../pkg");
    let widget = if pkg.join("kform.js").is_file() {
        format!("widget_dir = {:?}\n", pkg.display().to_string())
    } else {
        String::new()
    };
    let toml = format!(
        r#"listen = "127.0.0.1:0"
data_dir = "data"
log_format = "json"
{widget}admin_keys = [{{ env = "KFORM_TEST_ADMIN" }}]
integration_keys = [{{ env = "KFORM_TEST_INTEGRATION" }}]

[spam]
min_fill_seconds = 0

[delivery]
linger_ms = 20
retry_base_ms = 20
retry_cap_ms = 200

[connections.demo]
base_url = "{kintone_url}"
allow_any_host = true

[connections.demo.apps.1]
tokens = [{{ env = "KFORM_TEST_TOKEN" }}]

[[forms]]
file = "contact.json"
connection = "demo"
allowed_origins = ["https://www.example.com"]
"#
    );
    std::fs::write(dir.path().join("kform.toml"), toml).unwrap();
    dir
}

pub(super) fn kform(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kform"));
    command
        .args(args)
        .current_dir(dir)
        .env("KFORM_TEST_ADMIN", ADMIN)
        .env("KFORM_TEST_INTEGRATION", INTEGRATION)
        .env("KFORM_TEST_TOKEN", TOKEN);
    command
}

#[test]
fn a_bad_config_names_every_bad_key_and_exits_2() {
    let dir = setup("http://127.0.0.1:9");
    let toml = std::fs::read_to_string(dir.path().join("kform.toml")).unwrap();
    std::fs::write(
        dir.path().join("kform.toml"),
        format!("{toml}\n[limits]\ntrusted_proxy_hops = \"one\"\n"),
    )
    .unwrap();
    let output = kform(dir.path(), &["serve", "--config", "kform.toml"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("limits.trusted_proxy_hops: "), "{stderr}");
    std::fs::write(dir.path().join("kform.toml"), toml.replace("allow_any_host = true", ""))
        .unwrap();
    let output =
        kform(dir.path(), &["check-config"]).env_remove("KFORM_TEST_TOKEN").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("connections.demo.apps.1.tokens[0]: the environment variable KFORM_TEST_TOKEN is not set"), "{stderr}");
    assert!(stderr.contains("connections.demo.base_url: "), "every problem at once: {stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn check_config_prints_what_works() {
    let fake = spawn(Apps::demo(TOKEN)).await.unwrap();
    let dir = setup(fake.url());
    let output = kform(dir.path(), &["check-config"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.lines().any(|line| line.starts_with("demo") && line.contains(" ok ")),
        "{stdout}"
    );
    assert!(stdout.contains("at least once"), "{stdout}");
    assert!(stdout.contains("data directory data: database layout 7 (current)"), "{stdout}");
    // `kform migrate` says there is nothing to do for a current layout.
    let migrate = kform(dir.path(), &["migrate"]).output().unwrap();
    assert_eq!(migrate.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&migrate.stdout), "database layout 7: already current\n");
    // Settings that do nothing or are weak are warned about, and the check still passes.
    assert!(
        stdout.contains("admin_keys[0]: a key of 27 characters can be guessed")
            && !stdout.contains("integration_keys[0]"),
        "{stdout}"
    );
    let toml = std::fs::read_to_string(dir.path().join("kform.toml")).unwrap();
    if toml.contains("widget_dir") {
        assert!(!stdout.contains("widget:"), "{stdout}");
    }
    // Without widget_dir (and none built into this test binary), embedded forms cannot load.
    let toml: String = toml
        .lines()
        .filter(|line| !line.starts_with("widget_dir"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(dir.path().join("kform.toml"), format!("{toml}owners = [\"m@example.com\"]\n"))
        .unwrap();
    let owners = kform(dir.path(), &["check-config"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&owners.stdout);
    assert_eq!(owners.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("forms[0].owners: nobody is told, because [notify.smtp] is not set"),
        "{stdout}"
    );
    assert!(stdout.contains("widget: no widget is built in and widget_dir is not set"), "{stdout}");
    // A bundle without every build of the `.wasm` (copied in part, or from an older build):
    // the forms whose markup names a missing one stay basic.
    let partial = dir.path().join("partial-pkg");
    std::fs::create_dir(&partial).unwrap();
    std::fs::write(partial.join("kform.js"), "export default 1;").unwrap();
    std::fs::write(partial.join("kform_widget_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(partial.join("kform_widget_lean_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    let owned = std::fs::read_to_string(dir.path().join("kform.toml")).unwrap();
    let widget = format!("widget_dir = {:?}\n", partial.display().to_string());
    std::fs::write(dir.path().join("kform.toml"), format!("{widget}{owned}")).unwrap();
    let partly = kform(dir.path(), &["check-config"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&partly.stdout);
    assert_eq!(partly.status.code(), Some(0), "a warning: {stdout}");
    assert!(
        stdout.contains(
            "widget: the bundle lacks kform_widget_rows_bg.wasm, kform_widget_confirm_bg.wasm, so"
        ),
        "{stdout}"
    );
    std::fs::write(dir.path().join("kform.toml"), owned).unwrap();
    let wrong = kform(dir.path(), &["check-config"])
        .env("KFORM_TEST_TOKEN", "wrong-token")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&wrong.stdout);
    assert_eq!(wrong.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("FAIL") && stdout.contains("GAIA_IA02"), "{stdout}");
    assert!(!stdout.contains("wrong-token"));
}

/// Every answer as text: status, headers and body.
async fn call(method: &str, url: &str, headers: &[(&str, &str)], body: Option<String>) -> String {
    #[expect(clippy::disallowed_methods, reason = "a test client for the relay, not for kintone")]
    let client = reqwest::Client::new();
    let mut request = client.request(method.parse().unwrap(), url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request.header("content-type", "application/json").body(body);
    }
    let response = request.send().await.unwrap();
    let mut text = format!("{}\n", response.status());
    for (name, value) in response.headers() {
        text.push_str(&format!("{name}: {}\n", value.to_str().unwrap_or("<bytes>")));
    }
    text.push_str(&response.text().await.unwrap());
    text
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_runs_from_kform_toml_logs_json_stops_gracefully_and_leaks_no_secret() {
    let fake = spawn(Apps::demo(TOKEN)).await.unwrap();
    let dir = setup(fake.url());
    let mut command = kform(dir.path(), &["serve", "--config", "kform.toml"]);
    command.env("RUST_LOG", "debug").stderr(Stdio::piped());
    let (mut child, base) = spawn_listening(command);
    let mut answers = Vec::new();
    let page = [("origin", "https://www.example.com")];
    answers.push(call("GET", &format!("{base}/v1/forms/contact"), &page, None).await);
    let valid = json!({ "submission_id": new_id(), "values": { "会社名": "A", "メールアドレス": "a@example.com" } });
    answers.push(
        call(
            "POST",
            &format!("{base}/v1/forms/contact/submissions"),
            &page,
            Some(valid.to_string()),
        )
        .await,
    );
    answers.push(
        call("POST", &format!("{base}/v1/forms/contact/submissions"), &page, Some("{}".into()))
            .await,
    );
    answers.push(
        call(
            "GET",
            &format!("{base}/v1/admin/connections"),
            &[("authorization", &format!("Bearer {ADMIN}"))],
            None,
        )
        .await,
    );
    answers.push(
        call(
            "GET",
            &format!("{base}/v1/admin/connections"),
            &[("authorization", &format!("Bearer {TOKEN}"))],
            None,
        )
        .await,
    );
    answers.push(
        call(
            "GET",
            &format!("{base}/v1/admin/forms/contact"),
            &[("authorization", &format!("Bearer {ADMIN}"))],
            None,
        )
        .await,
    );
    answers.push(call("GET", &format!("{base}/readyz"), &[], None).await);
    answers.push(call("GET", &format!("{base}/metrics"), &[], None).await);
    fake.state().add_fault(
        kform_fake_kintone::Fault::new(kform_fake_kintone::FaultKind::ServerError)
            .on("POST", "*/record.json"),
    );
    let failing = json!({ "submission_id": new_id(), "values": { "会社名": "B", "メールアドレス": "b@example.com" } });
    answers.push(
        call(
            "POST",
            &format!("{base}/v1/forms/contact/submissions"),
            &page,
            Some(failing.to_string()),
        )
        .await,
    );
    answers.push(call("GET", &format!("{base}/widget/kform.js"), &[], None).await);
    assert!(answers[1].starts_with("202"), "{}", answers[1]);
    assert!(answers[4].starts_with("401"), "a kintone token is not an admin key: {}", answers[4]);
    assert!(
        answers[8].starts_with("202"),
        "kintone failing is the relay's business: {}",
        answers[8]
    );
    // SIGTERM while a delivery waits on a slow kintone: the relay stops accepting, lets that
    // kintone call finish, keeps its outcome, and exits cleanly.
    fake.state().clear_faults();
    fake.state().add_fault(kform_fake_kintone::Fault {
        millis: Some(800),
        ..kform_fake_kintone::Fault::new(kform_fake_kintone::FaultKind::Latency)
            .on("POST", "*/records.json")
    });
    let slow_id = new_id();
    let slow = json!({ "submission_id": slow_id, "values": { "会社名": "C", "メールアドレス": "c@example.com" } });
    let url = format!("{base}/v1/forms/contact/submissions");
    let in_flight =
        tokio::spawn(async move { call("POST", &url, &[], Some(slow.to_string())).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let accepted = in_flight.await.unwrap();
    assert!(accepted.starts_with("202"), "{accepted}");
    answers.push(accepted);
    let exit = child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
    let companies: Vec<String> = kintone_records(&fake)
        .await
        .iter()
        .map(|record| record["会社名"]["value"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(companies.iter().filter(|c| *c == "A").count(), 1, "{companies:?}");
    assert_eq!(
        companies.iter().filter(|c| *c == "C").count(),
        1,
        "the call in flight finished: {companies:?}"
    );
    assert!(companies.iter().filter(|c| *c == "B").count() <= 1, "{companies:?}");
    let db = rusqlite::Connection::open(dir.path().join("data/kform.sqlite3")).unwrap();
    let stage: String = db
        .query_row("SELECT stage FROM submissions WHERE submission_id = ?1", [&slow_id], |row| {
            row.get(0)
        })
        .unwrap();
    assert_eq!(stage, "delivered", "the outcome of the call in flight was kept before exiting");
    let mut logs = String::new();
    child.stderr.take().unwrap().read_to_string(&mut logs).unwrap();
    let lines: Vec<Value> = logs
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect();
    assert!(
        lines
            .iter()
            .any(|line| line["span"]["request_id"].as_str().is_some_and(|id| id.len() == 36)),
        "{logs}"
    );
    assert!(lines.iter().any(|line| line["fields"]["message"] == "stopped"), "{logs}");
    let mut bundle = Vec::new();
    let pkg = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../pkg");
    for entry in std::fs::read_dir(&pkg).into_iter().flatten().flatten() {
        bundle.extend(std::fs::read(entry.path()).unwrap_or_default());
    }
    let bundle = String::from_utf8_lossy(&bundle);
    for canary in [TOKEN, ADMIN, INTEGRATION] {
        for answer in &answers {
            assert!(!answer.contains(canary), "{canary} in an answer:\n{answer}");
        }
        assert!(!logs.contains(canary), "{canary} in the logs");
        assert!(!bundle.contains(canary), "{canary} in the widget bundle");
    }
}
