//! One input per kintone field type: a single exhaustive match chooses it. Subtables get rows of
//! these inputs, with buttons to add and remove rows.

use kform_core::field::{FieldKind, LinkProtocol, LookupKey};
use kform_core::message::Text;
use kform_core::{Choice, Field, InputHint, Value};
use leptos::prelude::*;

use crate::browser;
use crate::state::{FormState, Slot, split_codes};

/// What every input needs: the shared state, where its value lives, the field, and the mounted
/// form's number (element ids come from it and the slot, see [`dom_id`]).
#[derive(Clone)]
pub(crate) struct InputContext {
    pub(crate) state: RwSignal<FormState>,
    pub(crate) slot: Slot,
    pub(crate) field: Field,
    pub(crate) mount_id: u32,
    pub(crate) placeholder: Option<String>,
    pub(crate) required: bool,
    pub(crate) hint: Option<InputHint>,
    pub(crate) hide_options: Vec<String>,
    /// The most files a FILE item takes (`max_files`).
    pub(crate) max_files: Option<u32>,
    /// The files chosen in the form's FILE inputs, kept with the page until sent.
    pub(crate) files: Attachments,
}

/// The files chosen in a form's FILE inputs, by field code. They stay in the browser (the
/// form's state holds their names and sizes) and go with the submission as parts of their own.
pub(crate) type Attachments =
    StoredValue<std::collections::BTreeMap<String, Vec<web_sys::File>>, LocalStorage>;

/// The element id of the input at `slot` (a group's first check box or radio button) in form
/// `mount_id`; the error summary's links and a new row's focus find inputs by it.
pub(crate) fn dom_id(mount_id: u32, slot: &Slot) -> String {
    match slot {
        Slot::Field(code) => format!("kform-{mount_id}-{code}"),
        Slot::Cell { table, row, code } => format!("kform-{mount_id}-{table}-{row}-{code}"),
    }
}

/// Whether a field's input is a group of choices (a `fieldset` with a `legend`) rather than one
/// labelled control.
pub(crate) fn is_group(field: &Field) -> bool {
    match &field.kind {
        FieldKind::RadioButton { .. }
        | FieldKind::CheckBox { .. }
        | FieldKind::MultiSelect { .. }
        | FieldKind::Subtable { .. } => true,
        kind => kind.entity_select().is_some_and(|(own, select)| select.is_closed(own)),
    }
}

/// A field, its label, help and messages, laid out for a person and for assistive technology:
/// the label names the input, and the messages are linked with `aria-describedby`.
pub(crate) fn labelled_input(
    context: InputContext,
    label: String,
    help: Option<String>,
) -> AnyView {
    let state = context.state;
    let mark = context.required.then(|| {
        let text = state.with_untracked(|s| s.text(Text::RequiredMark));
        view! { <span class="kform-required" part="required">{text}</span> }
    });
    let help = help.map(|help| view! { <p class="kform-help" part="help">{help}</p> });
    let messages = {
        let slot = context.slot.clone();
        move || {
            state
                .with(|s| s.visible_messages(slot.clone()))
                .into_iter()
                .map(|m| view! { <span>{m}</span> })
                .collect_view()
        }
    };
    let input_id = dom_id(context.mount_id, &context.slot);
    let message = view! {
        <p class="kform-message" part="error" id=format!("{input_id}-message") aria-live="polite">{messages}</p>
    };
    let group = is_group(&context.field);
    let input = field_input(context);
    if group {
        view! {
            <fieldset class="kform-item" part="item">
                <legend class="kform-label" part="label">{label}{mark}</legend>
                {input}{help}{message}
            </fieldset>
        }
        .into_any()
    } else {
        view! {
            <div class="kform-item" part="item">
                <label class="kform-label" part="label" for=input_id>{label}{mark}</label>
                {input}{help}{message}
            </div>
        }
        .into_any()
    }
}

/// Renders the input for one kintone field.
pub(crate) fn field_input(context: InputContext) -> AnyView {
    let InputContext {
        state,
        slot,
        field,
        mount_id,
        placeholder,
        required,
        hint,
        hide_options,
        max_files,
        files,
    } = context;
    let input_id = dom_id(mount_id, &slot);
    let message_id = format!("{input_id}-message");
    let offered = |options: Vec<Choice>| {
        options.into_iter().filter(move |choice| !hide_options.contains(&choice.value))
    };
    let invalid = {
        let slot = slot.clone();
        move || (!state.with(|s| s.visible_messages(slot.clone())).is_empty()).to_string()
    };
    let on_blur = {
        let slot = slot.clone();
        move |_| state.update(|s| s.touch(slot.clone()))
    };
    let text_value = {
        let slot = slot.clone();
        move || state.with(|s| s.text_value(slot.clone()))
    };
    // Whether `value` is the field's current single value (a selected option or radio button).
    let is_current = |value: String| {
        let text_value = text_value.clone();
        move || text_value() == value
    };
    let on_text = {
        let slot = slot.clone();
        move |ev| state.update(|s| s.edit(slot.clone(), Value::Text(event_target_value(&ev))))
    };
    let required = required.to_string();
    match field.kind {
        FieldKind::SingleLineText { .. }
        | FieldKind::Number { .. }
        | FieldKind::Date { .. }
        | FieldKind::Time { .. }
        | FieldKind::Link { .. }
        | FieldKind::Lookup(_) => {
            let input_type = match (&field.kind, hint) {
                (FieldKind::Date { .. }, _) => "date",
                (FieldKind::Time { .. }, _) => "time",
                (FieldKind::Link { protocol: LinkProtocol::Web, .. }, _)
                | (_, Some(InputHint::Url)) => "url",
                (FieldKind::Link { protocol: LinkProtocol::Call, .. }, _)
                | (_, Some(InputHint::Tel)) => "tel",
                (FieldKind::Link { protocol: LinkProtocol::Mail, .. }, _)
                | (_, Some(InputHint::Email)) => "email",
                _ => "text",
            };
            let input_mode = match (&field.kind, hint) {
                (FieldKind::Number { .. }, _) => Some("decimal"),
                (FieldKind::Lookup(lookup), _) if lookup.key == LookupKey::Number => {
                    Some("decimal")
                }
                (_, Some(InputHint::PostalCode)) => Some("numeric"),
                _ => None,
            };
            let autocomplete = match (&field.kind, hint) {
                (FieldKind::Link { protocol: LinkProtocol::Mail, .. }, _)
                | (_, Some(InputHint::Email)) => Some("email"),
                (FieldKind::Link { protocol: LinkProtocol::Call, .. }, _)
                | (_, Some(InputHint::Tel)) => Some("tel"),
                (_, Some(InputHint::PostalCode)) => Some("postal-code"),
                _ => None,
            };
            view! {
                <input class="kform-input" part="input" id=input_id type=input_type inputmode=input_mode
                    autocomplete=autocomplete placeholder=placeholder aria-describedby=message_id
                    aria-invalid=invalid aria-required=required prop:value=text_value
                    on:input=on_text on:blur=on_blur />
            }
            .into_any()
        }
        FieldKind::DateTime { .. } => {
            // The browser's `datetime-local` input shows the visitor's own time; kintone gets the
            // instant with the visitor's offset.
            let local = move || browser::to_local(&text_value());
            let on_input = {
                let slot = slot.clone();
                move |ev| {
                    let value = browser::to_kintone(&event_target_value(&ev));
                    state.update(|s| s.edit(slot.clone(), Value::Text(value)));
                }
            };
            view! {
                <input class="kform-input" part="input" id=input_id type="datetime-local"
                    aria-describedby=message_id aria-invalid=invalid aria-required=required
                    prop:value=local on:input=on_input on:blur=on_blur />
            }
            .into_any()
        }
        FieldKind::MultiLineText { .. } | FieldKind::RichText { .. } => view! {
            <textarea class="kform-input" part="input" id=input_id rows="5" placeholder=placeholder
                aria-describedby=message_id aria-invalid=invalid aria-required=required
                prop:value=text_value on:input=on_text on:blur=on_blur></textarea>
        }
        .into_any(),
        FieldKind::DropDown { options, .. } => {
            let none = state.with_untracked(|s| s.text(Text::NoSelection));
            let choices = offered(options)
                .map(|choice| {
                    let selected = is_current(choice.value.clone());
                    view! { <option value=choice.value selected=selected>{choice.label}</option> }
                })
                .collect_view();
            view! {
                <select class="kform-input" part="input" id=input_id aria-describedby=message_id
                    aria-invalid=invalid aria-required=required on:change=on_text on:blur=on_blur>
                    <option value="">{none}</option>
                    {choices}
                </select>
            }
            .into_any()
        }
        FieldKind::RadioButton { options, .. } => {
            let choices = offered(options)
                .enumerate()
                .map(|(index, choice)| {
                    let checked = is_current(choice.value.clone());
                    let on_change = {
                        let (slot, value) = (slot.clone(), choice.value.clone());
                        move |_| state.update(|s| s.edit(slot.clone(), Value::Text(value.clone())))
                    };
                    // The first button carries the id, so the summary's link focuses the group.
                    let id = (index == 0).then(|| input_id.clone());
                    view! {
                        <label class="kform-choice">
                            <input type="radio" id=id name=input_id.clone() value=choice.value
                                prop:checked=checked on:change=on_change on:blur=on_blur.clone() />
                            {choice.label}
                        </label>
                    }
                })
                .collect_view();
            view! {
                <div class="kform-choices" role="radiogroup" aria-describedby=message_id
                    aria-invalid=invalid aria-required=required>{choices}</div>
            }
            .into_any()
        }
        FieldKind::CheckBox { options, .. } | FieldKind::MultiSelect { options, .. } => {
            let choices = offered(options).map(|choice| (choice.value, choice.label)).collect();
            check_boxes(state, &slot, &input_id, &message_id, choices, on_blur, invalid)
        }
        FieldKind::UserSelect(ref select)
        | FieldKind::OrganizationSelect(ref select)
        | FieldKind::GroupSelect(ref select) => {
            if is_group(&field) {
                let choices = select
                    .entities
                    .iter()
                    .map(|entity| (entity.code.clone(), entity.code.clone()))
                    .collect();
                return check_boxes(
                    state,
                    &slot,
                    &input_id,
                    &message_id,
                    choices,
                    on_blur,
                    invalid,
                );
            }
            // Anyone may be chosen: the visitor types codes. The text is not re-rendered from
            // the value, so a comma being typed stays where it is.
            let typed = state.with_untracked(|s| s.list_value(slot.clone())).join(", ");
            let on_input = {
                let slot = slot.clone();
                move |ev| {
                    let codes = split_codes(&event_target_value(&ev));
                    state.update(|s| s.edit(slot.clone(), Value::Entities(codes)));
                }
            };
            let help = state.with_untracked(|s| s.text(Text::EnterCodes));
            let help_id = format!("{input_id}-codes");
            let described = format!("{help_id} {message_id}");
            view! {
                <input class="kform-input" part="input" id=input_id type="text" value=typed
                    placeholder=placeholder autocomplete="off" aria-describedby=described
                    aria-invalid=invalid aria-required=required on:input=on_input on:blur=on_blur />
                <p class="kform-help" part="help" id=help_id>{help}</p>
            }
            .into_any()
        }
        FieldKind::Subtable { fields } => {
            let Slot::Field(table) = slot else { return ().into_any() };
            subtable(state, table, fields.into_values().collect(), mount_id, files)
        }
        FieldKind::File { .. } => {
            let Slot::Field(code) = slot else { return ().into_any() };
            file_input(state, code, &input_id, &message_id, max_files, files, invalid, required)
        }
        FieldKind::NotWritable { .. } => ().into_any(),
    }
}

/// A group of check boxes, one per `(value, label)`.
fn check_boxes(
    state: RwSignal<FormState>,
    slot: &Slot,
    input_id: &str,
    message_id: &str,
    choices: Vec<(String, String)>,
    on_blur: impl Fn(leptos::ev::FocusEvent) + Clone + 'static,
    invalid: impl Fn() -> String + Send + Sync + 'static,
) -> AnyView {
    let choices = choices
        .into_iter()
        .enumerate()
        .map(|(index, (value, label))| {
            let checked = {
                let (slot, value) = (slot.clone(), value.clone());
                move || state.with(|s| s.is_selected(slot.clone(), &value))
            };
            let on_change = {
                let (slot, value) = (slot.clone(), value.clone());
                move |ev| state.update(|s| s.toggle(slot.clone(), &value, event_target_checked(&ev)))
            };
            let id = (index == 0).then(|| input_id.to_owned());
            view! {
                <label class="kform-choice">
                    <input type="checkbox" id=id value=value prop:checked=checked on:change=on_change
                        on:blur=on_blur.clone() />
                    {label}
                </label>
            }
        })
        .collect_view();
    view! {
        <div class="kform-choices" role="group" aria-describedby=message_id.to_owned()
            aria-invalid=invalid>{choices}</div>
    }
    .into_any()
}

/// A FILE field: the browser's file picker and the names of the files chosen (which stay listed
/// when the visitor comes back to the page). Choosing is complete on change, so its problems
/// (too many, too large) show at once.
#[allow(clippy::too_many_arguments, reason = "one input's parts, each used once")]
fn file_input(
    state: RwSignal<FormState>,
    code: String,
    input_id: &str,
    message_id: &str,
    max_files: Option<u32>,
    files: Attachments,
    invalid: impl Fn() -> String + Send + Sync + 'static,
    required: String,
) -> AnyView {
    let on_change = {
        let code = code.clone();
        move |ev: leptos::ev::Event| {
            let chosen = browser::chosen_files(&ev);
            let described =
                chosen.iter().map(|file| (file.name(), browser::file_size(file))).collect();
            files.update_value(|files| {
                files.insert(code.clone(), chosen);
            });
            state.update(|s| {
                s.choose_files(&code, described);
                s.touch(code.as_str());
            });
        }
    };
    let names = move || {
        state
            .with(|s| s.list_value(code.as_str()))
            .into_iter()
            .map(|name| view! { <li>{name}</li> })
            .collect_view()
    };
    let multiple = max_files != Some(1);
    view! {
        <input class="kform-input" part="input" id=input_id.to_owned() type="file"
            multiple=multiple aria-describedby=message_id.to_owned()
            aria-invalid=invalid aria-required=required on:change=on_change />
        <ul class="kform-files" part="files">{names}</ul>
    }
    .into_any()
}

/// A subtable: its rows, each with the inner fields' inputs and a remove button, and a button
/// that adds a row (and moves the focus into it).
fn subtable(
    state: RwSignal<FormState>,
    table: String,
    fields: Vec<Field>,
    mount_id: u32,
    files: Attachments,
) -> AnyView {
    // A file in a row cannot be sent: the relay names each file part by a top-level field.
    let fields: Vec<Field> = fields
        .into_iter()
        .filter(|field| field.is_writable() && !matches!(field.kind, FieldKind::File { .. }))
        .collect();
    let first = fields.first().map(|field| field.code.as_str().to_owned());
    let count = Memo::new({
        let table = table.clone();
        move |_| state.with(|s| s.row_count(&table))
    });
    let (row_text, remove_text, add_text) = state
        .with_untracked(|s| (s.text(Text::Row), s.text(Text::RemoveRow), s.text(Text::AddRow)));
    let rows = {
        let table = table.clone();
        move || {
            (0..count.get())
                .map(|row| {
                    let cells = fields
                        .iter()
                        .map(|field| {
                            let slot = Slot::Cell {
                                table: table.clone(),
                                row,
                                code: field.code.as_str().to_owned(),
                            };
                            let context = InputContext {
                                state,
                                slot,
                                field: field.clone(),
                                mount_id,
                                placeholder: None,
                                required: field.required,
                                hint: None,
                                hide_options: Vec::new(),
                                max_files: None,
                                files,
                            };
                            labelled_input(context, field.label.clone(), None)
                        })
                        .collect_view();
                    let name = format!("{row_text} {}", row + 1);
                    let remove_label = format!("{remove_text} ({name})");
                    let table = table.clone();
                    view! {
                        <fieldset class="kform-row" part="row">
                            <legend class="kform-row-label">{name}</legend>
                            {cells}
                            <button type="button" class="kform-button" part="button"
                                aria-label=remove_label
                                on:click=move |_| state.update(|s| s.remove_row(&table, row))>
                                {remove_text}
                            </button>
                        </fieldset>
                    }
                })
                .collect_view()
        }
    };
    let on_add = move |ev: leptos::ev::MouseEvent| {
        state.update(|s| s.add_row(&table));
        let row = count.get_untracked().saturating_sub(1);
        if let (Some(button), Some(code)) = (browser::event_element(&ev), first.clone()) {
            let cell = Slot::Cell { table: table.clone(), row, code };
            browser::focus_id_later(button, dom_id(mount_id, &cell));
        }
    };
    view! {
        <div class="kform-rows">{rows}</div>
        <button type="button" class="kform-button" part="button" on:click=on_add>{add_text}</button>
    }
    .into_any()
}
