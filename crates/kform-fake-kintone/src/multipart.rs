//! Just enough `multipart/form-data` for `POST file.json`: the part named `file`, with its
//! file name and content type (`docs/kintone.md` §3.7).

use crate::store::StoredFile;

/// The `file` part of a multipart body, or `None` when there is none.
pub(crate) fn file_part(content_type: &str, body: &[u8]) -> Option<StoredFile> {
    let boundary = content_type
        .split(';')
        .map(str::trim)
        .find_map(|param| param.strip_prefix("boundary="))?
        .trim_matches('"');
    let delimiter = format!("--{boundary}");
    let mut rest = body;
    loop {
        let start = find(rest, delimiter.as_bytes())? + delimiter.len();
        rest = &rest[start..];
        if rest.starts_with(b"--") {
            return None;
        }
        let rest_after_crlf = rest.strip_prefix(b"\r\n").unwrap_or(rest);
        let headers_end = find(rest_after_crlf, b"\r\n\r\n")?;
        let headers = String::from_utf8_lossy(&rest_after_crlf[..headers_end]).into_owned();
        let content = &rest_after_crlf[headers_end + 4..];
        let end = find(content, format!("\r\n{delimiter}").as_bytes())?;
        let disposition = header(&headers, "content-disposition").unwrap_or_default();
        if param(&disposition, "name").as_deref() == Some("file") {
            return Some(StoredFile {
                name: param(&disposition, "filename").unwrap_or_default(),
                content_type: header(&headers, "content-type")
                    .unwrap_or_else(|| "application/octet-stream".to_owned()),
                bytes: content[..end].to_vec(),
            });
        }
        rest = &content[end..];
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

fn header(headers: &str, name: &str) -> Option<String> {
    headers.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim().eq_ignore_ascii_case(name).then(|| value.trim().to_owned())
    })
}

/// A `name="value"` parameter of a header value (`filename*=UTF-8''…` is decoded too).
fn param(value: &str, name: &str) -> Option<String> {
    let mut plain = None;
    for part in value.split(';').map(str::trim) {
        if let Some(encoded) = part.strip_prefix(&format!("{name}*=")) {
            let encoded = encoded.split_once("''").map_or(encoded, |(_, rest)| rest);
            return Some(percent_decode(encoded));
        }
        if let Some(quoted) = part.strip_prefix(&format!("{name}=")) {
            plain = Some(quoted.trim_matches('"').to_owned());
        }
    }
    plain
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let hex = bytes.get(index + 1..index + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[index], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                index += 3;
            }
            (byte, _) => {
                out.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_the_file_part() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a b.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\nworld\r\n--XyZ--\r\n";
        let file = super::file_part("multipart/form-data; boundary=XyZ", body).unwrap();
        assert_eq!(file.name, "a b.txt");
        assert_eq!(file.content_type, "text/plain");
        assert_eq!(file.bytes, b"hello\r\nworld");
        assert!(super::file_part("multipart/form-data; boundary=XyZ", b"--XyZ--").is_none());
        assert!(super::file_part("application/json", body).is_none());
    }
}
