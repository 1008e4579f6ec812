//! Form markup compressed once at brotli's best quality. A form's markup
//! (`GET /v1/forms/{id}/html`) is the same for every visitor until the form, its app's fields or
//! the relay change (its ETag says which), so the relay compresses each version once, off the
//! request path, and serves those bytes to every later visitor whose browser takes brotli. The
//! first visitor of a version gets it compressed per request at the relay's usual quality
//! (`routes::compression`). For the 30-field bench form: 2,974 bytes at quality 5, 2,663 at 11.

use std::collections::VecDeque;
use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;

/// How many versions are kept: every form in every language, with room for a new version of
/// each beside the old while visitors still hold it.
const KEPT: usize = 128;

/// The compressed versions by ETag, the newest last.
#[derive(Default)]
pub(crate) struct Precompressed {
    entries: Mutex<VecDeque<(String, Bytes)>>,
}

impl Precompressed {
    /// The brotli of the markup with `etag`; when it is not kept yet, `body` is compressed in the
    /// background, for the next request, and this one gets `None`.
    pub(crate) fn brotli(self: &Arc<Self>, etag: &str, body: &[u8]) -> Option<Bytes> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, bytes)) = entries.iter().find(|(kept, _)| kept == etag) {
            return Some(bytes.clone());
        }
        drop(entries);
        let (this, etag, body) = (Arc::clone(self), etag.to_owned(), body.to_vec());
        tokio::task::spawn_blocking(move || {
            let Some(compressed) = brotli(&body) else { return };
            let mut entries = this.entries.lock().unwrap_or_else(PoisonError::into_inner);
            if entries.iter().any(|(kept, _)| *kept == etag) {
                return;
            }
            while entries.len() >= KEPT {
                entries.pop_front();
            }
            entries.push_back((etag, Bytes::from(compressed)));
        });
        None
    }
}

/// `bytes` compressed with brotli at quality 11 (the bundle's own files are compressed so too).
fn brotli(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len() / 4);
    {
        let mut writer = brotli::CompressorWriter::new(&mut out, 4096, 11, 22);
        writer.write_all(bytes).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_version_is_compressed_once_then_served_and_the_oldest_leave() {
        let cache = Arc::new(Precompressed::default());
        let body = "<div class=\"kform\">".repeat(200);
        assert_eq!(cache.brotli("\"a\"", body.as_bytes()), None, "the first request compresses");
        let kept = loop {
            if let Some(kept) = cache.brotli("\"a\"", body.as_bytes()) {
                break kept;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        };
        let mut decoded = Vec::new();
        brotli::BrotliDecompress(&mut kept.as_ref(), &mut decoded).unwrap();
        assert_eq!(decoded, body.as_bytes());
        assert!(kept.len() < body.len() / 20);
        for index in 0..KEPT {
            cache.entries.lock().unwrap().push_back((format!("\"{index}\""), Bytes::new()));
        }
        cache.brotli("\"new\"", b"x");
        while cache.entries.lock().unwrap().back().is_some_and(|(etag, _)| etag != "\"new\"") {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let entries = cache.entries.lock().unwrap();
        assert_eq!(entries.len(), KEPT);
        assert!(!entries.iter().any(|(etag, _)| etag == "\"a\""), "the oldest left");
    }
}
