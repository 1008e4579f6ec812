//! The form's state logic, natively.

use kform_core::protocol::{ErrorResponse, FormDescriptor, SubmissionState, SubmitOutcome};
use kform_core::{AppFields, FormSpec, Locale, Value};
use serde_json::json;

use kform_core::message::Text;

use super::{
    Advance, FormState, Slot, Status, SubmitError, plain_text, rich_text, split_codes, with_offset,
};

const FIELDS: &str = include_str!("../../../../tests/fixtures/kintone/contact-fields.json");

fn state(locale: Option<Locale>) -> FormState {
    let form: FormSpec = serde_json::from_value(json!({ "format": 1, "id": "f", "app": 1, "items": [
        { "field": "会社名" }, { "field": "関心" }, { "field": "フォーム識別", "hidden": "lp-1" }
    ]}))
    .unwrap();
    let fields = AppFields::from_kintone_json(FIELDS).unwrap().subset(form.field_codes());
    FormState::new(FormDescriptor { form, fields, captcha: None, upload_limit_bytes: None }, locale)
}

/// A valid form whose submission was just started.
fn sending() -> FormState {
    let mut state = state(None);
    state.set("会社名", Value::Text("ACME".into()));
    state.toggle("関心", "A", true);
    assert!(state.advance(id).submission().is_some());
    state
}

fn id() -> String {
    "id-1".to_owned()
}

#[test]
fn messages_wait_until_touched_or_submitted() {
    let mut state = state(None);
    assert!(state.visible_messages("会社名").is_empty(), "nothing before the visitor did anything");
    state.touch("会社名");
    assert!(state.visible_messages("会社名").is_empty(), "passing through an empty field is quiet");
    state.edit("会社名", Value::Text("x".into()));
    assert!(state.visible_messages("会社名").is_empty(), "nothing while typing");
    state.edit("会社名", Value::Text(String::new()));
    state.touch("会社名");
    assert_eq!(state.visible_messages("会社名"), ["必須です。"]);
    assert!(state.visible_messages("関心").is_empty());
    assert!(state.advance(id).submission().is_none(), "invalid values are not sent");
    assert_eq!(state.visible_messages("関心"), ["必須です。"]);
    state.set("会社名", Value::Text("x".repeat(65)));
    assert_eq!(state.visible_messages("会社名"), ["65文字より短くなければなりません。"]);
}

#[test]
fn an_empty_field_with_a_min_length_is_not_sent_and_gets_kintone_s_message() {
    let form: FormSpec =
        serde_json::from_value(json!({ "format": 1, "id": "f", "app": 1, "items": [
            { "field": "会社名" }, { "field": "担当者" }, { "field": "関心" }
        ]}))
        .unwrap();
    let fields = AppFields::from_kintone_json(FIELDS).unwrap().subset(form.field_codes());
    let descriptor = FormDescriptor { form, fields, captcha: None, upload_limit_bytes: None };
    let mut state = FormState::new(descriptor, None);
    state.set("会社名", Value::Text("ACME".into()));
    state.toggle("関心", "A", true);
    assert!(state.advance(id).submission().is_none(), "kintone would refuse 担当者 empty");
    assert_eq!(state.visible_messages("担当者"), ["1文字より長くなければなりません。"]);
    state.edit("担当者", Value::Text("山田".into()));
    assert!(state.visible_messages("担当者").is_empty());
    assert!(state.advance(id).submission().is_some());
}

#[test]
fn a_form_whose_field_was_deleted_sends_without_it_or_says_it_cannot_be_sent() {
    let descriptor = |required: bool| {
        let form: FormSpec = serde_json::from_value(json!({ "format": 1, "id": "f", "app": 1,
            "items": [{ "field": "会社名" }, { "field": "関心" },
                      { "field": "電話番号", "required": required }] }))
        .unwrap();
        // 電話番号 was deleted in kintone: the app's fields no longer have it.
        let fields = AppFields::from_kintone_json(FIELDS).unwrap().subset(form.field_codes());
        FormDescriptor { form, fields, captcha: None, upload_limit_bytes: None }
    };
    let mut optional = FormState::new(descriptor(false), None);
    optional.set("会社名", Value::Text("ACME".into()));
    optional.toggle("関心", "A", true);
    assert!(optional.advance(id).submission().is_some(), "the rest of the form is sent");
    let mut required = FormState::new(descriptor(true), None);
    required.set("会社名", Value::Text("ACME".into()));
    required.toggle("関心", "A", true);
    assert!(matches!(required.advance(id), Advance::Broken(missing) if missing == ["電話番号"]));
    assert_eq!(
        required.form_messages(),
        [
            "kintone アプリの変更により、このフォームは現在送信できません。時間をおいてもう一度お試しください。"
        ]
    );
}

#[test]
fn english_messages_when_asked() {
    let mut state = state(Some(Locale::En));
    state.edit("会社名", Value::Text(String::new()));
    state.touch("会社名");
    assert_eq!(state.visible_messages("会社名"), ["Required."]);
}

#[test]
fn an_item_kintone_does_not_list_stays_first_and_the_rest_follow_kintones_order() {
    let items = ["C", "gone", "A"].map(String::from);
    assert_eq!(super::in_order(&items, &["A", "B", "C"]), ["gone", "A", "C"]);
    assert!(super::in_order(&[], &["A"]).is_empty());
}

#[test]
fn toggling_keeps_kintone_option_order() {
    let mut state = state(None);
    state.toggle("関心", "B", true);
    state.toggle("関心", "A", true);
    assert!(state.is_selected("関心", "A") && state.is_selected("関心", "B"));
    state.set("会社名", Value::Text("ACME".into()));
    let submission = state.advance(id).submission().unwrap();
    assert_eq!(submission.values.get("関心"), Some(&Value::List(vec!["A".into(), "B".into()])));
    state.finish_submit(Err(SubmitError::Failed("offline".into())));
    state.toggle("関心", "A", false);
    let retry = state.advance(|| "id-2".to_owned()).submission().unwrap();
    assert_eq!(retry.values.get("関心"), Some(&Value::List(vec!["B".into()])));
    assert_eq!(retry.submission_id.as_deref(), Some("id-1"), "a retry reuses the submission id");
}

#[test]
fn the_page_address_prefills_shown_fields_only() {
    let mut state = state(None);
    state.prefill([
        ("会社名", "サイボウズ"),
        ("関心", "A"),
        ("関心", "B"),
        ("フォーム識別", "forged"),
        ("utm_source", "x"),
    ]);
    assert_eq!(state.text_value("会社名"), "サイボウズ");
    assert!(state.is_selected("関心", "A") && state.is_selected("関心", "B"));
    let submission = state.advance(|| "id-1".to_owned()).submission().unwrap();
    assert_ne!(
        submission.values.get("フォーム識別"),
        Some(&Value::Text("forged".into())),
        "a fixed hidden value is not the address's to set"
    );
    assert_eq!(submission.values.get("utm_source"), None);
}

#[test]
fn capture_items_record_the_campaign_and_the_referrer_unseen() {
    let form: FormSpec =
        serde_json::from_value(json!({ "format": 1, "id": "f", "app": 1, "items": [
            { "field": "会社名" }, { "field": "関心" },
            { "field": "フォーム識別", "capture": "utm_campaign" }
        ]}))
        .unwrap();
    let fields = AppFields::from_kintone_json(FIELDS).unwrap().subset(form.field_codes());
    let mut state = FormState::new(
        FormDescriptor { form, fields, captcha: None, upload_limit_bytes: None },
        None,
    );
    state.prefill([("フォーム識別", "typed")]);
    state.capture(&[("utm_source", "x"), ("utm_campaign", "spring")], "https://ads.example/");
    state.set("会社名", Value::Text("ACME".into()));
    state.toggle("関心", "A", true);
    let submission = state.advance(|| "id-1".to_owned()).submission().unwrap();
    assert_eq!(submission.values.get("フォーム識別"), Some(&Value::Text("spring".into())));
    // フォーム識別 holds at most 10 characters: a longer campaign is dropped, not an error.
    let mut long = state;
    long.finish_submit(Err(SubmitError::Failed("offline".into())));
    long.capture(&[("utm_campaign", "spring-sale-2026")], "");
    let submission = long.advance(|| "id-1".to_owned()).submission().unwrap();
    assert_eq!(submission.values.get("フォーム識別"), Some(&Value::Text(String::new())));
}

#[test]
fn the_render_token_goes_back_and_the_honeypot_only_when_filled() {
    let mut state = state(None);
    state.set("会社名", Value::Text("ACME".into()));
    state.toggle("関心", "A", true);
    state.set_render_token(Some("token".into()));
    let person = state.advance(|| "id-1".to_owned()).submission().unwrap();
    assert_eq!((person.render_token.as_deref(), person.honeypot), (Some("token"), None));
    state.finish_submit(Err(SubmitError::Failed("offline".into())));
    state.set_honeypot("http://spam.example".into());
    let robot = state.advance(|| "id-2".to_owned()).submission().unwrap();
    assert_eq!(robot.honeypot.as_deref(), Some("http://spam.example"));
}

#[test]
fn a_second_submit_while_sending_is_ignored() {
    let mut state = sending();
    assert_eq!(state.status(), &Status::Sending);
    assert!(state.advance(id).submission().is_none(), "double clicks never send twice");
    state.finish_submit(Ok(SubmitOutcome {
        submission_id: "id-1".into(),
        state: SubmissionState::Delivered,
        record_id: Some("1".into()),
    }));
    assert_eq!(state.status(), &Status::Sent("送信しました。ありがとうございました。".into()));
}

#[test]
fn server_problems_show_on_their_field_until_it_changes() {
    let mut state = sending();
    let report = ErrorResponse::read_relayed(&json!({ "message": "kintone refused some values", "errors": [
        { "field": "会社名", "path": "record.会社名.value", "code": "duplicate", "message": "値がほかのレコードと重複しています。" },
        { "field": null, "path": "app", "code": "rejected_by_kintone", "kintone_message": "最小でも1以上です。", "message": "最小でも1以上です。" }
    ]}))
    .unwrap();
    state.finish_submit(Err(SubmitError::Invalid(report)));
    assert_eq!(state.status(), &Status::Editing);
    assert_eq!(state.visible_messages("会社名"), ["値がほかのレコードと重複しています。"]);
    assert_eq!(state.form_messages(), ["最小でも1以上です。"]);
    state.set("会社名", Value::Text("ACME 2".into()));
    assert!(state.visible_messages("会社名").is_empty());
}

const EVERY_TYPE: &str = include_str!("../../../../tests/fixtures/kintone/every-type-fields.json");

fn every_type(items: &serde_json::Value) -> FormState {
    every_type_form(json!({ "items": items }))
}

/// A form on the every-type app: `spec` gives the items and any other settings.
fn every_type_form(mut spec: serde_json::Value) -> FormState {
    spec["format"] = json!(1);
    spec["id"] = json!("f");
    spec["app"] = json!(1);
    let form: FormSpec = serde_json::from_value(spec).unwrap();
    let fields = AppFields::from_kintone_json(EVERY_TYPE).unwrap().subset(form.field_codes());
    FormState::new(FormDescriptor { form, fields, captcha: None, upload_limit_bytes: None }, None)
}

fn cell(row: usize, code: &str) -> Slot {
    Slot::Cell { table: "明細".into(), row, code: code.into() }
}

#[test]
fn subtable_rows_are_added_filled_checked_and_removed() {
    let mut state = every_type(&json!([{ "field": "明細" }]));
    assert_eq!(state.row_count("明細"), 0);
    state.add_row("明細");
    state.add_row("明細");
    assert_eq!(state.row_count("明細"), 2);
    assert_eq!(state.text_value(cell(0, "数量")), "1", "a new row starts with kintone's defaults");
    state.set(cell(0, "品名"), Value::Text("ペン".into()));
    state.edit(cell(1, "数量"), Value::Text("0".into()));
    state.touch(cell(1, "数量"));
    assert_eq!(state.visible_messages(cell(1, "数量")), ["1以上である必要があります。"]);
    assert!(state.visible_messages(cell(1, "品名")).is_empty(), "untouched cells stay quiet");
    assert!(state.visible_messages("明細").is_empty(), "a cell's problem is shown on the cell");

    assert!(state.advance(id).submission().is_none());
    assert_eq!(state.visible_messages(cell(1, "品名")), ["必須です。"]);
    let labels: Vec<String> = state.problem_list().into_iter().map(|(_, label, _)| label).collect();
    assert_eq!(labels, ["明細 行 2: 品名", "明細 行 2: 数量"]);

    state.remove_row("明細", 1);
    assert_eq!(state.row_count("明細"), 1);
    let submission = state.advance(id).submission().expect("the remaining row is valid");
    let Some(Value::Rows(rows)) = submission.values.get("明細") else { panic!("rows are sent") };
    assert_eq!(rows[0].get("品名"), Some(&Value::Text("ペン".into())));
}

#[test]
fn selections_from_a_closed_list_or_typed_codes() {
    let mut state = every_type(&json!([{ "field": "担当者" }, { "field": "部署" }]));
    assert_eq!(
        state.value("担当者"),
        Some(&Value::Entities(Vec::new())),
        "LOGINUSER() is no default on a public form"
    );
    state.toggle("担当者", "suzuki", true);
    state.toggle("担当者", "sato", true);
    assert_eq!(state.value("担当者"), Some(&Value::Entities(vec!["sato".into(), "suzuki".into()])));
    state.set("部署", Value::Entities(split_codes("営業部、 開発部,,総務部")));
    assert_eq!(state.list_value("部署"), ["営業部", "開発部", "総務部"]);
    let submission = state.advance(id).submission().unwrap();
    assert_eq!(
        serde_json::to_value(submission.values.get("担当者")).unwrap(),
        json!([{ "code": "sato" }, { "code": "suzuki" }])
    );
}

#[test]
fn date_times_carry_the_visitors_offset() {
    assert_eq!(with_offset("2026-12-01T10:30", -540), "2026-12-01T10:30+09:00");
    assert_eq!(with_offset("2026-07-01T10:30", 240), "2026-07-01T10:30-04:00");
    assert_eq!(with_offset("2026-07-01T10:30", -330), "2026-07-01T10:30+05:30");
    assert_eq!(with_offset("", -540), "", "an empty input stays empty");
    let mut state = every_type(&json!([{ "field": "来場日時" }]));
    state.set("来場日時", Value::Text(with_offset("2026-12-01T10:30", -540)));
    let submission = state.advance(id).submission().unwrap();
    assert_eq!(
        submission.values.get("来場日時"),
        Some(&Value::Text("2026-12-01T10:30+09:00".into()))
    );
}

#[test]
fn an_unreachable_relay_is_retried_then_reported_with_the_same_submission() {
    let mut state = sending();
    state.retrying();
    assert!(state.status().is_busy(), "the button stays disabled while retrying");
    assert!(
        state.advance(|| "id-2".to_owned()).submission().is_none(),
        "no second submission meanwhile"
    );
    state.finish_submit(Err(SubmitError::Unreachable("the relay answered 503".into())));
    assert_eq!(
        state.status(),
        &Status::Failed("送信できませんでした。時間をおいて再度お試しください。".into())
    );
    let again = state.advance(|| "id-2".to_owned()).submission().unwrap();
    assert_eq!(
        again.submission_id.as_deref(),
        Some("id-1"),
        "a manual retry is the same submission"
    );
}

#[test]
fn the_error_summary_names_each_shown_field_once() {
    let mut state = state(Some(Locale::En));
    assert!(state.problem_list().is_empty(), "nothing before a submit was tried");
    assert!(state.advance(id).submission().is_none());
    let list = state.problem_list();
    let keys: Vec<String> = list.iter().map(|(slot, _, _)| slot.key()).collect();
    assert_eq!(keys, ["会社名", "関心"]);
    assert_eq!(list[0].2, "Required.");
}

#[test]
fn a_rich_text_default_is_shown_as_plain_text() {
    assert_eq!(plain_text("<p></p>"), "");
    assert_eq!(
        plain_text("<p>一行目<br />二行目</p><p>A &amp; B &lt;c&gt;</p>"),
        "一行目\n二行目\nA & B <c>"
    );
    assert_eq!(plain_text("a<b>c<d"), "ac<d", "a tag left open is kept as text");
    assert_eq!(plain_text("値<br>次&lt"), "値\n次&lt");
    let state = every_type(&json!([{ "field": "詳細" }]));
    assert_eq!(state.text_value("詳細"), "", "kintone's empty rich text is no text");
}

#[test]
fn rich_text_is_typed_as_plain_text_and_sent_as_html() {
    assert_eq!(
        rich_text("一行目\r\n<b>二行目</b> & \"引用\""),
        "一行目<br />&lt;b&gt;二行目&lt;/b&gt; &amp; &quot;引用&quot;"
    );
    for typed in ["", "A & B <c>", "一行目\n二行目", "&amp; &lt; 'q' \"&\"&", "a\rb"] {
        assert_eq!(plain_text(&rich_text(typed)), typed, "plain_text undoes rich_text");
    }
    assert_eq!(rich_text("a\rb\r\n"), "a\rb<br />", "a lone CR stays; CRLF is one break");
    assert_eq!(
        plain_text("&amp;lt; &&nbsp;&#39;&x; &"),
        "&lt; & '&x; &",
        "each entity decoded once; any other & kept"
    );
    let mut state = every_type(&json!([{ "field": "詳細" }, { "field": "明細" }]));
    state.set("詳細", Value::Text("ご要望:\n<見積>をお願いします".into()));
    let submission = state.advance(|| "id".to_owned()).submission().unwrap();
    assert_eq!(
        submission.values.get("詳細"),
        Some(&Value::Text("ご要望:<br />&lt;見積&gt;をお願いします".into()))
    );
    assert_eq!(
        state.answers()[0].1,
        "ご要望:\n<見積>をお願いします",
        "the confirmation and the form keep the text as typed"
    );
}

#[test]
fn a_conditional_item_follows_its_condition() {
    let mut state = every_type(&json!([
        { "field": "連絡方法" },
        { "field": "サイト", "show_if": { "field": "連絡方法", "in": ["電話"] } }
    ]));
    assert!(!state.item_applies(1), "kintone's default is メール");
    state.edit("サイト", Value::Text("ab".into()));
    state.edit("連絡方法", Value::Text("電話".into()));
    assert!(state.item_applies(1));
    assert!(state.advance(id).submission().is_none(), "a shown item is checked");
    state.edit("連絡方法", Value::Text("メール".into()));
    let submission = state.advance(id).submission().expect("a hidden item is not checked");
    assert!(
        submission.values.get("サイト").is_some(),
        "the relay decides again: the value goes along"
    );
}

#[test]
fn a_message_waits_for_the_click_that_left_the_field() {
    let mut state = state(None);
    state.edit("会社名", Value::Text(String::new()));
    state.pointer(true);
    state.touch("会社名");
    assert!(state.visible_messages("会社名").is_empty(), "nothing moves under the pointer");
    state.pointer(false);
    assert_eq!(state.visible_messages("会社名"), ["必須です。"]);
}

#[test]
fn pages_move_on_only_when_valid_and_show_their_own_problems() {
    let mut state = every_type(&json!([
        { "field": "氏名" },
        { "page_break": true, "label": "連絡先" },
        { "field": "メール" },
        { "field": "業種" }
    ]));
    assert_eq!((state.page(), state.page_count()), (0, 2));
    assert_eq!(state.action_text(), Text::Next);
    assert!(state.item_on_page(0) && !state.item_on_page(1) && !state.item_on_page(2));
    assert_eq!(state.advance(id), Advance::Invalid);
    assert_eq!(state.page(), 0, "a page with a problem keeps the visitor");
    let listed: Vec<String> =
        state.problem_list().into_iter().map(|(slot, ..)| slot.key()).collect();
    assert_eq!(listed, ["氏名"], "later pages' problems wait for their page");
    state.edit("氏名", Value::Text("山田".into()));
    assert_eq!(state.advance(id), Advance::NextPage);
    assert_eq!(state.page(), 1);
    assert!(state.item_on_page(2) && state.item_on_page(3));
    assert!(state.problem_list().is_empty(), "a new page starts quiet");
    assert!(state.visible_messages("メール").is_empty());
    assert_eq!(state.action_text(), Text::Submit);
    state.back();
    assert_eq!(state.page(), 0);
    assert_eq!(state.text_value("氏名"), "山田", "going back keeps the answers");
    assert_eq!(state.advance(id), Advance::NextPage);
    assert_eq!(state.advance(id), Advance::Invalid);
    let listed: Vec<String> =
        state.problem_list().into_iter().map(|(slot, ..)| slot.key()).collect();
    assert_eq!(listed, ["メール", "業種"]);
    state.edit("メール", Value::Text("a@example.com".into()));
    state.edit("業種", Value::Text("製造".into()));
    let submission = state.advance(id).submission().expect("every page is valid");
    assert_eq!(submission.values.get("氏名"), Some(&Value::Text("山田".into())));
}

#[test]
fn the_confirmation_lists_the_answers_before_sending() {
    let mut state = every_type_form(json!({ "confirm": true, "items": [
        { "field": "氏名", "label": "お名前" },
        { "field": "関心" },
        { "field": "来場日時" },
        { "field": "地域" },
        { "field": "明細" },
        { "page_break": true },
        { "field": "連絡方法" },
        { "field": "電話", "show_if": { "field": "連絡方法", "in": ["電話"] } }
    ]}));
    state.edit("氏名", Value::Text("山田".into()));
    state.toggle("関心", "製品B", true);
    state.edit("来場日時", Value::Text(with_offset("2026-11-21T10:30", -540)));
    state.add_row("明細");
    state.edit(cell(0, "品名"), Value::Text("机".into()));
    assert_eq!(state.advance(id), Advance::NextPage);
    assert_eq!(state.action_text(), Text::Review);
    assert_eq!(state.advance(id), Advance::Confirm);
    assert!(state.is_confirming());
    assert_eq!(state.action_text(), Text::Submit);
    let answers = state.answers();
    let answers: Vec<(&str, &str)> =
        answers.iter().map(|(l, v)| (l.as_str(), v.as_str())).collect();
    assert_eq!(
        answers,
        [
            ("お名前", "山田"),
            ("関心", "製品A、製品B"),
            ("来場日時", "2026-11-21 10:30"),
            ("地域", "（未入力）"),
            ("明細", "行 1: 品名: 机 / 数量: 1 / 色: "),
            ("連絡方法", "メール"),
        ],
        "the conditional phone number is not asked, so not listed"
    );
    state.back();
    assert!(!state.is_confirming(), "back to the form to change an answer");
    assert_eq!(state.page(), 1);
    assert_eq!(state.advance(id), Advance::Confirm);
    let Advance::Send(_) = state.advance(id) else { panic!("sends from the confirmation") };
    assert_eq!(state.advance(id), Advance::Busy, "double clicks never send twice");
    // kintone refuses a value on the first page: the visitor is taken there to fix it.
    let report = ErrorResponse::read_relayed(&json!({ "message": "refused", "errors": [
        { "field": "氏名", "path": "record.氏名.value", "code": "duplicate", "message": "x" }
    ]}))
    .unwrap();
    state.finish_submit(Err(SubmitError::Invalid(report)));
    assert!(!state.is_confirming());
    assert_eq!(state.page(), 0);
    assert_eq!(state.visible_messages("氏名").len(), 1);
}

#[test]
fn files_are_counted_weighed_and_sent_apart_from_the_values() {
    let mut state = every_type_form(json!({ "items": [
        { "field": "氏名" },
        { "field": "資料", "max_files": 2 }
    ]}));
    let mut descriptor = state.descriptor().clone();
    descriptor.upload_limit_bytes = Some(3 * 1024 * 1024);
    state = FormState::new(descriptor, None);
    state.edit("氏名", Value::Text("山田".into()));
    assert!(state.fields_with_files().is_empty());
    let mb = 1024 * 1024;
    state.choose_files(
        "資料",
        vec![("a.pdf".into(), mb), ("b.pdf".into(), mb), ("c.pdf".into(), mb)],
    );
    state.touch("資料");
    assert_eq!(state.visible_messages("資料"), ["添付できるファイルは2個までです。"]);
    state.choose_files("資料", vec![("a.pdf".into(), mb), ("big.mov".into(), 3 * mb)]);
    assert_eq!(state.visible_messages("資料"), ["添付ファイルの合計は3MBまでです。"]);
    assert_eq!(state.advance(id), Advance::Invalid);
    state.choose_files("資料", vec![("a.pdf".into(), mb), ("b.pdf".into(), 2 * mb)]);
    assert!(state.visible_messages("資料").is_empty(), "exactly the limit is allowed");
    assert_eq!(state.answers()[1], ("資料".to_owned(), "a.pdf、b.pdf".to_owned()));
    assert_eq!(state.fields_with_files(), ["資料"]);
    let submission = state.advance(id).submission().unwrap();
    assert_eq!(submission.values.get("資料"), None, "the files go as parts of their own");
    assert_eq!(submission.values.get("氏名"), Some(&Value::Text("山田".into())));
}

#[test]
fn a_captcha_form_waits_for_the_answer_and_asks_again_after_each_try() {
    let mut descriptor = state(None).descriptor().clone();
    descriptor.captcha = Some(kform_core::protocol::CaptchaChallenge {
        provider: "turnstile".into(),
        site_key: "site".into(),
    });
    let mut state = FormState::new(descriptor, None);
    state.set("会社名", Value::Text("ACME".into()));
    state.toggle("関心", "A", true);
    assert!(state.form_messages().is_empty());
    assert_eq!(state.advance(id), Advance::Invalid);
    assert_eq!(
        state.form_messages(),
        ["送信する前に、ロボットでないことの確認を完了してください。"]
    );
    state.set_captcha_token(Some("answer-1".into()));
    assert!(state.form_messages().is_empty());
    let submission = state.advance(id).submission().unwrap();
    assert_eq!(submission.captcha_token.as_deref(), Some("answer-1"));
    state.finish_submit(Err(SubmitError::Failed("captcha refused".into())));
    assert!(state.captcha_unsolved(), "an answer counts once");
    assert_eq!(state.advance(id), Advance::Invalid);
}

#[test]
fn joined_gives_what_join_gives() {
    for items in [&[][..], &["a"][..], &["営業部", "開発部", ""][..]] {
        for separator in [", ", "、", "\n", ""] {
            assert_eq!(super::joined(&mut items.iter().copied(), separator), items.join(separator));
        }
    }
}
