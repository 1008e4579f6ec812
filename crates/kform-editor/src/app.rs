//! The editor's screen: choose an app, build the form from its fields, see lint and the
//! preview, test send, save and copy the embed snippet. State lives in [`EditorState`]; these
//! components only render it (through [`crate::view`]) and call its methods. This file holds
//! the editor's frame (its context, notices, opening a form, the workspace's layout) and the
//! small controls the screens share; each screen has its own file in `app/`: `start.rs` (a new
//! form's first step), `fields.rs` (kintone's fields), `items.rs` (the items and an item's
//! settings), `form.rs` (the form's settings) and `publish.rs` (lint, preview, test send, save).

use kform_core::field::FieldKind;
use kform_core::field::NotWritableReason;
use kform_core::{AppId, FormItem, InputHint, LintIssue, Locale, OnSuccess};

use crate::text::Text;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{Value, json};
use wasm_bindgen::JsCast;
use web_sys::{Event, HtmlElement};

use crate::api::{Admin, ApiError, AppSummary};
use crate::embed::{DeliveryOpener, Preview, emit};
use crate::state::{
    Draft, Edit, EditorState, FieldRow, FieldState, FormEdit, is_valid_form_id, value_text,
};
use crate::view::{El, Live, button, el, label, labelled, option, target_checked, target_value};

mod fields;
mod form;
mod items;
mod publish;
mod start;

use fields::field_list;
use form::form_settings;
use items::{add_more, code_options, item_list, item_settings};
use publish::{actions, issue_line, lint_view, preview_view};
use start::start;

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
    /// What is shown: the editing screen (`EDIT`), the delivery view or the mail view.
    tab: RwSignal<&'static str>,
    /// Whether the relay refused the editor token: nothing can work until the CMS opens the
    /// editor again, so the controls that call the relay are disabled.
    refused: RwSignal<bool>,
}

impl Ctx {
    /// Says a call is under way.
    #[inline(always)] // `text` stays a constant: no table of every text is built.
    fn working(self, text: Text) {
        self.notice.try_set(Some(Notice::Working(text.get(self.locale))));
    }

    /// Says a call succeeded.
    #[inline(always)] // `text` stays a constant: no table of every text is built.
    fn done(self, text: Text) {
        self.notice.try_set(Some(Notice::Done(text.get(self.locale).to_owned())));
    }

    /// Says why a call failed; a refused token says to open the editor again from the CMS.
    fn failed(self, err: &ApiError) {
        if err.is_token_refused() {
            self.refused.try_set(true);
        }
        // Called after awaits: the view may be gone.
        self.notice.try_set(Some(Notice::Failed(err.sentence(self.locale))));
    }
}

/// The whole editor for one host element.
pub(crate) fn editor(
    admin: Admin,
    form: Option<String>,
    locale: Locale,
    host: HtmlElement,
    preview: Preview,
    delivery: DeliveryOpener,
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
        tab: RwSignal::new(EDIT),
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
        .child(el("h2").class("kfe-title").text(Text::FormEditor.get(locale)))
        .dynamic(move || notice_view(ctx))
        .dynamic(move || {
            if opened.get() {
                workspace(ctx, preview.clone(), delivery.clone())
            } else {
                vec![start(ctx)]
            }
        })
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
    ctx.working(Text::Loading);
    let admin = ctx.admin.get_value();
    let loaded = async {
        let answer = admin.form(&id).await?;
        let draft = Draft::from_admin(answer).map_err(|message| ApiError {
            status: 0,
            code: "invalid".into(),
            message,
        })?;
        let (connection, app) = (&draft.connection, draft.spec.app.0);
        // When kintone refuses the sync (a revoked token, maintenance), the form still opens on
        // the fields last synced, saying why: its delivery view is where to see what to fix.
        let (fields, drift, unsynced) = match admin.sync(connection, app).await {
            Ok((fields, drift)) => (fields, drift, None),
            Err(err) if err.status >= 500 => {
                (admin.fields(connection, app).await?, serde_json::Map::new(), Some(err))
            }
            Err(err) => return Err(err),
        };
        Ok::<_, ApiError>((draft, fields, drift, unsynced))
    };
    match loaded.await {
        Ok((draft, fields, drift, unsynced)) => {
            ctx.drift.try_set(drift.get(&id).cloned());
            ctx.state.try_update(|s| s.open(draft, fields, true));
            match unsynced {
                Some(err) => ctx.failed(&err),
                None => {
                    ctx.notice.try_set(None);
                }
            }
        }
        Err(err) => ctx.failed(&err),
    }
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

/// A panel of the editing screen with its heading.
fn panel(id: &str, heading: &str) -> El {
    el("section")
        .class("kfe-panel")
        .attr("aria-labelledby", id)
        .child(el("h3").id(id).text(heading))
}

/// The editing screen: fields, items, settings, lint, preview and actions.
fn workspace(ctx: Ctx, preview: Preview, delivery: DeliveryOpener) -> Vec<El> {
    let locale = ctx.locale;
    // A region keeps its place inside an element: the drift notice and the problems each have
    // a plain `<div>` of their own (the stylesheet styles no `div` by position).
    let drift = el("div").dynamic(move || drift_view(ctx));
    let columns = el("div")
        .class("kfe-columns")
        .child(
            panel("kfe-fields-h", Text::KintoneFields.get(locale))
                .dynamic(move || Some(field_list(ctx))),
        )
        .child(
            // The ways to add an item stay right under the list; an item's settings, which
            // can be long, come after them rather than pushing them out of view.
            panel("kfe-items-h", Text::FormItems.get(locale))
                .dynamic(move || Some(item_list(ctx)))
                .children(add_more(ctx))
                .dynamic(move || ctx.selected.get().map(|index| item_settings(ctx, index))),
        )
        .child(form_settings(ctx, panel("kfe-form-h", Text::FormSettings.get(locale))));
    // The editing screen stays built while the delivery view is shown (the preview keeps its
    // state); the delivery view is built only while shown, and stops refreshing when hidden.
    let saved = Memo::new(move |_| ctx.state.with(|s| s.saved));
    let editing = el("div")
        .flag_with("hidden", move || ctx.tab.get() != EDIT)
        .child(drift)
        .child(columns)
        .child(el("div").dynamic(move || Some(lint_view(ctx))))
        .child(preview_view(ctx, preview))
        .child(actions(ctx));
    vec![
        el("div").dynamic(move || tabs(ctx, saved.get())),
        editing,
        el("div").dynamic(move || {
            let tab = ctx.tab.get();
            (tab != EDIT).then(|| delivery_host(ctx, &delivery, tab))
        }),
    ]
}

/// The editing screen's tab; the others name the view `kform-delivery` mounts.
const EDIT: &str = "edit";

/// Where the delivery or mail view (`view`, their own bundle) is mounted while it is shown; it is
/// closed with the region. The mail view gets the preview's last values for its own preview.
fn delivery_host(ctx: Ctx, opener: &DeliveryOpener, view: &str) -> El {
    let form = ctx.state.with_untracked(|s| s.draft.as_ref().map(|d| d.spec.id.0.clone()));
    let values = ctx.tried.get_untracked().map(|v| v.to_string()).unwrap_or_default();
    let (opener, view) = (opener.clone(), view.to_owned());
    el("div").with_element(move |host| {
        let shown = opener.open(
            host,
            &ctx.admin.get_value(),
            &form.unwrap_or_default(),
            ctx.locale,
            &view,
            &values,
        );
        // Dropped with the region: the view is unmounted when the tab is left or the form
        // closed.
        StoredValue::new_local(shown);
    })
}

/// The switch between editing the form, its delivery view and its mail, once it is saved.
fn tabs(ctx: Ctx, saved: bool) -> Option<El> {
    if !saved {
        return None;
    }
    let tab = |text: Text, tab: &'static str| {
        button(text.get(ctx.locale), move |_| ctx.tab.set(tab))
            .attr_with("aria-pressed", move || Some((ctx.tab.get() == tab).to_string()))
    };
    Some(
        el("p")
            .class("kfe-row kfe-tabs")
            .child(tab(Text::EditTab, EDIT))
            .child(tab(Text::DeliveryTab, "delivery"))
            .child(tab(Text::Mail, "mail")),
    )
}

fn drift_view(ctx: Ctx) -> Option<El> {
    ctx.drift.get()?;
    Some(el("p").class("kfe-drift").attr("role", "alert").text(Text::Drifted.get(ctx.locale)))
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
