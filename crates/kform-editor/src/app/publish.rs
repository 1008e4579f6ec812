//! Checking and publishing: the lint problems, the live preview, test send, save and delete,
//! and the embed snippet.

use super::*;

/// One lint problem: where (`place`), what, and the fix.
pub(super) fn issue_line(locale: Locale, issue: &LintIssue, place: &str) -> El {
    // A warning names something kform copes with; it is marked so it is not read as an error.
    let warning = issue
        .is_warning()
        .then(|| el("strong").class("kfe-warning").text(Text::WarningMark.get(locale)));
    el("li")
        .text(place)
        .child_opt(warning)
        .text(issue.message(locale))
        .text(" ")
        .child(el("span").class("kfe-fix").text(issue.fix(locale)))
}

pub(super) fn lint_view(ctx: Ctx) -> El {
    let locale = ctx.locale;
    let issues = ctx.lint.get();
    let section = el("section")
        .class("kfe-lint")
        .attr("aria-labelledby", "kfe-lint-h")
        .child(el("h3").id("kfe-lint-h").text(Text::Problems.get(locale)));
    if issues.is_empty() {
        return section.child(el("p").class("kfe-clean").text(Text::NoProblems.get(locale)));
    }
    let lines = issues.iter().map(|issue| {
        let place = match issue.item {
            Some(index) => format!("{} {}: ", Text::Item.get(locale), index + 1),
            None => String::new(),
        };
        issue_line(locale, issue, &place)
    });
    section.child(el("ul").class("kfe-issues").children(lines))
}

/// The live preview: the real widget, mounted by `kform-editor.js`, re-rendered on each change.
pub(super) fn preview_view(ctx: Ctx, preview: Preview) -> El {
    let descriptor = Memo::new(move |_| ctx.state.with(|s| s.descriptor().map(|d| d.to_string())));
    let target = el("div").class("kfe-preview-form").with_element(move |element| {
        let element = element.clone();
        // The preview's "send" hands its values over for a test send (the widget's preview
        // event).
        preview.listen(&element, move |values| ctx.tried.set(Some(values)));
        Effect::new(move |_| {
            let Some(json) = descriptor.get() else { return };
            let lang = ctx
                .state
                .with_untracked(|s| s.draft.as_ref().map(|d| d.spec.default_lang))
                .unwrap_or(ctx.locale);
            preview.show(&element, &json, lang);
        });
    });
    el("section")
        .class("kfe-preview")
        .attr("aria-labelledby", "kfe-preview-h")
        .child(el("h3").id("kfe-preview-h").text(Text::Preview.get(ctx.locale)))
        .child(target)
}

/// Puts `text` on the clipboard and says so (or why not: the page may not allow it).
pub(super) fn copy(ctx: Ctx, text: &str) {
    let Some(window) = web_sys::window() else { return };
    let written = window.navigator().clipboard().write_text(text);
    spawn_local(async move {
        match wasm_bindgen_futures::JsFuture::from(written).await {
            Ok(_) => ctx.done(Text::Copied),
            Err(_) => {
                let text = Text::CopyFailed.get(ctx.locale);
                ctx.notice.try_set(Some(Notice::Failed(text.to_owned())));
            }
        }
    });
}

/// Test send, save, delete, and the embed snippet.
pub(super) fn actions(ctx: Ctx) -> El {
    let locale = ctx.locale;
    let confirming_delete = RwSignal::new(false);
    let save = move |_| {
        let Some((id, mut body, new)) = ctx.state.with_untracked(|s| {
            s.draft.as_ref().map(|d| (d.spec.id.0.clone(), d.to_admin(), !s.saved))
        }) else {
            return;
        };
        // The mail is the mail tab's to save: without it, the relay keeps the saved one.
        if !new && let Some(body) = body.as_object_mut() {
            body.remove("mail");
        }
        ctx.working(Text::Saving);
        spawn_local(async move {
            match ctx.admin.get_value().save(&id, &body, new).await {
                Ok(answer) => {
                    if let Some(token) = answer.get("editor_token").and_then(Value::as_str) {
                        ctx.admin.try_update_value(|admin| admin.token = token.to_owned());
                    }
                    ctx.state.try_update(|s| {
                        s.saved = true;
                        s.dirty = false;
                    });
                    ctx.drift.try_set(None);
                    ctx.done(Text::Saved);
                    emit(
                        &ctx.host.get_value(),
                        "kform-editor:saved",
                        &json!({ "form": id, "settings": body }),
                    );
                }
                Err(err) => ctx.failed(&err),
            }
        });
    };
    let test_send = move |_| {
        let Some(values) = ctx.tried.get_untracked() else { return };
        let Some(id) = ctx.state.with_untracked(|s| s.draft.as_ref().map(|d| d.spec.id.0.clone()))
        else {
            return;
        };
        ctx.working(Text::SendingToKintone);
        spawn_local(async move {
            match ctx.admin.get_value().test_send(&id, &values).await {
                Ok(answer) => {
                    ctx.answer
                        .try_set(Some(serde_json::to_string_pretty(&answer).unwrap_or_default()));
                    ctx.notice.try_set(None);
                }
                Err(err) => ctx.failed(&err),
            }
        });
    };
    let delete = move |_| {
        if !confirming_delete.get_untracked() {
            confirming_delete.set(true);
            focus_later(ctx, "kfe-delete-confirm".into());
            return;
        }
        let Some(id) = ctx.state.with_untracked(|s| s.draft.as_ref().map(|d| d.spec.id.0.clone()))
        else {
            return;
        };
        spawn_local(async move {
            match ctx.admin.get_value().delete(&id).await {
                Ok(()) => {
                    ctx.state.try_set(EditorState::default());
                    ctx.done(Text::Deleted);
                    emit(&ctx.host.get_value(), "kform-editor:deleted", &json!({ "form": id }));
                }
                Err(err) => ctx.failed(&err),
            }
        });
    };
    // A memo, so the parts that follow it are built again only when it flips.
    let saved = Memo::new(move |_| ctx.state.with(|s| s.saved));
    let can_test = move || saved.get() && !ctx.dirty.get() && ctx.tried.get().is_some();
    let relay = ctx.admin.with_value(|admin| admin.relay.clone());
    let buttons = el("p")
        .class("kfe-row")
        .child(
            el("button")
                .attr("type", "button")
                .class("kfe-primary")
                .text(Text::Save.get(locale))
                .on("click", save),
        )
        .child(
            button(Text::TestSend.get(locale), test_send)
                .flag_with("disabled", move || !can_test()),
        )
        .dynamic(move || {
            ctx.dirty.get().then(|| {
                el("span")
                    .class("kfe-unsaved")
                    .attr("role", "status")
                    .text(Text::Unsaved.get(locale))
            })
        })
        .dynamic(move || {
            saved.get().then(|| button(Text::DeleteForm.get(locale), delete).class("kfe-danger"))
        });
    let confirm = move || {
        confirming_delete.get().then(|| {
            el("p")
                .class("kfe-confirm")
                .attr("role", "alert")
                .text(Text::DeleteConfirm.get(locale))
                .child(
                    button(Text::DeleteYes.get(locale), delete)
                        .id("kfe-delete-confirm")
                        .class("kfe-danger"),
                )
                .child(button(Text::Cancel.get(locale), move |_| confirming_delete.set(false)))
        })
    };
    let answer = move || {
        ctx.answer
            .get()
            .map(|answer| {
                [
                    el("h4").text(Text::KintoneAnswer.get(locale)),
                    el("pre").class("kfe-answer").text(&answer),
                ]
            })
            .into_iter()
            .flatten()
    };
    let published = move || {
        if !saved.get() {
            return Vec::new();
        }
        let snippet = {
            let relay = relay.clone();
            move || ctx.state.with(|s| s.snippet(&relay))
        };
        let csp = {
            let relay = relay.clone();
            move || ctx.state.with(|s| s.csp(&relay))
        };
        let include = {
            let relay = relay.clone();
            move || ctx.state.with(|s| s.include_address(&relay))
        };
        let copied = snippet.clone();
        let shown = |rows: &str| el("textarea").attr("readonly", "").attr("rows", rows);
        let [snippet_label, snippet_box] =
            labelled("kfe-snippet", Text::EmbedCode.get(locale), shown("3").value_with(snippet));
        let [csp_label, csp_box] =
            labelled("kfe-csp", Text::CspNeeds.get(locale), shown("2").value_with(csp));
        let copy_row = el("p")
            .class("kfe-row")
            .child(button(Text::CopyCode.get(locale), move |_| copy(ctx, &copied())));
        let [include_label, include_box] = labelled(
            "kfe-include",
            Text::IncludeAddress.get(locale),
            shown("2").value_with(include),
        );
        vec![snippet_label, snippet_box, copy_row, csp_label, csp_box, include_label, include_box]
    };
    el("section")
        .class("kfe-actions")
        .attr("aria-labelledby", "kfe-actions-h")
        .child(el("h3").id("kfe-actions-h").text(Text::SaveAndPublish.get(locale)))
        .child(buttons)
        .child(el("p").class("kfe-help").text(Text::TestSendHelp.get(locale)))
        .dynamic(confirm)
        .dynamic(answer)
        .dynamic(published)
}
