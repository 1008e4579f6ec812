//! Browser tests: the widget mounted into a shadow root in headless Chromium.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, reason = "a failed step should fail the test loudly")]

use kform_core::AppFields;
use kform_core::protocol::FormDescriptor;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{HtmlElement, HtmlInputElement, ShadowRoot};

wasm_bindgen_test_configure!(run_in_browser);

const FIELDS: &str = include_str!("../../../tests/fixtures/kintone/contact-fields.json");

fn descriptor() -> String {
    let form = serde_json::json!({ "format": 1, "id": "t", "app": 1, "items": [
        { "field": "会社名", "label": "Company" }, { "field": "種別" }, { "field": "フォーム識別", "hidden": "x" }
    ]});
    let form: kform_core::FormSpec = serde_json::from_value(form).unwrap();
    let fields = AppFields::from_kintone_json(FIELDS).unwrap().subset(form.field_codes());
    serde_json::to_string(&FormDescriptor { form, fields, captcha: None, upload_limit_bytes: None })
        .unwrap()
}

async fn tick() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let window = web_sys::window().unwrap();
        window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 20).unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

/// Fires `name` at `target` as a browser does for a visitor: bubbling, so the form hears it.
fn fire(target: &web_sys::EventTarget, name: &str) {
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    target.dispatch_event(&web_sys::Event::new_with_event_init_dict(name, &init).unwrap()).unwrap();
}

fn host() -> HtmlElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let host: HtmlElement = document.create_element("div").unwrap().unchecked_into();
    document.body().unwrap().append_child(&host).unwrap();
    host
}

fn shadow(host: &HtmlElement) -> ShadowRoot {
    host.shadow_root().expect("the widget renders in an open shadow root")
}

fn text(host: &HtmlElement) -> String {
    shadow(host).text_content().unwrap_or_default()
}

#[wasm_bindgen_test]
async fn renders_in_shadow_dom_and_shows_kintone_messages() {
    let host = host();
    let mut handle =
        kform_widget::mount_descriptor(host.clone(), &descriptor(), Some("ja".into())).unwrap();
    tick().await;
    let root = shadow(&host);
    assert!(root.query_selector("form").unwrap().is_some());
    assert!(host.query_selector("form").unwrap().is_none(), "nothing leaks into the light DOM");
    assert!(text(&host).contains("Company"));
    assert!(!text(&host).contains("必須です。"), "no message before anything was touched");

    let button: HtmlElement =
        root.query_selector("button[type=submit]").unwrap().unwrap().unchecked_into();
    button.click();
    tick().await;
    assert!(text(&host).contains("必須です。"), "{}", text(&host));

    let input: HtmlInputElement =
        root.query_selector(".kform-input").unwrap().unwrap().unchecked_into();
    input.set_value(&"あ".repeat(65));
    fire(&input, "input");
    tick().await;
    assert!(text(&host).contains("65文字より短くなければなりません。"), "{}", text(&host));
    assert_eq!(input.get_attribute("aria-invalid").as_deref(), Some("true"));

    input.set_value("ACME");
    fire(&input, "input");
    tick().await;
    button.click();
    tick().await;
    assert!(
        text(&host).contains("送信しました"),
        "a preview shows the thank-you message: {}",
        text(&host)
    );

    handle.unmount();
    tick().await;
    assert!(root.query_selector(".kform").unwrap().is_none(), "unmount removes the form");
}

#[wasm_bindgen_test]
async fn pages_and_the_confirmation_render_and_move_the_focus() {
    let form = serde_json::json!({ "format": 1, "id": "t", "app": 1, "confirm": true, "items": [
        { "field": "会社名", "label": "Company" },
        { "page_break": true, "label": "Interests" },
        { "field": "関心" }
    ]});
    let form: kform_core::FormSpec = serde_json::from_value(form).unwrap();
    let fields = AppFields::from_kintone_json(FIELDS).unwrap().subset(form.field_codes());
    let descriptor = FormDescriptor { form, fields, captcha: None, upload_limit_bytes: None };
    let host = host();
    let _handle = kform_widget::mount_descriptor(
        host.clone(),
        &serde_json::to_string(&descriptor).unwrap(),
        Some("en".into()),
    )
    .unwrap();
    tick().await;
    let root = shadow(&host);
    let submit = || -> HtmlElement {
        root.query_selector("button[type=submit]").unwrap().unwrap().unchecked_into()
    };
    assert!(text(&host).contains("Step 1 / 2"), "{}", text(&host));
    assert_eq!(submit().text_content().as_deref(), Some("Next"));
    let back: HtmlElement = root.query_selector(".kform-back").unwrap().unwrap().unchecked_into();
    assert!(back.hidden(), "no Back on the first page");
    let input: HtmlInputElement =
        root.query_selector(".kform-input").unwrap().unwrap().unchecked_into();
    input.set_value("ACME");
    fire(&input, "input");
    submit().click();
    tick().await;
    let page =
        |n: usize| root.query_selector(&format!("[data-kform-page=\"{n}\"]")).unwrap().unwrap();
    let shown = |n: usize| !page(n).has_attribute("hidden");
    assert!(shown(1) && page(1).text_content().unwrap().contains("Step 2 / 2 Interests"));
    let first_page = root.query_selector("[data-kform-page=\"0\"]").unwrap().unwrap();
    assert!(first_page.has_attribute("hidden"), "the first page's items are hidden");
    let focused = root.active_element().map(|element| element.class_name());
    assert_eq!(focused.as_deref(), Some("kform-step"), "the new page's heading has the focus");
    assert_eq!(submit().text_content().as_deref(), Some("Review"));
    let interest: HtmlInputElement =
        root.query_selector("input[type=checkbox]").unwrap().unwrap().unchecked_into();
    interest.click();
    submit().click();
    tick().await;
    let confirmation = root.query_selector(".kform-confirm").unwrap().expect("the answers");
    let listed = confirmation.text_content().unwrap_or_default();
    assert!(listed.contains("Company") && listed.contains("ACME"), "{listed}");
    assert_eq!(submit().text_content().as_deref(), Some("Send"));
    back.click();
    tick().await;
    assert!(root.query_selector(".kform-confirm").unwrap().unwrap().has_attribute("hidden"));
    assert!(shown(1) && !shown(0), "back to the last page");
}

#[wasm_bindgen_test]
fn json_tree_gives_the_tree_serde_json_reads() {
    // Floats are read by the browser's `JSON.parse`, the rest by kform's parser.
    let text = r#"{"fields": {"金額": {"max": 9007199254740992, "min": -12, "scale": 1.5}},
        "items": ["\u00e9\ud83d\ude00 \"q\"", true, null, [], {}, -0, 0.25, 1e3], "a": 0}"#;
    let expected: serde_json::Value = serde_json::from_str(text).unwrap();
    assert_eq!(kform_dom::json_tree(text), Some(expected));
    assert_eq!(kform_dom::json_tree("{\"a\": "), None, "not JSON");
}

#[wasm_bindgen_test]
fn build_makes_the_elements_the_html_says_and_runs_each_hook_in_its_place() {
    use kform_view::html::el;
    use std::cell::RefCell;
    use std::rc::Rc;

    let seen = Rc::new(RefCell::new(Vec::new()));
    let (early, late) = (Rc::clone(&seen), Rc::clone(&seen));
    let tree = el("p")
        .class("x")
        .flag("hidden", true)
        .attr("title", "a \"quoted\" <title>")
        .text("one < two")
        .hook(kform_dom::hook(move |parent| early.borrow_mut().push(parent.inner_html())))
        .child(el("b").text("&"))
        .hook(kform_dom::hook(move |parent| late.borrow_mut().push(parent.tag_name())));
    let html = tree.to_html();
    let built = kform_dom::build(tree);

    // The same tree written as HTML and built as elements gives the same elements.
    let parsed = web_sys::window().unwrap().document().unwrap().create_element("div").unwrap();
    parsed.set_inner_html(&html);
    assert_eq!(built.outer_html(), parsed.inner_html());
    assert_eq!(built.get_attribute("hidden").as_deref(), Some(""));
    assert_eq!(built.get_attribute("title").as_deref(), Some("a \"quoted\" <title>"));
    assert_eq!(built.text_content().as_deref(), Some("one < two&"));
    // Each hook ran with its parent, once the children before it were there.
    assert_eq!(*seen.borrow(), ["one &lt; two", "P"]);
}
