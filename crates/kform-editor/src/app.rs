//! The editor's screen: choose an app, build the form from its fields, see lint and the
//! preview, test send, save and copy the embed snippet. State lives in [`EditorState`]; these
//! components only render it and call its methods.

use kform_core::field::NotWritableReason;
use kform_core::{AppId, FormItem, InputHint, LintIssue, Locale, OnSuccess};
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{Value, json};
use wasm_bindgen::JsCast;
use web_sys::HtmlElement;

use crate::api::{Admin, ApiError, AppSummary};
use crate::embed::{Preview, emit};
use crate::state::{
    Draft, Edit, EditorState, FieldRow, FieldState, FormEdit, is_valid_form_id, value_text,
};

/// Picks the Japanese or English text.
fn tr(locale: Locale, ja: &'static str, en: &'static str) -> &'static str {
    match locale {
        Locale::Ja => ja,
        Locale::En => en,
    }
}

/// What the screen says above everything: the last call's outcome.
#[derive(Clone, Debug, PartialEq)]
enum Notice {
    Working(&'static str),
    Done(String),
    Failed(String),
}

/// Everything the components share.
#[derive(Clone, Copy)]
struct Ctx {
    state: RwSignal<EditorState>,
    admin: StoredValue<Admin>,
    notice: RwSignal<Option<Notice>>,
    locale: Locale,
    host: StoredValue<HtmlElement, LocalStorage>,
    /// The item whose settings are open.
    selected: RwSignal<Option<usize>>,
    /// The values last sent from the preview, for a test send.
    tried: RwSignal<Option<Value>>,
    /// kintone's answer to the last test send.
    answer: RwSignal<Option<String>>,
    /// The forms on the app that no longer fit it, with their problems (drift).
    drift: RwSignal<Option<Value>>,
    /// The form's lint problems, computed once per change for every view that lists them.
    lint: Memo<Vec<LintIssue>>,
}

impl Ctx {
    /// Says a call is under way.
    fn working(self, ja: &'static str, en: &'static str) {
        self.notice.try_set(Some(Notice::Working(tr(self.locale, ja, en))));
    }

    /// Says a call succeeded.
    fn done(self, ja: &'static str, en: &'static str) {
        self.notice.try_set(Some(Notice::Done(tr(self.locale, ja, en).to_owned())));
    }

    /// Says why a call failed; a refused token says to open the editor again from the CMS.
    fn failed(self, err: &ApiError) {
        let text = if err.is_token_refused() {
            format!(
                "{} ({})",
                tr(
                    self.locale,
                    "エディタのトークンが受け付けられませんでした。CMS の画面を開き直してください。",
                    "The editor token was refused. Open the editor again from your CMS."
                ),
                err.message
            )
        } else if err.status == 0 {
            format!(
                "{}: {}",
                tr(self.locale, "リレーに接続できません", "The relay cannot be reached"),
                err.message
            )
        } else {
            format!("{} ({} {})", err.message, err.status, err.code)
        };
        // Called after awaits: the view may be gone.
        self.notice.try_set(Some(Notice::Failed(text)));
    }
}

/// The whole editor for one host element.
pub(crate) fn editor(
    admin: Admin,
    form: Option<String>,
    locale: Locale,
    host: HtmlElement,
    preview: Preview,
) -> impl IntoView {
    let state = RwSignal::new(EditorState::default());
    let ctx = Ctx {
        state,
        admin: StoredValue::new(admin),
        notice: RwSignal::new(None),
        locale,
        host: StoredValue::new_local(host),
        selected: RwSignal::new(None),
        tried: RwSignal::new(None),
        answer: RwSignal::new(None),
        drift: RwSignal::new(None),
        lint: Memo::new(move |_| state.with(EditorState::lint)),
    };
    if let Some(id) = form {
        spawn_local(open_form(ctx, id));
    }
    let opened = Memo::new(move |_| ctx.state.with(|s| s.draft.is_some()));
    // The page hears when there are changes not saved yet (kform-editor.js guards leaving).
    let dirty = Memo::new(move |_| ctx.state.with(|s| s.dirty));
    Effect::new(move |ran: Option<()>| {
        // The memo wakes this only when the flag flips; the first run says only "dirty".
        let now = dirty.get();
        if ran.is_some() || now {
            emit(&ctx.host.get_value(), "kform-editor:change", &json!({ "dirty": now }));
        }
    });
    let body = move || {
        if opened.get() {
            workspace(ctx, preview.clone()).into_any()
        } else {
            start(ctx).into_any()
        }
    };
    view! {
        <div class="kfe" part="editor-root">
            <h2 class="kfe-title">{tr(locale, "フォームエディタ", "Form editor")}</h2>
            {move || notice_view(ctx)}
            {body}
        </div>
    }
}

fn notice_view(ctx: Ctx) -> impl IntoView {
    ctx.notice.get().map(|notice| match notice {
        Notice::Working(text) => {
            view! { <p class="kfe-notice" role="status">{text}</p> }.into_any()
        }
        Notice::Done(text) => {
            view! { <p class="kfe-notice kfe-done" role="status">{text}</p> }.into_any()
        }
        Notice::Failed(text) => {
            view! { <p class="kfe-notice kfe-failed" role="alert">{text}</p> }.into_any()
        }
    })
}

/// Loads a saved form, syncs its app and opens it.
async fn open_form(ctx: Ctx, id: String) {
    ctx.working("読み込んでいます…", "Loading…");
    let admin = ctx.admin.get_value();
    let loaded = async {
        let answer = admin.form(&id).await?;
        let draft = Draft::from_admin(answer).map_err(|message| ApiError {
            status: 0,
            code: "invalid".into(),
            message,
        })?;
        let (fields, drift) = admin.sync(&draft.connection, draft.spec.app.0).await?;
        Ok::<_, ApiError>((draft, fields, drift))
    };
    match loaded.await {
        Ok((draft, fields, drift)) => {
            ctx.drift.try_set(drift.get(&id).cloned());
            ctx.state.try_update(|s| s.open(draft, fields, true));
            ctx.notice.try_set(None);
        }
        Err(err) => ctx.failed(&err),
    }
}

/// The first step of a new form: connection, app and form id.
fn start(ctx: Ctx) -> impl IntoView {
    let locale = ctx.locale;
    let connections = RwSignal::new(Vec::<String>::new());
    let apps = RwSignal::new(Vec::<AppSummary>::new());
    let connection = RwSignal::new(String::new());
    let app = RwSignal::new(String::new());
    let id = RwSignal::new(String::new());
    let load_apps = move |name: String| {
        spawn_local(async move {
            match ctx.admin.get_value().apps(&name).await {
                Ok(list) => {
                    app.try_set(list.first().map(|a| a.app.to_string()).unwrap_or_default());
                    apps.try_set(list);
                }
                Err(err) => ctx.failed(&err),
            }
        });
    };
    spawn_local(async move {
        match ctx.admin.get_value().connections().await {
            Ok(names) => {
                if let Some(first) = names.first() {
                    connection.try_set(first.clone());
                    load_apps(first.clone());
                }
                connections.try_set(names);
            }
            Err(err) => ctx.failed(&err),
        }
    });
    let on_submit = move |ev: web_sys::SubmitEvent| {
        ev.prevent_default();
        let (name, id) = (connection.get_untracked(), id.get_untracked().trim().to_owned());
        let Ok(app) = app.get_untracked().parse::<u64>() else { return };
        if !is_valid_form_id(&id) {
            let text = tr(
                locale,
                "フォーム ID は英数字、- と _ で 64 文字までにしてください。",
                "A form id is 1 to 64 letters, digits, - or _.",
            );
            ctx.notice.set(Some(Notice::Failed(text.to_owned())));
            return;
        }
        ctx.working("kintone からフィールドを同期しています…", "Syncing the fields from kintone…");
        spawn_local(async move {
            match ctx.admin.get_value().sync(&name, app).await {
                Ok((fields, _)) => {
                    let draft = Draft::new(&id, &name, AppId(app), locale);
                    ctx.state.try_update(|s| s.open(draft, fields, false));
                    ctx.done("フィールドを同期しました。", "Fields synced.");
                }
                Err(err) => ctx.failed(&err),
            }
        });
    };
    view! {
        <form class="kfe-start" on:submit=on_submit>
            <label for="kfe-connection">{tr(locale, "接続", "Connection")}</label>
            <select id="kfe-connection" prop:value=move || connection.get()
                on:change=move |ev| { let name = event_target_value(&ev); connection.set(name.clone()); load_apps(name); }>
                {move || connections.get().into_iter().map(|name| { let text = name.clone(); view! { <option value=name>{text}</option> } }).collect_view()}
            </select>
            <label for="kfe-app">{tr(locale, "アプリ", "App")}</label>
            <select id="kfe-app" prop:value=move || app.get() on:change=move |ev| app.set(event_target_value(&ev))>
                {move || apps.get().into_iter().map(|a| {
                    let text = format!("{} ({})", a.name.clone().unwrap_or_default(), a.app);
                    view! { <option value=a.app.to_string()>{text}</option> }
                }).collect_view()}
            </select>
            <label for="kfe-id">{tr(locale, "フォーム ID（英数字、- と _）", "Form id (letters, digits, - and _)")}</label>
            <input id="kfe-id" type="text" autocomplete="off" prop:value=move || id.get() on:input=move |ev| id.set(event_target_value(&ev)) />
            <button type="submit" class="kfe-primary">{tr(locale, "フィールドを同期して始める", "Sync the fields and start")}</button>
        </form>
    }
}

/// The editing screen: fields, items, settings, lint, preview and actions.
fn workspace(ctx: Ctx, preview: Preview) -> impl IntoView {
    view! {
        {move || drift_view(ctx)}
        <div class="kfe-columns">
            <section class="kfe-panel" aria-labelledby="kfe-fields-h">
                <h3 id="kfe-fields-h">{tr(ctx.locale, "kintone のフィールド", "kintone fields")}</h3>
                {move || field_list(ctx)}
            </section>
            <section class="kfe-panel" aria-labelledby="kfe-items-h">
                <h3 id="kfe-items-h">{tr(ctx.locale, "フォームの項目", "Form items")}</h3>
                {move || item_list(ctx)}
                {move || ctx.selected.get().map(|index| item_settings(ctx, index))}
                {add_more(ctx)}
            </section>
            <section class="kfe-panel" aria-labelledby="kfe-form-h">
                <h3 id="kfe-form-h">{tr(ctx.locale, "フォームの設定", "Form settings")}</h3>
                {form_settings(ctx)}
            </section>
        </div>
        {move || lint_view(ctx)}
        {preview_view(ctx, preview)}
        {actions(ctx)}
    }
}

fn drift_view(ctx: Ctx) -> Option<impl IntoView> {
    ctx.drift.get()?;
    Some(view! {
        <p class="kfe-drift" role="alert">
            {tr(ctx.locale,
                "保存後に kintone のアプリが変更され、このフォームと合わなくなっています。下の「問題」を直して保存してください。",
                "The kintone app changed after this form was saved and no longer fits it. Fix the problems below and save.")}
        </p>
    })
}

fn reason_text(locale: Locale, reason: NotWritableReason) -> &'static str {
    match reason {
        NotWritableReason::System => tr(locale, "kintone が管理", "kept by kintone"),
        NotWritableReason::Computed => tr(locale, "計算・ルックアップで決まる", "computed"),
        NotWritableReason::Layout => tr(locale, "値を持たない", "holds no value"),
        NotWritableReason::Unsupported => tr(locale, "未対応の種類", "type not supported"),
    }
}

fn field_list(ctx: Ctx) -> impl IntoView {
    let locale = ctx.locale;
    let rows = ctx.state.with(EditorState::field_rows);
    let lines = rows
        .into_iter()
        .map(|row| {
            let code = row.code.clone();
            let required = row.required.then(|| view! { <span class="kfe-required">{tr(locale, "必須", "required")}</span> });
            let action = match row.state {
                FieldState::Addable => {
                    let label = format!("{} {}", row.label, tr(locale, "を追加", ": add"));
                    let on_click = move |_| {
                        let added = ctx.state.try_update(|s| s.add_field(&code)).flatten();
                        ctx.selected.set(added);
                    };
                    view! { <button type="button" aria-label=label on:click=on_click>{tr(locale, "追加", "Add")}</button> }.into_any()
                }
                FieldState::OnForm(_) => view! { <span class="kfe-on-form">{tr(locale, "追加済み", "on the form")}</span> }.into_any(),
                FieldState::NotWritable(reason) => view! { <span class="kfe-reason">{reason_text(locale, reason)}</span> }.into_any(),
            };
            let class = if matches!(row.state, FieldState::NotWritable(_)) { "kfe-field kfe-greyed" } else { "kfe-field" };
            view! {
                <li class=class>
                    <span class="kfe-field-label">{row.label.clone()}</span>
                    <code>{row.code.clone()}</code>
                    <span class="kfe-type">{row.kintone_type}</span>
                    {required}
                    {action}
                </li>
            }
        })
        .collect_view();
    view! { <ul class="kfe-fields">{lines}</ul> }
}

/// Focuses the element `id` in the editor's shadow root once the view has caught up.
fn focus_later(ctx: Ctx, id: String) {
    let host = ctx.host.get_value();
    request_animation_frame(move || {
        let selector = format!("[id=\"{id}\"]");
        let found =
            host.shadow_root().and_then(|root| root.query_selector(&selector).ok().flatten());
        if let Some(element) = found.and_then(|e| e.dyn_into::<HtmlElement>().ok()) {
            let _ = element.focus();
        }
    });
}

fn item_list(ctx: Ctx) -> impl IntoView {
    let locale = ctx.locale;
    let items = ctx.state.with(|s| s.items().to_vec());
    let lint = ctx.lint.get();
    let count = items.len();
    if count == 0 {
        return view! { <p class="kfe-empty">{tr(locale, "左のフィールドから「追加」してください。", "Add fields from the list on the left.")}</p> }.into_any();
    }
    let fields = ctx.state.with(|s| s.fields().cloned()).unwrap_or_default();
    let lines = items
        .into_iter()
        .enumerate()
        .map(|(index, item)| {
            let kintone_label = item.field.as_ref().and_then(|code| fields.get(code.as_str())).map(|f| f.label.clone());
            let name = item.label.clone().or(kintone_label).unwrap_or_else(|| tr(locale, "（見出し）", "(heading)").to_owned());
            let kind = if item.page_break {
                tr(locale, "改ページ", "page break").to_owned()
            } else if item.hidden.is_some() {
                format!("{} = {}", tr(locale, "固定値", "fixed value"), value_text(item.hidden.as_ref()))
            } else {
                item.field.as_ref().map(|c| c.as_str().to_owned()).unwrap_or_default()
            };
            let problems = lint.iter().filter(|issue| issue.item == Some(index)).count();
            let mark = (problems > 0).then(|| view! { <span class="kfe-problem-count">{format!("{} {problems}", tr(locale, "問題", "problems:"))}</span> });
            let selected = move || ctx.selected.get() == Some(index);
            let mover = move |by: isize, which: &'static str| {
                move |_| {
                    let to = ctx.state.try_update(|s| s.move_item(index, by)).unwrap_or(index);
                    if ctx.selected.get_untracked() == Some(index) {
                        ctx.selected.set(Some(to));
                    }
                    // The focus follows the item; at either end its other arrow takes it, since
                    // a disabled button cannot hold the focus.
                    let which = match which {
                        "up" if to == 0 => "down",
                        "down" if to + 1 == count => "up",
                        _ => which,
                    };
                    focus_later(ctx, format!("kfe-item-{to}-{which}"));
                }
            };
            let remove = move |_| {
                ctx.state.update(|s| s.remove(index));
                ctx.selected.set(None);
                focus_later(ctx, format!("kfe-item-{}-edit", index.min(count.saturating_sub(2))));
            };
            let edit = move |_| {
                ctx.selected.set(Some(index));
                focus_later(ctx, "kfe-s-label".into());
            };
            view! {
                <li class="kfe-item" class:kfe-selected=selected>
                    <span class="kfe-item-name">{name.clone()}</span>
                    <span class="kfe-type">{kind}</span>
                    {mark}
                    <span class="kfe-item-buttons">
                        <button type="button" id=format!("kfe-item-{index}-up") disabled=index == 0
                            aria-label=format!("{name} {}", tr(locale, "を上へ", ": move up")) on:click=mover(-1, "up")>"↑"</button>
                        <button type="button" id=format!("kfe-item-{index}-down") disabled=index + 1 == count
                            aria-label=format!("{name} {}", tr(locale, "を下へ", ": move down")) on:click=mover(1, "down")>"↓"</button>
                        <button type="button" id=format!("kfe-item-{index}-edit") aria-pressed=move || selected().to_string()
                            aria-label=format!("{name} {}", tr(locale, "を編集", ": edit")) on:click=edit>{tr(locale, "編集", "Edit")}</button>
                        <button type="button" aria-label=format!("{name} {}", tr(locale, "を削除", ": remove")) on:click=remove>{tr(locale, "削除", "Remove")}</button>
                    </span>
                </li>
            }
        })
        .collect_view();
    view! { <ol class="kfe-items">{lines}</ol> }.into_any()
}

/// `<option>`s, "label (code)", for the app's fields that `keep` accepts.
fn field_options(ctx: Ctx, keep: impl Fn(&FieldRow) -> bool) -> impl IntoView {
    ctx.state
        .with(EditorState::field_rows)
        .into_iter()
        .filter(|row| keep(row))
        .map(|row| {
            let text = format!("{} ({})", row.label, row.code);
            view! { <option value=row.code>{text}</option> }
        })
        .collect_view()
}

/// Hidden identifiers, headings and page breaks.
fn add_more(ctx: Ctx) -> impl IntoView {
    let locale = ctx.locale;
    let code = RwSignal::new(String::new());
    let value = RwSignal::new(String::new());
    let candidates = move || field_options(ctx, |row| row.state == FieldState::Addable);
    let add_hidden = move |ev: web_sys::SubmitEvent| {
        ev.prevent_default();
        let (c, v) = (code.get_untracked(), value.get_untracked());
        if c.is_empty() || v.is_empty() {
            return;
        }
        let added = ctx.state.try_update(|s| s.add_hidden(&c, &v)).flatten();
        if added.is_some() {
            value.set(String::new());
            code.set(String::new());
        }
    };
    let add_note = move |_| {
        let added = ctx.state.try_update(|s| s.add_note(tr(locale, "見出し", "Heading"))).flatten();
        ctx.selected.set(added);
        focus_later(ctx, "kfe-s-label".into());
    };
    let add_break = move |_| {
        let added = ctx
            .state
            .try_update(|s| s.add_page_break(tr(locale, "次のステップ", "Next step")))
            .flatten();
        ctx.selected.set(added);
    };
    view! {
        <form class="kfe-hidden" on:submit=add_hidden>
            <fieldset>
                <legend>{tr(locale, "隠し項目（どのフォームから来たかの識別など）", "Hidden item (e.g. which form a lead came from)")}</legend>
                <label for="kfe-hidden-field">{tr(locale, "フィールド", "Field")}</label>
                <select id="kfe-hidden-field" prop:value=move || code.get() on:change=move |ev| code.set(event_target_value(&ev))>
                    <option value="">{tr(locale, "選択してください", "Choose")}</option>
                    {candidates}
                </select>
                <label for="kfe-hidden-value">{tr(locale, "送る値", "Value sent")}</label>
                <input id="kfe-hidden-value" type="text" prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev)) />
                <button type="submit">{tr(locale, "隠し項目を追加", "Add hidden item")}</button>
            </fieldset>
        </form>
        <p class="kfe-row">
            <button type="button" on:click=add_note>{tr(locale, "見出しを追加", "Add heading")}</button>
            <button type="button" on:click=add_break>{tr(locale, "改ページを追加", "Add page break")}</button>
        </p>
    }
}

/// A labelled text input bound to one item edit.
fn text_setting(
    ctx: Ctx,
    index: usize,
    id: &'static str,
    label: &'static str,
    current: fn(&FormItem) -> String,
    edit: fn(String) -> Edit,
) -> impl IntoView {
    // Plain function pointers, so every text setting shares one build of this view.
    let value = move || ctx.state.with(|s| s.items().get(index).map(current).unwrap_or_default());
    view! {
        <label for=id>{label}</label>
        <input id=id type="text" prop:value=value
            on:change=move |ev| ctx.state.update(|s| s.edit(index, edit(event_target_value(&ev)))) />
    }
}

/// The open item's settings.
fn item_settings(ctx: Ctx, index: usize) -> impl IntoView {
    let locale = ctx.locale;
    let item = move |s: &EditorState| s.items().get(index).cloned().unwrap_or_default();
    let field = move |s: &EditorState| {
        let code = s.items().get(index)?.field.clone()?;
        s.fields()?.get(code.as_str()).cloned()
    };
    let kintone_required = ctx.state.with_untracked(|s| field(s).is_some_and(|f| f.required));
    let is_text = ctx
        .state
        .with_untracked(|s| field(s).is_some_and(|f| f.kind.kintone_type() == "SINGLE_LINE_TEXT"));
    let options = ctx
        .state
        .with_untracked(|s| field(s).and_then(|f| f.kind.options().map(<[_]>::to_vec)))
        .unwrap_or_default();
    let hidden = ctx.state.with_untracked(|s| item(s).hidden.is_some());
    let is_file =
        ctx.state.with_untracked(|s| field(s).is_some_and(|f| f.kind.kintone_type() == "FILE"));
    let page_break = ctx.state.with_untracked(|s| item(s).page_break);
    // The field this item maps: none, its own, or any writable field not on the form yet.
    let mapping = move || {
        let own = ctx.state.with(|s| item(s).field.map(|code| code.as_str().to_owned()));
        field_options(ctx, move |row| {
            row.state == FieldState::Addable || Some(&row.code) == own.as_ref()
        })
    };
    let mapped = move || {
        ctx.state.with(|s| item(s).field.map(|c| c.as_str().to_owned()).unwrap_or_default())
    };
    let on_map = move |ev: web_sys::Event| {
        let code = event_target_value(&ev);
        ctx.state.update(|s| s.edit(index, Edit::Field((!code.is_empty()).then_some(code))));
        // The settings are built for the field's type: build them again for the new one.
        ctx.selected.set(Some(index));
    };
    let condition_field = RwSignal::new(ctx.state.with_untracked(|s| {
        item(s).show_if.map(|c| c.field.as_str().to_owned()).unwrap_or_default()
    }));
    let condition_values = RwSignal::new(
        ctx.state
            .with_untracked(|s| item(s).show_if.map(|c| c.any_of.join(", ")).unwrap_or_default()),
    );
    let set_condition = move || {
        let (code, values) = (condition_field.get_untracked(), condition_values.get_untracked());
        let condition = (!code.is_empty()).then_some((code, values));
        ctx.state.update(|s| s.edit(index, Edit::ShowIf(condition)));
    };
    let condition_fields = move || {
        ctx.state
            .with(|s| s.show_if_candidates(index))
            .into_iter()
            .map(|code| {
                let text = code.clone();
                view! { <option value=code>{text}</option> }
            })
            .collect_view()
    };
    let problems = move || {
        ctx.lint
            .get()
            .into_iter()
            .filter(|issue| issue.item == Some(index))
            .map(|issue| view! { <li>{issue.message(locale)}" "<span class="kfe-fix">{issue.fix(locale)}</span></li> })
            .collect_view()
    };
    let hint = move |ev: web_sys::Event| {
        let hint = match event_target_value(&ev).as_str() {
            "email" => Some(InputHint::Email),
            "tel" => Some(InputHint::Tel),
            "url" => Some(InputHint::Url),
            "postal_code" => Some(InputHint::PostalCode),
            _ => None,
        };
        ctx.state.update(|s| s.edit(index, Edit::Hint(hint)));
    };
    let hint_value = move || match ctx.state.with(|s| item(s).input_hint) {
        Some(InputHint::Email) => "email",
        Some(InputHint::Tel) => "tel",
        Some(InputHint::Url) => "url",
        Some(InputHint::PostalCode) => "postal_code",
        None => "",
    };
    let has_options = !options.is_empty();
    let option_boxes = options
        .into_iter()
        .enumerate()
        .map(|(n, choice)| {
            let id = format!("kfe-s-option-{n}");
            let value = choice.value.clone();
            let offered = {
                let value = value.clone();
                move || ctx.state.with(|s| !item(s).hide_options.contains(&value))
            };
            view! {
                <span class="kfe-check">
                    <input type="checkbox" id=id.clone() prop:checked=offered
                        on:change=move |ev| ctx.state.update(|s| s.edit(index, Edit::Offer(value.clone(), event_target_checked(&ev)))) />
                    <label for=id>{choice.label}</label>
                </span>
            }
        })
        .collect_view();
    view! {
        <section class="kfe-settings" aria-labelledby="kfe-s-h">
            <h4 id="kfe-s-h">{move || format!("{} {}", tr(locale, "項目", "Item"), index + 1)}</h4>
            <ul class="kfe-problems">{problems}</ul>
            {(!page_break).then(|| view! {
                <label for="kfe-s-field">{tr(locale, "kintone のフィールド", "kintone field")}</label>
                <select id="kfe-s-field" prop:value=mapped on:change=on_map>
                    <option value="">{tr(locale, "なし（見出し・説明）", "None (a heading or a note)")}</option>
                    {mapping}
                </select>
            })}
            {text_setting(ctx, index, "kfe-s-label", tr(locale, "ラベル（空欄で kintone のラベル）", "Label (empty: kintone's)"),
                |i| i.label.clone().unwrap_or_default(), Edit::Label)}
            {text_setting(ctx, index, "kfe-s-help", tr(locale, "説明", "Help text"),
                |i| i.help.clone().unwrap_or_default(), Edit::Help)}
            {(!hidden).then(|| view! {
                {text_setting(ctx, index, "kfe-s-placeholder", tr(locale, "プレースホルダー", "Placeholder"),
                    |i| i.placeholder.clone().unwrap_or_default(), Edit::Placeholder)}
                {text_setting(ctx, index, "kfe-s-initial", tr(locale, "初期値", "Initial value"),
                    |i| value_text(i.initial.as_ref()), Edit::Initial)}
            })}
            {hidden.then(|| text_setting(ctx, index, "kfe-s-hidden", tr(locale, "送る固定値", "Fixed value sent"),
                |i| value_text(i.hidden.as_ref()), Edit::Hidden))}
            {is_text.then(|| view! {
                <label for="kfe-s-hint">{tr(locale, "入力の種類", "Input hint")}</label>
                <select id="kfe-s-hint" prop:value=hint_value on:change=hint>
                    <option value="">{tr(locale, "なし", "None")}</option>
                    <option value="email">{tr(locale, "メールアドレス", "E-mail")}</option>
                    <option value="tel">{tr(locale, "電話番号", "Phone")}</option>
                    <option value="url">"URL"</option>
                    <option value="postal_code">{tr(locale, "郵便番号", "Postal code")}</option>
                </select>
            })}
            <span class="kfe-check">
                <input type="checkbox" id="kfe-s-required" disabled=kintone_required
                    prop:checked=move || kintone_required || ctx.state.with(|s| item(s).required)
                    on:change=move |ev| ctx.state.update(|s| s.edit(index, Edit::Required(event_target_checked(&ev)))) />
                <label for="kfe-s-required">{if kintone_required {
                    tr(locale, "必須（kintone で必須のため外せません）", "Required (kintone requires it)")
                } else {
                    tr(locale, "このフォームでは必須にする", "Required on this form")
                }}</label>
            </span>
            {is_file.then(|| view! {
                <label for="kfe-s-max-files">{tr(locale, "添付できるファイル数（空欄で制限なし）", "Most files a visitor may attach (empty: no limit)")}</label>
                <input id="kfe-s-max-files" type="number" min="1" inputmode="numeric"
                    prop:value=move || ctx.state.with(|s| item(s).max_files.map(|n| n.to_string()).unwrap_or_default())
                    on:change=move |ev| ctx.state.update(|s| s.edit(index, Edit::MaxFiles(event_target_value(&ev).trim().parse().ok()))) />
            })}
            {(!hidden && !page_break).then(|| view! {
                <fieldset class="kfe-condition">
                    <legend>{tr(locale, "表示する条件", "Show only when")}</legend>
                    <label for="kfe-s-if-field">{tr(locale, "項目", "Item")}</label>
                    <select id="kfe-s-if-field" prop:value=move || condition_field.get()
                        on:change=move |ev| { condition_field.set(event_target_value(&ev)); set_condition(); }>
                        <option value="">{tr(locale, "常に表示", "Always shown")}</option>
                        {condition_fields}
                    </select>
                    <label for="kfe-s-if-values">{tr(locale, "が次のいずれか（カンマ区切り）", "is one of (comma-separated)")}</label>
                    <input id="kfe-s-if-values" type="text" prop:value=move || condition_values.get()
                        on:change=move |ev| { condition_values.set(event_target_value(&ev)); set_condition(); } />
                </fieldset>
            })}
            {has_options.then(|| view! {
                <fieldset class="kfe-options">
                    <legend>{tr(locale, "表示する選択肢（kintone の選択肢は編集できません）", "Options offered (kintone's options cannot be edited)")}</legend>
                    {option_boxes}
                </fieldset>
            })}
            <button type="button" on:click=move |_| { ctx.selected.set(None); focus_later(ctx, format!("kfe-item-{index}-edit")); }>
                {tr(locale, "閉じる", "Close")}
            </button>
        </section>
    }
}

/// The form's own settings.
fn form_settings(ctx: Ctx) -> impl IntoView {
    let locale = ctx.locale;
    let draft = move |s: &EditorState| s.draft.clone();
    let spec_text = move |f: fn(&Draft) -> String| {
        move || ctx.state.with(|s| draft(s).map(|d| f(&d)).unwrap_or_default())
    };
    let set = move |edit: FormEdit| ctx.state.update(|s| s.edit_form(edit));
    let flag = move |get: fn(&Draft) -> bool| {
        move || ctx.state.with(|s| draft(s).is_some_and(|d| get(&d)))
    };
    let success_text = spec_text(|d| match &d.spec.on_success {
        OnSuccess::Message(text) => text.clone(),
        _ => String::new(),
    });
    let redirect_text = spec_text(|d| match &d.spec.on_success {
        OnSuccess::Redirect(url) => url.clone(),
        _ => String::new(),
    });
    let on_message = move |ev: web_sys::Event| {
        let text = event_target_value(&ev);
        set(FormEdit::OnSuccess(if text.trim().is_empty() {
            OnSuccess::Thanks
        } else {
            OnSuccess::Message(text)
        }));
    };
    let on_redirect = move |ev: web_sys::Event| {
        let url = event_target_value(&ev);
        set(FormEdit::OnSuccess(if url.trim().is_empty() {
            OnSuccess::Thanks
        } else {
            OnSuccess::Redirect(url.trim().to_owned())
        }));
    };
    let keys = move |candidates: fn(&EditorState) -> Vec<String>| {
        move || {
            ctx.state
                .with(candidates)
                .into_iter()
                .map(|code| {
                    let text = code.clone();
                    view! { <option value=code>{text}</option> }
                })
                .collect_view()
        }
    };
    view! {
        <p class="kfe-form-id">{tr(locale, "フォーム ID", "Form id")}" " <code>{spec_text(|d| d.spec.id.0.clone())}</code></p>
        <label for="kfe-f-lang">{tr(locale, "言語", "Language")}</label>
        <select id="kfe-f-lang" prop:value=spec_text(|d| if d.spec.default_lang == Locale::En { "en".into() } else { "ja".into() })
            on:change=move |ev| set(FormEdit::Lang(if event_target_value(&ev) == "en" { Locale::En } else { Locale::Ja }))>
            <option value="ja">"日本語"</option>
            <option value="en">"English"</option>
        </select>
        <label for="kfe-f-message">{tr(locale, "送信後のメッセージ（空欄で標準）", "Message after sending (empty: the default)")}</label>
        <input id="kfe-f-message" type="text" prop:value=success_text on:change=on_message />
        <label for="kfe-f-redirect">{tr(locale, "または送信後に移動する URL", "Or go to this address after sending")}</label>
        <input id="kfe-f-redirect" type="url" prop:value=redirect_text on:change=on_redirect />
        <label for="kfe-f-origins">{tr(locale, "埋め込みを許可するサイト（1 行に 1 つ、例 https://www.example.com）", "Sites allowed to embed it (one per line, e.g. https://www.example.com)")}</label>
        <textarea id="kfe-f-origins" rows="3" prop:value=spec_text(|d| d.allowed_origins.join("\n"))
            on:change=move |ev| set(FormEdit::Origins(event_target_value(&ev)))></textarea>
        <label for="kfe-f-update">{tr(locale, "更新キー（一致するレコードを更新）", "Update key (update the matching record)")}</label>
        <select id="kfe-f-update" prop:value=spec_text(|d| d.spec.update_key.as_ref().map(|c| c.as_str().to_owned()).unwrap_or_default())
            on:change=move |ev| set(FormEdit::UpdateKey(Some(event_target_value(&ev))))>
            <option value="">{tr(locale, "なし", "None")}</option>
            {keys(EditorState::update_key_candidates)}
        </select>
        <label for="kfe-f-idem">{tr(locale, "送信 ID を記録する重複禁止フィールド", "Unique field that records each submission's id")}</label>
        <select id="kfe-f-idem" prop:value=spec_text(|d| d.spec.idempotency_field.as_ref().map(|c| c.as_str().to_owned()).unwrap_or_default())
            on:change=move |ev| set(FormEdit::IdempotencyField(Some(event_target_value(&ev))))>
            <option value="">{tr(locale, "なし", "None")}</option>
            {keys(EditorState::idempotency_candidates)}
        </select>
        <span class="kfe-check">
            <input type="checkbox" id="kfe-f-confirm" prop:checked=flag(|d| d.spec.confirm) on:change=move |ev| set(FormEdit::Confirm(event_target_checked(&ev))) />
            <label for="kfe-f-confirm">{tr(locale, "送信前に確認画面を出す", "Show a confirmation screen")}</label>
        </span>
        <span class="kfe-check">
            <input type="checkbox" id="kfe-f-captcha" prop:checked=flag(|d| d.captcha) on:change=move |ev| set(FormEdit::Captcha(event_target_checked(&ev))) />
            <label for="kfe-f-captcha">{tr(locale, "スパム対策の確認（captcha）", "Spam check (captcha)")}</label>
        </span>
        <span class="kfe-check">
            <input type="checkbox" id="kfe-f-test" prop:checked=flag(|d| d.spec.test_mode) on:change=move |ev| set(FormEdit::TestMode(event_target_checked(&ev))) />
            <label for="kfe-f-test">{tr(locale, "テストモード（kintone に送らない）", "Test mode (nothing is sent to kintone)")}</label>
        </span>
    }
}

fn lint_view(ctx: Ctx) -> impl IntoView {
    let locale = ctx.locale;
    let issues = ctx.lint.get();
    let heading = tr(locale, "問題", "Problems");
    if issues.is_empty() {
        return view! {
            <section class="kfe-lint" aria-labelledby="kfe-lint-h">
                <h3 id="kfe-lint-h">{heading}</h3>
                <p class="kfe-clean">{tr(locale, "問題はありません。", "No problems.")}</p>
            </section>
        }
        .into_any();
    }
    let lines = issues
        .iter()
        .map(|issue| {
            let place = match issue.item {
                Some(index) => format!("{} {}: ", tr(locale, "項目", "Item"), index + 1),
                None => String::new(),
            };
            view! { <li>{place}{issue.message(locale)}" "<span class="kfe-fix">{issue.fix(locale)}</span></li> }
        })
        .collect_view();
    view! {
        <section class="kfe-lint" aria-labelledby="kfe-lint-h">
            <h3 id="kfe-lint-h">{heading}</h3>
            <ul class="kfe-issues">{lines}</ul>
        </section>
    }
    .into_any()
}

/// The live preview: the real widget, mounted by `kform-editor.js`, re-rendered on each change.
fn preview_view(ctx: Ctx, preview: Preview) -> impl IntoView {
    let target = NodeRef::<leptos::html::Div>::new();
    let listener = preview.clone();
    let descriptor = Memo::new(move |_| ctx.state.with(|s| s.descriptor().map(|d| d.to_string())));
    Effect::new(move |_| {
        let (Some(element), Some(json)) = (target.get(), descriptor.get()) else { return };
        let lang = ctx
            .state
            .with_untracked(|s| s.draft.as_ref().map(|d| d.spec.default_lang))
            .unwrap_or(ctx.locale);
        preview.show(&element, &json, lang);
    });
    // The preview's "send" hands its values over for a test send (the widget's preview event).
    Effect::new(move |_| {
        if let Some(element) = target.get() {
            listener.listen(&element, move |values| ctx.tried.set(Some(values)));
        }
    });
    view! {
        <section class="kfe-preview" aria-labelledby="kfe-preview-h">
            <h3 id="kfe-preview-h">{tr(ctx.locale, "プレビュー（入力して送信すると検証を試せます）", "Preview (fill it in and send to try the checks)")}</h3>
            <div node_ref=target class="kfe-preview-form"></div>
        </section>
    }
}

/// Puts `text` on the clipboard and says so (or why not: the page may not allow it).
fn copy(ctx: Ctx, text: &str) {
    let Some(window) = web_sys::window() else { return };
    let written = window.navigator().clipboard().write_text(text);
    spawn_local(async move {
        match wasm_bindgen_futures::JsFuture::from(written).await {
            Ok(_) => ctx.done("コピーしました。", "Copied."),
            Err(_) => ctx
                .notice
                .try_set(Some(Notice::Failed(
                    tr(
                        ctx.locale,
                        "コピーできませんでした。コードを選択してコピーしてください。",
                        "Could not copy; select the code and copy it.",
                    )
                    .to_owned(),
                )))
                .map_or((), |_| ()),
        }
    });
}

/// Test send, save, delete, and the embed snippet.
fn actions(ctx: Ctx) -> impl IntoView {
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
    let saved = move || ctx.state.with(|s| s.saved);
    let can_test = move || saved() && !ctx.state.with(|s| s.dirty) && ctx.tried.get().is_some();
    let relay = ctx.admin.with_value(|admin| admin.relay.clone());
    let snippet = {
        let relay = relay.clone();
        move || ctx.state.with(|s| s.snippet(&relay))
    };
    let csp = move || ctx.state.with(|s| s.csp(&relay));
    view! {
        <section class="kfe-actions" aria-labelledby="kfe-actions-h">
            <h3 id="kfe-actions-h">{tr(locale, "保存と公開", "Save and publish")}</h3>
            <p class="kfe-row">
                <button type="button" class="kfe-primary" on:click=save>{tr(locale, "保存", "Save")}</button>
                <button type="button" on:click=test_send disabled=move || !can_test()>{tr(locale, "kintone にテスト送信", "Test send to kintone")}</button>
                {move || ctx.state.with(|s| s.dirty).then(|| view! {
                    <span class="kfe-unsaved" role="status">{tr(locale, "未保存の変更があります", "Unsaved changes")}</span>
                })}
                {move || saved().then(|| view! {
                    <button type="button" class="kfe-danger" on:click=delete>{tr(locale, "フォームを削除", "Delete form")}</button>
                })}
            </p>
            <p class="kfe-help">{tr(locale,
                "テスト送信は、保存済みのフォームで、プレビューから送信した値を kintone に 1 件送ります。",
                "A test send sends the values last sent from the preview to kintone as one record, with the saved form.")}</p>
            {move || confirming_delete.get().then(|| view! {
                <p class="kfe-confirm" role="alert">
                    {tr(locale, "本当に削除しますか？ 埋め込んだページではフォームが表示されなくなります。", "Delete it? Pages that embed it will no longer show the form.")}
                    <button type="button" id="kfe-delete-confirm" class="kfe-danger" on:click=delete>{tr(locale, "削除する", "Delete")}</button>
                    <button type="button" on:click=move |_| confirming_delete.set(false)>{tr(locale, "やめる", "Cancel")}</button>
                </p>
            })}
            {move || ctx.answer.get().map(|answer| view! {
                <h4>{tr(locale, "kintone の応答", "kintone's answer")}</h4>
                <pre class="kfe-answer">{answer}</pre>
            })}
            {move || saved().then(|| view! {
                <label for="kfe-snippet">{tr(locale, "サイトに貼り付けるコード", "Code to paste into the site")}</label>
                <textarea id="kfe-snippet" readonly rows="3" prop:value=snippet.clone()></textarea>
                <p class="kfe-row">
                    <button type="button" on:click={
                        let snippet = snippet.clone();
                        move |_| copy(ctx, &snippet())
                    }>{tr(locale, "コードをコピー", "Copy the code")}</button>
                </p>
                <label for="kfe-csp">{tr(locale, "Content-Security-Policy に加える指定", "What the Content-Security-Policy needs")}</label>
                <textarea id="kfe-csp" readonly rows="2" prop:value=csp.clone()></textarea>
            })}
        </section>
    }
}
