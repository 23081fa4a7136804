//! The append-only audit log.
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, Set};

use crate::db::entities::audit_log;

/// Who did something.
#[derive(Debug, Clone)]
pub enum Actor {
    Staff { id: i32, role: &'static str },
    User { id: i32 },
    System,
}

/// Appends one entry. `details` must hold no personal data.
pub async fn append<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    action: &str,
    target: Option<(&str, String)>,
    details: serde_json::Value,
) -> Result<(), DbErr> {
    let (kind, id, role) = match actor {
        Actor::Staff { id, role } => ("staff", Some(*id), Some(role.to_string())),
        Actor::User { id } => ("user", Some(*id), None),
        Actor::System => ("system", None, None),
    };
    audit_log::ActiveModel {
        at: Set(Utc::now()),
        actor_kind: Set(kind.to_owned()),
        actor_id: Set(id),
        actor_role: Set(role),
        action: Set(action.to_owned()),
        target_type: Set(target.as_ref().map(|t| t.0.to_owned())),
        target_id: Set(target.map(|t| t.1)),
        details: Set(Some(details.to_string())),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}
