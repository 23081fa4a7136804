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
    /// Staff role; only honoured on tokens signed with Marquee's own secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

/// A verified token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verified {
    /// An end user, by external id.
    User(String),
    /// A staff member, by staff id, with the role the token carries.
    Staff { id: i32, role: Role },
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
        })
    }

    fn validation(&self, alg: Algorithm) -> Validation {
        let mut v = Validation::new(alg);
        v.set_issuer(&[&self.issuer]);
        v.set_audience(&[&self.audience]);
        v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        v.leeway = 30;
        v
    }

    fn sign(
        &self,
        sub: String,
        role: Option<Role>,
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
            role: role.map(|r| r.as_str().to_owned()),
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.hs_encoding)?;
        Ok((token, exp))
    }

    /// Issues a staff token for the configured lifetime.
    pub fn issue_staff(
        &self,
        staff_id: i32,
        role: Role,
    ) -> Result<(String, DateTime<Utc>), AuthError> {
        self.sign(
            format!("{STAFF_PREFIX}{staff_id}"),
            Some(role),
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
                    Ok(Verified::Staff { id, role })
                } else {
                    user_subject(c.sub)
                }
            }
            alg => match &self.user_key {
                Some((key, expected)) if *expected == alg => {
                    let data = decode::<Claims>(token, key, &self.validation(alg))?;
                    // Tokens from the identity provider never carry staff rights.
                    if data.claims.sub.starts_with(STAFF_PREFIX) {
                        return Err(AuthError::Refused("staff subject on an end-user key"));
                    }
                    user_subject(data.claims.sub)
                }
                _ => Err(AuthError::Refused("algorithm not accepted")),
            },
        }
    }
}

fn user_subject(sub: String) -> Result<Verified, AuthError> {
    let sub = sub.trim().to_owned();
    if sub.is_empty() || sub.len() > 200 {
        return Err(AuthError::Refused("subject must be 1 to 200 characters"));
    }
    Ok(Verified::User(sub))
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
        assert_eq!(k.verify(&t).unwrap(), Verified::User("42".into()));
        let (t, _) = k.issue_staff(7, Role::Editor).unwrap();
        assert_eq!(
            k.verify(&t).unwrap(),
            Verified::Staff {
                id: 7,
                role: Role::Editor
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

    #[test]
    fn wrong_audience_or_issuer_is_refused() {
        let k = keys(SECRET);
        let claims = Claims {
            sub: "42".into(),
            exp: Utc::now().timestamp() + 3600,
            iat: 0,
            iss: "someone-else".into(),
            aud: "marquee".into(),
            role: None,
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
