//! kintone's error answers: the `{id, code, message, errors}` envelope, in Japanese or English.

use std::collections::BTreeMap;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rand::Rng;
use rand::distr::Alphanumeric;
use serde_json::json;

/// The language of messages, chosen by `Accept-Language`, else the fake's configured default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lang {
    Ja,
    En,
}

impl Lang {
    /// Picks the text for this language.
    pub(crate) fn pick(self, ja: &str, en: &str) -> String {
        match self {
            Self::Ja => ja.to_owned(),
            Self::En => en.to_owned(),
        }
    }
}

impl Lang {
    /// The language `Accept-Language` asks for, or `default` when it names neither.
    pub(crate) fn from_headers(headers: &axum::http::HeaderMap, default: Self) -> Self {
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(from_accept_language)
            .unwrap_or(default)
    }
}

/// The first of `ja`/`en` by preference, if the header names either.
fn from_accept_language(header: &str) -> Option<Lang> {
    let mut best: Option<(f32, Lang)> = None;
    for part in header.split(',') {
        let mut pieces = part.split(';');
        let tag = pieces.next().unwrap_or_default().trim().to_ascii_lowercase();
        let lang = if tag == "ja" || tag.starts_with("ja-") {
            Lang::Ja
        } else if tag == "en" || tag.starts_with("en-") {
            Lang::En
        } else {
            continue;
        };
        let weight = pieces
            .find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse().ok()))
            .unwrap_or(1.0);
        if best.is_none_or(|(w, _)| weight > w) {
            best = Some((weight, lang));
        }
    }
    best.map(|(_, lang)| lang)
}

/// One kintone error answer.
#[derive(Debug)]
pub(crate) struct KintoneError {
    status: StatusCode,
    code: &'static str,
    message: String,
    errors: Option<BTreeMap<String, Vec<String>>>,
    /// For a failed `bulkRequest.json`: (failing index, number of requests).
    bulk: Option<(usize, usize)>,
}

impl KintoneError {
    fn new(status: StatusCode, code: &'static str, message: String) -> Self {
        Self { status, code, message, errors: None, bulk: None }
    }

    /// 401 `CB_AU01`: no credentials.
    pub(crate) fn not_logged_in(lang: Lang) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "CB_AU01",
            lang.pick("ログインしてください。", "Please login."),
        )
    }

    /// 401 `CB_WA01`: wrong login or password.
    pub(crate) fn password_failed(lang: Lang) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "CB_WA01",
            lang.pick(
                "ユーザーのパスワード認証に失敗しました。「X-Cybozu-Authorization」ヘッダーの値が正しくありません。",
                "Password authentication failed. The value in http header of X-Cybozu-Authorization is not valid.",
            ),
        )
    }

    /// 400 `GAIA_IA02`: unknown token, or a token of another app.
    pub(crate) fn token_mismatch(lang: Lang) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "GAIA_IA02",
            lang.pick(
                "指定したAPIトークンは、アプリで生成されたトークンと異なります。アプリのAPIトークンの設定を確認してください。",
                "The specified API token does not match the API token generated via an app.",
            ),
        )
    }

    /// 400 `GAIA_DA03`: two tokens of the same app. (No Japanese capture; English is used.)
    pub(crate) fn duplicate_token(_lang: Lang) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "GAIA_DA03",
            "You cannot specify a duplicate API token for the same app.".to_owned(),
        )
    }

    /// 403 `GAIA_NO01`: the token lacks the permission for this API.
    pub(crate) fn token_not_permitted(lang: Lang) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "GAIA_NO01",
            lang.pick(
                "このAPIトークンでは、指定したAPIを実行できません。",
                "Using this API token, you cannot run the specified API.",
            ),
        )
    }

    /// 404 `GAIA_AP01`: no such app.
    pub(crate) fn app_not_found(lang: Lang, app: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "GAIA_AP01",
            match lang {
                Lang::Ja => format!(
                    "指定したアプリ（id: {app}）が見つかりません。削除されている可能性があります。"
                ),
                Lang::En => {
                    format!("The app (ID: {app}) not found. The app may have been deleted.")
                }
            },
        )
    }

    /// 404 `GAIA_RE01`: no such record.
    pub(crate) fn record_not_found(lang: Lang, id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "GAIA_RE01",
            match lang {
                Lang::Ja => format!("指定したレコード（id: {id}）が見つかりません。"),
                Lang::En => format!("The specified record (ID: {id}) is not found."),
            },
        )
    }

    /// 400 `CB_IJ01`: the body is not JSON, or has the wrong JSON types.
    pub(crate) fn invalid_json(lang: Lang) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "CB_IJ01",
            lang.pick("不正なJSON文字列です。", "Invalid JSON string."),
        )
    }

    /// 400 `CB_VA01` with per-path messages.
    pub(crate) fn invalid(lang: Lang, errors: BTreeMap<String, Vec<String>>) -> Self {
        Self {
            errors: Some(errors),
            ..Self::new(
                StatusCode::BAD_REQUEST,
                "CB_VA01",
                lang.pick("入力内容が正しくありません。", "Missing or invalid input."),
            )
        }
    }

    /// 400 `CB_VA01` on one request parameter.
    pub(crate) fn invalid_parameter(lang: Lang, name: &str, message: String) -> Self {
        Self::invalid(lang, BTreeMap::from([(name.to_owned(), vec![message])]))
    }

    /// 400 `CB_VA01`: a required request parameter is missing.
    pub(crate) fn missing_parameter(lang: Lang, name: &str) -> Self {
        Self::invalid_parameter(lang, name, lang.pick("必須です。", "Required field."))
    }

    /// 400 `GAIA_LO04`: a lookup key matches no record of the source app (or it cannot be seen).
    pub(crate) fn lookup_not_found(lang: Lang, field: &str, value: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "GAIA_LO04",
            match lang {
                Lang::Ja => format!(
                    "フィールド「{field}」の値「{value}」が、ルックアップの参照先のフィールドにないか、またはアプリやフィールドの閲覧権限がありません。"
                ),
                Lang::En => format!(
                    "A value {value} in the field {field} does not exist in the datasource app for lookup, or you do not have permission to view the app or the field."
                ),
            },
        )
    }

    /// 404 `GAIA_BL01`: no such file.
    pub(crate) fn file_not_found(lang: Lang, key: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "GAIA_BL01",
            match lang {
                Lang::Ja => format!("指定したファイル（id: {key}）が見つかりません。"),
                Lang::En => format!("The specified file (id: {key}) not found."),
            },
        )
    }

    /// 409 `GAIA_CO02`: the record's revision is not the one given. (Japanese wording
    /// UNCONFIRMED.)
    pub(crate) fn revision_conflict(lang: Lang) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "GAIA_CO02",
            lang.pick(
                "指定したリビジョンは最新ではありません。ほかのユーザーがレコードを更新した可能性があります。",
                "The revision is not the latest. Someone may update a record.",
            ),
        )
    }

    /// 404 `GAIA_RE20`: no record has the `updateKey` value. (Status and wording UNCONFIRMED.)
    pub(crate) fn update_key_not_found(lang: Lang, field: &str, value: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "GAIA_RE20",
            match lang {
                Lang::Ja => format!("指定したレコード（{field}: {value}）が見つかりません。"),
                Lang::En => format!("The specified record ({field}: {value}) is not found."),
            },
        )
    }

    /// 520 `GAIA_SI01`: one table row id sent twice. (Only the English text was captured.)
    pub(crate) fn duplicated_row(table: &str) -> Self {
        Self::new(
            StatusCode::from_u16(520).unwrap_or(StatusCode::BAD_REQUEST),
            "GAIA_SI01",
            format!("Raw ID (code: {table}) in a table is duplicated."),
        )
    }

    /// 403 `CB_NO02`: no privilege (also a wrong guest space).
    pub(crate) fn no_privilege(lang: Lang) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "CB_NO02",
            lang.pick("権限がありません。", "No privilege to proceed."),
        )
    }

    /// 400 `GAIA_IL23`: a guest-space app called without the guest-space path.
    pub(crate) fn guest_space_path(lang: Lang) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "GAIA_IL23",
            lang.pick(
                "ゲストスペース内のアプリを操作する場合は、リクエストの送信先を「/k/guest/（ゲストスペースのID）/v1/...」にします。",
                "When you operate an app in a guest space, please send the request to '/k/guest/(guest space ID)/v1/...'.",
            ),
        )
    }

    /// 429 `GAIA_TO04`: too many requests at once.
    pub(crate) fn too_many_requests(lang: Lang) -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "GAIA_TO04",
            lang.pick(
                "APIの同時リクエスト数が上限を超えています。",
                "The number of concurrent API requests exceeds the limit.",
            ),
        )
    }

    /// 400 `GAIA_DA02`: the database lock failed. (English wording UNCONFIRMED.)
    pub(crate) fn lock_failed(lang: Lang) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "GAIA_DA02",
            lang.pick(
                "データベースのロックに失敗したため、変更を保存できませんでした。時間をおいて再度お試しください。",
                "Failed to save the changes because the database lock failed. Please try again later.",
            ),
        )
    }

    /// A failed sub-request of `bulkRequest.json`: kintone answers `{"results": […]}` with `{}`
    /// for the others and the error at its index. (The status is the sub-request's: UNCONFIRMED.)
    pub(crate) fn bulk_failed(err: Self, index: usize, count: usize) -> Self {
        Self { bulk: Some((index, count)), ..err }
    }

    /// The envelope as JSON, with a fresh error id.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        let id: String = rand::rng().sample_iter(&Alphanumeric).take(20).map(char::from).collect();
        let mut body = json!({ "id": id, "code": self.code, "message": self.message });
        if let Some(errors) = &self.errors {
            let errors: serde_json::Map<String, serde_json::Value> = errors
                .iter()
                .map(|(path, messages)| (path.clone(), json!({ "messages": messages })))
                .collect();
            body["errors"] = serde_json::Value::Object(errors);
        }
        match self.bulk {
            Some((index, count)) => {
                let results: Vec<serde_json::Value> =
                    (0..count).map(|i| if i == index { body.clone() } else { json!({}) }).collect();
                json!({ "results": results })
            }
            None => body,
        }
    }

    /// 400 with another code and message (query errors).
    pub(crate) fn bad_request(code: &'static str, message: String) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
}

impl IntoResponse for KintoneError {
    fn into_response(self) -> Response {
        let body = self.to_json();
        let mut response = (self.status, body.to_string()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json;charset=utf-8"),
        );
        if let Ok(code) = HeaderValue::from_str(self.code) {
            response.headers_mut().insert("x-cybozu-error", code);
        }
        response
    }
}
