//! What serving computes once and reuses across requests, each entry valid only while what it
//! was computed from stays the same:
//!
//! - [`AdmissionMasks`]: which snapshot items the admission rule lets in on a surface (in the
//!   catalogue, available, not blocked), and the non-personal charts ranked over them. Shared
//!   by every request while the model, the catalogue, the curation and the block rules in
//!   force stay the same; per request only the viewer's own exclusions are taken off.
//! - [`RankedMemos`]: each user's personal ranking, kept until their feedback, profile, the
//!   model or the admission mask changes. A frontend refreshing a page pays the ranking once.
//!
//! Identity is by allocation: an entry holds `Weak` references to what it was computed from,
//! so no later snapshot can take the same address and pass for the old one.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use chrono::{DateTime, Utc};

use crate::app::lru::Lru;
use crate::app::model::{movie_of, Active, CatalogueIndex};
use crate::app::user_state::UserState;
use crate::db::entities::users;
use marquee_core::demographics::AgeBand;
use marquee_core::recommender::snapshot::Ranked;
use marquee_core::recommender::ItemIdx;
use marquee_core::serving::admission::Admission;
use marquee_core::serving::curation::{CurationSnapshot, Surface};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A non-personal chart, as a cache key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKey {
    /// Most liked overall.
    Popular,
    /// Most liked within an age band.
    AgeBand(AgeBand),
    /// Trending over a window of days.
    Trending(u32),
}

/// A chart's admitted movies, best first, all of them: a viewer's list is its head less what
/// they have seen. `None` when the model cannot rank that chart.
pub type RankedChart = Option<Arc<Vec<(i32, f64)>>>;

/// The admission rule's answer per snapshot item on one surface, and the charts over it.
pub struct Admitted {
    /// Indexed by snapshot item.
    pub mask: Vec<bool>,
    charts: Mutex<Vec<(ChartKey, RankedChart)>>,
}

impl Admitted {
    /// The chart ranked over this mask, computed on first use by `rank` (which ranks the
    /// admitted items, all of them).
    pub fn chart(
        &self,
        key: ChartKey,
        rank: impl FnOnce(&dyn Fn(ItemIdx) -> bool) -> Option<Vec<(i32, f64)>>,
    ) -> RankedChart {
        if let Some((_, c)) = lock(&self.charts).iter().find(|(k, _)| *k == key) {
            return c.clone();
        }
        // Computed outside the lock: two requests may both rank it once, never wrongly.
        let ranked =
            rank(&|i: ItemIdx| self.mask.get(i.ix()).copied().unwrap_or(false)).map(Arc::new);
        let mut charts = lock(&self.charts);
        if !charts.iter().any(|(k, _)| *k == key) {
            charts.push((key, ranked.clone()));
        }
        ranked
    }
}

/// Admission masks per (model, catalogue, curation, surface, block window).
#[derive(Default)]
pub struct AdmissionMasks {
    entries: Mutex<Vec<MaskEntry>>,
}

struct MaskEntry {
    version: i32,
    catalogue: Weak<CatalogueIndex>,
    curation: Weak<CurationSnapshot>,
    surface: Surface,
    from: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    admitted: Arc<Admitted>,
}

/// Surfaces × versions kept at most (a few surfaces are live at a time).
const MASKS_KEPT: usize = 16;

impl AdmissionMasks {
    /// What `surface` admits at `now` for this model, catalogue and curation.
    pub fn get(
        &self,
        active: &Active,
        catalogue: &Arc<CatalogueIndex>,
        curation: &Arc<CurationSnapshot>,
        surface: &Surface,
        now: DateTime<Utc>,
    ) -> Arc<Admitted> {
        let same_inputs = |e: &MaskEntry| {
            e.version == active.version_id
                && std::ptr::eq(e.catalogue.as_ptr(), Arc::as_ptr(catalogue))
                && std::ptr::eq(e.curation.as_ptr(), Arc::as_ptr(curation))
        };
        let matches = |e: &MaskEntry| {
            same_inputs(e)
                && e.surface == *surface
                && e.from.is_none_or(|f| f <= now)
                && e.until.is_none_or(|u| now < u)
        };
        if let Some(e) = lock(&self.entries).iter().find(|e| matches(e)) {
            return e.admitted.clone();
        }
        let admission = Admission::new(surface, now, curation, catalogue);
        let n = active.snapshot.vocab.n_items();
        let admitted = Arc::new(Admitted {
            mask: (0..n as u32)
                .map(|i| movie_of(active, ItemIdx(i)).is_some_and(|m| admission.admits(m)))
                .collect(),
            charts: Mutex::default(),
        });
        let (from, until) = curation.block_window(surface, now);
        let mut entries = lock(&self.entries);
        entries.retain(|e| same_inputs(e));
        if entries.len() >= MASKS_KEPT {
            entries.remove(0);
        }
        entries.push(MaskEntry {
            version: active.version_id,
            catalogue: Arc::downgrade(catalogue),
            curation: Arc::downgrade(curation),
            surface: surface.clone(),
            from,
            until,
            admitted: admitted.clone(),
        });
        admitted
    }
}

/// The user fields a personal ranking reads (consent and demographics).
#[derive(Debug, Clone, PartialEq)]
struct Profile {
    consent: bool,
    age_band: Option<String>,
    gender: Option<String>,
    occupation: Option<String>,
    country: Option<String>,
}

impl Profile {
    fn of(u: &users::Model) -> Self {
        Self {
            consent: u.personalization_consent,
            age_band: u.age_band.clone(),
            gender: u.gender.clone(),
            occupation: u.occupation.clone(),
            country: u.country.clone(),
        }
    }
}

/// What a personal ranking was computed from.
pub struct MemoKey<'a> {
    /// The user's feedback (a committed write replaces it).
    pub state: &'a Arc<UserState>,
    pub user: &'a users::Model,
    pub active: &'a Arc<Active>,
    pub admitted: &'a Arc<Admitted>,
}

struct Memo {
    state: Weak<UserState>,
    profile: Profile,
    active: Weak<Active>,
    admitted: Weak<Admitted>,
    /// How many were asked for; `ranked` is shorter only when fewer items qualified.
    n: usize,
    ranked: Arc<Vec<Ranked>>,
}

impl Memo {
    fn answers(&self, key: &MemoKey<'_>, n: usize) -> bool {
        self.n >= n
            && std::ptr::eq(self.state.as_ptr(), Arc::as_ptr(key.state))
            && std::ptr::eq(self.active.as_ptr(), Arc::as_ptr(key.active))
            && std::ptr::eq(self.admitted.as_ptr(), Arc::as_ptr(key.admitted))
            && self.profile == Profile::of(key.user)
    }
}

/// Memos per user: one per surface in use (a mask is per surface).
const MEMOS_PER_USER: usize = 2;

/// Users' personal rankings, bounded (least recently used go first).
pub struct RankedMemos {
    lru: Mutex<Lru<i32, Vec<Memo>>>,
    /// 0: nothing is kept (every request ranks afresh).
    capacity: usize,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl RankedMemos {
    /// At most `capacity` users' rankings (0 keeps none).
    pub fn new(capacity: usize) -> Self {
        Self {
            lru: Mutex::new(Lru::new(capacity)),
            capacity,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The user's top `n`, if a ranking computed from the same inputs is kept (its head: the
    /// ranking's order is total, so the top `n` of a longer top is its first `n`).
    pub fn get(&self, key: &MemoKey<'_>, n: usize) -> Option<Vec<Ranked>> {
        if self.capacity == 0 {
            self.misses.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        let mut lru = lock(&self.lru);
        let found = lru
            .get_mut(&key.user.id)
            .and_then(|memos| memos.iter().find(|m| m.answers(key, n)))
            .map(|m| m.ranked.iter().take(n).copied().collect());
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// (hits, misses) so far.
    pub fn hit_counts(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    /// Keeps the user's top `n`.
    pub fn put(&self, key: &MemoKey<'_>, n: usize, ranked: &[Ranked]) {
        if self.capacity == 0 {
            return;
        }
        let memo = Memo {
            state: Arc::downgrade(key.state),
            profile: Profile::of(key.user),
            active: Arc::downgrade(key.active),
            admitted: Arc::downgrade(key.admitted),
            n,
            ranked: Arc::new(ranked.to_vec()),
        };
        let mut lru = lock(&self.lru);
        let Some(memos) = lru.get_mut(&key.user.id) else {
            lru.insert(key.user.id, vec![memo]);
            return;
        };
        // Whatever no longer matches the user's current state, model or profile goes.
        memos.retain(|m| {
            std::ptr::eq(m.state.as_ptr(), Arc::as_ptr(key.state))
                && std::ptr::eq(m.active.as_ptr(), Arc::as_ptr(key.active))
                && m.profile == memo.profile
                && !std::ptr::eq(m.admitted.as_ptr(), Arc::as_ptr(key.admitted))
                && m.admitted.strong_count() > 0
        });
        if memos.len() >= MEMOS_PER_USER {
            memos.remove(0);
        }
        memos.push(memo);
    }

    /// Forgets a user (privacy erasure).
    pub fn forget(&self, user_id: i32) {
        lock(&self.lru).remove(&user_id);
    }
}
