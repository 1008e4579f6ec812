//! The widget bundle served under `/widget/`: read once (from a folder, or built into the
//! binary by `cargo xtask dist`), with a content version and an SRI manifest.
//!
//! `/widget/kform.js` is the stable address for embed snippets and is cached briefly;
//! `/widget/<version>/…` never changes, so it is cached for a year (`immutable`). The manifest
//! `/widget/sri.json` gives each file's versioned URL and `sha384-…` integrity.
//!
//! `cargo xtask build-widget` writes each file's brotli (`.br`) and gzip (`.gz`) encodings
//! beside it; they are served to browsers that accept them, so a visitor downloads the
//! compressed bundle without the relay compressing on every request.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256, Sha384};

/// The files a page may load.
const SERVED: [&str; 3] = ["js", "wasm", "css"];

/// The content codings the bundle may be stored in besides the file itself, in the order the
/// relay prefers them, with the file-name suffix each is stored under.
pub(crate) const CODINGS: [(&str, &str); 2] = [("br", ".br"), ("gzip", ".gz")];

/// One file of the bundle.
#[derive(Clone, Debug)]
pub(crate) struct Asset {
    pub(crate) bytes: bytes::Bytes,
    /// The same bytes in each of `CODINGS` there was a file for (`None` where there was not).
    pub(crate) encoded: [Option<bytes::Bytes>; 2],
    pub(crate) content_type: &'static str,
    /// Subresource integrity of the decoded bytes (what SRI checks), for host pages.
    pub(crate) integrity: String,
    /// The integrity `kform.js` pins the file with when it loads it (sha256, as
    /// `cargo xtask build-widget` writes it into `kform.js`): a preload of the file carries the
    /// same, so that it is the very request `kform.js` makes.
    pub(crate) pinned: String,
}

impl Asset {
    /// The coding to answer a request with `Accept-Encoding: accept`, and its bytes; the
    /// coding is `None` for the file itself.
    pub(crate) fn negotiate(&self, accept: &str) -> (Option<&'static str>, &bytes::Bytes) {
        CODINGS
            .iter()
            .zip(&self.encoded)
            .find_map(|((coding, _), bytes)| {
                Some((Some(*coding), bytes.as_ref().filter(|_| accepts(accept, coding))?))
            })
            .unwrap_or((None, &self.bytes))
    }
}

/// Whether an `Accept-Encoding` value accepts `coding` (by name or `*`, with a q-value above 0).
pub(crate) fn accepts(accept: &str, coding: &str) -> bool {
    accept.split(',').any(|entry| {
        let mut parts = entry.split(';').map(str::trim);
        let name = parts.next().unwrap_or_default();
        let refused = parts.any(|param| {
            param.strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()).is_some_and(|q| q <= 0.0)
        });
        (name.eq_ignore_ascii_case(coding) || name == "*") && !refused
    })
}

/// The bundle in memory.
#[derive(Clone, Debug)]
pub(crate) struct Widget {
    pub(crate) version: String,
    pub(crate) files: BTreeMap<String, Asset>,
}

include!(concat!(env!("OUT_DIR"), "/embedded_widget.rs"));

impl Widget {
    /// Reads the bundle in `dir` (e.g. `pkg/`).
    pub(crate) fn from_dir(dir: &Path) -> std::io::Result<Self> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.file_type()?.is_file() {
                files.push((name, std::fs::read(entry.path())?));
            }
        }
        Ok(Self::from_files(files))
    }

    /// The bundle built into the binary, if it was built with one.
    pub(crate) fn built_in() -> Option<Self> {
        let files: Vec<(String, Vec<u8>)> =
            EMBEDDED.iter().map(|(name, bytes)| ((*name).to_owned(), bytes.to_vec())).collect();
        (!files.is_empty()).then(|| Self::from_files(files))
    }

    fn from_files(files: Vec<(String, Vec<u8>)>) -> Self {
        let mut files: BTreeMap<String, Vec<u8>> = files.into_iter().collect();
        let mut version = Sha256::new();
        let mut assets = BTreeMap::new();
        for (name, bytes) in &files {
            let Some(content_type) = content_type(name) else { continue };
            version.update(name.as_bytes());
            version.update(bytes);
            let integrity = format!("sha384-{}", STANDARD.encode(Sha384::digest(bytes)));
            let pinned = format!("sha256-{}", STANDARD.encode(Sha256::digest(bytes)));
            let asset = Asset {
                bytes: bytes.clone().into(),
                encoded: [None, None],
                content_type,
                integrity,
                pinned,
            };
            assets.insert(name.clone(), asset);
        }
        for (name, asset) in &mut assets {
            for ((_, suffix), slot) in CODINGS.iter().zip(&mut asset.encoded) {
                *slot = files.remove(&format!("{name}{suffix}")).map(bytes::Bytes::from);
            }
        }
        let digest = version.finalize();
        let version: String = digest.iter().take(6).map(|byte| format!("{byte:02x}")).collect();
        Self { version, files: assets }
    }

    /// `/widget/sri.json`: every file's versioned URL path and integrity.
    pub(crate) fn manifest(&self) -> serde_json::Value {
        let files: serde_json::Map<String, serde_json::Value> = self
            .files
            .iter()
            .map(|(name, asset)| {
                let entry = serde_json::json!({
                    "path": format!("/widget/{}/{name}", self.version),
                    "integrity": asset.integrity,
                });
                (name.clone(), entry)
            })
            .collect();
        serde_json::json!({ "version": self.version, "files": files })
    }
}

fn content_type(name: &str) -> Option<&'static str> {
    let extension = name.rsplit_once('.')?.1;
    if !SERVED.contains(&extension) {
        return None;
    }
    Some(match extension {
        "js" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        _ => "text/css; charset=utf-8",
    })
}
