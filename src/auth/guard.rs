//! The GraphQL guard and helpers that read the request's [`Principal`].
use async_graphql::{Context, ErrorExtensions, Guard, Result};

use super::{Principal, Role};
use crate::error::AppError;

/// Who may resolve a field: the token's end user, or staff with one of the given roles
/// (admin is always allowed where any staff role is).
pub enum RoleGuard {
    /// An end-user token.
    User,
    /// A staff token with one of these roles (or admin).
    Staff(&'static [Role]),
    /// Any staff member.
    AnyStaff,
}

impl RoleGuard {
    /// Staff with one of `roles`, or admin.
    pub const fn staff(roles: &'static [Role]) -> Self {
        RoleGuard::Staff(roles)
    }
}

fn principal<'a>(ctx: &'a Context<'_>) -> &'a Principal {
    ctx.data_opt::<Principal>().unwrap_or(&Principal::Anonymous)
}

impl Guard for RoleGuard {
    async fn check(&self, ctx: &Context<'_>) -> Result<()> {
        let p = principal(ctx);
        let ok = match (self, p) {
            (_, Principal::Anonymous) => return Err(AppError::Unauthenticated.extend()),
            (RoleGuard::User, Principal::User { .. }) => true,
            (RoleGuard::Staff(roles), Principal::Staff { role, .. }) => role.permits(roles),
            (RoleGuard::AnyStaff, Principal::Staff { .. }) => true,
            _ => false,
        };
        if ok {
            Ok(())
        } else {
            Err(AppError::Forbidden.extend())
        }
    }
}

/// The token's end user (database id, external id), or UNAUTHENTICATED/FORBIDDEN.
pub fn require_user(ctx: &Context<'_>) -> Result<(i32, String)> {
    match principal(ctx) {
        Principal::User {
            id, external_id, ..
        } => Ok((*id, external_id.clone())),
        Principal::Anonymous => Err(AppError::Unauthenticated.extend()),
        Principal::Staff { .. } => Err(AppError::Forbidden.extend()),
    }
}

/// The token's staff member (id, role) if their role is allowed, or UNAUTHENTICATED/FORBIDDEN.
pub fn require_staff(ctx: &Context<'_>, roles: &[Role]) -> Result<(i32, Role)> {
    match principal(ctx) {
        Principal::Staff { id, role } if role.permits(roles) => Ok((*id, *role)),
        Principal::Anonymous => Err(AppError::Unauthenticated.extend()),
        _ => Err(AppError::Forbidden.extend()),
    }
}

/// The token's end user's row, read once when the request was authenticated.
pub fn require_user_row(
    ctx: &Context<'_>,
) -> Result<std::sync::Arc<crate::db::entities::users::Model>> {
    match principal(ctx) {
        Principal::User { row, .. } => Ok(row.clone()),
        Principal::Anonymous => Err(AppError::Unauthenticated.extend()),
        Principal::Staff { .. } => Err(AppError::Forbidden.extend()),
    }
}
