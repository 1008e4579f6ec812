//! Browser tests of the view layer (headless Chromium, `cargo xtask test`): bindings follow
//! their signals, a region replaces what it built and disposes of it, a select keeps its value
//! across new options, and dropping the mount's owner stops everything.

use std::cell::Cell;
use std::rc::Rc;

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlInputElement, HtmlSelectElement};

use super::{El, Live, el, mount};

wasm_bindgen_test_configure!(run_in_browser);

/// Lets the render effects that signals woke run.
async fn tick() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let window = web_sys::window().unwrap();
        window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 10).unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

/// Mounts `root` into a fresh container; the owner must be kept while the test runs.
fn mounted(root: impl FnOnce() -> El) -> (Element, Owner) {
    let container = kform_dom::build(el("div"));
    let owner = mount(&container, root);
    (container, owner)
}

fn find<T: JsCast>(container: &Element, selector: &str) -> T {
    container.query_selector(selector).unwrap().unwrap().unchecked_into()
}

#[wasm_bindgen_test]
async fn bindings_follow_their_signals() {
    let name = RwSignal::new(String::from("a"));
    let on = RwSignal::new(false);
    let (container, _owner) = mounted(|| {
        el("p")
            .text("name: ")
            .text_with(move || name.get())
            .child(
                el("input")
                    .attr("type", "checkbox")
                    .attr_with("title", move || on.get().then(|| name.get()))
                    .flag_with("disabled", move || on.get())
                    .checked_with(move || on.get()),
            )
            .child(el("input").class("text").value_with(move || name.get()))
    });
    let check: HtmlInputElement = find(&container, "input[type=checkbox]");
    let text: HtmlInputElement = find(&container, "input.text");
    assert_eq!(container.text_content().unwrap(), "name: a");
    assert_eq!(
        (check.checked(), check.disabled(), check.get_attribute("title")),
        (false, false, None)
    );
    assert_eq!(text.value(), "a");

    name.set("b".into());
    on.set(true);
    tick().await;
    assert_eq!(container.text_content().unwrap(), "name: b");
    assert_eq!((check.checked(), check.disabled()), (true, true));
    assert_eq!(check.get_attribute("title").as_deref(), Some("b"));
    assert_eq!(text.value(), "b");
}

#[wasm_bindgen_test]
async fn a_region_replaces_what_it_built_and_disposes_of_it() {
    let count = RwSignal::new(1_usize);
    let label = RwSignal::new(String::from("x"));
    let runs = Rc::new(Cell::new(0));
    let clicks = Rc::new(Cell::new(0));
    let (container, _owner) = {
        let (runs, clicks) = (Rc::clone(&runs), Rc::clone(&clicks));
        mounted(move || {
            el("ul")
                .child(el("li").id("first"))
                .dynamic(move || {
                    let (runs, clicks) = (Rc::clone(&runs), Rc::clone(&clicks));
                    (0..count.get()).map(move |n| {
                        let runs = Rc::clone(&runs);
                        let clicks = Rc::clone(&clicks);
                        el("li")
                            .text_with(move || {
                                runs.set(runs.get() + 1);
                                format!("{n}{}", label.get())
                            })
                            .on("click", move |_| clicks.set(clicks.get() + 1))
                    })
                })
                .child(el("li").id("last"))
        })
    };
    let texts = || {
        let items = container.query_selector_all("li").unwrap();
        (0..items.length())
            .map(|i| items.get(i).unwrap().text_content().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(texts(), ["", "0x", ""]);
    assert_eq!(runs.get(), 1);

    count.set(3);
    tick().await;
    assert_eq!(
        texts(),
        ["", "0x", "1x", "2x", ""],
        "built again in its place, between its siblings"
    );
    assert_eq!(runs.get(), 4);

    // Only the bindings of the latest build still run: the first build's were disposed of.
    label.set("y".into());
    tick().await;
    assert_eq!(texts(), ["", "0y", "1y", "2y", ""]);
    assert_eq!(runs.get(), 7);

    // The listeners of the latest build answer; each element has exactly one.
    let second: web_sys::HtmlElement = find(&container, "li:nth-child(3)");
    second.click();
    assert_eq!(clicks.get(), 1);

    count.set(0);
    tick().await;
    assert_eq!(texts(), ["", ""]);
}

#[wasm_bindgen_test]
async fn a_select_keeps_its_fixed_options_and_takes_its_value_from_the_new_ones() {
    let codes = RwSignal::new(vec![String::from("a")]);
    let chosen = RwSignal::new(String::from("a"));
    let (container, _owner) = mounted(|| {
        el("div").child(
            el("select").child(el("option").attr("value", "").text("none")).options_with(
                move || codes.get().into_iter().map(|c| (c.clone(), c.to_uppercase())).collect(),
                move || chosen.get(),
            ),
        )
    });
    let select: HtmlSelectElement = find(&container, "select");
    assert_eq!((select.length(), select.value()), (2, String::from("a")));

    // The value names an option that only the new list has.
    codes.set(vec!["b".into(), "c".into()]);
    chosen.set("c".into());
    tick().await;
    assert_eq!(select.length(), 3);
    assert_eq!(select.value(), "c");
    assert_eq!(select.text_content().unwrap(), "noneBC");

    chosen.set(String::new());
    tick().await;
    assert_eq!(select.value(), "");
}

#[wasm_bindgen_test]
async fn dropping_the_owner_stops_every_binding() {
    let name = RwSignal::new(String::from("a"));
    let runs = Rc::new(Cell::new(0));
    let (container, owner) = {
        let runs = Rc::clone(&runs);
        mounted(move || {
            el("p").text_with(move || {
                runs.set(runs.get() + 1);
                name.get()
            })
        })
    };
    assert_eq!(runs.get(), 1);
    drop(owner);
    name.set("b".into());
    tick().await;
    assert_eq!(runs.get(), 1, "a disposed binding never runs again");
    assert_eq!(container.text_content().unwrap(), "a");
}
