//! What only the browser can tell or do: the visitor's time zone, and moving the focus.

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use wasm_bindgen::JsCast;
use web_sys::Element;

use crate::state::with_offset;

/// A `datetime-local` value (`YYYY-MM-DDTHH:MM`, the visitor's time) as kintone takes it, with
/// the offset the visitor's zone has on that date.
pub(crate) fn to_kintone(local: &str) -> String {
    let date = js_sys::Date::new(&local.into());
    let offset = date.get_timezone_offset();
    if offset.is_nan() {
        return local.to_owned();
    }
    with_offset(local, offset as i32)
}

/// A kintone date-time (or one with any offset) as the visitor's `YYYY-MM-DDTHH:MM`; empty when
/// it is not a date-time.
pub(crate) fn to_local(value: &str) -> String {
    if value.is_empty() {
        return String::new();
    }
    let date = js_sys::Date::new(&value.into());
    if date.get_time().is_nan() {
        return String::new();
    }
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        date.get_full_year(),
        date.get_month() + 1,
        date.get_date(),
        date.get_hours(),
        date.get_minutes()
    )
}

/// The element an event happened on.
pub(crate) fn event_element(event: &web_sys::Event) -> Option<Element> {
    event.target().and_then(|target| target.dyn_into::<Element>().ok())
}

/// Waits `ms` milliseconds.
pub(crate) async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// The files chosen in a file input.
pub(crate) fn files_of(input: &Element) -> Vec<web_sys::File> {
    let Some(list) = input.dyn_ref::<web_sys::HtmlInputElement>().and_then(|input| input.files())
    else {
        return Vec::new();
    };
    (0..list.length()).filter_map(|index| list.get(index)).collect()
}

/// A file's size in bytes.
pub(crate) fn file_size(file: &web_sys::File) -> u64 {
    // A size is a whole number of bytes, far below 2^53.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "see above")]
    let size = file.size() as u64;
    size
}
