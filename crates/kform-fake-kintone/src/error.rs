//! kintone's error answers: the `{id, code, message, errors}` envelope, in Japanese or English.

use std::collections::BTreeMap;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rand::Rng;
use rand::distr::Alphanumeric;
use serde_json::json;

/// The language of messages, chosen by `Accept-Language` (Japanese unless English is preferred).
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

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
        Ok(header.map_or(Self::Ja, from_accept_language))
    }
}

/// The first of `ja`/`en` by preference; Japanese, the fake's configured default, otherwise.
fn from_accept_language(header: &str) -> Lang {
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
    best.map_or(Lang::Ja, |(_, lang)| lang)
}

/// One kintone error answer.
#[derive(Debug)]
pub(crate) struct KintoneError {
    status: StatusCode,
    code: &'static str,
    message: String,
    errors: Option<BTreeMap<String, Vec<String>>>,
}

impl KintoneError {
    fn new(status: StatusCode, code: &'static str, message: String) -> Self {
        Self { status, code, message, errors: None }
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

    /// 400 with another code and message (query errors).
    pub(crate) fn bad_request(code: &'static str, message: String) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
}

impl IntoResponse for KintoneError {
    fn into_response(self) -> Response {
        let id: String = rand::rng().sample_iter(&Alphanumeric).take(20).map(char::from).collect();
        let mut body = json!({ "id": id, "code": self.code, "message": self.message });
        if let Some(errors) = self.errors {
            let errors: serde_json::Map<String, serde_json::Value> = errors
                .into_iter()
                .map(|(path, messages)| (path, json!({ "messages": messages })))
                .collect();
            body["errors"] = serde_json::Value::Object(errors);
        }
        let mut response = (self.status, body.to_string()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json;charset=utf-8"),
        );
        response
    }
}
