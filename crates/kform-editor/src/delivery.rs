//! The delivery view: what happened to a form's submissions (counts per stage, a pause and its
//! reason, drift alerts, mails that could not be delivered, the history page by page, one
//! submission's values and attempts) and what a person can do about it (replay, replay every
//! failure, discard, resume, send a mail again or drop it). It refreshes
//! by itself while open; a refresh that changes nothing rebuilds nothing. Its state is one
//! plain [`Shown`] in one signal.
//!
//! It is its own WebAssembly bundle (`kform-delivery`, loaded when the editor's "Delivery"
//! tab is opened), so the editor's first load does not carry it: [`mount`] is its entry.

use kform_core::Locale;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::Value;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};

use crate::api::{Admin, ApiError};
use crate::state::delivery::{PAGE, STAGES, Shown, outcome, stage_label, value_text as shown};
use crate::text::Text;
use crate::view::{El, Live, button, el, labelled, option, target_value};

/// How often the open view asks the relay again.
const REFRESH: std::time::Duration = std::time::Duration::from_secs(4);

/// What the view's parts share.
#[derive(Clone, Copy)]
struct Ctx {
    admin: StoredValue<Admin>,
    locale: Locale,
    /// The view's root, to focus inside it.
    root: StoredValue<Element, LocalStorage>,
    /// The last call's outcome: whether it failed, and what to say.
    notice: RwSignal<Option<(bool, String)>>,
    view: RwSignal<Shown>,
}

impl Ctx {
    fn done(self, text: Text) {
        self.notice.try_set(Some((false, text.get(self.locale).to_owned())));
    }

    fn failed(self, err: &ApiError) {
        self.notice.try_set(Some((true, err.sentence(self.locale))));
    }

    /// The id of the element that has the focus in the editor's shadow root, if it has one.
    fn focused(self) -> Option<String> {
        let shadow = self.root.get_value().get_root_node();
        let active = js_sys::Reflect::get(&shadow, &"activeElement".into()).ok()?;
        let id = active.dyn_into::<Element>().ok()?.id();
        (!id.is_empty()).then_some(id)
    }

    /// Focuses the element `id` of the view once it is built.
    fn focus_later(self, id: impl Into<String>) {
        let id = id.into();
        let root = self.root.get_value();
        request_animation_frame(move || {
            let found = root.query_selector(&format!("[id=\"{id}\"]")).ok().flatten();
            if let Some(element) = found.and_then(|e| e.dyn_into::<HtmlElement>().ok()) {
                let _ = element.focus();
            }
        });
    }
}

/// Mounts the delivery view of `form` into `element` (inside the editor's shadow root, whose
/// stylesheet it uses); dropping the answer's owner (through [`kform_dom::Mounted`]) removes it.
pub fn mount(
    element: HtmlElement,
    relay: &str,
    token: &str,
    form: &str,
    locale: Locale,
) -> kform_dom::Mounted {
    let admin = Admin { relay: relay.trim_end_matches('/').to_owned(), token: token.to_owned() };
    let form = form.to_owned();
    let root: Element = element.clone().into();
    let container = root.clone();
    let owner = crate::view::mount(&container, move || {
        let ctx = Ctx {
            admin: StoredValue::new(admin),
            locale,
            root: StoredValue::new_local(root.clone()),
            notice: RwSignal::new(None),
            view: RwSignal::new(Shown { form, ..Shown::default() }),
        };
        delivery_view(ctx)
    });
    kform_dom::Mounted::new(owner, element)
}

/// The view.
fn delivery_view(ctx: Ctx) -> El {
    let (locale, view) = (ctx.locale, ctx.view);
    spawn_local(refresh(ctx));
    if let Ok(handle) = set_interval_with_handle(move || spawn_local(refresh(ctx)), REFRESH) {
        on_cleanup(move || IntervalHandle::clear(&handle));
    }
    let filter = el("select")
        .child(option("", Text::AllStages.get(locale)))
        .options_with(
            move || {
                let label = |stage: &str| {
                    format!("{} ({})", stage_label(stage, locale), view.with(|v| v.count(stage)))
                };
                STAGES.iter().map(|stage| ((*stage).to_owned(), label(stage))).collect()
            },
            move || view.with(|v| v.stage.clone()),
        )
        .on("change", move |ev| {
            view.update(|v| {
                v.stage = target_value(&ev);
                v.offset = 0;
            });
            spawn_local(refresh(ctx));
        });
    let step = move |older: bool| {
        move |_| {
            if view.try_update(|v| v.turn(older)).unwrap_or(false) {
                spawn_local(refresh(ctx));
            }
        }
    };
    el("section")
        .class("kfe-panel kfe-delivery")
        .attr("aria-labelledby", "kfe-d-h")
        .child(el("h3").id("kfe-d-h").text(Text::DeliveryTab.get(locale)))
        .dynamic(move || notice_view(ctx))
        .dynamic(move || paused_view(ctx))
        .dynamic(move || alerts_view(ctx))
        .dynamic(move || failed_mails_view(ctx))
        .child(
            el("p")
                .class("kfe-row")
                .children(labelled("kfe-d-stage", Text::ShowStage.get(locale), filter))
                .dynamic(move || replay_all_view(ctx)),
        )
        .dynamic(move || Some(table(ctx)))
        .child(
            el("p")
                .class("kfe-row")
                .child(
                    button(Text::Newer.get(locale), step(false))
                        .flag_with("disabled", move || view.with(|v| v.offset == 0)),
                )
                .child(
                    button(Text::Older.get(locale), step(true))
                        .flag_with("disabled", move || view.with(|v| v.page.len() < PAGE)),
                ),
        )
        .dynamic(move || details(ctx))
}

fn notice_view(ctx: Ctx) -> Option<El> {
    let (failed, text) = ctx.notice.get()?;
    let (class, role) =
        if failed { ("kfe-notice kfe-failed", "alert") } else { ("kfe-notice kfe-done", "status") };
    Some(el("p").class(class).attr("role", role).text(&text))
}

/// Asks the relay for the status and the page shown, and takes them when they differ.
async fn refresh(ctx: Ctx) {
    let view = ctx.view;
    let Some((form, stage, offset)) =
        view.try_with_untracked(|v| (v.form.clone(), v.stage.clone(), v.offset))
    else {
        return;
    };
    let admin = ctx.admin.get_value();
    let lang = if ctx.locale == Locale::Ja { "ja" } else { "en" };
    let answers = async {
        let status = admin.delivery(&form, lang).await?;
        Ok::<_, ApiError>((status, admin.history(&form, &stage, offset, PAGE, lang).await?))
    };
    match answers.await {
        Ok((status, page)) => {
            // A redrawn part keeps the reader's place: the focus goes back to the same control.
            let focused = ctx.focused();
            let changed = view.try_maybe_update(|v| {
                let changed = v.refreshed(status, page);
                (changed, changed)
            });
            if changed == Some(true)
                && let Some(id) = focused
            {
                ctx.focus_later(id);
            }
        }
        Err(err) => ctx.failed(&err),
    }
}

/// Calls an action on the form (`rest` after the form's path), says `done`, and refreshes.
fn act(ctx: Ctx, rest: String, done: Text) {
    let view = ctx.view;
    let form = view.with_untracked(|v| v.form.clone());
    spawn_local(async move {
        match ctx.admin.get_value().act(&form, &rest).await {
            Ok(_) => {
                ctx.done(done);
                refresh(ctx).await;
            }
            Err(err) => ctx.failed(&err),
        }
    });
}

fn paused_view(ctx: Ctx) -> Option<El> {
    let view = ctx.view;
    let reason = view.with(|v| v.status["paused"]["reason"].as_str().map(str::to_owned))?;
    let resume = move |_| act(ctx, "/resume".into(), Text::Resumed);
    Some(
        el("div")
            .class("kfe-drift")
            .attr("role", "alert")
            .child(el("p").text(Text::Paused.get(ctx.locale)).text(&reason))
            .child(button(Text::Resume.get(ctx.locale), resume)),
    )
}

fn alerts_view(ctx: Ctx) -> Option<El> {
    let (locale, view) = (ctx.locale, ctx.view);
    let lines: Vec<String> = view.with(|v| {
        let alerts = v.status["alerts"].as_array().map(Vec::as_slice).unwrap_or_default();
        let lines = alerts.iter().filter_map(|alert| alert["lines"].as_array()).flatten();
        lines.map(shown).collect()
    });
    if lines.is_empty() {
        return None;
    }
    Some(
        el("div")
            .class("kfe-drift")
            .child(el("p").text(Text::DriftAlerts.get(locale)))
            .child(el("ul").class("kfe-issues").children(lines.iter().map(|l| el("li").text(l)))),
    )
}

/// The mails given up after their tries, each with "send again" and "drop".
fn failed_mails_view(ctx: Ctx) -> Option<El> {
    let locale = ctx.locale;
    let mails = ctx.view.with(|v| v.status["failed_mails"].as_array().cloned())?;
    if mails.is_empty() {
        return None;
    }
    let rows = mails.into_iter().map(move |mail| {
        let n = shown(&mail["mail"]);
        let kind = if mail["kind"] == "notify" { Text::TeamNotice } else { Text::AutoReplyMail };
        let line = format!(
            "{} → {}: {} ({})",
            kind.get(locale),
            shown(&mail["to"]),
            shown(&mail["subject"]),
            shown(&mail["error"])
        );
        let (resend, drop) = (format!("/mails/{n}/resend"), format!("/mails/{n}/drop"));
        el("li")
            .text(when(&mail["at"], locale))
            .text(" ")
            .text(&line)
            .text(" ")
            .child(
                button(Text::ResendMail.get(locale), move |_| {
                    act(ctx, resend.clone(), Text::MailResent);
                })
                .attr("aria-label", format!("{} {n}", Text::ResendMail.get(locale))),
            )
            .child(
                button(Text::DropMail.get(locale), move |_| {
                    act(ctx, drop.clone(), Text::MailDropped);
                })
                .class("kfe-danger")
                .attr("aria-label", format!("{} {n}", Text::DropMail.get(locale))),
            )
    });
    Some(
        el("div")
            .class("kfe-drift")
            .child(el("p").text(Text::FailedMails.get(locale)))
            .child(el("ul").class("kfe-issues").children(rows)),
    )
}

fn replay_all_view(ctx: Ctx) -> Option<El> {
    let view = ctx.view;
    let locale = ctx.locale;
    let (failed, confirming) = view.with(|v| (v.count("dead_letter"), v.confirming));
    if failed == 0 {
        return None;
    }
    if !confirming {
        return Some(button(Text::ReplayAll.get(locale), move |_| {
            view.update(|v| v.confirming = true);
            ctx.focus_later("kfe-d-all");
        }));
    }
    let yes = move |_| {
        view.update(|v| v.confirming = false);
        act(ctx, "/replay-dead-letters".into(), Text::ReplayedAll);
    };
    Some(
        el("span")
            .class("kfe-row")
            .attr("role", "group")
            .child(el("span").text(Text::ReplayAllConfirm.get(locale)))
            .child(button(Text::ReplayAllYes.get(locale), yes).class("kfe-primary").id("kfe-d-all"))
            .child(button(Text::Cancel.get(locale), move |_| {
                view.update(|v| v.confirming = false);
            })),
    )
}

/// A moment the relay gave in Unix milliseconds, in the reader's time zone.
fn when(value: &Value, locale: Locale) -> String {
    let Some(millis) = value.as_f64().filter(|m| *m > 0.0) else { return String::new() };
    let lang = if locale == Locale::Ja { "ja-JP" } else { "en-US" };
    let date = js_sys::Date::new(&millis.into());
    date.to_locale_string(lang, &wasm_bindgen::JsValue::UNDEFINED).into()
}

fn table(ctx: Ctx) -> El {
    let view = ctx.view;
    let locale = ctx.locale;
    let (page, offset) = view.with(|v| (v.page.clone(), v.offset));
    if page.is_empty() {
        return el("p").text(Text::NoSubmissions.get(locale));
    }
    let head = [Text::Received, Text::Stage, Text::Tries, Text::Outcome, Text::Details]
        .map(|text| el("th").attr("scope", "col").text(text.get(locale)));
    let rows = page.iter().enumerate().map(|(n, submission)| {
        let id = shown(&submission["submission_id"]);
        let mut result = el("td").text(outcome(submission, locale));
        if let Some(url) = submission["record_url"].as_str() {
            let link = el("a").attr("href", url).attr("target", "_blank").attr("rel", "noopener");
            result = result.text(" ").child(link.text(Text::OpenInKintone.get(locale)));
        }
        if let Some(fix) = submission["fix"].as_str() {
            result = result.text(" ").child(el("span").class("kfe-fix").text(fix));
        }
        let name = format!("{} {}", Text::Details.get(locale), n + offset + 1);
        let open_id = format!("kfe-d-open-{id}");
        let open = button(Text::Details.get(locale), move |_| {
            view.update(|v| v.open = Some(id.clone()));
            ctx.focus_later("kfe-d-one");
        });
        el("tr")
            .child(el("td").text(when(&submission["accepted_at"], locale)))
            .child(el("td").text(stage_label(&shown(&submission["stage"]), locale)))
            .child(el("td").text(shown(&submission["tries"])))
            .child(result)
            .child(el("td").child(open.attr("aria-label", &name).id(&open_id)))
    });
    el("table")
        .class("kfe-subs")
        .child(el("thead").child(el("tr").children(head)))
        .child(el("tbody").children(rows))
}

/// One submission's values, files and calls to kintone, with what can be done about it.
fn details(ctx: Ctx) -> Option<El> {
    let view = ctx.view;
    let locale = ctx.locale;
    let (id, found) = view.with(|v| {
        let id = v.open.clone()?;
        let found = v.find(&id).cloned();
        Some((id, found))
    })?;
    let close = button(Text::Close.get(locale), move |_| view.update(|v| v.open = None));
    let section = el("section").class("kfe-settings").attr("aria-labelledby", "kfe-d-one").child(
        el("h4")
            .id("kfe-d-one")
            .attr("tabindex", "-1")
            .text(format!("{} {id}", Text::Submission.get(locale))),
    );
    let Some(found) = found else { return Some(section.child(close)) };
    let values = found["values"].as_object().cloned().unwrap_or_default();
    let pairs =
        values.iter().flat_map(|(code, value)| [el("dt").text(code), el("dd").text(shown(value))]);
    let files = found["files"].as_array().cloned().unwrap_or_default();
    let files = files.iter().map(|file| {
        let size = shown(&file["bytes"]);
        el("li").text(format!("{}: {} ({size} bytes)", shown(&file["field"]), shown(&file["name"])))
    });
    let attempts = found["attempts"].as_array().cloned().unwrap_or_default();
    let attempts = attempts.iter().map(|attempt| {
        let parts = ["endpoint", "status", "code", "message"].map(|key| shown(&attempt[key]));
        el("li").text(when(&attempt["at"], locale)).text(" ").text(parts.join(" ").trim())
    });
    let unsettled = matches!(found["stage"].as_str(), Some("dead_letter" | "pending"));
    let path =
        |action: &str| format!("/submissions/{}/{action}", js_sys::encode_uri_component(&id));
    let (replay, discard) = (path("replay"), path("discard"));
    let actions = unsettled.then(|| {
        let replay = move |_| act(ctx, replay.clone(), Text::Replayed);
        let discard = move |_| act(ctx, discard.clone(), Text::DiscardedOne);
        el("p")
            .class("kfe-row")
            .child(button(Text::Replay.get(locale), replay).class("kfe-primary"))
            .child(button(Text::Discard.get(locale), discard).class("kfe-danger"))
    });
    Some(
        section
            .child(el("h4").text(Text::ValuesSent.get(locale)))
            .child(el("dl").children(pairs))
            .child(el("ul").children(files))
            .child(el("h4").text(Text::Attempts.get(locale)))
            .child(el("ul").children(attempts))
            .child_opt(actions)
            .child(close),
    )
}
