//! Checking and publishing: the lint problems, the live preview, test send, save and delete,
//! and the embed snippet.

use super::*;

/// One lint problem: where (`place`), what, and the fix.
pub(super) fn issue_line(locale: Locale, issue: &LintIssue, place: &str) -> El {
    // A warning names something kform copes with; it is marked so it is not read as an error.
    let warning = issue
        .is_warning()
        .then(|| el("strong").class("kfe-warning").text(tr(locale, "注意: ", "Warning: ")));
    el("li")
        .text(place)
        .maybe(warning)
        .text(&issue.message(locale))
        .text(" ")
        .child(el("span").class("kfe-fix").text(&issue.fix(locale)))
}

pub(super) fn lint_view(ctx: Ctx) -> El {
    let locale = ctx.locale;
    let issues = ctx.lint.get();
    let section = el("section")
        .class("kfe-lint")
        .attr("aria-labelledby", "kfe-lint-h")
        .child(el("h3").id("kfe-lint-h").text(tr(locale, "問題", "Problems")));
    if issues.is_empty() {
        return section.child(el("p").class("kfe-clean").text(tr(
            locale,
            "問題はありません。",
            "No problems.",
        )));
    }
    let lines = issues.iter().map(|issue| {
        let place = match issue.item {
            Some(index) => format!("{} {}: ", tr(locale, "項目", "Item"), index + 1),
            None => String::new(),
        };
        issue_line(locale, issue, &place)
    });
    section.child(el("ul").class("kfe-issues").children(lines))
}

/// The live preview: the real widget, mounted by `kform-editor.js`, re-rendered on each change.
pub(super) fn preview_view(ctx: Ctx, preview: Preview) -> El {
    let target = el("div").class("kfe-preview-form");
    let element = target.element();
    let descriptor = Memo::new(move |_| ctx.state.with(|s| s.descriptor().map(|d| d.to_string())));
    // The preview's "send" hands its values over for a test send (the widget's preview event).
    preview.listen(&element, move |values| ctx.tried.set(Some(values)));
    Effect::new(move |_| {
        let Some(json) = descriptor.get() else { return };
        let lang = ctx
            .state
            .with_untracked(|s| s.draft.as_ref().map(|d| d.spec.default_lang))
            .unwrap_or(ctx.locale);
        preview.show(&element, &json, lang);
    });
    el("section")
        .class("kfe-preview")
        .attr("aria-labelledby", "kfe-preview-h")
        .child(el("h3").id("kfe-preview-h").text(tr(
            ctx.locale,
            "プレビュー（入力して送信すると検証を試せます）",
            "Preview (fill it in and send to try the checks)",
        )))
        .child(target)
}

/// Puts `text` on the clipboard and says so (or why not: the page may not allow it).
pub(super) fn copy(ctx: Ctx, text: &str) {
    let Some(window) = web_sys::window() else { return };
    let written = window.navigator().clipboard().write_text(text);
    spawn_local(async move {
        match wasm_bindgen_futures::JsFuture::from(written).await {
            Ok(_) => ctx.done("コピーしました。", "Copied."),
            Err(_) => {
                let text = tr(
                    ctx.locale,
                    "コピーできませんでした。コードを選択してコピーしてください。",
                    "Could not copy; select the code and copy it.",
                );
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
        let Some((id, body, new)) = ctx.state.with_untracked(|s| {
            s.draft.as_ref().map(|d| (d.spec.id.0.clone(), d.to_admin(), !s.saved))
        }) else {
            return;
        };
        ctx.working("保存しています…", "Saving…");
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
                    ctx.done("保存しました。", "Saved.");
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
        ctx.working("kintone に送っています…", "Sending to kintone…");
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
                    ctx.done("フォームを削除しました。", "The form was deleted.");
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
                .text(tr(locale, "保存", "Save"))
                .on("click", save),
        )
        .child(
            button(tr(locale, "kintone にテスト送信", "Test send to kintone"), test_send)
                .flag_with("disabled", move || !can_test()),
        )
        .dynamic(move || {
            ctx.dirty.get().then(|| {
                el("span").class("kfe-unsaved").attr("role", "status").text(tr(
                    locale,
                    "未保存の変更があります",
                    "Unsaved changes",
                ))
            })
        })
        .dynamic(move || {
            saved.get().then(|| {
                button(tr(locale, "フォームを削除", "Delete form"), delete).class("kfe-danger")
            })
        });
    let confirm = move || {
        confirming_delete.get().then(|| {
            el("p")
                .class("kfe-confirm")
                .attr("role", "alert")
                .text(tr(
                    locale,
                    "本当に削除しますか？ 埋め込んだページではフォームが表示されなくなります。",
                    "Delete it? Pages that embed it will no longer show the form.",
                ))
                .child(
                    button(tr(locale, "削除する", "Delete"), delete)
                        .id("kfe-delete-confirm")
                        .class("kfe-danger"),
                )
                .child(button(tr(locale, "やめる", "Cancel"), move |_| {
                    confirming_delete.set(false)
                }))
        })
    };
    let answer = move || {
        ctx.answer
            .get()
            .map(|answer| {
                [
                    el("h4").text(tr(locale, "kintone の応答", "kintone's answer")),
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
        let copied = snippet.clone();
        let shown = |rows: &str| el("textarea").attr("readonly", "").attr("rows", rows);
        let [snippet_label, snippet_box] = labelled(
            "kfe-snippet",
            tr(locale, "サイトに貼り付けるコード", "Code to paste into the site"),
            shown("3").value_with(snippet),
        );
        let [csp_label, csp_box] = labelled(
            "kfe-csp",
            tr(
                locale,
                "Content-Security-Policy に加える指定",
                "What the Content-Security-Policy needs",
            ),
            shown("2").value_with(csp),
        );
        let copy_row = el("p")
            .class("kfe-row")
            .child(button(tr(locale, "コードをコピー", "Copy the code"), move |_| {
                copy(ctx, &copied())
            }));
        vec![snippet_label, snippet_box, copy_row, csp_label, csp_box]
    };
    el("section")
        .class("kfe-actions")
        .attr("aria-labelledby", "kfe-actions-h")
        .child(el("h3").id("kfe-actions-h").text(tr(locale, "保存と公開", "Save and publish")))
        .child(buttons)
        .child(el("p").class("kfe-help").text(tr(
            locale,
            "テスト送信は、保存済みのフォームで、プレビューから送信した値を kintone に 1 件送ります。",
            "A test send sends the values last sent from the preview to kintone as one record, with the saved form.",
        )))
        .dynamic(confirm)
        .dynamic(answer)
        .dynamic(published)
}
