//! Mail settings are checked before anything is sent; the mails are made from the templates in
//! the visitor's language; values never make headers of their own.

use kform_core::{AppFields, Locale, Value, Values};

use super::{Accepted, AutoReply, FormMail, Kind, MailSettings, Texts, check, compose, message};
use crate::clock::UnixMillis;
use crate::config::{Problem, Smtp};

fn spec() -> kform_core::FormSpec {
    crate::demo::demo_form().unwrap()
}

fn settings() -> MailSettings {
    MailSettings {
        from: "Example <info@example.com>".into(),
        allowed_from: vec!["sales@example.com".into(), "example.net".into()],
        per_recipient_per_hour: 3,
        per_form_per_hour: 100,
        retry_ms: 60_000,
        give_up_after_tries: 8,
        smtp: Smtp { host: "127.0.0.1".into(), port: 25, tls: false, login: None, password: None },
    }
}

fn autoreply() -> AutoReply {
    AutoReply {
        to: "メールアドレス".into(),
        from: None,
        reply_to: Some("support@example.com".into()),
        subject: Texts {
            ja: Some("【{{form_title}}】{{会社名}} 様".into()),
            en: Some("Thank you, {{会社名}}".into()),
        },
        body: Texts {
            ja: Some("{{会社名}} 様\n受付番号: {{submission_id}}\n受付日時: {{date}}\n".into()),
            en: Some("Dear {{会社名}},\nSubmission {{submission_id}} at {{date}}.\n".into()),
        },
        html: false,
    }
}

fn problems(mail: &FormMail, settings: Option<&MailSettings>) -> Vec<Problem> {
    let mut found = Vec::new();
    check(mail, &spec(), settings, "mail", &mut found);
    found
}

#[test]
fn settings_that_could_not_work_are_refused_with_the_fix() {
    let good = FormMail { autoreply: Some(autoreply()), ..FormMail::default() };
    assert_eq!(problems(&good, Some(&settings())), []);
    assert_eq!(problems(&FormMail::default(), None), [], "no mail needs no [mail]");
    assert_eq!(problems(&good, None)[0].key, "mail", "[mail] is needed");

    let mut unknown = good.clone();
    if let Some(reply) = &mut unknown.autoreply {
        reply.body.en = Some("{{氏名}} {{会社名}} {{ date }} {{x}}".into());
        reply.subject.ja = Some("{{会社名".into());
    }
    let found = problems(&unknown, Some(&settings()));
    let keys: Vec<&str> = found.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, ["mail.autoreply.subject.ja", "mail.autoreply.body.en"], "{found:#?}");
    assert!(found[0].reason.contains("never closed"), "{found:#?}");
    assert!(found[1].reason.starts_with("unknown names {{氏名}}, {{x}}: use a field code"));
    assert!(found[1].reason.contains("会社名, メールアドレス"), "the fix lists the codes");

    for (to, why) in
        [("フォーム識別", "hidden item"), ("会社名", "not an e-mail item"), ("氏名", "no item")]
    {
        let mut wrong = good.clone();
        if let Some(reply) = &mut wrong.autoreply {
            reply.to = to.into();
        }
        let found = problems(&wrong, Some(&settings()));
        assert_eq!(found.len(), 1, "{to}: {found:#?}");
        assert!(found[0].key == "mail.autoreply.to" && found[0].reason.contains(why), "{found:#?}");
    }
    // An e-mail item filled from the page's address (a capture) is not typed by the visitor.
    let mut captured = spec();
    let email = captured
        .items
        .iter_mut()
        .find(|item| item.field.as_ref().is_some_and(|field| field.as_str() == "メールアドレス"));
    email.unwrap().capture = Some(kform_core::Capture::UtmSource);
    let mut found = Vec::new();
    check(&good, &captured, Some(&settings()), "mail", &mut found);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].reason.contains("taken from the page's address"), "{found:#?}");

    let mut senders = good.clone();
    for (from, allowed) in [
        ("sales@example.com", true),
        ("Sales <SALES@example.com>", true),
        ("info@example.net", true),
        ("info@example.com", false),
        ("not an address", false),
    ] {
        if let Some(reply) = &mut senders.autoreply {
            reply.from = Some(from.into());
        }
        assert_eq!(problems(&senders, Some(&settings())).is_empty(), allowed, "{from}");
    }
    let team = FormMail { notify: vec!["team@example.com".into(), "nobody".into()], ..good };
    assert_eq!(problems(&team, Some(&settings()))[0].key, "mail.notify[1]");
}

fn values(company: &str, address: &str) -> Values {
    let mut values = Values::default();
    values.set("会社名", Value::Text(company.into()));
    values.set("メールアドレス", Value::Text(address.into()));
    values.set("フォーム識別", Value::Text("demo-contact".into()));
    values
}

fn made(
    mail: &FormMail,
    values: &Values,
    locale: Locale,
    test_mode: bool,
) -> (Option<(super::Outgoing, String)>, Option<super::Outgoing>) {
    let mut spec = spec();
    spec.test_mode = test_mode;
    let fields = AppFields::default();
    // 2026-12-04 04:05 UTC is 13:05 in Japan.
    let accepted = Accepted {
        spec: &spec,
        fields: &fields,
        values,
        submission_id: "0b9f-1",
        locale,
        now: UnixMillis(1_796_357_100_000),
    };
    compose(mail, &settings(), &accepted)
}

#[test]
fn the_auto_reply_is_filled_in_the_visitors_language_and_only_to_a_typed_address() {
    let mail = FormMail {
        title: Some("お問い合わせ".into()),
        autoreply: Some(autoreply()),
        notify: vec!["team@example.com".into()],
        test_recipients: vec!["editor@example.com".into()],
    };
    let values = values("サイボウズ", " Taro@Example.com ");
    let (reply, notice) = made(&mail, &values, Locale::Ja, false);
    let (reply, key) = reply.unwrap();
    assert_eq!(reply.kind, Kind::Autoreply);
    assert_eq!(reply.to, ["Taro@Example.com"]);
    assert_eq!(reply.subject, "【お問い合わせ】サイボウズ 様");
    assert_eq!(reply.text, "サイボウズ 様\n受付番号: 0b9f-1\n受付日時: 2026-12-04 13:05\n");
    assert_eq!(key, super::recipient_key("taro@example.com"), "counted however it is typed");
    let notice = notice.unwrap();
    assert_eq!(notice.to, ["team@example.com"]);
    assert!(notice.text.contains("会社名: サイボウズ\n"), "{}", notice.text);
    assert!(!notice.text.contains("demo-contact"), "hidden items are not listed");

    let (english, _) = made(&mail, &values, Locale::En, false);
    assert_eq!(english.unwrap().0.subject, "Thank you, サイボウズ");

    let (reply, notice) = made(&mail, &values, Locale::Ja, true);
    assert_eq!(reply.unwrap().0.to, ["editor@example.com"], "test mode mails the editor only");
    assert_eq!(notice.unwrap().to, ["editor@example.com"]);

    let (reply, _) = made(&mail, &self::values("サイボウズ", "not-an-address"), Locale::Ja, false);
    assert!(reply.is_none(), "no auto-reply to what is not an address");
}

#[test]
fn a_value_never_adds_a_header_and_the_html_part_escapes_it() {
    let mut reply = autoreply();
    reply.html = true;
    let mail = FormMail { autoreply: Some(reply), ..FormMail::default() };
    let evil = "x\r\nBcc: evil@example.com\r\n<b>";
    let values = values(evil, "taro@example.com");
    let (reply, _) = made(&mail, &values, Locale::En, false);
    let outgoing = reply.unwrap().0;
    assert_eq!(outgoing.subject, "Thank you, x  Bcc: evil@example.com  <b>");
    let html = outgoing.html.clone().unwrap();
    assert!(html.contains("Dear x\r<br>\nBcc: evil@example.com\r<br>\n&lt;b&gt;,"), "{html}");
    let formatted = String::from_utf8(message(&outgoing).unwrap().formatted()).unwrap();
    let headers = formatted.split("\r\n\r\n").next().unwrap();
    assert!(
        !headers.lines().any(|line| line.to_ascii_lowercase().starts_with("bcc")),
        "{formatted}"
    );
    assert!(headers.contains("Auto-Submitted: auto-generated"), "{headers}");
    assert!(headers.contains("Message-ID: <0b9f-1.autoreply.contact@example.com>"), "{headers}");
}
