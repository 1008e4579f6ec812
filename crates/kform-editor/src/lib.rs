//! The embeddable kform editor: a client-side screen on Leptos's reactive system, compiled to
//! WebAssembly, that builds a form from a kintone app's fields and saves it on the relay.
//!
//! - [`state`]: the app's fields and the form being built as a plain struct, tested natively;
//!   lint, the preview's descriptor and the embed snippet come from it.
//! - `api`: the relay's admin API, called with a short-lived editor token (never an admin key
//!   or a kintone credential). `app`: the screens. `view`: the small view layer they are
//!   built with (DOM elements kept in step with Leptos signals). `embed`: `mount` for
//!   JavaScript.
//!
//! - [`delivery`] and [`mail_view`]: the delivery and mail views, built into their own bundle
//!   (`kform-delivery`) that the editor loads when one of them is opened.
//!
//! The preview is what a visitor gets: `kform-editor.js` sends the descriptor
//! [`state::EditorState::descriptor`] builds to the relay (`POST /v1/admin/preview`), which
//! renders it as an embedded form's markup, and shows that with the relay's `kform.js`
//! (`KForm.preview`), whose WebAssembly takes it over without ever sending.

// Built for `kform-delivery` alone, the admin API, the texts and the views the editor's screens
// use are not used.
#![cfg_attr(
    not(feature = "editor"),
    allow(dead_code, reason = "the delivery bundle uses part of the editor's modules")
)]

pub mod state;

mod api;
#[cfg(feature = "editor")]
mod app;
pub mod delivery;
#[cfg(feature = "editor")]
pub mod embed;
pub mod mail_view;
mod text;
mod view;

#[cfg(feature = "editor")]
pub use embed::{EditorHandle, mount};
