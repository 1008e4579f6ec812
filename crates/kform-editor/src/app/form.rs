//! The form's own settings: language, after sending, origins, keys, confirmation, captcha,
//! test mode.

use super::*;

/// The form's own settings, added to `panel`.
pub(super) fn form_settings(ctx: Ctx, panel: El) -> El {
    let locale = ctx.locale;
    let spec_text = move |f: fn(&Draft) -> String| {
        move || ctx.state.with(|s| s.draft.as_ref().map(f).unwrap_or_default())
    };
    let set = move |edit: FormEdit| ctx.state.update(|s| s.edit_form(edit));
    let flag = move |get: fn(&Draft) -> bool| {
        move || ctx.state.with(|s| s.draft.as_ref().is_some_and(get))
    };
    let success_text = spec_text(|d| match &d.spec.on_success {
        OnSuccess::Message(text) => text.clone(),
        _ => String::new(),
    });
    let redirect_text = spec_text(|d| match &d.spec.on_success {
        OnSuccess::Redirect(url) => url.clone(),
        _ => String::new(),
    });
    let on_message = move |ev: Event| {
        let text = target_value(&ev);
        set(FormEdit::OnSuccess(if text.trim().is_empty() {
            OnSuccess::Thanks
        } else {
            OnSuccess::Message(text)
        }));
    };
    let on_redirect = move |ev: Event| {
        let url = target_value(&ev);
        set(FormEdit::OnSuccess(if url.trim().is_empty() {
            OnSuccess::Thanks
        } else {
            OnSuccess::Redirect(url.trim().to_owned())
        }));
    };
    // A select of the app's unique fields (or none), for the update key or the idempotency field.
    let key_select = |current: fn(&Draft) -> String,
                      candidates: fn(&EditorState) -> Vec<String>,
                      edit: fn(String) -> FormEdit| {
        let options = move || code_options(ctx.state.with(candidates));
        choice(Text::None.get(locale), options, spec_text(current))
            .on("change", move |ev| set(edit(target_value(&ev))))
    };
    let check = |id: &str, text: &str, get: fn(&Draft) -> bool, edit: fn(bool) -> FormEdit| {
        let input = el("input")
            .attr("type", "checkbox")
            .checked_with(flag(get))
            .on("change", move |ev| set(edit(target_checked(&ev))));
        checkbox(id, text, input)
    };
    let lang = el("select")
        .child(option("ja", "日本語"))
        .child(option("en", "English"))
        .value_with(spec_text(|d| {
            if d.spec.default_lang == Locale::En { "en".into() } else { "ja".into() }
        }))
        .on("change", move |ev| {
            let lang = if target_value(&ev) == "en" { Locale::En } else { Locale::Ja };
            set(FormEdit::Lang(lang));
        });
    panel
        .child(
            el("p")
                .class("kfe-form-id")
                .text(Text::FormId.get(locale))
                .text(" ")
                .child(el("code").text_with(spec_text(|d| d.spec.id.0.clone()))),
        )
        .children(labelled("kfe-f-lang", Text::Language.get(locale), lang))
        .children(labelled(
            "kfe-f-message",
            Text::ThanksMessage.get(locale),
            text_input().value_with(success_text).on("change", on_message),
        ))
        .children(labelled(
            "kfe-f-redirect",
            Text::RedirectTo.get(locale),
            el("input").attr("type", "url").value_with(redirect_text).on("change", on_redirect),
        ))
        .children(labelled(
            "kfe-f-origins",
            Text::AllowedOrigins.get(locale),
            el("textarea")
                .attr("rows", "3")
                .value_with(spec_text(|d| d.allowed_origins.join("\n")))
                .on("change", move |ev| set(FormEdit::Origins(target_value(&ev)))),
        ))
        .children(labelled(
            "kfe-f-update",
            Text::UpdateKey.get(locale),
            key_select(
                |d| d.spec.update_key.as_ref().map(|c| c.as_str().to_owned()).unwrap_or_default(),
                EditorState::update_key_candidates,
                |code| FormEdit::UpdateKey(Some(code)),
            ),
        ))
        .children(labelled(
            "kfe-f-idem",
            Text::IdempotencyField.get(locale),
            key_select(
                |d| {
                    let code = d.spec.idempotency_field.as_ref();
                    code.map(|c| c.as_str().to_owned()).unwrap_or_default()
                },
                EditorState::idempotency_candidates,
                |code| FormEdit::IdempotencyField(Some(code)),
            ),
        ))
        .child(check(
            "kfe-f-confirm",
            Text::Confirmation.get(locale),
            |d| d.spec.confirm,
            FormEdit::Confirm,
        ))
        .child(check("kfe-f-captcha", Text::Captcha.get(locale), |d| d.captcha, FormEdit::Captcha))
        .child(check(
            "kfe-f-test",
            Text::TestMode.get(locale),
            |d| d.spec.test_mode,
            FormEdit::TestMode,
        ))
}
