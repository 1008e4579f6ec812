//! `kform history`, `replay`, `discard`, `resume`, `resend-mail` and `drop-mail`: the delivery screen's
//! operations for an operator with a shell on the relay's machine. They open the relay's data
//! directory and connections from its `kform.toml` and call the same functions as the admin
//! API; a running relay picks the changes up at its next round (within a second).

use std::fmt::Write as _;

use kform_core::Locale;

use super::{Listed, ManageError};
use crate::config::Config;
use crate::outbox::Stage;
use crate::state::AppState;

/// One operator command.
#[derive(Clone, Debug)]
pub enum Command {
    /// The form's delivery status and submissions, newest first.
    History {
        /// The form.
        form: String,
        /// Only submissions in this stage (`pending`, `delivered`, `tested`, `dead_letter`,
        /// `spam`, `discarded`).
        stage: Option<String>,
        /// At most this many.
        limit: usize,
        /// Print the admin API's JSON instead of lines.
        json: bool,
    },
    /// Replays one dead-lettered or pending submission, or every dead letter of the form.
    Replay {
        /// The form.
        form: String,
        /// The submission; `None` replays every dead letter.
        submission: Option<String>,
        /// Corrected values for the one submission, as `FIELD=VALUE` (a JSON array for a field
        /// of several values).
        set: Vec<String>,
    },
    /// Gives up one dead-lettered or pending submission.
    Discard {
        /// The form.
        form: String,
        /// The submission.
        submission: String,
    },
    /// Delivers a paused form again.
    Resume {
        /// The form.
        form: String,
    },
    /// Sends a given-up mail of the form again, or every one.
    ResendMail {
        /// The form.
        form: String,
        /// The mail's number (`kform history` lists them); `None` sends every one again.
        mail: Option<i64>,
    },
    /// Drops a given-up mail of the form for good.
    DropMail {
        /// The form.
        form: String,
        /// The mail's number.
        mail: i64,
    },
}

/// What a command printed and how it ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Standard output.
    pub output: String,
    /// Whether it did what was asked (exit 0); otherwise `output` says why (exit 1).
    pub ok: bool,
}

/// Runs `command` against the data directory and connections of `config`, in the relay's
/// language for people (`lang`).
pub async fn run(config: &Config, command: Command, lang: Locale) -> Outcome {
    let state = match AppState::open_as_found(config) {
        Ok(state) => state,
        Err(err) => return refused(&format!("the relay's data cannot be opened: {err}")),
    };
    if let Err(err) = state.load_stored().await {
        return refused(&format!("the forms made in the editor cannot be read: {err}"));
    }
    match execute(&state, command, lang).await {
        Ok(output) => Outcome { output, ok: true },
        // Refused values are named one by one, in kintone's words.
        Err(ManageError::Invalid(report, locale)) => {
            let mut why = String::from("the corrected values are refused:");
            for issue in report.issues() {
                let _ = write!(why, "\n  {}: {}", issue.path, issue.code.message(locale));
            }
            refused(&why)
        }
        Err(err) => refused(&err.to_string()),
    }
}

fn refused(why: &str) -> Outcome {
    Outcome { output: format!("kform: {why}\n"), ok: false }
}

async fn execute(state: &AppState, command: Command, lang: Locale) -> Result<String, ManageError> {
    match command {
        Command::History { form, stage, limit, json } => {
            let stage = match stage.as_deref().map(Stage::parse) {
                None => None,
                Some(Some(stage)) => Some(stage),
                Some(None) => return Err(ManageError::UnknownStage(stage.unwrap_or_default())),
            };
            let found = super::history(state, &form, stage, limit, 0, lang).await?;
            let status = super::status(state, &form, lang).await?;
            known_form(state, &form, &status)?;
            if json {
                let json = serde_json::json!({ "status": status, "submissions": found });
                return Ok(format!("{json:#}\n"));
            }
            Ok(history_text(&status, &found))
        }
        Command::Replay { form, submission: Some(id), set } => {
            let correction = corrections(&set)?;
            super::replay(state, &form, &id, correction, Some(lang)).await?;
            Ok(format!(
                "submission {id} of form {form} is pending again: delivered at the relay's next round\n"
            ))
        }
        Command::Replay { form, submission: None, .. } => {
            let replayed = super::replay_dead_letters(state, &form).await?;
            Ok(format!("{replayed} dead letter(s) of form {form} pending again\n"))
        }
        Command::Discard { form, submission } => {
            super::discard(state, &form, &submission).await?;
            Ok(format!("submission {submission} of form {form} discarded\n"))
        }
        Command::Resume { form } => Ok(if super::resume(state, &form).await? {
            format!("form {form} resumed: its pending submissions are delivered again\n")
        } else {
            format!("form {form} was not paused\n")
        }),
        Command::ResendMail { form, mail } => {
            let resent = super::resend_mail(state, &form, mail).await?;
            Ok(format!("{resent} undelivered mail(s) of form {form} queued again\n"))
        }
        Command::DropMail { form, mail } => {
            super::drop_mail(state, &form, mail).await?;
            Ok(format!("mail {mail} of form {form} dropped\n"))
        }
    }
}

/// `FIELD=VALUE` pairs as corrected values (none: the values as submitted).
fn corrections(
    set: &[String],
) -> Result<Option<serde_json::Map<String, serde_json::Value>>, ManageError> {
    if set.is_empty() {
        return Ok(None);
    }
    let mut values = serde_json::Map::new();
    for pair in set {
        let Some((field, value)) = pair.split_once('=') else {
            return Err(ManageError::BadCorrection(format!("{pair:?} is not FIELD=VALUE")));
        };
        let value = match serde_json::from_str(value) {
            Ok(list @ serde_json::Value::Array(_)) => list,
            _ => serde_json::Value::String(value.to_owned()),
        };
        values.insert(field.to_owned(), value);
    }
    Ok(Some(values))
}

/// Refuses a form that is neither defined nor has any submission kept (a mistyped id).
fn known_form(state: &AppState, form: &str, status: &super::FormStatus) -> Result<(), ManageError> {
    let defined = state.form(&kform_core::FormId(form.to_owned())).is_some();
    if defined || status.counts.values().any(|count| *count > 0) {
        Ok(())
    } else {
        Err(ManageError::UnknownForm(form.to_owned()))
    }
}

fn history_text(status: &super::FormStatus, found: &[Listed]) -> String {
    let mut out = format!("form {}:", status.form);
    for (stage, count) in &status.counts {
        let _ = write!(out, " {stage} {count},");
    }
    out.pop();
    out.push('\n');
    if let Some(paused) = &status.paused {
        let _ = writeln!(out, "delivery paused since {}: {}", paused.at.utc(), paused.reason);
    }
    for alert in &status.alerts {
        for line in &alert.lines {
            let _ = writeln!(out, "drift (fields revision {}): {line}", alert.revision);
        }
    }
    for failed in &status.failed_mails {
        let kind = match failed.kind {
            crate::mail::Kind::Autoreply => "auto-reply",
            crate::mail::Kind::Notify => "team notice",
        };
        let _ = writeln!(
            out,
            "mail {} not delivered ({kind} for submission {}, {} tries, given up {}): {}",
            failed.mail,
            failed.submission_id,
            failed.tries,
            failed.at.utc(),
            failed.error.as_deref().unwrap_or("no answer"),
        );
        let _ = writeln!(
            out,
            "    what to do: fix the address or the [mail] SMTP settings, then `kform resend-mail --form {} --mail {}`",
            status.form, failed.mail
        );
    }
    if found.is_empty() {
        out.push_str("no submissions\n");
    }
    for listed in found {
        let submission = &listed.submission;
        let _ = write!(
            out,
            "{}  {:<11}  tries {}  {}",
            submission.accepted_at.utc(),
            submission.stage.as_str(),
            submission.tries,
            submission.submission_id
        );
        match submission.stage {
            Stage::Delivered => {
                let record = submission.record_id.as_deref().unwrap_or("found by its key");
                let _ = write!(out, "  record {record}");
                if let Some(url) = &listed.record_url {
                    let _ = write!(out, " {url}");
                }
            }
            Stage::Pending if submission.tries > 0 => {
                let _ = write!(out, "  next try {}", submission.next_at.utc());
            }
            _ => {}
        }
        out.push('\n');
        if let Some(error) = &submission.error
            && matches!(submission.stage, Stage::Pending | Stage::DeadLetter)
        {
            let _ = writeln!(out, "    kintone said: {error}");
        }
        if let Some(fix) = listed.fix {
            let _ = writeln!(out, "    what to do: {fix}");
        }
    }
    out
}
