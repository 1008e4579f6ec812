//! Problems rendered as text, in kintone's own wording where kintone has one (Japanese and
//! English), and every other built-in text of the form.
//!
//! kintone's wording comes from captured responses (`docs/kintone.md` §4.3). Where kintone's text
//! was never captured (an invalid date, a value of the wrong shape, form definition errors) the
//! text here is kform's own and marked as such; it lives in this file only.

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;
use alloc::string::ToString;
use serde::{Deserialize, Serialize};

use crate::field::{FieldCode, NotWritableReason};
use crate::form::FORM_FORMAT_VERSION;
use crate::lint::{KeyProblem, LintIssue, LintProblem};
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
            (Self::Relayed { text }, _) => text.clone(),
            // Only the start of kintone's text was captured (UNCONFIRMED): the full stop and the
            // English wording are kform's choice, made here and in the fake kintone.
            (Self::LinkFormat, Ja) => "URLの形式が正しくありません。".to_owned(),
            (Self::LinkFormat, En) => "The URL format is not valid.".to_owned(),
            // kform's own wording below: kintone's text for these cases was never captured, or
            // kintone has no field-level message (a lookup miss is a whole-request error).
            (Self::TooManyDigits { max }, Ja) => format!("整数部は{max}桁以内で入力してください。"),
            (Self::TooManyDigits { max }, En) => {
                format!("Enter at most {max} digits before the decimal point.")
            }
            (Self::InvalidDate, Ja) => "日付の形式が正しくありません。".to_owned(),
            (Self::InvalidDate, En) => "Enter a valid date.".to_owned(),
            (Self::InvalidTime, Ja) => "時刻の形式が正しくありません。".to_owned(),
            (Self::InvalidTime, En) => "Enter a valid time (HH:MM).".to_owned(),
            (Self::InvalidDateTime, Ja) => "日時の形式が正しくありません。".to_owned(),
            (Self::InvalidDateTime, En) => "Enter a valid date and time.".to_owned(),
            (Self::InvalidUrl, Ja) => {
                "http:// または https:// で始まるURLを入力してください。".to_owned()
            }
            (Self::InvalidUrl, En) => {
                "Enter a web address starting with http:// or https://.".to_owned()
            }
            (Self::InvalidPhone, Ja) => "電話番号の形式が正しくありません。".to_owned(),
            (Self::InvalidPhone, En) => "Enter a valid phone number.".to_owned(),
            (Self::InvalidEmail, Ja) => "メールアドレスの形式が正しくありません。".to_owned(),
            (Self::InvalidEmail, En) => "Enter a valid e-mail address.".to_owned(),
            (Self::InvalidPostalCode, Ja) => {
                "郵便番号は7桁の数字で入力してください（例: 100-0001）。".to_owned()
            }
            (Self::InvalidPostalCode, En) => {
                "Enter a 7-digit postal code (e.g. 100-0001).".to_owned()
            }
            (Self::TooManyFiles { max }, Ja) => format!("添付できるファイルは{max}個までです。"),
            (Self::TooManyFiles { max }, En) => format!("Attach at most {max} files."),
            (Self::FilesTooLarge { max_mb }, Ja) => {
                format!("添付ファイルの合計は{max_mb}MBまでです。")
            }
            (Self::FilesTooLarge { max_mb }, En) => {
                format!("Attached files may total at most {max_mb} MB.")
            }
            (Self::LookupNotFound { value }, Ja) => {
                format!("「{value}」は参照先のアプリにありません。")
            }
            (Self::LookupNotFound { value }, En) => {
                format!("\"{value}\" was not found in the lookup's source app.")
            }
            (Self::WrongShape, Ja) => "値の形式が正しくありません。".to_owned(),
            (Self::WrongShape, En) => "The value has the wrong format.".to_owned(),
            (Self::UnknownField, Ja) => "このフィールドはアプリにありません。".to_owned(),
            (Self::UnknownField, En) => "The app has no such field.".to_owned(),
            (Self::NotWritable, Ja) => "このフィールドはフォームから入力できません。".to_owned(),
            (Self::NotWritable, En) => "This field cannot be written by a form.".to_owned(),
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
    /// Shown when the relay found the form sent sooner than a person could fill it in.
    TooFast,
    /// Shown when the relay refused the form's render token (too old, missing, or signed with
    /// a key the relay no longer has): its answer carries a new one, so sending again works.
    FormExpired,
    /// Heads the list of problems (with links to their fields) after a refused submit.
    FixErrors,
    /// Marks a required field.
    RequiredMark,
    /// The empty choice of a drop-down.
    NoSelection,
    /// The button that adds a subtable row.
    AddRow,
    /// The button that removes a subtable row.
    RemoveRow,
    /// Names a subtable row, before its number.
    Row,
    /// Help under a user, organization or group selection typed as codes.
    EnterCodes,
    /// Shown while a failed submission is tried again.
    Retrying,
    /// The button that moves to a form's next page.
    Next,
    /// The button that goes back to the previous page, or from the confirmation to the form.
    Back,
    /// The button that shows the answers for checking, on a form with a confirmation screen.
    Review,
    /// Heads the confirmation screen.
    ConfirmHeading,
    /// Names a page, before "n / total".
    Page,
    /// Stands for an answer left empty on the confirmation screen.
    NoAnswer,
    /// Shown when the relay refused the attached files as too large.
    FilesTooLarge,
    /// Shown when a form asking for a captcha is sent before it was solved.
    SolveCaptcha,
    /// Shown when the captcha's answer was refused.
    CaptchaFailed,
    /// Shown where a form's captcha would be when no script runs to show it.
    NeedsScript,
    /// Heads the relay's page for a form that has no heading of its own.
    FormTitle,
    /// Shown on the relay's page for a form that does not exist.
    FormNotFound,
    /// Shown on the relay's page for a post the form could not have sent.
    BadPost,
    /// Shown when the form no longer fits its kintone app (a field it needs was deleted), so it
    /// cannot be sent until its owner fixes it.
    FormBroken,
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
            (Self::TooFast, Ja) => "送信が早すぎました。もう一度送信してください。",
            (Self::TooFast, En) => "That was sent very quickly. Please send it again.",
            (Self::FormExpired, Ja) => {
                "フォームの有効期限が切れていたため、送信できませんでした。もう一度送信してください。"
            }
            (Self::FormExpired, En) => {
                "This form had expired and was not sent. Please send it again."
            }
            (Self::FixErrors, Ja) => "入力内容を確認してください。",
            (Self::FixErrors, En) => "Please check the highlighted fields.",
            (Self::RequiredMark, Ja) => "必須",
            (Self::RequiredMark, En) => "required",
            (Self::NoSelection, Ja) => "-----",
            (Self::NoSelection, En) => "-----",
            (Self::AddRow, Ja) => "行を追加",
            (Self::AddRow, En) => "Add a row",
            (Self::RemoveRow, Ja) => "この行を削除",
            (Self::RemoveRow, En) => "Remove this row",
            (Self::Row, Ja) => "行",
            (Self::Row, En) => "Row",
            (Self::EnterCodes, Ja) => "コードをカンマ（,）で区切って入力してください。",
            (Self::EnterCodes, En) => "Enter codes separated by commas.",
            (Self::Retrying, Ja) => "接続できませんでした。自動で再送しています…",
            (Self::Retrying, En) => "Could not connect. Trying again…",
            (Self::Next, Ja) => "次へ",
            (Self::Next, En) => "Next",
            (Self::Back, Ja) => "戻る",
            (Self::Back, En) => "Back",
            (Self::Review, Ja) => "確認画面へ",
            (Self::Review, En) => "Review",
            (Self::ConfirmHeading, Ja) => "入力内容をご確認のうえ、送信してください。",
            (Self::ConfirmHeading, En) => "Please check your answers, then send.",
            (Self::Page, Ja) => "ステップ",
            (Self::Page, En) => "Step",
            (Self::NoAnswer, Ja) => "（未入力）",
            (Self::NoAnswer, En) => "(none)",
            (Self::FilesTooLarge, Ja) => "添付ファイルが大きすぎるため送信できませんでした。",
            (Self::FilesTooLarge, En) => "The attached files are too large to send.",
            (Self::SolveCaptcha, Ja) => {
                "送信する前に、ロボットでないことの確認を完了してください。"
            }
            (Self::SolveCaptcha, En) => "Please complete the check that you are not a robot.",
            (Self::CaptchaFailed, Ja) => {
                "ロボットでないことを確認できませんでした。もう一度確認してから送信してください。"
            }
            (Self::CaptchaFailed, En) => {
                "The check that you are not a robot failed. Please complete it again and send."
            }
            (Self::NeedsScript, Ja) => {
                "このフォームの送信には、ロボットでないことの確認のため JavaScript が必要です。"
            }
            (Self::NeedsScript, En) => {
                "Sending this form needs JavaScript, for the check that you are not a robot."
            }
            (Self::FormBroken, Ja) => {
                "kintone アプリの変更により、このフォームは現在送信できません。時間をおいてもう一度お試しください。"
            }
            (Self::FormBroken, En) => {
                "This form cannot be sent right now because its kintone app changed. Please try again later."
            }
            (Self::FormTitle, Ja) => "フォーム",
            (Self::FormTitle, En) => "Form",
            (Self::FormNotFound, Ja) => "フォームが見つかりません。",
            (Self::FormNotFound, En) => "The form was not found.",
            (Self::BadPost, Ja) => {
                "送信内容を読み取れませんでした。ページを再読み込みしてから送信してください。"
            }
            (Self::BadPost, En) => {
                "What was sent could not be read. Please reload the page and send it again."
            }
        }
    }
}

impl LintIssue {
    /// One line for people: where (`items[3] 会社名`, a field code, or `form`), then the message.
    pub fn line(&self, locale: Locale) -> String {
        let place = match (self.item, &self.field) {
            (Some(index), Some(code)) => format!("items[{index}] {code}"),
            (Some(index), None) => format!("items[{index}]"),
            (None, Some(code)) => code.to_string(),
            (None, None) => "form".to_owned(),
        };
        let warning = match (self.is_warning(), locale) {
            (false, _) => "",
            (true, Locale::Ja) => "注意: ",
            (true, Locale::En) => "warning: ",
        };
        format!("{place}: {warning}{}", self.message(locale))
    }

    /// What to do about the problem, as a sentence in `locale` (the editor shows it under the
    /// message).
    pub fn fix(&self, locale: Locale) -> String {
        use Locale::{En, Ja};
        let code = self.field.as_ref().map(FieldCode::as_str).unwrap_or_default();
        let text = |ja: &str, en: &str| match locale {
            Ja => ja.to_owned(),
            En => en.to_owned(),
        };
        match &self.problem {
            LintProblem::UnsupportedFormat { .. } => text(
                "このバージョンの kform でフォームを作り直すか、kform を更新してください。",
                "Recreate the form with this kform, or update kform.",
            ),
            LintProblem::UnknownField | LintProblem::NotWritable { .. } => match locale {
                Ja => format!(
                    "項目を削除するか、書き込めるフィールドに割り当て直してください（「{code}」）。"
                ),
                En => format!(
                    "Remove the item, or map it to a field a form can write instead of \"{code}\"."
                ),
            },
            LintProblem::TypeMismatch { .. } => text(
                "kintone の変更に合わせて項目を削除して追加し直し、設定を見直してください。",
                "Remove the item and add the field again to match kintone, then check its settings.",
            ),
            LintProblem::MappedTwice { .. } => {
                text("どちらかの項目を削除してください。", "Remove one of the two items.")
            }
            LintProblem::RequiredFieldMissing => match locale {
                Ja => format!(
                    "「{code}」をフォームに追加するか、隠し項目として固定値を送ってください。"
                ),
                En => format!(
                    "Add \"{code}\" to the form, or add it as a hidden item with a fixed value."
                ),
            },
            LintProblem::MinLengthFieldMissing { min } => match locale {
                Ja => format!(
                    "「{code}」をフォームに追加するか、{min}文字以上の固定値を隠し項目で送るか、kintone で最小文字数を外してください。"
                ),
                En => format!(
                    "Add \"{code}\" to the form, send a fixed value of at least {min} characters as a hidden item, or remove its minimum length in kintone."
                ),
            },
            LintProblem::MinLengthOptional { .. } => text(
                "項目を「必須」にしてください（kintone で最小文字数を外せば任意のままにできます）。",
                "Make the item required on the form (or remove the minimum length in kintone to keep it optional).",
            ),
            LintProblem::HiddenValueRejected { .. } => text(
                "固定値を kintone が受け付ける値に直してください。",
                "Change the fixed value to one kintone accepts.",
            ),
            LintProblem::InitialValueRejected { .. } => text(
                "初期値を kintone が受け付ける値に直すか、空にしてください。",
                "Change the initial value to one kintone accepts, or clear it.",
            ),
            LintProblem::CaptureNotApplicable | LintProblem::CaptureWithHidden => text(
                "capture を外すか、文字列（1行）フィールドの項目に付け替えてください。",
                "Remove capture, or put it on a SINGLE_LINE_TEXT item without a fixed value.",
            ),
            LintProblem::ShowIfUnknownField { .. } => text(
                "show_if の条件を、条件なしで表示される項目に直してください。",
                "Make show_if name an item that is shown without a condition.",
            ),
            LintProblem::ShowIfRequired | LintProblem::ShowIfNotShown => {
                text("この項目の show_if を外してください。", "Remove show_if from this item.")
            }
            LintProblem::PageBreakMisused => text(
                "改ページにはラベルと説明だけを設定してください。",
                "Give the page break only a label and help text.",
            ),
            LintProblem::EmptyPage => text(
                "余分な改ページを削除するか、項目の間に移動してください。",
                "Remove the extra page break, or move it between items.",
            ),
            LintProblem::HintNotApplicable { .. } => {
                text("入力の種類を「なし」にしてください。", "Set the input hint to none.")
            }
            LintProblem::UnknownOption { .. } => text(
                "kintone にない選択肢の非表示設定を外してください。",
                "Stop hiding the option kintone no longer has.",
            ),
            LintProblem::UnknownOptionLabel { .. } => text(
                "option_labels から kintone にない選択肢を外すか、kintone の今の選択肢に付け替えてください。",
                "Remove the option kintone no longer has from option_labels, or move its label to the option's new name.",
            ),
            LintProblem::NoOptionLeft => {
                text("少なくとも 1 つの選択肢を表示してください。", "Offer at least one option.")
            }
            LintProblem::MaxFilesNotApplicable => {
                text("ファイル数の上限を外してください。", "Remove the file limit.")
            }
            LintProblem::InvalidUpdateKey { .. } => text(
                "更新キーを、フォームにある重複禁止の文字列（1行）か数値フィールドにするか、なしにしてください。",
                "Make the update key a unique SINGLE_LINE_TEXT or NUMBER field on the form, or none.",
            ),
            LintProblem::InvalidIdempotencyField { .. } => text(
                "フォームにない、重複禁止で 36 文字以上入る文字列（1行）フィールドにするか、なしにしてください。",
                "Choose a unique SINGLE_LINE_TEXT field off the form that holds 36 characters, or none.",
            ),
            LintProblem::InvalidRedirect => text(
                "移動先を https:// で始まるアドレスにしてください。",
                "Make the address start with https://.",
            ),
            LintProblem::NothingToSend => text(
                "kintone のフィールドを少なくとも 1 つ追加してください。",
                "Add at least one kintone field.",
            ),
        }
    }

    /// The problem as a sentence in `locale`, naming the field.
    pub fn message(&self, locale: Locale) -> String {
        use Locale::{En, Ja};
        let code = self.field.as_ref().map(FieldCode::as_str).unwrap_or_default();
        match (&self.problem, locale) {
            (LintProblem::UnsupportedFormat { found }, Ja) => {
                format!(
                    "フォーム定義の形式 {found} には対応していません（対応形式: {FORM_FORMAT_VERSION}）。"
                )
            }
            (LintProblem::UnsupportedFormat { found }, En) => format!(
                "Form format {found} is not supported; this kform reads format {FORM_FORMAT_VERSION}."
            ),
            (LintProblem::UnknownField, Ja) => {
                format!("アプリにフィールド「{code}」がありません。")
            }
            (LintProblem::UnknownField, En) => format!("The app has no field \"{code}\"."),
            (LintProblem::NotWritable { kintone_type, reason }, Ja) => {
                let why = match reason {
                    NotWritableReason::System => "kintone が管理する",
                    NotWritableReason::Computed => "計算またはルックアップで値が決まる",
                    NotWritableReason::Layout => "値を持たない",
                    NotWritableReason::Unsupported => "kform が対応していない種類の",
                };
                format!(
                    "「{code}」（{kintone_type}）は{why}フィールドのため、フォームから入力できません。"
                )
            }
            (LintProblem::NotWritable { kintone_type, reason }, En) => {
                let why = match reason {
                    NotWritableReason::System => "kintone maintains it",
                    NotWritableReason::Computed => "a calculation or a lookup sets it",
                    NotWritableReason::Layout => "it holds no value",
                    NotWritableReason::Unsupported => "kform does not know this type",
                };
                format!("A form cannot write \"{code}\" ({kintone_type}): {why}.")
            }
            (LintProblem::TypeMismatch { expected, actual }, Ja) => {
                format!(
                    "「{code}」は {expected} として設定されましたが、アプリでは {actual} です。"
                )
            }
            (LintProblem::TypeMismatch { expected, actual }, En) => {
                format!("\"{code}\" was mapped as {expected} but is {actual} in the app.")
            }
            (LintProblem::MappedTwice { first_item }, Ja) => {
                format!("「{code}」は items[{first_item}] ですでに使われています。")
            }
            (LintProblem::MappedTwice { first_item }, En) => {
                format!("\"{code}\" is already mapped by items[{first_item}].")
            }
            (LintProblem::RequiredFieldMissing, Ja) => format!(
                "「{code}」は必須ですが、フォームになく初期値もないため、すべての送信が失敗します。"
            ),
            (LintProblem::RequiredFieldMissing, En) => format!(
                "kintone requires \"{code}\", but it is not on the form and has no default value: every submission would fail."
            ),
            (LintProblem::HiddenValueRejected { issue }, Ja) => {
                format!("「{code}」の固定値は受け付けられません: {}", issue.message(Ja))
            }
            (LintProblem::HiddenValueRejected { issue }, En) => {
                format!("The hidden value of \"{code}\" would be refused: {}", issue.message(En))
            }
            (LintProblem::InitialValueRejected { issue }, Ja) => {
                format!("「{code}」の初期値は受け付けられません: {}", issue.message(Ja))
            }
            (LintProblem::InitialValueRejected { issue }, En) => {
                format!("The initial value of \"{code}\" would be refused: {}", issue.message(En))
            }
            (LintProblem::CaptureNotApplicable, Ja) => {
                format!("capture は文字列フィールドにだけ使えます（「{code}」）。")
            }
            (LintProblem::CaptureNotApplicable, En) => {
                format!("capture applies to text fields only, not to \"{code}\".")
            }
            (LintProblem::CaptureWithHidden, Ja) => {
                format!("「{code}」に capture と hidden の両方は指定できません。")
            }
            (LintProblem::CaptureWithHidden, En) => {
                format!("\"{code}\" cannot have both capture and a fixed hidden value.")
            }
            (LintProblem::ShowIfUnknownField { condition }, Ja) => format!(
                "「{code}」の show_if が参照する「{condition}」は、条件なしで表示される項目ではありません。"
            ),
            (LintProblem::ShowIfUnknownField { condition }, En) => format!(
                "The show_if of \"{code}\" names \"{condition}\", which is not an item shown without a condition."
            ),
            (LintProblem::ShowIfRequired, Ja) => format!(
                "「{code}」はkintoneで空欄にできない（必須または最小文字数あり）ため、show_if で隠せません（隠れている間は送信されず、レコードが拒否されます）。"
            ),
            (LintProblem::ShowIfRequired, En) => format!(
                "\"{code}\" cannot be empty in kintone (required, or a minimum length), so show_if cannot hide it: while hidden it is not sent and kintone would refuse the record."
            ),
            (LintProblem::MinLengthFieldMissing { min }, Ja) => format!(
                "「{code}」は最小文字数（{min}文字）があり、kintone は空欄や未送信でも拒否しますが、フォームになく初期値もありません。どの送信も失敗します。"
            ),
            (LintProblem::MinLengthFieldMissing { min }, En) => format!(
                "\"{code}\" has a minimum length ({min}), which kintone also checks when it is empty or left out, but it is not on the form and has no default: every submission would fail."
            ),
            (LintProblem::MinLengthOptional { min }, Ja) => format!(
                "「{code}」は最小文字数（{min}文字）があるため kintone は空欄を受け付けません。フォームでは必須として表示されますが、項目は必須になっていません。"
            ),
            (LintProblem::MinLengthOptional { min }, En) => format!(
                "\"{code}\" has a minimum length ({min}), so kintone refuses it blank: the form shows it as required, though the item does not say so."
            ),
            (LintProblem::ShowIfNotShown, Ja) => {
                format!(
                    "「{code}」は表示されない項目（hidden または capture）のため、show_if は使えません。"
                )
            }
            (LintProblem::ShowIfNotShown, En) => {
                format!("\"{code}\" is never shown (hidden or capture), so show_if does not apply.")
            }
            (LintProblem::PageBreakMisused, Ja) => {
                "ページ区切りは項目を区切るだけです。フィールド、hidden、capture、show_if は指定できません。".to_owned()
            }
            (LintProblem::PageBreakMisused, En) => {
                "A page break only separates pages: it cannot map a field or have hidden, capture or show_if.".to_owned()
            }
            (LintProblem::EmptyPage, Ja) => {
                "表示する項目のないページがあります。ページ区切りを先頭・末尾・連続に置かないでください。".to_owned()
            }
            (LintProblem::EmptyPage, En) => {
                "A page shows nothing: a page break is first, last, or right after another one.".to_owned()
            }
            (LintProblem::HintNotApplicable { hint }, Ja) => format!(
                "入力ヒント {} は文字列（1行）フィールドにだけ使えます（「{code}」）。",
                hint.name()
            ),
            (LintProblem::HintNotApplicable { hint }, En) => format!(
                "The input hint {} applies to SINGLE_LINE_TEXT fields only, not to \"{code}\".",
                hint.name()
            ),
            (LintProblem::UnknownOption { value }, Ja) => {
                format!("「{value}」は「{code}」の選択肢にありません。")
            }
            (LintProblem::UnknownOption { value }, En) => {
                format!("\"{value}\" is not an option of \"{code}\".")
            }
            (LintProblem::UnknownOptionLabel { value }, Ja) => {
                format!("「{value}」は「{code}」の選択肢にないため、その表示名は使われません。")
            }
            (LintProblem::UnknownOptionLabel { value }, En) => {
                format!("\"{value}\" is not an option of \"{code}\", so its label is never shown.")
            }
            (LintProblem::NoOptionLeft, Ja) => {
                format!("必須フィールド「{code}」の選択肢がすべて非表示です。")
            }
            (LintProblem::NoOptionLeft, En) => {
                format!("Every option of the required field \"{code}\" is hidden.")
            }
            (LintProblem::MaxFilesNotApplicable, Ja) => {
                format!("max_files は添付ファイルフィールドにだけ使えます（「{code}」）。")
            }
            (LintProblem::MaxFilesNotApplicable, En) => {
                format!("max_files applies to FILE fields only, not to \"{code}\".")
            }
            (LintProblem::InvalidUpdateKey { reason }, Ja) => {
                format!("更新キー「{code}」{}", key_problem(*reason, false, Ja))
            }
            (LintProblem::InvalidUpdateKey { reason }, En) => {
                format!("The update key \"{code}\" {}", key_problem(*reason, false, En))
            }
            (LintProblem::InvalidIdempotencyField { reason }, Ja) => {
                format!("重複防止フィールド「{code}」{}", key_problem(*reason, true, Ja))
            }
            (LintProblem::InvalidIdempotencyField { reason }, En) => {
                format!("The idempotency field \"{code}\" {}", key_problem(*reason, true, En))
            }
            (LintProblem::InvalidRedirect, Ja) => {
                "リダイレクト先は http:// または https:// で始まる必要があります。".to_owned()
            }
            (LintProblem::InvalidRedirect, En) => {
                "The redirect address must start with http:// or https://.".to_owned()
            }
            (LintProblem::NothingToSend, Ja) => {
                "kintone のフィールドに書き込む項目がフォームにありません。".to_owned()
            }
            (LintProblem::NothingToSend, En) => "The form writes no kintone field.".to_owned(),
        }
    }
}

fn key_problem(reason: KeyProblem, idempotency: bool, locale: Locale) -> &'static str {
    use Locale::{En, Ja};
    match (reason, locale) {
        (KeyProblem::UnknownField, Ja) => "はアプリにありません。",
        (KeyProblem::UnknownField, En) => "is not a field of the app.",
        (KeyProblem::WrongType, Ja) if idempotency => {
            "は文字列（1行）フィールドである必要があります。"
        }
        (KeyProblem::WrongType, En) if idempotency => "must be a SINGLE_LINE_TEXT field.",
        (KeyProblem::WrongType, Ja) => "は文字列（1行）か数値のフィールドである必要があります。",
        (KeyProblem::WrongType, En) => "must be a SINGLE_LINE_TEXT or NUMBER field.",
        (KeyProblem::NotUnique, Ja) => "は「値の重複を禁止する」設定が必要です。",
        (KeyProblem::NotUnique, En) => "must prohibit duplicate values.",
        (KeyProblem::NotOnForm, Ja) => "がフォームにありません。",
        (KeyProblem::NotOnForm, En) => "is not on the form.",
        (KeyProblem::OnForm, Ja) => "はフォームに置けません（リレーが値を設定します）。",
        (KeyProblem::OnForm, En) => "must not be on the form (the relay fills it).",
        (KeyProblem::TooShort, Ja) => "は36文字を入力できる必要があります。",
        (KeyProblem::TooShort, En) => "must accept 36 characters.",
    }
}
