//! One user's answer, end to end: loads what the pure serving pipeline needs (the user's
//! history, model candidates, trending and popular lists, the curation snapshot) and runs it.
//! `recommendations`, `homeFeed` and their staff previews all come through here, so pins,
//! rules and diversity apply the same everywhere.
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use crate::app::experiments::Assignment;
use crate::app::model::{movie_of, Active, CatalogueIndex, FoldTicket};
use crate::app::serving_cache::{
    AdmissionMasks, Admitted, AnswerKey, Answered, ChartKey, MemoKey, RankedMemos,
};
use crate::app::user_state::UserState;
use crate::db::entities::users;
use crate::db::repo::training;
use crate::error::AppError;
use crate::state::AppState;
use marquee_core::catalogue::CatalogueEntry;
use marquee_core::demographics::AgeBand;
use marquee_core::experiments::VariantConfig;
use marquee_core::recommender::{Demographics, ItemIdx, Source};
use marquee_core::serving::admission::{Admission, Refusal};
use marquee_core::serving::curation::{CurationSnapshot, Surface, UserContext};
use marquee_core::serving::feed::{self, FeedInputs, FeedRequest, FeedRow, Removal, Removed};
use marquee_core::serving::pipeline::{self, Candidate, ListRequest, ServedItem};

/// Users with fewer interactions than this are served as new (cold start).
pub const COLD_START_INTERACTIONS: usize = 5;
/// How many candidates feed one list, whatever page is asked for: the same candidates give
/// the same ranking, so consecutive pages never repeat a title (lists go 500 deep at most).
const LIST_POOL: usize = 800;
/// Candidates per row of the home feed, per item shown.
const OVERSAMPLE: usize = 4;
/// "Because you watched" rows at most.
const BECAUSE_ROWS: usize = 2;
/// Genre rows at most.
const GENRE_ROWS: usize = 4;

/// What the pipeline needs about a user, loaded once per request.
pub struct UserServing {
    pub user: users::Model,
    pub context: UserContext,
    /// Never show: rated, finished, thumbed down, dismissed.
    pub seen: HashSet<i32>,
    /// Recent liked movies, newest first (seeds of "Because you watched").
    pub seeds: Vec<(i32, Option<f32>)>,
    active: Option<Arc<Active>>,
    history: marquee_core::recommender::OwnedHistory,
    pub catalogue: Arc<CatalogueIndex>,
    pub curation: Arc<CurationSnapshot>,
    /// What the ranking pipeline curates with: `curation`, or the user's experiment
    /// variants' version of it (admission always reads `curation`).
    editorial: Arc<CurationSnapshot>,
    /// The non-personal charts from the database, loaded only when the model in service
    /// cannot answer them (before the first training).
    fallback: Option<FallbackCharts>,
    masks: Arc<AdmissionMasks>,
    memos: Arc<RankedMemos>,
    /// The user's feedback, as cached: a personal ranking computed from it is kept with it.
    state: Arc<UserState>,
    /// The snapshot items of `seen`, sorted.
    seen_items: Vec<ItemIdx>,
    /// The user's experiment variants' candidate pool, in place of the default.
    candidate_pool: Option<usize>,
    /// The user's experiment variants' factors on the ranking blend's weights.
    blend: Vec<(String, f32)>,
}

/// Charts read from the database, best first, unfiltered.
struct FallbackCharts {
    popular: Vec<(i32, f64)>,
    demographic: Vec<(i32, f64)>,
    trending: Vec<(i32, f64)>,
}

/// What serving a user needs from storage, loaded on the request's thread; [`UserInputs::prepare`]
/// does the CPU work (on the compute pool).
pub struct UserInputs {
    pub user: users::Model,
    /// The user's age band, when they consent to personalisation.
    age_band: Option<AgeBand>,
    state: Arc<UserState>,
    ticket: FoldTicket,
    active: Option<Arc<Active>>,
    catalogue: Arc<CatalogueIndex>,
    curation: Arc<CurationSnapshot>,
    editorial: Arc<CurationSnapshot>,
    /// The experiments the user is in on the surface asked for.
    assignments: Vec<Assignment>,
    fallback: Option<FallbackCharts>,
    st: Arc<AppState>,
}

/// Loads a user's serving inputs: the catalogue and curation snapshots, the user's feedback
/// (from memory once cached) and, before the first training only, the charts from the database.
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn load_user(st: &Arc<AppState>, user: users::Model) -> Result<UserInputs, AppError> {
    let catalogue = st.recommender.catalogue(&st.db).await?;
    let curation = st.curation().await?;
    // The ticket first: a write landing after it makes the factors solved here not kept.
    let ticket = st.recommender.fold_ticket(user.id);
    let state = st.user_states.get(&st.db, user.id).await?;
    let active = st.recommender.active();
    let consent = user.personalization_consent;
    let age_band = user
        .age_band
        .as_deref()
        .and_then(|b| b.parse::<AgeBand>().ok())
        .filter(|_| consent);
    let trending = Chart::Trending {
        days: HOME_TRENDING_DAYS,
    };
    let fallback = match &active {
        Some(a) if a.snapshot.has_trending_window(HOME_TRENDING_DAYS) => None,
        _ => {
            let segment = |age_band| {
                Chart::Popular(Segment {
                    age_band,
                    ..Default::default()
                })
            };
            Some(FallbackCharts {
                popular: chart_in_database(st, &segment(None)).await?,
                demographic: match age_band {
                    Some(b) => chart_in_database(st, &segment(Some(b))).await?,
                    None => vec![],
                },
                trending: chart_in_database(st, &trending).await?,
            })
        }
    };
    Ok(UserInputs {
        user,
        age_band,
        state,
        ticket,
        active,
        catalogue,
        editorial: curation.clone(),
        curation,
        assignments: vec![],
        fallback,
        st: st.clone(),
    })
}

impl UserInputs {
    /// Puts the user in the running experiments that claim them on `surface` at `now`: the
    /// answer is then curated as their variants say, and kept apart from other variants'.
    pub async fn enter_experiments(
        mut self,
        surface: &Surface,
        now: DateTime<Utc>,
    ) -> Result<Self, AppError> {
        let st = self.st.clone();
        let assignments = st
            .experiments
            .assign(&st.db, surface, &self.user, now)
            .await?;
        if !assignments.is_empty() {
            self.editorial = st
                .experiments
                .curation_for(&assignments, surface, &self.curation);
        }
        self.assignments = assignments;
        Ok(self)
    }

    /// The experiments the user was put in by [`Self::enter_experiments`].
    pub fn assignments(&self) -> &[Assignment] {
        &self.assignments
    }

    fn variants(&self) -> Vec<(i32, i32)> {
        self.assignments.iter().map(Assignment::key).collect()
    }

    /// What the user's answers on `surface` at `now` are computed from, for the memo; `None`
    /// before the first model.
    fn memo_inputs(
        &self,
        surface: &Surface,
        now: DateTime<Utc>,
    ) -> Option<(Arc<Active>, Arc<Admitted>)> {
        let active = self.active.clone()?;
        let admitted =
            self.st
                .admission_masks
                .get(&active, &self.catalogue, &self.curation, surface, now);
        Some((active, admitted))
    }

    /// The user's list for `ask` (and its `totalCount` when `with_count`): the kept answer if
    /// nothing it depends on has changed, else computed and kept. A client's own exclusions
    /// bypass the memo. CPU-bound: run it on the compute pool.
    pub fn answer_list(self, ask: &ListAsk, with_count: bool) -> (Vec<ServedItem>, Option<u64>) {
        let question = AnswerKey::List {
            n: ask.n,
            filter: ask.filter.clone(),
            variants: self.variants(),
        };
        let keep = ask.exclude.is_empty();
        let a = self.answer(&ask.surface, ask.now, question, with_count, keep, |u| {
            Answered::List {
                items: list(u, ask),
                total: with_count.then(|| ask.count(u) as u64),
            }
        });
        match &*a {
            Answered::List { items, total } => (items.clone(), total.filter(|_| with_count)),
            Answered::Feed(_) => (vec![], None),
        }
    }

    /// The user's home feed, from the memo like [`Self::answer_list`]. CPU-bound: run it on
    /// the compute pool.
    pub fn answer_feed(self, rows: usize, per_row: usize, now: DateTime<Utc>) -> Vec<FeedRow> {
        let question = AnswerKey::Feed {
            rows,
            per_row,
            variants: self.variants(),
        };
        let a = self.answer(&Surface::Home, now, question, false, true, |u| {
            Answered::Feed(home_feed(u, rows, per_row, now))
        });
        match &*a {
            Answered::Feed(rows) => rows.clone(),
            Answered::List { .. } => vec![],
        }
    }

    /// The kept answer to `question` on `surface` at `now`, or `compute`'s, kept when `keep`.
    fn answer(
        self,
        surface: &Surface,
        now: DateTime<Utc>,
        question: AnswerKey,
        with_count: bool,
        keep: bool,
        compute: impl FnOnce(&UserServing) -> Answered,
    ) -> Arc<Answered> {
        let Some((active, admitted)) = self.memo_inputs(surface, now).filter(|_| keep) else {
            return Arc::new(compute(&self.prepare()));
        };
        let memos = self.st.ranked_memos.clone();
        let state = self.state.clone();
        let window = self.curation.schedule_window(now);
        let found = memos.answer(
            &MemoKey::new(&state, &self.user, &active, &admitted),
            &question,
            with_count,
            now,
        );
        if let Some(a) = found {
            return a;
        }
        let u = self.prepare();
        let a = Arc::new(compute(&u));
        let key = MemoKey::new(&state, &u.user, &active, &admitted);
        memos.put_answer(&key, question, window, a.clone());
        a
    }

    /// Everything the pipeline needs about the user: what they have seen, their genre shares
    /// and liked movies, their history as the model sees it (their factors re-solved if a write
    /// made them due). CPU-bound: run it on the compute pool.
    pub fn prepare(self) -> UserServing {
        let UserInputs {
            user,
            age_band,
            state,
            ticket,
            active,
            catalogue,
            curation,
            editorial,
            assignments,
            fallback,
            st,
        } = self;
        // The variants' candidate pool (the last one that sets it) and blend factors.
        let configs: Vec<&VariantConfig> = assignments.iter().map(Assignment::config).collect();
        let candidate_pool = configs
            .iter()
            .rev()
            .find_map(|c| c.candidate_pool)
            .map(|p| p as usize);
        let blend: Vec<(String, f32)> = configs.iter().flat_map(|c| c.blend_scale()).collect();
        let inter = &state.interactions;
        let seen: HashSet<i32> = inter
            .iter()
            .filter(|i| i.excluded)
            .map(|i| i.movie_id)
            .collect();
        let consent = user.personalization_consent;
        // Genre shares of what the user liked (rated 3.5+ or watched without a rating).
        let mut shares: HashMap<String, f64> = HashMap::new();
        let mut liked: Vec<(i64, i32, Option<f32>)> = vec![];
        if consent {
            for i in inter {
                let positive = if i.rating.is_nan() {
                    i.confidence > 0.0
                } else {
                    i.rating >= 3.5
                };
                if !positive {
                    continue;
                }
                liked.push((
                    i.timestamp,
                    i.movie_id,
                    (!i.rating.is_nan()).then_some(i.rating),
                ));
                if let Some(e) = catalogue.get(i.movie_id) {
                    let w = 1.0 / e.genres.len().max(1) as f64;
                    for g in &e.genres {
                        *shares.entry(g.clone()).or_default() += w;
                    }
                }
            }
        }
        let total: f64 = shares.values().sum();
        if total > 0.0 {
            shares.values_mut().for_each(|v| *v /= total);
        }
        liked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let history = match &active {
            Some(a) => {
                let mut h = st.recommender.history(a, &user, inter, &ticket);
                if !consent {
                    h.demographics = None;
                }
                h
            }
            None => Default::default(),
        };
        let mut seen_items: Vec<ItemIdx> = match &active {
            Some(a) => seen
                .iter()
                .filter_map(|m| a.snapshot.vocab.item(*m as i64))
                .collect(),
            None => vec![],
        };
        seen_items.sort_unstable();
        let n_inter = if consent { inter.len() } else { 0 };
        UserServing {
            context: UserContext {
                user_id: Some(user.id),
                is_new: n_inter < COLD_START_INTERACTIONS,
                // Without consent nothing about the person shapes what they see.
                age_band,
                country: user.country.clone().filter(|_| consent),
                genre_affinity: shares,
            },
            seen,
            seeds: liked.into_iter().map(|(_, m, r)| (m, r)).collect(),
            active,
            history,
            user,
            catalogue,
            curation,
            editorial,
            fallback,
            masks: st.admission_masks.clone(),
            memos: st.ranked_memos.clone(),
            state,
            seen_items,
            candidate_pool,
            blend,
        }
    }
}

impl UserServing {
    /// The admission rule for this viewer on `surface` at `now`: every list they are shown asks
    /// it, and nothing else.
    pub fn admission(&self, surface: &Surface, now: DateTime<Utc>) -> Admission<'_> {
        Admission::new(surface, now, &self.curation, &self.catalogue).for_viewer(&self.seen)
    }

    /// What the surface admits for anyone at `now` under the model in service.
    fn admitted(&self, active: &Active, admission: &Admission<'_>) -> Arc<Admitted> {
        self.masks.get(
            active,
            &self.catalogue,
            &self.curation,
            admission.surface(),
            admission.now(),
        )
    }

    /// The personal model's candidates (cold users get the snapshot's cold-start list), only
    /// admitted movies, none of `exclude`. Personal candidates come unexplained: the list
    /// explains the items it shows ([`Self::explainer`]). The ranking is kept for the user's
    /// next request while nothing it depends on changes (a client's own exclusions bypass it).
    fn model_candidates(
        &self,
        n: usize,
        exclude: &HashSet<i32>,
        admission: &Admission<'_>,
    ) -> Vec<Candidate> {
        let Some(active) = &self.active else {
            return vec![];
        };
        let admitted = self.admitted(active, admission);
        let key = MemoKey::new(&self.state, &self.user, active, &admitted);
        // A variant's blend ranks differently: kept apart from the shared memo.
        let memo = (exclude.is_empty() && self.blend.is_empty()).then_some(&key);
        let ranked = match memo.and_then(|k| self.memos.get(k, n)) {
            Some(r) => r,
            None => {
                let exclude_idx: Vec<ItemIdx> = exclude
                    .iter()
                    .filter_map(|m| active.snapshot.vocab.item(*m as i64))
                    .collect();
                // The shared mask less what the viewer has seen.
                let mut mask = admitted.mask.clone();
                for i in &self.seen_items {
                    if let Some(m) = mask.get_mut(i.ix()) {
                        *m = false;
                    }
                }
                let allow = |i: ItemIdx| mask.get(i.ix()).copied().unwrap_or(false);
                let r = active.snapshot.ranked_scaled(
                    &self.history.view(),
                    n,
                    &exclude_idx,
                    &allow,
                    &self.blend,
                );
                if let Some(k) = memo {
                    self.memos.put(k, n, &r);
                }
                r
            }
        };
        ranked
            .into_iter()
            .filter_map(|r| {
                Some(Candidate {
                    movie_id: movie_of(active, r.item)?,
                    score: r.score as f64,
                    source: r.source,
                    evidence: vec![],
                })
            })
            .collect()
    }

    /// Explains this user's personal candidates, for [`ListRequest::explain`].
    pub fn explainer(&self) -> Option<UserExplainer<'_>> {
        let active = self.active.as_deref()?;
        Some(UserExplainer {
            active,
            inner: active.snapshot.explainer(&self.history.view()),
        })
    }

    /// A non-personal list as candidates: the shared chart, or the user's segment.
    fn non_personal(&self, source: Source, n: usize, admission: &Admission<'_>) -> Vec<Candidate> {
        let chart = match source {
            Source::Trending => Chart::Trending {
                days: HOME_TRENDING_DAYS,
            },
            Source::Demographic => match self.context.age_band {
                Some(b) => Chart::Popular(Segment {
                    age_band: Some(b),
                    ..Default::default()
                }),
                None => return vec![],
            },
            _ => Chart::Popular(Segment::default()),
        };
        let key = match &chart {
            Chart::Popular(seg) => seg.age_band.map_or(ChartKey::Popular, ChartKey::AgeBand),
            Chart::Trending { days } => ChartKey::Trending(*days),
        };
        // The shared chart over what the surface admits, less what the viewer has seen.
        let in_snapshot = self.active.as_ref().and_then(|a| {
            self.admitted(a, admission)
                .chart(key, |allow| chart_in_items(a, &chart, allow, usize::MAX))
                .map(|all| {
                    all.iter()
                        .filter(|(m, _)| !self.seen.contains(m))
                        .take(n)
                        .copied()
                        .collect()
                })
        });
        let ranked = match (in_snapshot, &self.fallback) {
            (Some(ranked), _) => ranked,
            (None, Some(f)) => {
                let rows = match source {
                    Source::Trending => &f.trending,
                    Source::Demographic => &f.demographic,
                    _ => &f.popular,
                };
                admitted_head(rows, admission, n)
            }
            (None, None) => vec![],
        };
        ranked
            .into_iter()
            .map(|(movie_id, score)| Candidate {
                movie_id,
                score,
                source,
                evidence: vec![],
            })
            .collect()
    }

    /// Movies like `seed` for a "Because you watched" row.
    fn because(
        &self,
        seed: i32,
        rating: Option<f32>,
        n: usize,
        admission: &Admission<'_>,
    ) -> Vec<Candidate> {
        let Some(active) = &self.active else {
            return vec![];
        };
        let Some(item) = active.snapshot.vocab.item(seed as i64) else {
            return vec![];
        };
        // The shared mask, less what the viewer has seen.
        let admitted = self.admitted(active, admission);
        active
            .snapshot
            .similar(item, usize::MAX)
            .into_iter()
            .filter(|(i, _)| *i != item && admitted.mask.get(i.ix()).copied().unwrap_or(false))
            .filter_map(|(i, s)| movie_of(active, i).map(|m| (m, s)))
            .filter(|(m, _)| !self.seen.contains(m))
            .take(n)
            .map(|(movie_id, s)| Candidate {
                movie_id,
                score: s as f64,
                source: Source::Model,
                evidence: vec![(seed, rating)],
            })
            .collect()
    }
}

/// Explanations of one user's personal items, in movie ids.
pub struct UserExplainer<'a> {
    active: &'a Active,
    inner: marquee_core::recommender::snapshot::Explainer<'a, 'a>,
}

impl UserExplainer<'_> {
    /// The source (`Model` or `Content`) and evidence of a personal item.
    pub fn explain(&self, movie: i32) -> Option<pipeline::Explained> {
        let item = self.active.snapshot.vocab.item(movie as i64)?;
        let e = self.inner.explain(item);
        let evidence = e
            .evidence
            .iter()
            .filter_map(|ev| {
                Some((
                    movie_of(self.active, ev.item)?,
                    (!ev.rating.is_nan()).then_some(ev.rating),
                ))
            })
            .collect();
        Some((e.source, evidence))
    }
}

/// The window of the home feed's trending row and of cold-start trending: a week, the same
/// list as `trending(window: WEEK)`.
pub const HOME_TRENDING_DAYS: u32 = 7;

/// Which users a chart counts: omitted fields match everyone.
#[derive(Debug, Clone, Default)]
pub struct Segment {
    pub age_band: Option<AgeBand>,
    pub gender: Option<String>,
    pub occupation: Option<String>,
    pub country: Option<String>,
}

impl Segment {
    fn is_everyone(&self) -> bool {
        self.age_band.is_none()
            && self.gender.is_none()
            && self.occupation.is_none()
            && self.country.is_none()
    }
}

/// A non-personal list. Each means one thing on every surface (the `popular` and `trending`
/// queries, home-feed rows, cold start): the model in service decides; the database answers
/// only before the first model is trained.
#[derive(Debug, Clone)]
pub enum Chart {
    /// Most liked overall, or within a demographic segment.
    Popular(Segment),
    /// Positive interactions decayed with a half-life of `days`.
    Trending { days: u32 },
}

/// The first `n` rows whose movie `admission` lets in.
fn admitted_head(rows: &[(i32, f64)], admission: &Admission<'_>, n: usize) -> Vec<(i32, f64)> {
    rows.iter()
        .filter(|(m, _)| admission.admits(*m))
        .take(n)
        .copied()
        .collect()
}

/// The top `n` movies of a chart that `admission` lets in, best first, with their scores.
/// Filtering happens before the cut, so the list is short only when the catalogue is.
pub async fn chart_of(
    st: &AppState,
    active: Option<&Active>,
    chart: &Chart,
    admission: &Admission<'_>,
    n: usize,
) -> Result<Vec<(i32, f64)>, AppError> {
    if let Some(ranked) =
        active.and_then(|a| chart_in_snapshot(a, chart, &|m| admission.admits(m), n))
    {
        return Ok(ranked);
    }
    Ok(admitted_head(
        &chart_in_database(st, chart).await?,
        admission,
        n,
    ))
}

/// A chart as the model in service ranks it: the top `n` movies `admits` lets in. `None` when
/// the model cannot answer (a model stored before trending windows existed has none).
fn chart_in_snapshot(
    active: &Active,
    chart: &Chart,
    admits: &dyn Fn(i32) -> bool,
    n: usize,
) -> Option<Vec<(i32, f64)>> {
    chart_in_items(
        active,
        chart,
        &|i| movie_of(active, i).is_some_and(admits),
        n,
    )
}

/// [`chart_in_snapshot`] with the admitted snapshot items given.
fn chart_in_items(
    active: &Active,
    chart: &Chart,
    allow: &dyn Fn(ItemIdx) -> bool,
    n: usize,
) -> Option<Vec<(i32, f64)>> {
    let ranked = match chart {
        Chart::Popular(seg) if seg.is_everyone() => Some(active.snapshot.non_personal(
            Source::Popular,
            None,
            n,
            &allow,
        )),
        Chart::Popular(seg) => {
            let demo = Demographics {
                age: seg.age_band.map(AgeBand::midpoint),
                gender: seg.gender.clone(),
                occupation: seg.occupation.clone(),
                country: seg.country.clone(),
            };
            Some(
                active
                    .snapshot
                    .non_personal(Source::Demographic, Some(&demo), n, allow),
            )
        }
        Chart::Trending { days } => active.snapshot.trending(*days, n, allow),
    }?;
    Some(
        ranked
            .into_iter()
            .filter_map(|(i, s)| Some((movie_of(active, i)?, s as f64)))
            .collect(),
    )
}

/// A chart from the database, best first, every movie (before the first training).
async fn chart_in_database(st: &AppState, chart: &Chart) -> Result<Vec<(i32, f64)>, AppError> {
    Ok(match chart {
        Chart::Popular(seg) => popular_in_database(st, seg).await?,
        Chart::Trending { days } => {
            let since = Utc::now() - Duration::days(*days as i64);
            training::trending(&st.db, since)
                .await?
                .into_iter()
                .map(|(m, c)| (m, c as f64))
                .collect()
        }
    })
}

/// The `n` admitted movies most like `movie` (its item-kNN neighbours; content neighbours for
/// a movie nobody has interacted with), best first.
pub fn similar(
    active: &Active,
    movie: i32,
    n: usize,
    admission: &Admission<'_>,
) -> Vec<(i32, f32)> {
    let Some(item) = active.snapshot.vocab.item(movie as i64) else {
        return vec![];
    };
    active
        .snapshot
        .similar(item, usize::MAX)
        .into_iter()
        .filter_map(|(i, s)| movie_of(active, i).map(|m| (m, s)))
        .filter(|(m, _)| *m != movie && admission.admits(*m))
        .take(n)
        .collect()
}

/// A model recommendation as a serving candidate, in movie ids.
pub fn candidate_of(
    snapshot: &marquee_core::recommender::snapshot::Snapshot,
    r: &marquee_core::recommender::snapshot::Recommendation,
) -> Option<Candidate> {
    let movie = |i: ItemIdx| snapshot.vocab.item_id(i).map(|id| id as i32);
    Some(Candidate {
        movie_id: movie(r.item)?,
        score: r.score as f64,
        source: r.explanation.source,
        evidence: r
            .explanation
            .evidence
            .iter()
            .filter_map(|e| Some((movie(e.item)?, (!e.rating.is_nan()).then_some(e.rating))))
            .collect(),
    })
}

/// Most rated movies with a high damped mean, overall or in a segment, every rated movie:
/// the popular chart before the first model is trained.
async fn popular_in_database(st: &AppState, seg: &Segment) -> Result<Vec<(i32, f64)>, AppError> {
    let db_seg = training::Segment {
        age_band: seg.age_band.map(|b| b.as_str().to_string()),
        gender: seg.gender.clone(),
        occupation: seg.occupation.clone(),
        country: seg.country.clone(),
    };
    let mut rows = training::segment_ratings(&st.db, &db_seg).await?;
    let global = {
        let (s, c) = rows
            .iter()
            .fold((0.0, 0i64), |(s, c), (_, n, m)| (s + m * *n as f64, c + n));
        if c > 0 {
            s / c as f64
        } else {
            3.0
        }
    };
    // Damped mean: a few high ratings do not beat many good ones.
    const DAMPING: f64 = 10.0;
    let score = |n: i64, m: f64| {
        (m * n as f64 + global * DAMPING) / (n as f64 + DAMPING) * (1.0 + n as f64).ln()
    };
    rows.sort_by(|a, b| {
        score(b.1, b.2)
            .total_cmp(&score(a.1, a.2))
            .then(a.0.cmp(&b.0))
    });
    Ok(rows
        .into_iter()
        .map(|(m, n, mean)| (m, score(n, mean)))
        .collect())
}

/// The client's filter over catalogue entries: genres (any of), release years.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListFilter {
    pub genres: Vec<String>,
    pub year_from: Option<i32>,
    pub year_to: Option<i32>,
}

impl ListFilter {
    /// Whether the entry passes.
    pub fn keeps(&self, e: &CatalogueEntry) -> bool {
        if !self.genres.is_empty()
            && !e
                .genres
                .iter()
                .any(|g| self.genres.iter().any(|f| f.eq_ignore_ascii_case(g)))
        {
            return false;
        }
        if self
            .year_from
            .is_some_and(|y| e.year.is_none_or(|ey| ey < y))
        {
            return false;
        }
        if self.year_to.is_some_and(|y| e.year.is_none_or(|ey| ey > y)) {
            return false;
        }
        true
    }
}

/// What a recommendations list is asked for.
pub struct ListAsk {
    pub surface: Surface,
    /// Items from the top (offset + page size).
    pub n: usize,
    /// The client's own exclusions.
    pub exclude: HashSet<i32>,
    /// The client's filter (genres, years).
    pub filter: ListFilter,
    pub now: DateTime<Utc>,
}

impl ListAsk {
    /// How many movies the user could page through under this ask (`totalCount`): walks the
    /// catalogue, so only when asked for.
    pub fn count(&self, u: &UserServing) -> usize {
        u.admission(&self.surface, self.now)
            .count(&self.exclude, &|e| self.filter.keeps(e))
    }
}

/// A ranked, curated, diversified and explained list for a user. Pure CPU work: run it on the
/// compute pool ([`crate::app::compute`]).
#[tracing::instrument(skip_all, fields(user_id = u.user.id))]
pub fn list(u: &UserServing, ask: &ListAsk) -> Vec<ServedItem> {
    let pool = u.candidate_pool.unwrap_or(LIST_POOL).max(ask.n);
    let admission = u.admission(&ask.surface, ask.now);
    let mut cands = if u.context.is_new || u.active.is_none() {
        let mut c = u.non_personal(Source::Demographic, pool, &admission);
        if c.is_empty() {
            c = if u.active.is_some() {
                u.model_candidates(pool, &ask.exclude, &admission)
            } else {
                u.non_personal(Source::Popular, pool, &admission)
            };
        }
        c
    } else {
        u.model_candidates(pool, &ask.exclude, &admission)
    };
    if cands.is_empty() {
        cands = u.non_personal(Source::Popular, pool, &admission);
    }
    let mut exclude: HashSet<i32> = u.seen.clone();
    exclude.extend(ask.exclude.iter().copied());
    let explainer = u.explainer();
    let explain = |m: i32| explainer.as_ref()?.explain(m);
    let keep = |e: &CatalogueEntry| ask.filter.keeps(e);
    let req = ListRequest {
        surface: &ask.surface,
        user: &u.context,
        now: ask.now,
        n: ask.n,
        exclude: &exclude,
        keep: &keep,
        explain: Some(&explain),
    };
    pipeline::rank_list(&req, cands, &u.editorial, &u.catalogue)
}

/// Preview only: the movies the personal model ranks among the list's first `ask.n` that
/// curation keeps out (a block rule in force, unavailable or deleted), best first. The walk
/// stops once `ask.n` admitted movies have passed, or after the model's best `2 n + 20`; users
/// the list does not rank personally (new, or no model) get none. Pure CPU work: run it on
/// the compute pool.
pub fn removed_by_curation(u: &UserServing, ask: &ListAsk) -> Vec<Removed> {
    let Some(active) = &u.active else {
        return vec![];
    };
    if u.context.is_new {
        return vec![];
    }
    let admission = u.admission(&ask.surface, ask.now);
    let mut mask = vec![true; active.snapshot.vocab.n_items()];
    for i in &u.seen_items {
        if let Some(m) = mask.get_mut(i.ix()) {
            *m = false;
        }
    }
    let allow = |i: ItemIdx| mask.get(i.ix()).copied().unwrap_or(false);
    let ranked = active
        .snapshot
        .ranked(&u.history.view(), 2 * ask.n + 20, &[], &allow);
    let keep = |e: &CatalogueEntry| ask.filter.keeps(e);
    let mut kept = 0;
    let mut out = Vec::new();
    for r in ranked {
        if kept >= ask.n {
            break;
        }
        let Some(movie_id) = movie_of(active, r.item) else {
            continue;
        };
        let why = match admission.check(movie_id, &ask.exclude, &keep) {
            Ok(_) => {
                kept += 1;
                continue;
            }
            Err(Refusal::Blocked(rule)) => Removal::Blocked(rule),
            Err(Refusal::Unavailable | Refusal::Missing) => Removal::Unavailable,
            Err(Refusal::Excluded | Refusal::Seen | Refusal::Filtered) => continue,
        };
        out.push(Removed { movie_id, why });
    }
    out
}

/// The user's home feed.
/// Pure CPU work: run it on the compute pool ([`crate::app::compute`]).
#[tracing::instrument(skip_all, fields(user_id = u.user.id))]
pub fn home_feed(u: &UserServing, rows: usize, per_row: usize, now: DateTime<Utc>) -> Vec<FeedRow> {
    let pool = (per_row * OVERSAMPLE).max(40);
    let admission = u.admission(&Surface::Home, now);
    let personal = !u.context.is_new && u.active.is_some();
    let top_picks = if personal {
        let n = u.candidate_pool.unwrap_or(pool * 3).max(per_row);
        u.model_candidates(n, &HashSet::new(), &admission)
    } else {
        vec![]
    };
    let because = if personal {
        u.seeds
            .iter()
            .filter(|(m, _)| u.catalogue.get(*m).is_some())
            .take(BECAUSE_ROWS)
            .map(|(m, r)| (*m, u.because(*m, *r, pool, &admission)))
            .collect()
    } else {
        vec![]
    };
    let trending = u.non_personal(Source::Trending, pool, &admission);
    let popular_list = u.non_personal(Source::Popular, pool * 3, &admission);
    let demographic = match u.context.age_band {
        Some(b) if !personal => {
            let c = u.non_personal(Source::Demographic, pool, &admission);
            (!c.is_empty()).then(|| (format!("viewers aged {}", b.label()), c))
        }
        _ => None,
    };
    // Genre rows: the user's favourite genres (or the most common among popular titles for a
    // new user), filled from the personal pool or the popular one.
    let source_pool = if personal { &top_picks } else { &popular_list };
    let mut genre_order: Vec<(String, f64)> = if personal {
        u.context
            .genre_affinity
            .iter()
            .map(|(g, s)| (g.clone(), *s))
            .collect()
    } else {
        let mut counts: HashMap<String, f64> = HashMap::new();
        for c in source_pool {
            if let Some(e) = u.catalogue.get(c.movie_id) {
                for g in &e.genres {
                    *counts.entry(g.clone()).or_default() += 1.0;
                }
            }
        }
        counts.into_iter().collect()
    };
    genre_order.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let by_genre = genre_order
        .into_iter()
        .take(GENRE_ROWS)
        .map(|(g, _)| {
            let items: Vec<Candidate> = source_pool
                .iter()
                .filter(|c| {
                    u.catalogue
                        .get(c.movie_id)
                        .is_some_and(|e| e.genres.iter().any(|x| x == &g))
                })
                .cloned()
                .collect();
            (g, items)
        })
        .collect();
    let inputs = FeedInputs {
        top_picks,
        because,
        trending,
        popular: popular_list,
        demographic,
        by_genre,
    };
    let explainer = u.explainer();
    let explain = |m: i32| explainer.as_ref()?.explain(m);
    let req = FeedRequest {
        user: &u.context,
        now,
        exclude: &u.seen,
        rows,
        per_row,
        explain: Some(&explain),
    };
    feed::home_feed(inputs, &req, &u.editorial, &u.catalogue)
}
