//! Data-driven tests: every `tests/cases/*.json` validates values against a fields.json fixture
//! and compares the outcome with the JSON `kform validate` prints; every `tests/lint/*.json`
//! lints a form and compares the lines `kform lint-form` prints.
#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

use std::fs;
use std::path::{Path, PathBuf};

use kform_core::protocol::verdict;
use kform_core::{AppFields, AppId, FormId, FormSpec, Locale, Values, lint, validate};
use serde::Deserialize;

/// One validation case.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    /// What the case shows, for people reading it.
    #[allow(dead_code)]
    about: String,
    /// A file in `tests/fixtures/kintone/`.
    fields: String,
    /// The form; every writable field when absent.
    form: Option<serde_json::Value>,
    /// `ja` (default) or `en`.
    lang: Option<String>,
    values: serde_json::Value,
    expect: serde_json::Value,
}

/// One lint case.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LintCase {
    #[allow(dead_code)]
    about: String,
    fields: String,
    form: serde_json::Value,
    lang: Option<String>,
    expect: Vec<String>,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn load_fields(name: &str) -> AppFields {
    let path = root().join("../../tests/fixtures/kintone").join(name);
    let json = fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    AppFields::from_kintone_json(&json).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

fn case_files(folder: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(root().join("tests").join(folder))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no cases in tests/{folder}");
    files
}

fn locale(lang: Option<&str>) -> Locale {
    lang.map_or(Locale::Ja, |tag| Locale::from_tag(tag).expect("lang is ja or en"))
}

#[test]
fn validation_cases() {
    let mut failures = Vec::new();
    for path in case_files("cases") {
        let case: Case = serde_json::from_str(&fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|err| panic!("{}: {err}", path.display()));
        let fields = load_fields(&case.fields);
        let form = match case.form {
            Some(form) => serde_json::from_value(form).unwrap(),
            None => FormSpec::every_field(FormId("cli".into()), AppId(0), &fields),
        };
        let values: Values = serde_json::from_value(case.values).unwrap();
        let actual = verdict(&validate(&fields, &form, &values), locale(case.lang.as_deref()));
        if actual != case.expect {
            let actual = serde_json::to_string_pretty(&actual).unwrap();
            failures.push(format!("{}: got\n{actual}", path.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn lint_cases() {
    let mut failures = Vec::new();
    for path in case_files("lint") {
        let case: LintCase = serde_json::from_str(&fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|err| panic!("{}: {err}", path.display()));
        let fields = load_fields(&case.fields);
        let form: FormSpec = serde_json::from_value(case.form).unwrap();
        let lang = locale(case.lang.as_deref());
        let actual: Vec<String> = lint(&fields, &form).iter().map(|i| i.line(lang)).collect();
        if actual != case.expect {
            let actual = serde_json::to_string_pretty(&actual).unwrap();
            failures.push(format!("{}: got\n{actual}", path.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Every problem the lint cases raise names its fix, in both languages, apart from the message.
#[test]
fn every_lint_problem_names_its_fix() {
    let mut kinds = std::collections::BTreeSet::new();
    for path in case_files("lint") {
        let case: LintCase = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
        let fields = load_fields(&case.fields);
        let form: FormSpec = serde_json::from_value(case.form).unwrap();
        for issue in lint(&fields, &form) {
            let problem = serde_json::to_value(&issue).unwrap()["problem"].to_string();
            for lang in [Locale::Ja, Locale::En] {
                let (fix, message) = (issue.fix(lang), issue.message(lang));
                assert!(!fix.is_empty() && fix != message, "{problem} in {lang:?}: {fix:?}");
            }
            kinds.insert(problem);
        }
    }
    // The cases raise 24 of the 25 kinds (all but nothing_to_send, which the editor's own tests
    // meet); a case dropped from the folder must not shrink what this checks.
    assert!(kinds.len() >= 24, "only {} kinds of problem were checked: {kinds:?}", kinds.len());
}
