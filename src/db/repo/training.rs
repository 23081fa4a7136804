//! What training and serving read from the database: feedback as model input, the catalogue
//! index, users' histories, and stored model versions.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};

pub use marquee_core::catalogue::CatalogueEntry;
pub use marquee_core::feedback::Interaction;
use marquee_core::feedback::{EventKind, FeedbackChange, InteractionBuilder, UserFeedback};

use crate::db::entities::{
    events, genres, model_versions, movie_genres, movie_keywords, movie_people, movies, people,
    ratings, tags, users,
};

/// (user, movie, kind, progress, time) of one event.
type EventRow = (i32, i32, String, Option<f64>, DateTime<Utc>);

/// Ratings as (user, movie, score, time).
fn rating_rows() -> sea_orm::Select<ratings::Entity> {
    ratings::Entity::find()
        .select_only()
        .column(ratings::Column::UserId)
        .column(ratings::Column::MovieId)
        .column(ratings::Column::Score)
        .column(ratings::Column::UpdatedAt)
}

/// Events but impressions, as [`EventRow`]s in the order they were recorded.
fn event_rows() -> sea_orm::Select<events::Entity> {
    events::Entity::find()
        .select_only()
        .column(events::Column::UserId)
        .column(events::Column::MovieId)
        .column(events::Column::Kind)
        .column(events::Column::Progress)
        .column(events::Column::OccurredAt)
        .filter(events::Column::Kind.ne(EventKind::Impression.as_str()))
        .order_by_asc(events::Column::Id)
}

/// Ratings (user, movie, score, time) and non-impression events of one user (events in the
/// order they were recorded).
async fn feedback_rows<C: ConnectionTrait>(
    db: &C,
    user: i32,
) -> Result<(Vec<(i32, i32, f64, DateTime<Utc>)>, Vec<EventRow>), DbErr> {
    Ok((
        rating_rows()
            .filter(ratings::Column::UserId.eq(user))
            .into_tuple()
            .all(db)
            .await?,
        event_rows()
            .filter(events::Column::UserId.eq(user))
            .into_tuple()
            .all(db)
            .await?,
    ))
}

/// Aggregated interactions of all users with consent, ratings and events. Rows are streamed
/// from the database into the builder (never held as a result set), so memory is the
/// interactions' own 32 bytes each.
pub async fn interactions(db: &DatabaseConnection) -> Result<Vec<Interaction>, DbErr> {
    let consenting = Query::select()
        .column(users::Column::Id)
        .from(users::Entity)
        .and_where(Expr::col(users::Column::PersonalizationConsent).eq(true))
        .to_owned();
    let n_ratings: i64 = ratings::Entity::find()
        .select_only()
        .column_as(ratings::Column::Id.count(), "n")
        .into_tuple()
        .one(db)
        .await?
        .unwrap_or(0);
    let mut b = InteractionBuilder::with_capacity(std::cmp::Ord::max(n_ratings, 0) as usize);
    let mut rows = rating_rows()
        .filter(ratings::Column::UserId.in_subquery(consenting.clone()))
        .into_tuple::<(i32, i32, f64, DateTime<Utc>)>()
        .stream(db)
        .await?;
    while let Some(row) = rows.next().await {
        let (u, m, s, at) = row?;
        b.rating(u, m, s as f32, at.timestamp());
    }
    drop(rows);
    let mut rows = event_rows()
        .filter(events::Column::UserId.in_subquery(consenting))
        .into_tuple::<EventRow>()
        .stream(db)
        .await?;
    while let Some(row) = rows.next().await {
        let (u, m, kind, progress, at) = row?;
        // Kinds are validated on the way in; an unknown stored name carries no signal.
        if let Ok(kind) = kind.parse::<EventKind>() {
            b.event(u, m, kind, progress, at.timestamp());
        }
    }
    drop(rows);
    Ok(b.build())
}

/// One user's feedback (whatever their consent), to keep in memory and update in place.
pub async fn user_feedback<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
) -> Result<UserFeedback, DbErr> {
    let (rs, es) = feedback_rows(db, user_id).await?;
    let mut f = UserFeedback::new(user_id);
    for (_, movie_id, score, at) in rs {
        f.apply(&FeedbackChange::Rated {
            movie_id,
            score: score as f32,
            at: at.timestamp(),
        });
    }
    for (_, movie_id, kind, progress, at) in es {
        if let Ok(kind) = kind.parse::<EventKind>() {
            f.apply(&FeedbackChange::Event {
                movie_id,
                kind,
                progress,
                at: at.timestamp(),
            });
        }
    }
    Ok(f)
}

/// Every movie that is not deleted, with genres, people and keywords (four queries).
pub async fn catalogue<C: ConnectionTrait>(db: &C) -> Result<Vec<CatalogueEntry>, DbErr> {
    let ms: Vec<(i32, String, Option<i32>, bool)> = movies::Entity::find()
        .select_only()
        .column(movies::Column::Id)
        .column(movies::Column::Title)
        .column(movies::Column::Year)
        .column(movies::Column::Available)
        .filter(movies::Column::DeletedAt.is_null())
        .order_by_asc(movies::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let genre_names: HashMap<i32, String> = genres::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.id, g.name))
        .collect();
    let person_names: HashMap<i32, String> = people::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    let tag_names: HashMap<i32, String> = tags::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let mut by_id: HashMap<i32, CatalogueEntry> = ms
        .into_iter()
        .map(|(movie_id, title, year, available)| {
            (
                movie_id,
                CatalogueEntry {
                    movie_id,
                    title,
                    year,
                    available,
                    genres: vec![],
                    directors: vec![],
                    cast: vec![],
                    keywords: vec![],
                    genre_ids: vec![],
                    person_ids: vec![],
                    popularity: 0.0,
                },
            )
        })
        .collect();
    for l in movie_genres::Entity::find().all(db).await? {
        if let (Some(e), Some(n)) = (by_id.get_mut(&l.movie_id), genre_names.get(&l.genre_id)) {
            e.genres.push(n.clone());
            e.genre_ids.push(l.genre_id);
        }
    }
    let mut credits = movie_people::Entity::find().all(db).await?;
    credits.sort_by_key(|c| (c.movie_id, c.position));
    for c in credits {
        if let (Some(e), Some(n)) = (by_id.get_mut(&c.movie_id), person_names.get(&c.person_id)) {
            e.person_ids.push(c.person_id);
            if c.role == "director" {
                e.directors.push(n.clone());
            } else {
                e.cast.push(n.clone());
            }
        }
    }
    for k in movie_keywords::Entity::find().all(db).await? {
        if let (Some(e), Some(n)) = (by_id.get_mut(&k.movie_id), tag_names.get(&k.tag_id)) {
            e.keywords.push(n.clone());
        }
    }
    let counts: Vec<(i32, i64)> = ratings::Entity::find()
        .select_only()
        .column(ratings::Column::MovieId)
        .column_as(ratings::Column::Id.count(), "n")
        .group_by(ratings::Column::MovieId)
        .into_tuple()
        .all(db)
        .await?;
    for (m, n) in counts {
        if let Some(e) = by_id.get_mut(&m) {
            e.popularity = n as f64;
        }
    }
    let mut out: Vec<CatalogueEntry> = by_id.into_values().collect();
    out.sort_by_key(|e| e.movie_id);
    Ok(out)
}

/// Demographics of consenting users: (user id, age band, gender, occupation, country).
pub async fn demographics<C: ConnectionTrait>(db: &C) -> Result<Vec<users::Model>, DbErr> {
    users::Entity::find()
        .filter(users::Column::PersonalizationConsent.eq(true))
        .all(db)
        .await
}

/// Fields of a model version to store.
#[derive(Debug, Clone)]
pub struct NewModelVersion {
    pub algorithm: String,
    pub params: serde_json::Value,
    pub metrics: serde_json::Value,
    pub timings: serde_json::Value,
    pub data_cutoff: Option<DateTime<Utc>>,
    pub blob: Vec<u8>,
}

/// Stores a model version and makes it the active one, in one transaction.
pub async fn store_active_version(
    db: &sea_orm::DatabaseConnection,
    v: NewModelVersion,
) -> Result<model_versions::Model, DbErr> {
    let txn = db.begin().await?;
    model_versions::Entity::update_many()
        .col_expr(model_versions::Column::Active, Expr::value(false))
        .filter(model_versions::Column::Active.eq(true))
        .exec(&txn)
        .await?;
    let m = model_versions::ActiveModel {
        algorithm: Set(v.algorithm),
        params: Set(v.params.to_string()),
        metrics: Set(v.metrics.to_string()),
        timings: Set(v.timings.to_string()),
        data_cutoff: Set(v.data_cutoff),
        trained_at: Set(Utc::now()),
        active: Set(true),
        blob: Set(Some(v.blob)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(m)
}

/// Replaces a model version's blob (after a person was erased from it).
pub async fn replace_blob<C: ConnectionTrait>(db: &C, id: i32, blob: Vec<u8>) -> Result<(), DbErr> {
    model_versions::Entity::update_many()
        .col_expr(model_versions::Column::Blob, Expr::value(blob))
        .filter(model_versions::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Drops the blobs of inactive versions but the newest `keep_previous`: their metrics stay.
/// Returns how many were dropped.
pub async fn prune_blobs<C: ConnectionTrait>(db: &C, keep_previous: u64) -> Result<u64, DbErr> {
    let old: Vec<i32> = model_versions::Entity::find()
        .select_only()
        .column(model_versions::Column::Id)
        .filter(model_versions::Column::Active.eq(false))
        .filter(model_versions::Column::Blob.is_not_null())
        .order_by_desc(model_versions::Column::Id)
        .into_tuple::<i32>()
        .all(db)
        .await?
        .into_iter()
        .skip(keep_previous as usize)
        .collect();
    if old.is_empty() {
        return Ok(0);
    }
    Ok(model_versions::Entity::update_many()
        .col_expr(
            model_versions::Column::Blob,
            Expr::value(Option::<Vec<u8>>::None),
        )
        .filter(model_versions::Column::Id.is_in(old))
        .exec(db)
        .await?
        .rows_affected)
}

/// Drops the blobs of every version but the active one: their metrics stay, their parameters
/// (which hold people's vectors) go. Such versions can no longer be activated.
pub async fn drop_inactive_blobs<C: ConnectionTrait>(db: &C) -> Result<u64, DbErr> {
    Ok(model_versions::Entity::update_many()
        .col_expr(
            model_versions::Column::Blob,
            Expr::value(Option::<Vec<u8>>::None),
        )
        .filter(model_versions::Column::Active.eq(false))
        .filter(model_versions::Column::Blob.is_not_null())
        .exec(db)
        .await?
        .rows_affected)
}

/// The id of the active model version (without reading its blob).
pub async fn active_version_id<C: ConnectionTrait>(db: &C) -> Result<Option<i32>, DbErr> {
    model_versions::Entity::find()
        .select_only()
        .column(model_versions::Column::Id)
        .filter(model_versions::Column::Active.eq(true))
        .order_by_desc(model_versions::Column::Id)
        .into_tuple()
        .one(db)
        .await
}

/// The active model version with its blob.
pub async fn active_version<C: ConnectionTrait>(
    db: &C,
) -> Result<Option<model_versions::Model>, DbErr> {
    model_versions::Entity::find()
        .filter(model_versions::Column::Active.eq(true))
        .order_by_desc(model_versions::Column::Id)
        .one(db)
        .await
}

/// One model version with its blob.
pub async fn version<C: ConnectionTrait>(
    db: &C,
    id: i32,
) -> Result<Option<model_versions::Model>, DbErr> {
    model_versions::Entity::find_by_id(id).one(db).await
}

/// A model version's columns but its blob.
type VersionRow = (
    i32,
    String,
    String,
    String,
    String,
    Option<DateTime<Utc>>,
    DateTime<Utc>,
    bool,
);

/// Model versions, newest first, without their blobs.
pub async fn versions<C: ConnectionTrait>(
    db: &C,
    limit: u64,
) -> Result<Vec<model_versions::Model>, DbErr> {
    let rows: Vec<VersionRow> = model_versions::Entity::find()
        .select_only()
        .column(model_versions::Column::Id)
        .column(model_versions::Column::Algorithm)
        .column(model_versions::Column::Params)
        .column(model_versions::Column::Metrics)
        .column(model_versions::Column::Timings)
        .column(model_versions::Column::DataCutoff)
        .column(model_versions::Column::TrainedAt)
        .column(model_versions::Column::Active)
        .order_by_desc(model_versions::Column::Id)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, algorithm, params, metrics, timings, data_cutoff, trained_at, active)| {
                model_versions::Model {
                    id,
                    algorithm,
                    params,
                    metrics,
                    timings,
                    data_cutoff,
                    trained_at,
                    active,
                    blob: None,
                }
            },
        )
        .collect())
}

/// Movies ranked by interactions since `since` (ratings and positive events), most first.
pub async fn trending<C: ConnectionTrait>(
    db: &C,
    since: DateTime<Utc>,
) -> Result<Vec<(i32, i64)>, DbErr> {
    let mut counts: HashMap<i32, i64> = HashMap::new();
    let rs: Vec<i32> = ratings::Entity::find()
        .select_only()
        .column(ratings::Column::MovieId)
        .filter(ratings::Column::UpdatedAt.gte(since))
        .into_tuple()
        .all(db)
        .await?;
    let es: Vec<i32> = events::Entity::find()
        .select_only()
        .column(events::Column::MovieId)
        .filter(events::Column::OccurredAt.gte(since))
        .filter(events::Column::Kind.is_in(EventKind::ENGAGEMENT.map(EventKind::as_str)))
        .into_tuple()
        .all(db)
        .await?;
    for m in rs.into_iter().chain(es) {
        *counts.entry(m).or_default() += 1;
    }
    let mut v: Vec<(i32, i64)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(v)
}

/// A segment of users by optional demographics.
#[derive(Debug, Clone, Default)]
pub struct Segment {
    pub age_band: Option<String>,
    pub gender: Option<String>,
    pub occupation: Option<String>,
    pub country: Option<String>,
}

/// Per movie, (number of ratings, mean rating) among users of the segment.
pub async fn segment_ratings<C: ConnectionTrait>(
    db: &C,
    seg: &Segment,
) -> Result<Vec<(i32, i64, f64)>, DbErr> {
    let mut users_q = Query::select()
        .column(users::Column::Id)
        .from(users::Entity)
        .to_owned();
    if let Some(v) = &seg.age_band {
        users_q.and_where(Expr::col(users::Column::AgeBand).eq(v.clone()));
    }
    if let Some(v) = &seg.gender {
        users_q.and_where(Expr::col(users::Column::Gender).eq(v.clone()));
    }
    if let Some(v) = &seg.occupation {
        users_q.and_where(Expr::col(users::Column::Occupation).eq(v.clone()));
    }
    if let Some(v) = &seg.country {
        users_q.and_where(Expr::col(users::Column::Country).eq(v.clone()));
    }
    ratings::Entity::find()
        .select_only()
        .column(ratings::Column::MovieId)
        .column_as(ratings::Column::Id.count(), "n")
        .column_as(Expr::col(ratings::Column::Score).avg(), "mean")
        .filter(ratings::Column::UserId.in_subquery(users_q))
        .group_by(ratings::Column::MovieId)
        .into_tuple()
        .all(db)
        .await
}
