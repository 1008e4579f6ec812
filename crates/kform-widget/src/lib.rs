//! The embeddable kform widget's WebAssembly: it takes over the form the relay rendered (shown
//! by `kform.js` before it arrived) and adds kintone's live validation and wording, pages,
//! conditional items, the confirmation, the captcha, files and sending with retries.
//!
//! - [`embed`]: the JavaScript-facing API (`takeOver`, `preview`, the handle's `unmount`).
//! - `form`: the takeover; the form's state and markup are `kform-view`'s, the same code the
//!   relay renders and checks the form with.
//! - `api`: the relay client; it never calls kintone. `captcha`: Turnstile and hCaptcha,
//!   through the providers' own scripts. `browser`: what only a browser can do.

mod api;
mod browser;
mod captcha;
pub mod embed;
mod form;

pub use embed::{FormHandle, mount_descriptor, preview, take_over};
pub use kform_view::state;
