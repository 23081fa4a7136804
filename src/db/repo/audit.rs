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

/// Narrows the audit log; every given field must match.
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    /// Prefix of the action, e.g. `deletion` or `collection.`.
    pub action_prefix: Option<String>,
    pub actor_kind: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub since: Option<chrono::DateTime<Utc>>,
    pub until: Option<chrono::DateTime<Utc>>,
}

/// A page of entries, newest first, and the total.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    f: &AuditFilter,
    offset: u64,
    limit: u64,
) -> Result<(Vec<audit_log::Model>, u64), DbErr> {
    use sea_orm::sea_query::ExprTrait;
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
    let mut q = audit_log::Entity::find();
    if let Some(p) = &f.action_prefix {
        // LIKE wildcards in the prefix are taken literally.
        let escaped = p
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        q = q.filter(
            sea_orm::sea_query::Expr::col(audit_log::Column::Action)
                .like(sea_orm::sea_query::LikeExpr::new(format!("{escaped}%")).escape('\\')),
        );
    }
    if let Some(k) = &f.actor_kind {
        q = q.filter(audit_log::Column::ActorKind.eq(k.to_lowercase()));
    }
    if let Some(t) = &f.target_type {
        q = q.filter(audit_log::Column::TargetType.eq(t.as_str()));
    }
    if let Some(t) = &f.target_id {
        q = q.filter(audit_log::Column::TargetId.eq(t.as_str()));
    }
    if let Some(s) = f.since {
        q = q.filter(audit_log::Column::At.gte(s));
    }
    if let Some(u) = f.until {
        q = q.filter(audit_log::Column::At.lt(u));
    }
    let total = q.clone().count(db).await?;
    let rows = q
        .order_by_desc(audit_log::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    Ok((rows, total))
}

/// The names of the actors of `entries`: staff emails by staff id and users' external ids by
/// user id (those still present).
pub async fn actor_names<C: ConnectionTrait>(
    db: &C,
    entries: &[audit_log::Model],
) -> Result<
    (
        std::collections::HashMap<i32, String>,
        std::collections::HashMap<i32, String>,
    ),
    DbErr,
> {
    use crate::db::entities::{staff, users};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let ids = |kind: &str| -> Vec<i32> {
        let mut v: Vec<i32> = entries
            .iter()
            .filter(|e| e.actor_kind.eq_ignore_ascii_case(kind))
            .filter_map(|e| e.actor_id)
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let (staff_ids, user_ids) = (ids("staff"), ids("user"));
    let staff = if staff_ids.is_empty() {
        Default::default()
    } else {
        staff::Entity::find()
            .filter(staff::Column::Id.is_in(staff_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|s| (s.id, s.email))
            .collect()
    };
    let users = if user_ids.is_empty() {
        Default::default()
    } else {
        users::Entity::find()
            .filter(users::Column::Id.is_in(user_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|u| (u.id, u.external_id))
            .collect()
    };
    Ok((staff, users))
}
