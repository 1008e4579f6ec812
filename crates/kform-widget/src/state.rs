//! The form's state as a plain struct: values, touched fields, problems and the sending status.
//!
//! Components read and change it through one signal; every rule lives here or in `kform-core`,
//! so it is tested natively without a browser.

use std::collections::BTreeSet;

use kform_core::OnSuccess;
use kform_core::message::Text;
use kform_core::protocol::{ErrorResponse, FormDescriptor, Submission, SubmitOutcome};
use kform_core::{Locale, Report, Value, Values, validate};

/// Where the form stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// The visitor is filling it in.
    Editing,
    /// A submission is on its way; the button is disabled.
    Sending,
    /// The relay accepted the submission; the message to show.
    Sent(String),
    /// The submission could not be sent; the message to show (values are kept).
    Failed(String),
}

/// Everything the widget knows about one form on the page.
#[derive(Clone, Debug)]
pub struct FormState {
    descriptor: FormDescriptor,
    locale: Locale,
    values: Values,
    touched: BTreeSet<String>,
    submit_tried: bool,
    report: Report,
    server_report: Report,
    submission_id: Option<String>,
    render_token: Option<String>,
    honeypot: String,
    status: Status,
}

/// Why a submission came back without success.
#[derive(Clone, Debug)]
pub enum SubmitError {
    /// The relay (or kintone) refused some values.
    Invalid(ErrorResponse),
    /// The relay could not be reached or failed; the message to show.
    Failed(String),
}

impl FormState {
    /// A fresh form showing kintone's default values, in `locale` (or the form's language).
    pub fn new(descriptor: FormDescriptor, locale: Option<Locale>) -> Self {
        let locale = locale.unwrap_or(descriptor.form.default_lang);
        let mut values = Values::default();
        for item in &descriptor.form.items {
            let Some(code) = &item.field else { continue };
            let Some(field) = descriptor.fields.get(code) else { continue };
            let initial = item.initial.clone().or_else(|| field.kind.default_input());
            let initial = initial.unwrap_or_else(|| match field.kind.shape() {
                Some(kform_core::Shape::Text) => Value::Text(String::new()),
                _ => Value::List(Vec::new()),
            });
            values.set(code.as_str(), initial);
        }
        let mut state = Self {
            descriptor,
            locale,
            values,
            touched: BTreeSet::new(),
            submit_tried: false,
            report: Report::default(),
            server_report: Report::default(),
            submission_id: None,
            render_token: None,
            honeypot: String::new(),
            status: Status::Editing,
        };
        state.revalidate();
        state
    }

    fn revalidate(&mut self) {
        self.report = validate(&self.descriptor.fields, &self.descriptor.form, &self.values)
            .err()
            .unwrap_or_default();
    }

    /// The form and its fields.
    pub fn descriptor(&self) -> &FormDescriptor {
        &self.descriptor
    }

    /// The language of messages and built-in text.
    pub fn locale(&self) -> Locale {
        self.locale
    }

    /// Built-in text in the form's language.
    pub fn text(&self, text: Text) -> &'static str {
        text.get(self.locale)
    }

    /// The current status.
    pub fn status(&self) -> &Status {
        &self.status
    }

    /// The text of a single-valued field.
    pub fn text_value(&self, code: &str) -> String {
        match self.values.get(code) {
            Some(Value::Text(text)) => text.clone(),
            _ => String::new(),
        }
    }

    /// Whether `option` is selected in a list field.
    pub fn is_selected(&self, code: &str, option: &str) -> bool {
        matches!(self.values.get(code), Some(Value::List(items)) if items.iter().any(|item| item == option))
    }

    /// Sets a field's value and checks the form again; kintone's earlier verdict on it is cleared.
    pub fn set(&mut self, code: &str, value: Value) {
        self.values.set(code, value);
        self.server_report =
            self.server_report.issues().iter().filter(|i| !is_on(i, code)).cloned().collect();
        self.revalidate();
    }

    /// Checks or unchecks one option of a list field.
    pub fn toggle(&mut self, code: &str, option: &str, selected: bool) {
        let mut items = match self.values.get(code) {
            Some(Value::List(items)) => items.clone(),
            _ => Vec::new(),
        };
        items.retain(|item| item != option);
        if selected {
            items.push(option.to_owned());
        }
        // Keep kintone's option order, whatever order the visitor clicked in.
        if let Some(options) =
            self.descriptor.fields.get(code).and_then(|field| field.kind.options())
        {
            items.sort_by_key(|item| options.iter().position(|choice| &choice.value == item));
        }
        self.set(code, Value::List(items));
    }

    /// Marks a field as visited (on blur): its problems become visible.
    pub fn touch(&mut self, code: &str) {
        self.touched.insert(code.to_owned());
    }

    /// The messages to show under a field: none until it was touched or a submit was tried.
    pub fn visible_messages(&self, code: &str) -> Vec<String> {
        let client = (self.submit_tried || self.touched.contains(code))
            .then(|| self.report.issues().iter().filter(|i| is_on(i, code)))
            .into_iter()
            .flatten();
        let server = self.server_report.issues().iter().filter(|i| is_on(i, code));
        let mut messages: Vec<String> =
            client.chain(server).map(|issue| issue.code.message(self.locale)).collect();
        messages.dedup();
        messages
    }

    /// Problems not tied to a shown field (e.g. kintone refusing a hidden value), after a submit.
    pub fn form_messages(&self) -> Vec<String> {
        if !self.submit_tried {
            return Vec::new();
        }
        let shown: Vec<&str> = self
            .descriptor
            .form
            .items
            .iter()
            .filter(|item| item.is_shown())
            .filter_map(|item| item.field.as_ref().map(|code| code.as_str()))
            .collect();
        self.report
            .issues()
            .iter()
            .chain(self.server_report.issues())
            .filter(|issue| issue.field.as_ref().is_none_or(|code| !shown.contains(&code.as_str())))
            .map(|issue| issue.code.message(self.locale))
            .collect()
    }

    /// Fills fields from the page address (`?会社名=…&関心=A&関心=B`): a parameter named like a
    /// field the form shows sets it; a repeated one selects several options. Fields with a fixed
    /// hidden value and fields the form does not show are left alone, and prefilled values are
    /// checked like typed ones.
    pub fn prefill<'a>(&mut self, params: impl IntoIterator<Item = (&'a str, &'a str)>) {
        let mut lists: Vec<(String, Vec<String>)> = Vec::new();
        for (name, value) in params {
            let shown = self.descriptor.form.items.iter().any(|item| {
                item.is_shown() && item.field.as_ref().is_some_and(|code| code.as_str() == name)
            });
            let Some(field) = self.descriptor.fields.get(name).filter(|_| shown) else { continue };
            match field.kind.shape() {
                Some(kform_core::Shape::Text) => {
                    self.values.set(name, Value::Text(value.to_owned()))
                }
                Some(kform_core::Shape::List) => {
                    match lists.iter_mut().find(|(code, _)| code == name) {
                        Some((_, items)) => items.push(value.to_owned()),
                        None => lists.push((name.to_owned(), vec![value.to_owned()])),
                    }
                }
                _ => {}
            }
        }
        for (code, items) in lists {
            self.values.set(code, Value::List(items));
        }
        self.revalidate();
    }

    /// Fills the form's `capture` items with where the visitor came from: the page address's
    /// UTM parameters and `gclid`, and the referring page. Nothing is captured when absent, and a
    /// captured value the field would refuse (too long, say) is dropped rather than blocking a
    /// visitor who cannot see it.
    pub fn capture(&mut self, params: &[(&str, &str)], referrer: &str) {
        let captures: Vec<(String, kform_core::Capture)> = self
            .descriptor
            .form
            .items
            .iter()
            .filter_map(|item| Some((item.field.as_ref()?.as_str().to_owned(), item.capture?)))
            .collect();
        for (code, capture) in captures {
            let value = match capture.parameter() {
                Some(name) => params
                    .iter()
                    .find(|(param, _)| *param == name)
                    .map(|(_, value)| (*value).to_owned()),
                None => Some(referrer.to_owned()).filter(|referrer| !referrer.is_empty()),
            };
            if let Some(value) = value {
                self.values.set(code.as_str(), Value::Text(value));
                self.revalidate();
                if self.report.issues().iter().any(|issue| is_on(issue, &code)) {
                    self.values.set(code, Value::Text(String::new()));
                }
            }
        }
        self.revalidate();
    }

    /// Keeps what was typed into the hidden honeypot input (people never see it; robots that
    /// fill every input do, and the relay drops their submissions).
    pub fn set_honeypot(&mut self, value: String) {
        self.honeypot = value;
    }

    /// Keeps the relay's render token, sent back with the submission (spam protection).
    pub fn set_render_token(&mut self, token: Option<String>) {
        self.render_token = token;
    }

    /// Starts a submission: `None` when the values are invalid (their problems become visible) or
    /// one is already being sent. kintone's earlier verdicts do not block a new try. The same submission id is reused until one succeeds, so a
    /// retry is recognisable as the same submission.
    pub fn begin_submit(&mut self, new_id: impl FnOnce() -> String) -> Option<Submission> {
        if self.status == Status::Sending {
            return None;
        }
        self.submit_tried = true;
        if !self.report.is_empty() {
            self.server_report = Report::default();
            self.status = Status::Editing;
            return None;
        }
        let submission_id = self.submission_id.get_or_insert_with(new_id).clone();
        self.status = Status::Sending;
        Some(Submission {
            submission_id: Some(submission_id),
            values: self.values.clone(),
            render_token: self.render_token.clone(),
            honeypot: Some(self.honeypot.clone()).filter(|value| !value.is_empty()),
            ..Submission::default()
        })
    }

    /// Records the relay's answer.
    pub fn finish_submit(&mut self, result: Result<SubmitOutcome, SubmitError>) {
        self.status = match result {
            Ok(_) => {
                self.submission_id = None;
                let message = match &self.descriptor.form.on_success {
                    OnSuccess::Message(message) => message.clone(),
                    OnSuccess::Thanks | OnSuccess::Redirect(_) => {
                        self.text(Text::Thanks).to_owned()
                    }
                };
                Status::Sent(message)
            }
            Err(SubmitError::Invalid(response)) => {
                self.server_report = response.report();
                Status::Editing
            }
            Err(SubmitError::Failed(message)) => Status::Failed(message),
        };
    }
}

fn is_on(issue: &kform_core::Issue, code: &str) -> bool {
    issue.field.as_ref().is_some_and(|field| field.as_str() == code)
}

#[cfg(test)]
mod tests;
