//! `marquee import movielens DIR`: reads a MovieLens folder with [`marquee_core::dataset`], checks it,
//! then writes movies, genres, users, ratings and tags in one transaction. Re-running is
//! idempotent (existing movies and users are kept, ratings are upserted); a failure anywhere
//! leaves the database as it was.
use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use chrono::{DateTime, TimeZone, Utc};
use indicatif::ProgressBar;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect,
    Set, TransactionTrait,
};
use serde::Serialize;

use crate::db::entities::{movie_genres, movies, ratings, user_tags, users};
use crate::db::repo::movies::{ensure_genres, ensure_tags};
use marquee_core::dataset::{self, Dataset, DatasetError};

/// Why an import failed. Nothing was written in any case.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    #[error("{0}")]
    Invalid(String),
    #[error("database error: {0}")]
    Db(#[from] DbErr),
}

/// What an import did.
#[derive(Debug, Clone, Serialize, Default)]
pub struct ImportReport {
    pub format: String,
    pub movies_in_file: usize,
    pub movies_added: usize,
    pub users_in_file: usize,
    pub users_added: usize,
    pub ratings_in_file: usize,
    pub ratings_written: usize,
    pub tags_in_file: usize,
    pub tags_written: usize,
    pub seconds: f64,
}

/// Rows per multi-row INSERT (kept well below SQLite's and PostgreSQL's parameter limits).
const CHUNK: usize = 2000;

/// Maps an age in years (or an ml-1m band's lower bound) to Marquee's age bands.
pub fn age_band(age: i32) -> &'static str {
    match age {
        i32::MIN..=17 => "under-18",
        18..=24 => "18-24",
        25..=34 => "25-34",
        35..=44 => "35-44",
        45..=54 => "45-54",
        55..=64 => "55-64",
        _ => "65+",
    }
}

fn ts(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).single().unwrap_or_else(Utc::now)
}

/// Checks what the parser cannot: scores in range and ratings that name known movies and users.
fn check(ds: &Dataset) -> Result<(), ImportError> {
    let movie_ids: std::collections::HashSet<i64> = ds.movies.iter().map(|m| m.id).collect();
    for (i, r) in ds.ratings.iter().enumerate() {
        if !(0.5..=5.0).contains(&r.score) || (r.score * 2.0).fract() != 0.0 {
            return Err(ImportError::Invalid(format!(
                "rating #{} (user {}, movie {}): score {} is not 0.5–5 in steps of 0.5",
                i + 1,
                r.user,
                r.movie,
                r.score
            )));
        }
        if !movie_ids.contains(&r.movie) {
            return Err(ImportError::Invalid(format!(
                "rating #{} (user {}): movie {} is not in the movies file",
                i + 1,
                r.user,
                r.movie
            )));
        }
    }
    Ok(())
}

async fn id_map_movies<C: ConnectionTrait>(db: &C) -> Result<HashMap<String, i32>, DbErr> {
    let rows: Vec<(i32, Option<String>)> = movies::Entity::find()
        .select_only()
        .column(movies::Column::Id)
        .column(movies::Column::ExternalId)
        .filter(movies::Column::ExternalId.is_not_null())
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, ext)| ext.map(|e| (e, id)))
        .collect())
}

/// Database id of every user by external id.
pub(crate) async fn id_map_users<C: ConnectionTrait>(
    db: &C,
) -> Result<HashMap<String, i32>, DbErr> {
    let rows: Vec<(i32, String)> = users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .column(users::Column::ExternalId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|(id, ext)| (ext, id)).collect())
}

/// Imports a MovieLens folder. `bar` (if any) is advanced by rows written.
pub async fn import_movielens(
    db: &DatabaseConnection,
    dir: &Path,
    bar: Option<&ProgressBar>,
) -> Result<ImportReport, ImportError> {
    let started = Instant::now();
    let ds = {
        let dir = dir.to_path_buf();
        tokio::task::spawn_blocking(move || dataset::load(&dir))
            .await
            .map_err(|e| ImportError::Invalid(format!("reading the dataset failed: {e}")))??
    };
    check(&ds)?;
    if let Some(b) = bar {
        b.set_length((ds.movies.len() + ds.users.len() + ds.ratings.len() + ds.tags.len()) as u64);
        b.set_position(0);
    }
    let tick = |n: usize| {
        if let Some(b) = bar {
            b.inc(n as u64);
        }
    };
    let mut report = ImportReport {
        format: format!("{:?}", ds.format),
        movies_in_file: ds.movies.len(),
        users_in_file: ds.users.len(),
        ratings_in_file: ds.ratings.len(),
        tags_in_file: ds.tags.len(),
        ..Default::default()
    };
    let now = Utc::now();
    let txn = db.begin().await?;

    // Genres.
    let mut genre_names: Vec<String> = ds
        .movies
        .iter()
        .flat_map(|m| m.genres.iter().cloned())
        .collect();
    genre_names.sort();
    genre_names.dedup();
    let genre_ids: HashMap<String, i32> = genre_names
        .iter()
        .cloned()
        .zip(ensure_genres(&txn, &genre_names).await?)
        .collect();

    // Movies that are not there yet, with their genres.
    let existing = id_map_movies(&txn).await?;
    let links: HashMap<i64, &dataset::Link> = ds.links.iter().map(|l| (l.movie, l)).collect();
    let new_movies: Vec<&dataset::Movie> = ds
        .movies
        .iter()
        .filter(|m| !existing.contains_key(&m.id.to_string()))
        .collect();
    for chunk in new_movies.chunks(CHUNK) {
        let rows = chunk.iter().map(|m| {
            let link = links.get(&m.id);
            movies::ActiveModel {
                external_id: Set(Some(m.id.to_string())),
                title: Set(m.title.clone()),
                year: Set(m.year),
                imdb_id: Set(m
                    .imdb_id
                    .clone()
                    .or_else(|| link.and_then(|l| l.imdb_id.clone()))),
                tmdb_id: Set(m.tmdb_id.or_else(|| link.and_then(|l| l.tmdb_id))),
                available: Set(true),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
        });
        movies::Entity::insert_many(rows)
            .exec_without_returning(&txn)
            .await?;
        tick(chunk.len());
    }
    tick(ds.movies.len() - new_movies.len());
    report.movies_added = new_movies.len();
    let movie_ids = id_map_movies(&txn).await?;
    let mut links_rows = Vec::new();
    for m in &new_movies {
        let Some(&mid) = movie_ids.get(&m.id.to_string()) else {
            continue;
        };
        for g in &m.genres {
            if let Some(&gid) = genre_ids.get(g) {
                links_rows.push(movie_genres::ActiveModel {
                    movie_id: Set(mid),
                    genre_id: Set(gid),
                });
            }
        }
    }
    for chunk in links_rows.chunks(CHUNK) {
        movie_genres::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::columns([movie_genres::Column::MovieId, movie_genres::Column::GenreId])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
    }

    // Users, keeping their MovieLens id as external id.
    let existing = id_map_users(&txn).await?;
    let new_users: Vec<&dataset::User> = ds
        .users
        .iter()
        .filter(|u| !existing.contains_key(&u.id.to_string()))
        .collect();
    for chunk in new_users.chunks(CHUNK) {
        let rows = chunk.iter().map(|u| users::ActiveModel {
            external_id: Set(u.id.to_string()),
            age_band: Set(u.age.map(|a| age_band(a).to_owned())),
            gender: Set(u.gender.as_ref().map(|g| g.to_ascii_uppercase())),
            occupation: Set(u.occupation.as_ref().map(|o| o.to_lowercase())),
            personalization_consent: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        });
        users::Entity::insert_many(rows)
            .exec_without_returning(&txn)
            .await?;
        tick(chunk.len());
    }
    tick(ds.users.len() - new_users.len());
    report.users_added = new_users.len();
    let user_ids = id_map_users(&txn).await?;

    // Ratings, upserted.
    let lookup = |user: i64, movie: i64| -> Result<(i32, i32), ImportError> {
        let u = user_ids
            .get(&user.to_string())
            .ok_or_else(|| ImportError::Invalid(format!("user {user} is missing after import")))?;
        let m = movie_ids.get(&movie.to_string()).ok_or_else(|| {
            ImportError::Invalid(format!("movie {movie} is missing after import"))
        })?;
        Ok((*u, *m))
    };
    for chunk in ds.ratings.chunks(CHUNK) {
        let mut rows = Vec::with_capacity(chunk.len());
        for r in chunk {
            let (u, m) = lookup(r.user, r.movie)?;
            rows.push(ratings::ActiveModel {
                user_id: Set(u),
                movie_id: Set(m),
                score: Set(r.score as f64),
                created_at: Set(ts(r.timestamp)),
                updated_at: Set(ts(r.timestamp)),
                ..Default::default()
            });
        }
        ratings::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([ratings::Column::UserId, ratings::Column::MovieId])
                    .update_columns([ratings::Column::Score, ratings::Column::UpdatedAt])
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
        tick(chunk.len());
    }
    report.ratings_written = ds.ratings.len();

    // Users' free-text tags.
    if !ds.tags.is_empty() {
        let mut names: Vec<String> = ds
            .tags
            .iter()
            .map(|t| t.tag.trim().to_lowercase())
            .filter(|t| !t.is_empty())
            .collect();
        names.sort();
        names.dedup();
        let tag_ids: HashMap<String, i32> = names
            .iter()
            .cloned()
            .zip(ensure_tags(&txn, &names).await?)
            .collect();
        let mut written = 0;
        for chunk in ds.tags.chunks(CHUNK) {
            let mut rows = Vec::with_capacity(chunk.len());
            for t in chunk {
                let Some(&tag_id) = tag_ids.get(&t.tag.trim().to_lowercase()) else {
                    continue;
                };
                let (u, m) = lookup(t.user, t.movie)?;
                rows.push(user_tags::ActiveModel {
                    user_id: Set(u),
                    movie_id: Set(m),
                    tag_id: Set(tag_id),
                    created_at: Set(ts(t.timestamp)),
                    ..Default::default()
                });
            }
            written += rows.len();
            if !rows.is_empty() {
                user_tags::Entity::insert_many(rows)
                    .on_conflict(
                        OnConflict::columns([
                            user_tags::Column::UserId,
                            user_tags::Column::MovieId,
                            user_tags::Column::TagId,
                        ])
                        .do_nothing()
                        .to_owned(),
                    )
                    .exec_without_returning(&txn)
                    .await?;
            }
            tick(chunk.len());
        }
        report.tags_written = written;
    }

    txn.commit().await?;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_map_to_bands() {
        assert_eq!(age_band(7), "under-18");
        assert_eq!(age_band(1), "under-18");
        assert_eq!(age_band(18), "18-24");
        assert_eq!(age_band(34), "25-34");
        assert_eq!(age_band(56), "55-64");
        assert_eq!(age_band(73), "65+");
    }
}
