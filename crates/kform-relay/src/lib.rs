//! The kform relay: serves form schemas, validates submissions again and forwards them to kintone.
//!
//! [`app`] builds the whole HTTP service from an [`AppState`]; it is also the seam tests use.
//! The `kform` binary (`main.rs`) only parses the command line and runs [`demo`].

pub mod demo;
mod error;
mod extract;
mod fields;
mod routes;
mod state;

pub use routes::app;
pub use state::{AppState, FormEntry};
