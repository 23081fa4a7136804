//! `marquee import movielens DIR`: reads a MovieLens folder with [`marquee_core::dataset`], checks it,
//! then writes movies, genres, users, ratings and tags in one transaction. Re-running is
//! idempotent (existing movies and users are kept, ratings are upserted); a failure anywhere
//! leaves the database as it was.
//!
//! Ratings are never all in memory: a first pass over the file checks every rating and collects
//! the raters, a second one streams them in batches of multi-row upserts (built directly, not
//! through the query builder). Into an empty ratings table, the index by movie is dropped and
//! rebuilt after the load, inside the same transaction; PostgreSQL stages the rows in a
//! temporary table and sets aside every secondary index and foreign key of `ratings` until they
//! are in (see `PgBulk`).
//!
//! Every import has a source name (by default its folder's name, e.g. `ml-100k`), and the ids
//! it brings are kept under it (`ml-100k:1`): user 1 of one dataset is not user 1 of another,
//! so two imports never write over each other. A movie that another source already brought
//! with the same IMDb or TMDB id is the same movie, and is shared.
use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use chrono::{DateTime, TimeZone, Utc};
use indicatif::ProgressBar;
use sea_orm::sea_query::{ExprTrait, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter,
    QuerySelect, Set, Statement, TransactionTrait,
};
use serde::Serialize;

use crate::db::entities::{movie_genres, movies, ratings, user_tags, users};
use crate::db::repo::movies::{ensure_genres, ensure_tags};
use marquee_core::dataset::{self, DatasetError};

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

/// The source name of a dataset folder when none is given: its name, lower-case, with
/// anything but letters, digits, `-`, `_` and `.` replaced by `-`.
pub fn default_source(dir: &Path) -> String {
    let name = dir
        .canonicalize()
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .or_else(|| dir.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "import".into());
    name.to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .take(40)
        .collect()
}

fn check_source(source: &str) -> Result<(), ImportError> {
    let ok = (1..=40).contains(&source.len())
        && source
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(ImportError::Invalid(format!(
            "source {source:?} must be 1 to 40 characters of a-z, 0-9, '-', '_' or '.'"
        )))
    }
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

/// Checks what the parser cannot: a score in range and a known movie (`n`: 1-based position).
fn check_rating(
    n: u64,
    r: &dataset::Rating,
    movie_ids: &std::collections::HashSet<i64>,
) -> Result<(), ImportError> {
    if !(0.5..=5.0).contains(&r.score) || (r.score * 2.0).fract() != 0.0 {
        return Err(ImportError::Invalid(format!(
            "rating #{n} (user {}, movie {}): score {} is not 0.5–5 in steps of 0.5",
            r.user, r.movie, r.score
        )));
    }
    if !movie_ids.contains(&r.movie) {
        return Err(ImportError::Invalid(format!(
            "rating #{n} (user {}): movie {} is not in the movies file",
            r.user, r.movie
        )));
    }
    Ok(())
}

/// Ratings per upsert statement: SQLite binds 5 parameters per row (its limit is 32 766);
/// PostgreSQL takes the batch as four arrays, so the statement's size does not grow with it.
const RATINGS_PER_STATEMENT: usize = 6000;

/// A PostgreSQL array literal (`{1,2,3}`) of numbers, as a text parameter.
fn pg_array<T: std::fmt::Display>(items: impl Iterator<Item = T>) -> sea_orm::Value {
    use std::fmt::Write;
    let mut out = String::from("{");
    for (i, x) in items.enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{x}");
    }
    out.push('}');
    out.into()
}

/// One multi-row upsert of ratings `(user, movie, score, unix seconds)`.
fn ratings_upsert(backend: DbBackend, rows: &[(i32, i32, f32, i64)]) -> Statement {
    const ON_CONFLICT: &str = " ON CONFLICT (user_id, movie_id) DO UPDATE SET score = excluded.score, updated_at = excluded.updated_at";
    if backend == DbBackend::Postgres {
        // One statement may not upsert a pair twice there: the last of a batch's duplicates wins.
        let mut last: HashMap<(i32, i32), usize> = HashMap::with_capacity(rows.len());
        for (n, r) in rows.iter().enumerate() {
            last.insert((r.0, r.1), n);
        }
        let deduped: Vec<(i32, i32, f32, i64)>;
        let rows = if last.len() == rows.len() {
            rows
        } else {
            deduped = rows
                .iter()
                .enumerate()
                .filter(|(n, r)| last[&(r.0, r.1)] == *n)
                .map(|(_, r)| *r)
                .collect();
            &deduped
        };
        // Arrays sent as their text form: one parameter per column for the whole batch.
        let values = vec![
            pg_array(rows.iter().map(|r| r.0)),
            pg_array(rows.iter().map(|r| r.1)),
            pg_array(rows.iter().map(|r| r.2)),
            pg_array(rows.iter().map(|r| r.3)),
        ];
        let sql = format!(
            "INSERT INTO ratings (user_id, movie_id, score, created_at, updated_at) \
             SELECT u, m, s, to_timestamp(t), to_timestamp(t) \
             FROM unnest($1::text::int[], $2::text::int[], $3::text::float8[], $4::text::bigint[]) AS x(u, m, s, t)\
             {ON_CONFLICT}"
        );
        return Statement::from_sql_and_values(backend, sql, values);
    }
    let mut sql = String::with_capacity(rows.len() * 12 + 200);
    sql.push_str("INSERT INTO ratings (user_id, movie_id, score, created_at, updated_at) VALUES ");
    let mut values: Vec<sea_orm::Value> = Vec::with_capacity(rows.len() * 5);
    for (i, &(u, m, score, at)) in rows.iter().enumerate() {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str("(?,?,?,?,?)");
        let t = ts(at);
        values.extend([
            u.into(),
            m.into(),
            (score as f64).into(),
            t.into(),
            t.into(),
        ]);
    }
    sql.push_str(ON_CONFLICT);
    Statement::from_sql_and_values(backend, sql, values)
}

/// PostgreSQL's bulk load into an empty ratings table: the rows go to a temporary table without
/// indexes, then into `ratings` in one sorted statement (the last of duplicate pairs wins) while
/// the table's secondary indexes and foreign keys are set aside, and they are rebuilt from their
/// own definitions at the end. Row by row, each rating costs two foreign-key probes with row
/// locks and three index insertions; rebuilt, they are a sort and a join.
struct PgBulk {
    /// Statements that put back what was set aside, in order.
    restore: Vec<String>,
    /// Rows staged so far (their order: the last of duplicates wins).
    staged: i64,
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl PgBulk {
    async fn begin<C: ConnectionTrait>(txn: &C) -> Result<Self, DbErr> {
        for sql in [
            "SET LOCAL work_mem = '256MB'",
            "SET LOCAL maintenance_work_mem = '512MB'",
            "CREATE TEMP TABLE ratings_load \
             (ord bigint, user_id int, movie_id int, score float8, t bigint) ON COMMIT DROP",
        ] {
            txn.execute_unprepared(sql).await?;
        }
        let pg = |sql: &str| Statement::from_string(DbBackend::Postgres, sql.to_owned());
        // Indexes that no constraint owns (the primary key stays), and the foreign keys.
        let indexes = txn
            .query_all_raw(pg(
                "SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS def \
                 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
                 WHERE i.indrelid = 'ratings'::regclass \
                 AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) \
                 ORDER BY 1",
            ))
            .await?;
        let keys = txn
            .query_all_raw(pg(
                "SELECT conname AS name, pg_get_constraintdef(oid) AS def \
                 FROM pg_constraint WHERE conrelid = 'ratings'::regclass AND contype = 'f' \
                 ORDER BY 1",
            ))
            .await?;
        let mut restore = vec![];
        for row in &indexes {
            let (name, def): (String, String) = (row.try_get("", "name")?, row.try_get("", "def")?);
            txn.execute_unprepared(&format!("DROP INDEX {}", quote_ident(&name)))
                .await?;
            restore.push(def);
        }
        for row in &keys {
            let (name, def): (String, String) = (row.try_get("", "name")?, row.try_get("", "def")?);
            let name = quote_ident(&name);
            txn.execute_unprepared(&format!("ALTER TABLE ratings DROP CONSTRAINT {name}"))
                .await?;
            restore.push(format!("ALTER TABLE ratings ADD CONSTRAINT {name} {def}"));
        }
        Ok(PgBulk { restore, staged: 0 })
    }

    /// Stages a batch of `(user, movie, score, unix seconds)`.
    async fn stage<C: ConnectionTrait>(
        &mut self,
        txn: &C,
        rows: &[(i32, i32, f32, i64)],
    ) -> Result<(), DbErr> {
        let first = self.staged;
        let values = vec![
            pg_array(first..first + rows.len() as i64),
            pg_array(rows.iter().map(|r| r.0)),
            pg_array(rows.iter().map(|r| r.1)),
            pg_array(rows.iter().map(|r| r.2)),
            pg_array(rows.iter().map(|r| r.3)),
        ];
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO ratings_load SELECT * FROM unnest($1::text::bigint[], \
             $2::text::int[], $3::text::int[], $4::text::float8[], $5::text::bigint[])",
            values,
        ))
        .await?;
        self.staged += rows.len() as i64;
        Ok(())
    }

    /// Moves the staged rows into `ratings` and puts the indexes and keys back.
    async fn finish<C: ConnectionTrait>(self, txn: &C) -> Result<(), DbErr> {
        txn.execute_unprepared(
            "INSERT INTO ratings (user_id, movie_id, score, created_at, updated_at) \
             SELECT DISTINCT ON (user_id, movie_id) user_id, movie_id, score, \
             to_timestamp(t), to_timestamp(t) FROM ratings_load \
             ORDER BY user_id, movie_id, ord DESC",
        )
        .await?;
        for sql in &self.restore {
            txn.execute_unprepared(sql).await?;
        }
        txn.execute_unprepared("ANALYZE ratings").await?;
        Ok(())
    }
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

/// Movies that carry an IMDb or TMDB id, by that id.
async fn movies_by_public_id<C: ConnectionTrait>(
    db: &C,
) -> Result<(HashMap<String, i32>, HashMap<i64, i32>), DbErr> {
    let rows: Vec<(i32, Option<String>, Option<i64>)> = movies::Entity::find()
        .select_only()
        .column(movies::Column::Id)
        .column(movies::Column::ImdbId)
        .column(movies::Column::TmdbId)
        .filter(
            movies::Column::ImdbId
                .is_not_null()
                .or(movies::Column::TmdbId.is_not_null()),
        )
        .into_tuple()
        .all(db)
        .await?;
    let mut imdb = HashMap::new();
    let mut tmdb = HashMap::new();
    for (id, i, t) in rows {
        if let Some(i) = i {
            imdb.entry(i).or_insert(id);
        }
        if let Some(t) = t {
            tmdb.entry(t).or_insert(id);
        }
    }
    Ok((imdb, tmdb))
}

/// Imports a MovieLens folder under `source` (see the module). `bar` (if any) is advanced by
/// rows written.
pub async fn import_movielens(
    db: &DatabaseConnection,
    dir: &Path,
    source: &str,
    bar: Option<&ProgressBar>,
) -> Result<ImportReport, ImportError> {
    check_source(source)?;
    let key = |id: i64| format!("{source}:{id}");
    let started = Instant::now();
    // First pass, before anything is written: everything but the ratings in full, then every
    // rating checked (and its user collected) without keeping it.
    let (mut ds, raters, n_ratings) = {
        let dir = dir.to_path_buf();
        tokio::task::spawn_blocking(move || -> Result<_, ImportError> {
            let ds = dataset::load_catalogue(&dir)?;
            let movie_ids: std::collections::HashSet<i64> =
                ds.movies.iter().map(|m| m.id).collect();
            let mut raters = std::collections::BTreeSet::new();
            let mut n = 0u64;
            let mut bad = None;
            dataset::for_each_rating(&dir, |r| {
                n += 1;
                if let Err(e) = check_rating(n, &r, &movie_ids) {
                    bad = Some(e);
                    return Err(DatasetError::Stopped);
                }
                raters.insert(r.user);
                Ok(())
            })
            .map_err(|e| bad.take().unwrap_or(ImportError::Dataset(e)))?;
            Ok((ds, raters, n as usize))
        })
        .await
        .map_err(|e| ImportError::Invalid(format!("reading the dataset failed: {e}")))??
    };
    let known: std::collections::HashSet<i64> = ds.users.iter().map(|u| u.id).collect();
    ds.users.extend(
        raters
            .into_iter()
            .filter(|u| !known.contains(u))
            .map(dataset::User::anonymous),
    );
    ds.users.sort_by_key(|u| u.id);
    if let Some(b) = bar {
        b.set_length((ds.movies.len() + ds.users.len() + n_ratings + ds.tags.len()) as u64);
        b.set_position(0);
    }
    let tick = |n: usize| {
        if let Some(b) = bar {
            b.inc(n as u64);
        }
    };
    let mut report = ImportReport {
        format: ds.format.label().to_string(),
        movies_in_file: ds.movies.len(),
        users_in_file: ds.users.len(),
        ratings_in_file: n_ratings,
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

    // Movies that are not there yet (under this source, or from another source by their
    // IMDb or TMDB id), with their genres.
    let existing = id_map_movies(&txn).await?;
    let (by_imdb, by_tmdb) = movies_by_public_id(&txn).await?;
    let links: HashMap<i64, &dataset::Link> = ds.links.iter().map(|l| (l.movie, l)).collect();
    let imdb_of = |m: &dataset::Movie| {
        m.imdb_id
            .clone()
            .or_else(|| links.get(&m.id).and_then(|l| l.imdb_id.clone()))
    };
    let tmdb_of = |m: &dataset::Movie| {
        m.tmdb_id
            .or_else(|| links.get(&m.id).and_then(|l| l.tmdb_id))
    };
    // Dataset movie id → database id, for the movies already there.
    let mut movie_ids: HashMap<i64, i32> = HashMap::new();
    let mut new_movies: Vec<&dataset::Movie> = vec![];
    for m in &ds.movies {
        let known = existing
            .get(&key(m.id))
            .or_else(|| imdb_of(m).and_then(|i| by_imdb.get(&i)))
            .or_else(|| tmdb_of(m).and_then(|t| by_tmdb.get(&t)));
        match known {
            Some(&id) => {
                movie_ids.insert(m.id, id);
            }
            None => new_movies.push(m),
        }
    }
    for chunk in new_movies.chunks(CHUNK) {
        let rows = chunk.iter().map(|m| movies::ActiveModel {
            external_id: Set(Some(key(m.id))),
            title: Set(m.title.clone()),
            year: Set(m.year),
            imdb_id: Set(imdb_of(m)),
            tmdb_id: Set(tmdb_of(m)),
            available: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        });
        movies::Entity::insert_many(rows)
            .exec_without_returning(&txn)
            .await?;
        tick(chunk.len());
    }
    tick(ds.movies.len() - new_movies.len());
    report.movies_added = new_movies.len();
    let by_key = id_map_movies(&txn).await?;
    for m in &new_movies {
        if let Some(&id) = by_key.get(&key(m.id)) {
            movie_ids.insert(m.id, id);
        }
    }
    let mut links_rows = Vec::new();
    for m in &new_movies {
        let Some(&mid) = movie_ids.get(&m.id) else {
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

    // Users, their external id the source's name and their MovieLens id (`ml-100k:1`).
    let existing = id_map_users(&txn).await?;
    let new_users: Vec<&dataset::User> = ds
        .users
        .iter()
        .filter(|u| !existing.contains_key(&key(u.id)))
        .collect();
    for chunk in new_users.chunks(CHUNK) {
        let rows = chunk.iter().map(|u| users::ActiveModel {
            external_id: Set(key(u.id)),
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

    // Ratings, upserted, streamed from the file a second time in batches.
    let lookup = |user: i64, movie: i64| -> Result<(i32, i32), ImportError> {
        let u = user_ids
            .get(&key(user))
            .ok_or_else(|| ImportError::Invalid(format!("user {user} is missing after import")))?;
        let m = movie_ids.get(&movie).ok_or_else(|| {
            ImportError::Invalid(format!("movie {movie} is missing after import"))
        })?;
        Ok((*u, *m))
    };
    let backend = txn.get_database_backend();
    let bulk = ratings::Entity::find().one(&txn).await?.is_none() && n_ratings > CHUNK;
    let mut pg_bulk = None;
    if bulk && backend == DbBackend::Postgres {
        pg_bulk = Some(PgBulk::begin(&txn).await?);
    } else if bulk {
        // Into an empty table the index by movie is cheaper built once at the end than kept up
        // row by row (DDL is transactional on both databases).
        txn.execute_unprepared("DROP INDEX IF EXISTS idx_ratings_movie")
            .await?;
    }
    if backend == DbBackend::Sqlite {
        // A bigger page cache for this connection while the indexes grow.
        txn.execute_unprepared("PRAGMA cache_size = -262144")
            .await?;
    }
    let by_user: HashMap<i64, i32> = ds
        .users
        .iter()
        .filter_map(|u| user_ids.get(&key(u.id)).map(|&id| (u.id, id)))
        .collect();
    let (tx, mut rx) =
        tokio::sync::mpsc::channel::<Result<Vec<(i32, i32, f32, i64)>, ImportError>>(2);
    let reader = {
        let dir = dir.to_path_buf();
        let movie_ids = movie_ids.clone();
        tokio::task::spawn_blocking(move || {
            let mut batch = Vec::with_capacity(RATINGS_PER_STATEMENT);
            let sent = dataset::for_each_rating(&dir, |r| {
                let row = match (by_user.get(&r.user), movie_ids.get(&r.movie)) {
                    (Some(&u), Some(&m)) => Ok((u, m, r.score, r.timestamp)),
                    _ => Err(ImportError::Invalid(format!(
                        "rating of movie {} by user {}: the file changed during the import",
                        r.movie, r.user
                    ))),
                };
                match row {
                    Ok(row) => batch.push(row),
                    Err(e) => {
                        let _ = tx.blocking_send(Err(e));
                        return Err(DatasetError::Stopped);
                    }
                }
                if batch.len() == RATINGS_PER_STATEMENT {
                    let full =
                        std::mem::replace(&mut batch, Vec::with_capacity(RATINGS_PER_STATEMENT));
                    tx.blocking_send(Ok(full))
                        .map_err(|_| DatasetError::Stopped)?;
                }
                Ok(())
            });
            match sent {
                Ok(_) if !batch.is_empty() => {
                    let _ = tx.blocking_send(Ok(batch));
                }
                Ok(_) | Err(DatasetError::Stopped) => {}
                Err(e) => {
                    let _ = tx.blocking_send(Err(e.into()));
                }
            }
        })
    };
    let mut written = 0;
    while let Some(batch) = rx.recv().await {
        let batch = batch?;
        match &mut pg_bulk {
            Some(load) => load.stage(&txn, &batch).await?,
            None => {
                txn.execute_raw(ratings_upsert(backend, &batch)).await?;
            }
        }
        written += batch.len();
        tick(batch.len());
    }
    reader
        .await
        .map_err(|e| ImportError::Invalid(format!("reading the ratings failed: {e}")))?;
    if written != n_ratings {
        return Err(ImportError::Invalid(format!(
            "ratings.csv changed during the import ({n_ratings} ratings checked, {written} read)"
        )));
    }
    if let Some(load) = pg_bulk {
        load.finish(&txn).await?;
    } else if bulk {
        txn.execute_unprepared(
            "CREATE INDEX IF NOT EXISTS idx_ratings_movie ON ratings (movie_id)",
        )
        .await?;
    }
    if backend == DbBackend::Sqlite {
        txn.execute_unprepared("PRAGMA cache_size = -2000").await?;
    }
    report.ratings_written = written;

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
    fn sources_are_named_after_their_folder_and_checked() {
        assert_eq!(
            default_source(Path::new("/data/ml-latest-small")),
            "ml-latest-small"
        );
        assert_eq!(
            default_source(Path::new("/data/My Ratings 2026")),
            "my-ratings-2026"
        );
        assert!(check_source("ml-100k").is_ok());
        assert!(check_source("").is_err());
        assert!(check_source("has:colon").is_err());
        assert!(check_source(&"x".repeat(41)).is_err());
    }

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
