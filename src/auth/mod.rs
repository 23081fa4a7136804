//! Authentication and authorisation: JWTs for end users and staff, argon2 passwords, roles and
//! the GraphQL guard.
pub mod guard;
pub mod jwt;
pub mod password;
pub mod throttle;

use serde::{Deserialize, Serialize};

pub use guard::{require_staff, require_user, require_user_row, RoleGuard};
pub use jwt::{Claims, JwtKeys, Verified};

/// A staff role. Admin may do everything; editor the catalogue and curation; compliance users'
/// data, privacy and audit.
#[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[graphql(name = "StaffRole")]
pub enum Role {
    /// Everything.
    Admin,
    /// Catalogue and curation.
    Editor,
    /// Users' data, privacy requests and the audit log.
    Compliance,
}

impl Role {
    /// The role's name as stored and as written in tokens.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Compliance => "compliance",
        }
    }

    /// Parses a stored or CLI role name.
    pub fn parse(s: &str) -> Option<Role> {
        match s.to_ascii_lowercase().as_str() {
            "admin" => Some(Role::Admin),
            "editor" => Some(Role::Editor),
            "compliance" => Some(Role::Compliance),
            _ => None,
        }
    }

    /// Whether this role may act where any of `allowed` is required (admin always may).
    pub fn permits(self, allowed: &[Role]) -> bool {
        self == Role::Admin || allowed.contains(&self)
    }
}

/// Who is making a request, as established from its bearer token.
#[derive(Clone, Debug, PartialEq)]
pub enum Principal {
    /// No token.
    Anonymous,
    /// An end user (database id and external id), with their row as read once for the
    /// request: resolvers use it instead of reading it again.
    User {
        id: i32,
        external_id: String,
        row: std::sync::Arc<crate::db::entities::users::Model>,
    },
    /// A staff member with a role.
    Staff { id: i32, role: Role },
}

/// Why a token was refused. Every variant maps to `UNAUTHENTICATED`.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("invalid token")]
    InvalidToken(#[from] jsonwebtoken::errors::Error),
    #[error("token refused: {0}")]
    Refused(&'static str),
    #[error("wrong email or password")]
    BadCredentials,
    #[error("password hashing failed")]
    Hash,
}

impl From<AuthError> for crate::error::AppError {
    fn from(e: AuthError) -> Self {
        tracing::debug!(error = %e, "authentication failed");
        match e {
            AuthError::Hash => {
                crate::error::AppError::Unexpected(anyhow::anyhow!("password hashing failed"))
            }
            _ => crate::error::AppError::Unauthenticated,
        }
    }
}
