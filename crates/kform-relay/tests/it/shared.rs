//! Relays sharing one PostgreSQL database act as one: a form saved on one is served by the
//! others, and a render token signed by one is accepted by the others; `check-config` and
//! `migrate` name the database, never its password.

use super::serve_cli::{kform, setup};
use super::*;

/// A folder whose `kform.toml` keeps the relay's state in the database at `url`.
fn on_database(kintone_url: &str, url: &str) -> tempfile::TempDir {
    let dir = setup(kintone_url);
    let toml = std::fs::read_to_string(dir.path().join("kform.toml")).unwrap();
    // A render token is checked only when a form must take a while to fill.
    let toml = toml
        .replace("data_dir = \"data\"", "database_url = { env = \"KFORM_TEST_DB\" }")
        .replace("min_fill_seconds = 0", "min_fill_seconds = 1")
        // The test polls one relay from one address until it sees the other's change.
        .replace("[spam]", "[limits]\nper_ip_burst = 1000000\n\n[spam]");
    std::fs::write(dir.path().join("kform.toml"), toml).unwrap();
    std::fs::write(dir.path().join("url"), url).unwrap();
    dir
}

/// A running relay, killed when the test ends (passed or not).
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn relay(dir: &std::path::Path, args: &[&str]) -> std::process::Command {
    let mut command = kform(dir, args);
    command.env("KFORM_TEST_DB", std::fs::read_to_string(dir.join("url")).unwrap());
    command
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_relays_on_one_database_share_forms_and_render_tokens() {
    let fake = spawn(Apps::demo(TOKEN)).await.unwrap();
    let url = kform_testdb::database().unwrap_or_else(|err| panic!("{err}"));
    // The test server trusts loopback logins, so a password in the URL is accepted as given:
    // it stands for the operator's, which nothing may print.
    let url = url.replacen("kform@", "kform:db-password-canary@", 1);
    assert!(url.contains("db-password-canary@"), "{url}");
    let (a, b) = (on_database(fake.url(), &url), on_database(fake.url(), &url));
    // check-config on a database no relay has used makes kform's tables and names the
    // database without its password; `kform migrate` has nothing left to do.
    let checked = relay(a.path(), &["check-config", "--config", "kform.toml"]).output().unwrap();
    let said = String::from_utf8_lossy(&checked.stdout);
    assert!(said.contains("PostgreSQL database kform_"), "{said}");
    assert!(said.contains("database layout 3 (current)"), "{said}");
    assert!(!said.contains("db-password-canary"), "the password is never shown: {said}");
    let migrated = relay(b.path(), &["migrate", "--config", "kform.toml"]).output().unwrap();
    assert_eq!(migrated.status.code(), Some(0), "{}", String::from_utf8_lossy(&migrated.stderr));
    assert_eq!(String::from_utf8_lossy(&migrated.stdout), "database layout 3: already current\n");
    // A wrong database is named with PostgreSQL's own words.
    let wrong = on_database(fake.url(), &url.replace("/kform_", "/missing_"));
    let checked =
        relay(wrong.path(), &["check-config", "--config", "kform.toml"]).output().unwrap();
    let said = String::from_utf8_lossy(&checked.stdout);
    assert!(said.contains("does not exist"), "{said}");
    assert!(!said.contains("db-password-canary"), "nor in an error: {said}");

    let (first, base_a) = spawn_listening(relay(a.path(), &["serve", "--config", "kform.toml"]));
    let _first = Running(first);
    let (second, base_b) = spawn_listening(relay(b.path(), &["serve", "--config", "kform.toml"]));
    let _second = Running(second);
    #[expect(clippy::disallowed_methods, reason = "a test client for the relay, not for kintone")]
    let http = reqwest::Client::new();
    // A form saved through relay A ...
    let mut spec = serde_json::to_value(demo_form().unwrap()).unwrap();
    spec["id"] = json!("made");
    let settings = json!({ "connection": "demo", "allowed_origins": [], "spec": spec });
    let saved = http
        .post(format!("{base_a}/v1/admin/forms"))
        .bearer_auth(ADMIN)
        .json(&settings)
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), 201, "{}", saved.text().await.unwrap());
    // ... is served by relay B at once: a form it does not know makes it read the database.
    let served = http.get(format!("{base_b}/v1/forms/made")).send().await.unwrap();
    assert_eq!(served.status(), 200, "relay B serves the form saved on relay A");
    // A render token signed by relay A is accepted by relay B.
    let served = http.get(format!("{base_a}/v1/forms/made")).send().await.unwrap();
    let token = served.headers()["kform-render-token"].to_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let body = json!({ "submission_id": new_id(), "render_token": token,
        "values": { "会社名": "共有商事", "メールアドレス": "a@example.com" } });
    let sent =
        http.post(format!("{base_b}/v1/forms/made/submissions")).json(&body).send().await.unwrap();
    assert_eq!(sent.status(), 202, "{}", sent.text().await.unwrap());
    let forged = json!({ "submission_id": new_id(), "render_token": "e30.AAAA",
        "values": { "会社名": "偽造商事", "メールアドレス": "a@example.com" } });
    let refused = http
        .post(format!("{base_b}/v1/forms/made/submissions"))
        .json(&forged)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    // One of the two delivers it, once; B reports the database in its readiness.
    let records = records_eventually(&fake, 1).await;
    assert_eq!(records[0]["会社名"]["value"], "共有商事");
    let ready: Value =
        http.get(format!("{base_b}/readyz")).send().await.unwrap().json().await.unwrap();
    assert_eq!(ready["database"]["ok"], true, "{ready}");
    // A form deleted through B is gone from A too.
    let deleted =
        http.delete(format!("{base_b}/v1/admin/forms/made")).bearer_auth(ADMIN).send().await;
    assert_eq!(deleted.unwrap().status(), 204);
    let http_a = (http.clone(), base_a.clone());
    eventually("relay A should forget the form deleted on relay B", || {
        let (http, base) = http_a.clone();
        async move {
            let served = http.get(format!("{base}/v1/forms/made")).send().await.unwrap();
            if served.status() == 404 { Ok(()) } else { Err(served.status().to_string()) }
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relays_data_directory_moves_into_postgresql_with_its_pending_submissions() {
    let fake = spawn(Apps::demo(TOKEN)).await.unwrap();
    // kintone is down: what the old relay accepts waits in its outbox.
    fake.state().add_fault(
        kform_fake_kintone::Fault::new(kform_fake_kintone::FaultKind::Maintenance)
            .on("POST", "*/records.json"),
    );
    let url = kform_testdb::database().unwrap_or_else(|err| panic!("{err}"));
    let dir = setup(fake.url());
    let toml = std::fs::read_to_string(dir.path().join("kform.toml")).unwrap();
    let toml = toml
        .replace("min_fill_seconds = 0", "min_fill_seconds = 1")
        .replace("[spam]", "[limits]\nper_ip_burst = 1000000\n\n[spam]");
    std::fs::write(dir.path().join("kform.toml"), &toml).unwrap();
    std::fs::write(dir.path().join("url"), &url).unwrap();
    let (old, base) = spawn_listening(relay(dir.path(), &["serve", "--config", "kform.toml"]));
    let mut old = Running(old);
    #[expect(clippy::disallowed_methods, reason = "a test client for the relay, not for kintone")]
    let http = reqwest::Client::new();
    let mut spec = serde_json::to_value(demo_form().unwrap()).unwrap();
    spec["id"] = json!("made");
    let settings = json!({ "connection": "demo", "allowed_origins": [], "spec": spec });
    let saved =
        http.post(format!("{base}/v1/admin/forms")).bearer_auth(ADMIN).json(&settings).send();
    assert_eq!(saved.await.unwrap().status(), 201);
    let served = http.get(format!("{base}/v1/forms/made")).send().await.unwrap();
    let token = served.headers()["kform-render-token"].to_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let submit = |company: &str| {
        json!({ "submission_id": new_id(), "render_token": token,
                "values": { "会社名": company, "メールアドレス": "m@example.com" } })
    };
    for company in ["移行一", "移行二", "移行三"] {
        let sent =
            http.post(format!("{base}/v1/forms/made/submissions")).json(&submit(company)).send();
        assert_eq!(sent.await.unwrap().status(), 202);
    }
    // database_url is added beside data_dir; the import is refused while the relay runs.
    let toml = toml.replace(
        "data_dir = \"data\"",
        "data_dir = \"data\"\ndatabase_url = { env = \"KFORM_TEST_DB\" }",
    );
    std::fs::write(dir.path().join("kform.toml"), toml).unwrap();
    let busy = relay(dir.path(), &["import", "--config", "kform.toml"]).output().unwrap();
    assert_eq!(busy.status.code(), Some(1));
    let said = String::from_utf8_lossy(&busy.stderr);
    assert!(
        said.starts_with("kform: a running relay holds") && said.contains("stop it first"),
        "{said}"
    );
    old.0.kill().unwrap();
    old.0.wait().unwrap();
    let imported = relay(dir.path(), &["import", "--config", "kform.toml"]).output().unwrap();
    let said = String::from_utf8_lossy(&imported.stdout);
    assert_eq!(
        imported.status.code(),
        Some(0),
        "{said}{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    assert!(said.contains("submissions: 3\n") && said.contains("forms: 1\n"), "{said}");
    let again = relay(dir.path(), &["import", "--config", "kform.toml"]).output().unwrap();
    assert_eq!(again.status.code(), Some(1), "a second import into the same database is refused");
    let said = String::from_utf8_lossy(&again.stderr);
    assert!(said.starts_with("kform: the database already holds"), "{said}");
    // A relay on the database delivers what the old one kept, serves its form, and takes the
    // render tokens it signed.
    fake.state().clear_faults();
    let (new, base) = spawn_listening(relay(dir.path(), &["serve", "--config", "kform.toml"]));
    let _new = Running(new);
    let records = records_eventually(&fake, 3).await;
    let mut companies: Vec<&str> =
        records.iter().map(|r| r["会社名"]["value"].as_str().unwrap()).collect();
    companies.sort_unstable();
    assert_eq!(companies, ["移行一", "移行三", "移行二"]);
    let sent =
        http.post(format!("{base}/v1/forms/made/submissions")).json(&submit("移行四")).send();
    assert_eq!(sent.await.unwrap().status(), 202, "a token signed before the move still works");
    records_eventually(&fake, 4).await;
}
