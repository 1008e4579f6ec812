//! The visitor's form as plain Rust, shared by the relay and the widget: its state
//! ([`state::FormState`], every rule of what the visitor sees), its HTML ([`markup`], the one
//! definition of the form's elements) and the reading of a plain form's post ([`posted`]).
//!
//! No I/O and no browser: the relay renders the form with it, the widget's WebAssembly drives
//! the same markup in the browser, and both are tested natively.

// Built without std, as the widget is (`kform-widget/src/lib.rs` says why); tests use std.
#![cfg_attr(not(test), no_std)]

extern crate alloc;

pub mod html;
pub mod markup;
pub mod posted;
pub mod state;
pub mod style;

pub use state::{Advance, FormState, Slot, Status, SubmitError};
