//! The embeddable kform widget's WebAssembly: it takes over the form the relay rendered (shown
//! by `kform.js` before it arrived) and adds kintone's live validation and wording, pages,
//! conditional items, the confirmation, the captcha, files and sending with retries.
//!
//! - [`embed`]: the JavaScript-facing API (`takeOver`, `preview`, the handle's `unmount`).
//! - `form`: the takeover; the form's state and markup are `kform-view`'s, the same code the
//!   relay renders and checks the form with.
//! - `api`: the relay client; it never calls kintone. `browser`: what only a browser can do.
//!
//! The captcha's challenge is `kform.js`'s (`kform-captcha.js`, in both modes): it puts the
//! answer in the form's `kform_captcha_token` input, which the takeover reads like any input.
//!
//! The bundle every visitor downloads (`cargo xtask build-widget` builds it with the `bundle`
//! feature) links no std, nor do the crates it holds (`kform-core`, `kform-view`, `kform-dom`,
//! and serde, serde_json and wasm-bindgen's without their `std` feature). It brings its own
//! allocator and its own panic handler.
//!
//! `cargo xtask build-widget` builds the bundle four times, with each set of what few forms use:
//! subtable rows (the `rows` feature) and the confirmation screen (`confirm`; `extras` is both).
//! The lean `.wasm`, with neither, weighs about 3.3 KB (brotli) less than the whole one, the
//! rows build 1.3 KB less and the confirm build 1.8 KB less. The relay marks the markup of each form with the
//! build that has just what it uses (`kform_view::markup::WidgetBuild`), and `kform.js`
//! fetches that build for it. All use the one wasm-bindgen glue in `kform.js` (the build names
//! each partial one's imports as the whole one's). Given a form it cannot take over, a partial
//! build refuses, and the form stays basic.
//!
//! The allocator is talc (MIT), single-threaded, growing WebAssembly memory as it needs: it
//! weighs 1.6 KB (brotli) less in the `.wasm` than dlmalloc, the one std uses on wasm32, and
//! works like it (free blocks in size bins, neighbours merged when freed; near-constant time).
//!
//! The panic handler stops at once. With std's, a panic formats its message and where it
//! happened (a message nobody sees: std has no stderr on `wasm32-unknown-unknown`), and that
//! formatting, reachable from every slice, `unwrap` and `RefCell` in the code, kept about 7 KB
//! (brotli) of `core::fmt`, Unicode tables and panic strings in the `.wasm`. A panic ends the
//! same way in both: the `.wasm` traps and `kform.js` hears an error. Every other build (the
//! browser tests, a native check) links std as usual.

#![no_std]

extern crate alloc;
#[cfg(not(all(feature = "bundle", target_arch = "wasm32")))]
extern crate std;

#[cfg(all(feature = "bundle", target_arch = "wasm32"))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// The bundle's panic handler: it traps at once, as std's does after formatting its message.
#[cfg(all(feature = "bundle", target_arch = "wasm32"))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

mod api;
mod browser;
pub mod embed;
mod form;

pub use embed::{FormHandle, mount_descriptor, preview, take_over};
pub use kform_view::state;
