//! Problems rendered as text, in kintone's own wording where kintone has one (Japanese and
//! English), and every other built-in text of the form.
//!
//! kintone's wording comes from captured responses (`NOTES.md` §4.3). Where kintone's text was
//! never captured (an invalid date, a value of the wrong shape, form definition errors) the text
//! here is kform's own and marked as such; it lives in this file only.

use serde::{Deserialize, Serialize};

use crate::report::IssueCode;

/// A language for messages and built-in text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    /// Japanese, kintone's default.
    #[default]
    Ja,
    /// English.
    En,
}

impl Locale {
    /// Parses a language tag such as `ja`, `en-US` or `EN`; `None` for other languages.
    pub fn from_tag(tag: &str) -> Option<Self> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or_default();
        if primary.eq_ignore_ascii_case("ja") {
            Some(Self::Ja)
        } else if primary.eq_ignore_ascii_case("en") {
            Some(Self::En)
        } else {
            None
        }
    }

    /// The first supported language of an `Accept-Language` header, by preference weight.
    pub fn from_accept_language(header: &str) -> Option<Self> {
        let mut best: Option<(f32, Self)> = None;
        for part in header.split(',') {
            let mut pieces = part.split(';');
            let Some(locale) = pieces.next().and_then(Self::from_tag) else { continue };
            let weight = pieces
                .find_map(|piece| piece.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            if best.is_none_or(|(best_weight, _)| weight > best_weight) {
                best = Some((weight, locale));
            }
        }
        best.map(|(_, locale)| locale)
    }

    /// The language tag, `ja` or `en`.
    pub fn tag(self) -> &'static str {
        match self {
            Self::Ja => "ja",
            Self::En => "en",
        }
    }
}

impl IssueCode {
    /// The message for this problem, in kintone's wording where kintone has one.
    pub fn message(&self, locale: Locale) -> String {
        use Locale::{En, Ja};
        match (self, locale) {
            (Self::Required, Ja) => "必須です。".to_owned(),
            (Self::Required, En) => "Required.".to_owned(),
            // kintone words length limits as "shorter than max + 1" / "longer than min - 1".
            (Self::TooLong { max }, Ja) => format!("{}文字より短くなければなりません。", max + 1),
            (Self::TooLong { max }, En) => format!("Enter less than {} characters.", max + 1),
            (Self::TooShort { min }, Ja) => {
                format!("{}文字より長くなければなりません。", min.saturating_sub(1))
            }
            (Self::TooShort { min }, En) => {
                format!("Enter more than {} characters.", min.saturating_sub(1))
            }
            (Self::NotANumber, Ja) => "数字でなければなりません。".to_owned(),
            (Self::NotANumber, En) => "Only numbers are allowed.".to_owned(),
            (Self::TooLarge { max }, Ja) => format!("{max}以下である必要があります。"),
            (Self::TooLarge { max }, En) => format!("The value must be {max} or less."),
            (Self::TooSmall { min }, Ja) => format!("{min}以上である必要があります。"),
            (Self::TooSmall { min }, En) => format!("The value must be {min} or more."),
            (Self::NotAnOption { value }, Ja) => format!("\"{value}\"は選択肢にありません。"),
            (Self::NotAnOption { value }, En) => {
                format!("The value, \"{value}\", is not in options.")
            }
            (Self::Duplicate, Ja) => "値がほかのレコードと重複しています。".to_owned(),
            (Self::Duplicate, En) => "This value already exists in another record.".to_owned(),
            (Self::RejectedByKintone { kintone_message }, _) => kintone_message.clone(),
            // kform's own wording below: kintone's text for these cases was never captured.
            (Self::InvalidDate, Ja) => "日付の形式が正しくありません。".to_owned(),
            (Self::InvalidDate, En) => "Enter a valid date.".to_owned(),
            (Self::WrongShape, Ja) => "値の形式が正しくありません。".to_owned(),
            (Self::WrongShape, En) => "The value has the wrong format.".to_owned(),
            (Self::UnknownField, Ja) => "このフィールドはアプリにありません。".to_owned(),
            (Self::UnknownField, En) => "The app has no such field.".to_owned(),
            (Self::NotInputtable, Ja) => "このフィールドはフォームから入力できません。".to_owned(),
            (Self::NotInputtable, En) => "This field cannot be written by a form.".to_owned(),
        }
    }
}

/// Built-in text of the form itself (buttons, status lines), per locale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Text {
    /// The submit button.
    Submit,
    /// The submit button while sending.
    Sending,
    /// Shown after a successful submission unless the form sets its own message.
    Thanks,
    /// Shown when the form could not be loaded.
    LoadFailed,
    /// Shown when the relay or kintone could not be reached.
    SendFailed,
    /// Shown above the fields when a submission was refused.
    FixErrors,
    /// Marks a required field.
    RequiredMark,
    /// The empty choice of a drop-down.
    NoSelection,
}

impl Text {
    /// The text in `locale`.
    pub fn get(self, locale: Locale) -> &'static str {
        use Locale::{En, Ja};
        match (self, locale) {
            (Self::Submit, Ja) => "送信",
            (Self::Submit, En) => "Send",
            (Self::Sending, Ja) => "送信中…",
            (Self::Sending, En) => "Sending…",
            (Self::Thanks, Ja) => "送信しました。ありがとうございました。",
            (Self::Thanks, En) => "Thank you. Your message was sent.",
            (Self::LoadFailed, Ja) => "フォームを読み込めませんでした。",
            (Self::LoadFailed, En) => "The form could not be loaded.",
            (Self::SendFailed, Ja) => "送信できませんでした。時間をおいて再度お試しください。",
            (Self::SendFailed, En) => "The form could not be sent. Please try again later.",
            (Self::FixErrors, Ja) => "入力内容を確認してください。",
            (Self::FixErrors, En) => "Please check the highlighted fields.",
            (Self::RequiredMark, Ja) => "必須",
            (Self::RequiredMark, En) => "required",
            (Self::NoSelection, Ja) => "-----",
            (Self::NoSelection, En) => "-----",
        }
    }
}
