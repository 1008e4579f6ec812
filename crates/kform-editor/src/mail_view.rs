//! The mail view: a saved form's auto-reply (the e-mail item it goes to, the subject and body
//! in each language, reply-to) with a live preview and "send a test mail", then the team's
//! addresses and the test-mode recipients; saved with the form's other settings as they are
//! stored. Editing goes through [`MailForm::edit_mail`]; the relay checks the templates again.
//!
//! Like the delivery view it is built into the `kform-delivery` bundle, which the editor loads
//! when its "Mail" tab is opened, so the editor's first load does not carry it: [`mount`] is
//! its entry.

use kform_core::Locale;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{Value, json};
use web_sys::HtmlElement;

use crate::api::{Admin, ApiError};
use crate::state::{MailEdit, MailForm, MailProblem};
use crate::text::Text;
use crate::view::{El, Live, button, el, label, labelled, option, target_checked, target_value};

/// What the view's parts share.
#[derive(Clone, Copy)]
struct Ctx {
    admin: StoredValue<Admin>,
    locale: Locale,
    form: StoredValue<String>,
    /// The saved form, once read, with the mail as edited.
    draft: RwSignal<Option<MailForm>>,
    /// The values last sent from the editor's preview (field code → value), for the preview.
    values: StoredValue<Value>,
    /// The last call's outcome: whether it failed, and what to say.
    notice: RwSignal<Option<(bool, String)>>,
}

impl Ctx {
    fn say(self, failed: bool, text: String) {
        self.notice.try_set(Some((failed, text)));
    }

    fn failed(self, err: &ApiError) {
        self.say(true, err.sentence(self.locale));
    }

    fn edit(self, edit: MailEdit) {
        self.draft.update(|draft| {
            if let Some(draft) = draft {
                draft.edit_mail(edit);
            }
        });
    }
}

/// Mounts the mail view of `form` into `element`, calling the relay at `relay` with the editor
/// token `token`, in `locale`; `values` are the editor preview's last values (JSON), if any.
pub fn mount(
    element: HtmlElement,
    relay: &str,
    token: &str,
    form: &str,
    locale: Locale,
    values: &str,
) -> kform_dom::Mounted {
    let admin = Admin { relay: relay.trim_end_matches('/').to_owned(), token: token.to_owned() };
    let values: Value = kform_dom::json_tree(values).unwrap_or_else(|| json!({}));
    let form = form.to_owned();
    let owner = crate::view::mount(&element.clone().into(), move || {
        let ctx = Ctx {
            admin: StoredValue::new(admin),
            locale,
            form: StoredValue::new(form),
            draft: RwSignal::new(None),
            values: StoredValue::new(values),
            notice: RwSignal::new(None),
        };
        spawn_local(async move {
            let id = ctx.form.get_value();
            match ctx.admin.get_value().form(&id).await {
                Ok(answer) => {
                    ctx.draft.try_set(Some(MailForm::new(answer)));
                }
                Err(err) => ctx.failed(&err),
            }
        });
        let loaded = Memo::new(move |_| ctx.draft.with(Option::is_some));
        el("section")
            .class("kfe-panel kfe-mail")
            .attr("aria-labelledby", "kfe-mail-h")
            .child(el("h3").id("kfe-mail-h").text(Text::Mail.get(locale)))
            .dynamic(move || {
                ctx.notice.get().map(|(failed, text)| {
                    el("p")
                        .class(if failed { "kfe-notice kfe-failed" } else { "kfe-notice" })
                        .attr("role", if failed { "alert" } else { "status" })
                        .text(&text)
                })
            })
            // Built once the form is read, not again on each edit (a rebuild would drop the
            // control being typed in).
            .dynamic(move || loaded.get().then(|| settings(ctx)))
    });
    kform_dom::Mounted::new(owner, element)
}

/// The draft's mail at `path`, following it.
fn text_at(ctx: Ctx, path: &'static [&'static str]) -> impl Fn() -> String + Copy + 'static {
    move || ctx.draft.with(|d| d.as_ref().map(|d| d.mail_text(path)).unwrap_or_default())
}

/// A labelled text control showing the mail at `path`, each change made by `edit`: one
/// function for every control, so the `.wasm` holds one copy.
fn control(
    ctx: Ctx,
    id: &str,
    text: Text,
    path: &'static [&'static str],
    edit: fn(String) -> MailEdit,
) -> [El; 2] {
    // A body is a few lines of text; everything else fits on one.
    let input = if path.contains(&"body") {
        el("textarea").attr("rows", "6")
    } else {
        el("input").attr("type", "text")
    };
    let input = input
        .value_with(text_at(ctx, path))
        .on("input", move |ev| ctx.edit(edit(target_value(&ev))));
    labelled(id, text.get(ctx.locale), input)
}

fn settings(ctx: Ctx) -> El {
    let locale = ctx.locale;
    let on =
        Memo::new(move |_| ctx.draft.with(|d| d.as_ref().is_some_and(MailForm::has_autoreply)));
    let enable = el("input")
        .attr("type", "checkbox")
        .id("kfe-m-on")
        .checked_with(move || on.get())
        .on("change", move |ev| ctx.edit(MailEdit::AutoReply(target_checked(&ev))));
    el("div")
        .child(
            el("span")
                .class("kfe-check")
                .child(enable)
                .child(label("kfe-m-on", Text::AutoReply.get(locale))),
        )
        .dynamic(move || on.get().then(|| autoreply(ctx)))
        .children(control(ctx, "kfe-m-notify", Text::TeamAddresses, &["notify"], MailEdit::Notify))
        .children(control(
            ctx,
            "kfe-m-testers",
            Text::TestRecipients,
            &["test_recipients"],
            MailEdit::TestRecipients,
        ))
        .child(el("p").class("kfe-row").child(button(Text::Save.get(locale), move |_| save(ctx))))
}

/// Saves the form with its mail (the form's other settings as they were read).
fn save(ctx: Ctx) {
    let Some(body) = ctx.draft.with_untracked(|d| d.as_ref().map(MailForm::body)) else {
        return;
    };
    let id = ctx.form.get_value();
    spawn_local(async move {
        match ctx.admin.get_value().save(&id, &body, false).await {
            Ok(_) => ctx.say(false, Text::Saved.get(ctx.locale).to_owned()),
            Err(err) => ctx.failed(&err),
        }
    });
}

/// The auto-reply's settings, shown while it is on.
fn autoreply(ctx: Ctx) -> El {
    let locale = ctx.locale;
    let items = move || {
        let codes = ctx.draft.with(|d| d.as_ref().map(MailForm::email_items)).unwrap_or_default();
        codes.into_iter().map(|code| (code.clone(), code)).collect::<Vec<_>>()
    };
    let to = el("select")
        .child(option("", Text::None.get(locale)))
        .options_with(items, text_at(ctx, &["autoreply", "to"]))
        .on("change", move |ev| ctx.edit(MailEdit::To(target_value(&ev))));
    el("div")
        .children(labelled("kfe-m-to", Text::ReplyAddressItem.get(locale), to))
        .children(control(
            ctx,
            "kfe-m-reply",
            Text::ReplyTo,
            &["autoreply", "reply_to"],
            MailEdit::ReplyTo,
        ))
        .child(el("p").class("kfe-hint").text(Text::MailPlaces.get(locale)))
        .children(control(
            ctx,
            "kfe-m-subject-ja",
            Text::SubjectJa,
            &["autoreply", "subject", "ja"],
            |v| MailEdit::Subject(Locale::Ja, v),
        ))
        .children(control(ctx, "kfe-m-body-ja", Text::BodyJa, &["autoreply", "body", "ja"], |v| {
            MailEdit::Body(Locale::Ja, v)
        }))
        .children(control(
            ctx,
            "kfe-m-subject-en",
            Text::SubjectEn,
            &["autoreply", "subject", "en"],
            |v| MailEdit::Subject(Locale::En, v),
        ))
        .children(control(ctx, "kfe-m-body-en", Text::BodyEn, &["autoreply", "body", "en"], |v| {
            MailEdit::Body(Locale::En, v)
        }))
        .child(el("div").dynamic(move || problems(ctx).into_iter().chain(preview(ctx))))
        .child(send_test(ctx))
}

/// The template texts naming what the form does not have.
fn problems(ctx: Ctx) -> Option<El> {
    let found = ctx.draft.with(|d| d.as_ref().map(MailForm::mail_problems))?;
    if found.is_empty() {
        return None;
    }
    let line = |problem: MailProblem| {
        let part = match (problem.part, problem.locale) {
            ("subject", Locale::Ja) => Text::SubjectJa,
            ("subject", Locale::En) => Text::SubjectEn,
            (_, Locale::Ja) => Text::BodyJa,
            (_, Locale::En) => Text::BodyEn,
        };
        let what = match problem.unknown {
            Ok(names) => {
                let names: Vec<String> = names.iter().map(|n| format!("{{{{{n}}}}}")).collect();
                format!("{} {}", Text::NotOnForm.get(ctx.locale), names.join(" "))
            }
            Err(reason) => reason,
        };
        el("li").text(format!("{}: {what}", part.get(ctx.locale)))
    };
    Some(el("ul").class("kfe-issues").attr("role", "status").children(found.into_iter().map(line)))
}

/// The auto-reply filled with the editor preview's last values.
fn preview(ctx: Ctx) -> Option<El> {
    let values = ctx.values.get_value();
    let (subject, body) = ctx.draft.with(|d| {
        let d = d.as_ref()?;
        d.mail_preview(&values, d.default_lang())
    })?;
    Some(
        el("figure")
            .class("kfe-mail-preview")
            .child(el("figcaption").text(Text::MailPreview.get(ctx.locale)))
            .child(el("pre").text(format!("{subject}\n\n{body}"))),
    )
}

/// An address and "send a test mail": the auto-reply as edited, to that address alone.
fn send_test(ctx: Ctx) -> El {
    let to = RwSignal::new(String::new());
    let send = move |_| {
        let address = to.get_untracked();
        let Some(mail) = ctx.draft.with_untracked(|d| d.as_ref().map(|d| d.body()["mail"].clone()))
        else {
            return;
        };
        let (id, values) = (ctx.form.get_value(), ctx.values.get_value());
        spawn_local(async move {
            match ctx.admin.get_value().mail_test(&id, &address, &values, &mail).await {
                Ok(answer) if answer["sent"] == true => {
                    ctx.say(false, Text::MailSent.get(ctx.locale).to_owned());
                }
                Ok(answer) => {
                    ctx.say(true, answer["error"].as_str().unwrap_or_default().to_owned())
                }
                Err(err) => ctx.failed(&err),
            }
        });
    };
    el("p")
        .class("kfe-row")
        .children(labelled(
            "kfe-m-test-to",
            Text::TestAddress.get(ctx.locale),
            el("input").attr("type", "email").on("input", move |ev| to.set(target_value(&ev))),
        ))
        .child(button(Text::SendTestMail.get(ctx.locale), send))
}
