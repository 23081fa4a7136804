//! Loads the built-in demo catalogue ([`crate::demo`]) into an empty database, in one
//! transaction, and creates the demo staff account.
use std::collections::HashMap;

use anyhow::Context;
use chrono::Utc;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, Set, TransactionTrait};

use crate::config::DemoSettings;
use crate::db::entities::{
    events, movie_genres, movie_keywords, movie_people, movies, people, ratings, users,
};
use crate::db::repo::{self, movies::ensure_genres, movies::ensure_tags};
use crate::demo::{self, DemoParams};
use crate::state::AppState;

const CHUNK: usize = 2000;

/// What the demo load wrote.
#[derive(Debug, Clone, Default)]
pub struct DemoReport {
    pub movies: usize,
    pub people: usize,
    pub users: usize,
    pub ratings: usize,
    pub events: usize,
}

/// Loads the demo when the catalogue is empty and config allows it; ensures a staff account.
pub async fn load_demo_if_empty(state: &AppState) -> anyhow::Result<()> {
    let demo = &state.settings.demo;
    if !demo.load_on_empty {
        return Ok(());
    }
    if repo::count_rows(&state.db, "movies").await? == 0 {
        let started = std::time::Instant::now();
        let r = load_demo(&state.db, demo)
            .await
            .context("loading the demo catalogue")?;
        tracing::info!(
            movies = r.movies,
            users = r.users,
            ratings = r.ratings,
            events = r.events,
            seconds = started.elapsed().as_secs_f64(),
            "demo catalogue loaded"
        );
    }
    ensure_demo_staff(&state.db, demo).await
}

/// Creates the demo admin account when there is no staff account at all. Its password comes
/// from config (`demo.staff_password`) or is generated and printed once.
pub async fn ensure_demo_staff(db: &DatabaseConnection, demo: &DemoSettings) -> anyhow::Result<()> {
    if repo::count_rows(db, "staff").await? > 0 {
        return Ok(());
    }
    let (password, generated) = if demo.staff_password.is_empty() {
        (
            uuid::Uuid::new_v4().simple().to_string()[..16].to_owned(),
            true,
        )
    } else {
        (demo.staff_password.clone(), false)
    };
    let hash = crate::auth::password::hash(&password)?;
    repo::staff::create(db, &demo.staff_email, hash, "admin").await?;
    if generated {
        eprintln!(
            "\nDemo admin account created (shown once): email {}  password {}\n",
            demo.staff_email, password
        );
    } else {
        eprintln!(
            "Demo admin account created: {} (password from config)",
            demo.staff_email
        );
    }
    Ok(())
}

/// Writes the generated demo data; all or nothing.
pub async fn load_demo(db: &DatabaseConnection, demo: &DemoSettings) -> anyhow::Result<DemoReport> {
    let params = DemoParams {
        seed: demo.seed,
        users: demo.users,
        now: Utc::now(),
    };
    let data = tokio::task::spawn_blocking(move || demo::generate(&params)).await??;
    let now = Utc::now();
    let txn = db.begin().await?;

    // People.
    for chunk in data.people.chunks(CHUNK) {
        people::Entity::insert_many(chunk.iter().map(|p| people::ActiveModel {
            name: Set(p.name.clone()),
            ..Default::default()
        }))
        .exec_without_returning(&txn)
        .await?;
    }
    let person_ids = id_by_name(&txn).await?;
    let person = |key: u32| -> Option<i32> {
        data.people
            .iter()
            .find(|p| p.key == key)
            .and_then(|p| person_ids.get(&p.name).copied())
    };

    // Genres and keywords.
    let mut genre_names: Vec<String> = data.movies.iter().flat_map(|m| m.genres.clone()).collect();
    genre_names.sort();
    genre_names.dedup();
    let genre_ids: HashMap<String, i32> = genre_names
        .iter()
        .cloned()
        .zip(ensure_genres(&txn, &genre_names).await?)
        .collect();
    let mut tag_names: Vec<String> = data
        .movies
        .iter()
        .flat_map(|m| m.tags.iter().map(|t| t.trim().to_lowercase()))
        .collect();
    tag_names.sort();
    tag_names.dedup();
    let tag_ids: HashMap<String, i32> = tag_names
        .iter()
        .cloned()
        .zip(ensure_tags(&txn, &tag_names).await?)
        .collect();

    // Movies.
    for chunk in data.movies.chunks(CHUNK) {
        movies::Entity::insert_many(chunk.iter().map(|m| movies::ActiveModel {
            external_id: Set(Some(format!("demo:{}", m.key))),
            title: Set(m.title.clone()),
            year: Set(Some(m.year)),
            overview: Set(Some(m.overview.clone())),
            runtime: Set(m.runtime),
            language: Set(Some(m.language.clone())),
            country: Set(Some(m.country.clone())),
            available: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }))
        .exec_without_returning(&txn)
        .await?;
    }
    let movie_ids = movie_ids_by_key(&txn).await?;
    let mut genre_links = vec![];
    let mut credit_links = vec![];
    let mut keyword_links = vec![];
    for m in &data.movies {
        let mid = *movie_ids
            .get(&m.key)
            .context("demo movie missing after insert")?;
        for g in &m.genres {
            if let Some(&gid) = genre_ids.get(g) {
                genre_links.push(movie_genres::ActiveModel {
                    movie_id: Set(mid),
                    genre_id: Set(gid),
                });
            }
        }
        for (role, keys) in [("director", &m.directors), ("cast", &m.cast)] {
            for (pos, key) in keys.iter().enumerate() {
                if let Some(pid) = person(*key) {
                    credit_links.push(movie_people::ActiveModel {
                        movie_id: Set(mid),
                        person_id: Set(pid),
                        role: Set(role.to_owned()),
                        position: Set(pos as i32),
                    });
                }
            }
        }
        let mut seen = vec![];
        for t in &m.tags {
            if let Some(&tid) = tag_ids.get(&t.trim().to_lowercase()) {
                if !seen.contains(&tid) {
                    seen.push(tid);
                    keyword_links.push(movie_keywords::ActiveModel {
                        movie_id: Set(mid),
                        tag_id: Set(tid),
                    });
                }
            }
        }
    }
    for c in genre_links.chunks(CHUNK) {
        movie_genres::Entity::insert_many(c.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    for c in credit_links.chunks(CHUNK) {
        movie_people::Entity::insert_many(c.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    for c in keyword_links.chunks(CHUNK) {
        movie_keywords::Entity::insert_many(c.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }

    // Users.
    for chunk in data.users.chunks(CHUNK) {
        users::Entity::insert_many(chunk.iter().map(|u| users::ActiveModel {
            external_id: Set(u.external_id.clone()),
            age_band: Set(Some(u.age_band.clone())),
            gender: Set(u.gender.clone()),
            occupation: Set(Some(u.occupation.clone())),
            country: Set(Some(u.country.clone())),
            personalization_consent: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }))
        .exec_without_returning(&txn)
        .await?;
    }
    let user_ids: HashMap<u32, i32> = {
        let by_ext = crate::db::import::id_map_users(&txn).await?;
        data.users
            .iter()
            .filter_map(|u| by_ext.get(&u.external_id).map(|id| (u.key, *id)))
            .collect()
    };
    let ids = |u: u32, m: u32| -> anyhow::Result<(i32, i32)> {
        Ok((
            *user_ids.get(&u).context("demo user missing")?,
            *movie_ids.get(&m).context("demo movie missing")?,
        ))
    };

    // Ratings and events.
    for chunk in data.ratings.chunks(CHUNK) {
        let mut rows = Vec::with_capacity(chunk.len());
        for r in chunk {
            let (u, m) = ids(r.user, r.movie)?;
            rows.push(ratings::ActiveModel {
                user_id: Set(u),
                movie_id: Set(m),
                score: Set(r.score as f64),
                created_at: Set(r.at),
                updated_at: Set(r.at),
                ..Default::default()
            });
        }
        ratings::Entity::insert_many(rows)
            .exec_without_returning(&txn)
            .await?;
    }
    for chunk in data.events.chunks(CHUNK) {
        let mut rows = Vec::with_capacity(chunk.len());
        for e in chunk {
            let (u, m) = ids(e.user, e.movie)?;
            rows.push(events::ActiveModel {
                user_id: Set(u),
                movie_id: Set(m),
                kind: Set(e.kind.as_str().to_owned()),
                progress: Set(e.progress.map(f64::from)),
                context: Set(None),
                recommendation_id: Set(None),
                occurred_at: Set(e.at),
                ..Default::default()
            });
        }
        events::Entity::insert_many(rows)
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(DemoReport {
        movies: data.movies.len(),
        people: data.people.len(),
        users: data.users.len(),
        ratings: data.ratings.len(),
        events: data.events.len(),
    })
}

async fn id_by_name<C: ConnectionTrait>(db: &C) -> anyhow::Result<HashMap<String, i32>> {
    use sea_orm::QuerySelect;
    let rows: Vec<(i32, String)> = people::Entity::find()
        .select_only()
        .column(people::Column::Id)
        .column(people::Column::Name)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|(id, n)| (n, id)).collect())
}

async fn movie_ids_by_key<C: ConnectionTrait>(db: &C) -> anyhow::Result<HashMap<u32, i32>> {
    use sea_orm::{ColumnTrait, QueryFilter, QuerySelect};
    let rows: Vec<(i32, Option<String>)> = movies::Entity::find()
        .select_only()
        .column(movies::Column::Id)
        .column(movies::Column::ExternalId)
        .filter(movies::Column::ExternalId.starts_with("demo:"))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, ext)| {
            ext?.strip_prefix("demo:")?
                .parse::<u32>()
                .ok()
                .map(|k| (k, id))
        })
        .collect())
}
