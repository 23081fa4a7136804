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

/// One list of recommendations shown to a user, recorded so impressions and clicks can be
/// attributed by `recommendationId` (`<id>:<position>`).
#[derive(Debug, Clone)]
pub struct ShownList {
    pub id: String,
    pub user_id: i32,
    pub surface: &'static str,
    /// (movie, source, position from the top of the list), in the order shown.
    pub items: Vec<(i32, &'static str, i32)>,
    pub shown_at: DateTime<Utc>,
    /// The experiments it was served in, with the variant of each.
    pub experiments: Vec<(i32, i32)>,
}

impl ShownList {
    /// The `recommendationId` of the item at `position`.
    pub fn item_id(list_id: &str, position: i32) -> String {
        format!("{list_id}:{position}")
    }
}

/// Records shown lists in one statement, and the experiments they were served in in another
/// (call it in a transaction to keep the two together).
pub async fn log_recommendations<C: ConnectionTrait>(
    db: &C,
    lists: &[ShownList],
) -> Result<(), DbErr> {
    use crate::db::entities::{recommendation_list_experiments, recommendation_lists};
    if lists.is_empty() {
        return Ok(());
    }
    recommendation_lists::Entity::insert_many(lists.iter().map(|l| {
        recommendation_lists::ActiveModel {
            id: Set(l.id.clone()),
            user_id: Set(l.user_id),
            surface: Set(l.surface.to_owned()),
            items: Set(serde_json::to_string(&l.items).unwrap_or_else(|_| "[]".into())),
            created_at: Set(l.shown_at),
        }
    }))
    .exec_without_returning(db)
    .await?;
    let exposures: Vec<_> = lists
        .iter()
        .flat_map(|l| {
            l.experiments.iter().map(|(experiment, variant)| {
                recommendation_list_experiments::ActiveModel {
                    list_id: Set(l.id.clone()),
                    experiment_id: Set(*experiment),
                    variant: Set(*variant),
                    created_at: Set(l.shown_at),
                }
            })
        })
        .collect();
    if !exposures.is_empty() {
        recommendation_list_experiments::Entity::insert_many(exposures)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Deletes recommendation lists older than `before`, at most `limit` rows; returns how many.
/// Deleting in slices keeps each transaction (and SQLite's write lock) short.
pub async fn prune_recommendation_logs<C: ConnectionTrait>(
    db: &C,
    before: DateTime<Utc>,
    limit: u64,
) -> Result<u64, DbErr> {
    use crate::db::entities::recommendation_lists;
    use sea_orm::sea_query::Query;
    let oldest = Query::select()
        .column(recommendation_lists::Column::Id)
        .from(recommendation_lists::Entity)
        .and_where(recommendation_lists::Column::CreatedAt.lt(before))
        .limit(limit)
        .to_owned();
    Ok(recommendation_lists::Entity::delete_many()
        .filter(recommendation_lists::Column::Id.in_subquery(oldest))
        .exec(db)
        .await?
        .rows_affected)
}
