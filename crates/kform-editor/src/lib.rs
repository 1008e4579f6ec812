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
//! The preview is the real widget: `kform-editor.js` loads the relay's `kform.js` and calls
//! `KForm.preview` with the descriptor [`state::EditorState::descriptor`] builds.

pub mod state;

mod api;
mod app;
pub mod embed;
mod text;
mod view;

pub use embed::{EditorHandle, mount};
