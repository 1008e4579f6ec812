//! The client against the fake kintone over real TCP.
#![allow(clippy::unwrap_used, reason = "a failed step should fail the test loudly")]

use kform_core::{AppId, FormSpec, Values, validate};
use kform_fake_kintone::{Apps, spawn};
use kform_kintone::{ApiToken, Auth, Client, KintoneError};
use serde_json::json;

const TOKEN: &str = "client-test-token";

async fn fake() -> kform_fake_kintone::FakeKintone {
    spawn(Apps::demo(TOKEN)).await.unwrap()
}

fn client(url: &str, token: &str) -> Client {
    Client::new(url, None, Auth::ApiTokens(vec![ApiToken::new(token)])).unwrap()
}

fn demo_form() -> FormSpec {
    serde_json::from_value(json!({ "format": 1, "id": "contact", "app": 1, "items": [
        { "field": "会社名" }, { "field": "メールアドレス" }, { "field": "フォーム識別", "hidden": "it" }
    ]}))
    .unwrap()
}

#[tokio::test]
async fn reads_fields_adds_a_record_and_finds_it() {
    let fake = fake().await;
    let client = client(fake.url(), TOKEN);
    let fields = client.form_fields(AppId(1)).await.unwrap();
    assert_eq!(fields.fields.len(), 13);
    let values: Values =
        serde_json::from_value(json!({ "会社名": "ACME", "メールアドレス": "a@example.com" }))
            .unwrap();
    let record = validate(&fields, &demo_form(), &values).unwrap();
    let added = client.add_record(AppId(1), &record).await.unwrap();
    assert_eq!((added.id.as_str(), added.revision.as_str()), ("1", "1"));
    let found = client.records(AppId(1), "フォーム識別 = \"it\"").await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["会社名"]["value"], "ACME");
}

#[tokio::test]
async fn kintone_errors_keep_code_message_and_field_paths() {
    let fake = fake().await;
    let wrong = client(fake.url(), "wrong-token").form_fields(AppId(1)).await.unwrap_err();
    let KintoneError::Api { status, body } = &wrong else { panic!("{wrong:?}") };
    assert_eq!((*status, body.code.as_str()), (400, "GAIA_IA02"));
    assert!(!wrong.to_string().contains("wrong-token"), "{wrong}");

    // A record the core accepts but kintone refuses (the form forgot a required field).
    let fields = client(fake.url(), TOKEN).form_fields(AppId(1)).await.unwrap();
    let mut form = demo_form();
    form.items
        .retain(|item| item.field.as_ref().is_some_and(|code| code.as_str() != "メールアドレス"));
    let values: Values = serde_json::from_value(json!({ "会社名": "ACME" })).unwrap();
    let record = validate(&fields, &form, &values).unwrap();
    let refused = client(fake.url(), TOKEN).add_record(AppId(1), &record).await.unwrap_err();
    let body = refused.validation_body().expect("a CB_VA01 body");
    let report = body.to_report();
    // kintone's own wording is read back into kform's code, so it can be shown in any language.
    assert_eq!(report.to_string().trim(), "record.メールアドレス.value: required");
}

#[tokio::test]
async fn unreachable_kintone_is_a_transport_error() {
    let fake = fake().await;
    let url = fake.url().to_owned();
    drop(fake);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let err = client(&url, TOKEN).form_fields(AppId(1)).await.unwrap_err();
    assert!(matches!(err, KintoneError::Transport(_)), "{err:?}");
}

#[test]
fn refuses_urls_that_are_not_a_domain() {
    for url in ["example.cybozu.com", "ftp://x", "https://x.cybozu.com/k/v1", "https://"] {
        let err = Client::new(url, None, Auth::ApiTokens(vec![])).unwrap_err();
        assert!(matches!(err, KintoneError::InvalidUrl { .. }), "{url}: {err:?}");
    }
    assert!(Client::new("https://example.cybozu.com/", Some(3), Auth::ApiTokens(vec![])).is_ok());
}

#[tokio::test]
async fn basic_auth_passes_the_domains_gate_and_proxies_carry_every_call() {
    let mut apps = Apps::demo(TOKEN);
    apps.basic_auth =
        Some(kform_fake_kintone::BasicAuth { user: "gate".into(), password: "gate-pass".into() });
    let fake = spawn(apps).await.unwrap();
    let without = client(fake.url(), TOKEN).form_fields(AppId(1)).await.unwrap_err();
    assert!(
        matches!(
            without,
            KintoneError::Api { status: 401, .. } | KintoneError::Unexpected { status: 401 }
        ),
        "{without:?}"
    );
    let options = kform_kintone::Options {
        basic_auth: Some(("gate".into(), kform_kintone::Password::new("gate-pass"))),
        ..Default::default()
    };
    let gated = Client::with_options(
        fake.url(),
        None,
        Auth::ApiTokens(vec![ApiToken::new(TOKEN)]),
        options,
    )
    .unwrap();
    assert!(gated.form_fields(AppId(1)).await.is_ok());
    // A proxy that forwards to the fake: every call goes through it, with the absolute URL.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_url = format!("http://{}", listener.local_addr().unwrap());
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let target = fake.url().to_owned();
    let log = seen.clone();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut inbound, _)) = listener.accept().await {
            let target = target.clone();
            let log = log.clone();
            tokio::spawn(async move {
                let mut buffer = vec![0; 64 * 1024];
                let n = inbound.read(&mut buffer).await.unwrap();
                let request = String::from_utf8_lossy(&buffer[..n]).into_owned();
                log.lock().unwrap().push(request.lines().next().unwrap_or_default().to_owned());
                let host = target.trim_start_matches("http://");
                // Origin form for the server, and one request per connection so the answer ends.
                let rewritten = request.replacen(&target, "", 1).replacen(
                    "\r\n",
                    "\r\nconnection: close\r\n",
                    1,
                );
                let mut outbound = tokio::net::TcpStream::connect(host).await.unwrap();
                outbound.write_all(rewritten.as_bytes()).await.unwrap();
                let mut answer = Vec::new();
                let _ = outbound.read_to_end(&mut answer).await;
                inbound.write_all(&answer).await.unwrap();
            });
        }
    });
    let options = kform_kintone::Options {
        basic_auth: Some(("gate".into(), kform_kintone::Password::new("gate-pass"))),
        proxy: Some(proxy_url),
        ..Default::default()
    };
    let proxied = Client::with_options(
        fake.url(),
        None,
        Auth::ApiTokens(vec![ApiToken::new(TOKEN)]),
        options,
    )
    .unwrap();
    let fields = proxied.form_fields(AppId(1)).await;
    let seen = seen.lock().unwrap().clone();
    assert!(
        seen.iter()
            .any(|line| line.starts_with(&format!("GET {}/k/v1/app/form/fields.json", fake.url()))),
        "{seen:?}"
    );
    assert!(fields.is_ok(), "{fields:?}");
}

#[tokio::test]
async fn probes_tell_which_permissions_a_token_has_and_change_nothing() {
    use kform_fake_kintone::{Permission as Granted, TokenSpec};
    use kform_kintone::Permission;
    let mut apps = Apps::demo(TOKEN);
    apps.apps[0]
        .tokens
        .push(TokenSpec { token: "add-only".into(), permissions: vec![Granted::Add] });
    let all = vec![Granted::View, Granted::Add, Granted::Edit];
    apps.apps[0].tokens.push(TokenSpec { token: "all".into(), permissions: all });
    let fake = spawn(apps).await.unwrap();
    let add_only = client(fake.url(), "add-only");
    add_only.probe(AppId(1), Permission::Add).await.unwrap();
    for permission in [Permission::View, Permission::Edit] {
        let refused = add_only.probe(AppId(1), permission).await.unwrap_err();
        let KintoneError::Api { status, body } = &refused else { panic!("{refused:?}") };
        assert_eq!((*status, body.code.as_str()), (403, "GAIA_NO01"), "{}", permission.name());
    }
    let full = client(fake.url(), "all");
    for permission in [Permission::View, Permission::Add, Permission::Edit] {
        full.probe(AppId(1), permission).await.unwrap();
    }
    assert!(full.records(AppId(1), "").await.unwrap().is_empty(), "no record was added");
}
