//! Users' feedback in memory, for serving: loaded once, then updated in place by each
//! committed write, bounded (least recently used go first). A recommendation reads no history
//! from the database while its user is cached.
//!
//! # Staying right under concurrent writes
//!
//! A write declares itself when it begins ([`UserStates::begin_write`]) and applies its change
//! after its commit ([`WriteGuard::applied`]); a loader reads the database only outside any
//! write. Users are spread over stripes, each with a count of writes in flight and an epoch
//! bumped by every finished write. A loader inserts what it read only if no write was in
//! flight when it started and the epoch has not moved since: so a cached state never misses a
//! committed change, and never holds one twice (a change is applied in place only to states
//! loaded before the write began). A loader that may have raced serves what it read and
//! leaves the cache alone.
//!
//! Other replicas' writes are not seen here until the entry is evicted (the scale-out issue
//! adds notifications).
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use sea_orm::{ConnectionTrait, DbErr};

use crate::app::lru::Lru;
use crate::db::repo::training;
use marquee_core::feedback::{FeedbackChange, Interaction, UserFeedback};

const STRIPES: usize = 1024;

/// One user's feedback and the interactions it makes.
#[derive(Debug, Clone, PartialEq)]
pub struct UserState {
    pub feedback: UserFeedback,
    /// Ordered by movie.
    pub interactions: Vec<Interaction>,
}

impl UserState {
    fn new(feedback: UserFeedback) -> Self {
        let interactions = feedback.interactions();
        Self {
            feedback,
            interactions,
        }
    }
}

#[derive(Default)]
struct Stripe {
    in_flight: AtomicU64,
    epoch: AtomicU64,
}

/// The cache.
pub struct UserStates {
    lru: Mutex<Lru<i32, Arc<UserState>>>,
    stripes: Vec<Stripe>,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// A write in flight for one user; dropping it without [`WriteGuard::applied`] (a rollback)
/// only ends it.
pub struct WriteGuard<'a> {
    states: &'a UserStates,
    user_id: i32,
}

impl WriteGuard<'_> {
    /// The write committed: apply its changes to the cached state, if the user is cached.
    pub fn applied(self, changes: &[FeedbackChange]) -> Option<Arc<UserState>> {
        let mut lru = self.states.lru.lock().unwrap_or_else(|p| p.into_inner());
        let out = lru.get_mut(&self.user_id).map(|state| {
            let mut next = (**state).clone();
            for c in changes {
                next.feedback.apply(c);
            }
            next.interactions = next.feedback.interactions();
            *state = Arc::new(next);
            state.clone()
        });
        drop(lru);
        out
        // `self` drops here: the epoch moves and the write ends.
    }
}

impl Drop for WriteGuard<'_> {
    fn drop(&mut self) {
        let s = self.states.stripe(self.user_id);
        s.epoch.fetch_add(1, Ordering::AcqRel);
        s.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

impl UserStates {
    /// A cache of at most `capacity` users (at least 1).
    pub fn new(capacity: usize) -> Self {
        Self {
            lru: Mutex::new(Lru::new(capacity)),
            stripes: (0..STRIPES).map(|_| Stripe::default()).collect(),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    fn stripe(&self, user_id: i32) -> &Stripe {
        &self.stripes[(user_id as u32 as usize) % STRIPES]
    }

    /// The user's state: cached, or loaded from `db` (two queries) and cached.
    pub async fn get<C: ConnectionTrait>(
        &self,
        db: &C,
        user_id: i32,
    ) -> Result<Arc<UserState>, DbErr> {
        if let Some(s) = self.cached(user_id) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(s);
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let stripe = self.stripe(user_id);
        let epoch = stripe.epoch.load(Ordering::Acquire);
        let quiet = stripe.in_flight.load(Ordering::Acquire) == 0;
        let state = Arc::new(UserState::new(training::user_feedback(db, user_id).await?));
        if quiet {
            let mut lru = self.lru.lock().unwrap_or_else(|p| p.into_inner());
            // Checked under the lock that `applied` takes: a write that began after the load
            // started is either still in flight here or has moved the epoch.
            if stripe.in_flight.load(Ordering::Acquire) == 0
                && stripe.epoch.load(Ordering::Acquire) == epoch
            {
                lru.insert(user_id, state.clone());
            }
        }
        Ok(state)
    }

    fn cached(&self, user_id: i32) -> Option<Arc<UserState>> {
        let mut lru = self.lru.lock().unwrap_or_else(|p| p.into_inner());
        lru.get_mut(&user_id).cloned()
    }

    /// Declares a write to the user's feedback; call before the write's transaction commits.
    pub fn begin_write(&self, user_id: i32) -> WriteGuard<'_> {
        self.stripe(user_id)
            .in_flight
            .fetch_add(1, Ordering::AcqRel);
        WriteGuard {
            states: self,
            user_id,
        }
    }

    /// Forgets a user (privacy erasure, a change not expressible as a [`FeedbackChange`]).
    pub fn forget(&self, user_id: i32) {
        let guard = self.begin_write(user_id);
        self.lru
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&user_id);
        drop(guard);
    }

    /// Forgets every user (after change notices may have been lost).
    pub fn clear(&self) {
        let mut lru = self.lru.lock().unwrap_or_else(|p| p.into_inner());
        // a load that began before this must not insert what it read
        for s in &self.stripes {
            s.epoch.fetch_add(1, Ordering::AcqRel);
        }
        lru.retain(|_, _| false);
    }

    /// Users cached now.
    pub fn len(&self) -> usize {
        self.lru.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Whether no user is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// (hits, misses) so far.
    pub fn hit_counts(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use marquee_core::feedback::EventKind;

    fn state(user: i32) -> Arc<UserState> {
        Arc::new(UserState::new(UserFeedback::new(user)))
    }

    #[test]
    fn a_committed_change_updates_a_cached_user_in_place() {
        let c = UserStates::new(10);
        c.lru.lock().unwrap().insert(7, state(7));
        let w = c.begin_write(7);
        let after = w
            .applied(&[FeedbackChange::Event {
                movie_id: 3,
                kind: EventKind::ThumbsDown,
                progress: None,
                at: 1,
            }])
            .expect("cached");
        assert!(after.interactions[0].excluded);
        assert_eq!(c.cached(7).unwrap().interactions.len(), 1);
        // An uncached user is left to be loaded from the database.
        assert!(c.begin_write(8).applied(&[]).is_none());
    }

    #[test]
    fn writes_in_flight_are_counted_until_they_end() {
        let c = UserStates::new(10);
        let w = c.begin_write(5);
        assert_eq!(c.stripe(5).in_flight.load(Ordering::Relaxed), 1);
        let e = c.stripe(5).epoch.load(Ordering::Relaxed);
        drop(w); // rolled back
        assert_eq!(c.stripe(5).in_flight.load(Ordering::Relaxed), 0);
        assert_eq!(c.stripe(5).epoch.load(Ordering::Relaxed), e + 1);
    }
}
