//! The only crate that speaks HTTP to kintone.
//!
//! [`Client`] builds every kintone URL and auth header, applies timeouts, and turns kintone's
//! answers into `kform-core` types: `fields.json` into `AppFields`, error bodies into
//! [`KintoneError::Api`] (whose [`ErrorBody`] maps onto form fields). Credentials travel as
//! [`ApiToken`] / [`Password`], which never print their secret.

mod auth;
mod client;
mod error;

pub use auth::{ApiToken, Auth, Password};
pub use client::{AddedRecord, Call, Client, Observer, Options, Permission};
pub use error::KintoneError;
pub use kform_core::kintone::ErrorBody;
