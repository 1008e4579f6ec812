//! The form's HTML, from its state: the one definition of the visitor's form.
//!
//! The relay renders the whole form with [`form`] (the embedded widget's first paint, and the
//! hosted page); the widget's WebAssembly takes that markup over in place and renders the parts
//! that change shape (error summary, subtable rows, confirmation, thanks) with the functions
//! below, so both always write the same elements.
//!
//! The markup works on its own as a plain HTML form: every input has a `name` (a field's code,
//! or `table[row].code` for a subtable cell), the browser's own constraints (`required`,
//! `maxlength`, `minlength`, `min`, `max`, `type`), and buttons that post (`kform_action`) to
//! add or remove subtable rows. The relay reads such a post with [`crate::posted`].

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;
use alloc::string::ToString;
use alloc::vec;
use alloc::vec::Vec;
use kform_core::field::{FieldKind, LinkProtocol, LookupKey};
use kform_core::message::Text;
use kform_core::protocol::FormDescriptor;
use kform_core::{Choice, Field, FormItem, InputHint, OptionLabels, Value};

use crate::html::{El, Node, el};
use crate::state::{FormState, Slot, joined};
use crate::style;

/// The names of a plain form's own inputs, beside the fields' codes.
pub mod names {
    /// The signed render token the relay issued with the form.
    pub const RENDER_TOKEN: &str = "kform_render_token";
    /// The submission's id, so a post sent again makes one submission.
    pub const SUBMISSION_ID: &str = "kform_submission_id";
    /// The visitor's offset from UTC in minutes west (JavaScript's `getTimezoneOffset()`), when
    /// a script could tell it.
    pub const TIME_ZONE: &str = "kform_tz";
    /// A button's action: `add:<table>` or `remove:<table>:<row>`.
    pub const ACTION: &str = "kform_action";
    /// The honeypot: people never see it; robots that fill every input do.
    pub const HONEYPOT: &str = "website";
    /// The captcha's answer: `kform.js` adds this input to a form that asks for a captcha when
    /// it shows the provider's challenge, so a post without it came from a page with no script.
    pub const CAPTCHA_TOKEN: &str = "kform_captcha_token";
    /// The inputs the captcha providers' scripts add to a challenge inside a form (the relay's
    /// hosted page shows it there): their copy of the answer, which a post may carry beside
    /// [`CAPTCHA_TOKEN`] and which is set aside.
    pub const PROVIDER_ANSWERS: [&str; 3] =
        ["cf-turnstile-response", "h-captcha-response", "g-recaptcha-response"];
}

/// How the form is laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// As the enhanced widget shows it: one page at a time, items whose condition does not hold
    /// hidden. `kform.js` shows everything if the WebAssembly cannot run.
    Enhanced,
    /// Everything on one page (no script will move between pages or apply conditions): the
    /// hosted page without JavaScript, and the relay's answers to a basic-mode post. The relay
    /// applies the conditions to the values it gets.
    Basic,
    /// A form a host page's server includes, which cannot know whether the visitor runs
    /// scripts: laid out as [`Layout::Enhanced`] (so the page does not move when `kform.js`
    /// takes it over), and as [`Layout::Basic`] where the browser runs none. The stylesheet's
    /// `@media (scripting: none)` shows every page and conditional item, and the button holds
    /// both its texts, one shown for each case.
    Included,
}

/// What the markup needs besides the state.
#[derive(Clone, Copy, Debug)]
pub struct Render<'a> {
    /// Where the plain form posts.
    pub action: &'a str,
    /// The render token to send back.
    pub render_token: Option<&'a str>,
    /// The submission id to send (kept across a post answered with problems).
    pub submission_id: Option<&'a str>,
    /// The layout.
    pub layout: Layout,
}

/// The element id of the input at `slot` (a group's first check box or radio button); the
/// error summary's links and a new row's focus find inputs by it. Ids are unique within the
/// form's shadow root (or the hosted page).
pub fn dom_id(slot: &Slot) -> String {
    match slot {
        Slot::Field(code) => format!("kform-{code}"),
        Slot::Cell { table, row, code } => format!("kform-{table}-{row}-{code}"),
    }
}

/// The id of the error summary.
pub const SUMMARY_ID: &str = "kform-summary";
/// The id of the confirmation's heading, which takes the focus when it opens.
pub const CONFIRM_HEADING_ID: &str = "kform-confirm-heading";
/// The id of the thank-you message, which takes the focus after sending.
pub const THANKS_ID: &str = "kform-thanks";

/// The id of page `page`'s step line, which takes the focus when the page opens.
pub fn page_heading_id(page: usize) -> String {
    format!("kform-page-{page}")
}

/// Whether a field's input is a group of choices (a `fieldset` with a `legend`) rather than one
/// labelled control.
pub fn is_group(field: &Field) -> bool {
    match &field.kind {
        FieldKind::RadioButton { .. }
        | FieldKind::CheckBox { .. }
        | FieldKind::MultiSelect { .. }
        | FieldKind::Subtable { .. } => true,
        kind => kind.entity_select().is_some_and(|(own, select)| select.is_closed(own)),
    }
}

/// Whether the form shows an item for a FILE field (its plain form posts multipart).
pub fn takes_files(state: &FormState) -> bool {
    state.descriptor().form.takes_files(&state.descriptor().fields)
}

/// Which build of the widget's `.wasm` takes a form over. Each build leaves out what the form
/// does not use of what few forms use, subtable rows (about 1.8 KB brotli) and the
/// confirmation screen (about 1.3 KB): the lean one has neither and takes most forms. The markup of a form names
/// its build (`data-kform-wasm` on `.kform`, none for the whole one), the relay's `kform-wasm`
/// header too, and `kform.js` fetches that build for it. (A captcha is `kform.js`'s, in all.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WidgetBuild {
    /// Neither subtable rows nor the confirmation screen.
    Lean,
    /// Subtable rows, no confirmation screen.
    Rows,
    /// The confirmation screen, no subtable rows.
    Confirm,
    /// Both: it takes any form over (the editor's preview uses it).
    Whole,
}

impl WidgetBuild {
    /// Every build, the whole one last.
    pub const ALL: [WidgetBuild; 4] =
        [WidgetBuild::Lean, WidgetBuild::Rows, WidgetBuild::Confirm, WidgetBuild::Whole];

    /// The build with just what `descriptor`'s form uses.
    pub fn of(descriptor: &FormDescriptor) -> Self {
        let rows = (descriptor.form)
            .shows_field(&descriptor.fields, |kind| matches!(kind, FieldKind::Subtable { .. }));
        Self::with(rows, descriptor.form.confirm)
    }

    /// The build with subtable rows when `rows` and the confirmation screen when `confirm`.
    pub fn with(rows: bool, confirm: bool) -> Self {
        match (rows, confirm) {
            (false, false) => Self::Lean,
            (true, false) => Self::Rows,
            (false, true) => Self::Confirm,
            (true, true) => Self::Whole,
        }
    }

    /// Whether this build can take over a form that needs `needed`.
    pub fn covers(self, needed: Self) -> bool {
        let has = |build: Self| (build.rows(), build.confirm());
        let ((rows, confirm), (needs_rows, needs_confirm)) = (has(self), has(needed));
        (rows || !needs_rows) && (confirm || !needs_confirm)
    }

    /// Whether it has subtable rows.
    pub fn rows(self) -> bool {
        matches!(self, Self::Rows | Self::Whole)
    }

    /// Whether it has the confirmation screen.
    pub fn confirm(self) -> bool {
        matches!(self, Self::Confirm | Self::Whole)
    }

    /// Its name in the markup, the relay's header and `kform.js`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Lean => "lean",
            Self::Rows => "rows",
            Self::Confirm => "confirm",
            Self::Whole => "whole",
        }
    }

    /// Its `.wasm`'s file in the widget's folder.
    pub fn file(self) -> &'static str {
        match self {
            Self::Lean => "kform_widget_lean_bg.wasm",
            Self::Rows => "kform_widget_rows_bg.wasm",
            Self::Confirm => "kform_widget_confirm_bg.wasm",
            Self::Whole => "kform_widget_bg.wasm",
        }
    }
}

/// Which of the rules few forms need the form's stylesheet holds ([`style::Parts`]): a
/// subtable's rows, pages, the confirmation screen, a FILE field's chosen files.
pub fn style_parts(descriptor: &FormDescriptor) -> style::Parts {
    let (form, fields) = (&descriptor.form, &descriptor.fields);
    style::Parts {
        rows: WidgetBuild::of(descriptor).rows(),
        steps: form.page_count() > 1,
        confirm: form.confirm,
        files: form.takes_files(fields),
    }
}

/// The whole form: `<div class="kform">` with the `<form>` inside.
pub fn form(state: &FormState, render: &Render<'_>) -> El {
    let basic = render.layout == Layout::Basic;
    let descriptor = state.descriptor();
    let items = &descriptor.form.items;
    let pages = state.page_count();
    let mut contents: Vec<Vec<El>> = (0..pages).map(|_| Vec::new()).collect();
    for (index, item) in items.iter().enumerate() {
        let Some(content) = contents.get_mut(descriptor.form.page_of(index)) else { continue };
        if item.page_break {
            content.extend(item.help.as_deref().map(help_text));
        } else {
            content.extend(item_markup(state, index, item, !basic));
        }
    }
    let page_elements = contents.into_iter().enumerate().map(|(page, content)| {
        page_section(state, page, !basic && page != state.page()).children(content)
    });
    let mut form = el("form")
        .attr("class", "kform-form")
        .attr("method", "post")
        .attr("action", render.action)
        .attr("accept-charset", "UTF-8")
        .attr_opt("enctype", takes_files(state).then_some("multipart/form-data"))
        .child(hidden_input(names::RENDER_TOKEN, render.render_token.unwrap_or_default()))
        .child(hidden_input(names::SUBMISSION_ID, render.submission_id.unwrap_or_default()))
        .child(hidden_input(names::TIME_ZONE, ""))
        .child(
            el("div")
                .attr("class", "kform-summary-slot")
                .child_opt(summary(state).map(|summary| summary.flag("autofocus", basic))),
        )
        .children(page_elements)
        // The confirmation screen's place and the back button are only in a form that can
        // show them.
        .child_opt(descriptor.form.confirm.then(|| {
            el("div").attr("class", "kform-confirm").attr("part", "confirm").flag("hidden", true)
        }))
        .child(honeypot());
    if let Some(captcha) = &descriptor.captcha {
        // `kform.js` shows the provider's challenge in the host page, slotted here (the
        // providers' scripts look for their elements in the page, not in a shadow root).
        let slot = el("slot")
            .attr("name", "captcha")
            .attr("data-kform-captcha", &captcha.provider)
            .attr("data-kform-site-key", &captcha.site_key)
            .attr("data-kform-lang", state.locale().tag());
        form = form.child(slot).child(
            el("p")
                .attr("class", "kform-help kform-script-only")
                .text(state.text(Text::NeedsScript)),
        );
    }
    let back_hidden = basic || !(state.page() > 0 || state.is_confirming());
    let send_text = state.text(Text::Submit);
    let action_text = if basic { send_text } else { state.text(state.action_text()) };
    let button_text: Vec<Node> = if render.layout == Layout::Included && action_text != send_text {
        // Which one shows is the stylesheet's to say; the other is not rendered, so the
        // button's accessible name is the one shown.
        vec![
            el("span").attr("class", "kform-if-script").text(action_text).into(),
            el("span").attr("class", "kform-if-no-script").text(send_text).into(),
        ]
    } else {
        vec![action_text.into()]
    };
    // A send made before the WebAssembly took the form over is held for it (or, without it,
    // for the basic mode), and an included form no script takes over posts from its first page:
    // the browser must not stop either for a required field the form hides, which it could not
    // show. The WebAssembly and the relay check every field; the basic mode, which shows them
    // all, gives the browser its checks back.
    let hides_some = pages > 1
        || items
            .iter()
            .enumerate()
            .any(|(index, item)| waits_for_its_condition(state, index, item));
    let unchecked = !basic && hides_some;
    form = form.child(alert(state)).child(
        el("div")
            .attr("class", "kform-actions")
            .child_opt((pages > 1 || descriptor.form.confirm).then(|| {
                el("button")
                    .attr("class", "kform-back")
                    .attr("part", "back")
                    .attr("type", "button")
                    .flag("hidden", back_hidden)
                    .text(state.text(Text::Back))
            }))
            .child(
                el("button")
                    .attr("class", "kform-submit")
                    .attr("part", "submit")
                    .attr("type", "submit")
                    .attr("data-kform-send", send_text)
                    .flag("formnovalidate", unchecked)
                    .children(button_text),
            ),
    );
    el("div")
        .attr("class", "kform")
        .attr("part", "form-root")
        .attr_opt(
            "data-kform-wasm",
            match WidgetBuild::of(descriptor) {
                WidgetBuild::Whole => None,
                build => Some(build.name()),
            },
        )
        .child(form)
}

fn hidden_input(name: &'static str, value: &str) -> El {
    el("input").attr("type", "hidden").attr("name", name).attr("value", value)
}

/// One page's section, with its step line on a form of several pages.
fn page_section(state: &FormState, page: usize, hidden: bool) -> El {
    let pages = state.page_count();
    let mut section = el("div")
        .attr("class", "kform-page")
        .attr("data-kform-page", page.to_string())
        .flag("hidden", hidden);
    if pages > 1 {
        let title = state
            .descriptor()
            .form
            .items
            .iter()
            .filter(|item| item.page_break)
            .nth(page.wrapping_sub(1))
            .and_then(|item| item.label.clone())
            .filter(|_| page > 0);
        let step = format!("{} {} / {pages}", state.text(Text::Page), page + 1);
        let line = el("p")
            .attr("class", "kform-step")
            .attr("part", "step")
            .attr("id", page_heading_id(page))
            .attr("tabindex", "-1")
            .child(el("span").attr("class", "kform-step-count").text(step))
            .children(title.into_iter().flat_map(|title| {
                [Node::from(" "), el("span").attr("class", "kform-step-title").text(title).into()]
            }));
        section = section.child(line);
    }
    section
}

/// A shown item: a note (no field), or the field's labelled input; `None` for hidden items and
/// fields the app cannot take from a form. With `conditions`, an item whose condition does not
/// hold is rendered hidden.
/// Whether the item is shown on the form but hidden now, its condition not holding.
fn waits_for_its_condition(state: &FormState, index: usize, item: &FormItem) -> bool {
    item.is_shown() && !state.item_applies(index)
}

fn item_markup(state: &FormState, index: usize, item: &FormItem, conditions: bool) -> Option<El> {
    if !item.is_shown() {
        return None;
    }
    let hidden = conditions && waits_for_its_condition(state, index, item);
    let wrap = |element: El| {
        element
            .attr("data-kform-item", index.to_string())
            .attr_opt("data-kform-if", item.show_if.as_ref().map(|_| ""))
            .flag("hidden", hidden)
    };
    let Some(code) = &item.field else {
        let note = el("div")
            .attr("class", "kform-note")
            .child(
                el("p").attr("class", "kform-label").text(item.label.clone().unwrap_or_default()),
            )
            .child_opt(item.help.as_deref().map(help_text));
        return Some(wrap(note));
    };
    let field = state.descriptor().fields.get(code.as_str()).filter(|field| field.is_writable())?;
    let input = Input {
        slot: Slot::Field(code.as_str().to_owned()),
        field,
        placeholder: item.placeholder.as_deref(),
        required: field.refuses_empty() || item.required,
        hint: item.input_hint,
        hide_options: &item.hide_options,
        option_labels: &item.option_labels,
        max_files: item.max_files,
    };
    let label = item.label.clone().unwrap_or_else(|| field.label.clone());
    Some(wrap(labelled(state, &input, &label, item.help.as_deref())))
}

/// What one input needs to know.
struct Input<'a> {
    slot: Slot,
    field: &'a Field,
    placeholder: Option<&'a str>,
    required: bool,
    hint: Option<InputHint>,
    hide_options: &'a [String],
    /// The form's words for kintone's options (an item's `option_labels`).
    option_labels: &'a OptionLabels,
    max_files: Option<u32>,
}

/// No labels of the form's own: a subtable cell's options show kintone's.
const KINTONE_LABELS: &OptionLabels = &OptionLabels::NONE;

fn help_text(help: &str) -> El {
    el("p").attr("class", "kform-help").attr("part", "help").text(help)
}

/// A field, its label, help and messages: the label names the input, and the messages are
/// linked with `aria-describedby`.
fn labelled(state: &FormState, input: &Input<'_>, label: &str, help: Option<&str>) -> El {
    let id = dom_id(&input.slot);
    let mark = input.required.then(|| {
        el("span")
            .attr("class", "kform-required")
            .attr("part", "required")
            .text(state.text(Text::RequiredMark))
    });
    let messages = message_slot(state, &input.slot);
    let control = control(state, input);
    let group = is_group(input.field);
    let (wrapper, caption) = if group { ("fieldset", "legend") } else { ("div", "label") };
    let caption = el(caption)
        .attr("class", "kform-label")
        .attr("part", "label")
        .attr_opt("for", (!group).then_some(id))
        .text(label)
        .child_opt(mark);
    el(wrapper)
        .attr("class", "kform-item")
        .attr("part", "item")
        .child(caption)
        .children(control)
        .child_opt(help.map(help_text))
        .child(messages)
}

/// The element holding the messages at `slot`.
fn message_slot(state: &FormState, slot: &Slot) -> El {
    el("p")
        .attr("class", "kform-message")
        .attr("part", "error")
        .attr("id", format!("{}-message", dom_id(slot)))
        .attr("data-kform-slot", slot.key())
        .attr("aria-live", "polite")
        .children(messages(state, slot))
}

/// The messages shown at `slot`, one `<span>` each.
pub fn messages(state: &FormState, slot: &Slot) -> Vec<El> {
    state
        .visible_messages(slot.clone())
        .into_iter()
        .map(|message| el("span").text(message))
        .collect()
}

/// The input (or inputs) of one field.
fn control(state: &FormState, input: &Input<'_>) -> Vec<Node> {
    let field = input.field;
    let id = dom_id(&input.slot);
    let name = input.slot.key();
    let described = format!("{id}-message");
    let invalid = (!state.visible_messages(input.slot.clone()).is_empty()).to_string();
    let text = state.text_value(input.slot.clone());
    let base = |tag: &'static str| {
        el(tag)
            .attr("class", "kform-input")
            .attr("part", "input")
            .attr("id", &id)
            .attr("name", &name)
            .attr("aria-describedby", &described)
            .attr("aria-invalid", &invalid)
            .attr("data-kform-slot", &name)
            .flag("required", input.required)
    };
    let offered = |options: &[Choice]| -> Vec<(String, String)> {
        options
            .iter()
            .filter(|choice| !input.hide_options.contains(&choice.value))
            .map(|choice| {
                let label = input.option_labels.get(&choice.value).unwrap_or(&choice.label);
                (choice.value.clone(), label.to_owned())
            })
            .collect()
    };
    match &field.kind {
        FieldKind::SingleLineText { .. }
        | FieldKind::Number { .. }
        | FieldKind::Date { .. }
        | FieldKind::Time { .. }
        | FieldKind::Link { .. }
        | FieldKind::Lookup(_) => {
            let (kind, mode, autocomplete) = text_input_kind(&field.kind, input.hint);
            let limits = match &field.kind {
                FieldKind::SingleLineText { limits, .. } | FieldKind::Link { limits, .. } => {
                    Some(limits)
                }
                _ => None,
            };
            let numbers = match &field.kind {
                FieldKind::Number { limits, .. } => Some(limits),
                _ => None,
            };
            let element = base("input")
                .attr("type", kind)
                .attr_opt("inputmode", mode)
                .attr_opt("autocomplete", autocomplete)
                .attr_opt("step", numbers.map(|_| "any"))
                .attr_opt("min", numbers.and_then(|limits| limits.min_value.clone()))
                .attr_opt("max", numbers.and_then(|limits| limits.max_value.clone()))
                .attr_opt(
                    "minlength",
                    limits.and_then(|limits| limits.min_length).map(|n| n.to_string()),
                )
                .attr_opt(
                    "maxlength",
                    limits.and_then(|limits| limits.max_length).map(|n| n.to_string()),
                )
                .attr_opt("placeholder", input.placeholder)
                .attr("value", text);
            vec![element.into()]
        }
        FieldKind::DateTime { .. } => {
            // The visitor's own time; the relay or the widget adds their offset when sending.
            let local = text.get(..16).filter(|local| local.as_bytes().get(10) == Some(&b'T'));
            vec![
                base("input")
                    .attr("type", "datetime-local")
                    .attr("value", local.unwrap_or_default())
                    .into(),
            ]
        }
        FieldKind::MultiLineText { .. } | FieldKind::RichText { .. } => {
            vec![
                base("textarea")
                    .attr("rows", "5")
                    .attr_opt("placeholder", input.placeholder)
                    .text(text)
                    .into(),
            ]
        }
        FieldKind::DropDown { options, .. } => {
            let none = el("option").attr("value", "").text(state.text(Text::NoSelection));
            let choices = offered(options).into_iter().map(|(value, label)| {
                el("option").flag("selected", value == text).attr("value", value).text(label)
            });
            vec![base("select").child(none).children(choices).into()]
        }
        FieldKind::RadioButton { options, .. } => {
            let choices =
                offered(options).into_iter().enumerate().map(|(index, (value, label))| {
                    let button = el("input")
                        .attr("type", "radio")
                        .attr_opt("id", (index == 0).then(|| id.clone()))
                        .attr("name", &name)
                        .flag("required", input.required)
                        .flag("checked", value == text)
                        .attr("value", value);
                    el("label").attr("class", "kform-choice").child(button).text(label)
                });
            let group = el("div")
                .attr("class", "kform-choices")
                .attr("role", "radiogroup")
                .attr("aria-describedby", described)
                .attr("aria-invalid", invalid)
                .attr("data-kform-slot", &name)
                .attr("aria-required", input.required.to_string())
                .children(choices);
            vec![group.into()]
        }
        FieldKind::CheckBox { options, .. } | FieldKind::MultiSelect { options, .. } => {
            vec![check_boxes(state, input, offered(options), &described, &invalid).into()]
        }
        FieldKind::UserSelect(select)
        | FieldKind::OrganizationSelect(select)
        | FieldKind::GroupSelect(select) => {
            if is_group(field) {
                let choices =
                    select.entities.iter().map(|entity| (entity.code.clone(), entity.code.clone()));
                return vec![
                    check_boxes(state, input, choices.collect(), &described, &invalid).into(),
                ];
            }
            // Anyone may be chosen: the visitor types codes, separated by commas.
            let typed =
                joined(&mut state.list_value(input.slot.clone()).iter().map(String::as_str), ", ");
            let help_id = format!("{id}-codes");
            let element = base("input")
                .attr("type", "text")
                .attr("autocomplete", "off")
                .attr("aria-describedby", format!("{help_id} {described}"))
                .attr_opt("placeholder", input.placeholder)
                .attr("value", typed);
            let help = el("p")
                .attr("class", "kform-help")
                .attr("part", "help")
                .attr("id", help_id)
                .text(state.text(Text::EnterCodes));
            vec![element.into(), help.into()]
        }
        FieldKind::Subtable { .. } => {
            let Slot::Field(table) = &input.slot else { return Vec::new() };
            let add = row_button(format!("add:{table}")).text(state.text(Text::AddRow));
            vec![
                el("div")
                    .attr("class", "kform-rows")
                    .attr("data-kform-rows", table)
                    .children(rows(state, table))
                    .into(),
                el("template")
                    .attr("data-kform-row", table)
                    .child(row_template(state, table))
                    .into(),
                add.into(),
            ]
        }
        FieldKind::File { .. } => {
            let element =
                base("input").attr("type", "file").flag("multiple", input.max_files != Some(1));
            let list = el("ul")
                .attr("class", "kform-files")
                .attr("part", "files")
                .attr("data-kform-files", name)
                .children(file_names(state, &input.slot));
            vec![element.into(), list.into()]
        }
        FieldKind::NotWritable { .. } => Vec::new(),
    }
}

/// The `type`, `inputmode` and `autocomplete` of a one-line input.
fn text_input_kind(
    kind: &FieldKind,
    hint: Option<InputHint>,
) -> (&'static str, Option<&'static str>, Option<&'static str>) {
    use LinkProtocol::{Call, Mail, Web};
    match (kind, hint) {
        (FieldKind::Date { .. }, _) => ("date", None, None),
        (FieldKind::Time { .. }, _) => ("time", None, None),
        (FieldKind::Number { .. }, _) => ("number", Some("decimal"), None),
        (FieldKind::Lookup(lookup), _) if lookup.key == LookupKey::Number => {
            ("text", Some("decimal"), None)
        }
        // A link field takes what kintone might accept (`example.com`, a full-width address
        // folded later), so the browser is asked only for the keyboard, not for its own
        // stricter check; the owner's opt-in hints keep the browser's check.
        (FieldKind::Link { protocol: Web, .. }, _) => ("text", Some("url"), Some("url")),
        (_, Some(InputHint::Url)) => ("url", None, Some("url")),
        (FieldKind::Link { protocol: Call, .. }, _) | (_, Some(InputHint::Tel)) => {
            ("tel", None, Some("tel"))
        }
        (FieldKind::Link { protocol: Mail, .. }, _) => ("text", Some("email"), Some("email")),
        (_, Some(InputHint::Email)) => ("email", None, Some("email")),
        (_, Some(InputHint::PostalCode)) => ("text", Some("numeric"), Some("postal-code")),
        _ => ("text", None, None),
    }
}

/// A group of check boxes, one per `(value, label)`, all with the field's name.
fn check_boxes(
    state: &FormState,
    input: &Input<'_>,
    choices: Vec<(String, String)>,
    described: &str,
    invalid: &str,
) -> El {
    let id = dom_id(&input.slot);
    let name = input.slot.key();
    let boxes = choices.into_iter().enumerate().map(|(index, (value, label))| {
        let check = el("input")
            .attr("type", "checkbox")
            .attr_opt("id", (index == 0).then(|| id.clone()))
            .attr("name", &name)
            .flag("checked", state.is_selected(input.slot.clone(), &value))
            .attr("value", value);
        el("label").attr("class", "kform-choice").child(check).text(label)
    });
    let boxes: Vec<El> = boxes.collect();
    el("div")
        .attr("class", "kform-choices")
        .attr("role", "group")
        .attr("aria-describedby", described)
        .attr("aria-invalid", invalid)
        .attr("data-kform-slot", name)
        .children(boxes)
}

/// The rows of the subtable `table`, each with its cells and a button that removes it, after a
/// hidden input that posts how many there are.
pub fn rows(state: &FormState, table: &str) -> Vec<El> {
    let subtable = state.descriptor().fields.get(table).map(|field| &field.kind);
    if !matches!(subtable, Some(FieldKind::Subtable { .. })) {
        return Vec::new();
    }
    let count = el("input")
        .attr("type", "hidden")
        .attr("name", table)
        .attr("value", state.row_count(table).to_string());
    let fields = row_fields(state, table);
    let rows = (0..state.row_count(table)).map(|row| row_element(state, table, &fields, row));
    core::iter::once(count).chain(rows).collect()
}

/// The row a new row of `table` starts as, at row 0, for the widget to add in place: it moves
/// it to its own row ([`moved_attribute`], [`row_name`]) rather than carrying the code that
/// renders every kind of input.
fn row_template(state: &FormState, table: &str) -> El {
    let mut fresh = state.clone();
    fresh.set(table, Value::Rows(Vec::new()));
    fresh.add_row(table);
    row_element(&fresh, table, &row_fields(state, table), 0)
}

/// The fields a row of `table` has an input for (none if `table` is not a subtable). A file
/// in a row cannot be sent: the relay names each file part by a top-level field.
fn row_fields<'a>(state: &'a FormState, table: &str) -> Vec<&'a Field> {
    match state.descriptor().fields.get(table).map(|field| &field.kind) {
        Some(FieldKind::Subtable { fields }) => fields
            .values()
            .filter(|field| field.is_writable() && !matches!(field.kind, FieldKind::File { .. }))
            .collect(),
        _ => Vec::new(),
    }
}

/// Row `row` of `table`, with an input for each of `fields`, and the button that removes it.
fn row_element(state: &FormState, table: &str, fields: &[&Field], row: usize) -> El {
    let cells = fields.iter().map(|field| {
        let input = Input {
            slot: Slot::Cell { table: table.to_owned(), row, code: field.code.as_str().to_owned() },
            field,
            placeholder: None,
            required: field.refuses_empty(),
            hint: None,
            hide_options: &[],
            option_labels: KINTONE_LABELS,
            max_files: None,
        };
        labelled(state, &input, &field.label, None)
    });
    let remove = row_button(format!("remove:{table}:{row}"))
        .attr("aria-label", remove_label(state, row))
        .text(state.text(Text::RemoveRow));
    el("fieldset")
        .attr("class", "kform-row")
        .attr("part", "row")
        .child(el("legend").attr("class", "kform-row-label").text(row_name(state, row)))
        .children(cells)
        .child(remove)
}

/// A row's name, its legend: "Row 2" for row 1.
pub fn row_name(state: &FormState, row: usize) -> String {
    format!("{} {}", state.text(Text::Row), row + 1)
}

/// The accessible name of the button that removes row `row`: "Remove this row (Row 2)".
pub fn remove_label(state: &FormState, row: usize) -> String {
    format!("{} ({})", state.text(Text::RemoveRow), row_name(state, row))
}

/// The attributes of a row's elements that name the row (see [`moved_attribute`]).
pub const ROW_ATTRIBUTES: [&str; 7] =
    ["id", "for", "name", "aria-describedby", "data-kform-slot", "value", "aria-label"];

/// What attribute `name` (one of [`ROW_ATTRIBUTES`], now `value`) of an element in a row of
/// `table` becomes when the row is moved to row `row`, or `None` when it stays: ids, names and
/// slots name the new row ([`renumbered`]), and so do the remove button's action and its
/// accessible name (`action`: the element is that button). An option's value is the form's
/// text and stays. With [`row_name`] for the legend, this is all that makes one row another.
pub fn moved_attribute(
    state: &FormState,
    table: &str,
    row: usize,
    action: bool,
    name: &str,
    value: &str,
) -> Option<String> {
    let moved = match name {
        "aria-label" if action => remove_label(state, row),
        "id" | "for" | "name" | "aria-describedby" | "data-kform-slot" => {
            renumbered(value, table, row)
        }
        "value" if action => renumbered(value, table, row),
        _ => return None,
    };
    (moved != value).then_some(moved)
}

/// An attribute of an element in a row of `table` (an `id`, `for`, `name`,
/// `aria-describedby`, `data-kform-slot`, or the remove button's value) as it reads in row
/// `row`: each id, name or action of the table's cells names `row` instead of its own. Field
/// codes hold no `-`, `[` or `:`, so the row's place in each is unambiguous; anything else is
/// left as it is.
pub fn renumbered(value: &str, table: &str, row: usize) -> String {
    let mut out = String::with_capacity(value.len());
    for (index, token) in value.split(' ').enumerate() {
        if index > 0 {
            out.push(' ');
        }
        let place = [("kform-", '-', Some('-')), ("", '[', Some(']')), ("remove:", ':', None)]
            .into_iter()
            .find_map(|(start, open, close)| {
                let rest = token.strip_prefix(start)?.strip_prefix(table)?.strip_prefix(open)?;
                let after = rest.trim_start_matches(|c: char| c.is_ascii_digit());
                let closed = match close {
                    Some(close) => after.starts_with(close),
                    None => after.is_empty(),
                };
                (after.len() < rest.len() && closed).then_some((token.strip_suffix(rest)?, after))
            });
        match place {
            Some((head, after)) => {
                out.push_str(head);
                out.push_str(&row.to_string());
                out.push_str(after);
            }
            None => out.push_str(token),
        }
    }
    out
}

/// The names of the files chosen at `slot`, one `<li>` each.
pub fn file_names(state: &FormState, slot: &Slot) -> Vec<El> {
    state.list_value(slot.clone()).into_iter().map(|name| el("li").text(name)).collect()
}

/// A button that adds or removes a subtable row: it posts the form with `action` (the widget
/// does it in place), unchecked by the browser, since the form is not being sent.
fn row_button(action: String) -> El {
    el("button")
        .attr("type", "submit")
        .attr("class", "kform-button")
        .attr("part", "button")
        .attr("name", names::ACTION)
        .attr("value", action)
        .flag("formnovalidate", true)
}

/// The honeypot: off screen, out of the tab order and hidden from assistive technology, so only
/// robots that fill every input fill it.
fn honeypot() -> El {
    let input = el("input")
        .attr("type", "text")
        .attr("name", names::HONEYPOT)
        .attr("tabindex", "-1")
        .attr("autocomplete", "off");
    el("div")
        .attr("class", "kform-hp")
        .attr("aria-hidden", "true")
        .child(el("label").text("website").child(input))
}

/// After a refused submit, a list of the problems, each a link to its field; it takes the focus
/// itself, so a screen reader announces it and a keyboard user starts there. `None` when there
/// is nothing to list.
pub fn summary(state: &FormState) -> Option<El> {
    let problems = state.problem_list();
    if problems.is_empty() {
        return None;
    }
    let heading_id = format!("{SUMMARY_ID}-heading");
    let links = problems.into_iter().map(|(slot, label, message)| {
        let link =
            el("a").attr("href", format!("#{}", dom_id(&slot))).text(format!("{label}: {message}"));
        el("li").child(link)
    });
    Some(
        el("div")
            .attr("class", "kform-summary")
            .attr("part", "error-summary")
            .attr("id", SUMMARY_ID)
            .attr("tabindex", "-1")
            .attr("role", "group")
            .attr("aria-labelledby", &heading_id)
            .child(
                el("p")
                    .attr("class", "kform-summary-heading")
                    .attr("id", heading_id)
                    .text(state.text(Text::FixErrors)),
            )
            .child(el("ul").children(links)),
    )
}

/// The form's own messages (problems not tied to a shown field, a failed send), one line each.
pub fn alert_lines(state: &FormState) -> Vec<El> {
    let mut lines = state.form_messages();
    match state.status() {
        crate::state::Status::Failed(message) => lines.push(message.clone()),
        crate::state::Status::Retrying => lines.push(state.text(Text::Retrying).to_owned()),
        _ => {}
    }
    lines.into_iter().map(|line| el("p").text(line)).collect()
}

/// The form's alert; it carries what `kform.js` says there when the relay cannot be reached in
/// the basic mode.
fn alert(state: &FormState) -> El {
    el("div")
        .attr("class", "kform-alert")
        .attr("role", "alert")
        .attr("data-kform-failed", state.text(Text::SendFailed))
        .children(alert_lines(state))
}

/// The answers for checking, with the heading that takes the focus.
pub fn confirmation(state: &FormState) -> Vec<El> {
    let rows = state
        .answers()
        .into_iter()
        .flat_map(|(label, value)| [el("dt").text(label), el("dd").text(value)]);
    vec![
        el("p")
            .attr("class", "kform-confirm-heading")
            .attr("id", CONFIRM_HEADING_ID)
            .attr("tabindex", "-1")
            .text(state.text(Text::ConfirmHeading)),
        el("dl").children(rows),
    ]
}

/// The message after sending; it takes the focus, so a keyboard user is not left on `<body>`.
pub fn thanks(message: &str) -> El {
    el("p")
        .attr("class", "kform-thanks")
        .attr("part", "thanks")
        .attr("role", "status")
        .attr("id", THANKS_ID)
        .attr("tabindex", "-1")
        .text(message)
}

#[cfg(test)]
mod tests;
