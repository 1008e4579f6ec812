//! The admin API: keys and editor tokens, connections, sync and drift, forms, lint, test send,
//! history, replay and discard.

use kform_fake_kintone::{Fault, FaultKind};

use super::*;

fn demo_settings(id: &str) -> Value {
    let mut spec = serde_json::to_value(demo_form().unwrap()).unwrap();
    spec["id"] = json!(id);
    json!({ "connection": "demo", "allowed_origins": ["https://lp.example.com"], "spec": spec })
}

#[tokio::test]
async fn every_admin_call_needs_a_key_and_no_secret_is_shown() {
    let Harness { fake: _fake, state, _dir } = harness().await;
    for (method, path) in [
        ("GET", "/v1/admin/connections"),
        ("GET", "/v1/admin/forms"),
        ("POST", "/v1/admin/forms"),
        ("GET", "/v1/admin/forms/contact/submissions"),
        ("POST", "/v1/admin/editor-tokens"),
    ] {
        let none =
            send(&state, Request::builder().method(method).uri(path).body(Body::empty()).unwrap())
                .await;
        assert_eq!(none.status, StatusCode::UNAUTHORIZED, "{method} {path}");
        assert_eq!(none.body["code"], "unauthorized");
        assert_eq!(none.headers["www-authenticate"], "Bearer");
        let wrong = send(&state, bearer(method, path, "not-the-key", None)).await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{method} {path}");
        let integration = send(&state, bearer(method, path, INTEGRATION, None)).await;
        assert_eq!(
            integration.status,
            StatusCode::UNAUTHORIZED,
            "an integration key is not an admin key"
        );
    }
    let listed = send(&state, bearer("GET", "/v1/admin/connections", ADMIN, None)).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.body["connections"][0]["name"], "demo");
    assert_eq!(listed.body["connections"][0]["apps_with_tokens"], json!([1]));
    assert!(!listed.text.contains(TOKEN));
    let apps = send(&state, bearer("GET", "/v1/admin/connections/demo/apps", ADMIN, None)).await;
    assert_eq!(apps.body["apps"][0]["forms"], json!(["contact"]), "{}", apps.text);
    assert!(apps.body["apps"][0]["name"].is_string(), "{}", apps.text);
}

#[tokio::test]
async fn forms_are_created_read_updated_and_deleted_and_survive_a_restart() {
    let Harness { fake, state, _dir } = harness().await;
    let created =
        send(&state, bearer("POST", "/v1/admin/forms", ADMIN, Some(demo_settings("lp-spring"))))
            .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.body["lint"], json!([]), "{}", created.text);
    assert_eq!(created.body["source"], "admin");
    let twice =
        send(&state, bearer("POST", "/v1/admin/forms", ADMIN, Some(demo_settings("lp-spring"))))
            .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    let public = send(&state, get("/v1/forms/lp-spring")).await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(!public.text.contains("lp.example.com"), "no admin data in the public schema");
    // An update that maps an unknown field is kept, and its lint says so.
    let mut changed = demo_settings("lp-spring");
    changed["spec"]["items"].as_array_mut().unwrap().push(json!({ "field": "存在しない" }));
    let updated =
        send(&state, bearer("PUT", "/v1/admin/forms/lp-spring", ADMIN, Some(changed))).await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.text);
    assert_eq!(updated.body["lint"][0]["problem"], "unknown_field");
    let lint =
        send(&state, bearer("GET", "/v1/admin/forms/lp-spring/lint?lang=en", ADMIN, None)).await;
    assert!(
        lint.body["issues"][0]["message"].as_str().unwrap().contains("存在しない"),
        "{}",
        lint.text
    );
    assert_eq!(
        lint.body["issues"][0]["fix"],
        "Remove the item, or map it to a field a form can write instead of \"存在しない\"."
    );
    let bad_origin = {
        let mut settings = demo_settings("x");
        settings["allowed_origins"] = json!(["https://*.example.com"]);
        send(&state, bearer("POST", "/v1/admin/forms", ADMIN, Some(settings))).await
    };
    assert_eq!(bad_origin.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad_origin.body["problems"][0]["key"], "allowed_origins[0]");
    let config_form = send(&state, bearer("DELETE", "/v1/admin/forms/contact", ADMIN, None)).await;
    assert_eq!(config_form.status, StatusCode::CONFLICT, "forms from kform.toml are read-only");
    // A new relay on the same data directory still has the form.
    let mut config = demo_config(fake.url(), TOKEN, demo_form().unwrap(), _dir.path(), None);
    config.database_url = shared_store(_dir.path());
    config.admin_keys = vec![Secret::new(ADMIN)];
    let reopened = serve::open(&config).await.unwrap();
    // While the first relay runs, the second is warned that it shares the directory; relays
    // are meant to share a PostgreSQL database.
    assert_eq!(state.data_dir_warning(), None);
    if on_postgres() {
        assert_eq!(reopened.data_dir_warning(), None);
    } else {
        assert!(reopened.data_dir_warning().unwrap().contains("another kform relay"));
    }
    let read = send(&reopened, bearer("GET", "/v1/admin/forms/lp-spring", ADMIN, None)).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.body["allowed_origins"], json!(["https://lp.example.com"]));
    // What the API answers can be sent back as it is (its `source` is set aside)...
    let unchanged = read.body.clone();
    let put_back =
        send(&reopened, bearer("PUT", "/v1/admin/forms/lp-spring", ADMIN, Some(unchanged))).await;
    assert_eq!(put_back.status, StatusCode::OK, "{}", put_back.text);
    let mut saved = put_back.body.clone();
    let resaved =
        send(&reopened, bearer("PUT", "/v1/admin/forms/lp-spring", ADMIN, Some(saved.clone())))
            .await;
    assert_eq!(resaved.status, StatusCode::OK, "a save's answer, lint and all: {}", resaved.text);
    // ...but a key the relay does not know is refused with its own code, apart from bodies
    // that are not JSON at all.
    saved["colour"] = json!("red");
    let unknown =
        send(&reopened, bearer("PUT", "/v1/admin/forms/lp-spring", ADMIN, Some(saved))).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown.body["code"], "invalid_body");
    assert!(unknown.body["message"].as_str().unwrap().contains("colour"), "{}", unknown.text);
    let mut broken = bearer("PUT", "/v1/admin/forms/lp-spring", ADMIN, None);
    broken.headers_mut().insert("content-type", "application/json".parse().unwrap());
    *broken.body_mut() = Body::from("{\"spec\": ");
    let broken = send(&reopened, broken).await;
    assert_eq!(broken.status, StatusCode::BAD_REQUEST);
    assert_eq!(broken.body["code"], "malformed_json");
    let deleted = send(&reopened, bearer("DELETE", "/v1/admin/forms/lp-spring", ADMIN, None)).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(send(&reopened, get("/v1/forms/lp-spring")).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn connections_are_made_through_the_api_with_secrets_never_shown() {
    let Harness { fake, state, _dir } = harness().await;
    let body = json!({ "name": "second", "base_url": fake.url(), "allow_any_host": true, "apps": { "1": { "tokens": [TOKEN] } } });
    let created = send(&state, bearer("POST", "/v1/admin/connections", ADMIN, Some(body))).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert!(!created.text.contains(TOKEN));
    let shown = send(&state, bearer("GET", "/v1/admin/connections/second", ADMIN, None)).await;
    assert!(
        !shown.text.contains(TOKEN) && shown.body["apps_with_tokens"] == json!([1]),
        "{}",
        shown.text
    );
    let evil = json!({ "name": "evil", "base_url": "https://kintone.evil.example", "apps": { "1": { "tokens": ["t"] } } });
    let refused = send(&state, bearer("POST", "/v1/admin/connections", ADMIN, Some(evil))).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.body["problems"][0]["key"], "connection.base_url");
    let synced =
        send(&state, bearer("POST", "/v1/admin/connections/second/apps/1/sync", ADMIN, None)).await;
    assert_eq!(synced.status, StatusCode::OK, "{}", synced.text);
    let mut settings = demo_settings("second-form");
    settings["connection"] = json!("second");
    assert_eq!(
        send(&state, bearer("POST", "/v1/admin/forms", ADMIN, Some(settings))).await.status,
        StatusCode::CREATED
    );
    let in_use = send(&state, bearer("DELETE", "/v1/admin/connections/second", ADMIN, None)).await;
    assert_eq!(in_use.status, StatusCode::CONFLICT);
    send(&state, bearer("DELETE", "/v1/admin/forms/second-form", ADMIN, None)).await;
    let deleted = send(&state, bearer("DELETE", "/v1/admin/connections/second", ADMIN, None)).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let readonly = send(&state, bearer("DELETE", "/v1/admin/connections/demo", ADMIN, None)).await;
    assert_eq!(readonly.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_field_removed_in_kintone_raises_a_drift_alert_on_sync() {
    let Harness { fake, state, _dir } = harness().await;
    let first =
        send(&state, bearer("POST", "/v1/admin/connections/demo/apps/1/sync", ADMIN, None)).await;
    assert_eq!(first.body["drift"], json!({}), "{}", first.text);
    let made = bearer("POST", "/v1/admin/forms", ADMIN, Some(demo_settings("made")));
    assert_eq!(send(&state, made).await.status, StatusCode::CREATED);
    // The app changes in kintone: the fake restarts with the e-mail field removed.
    let mut apps = Apps::demo(TOKEN);
    apps.apps[0].properties.remove("メールアドレス");
    let changed = spawn(apps).await.unwrap();
    let mut config = demo_config(changed.url(), TOKEN, demo_form().unwrap(), _dir.path(), None);
    config.database_url = shared_store(_dir.path());
    config.admin_keys = vec![Secret::new(ADMIN)];
    let state = serve::open(&config).await.unwrap();
    let synced =
        send(&state, bearer("POST", "/v1/admin/connections/demo/apps/1/sync", ADMIN, None)).await;
    assert_eq!(synced.status, StatusCode::OK, "{}", synced.text);
    assert_eq!(synced.body["drift"]["contact"][0]["problem"], "unknown_field", "{}", synced.text);
    let alerted = |state: AppState| async move {
        let alerts = send(&state, bearer("GET", "/v1/admin/alerts", ADMIN, None)).await;
        let mut forms: Vec<String> = alerts.body["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|alert| alert["form"].as_str().unwrap().to_owned())
            .collect();
        forms.sort();
        forms
    };
    assert_eq!(alerted(state.clone()).await, ["contact", "made"]);
    // Saving the fixed form clears its alert at once, without waiting for a sync.
    let mut fixed = demo_settings("made");
    let items = fixed["spec"]["items"].as_array().unwrap().clone();
    fixed["spec"]["items"] = json!(
        items.into_iter().filter(|item| item["field"] != "メールアドレス").collect::<Vec<_>>()
    );
    let saved = send(&state, bearer("PUT", "/v1/admin/forms/made", ADMIN, Some(fixed))).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    assert_eq!(alerted(state.clone()).await, ["contact"]);
    // A form fixed in kform.toml while the relay was stopped loses its alert at start.
    drop(state);
    let mut form = demo_form().unwrap();
    form.items
        .retain(|item| item.field.as_ref().is_none_or(|code| code.as_str() != "メールアドレス"));
    let mut config = demo_config(changed.url(), TOKEN, form, _dir.path(), None);
    config.database_url = shared_store(_dir.path());
    config.admin_keys = vec![Secret::new(ADMIN)];
    let restarted = serve::open(&config).await.unwrap();
    assert_eq!(alerted(restarted).await, Vec::<String>::new());
    drop(fake);
}

#[tokio::test]
async fn check_config_lints_forms_against_the_fields_it_just_read() {
    let Harness { fake, state, _dir } = harness().await;
    // The relay read and kept the app's fields; then the e-mail field is deleted in kintone.
    assert_eq!(send(&state, get("/v1/forms/contact")).await.status, StatusCode::OK);
    let mut properties = Apps::demo(TOKEN).apps[0].properties.clone();
    properties.remove("メールアドレス");
    fake.state().set_properties(1, properties).unwrap();
    let mut config = demo_config(fake.url(), TOKEN, demo_form().unwrap(), _dir.path(), None);
    config.database_url = shared_store(_dir.path());
    let (report, ok) = serve::check(&config).await;
    assert!(!ok, "{report}");
    let row = report.lines().find(|line| line.starts_with("contact ")).expect(&report);
    assert!(row.contains("errors"), "the form row, against the new fields: {report}");
    assert!(report.contains("contact: items[1] メールアドレス:"), "{report}");
}

#[tokio::test]
async fn test_send_reports_kintones_exact_answer() {
    let Harness { fake, state, _dir } = harness().await;
    let sent = send(
        &state,
        bearer(
            "POST",
            "/v1/admin/forms/contact/test-send",
            ADMIN,
            Some(json!({ "values": valid_values() })),
        ),
    )
    .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.text);
    assert_eq!(sent.body["kintone"]["status"], 200);
    assert_eq!(sent.body["kintone"]["body"]["id"], "1");
    // kintone's refusal (here: the app is locked) is shown exactly as kintone gave it.
    fake.state().add_fault(Fault::new(FaultKind::Lock).on("POST", "*/record.json").times(1));
    let locked = send(
        &state,
        bearer(
            "POST",
            "/v1/admin/forms/contact/test-send",
            ADMIN,
            Some(json!({ "values": valid_values() })),
        ),
    )
    .await;
    assert_eq!(locked.body["kintone"]["status"], 400, "{}", locked.text);
    assert_eq!(locked.body["kintone"]["body"]["code"], "GAIA_DA02");
    let invalid = send(
        &state,
        bearer("POST", "/v1/admin/forms/contact/test-send", ADMIN, Some(json!({ "values": {} }))),
    )
    .await;
    assert_eq!(invalid.body["sent"], false);
    assert_eq!(invalid.body["relay"]["errors"][0]["code"], "required");
}

fn valid_values() -> Value {
    json!({ "会社名": "サイボウズ", "メールアドレス": "info@example.com" })
}

#[tokio::test]
async fn history_shows_attempts_and_dead_letters_are_replayed_or_discarded() {
    // Each takes a member number another record already has, so kintone refuses both.
    let Harness { fake, state, _dir } =
        harness_with(apps_with_unique_fields(), TOKEN, with_member_number).await;
    let ids = [new_id(), new_id()];
    for id in &ids {
        // The page sends the hidden item empty, as a plain form does.
        let values = json!({ "会社名": "A", "メールアドレス": "a@example.com", "会員番号": "M-1", "フォーム識別": "" });
        let body = json!({ "submission_id": id, "values": values }).to_string();
        assert_eq!(send(&state, submit(&body, None)).await.status, StatusCode::ACCEPTED);
    }
    for id in &ids {
        stage_eventually(&state, "contact", id, "dead_letter").await;
    }
    let dead = send(
        &state,
        bearer("GET", "/v1/admin/forms/contact/submissions?stage=dead_letter", ADMIN, None),
    )
    .await;
    assert_eq!(dead.body["submissions"].as_array().unwrap().len(), 2, "{}", dead.text);
    assert_eq!(
        dead.body["submissions"][0]["values"]["フォーム識別"], "demo-contact",
        "the history shows the hidden value kintone is written, not the page's"
    );
    let attempt = &dead.body["submissions"][0]["attempts"][0];
    assert_eq!(
        (attempt["endpoint"].as_str(), attempt["status"].as_u64()),
        (Some("POST records.json"), Some(400))
    );
    let replay = |id: &str| format!("/v1/admin/forms/contact/submissions/{id}/replay");
    let replayed = send(&state, bearer("POST", &replay(&ids[0]), ADMIN, None)).await;
    assert_eq!(replayed.status, StatusCode::ACCEPTED, "{}", replayed.text);
    // Sent again, refused again: a second attempt in its history.
    let (state_ref, first) = (&state, &ids[0]);
    eventually("the replay should add a second attempt", || async move {
        let shown = stage_eventually(state_ref, "contact", first, "dead_letter").await;
        let tries = shown["attempts"].as_array().map_or(0, Vec::len);
        if tries == 2 { Ok(()) } else { Err(format!("{shown:#}")) }
    })
    .await;
    let discard = format!("/v1/admin/forms/contact/submissions/{}/discard", ids[1]);
    assert_eq!(
        send(&state, bearer("POST", &discard, ADMIN, None)).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        stage_eventually(&state, "contact", &ids[1], "discarded").await["stage"],
        "discarded"
    );
    assert_eq!(
        send(&state, bearer("POST", &discard, ADMIN, None)).await.status,
        StatusCode::CONFLICT
    );
    // A delivered submission is neither replayed nor discarded.
    send(&state, bearer("POST", "/v1/admin/forms", ADMIN, Some(demo_settings("full")))).await;
    let delivered = new_id();
    let body = json!({ "submission_id": delivered, "values": valid_values() }).to_string();
    let request = Request::post("/v1/forms/full/submissions")
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap();
    assert_eq!(send(&state, request).await.status, StatusCode::ACCEPTED);
    stage_eventually(&state, "full", &delivered, "delivered").await;
    let again = format!("/v1/admin/forms/full/submissions/{delivered}/replay");
    let refused = send(&state, bearer("POST", &again, ADMIN, None)).await;
    assert_eq!(
        (refused.status, refused.body["code"].as_str()),
        (StatusCode::CONFLICT, Some("settled"))
    );
    assert_eq!(kintone_records(&fake).await.len(), 2, "the member's record and the delivered one");
}

#[tokio::test]
async fn editor_tokens_reach_only_their_form_and_expire() {
    let clock = std::sync::Arc::new(kform_relay::clock::ShiftedClock::default());
    let Harness { fake: _fake, state, _dir } =
        harness_on_clock(Apps::demo(TOKEN), TOKEN, |_| {}, clock.clone()).await;
    send(&state, bearer("POST", "/v1/admin/forms", ADMIN, Some(demo_settings("other")))).await;
    let minted = send(
        &state,
        bearer(
            "POST",
            "/v1/admin/editor-tokens",
            ADMIN,
            Some(json!({ "form": "contact", "ttl_seconds": 600 })),
        ),
    )
    .await;
    assert_eq!(minted.status, StatusCode::CREATED, "{}", minted.text);
    let token = minted.body["token"].as_str().unwrap().to_owned();
    assert_eq!(
        send(&state, bearer("GET", "/v1/admin/forms/contact", &token, None)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        send(&state, bearer("GET", "/v1/admin/forms/contact/lint", &token, None)).await.status,
        StatusCode::OK
    );
    let other = send(&state, bearer("GET", "/v1/admin/forms/other", &token, None)).await;
    assert_eq!(
        (other.status, other.body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("other_form"))
    );
    let mint =
        send(&state, bearer("POST", "/v1/admin/editor-tokens", &token, Some(json!({})))).await;
    assert_eq!(mint.status, StatusCode::FORBIDDEN, "an editor cannot mint tokens");
    let forms = send(&state, bearer("GET", "/v1/admin/forms", &token, None)).await;
    assert_eq!(forms.status, StatusCode::FORBIDDEN);
    // A token for a new form creates one and gets a token for it.
    let new = send(&state, bearer("POST", "/v1/admin/editor-tokens", ADMIN, Some(json!({})))).await;
    let new_token = new.body["token"].as_str().unwrap().to_owned();
    let created = send(
        &state,
        bearer("POST", "/v1/admin/forms", &new_token, Some(demo_settings("made-by-editor"))),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let own = created.body["editor_token"].as_str().unwrap();
    assert_eq!(
        send(&state, bearer("GET", "/v1/admin/forms/made-by-editor", own, None)).await.status,
        StatusCode::OK
    );
    let expired = send(
        &state,
        bearer(
            "POST",
            "/v1/admin/editor-tokens",
            ADMIN,
            Some(json!({ "form": "contact", "ttl_seconds": 60 })),
        ),
    )
    .await;
    let expired = expired.body["token"].as_str().unwrap().to_owned();
    let fresh = send(&state, bearer("GET", "/v1/admin/forms/contact", &expired, None)).await;
    assert_eq!(fresh.status, StatusCode::OK, "not expired yet: {}", fresh.text);
    // The relay's one clock moves; nothing sleeps.
    clock.advance(61_000);
    let late = send(&state, bearer("GET", "/v1/admin/forms/contact", &expired, None)).await;
    assert_eq!(
        (late.status, late.body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("token_expired"))
    );
}

#[tokio::test]
async fn an_editor_token_reads_only_its_own_connection_and_app() {
    let Harness { fake, state, _dir } = harness().await;
    let second = json!({ "name": "second", "base_url": fake.url(), "allow_any_host": true,
                         "proxy": "http://user:proxy-secret@proxy.internal:3128",
                         "apps": { "1": { "tokens": [TOKEN] } } });
    let created = send(&state, bearer("POST", "/v1/admin/connections", ADMIN, Some(second))).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    send(&state, bearer("POST", "/v1/admin/forms", ADMIN, Some(demo_settings("other")))).await;
    let minted = send(
        &state,
        bearer("POST", "/v1/admin/editor-tokens", ADMIN, Some(json!({ "form": "contact" }))),
    )
    .await;
    let token = minted.body["token"].as_str().unwrap().to_owned();
    let get = |path: &str| bearer("GET", path, &token, None);
    // Its connection, by name only; no other connection.
    let listed = send(&state, get("/v1/admin/connections")).await;
    assert_eq!(listed.body, json!({ "connections": [{ "name": "demo" }] }));
    let own = send(&state, get("/v1/admin/connections/demo")).await;
    assert_eq!((own.status, own.body.clone()), (StatusCode::OK, json!({ "name": "demo" })));
    for path in ["/v1/admin/connections/second", "/v1/admin/connections/second/apps"] {
        let refused = send(&state, get(path)).await;
        assert_eq!(
            (refused.status, refused.body["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("other_connection")),
            "{path}"
        );
    }
    // Its app, and no other form's id.
    let apps = send(&state, get("/v1/admin/connections/demo/apps")).await;
    let listed: Vec<(u64, Value)> = apps.body["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|app| (app["app"].as_u64().unwrap(), app["forms"].clone()))
        .collect();
    assert_eq!(listed, [(1, json!(["contact"]))], "{}", apps.text);
    let fields = send(&state, get("/v1/admin/connections/demo/apps/1/fields")).await;
    assert_eq!(fields.status, StatusCode::OK, "{}", fields.text);
    let other_app = send(&state, get("/v1/admin/connections/demo/apps/2/fields")).await;
    assert_eq!(
        (other_app.status, other_app.body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("other_app"))
    );
    let sync = |app: u64| {
        bearer("POST", &format!("/v1/admin/connections/demo/apps/{app}/sync"), &token, None)
    };
    assert_eq!(send(&state, sync(1)).await.status, StatusCode::OK);
    assert_eq!(send(&state, sync(2)).await.status, StatusCode::FORBIDDEN);
    let mut elsewhere = demo_settings("x");
    elsewhere["spec"]["app"] = json!(2);
    let lint = send(&state, bearer("POST", "/v1/admin/lint", &token, Some(elsewhere))).await;
    assert_eq!(lint.status, StatusCode::FORBIDDEN, "{}", lint.text);
    let lint =
        send(&state, bearer("POST", "/v1/admin/lint", &token, Some(demo_settings("x")))).await;
    assert_eq!(lint.status, StatusCode::OK, "{}", lint.text);
    // The admin key reaches everything, and no answer shows the proxy's password.
    let apps = send(&state, bearer("GET", "/v1/admin/connections/demo/apps", ADMIN, None)).await;
    assert_eq!(apps.body["apps"][0]["forms"], json!(["contact", "other"]), "{}", apps.text);
    let second = send(&state, bearer("GET", "/v1/admin/connections/second", ADMIN, None)).await;
    assert_eq!(second.body["proxy"], "http://***@proxy.internal:3128");
    let all = send(&state, bearer("GET", "/v1/admin/connections", ADMIN, None)).await;
    assert!(!all.text.contains("proxy-secret") && !created.text.contains("proxy-secret"));
}

#[tokio::test]
async fn a_token_for_a_new_form_creates_one_then_opens_it() {
    let Harness { fake: _fake, state, _dir } = harness().await;
    let mint = |body: Value| bearer("POST", "/v1/admin/editor-tokens", ADMIN, Some(body));
    let token = send(&state, mint(json!({}))).await.body["token"].as_str().unwrap().to_owned();
    let create = |id: &str| bearer("POST", "/v1/admin/forms", &token, Some(demo_settings(id)));
    // The editor asks whether an id is free before any work is done on the form.
    let taken = |id: &str| bearer("GET", &format!("/v1/admin/form-ids/{id}"), &token, None);
    assert_eq!(
        send(&state, taken("contact")).await.body,
        json!({ "form": "contact", "taken": true })
    );
    assert_eq!(send(&state, taken("first")).await.body, json!({ "form": "first", "taken": false }));
    assert_eq!(send(&state, taken("a%20b")).await.body["code"], "invalid_name");
    assert_eq!(send(&state, create("first")).await.status, StatusCode::CREATED);
    let again = send(&state, create("second")).await;
    assert_eq!(again.status, StatusCode::FORBIDDEN, "{}", again.text);
    let second = send(&state, bearer("GET", "/v1/admin/forms/second", ADMIN, None)).await;
    assert_eq!(second.status, StatusCode::NOT_FOUND, "nothing was made");
    // From then on it is a token for the form it made.
    let own = send(&state, bearer("GET", "/v1/admin/forms/first", &token, None)).await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.text);
    let other = send(&state, bearer("GET", "/v1/admin/forms/contact", &token, None)).await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);
    assert_eq!(send(&state, taken("x")).await.body["code"], "other_form");
    // Two tokens minted at once are different tokens, each with its one form.
    let (a, b) = (send(&state, mint(json!({}))).await, send(&state, mint(json!({}))).await);
    assert_ne!(a.body["token"], b.body["token"]);
    // A token minted for a connection and app creates only there, and reads only that app.
    let scoped = send(&state, mint(json!({ "connection": "demo", "app": 1 }))).await;
    let scoped = scoped.body["token"].as_str().unwrap().to_owned();
    let mut elsewhere = demo_settings("elsewhere");
    elsewhere["spec"]["app"] = json!(2);
    let refused = send(&state, bearer("POST", "/v1/admin/forms", &scoped, Some(elsewhere))).await;
    assert_eq!(
        (refused.status, refused.body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("other_app"))
    );
    let fields = bearer("GET", "/v1/admin/connections/demo/apps/2/fields", &scoped, None);
    assert_eq!(send(&state, fields).await.status, StatusCode::FORBIDDEN);
    let bad =
        send(&state, mint(json!({ "form": "contact", "connection": "demo", "app": 1 }))).await;
    assert_eq!(bad.body["code"], "invalid_scope");
}

#[tokio::test]
async fn the_admin_api_takes_no_secret_from_the_environment_and_any_host_only_if_allowed() {
    let Harness { fake, state, _dir } = harness_with(Apps::demo(TOKEN), TOKEN, |config| {
        config.admin_may_allow_any_host = false;
    })
    .await;
    let env = json!({ "name": "env", "base_url": "https://example.cybozu.com",
                      "apps": { "1": { "tokens": [{ "env": "KFORM_ADMIN_KEY" }] } } });
    let refused = send(&state, bearer("POST", "/v1/admin/connections", ADMIN, Some(env))).await;
    assert_eq!(
        (refused.status, refused.body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("env_not_allowed")),
        "{}",
        refused.text
    );
    assert!(refused.body["message"].as_str().unwrap().starts_with("apps.1.tokens[0]: "));
    let any = json!({ "name": "any", "base_url": fake.url(), "allow_any_host": true,
                      "apps": { "1": { "tokens": [TOKEN] } } });
    let refused = send(&state, bearer("POST", "/v1/admin/connections", ADMIN, Some(any))).await;
    assert_eq!(
        (refused.status, refused.body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("any_host_not_allowed"))
    );
    for name in ["env", "any"] {
        let path = format!("/v1/admin/connections/{name}");
        assert_eq!(
            send(&state, bearer("GET", &path, ADMIN, None)).await.status,
            StatusCode::NOT_FOUND
        );
    }
}

#[tokio::test]
async fn connection_secrets_are_sealed_in_the_database_under_the_data_key() {
    const KEY: &str = "data-key-0123456789-0123456789-0123456789";
    let Harness { fake, state, _dir } = harness_with(Apps::demo(TOKEN), TOKEN, |config| {
        config.data_key = Some(Secret::new(KEY));
    })
    .await;
    let canary = "sealed-canary-password-0001";
    let body = json!({ "name": "second", "base_url": fake.url(), "allow_any_host": true,
                       "apps": { "1": { "tokens": [TOKEN] } },
                       "basic_auth": { "login": "gate", "password": canary } });
    let created = send(&state, bearer("POST", "/v1/admin/connections", ADMIN, Some(body))).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    drop(state);
    // Neither the database nor its write-ahead log holds the secrets in the clear.
    let stored = match shared_store(_dir.path()) {
        Some(url) => std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let mut db = postgres::Client::connect(url.expose(), postgres::NoTls).unwrap();
                    let rows = db.query("SELECT settings FROM connections", &[]).unwrap();
                    rows.iter().map(|row| row.get::<_, String>(0)).collect::<String>()
                })
                .join()
                .unwrap()
        }),
        None => {
            let mut stored = Vec::new();
            for entry in std::fs::read_dir(_dir.path()).unwrap() {
                let path = entry.unwrap().path();
                if path.is_file() {
                    stored.extend(std::fs::read(&path).unwrap());
                }
            }
            String::from_utf8_lossy(&stored).into_owned()
        }
    };
    assert!(stored.contains("sealed:v1:"), "the connection was stored");
    assert!(!stored.contains(canary) && !stored.contains(TOKEN), "a secret in the clear");
    // Reopened with the key, the connection works; without it, it is not loaded.
    let reopen = |key: Option<&str>| {
        let mut config = demo_config(fake.url(), TOKEN, demo_form().unwrap(), _dir.path(), None);
        config.database_url = shared_store(_dir.path());
        config.admin_keys = vec![Secret::new(ADMIN)];
        config.data_key = key.map(Secret::new);
        config
    };
    let reopened = serve::open(&reopen(Some(KEY))).await.unwrap();
    let apps =
        send(&reopened, bearer("GET", "/v1/admin/connections/second/apps", ADMIN, None)).await;
    assert_eq!(apps.status, StatusCode::OK, "{}", apps.text);
    assert!(
        apps.body["apps"][0]["name"].is_string(),
        "the sealed token reads kintone: {}",
        apps.text
    );
    drop(reopened);
    let keyless = serve::open(&reopen(None)).await.unwrap();
    let missing = send(&keyless, bearer("GET", "/v1/admin/connections/second", ADMIN, None)).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn apps_are_synced_on_the_interval() {
    let Harness { fake, state, _dir } = harness_with(Apps::demo(TOKEN), TOKEN, |config| {
        config.sync_interval = Some(Duration::from_millis(100));
    })
    .await;
    let syncs = || {
        fake.state().stats()["byEndpoint"]["GET /k/v1/app/form/fields.json"].as_u64().unwrap_or(0)
    };
    assert_eq!(syncs(), 0, "nothing is read before it is needed");
    let task = state.spawn_sync().unwrap();
    // Twice with no request asking: the interval's doing. Waited for rather than timed, as a
    // busy machine may run the task late.
    for _ in 0..200 {
        if syncs() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    task.abort();
    assert!(syncs() >= 2, "synced {} times", syncs());
}

#[tokio::test]
async fn only_the_configured_editor_origins_may_call_the_admin_api_from_a_browser() {
    const CMS: &str = "https://cms.example.com";
    let Harness { fake: _fake, state, _dir } = harness_with(Apps::demo(TOKEN), TOKEN, |config| {
        config.admin_keys = vec![Secret::new(ADMIN)];
        config.editor_origins = vec![CMS.to_owned()];
    })
    .await;
    let preflight = |origin: &'static str| {
        Request::builder()
            .method("OPTIONS")
            .uri("/v1/admin/forms/contact")
            .header("origin", origin)
            .header("access-control-request-method", "PUT")
            .header("access-control-request-headers", "authorization, content-type")
            .body(Body::empty())
            .unwrap()
    };
    let allowed = send(&state, preflight(CMS)).await;
    assert_eq!(allowed.headers["access-control-allow-origin"], CMS);
    let methods = allowed.headers["access-control-allow-methods"].to_str().unwrap().to_owned();
    assert!(methods.contains("PUT") && methods.contains("DELETE"), "{methods}");
    let headers = allowed.headers["access-control-allow-headers"].to_str().unwrap().to_lowercase();
    assert!(headers.contains("authorization"), "{headers}");
    assert!(allowed.headers.get("access-control-allow-credentials").is_none(), "no cookies");
    let refused = send(&state, preflight("https://evil.example")).await;
    assert!(refused.headers.get("access-control-allow-origin").is_none());
    // The call itself: the answer names the CMS origin, and the token is still checked.
    let mut request = bearer("GET", "/v1/admin/forms/contact", ADMIN, None);
    request.headers_mut().insert("origin", CMS.parse().unwrap());
    let answer = send(&state, request).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.headers["access-control-allow-origin"], CMS);
    let mut anonymous = get("/v1/admin/forms/contact");
    anonymous.headers_mut().insert("origin", CMS.parse().unwrap());
    assert_eq!(send(&state, anonymous).await.status, StatusCode::UNAUTHORIZED);
    // The public and integration APIs are not opened by it.
    let mut integration = get("/v1/connections/demo/apps/1/lookup?key=x");
    integration.headers_mut().insert("origin", CMS.parse().unwrap());
    assert!(send(&state, integration).await.headers.get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn a_sync_keeps_the_order_kintone_s_form_shows_the_fields_in() {
    use kform_kintone::{ApiToken, Auth, Client};
    let Harness { fake, state, _dir } = harness().await;
    let synced =
        send(&state, bearer("POST", "/v1/admin/connections/demo/apps/1/sync", ADMIN, None)).await;
    assert_eq!(synced.status, StatusCode::OK, "{}", synced.text);
    let fields =
        send(&state, bearer("GET", "/v1/admin/connections/demo/apps/1/fields", ADMIN, None)).await;
    // What kintone's layout.json lists, row by row (the demo app: one field per row).
    let kintone =
        Client::new(fake.url(), None, Auth::ApiTokens(vec![ApiToken::new(TOKEN)])).unwrap();
    let layout = kintone.form_layout(kform_core::AppId(1)).await.unwrap();
    let expected: Vec<Value> = layout["layout"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|row| row["fields"].as_array().cloned().unwrap_or_default())
        .filter_map(|field| field.get("code").cloned())
        .filter(|code| fields.body["fields"]["fields"].get(code.as_str().unwrap()).is_some())
        .collect();
    assert!(expected.len() >= 5, "{layout}");
    assert_eq!(fields.body["fields"]["layout_order"], Value::Array(expected), "{}", fields.text);
    // A form's descriptor does not carry it.
    let descriptor = send(&state, get("/v1/forms/contact")).await;
    assert!(descriptor.body["fields"].get("layout_order").is_none(), "{}", descriptor.text);
}

#[tokio::test]
async fn the_editors_preview_is_the_markup_an_embedded_form_gets_from_a_draft() {
    let Harness { fake: _fake, state, _dir } = harness().await;
    let descriptor = send(&state, get("/v1/forms/contact")).await.body;
    let embedded = send(&state, get("/v1/forms/contact/html?lang=en")).await.text;
    let preview =
        |key: &str, body: Value| bearer("POST", "/v1/admin/preview?lang=en", key, Some(body));
    // The saved form's descriptor renders as the embedded form does.
    let shown = send(&state, preview(ADMIN, descriptor.clone())).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.text);
    assert!(shown.headers["content-type"].to_str().unwrap().starts_with("text/html"));
    let without_action = |html: &str| html.replace(r#"action="/f/contact""#, r#"action="""#);
    assert_eq!(without_action(&shown.text), without_action(&embedded));
    // A draft shows its own words, and carries its descriptor for the widget.
    let mut draft = descriptor.clone();
    draft["form"]["items"][0]["label"] = json!("Company <b>name</b>");
    let shown = send(&state, preview(ADMIN, draft)).await;
    assert!(shown.text.contains("Company &lt;b&gt;name&lt;/b&gt;"), "{}", shown.text);
    assert!(shown.text.contains(r#"class="kform-descriptor""#));
    // An editor token for any form may preview; no key may not; a body that is no descriptor
    // is refused with what is wrong.
    let mint = bearer("POST", "/v1/admin/editor-tokens", ADMIN, Some(json!({ "form": "contact" })));
    let token = send(&state, mint).await.body["token"].as_str().unwrap().to_owned();
    assert_eq!(send(&state, preview(&token, descriptor.clone())).await.status, StatusCode::OK);
    assert_eq!(send(&state, preview("nope", descriptor)).await.status, StatusCode::UNAUTHORIZED);
    let refused = send(&state, preview(ADMIN, json!({ "form": {} }))).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text);
    assert_eq!(refused.body["code"], "invalid_body", "{}", refused.text);
}
