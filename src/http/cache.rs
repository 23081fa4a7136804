//! HTTP validators shared by the console's files and GraphQL's GET answers.
use actix_web::http::header::HeaderValue;
use sha2::{Digest, Sha256};

/// A strong `ETag` from a SHA-256 digest: its first 16 bytes in hex, quoted.
pub fn etag_from_digest(digest: &[u8; 32]) -> String {
    let mut s = String::with_capacity(34);
    s.push('"');
    for b in &digest[..16] {
        s.push_str(&format!("{b:02x}"));
    }
    s.push('"');
    s
}

/// The strong `ETag` of a body.
pub fn etag_of(body: &[u8]) -> String {
    etag_from_digest(&Sha256::digest(body).into())
}

/// Whether an `If-None-Match` header names `tag` (or is `*`).
pub fn matches(if_none_match: Option<&HeaderValue>, tag: &str) -> bool {
    let Some(v) = if_none_match.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    v.split(',')
        .map(str::trim)
        .any(|t| t == "*" || t == tag || t.strip_prefix("W/").is_some_and(|weak| weak == tag))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_takes_lists_weak_tags_and_star() {
        let tag = "\"ab\"";
        let h = |s: &'static str| HeaderValue::from_static(s);
        assert!(matches(Some(&h("\"ab\"")), tag));
        assert!(matches(Some(&h("\"x\", W/\"ab\"")), tag));
        assert!(matches(Some(&h("*")), tag));
        assert!(!matches(Some(&h("\"abc\"")), tag));
        assert!(!matches(None, tag));
    }

    #[test]
    fn an_etag_is_the_quoted_start_of_the_digest() {
        let t = etag_of(b"");
        assert_eq!(t, "\"e3b0c44298fc1c149afbf4c8996fb924\"");
    }
}
