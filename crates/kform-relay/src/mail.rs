//! Mail about each accepted submission: the auto-reply (自動返信メール) to the address the
//! visitor typed, and the notice to the form's team.
//!
//! - **Settings**: a form's `mail` ([`FormMail`]) names the e-mail item, the templates per
//!   language and the team's addresses; `[mail]` in `kform.toml` ([`MailSettings`]) the sender,
//!   the senders a form may use instead, the hourly limits and the SMTP server. [`check`] refuses
//!   a form whose templates name a value the form does not have, before anything is sent.
//! - **Once, durably**: [`compose`] makes the mails when a submission is accepted, and the intake
//!   queues them (`Channel::Mail`) in the same transaction as the submission, so a crash never
//!   loses one. [`spawn`] sends the queue under a lease, removing each mail once the SMTP server
//!   accepted it (the commit point: an answer lost after acceptance sends that one mail again).
//!   Failures are retried with backoff; a mail that cannot be delivered is recorded in the
//!   submission's history beside the kintone attempts and told in the failure digest.
//! - **Never a spam cannon**: only validated submissions that passed every spam check get mail;
//!   the auto-reply goes only to the address typed in the named (visible) item, checked as an
//!   e-mail address, never to a hidden item's value or the query string; at most
//!   `autoreply_per_recipient_per_hour` per address and `autoreply_per_form_per_hour` per form
//!   (counted in the store, across relays), beyond which the submission is still accepted and the
//!   mail is skipped and logged. Values reach headers only through lettre's encoding, and the
//!   subject's line breaks are removed first. A test-mode form mails only its
//!   `test_recipients`.

use std::time::Duration;

use kform_core::{AppFields, FieldCode, FormSpec, Locale, ReplyTo, Value, Values};
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::{AsyncTransport, Message};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::clock::UnixMillis;
use crate::config::{ProblemSink, Smtp};
use crate::outbox::{Attempt, Channel, Queued};
use crate::state::AppState;
use kform_template as template;

/// A form's mail settings (`mail` in its settings).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormMail {
    /// The form's name in mails (`{{form_title}}`); its id when not set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The mail to the visitor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoreply: Option<AutoReply>,
    /// Addresses of the team told of each accepted submission, with its values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notify: Vec<String>,
    /// While the form is in test mode, the only addresses mail goes to: the auto-reply goes to
    /// them in place of the visitor, and so does the team's notice.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub test_recipients: Vec<String>,
}

impl FormMail {
    /// Whether the form sends no mail.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// The auto-reply to the visitor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutoReply {
    /// The item (by field code) whose value, the e-mail address the visitor typed, receives it.
    pub to: String,
    /// The sender, when not `[mail].from`; it must be one `[mail].allowed_from` allows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Where the visitor's answer goes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    /// The subject per language.
    pub subject: Texts,
    /// The body per language (plain text).
    pub body: Texts,
    /// Adds an HTML part: the body with every value escaped and line breaks kept.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub html: bool,
}

/// A template per language; the visitor's language is used, else the form's default.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Texts {
    /// In Japanese.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ja: Option<String>,
    /// In English.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub en: Option<String>,
}

impl Texts {
    fn of(&self, locale: Locale) -> Option<&str> {
        match locale {
            Locale::Ja => self.ja.as_deref(),
            Locale::En => self.en.as_deref(),
        }
    }

    /// The text for `locale`, else for `fallback`.
    fn pick(&self, locale: Locale, fallback: Locale) -> Option<&str> {
        self.of(locale).or_else(|| self.of(fallback))
    }

    fn each(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [("ja", self.ja.as_deref()), ("en", self.en.as_deref())]
            .into_iter()
            .filter_map(|(lang, text)| text.map(|text| (lang, text)))
    }
}

/// `[mail]` in `kform.toml`, checked.
#[derive(Clone, Debug)]
pub struct MailSettings {
    /// The sender of every mail a form does not give its own.
    pub from: String,
    /// Senders a form's auto-reply may use: whole addresses, or domains (`example.com`).
    pub allowed_from: Vec<String>,
    /// The most auto-replies to one address per hour.
    pub per_recipient_per_hour: i64,
    /// The most auto-replies of one form per hour.
    pub per_form_per_hour: i64,
    /// The first wait before a failed mail is tried again, in milliseconds (it doubles).
    pub retry_ms: i64,
    /// Failed tries after which a mail is given up (kept for an operator to send again).
    pub give_up_after_tries: i64,
    /// The mail server.
    pub smtp: Smtp,
}

impl MailSettings {
    fn allows_from(&self, from: &str) -> bool {
        let Ok(mailbox) = from.parse::<Mailbox>() else { return false };
        let address = mailbox.email.to_string().to_ascii_lowercase();
        let domain = mailbox.email.domain().to_ascii_lowercase();
        self.allowed_from.iter().any(|allowed| {
            let allowed = allowed.to_ascii_lowercase();
            if allowed.contains('@') { allowed == address } else { allowed == domain }
        })
    }
}

/// Why a form's mail settings cannot be kept, as `(key, reason)` problems under `key`.
pub(crate) fn check(
    mail: &FormMail,
    spec: &FormSpec,
    settings: Option<&MailSettings>,
    key: &str,
    problems: &mut impl ProblemSink,
) {
    if mail.is_empty() {
        return;
    }
    if settings.is_none() {
        problems.problem(
            key.to_owned(),
            "the form sends mail but kform.toml has no [mail] (the sender and the SMTP server)"
                .into(),
        );
    }
    for (list, addresses) in [("notify", &mail.notify), ("test_recipients", &mail.test_recipients)]
    {
        for (i, address) in addresses.iter().enumerate() {
            if address.parse::<Mailbox>().is_err() {
                problems.problem(
                    format!("{key}.{list}[{i}]"),
                    format!("{address:?} is not an e-mail address"),
                );
            }
        }
    }
    let Some(reply) = &mail.autoreply else { return };
    let key = format!("{key}.autoreply");
    let item = spec
        .items
        .iter()
        .find(|item| item.field.as_ref().is_some_and(|field| field.as_str() == reply.to));
    match item {
        None => problems.problem(
            format!("{key}.to"),
            format!("no item of the form writes field {:?}; name the item that asks for the e-mail address", reply.to),
        ),
        Some(item) => match item.reply_to() {
            ReplyTo::Typed => {}
            ReplyTo::NotTyped => problems.problem(
                format!("{key}.to"),
                format!("{:?} is not typed by the visitor (a hidden item's fixed value, or a value taken from the page's address); the auto-reply goes only to an address the visitor types", reply.to),
            ),
            ReplyTo::NotEmail => problems.problem(
                format!("{key}.to"),
                format!("{:?} is not an e-mail item: give it input_hint \"email\" (or map a LINK field for e-mail)", reply.to),
            ),
        },
    }
    if let Some(from) = &reply.from {
        let allowed = settings.is_none_or(|settings| settings.allows_from(from));
        if from.parse::<Mailbox>().is_err() {
            problems.problem(format!("{key}.from"), format!("{from:?} is not an e-mail address"));
        } else if !allowed {
            problems.problem(
                format!("{key}.from"),
                format!("{from:?} is not a sender [mail].allowed_from allows; ask the operator to add it or its domain"),
            );
        }
    }
    if let Some(reply_to) = &reply.reply_to
        && reply_to.parse::<Mailbox>().is_err()
    {
        problems
            .problem(format!("{key}.reply_to"), format!("{reply_to:?} is not an e-mail address"));
    }
    let codes: Vec<&str> =
        spec.items.iter().filter_map(|item| item.field.as_ref().map(FieldCode::as_str)).collect();
    let known = |name: &str| codes.contains(&name) || template::BUILT_IN_NAMES.contains(&name);
    for (part, texts) in [("subject", &reply.subject), ("body", &reply.body)] {
        if texts.pick(spec.default_lang, spec.default_lang).is_none() {
            problems.problem(
                format!("{key}.{part}.{}", lang_key(spec.default_lang)),
                "needs a text in the form's default language".into(),
            );
        }
        for (lang, text) in texts.each() {
            match template::unknown_names(text, known) {
                Ok(unknown) if unknown.is_empty() => {}
                Ok(unknown) => problems.problem(
                    format!("{key}.{part}.{lang}"),
                    format!(
                        "unknown name{} {}: use a field code of the form's items ({}) or {}",
                        if unknown.len() == 1 { "" } else { "s" },
                        unknown
                            .iter()
                            .map(|name| format!("{{{{{name}}}}}"))
                            .collect::<Vec<_>>()
                            .join(", "),
                        codes.join(", "),
                        template::BUILT_IN_NAMES.join(", ")
                    ),
                ),
                Err(err) => problems.problem(format!("{key}.{part}.{lang}"), err.to_string()),
            }
        }
    }
}

fn lang_key(locale: Locale) -> &'static str {
    match locale {
        Locale::Ja => "ja",
        Locale::En => "en",
    }
}

/// What a queued mail is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Kind {
    /// To the visitor.
    Autoreply,
    /// To the form's team.
    Notify,
}

impl Kind {
    fn endpoint(self) -> &'static str {
        match self {
            Self::Autoreply => "SMTP auto-reply",
            Self::Notify => "SMTP team notice",
        }
    }
}

/// One mail, as queued: everything needed to send it again the same way.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Outgoing {
    pub(crate) form: String,
    pub(crate) submission_id: String,
    pub(crate) kind: Kind,
    pub(crate) from: String,
    pub(crate) to: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) reply_to: Option<String>,
    pub(crate) subject: String,
    pub(crate) text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) html: Option<String>,
    /// The same on every try, so a receiving system can tell a repeat.
    pub(crate) message_id: String,
    pub(crate) date: UnixMillis,
}

/// What [`compose`] needs to know about one accepted submission.
pub(crate) struct Accepted<'a> {
    pub(crate) spec: &'a FormSpec,
    pub(crate) fields: &'a AppFields,
    pub(crate) values: &'a Values,
    pub(crate) submission_id: &'a str,
    pub(crate) locale: Locale,
    pub(crate) now: UnixMillis,
}

/// The mails about one accepted submission: the auto-reply (when the visitor typed a valid
/// address, with its limit key: the digest of the address) and the team's notice. In test mode
/// both go only to `test_recipients`.
pub(crate) fn compose(
    mail: &FormMail,
    settings: &MailSettings,
    accepted: &Accepted<'_>,
) -> (Option<(Outgoing, String)>, Option<Outgoing>) {
    let spec = accepted.spec;
    let title = mail.title.clone().unwrap_or_else(|| spec.id.0.clone());
    let date = japan_time(accepted.now);
    let value = |name: &str| -> Option<String> {
        match name {
            "submission_id" => Some(accepted.submission_id.to_owned()),
            "form_title" => Some(title.clone()),
            "date" => Some(date.clone()),
            code => accepted.values.get(code).map(value_text),
        }
    };
    let test = spec.test_mode;
    let message_id = |kind: &str| {
        let domain = settings.from.parse::<Mailbox>().map(|m| m.email.domain().to_owned());
        let domain = domain.unwrap_or_else(|_| "kform.invalid".into());
        format!("<{}.{kind}.{}@{domain}>", accepted.submission_id, spec.id.0)
    };
    let autoreply = mail.autoreply.as_ref().and_then(|reply| {
        let typed = match accepted.values.get(&reply.to) {
            Some(Value::Text(text)) => typed_address(text),
            _ => None,
        };
        // In test mode the visitor's address is not used, so it need not be there.
        let to = if test { mail.test_recipients.clone() } else { vec![typed.clone()?] };
        let counted = typed.or_else(|| to.first().cloned())?;
        let subject = reply.subject.pick(accepted.locale, spec.default_lang)?;
        let body = reply.body.pick(accepted.locale, spec.default_lang)?;
        let text = template::fill(body, value);
        let html = reply.html.then(|| html_body(body, &value));
        let outgoing = Outgoing {
            form: spec.id.0.clone(),
            submission_id: accepted.submission_id.to_owned(),
            kind: Kind::Autoreply,
            from: reply.from.clone().unwrap_or_else(|| settings.from.clone()),
            to,
            reply_to: reply.reply_to.clone(),
            subject: one_line(&template::fill(subject, value)),
            text,
            html,
            message_id: message_id("autoreply"),
            date: accepted.now,
        };
        Some((outgoing, recipient_key(&counted)))
    });
    let team = if test { &mail.test_recipients } else { &mail.notify };
    let notice = (!team.is_empty() && !mail.notify.is_empty()).then(|| {
        let locale = spec.default_lang;
        let mut text = match locale {
            Locale::Ja => format!("「{title}」に新しい送信がありました。\n\n"),
            Locale::En => format!("A new submission arrived through \"{title}\".\n\n"),
        };
        for item in &spec.items {
            let (Some(code), None) = (&item.field, &item.hidden) else { continue };
            let label = item
                .label
                .clone()
                .or_else(|| accepted.fields.get(code).map(|field| field.label.clone()))
                .unwrap_or_else(|| code.as_str().to_owned());
            let shown = accepted.values.get(code.as_str()).map(value_text).unwrap_or_default();
            text.push_str(&format!("{label}: {shown}\n"));
        }
        let (id_label, date_label) = match locale {
            Locale::Ja => ("受付番号", "受付日時"),
            Locale::En => ("Submission", "Received"),
        };
        text.push_str(&format!("\n{id_label}: {}\n{date_label}: {date}\n", accepted.submission_id));
        let subject = match locale {
            Locale::Ja => format!("【{title}】新しい送信"),
            Locale::En => format!("[{title}] New submission"),
        };
        Outgoing {
            form: spec.id.0.clone(),
            submission_id: accepted.submission_id.to_owned(),
            kind: Kind::Notify,
            from: settings.from.clone(),
            to: team.clone(),
            reply_to: None,
            subject: one_line(&subject),
            text,
            html: None,
            message_id: message_id("notify"),
            date: accepted.now,
        }
    });
    (autoreply, notice)
}

/// `text` as an address mail may go to: trimmed, an e-mail address by kintone's rule, and one
/// lettre reads as a mailbox; `None` otherwise (a typed value with a line break never is one).
pub(crate) fn typed_address(text: &str) -> Option<String> {
    let address = text.trim();
    (kform_core::text::is_email(address) && address.parse::<Mailbox>().is_ok())
        .then(|| address.to_owned())
}

/// The queued message for a mail.
pub(crate) fn queued(outgoing: &Outgoing) -> Option<Queued> {
    serde_json::to_string(outgoing).ok().map(|body| Queued { channel: Channel::Mail, body })
}

/// The key an address is counted under for its hourly limit: a digest of it, lower-cased, so
/// the store keeps no address it does not need.
pub(crate) fn recipient_key(address: &str) -> String {
    let digest = Sha256::digest(kform_core::text::normalize_email(address).as_bytes());
    digest.iter().take(16).map(|byte| format!("{byte:02x}")).collect()
}

/// A value as mail text: text as it is, lists joined by "、", a table row by row.
fn value_text(value: &Value) -> String {
    match value {
        Value::Text(text) => text.clone(),
        Value::List(items) | Value::Entities(items) => items.join("、"),
        Value::Files(files) => format!("({})", files.len()),
        Value::Rows(rows) => rows
            .iter()
            .map(|row| row.0.values().map(value_text).collect::<Vec<_>>().join(" / "))
            .collect::<Vec<_>>()
            .join("\n"),
        Value::Invalid(_) => String::new(),
    }
}

/// A header's text on one line: line breaks and other control characters become spaces, so a
/// value can never start a header of its own.
fn one_line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>().trim().to_owned()
}

/// The body template as HTML: the template's own text and every value escaped, line breaks
/// kept.
fn html_body(body: &str, value: &impl Fn(&str) -> Option<String>) -> String {
    let escaped = match template::parts(body) {
        Ok(parts) => parts
            .into_iter()
            .map(|part| match part {
                template::Part::Text(text) => escape(text),
                template::Part::Name(name) => escape(&value(name).unwrap_or_default()),
            })
            .collect(),
        Err(_) => escape(body),
    };
    format!(
        "<!DOCTYPE html><html><body><div style=\"white-space:pre-wrap\">{}</div></body></html>",
        escaped.replace('\n', "<br>\n")
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A time as `YYYY-MM-DD HH:MM` in Japan time (UTC+9, kintone's home), which `{{date}}` shows.
fn japan_time(at: UnixMillis) -> String {
    let minutes = at.0.div_euclid(60_000) + 9 * 60;
    let (days, minute_of_day) = (minutes.div_euclid(1440), minutes.rem_euclid(1440));
    let (year, month, day) = kform_core::datetime::civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02}", minute_of_day / 60, minute_of_day % 60)
}

/// The mail as lettre writes it: headers from the queued fields (lettre encodes non-ASCII
/// text, and nothing here comes from a value unless it went through [`one_line`]).
pub(crate) fn message(outgoing: &Outgoing) -> Result<Message, String> {
    let mailbox = |text: &str| text.parse::<Mailbox>().map_err(|err| format!("{text:?}: {err}"));
    let date = std::time::UNIX_EPOCH
        + Duration::from_millis(u64::try_from(outgoing.date.0).unwrap_or_default());
    let mut builder = Message::builder()
        .from(mailbox(&outgoing.from)?)
        .subject(one_line(&outgoing.subject))
        .date(date)
        .message_id(Some(outgoing.message_id.clone()));
    for to in &outgoing.to {
        builder = builder.to(mailbox(to)?);
    }
    if let Some(reply_to) = &outgoing.reply_to {
        builder = builder.reply_to(mailbox(reply_to)?);
    }
    let auto =
        HeaderValue::new(HeaderName::new_from_ascii_str("Auto-Submitted"), "auto-generated".into());
    let text = SinglePart::builder().header(ContentType::TEXT_PLAIN).body(outgoing.text.clone());
    let built =
        match &outgoing.html {
            Some(html) => builder.multipart(MultiPart::alternative().singlepart(text).singlepart(
                SinglePart::builder().header(ContentType::TEXT_HTML).body(html.clone()),
            )),
            None => builder.singlepart(text),
        };
    let mut message = built.map_err(|err| err.to_string())?;
    message.headers_mut().insert_raw(auto);
    Ok(message)
}

/// Sends one mail at once, outside the queue (the editor's test); the SMTP server's refusal
/// as a sentence.
pub(crate) async fn send_now(settings: &MailSettings, outgoing: &Outgoing) -> Result<(), String> {
    let transport = crate::notify::transport(&settings.smtp)
        .map_err(|err| format!("the SMTP settings cannot be used: {err}"))?;
    let mail = message(outgoing)?;
    transport.send(mail).await.map(|_| ()).map_err(|err| err.to_string())
}

/// How long a sender holds the mails it sends before another may take them.
const SEND_LEASE_MS: i64 = 5 * 60 * 1000;

/// Sends the queued mails as they come until the task is aborted: each once the SMTP server
/// accepts it; on a failure again after a backoff (`retry_seconds`, doubling to 1 h); after
/// `give_up_after_tries` failures, or at once when the server refuses it for good (5xx), it is
/// given up: kept out of the queue for an operator to send again ([`resend`]), recorded as a
/// failed attempt of its submission and told in the failure digest.
pub(crate) fn spawn(state: AppState) -> Option<tokio::task::JoinHandle<()>> {
    let settings = state.inner.mail.clone()?;
    Some(tokio::spawn(async move {
        loop {
            let sent = send_due(&state, &settings).await;
            if !matches!(sent, Ok(true)) {
                if let Err(err) = sent {
                    tracing::warn!(error = %err, "the mail queue could not be read");
                }
                tokio::select! {
                    () = state.inner.mail_wake.notified() => {}
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        }
    }))
}

/// Sends what is due; whether there was anything.
async fn send_due(
    state: &AppState,
    settings: &MailSettings,
) -> Result<bool, crate::store::StoreError> {
    let holder = uuid::Uuid::new_v4().to_string();
    let now = state.inner.clock.now();
    let taker = holder.clone();
    let taken = state
        .outbox(move |o| o.take_queued(Channel::Mail, 20, &taker, now, now.plus(SEND_LEASE_MS)))
        .await?;
    if taken.is_empty() {
        return Ok(false);
    }
    let transport = crate::notify::transport(&settings.smtp);
    for queued in taken {
        let outgoing: Outgoing = match serde_json::from_str(&queued.body) {
            Ok(outgoing) => outgoing,
            Err(err) => {
                tracing::error!(seq = queued.seq, error = %err, "a queued mail cannot be read; it is dropped");
                let holder = holder.clone();
                state.outbox(move |o| o.sent_queued(&[queued.seq], &holder)).await?;
                continue;
            }
        };
        let sent = match (&transport, message(&outgoing)) {
            (Ok(transport), Ok(mail)) => transport.send(mail).await.map(|_| ()).map_err(|err| {
                let permanent = err.is_permanent();
                (err.to_string(), permanent)
            }),
            (Err(err), _) => Err((format!("the SMTP settings cannot be used: {err}"), false)),
            (_, Err(err)) => Err((format!("the mail cannot be written: {err}"), true)),
        };
        let attempt = |status: Option<u16>, message: Option<String>| Attempt {
            at: state.inner.clock.now(),
            endpoint: outgoing.kind.endpoint().to_owned(),
            status,
            code: None,
            message,
            record_id: None,
        };
        let holder = holder.clone();
        let seq = queued.seq;
        match sent {
            Ok(()) => {
                tracing::info!(form = %outgoing.form, submission = %outgoing.submission_id, kind = ?outgoing.kind, "mail sent");
                state.inner.metrics.mail(&outgoing.form, "sent");
                let attempt = attempt(Some(250), None);
                let (form, id) = (outgoing.form.clone(), outgoing.submission_id.clone());
                state
                    .outbox(move |o| {
                        o.sent_queued(&[seq], &holder)?;
                        o.record_attempt(&form, &id, &attempt)
                    })
                    .await?;
            }
            Err((error, permanent))
                if permanent || queued.tries + 1 >= settings.give_up_after_tries =>
            {
                tracing::warn!(form = %outgoing.form, submission = %outgoing.submission_id, %error, "a mail could not be delivered; it is given up");
                state.inner.metrics.mail(&outgoing.form, "failed");
                let attempt = attempt(None, Some(error.clone()));
                let told = state.inner.notifier.mail_failed(
                    &outgoing.form,
                    &outgoing.submission_id,
                    &error,
                );
                let (form, id) = (outgoing.form.clone(), outgoing.submission_id.clone());
                state
                    .outbox(move |o| {
                        o.give_up_queued(Channel::Mail, seq, &holder, &error, &told)?;
                        o.record_attempt(&form, &id, &attempt)
                    })
                    .await?;
            }
            Err((error, _)) => {
                tracing::warn!(form = %outgoing.form, submission = %outgoing.submission_id, %error, tries = queued.tries + 1, "a mail was not sent; it is tried again");
                let wait =
                    settings.retry_ms.saturating_mul(1 << queued.tries.clamp(0, 12)).min(3_600_000);
                let at = state.inner.clock.now().plus(wait);
                state.outbox(move |o| o.retry_queued(&[seq], &holder, at, &error)).await?;
            }
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests;
