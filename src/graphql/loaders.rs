//! DataLoaders, built per request in `handler.rs`, so nested fields cost one query per level.
//! They read through the repositories with the shared state's connection; their errors are
//! shared between the callers of a batch, hence `Arc<AppError>`.
use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};

use crate::db::repo::movies::{self, Credit, RatingStats};
use crate::db::{entities, repo};
use crate::error::AppError;
use crate::state::AppState;

/// A per-request DataLoader that caches what it loaded, so a resolver can prime it for a whole
/// page and nested fields then cost no query at all.
pub type Cached<T> = DataLoader<T, HashMapCache>;

/// Builds a cached loader.
pub fn cached<T: Loader<i32>>(loader: T) -> Cached<T> {
    DataLoader::with_cache(loader, tokio::spawn, HashMapCache::default())
}

/// Movies by id (any state; resolvers decide what to show).
pub struct MovieLoader(pub Arc<AppState>);

impl Loader<i32> for MovieLoader {
    type Value = entities::movies::Model;
    type Error = Arc<AppError>;

    async fn load(&self, ids: &[i32]) -> Result<HashMap<i32, Self::Value>, Self::Error> {
        self.0
            .movie_rows
            .get_many(&self.0.db, ids)
            .await
            .map_err(shared)
    }
}

/// The genres of movies.
pub struct GenresLoader(pub Arc<AppState>);

impl Loader<i32> for GenresLoader {
    type Value = Vec<entities::genres::Model>;
    type Error = Arc<AppError>;

    async fn load(&self, ids: &[i32]) -> Result<HashMap<i32, Self::Value>, Self::Error> {
        let mut out: HashMap<i32, Self::Value> = ids.iter().map(|id| (*id, vec![])).collect();
        for (movie_id, g) in movies::genres_for(&self.0.db, ids).await.map_err(shared)? {
            out.entry(movie_id).or_default().push(g);
        }
        Ok(out)
    }
}

/// The credits (directors and cast) of movies.
pub struct CreditsLoader(pub Arc<AppState>);

impl Loader<i32> for CreditsLoader {
    type Value = Vec<Credit>;
    type Error = Arc<AppError>;

    async fn load(&self, ids: &[i32]) -> Result<HashMap<i32, Self::Value>, Self::Error> {
        let mut out: HashMap<i32, Self::Value> = ids.iter().map(|id| (*id, vec![])).collect();
        for c in movies::credits_for(&self.0.db, ids).await.map_err(shared)? {
            out.entry(c.movie_id).or_default().push(c);
        }
        Ok(out)
    }
}

/// Rating count and mean of movies.
pub struct StatsLoader(pub Arc<AppState>);

impl Loader<i32> for StatsLoader {
    type Value = RatingStats;
    type Error = Arc<AppError>;

    async fn load(&self, ids: &[i32]) -> Result<HashMap<i32, Self::Value>, Self::Error> {
        let mut out = movies::stats_for(&self.0.db, ids).await.map_err(shared)?;
        for id in ids {
            out.entry(*id).or_default();
        }
        Ok(out)
    }
}

/// The requesting user's own ratings of movies.
pub struct MyRatingLoader {
    pub st: Arc<AppState>,
    pub user_id: i32,
}

impl Loader<i32> for MyRatingLoader {
    type Value = Option<f64>;
    type Error = Arc<AppError>;

    async fn load(&self, ids: &[i32]) -> Result<HashMap<i32, Self::Value>, Self::Error> {
        let mut out: HashMap<i32, Self::Value> = ids.iter().map(|id| (*id, None)).collect();
        for r in repo::ratings::for_user_and_movies(&self.st.db, self.user_id, ids)
            .await
            .map_err(shared)?
        {
            out.insert(r.movie_id, Some(r.score));
        }
        Ok(out)
    }
}

fn shared(e: impl Into<AppError>) -> Arc<AppError> {
    Arc::new(e.into())
}
