//! The kform relay: serves form schemas, validates submissions again and forwards them to kintone.
//!
//! [`app`] builds the whole HTTP service from an [`AppState`]; it is also the seam tests use.
//! [`serve`] runs it from a [`config::Config`] (`kform serve`); `demo` runs the demo with a fake
//! kintone, only with the `demo` feature. The `kform` binary (`main.rs`) only parses the
//! command line.

mod accept;
mod captcha;
pub mod clock;
pub mod config;
pub mod delivery;
#[cfg(feature = "demo")]
pub mod demo;
mod error;
mod extract;
mod guard;
mod intake;
pub mod mail;
pub mod manage;
mod metrics;
mod notify;
mod outbound;
mod outbox;
mod postgres;
mod precompressed;
mod routes;
mod sealed;
pub mod secret;
pub mod serve;
mod signing;
mod state;
mod store;
pub mod theme;
mod widget;

pub use routes::app;
pub use state::{AppState, Source, StartError};
pub use store::StoreError;
