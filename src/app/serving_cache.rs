//! What serving computes once and reuses across requests, each entry valid only while what it
//! was computed from stays the same:
//!
//! - [`AdmissionMasks`]: which snapshot items the admission rule lets in on a surface (in the
//!   catalogue, available, not blocked), and the non-personal charts ranked over them. Shared
//!   by every request while the model, the catalogue, the curation and the block rules in
//!   force stay the same; per request only the viewer's own exclusions are taken off.
//! - [`RankedMemos`]: each user's personal ranking and their last answers (lists, feeds),
//!   kept until their feedback, profile, the model or the admission mask changes, or a
//!   curation schedule starts or ends. A frontend refreshing a page pays for it once.
//!
//! Identity is by allocation: an entry holds `Weak` references to what it was computed from,
//! so no later snapshot can take the same address and pass for the old one.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use chrono::{DateTime, Utc};

use crate::app::lru::Lru;
use crate::app::model::{movie_of, Active, CatalogueIndex};
use crate::app::serving::ListFilter;
use crate::app::user_state::UserState;
use crate::db::entities::users;
use marquee_core::demographics::AgeBand;
use marquee_core::recommender::snapshot::Ranked;
use marquee_core::recommender::ItemIdx;
use marquee_core::serving::admission::Admission;
use marquee_core::serving::curation::{CurationSnapshot, Surface};
use marquee_core::serving::feed::FeedRow;
use marquee_core::serving::pipeline::ServedItem;

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

/// What a user's ranking and answers on one surface are computed from.
pub struct MemoKey<'a> {
    /// The user's feedback (a committed write replaces it).
    pub state: &'a Arc<UserState>,
    pub user: &'a users::Model,
    pub active: &'a Arc<Active>,
    /// What the surface admits (the model, catalogue, curation and blocks in force).
    pub admitted: &'a Arc<Admitted>,
}

impl<'a> MemoKey<'a> {
    /// The key of these inputs.
    pub fn new(
        state: &'a Arc<UserState>,
        user: &'a users::Model,
        active: &'a Arc<Active>,
        admitted: &'a Arc<Admitted>,
    ) -> Self {
        Self {
            state,
            user,
            active,
            admitted,
        }
    }
}

/// A request whose whole answer is kept: a list (depth, client filter, with or without its
/// count) or a home feed (shape).
#[derive(Debug, Clone, PartialEq)]
pub enum AnswerKey {
    List {
        n: usize,
        filter: ListFilter,
        /// The user's experiment variants, (experiment, variant).
        variants: Vec<(i32, i32)>,
    },
    Feed {
        rows: usize,
        per_row: usize,
        variants: Vec<(i32, i32)>,
    },
}

/// A kept answer.
#[derive(Debug)]
pub enum Answered {
    List {
        items: Vec<ServedItem>,
        /// `totalCount`, if it was asked for.
        total: Option<u64>,
    },
    Feed(Vec<FeedRow>),
}

struct Answer {
    key: AnswerKey,
    /// The curation's schedules neither start nor end in this span: the answer holds in it.
    from: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    value: Arc<Answered>,
}

struct Memo {
    state: Weak<UserState>,
    profile: Profile,
    active: Weak<Active>,
    admitted: Weak<Admitted>,
    /// The personal ranking and how many were asked for (it is shorter only when fewer
    /// items qualified).
    ranked: Option<(usize, Arc<Vec<Ranked>>)>,
    answers: Vec<Answer>,
}

impl Memo {
    fn new(key: &MemoKey<'_>) -> Self {
        Self {
            state: Arc::downgrade(key.state),
            profile: Profile::of(key.user),
            active: Arc::downgrade(key.active),
            admitted: Arc::downgrade(key.admitted),
            ranked: None,
            answers: vec![],
        }
    }

    fn is_for(&self, key: &MemoKey<'_>) -> bool {
        self.same_user_and_model(key)
            && std::ptr::eq(self.admitted.as_ptr(), Arc::as_ptr(key.admitted))
    }

    fn same_user_and_model(&self, key: &MemoKey<'_>) -> bool {
        std::ptr::eq(self.state.as_ptr(), Arc::as_ptr(key.state))
            && std::ptr::eq(self.active.as_ptr(), Arc::as_ptr(key.active))
            && self.profile == Profile::of(key.user)
    }
}

/// Memos per user: one per surface in use (a mask is per surface).
const MEMOS_PER_USER: usize = 2;
/// Answers kept per memo (a few page depths or feed shapes).
const ANSWERS_PER_MEMO: usize = 4;

/// Users' personal rankings and answers, bounded (least recently used go first).
pub struct RankedMemos {
    lru: Mutex<Lru<i32, Vec<Memo>>>,
    /// 0: nothing is kept (every request ranks afresh).
    capacity: usize,
    hits: AtomicU64,
    misses: AtomicU64,
    answer_hits: AtomicU64,
    answer_misses: AtomicU64,
}

fn count(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

impl RankedMemos {
    /// At most `capacity` users' rankings (0 keeps none).
    pub fn new(capacity: usize) -> Self {
        Self {
            lru: Mutex::new(Lru::new(capacity)),
            capacity,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            answer_hits: AtomicU64::new(0),
            answer_misses: AtomicU64::new(0),
        }
    }

    /// Runs `f` on the user's memo for `key`, created if missing; memos of the user that no
    /// longer match their current state, model or profile go.
    fn with_memo(&self, key: &MemoKey<'_>, f: impl FnOnce(&mut Memo)) {
        if self.capacity == 0 {
            return;
        }
        let mut lru = lock(&self.lru);
        let Some(memos) = lru.get_mut(&key.user.id) else {
            let mut m = Memo::new(key);
            f(&mut m);
            lru.insert(key.user.id, vec![m]);
            return;
        };
        memos.retain(|m| m.same_user_and_model(key) && m.admitted.strong_count() > 0);
        if let Some(m) = memos.iter_mut().find(|m| m.is_for(key)) {
            f(m);
            return;
        }
        if memos.len() >= MEMOS_PER_USER {
            memos.remove(0);
        }
        let mut m = Memo::new(key);
        f(&mut m);
        memos.push(m);
    }

    /// Looks up the user's memo for `key`.
    fn find<T>(&self, key: &MemoKey<'_>, f: impl FnOnce(&Memo) -> Option<T>) -> Option<T> {
        if self.capacity == 0 {
            return None;
        }
        let mut lru = lock(&self.lru);
        let memos = lru.get_mut(&key.user.id)?;
        f(memos.iter().find(|m| m.is_for(key))?)
    }

    /// The user's top `n`, if a ranking computed from the same inputs is kept (its head: the
    /// ranking's order is total, so the top `n` of a longer top is its first `n`).
    pub fn get(&self, key: &MemoKey<'_>, n: usize) -> Option<Vec<Ranked>> {
        let found = self.find(key, |m| {
            let (kept_n, ranked) = m.ranked.as_ref()?;
            (*kept_n >= n).then(|| ranked.iter().take(n).copied().collect())
        });
        count(if found.is_some() {
            &self.hits
        } else {
            &self.misses
        });
        found
    }

    /// Keeps the user's top `n`.
    pub fn put(&self, key: &MemoKey<'_>, n: usize, ranked: &[Ranked]) {
        let ranked = Arc::new(ranked.to_vec());
        self.with_memo(key, |m| m.ranked = Some((n, ranked)));
    }

    /// The answer kept for `ask` at `now`, if any (a list answer without its count does not
    /// answer a request for the count).
    pub fn answer(
        &self,
        key: &MemoKey<'_>,
        ask: &AnswerKey,
        with_count: bool,
        now: DateTime<Utc>,
    ) -> Option<Arc<Answered>> {
        let found = self.find(key, |m| {
            let a = m.answers.iter().find(|a| {
                a.key == *ask && a.from.is_none_or(|f| f <= now) && a.until.is_none_or(|u| now < u)
            })?;
            let counted = !matches!(*a.value, Answered::List { total: None, .. });
            (counted || !with_count).then(|| a.value.clone())
        });
        count(if found.is_some() {
            &self.answer_hits
        } else {
            &self.answer_misses
        });
        found
    }

    /// Keeps an answer, valid while the curation's schedules stay as they are in `window`.
    pub fn put_answer(
        &self,
        key: &MemoKey<'_>,
        ask: AnswerKey,
        window: (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
        value: Arc<Answered>,
    ) {
        self.with_memo(key, |m| {
            m.answers.retain(|a| a.key != ask);
            if m.answers.len() >= ANSWERS_PER_MEMO {
                m.answers.remove(0);
            }
            m.answers.push(Answer {
                key: ask,
                from: window.0,
                until: window.1,
                value,
            });
        });
    }

    /// Forgets a user (privacy erasure).
    pub fn forget(&self, user_id: i32) {
        lock(&self.lru).remove(&user_id);
    }

    /// Forgets everyone.
    pub fn clear(&self) {
        lock(&self.lru).retain(|_, _| false);
    }

    /// (hits, misses) of rankings so far.
    pub fn hit_counts(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    /// (hits, misses) of whole answers so far.
    pub fn answer_hit_counts(&self) -> (u64, u64) {
        (
            self.answer_hits.load(Ordering::Relaxed),
            self.answer_misses.load(Ordering::Relaxed),
        )
    }
}
