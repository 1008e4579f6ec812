//! The size floor: the least a Leptos widget can weigh and take to start, so the widget's size
//! and speed can be read against it. It is a form of text inputs with a required and a length
//! check shown after a submit, and a JSON POST to a relay: Leptos's runtime, its view code for a
//! form and a fetch, with no serde, no `kform-core` and no styling. `cargo xtask bench` builds
//! it exactly as the widget is built (wasm-release profile, wasm-bindgen, `wasm-opt -Oz`),
//! prints its download, and times it with as many inputs as the widget's benchmark form
//! (`www/bench-floor.html`). It is never part of a release.

use leptos::prelude::*;
use wasm_bindgen::prelude::*;

/// The most characters an input takes.
const MAX_LENGTH: usize = 64;

/// Renders a form of `inputs` text inputs into `host`; submitting it posts the values to
/// `action` as a JSON array.
#[wasm_bindgen]
pub fn mount(host: web_sys::HtmlElement, action: String, inputs: usize) {
    leptos::mount::mount_to(host, move || form(action, inputs)).forget();
}

/// What is wrong with a value, if anything.
fn problem(value: &str) -> Option<&'static str> {
    if value.trim().is_empty() {
        Some("Required.")
    } else if value.chars().count() > MAX_LENGTH {
        Some("At most 64 characters.")
    } else {
        None
    }
}

fn form(action: String, inputs: usize) -> impl IntoView {
    let values: Vec<RwSignal<String>> = (0..inputs).map(|_| RwSignal::new(String::new())).collect();
    let tried = RwSignal::new(false);
    let answer = RwSignal::new(None::<String>);
    let inputs = values
        .iter()
        .copied()
        .enumerate()
        .map(|(index, value)| {
            let shown = move || if tried.get() { value.with(|v| problem(v)) } else { None };
            view! {
                <label>
                    {format!("Field {}", index + 1)}
                    <input
                        prop:value=move || value.get()
                        on:input=move |ev| value.set(event_target_value(&ev))
                        aria-invalid=move || shown().is_some().to_string()
                    />
                    <span>{shown}</span>
                </label>
            }
        })
        .collect_view();
    let submit = move |ev: web_sys::SubmitEvent| {
        ev.prevent_default();
        tried.set(true);
        if values.iter().any(|value| value.with(|v| problem(v).is_some())) {
            return;
        }
        let body = js_sys::Array::new();
        for value in &values {
            body.push(&JsValue::from_str(&value.get_untracked()));
        }
        let action = action.clone();
        leptos::task::spawn_local(async move {
            let sent = match js_sys::JSON::stringify(&body) {
                Ok(json) => match gloo_net::http::Request::post(&action).body(json) {
                    Ok(request) => request.send().await.map(|response| response.status()),
                    Err(err) => Err(err),
                },
                Err(_) => return,
            };
            answer.set(Some(match sent {
                Ok(status) => format!("Sent ({status})."),
                Err(err) => format!("Not sent: {err}"),
            }));
        });
    };
    view! {
        <form on:submit=submit>
            {inputs}
            <button type="submit">"Send"</button>
            <p>{move || answer.get()}</p>
        </form>
    }
}
