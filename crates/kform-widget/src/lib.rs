//! The embeddable kform widget: a Leptos (client-side rendering) form compiled to WebAssembly.
//!
//! - [`embed`]: the JavaScript-facing API (`mount`, `mountDescriptor`, the handle's `unmount`),
//!   Shadow DOM and host-element events.
//! - [`state`]: the form's state as a plain struct (values, touched fields, problems, sending),
//!   tested natively; components only render it.
//! - `app` and `fields`: the Leptos components. `api`: the relay client; it never calls kintone.
//!   `captcha`: Turnstile and hCaptcha challenges, through the providers' own scripts.
//!
//! Every rule comes from `kform-core`, the same code the relay runs.

mod api;
mod app;
mod browser;
mod captcha;
pub mod embed;
mod fields;
pub use kform_view::state;

pub use embed::{FormHandle, mount, mount_descriptor};
