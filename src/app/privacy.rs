//! The privacy workflow: deletion requests (PENDING → APPROVED → COMPLETED, or REJECTED), the
//! erasure of a person from the database and the models, and the export of their data. Every
//! step is written to the audit log, which holds ids and counts, never personal data.
use chrono::{Duration, Utc};
use serde_json::json;

use super::{staff_actor, Actor, Effect, UnitOfWork};
use crate::auth::Role;
use crate::db::entities::deletion_requests;
use crate::db::repo::{self, privacy};
use crate::error::AppError;
use crate::state::AppState;

/// Days within which a request must be handled (GDPR art. 12(3): one month).
pub const DUE_DAYS: i64 = 30;

/// What staff may do to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject,
    Complete,
}

/// The status a request moves to, or why it may not.
pub fn next_status(current: &str, d: Decision) -> Result<&'static str, AppError> {
    match (current, d) {
        (privacy::PENDING, Decision::Approve) => Ok(privacy::APPROVED),
        (privacy::PENDING | privacy::APPROVED, Decision::Reject) => Ok(privacy::REJECTED),
        (privacy::APPROVED, Decision::Complete) => Ok(privacy::COMPLETED),
        (privacy::PENDING, Decision::Complete) => Err(AppError::Conflict(
            "the request must be approved before it is completed".into(),
        )),
        (s, _) => Err(AppError::Conflict(format!(
            "the request is {s} and can no longer change"
        ))),
    }
}

/// Who asked, as stored in `requested_by`.
pub fn requester_label(actor: &Actor) -> String {
    match actor {
        Actor::User { .. } => "user".into(),
        Actor::Staff { id, .. } => format!("staff:{id}"),
        Actor::System => "system".into(),
    }
}

/// Opens a deletion request for a user, or returns the open one (idempotent).
#[tracing::instrument(skip_all, fields(user_id))]
pub async fn request_deletion(
    st: &AppState,
    user_id: i32,
    actor: Actor,
) -> Result<deletion_requests::Model, AppError> {
    let requested_by = requester_label(&actor);
    let mut uow = UnitOfWork::begin(st, actor).await?;
    if repo::users::get(uow.db(), user_id).await?.is_none() {
        return Err(AppError::NotFound("user"));
    }
    if let Some(open) = privacy::open_request(uow.db(), user_id).await? {
        return Ok(open);
    }
    let due = Utc::now() + Duration::days(DUE_DAYS);
    let req = privacy::create_request(uow.db(), user_id, &requested_by, due).await?;
    uow.audit(
        "deletion.request",
        ("deletion_request", req.id),
        json!({ "dueAt": due }),
    );
    uow.commit().await?;
    Ok(req)
}

/// Approves or rejects a request.
#[tracing::instrument(skip_all, fields(request_id = id, staff_id))]
pub async fn decide(
    st: &AppState,
    id: i32,
    d: Decision,
    staff_id: i32,
    staff_role: Role,
    reason: Option<String>,
) -> Result<deletion_requests::Model, AppError> {
    let mut uow = UnitOfWork::begin(st, staff_actor(staff_id, staff_role)).await?;
    let req = request_or_404(&uow, id).await?;
    let status = next_status(&req.status, d)?;
    let req = privacy::decide(uow.db(), req, status, staff_id, reason).await?;
    let action = if d == Decision::Approve {
        "deletion.approve"
    } else {
        "deletion.reject"
    };
    uow.audit(action, ("deletion_request", id), json!({}));
    uow.commit().await?;
    Ok(req)
}

/// Completes an approved request: deletes every row about the person in one transaction, then
/// removes them from the live model and its stored parameters.
#[tracing::instrument(skip_all, fields(request_id = id))]
pub async fn complete(
    st: &AppState,
    id: i32,
    staff: Actor,
) -> Result<deletion_requests::Model, AppError> {
    // Rows shown to the person and still queued land first, so the erasure deletes them too.
    st.impressions.flush().await;
    let mut uow = UnitOfWork::begin(st, staff).await?;
    let req = request_or_404(&uow, id).await?;
    next_status(&req.status, Decision::Complete)?;
    let Some(user_id) = req.user_id else {
        return Err(AppError::Conflict(
            "the person was already deleted by another request".into(),
        ));
    };
    let counts = privacy::erase_user(uow.db(), user_id).await?;
    let outcome = json!(counts);
    let req = privacy::complete(uow.db(), req, &outcome).await?;
    uow.audit(
        "deletion.complete",
        ("deletion_request", id),
        json!({ "deleted": outcome }),
    );
    uow.touches(Effect::Erasure(user_id));
    uow.commit().await?;
    Ok(req)
}

/// Everything held about a user, as JSON; the export itself is audited. Unknown user:
/// NOT_FOUND.
#[tracing::instrument(skip_all, fields(user_id))]
pub async fn export(
    st: &AppState,
    user_id: i32,
    actor: Actor,
) -> Result<serde_json::Value, AppError> {
    // What was shown to the person until now is part of their data: write it out first.
    st.impressions.flush().await;
    let mut uow = UnitOfWork::begin(st, actor).await?;
    let data = privacy::export_user(uow.db(), user_id)
        .await?
        .ok_or(AppError::NotFound("user"))?;
    uow.audit("data.export", ("user", user_id), json!({}));
    uow.commit().await?;
    Ok(data)
}

async fn request_or_404(
    uow: &UnitOfWork<'_>,
    id: i32,
) -> Result<deletion_requests::Model, AppError> {
    privacy::get_request(uow.db(), id)
        .await?
        .ok_or(AppError::NotFound("deletion request"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_move_forward_only() {
        assert_eq!(
            next_status("PENDING", Decision::Approve).unwrap(),
            "APPROVED"
        );
        assert_eq!(
            next_status("APPROVED", Decision::Complete).unwrap(),
            "COMPLETED"
        );
        assert_eq!(
            next_status("PENDING", Decision::Reject).unwrap(),
            "REJECTED"
        );
        assert_eq!(
            next_status("APPROVED", Decision::Reject).unwrap(),
            "REJECTED"
        );
        for (s, d) in [
            ("PENDING", Decision::Complete),
            ("APPROVED", Decision::Approve),
            ("REJECTED", Decision::Approve),
            ("REJECTED", Decision::Complete),
            ("COMPLETED", Decision::Reject),
            ("COMPLETED", Decision::Complete),
        ] {
            let e = next_status(s, d).unwrap_err();
            assert_eq!(e.code().0, "CONFLICT", "{s} {d:?}");
        }
    }

    #[test]
    fn requester_labels_hold_no_personal_data() {
        assert_eq!(requester_label(&Actor::User { id: 42 }), "user");
        assert_eq!(
            requester_label(&Actor::Staff {
                id: 3,
                role: "compliance"
            }),
            "staff:3"
        );
    }
}
