//! One user's answer, end to end: loads what the pure serving pipeline needs (the user's
//! history, model candidates, trending and popular lists, the curation snapshot) and runs it.
//! `recommendations`, `homeFeed` and their staff previews all come through here, so pins,
//! rules and diversity apply the same everywhere.
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use crate::db::entities::users;
use crate::db::repo::training::{self, Segment};
use crate::engine::{movie_of, Active, CatalogueIndex};
use crate::error::AppError;
use crate::state::AppState;
use marquee_core::recommender::{ItemIdx, Source};
use marquee_core::serving::curation::{CurationSnapshot, Surface, UserContext};
use marquee_core::serving::feed::{self, FeedInputs, FeedRequest, FeedRow};
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
}

/// The age band as shown in reasons ("25–34").
fn band_label(b: &str) -> String {
    b.replace('-', "–")
}

/// Loads a user's serving inputs.
pub async fn load_user(st: &AppState, user: users::Model) -> Result<UserServing, AppError> {
    let catalogue = st.recommender.catalogue(&st.db).await?;
    let curation = st.curation().await?;
    let inter = training::interactions(&st.db, Some(user.id)).await?;
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
        for i in &inter {
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
    let active = st.recommender.active();
    let history = match &active {
        Some(a) => st.recommender.history_from(a, &user, &inter).0,
        None => Default::default(),
    };
    let n_inter = if consent { inter.len() } else { 0 };
    Ok(UserServing {
        context: UserContext {
            user_id: Some(user.id),
            is_new: n_inter < COLD_START_INTERACTIONS,
            // Without consent nothing about the person shapes what they see.
            age_band: user.age_band.clone().filter(|_| consent),
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
    })
}

impl UserServing {
    fn allow_item<'a>(&'a self, active: &'a Active) -> impl Fn(ItemIdx) -> bool + 'a {
        move |i| {
            movie_of(active, i)
                .and_then(|m| self.catalogue.get(m))
                .is_some_and(|e| e.available && !self.seen.contains(&e.movie_id))
        }
    }

    /// The personal model's candidates (cold users get the snapshot's cold-start list).
    fn model_candidates(&self, n: usize, exclude: &HashSet<i32>) -> Vec<Candidate> {
        let Some(active) = &self.active else {
            return vec![];
        };
        let mut h = self.history.clone();
        if !self.user.personalization_consent {
            h.demographics = None;
        }
        let exclude_idx: Vec<ItemIdx> = self
            .seen
            .iter()
            .chain(exclude.iter())
            .filter_map(|m| active.snapshot.vocab.item(*m as i64))
            .collect();
        let allow = self.allow_item(active);
        active
            .snapshot
            .recommend(&h.view(), n, &exclude_idx, &allow)
            .into_iter()
            .filter_map(|r| candidate_of(&active.snapshot, &r))
            .collect()
    }

    /// A non-personal list from the snapshot, or from the database without one.
    async fn non_personal(
        &self,
        st: &AppState,
        source: Source,
        n: usize,
    ) -> Result<Vec<Candidate>, AppError> {
        if let Some(active) = &self.active {
            let demo = crate::engine::demographics_of(&self.user);
            let allow = self.allow_item(active);
            let use_demo = source == Source::Demographic && self.context.age_band.is_some();
            if source == Source::Demographic && !use_demo {
                return Ok(vec![]);
            }
            return Ok(active
                .snapshot
                .non_personal(source, use_demo.then_some(&demo), n, &allow)
                .into_iter()
                .filter_map(|(i, s)| {
                    Some(Candidate {
                        movie_id: movie_of(active, i)?,
                        score: s as f64,
                        source,
                        evidence: vec![],
                    })
                })
                .collect());
        }
        let rows = match source {
            Source::Trending => {
                let since = Utc::now() - Duration::days(7);
                training::trending(&st.db, since, (n * 2) as u64)
                    .await?
                    .into_iter()
                    .map(|(m, c)| (m, c as f64))
                    .collect()
            }
            Source::Demographic => match &self.context.age_band {
                Some(b) => {
                    let seg = Segment {
                        age_band: Some(b.clone()),
                        ..Default::default()
                    };
                    popular(st, &seg, n * 2).await?
                }
                None => vec![],
            },
            _ => popular(st, &Segment::default(), n * 2).await?,
        };
        Ok(rows
            .into_iter()
            .filter(|(m, _)| {
                !self.seen.contains(m) && self.catalogue.get(*m).is_some_and(|e| e.available)
            })
            .take(n)
            .map(|(movie_id, score)| Candidate {
                movie_id,
                score,
                source,
                evidence: vec![],
            })
            .collect())
    }

    /// Movies like `seed` for a "Because you watched" row.
    fn because(&self, seed: i32, rating: Option<f32>, n: usize) -> Vec<Candidate> {
        let Some(active) = &self.active else {
            return vec![];
        };
        let Some(item) = active.snapshot.vocab.item(seed as i64) else {
            return vec![];
        };
        active
            .snapshot
            .similar(item, n)
            .into_iter()
            .filter_map(|(i, s)| {
                let movie_id = movie_of(active, i)?;
                (movie_id != seed).then(|| Candidate {
                    movie_id,
                    score: s as f64,
                    source: Source::Model,
                    evidence: vec![(seed, rating)],
                })
            })
            .collect()
    }
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

/// Most rated movies with a high damped mean, overall or in a segment (used without a model).
pub async fn popular(st: &AppState, seg: &Segment, n: usize) -> Result<Vec<(i32, f64)>, AppError> {
    let mut rows = training::segment_ratings(&st.db, seg).await?;
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
        .take(n)
        .map(|(m, n, mean)| (m, score(n, mean)))
        .collect())
}

/// What a recommendations list is asked for.
pub struct ListAsk<'a> {
    pub surface: Surface,
    /// Items from the top (offset + page size).
    pub n: usize,
    /// The client's own exclusions.
    pub exclude: &'a HashSet<i32>,
    /// The client's filter over catalogue entries (genres, years).
    pub keep: &'a (dyn Fn(&crate::db::repo::training::CatalogueEntry) -> bool + Sync),
    pub now: DateTime<Utc>,
}

/// A ranked, curated, diversified and explained list for a user.
pub async fn list(
    st: &AppState,
    u: &UserServing,
    ask: &ListAsk<'_>,
) -> Result<Vec<ServedItem>, AppError> {
    let pool = LIST_POOL.max(ask.n);
    let mut cands = if u.context.is_new || u.active.is_none() {
        let mut c = u.non_personal(st, Source::Demographic, pool).await?;
        if c.is_empty() {
            c = if u.active.is_some() {
                u.model_candidates(pool, ask.exclude)
            } else {
                u.non_personal(st, Source::Popular, pool).await?
            };
        }
        c
    } else {
        u.model_candidates(pool, ask.exclude)
    };
    if cands.is_empty() {
        cands = u.non_personal(st, Source::Popular, pool).await?;
    }
    let mut exclude: HashSet<i32> = u.seen.clone();
    exclude.extend(ask.exclude.iter().copied());
    let req = ListRequest {
        surface: &ask.surface,
        user: &u.context,
        now: ask.now,
        n: ask.n,
        exclude: &exclude,
        keep: ask.keep,
    };
    Ok(pipeline::rank_list(&req, cands, &u.curation, &u.catalogue))
}

/// The user's home feed.
pub async fn home_feed(
    st: &AppState,
    u: &UserServing,
    rows: usize,
    per_row: usize,
    now: DateTime<Utc>,
) -> Result<Vec<FeedRow>, AppError> {
    let pool = (per_row * OVERSAMPLE).max(40);
    let personal = !u.context.is_new && u.active.is_some();
    let top_picks = if personal {
        u.model_candidates(pool * 3, &HashSet::new())
    } else {
        vec![]
    };
    let because = if personal {
        u.seeds
            .iter()
            .filter(|(m, _)| u.catalogue.get(*m).is_some())
            .take(BECAUSE_ROWS)
            .map(|(m, r)| (*m, u.because(*m, *r, pool)))
            .collect()
    } else {
        vec![]
    };
    let trending = u.non_personal(st, Source::Trending, pool).await?;
    let popular_list = u.non_personal(st, Source::Popular, pool * 3).await?;
    let demographic = match &u.context.age_band {
        Some(b) if !personal => {
            let c = u.non_personal(st, Source::Demographic, pool).await?;
            (!c.is_empty()).then(|| (format!("viewers aged {}", band_label(b)), c))
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
    let req = FeedRequest {
        user: &u.context,
        now,
        exclude: &u.seen,
        rows,
        per_row,
    };
    Ok(feed::home_feed(inputs, &req, &u.curation, &u.catalogue))
}
