//! `kform validate` and `kform lint-form` as a user runs them: the core's data-driven cases go
//! through the binary, and unreadable input gets exit code 2 with a message on stderr.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A file with these contents in a fresh temporary folder.
fn temp_file(name: &str, contents: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("kform-cli-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

fn kform(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kform")).args(args).output().unwrap()
}

fn fixture(name: &str) -> String {
    repo().join("tests/fixtures/kintone").join(name).display().to_string()
}

fn cases(folder: &str) -> Vec<(PathBuf, Value)> {
    let dir = repo().join("crates/kform-core/tests").join(folder);
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 4, "the core's cases are found");
    files
        .into_iter()
        .map(|path| {
            let case = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            (path, case)
        })
        .collect()
}

#[test]
fn validate_prints_the_verdict_of_every_core_case() {
    for (path, case) in cases("cases") {
        let record = temp_file("values.json", &case["values"].to_string());
        let fields = fixture(case["fields"].as_str().unwrap());
        let lang = case["lang"].as_str().unwrap_or("ja");
        let mut args = vec!["validate", "--fields", &fields, "--record"];
        let record = record.display().to_string();
        args.push(&record);
        let form = case.get("form").map(|form| temp_file("form.json", &form.to_string()));
        let form = form.map(|form| form.display().to_string());
        if let Some(form) = &form {
            args.extend(["--form", form]);
        }
        args.extend(["--lang", lang]);
        let output = kform(&args);
        let stdout = String::from_utf8_lossy(&output.stdout);
        let printed: Value = serde_json::from_str(&stdout)
            .unwrap_or_else(|err| panic!("{}: {err}: {stdout}", path.display()));
        assert_eq!(printed, case["expect"], "{}", path.display());
        let expected_code = if case["expect"]["ok"] == true { 0 } else { 1 };
        assert_eq!(output.status.code(), Some(expected_code), "{}", path.display());
    }
}

#[test]
fn lint_form_prints_every_problem_of_every_core_case() {
    for (path, case) in cases("lint") {
        let form = temp_file("form.json", &case["form"].to_string());
        let fields = fixture(case["fields"].as_str().unwrap());
        let lang = case["lang"].as_str().unwrap_or("ja");
        let form = form.display().to_string();
        let output = kform(&["lint-form", "--fields", &fields, "--form", &form, "--lang", lang]);
        let stdout = String::from_utf8_lossy(&output.stdout);
        let expected: Vec<&str> =
            case["expect"].as_array().unwrap().iter().map(|l| l.as_str().unwrap()).collect();
        if expected.is_empty() {
            assert_eq!(output.status.code(), Some(0), "{}: {stdout}", path.display());
            assert!(stdout.ends_with(": no problems\n"), "{}: {stdout}", path.display());
        } else {
            // Warnings alone do not fail it.
            let errors = expected
                .iter()
                .any(|line| !line.contains(": warning: ") && !line.contains(": 注意: "));
            assert_eq!(output.status.code(), Some(i32::from(errors)), "{}", path.display());
            assert_eq!(stdout.lines().collect::<Vec<_>>(), expected, "{}", path.display());
        }
    }
    // --json gives the same problems as data.
    let form = temp_file(
        "form.json",
        r#"{"format": 1, "id": "f", "app": 1, "items": [{"field": "nope"}]}"#,
    );
    let output = kform(&[
        "lint-form",
        "--fields",
        &fixture("contact-fields.json"),
        "--form",
        &form.display().to_string(),
        "--json",
    ]);
    let issues: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(issues[0]["problem"], "unknown_field");
    assert_eq!(issues[0]["item"], 0);
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn unreadable_input_exits_2_with_a_clear_message() {
    let fields = fixture("contact-fields.json");
    let values = temp_file("values.json", r#"{"会社名": "ACME"}"#).display().to_string();
    let broken = temp_file("broken.json", r#"{"会社名": "#).display().to_string();
    let list = temp_file("list.json", r#"["会社名"]"#).display().to_string();
    let newer_form = temp_file("form.json", r#"{"format": 9, "id": "f", "app": 1, "items": []}"#)
        .display()
        .to_string();
    let missing = "/nonexistent/fields.json";
    let cases: [(&[&str], &str); 6] = [
        (
            &["validate", "--fields", missing, "--record", &values],
            "cannot read /nonexistent/fields.json",
        ),
        (
            &["validate", "--fields", &values, "--record", &values],
            "not a kintone fields.json response",
        ),
        (
            &["validate", "--fields", &fields, "--record", &broken],
            "not a JSON object of field values",
        ),
        (
            &["validate", "--fields", &fields, "--record", &list],
            "not a JSON object of field values",
        ),
        (
            &["validate", "--fields", &fields, "--record", &values, "--form", &newer_form],
            "form format 9 is not supported",
        ),
        (&["lint-form", "--fields", &fields, "--form", &broken], "not a kform form definition"),
    ];
    for (args, message) in cases {
        let output = kform(args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn fake_kintone_refuses_a_bad_apps_json_with_its_path() {
    let bad = temp_file(
        "apps.json",
        r#"{"apps": [{"id": 1, "name": "x", "properties": {"a": {"type": "SINGLE_LINE_TEXT", "code": "a", "maxLength": 5}}}]}"#,
    );
    let output = kform(&["fake-kintone", "--apps", &bad.display().to_string()]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("apps[0].properties.a.maxLength: must be a string"), "{stderr}");
    assert!(output.stdout.is_empty());
}

#[test]
fn fake_kintone_prints_where_it_listens_first() {
    let apps = repo().join("tests/fixtures/fake/apps.json").display().to_string();
    let mut command = Command::new(env!("CARGO_BIN_EXE_kform"));
    command.args(["fake-kintone", "--apps", &apps]).stderr(std::process::Stdio::null());
    let (mut child, url) = crate::spawn_listening(command);
    child.kill().unwrap();
    child.wait().unwrap();
    let port = url.strip_prefix("http://127.0.0.1:").unwrap_or_else(|| panic!("{url:?}"));
    assert!(port.parse::<u16>().is_ok_and(|port| port > 0), "{url}");
}
