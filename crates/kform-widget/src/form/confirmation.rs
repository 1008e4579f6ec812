//! The confirmation screen: what few forms use, only in the builds of the `.wasm` with the
//! `confirm` feature (`kform_view::markup::WidgetBuild`).

use alloc::string::String;

use kform_view::markup;
use kform_view::state::FormState;

use super::{Form, elements, set_hidden};

impl Form {
    /// The confirmation screen: shown with the answers while the state confirms, else emptied.
    pub(super) fn show_confirmation(&self, state: &FormState, confirming: bool) {
        if let Some(confirm) = self.one(".kform-confirm") {
            set_hidden(&confirm, !confirming);
            let html =
                if confirming { elements(markup::confirmation(state)) } else { String::new() };
            self.region(".kform-confirm", &html);
        }
    }
}
