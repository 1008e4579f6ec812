//! Form markup compressed once at brotli's best quality. A form's markup
//! (`GET /v1/forms/{id}/html`) is the same for every visitor until the form, its app's fields or
//! the relay change (its ETag says which), so the relay compresses each version once, off the
//! request path, and serves those bytes to every later visitor whose browser takes brotli. The
//! visitors of a version before that get it compressed per request at the relay's usual quality
//! (`routes::compression`). For the 30-field bench form: 2,946 bytes at quality 5, 2,674 at 11.

use std::collections::VecDeque;
use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;

/// How many versions are kept: every form in every language, with room for a new version of
/// each beside the old while visitors still hold it.
const KEPT: usize = 128;

/// The versions by ETag, the newest last: compressed, or `None` while being compressed.
#[derive(Default)]
pub(crate) struct Precompressed {
    entries: Mutex<VecDeque<(String, Option<Bytes>)>>,
}

impl Precompressed {
    /// The brotli of the markup with `etag`, once it is ready. The first request for a version
    /// starts compressing `body` in the background, once; until it is done, `None`.
    pub(crate) fn brotli(self: &Arc<Self>, etag: &str, body: &[u8]) -> Option<Bytes> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, bytes)) = entries.iter().find(|(kept, _)| kept == etag) {
            return bytes.clone();
        }
        while entries.len() >= KEPT {
            entries.pop_front();
        }
        entries.push_back((etag.to_owned(), None));
        drop(entries);
        let (this, etag, body) = (Arc::clone(self), etag.to_owned(), body.to_vec());
        tokio::task::spawn_blocking(move || {
            let compressed = brotli(&body).map(Bytes::from);
            let mut entries = this.entries.lock().unwrap_or_else(PoisonError::into_inner);
            let place = entries.iter().position(|(kept, _)| *kept == etag);
            match (place, compressed) {
                (Some(place), Some(compressed)) => entries[place].1 = Some(compressed),
                // It could not be compressed: the next request tries again.
                (Some(place), None) => drop(entries.remove(place)),
                (None, _) => {}
            }
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

    /// Asks for `etag` until its compressed bytes are ready (or fails after 10 s).
    async fn ready(cache: &Arc<Precompressed>, etag: &str, body: &[u8]) -> Bytes {
        for _ in 0..2_000 {
            if let Some(bytes) = cache.brotli(etag, body) {
                return bytes;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        panic!("{etag} was never compressed");
    }

    #[tokio::test]
    async fn a_version_is_compressed_once_then_served_and_the_oldest_leave() {
        let cache = Arc::new(Precompressed::default());
        let body = "<div class=\"kform\">".repeat(200);
        assert_eq!(cache.brotli("\"a\"", body.as_bytes()), None, "the first request compresses");
        assert_eq!(cache.brotli("\"a\"", body.as_bytes()), None, "once, in the background");
        assert_eq!(cache.entries.lock().unwrap().len(), 1);
        let kept = ready(&cache, "\"a\"", body.as_bytes()).await;
        let mut decoded = Vec::new();
        brotli::BrotliDecompress(&mut kept.as_ref(), &mut decoded).unwrap();
        assert_eq!(decoded, body.as_bytes());
        assert!(kept.len() < body.len() / 20);
        for index in 1..KEPT {
            cache.entries.lock().unwrap().push_back((format!("\"{index}\""), Some(Bytes::new())));
        }
        ready(&cache, "\"new\"", b"x").await;
        let entries = cache.entries.lock().unwrap();
        assert_eq!(entries.len(), KEPT);
        assert!(!entries.iter().any(|(etag, _)| etag == "\"a\""), "the oldest left");
    }
}
