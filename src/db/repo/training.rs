//! What training and serving read from the database: feedback as model input, the catalogue
//! index, users' histories, and stored model versions.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};

use crate::db::entities::{
    events, genres, model_versions, movie_genres, movie_keywords, movie_people, movies, people,
    ratings, tags, users,
};

/// The implicit weight of an event kind: positive for signs of liking, negative for dislike.
/// Impressions carry no signal on their own.
pub fn event_weight(kind: &str, progress: Option<f64>) -> f32 {
    match kind {
        "VIEW_COMPLETE" => 3.0,
        "VIEW_PROGRESS" => 1.0 + 2.0 * progress.unwrap_or(0.0).clamp(0.0, 1.0) as f32,
        "VIEW_START" => 0.5,
        "CLICK" => 0.5,
        "THUMBS_UP" => 4.0,
        "THUMBS_DOWN" => -4.0,
        "NOT_INTERESTED" => -5.0,
        _ => 0.0,
    }
}

/// One user's interaction with one movie, aggregated over ratings and events.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interaction {
    pub user_id: i32,
    pub movie_id: i32,
    /// Star rating, NaN when there is none.
    pub rating: f32,
    /// Signed implicit confidence (sum of event weights; 1.0 for a rating alone).
    pub confidence: f32,
    /// Unix seconds of the latest feedback.
    pub timestamp: i64,
    /// The user finished, thumbed down or dismissed the movie: never recommend it again.
    pub excluded: bool,
}

fn merge(
    map: &mut HashMap<(i32, i32), Interaction>,
    user_id: i32,
    movie_id: i32,
    rating: Option<f32>,
    weight: f32,
    at: DateTime<Utc>,
    excluded: bool,
) {
    let e = map.entry((user_id, movie_id)).or_insert(Interaction {
        user_id,
        movie_id,
        rating: f32::NAN,
        confidence: 0.0,
        timestamp: 0,
        excluded: false,
    });
    if let Some(r) = rating {
        e.rating = r;
    }
    e.confidence += weight;
    e.timestamp = std::cmp::max(e.timestamp, at.timestamp());
    e.excluded |= excluded;
}

fn is_exclusion(kind: &str) -> bool {
    matches!(kind, "VIEW_COMPLETE" | "THUMBS_DOWN" | "NOT_INTERESTED")
}

/// (user, movie, kind, progress, time) of one event.
type EventRow = (i32, i32, String, Option<f64>, DateTime<Utc>);

/// Aggregated interactions of users (all users with consent, or one user), ratings and events.
pub async fn interactions<C: ConnectionTrait>(
    db: &C,
    only_user: Option<i32>,
) -> Result<Vec<Interaction>, DbErr> {
    let consenting = Query::select()
        .column(users::Column::Id)
        .from(users::Entity)
        .and_where(Expr::col(users::Column::PersonalizationConsent).eq(true))
        .to_owned();
    let mut rq = ratings::Entity::find()
        .select_only()
        .column(ratings::Column::UserId)
        .column(ratings::Column::MovieId)
        .column(ratings::Column::Score)
        .column(ratings::Column::UpdatedAt);
    let mut eq = events::Entity::find()
        .select_only()
        .column(events::Column::UserId)
        .column(events::Column::MovieId)
        .column(events::Column::Kind)
        .column(events::Column::Progress)
        .column(events::Column::OccurredAt)
        .filter(events::Column::Kind.ne("IMPRESSION"));
    match only_user {
        Some(u) => {
            rq = rq.filter(ratings::Column::UserId.eq(u));
            eq = eq.filter(events::Column::UserId.eq(u));
        }
        None => {
            rq = rq.filter(ratings::Column::UserId.in_subquery(consenting.clone()));
            eq = eq.filter(events::Column::UserId.in_subquery(consenting));
        }
    }
    let rs: Vec<(i32, i32, f64, DateTime<Utc>)> = rq.into_tuple().all(db).await?;
    let es: Vec<EventRow> = eq.into_tuple().all(db).await?;
    let mut map: HashMap<(i32, i32), Interaction> = HashMap::with_capacity(rs.len() + es.len() / 2);
    for (u, m, s, at) in rs {
        merge(&mut map, u, m, Some(s as f32), 1.0, at, true);
    }
    for (u, m, kind, progress, at) in es {
        merge(
            &mut map,
            u,
            m,
            None,
            event_weight(&kind, progress),
            at,
            is_exclusion(&kind),
        );
    }
    let mut out: Vec<Interaction> = map.into_values().collect();
    out.sort_by_key(|i| (i.user_id, i.movie_id));
    Ok(out)
}

/// What serving needs to know of each movie that is not deleted.
#[derive(Debug, Clone)]
pub struct CatalogueEntry {
    pub movie_id: i32,
    pub title: String,
    pub year: Option<i32>,
    pub available: bool,
    pub genres: Vec<String>,
    pub directors: Vec<String>,
    pub cast: Vec<String>,
    pub keywords: Vec<String>,
    /// Genre ids, aligned with `genres`.
    pub genre_ids: Vec<i32>,
    /// Directors' and cast's person ids.
    pub person_ids: Vec<i32>,
    /// Number of ratings (for novelty).
    pub popularity: f64,
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

/// Drops the blobs of every version but `keep`: their metrics stay, their parameters (which
/// hold people's vectors) go. Such versions can no longer be activated.
pub async fn drop_inactive_blobs<C: ConnectionTrait>(db: &C, keep: i32) -> Result<u64, DbErr> {
    Ok(model_versions::Entity::update_many()
        .col_expr(
            model_versions::Column::Blob,
            Expr::value(Option::<Vec<u8>>::None),
        )
        .filter(model_versions::Column::Id.ne(keep))
        .filter(model_versions::Column::Blob.is_not_null())
        .exec(db)
        .await?
        .rows_affected)
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
    limit: u64,
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
        .filter(events::Column::Kind.is_in(["VIEW_START", "VIEW_COMPLETE", "THUMBS_UP", "CLICK"]))
        .into_tuple()
        .all(db)
        .await?;
    for m in rs.into_iter().chain(es) {
        *counts.entry(m).or_default() += 1;
    }
    let mut v: Vec<(i32, i64)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v.truncate(limit as usize);
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
