//! The editor's screen: choose an app, build the form from its fields, see lint and the
//! preview, test send, save and copy the embed snippet. State lives in [`EditorState`]; these
//! components only render it (through [`crate::view`]) and call its methods.

use kform_core::field::NotWritableReason;
use kform_core::{AppId, FormItem, InputHint, LintIssue, Locale, OnSuccess};
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{Value, json};
use wasm_bindgen::JsCast;
use web_sys::{Event, HtmlElement};

use crate::api::{Admin, ApiError, AppSummary};
use crate::embed::{Preview, emit};
use crate::state::{
    Draft, Edit, EditorState, FieldRow, FieldState, FormEdit, is_valid_form_id, value_text,
};
use crate::view::{El, el, target_checked, target_value};

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
    /// Whether there are changes not saved yet; it wakes its readers only when it flips.
    dirty: Memo<bool>,
    /// Whether the relay refused the editor token: nothing can work until the CMS opens the
    /// editor again, so the controls that call the relay are disabled.
    refused: RwSignal<bool>,
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
            // One sentence in the editor's language: the relay's own words are about keys the
            // person in the CMS never sees.
            self.refused.try_set(true);
            tr(
                self.locale,
                "エディタのトークンが受け付けられませんでした。CMS の画面を開き直してください。",
                "The editor token was refused. Open the editor again from your CMS.",
            )
            .to_owned()
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
) -> El {
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
        dirty: Memo::new(move |_| state.with(|s| s.dirty)),
        refused: RwSignal::new(false),
    };
    if let Some(id) = form {
        spawn_local(open_form(ctx, id));
    }
    let opened = Memo::new(move |_| ctx.state.with(|s| s.draft.is_some()));
    // The page hears when there are changes not saved yet (kform-editor.js guards leaving).
    Effect::new(move |ran: Option<()>| {
        // The memo wakes this only when the flag flips; the first run says only "dirty".
        let now = ctx.dirty.get();
        if ran.is_some() || now {
            emit(&ctx.host.get_value(), "kform-editor:change", &json!({ "dirty": now }));
        }
    });
    el("div")
        .class("kfe")
        .attr("part", "editor-root")
        .child(el("h2").class("kfe-title").text(tr(locale, "フォームエディタ", "Form editor")))
        .dynamic(move || notice_view(ctx))
        .dynamic(
            move || {
                if opened.get() { workspace(ctx, preview.clone()) } else { vec![start(ctx)] }
            },
        )
}

fn notice_view(ctx: Ctx) -> Option<El> {
    let (class, role, text) = match ctx.notice.get()? {
        Notice::Working(text) => ("kfe-notice", "status", text.to_owned()),
        Notice::Done(text) => ("kfe-notice kfe-done", "status", text),
        Notice::Failed(text) => ("kfe-notice kfe-failed", "alert", text),
    };
    Some(el("p").class(class).attr("role", role).text(&text))
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

/// A `<label for=…>` with its text.
fn label(for_id: &str, text: &str) -> El {
    el("label").attr("for", for_id).text(text)
}

/// A `<button type="button">` with its text and what a click does.
fn button(text: &str, on_click: impl FnMut(Event) + 'static) -> El {
    el("button").attr("type", "button").text(text).on("click", on_click)
}

/// An `<option>`.
fn option(value: &str, text: &str) -> El {
    el("option").attr("value", value).text(text)
}

/// A control with the id `id` and its label, which names it by that id.
fn labelled(id: &str, text: &str, control: El) -> [El; 2] {
    [label(id, text), control.id(id)]
}

/// A text `<input>`.
fn text_input() -> El {
    el("input").attr("type", "text")
}

/// A `<select>` whose first option, `none`, has the value "", then `options` as (value, text);
/// both the options and the value follow signals.
fn choice(
    none: &str,
    options: impl Fn() -> Vec<(String, String)> + 'static,
    value: impl Fn() -> String + 'static,
) -> El {
    el("select").child(option("", none)).options_with(options, value)
}

/// A checkbox (`input`, its type set) and its label, side by side.
fn checkbox(id: &str, text: &str, input: El) -> El {
    el("span").class("kfe-check").child(input.id(id)).child(label(id, text))
}

/// The first step of a new form: connection, app and form id.
fn start(ctx: Ctx) -> El {
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
    let on_submit = move |ev: Event| {
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
            // An id in use is said now, not at the first save, when the work could not be kept.
            match ctx.admin.get_value().form_id_taken(&id).await {
                Ok(false) => {}
                Ok(true) => {
                    let text = match locale {
                        Locale::Ja => {
                            format!("フォーム ID「{id}」は使われています。別の ID にしてください。")
                        }
                        Locale::En => format!("The form id \"{id}\" is in use; choose another."),
                    };
                    ctx.notice.try_set(Some(Notice::Failed(text)));
                    return;
                }
                Err(err) => return ctx.failed(&err),
            }
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
    let connection_options =
        move || connections.get().into_iter().map(|name| (name.clone(), name)).collect();
    let app_options = move || {
        apps.get()
            .into_iter()
            .map(|a| (a.app.to_string(), format!("{} ({})", a.name.unwrap_or_default(), a.app)))
            .collect()
    };
    el("form")
        .class("kfe-start")
        .on("submit", on_submit)
        .children(labelled(
            "kfe-connection",
            tr(locale, "接続", "Connection"),
            el("select")
                .flag_with("disabled", move || ctx.refused.get())
                .options_with(connection_options, move || connection.get())
                .on("change", move |ev| {
                    let name = target_value(&ev);
                    connection.set(name.clone());
                    load_apps(name);
                }),
        ))
        .children(labelled(
            "kfe-app",
            tr(locale, "アプリ", "App"),
            el("select")
                .flag_with("disabled", move || ctx.refused.get())
                .options_with(app_options, move || app.get())
                .on("change", move |ev| app.set(target_value(&ev))),
        ))
        .children(labelled(
            "kfe-id",
            tr(locale, "フォーム ID（英数字、- と _）", "Form id (letters, digits, - and _)"),
            text_input()
                .attr("autocomplete", "off")
                .value_with(move || id.get())
                .on("input", move |ev| id.set(target_value(&ev))),
        ))
        .child(
            el("button")
                .attr("type", "submit")
                .class("kfe-primary")
                .flag_with("disabled", move || ctx.refused.get())
                .text(tr(locale, "フィールドを同期して始める", "Sync the fields and start")),
        )
}

/// A panel of the editing screen with its heading.
fn panel(id: &str, heading: &str) -> El {
    el("section")
        .class("kfe-panel")
        .attr("aria-labelledby", id)
        .child(el("h3").id(id).text(heading))
}

/// The editing screen: fields, items, settings, lint, preview and actions.
fn workspace(ctx: Ctx, preview: Preview) -> Vec<El> {
    let locale = ctx.locale;
    // A region keeps its place inside an element: the drift notice and the problems each have
    // a plain `<div>` of their own (the stylesheet styles no `div` by position).
    let drift = el("div").dynamic(move || drift_view(ctx));
    let columns = el("div")
        .class("kfe-columns")
        .child(
            panel("kfe-fields-h", tr(locale, "kintone のフィールド", "kintone fields"))
                .dynamic(move || Some(field_list(ctx))),
        )
        .child(
            // The ways to add an item stay right under the list; an item's settings, which
            // can be long, come after them rather than pushing them out of view.
            panel("kfe-items-h", tr(locale, "フォームの項目", "Form items"))
                .dynamic(move || Some(item_list(ctx)))
                .children(add_more(ctx))
                .dynamic(move || ctx.selected.get().map(|index| item_settings(ctx, index))),
        )
        .child(form_settings(
            ctx,
            panel("kfe-form-h", tr(locale, "フォームの設定", "Form settings")),
        ));
    vec![
        drift,
        columns,
        el("div").dynamic(move || Some(lint_view(ctx))),
        preview_view(ctx, preview),
        actions(ctx),
    ]
}

fn drift_view(ctx: Ctx) -> Option<El> {
    ctx.drift.get()?;
    Some(el("p").class("kfe-drift").attr("role", "alert").text(tr(
        ctx.locale,
        "保存後に kintone のアプリが変更され、このフォームと合わなくなっています。下の「問題」を直して保存してください。",
        "The kintone app changed after this form was saved and no longer fits it. Fix the problems below and save.",
    )))
}

fn reason_text(locale: Locale, reason: NotWritableReason) -> &'static str {
    match reason {
        NotWritableReason::System => tr(locale, "kintone が管理", "kept by kintone"),
        NotWritableReason::Computed => tr(locale, "計算・ルックアップで決まる", "computed"),
        NotWritableReason::Layout => tr(locale, "値を持たない", "holds no value"),
        NotWritableReason::Unsupported => tr(locale, "未対応の種類", "type not supported"),
    }
}

fn field_list(ctx: Ctx) -> El {
    let locale = ctx.locale;
    let rows = ctx.state.with(EditorState::field_rows);
    let lines = rows.into_iter().map(|row| {
        let required = row
            .required
            .then(|| el("span").class("kfe-required").text(tr(locale, "必須", "required")));
        let action = match row.state {
            FieldState::Addable => {
                let code = row.code.clone();
                let on_click = move |_| {
                    let added = ctx.state.try_update(|s| s.add_field(&code)).flatten();
                    ctx.selected.set(added);
                };
                button(tr(locale, "追加", "Add"), on_click)
                    .attr("aria-label", &format!("{} {}", row.label, tr(locale, "を追加", ": add")))
            }
            FieldState::OnForm(_) => {
                el("span").class("kfe-on-form").text(tr(locale, "追加済み", "on the form"))
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
            .maybe(required)
            .child(action)
    });
    el("ul").class("kfe-fields").children(lines)
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

fn item_list(ctx: Ctx) -> El {
    let locale = ctx.locale;
    let items = ctx.state.with(|s| s.items().to_vec());
    let lint = ctx.lint.get();
    let count = items.len();
    if count == 0 {
        return el("p").class("kfe-empty").text(tr(
            locale,
            "左のフィールドから「追加」してください。",
            "Add fields from the list on the left.",
        ));
    }
    let fields = ctx.state.with(|s| s.fields().cloned()).unwrap_or_default();
    let lines = items.into_iter().enumerate().map(|(index, item)| {
        let kintone_label =
            item.field.as_ref().and_then(|code| fields.get(code.as_str())).map(|f| f.label.clone());
        let name = item
            .label
            .clone()
            .or(kintone_label)
            .unwrap_or_else(|| tr(locale, "（見出し）", "(heading)").to_owned());
        let kind = if item.page_break {
            tr(locale, "改ページ", "page break").to_owned()
        } else if item.hidden.is_some() {
            format!(
                "{} = {}",
                tr(locale, "固定値", "fixed value"),
                value_text(item.hidden.as_ref())
            )
        } else {
            item.field.as_ref().map(|c| c.as_str().to_owned()).unwrap_or_default()
        };
        let problems = lint.iter().filter(|issue| issue.item == Some(index)).count();
        let mark = (problems > 0).then(|| {
            el("span")
                .class("kfe-problem-count")
                .text(&format!("{} {problems}", tr(locale, "問題", "problems:")))
        });
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
        // An item's button, named for the item for screen readers.
        let item_button = |text: &str, action: &str, id: &str| {
            el("button")
                .attr("type", "button")
                .attr("aria-label", &format!("{name} {action}"))
                .id(&format!("kfe-item-{index}-{id}"))
                .text(text)
        };
        let up = item_button("↑", tr(locale, "を上へ", ": move up"), "up");
        let down = item_button("↓", tr(locale, "を下へ", ": move down"), "down");
        el("li")
            .attr_with("class", move || {
                Some(if selected() { "kfe-item kfe-selected" } else { "kfe-item" }.to_owned())
            })
            .child(el("span").class("kfe-item-name").text(&name))
            .child(el("span").class("kfe-type").text(&kind))
            .maybe(mark)
            .child(
                el("span")
                    .class("kfe-item-buttons")
                    .child(
                        if index == 0 { up.attr("disabled", "") } else { up }
                            .on("click", mover(-1, "up")),
                    )
                    .child(
                        if index + 1 == count { down.attr("disabled", "") } else { down }
                            .on("click", mover(1, "down")),
                    )
                    .child(
                        item_button(
                            tr(locale, "編集", "Edit"),
                            tr(locale, "を編集", ": edit"),
                            "edit",
                        )
                        .attr_with("aria-pressed", move || Some(selected().to_string()))
                        .on("click", edit),
                    )
                    .child(button(tr(locale, "削除", "Remove"), remove).attr(
                        "aria-label",
                        &format!("{name} {}", tr(locale, "を削除", ": remove")),
                    )),
            )
    });
    el("ol").class("kfe-items").children(lines)
}

/// The options "label (code)" for the app's fields that `keep` accepts.
fn field_options(ctx: Ctx, keep: impl Fn(&FieldRow) -> bool) -> Vec<(String, String)> {
    ctx.state
        .with(EditorState::field_rows)
        .into_iter()
        .filter(|row| keep(row))
        .map(|row| {
            let text = format!("{} ({})", row.label, row.code);
            (row.code, text)
        })
        .collect()
}

/// Field codes as options, each shown as itself.
fn code_options(codes: Vec<String>) -> Vec<(String, String)> {
    codes.into_iter().map(|code| (code.clone(), code)).collect()
}

/// Hidden identifiers, headings and page breaks.
fn add_more(ctx: Ctx) -> [El; 2] {
    let locale = ctx.locale;
    let code = RwSignal::new(String::new());
    let value = RwSignal::new(String::new());
    let candidates = move || field_options(ctx, |row| row.state == FieldState::Addable);
    let add_hidden = move |ev: Event| {
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
    let hidden = el("fieldset")
        .child(el("legend").text(tr(
            locale,
            "隠し項目（どのフォームから来たかの識別など）",
            "Hidden item (e.g. which form a lead came from)",
        )))
        .children(labelled(
            "kfe-hidden-field",
            tr(locale, "フィールド", "Field"),
            choice(tr(locale, "選択してください", "Choose"), candidates, move || {
                code.get()
            })
            .on("change", move |ev| code.set(target_value(&ev))),
        ))
        .children(labelled(
            "kfe-hidden-value",
            tr(locale, "送る値", "Value sent"),
            text_input()
                .value_with(move || value.get())
                .on("input", move |ev| value.set(target_value(&ev))),
        ))
        .child(el("button").attr("type", "submit").text(tr(
            locale,
            "隠し項目を追加",
            "Add hidden item",
        )));
    [
        el("form").class("kfe-hidden").on("submit", add_hidden).child(hidden),
        el("p")
            .class("kfe-row")
            .child(button(tr(locale, "見出しを追加", "Add heading"), add_note))
            .child(button(tr(locale, "改ページを追加", "Add page break"), add_break)),
    ]
}

/// An item's text setting: its input's id, its label, its current value and its edit.
/// A text setting: its input's id, its label, its current value, its edit, and whether it
/// applies as it is typed (free text) or when the box is left (values typed with commas, which
/// a half-typed list would cut short).
type TextSetting = (&'static str, &'static str, fn(&FormItem) -> String, fn(String) -> Edit, bool);

/// A labelled text input bound to one item edit.
fn text_setting(
    ctx: Ctx,
    index: usize,
    id: &str,
    text: &str,
    current: fn(&FormItem) -> String,
    edit: fn(String) -> Edit,
    live: bool,
) -> [El; 2] {
    let value = move || ctx.state.with(|s| s.items().get(index).map(current).unwrap_or_default());
    let input =
        text_input().value_with(value).on(if live { "input" } else { "change" }, move |ev| {
            ctx.state.update(|s| s.edit(index, edit(target_value(&ev))));
        });
    labelled(id, text, input)
}

/// The open item's settings.
fn item_settings(ctx: Ctx, index: usize) -> El {
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
    let on_map = move |ev: Event| {
        let code = target_value(&ev);
        ctx.state.update(|s| s.edit(index, Edit::Field((!code.is_empty()).then_some(code))));
        // The settings are built for the field's type: build them again for the new one, and
        // keep the focus where it was.
        ctx.selected.set(Some(index));
        focus_later(ctx, "kfe-s-field".into());
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
    let problems = move || {
        ctx.lint
            .get()
            .into_iter()
            .filter(|issue| issue.item == Some(index))
            .map(|issue| issue_line(locale, &issue, ""))
            .collect::<Vec<_>>()
    };
    let hint = move |ev: Event| {
        let hint = match target_value(&ev).as_str() {
            "email" => Some(InputHint::Email),
            "tel" => Some(InputHint::Tel),
            "url" => Some(InputHint::Url),
            "postal_code" => Some(InputHint::PostalCode),
            _ => None,
        };
        ctx.state.update(|s| s.edit(index, Edit::Hint(hint)));
    };
    let hint_value = move || {
        match ctx.state.with(|s| item(s).input_hint) {
            Some(InputHint::Email) => "email",
            Some(InputHint::Tel) => "tel",
            Some(InputHint::Url) => "url",
            Some(InputHint::PostalCode) => "postal_code",
            None => "",
        }
        .to_owned()
    };
    let option_rows = options.iter().enumerate().map(|(n, choice)| {
        let value = choice.value.clone();
        let offered = {
            let value = value.clone();
            move || ctx.state.with(|s| !item(s).hide_options.contains(&value))
        };
        let input = {
            let value = value.clone();
            el("input").attr("type", "checkbox").checked_with(offered).on("change", move |ev| {
                ctx.state
                    .update(|s| s.edit(index, Edit::Offer(value.clone(), target_checked(&ev))));
            })
        };
        // The form's own words for the option (an English form's for a Japanese choice).
        let shown = {
            let value = value.clone();
            move || {
                ctx.state.with(|s| item(s).option_labels.get(&value).unwrap_or_default().to_owned())
            }
        };
        let label = text_input()
            .attr("placeholder", &choice.label)
            .attr("aria-label", &format!("{} {}", choice.label, tr(locale, "の表示名", "shown as")))
            .value_with(shown)
            .on("input", move |ev| {
                ctx.state
                    .update(|s| s.edit(index, Edit::OptionLabel(value.clone(), target_value(&ev))));
            });
        el("div")
            .class("kfe-option")
            .child(checkbox(&format!("kfe-s-option-{n}"), &choice.label, input))
            .child(label.id(&format!("kfe-s-option-label-{n}")))
    });
    let mut section = el("section")
        .class("kfe-settings")
        .attr("aria-labelledby", "kfe-s-h")
        .child(el("h4").id("kfe-s-h").text_with(move || {
            // Named as the visitor sees the item: its own label, else kintone's, else its number.
            let name = ctx.state.with(|s| item(s).label.or_else(|| field(s).map(|f| f.label)));
            match (name, locale) {
                (Some(name), Locale::Ja) => format!("「{name}」の設定"),
                (Some(name), Locale::En) => format!("Settings of \u{201c}{name}\u{201d}"),
                (None, _) => format!("{} {}", tr(locale, "項目", "Item"), index + 1),
            }
        }))
        .child(el("ul").class("kfe-problems").dynamic(problems));
    if !page_break {
        let none = tr(locale, "なし（見出し・説明）", "None (a heading or a note)");
        section = section.children(labelled(
            "kfe-s-field",
            tr(locale, "kintone のフィールド", "kintone field"),
            choice(none, mapping, mapped).on("change", on_map),
        ));
    }
    // The text settings: (id, label, current value, edit); a hidden item sends a fixed value
    // instead of showing a placeholder and an initial value.
    let mut texts: Vec<TextSetting> = vec![
        (
            "kfe-s-label",
            tr(locale, "ラベル（空欄で kintone のラベル）", "Label (empty: kintone's)"),
            |i| i.label.clone().unwrap_or_default(),
            Edit::Label,
            true,
        ),
        (
            "kfe-s-help",
            tr(locale, "説明", "Help text"),
            |i| i.help.clone().unwrap_or_default(),
            Edit::Help,
            true,
        ),
    ];
    if hidden {
        texts.push((
            "kfe-s-hidden",
            tr(locale, "送る固定値", "Fixed value sent"),
            |i| value_text(i.hidden.as_ref()),
            Edit::Hidden,
            false,
        ));
    } else {
        texts.push((
            "kfe-s-placeholder",
            tr(locale, "プレースホルダー", "Placeholder"),
            |i| i.placeholder.clone().unwrap_or_default(),
            Edit::Placeholder,
            true,
        ));
        texts.push((
            "kfe-s-initial",
            tr(locale, "初期値", "Initial value"),
            |i| value_text(i.initial.as_ref()),
            Edit::Initial,
            false,
        ));
    }
    for (id, text, current, edit, live) in texts {
        section = section.children(text_setting(ctx, index, id, text, current, edit, live));
    }
    if is_text {
        let hints = [
            ("email", tr(locale, "メールアドレス", "E-mail")),
            ("tel", tr(locale, "電話番号", "Phone")),
            ("url", "URL"),
            ("postal_code", tr(locale, "郵便番号", "Postal code")),
        ];
        let select = el("select")
            .child(option("", tr(locale, "なし", "None")))
            .children(hints.into_iter().map(|(value, text)| option(value, text)))
            .value_with(hint_value)
            .on("change", hint);
        section = section.children(labelled(
            "kfe-s-hint",
            tr(locale, "入力の種類", "Input hint"),
            select,
        ));
    }
    let required = el("input")
        .attr("type", "checkbox")
        .checked_with(move || kintone_required || ctx.state.with(|s| item(s).required))
        .on("change", move |ev| {
            ctx.state.update(|s| s.edit(index, Edit::Required(target_checked(&ev))));
        });
    // Required can only be tightened: a field kintone requires stays required.
    let (text, required) = if kintone_required {
        let text =
            tr(locale, "必須（kintone で必須のため外せません）", "Required (kintone requires it)");
        (text, required.attr("disabled", ""))
    } else {
        (tr(locale, "このフォームでは必須にする", "Required on this form"), required)
    };
    section = section.child(checkbox("kfe-s-required", text, required));
    if is_file {
        let input = el("input")
            .attr("type", "number")
            .attr("min", "1")
            .attr("inputmode", "numeric")
            .value_with(move || {
                ctx.state.with(|s| item(s).max_files.map(|n| n.to_string()).unwrap_or_default())
            })
            .on("change", move |ev| {
                let max = target_value(&ev).trim().parse().ok();
                ctx.state.update(|s| s.edit(index, Edit::MaxFiles(max)));
            });
        let text = tr(
            locale,
            "添付できるファイル数（空欄で制限なし）",
            "Most files a visitor may attach (empty: no limit)",
        );
        section = section.children(labelled("kfe-s-max-files", text, input));
    }
    if !hidden && !page_break {
        let condition_fields =
            move || code_options(ctx.state.with(|s| s.show_if_candidates(index)));
        let always = tr(locale, "常に表示", "Always shown");
        section = section.child(
            el("fieldset")
                .class("kfe-condition")
                .child(el("legend").text(tr(locale, "表示する条件", "Show only when")))
                .children(labelled(
                    "kfe-s-if-field",
                    tr(locale, "項目", "Item"),
                    choice(always, condition_fields, move || condition_field.get()).on(
                        "change",
                        move |ev| {
                            condition_field.set(target_value(&ev));
                            set_condition();
                        },
                    ),
                ))
                .children(labelled(
                    "kfe-s-if-values",
                    tr(locale, "が次のいずれか（カンマ区切り）", "is one of (comma-separated)"),
                    text_input().value_with(move || condition_values.get()).on(
                        "change",
                        move |ev| {
                            condition_values.set(target_value(&ev));
                            set_condition();
                        },
                    ),
                )),
        );
    }
    if !options.is_empty() {
        section = section.child(
            el("fieldset")
                .class("kfe-options")
                .child(el("legend").text(tr(
                    locale,
                    "表示する選択肢と表示名（送る値は kintone の選択肢のまま）",
                    "Options offered, and how each is shown (the value sent stays kintone's)",
                )))
                .children(option_rows),
        );
    }
    section.child(button(tr(locale, "閉じる", "Close"), move |_| {
        ctx.selected.set(None);
        focus_later(ctx, format!("kfe-item-{index}-edit"));
    }))
}

/// The form's own settings, added to `panel`.
fn form_settings(ctx: Ctx, panel: El) -> El {
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
        choice(tr(locale, "なし", "None"), options, spec_text(current))
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
                .text(tr(locale, "フォーム ID", "Form id"))
                .text(" ")
                .child(el("code").text_with(spec_text(|d| d.spec.id.0.clone()))),
        )
        .children(labelled("kfe-f-lang", tr(locale, "言語", "Language"), lang))
        .children(labelled(
            "kfe-f-message",
            tr(
                locale,
                "送信後のメッセージ（空欄で標準）",
                "Message after sending (empty: the default)",
            ),
            text_input().value_with(success_text).on("change", on_message),
        ))
        .children(labelled(
            "kfe-f-redirect",
            tr(locale, "または送信後に移動する URL", "Or go to this address after sending"),
            el("input").attr("type", "url").value_with(redirect_text).on("change", on_redirect),
        ))
        .children(labelled(
            "kfe-f-origins",
            tr(
                locale,
                "埋め込みを許可するサイト（1 行に 1 つ、例 https://www.example.com）",
                "Sites allowed to embed it (one per line, e.g. https://www.example.com)",
            ),
            el("textarea")
                .attr("rows", "3")
                .value_with(spec_text(|d| d.allowed_origins.join("\n")))
                .on("change", move |ev| set(FormEdit::Origins(target_value(&ev)))),
        ))
        .children(labelled(
            "kfe-f-update",
            tr(
                locale,
                "更新キー（一致するレコードを更新）",
                "Update key (update the matching record)",
            ),
            key_select(
                |d| d.spec.update_key.as_ref().map(|c| c.as_str().to_owned()).unwrap_or_default(),
                EditorState::update_key_candidates,
                |code| FormEdit::UpdateKey(Some(code)),
            ),
        ))
        .children(labelled(
            "kfe-f-idem",
            tr(
                locale,
                "送信 ID を記録する重複禁止フィールド",
                "Unique field that records each submission's id",
            ),
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
            tr(locale, "送信前に確認画面を出す", "Show a confirmation screen"),
            |d| d.spec.confirm,
            FormEdit::Confirm,
        ))
        .child(check(
            "kfe-f-captcha",
            tr(locale, "スパム対策の確認（captcha）", "Spam check (captcha)"),
            |d| d.captcha,
            FormEdit::Captcha,
        ))
        .child(check(
            "kfe-f-test",
            tr(
                locale,
                "テストモード（kintone に送らない）",
                "Test mode (nothing is sent to kintone)",
            ),
            |d| d.spec.test_mode,
            FormEdit::TestMode,
        ))
}

/// One lint problem: where (`place`), what, and the fix.
fn issue_line(locale: Locale, issue: &LintIssue, place: &str) -> El {
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

fn lint_view(ctx: Ctx) -> El {
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
fn preview_view(ctx: Ctx, preview: Preview) -> El {
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
fn copy(ctx: Ctx, text: &str) {
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
fn actions(ctx: Ctx) -> El {
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
