//! Injectable faults for reliability tests: by method and path pattern, for a number of
//! matching requests (or until cleared), the fake answers as kintone does when it is down,
//! overloaded or locked, or it stalls, or it cuts the connection.

use serde::{Deserialize, Serialize};

/// One fault rule, as posted to `POST /_fake/faults`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Fault {
    /// The path pattern, `*` matching any run of characters: `/k/v1/record.json`,
    /// `*/records.json`, `*`.
    #[serde(default = "any_path")]
    pub path: String,
    /// Only this method (`GET`, `POST`, `PUT`, `DELETE`); every method when absent. The method
    /// is the one the API runs (after `X-HTTP-Method-Override`).
    #[serde(default)]
    pub method: Option<String>,
    /// What happens.
    pub kind: FaultKind,
    /// How many matching requests it applies to; every one until cleared when absent.
    #[serde(default)]
    pub count: Option<u32>,
    /// For `latency`: the added delay in milliseconds.
    #[serde(default)]
    pub millis: Option<u64>,
}

fn any_path() -> String {
    "*".to_owned()
}

/// What a fault does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// 503 with an HTML body, as kintone answers during maintenance.
    Maintenance,
    /// 500 with a non-JSON body.
    ServerError,
    /// 429 `GAIA_TO04`, as when the concurrency limit is exceeded.
    TooManyRequests,
    /// 400 `GAIA_DA02`: the database lock failed.
    Lock,
    /// Answers normally after `millis` milliseconds.
    Latency,
    /// Never answers.
    Hang,
    /// Cuts the connection before doing anything.
    Reset,
    /// Does the call (a write is committed) and then cuts the connection instead of answering.
    DropResponse,
}

impl Fault {
    /// `kind` on every request, until the rules are cleared.
    pub fn new(kind: FaultKind) -> Self {
        Self { path: any_path(), method: None, kind, count: None, millis: None }
    }

    /// Only for requests running `method` (`"*"`: any) on a path matching `path`.
    pub fn on(self, method: &str, path: &str) -> Self {
        let method = (method != "*").then(|| method.to_owned());
        Self { path: path.to_owned(), method, ..self }
    }

    /// Only for the next `count` matching requests.
    pub fn times(self, count: u32) -> Self {
        Self { count: Some(count), ..self }
    }

    /// Whether the rule applies to a request.
    pub(crate) fn matches(&self, method: &str, path: &str) -> bool {
        self.method.as_deref().is_none_or(|m| m.eq_ignore_ascii_case(method))
            && glob(&self.path, path)
    }
}

/// `*` matches any run of characters; everything else matches itself.
fn glob(pattern: &str, text: &str) -> bool {
    let Some((head, tail)) = pattern.split_once('*') else { return pattern == text };
    let Some(mut rest) = text.strip_prefix(head) else { return false };
    if tail.is_empty() {
        return true;
    }
    loop {
        if glob(tail, rest) {
            return true;
        }
        let mut chars = rest.chars();
        if chars.next().is_none() {
            return false;
        }
        rest = chars.as_str();
    }
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn globs_match_paths() {
        assert!(glob("*", "/k/v1/record.json"));
        assert!(glob("*/record.json", "/k/guest/3/v1/record.json"));
        assert!(glob("/k/v1/record*.json", "/k/v1/records.json"));
        assert!(!glob("/k/v1/record.json", "/k/v1/records.json"));
        assert!(!glob("*/record.json", "/k/v1/records.json"));
    }
}
