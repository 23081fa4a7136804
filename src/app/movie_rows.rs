//! Movie rows in memory for the API's movie fields (title, year, …): a recommendations page
//! reads its ten movies from here, not from the database. Bounded; emptied after every
//! catalogue change (the same effect that reloads the catalogue index).
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use sea_orm::{DatabaseConnection, DbErr};

use crate::db::entities::movies;
use crate::db::repo;

/// Rows kept at most; past it the cache starts afresh.
const MAX_ROWS: usize = 200_000;

/// The cache.
#[derive(Default)]
pub struct MovieRows {
    rows: Mutex<HashMap<i32, Arc<movies::Model>>>,
    /// Bumped by every catalogue change: a load that began before one is not kept.
    epoch: AtomicU64,
}

impl MovieRows {
    /// The rows of these movies that exist (any state; callers decide what to show).
    pub async fn get_many(
        &self,
        db: &DatabaseConnection,
        ids: &[i32],
    ) -> Result<HashMap<i32, movies::Model>, DbErr> {
        let mut out = HashMap::with_capacity(ids.len());
        let mut missing = Vec::new();
        {
            let rows = self.lock();
            for id in ids {
                match rows.get(id) {
                    Some(m) => {
                        out.insert(*id, (**m).clone());
                    }
                    None => missing.push(*id),
                }
            }
        }
        if missing.is_empty() {
            return Ok(out);
        }
        let epoch = self.epoch.load(Ordering::Acquire);
        let loaded = repo::movies::by_ids(db, &missing).await?;
        let mut rows = self.lock();
        if self.epoch.load(Ordering::Acquire) == epoch {
            if rows.len() + loaded.len() > MAX_ROWS {
                rows.clear();
            }
            for m in &loaded {
                rows.insert(m.id, Arc::new(m.clone()));
            }
        }
        drop(rows);
        out.extend(loaded.into_iter().map(|m| (m.id, m)));
        Ok(out)
    }

    /// After a catalogue change: every row is read again.
    pub fn invalidate(&self) {
        let mut rows = self.lock();
        self.epoch.fetch_add(1, Ordering::AcqRel);
        rows.clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i32, Arc<movies::Model>>> {
        self.rows.lock().unwrap_or_else(|p| p.into_inner())
    }
}
