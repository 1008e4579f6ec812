//! Plain tests of the editor's state against the demo contact app's real field settings.

use super::*;
use kform_core::LintProblem;

/// The fake kintone's contact app, as the relay's `…/fields` answers it.
fn contact_fields() -> SyncedFields {
    let properties = include_str!("../../../kform-fake-kintone/src/demo-app.json");
    let json = format!(r#"{{"revision": "3", "properties": {properties}}}"#);
    synced(AppFields::from_kintone_json(&json).unwrap())
}

/// `fields` as the relay sends them.
fn synced(fields: AppFields) -> SyncedFields {
    SyncedFields::read(serde_json::to_value(fields).unwrap()).unwrap()
}

fn editor() -> EditorState {
    let mut editor = EditorState::default();
    editor.open(Draft::new("lp", "main", AppId(1), Locale::Ja), contact_fields(), false);
    editor
}

fn problems(editor: &EditorState) -> Vec<(Option<usize>, Option<String>, LintProblem)> {
    editor
        .lint()
        .into_iter()
        .map(|issue| (issue.item, issue.field.map(|code| code.as_str().to_owned()), issue.problem))
        .collect()
}

#[test]
fn the_field_list_says_which_fields_can_be_added_and_why_others_cannot() {
    let mut editor = editor();
    editor.add_field("会社名");
    let rows = editor.field_rows();
    let row = |code: &str| rows.iter().find(|row| row.code == code).unwrap().clone();
    assert_eq!(row("会社名").state, FieldState::OnForm(0));
    assert!(row("会社名").required);
    assert_eq!(row("メールアドレス").state, FieldState::Addable);
    assert_eq!(row("作成者").state, FieldState::NotWritable(NotWritableReason::System));
    assert_eq!(row("作成者").kintone_type, "CREATOR");
    assert_eq!(row("レコード番号").state, FieldState::NotWritable(NotWritableReason::System));
}

#[test]
fn lint_names_a_required_field_left_off_until_it_is_added() {
    let mut editor = editor();
    assert!(problems(&editor).contains(&(None, None, LintProblem::NothingToSend)));
    editor.add_field("会社名");
    let missing = (None, Some("メールアドレス".to_owned()), LintProblem::RequiredFieldMissing);
    assert!(problems(&editor).contains(&missing), "{:?}", problems(&editor));
    editor.add_field("メールアドレス");
    assert_eq!(problems(&editor), vec![]);
    assert!(editor.dirty);
}

#[test]
fn a_hidden_identifier_is_a_fixed_value_checked_like_a_visitor_s() {
    let mut editor = editor();
    editor.add_field("会社名");
    editor.add_field("メールアドレス");
    let index = editor.add_hidden("フォーム識別", "lp-2026").unwrap();
    let item = &editor.items()[index];
    assert_eq!(item.hidden, Some(Value::Text("lp-2026".into())));
    assert_eq!(item.kintone_type.as_deref(), Some("SINGLE_LINE_TEXT"));
    assert!(!item.is_shown());
    // A hidden value kintone would refuse is named by lint.
    editor.add_hidden("問い合わせ種別", "存在しない");
    let rejected = problems(&editor);
    assert!(
        matches!(rejected.as_slice(), [(Some(3), Some(code), LintProblem::HiddenValueRejected { .. })] if code == "問い合わせ種別"),
        "{rejected:?}"
    );
}

#[test]
fn items_move_and_go_and_labels_clear_back_to_kintone_s() {
    let mut editor = editor();
    editor.add_field("会社名");
    editor.add_field("メールアドレス");
    editor.add_note("ご連絡先");
    assert_eq!(editor.move_item(2, -1), 1);
    assert_eq!(editor.move_item(1, -1), 0);
    assert_eq!(editor.move_item(0, -1), 0, "the first item stays first");
    assert_eq!(editor.move_item(2, 1), 2, "the last item stays last");
    let codes: Vec<_> = editor
        .items()
        .iter()
        .map(|item| item.field.as_ref().map(|c| c.as_str().to_owned()))
        .collect();
    assert_eq!(codes, vec![None, Some("会社名".into()), Some("メールアドレス".into())]);
    editor.edit(1, Edit::Label("貴社名".into()));
    assert_eq!(editor.items()[1].label.as_deref(), Some("貴社名"));
    editor.edit(1, Edit::Label("  ".into()));
    assert_eq!(editor.items()[1].label, None);
    editor.remove(0);
    assert_eq!(editor.items().len(), 2);
}

#[test]
fn options_are_hidden_not_edited_and_required_only_tightens() {
    let mut editor = editor();
    let index = editor.add_field("問い合わせ種別").unwrap();
    editor.edit(index, Edit::Offer("その他".into(), false));
    editor.edit(index, Edit::Offer("資料請求".into(), false));
    assert_eq!(
        editor.items()[index].hide_options,
        vec!["資料請求".to_owned(), "その他".to_owned()]
    );
    editor.edit(index, Edit::Offer("資料請求".into(), true));
    assert_eq!(editor.items()[index].hide_options, vec!["その他".to_owned()]);
    // An option's label for this form; an empty one gives kintone's back.
    editor.edit(index, Edit::OptionLabel("資料請求".into(), "Request documents".into()));
    editor.edit(index, Edit::OptionLabel("見積依頼".into(), "Quotation".into()));
    editor.edit(index, Edit::OptionLabel("見積依頼".into(), " ".into()));
    let labels = &editor.items()[index].option_labels;
    assert_eq!(labels.options().collect::<Vec<_>>(), ["資料請求"]);
    assert_eq!(labels.get("資料請求"), Some("Request documents"));
    editor.edit(index, Edit::Required(true));
    assert!(editor.items()[index].required);
    // Another field: what belonged to the old field's options goes.
    editor.edit(index, Edit::Field(Some("お問い合わせ内容".into())));
    assert!(editor.items()[index].hide_options.is_empty());
    assert!(editor.items()[index].option_labels.is_empty());
    assert_eq!(editor.items()[index].kintone_type.as_deref(), Some("MULTI_LINE_TEXT"));
}

#[test]
fn an_input_hint_on_a_field_that_is_not_text_is_named_with_its_fix() {
    let mut editor = editor();
    editor.add_field("会社名");
    editor.add_field("メールアドレス");
    let index = editor.add_field("お問い合わせ内容").unwrap();
    editor.edit(index, Edit::Hint(Some(InputHint::Email)));
    let issues: Vec<_> = editor.lint().into_iter().filter(|i| i.item == Some(index)).collect();
    assert_eq!(issues.len(), 1);
    assert!(
        issues[0].message(Locale::En).contains("SINGLE_LINE_TEXT"),
        "{}",
        issues[0].message(Locale::En)
    );
    editor.edit(1, Edit::Hint(Some(InputHint::Email)));
    assert!(editor.lint().iter().all(|issue| issue.item != Some(1)));
}

#[test]
fn the_preview_gets_the_form_and_only_the_fields_it_maps() {
    let mut editor = editor();
    editor.add_field("会社名");
    editor.add_hidden("フォーム識別", "lp");
    let json = editor.descriptor().unwrap();
    // What the widget reads: the preview's JSON is a descriptor.
    let descriptor = kform_core::protocol::FormDescriptor::read(&json).unwrap();
    let codes: Vec<_> =
        descriptor.fields.fields.keys().map(|code| code.as_str().to_owned()).collect();
    assert_eq!(codes, vec!["フォーム識別".to_owned(), "会社名".to_owned()]);
    assert_eq!(descriptor.fields.revision, "3");
    assert_eq!(descriptor.fields.get("会社名"), editor.fields().unwrap().get("会社名"));
    assert_eq!(&descriptor.form, &editor.draft.as_ref().unwrap().spec);
    assert_eq!(descriptor.captcha, None);
}

#[test]
fn settings_round_trip_through_the_admin_api_keeping_what_the_editor_does_not_edit() {
    let mut editor = editor();
    editor.add_field("会社名");
    editor.edit_form(FormEdit::Origins(
        "https://www.example.com/, https://lp.example.com\nhttps://x.example".into(),
    ));
    editor.edit_form(FormEdit::OnSuccess(OnSuccess::Redirect(
        "https://www.example.com/thanks".into(),
    )));
    editor.edit_form(FormEdit::Confirm(true));
    let mut body = editor.draft.as_ref().unwrap().to_admin();
    assert_eq!(
        body["allowed_origins"],
        serde_json::json!([
            "https://www.example.com",
            "https://lp.example.com",
            "https://x.example"
        ])
    );
    assert_eq!(
        body["spec"]["on_success"],
        serde_json::json!({"redirect": "https://www.example.com/thanks"})
    );
    assert_eq!(body["spec"]["confirm"], serde_json::json!(true));
    // What the admin API answers: the settings plus its own keys.
    body["owners"] = serde_json::json!(["sales@example.com"]);
    body["source"] = serde_json::json!("admin");
    body["schedule_minutes"] = Json::Null;
    body["lint"] = serde_json::json!([]);
    let Json::Object(answer) = body else { unreachable!() };
    let draft = Draft::from_admin(answer).unwrap();
    assert_eq!(&draft.spec, &editor.draft.as_ref().unwrap().spec);
    let again = draft.to_admin();
    assert_eq!(again["owners"], serde_json::json!(["sales@example.com"]));
    assert!(again.get("source").is_none() && again.get("lint").is_none());
    assert!(again.get("schedule_minutes").is_none());
}

#[test]
fn keys_are_offered_from_the_app_s_unique_fields() {
    let fields = AppFields::from_kintone_json(
        r#"{"revision": "1", "properties": {
        "問合せ番号": {"type": "SINGLE_LINE_TEXT", "code": "問合せ番号", "label": "問合せ番号", "required": false, "unique": true, "minLength": "", "maxLength": "", "defaultValue": ""},
        "会員番号": {"type": "NUMBER", "code": "会員番号", "label": "会員番号", "required": false, "unique": true, "minValue": "", "maxValue": "", "defaultValue": "", "digit": false, "displayScale": "", "unit": "", "unitPosition": "BEFORE"},
        "受付ID": {"type": "SINGLE_LINE_TEXT", "code": "受付ID", "label": "受付ID", "required": false, "unique": true, "minLength": "", "maxLength": "", "defaultValue": ""},
        "氏名": {"type": "SINGLE_LINE_TEXT", "code": "氏名", "label": "氏名", "required": false, "unique": false, "minLength": "", "maxLength": "", "defaultValue": ""}
    }}"#,
    )
    .unwrap();
    let mut editor = EditorState::default();
    editor.open(Draft::new("f", "main", AppId(9), Locale::En), synced(fields), false);
    editor.add_field("会員番号");
    editor.add_field("氏名");
    assert_eq!(editor.update_key_candidates(), vec!["会員番号".to_owned()]);
    assert_eq!(editor.idempotency_candidates(), vec!["受付ID".to_owned(), "問合せ番号".to_owned()]);
    editor.edit_form(FormEdit::UpdateKey(Some("会員番号".into())));
    editor.edit_form(FormEdit::IdempotencyField(Some("受付ID".into())));
    assert!(problems(&editor).is_empty(), "{:?}", problems(&editor));
    editor.edit_form(FormEdit::UpdateKey(Some(String::new())));
    assert_eq!(editor.draft.as_ref().unwrap().spec.update_key, None);
}

#[test]
fn the_snippet_and_csp_name_the_relay_and_the_form() {
    let mut editor = editor();
    editor.edit_form(FormEdit::Lang(Locale::En));
    assert_eq!(
        editor.snippet("https://relay.example/"),
        "<script type=\"module\" src=\"https://relay.example/widget/kform.js\"></script>\n\
         <div data-kform=\"lp\" data-kform-relay=\"https://relay.example\" data-kform-lang=\"en\"></div>"
    );
    assert_eq!(
        editor.csp("https://relay.example/"),
        "script-src 'self' https://relay.example 'wasm-unsafe-eval'; connect-src https://relay.example"
    );
    assert_eq!(
        editor.include_address("https://relay.example/"),
        "https://relay.example/v1/forms/lp/include?lang=en&relay=https://relay.example"
    );
}

#[test]
fn list_fields_take_comma_separated_values() {
    let kind = FieldKind::CheckBox { options: Vec::new(), default_value: Vec::new() };
    assert_eq!(
        typed_value(Some(&kind), "A, B、C,".into()),
        Value::List(vec!["A".into(), "B".into(), "C".into()])
    );
    assert_eq!(value_text(Some(&Value::List(vec!["A".into(), "B".into()]))), "A, B");
    assert_eq!(typed_value(None, "x".into()), Value::Text("x".into()));
}

#[test]
fn an_item_shows_on_a_condition_and_a_heading_can_be_mapped_to_a_field() {
    let mut editor = editor();
    editor.add_field("会社名");
    editor.add_field("メールアドレス");
    let kind = editor.add_field("問い合わせ種別").unwrap();
    let detail = editor.add_field("お問い合わせ内容").unwrap();
    editor.add_hidden("フォーム識別", "lp");
    // Only shown items without a condition of their own, never the item itself or the hidden one.
    assert_eq!(
        editor.show_if_candidates(detail),
        vec!["会社名".to_owned(), "メールアドレス".to_owned(), "問い合わせ種別".to_owned()]
    );
    editor.edit(detail, Edit::ShowIf(Some(("問い合わせ種別".into(), "見積依頼、その他".into()))));
    let condition = editor.items()[detail].show_if.clone().unwrap();
    assert_eq!(condition.field.as_str(), "問い合わせ種別");
    assert_eq!(condition.any_of, vec!["見積依頼".to_owned(), "その他".to_owned()]);
    assert!(!editor.show_if_candidates(kind).contains(&"お問い合わせ内容".to_owned()));
    assert!(problems(&editor).is_empty(), "{:?}", problems(&editor));
    // A condition on a field kintone requires is named by lint.
    editor.edit(1, Edit::ShowIf(Some(("問い合わせ種別".into(), "見積依頼".into()))));
    assert!(problems(&editor).contains(&(
        Some(1),
        Some("メールアドレス".into()),
        LintProblem::ShowIfRequired
    )));
    editor.edit(1, Edit::ShowIf(None));
    assert_eq!(editor.items()[1].show_if, None);
    // A heading mapped to a field becomes that field's item; max_files is for FILE fields.
    editor.edit(0, Edit::MaxFiles(Some(2)));
    let not_a_file = (Some(0), Some("会社名".into()), LintProblem::MaxFilesNotApplicable);
    assert!(problems(&editor).contains(&not_a_file));
    editor.edit(0, Edit::MaxFiles(Some(0)));
    assert_eq!(editor.items()[0].max_files, None, "0 means no limit of the form's own");
    let heading = editor.add_note("見出し").unwrap();
    editor.remove(1);
    editor.edit(heading - 1, Edit::Field(Some("メールアドレス".into())));
    assert_eq!(editor.items()[heading - 1].kintone_type.as_deref(), Some("SINGLE_LINE_TEXT"));
    assert!(problems(&editor).is_empty(), "{:?}", problems(&editor));
    editor.edit(heading - 1, Edit::Field(None));
    assert_eq!(editor.items()[heading - 1].field, None);
}

#[test]
fn form_ids_are_what_the_relay_takes() {
    assert!(is_valid_form_id("lp-spring_2026"));
    assert!(!is_valid_form_id(""));
    assert!(!is_valid_form_id("春のフォーム"));
    assert!(!is_valid_form_id("a b"));
    assert!(!is_valid_form_id(&"x".repeat(65)));
}

#[test]
fn mail_is_edited_in_the_forms_settings_and_previewed_with_the_previews_values() {
    let mut editor = editor();
    editor.add_field("会社名");
    editor.add_field("メールアドレス");
    editor.draft.as_mut().unwrap().other.insert("owners".into(), json!(["ops@example.com"]));
    let read = |editor: &EditorState| {
        MailForm::new(editor.draft.as_ref().unwrap().to_admin().as_object().unwrap().clone())
    };
    assert_eq!(read(&editor).email_items(), Vec::<String>::new(), "no item asks for an address");
    editor.edit(1, Edit::Hint(Some(InputHint::Email)));
    let mut form = read(&editor);
    assert_eq!(form.email_items(), ["メールアドレス"]);
    // The relay's rule: a hidden item or a capture is never offered, a LINK field is.
    let items = json!({ "spec": { "items": [
        { "field": "A", "input_hint": "email" },
        { "field": "B", "input_hint": "email", "capture": "utm_source" },
        { "field": "C", "input_hint": "email", "hidden": "x@example.com" },
        { "field": "D", "type": "LINK" },
        { "field": "E", "input_hint": "tel" },
    ] } });
    assert_eq!(MailForm::new(items.as_object().unwrap().clone()).email_items(), ["A", "D"]);

    // Turning the auto-reply on starts from a text in the form's language, to the e-mail item.
    form.edit_mail(MailEdit::AutoReply(true));
    assert_eq!(form.mail_text(&["autoreply", "to"]), "メールアドレス");
    assert!(form.mail_text(&["autoreply", "subject", "ja"]).contains("{{form_title}}"));
    form.edit_mail(MailEdit::Subject(Locale::Ja, "{{会社名}} 様".into()));
    form.edit_mail(MailEdit::Body(Locale::En, "Dear {{会社名}}, {{氏名}} {{x".into()));
    form.edit_mail(MailEdit::Notify("a@example.com, b@example.com\nc@example.com".into()));
    form.edit_mail(MailEdit::ReplyTo(" support@example.com ".into()));
    let body = form.body();
    assert_eq!(body["mail"]["notify"], json!(["a@example.com", "b@example.com", "c@example.com"]));
    assert_eq!(body["mail"]["autoreply"]["reply_to"], "support@example.com");
    assert_eq!(body["mail"]["autoreply"]["subject"], json!({ "ja": "{{会社名}} 様" }));
    assert_eq!(body["owners"], json!(["ops@example.com"]), "settings it does not show are kept");
    assert_eq!(body["spec"]["items"][1]["field"], "メールアドレス", "the form as it was read");

    // The preview fills the places the preview's values have; the others stay visible.
    let values = json!({ "会社名": "見本株式会社", "メールアドレス": "t@example.com" });
    let (subject, text) = form.mail_preview(&values, Locale::Ja).unwrap();
    assert_eq!(subject, "見本株式会社 様");
    assert!(text.contains("{{submission_id}}"), "{text}");
    let (english_subject, english) = form.mail_preview(&values, Locale::En).unwrap();
    assert_eq!(english_subject, "見本株式会社 様", "no English subject: the form's language");
    assert_eq!(
        english, "Dear {{会社名}}, {{氏名}} {{x",
        "a text that cannot be read shows as written"
    );

    // The unknown names are found before the relay refuses the save.
    let problems = form.mail_problems();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!((problems[0].part, problems[0].locale), ("body", Locale::En));
    assert!(problems[0].unknown.is_err(), "the unclosed {{{{x is named first");
    form.edit_mail(MailEdit::Body(Locale::En, "Dear {{会社名}}, {{氏名}}".into()));
    assert_eq!(form.mail_problems()[0].unknown, Ok(vec!["氏名".to_owned()]));
    let (_, english) = form.mail_preview(&values, Locale::En).unwrap();
    assert_eq!(english, "Dear 見本株式会社, {{氏名}}");

    // Emptied texts and lists go; with nothing left, `mail` is `{}` (which clears it when
    // saved: a body without `mail` would keep the saved one).
    form.edit_mail(MailEdit::Notify(String::new()));
    form.edit_mail(MailEdit::ReplyTo(String::new()));
    assert!(form.body()["mail"].get("notify").is_none());
    form.edit_mail(MailEdit::AutoReply(false));
    assert_eq!(form.body()["mail"], json!({}));
    assert!(!form.has_autoreply());
}
