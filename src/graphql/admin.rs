//! Staff sign-in and staff-only operational queries.
use async_graphql::{Context, InputObject, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Duration, Utc};

use super::ids::{self, Kind};
use super::{staff_actor, state};
use crate::app::staff::{self, NewStaff, StaffPatch};
use crate::auth::{require_staff, Role, RoleGuard};
use crate::db::{entities, repo};
use crate::error::GqlResult;

/// Shortest staff password accepted; `marquee staff add` checks it too.
pub use crate::app::staff::MIN_PASSWORD_CHARS;

/// A staff account, for admins.
#[derive(SimpleObject)]
pub struct StaffAccount {
    /// Opaque identifier.
    pub id: ID,
    /// Email address (lower case).
    pub email: String,
    /// Role.
    pub role: Role,
    /// A disabled account cannot sign in, and its tokens stop working at once.
    pub disabled: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Its last successful sign-in.
    pub last_login_at: Option<DateTime<Utc>>,
}

impl From<entities::staff::Model> for StaffAccount {
    fn from(m: entities::staff::Model) -> Self {
        Self {
            id: ids::encode(Kind::Staff, m.id as i64),
            role: Role::parse(&m.role).unwrap_or(Role::Editor),
            email: m.email,
            disabled: m.disabled,
            created_at: m.created_at,
            last_login_at: m.last_login_at,
        }
    }
}

/// A new staff account.
#[derive(InputObject)]
pub struct CreateStaffInput {
    /// Email address.
    #[graphql(validator(email, max_length = 254))]
    pub email: String,
    /// At least 10 characters.
    #[graphql(validator(max_length = 1024), secret)]
    pub password: String,
    /// Role.
    pub role: Role,
}

/// A staff account and the changes to make; omitted fields stay.
#[derive(InputObject)]
pub struct UpdateStaffInput {
    /// The staff account's opaque id.
    pub id: ID,
    /// New role.
    pub role: Option<Role>,
    /// Disable or enable.
    pub disabled: Option<bool>,
    /// New password (at least 10 characters).
    #[graphql(validator(max_length = 1024), secret)]
    pub password: Option<String>,
}

/// One UTC day of activity.
#[derive(SimpleObject)]
pub struct ActivityDay {
    /// UTC date, YYYY-MM-DD.
    pub day: String,
    /// Ratings created or changed that day.
    pub ratings: u64,
    /// Viewing and feedback events.
    pub events: u64,
    /// Users first seen.
    pub new_users: u64,
}

/// This server's request rate and latency.
#[derive(SimpleObject)]
pub struct RequestStats {
    /// GraphQL requests per minute over the last five minutes.
    pub requests_per_minute: f64,
    /// Median latency in milliseconds over the last 10 000 requests.
    pub p50_ms: f64,
    /// 95th percentile latency in milliseconds.
    pub p95_ms: f64,
    /// 99th percentile latency in milliseconds.
    pub p99_ms: f64,
    /// Requests since the process started.
    pub total_requests: u64,
    /// Errors since the process started.
    pub errors: u64,
}

/// A staff member's email and password.
#[derive(InputObject)]
pub struct LoginInput {
    /// The staff account's email address, matched ignoring case and surrounding spaces
    /// (3–254 characters).
    #[graphql(validator(min_length = 3, max_length = 254))]
    pub email: String,
    /// The account's password (1–1024 characters).
    #[graphql(validator(min_length = 1, max_length = 1024), secret)]
    pub password: String,
}

/// The result of `login`: a signed-in staff session.
#[derive(SimpleObject)]
pub struct LoginPayload {
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

    /// Staff accounts by email (admins).
    #[graphql(guard = "RoleGuard::staff(&[])")]
    async fn staff_accounts(&self, ctx: &Context<'_>) -> Result<Vec<StaffAccount>> {
        Ok(repo::staff::list(&state(ctx)?.db)
            .await
            .gql()?
            .into_iter()
            .map(StaffAccount::from)
            .collect())
    }

    /// Ratings, events and new users per UTC day over the last `days` (default 30, at most
    /// 365), oldest first, with empty days as zeros (any staff role).
    #[graphql(guard = "RoleGuard::AnyStaff")]
    async fn activity_stats(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            validator(minimum = 1, maximum = 365),
            desc = "How many UTC days to cover, ending today (1–365; default 30)."
        )]
        days: Option<i32>,
    ) -> Result<Vec<ActivityDay>> {
        let days = days.unwrap_or(30) as i64;
        let today = Utc::now().date_naive();
        let first = today - Duration::days(days - 1);
        let since = first.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
        let db = &state(ctx)?.db;
        let ratings = repo::stats::per_day(db, "ratings", "updated_at", since)
            .await
            .gql()?;
        let events = repo::stats::per_day(db, "events", "occurred_at", since)
            .await
            .gql()?;
        let users = repo::stats::per_day(db, "users", "created_at", since)
            .await
            .gql()?;
        Ok((0..days)
            .map(|i| {
                let d = (first + Duration::days(i)).format("%Y-%m-%d").to_string();
                ActivityDay {
                    ratings: ratings.get(&d).copied().unwrap_or(0),
                    events: events.get(&d).copied().unwrap_or(0),
                    new_users: users.get(&d).copied().unwrap_or(0),
                    day: d,
                }
            })
            .collect())
    }

    /// This server's GraphQL request rate and latency (any staff role).
    #[graphql(guard = "RoleGuard::AnyStaff")]
    async fn request_stats(&self, ctx: &Context<'_>) -> Result<RequestStats> {
        let s = state(ctx)?.metrics.snapshot();
        Ok(RequestStats {
            requests_per_minute: s.requests_per_minute,
            p50_ms: s.p50_ms,
            p95_ms: s.p95_ms,
            p99_ms: s.p99_ms,
            total_requests: s.total_requests,
            errors: s.errors,
        })
    }
}

/// The address of the client making a request (the TCP peer), for throttling.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<std::net::IpAddr>);

/// Staff sign-in.
#[derive(Default)]
pub struct AdminMutation;

#[Object]
impl AdminMutation {
    /// Signs a staff member in with email and password; wrong credentials are UNAUTHENTICATED.
    /// Attempts are throttled per account and per client address (RATE_LIMITED, with
    /// `retryAfterMs`), and a request may hold one `login`.
    async fn login(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The staff member's email and password.")] input: LoginInput,
    ) -> Result<LoginPayload> {
        let client = ctx.data_opt::<ClientAddr>().and_then(|c| c.0);
        let s = staff::login(state(ctx)?, &input.email, &input.password, client)
            .await
            .gql()?;
        Ok(LoginPayload {
            token: s.token,
            role: s.role,
            expires_at: s.expires_at,
        })
    }

    /// Adds a staff account (admins). A taken email is CONFLICT.
    #[graphql(guard = "RoleGuard::staff(&[])")]
    async fn create_staff(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new account's email, password (at least 10 characters) and role.")]
        input: CreateStaffInput,
    ) -> Result<CreateStaffPayload> {
        let actor = staff_actor(ctx, &[])?;
        let new = NewStaff {
            email: input.email,
            password: input.password,
            role: input.role,
        };
        let m = staff::create(state(ctx)?, actor, new).await.gql()?;
        Ok(CreateStaffPayload {
            staff_account: m.into(),
        })
    }

    /// Changes a staff account's role, disables or enables it, or sets a new password
    /// (admins). The last enabled admin cannot be demoted or disabled (CONFLICT).
    #[graphql(guard = "RoleGuard::staff(&[])")]
    async fn update_staff(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The staff account and the changes to make; omitted fields stay as they are."
        )]
        input: UpdateStaffInput,
    ) -> Result<UpdateStaffPayload> {
        let actor = staff_actor(ctx, &[])?;
        let id = ids::decode(Kind::Staff, &input.id).gql()?;
        let patch = StaffPatch {
            role: input.role,
            disabled: input.disabled,
            password: input.password,
        };
        let m = staff::update(state(ctx)?, actor, id, patch).await.gql()?;
        Ok(UpdateStaffPayload {
            staff_account: m.into(),
        })
    }
}

/// The result of `createStaff`.
#[derive(SimpleObject)]
pub struct CreateStaffPayload {
    /// The new account.
    pub staff_account: StaffAccount,
}

/// The result of `updateStaff`.
#[derive(SimpleObject)]
pub struct UpdateStaffPayload {
    /// The account as it now is.
    pub staff_account: StaffAccount,
}
