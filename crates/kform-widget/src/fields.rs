//! One input per kintone field type: a single exhaustive match chooses it.

use kform_core::field::{FieldKind, LinkProtocol, LookupKey};
use kform_core::message::Text;
use kform_core::{Choice, Field, InputHint, Value};
use leptos::prelude::*;

use crate::state::FormState;

/// What every input needs: the shared state, the field, and ids for labels and messages.
#[derive(Clone)]
pub(crate) struct InputContext {
    pub(crate) state: RwSignal<FormState>,
    pub(crate) field: Field,
    pub(crate) input_id: String,
    pub(crate) message_id: String,
    pub(crate) placeholder: Option<String>,
    pub(crate) required: bool,
    pub(crate) hint: Option<InputHint>,
    pub(crate) hide_options: Vec<String>,
}

/// Renders the input for one kintone field.
pub(crate) fn field_input(context: InputContext) -> AnyView {
    let InputContext {
        state,
        field,
        input_id,
        message_id,
        placeholder,
        required,
        hint,
        hide_options,
    } = context;
    let offered = |options: Vec<Choice>| {
        options.into_iter().filter(move |choice| !hide_options.contains(&choice.value))
    };
    let code = field.code.as_str().to_owned();
    let invalid = {
        let code = code.clone();
        move || (!state.with(|s| s.visible_messages(&code)).is_empty()).to_string()
    };
    let on_blur = {
        let code = code.clone();
        move |_| state.update(|s| s.touch(&code))
    };
    let text_value = {
        let code = code.clone();
        move || state.with(|s| s.text_value(&code))
    };
    // Whether `value` is the field's current single value (a selected option or radio button).
    let is_current = |value: String| {
        let text_value = text_value.clone();
        move || text_value() == value
    };
    let on_text = {
        let code = code.clone();
        move |ev| state.update(|s| s.set(&code, Value::Text(event_target_value(&ev))))
    };
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
            view! {
                <input class="kform-input" part="input" id=input_id type=input_type inputmode=input_mode
                    placeholder=placeholder aria-describedby=message_id aria-invalid=invalid
                    aria-required=required.to_string() prop:value=text_value on:input=on_text on:blur=on_blur />
            }
            .into_any()
        }
        FieldKind::MultiLineText { .. } | FieldKind::RichText { .. } => view! {
            <textarea class="kform-input" part="input" id=input_id rows="5" placeholder=placeholder
                aria-describedby=message_id aria-invalid=invalid aria-required=required.to_string()
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
            let on_change = on_text;
            view! {
                <select class="kform-input" part="input" id=input_id aria-describedby=message_id
                    aria-invalid=invalid aria-required=required.to_string() on:change=on_change on:blur=on_blur>
                    <option value="">{none}</option>
                    {choices}
                </select>
            }
            .into_any()
        }
        FieldKind::RadioButton { options, .. } => {
            let choices = offered(options)
                .map(|choice| {
                    let checked = is_current(choice.value.clone());
                    let on_change = {
                        let (code, value) = (code.clone(), choice.value.clone());
                        move |_| state.update(|s| s.set(&code, Value::Text(value.clone())))
                    };
                    view! {
                        <label class="kform-choice">
                            <input type="radio" name=input_id.clone() value=choice.value prop:checked=checked
                                on:change=on_change on:blur=on_blur.clone() />
                            {choice.label}
                        </label>
                    }
                })
                .collect_view();
            view! { <div class="kform-choices" role="radiogroup" aria-describedby=message_id>{choices}</div> }.into_any()
        }
        FieldKind::CheckBox { options, .. } | FieldKind::MultiSelect { options, .. } => {
            let choices = offered(options)
                .map(|choice| {
                    let checked = {
                        let (code, value) = (code.clone(), choice.value.clone());
                        move || state.with(|s| s.is_selected(&code, &value))
                    };
                    let on_change = {
                        let (code, value) = (code.clone(), choice.value.clone());
                        move |ev| state.update(|s| s.toggle(&code, &value, event_target_checked(&ev)))
                    };
                    view! {
                        <label class="kform-choice">
                            <input type="checkbox" value=choice.value prop:checked=checked on:change=on_change
                                on:blur=on_blur.clone() />
                            {choice.label}
                        </label>
                    }
                })
                .collect_view();
            view! { <div class="kform-choices" role="group" aria-describedby=message_id>{choices}</div> }.into_any()
        }
        // Date-times, files, user/organization/group selections and subtables get their
        // inputs with the widget's full field set (issue 7); until then they are not shown.
        FieldKind::DateTime { .. }
        | FieldKind::File { .. }
        | FieldKind::UserSelect(_)
        | FieldKind::OrganizationSelect(_)
        | FieldKind::GroupSelect(_)
        | FieldKind::Subtable { .. }
        | FieldKind::NotWritable { .. } => ().into_any(),
    }
}
