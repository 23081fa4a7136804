//! Staff sign-in and staff-only operational queries.
use async_graphql::{Context, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::state;
use crate::auth::{password, require_staff, AuthError, Role, RoleGuard};
use crate::db::repo;
use crate::error::GqlResult;

/// A signed-in staff session.
#[derive(SimpleObject)]
pub struct AuthPayload {
    /// Bearer token for the `Authorization` header.
    pub token: String,
    /// The staff member's role.
    pub role: Role,
    /// When the token expires.
    pub expires_at: DateTime<Utc>,
}

/// Row counts for the dashboard.
#[derive(SimpleObject)]
pub struct CatalogueStats {
    /// End users.
    pub users: u64,
    /// Movies (including unavailable).
    pub movies: u64,
    /// Ratings.
    pub ratings: u64,
    /// Events.
    pub events: u64,
}

/// The signed-in staff member.
#[derive(SimpleObject)]
pub struct StaffMember {
    /// Email address.
    pub email: String,
    /// Role.
    pub role: Role,
}

/// Staff queries.
#[derive(Default)]
pub struct AdminQuery;

#[Object]
impl AdminQuery {
    /// Who the staff token belongs to.
    #[graphql(guard = "RoleGuard::AnyStaff")]
    async fn current_staff(&self, ctx: &Context<'_>) -> Result<StaffMember> {
        let (id, role) = require_staff(ctx, &[Role::Editor, Role::Compliance])?;
        let s = repo::staff::get(&state(ctx)?.db, id)
            .await
            .gql()?
            .ok_or(crate::error::AppError::Unauthenticated)
            .gql()?;
        Ok(StaffMember {
            email: s.email,
            role,
        })
    }

    /// Row counts of the main tables (any staff role).
    #[graphql(guard = "RoleGuard::AnyStaff")]
    async fn catalogue_stats(&self, ctx: &Context<'_>) -> Result<CatalogueStats> {
        let db = &state(ctx)?.db;
        Ok(CatalogueStats {
            users: repo::count_rows(db, "users").await.gql()?,
            movies: repo::count_rows(db, "movies").await.gql()?,
            ratings: repo::count_rows(db, "ratings").await.gql()?,
            events: repo::count_rows(db, "events").await.gql()?,
        })
    }
}

/// Staff sign-in.
#[derive(Default)]
pub struct AdminMutation;

#[Object]
impl AdminMutation {
    /// Signs a staff member in with email and password; wrong credentials are UNAUTHENTICATED.
    async fn login(
        &self,
        ctx: &Context<'_>,
        #[graphql(validator(min_length = 3, max_length = 254))] email: String,
        #[graphql(validator(min_length = 1, max_length = 1024), secret)] password: String,
    ) -> Result<AuthPayload> {
        let st = state(ctx)?;
        let account = repo::staff::find_by_email(&st.db, &email).await.gql()?;
        let ok = match &account {
            Some(a) => password::verify(&password, &a.password_hash) && !a.disabled,
            None => {
                // Same work as for a real account, so timing does not reveal which emails exist.
                let _ = password::verify(&password, password::dummy_hash());
                false
            }
        };
        let account = match (ok, account) {
            (true, Some(a)) => a,
            _ => return Err(crate::error::AppError::from(AuthError::BadCredentials)).gql(),
        };
        let role = Role::parse(&account.role)
            .ok_or(AuthError::Refused("unknown role"))
            .gql()?;
        let (token, expires_at) = st.jwt.issue_staff(account.id, role).gql()?;
        repo::staff::touch_login(&st.db, account).await.gql()?;
        Ok(AuthPayload {
            token,
            role,
            expires_at,
        })
    }
}
