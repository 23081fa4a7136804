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

/// Records what was shown to a user, so impressions and clicks can be attributed by
/// `recommendationId`. Rows: (id, movie id, source, position).
pub async fn log_recommendations<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
    surface: &str,
    rows: &[(String, i32, &'static str, i32)],
) -> Result<(), DbErr> {
    use crate::db::entities::recommendation_logs;
    if rows.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    recommendation_logs::Entity::insert_many(rows.iter().map(
        |(id, movie_id, source, position)| recommendation_logs::ActiveModel {
            id: Set(id.clone()),
            user_id: Set(user_id),
            movie_id: Set(*movie_id),
            surface: Set(surface.to_owned()),
            source: Set((*source).to_owned()),
            position: Set(*position),
            created_at: Set(now),
        },
    ))
    .exec_without_returning(db)
    .await?;
    Ok(())
}
