//! Viewing and feedback events.
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::db::entities::events;

/// A new event to record.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub user_id: i32,
    pub movie_id: i32,
    pub kind: &'static str,
    pub progress: Option<f64>,
    pub context: Option<String>,
    pub recommendation_id: Option<String>,
    pub occurred_at: DateTime<Utc>,
}

/// Records one event.
pub async fn insert<C: ConnectionTrait>(db: &C, e: NewEvent) -> Result<events::Model, DbErr> {
    events::ActiveModel {
        user_id: Set(e.user_id),
        movie_id: Set(e.movie_id),
        kind: Set(e.kind.to_owned()),
        progress: Set(e.progress),
        context: Set(e.context),
        recommendation_id: Set(e.recommendation_id),
        occurred_at: Set(e.occurred_at),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// A user's most recent events, newest first.
pub async fn recent_for_user<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
    limit: u64,
) -> Result<Vec<events::Model>, DbErr> {
    events::Entity::find()
        .filter(events::Column::UserId.eq(user_id))
        .order_by_desc(events::Column::OccurredAt)
        .order_by_desc(events::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// One recommended item shown to a user, recorded so impressions and clicks can be
/// attributed by `recommendationId`.
#[derive(Debug, Clone)]
pub struct ShownItem {
    pub id: String,
    pub user_id: i32,
    pub movie_id: i32,
    pub surface: &'static str,
    pub source: &'static str,
    pub position: i32,
    pub shown_at: DateTime<Utc>,
}

/// Records shown items in one statement.
pub async fn log_recommendations<C: ConnectionTrait>(
    db: &C,
    rows: &[ShownItem],
) -> Result<(), DbErr> {
    use crate::db::entities::recommendation_logs;
    if rows.is_empty() {
        return Ok(());
    }
    recommendation_logs::Entity::insert_many(rows.iter().map(|r| {
        recommendation_logs::ActiveModel {
            id: Set(r.id.clone()),
            user_id: Set(r.user_id),
            movie_id: Set(r.movie_id),
            surface: Set(r.surface.to_owned()),
            source: Set(r.source.to_owned()),
            position: Set(r.position),
            created_at: Set(r.shown_at),
        }
    }))
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Deletes recommendation logs older than `before`, at most `limit` rows; returns how many.
/// Deleting in slices keeps each transaction (and SQLite's write lock) short.
pub async fn prune_recommendation_logs<C: ConnectionTrait>(
    db: &C,
    before: DateTime<Utc>,
    limit: u64,
) -> Result<u64, DbErr> {
    use crate::db::entities::recommendation_logs;
    use sea_orm::sea_query::Query;
    let oldest = Query::select()
        .column(recommendation_logs::Column::Id)
        .from(recommendation_logs::Entity)
        .and_where(recommendation_logs::Column::CreatedAt.lt(before))
        .limit(limit)
        .to_owned();
    Ok(recommendation_logs::Entity::delete_many()
        .filter(recommendation_logs::Column::Id.in_subquery(oldest))
        .exec(db)
        .await?
        .rows_affected)
}
