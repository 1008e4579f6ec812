//! The delivery engine against the fake kintone's faults: batches and the cap, maintenance,
//! 429 storms, a bad record in a full batch, revoked tokens, the daily budget, lost answers,
//! upserts and failure notifications.

use std::sync::Arc;

use kform_fake_kintone::{Fault, FaultKind};
use kform_relay::clock::ShiftedClock;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use super::*;

fn values(n: usize) -> Value {
    json!({ "会社名": format!("会社{n}"), "メールアドレス": format!("u{n}@example.com") })
}

/// Sends `count` submissions at once; their ids.
async fn burst(state: &AppState, count: usize, values: impl Fn(usize) -> Value) -> Vec<String> {
    let mut sends = tokio::task::JoinSet::new();
    let mut ids = Vec::new();
    for n in 0..count {
        let id = new_id();
        ids.push(id.clone());
        let body = json!({ "submission_id": id, "values": values(n) }).to_string();
        let state = state.clone();
        sends.spawn(async move { send(&state, submit(&body, None)).await.status });
    }
    while let Some(status) = sends.join_next().await {
        assert_eq!(status.unwrap(), StatusCode::ACCEPTED);
    }
    ids
}

/// Waits until no submission of the form is pending; the count per stage.
async fn settled(state: &AppState) -> Value {
    eventually("no submission should stay pending", || async move {
        let status = send(state, bearer("GET", "/v1/admin/delivery", ADMIN, None)).await.body;
        let contact = &status["forms"]["contact"];
        if contact.is_object() && contact.get("pending").is_none() {
            Ok(contact.clone())
        } else {
            Err(status.to_string())
        }
    })
    .await
}

fn writes(fake: &FakeKintone) -> u64 {
    fake.state().stats()["byEndpoint"]["POST /k/v1/records.json"].as_u64().unwrap_or(0)
}

#[tokio::test]
async fn a_burst_goes_in_full_batches_and_never_above_the_cap() {
    let Harness { fake, state, _dir } = harness().await;
    send(&state, get("/v1/forms/contact")).await;
    burst(&state, 250, values).await;
    assert_eq!(settled(&state).await, json!({ "delivered": 250 }));
    assert!(writes(&fake) <= 5, "250 submissions took {} writes", writes(&fake));
    assert_eq!(kintone_records(&fake).await.len(), 250);
}

#[tokio::test]
async fn a_429_storm_keeps_the_cap_and_everything_is_delivered() {
    let Harness { fake, state, _dir } = harness_with(Apps::demo(TOKEN), TOKEN, |config| {
        config.delivery.max_batch = 5;
        config.delivery.concurrency = 3;
    })
    .await;
    send(&state, get("/v1/forms/contact")).await;
    fake.state()
        .add_fault(Fault::new(FaultKind::TooManyRequests).on("POST", "*/records.json").times(25));
    fake.state().add_fault(Fault {
        millis: Some(30),
        ..Fault::new(FaultKind::Latency).on("POST", "*/records.json")
    });
    burst(&state, 100, values).await;
    assert_eq!(settled(&state).await, json!({ "delivered": 100 }));
    let peak = fake.state().stats()["peakRunning"].as_u64().unwrap();
    assert!(peak <= 3, "{peak} calls at once with a cap of 3");
    assert_eq!(kintone_records(&fake).await.len(), 100);
}

#[tokio::test]
async fn field_syncs_wait_for_a_call_slot_like_batches() {
    let Harness { fake, state, _dir } = harness_with(Apps::demo(TOKEN), TOKEN, |config| {
        config.delivery.max_batch = 5;
        config.delivery.concurrency = 1;
    })
    .await;
    send(&state, get("/v1/forms/contact")).await;
    // Every call takes 40 ms, so calls that are not kept apart overlap.
    fake.state()
        .add_fault(Fault { millis: Some(40), ..Fault::new(FaultKind::Latency).on("*", "*") });
    burst(&state, 60, values).await;
    // Administrators sync the app while the twelve batches go, one call at a time.
    let mut syncs = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let state = state.clone();
        syncs.spawn(async move {
            let path = "/v1/admin/connections/demo/apps/1/sync";
            send(&state, bearer("POST", path, ADMIN, None)).await.status
        });
    }
    while let Some(status) = syncs.join_next().await {
        assert_eq!(status.unwrap(), StatusCode::OK);
    }
    assert_eq!(settled(&state).await, json!({ "delivered": 60 }));
    let peak = fake.state().stats()["peakRunning"].as_u64().unwrap();
    assert_eq!(peak, 1, "a cap of 1 holds for syncs too");
}

#[tokio::test]
async fn maintenance_for_a_while_then_everything_is_delivered_once() {
    let Harness { fake, state, _dir } = harness().await;
    send(&state, get("/v1/forms/contact")).await;
    fake.state().add_fault(Fault::new(FaultKind::Maintenance).on("*", "*").times(6));
    burst(&state, 40, values).await;
    assert_eq!(settled(&state).await, json!({ "delivered": 40 }));
    let records = kintone_records(&fake).await;
    let mut companies: Vec<&str> =
        records.iter().map(|r| r["会社名"]["value"].as_str().unwrap()).collect();
    companies.sort_unstable();
    companies.dedup();
    assert_eq!(companies.len(), 40, "each exactly once");
}

#[tokio::test]
async fn one_bad_record_in_a_batch_of_100_is_dead_lettered_and_99_are_delivered() {
    let (webhook, received) = webhook().await;
    let Harness { fake, state, _dir } = harness_with(apps_with_unique_fields(), TOKEN, |config| {
        with_member_number(config);
        config.delivery.linger_ms = 2_000;
        config.notify = Some(webhook_digests(webhook));
    })
    .await;
    send(&state, get("/v1/forms/contact")).await;
    let ids = burst(&state, 100, |n| {
        let mut v = values(n);
        // Number 37 takes a member number kintone already has: only kintone can tell.
        v["会員番号"] = json!(if n == 37 { "M-1".to_owned() } else { format!("M-{}", n + 100) });
        v
    })
    .await;
    assert_eq!(settled(&state).await, json!({ "delivered": 99, "dead_letter": 1 }));
    assert_eq!(writes(&fake), 2, "one refused batch of 100, then the 99 again");
    assert_eq!(kintone_records(&fake).await.len(), 100, "99 and the one that was there");
    let dead = send(
        &state,
        bearer("GET", "/v1/admin/forms/contact/submissions?stage=dead_letter", ADMIN, None),
    )
    .await;
    let dead = &dead.body["submissions"][0];
    assert!(ids.contains(&dead["submission_id"].as_str().unwrap().to_owned()));
    assert!(dead["error"].as_str().unwrap().starts_with("会員番号.value: "), "{dead:#}");
    let digest = received.recv_timeout().await;
    assert_eq!(digest["events"][0]["kind"], "dead_letter", "{digest:#}");
    assert_eq!(digest["events"][0]["submission_id"], dead["submission_id"]);
    assert!(digest["events"][0]["fix"].as_str().unwrap().contains("unique"), "{digest:#}");
}

#[tokio::test]
async fn a_lost_answer_with_an_idempotency_field_makes_exactly_one_record() {
    let Harness { fake, state, _dir } =
        harness_with(apps_with_unique_fields(), TOKEN, with_member_number).await;
    send(&state, get("/v1/forms/contact")).await;
    fake.state()
        .add_fault(Fault::new(FaultKind::DropResponse).on("POST", "*/records.json").times(1));
    let ids = burst(&state, 3, values).await;
    assert_eq!(settled(&state).await, json!({ "delivered": 3 }));
    let records = kintone_records(&fake).await;
    assert_eq!(records.len(), 4, "three and the one that was there: {records:#?}");
    for id in &ids {
        assert_eq!(records.iter().filter(|r| r["受付ID"]["value"] == id.as_str()).count(), 1);
    }
}

#[tokio::test]
async fn a_token_without_the_view_permission_is_named_by_check_config_and_by_the_pause() {
    // An add-only token on a form with an idempotency field: check-config says what is missing.
    let mut apps = apps_with_unique_fields();
    apps.apps[0].tokens[0].permissions = vec![kform_fake_kintone::Permission::Add];
    let Harness { fake, state, _dir } = harness_with(apps, TOKEN, with_member_number).await;
    let mut config = demo_config(fake.url(), TOKEN, demo_form().unwrap(), _dir.path(), None);
    config.database_url = shared_store(_dir.path());
    with_member_number(&mut config);
    let (report, ok) = serve::check(&config).await;
    assert!(!ok, "{report}");
    let line = report.lines().find(|line| line.contains("view records")).expect(&report);
    assert!(line.contains("idempotency_field") && line.contains("MISSING"), "{report}");
    assert!(report.lines().any(|l| l.contains("add records") && l.ends_with("ok")), "{report}");
    // Delivery meets it after a lost answer: the pause names the permission and the fix.
    send(&state, get("/v1/forms/contact")).await;
    fake.state()
        .add_fault(Fault::new(FaultKind::DropResponse).on("POST", "*/records.json").times(1));
    burst(&state, 1, values).await;
    let paused = paused_eventually(&state).await;
    let reason = paused["paused"][0]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("GAIA_NO01"), "{paused:#}");
    assert!(
        reason.contains("\"view records\" permission") && reason.contains("Update App"),
        "{reason}"
    );
}

/// The delivery status once some form is paused.
async fn paused_eventually(state: &AppState) -> Value {
    eventually("a form should be paused", || async move {
        let status = send(state, bearer("GET", "/v1/admin/delivery", ADMIN, None)).await.body;
        if status["paused"].as_array().is_some_and(|p| !p.is_empty()) {
            Ok(status)
        } else {
            Err(format!("{status:#}"))
        }
    })
    .await
}

/// The demo app's fields with `change` applied, as the fake kintone's new settings.
fn changed_demo_app(
    change: impl FnOnce(&mut serde_json::Map<String, Value>),
) -> serde_json::Map<String, Value> {
    let mut properties = Apps::demo(TOKEN).apps[0].properties.clone();
    change(&mut properties);
    properties
}

#[tokio::test]
async fn a_form_that_no_longer_fits_its_app_holds_its_submissions_until_it_does() {
    let Harness { fake, state, _dir } = harness().await;
    send(&state, get("/v1/forms/contact")).await;
    // In kintone a new required field appears; the relay has not synced it yet.
    let department = json!({ "type": "SINGLE_LINE_TEXT", "code": "部署", "label": "部署",
        "noLabel": false, "required": true, "unique": false, "minLength": "", "maxLength": "",
        "defaultValue": "", "expression": "", "hideExpression": false });
    let required = department.clone();
    let properties = changed_demo_app(|p| {
        p.insert("部署".into(), required);
    });
    fake.state().set_properties(1, properties).unwrap();
    let id = new_id();
    let body = json!({ "submission_id": id, "values": values(1) }).to_string();
    assert_eq!(send(&state, submit(&body, None)).await.status, StatusCode::ACCEPTED);
    // kintone refuses it; the relay syncs, sees the form no longer fits, and holds it.
    let status = paused_eventually(&state).await;
    let reason = status["paused"][0]["reason"].as_str().unwrap_or_default();
    assert!(reason.starts_with("the form no longer fits its kintone app: 部署:"), "{status:#}");
    assert_eq!(stage_eventually(&state, "contact", &id, "pending").await["stage"], "pending");
    let alerts = send(&state, bearer("GET", "/v1/admin/alerts", ADMIN, None)).await;
    assert_eq!(alerts.body["alerts"][0]["form"], "contact", "{}", alerts.text);
    // The app is fixed in kintone (the field is optional again) and synced: the form resumes
    // by itself and the held lead lands.
    let mut optional = department;
    optional["required"] = json!(false);
    fake.state()
        .set_properties(
            1,
            changed_demo_app(|p| {
                p.insert("部署".into(), optional);
            }),
        )
        .unwrap();
    let synced = bearer("POST", "/v1/admin/connections/demo/apps/1/sync", ADMIN, None);
    assert_eq!(send(&state, synced).await.status, StatusCode::OK);
    stage_eventually(&state, "contact", &id, "delivered").await;
    assert_eq!(kintone_records(&fake).await.len(), 1);
}

#[tokio::test]
async fn a_submission_accepted_before_a_drifting_sync_waits_instead_of_dying() {
    // The form requires 問い合わせ種別 on top of kintone.
    let Harness { fake, state, _dir } = harness_with(Apps::demo(TOKEN), TOKEN, |config| {
        let item =
            config.forms[0].spec.items.iter_mut().find(|item| {
                item.field.as_ref().is_some_and(|code| code.as_str() == "問い合わせ種別")
            });
        item.unwrap().required = true;
    })
    .await;
    send(&state, get("/v1/forms/contact")).await;
    // kintone is in maintenance: the accepted submission waits in the outbox.
    fake.state().add_fault(Fault::new(FaultKind::Maintenance).on("POST", "*/records.json"));
    let id = new_id();
    let mut chosen = values(1);
    chosen["問い合わせ種別"] = json!("資料請求");
    let body = json!({ "submission_id": id, "values": chosen }).to_string();
    assert_eq!(send(&state, submit(&body, None)).await.status, StatusCode::ACCEPTED);
    // Meanwhile the field is deleted in kintone and the relay syncs: the form no longer fits.
    fake.state()
        .set_properties(
            1,
            changed_demo_app(|p| {
                p.remove("問い合わせ種別");
            }),
        )
        .unwrap();
    let synced = bearer("POST", "/v1/admin/connections/demo/apps/1/sync", ADMIN, None);
    assert_eq!(send(&state, synced).await.status, StatusCode::OK);
    fake.state().clear_faults();
    // Validated against the new fields before sending, it is held with the form, not dead.
    let status = paused_eventually(&state).await;
    let reason = status["paused"][0]["reason"].as_str().unwrap_or_default();
    assert!(reason.starts_with("the form no longer fits its kintone app"), "{status:#}");
    assert_eq!(stage_eventually(&state, "contact", &id, "pending").await["stage"], "pending");
    assert!(kintone_records(&fake).await.is_empty());
}

#[tokio::test]
async fn refused_records_sync_the_app_at_most_once_a_minute() {
    let Harness { fake, state, _dir } =
        harness_with(apps_with_unique_fields(), TOKEN, with_member_number).await;
    send(&state, get("/v1/forms/contact")).await;
    let syncs = || {
        fake.state().stats()["byEndpoint"]["GET /k/v1/app/form/fields.json"].as_u64().unwrap_or(0)
    };
    assert_eq!(syncs(), 1, "the form's first load");
    // Three duplicates, refused one after the other: one sync for the first refusal only.
    for n in 0..3 {
        let mut taken = values(n);
        taken["会員番号"] = json!("M-1");
        let id = new_id();
        let body = json!({ "submission_id": id, "values": taken }).to_string();
        assert_eq!(send(&state, submit(&body, None)).await.status, StatusCode::ACCEPTED);
        stage_eventually(&state, "contact", &id, "dead_letter").await;
    }
    assert_eq!(syncs(), 2);
}

#[tokio::test]
async fn a_dead_letter_is_replayed_with_corrected_values_checked_like_a_new_submission() {
    let Harness { fake, state, _dir } = harness().await;
    send(&state, get("/v1/forms/contact")).await;
    // In kintone the choice 見積依頼 is removed after the relay last synced.
    fake.state()
        .set_properties(
            1,
            changed_demo_app(|p| {
                p["問い合わせ種別"]["options"].as_object_mut().unwrap().remove("見積依頼");
            }),
        )
        .unwrap();
    let id = new_id();
    let mut chosen = values(1);
    chosen["問い合わせ種別"] = json!("見積依頼");
    let body = json!({ "submission_id": id, "values": chosen }).to_string();
    assert_eq!(send(&state, submit(&body, None)).await.status, StatusCode::ACCEPTED);
    // The form still fits (it offers kintone's choices), so the value itself is what failed.
    let dead = stage_eventually(&state, "contact", &id, "dead_letter").await;
    assert!(dead["error"].as_str().unwrap().contains("見積依頼"), "{dead:#}");
    let path = format!("/v1/admin/forms/contact/submissions/{id}/replay");
    let wrong = json!({ "values": { "問い合わせ種別": "見積依頼" } });
    let refused = send(&state, bearer("POST", &path, ADMIN, Some(wrong))).await;
    assert_eq!(
        (refused.status, refused.body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_values")),
        "{}",
        refused.text
    );
    let right = json!({ "values": { "問い合わせ種別": "資料請求" } });
    let replayed = send(&state, bearer("POST", &path, ADMIN, Some(right))).await;
    assert_eq!(replayed.status, StatusCode::ACCEPTED, "{}", replayed.text);
    stage_eventually(&state, "contact", &id, "delivered").await;
    let records = kintone_records(&fake).await;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["問い合わせ種別"]["value"], "資料請求");
    assert_eq!(records[0]["会社名"]["value"], "会社1", "the other values are kept");
}

#[tokio::test]
async fn an_update_key_upserts() {
    let Harness { fake, state, _dir } = harness_with(apps_with_unique_fields(), TOKEN, |config| {
        with_member_number(config);
        config.forms[0].spec.update_key = Some(kform_core::FieldCode::new("会員番号").unwrap());
    })
    .await;
    for (n, company) in ["初回", "更新"].into_iter().enumerate() {
        let body = json!({ "submission_id": new_id(), "values": {
            "会社名": company, "メールアドレス": format!("m{n}@example.com"), "会員番号": "M-1" } });
        assert_eq!(
            send(&state, submit(&body.to_string(), None)).await.status,
            StatusCode::ACCEPTED
        );
        settled(&state).await;
    }
    let records = kintone_records(&fake).await;
    assert_eq!(records.len(), 1, "the member's record was updated, not added: {records:#?}");
    assert_eq!(records[0]["会社名"]["value"], "更新");
}

#[tokio::test]
async fn a_revoked_token_pauses_the_form_until_the_connection_is_fixed() {
    let (webhook, received) = webhook().await;
    let Harness { fake, state, _dir } = harness_with(Apps::demo(TOKEN), TOKEN, |config| {
        config.notify = Some(webhook_digests(webhook));
    })
    .await;
    let connection = |token: &str| json!({ "base_url": fake.url(), "allow_any_host": true, "apps": { "1": { "tokens": [token] } } });
    let mut created = connection(TOKEN);
    created["name"] = json!("crm");
    send(&state, bearer("POST", "/v1/admin/connections", ADMIN, Some(created))).await;
    let mut spec = serde_json::to_value(demo_form().unwrap()).unwrap();
    spec["id"] = json!("crm-form");
    let form = json!({ "connection": "crm", "spec": spec });
    assert_eq!(
        send(&state, bearer("POST", "/v1/admin/forms", ADMIN, Some(form))).await.status,
        StatusCode::CREATED
    );
    // The token is regenerated in kintone: the relay still has the old one.
    send(
        &state,
        bearer("PUT", "/v1/admin/connections/crm", ADMIN, Some(connection("revoked-token"))),
    )
    .await;
    let id = new_id();
    let body = json!({ "submission_id": id, "values": values(1) }).to_string();
    let request = Request::post("/v1/forms/crm-form/submissions")
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap();
    assert_eq!(send(&state, request).await.status, StatusCode::ACCEPTED);
    let paused = paused_eventually(&state).await;
    assert_eq!(paused["paused"][0]["form"], "crm-form", "{paused:#}");
    assert!(paused["paused"][0]["reason"].as_str().unwrap().contains("GAIA_IA02"), "{paused:#}");
    let calls = fake.state().stats()["total"].as_u64().unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        fake.state().stats()["total"].as_u64().unwrap(),
        calls,
        "a paused form burns no requests"
    );
    let digest = received.recv_timeout().await;
    assert_eq!(digest["events"][0]["kind"], "paused", "{digest:#}");
    // The administrator puts the new token in: the form resumes and the submission lands.
    send(&state, bearer("PUT", "/v1/admin/connections/crm", ADMIN, Some(connection(TOKEN)))).await;
    stage_eventually(&state, "crm-form", &id, "delivered").await;
    assert_eq!(kintone_records(&fake).await.len(), 1);
}

#[tokio::test]
async fn a_spent_daily_budget_holds_delivery_until_kintones_day_changes() {
    let clock = Arc::new(ShiftedClock::default());
    let fake = spawn(Apps::demo(TOKEN)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = demo_config(fake.url(), TOKEN, demo_form().unwrap(), dir.path(), None);
    config.database_url = shared_store(dir.path());
    config.spam.min_fill = Duration::ZERO;
    config.admin_keys = vec![Secret::new(ADMIN)];
    config.delivery.linger_ms = 0;
    config.delivery.max_batch = 1;
    config.delivery.concurrency = 1;
    config.delivery.daily_limit = 3;
    config.delivery.daily_reserve = 0;
    let state = serve::open_with_clock(&config, clock.clone()).await.unwrap();
    send(&state, get("/v1/forms/contact")).await;
    burst(&state, 5, values).await;
    records_eventually(&fake, 3).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(kintone_records(&fake).await.len(), 3, "three calls is the whole budget");
    clock.advance(86_400_000);
    records_eventually(&fake, 5).await;
}

/// An SMTP sink: accepts one session and returns the message's text.
async fn smtp_sink() -> (u16, tokio::task::JoinHandle<String>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read).lines();
        write.write_all(b"220 sink ESMTP\r\n").await.unwrap();
        let mut data = String::new();
        let mut in_data = false;
        while let Some(line) = lines.next_line().await.unwrap() {
            if in_data {
                if line == "." {
                    in_data = false;
                    write.write_all(b"250 queued\r\n").await.unwrap();
                } else {
                    data.push_str(&line);
                    data.push('\n');
                }
                continue;
            }
            let verb = line.split_whitespace().next().unwrap_or_default().to_ascii_uppercase();
            let reply: &[u8] = match verb.as_str() {
                "EHLO" | "HELO" => b"250 sink\r\n",
                "DATA" => {
                    in_data = true;
                    b"354 go on\r\n"
                }
                "QUIT" => {
                    write.write_all(b"221 bye\r\n").await.unwrap();
                    break;
                }
                _ => b"250 ok\r\n",
            };
            write.write_all(reply).await.unwrap();
        }
        data
    });
    (port, task)
}

#[tokio::test]
async fn a_dead_letter_is_mailed_to_the_admins_and_the_forms_owner_with_kintones_message() {
    let (port, mail) = smtp_sink().await;
    let Harness { fake: _fake, state, _dir } =
        harness_with(apps_with_unique_fields(), TOKEN, |config| {
            with_member_number(config);
            config.forms[0].owners = vec!["owner@example.com".into()];
            config.notify = Some(kform_relay::config::NotifySettings {
                digest_ms: 100,
                from: "kform <kform@example.com>".into(),
                admins: Vec::new(),
                webhook_url: None,
                smtp: Some(kform_relay::config::Smtp {
                    host: "127.0.0.1".into(),
                    port,
                    tls: false,
                    login: None,
                    password: None,
                }),
            });
        })
        .await;
    // A member number kintone already has: only kintone can tell, and the form still fits.
    let mut taken = values(1);
    taken["会員番号"] = json!("M-1");
    let body = json!({ "submission_id": new_id(), "values": taken }).to_string();
    assert_eq!(send(&state, submit(&body, None)).await.status, StatusCode::ACCEPTED);
    let mail = tokio::time::timeout(Duration::from_secs(10), mail).await.unwrap().unwrap();
    assert!(mail.contains("To: owner@example.com"), "{mail}");
    assert!(mail.contains("with form deliveries"), "{mail}");
    let body = mail.replace("=\n", "");
    assert!(body.contains("contact (dead_letter)"), "{mail}");
    assert!(body.contains("unique"), "the fix is named: {mail}");
}

#[tokio::test]
async fn a_refused_digest_is_sent_again_and_relays_sharing_a_store_send_each_event_once() {
    let hook = FlakyHook::spawn().await;
    let fake = spawn(apps_with_unique_fields()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = demo_config(fake.url(), TOKEN, demo_form().unwrap(), dir.path(), None);
    config.spam.min_fill = Duration::ZERO;
    config.delivery.linger_ms = 20;
    config.database_url = shared_store(dir.path());
    config.notify = Some(webhook_digests(hook.url.clone()));
    with_member_number(&mut config);
    let clock = || Arc::new(kform_relay::clock::SystemClock);
    let a = serve::open_with_clock(&config, clock()).await.unwrap();
    // A member number kintone already has: only kintone can tell, so it is a dead letter.
    let dead_letter = |state: AppState| async move {
        let mut taken = values(1);
        taken["会員番号"] = json!("M-1");
        let id = new_id();
        let body = json!({ "submission_id": id, "values": taken }).to_string();
        assert_eq!(send(&state, submit(&body, None)).await.status, StatusCode::ACCEPTED);
        id
    };
    let first = dead_letter(a.clone()).await;
    eventually("the webhook refused the digest twice", || async {
        let refused = hook.refused.load(std::sync::atomic::Ordering::SeqCst);
        if refused >= 2 { Ok(()) } else { Err(format!("{refused} refusals")) }
    })
    .await;
    // Two more relays on the same store; all three send digests every 100 ms.
    let b = serve::open_with_clock(&config, clock()).await.unwrap();
    let _c = serve::open_with_clock(&config, clock()).await.unwrap();
    hook.accepting.store(true, std::sync::atomic::Ordering::SeqCst);
    let second = dead_letter(b.clone()).await;
    let told = || {
        let accepted = hook.accepted.lock().unwrap();
        let mut ids: Vec<String> = accepted
            .iter()
            .flat_map(|digest| digest["events"].as_array().unwrap().clone())
            .map(|event| event["submission_id"].as_str().unwrap_or_default().to_owned())
            .collect();
        ids.sort_unstable();
        ids
    };
    let mut both = vec![first, second];
    both.sort_unstable();
    eventually("both dead letters were told", || async {
        let ids = told();
        if ids.len() >= 2 { Ok(()) } else { Err(format!("told {ids:?}")) }
    })
    .await;
    // Ten more digest rounds of three relays tell nothing again.
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert_eq!(told(), both, "each event once, by one relay");
    let metrics = send(&b, get("/metrics")).await.text;
    assert!(metrics.contains("kform_digest_queued{state=\"new\"} 0"), "{metrics}");
    assert!(metrics.contains("kform_digest_queued{state=\"retrying\"} 0"), "{metrics}");
}

/// A webhook that answers 503 until `accepting`, keeping the digests it accepted.
struct FlakyHook {
    url: String,
    accepting: Arc<std::sync::atomic::AtomicBool>,
    refused: Arc<std::sync::atomic::AtomicUsize>,
    accepted: Arc<std::sync::Mutex<Vec<Value>>>,
}

impl FlakyHook {
    async fn spawn() -> Self {
        use std::sync::atomic::Ordering::SeqCst;
        let accepting = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let refused = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let accepted = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (open, count, kept) = (accepting.clone(), refused.clone(), accepted.clone());
        let hook = axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
            let (open, count, kept) = (open.clone(), count.clone(), kept.clone());
            async move {
                if !open.load(SeqCst) {
                    count.fetch_add(1, SeqCst);
                    return StatusCode::SERVICE_UNAVAILABLE;
                }
                kept.lock().unwrap().push(body);
                StatusCode::NO_CONTENT
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move {
            axum::serve(listener, axum::Router::new().route("/hook", hook)).await.unwrap();
        });
        Self { url, accepting, refused, accepted }
    }
}

/// Digests every 100 ms to `webhook`, and no mail.
fn webhook_digests(webhook: String) -> kform_relay::config::NotifySettings {
    kform_relay::config::NotifySettings {
        digest_ms: 100,
        from: String::new(),
        admins: Vec::new(),
        webhook_url: Some(webhook),
        smtp: None,
    }
}

/// A webhook receiver; `recv_timeout` gives the next JSON body it got.
struct Received(tokio::sync::Mutex<tokio::sync::mpsc::Receiver<Value>>);

impl Received {
    async fn recv_timeout(&self) -> Value {
        let mut receiver = self.0.lock().await;
        tokio::time::timeout(Duration::from_secs(10), receiver.recv()).await.unwrap().unwrap()
    }
}

async fn webhook() -> (String, Received) {
    let (sender, receiver) = tokio::sync::mpsc::channel(16);
    let hook = axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
        let sender = sender.clone();
        async move {
            sender.send(body).await.unwrap();
            StatusCode::NO_CONTENT
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, axum::Router::new().route("/hook", hook)).await.unwrap();
    });
    (url, Received(tokio::sync::Mutex::new(receiver)))
}

#[tokio::test]
async fn a_scheduled_form_delivers_each_window_when_the_next_one_starts() {
    let clock = Arc::new(ShiftedClock::default());
    let fake = spawn(Apps::demo(TOKEN)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = demo_config(fake.url(), TOKEN, demo_form().unwrap(), dir.path(), None);
    config.database_url = shared_store(dir.path());
    config.spam.min_fill = Duration::ZERO;
    config.delivery.linger_ms = 0;
    config.forms[0].schedule_minutes = Some(5);
    let state = serve::open_with_clock(&config, clock.clone()).await.unwrap();
    burst(&state, 3, values).await;
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert!(kintone_records(&fake).await.is_empty(), "held until the window ends");
    clock.advance(5 * 60_000);
    records_eventually(&fake, 3).await;
    assert_eq!(writes(&fake), 1, "the window's submissions went in one call");
}

#[tokio::test]
async fn an_e_mail_update_key_matches_however_it_was_typed() {
    let Harness { fake, state, _dir } = harness_with(apps_with_unique_fields(), TOKEN, |config| {
        let spec = &mut config.forms[0].spec;
        spec.items.push(
            serde_json::from_value(json!({ "field": "会員番号", "input_hint": "email" })).unwrap(),
        );
        spec.update_key = Some(kform_core::FieldCode::new("会員番号").unwrap());
    })
    .await;
    for (company, key) in [("初回", "Taro@Example.com"), ("更新", " taro@ｅｘａｍｐｌｅ.com")]
    {
        let body = json!({ "submission_id": new_id(), "values": {
            "会社名": company, "メールアドレス": "t@example.com", "会員番号": key } });
        let answer = send(&state, submit(&body.to_string(), None)).await;
        assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.text);
        settled(&state).await;
    }
    let records = kintone_records(&fake).await;
    let member: Vec<&Value> =
        records.iter().filter(|r| r["会員番号"]["value"] == "taro@example.com").collect();
    assert_eq!(member.len(), 1, "{records:#?}");
    assert_eq!(member[0]["会社名"]["value"], "更新");
}

#[tokio::test]
async fn a_corrupt_outbox_row_is_dead_lettered_saying_so_never_sent_empty() {
    let Harness { fake, state, _dir } = harness().await;
    send(&state, get("/v1/forms/contact")).await;
    // kintone is down while the row is damaged, so nothing is sent before.
    fake.state().add_fault(Fault::new(FaultKind::Maintenance).on("*", "*"));
    let id = new_id();
    let body = json!({ "submission_id": id, "values": values(1) }).to_string();
    assert_eq!(send(&state, submit(&body, None)).await.status, StatusCode::ACCEPTED);
    let sql = format!("UPDATE submissions SET vals = '[1, 2]' WHERE submission_id = '{id}'");
    let changed = store_execute(_dir.path(), &sql);
    assert_eq!(changed, 1);
    fake.state().clear_faults();
    let dead = stage_eventually(&state, "contact", &id, "dead_letter").await;
    let error = dead["error"].as_str().unwrap();
    assert!(error.starts_with("the outbox's copy of the values cannot be read"), "{dead:#}");
    assert!(kintone_records(&fake).await.is_empty(), "nothing was sent in its place");
}
