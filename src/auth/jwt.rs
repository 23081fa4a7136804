//! JSON Web Tokens: issue staff tokens (HS256), verify staff and end-user tokens.
//!
//! End-user tokens are signed with the configured HS256 secret, or — when a public key is
//! configured — with RS256/ES256 by an external identity provider. Algorithms are pinned per key,
//! so `alg: none` and HS/RS confusion are refused. `exp`, `iss` and `aud` are always checked.
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{
    decode, decode_header, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation,
};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use super::{AuthError, Role};
use crate::config::AuthSettings;

/// The claims Marquee reads and writes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// End users: their external id. Staff: `staff:{id}`.
    pub sub: String,
    pub exp: i64,
    #[serde(default)]
    pub iat: i64,
    pub iss: String,
    pub aud: String,
    /// Not valid before (seconds since the epoch), when the issuer sets it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// Staff role; only honoured on tokens signed with Marquee's own secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Staff: the account's token version when the token was issued; a password reset, role
    /// change or disabling bumps the account's, and older tokens stop working at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ver: Option<i32>,
}

/// A verified token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verified {
    /// An end user, by external id, with when the token was issued (`iat`; 0 when absent).
    User { external_id: String, issued_at: i64 },
    /// A staff member, by staff id, with the role and account token version the token carries.
    Staff { id: i32, role: Role, version: i32 },
}

/// The keys and checks for tokens, built once from the settings.
#[derive(Clone)]
pub struct JwtKeys {
    hs_encoding: EncodingKey,
    hs_decoding: DecodingKey,
    user_key: Option<(DecodingKey, Algorithm)>,
    issuer: String,
    audience: String,
    staff_ttl: Duration,
    /// HS256 end-user tokens are accepted although an identity-provider key is configured.
    allow_hs256_users: bool,
}

const STAFF_PREFIX: &str = "staff:";

impl JwtKeys {
    /// Builds the keys; fails on an unreadable public key.
    pub fn from_settings(s: &AuthSettings) -> Result<Self, AuthError> {
        let secret = s.jwt_secret.expose_secret().as_bytes();
        let user_key = if s.user_public_key_pem.trim().is_empty() {
            None
        } else {
            let pem = s.user_public_key_pem.as_bytes();
            Some(match s.user_key_algorithm.as_str() {
                "ES256" => (DecodingKey::from_ec_pem(pem)?, Algorithm::ES256),
                _ => (DecodingKey::from_rsa_pem(pem)?, Algorithm::RS256),
            })
        };
        Ok(Self {
            hs_encoding: EncodingKey::from_secret(secret),
            hs_decoding: DecodingKey::from_secret(secret),
            user_key,
            issuer: s.issuer.clone(),
            audience: s.audience.clone(),
            staff_ttl: Duration::minutes(s.staff_token_ttl_minutes),
            allow_hs256_users: s.allow_hs256_user_tokens,
        })
    }

    fn validation(&self, alg: Algorithm) -> Validation {
        let mut v = Validation::new(alg);
        v.set_issuer(&[&self.issuer]);
        v.set_audience(&[&self.audience]);
        v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // `exp` and `nbf` are checked with 30 s of leeway for clocks that drift.
        v.validate_nbf = true;
        v.leeway = 30;
        v
    }

    fn sign(
        &self,
        sub: String,
        role: Option<(Role, i32)>,
        ttl: Duration,
    ) -> Result<(String, DateTime<Utc>), AuthError> {
        let now = Utc::now();
        let exp = now + ttl;
        let claims = Claims {
            sub,
            exp: exp.timestamp(),
            iat: now.timestamp(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            nbf: None,
            role: role.map(|(r, _)| r.as_str().to_owned()),
            ver: role.map(|(_, v)| v),
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.hs_encoding)?;
        Ok((token, exp))
    }

    /// Issues a staff token for the configured lifetime, bound to the account's token version.
    pub fn issue_staff(
        &self,
        staff_id: i32,
        role: Role,
        version: i32,
    ) -> Result<(String, DateTime<Utc>), AuthError> {
        self.sign(
            format!("{STAFF_PREFIX}{staff_id}"),
            Some((role, version)),
            self.staff_ttl,
        )
    }

    /// Issues an end-user token (for trying the API and for tests).
    pub fn issue_user(
        &self,
        external_id: &str,
        ttl: Duration,
    ) -> Result<(String, DateTime<Utc>), AuthError> {
        if external_id.starts_with(STAFF_PREFIX) {
            return Err(AuthError::Refused(
                "external ids may not start with \"staff:\"",
            ));
        }
        self.sign(external_id.to_owned(), None, ttl)
    }

    /// Verifies a bearer token and says whose it is.
    pub fn verify(&self, token: &str) -> Result<Verified, AuthError> {
        let header = decode_header(token)?;
        match header.alg {
            Algorithm::HS256 => {
                let data =
                    decode::<Claims>(token, &self.hs_decoding, &self.validation(Algorithm::HS256))?;
                let c = data.claims;
                if let Some(id) = c.sub.strip_prefix(STAFF_PREFIX) {
                    let id: i32 = id
                        .parse()
                        .map_err(|_| AuthError::Refused("malformed staff subject"))?;
                    let role = c
                        .role
                        .as_deref()
                        .and_then(Role::parse)
                        .ok_or(AuthError::Refused("staff token without a valid role"))?;
                    Ok(Verified::Staff {
                        id,
                        role,
                        version: c.ver.unwrap_or(0),
                    })
                } else if self.user_key.is_some() && !self.allow_hs256_users {
                    // End users are the identity provider's to sign once its key is set.
                    Err(AuthError::Refused(
                        "end-user tokens must be signed with the identity provider's key",
                    ))
                } else {
                    user_subject(c.sub, c.iat)
                }
            }
            alg => match &self.user_key {
                Some((key, expected)) if *expected == alg => {
                    let data = decode::<Claims>(token, key, &self.validation(alg))?;
                    // Tokens from the identity provider never carry staff rights.
                    if data.claims.sub.starts_with(STAFF_PREFIX) {
                        return Err(AuthError::Refused("staff subject on an end-user key"));
                    }
                    user_subject(data.claims.sub, data.claims.iat)
                }
                _ => Err(AuthError::Refused("algorithm not accepted")),
            },
        }
    }
}

fn user_subject(sub: String, issued_at: i64) -> Result<Verified, AuthError> {
    let sub = sub.trim().to_owned();
    if sub.is_empty() || sub.len() > 200 {
        return Err(AuthError::Refused("subject must be 1 to 200 characters"));
    }
    Ok(Verified::User {
        external_id: sub,
        issued_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn keys(secret: &str) -> JwtKeys {
        let mut s = crate::config::Settings::load_for("test", false)
            .unwrap()
            .auth;
        s.jwt_secret = secret.to_owned().into();
        JwtKeys::from_settings(&s).unwrap()
    }

    const SECRET: &str = "unit-test-secret-unit-test-secret-0123";

    #[test]
    fn user_and_staff_tokens_round_trip() {
        let k = keys(SECRET);
        let (t, _) = k.issue_user("42", Duration::hours(1)).unwrap();
        assert!(
            matches!(k.verify(&t).unwrap(), Verified::User { external_id, issued_at } if external_id == "42" && issued_at > 0)
        );
        let (t, _) = k.issue_staff(7, Role::Editor, 3).unwrap();
        assert_eq!(
            k.verify(&t).unwrap(),
            Verified::Staff {
                id: 7,
                role: Role::Editor,
                version: 3,
            }
        );
    }

    #[test]
    fn expired_tokens_are_refused() {
        let k = keys(SECRET);
        let (t, _) = k.issue_user("42", Duration::hours(-2)).unwrap();
        assert!(k.verify(&t).is_err());
    }

    #[test]
    fn tokens_signed_with_another_key_are_refused() {
        let (t, _) = keys("another-secret-another-secret-0123456")
            .issue_user("42", Duration::hours(1))
            .unwrap();
        assert!(keys(SECRET).verify(&t).is_err());
    }

    #[test]
    fn alg_none_is_refused() {
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header = b64.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let exp = Utc::now().timestamp() + 3600;
        let body = b64.encode(format!(
            r#"{{"sub":"42","exp":{exp},"iss":"marquee","aud":"marquee"}}"#
        ));
        assert!(keys(SECRET).verify(&format!("{header}.{body}.")).is_err());
    }

    fn hs256(claims: &Claims) -> String {
        encode(
            &Header::new(Algorithm::HS256),
            claims,
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap()
    }

    #[test]
    fn tokens_not_yet_valid_are_refused_beyond_the_leeway() {
        let k = keys(SECRET);
        let now = Utc::now().timestamp();
        let mut c = Claims {
            sub: "42".into(),
            exp: now + 3600,
            iat: now,
            iss: "marquee".into(),
            aud: "marquee".into(),
            nbf: Some(now + 600),
            role: None,
            ver: None,
        };
        assert!(k.verify(&hs256(&c)).is_err());
        c.nbf = Some(now + 5);
        assert!(matches!(
            k.verify(&hs256(&c)).unwrap(),
            Verified::User { .. }
        ));
        c.sub = "staff:3".into();
        c.role = Some("admin".into());
        c.nbf = Some(now + 600);
        assert!(k.verify(&hs256(&c)).is_err());
    }

    #[test]
    fn wrong_audience_or_issuer_is_refused() {
        let k = keys(SECRET);
        let claims = Claims {
            sub: "42".into(),
            exp: Utc::now().timestamp() + 3600,
            iat: 0,
            iss: "someone-else".into(),
            aud: "marquee".into(),
            nbf: None,
            role: None,
            ver: None,
        };
        let t = encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap();
        assert!(k.verify(&t).is_err());
    }
}
