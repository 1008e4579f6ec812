//! The form as HTML: the hosted page `/f/{form}` without JavaScript (plain posts, messages on
//! their fields, Post/Redirect/Get, spam checks) and the markup `kform.js` shows at once.

use super::*;

/// A urlencoded post of `pairs` to `path`.
pub(super) fn post_form(path: &str, pairs: &[(&str, &str)]) -> Request<Body> {
    let mut body = String::new();
    for (name, value) in pairs {
        if !body.is_empty() {
            body.push('&');
        }
        body.push_str(&encode(name));
        body.push('=');
        body.push_str(&encode(value));
    }
    Request::post(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap()
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                (byte as char).to_string()
            }
            b' ' => "+".to_owned(),
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// A GET of `path` with one header.
fn get_with(path: &str, name: &str, value: &str) -> Request<Body> {
    Request::get(path).header(name, value).body(Body::empty()).unwrap()
}

/// The value of the hidden input `name` in a page.
fn hidden(html: &str, name: &str) -> String {
    let marker = format!(r#"name="{name}" value=""#);
    let start = html.find(&marker).unwrap_or_else(|| panic!("no {name} in {html}")) + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn the_hosted_page_is_a_plain_form_with_the_browsers_own_checks() {
    let Harness { fake: _fake, state, _dir } = harness().await;
    let page =
        send(&state, get("/f/contact?会社名=%E3%82%B5%E3%82%A4%E3%83%9C%E3%82%A6%E3%82%BA")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert_eq!(page.headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(page.headers["cache-control"], "no-store");
    assert!(
        page.headers["content-security-policy"].to_str().unwrap().contains("default-src 'none'")
    );
    assert!(page.text.starts_with("<!doctype html>\n<html lang=\"ja\">"), "{}", page.text);
    assert!(page.text.contains(r#"<link rel="stylesheet" href="/f/kform.css">"#));
    assert!(
        page.text.contains(
            r#"<form class="kform-form" method="post" action="/f/contact?lang=ja&amp;kform_page="#
        ),
        "{}",
        page.text
    );
    assert!(page.text.contains(r#"name="会社名""#) && page.text.contains(r#"required"#));
    assert!(
        page.text.contains(r#"placeholder="サイボウズ株式会社" value="サイボウズ""#),
        "prefilled from the address: {}",
        page.text
    );
    assert!(
        page.text
            .contains(r#"<textarea class="kform-input" part="input" id="kform-お問い合わせ内容""#)
    );
    assert!(!hidden(&page.text, "kform_render_token").is_empty());
    assert!(uuid::Uuid::parse_str(&hidden(&page.text, "kform_submission_id")).is_ok());
    // A hidden item is no input (the relay sets its value); it is in the descriptor the page
    // carries for the widget, as in the public GET /v1/forms/contact.
    assert!(!page.text.contains(r#"name="フォーム識別""#), "the hidden identifier is no input");
    assert!(
        page.text.contains(
            r#"<main class="kform-host" data-kform-hosted="contact" data-kform-lang="ja">"#
        )
    );
    assert!(page.text.contains(r#"<script type="module" src="/widget/kform.js"></script>"#));
    assert!(!page.text.contains(TOKEN));
    let english = send(&state, get("/f/contact?lang=en")).await;
    assert!(english.text.contains(">Send</button>"), "{}", english.text);
    let css = send(&state, get("/f/kform.css")).await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.text.contains(".kform-host{") && css.text.contains(".kform-input"));
    assert!(!css.text.contains(":host"));
}

#[tokio::test]
async fn a_refused_post_comes_back_with_its_messages_and_values_and_a_valid_one_redirects_once() {
    let Harness { fake, state, _dir } = harness().await;
    let page = send(&state, get("/f/contact")).await;
    let token = hidden(&page.text, "kform_render_token");
    let id = hidden(&page.text, "kform_submission_id");
    let empty = [
        ("kform_render_token", token.as_str()),
        ("kform_submission_id", id.as_str()),
        ("kform_tz", ""),
        ("会社名", ""),
        ("メールアドレス", "info@example.com"),
        ("問い合わせ種別", ""),
        ("お問い合わせ内容", "一行目\r\n二行目"),
        ("website", ""),
    ];
    let refused = send(&state, post_form("/f/contact", &empty)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text);
    assert!(
        refused
            .text
            .contains(r#"id="kform-会社名-message" data-kform-slot="会社名" aria-live="polite"><span>必須です。</span>"#),
        "{}",
        refused.text
    );
    assert!(refused.text.contains(r#"aria-invalid="true""#));
    assert!(refused.text.contains(r#"value="info@example.com""#), "the other values are kept");
    assert!(refused.text.contains("一行目\n二行目</textarea>"), "line breaks as typed");
    assert!(refused.text.contains(r##"<a href="#kform-会社名">会社名: 必須です。</a>"##));
    assert_eq!(hidden(&refused.text, "kform_submission_id"), id, "the same submission");
    assert!(kintone_records(&fake).await.is_empty());

    let mut valid = empty;
    valid[3] = ("会社名", "サイボウズ");
    let sent = send(&state, post_form("/f/contact", &valid)).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text);
    assert_eq!(sent.headers["location"], "/f/contact/sent?lang=ja");
    // Sent again (a reload, a double click): the same submission, still one record.
    let again = send(&state, post_form("/f/contact", &valid)).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    let records = records_eventually(&fake, 1).await;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["会社名"]["value"], "サイボウズ");
    assert_eq!(records[0]["お問い合わせ内容"]["value"], "一行目\n二行目");
    assert_eq!(records[0]["フォーム識別"]["value"], "demo-contact");
    let thanks = send(&state, get("/f/contact/sent?lang=ja")).await;
    assert_eq!(thanks.status, StatusCode::OK);
    assert!(thanks.text.contains("送信しました。ありがとうございました。"));
}

#[tokio::test]
async fn a_missing_forged_or_hurried_render_token_is_refused() {
    let Harness { fake, state, _dir } = harness_with(Apps::demo(TOKEN), TOKEN, |config| {
        config.spam.min_fill = Duration::from_millis(300);
    })
    .await;
    let page = send(&state, get("/f/contact")).await;
    let token = hidden(&page.text, "kform_render_token");
    fn values(token: &str) -> Vec<(&str, &str)> {
        vec![
            ("kform_render_token", token),
            ("会社名", "サイボウズ"),
            ("メールアドレス", "a@example.com"),
        ]
    }
    let fast = send(&state, post_form("/f/contact", &values(&token))).await;
    assert_eq!(fast.status, StatusCode::BAD_REQUEST);
    assert!(fast.text.contains("送信が早すぎました。"), "{}", fast.text);
    assert!(fast.text.contains(r#"value="サイボウズ""#), "the values are kept");
    for forged in ["", "e30.AAAA"] {
        let refused = send(&state, post_form("/f/contact", &values(forged))).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{forged:?}");
        assert!(
            refused.text.contains("フォームの有効期限が切れていたため、送信できませんでした。"),
            "{}",
            refused.text
        );
        // The page comes back with a new token, the one the refusal carries, to send it again.
        let renewed = hidden(&refused.text, "kform_render_token");
        assert!(renewed.len() > 20 && renewed != forged && renewed != token, "{renewed:?}");
    }
    tokio::time::sleep(Duration::from_millis(350)).await;
    let robot = [values(&token), vec![("website", "http://spam.example")]].concat();
    let fooled = send(&state, post_form("/f/contact", &robot)).await;
    assert_eq!(fooled.status, StatusCode::SEE_OTHER, "a robot is told nothing");
    assert!(kintone_records(&fake).await.is_empty());
    let person = send(&state, post_form("/f/contact", &values(&token))).await;
    assert_eq!(person.status, StatusCode::SEE_OTHER, "{}", person.text);
    records_eventually(&fake, 1).await;
}

#[tokio::test]
async fn posts_the_form_could_not_have_sent_get_a_clear_4xx_page() {
    let Harness { fake, state, _dir } = harness().await;
    let check = |answer: &Answer, status: StatusCode| {
        assert_eq!(answer.status, status, "{}", answer.text);
        assert!(answer.headers["content-type"].to_str().unwrap().starts_with("text/html"));
        assert!(answer.text.contains(r#"role="alert""#), "{}", answer.text);
    };
    let unknown = send(&state, post_form("/f/contact", &[("会社名", "a"), ("年収", "1")])).await;
    check(&unknown, StatusCode::BAD_REQUEST);
    let repeated = send(&state, post_form("/f/contact", &[("会社名", "a"), ("会社名", "b")])).await;
    check(&repeated, StatusCode::BAD_REQUEST);
    let bad_encoding = Request::post("/f/contact")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from("会社名=%FF%FE"))
        .unwrap();
    check(&send(&state, bad_encoding).await, StatusCode::BAD_REQUEST);
    let json = Request::post("/f/contact")
        .header("content-type", "application/json")
        .body(Body::from("{}"))
        .unwrap();
    check(&send(&state, json).await, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let huge = "a".repeat(70 * 1024);
    check(
        &send(&state, post_form("/f/contact", &[("会社名", &huge)])).await,
        StatusCode::PAYLOAD_TOO_LARGE,
    );
    check(&send(&state, get("/f/nope")).await, StatusCode::NOT_FOUND);
    check(&send(&state, post_form("/f/nope", &[])).await, StatusCode::NOT_FOUND);
    let fragment_unknown =
        send(&state, post_form("/v1/forms/contact/html", &[("年収", "1")])).await;
    assert_eq!(fragment_unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(fragment_unknown.body["code"], "unknown_input");
    assert!(kintone_records(&fake).await.is_empty());
}

#[tokio::test]
async fn the_markup_for_kform_js_is_cacheable_and_its_posts_answer_with_markup() {
    let Harness { fake, state, _dir } = harness().await;
    let first = send(&state, get("/v1/forms/contact/html?lang=en")).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    assert_eq!(first.headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(first.headers["kform-wasm"], "lean", "the .wasm the markup names, early");
    assert!(first.text.starts_with(
        r#"<div class="kform" part="form-root" data-kform-wasm="lean"><form class="kform-form""#
    ));
    assert!(first.text.contains(">Send</button>"));
    let data = first
        .text
        .split(r#"<script type="application/json" class="kform-descriptor">"#)
        .nth(1)
        .unwrap();
    let (data, style) = data.split_once("</script>").unwrap();
    let descriptor: Value = serde_json::from_str(data).unwrap();
    assert_eq!(descriptor["form"]["id"], "contact", "the descriptor comes with the markup");
    // The page shows the items' placeholders and help; the descriptor goes without them.
    let markup = first.text.split(r#"<script type="application/json""#).next().unwrap();
    assert!(markup.contains(r#"placeholder="サイボウズ株式会社""#), "{markup}");
    assert!(markup.contains("ご質問やご要望をご記入ください。"), "{markup}");
    assert_eq!(descriptor["form"]["items"][0]["field"], "会社名");
    let items = descriptor["form"]["items"].as_array().unwrap();
    assert!(
        items.iter().all(|item| item.get("placeholder").is_none() && item.get("help").is_none())
    );
    // So does the shadow root's stylesheet, as JSON text that kform.js adopts (not a <style>,
    // which a strict Content-Security-Policy would refuse).
    let style = style
        .strip_prefix(r#"<script type="application/json" class="kform-stylesheet">"#)
        .and_then(|style| style.strip_suffix("</script></div>"))
        .unwrap();
    let css: String = serde_json::from_str(style).unwrap();
    // Only the rules this form can use: no rows, pages, confirmation or files.
    assert_eq!(css, kform_view::style::shadow_stylesheet(kform_view::style::Parts::default()));
    assert!(!css.contains(".kform-row{"), "{css}");
    assert!(css.contains(":host") && css.contains(".kform-form"), "{css}");
    assert!(!css.contains("scripting"), "a script shows this form: {css}");
    let token = first.headers["kform-render-token"].to_str().unwrap().to_owned();
    let etag = first.headers["etag"].to_str().unwrap().to_owned();
    let revalidated =
        send(&state, get_with("/v1/forms/contact/html?lang=en", "if-none-match", &etag)).await;
    assert_eq!(revalidated.status, StatusCode::NOT_MODIFIED);
    assert!(revalidated.headers.contains_key("kform-render-token"));
    // Compressed, and harder than tower-http's default (brotli quality 4) would.
    let response = app(state.clone())
        .oneshot(get_with("/v1/forms/contact/html?lang=en", "accept-encoding", "br"))
        .await
        .unwrap();
    assert_eq!(response.headers()["content-encoding"], "br", "the markup is compressed");
    let compressed = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    let mut markup = Vec::new();
    brotli::BrotliDecompress(&mut compressed.as_ref(), &mut markup).unwrap();
    assert_eq!(markup, first.text.as_bytes());
    let mut by_default = Vec::new();
    let quality_4 = brotli::enc::BrotliEncoderParams { quality: 4, ..Default::default() };
    brotli::BrotliCompress(&mut first.text.as_bytes(), &mut by_default, &quality_4).unwrap();
    assert!(
        compressed.len() < by_default.len(),
        "{} bytes, not fewer than brotli 4's {}",
        compressed.len(),
        by_default.len()
    );
    // Meanwhile compressed once at brotli's best quality, which later visitors get.
    let mut best = compressed.clone();
    for _ in 0..200 {
        let response = app(state.clone())
            .oneshot(get_with("/v1/forms/contact/html?lang=en", "accept-encoding", "gzip, br"))
            .await
            .unwrap();
        assert_eq!(response.headers()["content-encoding"], "br");
        assert_eq!(response.headers()["etag"], etag.as_str());
        best = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        if best.len() < compressed.len() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let mut markup = Vec::new();
    brotli::BrotliDecompress(&mut best.as_ref(), &mut markup).unwrap();
    assert_eq!(markup, first.text.as_bytes());
    assert!(best.len() < compressed.len(), "{} bytes at best", best.len());

    let invalid = send(
        &state,
        post_form(
            "/v1/forms/contact/html?lang=en",
            &[("kform_render_token", &token), ("会社名", "")],
        ),
    )
    .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", invalid.text);
    assert_eq!(invalid.headers["kform-outcome"], "invalid");
    assert!(invalid.text.contains("<span>Required.</span>"), "{}", invalid.text);
    let id = new_id();
    let pairs = [
        ("kform_render_token", token.as_str()),
        ("kform_submission_id", id.as_str()),
        ("会社名", "サイボウズ"),
        ("メールアドレス", "info@example.com"),
    ];
    let sent = send(&state, post_form("/v1/forms/contact/html?lang=en", &pairs)).await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.text);
    assert_eq!(sent.headers["kform-outcome"], "sent");
    let answer: Value =
        serde_json::from_str(sent.headers["kform-submission"].to_str().unwrap()).unwrap();
    assert_eq!(answer, json!({ "submission_id": id, "state": "accepted" }));
    assert!(sent.text.contains("Thank you. Your message was sent."));
    records_eventually(&fake, 1).await;
}

#[tokio::test]
async fn the_hosted_page_keeps_its_language_and_where_the_visitor_came_from_when_posted() {
    let Harness { fake, state, _dir } = harness().await;
    let spec = json!({ "format": 1, "id": "campaign", "app": 1, "items": [
        { "field": "会社名" }, { "field": "メールアドレス" },
        { "field": "お問い合わせ内容", "capture": "utm_source" },
        { "field": "フォーム識別", "capture": "referrer" }
    ]});
    let body = json!({ "connection": "demo", "allowed_origins": [], "spec": spec });
    let created = send(&state, bearer("POST", "/v1/admin/forms", ADMIN, Some(body))).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let page = send(
        &state,
        get_with(
            "/f/campaign?lang=en&utm_source=mail-2026",
            "referer",
            "https://news.example/issue-12",
        ),
    )
    .await;
    let action =
        page.text.split(r#"action=""#).nth(1).unwrap().split('"').next().unwrap().to_owned();
    assert_eq!(
        action,
        "/f/campaign?lang=en&amp;kform_page=lang%3Den%26utm%5Fsource%3Dmail%2D2026&amp;kform_referrer=https%3A%2F%2Fnews%2Eexample%2Fissue%2D12"
    );
    let action = action.replace("&amp;", "&");
    let token = hidden(&page.text, "kform_render_token");
    let refused =
        send(&state, post_form(&action, &[("kform_render_token", &token), ("会社名", "")])).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.text.contains("<span>Required.</span>"),
        "the language is kept: {}",
        refused.text
    );
    assert!(
        refused.text.contains(&format!(r#"action="{}""#, action.replace('&', "&amp;"))),
        "and the address"
    );
    let values = [
        ("kform_render_token", token.as_str()),
        ("会社名", "キャンペーン"),
        ("メールアドレス", "a@example.com"),
    ];
    let sent = send(&state, post_form(&action, &values)).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text);
    assert_eq!(sent.headers["location"], "/f/campaign/sent?lang=en");
    let records = records_eventually(&fake, 1).await;
    assert_eq!(records[0]["お問い合わせ内容"]["value"], "mail-2026");
    assert_eq!(records[0]["フォーム識別"]["value"], "https://news.example/issue-12");
}

#[tokio::test]
async fn a_forms_theme_styles_its_hosted_page_and_a_save_without_it_keeps_it() {
    let Harness { fake: _fake, state, _dir } = harness().await;
    let mut form = json!({ "connection": "demo",
        "spec": serde_json::to_value(kform_relay::demo::demo_form().unwrap()).unwrap() });
    form["spec"]["id"] = json!("themed");
    form["theme"] = json!({ "accent": "#aa0000", "font": "\"Noto Sans JP\", sans-serif",
        "radius_px": 0 });
    let created = send(&state, bearer("POST", "/v1/admin/forms", ADMIN, Some(form.clone()))).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    // The page and its thanks link the theme after the widget's stylesheet.
    let link = r#"<link rel="stylesheet" href="/f/themed/theme.css">"#;
    let page = send(&state, get("/f/themed")).await.text;
    assert!(page.contains(&format!(r#"href="/f/kform.css">{link}"#)), "{page}");
    assert!(send(&state, get("/f/themed/sent")).await.text.contains(link));
    let css = send(&state, get("/f/themed/theme.css")).await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.headers["content-type"].to_str().unwrap().starts_with("text/css"));
    for declaration in [
        "--kform-accent: #aa0000;",
        "--kform-font: \"Noto Sans JP\", sans-serif;",
        "--kform-radius: 0px;",
    ] {
        assert!(css.text.contains(declaration), "{}", css.text);
    }
    // The editor saves without `theme`: the theme stays. A theme that could leave its
    // declaration is refused with its key.
    let mut without = form.clone();
    without.as_object_mut().unwrap().remove("theme");
    let saved = send(&state, bearer("PUT", "/v1/admin/forms/themed", ADMIN, Some(without))).await;
    assert_eq!(saved.body["theme"]["accent"], "#aa0000", "{}", saved.text);
    let mut bad = form.clone();
    bad["theme"]["accent"] = json!("red;}body{display:none");
    let refused = send(&state, bearer("PUT", "/v1/admin/forms/themed", ADMIN, Some(bad))).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text);
    assert!(refused.text.contains("theme.accent"), "{}", refused.text);
    // A form without a theme links none; an unknown form has no theme to serve.
    assert!(!send(&state, get("/f/contact")).await.text.contains("theme.css"));
    assert!(!send(&state, get("/f/contact/theme.css")).await.text.contains("--kform"));
    assert_eq!(send(&state, get("/f/nope/theme.css")).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_include_is_the_form_in_a_declarative_shadow_root_with_absolute_links() {
    let widget = tempfile::tempdir().unwrap();
    std::fs::write(widget.path().join("kform.js"), "export default 1;").unwrap();
    std::fs::write(widget.path().join("kform_widget_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(widget.path().join("kform_widget_lean_bg.wasm"), b"\0asm\x01\0\0\0\0").unwrap();
    let dir = widget.path().to_owned();
    let Harness { fake: _fake, state, _dir } =
        harness_with(Apps::demo(TOKEN), TOKEN, move |config| config.widget_dir = Some(dir)).await;
    let path = "/v1/forms/contact/include?lang=en&relay=https://forms.example.com/&kform_page=%3Futm_source%3Dmail";
    let included = send(&state, get(path)).await;
    assert_eq!(included.status, StatusCode::OK, "{}", included.text);
    assert_eq!(included.headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(included.headers["cache-control"], "no-store");
    let html = &included.text;
    assert!(
        html.starts_with(
            r#"<div data-kform="contact" data-kform-relay="https://forms.example.com" data-kform-lang="en"><template shadowrootmode="open"><style>"#
        ),
        "{html}"
    );
    // The form's own stylesheet, with its rules for a browser that runs no script, and the
    // source a strict policy allows it by.
    let css = kform_view::style::included_stylesheet();
    assert!(css.contains("@media (scripting:none)"), "{css}");
    assert!(html.contains(&format!("<style>{css}</style>")));
    assert!(!css.contains("</"));
    let hash = {
        use base64::Engine;
        use sha2::Digest;
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&css))
    };
    assert_eq!(included.headers["kform-style-src"], format!("'sha256-{hash}'").as_str());
    // Laid out for a browser without a script: it posts to the hosted page, on the relay.
    assert!(
        html.contains(
            r#"action="https://forms.example.com/f/contact?lang=en&amp;kform_page=%3Futm%5Fsource%3Dmail""#
        ),
        "{html}"
    );
    assert!(!hidden(html, "kform_render_token").is_empty());
    assert_eq!(hidden(html, "kform_submission_id"), "", "one page may be served to many");
    assert!(
        html.contains(r#"<label class="kform-label" part="label" for="kform-会社名">会社名"#),
        "{html}"
    );
    assert!(!html.contains("kform-descriptor"), "kform.js fetches it");
    // kform.js and the .wasm of this relay's bundle, pinned (the lean one: the form has no
    // rows or confirmation, and its markup says so), and the descriptor kform.js asks
    // for, preloaded.
    assert!(html.contains(r#"<div class="kform" part="form-root" data-kform-wasm="lean">"#));
    let sri = send(&state, get("/widget/sri.json")).await;
    let integrity = |file: &str| sri.body["files"][file]["integrity"].as_str().unwrap().to_owned();
    // The .wasm as kform.js pins it: sha256 of the lean one's bytes, written above.
    let pinned = |bytes: &[u8]| {
        use base64::Engine;
        use sha2::Digest;
        format!(
            "sha256-{}",
            base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(bytes))
        )
    };
    assert!(html.ends_with(&format!(
        r#"</template></div><link rel="preload" href="https://forms.example.com/widget/kform_widget_lean_bg.wasm" as="fetch" crossorigin integrity="{}"><link rel="preload" href="https://forms.example.com/v1/forms/contact" as="fetch" crossorigin><script type="module" async src="https://forms.example.com/widget/kform.js" integrity="{}"></script>"#,
        pinned(b"\0asm\x01\0\0\0\0"),
        integrity("kform.js"),
    )));
    // Without `relay=`, the address the request came to.
    let request = Request::get("/v1/forms/contact/include")
        .header("host", "relay.internal:8080")
        .header("x-forwarded-proto", "https")
        .body(Body::empty())
        .unwrap();
    let proxied = send(&state, request).await;
    assert!(proxied.text.contains(r#"data-kform-relay="https://relay.internal:8080""#));
    assert!(proxied.text.contains(r#"action="https://relay.internal:8080/f/contact?lang=ja""#));
}

#[tokio::test]
async fn a_bad_include_request_gets_a_clear_4xx() {
    let Harness { fake: _fake, state, _dir } = harness().await;
    let included = send(&state, get("/v1/forms/contact/include?relay=http://127.0.0.1:8080")).await;
    assert_eq!(included.status, StatusCode::OK);
    assert!(!included.text.contains("<script"), "no widget to bring: the form works without");
    // Neither `relay=` nor a host to tell where visitors reach the relay.
    let nowhere = send(&state, get("/v1/forms/contact/include")).await;
    assert_eq!(nowhere.status, StatusCode::BAD_REQUEST);
    assert_eq!(nowhere.body["code"], "bad_request");
    for relay in [
        "javascript:alert(1)",
        "https://",
        "https://a\"b",
        "ftp://x",
        "https://x/?a=1",
        "https://x/&y",
        "https:///x",
    ] {
        let path = format!("/v1/forms/contact/include?relay={}", encode(relay));
        let refused = send(&state, get(&path)).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{relay}");
        assert_eq!(refused.body["code"], "bad_request", "{relay}");
    }
    let unknown = send(&state, get("/v1/forms/nope/include")).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.body["code"], "unknown_form");
    let garbled = send(&state, get("/v1/forms/contact/include?relay=%FF")).await;
    assert_eq!(garbled.status, StatusCode::BAD_REQUEST);
    let host = Request::get("/v1/forms/contact/include")
        .header("host", "a\"b")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&state, host).await.status, StatusCode::BAD_REQUEST);
}
