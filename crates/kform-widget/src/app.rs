//! The form component: loads the descriptor, renders the items, sends the submission.

use kform_core::message::Text;
use kform_core::protocol::{FormDescriptor, SubmissionState, SubmitOutcome};
use kform_core::{FormItem, Locale, OnSuccess};
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::json;
use web_sys::HtmlElement;

use crate::api::{self, Endpoint};
use crate::browser;
use crate::captcha::{self, Captcha};
use crate::embed::{emit, random_uuid};
use crate::fields::{Attachments, InputContext, dom_id, labelled_input};
use crate::state::{Advance, FormState, Slot, Status, SubmitError};

/// Where the form comes from.
#[derive(Clone)]
pub(crate) enum Source {
    /// Loaded from the relay, and submitted to it; prefilled with the given values. The
    /// promise, if any, is the descriptor's download, already started by the page.
    Relay(Endpoint, Vec<(String, String)>, Option<js_sys::Promise>),
    /// Given directly (editor preview, tests): validated like a live form, never sent.
    Preview(Box<FormDescriptor>),
}

/// The whole widget for one host element.
pub(crate) fn kintone_form(
    source: Source,
    locale: Option<Locale>,
    host: HtmlElement,
    mount_id: u32,
) -> impl IntoView {
    let loaded: RwSignal<Option<Result<RwSignal<FormState>, ()>>> = RwSignal::new(None);
    let captcha: StoredValue<Option<Captcha>, LocalStorage> = StoredValue::new_local(None);
    let show = {
        let host = host.clone();
        move |descriptor: FormDescriptor,
              render_token: Option<String>,
              values: &[(String, String)]| {
            let challenge = descriptor.captcha.clone();
            let mut state = FormState::new(descriptor, locale);
            // A live form takes prefilled values from the page address and the host page's
            // `values`; a preview does not.
            if render_token.is_some() {
                let mut query = page_query();
                query.extend(values.iter().cloned());
                let pairs: Vec<(&str, &str)> =
                    query.iter().map(|(name, value)| (name.as_str(), value.as_str())).collect();
                state.prefill(pairs.iter().copied());
                let referrer = web_sys::window()
                    .and_then(|window| window.document())
                    .map(|document| document.referrer())
                    .unwrap_or_default();
                state.capture(&pairs, &referrer);
            }
            // A preview never sends, so it shows no captcha.
            let live = render_token.is_some();
            state.set_render_token(render_token);
            let form_locale = state.locale();
            let state = RwSignal::new(state);
            loaded.set(Some(Ok(state)));
            // Once the form is on the page: the view renders after this update, before timers.
            let ready = host.clone();
            set_timeout(move || emit(&ready, "kform:ready", &json!({})), std::time::Duration::ZERO);
            if let Some(challenge) = challenge.filter(|_| live) {
                let host = host.clone();
                spawn_local(async move {
                    let on_answer = move |token| state.update(|s| s.set_captcha_token(token));
                    match captcha::render(&host, &challenge, form_locale, on_answer).await {
                        Ok(rendered) => captcha.set_value(Some(rendered)),
                        Err(reason) => emit(
                            &host,
                            "kform:error",
                            &json!({ "stage": "captcha", "reason": reason }),
                        ),
                    }
                });
            }
        }
    };
    let endpoint = match source {
        Source::Preview(descriptor) => {
            show(*descriptor, None, &[]);
            None
        }
        Source::Relay(endpoint, values, started) => {
            let request = endpoint.clone();
            let host = host.clone();
            spawn_local(async move {
                match api::load(&request, started).await {
                    Ok((descriptor, render_token)) => show(descriptor, render_token, &values),
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
        Some(Ok(state)) => {
            form_view(state, endpoint.clone(), host.clone(), mount_id, captcha).into_any()
        }
    };
    view! { <div class="kform" part="form-root">{body}</div> }
}

fn form_view(
    state: RwSignal<FormState>,
    endpoint: Option<Endpoint>,
    host: HtmlElement,
    mount_id: u32,
    captcha: StoredValue<Option<Captcha>, LocalStorage>,
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
            form_element(state, endpoint.clone(), host.clone(), mount_id, captcha).into_any()
        }
    }
}

fn form_element(
    state: RwSignal<FormState>,
    endpoint: Option<Endpoint>,
    host: HtmlElement,
    mount_id: u32,
    captcha: StoredValue<Option<Captcha>, LocalStorage>,
) -> impl IntoView {
    let descriptor = state.with_untracked(|s| s.descriptor().clone());
    // The captcha's element is the host page's (see `captcha`); the slot shows it here.
    let captcha_slot = descriptor.captcha.is_some().then(|| view! { <slot name="captcha"></slot> });
    let files: Attachments = StoredValue::new_local(Default::default());
    let page = Memo::new(move |_| state.with(FormState::page));
    let confirming = Memo::new(move |_| state.with(FormState::is_confirming));
    // Only a change of page (or to the confirmation) rebuilds the items shown.
    let body = move || {
        if confirming.get() {
            return confirmation(state, mount_id).into_any();
        }
        page.track();
        let items = descriptor
            .form
            .items
            .iter()
            .enumerate()
            .filter(|(index, item)| {
                item.is_shown() && state.with_untracked(|s| s.item_on_page(*index))
            })
            .map(|(index, item)| {
                if item.page_break {
                    return page_heading(state, item, mount_id).into_any();
                }
                if item.show_if.is_none() {
                    return item_view(state, &descriptor, item, mount_id, files);
                }
                // A conditional item appears and disappears with its condition; its value stays
                // (and is not sent while it is hidden).
                let applies = Memo::new(move |_| state.with(|s| s.item_applies(index)));
                let (descriptor, item) = (descriptor.clone(), item.clone());
                (move || {
                    applies.get().then(|| item_view(state, &descriptor, &item, mount_id, files))
                })
                .into_any()
            })
            .collect_view();
        view! { {first_page_heading(state, mount_id)} {items} }.into_any()
    };
    let can_go_back = move || state.with(|s| s.page() > 0 || s.is_confirming());
    let on_back = {
        let host = host.clone();
        move |ev: leptos::ev::MouseEvent| {
            state.update(FormState::back);
            page_opened(&host, state, browser::event_element(&ev), mount_id);
        }
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let form = browser::event_element(&ev);
        let focus_summary = {
            let form = form.clone();
            move || {
                if let Some(form) = form.clone() {
                    browser::focus_id_later(form, summary_id(mount_id));
                }
            }
        };
        let advance = state.try_update(|s| s.advance(random_uuid)).unwrap_or(Advance::Busy);
        let submission = match advance {
            Advance::Send(submission) => submission,
            Advance::Busy => return,
            Advance::Invalid => {
                let errors = state.with_untracked(problems_json);
                emit(&host, "kform:invalid", &json!({ "errors": errors }));
                focus_summary();
                return;
            }
            Advance::NextPage | Advance::Confirm => {
                page_opened(&host, state, form, mount_id);
                return;
            }
        };
        let locale = state.with_untracked(FormState::locale);
        match endpoint.clone() {
            Some(endpoint) => {
                let host = host.clone();
                let attached: Vec<(String, web_sys::File)> = {
                    let codes = state.with_untracked(FormState::fields_with_files);
                    files.with_value(|files| {
                        codes
                            .iter()
                            .flat_map(|code| {
                                files
                                    .get(code)
                                    .into_iter()
                                    .flatten()
                                    .map(|f| (code.clone(), f.clone()))
                            })
                            .collect()
                    })
                };
                spawn_local(async move {
                    let result =
                        send(&endpoint, &submission, &attached, locale, state, &host).await;
                    match &result {
                        Ok(outcome) => emit(&host, "kform:submitted", &json!(outcome)),
                        Err(SubmitError::Invalid(response)) => {
                            emit(&host, "kform:invalid", &json!(response));
                        }
                        Err(SubmitError::Failed(reason) | SubmitError::Unreachable(reason)) => {
                            emit(
                                &host,
                                "kform:error",
                                &json!({ "stage": "submit", "reason": reason }),
                            );
                        }
                    }
                    let refused = matches!(result, Err(SubmitError::Invalid(_)));
                    let redirect = match (
                        &result,
                        &state.with_untracked(|s| s.descriptor().form.on_success.clone()),
                    ) {
                        (Ok(_), OnSuccess::Redirect(url)) => Some(url.clone()),
                        _ => None,
                    };
                    let sent = result.is_ok();
                    state.update(|s| s.finish_submit(result));
                    if !sent {
                        captcha.with_value(|captcha| captcha.as_ref().map(Captcha::reset));
                    }
                    if refused {
                        focus_summary();
                    }
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
                    // The editor offers a preview's values for a test send.
                    &json!({ "submission_id": submission_id, "preview": true, "values": submission.values }),
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
    // Only a pressed pointer's release changes anything: typing does not notify every view.
    let release = move || {
        if state.with_untracked(FormState::pointer_is_down) {
            state.update(|s| s.pointer(false));
        }
    };
    let sending = move || state.with(|s| s.status().is_busy());
    let button_text = move || state.with(|s| s.text(s.action_text()));
    let alert = move || {
        state.with(|s| {
            let mut lines = s.form_messages();
            match s.status() {
                Status::Failed(message) => lines.push(message.clone()),
                Status::Retrying => lines.push(s.text(Text::Retrying).to_owned()),
                _ => {}
            }
            lines.into_iter().map(|line| view! { <p>{line}</p> }).collect_view()
        })
    };
    view! {
        // Messages of a field left by a click wait until the click is over (see
        // `FormState::touch`); a release outside the form is caught by the next key or click.
        <form class="kform-form" novalidate on:submit=on_submit
            on:pointerdown=move |_| state.update(|s| s.pointer(true))
            on:pointerup=move |_| release()
            on:pointercancel=move |_| release()
            on:keydown=move |_| release()>
            {error_summary(state, mount_id)}
            {body}
            // The honeypot: off screen, out of the tab order and hidden from assistive
            // technology, so only robots that fill every input fill it.
            <div class="kform-hp" aria-hidden="true">
                <label>"website"
                    <input type="text" name="website" tabindex="-1" autocomplete="off"
                        on:input=move |ev| state.update(|s| s.set_honeypot(event_target_value(&ev))) />
                </label>
            </div>
            {captcha_slot}
            <div class="kform-alert" role="alert">{alert}</div>
            <div class="kform-actions">
                {move || can_go_back().then(|| view! {
                    <button class="kform-back" part="back" type="button" disabled=sending
                        on:click=on_back.clone()>{state.with_untracked(|s| s.text(Text::Back))}</button>
                })}
                <button class="kform-submit" part="submit" type="submit" disabled=sending>{button_text}</button>
            </div>
        </form>
    }
}

/// How long the widget waits before each new try when the relay cannot be reached: about half a
/// minute in all, enough for a dropped connection or a restarting relay.
const RETRY_DELAYS_MS: [i32; 5] = [1_000, 2_000, 4_000, 8_000, 16_000];

/// Sends a submission, trying again with backoff while the relay cannot be reached. Every try
/// carries the same submission id, so the relay keeps one submission however many arrive.
async fn send(
    endpoint: &Endpoint,
    submission: &kform_core::protocol::Submission,
    files: &[(String, web_sys::File)],
    locale: kform_core::Locale,
    state: RwSignal<FormState>,
    host: &HtmlElement,
) -> Result<SubmitOutcome, SubmitError> {
    let mut delays = RETRY_DELAYS_MS.iter();
    loop {
        match api::submit(endpoint, submission, files, locale).await {
            Err(SubmitError::Unreachable(reason)) => {
                let Some(&delay) = delays.next() else {
                    return Err(SubmitError::Unreachable(reason));
                };
                state.update(FormState::retrying);
                emit(
                    host,
                    "kform:error",
                    &json!({ "stage": "submit", "reason": reason, "retrying_in_ms": delay }),
                );
                browser::sleep(delay).await;
            }
            result => return result,
        }
    }
}

/// The visible problems as `kform:invalid` lists them; an unanswered captcha is one without a
/// field.
fn problems_json(state: &FormState) -> serde_json::Value {
    let mut errors: Vec<serde_json::Value> = state
        .problem_list()
        .into_iter()
        .map(|(slot, label, message)| json!({ "field": slot.key(), "label": label, "message": message }))
        .collect();
    if state.captcha_unsolved() {
        let message = Text::SolveCaptcha.get(state.locale());
        errors.push(json!({ "field": null, "label": null, "message": message }));
    }
    errors.into()
}

fn item_view(
    state: RwSignal<FormState>,
    descriptor: &FormDescriptor,
    item: &FormItem,
    mount_id: u32,
    files: Attachments,
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
    let context = InputContext {
        state,
        slot: Slot::Field(code.as_str().to_owned()),
        required: field.required || item.required,
        mount_id,
        placeholder: item.placeholder.clone(),
        hint: item.input_hint,
        hide_options: item.hide_options.clone(),
        max_files: item.max_files,
        files,
        field: field.clone(),
    };
    let label = item.label.clone().unwrap_or_else(|| field.label.clone());
    labelled_input(context, label, item.help.clone())
}

/// The element id of the heading that takes the focus when a page or the confirmation opens.
fn heading_id(mount_id: u32) -> String {
    format!("kform-{mount_id}-page")
}

/// After a page or the confirmation opened: tells the host page (`kform:page`) and moves the
/// focus, found from `near` (an element of the form), to the new heading.
fn page_opened(
    host: &HtmlElement,
    state: RwSignal<FormState>,
    near: Option<web_sys::Element>,
    mount_id: u32,
) {
    let (page, pages, confirming) =
        state.with_untracked(|s| (s.page(), s.page_count(), s.is_confirming()));
    emit(
        host,
        "kform:page",
        &json!({ "page": page + 1, "pages": pages, "confirming": confirming }),
    );
    if let Some(near) = near {
        browser::focus_id_later(near, heading_id(mount_id));
    }
}

/// "Step n / total", which takes the focus when the page opens, and the page's title.
fn step_line(state: RwSignal<FormState>, mount_id: u32, title: Option<String>) -> impl IntoView {
    let (page, pages, word) =
        state.with_untracked(|s| (s.page(), s.page_count(), s.text(Text::Page)));
    let step = format!("{word} {} / {pages}", page + 1);
    view! {
        <p class="kform-step" part="step" id=heading_id(mount_id) tabindex="-1">
            <span class="kform-step-count">{step}</span>
            {title.map(|title| view! { " " <span class="kform-step-title">{title}</span> })}
        </p>
    }
}

/// The first page's step line, on a form with several pages.
fn first_page_heading(state: RwSignal<FormState>, mount_id: u32) -> Option<impl IntoView> {
    let first = state.with_untracked(|s| s.page() == 0 && s.page_count() > 1);
    first.then(|| step_line(state, mount_id, None))
}

/// A page break starts its page: the step line with its label, then its help.
fn page_heading(state: RwSignal<FormState>, item: &FormItem, mount_id: u32) -> impl IntoView {
    let help = item.help.clone().map(|help| view! { <p class="kform-help">{help}</p> });
    view! { {step_line(state, mount_id, item.label.clone())} {help} }
}

/// The answers for checking, with the heading that takes the focus.
fn confirmation(state: RwSignal<FormState>, mount_id: u32) -> impl IntoView {
    let (heading, answers) = state.with_untracked(|s| (s.text(Text::ConfirmHeading), s.answers()));
    let rows = answers
        .into_iter()
        .map(|(label, value)| view! { <dt>{label}</dt> <dd>{value}</dd> })
        .collect_view();
    view! {
        <div class="kform-confirm" part="confirm">
            <p class="kform-confirm-heading" id=heading_id(mount_id) tabindex="-1">{heading}</p>
            <dl>{rows}</dl>
        </div>
    }
}

/// The element id of form `mount_id`'s error summary.
fn summary_id(mount_id: u32) -> String {
    format!("kform-{mount_id}-summary")
}

/// After a refused submit: a list of the problems, each a link that moves the focus to its
/// field. It takes the focus itself, so a screen reader announces it and a keyboard user starts
/// there.
fn error_summary(state: RwSignal<FormState>, mount_id: u32) -> impl IntoView {
    // A memo: typing that leaves the list as it was does not rebuild it.
    let problems = Memo::new(move |_| state.with(FormState::problem_list));
    move || {
        let problems = problems.get();
        (!problems.is_empty()).then(|| {
            let heading = state.with_untracked(|s| s.text(Text::FixErrors));
            let links = problems
                .into_iter()
                .map(|(slot, label, message)| {
                    let id = dom_id(mount_id, &slot);
                    let href = format!("#{id}");
                    let on_click = move |ev: leptos::ev::MouseEvent| {
                        ev.prevent_default();
                        if let Some(link) = browser::event_element(&ev) {
                            browser::focus_id(&link, &id);
                        }
                    };
                    view! { <li><a href=href on:click=on_click>{label}": "{message}</a></li> }
                })
                .collect_view();
            view! {
                <div class="kform-summary" part="error-summary" id=summary_id(mount_id)
                    tabindex="-1" role="group" aria-labelledby=format!("{}-heading", summary_id(mount_id))>
                    <p class="kform-summary-heading" id=format!("{}-heading", summary_id(mount_id))>{heading}</p>
                    <ul>{links}</ul>
                </div>
            }
        })
    }
}

/// The page address's query parameters, decoded (`+` is a space).
fn page_query() -> Vec<(String, String)> {
    let search =
        web_sys::window().and_then(|window| window.location().search().ok()).unwrap_or_default();
    parse_query(&search)
}

/// A query string's parameters, decoded (`+` is a space); a leading `?` is ignored.
pub(crate) fn parse_query(search: &str) -> Vec<(String, String)> {
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
