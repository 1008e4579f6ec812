//! The first step of a new form: its connection, app and id (checked before any work).

use super::*;

/// The first step of a new form: connection, app and form id.
pub(super) fn start(ctx: Ctx) -> El {
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
            let text = Text::FormIdRule.get(locale);
            ctx.notice.set(Some(Notice::Failed(text.to_owned())));
            return;
        }
        ctx.working(Text::Syncing);
        spawn_local(async move {
            // An id in use is said now, not at the first save, when the work could not be kept.
            match ctx.admin.get_value().form_id_taken(&id).await {
                Ok(false) => {}
                Ok(true) => {
                    let text = crate::text::id_in_use(&id, locale);
                    ctx.notice.try_set(Some(Notice::Failed(text)));
                    return;
                }
                Err(err) => return ctx.failed(&err),
            }
            match ctx.admin.get_value().sync(&name, app).await {
                Ok((fields, _)) => {
                    let draft = Draft::new(&id, &name, AppId(app), locale);
                    ctx.state.try_update(|s| s.open(draft, fields, false));
                    ctx.done(Text::Synced);
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
            Text::Connection.get(locale),
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
            Text::App.get(locale),
            el("select")
                .flag_with("disabled", move || ctx.refused.get())
                .options_with(app_options, move || app.get())
                .on("change", move |ev| app.set(target_value(&ev))),
        ))
        .children(labelled(
            "kfe-id",
            Text::FormIdInput.get(locale),
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
                .text(Text::SyncAndStart.get(locale)),
        )
}
