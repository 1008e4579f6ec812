//! Failure notifications as a digest: dead letters, paused forms and drift alerts are gathered
//! and sent every `digest_seconds`, by e-mail (SMTP) to the administrators and each form's
//! owners, and as one JSON POST to a webhook. Each entry carries kintone's message and what to
//! fix.
//!
//! Events are queued in the store (the outbox's `queued` table, [`Channel::Digest`]) in the same
//! transaction as the dead letter, pause or alert they tell of, so a crash loses none. Each
//! digest leases the events it sends, so relays sharing a database send each event once; a
//! digest that fails is tried again at the next one.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};

use crate::config::NotifySettings;
use crate::outbox::{Channel, Queued};
use crate::state::AppState;

/// One thing an administrator should know.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Event {
    pub(crate) form: String,
    /// `dead_letter`, `paused`, `drift` or `mail_failed`.
    pub(crate) kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) submission_id: Option<String>,
    /// kintone's (or the relay's) message.
    pub(crate) message: String,
    /// What to do about it.
    pub(crate) fix: String,
}

/// The most events one digest sends; more wait for the next.
const DIGEST_LIMIT: usize = 1000;

/// How long a digest holds the events it sends before another relay may take them (a relay
/// that dies while sending leaves them to the others after this).
const DIGEST_LEASE_MS: i64 = 10 * 60 * 1000;

/// Makes the digest's events and sends them as digests.
#[derive(Clone, Default)]
pub(crate) struct Notifier {
    settings: Option<Arc<NotifySettings>>,
}

/// What to do about a dead letter, from kintone's message, in plain words: the digest mail
/// (in English) and the editor's delivery view say the same.
pub(crate) fn fix_for(message: &str, locale: kform_core::Locale) -> &'static str {
    use kform_core::Locale::{En, Ja};
    let lower = message.to_lowercase();
    let kind = if message.contains("必須") || lower.contains("required") {
        0
    } else if message.contains("重複") || lower.contains("duplicate") || lower.contains("unique")
    {
        1
    } else if lower.contains("no longer fit") {
        2
    } else {
        3
    };
    match (kind, locale) {
        (0, En) => {
            "A field kintone requires is missing: add it to the form, or give it a default in kintone."
        }
        (0, Ja) => {
            "kintone で必須のフィールドが送られていません。フォームに追加するか、kintone で初期値を設定してください。"
        }
        (1, En) => {
            "A value must be unique in the app and is already used: check the record, then discard or replay."
        }
        (1, Ja) => {
            "アプリで重複が禁止された値が、すでに使われています。レコードを確認してから、破棄するか再送してください。"
        }
        (2, En) => {
            "The app's fields changed: sync the app, fix the form (lint shows how), then replay."
        }
        (2, Ja) => {
            "アプリのフィールドが変更されました。アプリを同期してフォームを直し（「問題」に直し方が出ます）、再送してください。"
        }
        (_, En) => "Read kintone's message, fix the form or the app, then replay the submission.",
        (_, Ja) => "kintone のメッセージを読み、フォームかアプリを直してから再送してください。",
    }
}

impl Notifier {
    /// A notifier sending with `settings` (none: events are only logged, never queued).
    pub(crate) fn new(settings: Option<NotifySettings>) -> Self {
        Self { settings: settings.map(Arc::new) }
    }

    /// The event as a queued message; nothing when no digest is sent.
    fn queue(&self, event: &Event) -> Vec<Queued> {
        if self.settings.is_none() {
            return Vec::new();
        }
        match serde_json::to_string(event) {
            Ok(body) => vec![Queued { channel: Channel::Digest, body }],
            Err(_) => Vec::new(),
        }
    }

    /// The digest's event for a dead letter, to queue with its settlement.
    pub(crate) fn dead_letter(
        &self,
        form: &str,
        submission_id: &str,
        message: &str,
    ) -> Vec<Queued> {
        self.queue(&Event {
            form: form.to_owned(),
            kind: "dead_letter".into(),
            submission_id: Some(submission_id.to_owned()),
            message: message.to_owned(),
            fix: fix_for(message, kform_core::Locale::En).to_owned(),
        })
    }

    /// The digest's event for a paused form, to queue with the pause.
    pub(crate) fn paused(&self, form: &str, reason: &str) -> Vec<Queued> {
        self.queue(&Event {
            form: form.to_owned(),
            kind: "paused".into(),
            submission_id: None,
            message: reason.to_owned(),
            fix: "kintone refused the credentials (API token revoked, regenerated or missing a permission): fix the connection, then POST /v1/admin/forms/{id}/resume. Submissions wait in the outbox meanwhile.".to_owned(),
        })
    }

    /// The digest's event for a drift alert, to queue with the alert.
    pub(crate) fn drift(&self, form: &str, message: &str) -> Vec<Queued> {
        self.queue(&Event {
            form: form.to_owned(),
            kind: "drift".into(),
            submission_id: None,
            message: message.to_owned(),
            fix: "The app changed in kintone and the form no longer fits it: fix the form (lint shows how) before submissions fail.".to_owned(),
        })
    }

    /// The digest's event for a mail about a submission that could not be delivered.
    pub(crate) fn mail_failed(&self, form: &str, submission_id: &str, error: &str) -> Vec<Queued> {
        self.queue(&Event {
            form: form.to_owned(),
            kind: "mail_failed".into(),
            submission_id: Some(submission_id.to_owned()),
            message: error.to_owned(),
            fix: "A mail about this submission (the auto-reply or the team's notice) was not delivered: check the address and the [mail] SMTP settings, then send it again from the editor's delivery view or with `kform resend-mail`. The submission itself is kept and delivered to kintone as usual.".to_owned(),
        })
    }

    /// Sends a digest of the queued events every `digest_seconds` until the task is aborted.
    pub(crate) fn spawn(&self, state: AppState) -> Option<tokio::task::JoinHandle<()>> {
        let settings = self.settings.clone()?;
        Some(tokio::spawn(async move {
            let mut ticker =
                tokio::time::interval(Duration::from_millis(settings.digest_ms.max(10)));
            ticker.tick().await;
            loop {
                ticker.tick().await;
                if let Err(err) = digest(&state, &settings).await {
                    tracing::warn!(error = %err, "the failure digest's queue could not be read");
                }
            }
        }))
    }
}

/// Takes the queued events no other relay holds, sends them as one digest, and removes them
/// once every receiver accepted it; on a failure they wait for the next digest.
async fn digest(
    state: &AppState,
    settings: &NotifySettings,
) -> Result<(), crate::store::StoreError> {
    let holder = uuid::Uuid::new_v4().to_string();
    let now = state.inner.clock.now();
    let until = now.plus(DIGEST_LEASE_MS);
    let taker = holder.clone();
    let taken = state
        .outbox(move |outbox| outbox.take_queued(Channel::Digest, DIGEST_LIMIT, &taker, now, until))
        .await?;
    if taken.is_empty() {
        return Ok(());
    }
    let mut events = Vec::with_capacity(taken.len());
    let mut unreadable = Vec::new();
    for message in &taken {
        match serde_json::from_str::<Event>(&message.body) {
            Ok(event) => events.push(event),
            Err(err) => {
                tracing::error!(seq = message.seq, error = %err, "a queued digest event cannot be read; it is dropped");
                unreadable.push(message.seq);
            }
        }
    }
    let owners = |form: &str| {
        state
            .form(&kform_core::FormId(form.to_owned()))
            .map(|entry| entry.settings.owners.clone())
            .unwrap_or_default()
    };
    let result = send_digest(settings, &events, &owners).await;
    let seqs: Vec<i64> = taken.iter().map(|message| message.seq).collect();
    match result {
        Ok(()) => {
            tracing::info!(events = events.len(), "sent the failure digest");
            state.outbox(move |outbox| outbox.sent_queued(&seqs, &holder)).await
        }
        Err(err) => {
            tracing::warn!(error = %err, events = events.len(), "the failure digest was not sent; it is tried again with the next one");
            if !unreadable.is_empty() {
                let (dropped, holder) = (unreadable, holder.clone());
                state.outbox(move |outbox| outbox.sent_queued(&dropped, &holder)).await?;
            }
            let at =
                state.inner.clock.now().plus(i64::try_from(settings.digest_ms).unwrap_or(i64::MAX));
            state.outbox(move |outbox| outbox.retry_queued(&seqs, &holder, at, &err)).await
        }
    }
}

/// Sends one digest: the webhook's POST and a mail per recipient set. `Err` says what failed
/// when any receiver did not accept it.
async fn send_digest(
    settings: &NotifySettings,
    events: &[Event],
    owners: &impl Fn(&str) -> Vec<String>,
) -> Result<(), String> {
    let mut failed = Vec::new();
    if let Some(url) = &settings.webhook_url {
        let body = serde_json::json!({ "kind": "kform.digest", "events": events });
        let sent = match crate::outbound::client() {
            Some(client) => client.post(url).json(&body).send().await.map(|answer| answer.status()),
            None => return Err("no HTTP client for the webhook".into()),
        };
        match sent {
            Ok(status) if status.is_success() => {}
            Ok(status) => failed.push(format!("the webhook answered {status}")),
            Err(err) => {
                failed.push(format!("the webhook could not be reached: {}", err.without_url()))
            }
        }
    }
    if let Some(smtp) = &settings.smtp
        && let Err(err) = send_mails(settings, smtp, events, owners).await
    {
        failed.push(err);
    }
    if failed.is_empty() { Ok(()) } else { Err(failed.join("; ")) }
}

/// One mail per recipient set: administrators get everything, owners their forms' events.
async fn send_mails(
    settings: &NotifySettings,
    smtp: &crate::config::Smtp,
    events: &[Event],
    owners: &impl Fn(&str) -> Vec<String>,
) -> Result<(), String> {
    let mut mails: BTreeMap<Vec<String>, Vec<&Event>> = BTreeMap::new();
    if !settings.admins.is_empty() {
        mails.insert(settings.admins.clone(), events.iter().collect());
    }
    let mut by_owner: BTreeMap<String, Vec<&Event>> = BTreeMap::new();
    for event in events {
        for owner in owners(&event.form) {
            if !settings.admins.contains(&owner) {
                by_owner.entry(owner).or_default().push(event);
            }
        }
    }
    for (owner, events) in by_owner {
        mails.insert(vec![owner], events);
    }
    let transport =
        transport(smtp).map_err(|err| format!("the SMTP settings cannot be used: {err}"))?;
    let mut failed = Vec::new();
    for (to, events) in mails {
        match message(&settings.from, &to, &events) {
            Ok(mail) => {
                if let Err(err) = transport.send(mail).await {
                    failed.push(format!("a mail to {} was not sent: {err}", to.join(", ")));
                }
            }
            // A mail that cannot be written now never can: said in the log, not tried again.
            Err(err) => tracing::error!(error = %err, "a notification mail could not be written"),
        }
    }
    if failed.is_empty() { Ok(()) } else { Err(failed.join("; ")) }
}

pub(crate) fn transport(
    smtp: &crate::config::Smtp,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, lettre::transport::smtp::Error> {
    let builder = if smtp.tls {
        AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host)?
    } else {
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host)
    };
    let mut builder = builder.port(smtp.port).timeout(Some(Duration::from_secs(20)));
    if let (Some(login), Some(password)) = (&smtp.login, &smtp.password) {
        builder =
            builder.credentials(Credentials::new(login.clone(), password.expose().to_owned()));
    }
    Ok(builder.build())
}

fn message(from: &str, to: &[String], events: &[&Event]) -> Result<Message, String> {
    let from: Mailbox = from.parse().map_err(|err| format!("from {from:?}: {err}"))?;
    let mut builder = Message::builder().from(from).subject(format!(
        "kform: {} problem{} with form deliveries",
        events.len(),
        if events.len() == 1 { "" } else { "s" }
    ));
    for address in to {
        let mailbox: Mailbox = address.parse().map_err(|err| format!("to {address:?}: {err}"))?;
        builder = builder.to(mailbox);
    }
    let mut text = String::from("kform could not deliver some submissions to kintone.\n\n");
    for event in events {
        text.push_str(&format!("- form {} ({})", event.form, event.kind));
        if let Some(id) = &event.submission_id {
            text.push_str(&format!(", submission {id}"));
        }
        text.push_str(&format!(
            "\n  kintone said: {}\n  what to do: {}\n",
            event.message, event.fix
        ));
    }
    builder.header(ContentType::TEXT_PLAIN).body(text).map_err(|err| err.to_string())
}

#[cfg(test)]
mod tests {
    use super::fix_for;

    #[test]
    fn the_fix_follows_kintones_message() {
        use kform_core::Locale::{En, Ja};
        assert!(fix_for("record.会社名.value: 必須です。", En).contains("requires"));
        assert!(fix_for("record.会社名.value: 必須です。", Ja).contains("必須のフィールド"));
        assert!(fix_for("値がほかのレコードと重複しています。", En).contains("unique"));
        assert!(fix_for("something else", En).contains("replay"));
        assert!(fix_for("something else", Ja).contains("再送"));
    }
}
