//! The kintone fields panel: every field of the app in kintone's form order, writable ones
//! with an "add" button, the others greyed with the reason.

use super::*;

pub(super) fn reason_text(locale: Locale, reason: NotWritableReason) -> &'static str {
    match reason {
        NotWritableReason::System => Text::KeptByKintone.get(locale),
        NotWritableReason::Computed => Text::Computed.get(locale),
        NotWritableReason::Layout => Text::HoldsNoValue.get(locale),
        NotWritableReason::Unsupported => Text::TypeNotSupported.get(locale),
    }
}

pub(super) fn field_list(ctx: Ctx) -> El {
    let locale = ctx.locale;
    let rows = ctx.state.with(EditorState::field_rows);
    let lines = rows.into_iter().map(|row| {
        let required =
            row.required.then(|| el("span").class("kfe-required").text(Text::Required.get(locale)));
        let action = match row.state {
            FieldState::Addable => {
                let code = row.code.clone();
                let on_click = move |_| {
                    let added = ctx.state.try_update(|s| s.add_field(&code)).flatten();
                    ctx.selected.set(added);
                };
                button(Text::Add.get(locale), on_click)
                    .attr("aria-label", format!("{} {}", row.label, Text::AddSuffix.get(locale)))
            }
            FieldState::OnForm(_) => {
                el("span").class("kfe-on-form").text(Text::OnTheForm.get(locale))
            }
            FieldState::NotWritable(reason) => {
                el("span").class("kfe-reason").text(reason_text(locale, reason))
            }
        };
        let class = if matches!(row.state, FieldState::NotWritable(_)) {
            "kfe-field kfe-greyed"
        } else {
            "kfe-field"
        };
        el("li")
            .class(class)
            .child(el("span").class("kfe-field-label").text(&row.label))
            .child(el("code").text(&row.code))
            .child(el("span").class("kfe-type").text(&row.kintone_type))
            .child_opt(required)
            .child(action)
    });
    el("ul").class("kfe-fields").children(lines)
}
