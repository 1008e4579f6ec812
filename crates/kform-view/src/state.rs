//! The form's state as a plain struct: values, touched fields, problems and the sending status.
//!
//! Components read and change it through one signal; every rule lives here or in `kform-core`,
//! so it is tested natively without a browser.

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;
use alloc::string::ToString;
use alloc::vec;
use alloc::vec::Vec;
use kform_core::OnSuccess;
use kform_core::field::FieldKind;
use kform_core::message::Text;
use kform_core::protocol::{FormDescriptor, Submission, SubmitOutcome};
use kform_core::{Field, IssueCode, Locale, Report, Shape, Value, Values, validate};

/// Where the form stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// The visitor is filling it in.
    Editing,
    /// A submission is on its way; the button is disabled.
    Sending,
    /// The relay could not be reached; the same submission will be sent again shortly.
    Retrying,
    /// The relay accepted the submission; the message to show.
    Sent(String),
    /// The submission could not be sent; the message to show (values are kept).
    Failed(String),
}

impl Status {
    /// Whether a submission is under way (the submit button is disabled).
    pub fn is_busy(&self) -> bool {
        matches!(self, Self::Sending | Self::Retrying)
    }
}

/// A few places' keys (a list, not a set type: each map or set type the form uses adds its own
/// copy of the tree code to the `.wasm`).
#[derive(Clone, Debug, Default)]
struct Keys(Vec<String>);

impl Keys {
    fn insert(&mut self, key: String) {
        if !self.contains(&key) {
            self.0.push(key);
        }
    }

    fn contains(&self, key: &str) -> bool {
        self.0.iter().any(|known| known == key)
    }

    fn retain(&mut self, keep: impl FnMut(&String) -> bool) {
        self.0.retain(keep);
    }
}

/// Everything the widget knows about one form on the page.
#[derive(Clone, Debug)]
pub struct FormState {
    /// Shared, so a caller can read the fields while it changes the state
    /// ([`Self::shared_descriptor`]) without cloning them.
    descriptor: alloc::sync::Arc<FormDescriptor>,
    locale: Locale,
    values: Values,
    /// Places the visitor changed and then left: their problems are shown.
    touched: Keys,
    /// Places the visitor changed (and may still be in).
    edited: Keys,
    /// Whether a pointer is pressed in the form: places left meanwhile wait in `leaving`.
    pointer_down: bool,
    /// Places left while a pointer was pressed.
    leaving: Vec<String>,
    submit_tried: bool,
    /// The page shown, from 0 (forms with page breaks).
    page: usize,
    /// Whether "Next" was tried on this page with problems on it: they are shown.
    page_tried: bool,
    /// Whether the answers are shown for checking before they are sent.
    confirming: bool,
    /// Whether every page is shown at once, with no confirmation screen (the basic layout:
    /// nothing runs in the browser to move between pages).
    one_page: bool,
    report: Report,
    server_report: Report,
    submission_id: Option<String>,
    render_token: Option<String>,
    /// The size in bytes of each file chosen, by FILE field (the names are the field's value).
    file_sizes: Vec<(String, Vec<u64>)>,
    honeypot: String,
    /// The captcha's answer, once the visitor solved it (forms that ask for a captcha).
    captcha_token: Option<String>,
    status: Status,
}

/// What the form's button did ([`FormState::advance`]).
#[derive(Clone, Debug, PartialEq)]
pub enum Advance {
    /// Nothing: a submission is under way.
    Busy,
    /// Problems stop it; they are now shown, on the page they are on.
    Invalid,
    /// The form does not fit its kintone app (a field it needs is gone): it cannot be sent, and
    /// says so. Holds the field codes concerned.
    Broken(Vec<String>),
    /// The next page is shown.
    NextPage,
    /// The answers are shown for checking.
    Confirm,
    /// This submission is to be sent.
    Send(Submission),
}

impl Advance {
    /// The submission to send, if that is what happened.
    pub fn submission(self) -> Option<Submission> {
        match self {
            Self::Send(submission) => Some(submission),
            _ => None,
        }
    }
}

/// Why a submission came back without success.
#[derive(Clone, Debug)]
pub enum SubmitError {
    /// The relay (or kintone) refused some values: the problems, as the relay's 422 answer
    /// words them (read with `ErrorResponse::read_relayed`).
    Invalid(Report),
    /// The relay refused it for a reason the visitor can act on; the message to show.
    Failed(String),
    /// The relay could not be reached or failed (network, 5xx, 429): worth trying again with
    /// the same submission id. The reason is for the host page's `kform:error` event.
    Unreachable(String),
}

/// The message shown after a successful send: the form's own, else kform's thanks (a form that
/// redirects shows it until the page has gone).
pub fn thanks(on_success: &OnSuccess, locale: Locale) -> String {
    match on_success {
        OnSuccess::Message(message) => message.clone(),
        OnSuccess::Thanks | OnSuccess::Redirect(_) => Text::Thanks.get(locale).to_owned(),
    }
}

/// What the visitor is told when the relay refuses a submission with HTTP `status` and its
/// error `code`: the same words whether the widget or the relay's page shows them.
pub fn refusal(status: u16, code: Option<&str>) -> Text {
    match (status, code) {
        (400, Some("too_fast")) => Text::TooFast,
        (400, Some("captcha_failed" | "captcha_required")) => Text::CaptchaFailed,
        (400, Some(code)) if code.starts_with("render_token") => Text::FormExpired,
        (413, _) => Text::FilesTooLarge,
        _ => Text::SendFailed,
    }
}

impl FormState {
    /// A fresh form showing kintone's default values, in `locale` (or the form's language).
    pub fn new(descriptor: FormDescriptor, locale: Option<Locale>) -> Self {
        let locale = locale.unwrap_or(descriptor.form.default_lang);
        let mut values = Values::default();
        for item in &descriptor.form.items {
            let Some(code) = &item.field else { continue };
            let Some(field) = descriptor.fields.get(code) else { continue };
            values.set(code.as_str(), initial_value(field, item.initial.clone()));
        }
        let mut state = Self {
            descriptor: alloc::sync::Arc::new(descriptor),
            locale,
            values,
            touched: Keys::default(),
            edited: Keys::default(),
            pointer_down: false,
            leaving: Vec::new(),
            submit_tried: false,
            page: 0,
            page_tried: false,
            confirming: false,
            one_page: false,
            report: Report::default(),
            server_report: Report::default(),
            submission_id: None,
            render_token: None,
            file_sizes: Vec::new(),
            honeypot: String::new(),
            captcha_token: None,
            status: Status::Editing,
        };
        state.revalidate();
        state
    }

    fn revalidate(&mut self) {
        let mut report = validate(&self.descriptor.fields, &self.descriptor.form, &self.values)
            .err()
            .unwrap_or_default();
        // The relay takes so many bytes of files per submission: said here, before sending.
        let total: u64 = self.file_sizes.iter().flat_map(|(_, sizes)| sizes).sum();
        if let Some(limit) = self.descriptor.upload_limit_bytes.filter(|limit| total > *limit) {
            let max_mb = u32::try_from(limit / (1024 * 1024)).unwrap_or(u32::MAX);
            let chosen = self.file_sizes.iter().filter(|(_, sizes)| !sizes.is_empty());
            for field in chosen.filter_map(|(code, _)| self.descriptor.fields.get(code.as_str())) {
                let code = IssueCode::FilesTooLarge { max_mb };
                report.push(kform_core::Issue::on_value(&field.code, code));
            }
        }
        self.report = report;
    }

    /// Notes the files chosen for the FILE field `code`, as `(name, size in bytes)`: a
    /// visitor's change, like [`Self::edit`]. The files themselves stay with the page.
    pub fn choose_files(&mut self, code: &str, files: Vec<(String, u64)>) {
        let (names, sizes) = files.into_iter().unzip();
        self.file_sizes.retain(|(chosen, _)| chosen != code);
        self.file_sizes.push((code.to_owned(), sizes));
        self.edit(code, Value::Files(names));
    }

    /// The FILE fields whose chosen files go with the submission: those with files, on items
    /// that apply.
    pub fn fields_with_files(&self) -> Vec<String> {
        self.descriptor
            .form
            .items
            .iter()
            .filter(|item| item.is_shown() && item.applies(&self.values))
            .filter_map(|item| item.field.as_ref())
            .filter(|code| matches!(self.values.get(code.as_str()), Some(Value::Files(names)) if !names.is_empty()))
            .map(|code| code.as_str().to_owned())
            .collect()
    }

    /// The form and its fields.
    pub fn descriptor(&self) -> &FormDescriptor {
        &self.descriptor
    }

    /// The form and its fields, to read while the state changes.
    pub fn shared_descriptor(&self) -> alloc::sync::Arc<FormDescriptor> {
        alloc::sync::Arc::clone(&self.descriptor)
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

    /// Whether item `index`'s condition (`show_if`) holds for the current values.
    pub fn item_applies(&self, index: usize) -> bool {
        self.descriptor.form.items.get(index).is_some_and(|item| item.applies(&self.values))
    }

    /// The value at `slot`.
    pub fn value(&self, slot: impl Into<Slot>) -> Option<&Value> {
        match slot.into() {
            Slot::Field(code) => self.values.get(&code),
            Slot::Cell { table, row, code } => match self.values.get(&table) {
                Some(Value::Rows(rows)) => rows.get(row).and_then(|cells| cells.get(&code)),
                _ => None,
            },
        }
    }

    /// The text of a single-valued field or cell.
    pub fn text_value(&self, slot: impl Into<Slot>) -> String {
        match self.value(slot) {
            Some(Value::Text(text)) => text.clone(),
            _ => String::new(),
        }
    }

    /// The codes of a user, organization or group selection, the options of a list field, or
    /// the names of the files chosen.
    pub fn list_value(&self, slot: impl Into<Slot>) -> Vec<String> {
        match self.value(slot) {
            Some(Value::List(items) | Value::Entities(items) | Value::Files(items)) => {
                items.clone()
            }
            _ => Vec::new(),
        }
    }

    /// Whether `option` is selected in a list field (or `code` in a selection field).
    pub fn is_selected(&self, slot: impl Into<Slot>, option: &str) -> bool {
        self.list_value(slot).iter().any(|item| item == option)
    }

    /// Sets the value at `slot` and checks the form again; kintone's earlier verdict on it is
    /// cleared.
    pub fn set(&mut self, slot: impl Into<Slot>, value: Value) {
        let slot = slot.into();
        match &slot {
            Slot::Field(code) => self.values.set(code.as_str(), value),
            Slot::Cell { table, row, code } => {
                if let Some(Value::Rows(rows)) = self.values.0.get_mut(table)
                    && let Some(cells) = rows.get_mut(*row)
                {
                    cells.set(code.as_str(), value);
                }
            }
        }
        let prefix = slot.path_prefix();
        self.server_report = self
            .server_report
            .issues()
            .iter()
            .filter(|issue| !issue.path.starts_with(&prefix))
            .cloned()
            .collect();
        self.revalidate();
    }

    /// Checks or unchecks one option of a list field, or one code of a selection field (a
    /// visitor's change, like [`Self::edit`]).
    pub fn toggle(&mut self, slot: impl Into<Slot>, option: &str, selected: bool) {
        let slot = slot.into();
        self.edited.insert(slot.key());
        let mut items = self.list_value(slot.clone());
        items.retain(|item| item != option);
        if selected {
            items.push(option.to_owned());
        }
        let value = match self.field_at(&slot).map(|field| &field.kind) {
            Some(
                FieldKind::UserSelect(select)
                | FieldKind::OrganizationSelect(select)
                | FieldKind::GroupSelect(select),
            ) => {
                let order: Vec<&str> = select.entities.iter().map(|e| e.code.as_str()).collect();
                Value::Entities(in_order(&items, &order))
            }
            kind => {
                // Keep kintone's option order, whatever order the visitor clicked in.
                if let Some(options) = kind.and_then(FieldKind::options) {
                    let order: Vec<&str> = options.iter().map(|c| c.value.as_str()).collect();
                    items = in_order(&items, &order);
                }
                Value::List(items)
            }
        };
        self.set(slot, value);
    }

    /// The kintone field behind `slot` (a subtable's inner field for a cell).
    pub fn field_at(&self, slot: &Slot) -> Option<&Field> {
        match slot {
            Slot::Field(code) => self.descriptor.fields.get(code.as_str()),
            Slot::Cell { table, code, .. } => {
                match &self.descriptor.fields.get(table.as_str())?.kind {
                    FieldKind::Subtable { fields } => fields.get(code.as_str()),
                    _ => None,
                }
            }
        }
    }

    /// How many rows the subtable `table` has.
    pub fn row_count(&self, table: &str) -> usize {
        match self.values.get(table) {
            Some(Value::Rows(rows)) => rows.len(),
            _ => 0,
        }
    }

    /// Adds a row with kintone's default values at the end of the subtable `table`.
    pub fn add_row(&mut self, table: &str) {
        let Some(FieldKind::Subtable { fields }) =
            self.descriptor.fields.get(table).map(|field| &field.kind)
        else {
            return;
        };
        // Inserted one by one: collecting into a map would build a sort into the `.wasm`.
        let mut row = Values::default();
        for (code, field) in fields {
            row.0.insert(code.to_string(), initial_value(field, None));
        }
        let mut rows = match self.values.get(table) {
            Some(Value::Rows(rows)) => rows.clone(),
            _ => Vec::new(),
        };
        rows.push(row);
        self.set(table, Value::Rows(rows));
    }

    /// Removes row `index` of the subtable `table`. The problems shown on later rows wait until
    /// they are touched again, since their places moved.
    pub fn remove_row(&mut self, table: &str, index: usize) {
        let Some(Value::Rows(mut rows)) = self.values.get(table).cloned() else { return };
        if index >= rows.len() {
            return;
        }
        rows.remove(index);
        let moved = format!("{table}[");
        self.touched.retain(|key| !key.starts_with(&moved));
        self.edited.retain(|key| !key.starts_with(&moved));
        self.set(table, Value::Rows(rows));
    }

    /// Notes that the visitor left a field or cell (on blur): once it was changed, its problems
    /// become visible. Passing through an empty field says nothing yet (no "required" while
    /// tabbing, and no message appearing under the pointer, moving the button it aims at).
    /// While a pointer is pressed, the message waits until it is released, so the control
    /// being clicked does not move away from under it.
    pub fn touch(&mut self, slot: impl Into<Slot>) {
        let key = slot.into().key();
        if self.pointer_down {
            self.leaving.push(key);
        } else {
            self.reveal(key);
        }
    }

    /// Shows the problems at `key` if the visitor changed it.
    fn reveal(&mut self, key: String) {
        if self.edited.contains(&key) {
            self.touched.insert(key);
        }
    }

    /// Whether a pointer is pressed in the form.
    pub fn pointer_is_down(&self) -> bool {
        self.pointer_down
    }

    /// Notes a pointer pressed (`true`) or released in the form; a release shows the messages of
    /// places left meanwhile.
    pub fn pointer(&mut self, down: bool) {
        self.pointer_down = down;
        if !down {
            for key in core::mem::take(&mut self.leaving) {
                self.reveal(key);
            }
        }
    }

    /// Notes that the visitor changed a field or cell (on input).
    pub fn edit(&mut self, slot: impl Into<Slot>, value: Value) {
        let slot = slot.into();
        self.edited.insert(slot.key());
        self.set(slot, value);
    }

    /// The messages to show at a field or cell: none until it was touched or a submit was tried.
    /// A subtable's own messages (required, say) are shown on the table, its cells' on each cell.
    pub fn visible_messages(&self, slot: impl Into<Slot>) -> Vec<String> {
        let slot = slot.into();
        let shown = self.submit_tried || self.page_tried || self.touched.contains(&slot.key());
        let client = if shown { self.report.issues() } else { &[] };
        let mut messages: Vec<String> = client
            .iter()
            .chain(self.server_report.issues())
            .filter(|issue| slot.holds(issue))
            .map(|issue| issue.code.message(self.locale))
            .collect();
        messages.dedup();
        messages
    }

    /// After a refused submit, every problem on a shown field or cell: where it is, the label a
    /// visitor sees there (a cell's names its table and row), and the message. The error
    /// summary lists these, each linked to its input.
    /// Only the page shown is listed: the others' inputs are not there to link to.
    pub fn problem_list(&self) -> Vec<(Slot, String, String)> {
        if !self.submit_tried && !self.page_tried {
            return Vec::new();
        }
        let mut list: Vec<(Slot, String, String)> = Vec::new();
        for issue in self.report.issues().iter().chain(self.server_report.issues()) {
            let Some(slot) = Slot::of_issue(issue) else { continue };
            let page = self.page_of_slot(&slot);
            if page.is_none() || (!self.one_page && page != Some(self.page)) {
                continue;
            }
            let Some(label) = self.label_of(&slot) else { continue };
            let message = issue.code.message(self.locale);
            if !list.iter().any(|(s, _, m)| *s == slot && *m == message) {
                list.push((slot, label, message));
            }
        }
        list
    }

    /// The label a visitor sees at `slot`, if the form shows it.
    fn label_of(&self, slot: &Slot) -> Option<String> {
        let top = slot.top();
        let item = &self.descriptor.form.items[self.shown_item(top)?];
        let field = self.descriptor.fields.get(top)?;
        let label = item.label.clone().unwrap_or_else(|| field.label.clone());
        match slot {
            Slot::Field(_) => Some(label),
            Slot::Cell { row, .. } => {
                let inner = self.field_at(slot)?;
                Some(format!("{label} {} {}: {}", self.text(Text::Row), row + 1, inner.label))
            }
        }
    }

    /// Problems not tied to a shown field (e.g. kintone refusing a hidden value), after a submit.
    pub fn form_messages(&self) -> Vec<String> {
        if !self.submit_tried {
            return Vec::new();
        }
        // A form that does not fit its app says that, and nothing the visitor cannot act on.
        if !self.missing_fields().is_empty() {
            return vec![self.text(Text::FormBroken).to_owned()];
        }
        let shown: Vec<&str> = self
            .descriptor
            .form
            .items
            .iter()
            .filter(|item| item.is_shown())
            .filter_map(|item| item.field.as_ref().map(|code| code.as_str()))
            .collect();
        let mut messages: Vec<String> = self
            .report
            .issues()
            .iter()
            .chain(self.server_report.issues())
            .filter(|issue| issue.field.as_ref().is_none_or(|code| !shown.contains(&code.as_str())))
            .map(|issue| issue.code.message(self.locale))
            .collect();
        if self.captcha_unsolved() && self.status == Status::Editing {
            messages.push(self.text(Text::SolveCaptcha).to_owned());
        }
        messages
    }

    /// The fields the form needs that its app no longer has (or a form cannot write): while
    /// there are any, the form cannot be sent.
    pub fn missing_fields(&self) -> Vec<String> {
        self.report
            .issues()
            .iter()
            .filter(|issue| matches!(issue.code, IssueCode::UnknownField | IssueCode::NotWritable))
            .filter_map(|issue| issue.field.as_ref().map(|code| code.as_str().to_owned()))
            .collect()
    }

    /// Fills fields from the page address (`?会社名=…&関心=A&関心=B`): a parameter named like a
    /// field the form shows sets it; a repeated one selects several options. Fields with a fixed
    /// hidden value and fields the form does not show are left alone, and prefilled values are
    /// checked like typed ones.
    pub fn prefill<'a>(&mut self, params: impl IntoIterator<Item = (&'a str, &'a str)>) {
        let mut lists: Vec<(String, Vec<String>)> = Vec::new();
        for (name, value) in params {
            let shown = self.shown_item(name).is_some();
            let Some(field) = self.descriptor.fields.get(name).filter(|_| shown) else { continue };
            match field.kind.shape() {
                Some(Shape::Text) => self.values.set(name, Value::Text(value.to_owned())),
                Some(Shape::List) => match lists.iter_mut().find(|(code, _)| code == name) {
                    Some((_, items)) => items.push(value.to_owned()),
                    None => lists.push((name.to_owned(), vec![value.to_owned()])),
                },
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

    /// Keeps the captcha's answer (`None` when it expired or failed).
    pub fn set_captcha_token(&mut self, token: Option<String>) {
        self.captcha_token = token;
    }

    /// Turns what was typed into rich text fields (plain text, also in subtable rows) into the
    /// HTML kintone stores, so the lines arrive as typed.
    fn rich_text_as_html(&self, values: &mut Values) {
        let is_rich = |field: &Field| matches!(field.kind, FieldKind::RichText { .. });
        let convert = |value: Option<&mut Value>| {
            if let Some(Value::Text(text)) = value {
                *text = rich_text(text);
            }
        };
        for (code, field) in &self.descriptor.fields.fields {
            match &field.kind {
                FieldKind::RichText { .. } => convert(values.0.get_mut(code.as_str())),
                FieldKind::Subtable { fields } => {
                    let Some(Value::Rows(rows)) = values.0.get_mut(code.as_str()) else { continue };
                    for row in rows {
                        for inner in fields.values().filter(|inner| is_rich(inner)) {
                            convert(row.0.get_mut(inner.code.as_str()));
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// Whether the form asks for a captcha the visitor has not solved yet.
    pub fn captcha_unsolved(&self) -> bool {
        self.descriptor.captcha.is_some() && self.captcha_token.is_none()
    }

    /// Sets the submission's id, as a plain form's post carried it (a post sent again is the
    /// same submission); `None` leaves a new one to be made when it is sent.
    pub fn set_submission_id(&mut self, id: Option<String>) {
        self.submission_id = id;
    }

    /// Keeps the relay's render token, sent back with the submission (spam protection).
    pub fn set_render_token(&mut self, token: Option<String>) {
        self.render_token = token;
    }

    /// The page shown, from 0.
    pub fn page(&self) -> usize {
        self.page
    }

    /// How many pages the form has.
    pub fn page_count(&self) -> usize {
        self.descriptor.form.page_count()
    }

    /// Whether item `index` is on the page shown.
    pub fn item_on_page(&self, index: usize) -> bool {
        self.one_page || self.descriptor.form.page_of(index) == self.page
    }

    /// Shows every page at once and skips the confirmation screen: the basic layout, where
    /// nothing in the browser moves between pages.
    pub fn show_on_one_page(&mut self) {
        self.one_page = true;
        self.confirming = false;
    }

    /// Notes kintone's (the relay's) verdict on values sent, shown like the form's own problems
    /// on the fields they concern; the problems are shown as after a submit.
    pub fn refused(&mut self, report: Report) {
        self.submit_tried = true;
        self.server_report = report;
        self.status = Status::Editing;
    }

    /// Shows every problem as after a refused submit.
    pub fn reveal_problems(&mut self) {
        self.submit_tried = true;
    }

    /// Whether the answers are shown for checking.
    pub fn is_confirming(&self) -> bool {
        self.confirming
    }

    /// What the form's button does now: "Next" before the last page, "Review" on the last page
    /// of a form with a confirmation screen, "Send" otherwise.
    pub fn action_text(&self) -> Text {
        if self.status.is_busy() {
            Text::Sending
        } else if !self.on_last_page() {
            Text::Next
        } else if self.descriptor.form.confirm && !self.confirming {
            Text::Review
        } else {
            Text::Submit
        }
    }

    /// The index of the item that shows the field `code` to the visitor, if one does.
    fn shown_item(&self, code: &str) -> Option<usize> {
        self.descriptor.form.items.iter().position(|item| {
            item.is_shown() && item.field.as_ref().is_some_and(|field| field.as_str() == code)
        })
    }

    /// The page of the item that shows `slot`, if one does.
    fn page_of_slot(&self, slot: &Slot) -> Option<usize> {
        self.shown_item(slot.top()).map(|index| self.descriptor.form.page_of(index))
    }

    /// Whether the page shown is the form's last.
    fn on_last_page(&self) -> bool {
        self.one_page || self.page + 1 >= self.page_count()
    }

    /// The pages holding a problem that stops the form, first page first.
    fn pages_with_problems(&self) -> Vec<usize> {
        let mut pages: Vec<usize> = Vec::new();
        let found = self.report.issues().iter().filter_map(Slot::of_issue);
        // Kept in order as they come, rather than sorted after: a sort would be built into the
        // `.wasm` for this list alone.
        for page in found.filter_map(|slot| self.page_of_slot(&slot)) {
            if let Err(at) = pages.binary_search(&page) {
                pages.insert(at, page);
            }
        }
        pages
    }

    /// The form's button: moves to the next page when this one is valid, shows the answers for
    /// checking when the form asks for that, or starts a submission. Problems stop it and become
    /// visible (on the first page holding one). kintone's earlier verdicts do not block a new
    /// try. The same submission id is reused until one succeeds, so a retry is recognisable as
    /// the same submission, and a submission under way blocks a second one.
    pub fn advance(&mut self, new_id: impl FnOnce() -> String) -> Advance {
        if self.status.is_busy() {
            return Advance::Busy;
        }
        let problems = self.pages_with_problems();
        if !self.on_last_page() {
            if problems.contains(&self.page) {
                self.page_tried = true;
                return Advance::Invalid;
            }
            self.page += 1;
            self.page_tried = false;
            return Advance::NextPage;
        }
        self.submit_tried = true;
        let missing = self.missing_fields();
        if !missing.is_empty() {
            self.status = Status::Editing;
            self.confirming = false;
            return Advance::Broken(missing);
        }
        if !self.report.is_empty() {
            self.server_report = Report::default();
            self.status = Status::Editing;
            self.confirming = false;
            if let Some(&first) = problems.first() {
                self.page = first;
            }
            return Advance::Invalid;
        }
        if self.descriptor.form.confirm && !self.confirming && !self.one_page {
            self.confirming = true;
            self.status = Status::Editing;
            return Advance::Confirm;
        }
        if self.captcha_unsolved() {
            self.status = Status::Editing;
            return Advance::Invalid;
        }
        let submission_id = self.submission_id.get_or_insert_with(new_id).clone();
        self.status = Status::Sending;
        // Files travel as parts of their own; the relay puts their keys in the values.
        let mut values = self.values.clone();
        values.0.retain(|_, value| !matches!(value, Value::Files(_)));
        self.rich_text_as_html(&mut values);
        Advance::Send(Submission {
            submission_id: Some(submission_id),
            values,
            render_token: self.render_token.clone(),
            honeypot: Some(self.honeypot.clone()).filter(|value| !value.is_empty()),
            captcha_token: self.captcha_token.clone(),
        })
    }

    /// The "Back" button: from the confirmation to the form, or to the previous page.
    pub fn back(&mut self) {
        if self.status.is_busy() {
            return;
        }
        self.status = Status::Editing;
        if self.confirming {
            self.confirming = false;
        } else if self.page > 0 {
            self.page -= 1;
            self.page_tried = false;
        }
    }

    /// The answers as the confirmation screen lists them: each shown item that applies, with
    /// its label and its value as text (a subtable's rows one per line).
    pub fn answers(&self) -> Vec<(String, String)> {
        let form = &self.descriptor.form;
        form.items
            .iter()
            .filter(|item| item.is_shown() && item.applies(&self.values))
            .filter_map(|item| {
                let code = item.field.as_ref()?;
                let field = self.descriptor.fields.get(code.as_str())?;
                if !field.is_writable() {
                    return None;
                }
                let label = item.label.clone().unwrap_or_else(|| field.label.clone());
                // A chosen option as the form showed it (its own label for it, if any).
                let labels = &item.option_labels;
                let text = match self.values.get(code.as_str()) {
                    Some(Value::Rows(rows)) => self.rows_text(field, rows),
                    Some(Value::Text(text)) if field.kind.options().is_some() => {
                        labels.shown(text).to_owned()
                    }
                    Some(Value::List(items)) if field.kind.options().is_some() => {
                        joined(&mut items.iter().map(|value| labels.shown(value)), "、")
                    }
                    Some(Value::Text(text)) if matches!(field.kind, FieldKind::DateTime { .. }) => {
                        // The visitor's own time as typed, without the offset sent with it.
                        text.get(..16).unwrap_or(text).replacen('T', " ", 1)
                    }
                    value => answer_text(value),
                };
                let text =
                    if text.is_empty() { self.text(Text::NoAnswer).to_owned() } else { text };
                Some((label, text))
            })
            .collect()
    }

    /// A subtable's rows for the confirmation screen, one line each:
    /// "行 1: 品名: 机 / 数量: 1".
    fn rows_text(&self, table: &Field, rows: &[Values]) -> String {
        let FieldKind::Subtable { fields } = &table.kind else { return String::new() };
        let line = |(row, cells): (usize, &Values)| {
            let cells: Vec<String> = fields
                .iter()
                .filter(|(_, inner)| inner.is_writable())
                .map(|(code, inner)| {
                    format!("{}: {}", inner.label, answer_text(cells.get(code.as_str())))
                })
                .collect();
            let cells = joined(&mut cells.iter().map(String::as_str), " / ");
            format!("{} {}: {}", self.text(Text::Row), row + 1, cells)
        };
        let lines: Vec<String> = rows.iter().enumerate().map(line).collect();
        joined(&mut lines.iter().map(String::as_str), "\n")
    }

    /// Notes that the submission is being tried again after the relay could not be reached.
    pub fn retrying(&mut self) {
        self.status = Status::Retrying;
    }

    /// Records the relay's answer. A captcha answer counts once, so whatever the relay said,
    /// another submission needs the captcha solved again.
    pub fn finish_submit(&mut self, result: Result<SubmitOutcome, SubmitError>) {
        self.captcha_token = None;
        self.status = match result {
            Ok(_) => {
                self.submission_id = None;
                Status::Sent(thanks(&self.descriptor.form.on_success, self.locale))
            }
            Err(SubmitError::Invalid(report)) => {
                self.server_report = report;
                // Back to the form, on the page of kintone's first complaint.
                self.confirming = false;
                let first = self
                    .server_report
                    .issues()
                    .iter()
                    .filter_map(Slot::of_issue)
                    .find_map(|slot| self.page_of_slot(&slot));
                if let Some(page) = first {
                    self.page = page;
                }
                Status::Editing
            }
            Err(SubmitError::Failed(message)) => Status::Failed(message),
            Err(SubmitError::Unreachable(_)) => {
                Status::Failed(self.text(Text::SendFailed).to_owned())
            }
        };
    }
}

/// What kintone stores for rich text typed as plain text: the text escaped as HTML, each line
/// break a `<br />`.
pub fn rich_text(text: &str) -> String {
    // One pass over the characters, with no search for a string: a `str::replace` of one would
    // bring the standard library's substring search into the widget's `.wasm`.
    let mut html = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '&' => html.push_str("&amp;"),
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            '"' => html.push_str("&quot;"),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => html.push_str("<br />"),
            c => html.push(c),
        }
    }
    html
}

/// The plain text a rich text (HTML) value holds: tags dropped, line and paragraph breaks kept
/// as new lines, entities decoded; the inverse of [`rich_text`].
pub fn plain_text(html: &str) -> String {
    // Split at characters, never at byte offsets: slicing a `str` by offset would bring its
    // panic message's formatting (about 1.5 KB) into the widget's `.wasm`.
    let mut text = String::with_capacity(html.len());
    let mut rest = html;
    while let Some((before, after)) = rest.split_once('<') {
        text.push_str(before);
        let Some((tag, after)) = after.split_once('>') else {
            text.push('<');
            rest = after;
            break;
        };
        let tag = tag.trim().to_ascii_lowercase();
        let name =
            tag.trim_start_matches('/').split(|c: char| c.is_whitespace() || c == '/').next();
        let breaks = matches!(name, Some("br"))
            || (tag.starts_with('/') && matches!(name, Some("p" | "div" | "li")));
        if breaks {
            text.push('\n');
        }
        rest = after;
    }
    text.push_str(rest);
    decode_entities(&text).trim_end().to_owned()
}

/// The entities [`rich_text`] writes, and `&nbsp;` and `&#39;`, decoded; any other `&` is kept.
fn decode_entities(text: &str) -> String {
    const ENTITIES: [(&str, char); 6] =
        [("nbsp;", ' '), ("lt;", '<'), ("gt;", '>'), ("quot;", '"'), ("#39;", '\''), ("amp;", '&')];
    let mut decoded = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((before, after)) = rest.split_once('&') {
        decoded.push_str(before);
        match ENTITIES.iter().find_map(|(name, c)| Some((after.strip_prefix(name)?, *c))) {
            Some((after, c)) => {
                decoded.push(c);
                rest = after;
            }
            None => {
                decoded.push('&');
                rest = after;
            }
        }
    }
    decoded.push_str(rest);
    decoded
}

/// A value as text for the confirmation screen: text as it is, lists joined by "、".
fn answer_text(value: Option<&Value>) -> String {
    match value {
        Some(Value::Text(text)) => text.clone(),
        Some(Value::List(items) | Value::Entities(items) | Value::Files(items)) => {
            joined(&mut items.iter().map(String::as_str), "、")
        }
        _ => String::new(),
    }
}

/// `items` with `separator` between them, as `[…].join(separator)` gives them. Written piece by
/// piece, for every list the form writes out: `join` brings the standard library's slice
/// joining into the widget's `.wasm`, once for each kind of list it joins.
pub fn joined(items: &mut dyn Iterator<Item = &str>, separator: &str) -> String {
    let mut out = String::new();
    for (index, item) in items.enumerate() {
        if index > 0 {
            out.push_str(separator);
        }
        out.push_str(item);
    }
    out
}

/// Codes typed in one input: separated by commas (half or full width) or white space.
pub fn split_codes(text: &str) -> Vec<String> {
    text.split(|c: char| matches!(c, ',' | '、' | '，') || c.is_whitespace())
        .filter(|code| !code.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A `datetime-local` input's `YYYY-MM-DDTHH:MM` as kintone takes it, with the visitor's offset
/// from UTC (`offset_west_minutes` is JavaScript's `getTimezoneOffset()`: minutes *behind* UTC).
/// Anything else (an empty or partly typed input) is kept as typed, for validation to judge.
pub fn with_offset(local: &str, offset_west_minutes: i32) -> String {
    if local.len() != 16 || !local.is_char_boundary(16) {
        return local.to_owned();
    }
    let east = -offset_west_minutes;
    let sign = if east < 0 { '-' } else { '+' };
    let east = east.unsigned_abs();
    format!("{local}{sign}{:02}:{:02}", east / 60, east % 60)
}

/// A field's first value: the form's initial value, else kintone's default, else empty. A
/// rich text default (HTML, `<p></p>` when empty) is shown as the plain text it holds.
fn initial_value(field: &Field, initial: Option<Value>) -> Value {
    let default = || match (&field.kind, field.kind.default_input()) {
        (FieldKind::RichText { .. }, Some(Value::Text(html))) => {
            Some(Value::Text(plain_text(&html)))
        }
        (_, default) => default,
    };
    initial.or_else(default).unwrap_or_else(|| match field.kind.shape() {
        Some(Shape::Text) => Value::Text(String::new()),
        Some(Shape::Entities) => Value::Entities(Vec::new()),
        Some(Shape::Rows) => Value::Rows(Vec::new()),
        Some(Shape::Files) => Value::Files(Vec::new()),
        _ => Value::List(Vec::new()),
    })
}

/// Where a value lives: a field of the form, or one cell of a subtable row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Slot {
    /// A top-level field, by code.
    Field(String),
    /// The inner field `code` of row `row` of the subtable `table`.
    Cell {
        /// The subtable's code.
        table: String,
        /// The row, from 0.
        row: usize,
        /// The inner field's code.
        code: String,
    },
}

impl Slot {
    /// The place's name: the field code, or `table[row].code` for a cell.
    pub fn key(&self) -> String {
        match self {
            Self::Field(code) => code.clone(),
            Self::Cell { table, row, code } => format!("{table}[{row}].{code}"),
        }
    }

    /// The place named `key` ([`Self::key`]): `code`, or `table[row].code` for a cell.
    pub fn from_key(key: &str) -> Self {
        let cell = key.split_once('[').and_then(|(table, rest)| {
            let (row, code) = rest.split_once(']')?;
            let code = code.strip_prefix('.')?;
            Some(Self::Cell {
                table: table.to_owned(),
                row: row.parse().ok()?,
                code: code.to_owned(),
            })
        });
        cell.unwrap_or_else(|| Self::Field(key.to_owned()))
    }

    /// The top-level field: the field itself, or a cell's subtable.
    fn top(&self) -> &str {
        match self {
            Self::Field(code) | Self::Cell { table: code, .. } => code,
        }
    }

    /// How kintone's error paths for this place begin.
    fn path_prefix(&self) -> String {
        match self {
            Self::Field(code) => format!("record.{code}."),
            Self::Cell { table, row, code } => format!("record.{table}.value[{row}].value.{code}."),
        }
    }

    /// Where kintone's error path puts an issue: a cell for
    /// `record.<table>.value[<row>].value.<code>.…`, else the issue's field.
    fn of_issue(issue: &kform_core::Issue) -> Option<Self> {
        let table = issue.field.as_ref()?.as_str();
        let cell = issue
            .path
            .strip_prefix("record.")
            .and_then(|rest| rest.strip_prefix(table))
            .and_then(|rest| rest.strip_prefix(".value["))
            .and_then(|rest| {
                let (row, rest) = rest.split_once(']')?;
                let rest = rest.strip_prefix(".value.")?;
                let code = rest.split('.').next()?;
                Some(Self::Cell {
                    table: table.to_owned(),
                    row: row.parse().ok()?,
                    code: code.to_owned(),
                })
            });
        Some(cell.unwrap_or_else(|| Self::Field(table.to_owned())))
    }

    /// Whether `issue` is shown here: a cell's issues on the cell, not on its table.
    fn holds(&self, issue: &kform_core::Issue) -> bool {
        Self::of_issue(issue).as_ref() == Some(self)
    }
}

impl From<&str> for Slot {
    fn from(code: &str) -> Self {
        Self::Field(code.to_owned())
    }
}

fn is_on(issue: &kform_core::Issue, code: &str) -> bool {
    issue.field.as_ref().is_some_and(|field| field.as_str() == code)
}

/// `items` in the order of `order` (kintone's order of options or entities), any item `order`
/// lacks first, as it was. Picked out rather than sorted: a sort would be built into the
/// `.wasm` for each list it sorts.
fn in_order(items: &[String], order: &[&str]) -> Vec<String> {
    let unknown = items.iter().filter(|item| !order.contains(&item.as_str())).cloned();
    let known = order.iter().filter(|code| items.iter().any(|item| item == *code));
    unknown.chain(known.map(|code| (*code).to_owned())).collect()
}

#[cfg(test)]
mod tests;
