//! A subtable's rows, added, removed and moved in the page: what few forms use, only in the
//! builds of the `.wasm` with the `rows` feature (`kform_view::markup::WidgetBuild`).

use alloc::format;
use alloc::string::ToString;
use alloc::vec::Vec;

use kform_view::markup;
use kform_view::state::FormState;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};

use super::{Form, css_string, has_class, local_times, names};

impl Form {
    /// A subtable's row button (`add:明細`, `remove:明細:2`), clicked.
    pub(super) fn row_button(&self, action: &str) {
        if let Some(table) = action.strip_prefix("add:") {
            self.state.borrow_mut().add_row(table);
            self.render();
            // The focus moves into the new row.
            let first = self
                .root
                .query_selector(&format!(
                    "[data-kform-rows=\"{}\"] > .kform-row:last-child",
                    css_string(table)
                ))
                .ok()
                .flatten()
                .and_then(|row| row.query_selector("input, select, textarea").ok().flatten());
            if let Some(first) = first.and_then(|first| first.dyn_into::<HtmlElement>().ok()) {
                let _ = first.focus();
            }
        } else if let Some((table, row)) =
            action.strip_prefix("remove:").and_then(|rest| rest.rsplit_once(':'))
            && let Ok(row) = row.parse()
        {
            self.remove_row(table, row);
            self.state.borrow_mut().remove_row(table, row);
            self.render();
        }
    }

    /// Brings a subtable's rows (`rows`, the element holding them) to as many as the state
    /// has: a new row is the relay's row template (`<template data-kform-row>`, the row a new
    /// row starts as) moved to its place, so the `.wasm` renders no input itself; rows past the
    /// count go. The rows already there are kept as they are, with what the visitor typed and
    /// the focus.
    pub(super) fn fit_rows(&self, rows: &Element, state: &FormState) {
        let table = rows.get_attribute("data-kform-rows").unwrap_or_default();
        let count = state.row_count(&table);
        if let Some(input) = rows.first_element_child() {
            let count = count.to_string();
            if input.get_attribute("value").as_deref() != Some(count.as_str()) {
                let _ = input.set_attribute("value", &count);
            }
        }
        let mut shown = row_elements(rows);
        while shown.len() > count {
            if let Some(extra) = shown.pop() {
                extra.remove();
            }
        }
        if shown.len() == count {
            return;
        }
        let selector = format!("template[data-kform-row=\"{}\"]", css_string(&table));
        let Some(template) = self.one(&selector) else { return };
        let html = template.inner_html();
        for row in shown.len()..count {
            let _ = rows.insert_adjacent_html("beforeend", &html);
            if let Some(added) = rows.last_element_child() {
                move_row(&added, &table, row, state);
                // A default date-time in the new row, in the visitor's time zone.
                let _ = local_times(&added, state);
            }
        }
    }

    /// Takes row `row` of `table` out of the page before the state does, and moves the rows
    /// after it up one, with what was typed in them.
    fn remove_row(&self, table: &str, row: usize) {
        let selector = format!("[data-kform-rows=\"{}\"]", css_string(table));
        let Some(rows) = self.one(&selector) else { return };
        let Ok(state) = self.state.try_borrow() else { return };
        for (index, element) in row_elements(&rows).into_iter().enumerate().skip(row) {
            if index == row {
                element.remove();
            } else {
                move_row(&element, table, index - 1, &state);
            }
        }
    }
}

/// The rows (`fieldset.kform-row`) in a subtable's rows element.
fn row_elements(rows: &Element) -> Vec<Element> {
    let mut found = Vec::new();
    let mut next = rows.first_element_child();
    while let Some(element) = next {
        next = element.next_element_sibling();
        if element.tag_name() == "FIELDSET" {
            found.push(element);
        }
    }
    found
}

/// Makes the row element `element` of `table` row `row`: its ids, names, slots, action and
/// remove button's name ([`markup::moved_attribute`]) and its legend.
fn move_row(element: &Element, table: &str, row: usize, state: &FormState) {
    let Ok(inside) = element.query_selector_all("*") else { return };
    for node in (0..inside.length()).filter_map(|index| inside.get(index)) {
        let Ok(inner) = node.dyn_into::<Element>() else { continue };
        if has_class(&inner, "kform-row-label") {
            inner.set_text_content(Some(&markup::row_name(state, row)));
            continue;
        }
        let action = inner.get_attribute("name").as_deref() == Some(names::ACTION);
        for name in markup::ROW_ATTRIBUTES {
            let Some(value) = inner.get_attribute(name) else { continue };
            if let Some(moved) = markup::moved_attribute(state, table, row, action, name, &value) {
                let _ = inner.set_attribute(name, &moved);
            }
        }
    }
}
