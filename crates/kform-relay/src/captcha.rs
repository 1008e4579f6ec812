//! Captcha verification (Cloudflare Turnstile or hCaptcha) for forms that ask for one. Both
//! take the same form-encoded request and answer `{"success": true|false, …}`.

use std::net::IpAddr;

use serde::Deserialize;

use crate::config::Captcha;

#[derive(Deserialize)]
struct Verdict {
    success: bool,
    #[serde(default, rename = "error-codes")]
    error_codes: Vec<String>,
}

/// Whether the provider accepts `token` from `client`; `Err` says why not (for the log).
pub(crate) async fn verify(captcha: &Captcha, token: &str, client: IpAddr) -> Result<(), String> {
    let http = crate::outbound::client().ok_or("no HTTP client")?;
    let form = [
        ("secret", captcha.secret.expose().to_owned()),
        ("response", token.to_owned()),
        ("remoteip", client.to_string()),
    ];
    let response = http
        .post(&captcha.verify_url)
        .form(&form)
        .send()
        .await
        .map_err(|err| format!("the verifier could not be reached: {}", err.without_url()))?;
    let verdict: Verdict = response
        .json()
        .await
        .map_err(|err| format!("the verifier's answer: {}", err.without_url()))?;
    if verdict.success {
        Ok(())
    } else {
        Err(format!("refused: {}", verdict.error_codes.join(", ")))
    }
}
