//! Opaque GraphQL IDs: `base64url("Kind:123")`, so clients never build or parse them.
use async_graphql::ID;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::error::AppError;

/// The kinds of object that have IDs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Movie,
    Person,
    Genre,
    User,
    Rating,
    Event,
    Staff,
    ModelVersion,
    Collection,
    Placement,
    Rule,
    DeletionRequest,
    AuditEntry,
    Experiment,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Movie => "Movie",
            Kind::Person => "Person",
            Kind::Genre => "Genre",
            Kind::User => "User",
            Kind::Rating => "Rating",
            Kind::Event => "Event",
            Kind::Staff => "Staff",
            Kind::ModelVersion => "ModelVersion",
            Kind::Collection => "Collection",
            Kind::Placement => "Placement",
            Kind::Rule => "Rule",
            Kind::DeletionRequest => "DeletionRequest",
            Kind::AuditEntry => "AuditEntry",
            Kind::Experiment => "Experiment",
        }
    }
}

/// Encodes a database id as an opaque ID.
pub fn encode(kind: Kind, id: i64) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{}:{id}", kind.name())))
}

/// The kind and database id of an opaque ID of any kind, if it is one.
pub fn decode_any(id: &str) -> Option<(Kind, i32)> {
    let bytes = URL_SAFE_NO_PAD.decode(id.trim_end_matches('=')).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (k, n) = text.split_once(':')?;
    let kind = Kind::ALL.into_iter().find(|kind| kind.name() == k)?;
    Some((kind, n.parse::<i32>().ok().filter(|n| *n > 0)?))
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 14] = [
        Kind::Movie,
        Kind::Person,
        Kind::Genre,
        Kind::User,
        Kind::Rating,
        Kind::Event,
        Kind::Staff,
        Kind::ModelVersion,
        Kind::Collection,
        Kind::Placement,
        Kind::Rule,
        Kind::DeletionRequest,
        Kind::AuditEntry,
        Kind::Experiment,
    ];

    /// The kind's name as audit entries store target types: `DeletionRequest` →
    /// `deletion_request`.
    pub fn snake_name(self) -> String {
        let mut out = String::new();
        for (i, c) in self.name().chars().enumerate() {
            if c.is_ascii_uppercase() && i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        }
        out
    }
}

/// Decodes an opaque ID of the expected kind; anything else is BAD_USER_INPUT.
pub fn decode(kind: Kind, id: &ID) -> Result<i32, AppError> {
    decode_any(id.as_str())
        .filter(|(k, _)| *k == kind)
        .map(|(_, n)| n)
        .ok_or_else(|| AppError::bad_input(format!("malformed {} id", kind.name())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_opaque_id_decodes_to_its_kind_and_audit_name() {
        let id = encode(Kind::DeletionRequest, 2);
        let (kind, n) = decode_any(id.as_str()).unwrap();
        assert_eq!((kind, n), (Kind::DeletionRequest, 2));
        assert_eq!(kind.snake_name(), "deletion_request");
        assert_eq!(Kind::Movie.snake_name(), "movie");
        assert!(decode_any("2").is_none());
        assert!(decode_any(encode(Kind::Movie, 0).as_str()).is_none());
    }

    #[test]
    fn ids_round_trip_and_keep_their_kind() {
        let id = encode(Kind::Movie, 42);
        assert_eq!(decode(Kind::Movie, &id).unwrap(), 42);
        assert!(decode(Kind::User, &id).is_err());
    }

    #[test]
    fn malformed_ids_are_bad_input() {
        for raw in ["", "42", "!!!", "TW92aWU6", "TW92aWU6LTE"] {
            let e = decode(Kind::Movie, &ID(raw.into())).unwrap_err();
            assert_eq!(e.code().0, "BAD_USER_INPUT", "{raw}");
        }
    }
}
