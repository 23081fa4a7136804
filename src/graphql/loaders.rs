//! DataLoaders, built per request in `handler.rs`, so nested fields cost one query per level.
use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use sea_orm::{DatabaseConnection, DbErr};

use crate::db::repo::movies::{self, Credit, RatingStats};
use crate::db::{entities, repo};

/// A per-request DataLoader that caches what it loaded, so a resolver can prime it for a whole
/// page and nested fields then cost no query at all.
pub type Cached<T> = DataLoader<T, HashMapCache>;

/// Builds a cached loader.
pub fn cached<T: Loader<i32>>(loader: T) -> Cached<T> {
    DataLoader::with_cache(loader, tokio::spawn, HashMapCache::default())
}

/// Movies by id (any state; resolvers decide what to show).
pub struct MovieLoader(pub DatabaseConnection);

impl Loader<i32> for MovieLoader {
    type Value = entities::movies::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, ids: &[i32]) -> Result<HashMap<i32, Self::Value>, Self::Error> {
        Ok(movies::by_ids(&self.0, ids)
            .await?
            .into_iter()
            .map(|m| (m.id, m))
            .collect())
    }
}

/// The genres of movies.
pub struct GenresLoader(pub DatabaseConnection);

impl Loader<i32> for GenresLoader {
    type Value = Vec<entities::genres::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, ids: &[i32]) -> Result<HashMap<i32, Self::Value>, Self::Error> {
        let mut out: HashMap<i32, Self::Value> = ids.iter().map(|id| (*id, vec![])).collect();
        for (movie_id, g) in movies::genres_for(&self.0, ids).await? {
            out.entry(movie_id).or_default().push(g);
        }
        Ok(out)
    }
}

/// The credits (directors and cast) of movies.
pub struct CreditsLoader(pub DatabaseConnection);

impl Loader<i32> for CreditsLoader {
    type Value = Vec<Credit>;
    type Error = Arc<DbErr>;

    async fn load(&self, ids: &[i32]) -> Result<HashMap<i32, Self::Value>, Self::Error> {
        let mut out: HashMap<i32, Self::Value> = ids.iter().map(|id| (*id, vec![])).collect();
        for c in movies::credits_for(&self.0, ids).await? {
            out.entry(c.movie_id).or_default().push(c);
        }
        Ok(out)
    }
}

/// Rating count and mean of movies.
pub struct StatsLoader(pub DatabaseConnection);

impl Loader<i32> for StatsLoader {
    type Value = RatingStats;
    type Error = Arc<DbErr>;

    async fn load(&self, ids: &[i32]) -> Result<HashMap<i32, Self::Value>, Self::Error> {
        let mut out = movies::stats_for(&self.0, ids).await?;
        for id in ids {
            out.entry(*id).or_default();
        }
        Ok(out)
    }
}

/// The requesting user's own ratings of movies.
pub struct MyRatingLoader {
    pub db: DatabaseConnection,
    pub user_id: i32,
}

impl Loader<i32> for MyRatingLoader {
    type Value = Option<f64>;
    type Error = Arc<DbErr>;

    async fn load(&self, ids: &[i32]) -> Result<HashMap<i32, Self::Value>, Self::Error> {
        let mut out: HashMap<i32, Self::Value> = ids.iter().map(|id| (*id, None)).collect();
        for r in repo::ratings::for_user_and_movies(&self.db, self.user_id, ids).await? {
            out.insert(r.movie_id, Some(r.score));
        }
        Ok(out)
    }
}
