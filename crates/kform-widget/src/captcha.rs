//! Captcha challenges (Cloudflare Turnstile, hCaptcha): the provider's script, loaded once per
//! page, renders its challenge into an element of the host page slotted into the form, and hands
//! the visitor's answer to the form.
//!
//! The challenge lives in the host page's DOM, not in the shadow root, because the providers'
//! scripts look for their elements there; a `<slot name="captcha">` places it in the form.

use alloc::format;
use alloc::string::String;
use kform_core::Locale;
use kform_core::protocol::CaptchaChallenge;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Element, HtmlElement};

/// What differs between the providers: their script and the global it defines. Both take
/// `render(element, {sitekey, callback, "expired-callback", "error-callback", …})`,
/// `reset(id)` and `remove(id)`.
struct Provider {
    script: &'static str,
    global: &'static str,
    /// The option that sets the challenge's language.
    language: &'static str,
}

fn provider(name: &str) -> Option<Provider> {
    match name {
        "turnstile" => Some(Provider {
            script: "https://challenges.cloudflare.com/turnstile/v0/api.js?render=explicit",
            global: "turnstile",
            language: "language",
        }),
        "hcaptcha" => Some(Provider {
            script: "https://js.hcaptcha.com/1/api.js?render=explicit&recaptchacompat=off",
            global: "hcaptcha",
            language: "hl",
        }),
        _ => None,
    }
}

/// A rendered challenge. Dropping it (when the form is unmounted) removes it from the page.
pub(crate) struct Captcha {
    api: JsValue,
    widget: JsValue,
    element: Element,
    _callbacks: [Closure<dyn Fn(JsValue)>; 3],
}

impl Captcha {
    /// Shows a fresh challenge: an answer counts once.
    pub(crate) fn reset(&self) {
        let _ = call(&self.api, "reset", &self.widget, &JsValue::UNDEFINED);
    }
}

impl Drop for Captcha {
    fn drop(&mut self) {
        let _ = call(&self.api, "remove", &self.widget, &JsValue::UNDEFINED);
        self.element.remove();
    }
}

/// Loads the provider's script (once per page) and renders its challenge for `host`'s form;
/// `on_answer` gets each answer, and `None` when one expires or fails.
pub(crate) async fn render(
    host: &HtmlElement,
    challenge: &CaptchaChallenge,
    locale: Locale,
    on_answer: impl Fn(Option<String>) + Clone + 'static,
) -> Result<Captcha, String> {
    let provider = provider(&challenge.provider)
        .ok_or_else(|| format!("unknown captcha provider \"{}\"", challenge.provider))?;
    let api = load(&provider).await?;
    let document = host.owner_document().ok_or("the host element has no document")?;
    let element = document.create_element("div").map_err(crate::api::reason)?;
    element.set_attribute("slot", "captcha").map_err(crate::api::reason)?;
    element.set_class_name("kform-captcha");
    host.append_child(&element).map_err(crate::api::reason)?;
    let answered = {
        let on_answer = on_answer.clone();
        Closure::<dyn Fn(JsValue)>::new(move |token: JsValue| on_answer(token.as_string()))
    };
    let expired = {
        let on_answer = on_answer.clone();
        Closure::<dyn Fn(JsValue)>::new(move |_: JsValue| on_answer(None))
    };
    let failed = Closure::<dyn Fn(JsValue)>::new(move |_: JsValue| on_answer(None));
    let options = js_sys::Object::new();
    let set = |key: &str, value: &JsValue| js_sys::Reflect::set(&options, &key.into(), value);
    set("sitekey", &challenge.site_key.as_str().into()).map_err(crate::api::reason)?;
    set("callback", answered.as_ref()).map_err(crate::api::reason)?;
    set("expired-callback", expired.as_ref()).map_err(crate::api::reason)?;
    set("error-callback", failed.as_ref()).map_err(crate::api::reason)?;
    set(provider.language, &locale.tag().into()).map_err(crate::api::reason)?;
    let widget = call(&api, "render", element.as_ref(), &options).map_err(crate::api::reason)?;
    Ok(Captcha { api, widget, element, _callbacks: [answered, expired, failed] })
}

/// The provider's global, after its script has loaded: the page's own tag is reused when another
/// form (or the page itself) already added it.
async fn load(provider: &Provider) -> Result<JsValue, String> {
    let window = web_sys::window().ok_or("no window")?;
    let global = || js_sys::Reflect::get(&window, &provider.global.into()).ok();
    if let Some(api) = global().filter(|api| !api.is_undefined()) {
        return Ok(api);
    }
    let document = window.document().ok_or("no document")?;
    let selector = format!("script[src=\"{}\"]", provider.script);
    let script = match document.query_selector(&selector).map_err(crate::api::reason)? {
        Some(script) => script,
        None => {
            let script = document.create_element("script").map_err(crate::api::reason)?;
            script.set_attribute("src", provider.script).map_err(crate::api::reason)?;
            script.set_attribute("async", "").map_err(crate::api::reason)?;
            let head = document.query_selector("head").ok().flatten();
            let parent =
                head.or_else(|| document.document_element()).ok_or("no document element")?;
            parent.append_child(&script).map_err(crate::api::reason)?;
            script
        }
    };
    let loaded = js_sys::Promise::new(&mut |resolve, reject| {
        let _ = script.add_event_listener_with_callback("load", &resolve);
        let _ = script.add_event_listener_with_callback("error", &reject);
    });
    // The script may have finished between the check above and the listeners.
    if global().filter(|api| !api.is_undefined()).is_none() {
        wasm_bindgen_futures::JsFuture::from(loaded)
            .await
            .map_err(|_| format!("the captcha script {} did not load", provider.script))?;
    }
    global().filter(|api| !api.is_undefined()).ok_or_else(|| {
        format!("the captcha script {} defined no {}", provider.script, provider.global)
    })
}

/// Calls `api.method(first, second)`.
fn call(
    api: &JsValue,
    method: &str,
    first: &JsValue,
    second: &JsValue,
) -> Result<JsValue, JsValue> {
    let function: js_sys::Function = js_sys::Reflect::get(api, &method.into())?.dyn_into()?;
    function.call2(api, first, second)
}
