//! kintone field model, form definitions, validation and record building.
//!
//! This crate performs no I/O and has no platform dependencies: it builds for
//! `wasm32-unknown-unknown` (used by the widget) and natively (used by the relay), so the browser
//! and the relay give the same verdict on the same input.
//!
//! - [`field`]: what a kintone app's fields are ([`Field`], [`FieldKind`]).
//! - [`kintone`]: kintone's JSON in and out (fields.json, error bodies, record JSON).
//! - [`form`]: what a form author chooses ([`FormSpec`]); [`lint()`] checks it against the app.
//! - [`validate()`]: values in, a [`Valid<Record>`] or a [`Report`] of every problem out.
//! - [`number`], [`datetime`], [`text`]: kintone's number, date and link formats.
//! - [`message`]: problems rendered in kintone's wording, in Japanese or English.
//! - [`protocol`]: the JSON bodies exchanged by the widget and the relay.
//! - [`read`]: kform's JSON read by hand from a JSON tree, with where a problem is.

// Built without std, as the widget is (`kform-widget/src/lib.rs` says why); tests use std.
#![cfg_attr(not(test), no_std)]
#![deny(missing_docs)]

extern crate alloc;

pub mod datetime;
pub mod field;
pub mod form;
pub mod kintone;
pub mod lint;
pub mod map;
pub mod message;
pub mod number;
pub mod protocol;
pub mod read;
pub mod record;
pub mod report;
mod tagged;
pub mod text;
pub mod validate;
pub mod value;
pub mod write;

pub use field::{
    AppFields, AppId, Choice, Field, FieldCode, FieldKind, NumberLimits, Shape, TextLimits,
};
pub use form::{
    Capture, FormId, FormItem, FormSpec, InputHint, OnSuccess, OptionLabels, ReplyTo, ShowIf,
    reply_to,
};
pub use lint::{LintIssue, LintProblem, Severity, has_errors, lint};
pub use map::SortedMap;
pub use message::Locale;
pub use record::{Record, RecordValue, Valid};
pub use report::{Issue, IssueCode, Report};
pub use validate::validate;
pub use value::{Value, Values};

#[cfg(test)]
mod tests;
