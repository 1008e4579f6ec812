//! `kform validate` and `kform lint-form`: the core's validation and lint on files, for people
//! and scripts. Exit codes: 0 valid or clean, 1 problems found, 2 unreadable or malformed input.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use clap::ValueEnum;
use kform_core::protocol::verdict;
use kform_core::{AppFields, AppId, FormId, FormSpec, Locale, Values, lint, validate};

/// A message language on the command line.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum Lang {
    /// Japanese.
    Ja,
    /// English.
    En,
}

impl From<Lang> for Locale {
    fn from(lang: Lang) -> Self {
        match lang {
            Lang::Ja => Self::Ja,
            Lang::En => Self::En,
        }
    }
}

/// Input that could not be used, with the sentence to print.
struct Unreadable(String);

/// `kform validate`: prints `{"ok": true, "record": …}` or `{"ok": false, "errors": …}`.
pub(crate) fn validate_command(
    fields: &Path,
    record: &Path,
    form: Option<&Path>,
    lang: Lang,
) -> ExitCode {
    let run = || -> Result<serde_json::Value, Unreadable> {
        let fields = read_fields(fields)?;
        let values: Values = serde_json::from_str(&read(record)?).map_err(|err| {
            Unreadable(format!("{}: not a JSON object of field values: {err}", record.display()))
        })?;
        let form = match form {
            Some(path) => FormSpec::from_json(&read(path)?)
                .map_err(|err| Unreadable(format!("{}: {err}", path.display())))?,
            None => FormSpec::every_field(FormId("cli".into()), AppId(0), &fields),
        };
        Ok(verdict(&validate(&fields, &form, &values), lang.into()))
    };
    match run() {
        Ok(verdict) => {
            let ok = verdict["ok"] == true;
            let text = serde_json::to_string_pretty(&verdict).unwrap_or_default();
            finish(&[text], if ok { 0 } else { 1 })
        }
        Err(Unreadable(message)) => unreadable("validate", &message),
    }
}

/// `kform lint-form`: prints one line per problem (or, with `json`, a JSON array).
pub(crate) fn lint_command(fields: &Path, form: &Path, lang: Lang, json: bool) -> ExitCode {
    let run = || -> Result<(FormSpec, Vec<kform_core::LintIssue>), Unreadable> {
        let fields = read_fields(fields)?;
        // Read without the format check, so a newer format is reported as a lint problem.
        let spec: FormSpec = serde_json::from_str(&read(form)?).map_err(|err| {
            Unreadable(format!("{}: not a kform form definition: {err}", form.display()))
        })?;
        let issues = lint(&fields, &spec);
        Ok((spec, issues))
    };
    match run() {
        Ok((spec, issues)) => {
            // Warnings are printed but do not fail the command.
            let code = if kform_core::has_errors(&issues) { 1 } else { 0 };
            let lines = if json {
                vec![serde_json::to_string_pretty(&issues).unwrap_or_default()]
            } else if issues.is_empty() {
                vec![format!("form {}: no problems", spec.id)]
            } else {
                issues.iter().map(|issue| issue.line(lang.into())).collect()
            };
            finish(&lines, code)
        }
        Err(Unreadable(message)) => unreadable("lint-form", &message),
    }
}

fn read(path: &Path) -> Result<String, Unreadable> {
    fs::read_to_string(path)
        .map_err(|err| Unreadable(format!("cannot read {}: {err}", path.display())))
}

fn read_fields(path: &Path) -> Result<AppFields, Unreadable> {
    AppFields::from_kintone_json(&read(path)?)
        .map_err(|err| Unreadable(format!("{}: {err}", path.display())))
}

fn finish(lines: &[String], code: u8) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    for line in lines {
        if writeln!(stdout, "{line}").is_err() {
            return ExitCode::from(2);
        }
    }
    ExitCode::from(code)
}

fn unreadable(command: &str, message: &str) -> ExitCode {
    // Nothing more useful can be done if stderr itself is gone.
    let _ = writeln!(std::io::stderr(), "kform {command}: {message}");
    ExitCode::from(2)
}
