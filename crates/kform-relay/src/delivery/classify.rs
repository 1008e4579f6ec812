//! What a failed kintone call means for the submissions in it: retried, paused, or refused for
//! good (the whole call, or some of its records). One table decides, tested with kintone's
//! error bodies in `classify_cases.json`; the facts behind it are in `docs/kintone.md` §4.

use std::collections::BTreeMap;

use kform_core::FieldCode;
use kform_kintone::KintoneError;

use crate::outbox::Attempt;

/// What kintone answered to a failed call.
#[derive(Clone, Debug)]
pub(super) struct Said {
    status: Option<u16>,
    /// kintone's error code, when it answered with one.
    pub(super) code: Option<String>,
    message: String,
}

impl Said {
    pub(super) fn of(err: &KintoneError) -> Self {
        match err {
            KintoneError::Api { status, body } => Self {
                status: Some(*status),
                code: Some(body.code.clone()),
                message: body.message.clone(),
            },
            KintoneError::Unexpected { status } => Self {
                status: Some(*status),
                code: None,
                message: format!("kintone answered {status} without an error body"),
            },
            other => Self { status: None, code: None, message: other.to_string() },
        }
    }

    pub(super) fn relay(message: &str) -> Self {
        Self { status: None, code: None, message: message.to_owned() }
    }

    pub(super) fn line(&self) -> String {
        match (&self.status, &self.code) {
            (Some(status), Some(code)) => format!("{status} {code}: {}", self.message),
            _ => self.message.clone(),
        }
    }

    pub(super) fn attempt(&self, at: crate::clock::UnixMillis, endpoint: &str) -> Attempt {
        Attempt {
            at,
            endpoint: endpoint.to_owned(),
            status: self.status,
            code: self.code.clone(),
            message: Some(self.message.clone()),
            record_id: None,
        }
    }
}

/// One of kintone's complaints about one record of a call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Refusal {
    /// The field it is about, if the path names one.
    pub(super) field: Option<FieldCode>,
    /// The path within the record, as kintone wrote it (`メール.value`).
    pub(super) path: String,
    /// kintone's message.
    pub(super) message: String,
}

/// What a failed kintone call means for the records in it.
pub(super) enum Failure {
    /// kintone refused these records (by index in the call), for good.
    Records(BTreeMap<usize, Vec<Refusal>>),
    /// kintone refused the call as a whole, for good.
    Request(Said),
    /// The credentials do not work: pause.
    Credentials(Said),
    /// Try again later.
    Retry(Said),
}

/// What `err` means for the call that got it.
pub(super) fn classify(err: &KintoneError) -> Failure {
    let said = Said::of(err);
    match err {
        KintoneError::Api { status, body } => match body.code.as_str() {
            "CB_WA01" | "CB_AU01" | "GAIA_IA02" | "GAIA_NO01" | "CB_NO02" | "GAIA_DA03" => {
                Failure::Credentials(said)
            }
            "GAIA_TO04" | "GAIA_DA02" => Failure::Retry(said),
            _ if *status == 401 => Failure::Credentials(said),
            _ if *status == 429 || *status >= 500 => Failure::Retry(said),
            "CB_VA01" => {
                let mut by_index: BTreeMap<usize, Vec<Refusal>> = BTreeMap::new();
                for (path, messages) in body.errors.iter().flatten() {
                    let Some((index, within)) = kform_core::kintone::record_of_path(path) else {
                        continue;
                    };
                    let field = kform_core::kintone::field_of_path(path);
                    for message in &messages.messages {
                        by_index.entry(index).or_default().push(Refusal {
                            field: field.clone(),
                            path: within.to_owned(),
                            message: message.clone(),
                        });
                    }
                }
                if by_index.is_empty() {
                    Failure::Request(said)
                } else {
                    Failure::Records(by_index)
                }
            }
            _ => Failure::Request(said),
        },
        KintoneError::Unexpected { status: 401 } => Failure::Credentials(said),
        KintoneError::Unexpected { status } if *status < 500 && *status != 429 => {
            Failure::Request(said)
        }
        _ => Failure::Retry(said),
    }
}

#[cfg(test)]
mod tests;
