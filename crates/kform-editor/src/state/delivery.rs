//! The delivery view's plain parts: which stages there are, what a submission's row says, and
//! whether an answer from the relay changes what is shown (so a refresh rebuilds nothing when
//! nothing changed, and the reader keeps their place).

use kform_core::Locale;
use serde_json::Value;

/// Every stage a submission can be in, as the relay names them, in the order the view lists
/// them.
pub const STAGES: [&str; 6] =
    ["pending", "dead_letter", "delivered", "tested", "spam", "discarded"];

/// How many submissions a page of the history shows.
pub const PAGE: usize = 20;

/// What the delivery view shows: the relay's last answers and the reader's choices, in one
/// value (one signal drives the whole view).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Shown {
    /// The form.
    pub form: String,
    /// `GET …/delivery`: counts, pause, alerts.
    pub status: Value,
    /// The page of the history shown.
    pub page: Vec<Value>,
    /// The stage shown ("" for all).
    pub stage: String,
    /// How many newer submissions come before the page.
    pub offset: usize,
    /// The submission whose details are open.
    pub open: Option<String>,
    /// Whether "replay every failure" waits for its confirmation.
    pub confirming: bool,
}

impl Shown {
    /// Takes the relay's fresh answers; whether anything shown changed.
    pub fn refreshed(&mut self, status: Value, page: Vec<Value>) -> bool {
        let changed = self.status != status || self.page != page;
        self.status = status;
        self.page = page;
        changed
    }

    /// The page `forward` (older) or back (newer); whether it moved.
    pub fn turn(&mut self, older: bool) -> bool {
        let offset = if older { self.offset + PAGE } else { self.offset.saturating_sub(PAGE) };
        replace_if_changed(&mut self.offset, offset)
    }

    /// How many submissions are in `stage`.
    pub fn count(&self, stage: &str) -> u64 {
        self.status["counts"][stage].as_u64().unwrap_or(0)
    }

    /// The submission `id` on the page shown.
    pub fn find(&self, id: &str) -> Option<&Value> {
        self.page.iter().find(|s| s["submission_id"] == id)
    }
}

/// A stage as people read it.
pub fn stage_label(stage: &str, locale: Locale) -> &'static str {
    let (ja, en) = match stage {
        "pending" => ("送信待ち", "Pending"),
        "dead_letter" => ("送信失敗", "Failed"),
        "delivered" => ("送信済み", "Delivered"),
        "tested" => ("テスト", "Test"),
        "spam" => ("スパム", "Spam"),
        "discarded" => ("破棄", "Discarded"),
        _ => ("不明", "Unknown"),
    };
    if locale == Locale::Ja { ja } else { en }
}

/// What became of a submission, in one line: its record, its next try and the last error, or
/// kintone's refusal.
pub fn outcome(submission: &Value, locale: Locale) -> String {
    let ja = locale == Locale::Ja;
    let text = |name: &str| submission[name].as_str().unwrap_or_default();
    match text("stage") {
        "delivered" => match submission["record_id"].as_str() {
            Some(id) => format!("{} {id}", if ja { "レコード" } else { "Record" }),
            None => (if ja { "キーで確認済み" } else { "Found by its key" }).to_owned(),
        },
        "dead_letter" => text("error").to_owned(),
        "pending" if !text("error").is_empty() => {
            format!("{}: {}", if ja { "再試行します" } else { "Will try again" }, text("error"))
        }
        _ => String::new(),
    }
}

/// A value as submitted, as text: lists joined, users and files by their names.
pub fn value_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Array(items) => items.iter().map(value_text).collect::<Vec<_>>().join(", "),
        Value::Object(object) => ["name", "code", "fileKey"]
            .iter()
            .find_map(|key| object.get(*key).and_then(Value::as_str))
            .map_or_else(|| value.to_string(), str::to_owned),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// `fresh` in place of `shown`, only when it differs: whether it did.
pub fn replace_if_changed<T: PartialEq>(shown: &mut T, fresh: T) -> bool {
    if *shown == fresh {
        return false;
    }
    *shown = fresh;
    true
}

#[cfg(test)]
mod tests {
    use kform_core::Locale::{En, Ja};
    use serde_json::json;

    use super::*;

    #[test]
    fn a_row_says_what_became_of_the_submission() {
        let delivered = json!({ "stage": "delivered", "record_id": "12" });
        assert_eq!(outcome(&delivered, Ja), "レコード 12");
        assert_eq!(outcome(&json!({ "stage": "delivered" }), En), "Found by its key");
        let dead = json!({ "stage": "dead_letter", "error": "record.会社名.value: 必須です。" });
        assert_eq!(outcome(&dead, En), "record.会社名.value: 必須です。");
        let retry = json!({ "stage": "pending", "error": "kintone is in maintenance" });
        assert_eq!(outcome(&retry, En), "Will try again: kintone is in maintenance");
        assert_eq!(outcome(&json!({ "stage": "pending" }), Ja), "");
        for stage in STAGES {
            assert_ne!(stage_label(stage, Ja), "不明", "{stage}");
        }
    }

    #[test]
    fn values_read_as_text_and_a_refresh_replaces_only_what_changed() {
        assert_eq!(value_text(&json!(["A", "B"])), "A, B");
        assert_eq!(value_text(&json!([{ "code": "sato" }])), "sato");
        assert_eq!(value_text(&json!(null)), "");
        let mut shown = vec![json!(1)];
        assert!(!replace_if_changed(&mut shown, vec![json!(1)]));
        assert!(replace_if_changed(&mut shown, vec![json!(2)]));
        assert_eq!(shown, [json!(2)]);
    }

    #[test]
    fn the_view_pages_counts_and_notices_a_refresh_that_changes_nothing() {
        let mut view = Shown::default();
        assert!(!view.turn(false), "no newer page than the first");
        assert!(view.turn(true));
        assert_eq!(view.offset, PAGE);
        let status = json!({ "counts": { "dead_letter": 2 } });
        let page = vec![json!({ "submission_id": "a", "stage": "dead_letter" })];
        assert!(view.refreshed(status.clone(), page.clone()));
        assert!(!view.refreshed(status, page), "the same answers change nothing");
        assert_eq!((view.count("dead_letter"), view.count("spam")), (2, 0));
        assert_eq!(view.find("a").unwrap()["stage"], "dead_letter");
        assert!(view.find("b").is_none());
    }
}
