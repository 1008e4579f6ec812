//! What a person does about a form's submissions: its delivery status, the history, replaying,
//! discarding and resuming, and sending again or dropping the mails that could not be
//! delivered. One implementation with one set of rules, used by the admin API (and so the
//! editor's delivery view) and by the `kform history`/`replay`/`discard`/`resume`/`resend-mail`/
//! `drop-mail` commands (`cli.rs`).

use std::collections::BTreeMap;

use kform_core::{FormId, Locale, Report, Values};
use serde::Serialize;
use serde_json::Value;

use crate::clock::UnixMillis;
use crate::mail::{Kind, Outgoing};
use crate::outbox::{Channel, Paused, Stage, StoredSubmission};
use crate::state::{AppState, ConnectionError};
use crate::store::StoreError;

mod cli;

pub use cli::{Command, Outcome, run};

/// Why an operation on submissions was refused or failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ManageError {
    /// No submission of the form has this id.
    #[error("there is no submission {0:?}")]
    UnknownSubmission(String),
    /// The form has no given-up mail with this number.
    #[error("the form has no undelivered mail {0}")]
    UnknownMail(i64),
    /// The form does not exist (a correction needs its definition).
    #[error("there is no form {0:?}")]
    UnknownForm(String),
    /// No stage has this name.
    #[error("there is no stage {0:?}: pending, delivered, tested, dead_letter, spam or discarded")]
    UnknownStage(String),
    /// Only dead-lettered or pending submissions are replayed or discarded.
    #[error("the submission is {}; only dead-lettered or pending ones are replayed or discarded", .0.as_str())]
    Settled(Stage),
    /// Corrected values are not values kintone takes.
    #[error("the corrected values do not read: {0}")]
    BadCorrection(String),
    /// Corrected values that kintone would refuse: every problem.
    #[error("{} corrected values are invalid", .0.issues().len())]
    Invalid(Report, Locale),
    /// The form's connection or its app's fields.
    #[error(transparent)]
    Connection(#[from] ConnectionError),
    /// The data directory failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How a form's delivery stands.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct FormStatus {
    pub(crate) form: String,
    /// Why delivery is paused, when it is.
    pub(crate) paused: Option<Paused>,
    /// How many submissions are in each stage (every stage, zero included).
    pub(crate) counts: BTreeMap<&'static str, i64>,
    /// The drift alerts of the form: its app changed and the form no longer fits it.
    pub(crate) alerts: Vec<AlertView>,
    /// Mails about its submissions that could not be delivered, oldest first.
    pub(crate) failed_mails: Vec<FailedMail>,
}

/// A mail given up after its tries, kept until it is sent again or dropped.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct FailedMail {
    /// Its number, for sending it again or dropping it.
    pub(crate) mail: i64,
    pub(crate) submission_id: String,
    /// `autoreply` or `notify`.
    pub(crate) kind: Kind,
    pub(crate) to: Vec<String>,
    pub(crate) subject: String,
    pub(crate) tries: i64,
    /// The mail server's last answer, or why it could not be reached.
    pub(crate) error: Option<String>,
    /// When it was given up.
    pub(crate) at: UnixMillis,
}

/// The most given-up mails of one form its status lists.
const FAILED_MAILS_LIMIT: usize = 1000;

/// A drift alert as people read it.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct AlertView {
    pub(crate) at: UnixMillis,
    /// The app's fields revision that broke the form.
    pub(crate) revision: String,
    /// Each problem with its fix, in the reader's language.
    pub(crate) lines: Vec<String>,
}

/// A submission with what to do about it.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Listed {
    #[serde(flatten)]
    pub(crate) submission: StoredSubmission,
    /// What to do about its failure, in plain words, when it is dead-lettered.
    pub(crate) fix: Option<&'static str>,
    /// The record in kintone, once delivered (when the record id and the form's app are known).
    pub(crate) record_url: Option<String>,
}

const STAGES: [Stage; 6] = [
    Stage::Pending,
    Stage::Delivered,
    Stage::Tested,
    Stage::DeadLetter,
    Stage::Spam,
    Stage::Discarded,
];

/// The form's counts per stage, its pause and its drift alerts.
pub(crate) async fn status(
    state: &AppState,
    form: &str,
    locale: Locale,
) -> Result<FormStatus, ManageError> {
    let mut counts: BTreeMap<&'static str, i64> =
        STAGES.iter().map(|stage| (stage.as_str(), 0)).collect();
    let owned = form.to_owned();
    for (_, stage, count) in state.outbox(move |outbox| outbox.counts(Some(&owned))).await? {
        counts.insert(stage.as_str(), count);
    }
    let paused = state.outbox(|outbox| outbox.paused()).await?;
    let paused = paused.into_iter().find(|paused| paused.form == form);
    let mut alerts = Vec::new();
    for alert in state.settings().alerts().await? {
        if alert.form != form {
            continue;
        }
        let issues: Vec<kform_core::LintIssue> =
            serde_json::from_value(alert.issues).unwrap_or_default();
        let lines =
            issues.iter().map(|issue| format!("{} {}", issue.line(locale), issue.fix(locale)));
        let lines = lines.collect();
        alerts.push(AlertView { at: alert.at, revision: alert.revision, lines });
    }
    let failed_mails = failed_mails(state, form).await?;
    Ok(FormStatus { form: form.to_owned(), paused, counts, alerts, failed_mails })
}

/// The form's mails that were given up, oldest first.
async fn failed_mails(state: &AppState, form: &str) -> Result<Vec<FailedMail>, ManageError> {
    let owned = form.to_owned();
    let given_up = state
        .outbox(move |outbox| outbox.given_up(Channel::Mail, Some(&owned), FAILED_MAILS_LIMIT))
        .await?;
    Ok(given_up
        .into_iter()
        .filter_map(|given_up| {
            // The store picked the form's; a body it cannot read is not listed.
            let outgoing: Outgoing = serde_json::from_str(&given_up.body).ok()?;
            Some(FailedMail {
                mail: given_up.seq,
                submission_id: outgoing.submission_id,
                kind: outgoing.kind,
                to: outgoing.to,
                subject: outgoing.subject,
                tries: given_up.tries,
                error: given_up.error,
                at: given_up.at,
            })
        })
        .collect())
}

/// Puts the form's given-up mail `mail` (or every one, when `None`) back in the mail queue,
/// with fresh tries; how many. The message is the one composed at acceptance: the same text
/// and Message-ID, to the same addresses.
pub(crate) async fn resend_mail(
    state: &AppState,
    form: &str,
    mail: Option<i64>,
) -> Result<usize, ManageError> {
    let chosen: Vec<i64> = failed_mails(state, form)
        .await?
        .into_iter()
        .map(|failed| failed.mail)
        .filter(|seq| mail.is_none_or(|wanted| wanted == *seq))
        .collect();
    if let (Some(wanted), true) = (mail, chosen.is_empty()) {
        return Err(ManageError::UnknownMail(wanted));
    }
    let now = state.inner.clock.now();
    let resent = state
        .outbox(move |outbox| {
            let mut resent = 0;
            for seq in chosen {
                resent += usize::from(outbox.resend_queued(Channel::Mail, seq, now)?);
            }
            Ok(resent)
        })
        .await?;
    if resent > 0 {
        tracing::info!(%form, resent, "undelivered mails queued again");
        state.inner.mail_wake.notify_one();
    }
    Ok(resent)
}

/// Drops the form's given-up mail `mail` for good.
pub(crate) async fn drop_mail(state: &AppState, form: &str, mail: i64) -> Result<(), ManageError> {
    if !failed_mails(state, form).await?.iter().any(|failed| failed.mail == mail) {
        return Err(ManageError::UnknownMail(mail));
    }
    if !state.outbox(move |outbox| outbox.drop_given_up(Channel::Mail, mail)).await? {
        return Err(ManageError::UnknownMail(mail));
    }
    tracing::info!(%form, mail, "an undelivered mail was dropped");
    Ok(())
}

/// The form's submissions, newest first, in `stage` when given: at most `limit` after the
/// `offset` newest.
pub(crate) async fn history(
    state: &AppState,
    form: &str,
    stage: Option<Stage>,
    limit: usize,
    offset: usize,
    locale: Locale,
) -> Result<Vec<Listed>, ManageError> {
    let owned = form.to_owned();
    let found = state.outbox(move |outbox| outbox.history(&owned, stage, limit, offset)).await?;
    Ok(found.into_iter().map(|submission| listed(state, submission, locale)).collect())
}

/// One submission with every attempt.
pub(crate) async fn submission(
    state: &AppState,
    form: &str,
    id: &str,
    locale: Locale,
) -> Result<Listed, ManageError> {
    Ok(listed(state, find(state, form, id).await?, locale))
}

/// Puts a dead-lettered (or pending) submission back in the outbox, due now, with fresh tries;
/// with `correction`, its values are laid over the submitted ones and checked against the app's
/// current fields first (refused with every problem when kintone would refuse them).
pub(crate) async fn replay(
    state: &AppState,
    form: &str,
    id: &str,
    correction: Option<serde_json::Map<String, Value>>,
    locale: Option<Locale>,
) -> Result<(), ManageError> {
    let found = find(state, form, id).await?;
    if matches!(found.stage, Stage::DeadLetter | Stage::Pending) {
        sync_before_replay(state, form).await;
    }
    let corrected = match correction {
        Some(correction) => Some(corrected(state, form, found.values, correction, locale).await?),
        None => None,
    };
    let now = state.inner.clock.now();
    let (owned, id) = (form.to_owned(), id.to_owned());
    let requeue = move |outbox: &dyn crate::outbox::Outbox| {
        outbox.requeue(&owned, &id, now, corrected.as_deref())
    };
    if !state.outbox(requeue).await? {
        return Err(ManageError::Settled(found.stage));
    }
    state.inner.engine.wake.notify_one();
    Ok(())
}

/// Replays every dead letter of the form; how many.
pub(crate) async fn replay_dead_letters(
    state: &AppState,
    form: &str,
) -> Result<usize, ManageError> {
    sync_before_replay(state, form).await;
    let now = state.inner.clock.now();
    let owned = form.to_owned();
    let replayed = state.outbox(move |outbox| outbox.requeue_dead_letters(&owned, now)).await?;
    if replayed > 0 {
        tracing::info!(%form, replayed, "dead letters replayed");
        state.inner.engine.wake.notify_one();
    }
    Ok(replayed)
}

/// Gives up a dead-lettered or pending submission, and its files.
pub(crate) async fn discard(state: &AppState, form: &str, id: &str) -> Result<(), ManageError> {
    let found = find(state, form, id).await?;
    let now = state.inner.clock.now();
    let (owned, owned_id) = (form.to_owned(), id.to_owned());
    if !state.outbox(move |outbox| outbox.discard(&owned, &owned_id, now)).await? {
        return Err(ManageError::Settled(found.stage));
    }
    tracing::info!(%form, submission = %id, "submission discarded");
    // A discarded submission's files will never be sent.
    let folder = crate::intake::files_folder(form, id);
    if let Err(err) = state.outbox(move |outbox| outbox.drop_files(&folder)).await {
        tracing::warn!(%form, submission = %id, error = %err, "a discarded submission's files could not be removed");
    }
    Ok(())
}

/// Delivers a paused form again (after its connection was fixed); whether it was paused.
pub(crate) async fn resume(state: &AppState, form: &str) -> Result<bool, ManageError> {
    Ok(state.resume(form).await?)
}

/// Reads the form's app's fields from kintone again: whoever replays has usually just fixed the
/// app, and the submissions must be checked against what kintone has now, not what the relay
/// synced when it refused them. A failed sync is logged; the replay goes on.
async fn sync_before_replay(state: &AppState, form: &str) {
    let Some(entry) = state.form(&FormId(form.to_owned())) else { return };
    let (connection, app) = (&entry.settings.connection, entry.settings.spec.app);
    if let Err(err) = state.sync(connection, app).await {
        tracing::warn!(%form, error = %err, "the app's fields could not be synced before a replay");
    }
}

async fn find(state: &AppState, form: &str, id: &str) -> Result<StoredSubmission, ManageError> {
    let (owned, owned_id) = (form.to_owned(), id.to_owned());
    state
        .outbox(move |outbox| outbox.submission(&owned, &owned_id))
        .await?
        .ok_or_else(|| ManageError::UnknownSubmission(id.to_owned()))
}

fn listed(state: &AppState, submission: StoredSubmission, locale: Locale) -> Listed {
    let fix = (submission.stage == Stage::DeadLetter)
        .then(|| crate::notify::fix_for(submission.error.as_deref().unwrap_or_default(), locale));
    let record_url = submission
        .record_id
        .as_deref()
        .and_then(|record| record_url(state, &submission.form, record));
    Listed { submission, fix, record_url }
}

/// The record's page in kintone: `{base}/k/{app}/show#record={id}` (or under `guest/{space}/`).
/// None when the form or its connection is gone, or the address carries credentials.
fn record_url(state: &AppState, form: &str, record: &str) -> Option<String> {
    let entry = state.form(&FormId(form.to_owned()))?;
    let connection = state.connection(&entry.settings.connection)?;
    let base = connection.settings.base_url.trim_end_matches('/');
    if crate::state::redact_userinfo(base) != base {
        return None;
    }
    let space = connection.settings.guest_space.map(|space| format!("guest/{space}/"));
    let app = entry.settings.spec.app;
    Some(format!("{base}/k/{}{app}/show#record={record}", space.unwrap_or_default()))
}

/// The submitted values with the correction laid over them, checked like a new submission
/// against the app's current fields, as the JSON the outbox keeps.
async fn corrected(
    state: &AppState,
    form: &str,
    submitted: Value,
    correction: serde_json::Map<String, Value>,
    locale: Option<Locale>,
) -> Result<String, ManageError> {
    let entry = state
        .form(&FormId(form.to_owned()))
        .ok_or_else(|| ManageError::UnknownForm(form.to_owned()))?;
    let mut values = match submitted {
        Value::Object(values) => values,
        _ => serde_json::Map::new(),
    };
    values.extend(correction);
    let values = Value::Object(values);
    let typed: Values = serde_json::from_value(values.clone())
        .map_err(|err| ManageError::BadCorrection(err.to_string()))?;
    let fields = state.fields(&entry.settings.connection, entry.settings.spec.app).await?;
    // File keys are checked when the files are sent; here the placeholders stand for them.
    if let Err(report) = kform_core::validate(&fields, &entry.settings.spec, &typed) {
        let locale = locale.unwrap_or(entry.settings.spec.default_lang);
        return Err(ManageError::Invalid(report, locale));
    }
    Ok(values.to_string())
}
