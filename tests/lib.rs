//! The cross-crate test package: its tests live in `it/`, its fixtures in `fixtures/`, and the
//! browser tests in `e2e/`. This library itself is empty.
