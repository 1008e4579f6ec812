//! A saved form's mail as the mail view edits it: the auto-reply (the item whose address
//! receives it, the subject and body per language, reply-to), the team's addresses and the test
//! recipients. [`MailForm`] keeps the form as the admin API answered it (JSON) and changes only
//! its `mail`, so a setting the view does not show is kept, and the view's bundle needs no
//! reader or writer of the form model; the live preview fills the templates with the preview's
//! values the way the relay will, and names the places the form does not have.

use kform_core::{InputHint, Locale, ReplyTo};
use kform_template as template;
use serde_json::{Map, Value as Json};

/// A change to the form's mail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MailEdit {
    /// Sends an auto-reply (to the form's first e-mail item), or none.
    AutoReply(bool),
    /// The item (field code) whose address receives the auto-reply.
    To(String),
    /// The subject in one language ("" removes it).
    Subject(Locale, String),
    /// The body in one language ("" removes it).
    Body(Locale, String),
    /// Where the visitor's answer goes ("" for the sender).
    ReplyTo(String),
    /// The team's addresses, separated by commas, spaces or lines.
    Notify(String),
    /// The only addresses mail goes to while the form is in test mode.
    TestRecipients(String),
}

/// A template text that names places the form does not have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailProblem {
    /// `subject` or `body`.
    pub part: &'static str,
    /// The language of the text.
    pub locale: Locale,
    /// The unknown names, or why the text cannot be read.
    pub unknown: Result<Vec<String>, String>,
}

fn lang(locale: Locale) -> &'static str {
    match locale {
        Locale::Ja => "ja",
        Locale::En => "en",
    }
}

/// The value at `path` in `map`, if any.
fn at<'a>(map: &'a Map<String, Json>, path: &[&str]) -> Option<&'a Json> {
    let (last, parents) = path.split_last()?;
    let mut map = map;
    for key in parents {
        map = map.get(*key)?.as_object()?;
    }
    map.get(*last)
}

/// Sets (or, for an empty value, removes) the value at `path`, and removes objects left empty.
fn put(map: &mut Map<String, Json>, path: &[&str], value: Option<Json>) {
    let Some((first, rest)) = path.split_first() else { return };
    if rest.is_empty() {
        match value {
            Some(value) => map.insert((*first).to_owned(), value),
            None => map.remove(*first),
        };
        return;
    }
    let child = map.entry((*first).to_owned()).or_insert_with(|| Json::Object(Map::new()));
    if !child.is_object() {
        *child = Json::Object(Map::new());
    }
    if let Some(child) = child.as_object_mut() {
        put(child, rest, value);
        if child.is_empty() {
            map.remove(*first);
        }
    }
}

fn addresses(text: &str) -> Option<Json> {
    let list: Vec<Json> = text
        .split(|c: char| c.is_whitespace() || c == ',' || c == '、')
        .filter(|address| !address.is_empty())
        .map(|address| Json::String(address.to_owned()))
        .collect();
    (!list.is_empty()).then_some(Json::Array(list))
}

fn text(value: &str) -> Option<Json> {
    (!value.is_empty()).then(|| Json::String(value.to_owned()))
}

/// A submitted value as the mail shows it: text as it is, lists joined by "、".
fn shown(value: &Json) -> String {
    match value {
        Json::String(text) => text.clone(),
        Json::Array(items) => items.iter().map(shown).collect::<Vec<_>>().join("、"),
        Json::Null => String::new(),
        other => other.to_string(),
    }
}

/// A saved form as the admin API answers it, with its mail edited in place.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MailForm(Map<String, Json>);

impl MailForm {
    /// The form as `GET /v1/admin/forms/{id}` answered it.
    pub fn new(answer: Map<String, Json>) -> Self {
        Self(answer)
    }

    /// The body that saves it (`PUT`): the form as it was read, with the mail as edited.
    pub fn body(&self) -> Json {
        Json::Object(self.0.clone())
    }

    fn mail(&self) -> Map<String, Json> {
        self.0.get("mail").and_then(Json::as_object).cloned().unwrap_or_default()
    }

    /// The form's items (as JSON objects).
    fn items(&self) -> impl Iterator<Item = &Map<String, Json>> {
        let items = self.0.get("spec").and_then(|spec| spec.get("items"));
        items.and_then(Json::as_array).into_iter().flatten().filter_map(Json::as_object)
    }

    /// The form's language.
    pub fn default_lang(&self) -> Locale {
        let lang = self.0.get("spec").and_then(|spec| spec.get("default_lang"));
        if lang.and_then(Json::as_str) == Some("en") { Locale::En } else { Locale::Ja }
    }

    fn id(&self) -> String {
        let id = self.0.get("spec").and_then(|spec| spec.get("id"));
        id.and_then(Json::as_str).unwrap_or_default().to_owned()
    }

    /// The text at `path` in the form's mail (`["autoreply", "subject", "ja"]`); a list of
    /// addresses joined by ", "; "" when not set.
    pub fn mail_text(&self, path: &[&str]) -> String {
        match at(&self.mail(), path) {
            Some(Json::String(text)) => text.clone(),
            Some(Json::Array(items)) => {
                items.iter().filter_map(Json::as_str).collect::<Vec<_>>().join(", ")
            }
            _ => String::new(),
        }
    }

    /// Whether the form sends an auto-reply.
    pub fn has_autoreply(&self) -> bool {
        self.mail().contains_key("autoreply")
    }

    /// The items an auto-reply may go to, by the rule the relay checks the form with
    /// ([`kform_core::reply_to`]): those the visitor fills in with an e-mail address.
    pub fn email_items(&self) -> Vec<String> {
        self.items()
            .filter(|item| {
                let (hidden, captured) =
                    (item.contains_key("hidden"), item.contains_key("capture"));
                let text = |key: &str| item.get(key).and_then(Json::as_str);
                let hint = text("input_hint").and_then(InputHint::from_name);
                kform_core::reply_to(hidden, captured, hint, text("type")) == ReplyTo::Typed
            })
            .filter_map(|item| item.get("field").and_then(Json::as_str).map(str::to_owned))
            .collect()
    }

    /// Applies one change to the form's mail.
    pub fn edit_mail(&mut self, edit: MailEdit) {
        let mut mail = self.mail();
        match edit {
            MailEdit::AutoReply(false) => put(&mut mail, &["autoreply"], None),
            MailEdit::AutoReply(true) => {
                if !mail.contains_key("autoreply") {
                    let to = self.email_items().into_iter().next().unwrap_or_default();
                    let lang = self.default_lang();
                    let (subject, body) = match lang {
                        Locale::Ja => (
                            "【{{form_title}}】お問い合わせを受け付けました",
                            "お問い合わせありがとうございます。\n受付番号: {{submission_id}}\n",
                        ),
                        Locale::En => (
                            "We received your message ({{form_title}})",
                            "Thank you for your message.\nSubmission: {{submission_id}}\n",
                        ),
                    };
                    put(&mut mail, &["autoreply", "to"], Some(Json::String(to)));
                    put(&mut mail, &["autoreply", "subject", self::lang(lang)], text(subject));
                    put(&mut mail, &["autoreply", "body", self::lang(lang)], text(body));
                }
            }
            MailEdit::To(code) => put(&mut mail, &["autoreply", "to"], Some(Json::String(code))),
            MailEdit::Subject(locale, value) => {
                put(&mut mail, &["autoreply", "subject", lang(locale)], text(&value));
            }
            MailEdit::Body(locale, value) => {
                put(&mut mail, &["autoreply", "body", lang(locale)], text(&value));
            }
            MailEdit::ReplyTo(value) => {
                put(&mut mail, &["autoreply", "reply_to"], text(value.trim()));
            }
            MailEdit::Notify(value) => put(&mut mail, &["notify"], addresses(&value)),
            MailEdit::TestRecipients(value) => {
                put(&mut mail, &["test_recipients"], addresses(&value));
            }
        }
        // `{}` rather than no key: a body without `mail` would keep the saved one.
        self.0.insert("mail".into(), Json::Object(mail));
    }

    /// The auto-reply's subject and body in `locale` (else the form's language), filled with
    /// `values` (the preview's, field code → value) as the relay fills them; a place the values
    /// do not have shows as `{{name}}`, so the author sees where it goes.
    pub fn mail_preview(&self, values: &Json, locale: Locale) -> Option<(String, String)> {
        let pick = |part: &str| {
            let wanted = self.mail_text(&["autoreply", part, lang(locale)]);
            let text = if wanted.is_empty() {
                self.mail_text(&["autoreply", part, lang(self.default_lang())])
            } else {
                wanted
            };
            (!text.is_empty()).then_some(text)
        };
        let (subject, body) = (pick("subject")?, pick("body")?);
        let title = Some(self.mail_text(&["title"]))
            .filter(|title| !title.is_empty())
            .unwrap_or_else(|| self.id());
        let value = |name: &str| match name {
            "form_title" => Some(title.clone()),
            _ => match values.get(name) {
                Some(value) => Some(shown(value)),
                None => Some(format!("{{{{{name}}}}}")),
            },
        };
        Some((template::fill(&subject, value), template::fill(&body, value)))
    }

    /// The template texts naming places the form does not have (a field code of its items or
    /// `submission_id`, `form_title`, `date`), or that cannot be read.
    pub fn mail_problems(&self) -> Vec<MailProblem> {
        let codes: Vec<&str> =
            self.items().filter_map(|item| item.get("field").and_then(Json::as_str)).collect();
        let known = |name: &str| codes.contains(&name) || template::BUILT_IN_NAMES.contains(&name);
        let mut problems = Vec::new();
        for part in ["subject", "body"] {
            for locale in [Locale::Ja, Locale::En] {
                let text = self.mail_text(&["autoreply", part, lang(locale)]);
                let unknown = match template::unknown_names(&text, known) {
                    Ok(names) if names.is_empty() => continue,
                    Ok(names) => Ok(names.into_iter().map(str::to_owned).collect()),
                    Err(err) => Err(err.to_string()),
                };
                problems.push(MailProblem { part, locale, unknown });
            }
        }
        problems
    }
}
