//! Automatic persisted queries, Apollo's protocol: a client sends only the SHA-256 of its query
//! in `extensions.persistedQuery` (`{"version": 1, "sha256Hash": "…"}`), often as a GET a CDN
//! can cache; an unknown hash is answered `PERSISTED_QUERY_NOT_FOUND` and the client sends the
//! query once with its hash, which is checked and remembered.
//!
//! Resolved here, before the request's size and cost are measured, so a persisted query meets
//! the same limits as any other. Queries are kept per process in a bounded LRU
//! (`graphql.persisted_queries` entries of at most [`MAX_PERSISTED_BYTES`]); a replica that does
//! not know a hash asks for the query, as the protocol expects.
use std::sync::{Arc, Mutex};

use async_graphql::{Request, Value};
use sha2::{Digest, Sha256};

use crate::app::lru::Lru;

/// The longest query remembered: longer ones run but are not kept, so the cache's memory stays
/// bounded (`capacity × MAX_PERSISTED_BYTES`).
pub const MAX_PERSISTED_BYTES: usize = 16 * 1024;

/// The error code of an unknown hash (Apollo's clients look for it).
pub const NOT_FOUND: &str = "PERSISTED_QUERY_NOT_FOUND";

/// Why a persisted query could not be used: its code and message.
#[derive(Debug, PartialEq, Eq)]
pub struct Refused(pub &'static str, pub String);

/// Queries by their SHA-256.
pub struct PersistedQueries {
    cache: Mutex<Lru<[u8; 32], Arc<str>>>,
}

fn parse_hash(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

fn bad(message: &str) -> Refused {
    Refused("BAD_USER_INPUT", message.into())
}

impl PersistedQueries {
    /// A cache of at most `capacity` queries.
    pub fn new(capacity: usize) -> Self {
        Self {
            cache: Mutex::new(Lru::new(capacity)),
        }
    }

    /// Fills in `r.query` from its `persistedQuery` extension (which it removes), or remembers
    /// the query sent with its hash. A request without the extension is left as it is.
    pub fn resolve(&self, r: &mut Request) -> Result<(), Refused> {
        let Some(ext) = r.extensions.remove("persistedQuery") else {
            return Ok(());
        };
        let Value::Object(ext) = ext else {
            return Err(bad("extensions.persistedQuery must be an object"));
        };
        let version = ext.get("version").and_then(|v| match v {
            Value::Number(n) => n.as_i64(),
            _ => None,
        });
        if version != Some(1) {
            return Err(bad(
                "only version 1 of extensions.persistedQuery is supported",
            ));
        }
        let hash = match ext.get("sha256Hash") {
            Some(Value::String(s)) => parse_hash(&s.to_ascii_lowercase()),
            _ => None,
        }
        .ok_or_else(|| bad("extensions.persistedQuery.sha256Hash must be 64 hexadecimal digits"))?;
        if r.query.is_empty() {
            let known = self
                .cache
                .lock()
                .ok()
                .and_then(|mut c| c.get_mut(&hash).cloned());
            return match known {
                Some(q) => {
                    r.query = q.to_string();
                    Ok(())
                }
                None => Err(Refused(NOT_FOUND, "PersistedQueryNotFound".into())),
            };
        }
        let actual: [u8; 32] = Sha256::digest(r.query.as_bytes()).into();
        if actual != hash {
            return Err(bad(
                "extensions.persistedQuery.sha256Hash is not the query's SHA-256",
            ));
        }
        if r.query.len() <= MAX_PERSISTED_BYTES {
            if let Ok(mut c) = self.cache.lock() {
                c.insert(hash, Arc::from(r.query.as_str()));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_hash(query: &str, hash: &str) -> Request {
        let mut r = Request::new(query);
        let ext: Value =
            serde_json::from_value(serde_json::json!({ "version": 1, "sha256Hash": hash }))
                .unwrap();
        r.extensions.insert("persistedQuery".into(), ext);
        r
    }

    fn sha(q: &str) -> String {
        Sha256::digest(q.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    #[test]
    fn an_unknown_hash_is_asked_for_then_remembered() {
        let pq = PersistedQueries::new(10);
        let q = "{ __typename }";
        let mut r = with_hash("", &sha(q));
        assert_eq!(pq.resolve(&mut r).unwrap_err().0, NOT_FOUND);
        let mut r = with_hash(q, &sha(q));
        pq.resolve(&mut r).unwrap();
        let mut r = with_hash("", &sha(q).to_uppercase());
        pq.resolve(&mut r).unwrap();
        assert_eq!(r.query, q);
        assert!(r.extensions.get("persistedQuery").is_none());
    }

    #[test]
    fn a_wrong_hash_or_version_is_refused_and_nothing_is_kept() {
        let pq = PersistedQueries::new(10);
        let mut r = with_hash("{ a }", &sha("{ b }"));
        assert_eq!(pq.resolve(&mut r).unwrap_err().0, "BAD_USER_INPUT");
        let mut r = with_hash("", &sha("{ b }"));
        assert_eq!(pq.resolve(&mut r).unwrap_err().0, NOT_FOUND);
        let mut r = with_hash("{ a }", "zz");
        assert_eq!(pq.resolve(&mut r).unwrap_err().0, "BAD_USER_INPUT");
        let mut r = Request::new("{ a }");
        r.extensions.insert(
            "persistedQuery".into(),
            serde_json::from_value(serde_json::json!({ "version": 2, "sha256Hash": sha("{ a }") }))
                .unwrap(),
        );
        assert_eq!(pq.resolve(&mut r).unwrap_err().0, "BAD_USER_INPUT");
    }

    #[test]
    fn long_queries_run_but_are_not_kept() {
        let pq = PersistedQueries::new(10);
        let q = format!("{{ __typename }}#{}", "x".repeat(MAX_PERSISTED_BYTES));
        pq.resolve(&mut with_hash(&q, &sha(&q))).unwrap();
        let mut r = with_hash("", &sha(&q));
        assert_eq!(pq.resolve(&mut r).unwrap_err().0, NOT_FOUND);
    }
}
