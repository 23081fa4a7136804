//! End users' rows in memory, by external id: the auth step of every user request reads its
//! row from here instead of the database. Bounded (least recently used go first).
//!
//! A profile change replaces the cached row after its commit and an erasure drops it; both
//! move an epoch under the cache's lock, and a loader inserts what it read only if the epoch
//! has not moved since it began, so a row read before a change never overwrites it. Another
//! replica's change drops the row here (`app/replication.rs`).
use std::sync::{Arc, Mutex, MutexGuard};

use crate::app::lru::Lru;
use crate::db::entities::users;
use crate::db::repo;
use crate::error::AppError;
use sea_orm::DatabaseConnection;

struct Inner {
    rows: Lru<String, Arc<users::Model>>,
    epoch: u64,
}

/// The cache.
pub struct UserRows {
    inner: Mutex<Inner>,
}

impl UserRows {
    /// At most `capacity` rows (at least 1).
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Mutex::new(Inner {
                rows: Lru::new(capacity),
                epoch: 0,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The user behind a valid end-user token: cached, or found (created on first sight) in
    /// the database and cached. None when the token predates the person's erasure.
    pub async fn find_or_create(
        &self,
        db: &DatabaseConnection,
        external_id: &str,
        issued_at: i64,
    ) -> Result<Option<Arc<users::Model>>, AppError> {
        let epoch = {
            let mut inner = self.lock();
            if let Some(u) = inner.rows.get_mut(&external_id.to_owned()) {
                return Ok(Some(u.clone()));
            }
            inner.epoch
        };
        // No transaction needed: the unique external id makes a racing second insert a no-op.
        let Some(u) = repo::users::find_or_create(db, external_id, issued_at).await? else {
            return Ok(None);
        };
        let u = Arc::new(u);
        let mut inner = self.lock();
        if inner.epoch == epoch {
            inner.rows.insert(external_id.to_owned(), u.clone());
        }
        Ok(Some(u))
    }

    /// A committed change to a user's row.
    pub fn changed(&self, row: &users::Model) {
        let mut inner = self.lock();
        inner.epoch += 1;
        inner
            .rows
            .insert(row.external_id.clone(), Arc::new(row.clone()));
    }

    /// A user erased.
    pub fn erased(&self, user_id: i32) {
        self.forget(user_id);
    }

    /// Drops a user's row (changed by another replica): the next request reads it again.
    pub fn forget(&self, user_id: i32) {
        let mut inner = self.lock();
        inner.epoch += 1;
        inner.rows.retain(|_, u| u.id != user_id);
    }

    /// Drops every row.
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.epoch += 1;
        inner.rows.retain(|_, _| false);
    }
}
