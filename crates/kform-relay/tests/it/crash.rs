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

/// Writes `kform.toml` and the form into `dir`; the relay keeps its state in `store` (a
/// PostgreSQL URL), else in its data directory. `delivery` adds lines to `[delivery]`.
fn setup(dir: &Path, kintone_url: &str, store: Option<&str>, delivery: &str) {
    let mut form: Value = serde_json::from_str(include_str!("../../src/demo-form.json")).unwrap();
    form["idempotency_field"] = json!("受付ID");
    std::fs::write(dir.join("contact.json"), form.to_string()).unwrap();
    let store = match store {
        Some(url) => format!("database_url = \"{url}\""),
        None => "data_dir = \"data\"".to_owned(),
    };
    let toml = format!(
        r#"listen = "127.0.0.1:0"
{store}
log_format = "json"

[limits]
per_ip_burst = 1000000

[spam]
min_fill_seconds = 0

[delivery]
linger_ms = 50
retry_base_ms = 50
retry_cap_ms = 500
{delivery}

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

/// The records in kintone by 受付ID, once every id of `expected` is there (or after 60 s),
/// read in-process rather than through kintone's API, whose calls would count towards the
/// calls kintone sees at once.
async fn in_kintone(fake: &FakeKintone, expected: &HashSet<String>) -> BTreeMap<String, usize> {
    let mut found: BTreeMap<String, usize> = BTreeMap::new();
    for _ in 0..600 {
        found.clear();
        for record in fake.state().records(1) {
            let id = record["受付ID"]["value"].as_str().unwrap_or_default().to_owned();
            *found.entry(id).or_default() += 1;
        }
        if expected.iter().all(|id| found.contains_key(id)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_acknowledged_submission_survives_sigkill_exactly_once() {
    let fake = spawn(apps()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = shared_store(dir.path());
    setup(dir.path(), fake.url(), store.as_ref().map(Secret::expose), "");
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
            let found = in_kintone(&fake, &expected).await;
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
        let never = Arc::new(std::sync::atomic::AtomicBool::new(false));
        for sender in 0..24 {
            let label = format!("r{round}-s{sender}");
            let args = (http.clone(), base.clone(), label, acknowledged.clone(), never.clone());
            senders.spawn(send_until_dead(args.0, args.1, args.2, args.3, args.4));
        }
        tokio::time::sleep(Duration::from_millis(rand::random_range(150..700))).await;
        child.kill().unwrap();
        child.wait().unwrap();
        while let Some(tried) = senders.join_next().await {
            sent += tried.unwrap();
        }
    }
}

/// Sends submissions to the relay at `base` until it stops answering or `stop` is set; how many
/// it tried. Each acknowledged id goes into `acknowledged`.
async fn send_until_dead(
    http: reqwest::Client,
    base: String,
    label: String,
    acknowledged: Arc<Mutex<HashSet<String>>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> usize {
    let mut tried = 0;
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        let id = new_id();
        let body = json!({ "submission_id": id, "values": {
            "会社名": format!("{label}-{tried}"), "メールアドレス": "crash@example.com" } });
        tried += 1;
        let answer =
            http.post(format!("{base}/v1/forms/contact/submissions")).json(&body).send().await;
        match answer {
            Ok(answer) if answer.status().is_success() => {
                acknowledged.lock().unwrap().insert(id);
            }
            Ok(answer) => panic!("the relay answered {}", answer.status()),
            Err(_) => break,
        }
    }
    tried
}

/// Three relays on one PostgreSQL database share a burst; one of them, chosen at random, is
/// killed with SIGKILL again and again and restarted: every acknowledged submission reaches
/// kintone exactly once, and kintone never sees more calls at once than the cap.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_relays_on_one_database_survive_sigkills_exactly_once_within_the_cap() {
    const RELAYS: usize = 3;
    const CAP: u64 = 2;
    let fake = spawn(apps()).await.unwrap();
    // Each write takes a while, so the relays' calls overlap and the cap is put to the test.
    fake.state().add_fault(kform_fake_kintone::Fault {
        millis: Some(40),
        ..kform_fake_kintone::Fault::new(kform_fake_kintone::FaultKind::Latency)
            .on("*", "*/records.json")
    });
    // And each read of the app's fields, so the relays' first syncs overlap unless the cap
    // keeps them apart too.
    fake.state().add_fault(kform_fake_kintone::Fault {
        millis: Some(40),
        ..kform_fake_kintone::Fault::new(kform_fake_kintone::FaultKind::Latency)
            .on("GET", "*/app/form/*")
    });
    let url = kform_testdb::database().unwrap_or_else(|err| panic!("{err}"));
    let dirs: Vec<tempfile::TempDir> = (0..RELAYS).map(|_| tempfile::tempdir().unwrap()).collect();
    for dir in &dirs {
        // A short lease, so a killed relay's batches are taken over within the test's time.
        setup(dir.path(), fake.url(), Some(&url), &format!("concurrency = {CAP}\nlease_ms = 1500"));
    }
    #[expect(clippy::disallowed_methods, reason = "a test client for the relay, not for kintone")]
    let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let acknowledged: Arc<Mutex<HashSet<String>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut senders = tokio::task::JoinSet::new();
    let spawn_senders = |relay: usize, base: &str, senders: &mut tokio::task::JoinSet<usize>| {
        for sender in 0..6 {
            let label = format!("relay{relay}-{}-{sender}", new_id());
            let args = (http.clone(), base.to_owned(), label, acknowledged.clone(), stop.clone());
            senders.spawn(send_until_dead(args.0, args.1, args.2, args.3, args.4));
        }
    };
    let mut relays: Vec<Child> = Vec::new();
    let mut bases = Vec::new();
    for dir in &dirs {
        let (child, base) = start(dir.path());
        relays.push(child);
        bases.push(base);
    }
    // The three ask for the form at once: each syncs the app's fields, within the cap.
    let mut first = tokio::task::JoinSet::new();
    for base in &bases {
        first.spawn(http.get(format!("{base}/v1/forms/contact")).send());
    }
    while let Some(descriptor) = first.join_next().await {
        assert!(descriptor.unwrap().unwrap().status().is_success());
    }
    let warm = fake.state().stats();
    assert!(warm["peakRunning"].as_u64().unwrap() <= CAP, "the first syncs broke the cap: {warm}");
    for (relay, base) in bases.iter().enumerate() {
        spawn_senders(relay, base, &mut senders);
    }
    for _ in 0..KILLS {
        tokio::time::sleep(Duration::from_millis(rand::random_range(200..600))).await;
        let victim = rand::random_range(0..RELAYS);
        relays[victim].kill().unwrap();
        relays[victim].wait().unwrap();
        let (child, base) = start(dirs[victim].path());
        spawn_senders(victim, &base, &mut senders);
        relays[victim] = child;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut sent = 0;
    while let Some(tried) = senders.join_next().await {
        sent += tried.unwrap();
    }
    let expected = acknowledged.lock().unwrap().clone();
    let found = in_kintone(&fake, &expected).await;
    for relay in &mut relays {
        relay.kill().unwrap();
        relay.wait().unwrap();
    }

    let missing = expected.iter().filter(|id| !found.contains_key(*id)).count();
    assert_eq!(missing, 0, "acknowledged submissions never reached kintone");
    let twice: Vec<_> = found.iter().filter(|(_, count)| **count > 1).collect();
    assert!(twice.is_empty(), "delivered more than once: {twice:?}");
    assert!(expected.len() >= 500, "only {} submissions were acknowledged", expected.len());
    let peak = fake.state().stats()["peakRunning"].as_u64().unwrap();
    let stats = fake.state().stats();
    assert!(
        peak <= CAP,
        "kintone saw {peak} calls at once; the cap across relays is {CAP}: {stats:#}"
    );
    eprintln!(
        "crash test, {RELAYS} relays on one database: {sent} sent, {} acknowledged, {} in kintone, {KILLS} kills, peak {peak} calls at once",
        expected.len(),
        found.len()
    );
}
