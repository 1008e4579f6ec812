//! The markup and the reading of its post, natively: what a browser alone gets, and what a
//! plain form sends back.

use kform_core::protocol::FormDescriptor;
use kform_core::{AppFields, FormSpec, Locale, Value};
use serde_json::json;

use super::{
    Layout, Render, form, moved_attribute, renumbered, row_element, row_fields, row_name,
    row_template, rows, summary, thanks,
};
use crate::html::{El, Node, el};
use crate::posted::{self, Action, PostError};
use crate::state::{FormState, Slot};

const CONTACT: &str = include_str!("../../../../tests/fixtures/kintone/contact-fields.json");
const EVERY: &str = include_str!("../../../../tests/fixtures/kintone/every-type-fields.json");

/// A post's (name, value) pairs, owned, as `posted::apply` takes them.
fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(name, value)| ((*name).to_owned(), (*value).to_owned())).collect()
}

#[expect(clippy::needless_pass_by_value, reason = "the tests pass json!(…) in place")]
fn state(fields: &str, items: serde_json::Value) -> FormState {
    let form: FormSpec =
        serde_json::from_value(json!({ "format": 1, "id": "f", "app": 1, "items": items }))
            .unwrap();
    let fields = AppFields::from_kintone_json(fields).unwrap().subset(form.field_codes());
    FormState::new(
        FormDescriptor { form, fields, captcha: None, upload_limit_bytes: None },
        Some(Locale::Ja),
    )
}

fn html(state: &FormState, layout: Layout) -> String {
    let render =
        Render { action: "/f/f", render_token: Some("tok\"en"), submission_id: None, layout };
    form(state, &render).to_html()
}

fn contact() -> FormState {
    state(
        CONTACT,
        json!([
            { "field": "会社名", "help": "<b>正式名称</b>" }, { "field": "担当者" }, { "field": "人数" },
            { "field": "種別" }, { "field": "関心" }, { "field": "希望日" },
            { "field": "フォーム識別", "hidden": "lp-1" }
        ]),
    )
}

#[test]
fn inputs_carry_names_and_the_browsers_own_constraints() {
    let html = html(&contact(), Layout::Enhanced);
    assert!(html.contains(r#"<input class="kform-input" part="input" id="kform-会社名" name="会社名" aria-describedby="kform-会社名-message" aria-invalid="false" data-kform-slot="会社名" required type="text" maxlength="64" value="">"#), "{html}");
    assert!(html.contains(r#"name="担当者""#) && html.contains(r#"minlength="2""#));
    assert!(html.contains(r#"type="number" inputmode="decimal" step="any""#));
    assert!(html.contains(r#"type="date""#));
    assert!(html.contains(r#"<label class="kform-label" part="label" for="kform-会社名">会社名<span class="kform-required" part="required">必須</span></label>"#));
    // Check boxes: a group with a legend, the field's name on each box.
    assert!(html.contains(r#"<fieldset class="kform-item" part="item" data-kform-item="4"><legend class="kform-label" part="label">関心"#));
    assert_eq!(html.matches(r#"type="checkbox" "#).count(), 2, "{html}");
    assert!(!html.contains("lp-1"), "a hidden item's fixed value stays on the relay");
    assert!(
        html.contains(r#"name="kform_render_token" value="tok&quot;en""#),
        "attribute values are escaped"
    );
    assert!(html.contains("&lt;b&gt;正式名称&lt;/b&gt;"), "text is escaped");
    assert!(
        html.contains(r#"<input type="text" name="website" tabindex="-1" autocomplete="off">"#)
    );
    assert!(html.contains(r#"method="post" action="/f/f""#));
    assert!(!html.contains("enctype"), "no files, no multipart");
    assert!(!html.contains("kform-summary\""), "no summary before a submit");
}

#[test]
fn a_field_kintone_refuses_empty_for_its_min_length_is_marked_required() {
    // 担当者 is optional in kintone but has minLength 2, which kintone checks on "" too.
    let html = html(&contact(), Layout::Enhanced);
    assert!(html.contains(r#"<label class="kform-label" part="label" for="kform-担当者">担当者<span class="kform-required" part="required">必須</span></label>"#), "{html}");
    assert!(html.contains(r#"name="担当者" aria-describedby="kform-担当者-message" aria-invalid="false" data-kform-slot="担当者" required type="text" minlength="2""#), "{html}");
    // 人数 has no length rule and stays optional.
    assert!(!html.contains(r#"for="kform-人数">人数<span class="kform-required""#), "{html}");
}

#[test]
fn every_field_type_has_its_input() {
    let state = state(
        EVERY,
        json!([
            { "field": "氏名" }, { "field": "相談内容" }, { "field": "詳細" }, { "field": "連絡方法" },
            { "field": "地域" }, { "field": "業種" }, { "field": "希望時刻" }, { "field": "来場日時" },
            { "field": "サイト" }, { "field": "電話" }, { "field": "メール" }, { "field": "資料", "max_files": 1 },
            { "field": "担当者" }, { "field": "明細" }, { "field": "郵便番号", "input_hint": "postal_code" },
            { "field": "小計" }
        ]),
    );
    let html = html(&state, Layout::Enhanced);
    for wanted in [
        r#"<textarea class="kform-input" part="input" id="kform-相談内容" name="相談内容""#,
        r#"id="kform-詳細" name="詳細""#,
        r#"role="radiogroup""#,
        r#"type="radio" id="kform-連絡方法" name="連絡方法" checked value="メール""#,
        r#"<select class="kform-input" part="input" id="kform-業種" name="業種""#,
        r#"<option value="">-----</option>"#,
        r#"type="time""#,
        r#"type="datetime-local""#,
        r#"type="text" inputmode="url" autocomplete="url""#,
        r#"type="tel" autocomplete="tel""#,
        r#"type="text" inputmode="email" autocomplete="email""#,
        r#"maxlength="100""#,
        r#"type="file">"#,
        r#"inputmode="numeric" autocomplete="postal-code""#,
        r#"<div class="kform-rows" data-kform-rows="明細"><input type="hidden" name="明細" value="0"></div>"#,
        r#"name="kform_action" value="add:明細" formnovalidate>行を追加</button>"#,
        r#"enctype="multipart/form-data""#,
    ] {
        assert!(html.contains(wanted), "{wanted} in {html}");
    }
    assert!(!html.contains(r#"type="file" multiple"#), "max_files 1 picks one file");
    assert!(!html.contains("小計"), "a computed field is not offered");
}

#[test]
fn pages_and_conditions_are_hidden_until_the_script_moves_on_and_shown_in_the_basic_layout() {
    let state = state(
        EVERY,
        json!([
            { "field": "氏名" }, { "field": "連絡方法" },
            { "field": "電話", "show_if": { "field": "連絡方法", "in": ["電話"] } },
            { "page_break": true, "label": "詳しく", "help": "任意です" }, { "field": "相談内容" }
        ]),
    );
    let enhanced = html(&state, Layout::Enhanced);
    assert!(enhanced.contains(r#"<div class="kform-page" data-kform-page="1" hidden><p class="kform-step" part="step" id="kform-page-1" tabindex="-1"><span class="kform-step-count">ステップ 2 / 2</span> <span class="kform-step-title">詳しく</span></p><p class="kform-help" part="help">任意です</p>"#), "{enhanced}");
    assert!(enhanced.contains(r#"data-kform-item="2" data-kform-if="" hidden"#), "{enhanced}");
    assert!(enhanced.contains(r#"data-kform-send="送信" formnovalidate>次へ</button>"#));
    let basic = html(&state, Layout::Basic);
    assert!(!basic.contains(r#"data-kform-page="1" hidden"#), "{basic}");
    assert!(!basic.contains(r#"data-kform-if="" hidden"#), "{basic}");
    assert!(basic.contains(r#"data-kform-send="送信">送信</button>"#));
    // An included form is laid out as the enhanced one, and its button holds both texts (the
    // stylesheet shows one, by whether the browser runs scripts).
    let included = html(&state, Layout::Included);
    assert_eq!(
        included.replace(
            r#"<span class="kform-if-script">次へ</span><span class="kform-if-no-script">送信</span>"#,
            "次へ"
        ),
        enhanced
    );
    // A button with one text has no choice to make.
    assert_eq!(html(&contact(), Layout::Included), html(&contact(), Layout::Enhanced));
}

#[test]
fn a_refused_post_comes_back_with_its_values_messages_and_summary() {
    let mut state = contact();
    state.show_on_one_page();
    let pairs = [
        ("担当者", "A"),
        ("人数", "x"),
        ("関心", "A"),
        ("関心", "B"),
        ("kform_submission_id", "id-1"),
    ];
    let posted = posted::apply(&mut state, &owned(&pairs)).unwrap();
    assert_eq!(posted.submission_id.as_deref(), Some("id-1"));
    assert!(state.advance(|| "new".to_owned()).submission().is_none());
    let html = html(&state, Layout::Basic);
    assert!(html.contains(r#"id="kform-会社名" name="会社名" aria-describedby="kform-会社名-message" aria-invalid="true" data-kform-slot="会社名""#), "{html}");
    assert!(html.contains(r#"<p class="kform-message" part="error" id="kform-会社名-message" data-kform-slot="会社名" aria-live="polite"><span>必須です。</span></p>"#), "{html}");
    assert!(html.contains(r#"value="A""#), "the values sent are kept");
    assert!(html.contains(r#"checked value="B""#));
    assert!(html.contains(r#"<div class="kform-summary" part="error-summary" id="kform-summary" tabindex="-1" role="group" aria-labelledby="kform-summary-heading" autofocus>"#), "{html}");
    assert!(html.contains(r##"<a href="#kform-会社名">会社名: 必須です。</a>"##));
    assert!(summary(&state).is_some());
}

#[test]
fn a_post_sets_every_shown_field_and_an_unchecked_group_becomes_empty() {
    let mut state = state(
        EVERY,
        json!([{ "field": "氏名" }, { "field": "関心" }, { "field": "来場日時" }, { "field": "担当者" }, { "field": "明細" }, { "field": "相談内容" }]),
    );
    let default = state.list_value("関心");
    assert!(!default.is_empty(), "kintone's default is checked at first");
    let pairs = owned(&[
        ("氏名", "山田"),
        ("来場日時", "2026-12-01T10:30"),
        ("担当者", "sato, 鈴木"),
        ("明細", "2"),
        ("明細[1].品名", "机"),
        ("相談内容", "一行目\r\n二行目\r三"),
        ("kform_tz", "0"),
        ("website", ""),
    ]);
    posted::apply(&mut state, &pairs).unwrap();
    assert_eq!(state.list_value("関心"), Vec::<String>::new());
    assert_eq!(state.text_value("来場日時"), "2026-12-01T10:30+00:00");
    assert_eq!(state.list_value("担当者"), ["sato", "鈴木"]);
    assert_eq!(state.text_value("相談内容"), "一行目\n二行目\r三", "a browser's CRLF is LF");
    assert_eq!(state.row_count("明細"), 2);
    let cell = Slot::Cell { table: "明細".into(), row: 1, code: "品名".into() };
    assert_eq!(state.value(cell), Some(&Value::Text("机".into())));
    let rows = rows(&state, "明細").iter().map(super::El::to_html).collect::<String>();
    assert!(
        rows.contains(r#"name="明細" value="2""#) && rows.contains(r#"name="明細[1].品名""#),
        "{rows}"
    );
    assert!(rows.contains(r#"aria-label="この行を削除 (行 2)""#));
}

#[test]
fn a_posted_captcha_answer_is_returned_and_kept_for_the_submission() {
    let mut descriptor = contact().descriptor().clone();
    descriptor.captcha = Some(kform_core::protocol::CaptchaChallenge {
        provider: "turnstile".into(),
        site_key: "key".into(),
    });
    let post = |pairs: &[(&str, &str)]| {
        let mut state = FormState::new(descriptor.clone(), Some(Locale::Ja));
        let posted = posted::apply(&mut state, &owned(pairs)).map(|posted| posted.captcha_token);
        (posted, state.captcha_unsolved())
    };
    assert_eq!(post(&[]), (Ok(None), true), "no input: no script showed the challenge");
    assert_eq!(post(&[("kform_captcha_token", "")]), (Ok(Some(String::new())), true));
    assert_eq!(post(&[("kform_captcha_token", "t-1")]), (Ok(Some("t-1".into())), false));
    // The provider's own copy of the answer, which its script adds inside the hosted page's
    // form, is set aside.
    let both = [("kform_captcha_token", "t-2"), ("cf-turnstile-response", "t-2")];
    assert_eq!(post(&both), (Ok(Some("t-2".into())), false));
    assert_eq!(
        post(&[("kform_captcha_token", "a"), ("kform_captcha_token", "b")]).0,
        Err(PostError::Repeated("kform_captcha_token".into()))
    );
}

#[test]
fn a_subtables_cells_may_come_before_its_row_count_and_in_any_order() {
    let mut state = state(EVERY, json!([{ "field": "明細" }]));
    let pairs = owned(&[
        ("明細[1].色", "赤"),
        ("明細[0].品名", "椅子"),
        ("明細[1].品名", "机"),
        ("明細[1].色", "青"),
        ("明細", "2"),
        ("明細[0].数量", "3"),
    ]);
    posted::apply(&mut state, &pairs).unwrap();
    assert_eq!(state.row_count("明細"), 2);
    let cell = |row, code: &str| {
        state.value(Slot::Cell { table: "明細".into(), row, code: code.into() }).cloned()
    };
    assert_eq!(cell(0, "品名"), Some(Value::Text("椅子".into())));
    assert_eq!(cell(0, "数量"), Some(Value::Text("3".into())));
    assert_eq!(cell(1, "品名"), Some(Value::Text("机".into())));
    assert_eq!(cell(1, "色"), Some(Value::List(vec!["赤".into(), "青".into()])));
}

#[test]
fn a_post_without_a_time_zone_is_japan_time() {
    let mut state = state(EVERY, json!([{ "field": "来場日時" }]));
    let pairs = vec![("来場日時".to_owned(), "2026-12-01T10:30".to_owned())];
    posted::apply(&mut state, &pairs).unwrap();
    assert_eq!(state.text_value("来場日時"), "2026-12-01T10:30+09:00");
}

#[test]
fn a_post_the_form_could_not_have_sent_is_refused() {
    let pair = |name: &str, value: &str| (name.to_owned(), value.to_owned());
    let refused = |pairs: Vec<(String, String)>| {
        let mut state =
            state(EVERY, json!([{ "field": "氏名" }, { "field": "関心" }, { "field": "明細" }]));
        posted::apply(&mut state, &pairs).unwrap_err()
    };
    assert_eq!(refused(vec![pair("ほか", "x")]), PostError::UnknownName("ほか".into()));
    assert_eq!(
        refused(vec![pair("氏名", "a"), pair("氏名", "b")]),
        PostError::Repeated("氏名".into())
    );
    assert_eq!(
        refused(vec![pair("kform_render_token", "a"), pair("kform_render_token", "b")]),
        PostError::Repeated("kform_render_token".into())
    );
    assert_eq!(
        refused(vec![pair("明細[3].品名", "x")]),
        PostError::UnknownName("明細[3].品名".into())
    );
    // A name is the form's only as the form writes it, of a field or column it shows.
    let huge = format!("明細[{}].品名", usize::MAX);
    for name in ["明細[01].品名", "明細[0].ほか", "明細[0]品名", "氏名[0].品名", "相談内容", &huge]
    {
        let pairs = vec![pair("明細", "2"), pair(name, "x")];
        assert_eq!(refused(pairs), PostError::UnknownName(name.into()), "{name}");
    }
    // A post with many values of a one-value input is read to its end and refused for them.
    let many = (0..20_000).map(|_| pair("氏名", "a")).collect();
    assert_eq!(refused(many), PostError::Repeated("氏名".into()));
    assert_eq!(
        refused(vec![pair("kform_action", "add:氏名")]),
        PostError::BadAction("add:氏名".into())
    );
    assert_eq!(
        refused(vec![pair("kform_action", "remove:明細:x")]),
        PostError::BadAction("remove:明細:x".into())
    );
    // Several values of a list field are what check boxes send.
    let mut state = state(EVERY, json!([{ "field": "関心" }]));
    posted::apply(&mut state, &[pair("関心", "製品A"), pair("関心", "製品B")]).unwrap();
}

#[test]
fn row_buttons_add_and_remove_rows() {
    let mut state = state(EVERY, json!([{ "field": "明細" }]));
    let pairs = vec![
        ("明細".to_owned(), "1".to_owned()),
        ("kform_action".to_owned(), "add:明細".to_owned()),
    ];
    let posted = posted::apply(&mut state, &pairs).unwrap();
    assert_eq!(posted.action, Some(Action::AddRow("明細".into())));
    posted.action.unwrap().apply(&mut state);
    assert_eq!(state.row_count("明細"), 2);
    Action::RemoveRow("明細".into(), 0).apply(&mut state);
    assert_eq!(state.row_count("明細"), 1);
    let huge = vec![("明細".to_owned(), "100000".to_owned())];
    let mut state = self::state(EVERY, json!([{ "field": "明細" }]));
    posted::apply(&mut state, &huge).unwrap();
    assert_eq!(state.row_count("明細"), posted::MAX_ROWS);
}

#[test]
fn a_slots_key_names_it_again() {
    for slot in [
        Slot::Field("会社名".into()),
        Slot::Cell { table: "明細".into(), row: 12, code: "品名".into() },
    ] {
        assert_eq!(Slot::from_key(&slot.key()), slot);
    }
}

#[test]
fn the_thanks_take_the_focus() {
    assert_eq!(
        thanks("ありがとう").to_html(),
        r#"<p class="kform-thanks" part="thanks" role="status" id="kform-thanks" tabindex="-1">ありがとう</p>"#
    );
}

#[test]
fn json_in_a_script_cannot_end_it_and_reads_back_the_same() {
    let json = r#"{"label":"</script><b>&amp;</b>"}"#;
    let html = crate::html::el("script").child(crate::html::Node::Json(json.to_owned())).to_html();
    assert_eq!(
        html,
        r#"<script>{"label":"\u003c/script\u003e\u003cb\u003e\u0026amp;\u003c/b\u003e"}</script>"#
    );
    let inner = html.trim_start_matches("<script>").trim_end_matches("</script>");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(inner).unwrap(),
        serde_json::from_str::<serde_json::Value>(json).unwrap()
    );
}

#[test]
fn a_form_s_own_option_labels_are_shown_and_kintone_s_options_are_sent() {
    let mut state = state(
        EVERY,
        json!([
            { "field": "業種", "option_labels": { "製造": "Manufacturing" } },
            { "field": "連絡方法", "option_labels": { "電話": "Phone", "メール": "E-mail" } },
            { "field": "関心", "option_labels": { "製品B": "Product B" } }
        ]),
    );
    let page = html(&state, Layout::Enhanced);
    assert!(page.contains(r#"<option value="製造">Manufacturing</option>"#), "{page}");
    assert!(page.contains(r#"<option value="小売">小売</option>"#), "kintone's label without one");
    assert!(page.contains(r#"value="電話""#) && page.contains(">Phone</label>"), "{page}");
    assert!(page.contains(r#"value="製品B""#) && page.contains(">Product B</label>"), "{page}");
    assert!(!page.contains(">電話</label>"), "{page}");
    // The confirmation shows the form's words for what was chosen.
    state.edit(Slot::Field("業種".into()), Value::Text("製造".into()));
    state.edit(Slot::Field("連絡方法".into()), Value::Text("電話".into()));
    state.toggle(Slot::Field("関心".into()), "製品B", true);
    let answers = state.answers();
    let answer = |label: &str| answers.iter().find(|(l, _)| l == label).map(|(_, v)| v.clone());
    assert_eq!(answer("業種").as_deref(), Some("Manufacturing"));
    assert_eq!(answer("連絡方法").as_deref(), Some("Phone"));
    // Every chosen option, the labelled one in the form's words and the other in kintone's.
    assert_eq!(answer("関心").as_deref(), Some("製品A、Product B"), "{answers:?}");
}

#[test]
fn renumbered_moves_only_the_row_in_a_tables_ids_names_and_actions() {
    let cases = [
        ("kform-明細-0-品名", "kform-明細-7-品名"),
        ("kform-明細-0-色-1", "kform-明細-7-色-1"),
        ("kform-明細-12-品名-message", "kform-明細-7-品名-message"),
        ("明細[0].品名", "明細[7].品名"),
        ("remove:明細:0", "remove:明細:7"),
        // aria-describedby names several ids.
        (
            "kform-明細-0-担当者-codes kform-明細-0-担当者-message",
            "kform-明細-7-担当者-codes kform-明細-7-担当者-message",
        ),
        // Another table, whose code begins with this one's, and other fields stay as they are.
        ("kform-明細2-0-品名", "kform-明細2-0-品名"),
        ("明細2[0].品名", "明細2[0].品名"),
        ("remove:明細2:0", "remove:明細2:0"),
        ("kform-明細", "kform-明細"),
        ("明細", "明細"),
        ("kform-品名-0-x", "kform-品名-0-x"),
        // Not a row's place: no digits, or not closed as a row is.
        ("kform-明細--品名", "kform-明細--品名"),
        ("明細[0", "明細[0"),
        ("remove:明細:0x", "remove:明細:0x"),
        ("add:明細", "add:明細"),
        ("", ""),
    ];
    for (value, moved) in cases {
        assert_eq!(renumbered(value, "明細", 7), moved, "{value}");
    }
}

/// What the widget does to the row template to make it row `row` (`kform-widget`'s
/// `move_row`, with the same `moved_attribute` and `row_name`), on the tree rather than on the
/// page's elements.
fn moved(element: El, table: &str, row: usize, state: &FormState) -> El {
    let (tag, attrs, children) = element.into_parts();
    let has = |name: &str, wanted: &str| {
        attrs.iter().any(|(attr, value)| *attr == name && value.as_deref() == Some(wanted))
    };
    let (action, legend) =
        (has("name", crate::markup::names::ACTION), has("class", "kform-row-label"));
    let mut out = el(tag);
    for (name, value) in attrs {
        out = match value {
            Some(value) => {
                let moved = moved_attribute(state, table, row, action, name, &value);
                out.attr(name, moved.unwrap_or(value))
            }
            None => out.flag(name, true),
        };
    }
    if legend {
        return out.text(row_name(state, row));
    }
    for child in children {
        out = match child {
            Node::El(child) => out.child(moved(child, table, row, state)),
            other => out.child(other),
        };
    }
    out
}

#[test]
fn the_row_template_moved_to_a_row_is_that_row_as_the_relay_renders_it() {
    let mut state = state(EVERY, json!([{ "field": "明細" }, { "field": "担当者" }]));
    for _ in 0..3 {
        state.add_row("明細");
    }
    let fresh = row_template(&state, "明細").to_html();
    assert!(
        fresh.contains(r#"name="明細[0].数量""#) && fresh.contains(r#"value="1""#),
        "kintone's default: {fresh}"
    );
    assert!(fresh.contains(r#"value="remove:明細:0""#), "{fresh}");
    for row in 0..3 {
        let template = row_template(&state, "明細");
        assert_eq!(
            moved(template, "明細", row, &state).to_html(),
            row_element(&state, "明細", &row_fields(&state, "明細"), row).to_html(),
            "row {row}"
        );
    }
    // The form carries the template after the rows, where no form control is posted.
    let page = html(&state, Layout::Enhanced);
    let rows_end = page.find(r#"<template data-kform-row="明細">"#).unwrap();
    assert!(page[..rows_end].contains(r#"name="明細" value="3""#));
}

#[test]
fn each_form_is_marked_for_the_build_with_just_what_it_uses() {
    use super::WidgetBuild;
    let lean = r#"<div class="kform" part="form-root" data-kform-wasm="lean">"#;
    let plain = html(&contact(), Layout::Enhanced);
    assert!(plain.starts_with(lean), "{plain}");
    let every = |items: serde_json::Value, confirm: bool| {
        let form: FormSpec = serde_json::from_value(
            json!({ "format": 1, "id": "f", "app": 1, "items": items, "confirm": confirm }),
        )
        .unwrap();
        let fields = AppFields::from_kintone_json(EVERY).unwrap().subset(form.field_codes());
        FormDescriptor { form, fields, captcha: None, upload_limit_bytes: None }
    };
    let cases = [
        (json!([{ "field": "氏名" }]), false, WidgetBuild::Lean, Some("lean")),
        (json!([{ "field": "氏名" }]), true, WidgetBuild::Confirm, Some("confirm")),
        (json!([{ "field": "明細" }]), false, WidgetBuild::Rows, Some("rows")),
        (json!([{ "field": "明細" }]), true, WidgetBuild::Whole, None),
    ];
    for (items, confirm, build, marked) in cases {
        let descriptor = every(items, confirm);
        assert_eq!(WidgetBuild::of(&descriptor), build);
        let shown = html(&FormState::new(descriptor, Some(Locale::Ja)), Layout::Enhanced);
        let start = shown.split_once("><form").unwrap().0;
        let expected = match marked {
            Some(name) => {
                format!(r#"<div class="kform" part="form-root" data-kform-wasm="{name}""#)
            }
            None => r#"<div class="kform" part="form-root""#.to_owned(),
        };
        assert_eq!(start, expected);
    }
    // Which build takes over which form: a row per build, a column per form's build, both in
    // `ALL`'s order (lean, rows, confirm, whole).
    let covers = [
        [true, false, false, false],
        [true, true, false, false],
        [true, false, true, false],
        [true, true, true, true],
    ];
    for (build, row) in WidgetBuild::ALL.into_iter().zip(covers) {
        for (needed, expected) in WidgetBuild::ALL.into_iter().zip(row) {
            assert_eq!(build.covers(needed), expected, "{build:?} for {needed:?}");
        }
    }
    // The stylesheet's parts follow what the form shows.
    let parts =
        |items: serde_json::Value, confirm: bool| super::style_parts(&every(items, confirm));
    assert_eq!(parts(json!([{ "field": "氏名" }]), false), crate::style::Parts::default());
    assert_eq!(
        parts(json!([{ "field": "明細" }, { "page_break": true }, { "field": "資料" }]), true),
        crate::style::Parts::ALL
    );
    let hidden_rows = json!([{ "field": "明細", "hidden": [] }, { "field": "氏名" }]);
    assert!(!parts(hidden_rows, false).rows, "a subtable sent as a hidden value shows no rows");
    let mut captcha = every(json!([{ "field": "氏名" }]), false);
    captcha.captcha = Some(kform_core::protocol::CaptchaChallenge {
        provider: "turnstile".into(),
        site_key: "key".into(),
    });
    // The captcha is kform.js's: the lean `.wasm` takes such a form over, and the markup names
    // the provider and the site key for the script.
    assert_eq!(WidgetBuild::of(&captcha), WidgetBuild::Lean, "captcha");
    let shown = html(&FormState::new(captcha, Some(Locale::Ja)), Layout::Enhanced);
    assert!(
        shown.contains(
            r#"<slot name="captcha" data-kform-captcha="turnstile" data-kform-site-key="key" data-kform-lang="ja"></slot>"#
        ),
        "{shown}"
    );
    assert!(!shown.contains("kform_captcha_token"), "the script adds the answer's input");
}
