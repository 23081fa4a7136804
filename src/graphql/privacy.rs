//! Privacy: deletion requests and their workflow, data export, and the audit log.
use super::vocab::ActorKind;
use async_graphql::{
    ComplexObject, Context, Enum, ErrorExtensions, InputObject, Json, Object, Result, SimpleObject,
    ID,
};
use chrono::{DateTime, Utc};

use super::ids::{self, Kind};
use super::pagination::{page, Page, Window};
use super::users::User;
use super::{staff_actor, state};
use crate::app::privacy::{self, Decision};
use crate::app::Actor;
use crate::auth::{require_staff, Principal, Role, RoleGuard};
use crate::db::entities::{audit_log, deletion_requests};
use crate::db::repo::audit::{self, AuditFilter};
use crate::db::repo::{self, privacy as repo_privacy};
use crate::error::{AppError, GqlResult};

/// Where a deletion request stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum DeletionStatus {
    /// Waiting for a compliance decision.
    Pending,
    /// Approved; the data will be deleted when the request is completed.
    Approved,
    /// Refused, with a reason.
    Rejected,
    /// Done: the person's data is gone.
    Completed,
}

impl DeletionStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Pending => repo_privacy::PENDING,
            Self::Approved => repo_privacy::APPROVED,
            Self::Rejected => repo_privacy::REJECTED,
            Self::Completed => repo_privacy::COMPLETED,
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            repo_privacy::APPROVED => Self::Approved,
            repo_privacy::REJECTED => Self::Rejected,
            repo_privacy::COMPLETED => Self::Completed,
            _ => Self::Pending,
        }
    }
}

/// A request to delete everything about a person.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct DeletionRequest {
    /// Opaque identifier.
    pub id: ID,
    #[graphql(skip)]
    pub user_id: Option<i32>,
    /// The person's opaque user id while they exist; null once completed.
    pub user_ref: Option<ID>,
    /// "user" (the person asked) or "staff:<id>" (compliance asked on their behalf).
    pub requested_by: String,
    /// Where it stands.
    pub status: DeletionStatus,
    /// The reason given when rejected.
    pub reason: Option<String>,
    /// When it must be handled by (30 days after the request).
    pub due_at: DateTime<Utc>,
    /// Whether it is still open after its due date.
    pub overdue: bool,
    /// "staff:<id>" of who approved or rejected it.
    pub decided_by: Option<String>,
    /// When it was approved or rejected.
    pub decided_at: Option<DateTime<Utc>>,
    /// When the data was deleted.
    pub completed_at: Option<DateTime<Utc>>,
    /// Rows deleted per table, once completed.
    pub outcome: Option<Json<serde_json::Value>>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

#[ComplexObject]
impl DeletionRequest {
    /// The person, while they exist (staff, or the person themselves).
    async fn user(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(id) = self.user_id else {
            return Ok(None);
        };
        Ok(repo::users::get(&state(ctx)?.db, id)
            .await
            .gql()?
            .map(User::from))
    }
}

impl From<deletion_requests::Model> for DeletionRequest {
    fn from(m: deletion_requests::Model) -> Self {
        let status = DeletionStatus::parse(&m.status);
        let open = matches!(status, DeletionStatus::Pending | DeletionStatus::Approved);
        Self {
            id: ids::encode(Kind::DeletionRequest, m.id as i64),
            user_id: m.user_id,
            user_ref: m.user_id.map(|u| ids::encode(Kind::User, u as i64)),
            requested_by: m.requested_by,
            status,
            reason: m.reason,
            overdue: open && m.due_at < Utc::now(),
            due_at: m.due_at,
            decided_by: m.decided_by.map(|s| format!("staff:{s}")),
            decided_at: m.decided_at,
            completed_at: m.completed_at,
            outcome: m
                .outcome
                .as_deref()
                .and_then(|o| serde_json::from_str(o).ok())
                .map(Json),
            created_at: m.created_at,
        }
    }
}

/// One audit log entry. It holds ids and counts, never personal data.
#[derive(SimpleObject)]
pub struct AuditEntry {
    /// Opaque identifier.
    pub id: ID,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who did it.
    pub actor_kind: ActorKind,
    /// The staff or user id of the actor (null for the system, or once a user was erased).
    pub actor_id: Option<i32>,
    /// The staff member's role at the time.
    pub actor_role: Option<Role>,
    /// The actor's name: a staff member's email or a user's external id (null for the
    /// system, or once the account is gone).
    pub actor_name: Option<String>,
    /// What was done, e.g. movie.update, collection.create, deletion.complete.
    pub action: String,
    /// The kind of thing it was done to.
    pub target_type: Option<String>,
    /// Its id.
    pub target_id: Option<String>,
    /// Details (changed fields, counts).
    pub details: Option<Json<serde_json::Value>>,
}

impl From<audit_log::Model> for AuditEntry {
    fn from(m: audit_log::Model) -> Self {
        Self {
            id: ids::encode(Kind::AuditEntry, m.id),
            at: m.at,
            actor_kind: ActorKind::from_stored(&m.actor_kind),
            actor_id: m.actor_id,
            actor_role: m.actor_role.as_deref().and_then(Role::parse),
            actor_name: None,
            action: m.action,
            target_type: m.target_type,
            target_id: m.target_id,
            details: m
                .details
                .as_deref()
                .and_then(|d| serde_json::from_str(d).ok())
                .map(Json),
        }
    }
}

/// Narrows the audit log; every given field must match.
#[derive(InputObject, Default)]
pub struct AuditFilterInput {
    /// Prefix of the action, e.g. "deletion" or "collection.".
    #[graphql(validator(max_length = 64))]
    pub action: Option<String>,
    /// Who did it.
    pub actor_kind: Option<ActorKind>,
    /// e.g. movie, collection, deletion_request.
    #[graphql(validator(max_length = 64))]
    pub target_type: Option<String>,
    /// The target's id: the number entries store, or the target's opaque id (which also sets
    /// `targetType` when it is not given).
    #[graphql(validator(max_length = 64))]
    pub target_id: Option<String>,
    /// At or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Before this time.
    pub until: Option<DateTime<Utc>>,
}

fn principal<'a>(ctx: &'a Context<'_>) -> &'a Principal {
    ctx.data_opt::<Principal>().unwrap_or(&Principal::Anonymous)
}

fn user_of(id: &ID) -> Result<i32> {
    ids::decode(Kind::User, id).gql()
}

/// Privacy queries.
#[derive(Default)]
pub struct PrivacyQuery;

#[Object]
impl PrivacyQuery {
    /// Deletion requests, soonest due first (compliance, admin).
    #[graphql(
        guard = "RoleGuard::staff(&[Role::Compliance])",
        complexity = "crate::graphql::limits::list(1, first.or(last), 20, child_complexity)"
    )]
    async fn deletion_requests(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many items to return (1–100; default 20).")] first: Option<i32>,
        #[graphql(
            desc = "Cursor of the last item seen (the previous page's `endCursor`): the page starts after it; omit it for the first page."
        )]
        after: Option<String>,
        #[graphql(
            validator(minimum = 1, maximum = 100),
            desc = "How many items to return, counting back from `before` or from the end of the list (1–100; default 20); not with `first` or `after`."
        )]
        last: Option<i32>,
        #[graphql(
            desc = "Cursor of the first item seen (the next page's `startCursor`): the page ends just before it, for paging backward."
        )]
        before: Option<String>,
        #[graphql(desc = "Only requests with this status (omitted, all).")] status: Option<
            DeletionStatus,
        >,
    ) -> Result<Page<DeletionRequest>> {
        let db = &state(ctx)?.db;
        let status = status.map(DeletionStatus::as_str);
        let (offset, limit) = Window::new(first, after.as_deref(), last, before.as_deref())
            .gql()?
            .resolve(|| async {
                repo_privacy::list_requests(db, status, 0, 0)
                    .await
                    .map(|(_, t)| t)
                    .gql()
            })
            .await?;
        let (rows, total) = repo_privacy::list_requests(db, status, offset, limit)
            .await
            .gql()?;
        Ok(page(
            rows.into_iter().map(DeletionRequest::from).collect(),
            offset,
            total,
        ))
    }

    /// One deletion request (compliance, admin).
    #[graphql(guard = "RoleGuard::staff(&[Role::Compliance])")]
    async fn deletion_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The deletion request's opaque id.")] id: ID,
    ) -> Result<Option<DeletionRequest>> {
        let id = ids::decode(Kind::DeletionRequest, &id).gql()?;
        Ok(repo_privacy::get_request(&state(ctx)?.db, id)
            .await
            .gql()?
            .map(DeletionRequest::from))
    }

    /// The token user's own deletion requests, newest first.
    #[graphql(guard = "RoleGuard::User")]
    async fn my_deletion_requests(&self, ctx: &Context<'_>) -> Result<Vec<DeletionRequest>> {
        let (uid, _) = crate::auth::require_user(ctx)?;
        Ok(repo_privacy::requests_of(&state(ctx)?.db, uid)
            .await
            .gql()?
            .into_iter()
            .map(DeletionRequest::from)
            .collect())
    }

    /// Everything held about the token's user, as JSON.
    #[graphql(guard = "RoleGuard::User")]
    async fn export_my_data(&self, ctx: &Context<'_>) -> Result<Json<serde_json::Value>> {
        let (uid, _) = crate::auth::require_user(ctx)?;
        let data = privacy::export(state(ctx)?, uid, Actor::User { id: uid })
            .await
            .gql()?;
        Ok(Json(data))
    }

    /// Everything held about a user, as JSON (compliance, admin). Unknown user: NOT_FOUND.
    #[graphql(guard = "RoleGuard::staff(&[Role::Compliance])")]
    async fn export_user_data(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user's opaque id.")] user_id: ID,
    ) -> Result<Json<serde_json::Value>> {
        let actor = staff_actor(ctx, &[Role::Compliance])?;
        let uid = user_of(&user_id)?;
        let data = privacy::export(state(ctx)?, uid, actor).await.gql()?;
        Ok(Json(data))
    }

    /// The audit log, newest first (compliance, admin).
    #[graphql(
        guard = "RoleGuard::staff(&[Role::Compliance])",
        complexity = "crate::graphql::limits::list(1, first.or(last), 20, child_complexity)"
    )]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many items to return (1–100; default 20).")] first: Option<i32>,
        #[graphql(
            desc = "Cursor of the last item seen (the previous page's `endCursor`): the page starts after it; omit it for the first page."
        )]
        after: Option<String>,
        #[graphql(
            validator(minimum = 1, maximum = 100),
            desc = "How many items to return, counting back from `before` or from the end of the list (1–100; default 20); not with `first` or `after`."
        )]
        last: Option<i32>,
        #[graphql(
            desc = "Cursor of the first item seen (the next page's `startCursor`): the page ends just before it, for paging backward."
        )]
        before: Option<String>,
        #[graphql(desc = "Which entries to list; every given field must match (omitted, all).")]
        filter: Option<AuditFilterInput>,
    ) -> Result<Page<AuditEntry>> {
        let window = Window::new(first, after.as_deref(), last, before.as_deref()).gql()?;
        let f = filter.unwrap_or_default();
        if let (Some(a), Some(b)) = (f.since, f.until) {
            if a >= b {
                return Err(AppError::bad_input("since must be before until").extend());
            }
        }
        let nonblank = |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        let mut target_type = nonblank(f.target_type);
        let mut target_id = nonblank(f.target_id);
        // An opaque id (as the API and the console show them) names its kind and row: entries
        // store the row's number and the kind's name.
        if let Some((kind, n)) = target_id.as_deref().and_then(ids::decode_any) {
            target_id = Some(n.to_string());
            target_type.get_or_insert_with(|| kind.snake_name());
        }
        let filter = AuditFilter {
            action_prefix: nonblank(f.action),
            actor_kind: f.actor_kind.map(|k| k.stored().to_owned()),
            target_type,
            target_id,
            since: f.since,
            until: f.until,
        };
        let db = &state(ctx)?.db;
        let (offset, limit) = window
            .resolve(|| async { audit::list(db, &filter, 0, 0).await.map(|(_, t)| t).gql() })
            .await?;
        let (rows, total) = audit::list(db, &filter, offset, limit).await.gql()?;
        let (staff, users) = audit::actor_names(db, &rows).await.gql()?;
        let entries = rows
            .into_iter()
            .map(|m| {
                let name = match (m.actor_kind.to_ascii_lowercase().as_str(), m.actor_id) {
                    ("staff", Some(id)) => staff.get(&id).cloned(),
                    ("user", Some(id)) => users.get(&id).cloned(),
                    _ => None,
                };
                AuditEntry {
                    actor_name: name,
                    ..AuditEntry::from(m)
                }
            })
            .collect();
        Ok(page(entries, offset, total))
    }
}

/// Privacy mutations.
#[derive(Default)]
pub struct PrivacyMutation;

#[Object]
impl PrivacyMutation {
    /// Asks for a person's data to be deleted. With a user token it is for the token's own
    /// user, so `userId` is omitted or their own. Compliance and admins ask on someone's
    /// behalf and must give `userId`. A second request while one is open returns that one.
    async fn request_data_deletion(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default,
            desc = "Whose data: users may omit it (or leave `userId` out) to mean themselves."
        )]
        input: RequestDataDeletionInput,
    ) -> Result<RequestDataDeletionPayload> {
        let st = state(ctx)?;
        let user_id = input.user_id;
        let (uid, actor) = match principal(ctx) {
            Principal::Anonymous => return Err(AppError::Unauthenticated.extend()),
            Principal::User { id, .. } => {
                if let Some(u) = &user_id {
                    if user_of(u)? != *id {
                        return Err(AppError::Forbidden.extend());
                    }
                }
                (*id, Actor::User { id: *id })
            }
            Principal::Staff { .. } => {
                let actor = staff_actor(ctx, &[Role::Compliance])?;
                let Some(u) = &user_id else {
                    return Err(AppError::bad_input("userId is required for staff").extend());
                };
                (user_of(u)?, actor)
            }
        };
        let deletion_request = privacy::request_deletion(st, uid, actor)
            .await
            .gql()?
            .into();
        Ok(RequestDataDeletionPayload { deletion_request })
    }

    /// Approves a PENDING request (compliance, admin).
    #[graphql(guard = "RoleGuard::staff(&[Role::Compliance])")]
    async fn approve_deletion_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The request to approve.")] input: ApproveDeletionRequestInput,
    ) -> Result<ApproveDeletionRequestPayload> {
        let (sid, role) = require_staff(ctx, &[Role::Compliance])?;
        let id = ids::decode(Kind::DeletionRequest, &input.id).gql()?;
        let st = state(ctx)?;
        let deletion_request = privacy::decide(st, id, Decision::Approve, sid, role, None)
            .await
            .gql()?
            .into();
        Ok(ApproveDeletionRequestPayload { deletion_request })
    }

    /// Rejects a PENDING or APPROVED request with a reason (compliance, admin).
    #[graphql(guard = "RoleGuard::staff(&[Role::Compliance])")]
    async fn reject_deletion_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The request to reject and why.")] input: RejectDeletionRequestInput,
    ) -> Result<RejectDeletionRequestPayload> {
        let (sid, role) = require_staff(ctx, &[Role::Compliance])?;
        let id = ids::decode(Kind::DeletionRequest, &input.id).gql()?;
        let reason = input.reason.trim().to_owned();
        if reason.is_empty() {
            return Err(AppError::bad_input("a rejection needs a reason").extend());
        }
        let st = state(ctx)?;
        let deletion_request = privacy::decide(st, id, Decision::Reject, sid, role, Some(reason))
            .await
            .gql()?
            .into();
        Ok(RejectDeletionRequestPayload { deletion_request })
    }

    /// Completes an APPROVED request: deletes every row about the person in one transaction
    /// and removes them from the live model and its stored parameters (compliance, admin).
    #[graphql(guard = "RoleGuard::staff(&[Role::Compliance])")]
    async fn complete_deletion_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The request to complete.")] input: CompleteDeletionRequestInput,
    ) -> Result<CompleteDeletionRequestPayload> {
        let actor = staff_actor(ctx, &[Role::Compliance])?;
        let id = ids::decode(Kind::DeletionRequest, &input.id).gql()?;
        let st = state(ctx)?;
        let deletion_request = privacy::complete(st, id, actor).await.gql()?.into();
        Ok(CompleteDeletionRequestPayload { deletion_request })
    }
}

/// Whose data to delete.
#[derive(InputObject, Default)]
pub struct RequestDataDeletionInput {
    /// The user's opaque id: required for compliance and admins; with a user token, omit it
    /// or give the token's own user (another user is FORBIDDEN).
    pub user_id: Option<ID>,
}

/// The result of `requestDataDeletion`.
#[derive(SimpleObject)]
pub struct RequestDataDeletionPayload {
    /// The new request, or the one already open for this person.
    pub deletion_request: DeletionRequest,
}

/// The deletion request to approve.
#[derive(InputObject)]
pub struct ApproveDeletionRequestInput {
    /// The deletion request's opaque id.
    pub id: ID,
}

/// The result of `approveDeletionRequest`.
#[derive(SimpleObject)]
pub struct ApproveDeletionRequestPayload {
    /// The request as it now is.
    pub deletion_request: DeletionRequest,
}

/// The deletion request to reject, and why.
#[derive(InputObject)]
pub struct RejectDeletionRequestInput {
    /// The deletion request's opaque id.
    pub id: ID,
    /// Why the request is refused, kept as its `reason` (required; trimmed, at most 2000
    /// characters).
    #[graphql(validator(max_length = 2000))]
    pub reason: String,
}

/// The result of `rejectDeletionRequest`.
#[derive(SimpleObject)]
pub struct RejectDeletionRequestPayload {
    /// The request as it now is.
    pub deletion_request: DeletionRequest,
}

/// The deletion request to complete.
#[derive(InputObject)]
pub struct CompleteDeletionRequestInput {
    /// The deletion request's opaque id.
    pub id: ID,
}

/// The result of `completeDeletionRequest`.
#[derive(SimpleObject)]
pub struct CompleteDeletionRequestPayload {
    /// The request as it now is.
    pub deletion_request: DeletionRequest,
}
