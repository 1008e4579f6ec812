//! Cross-crate tests, one module per concern.
#![allow(clippy::unwrap_used, reason = "a failed step should fail the test loudly")]

mod contract;
mod properties;
mod verdicts;
