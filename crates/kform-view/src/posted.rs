//! Reads a plain form's post (the markup of [`crate::markup`] sent by a browser, urlencoded or
//! multipart) into a [`FormState`]: each shown field gets exactly what its inputs sent (an
//! unchecked group sends nothing and becomes empty), subtables get the rows posted, and the
//! form's own inputs (render token, submission id, time zone, honeypot, captcha answer, a row
//! button) are returned. Names the form does not have, and a name repeated where one value is
//! expected, are refused: such a post did not come from the form.

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::string::ToString;
use alloc::vec::Vec;

use kform_core::field::FieldKind;
use kform_core::{Shape, Value};

use crate::markup::names;
use crate::state::{FormState, Slot, split_codes, with_offset};

/// The offset used for a date-time when the post does not say the visitor's (no script ran):
/// Japan time, kintone's home, in minutes west of UTC as JavaScript counts them.
pub const DEFAULT_OFFSET_WEST_MINUTES: i32 = -540;

/// The form's own inputs in a post.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Posted {
    /// The render token sent back.
    pub render_token: Option<String>,
    /// The submission's id, when the form had one.
    pub submission_id: Option<String>,
    /// What the honeypot held.
    pub honeypot: String,
    /// A row button pressed instead of sending.
    pub action: Option<Action>,
    /// The captcha's answer: `None` when the post had no such input (no script showed the
    /// challenge), empty when the challenge was not answered.
    pub captcha_token: Option<String>,
}

/// A subtable's row button, which posts the form to change its rows rather than to send it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Adds a row at the end of the subtable.
    AddRow(String),
    /// Removes the row (from 0) of the subtable.
    RemoveRow(String, usize),
}

/// Why a post was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PostError {
    /// A name that is not one of the form's inputs.
    // Quoted by hand: `{:?}` would bring Rust's string escaping and its Unicode tables into the
    // widget's `.wasm`.
    #[error("the form has no input named \"{0}\"")]
    UnknownName(String),
    /// A name sent several times where the form has one value.
    #[error("the input \"{0}\" was sent more than once")]
    Repeated(String),
    /// A row button's value that names no row of the form.
    #[error("\"{0}\" is not one of the form's buttons")]
    BadAction(String),
}

/// The most rows a post may give a subtable: more than any person types, fewer than would make
/// rendering the answer costly.
pub const MAX_ROWS: usize = 500;

/// Applies the posted `pairs` (name, value; in order, decoded) to `state`, a fresh form.
pub fn apply(state: &mut FormState, pairs: &[(String, String)]) -> Result<Posted, PostError> {
    let mut posted = Posted::default();
    let mut offset = DEFAULT_OFFSET_WEST_MINUTES;
    let descriptor = state.shared_descriptor();
    let fields = &descriptor.fields.fields;
    let shown = shown_fields(&descriptor);
    // Which of the app's fields (by their index in key order) the form shows.
    let mut is_shown = alloc::vec![false; fields.len()];
    for field in &shown {
        if let Some(at) = fields.index_of(field.code.as_str()) {
            is_shown[at] = true;
        }
    }
    // What each shown field's inputs sent, by the same index, and each cell's input (its
    // subtable's index, its row and column, the pair), which waits for the subtable's row
    // count. Each name is placed by parsing it and searching the sorted fields, not kept in a
    // map of names: a map type is code the widget's `.wasm` would carry for this alone.
    let mut sent: Vec<Vec<String>> = (0..fields.len()).map(|_| Vec::new()).collect();
    let mut cells: Vec<(usize, usize, usize, &(String, String))> = Vec::new();
    for pair in pairs {
        let (name, value) = pair;
        let single = |slot: &mut Option<String>| {
            if slot.is_some() {
                return Err(PostError::Repeated(name.clone()));
            }
            *slot = Some(value.clone());
            Ok(())
        };
        match name.as_str() {
            names::RENDER_TOKEN => single(&mut posted.render_token)?,
            names::SUBMISSION_ID => single(&mut posted.submission_id)?,
            names::CAPTCHA_TOKEN => single(&mut posted.captcha_token)?,
            names::HONEYPOT => posted.honeypot.push_str(value),
            names::TIME_ZONE => {
                if let Ok(minutes) = value.parse::<i32>()
                    && minutes.abs() <= 16 * 60
                {
                    offset = minutes;
                }
            }
            name if names::PROVIDER_ANSWERS.contains(&name) => {}
            names::ACTION => {
                if posted.action.is_some() {
                    return Err(PostError::Repeated(name.clone()));
                }
                posted.action = Some(action(state, value)?);
            }
            _ => match place(fields, &is_shown, name) {
                Some(Place::Field(at)) => sent[at].push(value.clone()),
                Some(Place::Cell { table, row, column }) => cells.push((table, row, column, pair)),
                None => return Err(PostError::UnknownName(name.clone())),
            },
        }
    }
    posted.submission_id = posted.submission_id.filter(|id| !id.is_empty());
    posted.render_token = posted.render_token.filter(|token| !token.is_empty());
    // The state sends the answer the page holds (the widget taking over a form whose challenge
    // was answered before its `.wasm` arrived).
    state.set_captcha_token(posted.captcha_token.clone().filter(|token| !token.is_empty()));
    for field in shown {
        let Some(at) = fields.index_of(field.code.as_str()) else { continue };
        let code = field.code.as_str().to_owned();
        let texts = core::mem::take(&mut sent[at]);
        match &field.kind {
            FieldKind::Subtable { fields: columns } => {
                let rows = match texts.as_slice() {
                    [] => 0,
                    [count] => count.parse::<usize>().unwrap_or(0).min(MAX_ROWS),
                    _ => return Err(PostError::Repeated(code)),
                };
                while state.row_count(&code) < rows {
                    state.add_row(&code);
                }
                while state.row_count(&code) > rows {
                    state.remove_row(&code, rows);
                }
                // Each cell's inputs, row by row, column by column; a row past the count is
                // not one the form has.
                let width = columns.len();
                let mut grid: Vec<Vec<String>> = (0..rows * width).map(|_| Vec::new()).collect();
                for &(table, row, column, (name, value)) in &cells {
                    if table != at {
                        continue;
                    }
                    // The row is checked first: a name's row may be any number, and the
                    // product of a huge one would overflow.
                    let cell = (row < rows).then(|| row * width + column);
                    let Some(cell) = cell.and_then(|at| grid.get_mut(at)) else {
                        return Err(PostError::UnknownName(name.clone()));
                    };
                    cell.push(value.clone());
                }
                for row in 0..rows {
                    for (column, (inner_code, inner)) in columns.iter().enumerate() {
                        let texts = core::mem::take(&mut grid[row * width + column]);
                        let slot =
                            Slot::Cell { table: code.clone(), row, code: inner_code.to_string() };
                        set(state, slot, inner, texts, offset)?;
                    }
                }
            }
            _ => set(state, Slot::Field(code), field, texts, offset)?,
        }
    }
    state.set_honeypot(posted.honeypot.clone());
    state.set_render_token(posted.render_token.clone());
    state.set_submission_id(posted.submission_id.clone());
    Ok(posted)
}

/// Where a posted input goes.
enum Place {
    /// A field's inputs: its index among the app's fields in key order.
    Field(usize),
    /// A cell's: its subtable's index among the app's fields, its row, and its column's index
    /// among the subtable's fields.
    Cell { table: usize, row: usize, column: usize },
}

/// Where the input named `name` goes in a form that shows the app's `fields` `is_shown` marks:
/// a shown field's code, or `table[row].code` for a cell of a shown subtable, written as the
/// form writes it (so `明細[01].品名` is no name of it). `None` for any other name.
fn place(
    fields: &kform_core::SortedMap<kform_core::FieldCode, kform_core::Field>,
    is_shown: &[bool],
    name: &str,
) -> Option<Place> {
    let shown = |code: &str| fields.index_of(code).filter(|&at| is_shown[at]);
    match Slot::from_key(name) {
        Slot::Field(code) => shown(&code).map(Place::Field),
        Slot::Cell { table, row, code } => {
            let at = shown(&table)?;
            let FieldKind::Subtable { fields: columns } = &fields.get(table.as_str())?.kind else {
                return None;
            };
            let column = columns.index_of(code.as_str())?;
            let canonical = Slot::Cell { table, row, code }.key() == name;
            canonical.then_some(Place::Cell { table: at, row, column })
        }
    }
}

/// The fields the form shows (writable ones).
fn shown_fields(descriptor: &kform_core::protocol::FormDescriptor) -> Vec<&kform_core::Field> {
    descriptor
        .form
        .items
        .iter()
        .filter(|item| item.is_shown())
        .filter_map(|item| descriptor.fields.get(item.field.as_ref()?.as_str()))
        .filter(|field| field.is_writable())
        .collect()
}

/// Sets what the inputs at `slot` sent. Files arrive as parts of their own, and a plain
/// urlencoded post sends only their names, so FILE fields are left to the caller.
fn set(
    state: &mut FormState,
    slot: Slot,
    field: &kform_core::Field,
    texts: Vec<String>,
    offset: i32,
) -> Result<(), PostError> {
    let shape = field.kind.shape();
    if matches!(shape, Some(Shape::Files)) || !field.is_writable() {
        return Ok(());
    }
    if texts.len() > 1 && !matches!(shape, Some(Shape::List | Shape::Entities)) {
        return Err(PostError::Repeated(slot.key()));
    }
    // A browser posts a textarea's line breaks as CRLF whatever was typed; the widget sends
    // them as typed (LF), and so does this.
    let texts = texts.into_iter().map(|text| lf_line_breaks(&text)).collect();
    let mut value = posted_value(field, texts);
    if let (FieldKind::DateTime { .. }, Value::Text(local)) = (&field.kind, &mut value) {
        *local = with_offset(local, offset);
    }
    if state.value(slot.clone()) != Some(&value) {
        state.edit(slot, value);
    }
    Ok(())
}

/// Reads a row button's value: `add:<table>` or `remove:<table>:<row>`.
fn action(state: &FormState, value: &str) -> Result<Action, PostError> {
    let bad = || PostError::BadAction(value.to_owned());
    let is_table = |code: &str| {
        shown_fields(state.descriptor()).iter().any(|field| {
            field.code.as_str() == code && matches!(field.kind, FieldKind::Subtable { .. })
        })
    };
    if let Some(table) = value.strip_prefix("add:") {
        return is_table(table).then(|| Action::AddRow(table.to_owned())).ok_or_else(bad);
    }
    let (table, row) =
        value.strip_prefix("remove:").and_then(|rest| rest.rsplit_once(':')).ok_or_else(bad)?;
    let row = row.parse::<usize>().map_err(|_| bad())?;
    is_table(table).then(|| Action::RemoveRow(table.to_owned(), row)).ok_or_else(bad)
}

impl Action {
    /// Carries out the button's change on `state`.
    pub fn apply(&self, state: &mut FormState) {
        match self {
            Self::AddRow(table) if state.row_count(table) < MAX_ROWS => state.add_row(table),
            Self::AddRow(_) => {}
            Self::RemoveRow(table, row) => state.remove_row(table, *row),
        }
    }
}

/// What the inputs of `field` sent, as its value: one text, a list's options, or selection
/// codes typed with commas (or checked).
fn posted_value(field: &kform_core::Field, texts: Vec<String>) -> Value {
    match field.kind.shape() {
        Some(kform_core::Shape::List) => Value::List(texts),
        Some(kform_core::Shape::Entities) => {
            Value::Entities(texts.iter().flat_map(|text| split_codes(text)).collect())
        }
        _ => Value::Text(texts.into_iter().next().unwrap_or_default()),
    }
}

/// `text` with each CRLF as LF (a lone CR stays), char by char: `str::replace` of a string
/// would bring the standard library's substring search into the widget's `.wasm`.
fn lf_line_breaks(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if !(c == '\r' && chars.peek() == Some(&'\n')) {
            out.push(c);
        }
    }
    out
}
