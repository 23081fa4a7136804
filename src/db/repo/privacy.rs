//! Deletion requests, the erasure of a person, and the export of everything held about them.
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::{json, Value};

use crate::db::entities::{
    audit_log, deletion_requests, erasures, events, movies, ratings, recommendation_lists, tags,
    user_tags, users,
};

/// How an erased person's external id is kept in their tombstone: SHA-256, hex. Enough to
/// recognise a token naming them, not to read who they were.
pub fn subject_hash(external_id: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(external_id.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// When the person with this external id was last erased, if ever.
pub async fn last_erasure_of<C: ConnectionTrait>(
    db: &C,
    external_id: &str,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    Ok(erasures::Entity::find()
        .filter(erasures::Column::SubjectHash.eq(subject_hash(external_id)))
        .order_by_desc(erasures::Column::ErasedAt)
        .one(db)
        .await?
        .map(|e| e.erased_at))
}

/// The ids of users erased at or after `since` (every erased user when None): a model trained
/// from data read before their erasure, in any process, is stripped of them.
pub async fn erased_user_ids<C: ConnectionTrait>(
    db: &C,
    since: Option<DateTime<Utc>>,
) -> Result<Vec<i32>, DbErr> {
    let mut q = erasures::Entity::find()
        .select_only()
        .column(erasures::Column::UserId);
    if let Some(t) = since {
        q = q.filter(erasures::Column::ErasedAt.gte(t));
    }
    q.into_tuple::<i32>().all(db).await
}

/// Erasures recorded after tombstone `after_id`: (tombstone id, user id), oldest first.
pub async fn erasures_after<C: ConnectionTrait>(
    db: &C,
    after_id: i32,
) -> Result<Vec<(i32, i32)>, DbErr> {
    erasures::Entity::find()
        .select_only()
        .column(erasures::Column::Id)
        .column(erasures::Column::UserId)
        .filter(erasures::Column::Id.gt(after_id))
        .order_by_asc(erasures::Column::Id)
        .into_tuple()
        .all(db)
        .await
}

/// The states of a deletion request, as stored.
pub const PENDING: &str = "PENDING";
pub const APPROVED: &str = "APPROVED";
pub const REJECTED: &str = "REJECTED";
pub const COMPLETED: &str = "COMPLETED";

/// The open (PENDING or APPROVED) request about a user, if any.
pub async fn open_request<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
) -> Result<Option<deletion_requests::Model>, DbErr> {
    deletion_requests::Entity::find()
        .filter(deletion_requests::Column::UserId.eq(user_id))
        .filter(deletion_requests::Column::Status.is_in([PENDING, APPROVED]))
        .order_by_asc(deletion_requests::Column::Id)
        .one(db)
        .await
}

/// Creates a PENDING request.
pub async fn create_request<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
    requested_by: &str,
    due_at: DateTime<Utc>,
) -> Result<deletion_requests::Model, DbErr> {
    deletion_requests::ActiveModel {
        user_id: Set(Some(user_id)),
        requested_by: Set(requested_by.to_owned()),
        status: Set(PENDING.to_owned()),
        due_at: Set(due_at),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// One request by id.
pub async fn get_request<C: ConnectionTrait>(
    db: &C,
    id: i32,
) -> Result<Option<deletion_requests::Model>, DbErr> {
    deletion_requests::Entity::find_by_id(id).one(db).await
}

/// A user's requests, newest first.
pub async fn requests_of<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
) -> Result<Vec<deletion_requests::Model>, DbErr> {
    deletion_requests::Entity::find()
        .filter(deletion_requests::Column::UserId.eq(user_id))
        .order_by_desc(deletion_requests::Column::Id)
        .all(db)
        .await
}

/// A page of requests, soonest due first, and the total.
pub async fn list_requests<C: ConnectionTrait>(
    db: &C,
    status: Option<&str>,
    offset: u64,
    limit: u64,
) -> Result<(Vec<deletion_requests::Model>, u64), DbErr> {
    let mut q = deletion_requests::Entity::find();
    if let Some(s) = status {
        q = q.filter(deletion_requests::Column::Status.eq(s));
    }
    let total = q.clone().count(db).await?;
    let rows = q
        .order_by_asc(deletion_requests::Column::DueAt)
        .order_by_asc(deletion_requests::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    Ok((rows, total))
}

/// Records a decision (approve or reject).
pub async fn decide<C: ConnectionTrait>(
    db: &C,
    req: deletion_requests::Model,
    status: &str,
    staff_id: i32,
    reason: Option<String>,
) -> Result<deletion_requests::Model, DbErr> {
    let mut am: deletion_requests::ActiveModel = req.into();
    am.status = Set(status.to_owned());
    am.decided_by = Set(Some(staff_id));
    am.decided_at = Set(Some(Utc::now()));
    if reason.is_some() {
        am.reason = Set(reason);
    }
    am.update(db).await
}

/// Marks a request COMPLETED with its outcome (counts per table).
pub async fn complete<C: ConnectionTrait>(
    db: &C,
    req: deletion_requests::Model,
    outcome: &Value,
) -> Result<deletion_requests::Model, DbErr> {
    let mut am: deletion_requests::ActiveModel = req.into();
    am.status = Set(COMPLETED.to_owned());
    am.completed_at = Set(Some(Utc::now()));
    am.user_id = Set(None);
    am.outcome = Set(Some(outcome.to_string()));
    am.update(db).await
}

/// Deletes every row about a user; returns the number of rows per table. Run it inside a
/// transaction. Audit entries the user made or that name them keep their action and time but
/// lose the reference to the person. Deletion requests about the user lose their user id.
pub async fn erase_user<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
) -> Result<BTreeMap<&'static str, u64>, DbErr> {
    let mut counts = BTreeMap::new();
    counts.insert(
        "ratings",
        ratings::Entity::delete_many()
            .filter(ratings::Column::UserId.eq(user_id))
            .exec(db)
            .await?
            .rows_affected,
    );
    counts.insert(
        "events",
        events::Entity::delete_many()
            .filter(events::Column::UserId.eq(user_id))
            .exec(db)
            .await?
            .rows_affected,
    );
    counts.insert(
        "user_tags",
        user_tags::Entity::delete_many()
            .filter(user_tags::Column::UserId.eq(user_id))
            .exec(db)
            .await?
            .rows_affected,
    );
    counts.insert(
        "recommendation_lists",
        recommendation_lists::Entity::delete_many()
            .filter(recommendation_lists::Column::UserId.eq(user_id))
            .exec(db)
            .await?
            .rows_affected,
    );
    let by_user = audit_log::Entity::update_many()
        .col_expr(audit_log::Column::ActorId, Expr::value(Option::<i32>::None))
        .filter(audit_log::Column::ActorKind.eq("user"))
        .filter(audit_log::Column::ActorId.eq(user_id))
        .exec(db)
        .await?
        .rows_affected;
    let about_user = audit_log::Entity::update_many()
        .col_expr(
            audit_log::Column::TargetId,
            Expr::value(Option::<String>::None),
        )
        .filter(audit_log::Column::TargetType.eq("user"))
        .filter(audit_log::Column::TargetId.eq(user_id.to_string()))
        .exec(db)
        .await?
        .rows_affected;
    counts.insert("audit_log_redacted", by_user + about_user);
    counts.insert(
        "deletion_requests_unlinked",
        deletion_requests::Entity::update_many()
            .col_expr(
                deletion_requests::Column::UserId,
                Expr::value(Option::<i32>::None),
            )
            .filter(deletion_requests::Column::UserId.eq(user_id))
            .exec(db)
            .await?
            .rows_affected,
    );
    if let Some(u) = users::Entity::find_by_id(user_id).one(db).await? {
        erasures::ActiveModel {
            user_id: Set(user_id),
            subject_hash: Set(subject_hash(&u.external_id)),
            erased_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    counts.insert(
        "users",
        users::Entity::delete_by_id(user_id)
            .exec(db)
            .await?
            .rows_affected,
    );
    Ok(counts)
}

/// Everything held about a user, as JSON: profile, consent, ratings, events, tags, the
/// recommendations shown to them and their deletion requests. `None` for an unknown user.
pub async fn export_user<C: ConnectionTrait>(db: &C, user_id: i32) -> Result<Option<Value>, DbErr> {
    let Some(u) = users::Entity::find_by_id(user_id).one(db).await? else {
        return Ok(None);
    };
    let rs = ratings::Entity::find()
        .filter(ratings::Column::UserId.eq(user_id))
        .order_by_asc(ratings::Column::MovieId)
        .all(db)
        .await?;
    let es = events::Entity::find()
        .filter(events::Column::UserId.eq(user_id))
        .order_by_asc(events::Column::OccurredAt)
        .order_by_asc(events::Column::Id)
        .all(db)
        .await?;
    let ts = user_tags::Entity::find()
        .filter(user_tags::Column::UserId.eq(user_id))
        .order_by_asc(user_tags::Column::Id)
        .all(db)
        .await?;
    let lists = recommendation_lists::Entity::find()
        .filter(recommendation_lists::Column::UserId.eq(user_id))
        .order_by_asc(recommendation_lists::Column::CreatedAt)
        .order_by_asc(recommendation_lists::Column::Id)
        .all(db)
        .await?;
    // Each shown item: (recommendationId, movie, source, position, surface, shown at).
    let logs: Vec<_> = lists
        .iter()
        .flat_map(|l| {
            let items: Vec<crate::db::repo::events::LoggedItem> =
                serde_json::from_str(&l.items).unwrap_or_default();
            items.into_iter().map(move |i| {
                let id = crate::db::repo::events::ShownList::item_id(&l.id, i.position);
                (
                    id,
                    i.movie_id,
                    i.source.into_owned(),
                    i.position,
                    &l.surface,
                    l.created_at,
                )
            })
        })
        .collect();
    let reqs = requests_of(db, user_id).await?;

    let mut movie_ids: Vec<i32> = rs
        .iter()
        .map(|r| r.movie_id)
        .chain(es.iter().map(|e| e.movie_id))
        .chain(ts.iter().map(|t| t.movie_id))
        .chain(logs.iter().map(|l| l.1))
        .collect();
    movie_ids.sort_unstable();
    movie_ids.dedup();
    let titles: BTreeMap<i32, String> = if movie_ids.is_empty() {
        BTreeMap::new()
    } else {
        movies::Entity::find()
            .select_only()
            .column(movies::Column::Id)
            .column(movies::Column::Title)
            .filter(movies::Column::Id.is_in(movie_ids))
            .into_tuple::<(i32, String)>()
            .all(db)
            .await?
            .into_iter()
            .collect()
    };
    let mut tag_ids: Vec<i32> = ts.iter().map(|t| t.tag_id).collect();
    tag_ids.sort_unstable();
    tag_ids.dedup();
    let tag_names: BTreeMap<i32, String> = if tag_ids.is_empty() {
        BTreeMap::new()
    } else {
        tags::Entity::find()
            .filter(tags::Column::Id.is_in(tag_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|t| (t.id, t.name))
            .collect()
    };
    let title = |m: i32| titles.get(&m).cloned();
    Ok(Some(json!({
        "exportedAt": Utc::now(),
        "profile": {
            "externalId": u.external_id,
            "displayName": u.display_name,
            "ageBand": u.age_band,
            "gender": u.gender,
            "occupation": u.occupation,
            "country": u.country,
            "personalizationConsent": u.personalization_consent,
            "createdAt": u.created_at,
            "updatedAt": u.updated_at,
        },
        "ratings": rs.iter().map(|r| json!({
            "movieId": r.movie_id, "title": title(r.movie_id), "score": r.score,
            "createdAt": r.created_at, "updatedAt": r.updated_at,
        })).collect::<Vec<_>>(),
        "events": es.iter().map(|e| json!({
            "movieId": e.movie_id, "title": title(e.movie_id), "kind": e.kind,
            "progress": e.progress,
            "context": e.context.as_deref().and_then(|c| serde_json::from_str::<Value>(c).ok()),
            "recommendationId": e.recommendation_id, "occurredAt": e.occurred_at,
        })).collect::<Vec<_>>(),
        "tags": ts.iter().map(|t| json!({
            "movieId": t.movie_id, "title": title(t.movie_id),
            "tag": tag_names.get(&t.tag_id), "createdAt": t.created_at,
        })).collect::<Vec<_>>(),
        "recommendationsShown": logs.iter().map(|(id, movie, source, position, surface, at)| json!({
            "recommendationId": id, "movieId": movie, "title": title(*movie),
            "surface": surface, "source": source, "position": position,
            "shownAt": at,
        })).collect::<Vec<_>>(),
        "deletionRequests": reqs.iter().map(|r| json!({
            "status": r.status, "requestedBy": r.requested_by, "dueAt": r.due_at,
            "createdAt": r.created_at, "decidedAt": r.decided_at, "reason": r.reason,
        })).collect::<Vec<_>>(),
    })))
}
