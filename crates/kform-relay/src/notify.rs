//! Failure notifications as a digest: dead letters, paused forms and drift alerts are gathered
//! and sent every `digest_seconds`, by e-mail (SMTP) to the administrators and each form's
//! owners, and as one JSON POST to a webhook. Each entry carries kintone's message and what to
//! fix.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::Serialize;

use crate::config::NotifySettings;

/// One thing an administrator should know.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Event {
    pub(crate) form: String,
    /// `dead_letter`, `paused` or `drift`.
    pub(crate) kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) submission_id: Option<String>,
    /// kintone's (or the relay's) message.
    pub(crate) message: String,
    /// What to do about it.
    pub(crate) fix: String,
}

/// Gathers events; [`Notifier::spawn`] sends them as digests.
#[derive(Clone, Default)]
pub(crate) struct Notifier {
    events: Arc<Mutex<Vec<Event>>>,
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
    /// A notifier sending with `settings` (none: events are only logged).
    pub(crate) fn new(settings: Option<NotifySettings>) -> Self {
        Self { events: Arc::default(), settings: settings.map(Arc::new) }
    }

    fn push(&self, event: Event) {
        if self.settings.is_some() {
            self.events.lock().unwrap_or_else(PoisonError::into_inner).push(event);
        }
    }

    pub(crate) fn dead_letter(&self, form: &str, submission_id: &str, message: &str) {
        self.push(Event {
            form: form.to_owned(),
            kind: "dead_letter",
            submission_id: Some(submission_id.to_owned()),
            message: message.to_owned(),
            fix: fix_for(message, kform_core::Locale::En).to_owned(),
        });
    }

    pub(crate) fn paused(&self, form: &str, reason: &str) {
        self.push(Event {
            form: form.to_owned(),
            kind: "paused",
            submission_id: None,
            message: reason.to_owned(),
            fix: "kintone refused the credentials (API token revoked, regenerated or missing a permission): fix the connection, then POST /v1/admin/forms/{id}/resume. Submissions wait in the outbox meanwhile.".to_owned(),
        });
    }

    pub(crate) fn drift(&self, form: &str, message: &str) {
        self.push(Event {
            form: form.to_owned(),
            kind: "drift",
            submission_id: None,
            message: message.to_owned(),
            fix: "The app changed in kintone and the form no longer fits it: fix the form (lint shows how) before submissions fail.".to_owned(),
        });
    }

    /// Sends a digest every `digest_seconds` until the task is aborted; `owners` gives each
    /// form's owner addresses.
    pub(crate) fn spawn(
        &self,
        owners: impl Fn(&str) -> Vec<String> + Send + Sync + 'static,
    ) -> Option<tokio::task::JoinHandle<()>> {
        let settings = self.settings.clone()?;
        let events = self.events.clone();
        Some(tokio::spawn(async move {
            let mut ticker =
                tokio::time::interval(Duration::from_millis(settings.digest_ms.max(10)));
            ticker.tick().await;
            loop {
                ticker.tick().await;
                let batch =
                    std::mem::take(&mut *events.lock().unwrap_or_else(PoisonError::into_inner));
                if batch.is_empty() {
                    continue;
                }
                send_digest(&settings, &batch, &owners).await;
            }
        }))
    }
}

async fn send_digest(
    settings: &NotifySettings,
    events: &[Event],
    owners: &impl Fn(&str) -> Vec<String>,
) {
    if let Some(url) = &settings.webhook_url {
        let body = serde_json::json!({ "kind": "kform.digest", "events": events });
        let sent = match crate::outbound::client() {
            Some(client) => client.post(url).json(&body).send().await.map(|answer| answer.status()),
            None => {
                tracing::error!("no HTTP client for the webhook");
                return;
            }
        };
        match sent {
            Ok(status) if status.is_success() => {}
            Ok(status) => tracing::warn!(%status, "the notification webhook refused the digest"),
            Err(err) => {
                tracing::warn!(error = %err.without_url(), "the notification webhook could not be reached")
            }
        }
    }
    let Some(smtp) = &settings.smtp else { return };
    // One mail per recipient set: administrators get everything, owners their forms' events.
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
    let transport = match transport(smtp) {
        Ok(transport) => transport,
        Err(err) => {
            tracing::error!(error = %err, "the SMTP settings cannot be used");
            return;
        }
    };
    for (to, events) in mails {
        match message(&settings.from, &to, &events) {
            Ok(mail) => {
                if let Err(err) = transport.send(mail).await {
                    tracing::warn!(error = %err, "a notification mail could not be sent");
                }
            }
            Err(err) => tracing::error!(error = %err, "a notification mail could not be written"),
        }
    }
}

fn transport(
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
