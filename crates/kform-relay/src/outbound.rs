//! The HTTP client for calls that are not to kintone: captcha verification and webhooks.
//! (kintone calls go through `kform-kintone`, which builds its own clients.)

use std::sync::OnceLock;
use std::time::Duration;

/// The shared client: 10-second timeout, no proxy from the environment.
pub(crate) fn client() -> Option<&'static reqwest::Client> {
    static CLIENT: OnceLock<Option<reqwest::Client>> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            #[expect(
                clippy::disallowed_methods,
                reason = "captcha verifiers and webhooks are not kintone"
            )]
            let builder = reqwest::Client::builder();
            builder
                .timeout(Duration::from_secs(10))
                .user_agent(concat!("kform/", env!("CARGO_PKG_VERSION")))
                .no_proxy()
                .build()
                .ok()
        })
        .as_ref()
}
