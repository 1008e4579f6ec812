//! Every fixed label and sentence the editor shows, in Japanese and English: one table, like the
//! core's `Text` for the visitor's form. Sentences with values in them are functions below it.

use kform_core::Locale;

/// Declares [`Text`] from `Name = "日本語", "English";` lines: each text is written once.
macro_rules! texts {
    ($($name:ident = $ja:literal, $en:literal;)*) => {
        /// A fixed label or sentence of the editor.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) enum Text {
            $(
                #[doc = $en]
                $name,
            )*
        }

        impl Text {
            /// Every text, for the tests.
            #[cfg(test)]
            pub(crate) const ALL: &[Self] = &[$(Self::$name,)*];

            /// The text in `locale`. Inlined so that each use with a known text costs what the
            /// two literals did (a shared lookup table grew the editor by 0.4 KB).
            #[inline(always)]
            pub(crate) fn get(self, locale: Locale) -> &'static str {
                match locale {
                    Locale::Ja => match self {
                        $(Self::$name => $ja,)*
                    },
                    Locale::En => match self {
                        $(Self::$name => $en,)*
                    },
                }
            }
        }
    };
}

texts! {
    TokenRefused = "エディタのトークンが受け付けられませんでした。CMS の画面を開き直してください。", "The editor token was refused. Open the editor again from your CMS.";
    RelayUnreachable = "リレーに接続できません", "The relay cannot be reached";
    FormEditor = "フォームエディタ", "Form editor";
    KintoneFields = "kintone のフィールド", "kintone fields";
    FormItems = "フォームの項目", "Form items";
    FormSettings = "フォームの設定", "Form settings";
    Drifted = "保存後に kintone のアプリが変更され、このフォームと合わなくなっています。下の「問題」を直して保存してください。", "The kintone app changed after this form was saved and no longer fits it. Fix the problems below and save.";
    Loading = "読み込んでいます…", "Loading…";
    FormIdRule = "フォーム ID は英数字、- と _ で 64 文字までにしてください。", "A form id is 1 to 64 letters, digits, - or _.";
    Connection = "接続", "Connection";
    App = "アプリ", "App";
    FormIdInput = "フォーム ID（英数字、- と _）", "Form id (letters, digits, - and _)";
    SyncAndStart = "フィールドを同期して始める", "Sync the fields and start";
    Syncing = "kintone からフィールドを同期しています…", "Syncing the fields from kintone…";
    Synced = "フィールドを同期しました。", "Fields synced.";
    WarningMark = "注意: ", "Warning: ";
    Problems = "問題", "Problems";
    NoProblems = "問題はありません。", "No problems.";
    Item = "項目", "Item";
    Preview = "プレビュー（入力して送信すると検証を試せます）", "Preview (fill it in and send to try the checks)";
    CopyFailed = "コピーできませんでした。コードを選択してコピーしてください。", "Could not copy; select the code and copy it.";
    Save = "保存", "Save";
    TestSend = "kintone にテスト送信", "Test send to kintone";
    Unsaved = "未保存の変更があります", "Unsaved changes";
    DeleteForm = "フォームを削除", "Delete form";
    DeleteConfirm = "本当に削除しますか？ 埋め込んだページではフォームが表示されなくなります。", "Delete it? Pages that embed it will no longer show the form.";
    DeleteYes = "削除する", "Delete";
    Cancel = "やめる", "Cancel";
    KintoneAnswer = "kintone の応答", "kintone's answer";
    EmbedCode = "サイトに貼り付けるコード", "Code to paste into the site";
    CspNeeds = "Content-Security-Policy に加える指定", "What the Content-Security-Policy needs";
    IncludeAddress = "サイトのサーバーで埋め込むときのアドレス", "Address for the site's server to include";
    CopyCode = "コードをコピー", "Copy the code";
    SaveAndPublish = "保存と公開", "Save and publish";
    TestSendHelp = "テスト送信は、保存済みのフォームで、プレビューから送信した値を kintone に 1 件送ります。", "A test send sends the values last sent from the preview to kintone as one record, with the saved form.";
    Copied = "コピーしました。", "Copied.";
    Saving = "保存しています…", "Saving…";
    Saved = "保存しました。", "Saved.";
    SendingToKintone = "kintone に送っています…", "Sending to kintone…";
    Deleted = "フォームを削除しました。", "The form was deleted.";
    None = "なし", "None";
    FormId = "フォーム ID", "Form id";
    Language = "言語", "Language";
    ThanksMessage = "送信後のメッセージ（空欄で標準）", "Message after sending (empty: the default)";
    RedirectTo = "または送信後に移動する URL", "Or go to this address after sending";
    AllowedOrigins = "埋め込みを許可するサイト（1 行に 1 つ、例 https://www.example.com）", "Sites allowed to embed it (one per line, e.g. https://www.example.com)";
    UpdateKey = "更新キー（一致するレコードを更新）", "Update key (update the matching record)";
    IdempotencyField = "送信 ID を記録する重複禁止フィールド", "Unique field that records each submission's id";
    Confirmation = "送信前に確認画面を出す", "Show a confirmation screen";
    Captcha = "スパム対策の確認（captcha）", "Spam check (captcha)";
    TestMode = "テストモード（kintone に送らない）", "Test mode (nothing is sent to kintone)";
    Mail = "メール", "Mail";
    AutoReply = "送信した人に自動返信メールを送る", "Send an auto-reply to the person who sent the form";
    ReplyAddressItem = "送り先（メールアドレスの項目）", "To (the e-mail item)";
    ReplyTo = "返信先（Reply-To）", "Reply-To";
    SubjectJa = "件名（日本語）", "Subject (Japanese)";
    BodyJa = "本文（日本語）", "Body (Japanese)";
    SubjectEn = "件名（英語）", "Subject (English)";
    BodyEn = "本文（英語）", "Body (English)";
    MailPlaces = "{{フィールドコード}}、{{submission_id}}、{{form_title}}、{{date}} で値を差し込めます。", "Insert values with {{field code}}, {{submission_id}}, {{form_title}} and {{date}}.";
    MailPreview = "自動返信のプレビュー（プレビューで送信した値で）", "The auto-reply, with the values sent from the preview";
    NotOnForm = "フォームにない名前:", "Not on the form:";
    TeamAddresses = "新しい送信を知らせる宛先（チーム）", "Team addresses told of each submission";
    TestRecipients = "テストモード中の宛先", "Addresses while in test mode";
    TestAddress = "テストメールの宛先", "Send a test to";
    SendTestMail = "テストメールを送る", "Send a test mail";
    MailSent = "テストメールを送りました。", "The test mail was sent.";
    NoItemsYet = "左のフィールドから「追加」してください。", "Add fields from the list on the left.";
    HeadingMark = "（見出し）", "(heading)";
    PageBreakMark = "改ページ", "page break";
    FixedValueMark = "固定値", "fixed value";
    ProblemsMark = "問題", "problems:";
    MoveUpSuffix = "を上へ", ": move up";
    MoveDownSuffix = "を下へ", ": move down";
    Edit = "編集", "Edit";
    EditSuffix = "を編集", ": edit";
    Remove = "削除", "Remove";
    RemoveSuffix = "を削除", ": remove";
    NewHeading = "見出し", "Heading";
    NewPageBreak = "次のステップ", "Next step";
    HiddenItem = "隠し項目（どのフォームから来たかの識別など）", "Hidden item (e.g. which form a lead came from)";
    Field = "フィールド", "Field";
    Choose = "選択してください", "Choose";
    ValueSent = "送る値", "Value sent";
    AddHidden = "隠し項目を追加", "Add hidden item";
    AddHeading = "見出しを追加", "Add heading";
    AddPageBreak = "改ページを追加", "Add page break";
    ShownAsSuffix = "の表示名", "shown as";
    NoField = "なし（見出し・説明）", "None (a heading or a note)";
    KintoneField = "kintone のフィールド", "kintone field";
    Label = "ラベル（空欄で kintone のラベル）", "Label (empty: kintone's)";
    Help = "説明", "Help text";
    FixedValue = "送る固定値", "Fixed value sent";
    Placeholder = "プレースホルダー", "Placeholder";
    InitialValue = "初期値", "Initial value";
    HintEmail = "メールアドレス", "E-mail";
    HintTel = "電話番号", "Phone";
    HintPostalCode = "郵便番号", "Postal code";
    InputHint = "入力の種類", "Input hint";
    RequiredByKintone = "必須（kintone で必須のため外せません）", "Required (kintone requires it)";
    RequiredOnForm = "このフォームでは必須にする", "Required on this form";
    MaxFiles = "添付できるファイル数（空欄で制限なし）", "Most files a visitor may attach (empty: no limit)";
    AlwaysShown = "常に表示", "Always shown";
    ShowOnlyWhen = "表示する条件", "Show only when";
    IsOneOf = "が次のいずれか（カンマ区切り）", "is one of (comma-separated)";
    OptionsOffered = "表示する選択肢と表示名（送る値は kintone の選択肢のまま）", "Options offered, and how each is shown (the value sent stays kintone's)";
    Close = "閉じる", "Close";
    KeptByKintone = "kintone が管理", "kept by kintone";
    Computed = "計算・ルックアップで決まる", "computed";
    HoldsNoValue = "値を持たない", "holds no value";
    TypeNotSupported = "未対応の種類", "type not supported";
    Required = "必須", "required";
    Add = "追加", "Add";
    AddSuffix = "を追加", ": add";
    OnTheForm = "追加済み", "on the form";
    EditTab = "編集", "Edit form";
    DeliveryTab = "送信状況", "Delivery";
    Paused = "配信を止めています: ", "Delivery is paused: ";
    Resume = "配信を再開", "Resume delivery";
    Resumed = "配信を再開しました。", "Delivery resumed.";
    DriftAlerts = "kintone のアプリが変更され、フォームが合わなくなっています:", "The app changed in kintone and the form no longer fits it:";
    ShowStage = "表示する状態", "Show";
    AllStages = "すべて", "All";
    ReplayAll = "送信失敗をすべて再送", "Replay every failed one";
    ReplayAllConfirm = "送信失敗をすべて kintone に送り直します。", "Every failed submission is sent to kintone again.";
    ReplayAllYes = "再送する", "Replay them";
    ReplayedAll = "送信失敗を再送しました。", "The failed ones were replayed.";
    Received = "受付日時", "Received";
    Stage = "状態", "Stage";
    Tries = "試行", "Tries";
    Outcome = "結果", "Outcome";
    Details = "詳細", "Details";
    Newer = "新しい方へ", "Newer";
    Older = "古い方へ", "Older";
    NoSubmissions = "この状態の送信はありません。", "No submissions in this stage.";
    OpenInKintone = "kintone で開く", "Open in kintone";
    Submission = "送信", "Submission";
    ValuesSent = "送信された値", "Values sent";
    Attempts = "kintone への送信", "Calls to kintone";
    Replay = "再送", "Replay";
    Replayed = "再送しました。まもなく kintone に送られます。", "Replayed: it is sent to kintone shortly.";
    Discard = "破棄", "Discard";
    DiscardedOne = "破棄しました。", "Discarded.";
    FailedMails = "届かなかったメール (宛先かメールサーバーを直してから再送してください)", "Mails not delivered (fix the address or the mail server, then send them again)";
    AutoReplyMail = "自動返信", "Auto-reply";
    TeamNotice = "担当者への通知", "Team notice";
    ResendMail = "再送", "Send again";
    DropMail = "削除", "Drop";
    MailResent = "メールを再送します。", "The mail is being sent again.";
    MailDropped = "メールを削除しました。", "The mail was dropped.";
}

/// The heading of an item's settings, named as the visitor sees the item.
pub(crate) fn settings_of(name: &str, locale: Locale) -> String {
    match locale {
        Locale::Ja => format!("「{name}」の設定"),
        Locale::En => format!("Settings of \u{201c}{name}\u{201d}"),
    }
}

/// Why a new form cannot take the id `id`.
pub(crate) fn id_in_use(id: &str, locale: Locale) -> String {
    match locale {
        Locale::Ja => format!("フォーム ID「{id}」は使われています。別の ID にしてください。"),
        Locale::En => format!("The form id \"{id}\" is in use; choose another."),
    }
}

#[cfg(test)]
mod tests {
    use kform_core::Locale;

    use super::Text;

    #[test]
    fn every_text_is_written_in_both_languages_and_japanese_is_not_left_in_english() {
        for text in Text::ALL {
            let (ja, en) = (text.get(Locale::Ja), text.get(Locale::En));
            assert!(!ja.trim().is_empty() && !en.trim().is_empty(), "{text:?}");
            // A Japanese text has Japanese in it (kintone's name alone is not a translation).
            assert!(!ja.is_ascii(), "{text:?} is not in Japanese: {ja}");
        }
        assert_eq!(super::settings_of("会社名", Locale::Ja), "「会社名」の設定");
    }
}
