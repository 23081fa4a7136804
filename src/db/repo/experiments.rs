//! Experiments, their exposures (the recommendation lists served in them) and what the exposed
//! users did afterwards.
use std::collections::HashMap;

use marquee_core::feedback::EventKind;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};

use crate::db::entities::{
    events, experiments, ratings, recommendation_list_experiments, recommendation_lists,
};

/// Values per `IN (…)` list (SQLite binds at most 32 766 values).
const USERS_PER_QUERY: usize = 5_000;

/// Every experiment, newest first.
pub async fn list<C: ConnectionTrait>(db: &C) -> Result<Vec<experiments::Model>, DbErr> {
    experiments::Entity::find()
        .order_by_desc(experiments::Column::Id)
        .all(db)
        .await
}

/// One experiment.
pub async fn get<C: ConnectionTrait>(db: &C, id: i32) -> Result<Option<experiments::Model>, DbErr> {
    experiments::Entity::find_by_id(id).one(db).await
}

/// The experiments in a status.
pub async fn with_status<C: ConnectionTrait>(
    db: &C,
    status: &str,
) -> Result<Vec<experiments::Model>, DbErr> {
    experiments::Entity::find()
        .filter(experiments::Column::Status.eq(status))
        .order_by_asc(experiments::Column::Id)
        .all(db)
        .await
}

/// Inserts a new experiment (its `id` is assigned).
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    m: experiments::Model,
) -> Result<experiments::Model, DbErr> {
    let mut am = experiments::ActiveModel::from(m).reset_all();
    am.id = sea_orm::NotSet;
    am.insert(db).await
}

/// Saves every column of a changed experiment.
pub async fn save<C: ConnectionTrait>(
    db: &C,
    m: experiments::Model,
) -> Result<experiments::Model, DbErr> {
    experiments::ActiveModel::from(m)
        .reset_all()
        .update(db)
        .await
}

/// The lists served in an experiment, each with its exposure row, oldest first.
pub async fn exposures<C: ConnectionTrait>(
    db: &C,
    experiment_id: i32,
) -> Result<
    Vec<(
        recommendation_list_experiments::Model,
        recommendation_lists::Model,
    )>,
    DbErr,
> {
    let exposed = recommendation_list_experiments::Entity::find()
        .filter(recommendation_list_experiments::Column::ExperimentId.eq(experiment_id))
        .order_by_asc(recommendation_list_experiments::Column::CreatedAt)
        .all(db)
        .await?;
    let mut lists: HashMap<String, recommendation_lists::Model> = HashMap::new();
    for chunk in exposed.chunks(USERS_PER_QUERY) {
        for l in recommendation_lists::Entity::find()
            .filter(recommendation_lists::Column::Id.is_in(chunk.iter().map(|x| x.list_id.clone())))
            .all(db)
            .await?
        {
            lists.insert(l.id.clone(), l);
        }
    }
    Ok(exposed
        .into_iter()
        .filter_map(|x| {
            let l = lists.remove(&x.list_id)?;
            Some((x, l))
        })
        .collect())
}

/// The events of `users` that attribution counts (clicks, views, dismissals), since `since`.
pub async fn outcome_events<C: ConnectionTrait>(
    db: &C,
    users: &[i32],
    since: DateTime<Utc>,
) -> Result<Vec<events::Model>, DbErr> {
    let kinds = [
        EventKind::Click,
        EventKind::ViewStart,
        EventKind::ViewProgress,
        EventKind::ViewComplete,
        EventKind::NotInterested,
    ]
    .map(EventKind::as_str);
    let mut out = Vec::new();
    for chunk in users.chunks(USERS_PER_QUERY) {
        out.extend(
            events::Entity::find()
                .filter(events::Column::UserId.is_in(chunk.iter().copied()))
                .filter(events::Column::OccurredAt.gte(since))
                .filter(events::Column::Kind.is_in(kinds))
                .all(db)
                .await?,
        );
    }
    Ok(out)
}

/// The ratings of `users` set since `since` (by their last change).
pub async fn outcome_ratings<C: ConnectionTrait>(
    db: &C,
    users: &[i32],
    since: DateTime<Utc>,
) -> Result<Vec<ratings::Model>, DbErr> {
    let mut out = Vec::new();
    for chunk in users.chunks(USERS_PER_QUERY) {
        out.extend(
            ratings::Entity::find()
                .filter(ratings::Column::UserId.is_in(chunk.iter().copied()))
                .filter(ratings::Column::UpdatedAt.gte(since))
                .all(db)
                .await?,
        );
    }
    Ok(out)
}

/// Lists served in `[from, to)`, a page at a time in id order (ids are time-ordered UUIDv7):
/// at most `limit` with an id above `after`.
pub async fn lists_between<C: ConnectionTrait>(
    db: &C,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<recommendation_lists::Model>, DbErr> {
    use sea_orm::QuerySelect;
    let mut q = recommendation_lists::Entity::find()
        .filter(recommendation_lists::Column::CreatedAt.gte(from))
        .filter(recommendation_lists::Column::CreatedAt.lt(to));
    if let Some(after) = after {
        q = q.filter(recommendation_lists::Column::Id.gt(after));
    }
    q.order_by_asc(recommendation_lists::Column::Id)
        .limit(limit)
        .all(db)
        .await
}
