//! The form component: loads the descriptor, renders the items, sends the submission.

use kform_core::field::FieldKind;
use kform_core::message::Text;
use kform_core::protocol::{FormDescriptor, SubmissionState, SubmitOutcome};
use kform_core::{FormItem, Locale, OnSuccess};
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::json;
use web_sys::HtmlElement;

use crate::api::{self, Endpoint};
use crate::embed::{emit, random_uuid};
use crate::fields::{InputContext, field_input};
use crate::state::{FormState, Status, SubmitError};

/// The widget's stylesheet, placed inside the shadow root.
const STYLE: &str = include_str!("../style/kform.css");

/// Where the form comes from.
#[derive(Clone)]
pub(crate) enum Source {
    /// Loaded from the relay, and submitted to it.
    Relay(Endpoint),
    /// Given directly (editor preview, tests): validated like a live form, never sent.
    Preview(FormDescriptor),
}

/// The whole widget for one host element.
pub(crate) fn kintone_form(
    source: Source,
    locale: Option<Locale>,
    host: HtmlElement,
    mount_id: u32,
) -> impl IntoView {
    let loaded: RwSignal<Option<Result<RwSignal<FormState>, ()>>> = RwSignal::new(None);
    let show = {
        let host = host.clone();
        move |descriptor, render_token: Option<String>| {
            let mut state = FormState::new(descriptor, locale);
            // A live form takes prefilled values from the page address; a preview does not.
            if render_token.is_some() {
                let query = page_query();
                let pairs: Vec<(&str, &str)> =
                    query.iter().map(|(name, value)| (name.as_str(), value.as_str())).collect();
                state.prefill(pairs.iter().copied());
                let referrer = web_sys::window()
                    .and_then(|window| window.document())
                    .map(|document| document.referrer())
                    .unwrap_or_default();
                state.capture(&pairs, &referrer);
            }
            state.set_render_token(render_token);
            loaded.set(Some(Ok(RwSignal::new(state))));
            emit(&host, "kform:ready", &json!({}));
        }
    };
    let endpoint = match source {
        Source::Preview(descriptor) => {
            show(descriptor, None);
            None
        }
        Source::Relay(endpoint) => {
            let request = endpoint.clone();
            let host = host.clone();
            spawn_local(async move {
                match api::load(&request).await {
                    Ok((descriptor, render_token)) => show(descriptor, render_token),
                    Err(reason) => {
                        emit(&host, "kform:error", &json!({ "stage": "load", "reason": reason }));
                        loaded.set(Some(Err(())));
                    }
                }
            });
            Some(endpoint)
        }
    };
    let body = move || match loaded.get() {
        None => view! { <p class="kform-loading" aria-busy="true"></p> }.into_any(),
        Some(Err(())) => {
            let text = Text::LoadFailed.get(locale.unwrap_or_default());
            view! { <p class="kform-alert" role="alert">{text}</p> }.into_any()
        }
        Some(Ok(state)) => form_view(state, endpoint.clone(), host.clone(), mount_id).into_any(),
    };
    view! {
        <style>{STYLE}</style>
        <div class="kform" part="form-root">{body}</div>
    }
}

fn form_view(
    state: RwSignal<FormState>,
    endpoint: Option<Endpoint>,
    host: HtmlElement,
    mount_id: u32,
) -> impl IntoView {
    // Only the switch to the thank-you message rebuilds the form; edits update it in place.
    let is_sent = Memo::new(move |_| state.with(|s| matches!(s.status(), Status::Sent(_))));
    move || {
        if is_sent.get() {
            let message = state.with_untracked(|s| match s.status() {
                Status::Sent(message) => message.clone(),
                _ => String::new(),
            });
            view! { <p class="kform-thanks" part="thanks" role="status">{message}</p> }.into_any()
        } else {
            form_element(state, endpoint.clone(), host.clone(), mount_id).into_any()
        }
    }
}

fn form_element(
    state: RwSignal<FormState>,
    endpoint: Option<Endpoint>,
    host: HtmlElement,
    mount_id: u32,
) -> impl IntoView {
    let descriptor = state.with_untracked(|s| s.descriptor().clone());
    let items = descriptor
        .form
        .items
        .iter()
        .enumerate()
        .filter(|(_, item)| item.is_shown())
        .map(|(index, item)| {
            item_view(state, &descriptor, item, format!("kform-{mount_id}-{index}"))
        })
        .collect_view();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(submission) = state.try_update(|s| s.begin_submit(random_uuid)).flatten() else {
            emit(&host, "kform:invalid", &json!({}));
            return;
        };
        let locale = state.with_untracked(FormState::locale);
        match endpoint.clone() {
            Some(endpoint) => {
                let host = host.clone();
                spawn_local(async move {
                    let result = api::submit(&endpoint, &submission, locale).await;
                    match &result {
                        Ok(outcome) => emit(&host, "kform:submitted", &json!(outcome)),
                        Err(SubmitError::Invalid(response)) => {
                            emit(&host, "kform:invalid", &json!(response))
                        }
                        Err(SubmitError::Failed(message)) => {
                            emit(
                                &host,
                                "kform:error",
                                &json!({ "stage": "submit", "reason": message }),
                            );
                        }
                    }
                    let redirect = match (
                        &result,
                        &state.with_untracked(|s| s.descriptor().form.on_success.clone()),
                    ) {
                        (Ok(_), OnSuccess::Redirect(url)) => Some(url.clone()),
                        _ => None,
                    };
                    state.update(|s| s.finish_submit(result));
                    if let Some(url) = redirect
                        && let Some(window) = web_sys::window()
                        && window.location().set_href(&url).is_err()
                    {
                        emit(&host, "kform:error", &json!({ "stage": "redirect", "reason": url }));
                    }
                });
            }
            None => {
                let submission_id = submission.submission_id.unwrap_or_default();
                emit(
                    &host,
                    "kform:submitted",
                    &json!({ "submission_id": submission_id, "preview": true }),
                );
                let outcome = SubmitOutcome {
                    submission_id,
                    state: SubmissionState::Delivered,
                    record_id: None,
                };
                state.update(|s| s.finish_submit(Ok(outcome)));
            }
        }
    };
    let sending = move || state.with(|s| *s.status() == Status::Sending);
    let button_text = move || {
        state.with(|s| {
            s.text(if *s.status() == Status::Sending { Text::Sending } else { Text::Submit })
        })
    };
    let alert = move || {
        state.with(|s| {
            let mut lines = s.form_messages();
            if let Status::Failed(message) = s.status() {
                lines.push(message.clone());
            }
            lines.into_iter().map(|line| view! { <p>{line}</p> }).collect_view()
        })
    };
    view! {
        <form class="kform-form" novalidate on:submit=on_submit>
            {items}
            // The honeypot: off screen, out of the tab order and hidden from assistive
            // technology, so only robots that fill every input fill it.
            <div class="kform-hp" aria-hidden="true">
                <label>"website"
                    <input type="text" name="website" tabindex="-1" autocomplete="off"
                        on:input=move |ev| state.update(|s| s.set_honeypot(event_target_value(&ev))) />
                </label>
            </div>
            <div class="kform-alert" role="alert">{alert}</div>
            <button class="kform-submit" part="submit" type="submit" disabled=sending>{button_text}</button>
        </form>
    }
}

fn item_view(
    state: RwSignal<FormState>,
    descriptor: &FormDescriptor,
    item: &FormItem,
    input_id: String,
) -> AnyView {
    let Some(code) = &item.field else {
        let label = item.label.clone().unwrap_or_default();
        let help = item.help.clone();
        return view! { <div class="kform-note"><p class="kform-label">{label}</p><p class="kform-help">{help}</p></div> }.into_any();
    };
    let Some(field) =
        descriptor.fields.get(code.as_str()).filter(|field| field.is_writable()).cloned()
    else {
        return ().into_any();
    };
    let required = field.required || item.required;
    let label = item.label.clone().unwrap_or_else(|| field.label.clone());
    let mark = required.then(|| {
        let text = state.with_untracked(|s| s.text(Text::RequiredMark));
        view! { <span class="kform-required" part="required">{text}</span> }
    });
    let message_id = format!("{input_id}-message");
    let help = item.help.clone().map(|help| view! { <p class="kform-help" part="help">{help}</p> });
    let messages = {
        let code = code.as_str().to_owned();
        move || {
            state
                .with(|s| s.visible_messages(&code))
                .into_iter()
                .map(|m| view! { <span>{m}</span> })
                .collect_view()
        }
    };
    let is_group = matches!(
        field.kind,
        FieldKind::RadioButton { .. } | FieldKind::CheckBox { .. } | FieldKind::MultiSelect { .. }
    );
    let context = InputContext {
        state,
        field,
        input_id: input_id.clone(),
        message_id: message_id.clone(),
        placeholder: item.placeholder.clone(),
        required,
        hint: item.input_hint,
        hide_options: item.hide_options.clone(),
    };
    let input = field_input(context);
    let message = view! { <p class="kform-message" part="error" id=message_id aria-live="polite">{messages}</p> };
    if is_group {
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

/// The page address's query parameters, decoded (`+` is a space).
fn page_query() -> Vec<(String, String)> {
    let search =
        web_sys::window().and_then(|window| window.location().search().ok()).unwrap_or_default();
    let decode = |part: &str| {
        js_sys::decode_uri_component(&part.replace('+', " "))
            .ok()
            .and_then(|decoded| decoded.as_string())
    };
    search
        .trim_start_matches('?')
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter_map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            Some((decode(name)?, decode(value)?))
        })
        .collect()
}
