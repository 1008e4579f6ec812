//! The crash test: the real `kform` binary takes thousands of submissions while it is killed with
//! SIGKILL at random moments, again and again; every submission it acknowledged ends up in
//! kintone exactly once.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use super::*;

const KILLS: usize = 12;

fn apps() -> Apps {
    let mut apps = Apps::demo(TOKEN);
    apps.apps[0].properties.insert(
        "受付ID".into(),
        json!({ "type": "SINGLE_LINE_TEXT", "code": "受付ID", "label": "受付ID", "noLabel": false,
                "required": false, "unique": true, "minLength": "", "maxLength": "",
                "defaultValue": "", "expression": "", "hideExpression": false }),
    );
    apps
}

fn setup(dir: &Path, kintone_url: &str) {
    let mut form: Value = serde_json::from_str(include_str!("../../src/demo-form.json")).unwrap();
    form["idempotency_field"] = json!("受付ID");
    std::fs::write(dir.join("contact.json"), form.to_string()).unwrap();
    let toml = format!(
        r#"listen = "127.0.0.1:0"
data_dir = "data"
log_format = "json"

[limits]
per_ip_burst = 1000000

[spam]
min_fill_seconds = 0

[delivery]
linger_ms = 50
retry_base_ms = 50
retry_cap_ms = 500

[connections.demo]
base_url = "{kintone_url}"
allow_any_host = true

[connections.demo.apps.1]
tokens = ["{TOKEN}"]

[[forms]]
file = "contact.json"
connection = "demo"
"#
    );
    std::fs::write(dir.join("kform.toml"), toml).unwrap();
}

/// Starts the relay; its child process and base URL.
fn start(dir: &Path) -> (Child, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kform"));
    command.args(["serve", "--config", "kform.toml"]).current_dir(dir).stderr(Stdio::null());
    spawn_listening(command)
}

/// Every record of app 1, page by page.
async fn all_records(fake: &FakeKintone) -> Vec<Value> {
    let client =
        Client::new(fake.url(), None, Auth::ApiTokens(vec![ApiToken::new(TOKEN)])).unwrap();
    let mut records = Vec::new();
    loop {
        let query = format!("order by $id asc limit 500 offset {}", records.len());
        let page = client.records(kform_core::AppId(1), &query).await.unwrap();
        let done = page.len() < 500;
        records.extend(page);
        if done {
            return records;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_acknowledged_submission_survives_sigkill_exactly_once() {
    let fake = spawn(apps()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), fake.url());
    #[expect(clippy::disallowed_methods, reason = "a test client for the relay, not for kintone")]
    // A request to a killed relay fails at once; the timeout turns anything else (a connection
    // the dying relay neither answered nor reset) into the same failure instead of a hung test.
    let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let acknowledged: Arc<Mutex<HashSet<String>>> = Arc::default();
    let mut sent = 0usize;
    for round in 0..=KILLS {
        let (mut child, base) = start(dir.path());
        if round == KILLS {
            // The last start delivers what is left; nothing is killed.
            let expected = acknowledged.lock().unwrap().clone();
            let mut found: BTreeMap<String, usize> = BTreeMap::new();
            for _ in 0..600 {
                found.clear();
                for record in all_records(&fake).await {
                    let id = record["受付ID"]["value"].as_str().unwrap_or_default().to_owned();
                    *found.entry(id).or_default() += 1;
                }
                if expected.iter().all(|id| found.contains_key(id)) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            child.kill().unwrap();
            child.wait().unwrap();
            let missing: Vec<&String> =
                expected.iter().filter(|id| !found.contains_key(*id)).collect();
            assert!(
                missing.is_empty(),
                "{} acknowledged submissions never reached kintone",
                missing.len()
            );
            let twice: Vec<_> = found.iter().filter(|(_, count)| **count > 1).collect();
            assert!(twice.is_empty(), "delivered more than once: {twice:?}");
            assert!(
                expected.len() >= 1_000,
                "only {} submissions were acknowledged",
                expected.len()
            );
            eprintln!(
                "crash test: {sent} sent, {} acknowledged, {} in kintone, {KILLS} kills",
                expected.len(),
                found.len()
            );
            return;
        }
        // Senders run until the relay dies under them.
        let mut senders = tokio::task::JoinSet::new();
        for sender in 0..24 {
            let (http, base, acknowledged) = (http.clone(), base.clone(), acknowledged.clone());
            senders.spawn(async move {
                let mut tried = 0;
                for n in 0.. {
                    let id = new_id();
                    let body = json!({ "submission_id": id, "values": {
                        "会社名": format!("r{round}-s{sender}-{n}"), "メールアドレス": "crash@example.com" } });
                    tried += 1;
                    let answer = http.post(format!("{base}/v1/forms/contact/submissions")).json(&body).send().await;
                    match answer {
                        Ok(answer) if answer.status().is_success() => {
                            acknowledged.lock().unwrap().insert(id);
                        }
                        Ok(answer) => panic!("the relay answered {}", answer.status()),
                        Err(_) => break,
                    }
                }
                tried
            });
        }
        tokio::time::sleep(Duration::from_millis(rand::random_range(150..700))).await;
        child.kill().unwrap();
        child.wait().unwrap();
        while let Some(tried) = senders.join_next().await {
            sent += tried.unwrap();
        }
    }
}
