//! Takes over a form already on the page (the relay's markup, shown by `kform.js` before the
//! WebAssembly arrived) and drives it: kintone's live validation and wording, conditional
//! items, pages, the confirmation, the captcha's answer, files and sending with retries.
//!
//! Nothing is rendered again at the start: what the visitor typed, chose and attached, the
//! focus and the caret stay as they are. The form's inputs are read into the state
//! ([`kform_view::posted`], as the relay reads a post), then every event changes the state and
//! [`Form::render`] brings the page in line with it: messages, `aria-invalid`, what is
//! hidden, the buttons. The parts that change shape (error summary, subtable rows, the
//! confirmation, the thanks) are rendered with `kform_view::markup`, the same code the relay
//! renders the form with.

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::string::ToString;
use alloc::vec;
use alloc::vec::Vec;
use core::cell::RefCell;

use kform_core::field::FieldKind;
use kform_core::message::Text;
use kform_core::protocol::{SubmissionState, SubmitOutcome};
use kform_core::{OnSuccess, Value};
use kform_dom::write;
use kform_view::html::{El, Node, to_html};
use kform_view::markup::{self, CONFIRM_HEADING_ID, SUMMARY_ID, THANKS_ID, dom_id, names};
use kform_view::state::{Advance, FormState, Slot, Status, SubmitError, joined, split_codes};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Element, Event, HtmlElement};

use crate::api::{self, Endpoint};
use crate::browser;
use crate::embed::{emit, random_uuid};

#[cfg(feature = "confirm")]
mod confirmation;
#[cfg(feature = "rows")]
mod rows;

/// How long the widget waits before each new try when the relay cannot be reached: about half a
/// minute in all, enough for a dropped connection or a restarting relay.
const RETRY_DELAYS_MS: [i32; 5] = [1_000, 2_000, 4_000, 8_000, 16_000];

/// The captcha's answer, which `kform.js` puts in the form with the provider's challenge: the
/// input named [`names::CAPTCHA_TOKEN`], spelled out (a `format!` of it weighs 57 bytes brotli
/// in the `.wasm`).
const CAPTCHA_TOKEN_INPUT: &str = "input[name=kform_captcha_token]";

/// What the captcha's answer input hears when the answer was used up (`kform.js` then shows the
/// challenge again).
const CAPTCHA_RESET: &str = "kform-captcha-reset";

/// The events the form listens to, all on its `<form>` element.
const EVENTS: [&str; 9] = [
    "input",
    "change",
    "focusout",
    "submit",
    "click",
    "pointerdown",
    "pointerup",
    "pointercancel",
    "keydown",
];

/// An event listener the form added, kept until it is removed.
type Listener = Closure<dyn FnMut(Event)>;

/// One form taken over.
pub(crate) struct Form {
    state: RefCell<FormState>,
    host: HtmlElement,
    /// The `.kform` element holding the form (and, once sent, the thanks).
    root: Element,
    form: Element,
    /// Where submissions go; `None` for a preview, which never sends.
    endpoint: Option<Endpoint>,
    listeners: RefCell<Vec<Listener>>,
}

impl Form {
    /// Takes over the form in `root` for `state`'s descriptor: reads what the page's inputs
    /// hold, listens to the form's events and shows what the state says.
    pub(crate) fn take_over(
        mut state: FormState,
        host: HtmlElement,
        root: Element,
        endpoint: Option<Endpoint>,
    ) -> Result<Rc<Self>, JsValue> {
        let form = root
            .query_selector("form")?
            .ok_or_else(|| JsValue::from_str("kform: no form to take over"))?;
        if let Some(zone) = form.query_selector(&format!("[name={}]", names::TIME_ZONE))? {
            // Whole minutes; formatted as an integer, which keeps float printing out of the .wasm.
            let offset = js_sys::Date::new_0().get_timezone_offset() as i32;
            zone.set_attribute("value", &offset.to_string())?;
        }
        local_times(&form, &state)?;
        let (pairs, files) = form_data(&form)?;
        if let Err(err) = kform_view::posted::apply(&mut state, &pairs) {
            return Err(JsValue::from_str(&format!("kform: the page's form does not fit: {err}")));
        }
        for (code, chosen) in files {
            state.choose_files(&code, chosen);
        }
        form.set_attribute("novalidate", "")?;
        let this = Rc::new(Self {
            state: RefCell::new(state),
            host,
            root,
            form,
            endpoint,
            listeners: RefCell::new(Vec::new()),
        });
        this.listen()?;
        this.render();
        Ok(this)
    }

    /// Stops listening and removes the form from the page.
    pub(crate) fn remove(&self) {
        for (name, listener) in EVENTS.iter().zip(self.listeners.borrow_mut().drain(..)) {
            let _ = self
                .form
                .remove_event_listener_with_callback(name, listener.as_ref().unchecked_ref());
        }
        self.root.remove();
    }

    fn listen(self: &Rc<Self>) -> Result<(), JsValue> {
        for name in EVENTS {
            let weak = Rc::downgrade(self);
            let listener = Closure::<dyn FnMut(Event)>::new(move |event: Event| {
                if let Some(form) = weak.upgrade() {
                    form.handle(&event);
                }
            });
            self.form.add_event_listener_with_callback(name, listener.as_ref().unchecked_ref())?;
            self.listeners.borrow_mut().push(listener);
        }
        Ok(())
    }

    fn handle(self: &Rc<Self>, event: &Event) {
        let kind = event.type_();
        match kind.as_str() {
            "submit" => {
                event.prevent_default();
                self.advance();
            }
            "click" => self.click(event),
            "pointerdown" => {
                if let Ok(mut state) = self.state.try_borrow_mut() {
                    state.pointer(true);
                }
            }
            "pointerup" | "pointercancel" | "keydown" => {
                // Only a pressed pointer's release changes anything.
                let released = self.state.try_borrow_mut().is_ok_and(|mut state| {
                    let down = state.pointer_is_down();
                    state.pointer(false);
                    down
                });
                if released {
                    self.render();
                }
            }
            _ => {
                if self.edit(event, &kind) {
                    self.render();
                }
            }
        }
    }

    /// A visitor's change (`input`, `change`) or departure (`focusout`) at an input; whether
    /// the state changed.
    fn edit(&self, event: &Event, kind: &str) -> bool {
        let Some(target) = browser::event_element(event) else { return false };
        let Some(name) = target.get_attribute("name") else { return false };
        let value = property(&target, "value").as_string().unwrap_or_default();
        if name == names::HONEYPOT {
            if let Ok(mut state) = self.state.try_borrow_mut() {
                state.set_honeypot(value);
            }
            return false;
        }
        if name == names::CAPTCHA_TOKEN {
            // `kform.js`'s challenge answered (or its answer expired: empty).
            let Ok(mut state) = self.state.try_borrow_mut() else { return false };
            state.set_captcha_token(Some(value).filter(|token| !token.is_empty()));
            return true;
        }
        let slot = Slot::from_key(&name);
        // An event the page fires while the form itself changes it (a focus moved, a region
        // written again) is not the visitor's.
        let Ok(mut state) = self.state.try_borrow_mut() else { return false };
        // What the field's kind asks of its input, taken before the state changes (no clone).
        let read = match state.field_at(&slot).map(|field| &field.kind) {
            None => return false,
            Some(FieldKind::File { .. }) => Read::Files,
            Some(FieldKind::DateTime { .. }) => Read::DateTime,
            Some(kind) if kind.entity_select().is_some() => Read::Entities,
            Some(_) => Read::Text,
        };
        if kind == "focusout" {
            state.touch(slot);
            return true;
        }
        let input_type = target.get_attribute("type").unwrap_or_default();
        // Choices and files are complete on `change`; text as it is typed, on `input`.
        let chosen = target.tag_name() == "SELECT"
            || matches!(input_type.as_str(), "checkbox" | "radio" | "file");
        if chosen != (kind == "change") {
            return false;
        }
        match (read, input_type.as_str()) {
            (_, "checkbox") => {
                let checked = property(&target, "checked").is_truthy();
                state.toggle(slot, &value, checked);
            }
            (Read::Files, _) => {
                let chosen = browser::files_of(&target);
                let described =
                    chosen.iter().map(|file| (file.name(), browser::file_size(file))).collect();
                state.choose_files(slot.key().as_str(), described);
                state.touch(slot);
            }
            (Read::DateTime, _) => {
                state.edit(slot, Value::Text(browser::to_kintone(&value)));
            }
            (Read::Entities, _) => {
                state.edit(slot, Value::Entities(split_codes(&value)));
            }
            (Read::Text, _) => state.edit(slot, Value::Text(value)),
        }
        true
    }

    /// Buttons that do not send (back, a row's) and the error summary's links.
    fn click(self: &Rc<Self>, event: &Event) {
        let Some(target) = browser::event_element(event) else { return };
        let Ok(Some(control)) = target.closest("button, a") else { return };
        if has_class(&control, "kform-back") {
            self.state.borrow_mut().back();
            self.render();
            self.page_opened();
            return;
        }
        if control.tag_name() == "A" {
            let href = control.get_attribute("href").unwrap_or_default();
            if let Some(id) = href.strip_prefix('#') {
                event.prevent_default();
                self.focus(id);
            }
            return;
        }
        if control.get_attribute("name").as_deref() != Some(names::ACTION) {
            return;
        }
        // The only action buttons that do not send are a subtable's.
        event.prevent_default();
        #[cfg(feature = "rows")]
        self.row_button(&control.get_attribute("value").unwrap_or_default());
    }

    /// The form's button: next page, confirmation, or send.
    fn advance(self: &Rc<Self>) {
        let advance = self.state.borrow_mut().advance(random_uuid);
        self.render();
        let submission = match advance {
            Advance::Send(submission) => submission,
            Advance::Busy => return,
            Advance::Invalid => {
                let errors = problems_json(&self.state.borrow());
                emit(&self.host, "kform:invalid", &kform_dom::object(&[("errors", &errors)]));
                self.focus(SUMMARY_ID);
                return;
            }
            Advance::Broken(missing) => {
                // Not the visitor's mistake: the page says the form cannot be sent, and the
                // site hears why.
                let codes = joined(&mut missing.iter().map(String::as_str), ", ");
                let reason = format!(
                    "the form does not fit its kintone app: it needs {codes} which the app no longer has; the form's owner must fix the form"
                );
                emit(&self.host, "kform:error", &failure("submit", &reason));
                self.focus(SUMMARY_ID);
                return;
            }
            Advance::NextPage | Advance::Confirm => {
                self.page_opened();
                return;
            }
        };
        let Some(endpoint) = self.endpoint.clone() else {
            // A preview never sends; the editor offers its values for a test send.
            let submission_id = submission.submission_id.unwrap_or_default();
            let values = kform_core::write::values(&submission.values);
            let detail = kform_dom::object(&[
                ("submission_id", &submission_id.as_str().into()),
                ("preview", &JsValue::TRUE),
                ("values", &kform_dom::parsed(&values)),
            ]);
            emit(&self.host, "kform:submitted", &detail);
            let outcome =
                SubmitOutcome { submission_id, state: SubmissionState::Delivered, record_id: None };
            self.state.borrow_mut().finish_submit(Ok(outcome));
            self.render();
            return;
        };
        let files = self.attached_files();
        let this = Rc::clone(self);
        wasm_bindgen_futures::spawn_local(async move {
            let reply = this.send(&endpoint, &submission, &files).await;
            this.finish(reply);
        });
    }

    /// The files chosen in the FILE inputs whose items apply, by field code.
    fn attached_files(&self) -> Vec<(String, web_sys::File)> {
        let codes = self.state.borrow().fields_with_files();
        codes
            .into_iter()
            .flat_map(|code| {
                let input = self.by_id(&dom_id(&Slot::Field(code.clone())));
                let files = input.map(|input| browser::files_of(&input)).unwrap_or_default();
                files.into_iter().map(move |file| (code.clone(), file))
            })
            .collect()
    }

    /// Sends a submission, trying again with backoff while the relay cannot be reached. Every
    /// try carries the same submission id, so the relay keeps one submission however many
    /// arrive.
    async fn send(
        &self,
        endpoint: &Endpoint,
        submission: &kform_core::protocol::Submission,
        files: &[(String, web_sys::File)],
    ) -> api::Reply {
        let locale = self.state.borrow().locale();
        let mut delays = RETRY_DELAYS_MS.iter();
        loop {
            let reply = api::submit(endpoint, submission, files, locale).await;
            match &reply.result {
                Err(SubmitError::Unreachable(reason)) => {
                    let Some(&delay) = delays.next() else { return reply };
                    self.state.borrow_mut().retrying();
                    self.render();
                    let detail = failure("submit", reason);
                    let _ = js_sys::Reflect::set(&detail, &"retrying_in_ms".into(), &delay.into());
                    emit(&self.host, "kform:error", &detail);
                    browser::sleep(delay).await;
                }
                _ => return reply,
            }
        }
    }

    /// Shows the relay's answer and tells the host page (its JSON is the event's detail).
    fn finish(&self, api::Reply { result, detail, render_token }: api::Reply) {
        match &result {
            Ok(_) => emit(&self.host, "kform:submitted", &detail),
            Err(SubmitError::Invalid(_)) => emit(&self.host, "kform:invalid", &detail),
            Err(SubmitError::Failed(reason) | SubmitError::Unreachable(reason)) => {
                emit(&self.host, "kform:error", &failure("submit", reason));
            }
        }
        let refused = matches!(result, Err(SubmitError::Invalid(_)));
        let redirect = match (&result, &self.state.borrow().descriptor().form.on_success) {
            (Ok(_), OnSuccess::Redirect(url)) => Some(url.clone()),
            _ => None,
        };
        // An answer to the captcha counts once: a send that did not go through needs a new one,
        // which `kform.js` asks the visitor for when its answer's input hears this.
        if result.is_err()
            && let Ok(Some(token)) = self.form.query_selector(CAPTCHA_TOKEN_INPUT)
            && let Ok(reset) = Event::new(CAPTCHA_RESET)
        {
            let _ = token.dispatch_event(&reset);
        }
        {
            let mut state = self.state.borrow_mut();
            // Refused as out of date, the form is sent again with the token the refusal carries.
            if render_token.is_some() {
                state.set_render_token(render_token);
            }
            state.finish_submit(result);
        }
        self.render();
        if refused {
            self.focus(SUMMARY_ID);
        }
        if let Some(url) = redirect
            && let Some(window) = web_sys::window()
            && window.location().set_href(&url).is_err()
        {
            emit(&self.host, "kform:error", &failure("redirect", &url));
        }
    }

    /// After a page or the confirmation opened: tells the host page and moves the focus to the
    /// new heading.
    fn page_opened(&self) {
        let (page, pages, confirming) = {
            let state = self.state.borrow();
            (state.page(), state.page_count(), state.is_confirming())
        };
        let count = |n: usize| JsValue::from_f64(n as f64);
        let detail = kform_dom::object(&[
            ("page", &count(page + 1)),
            ("pages", &count(pages)),
            ("confirming", &confirming.into()),
        ]);
        emit(&self.host, "kform:page", &detail);
        let heading =
            if confirming { CONFIRM_HEADING_ID.to_owned() } else { markup::page_heading_id(page) };
        self.focus(&heading);
    }

    /// Brings the page in line with the state; after sending, shows the thanks and moves the
    /// focus there.
    pub(crate) fn render(&self) {
        if self.show_state() {
            self.focus(THANKS_ID);
        }
    }

    /// Brings the page in line with the state; whether the thanks were shown just now.
    fn show_state(&self) -> bool {
        let Ok(state) = self.state.try_borrow() else { return false };
        if let Status::Sent(message) = state.status() {
            if self.by_id(THANKS_ID).is_some() {
                return false;
            }
            write(&self.root, &markup::thanks(message).to_html());
            return true;
        }
        let confirming = state.is_confirming();
        for page in self.all("[data-kform-page]") {
            let number: Option<usize> = attribute(&page, "data-kform-page");
            set_hidden(&page, confirming || number != Some(state.page()));
        }
        for item in self.all("[data-kform-item]") {
            let index: Option<usize> = attribute(&item, "data-kform-item");
            set_hidden(&item, !index.is_some_and(|index| state.item_applies(index)));
        }
        #[cfg(feature = "rows")]
        for rows in self.all("[data-kform-rows]") {
            self.fit_rows(&rows, &state);
        }
        for element in self.all("[data-kform-slot]") {
            let key = element.get_attribute("data-kform-slot").unwrap_or_default();
            let slot = Slot::from_key(&key);
            let messages = markup::messages(&state, &slot);
            if has_class(&element, "kform-message") {
                write(&element, &elements(messages));
            } else {
                let invalid = if messages.is_empty() { "false" } else { "true" };
                // Unchanged attributes are left alone: a write makes the browser style the form
                // again.
                if element.get_attribute("aria-invalid").as_deref() != Some(invalid) {
                    let _ = element.set_attribute("aria-invalid", invalid);
                }
            }
        }
        for list in self.all("[data-kform-files]") {
            let code = list.get_attribute("data-kform-files").unwrap_or_default();
            write(&list, &elements(markup::file_names(&state, &Slot::Field(code))));
        }
        self.region(
            ".kform-summary-slot",
            &markup::summary(&state).map(|summary| summary.to_html()).unwrap_or_default(),
        );
        self.region(".kform-alert", &elements(markup::alert_lines(&state)));
        #[cfg(feature = "confirm")]
        self.show_confirmation(&state, confirming);
        let busy = state.status().is_busy();
        if let Some(back) = self.one(".kform-back") {
            set_hidden(&back, !(state.page() > 0 || confirming));
            set_flag(&back, "disabled", busy);
        }
        if let Some(submit) = self.one(".kform-submit") {
            let text = state.text(state.action_text());
            if submit.text_content().as_deref() != Some(text) {
                submit.set_text_content(Some(text));
            }
            set_flag(&submit, "disabled", busy);
        }
        false
    }

    /// Writes the region matching `selector` (see [`kform_dom::write`]).
    fn region(&self, selector: &str, html: &str) {
        if let Some(region) = self.one(selector) {
            write(&region, html);
        }
    }

    fn one(&self, selector: &str) -> Option<Element> {
        self.root.query_selector(selector).ok().flatten()
    }

    fn all(&self, selector: &str) -> Vec<Element> {
        let Ok(list) = self.root.query_selector_all(selector) else { return Vec::new() };
        (0..list.length())
            .filter_map(|index| list.get(index))
            .filter_map(|node| node.dyn_into::<Element>().ok())
            .collect()
    }

    fn by_id(&self, id: &str) -> Option<Element> {
        self.one(&format!("[id=\"{}\"]", css_string(id)))
    }

    /// Focuses the element with id `id`.
    fn focus(&self, id: &str) {
        if let Some(element) =
            self.by_id(id).and_then(|element| element.dyn_into::<HtmlElement>().ok())
        {
            let _ = element.focus();
        }
    }
}

/// A property of a DOM object (`value`, `checked`), without a web-sys type for each element.
fn property(target: &JsValue, name: &str) -> JsValue {
    js_sys::Reflect::get(target, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

/// Whether `element` has the class `name` (read from its attribute: `classList` would be one
/// more import shim in `kform.js`).
fn has_class(element: &Element, name: &str) -> bool {
    element
        .get_attribute("class")
        .is_some_and(|classes| classes.split_ascii_whitespace().any(|class| class == name))
}

fn attribute<T: core::str::FromStr>(element: &Element, name: &str) -> Option<T> {
    element.get_attribute(name)?.parse().ok()
}

fn set_flag(element: &Element, name: &str, on: bool) {
    if element.has_attribute(name) != on {
        let _ = if on { element.set_attribute(name, "") } else { element.remove_attribute(name) };
    }
}

fn set_hidden(element: &Element, hidden: bool) {
    set_flag(element, "hidden", hidden);
}

fn elements(elements: Vec<El>) -> String {
    let nodes: Vec<Node> = elements.into_iter().map(Node::from).collect();
    to_html(&nodes)
}

/// `text` escaped for a double-quoted CSS string: a backslash before each backslash and quote.
/// Written out rather than with `str::replace`, whose generic code cost 40 to 210 bytes of
/// brotli across the `.wasm`'s builds (the last `str::replace` in them).
fn css_string(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '"') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// Shows the date-times the relay rendered (kintone's defaults, in UTC) in the visitor's own
/// time, in the inputs the visitor has not changed yet.
fn local_times(form: &Element, state: &FormState) -> Result<(), JsValue> {
    let inputs = form.query_selector_all("input[type=datetime-local]")?;
    for input in (0..inputs.length()).filter_map(|index| inputs.get(index)) {
        // Through properties and attributes rather than `HtmlInputElement`'s methods: each
        // method is one more import shim in `kform.js`, which every visitor downloads.
        let Ok(input) = input.dyn_into::<Element>() else { continue };
        let current = property(&input, "value").as_string().unwrap_or_default();
        if current.is_empty() || Some(current) != input.get_attribute("value") {
            continue;
        }
        let name = input.get_attribute("name").unwrap_or_default();
        let local = browser::to_local(&state.text_value(Slot::from_key(&name)));
        js_sys::Reflect::set(&input, &JsValue::from_str("value"), &JsValue::from_str(&local))?;
    }
    Ok(())
}

/// The form's inputs as a post would send them: text pairs, and the files chosen by input
/// name as `(name, size)`.
///
/// The controls are read one by one, as the HTML standard builds a form's entry list, rather
/// than with `new FormData(form)`: Chromium lays the whole page out for that whenever the form
/// has a `<textarea>` (about 40 ms for the 30-field bench form before its first paint), and
/// reading values needs no layout.
#[allow(clippy::type_complexity, reason = "two lists, named at the call")]
fn form_data(
    form: &Element,
) -> Result<(Vec<(String, String)>, Vec<(String, Vec<(String, u64)>)>), JsValue> {
    let text =
        |target: &JsValue, name: &str| property(target, name).as_string().unwrap_or_default();
    let flag = |target: &JsValue, name: &str| property(target, name).is_truthy();
    let mut pairs = Vec::new();
    let mut files: Vec<(String, Vec<(String, u64)>)> = Vec::new();
    for control in each(&property(form, "elements")) {
        let name = text(&control, "name");
        let Ok(control) = control.dyn_into::<Element>() else { continue };
        // `:disabled` also holds for a control in a disabled `<fieldset>`.
        if name.is_empty() || control.matches(":disabled").unwrap_or(true) {
            continue;
        }
        match (control.tag_name().as_str(), text(&control, "type").as_str()) {
            ("SELECT", _) => {
                for option in each(&property(&control, "options")) {
                    if flag(&option, "selected") && !flag(&option, "disabled") {
                        pairs.push((name.clone(), text(&option, "value")));
                    }
                }
            }
            ("TEXTAREA", _) => pairs.push((name, text(&control, "value"))),
            ("INPUT", "checkbox" | "radio") if flag(&control, "checked") => {
                pairs.push((name, text(&control, "value")));
            }
            ("INPUT", "file") => {
                for file in browser::files_of(&control) {
                    let described = (file.name(), browser::file_size(&file));
                    match files.iter_mut().find(|(code, _)| *code == name) {
                        Some((_, list)) => list.push(described),
                        None => files.push((name.clone(), vec![described])),
                    }
                }
            }
            // Unchecked boxes, and buttons (a post names only the button it was sent with).
            ("INPUT", "checkbox" | "radio" | "submit" | "image" | "button" | "reset") => {}
            ("INPUT", _) => pairs.push((name, text(&control, "value"))),
            _ => {}
        }
    }
    Ok((pairs, files))
}

/// The items of a DOM collection (`form.elements`, `select.options`).
fn each(collection: &JsValue) -> impl Iterator<Item = JsValue> + '_ {
    let length = js_sys::Reflect::get(collection, &JsValue::from_str("length"))
        .ok()
        .and_then(|length| length.as_f64())
        .unwrap_or(0.0);
    // A collection's length is a small whole number.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "see above")]
    let length = length as u32;
    (0..length).filter_map(move |index| js_sys::Reflect::get_u32(collection, index).ok())
}

/// The visible problems as `kform:invalid` lists them; an unanswered captcha is one without a
/// field.
fn problems_json(state: &FormState) -> JsValue {
    let problem = |field: JsValue, label: JsValue, message: &str| -> JsValue {
        kform_dom::object(&[("field", &field), ("label", &label), ("message", &message.into())])
            .into()
    };
    let errors = js_sys::Array::new();
    for (slot, label, message) in state.problem_list() {
        errors.push(&problem(slot.key().into(), label.into(), &message));
    }
    if state.captcha_unsolved() {
        let message = Text::SolveCaptcha.get(state.locale());
        errors.push(&problem(JsValue::NULL, JsValue::NULL, message));
    }
    errors.into()
}

/// `kform:error`'s detail: where it failed and why.
fn failure(stage: &str, reason: &str) -> js_sys::Object {
    kform_dom::object(&[("stage", &stage.into()), ("reason", &reason.into())])
}

/// How an edited input's value is read, by its field's kind.
#[derive(Clone, Copy)]
enum Read {
    /// The chosen files' names and sizes.
    Files,
    /// A `datetime-local` value, turned into kintone's UTC form.
    DateTime,
    /// Entity codes, one per line.
    Entities,
    /// The text as it is.
    Text,
}
