//! Non-personalised scorers: popularity (count or damped mean), trending (exponentially
//! time-decayed counts) and demographic popularity for cold-start segments.

use super::capabilities::ForgetUser;
use super::interactions::Interactions;
use super::{Demographics, Fit, ItemIdx, RecommendError, Scorer, UserHistory, UserIdx};
use ndarray::Array1;

use crate::demographics::AgeBand;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Whether an interaction counts as a positive signal for popularity.
fn positive(rating: f32, confidence: f32, like_threshold: f32) -> bool {
    if rating.is_nan() {
        confidence > 0.0
    } else {
        rating >= like_threshold && confidence >= 0.0
    }
}

fn lookup(scores: &[f32], candidates: &[ItemIdx]) -> Array1<f32> {
    candidates
        .iter()
        .map(|i| scores.get(i.ix()).copied().unwrap_or(f32::NAN))
        .collect()
}

/// How popularity is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PopularityKind {
    /// Number of users with a positive interaction.
    Count,
    /// Mean rating shrunk towards the global mean by `damping` pseudo-ratings.
    DampedMean,
}

/// Parameters of [`Popularity`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct PopularityParams {
    /// Count (best for top-N) or damped mean.
    pub kind: PopularityKind,
    /// Pseudo-ratings at the global mean added to every item (damped mean).
    pub damping: f32,
    /// Ratings below this are not counted as positive (count).
    pub like_threshold: f32,
}

impl Default for PopularityParams {
    fn default() -> Self {
        PopularityParams {
            kind: PopularityKind::Count,
            damping: 10.0,
            like_threshold: 0.0,
        }
    }
}

/// Global item popularity.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Popularity {
    #[serde(with = "super::compact::f32s")]
    scores: Vec<f32>,
    counts: Vec<u32>,
}

impl Popularity {
    /// Number of positive interactions per item.
    pub fn counts(&self) -> &[u32] {
        &self.counts
    }
    /// The score of every item.
    pub fn scores(&self) -> &[f32] {
        &self.scores
    }
}

impl Fit for Popularity {
    type Params = PopularityParams;
    fn fit(data: &Interactions, p: &PopularityParams) -> Result<Self, RecommendError> {
        let mu = data.global_mean();
        let mut counts = vec![0u32; data.n_items()];
        let mut scores = vec![0f32; data.n_items()];
        for i in 0..data.n_items() {
            let it = ItemIdx(i as u32);
            let (r, c) = (data.item_ratings(it), data.item_confidence(it));
            counts[i] = r
                .iter()
                .zip(c)
                .filter(|(&r, &c)| positive(r, c, p.like_threshold))
                .count() as u32;
            scores[i] = match p.kind {
                PopularityKind::Count => counts[i] as f32,
                PopularityKind::DampedMean => {
                    let (s, n) = r
                        .iter()
                        .filter(|r| !r.is_nan())
                        .fold((0f32, 0f32), |(s, n), &r| (s + r, n + 1.0));
                    (s + p.damping * mu) / (n + p.damping).max(1e-6)
                }
            };
        }
        Ok(Popularity { scores, counts })
    }
}

/// No-op: only per-item counts are kept; the user's interactions leave them at the next
/// training.
impl ForgetUser for Popularity {
    fn forget_user(&mut self, _: UserIdx) {}
}

impl Scorer for Popularity {
    fn name(&self) -> &'static str {
        "popularity"
    }
    fn score(&self, _: &UserHistory<'_>, candidates: &[ItemIdx]) -> Array1<f32> {
        lookup(&self.scores, candidates)
    }
}

/// Parameters of [`Trending`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct TrendingParams {
    /// Half-life of an interaction's weight, in days.
    pub half_life_days: f64,
    /// "Now" in Unix seconds; `None` = the latest timestamp in the data.
    pub now: Option<i64>,
    /// Ratings below this are not counted.
    pub like_threshold: f32,
}

impl Default for TrendingParams {
    fn default() -> Self {
        TrendingParams {
            // "Trending this week": the same list as `trending(window: WEEK)`.
            half_life_days: 7.0,
            now: None,
            like_threshold: 0.0,
        }
    }
}

/// The windows, in days, a client may ask trending for (a day, a week, a month): each is the
/// half-life of the decay.
pub const TRENDING_WINDOWS_DAYS: [u32; 3] = [1, 7, 30];

/// Exponentially time-decayed popularity: each positive interaction weighs
/// `2^(-(now - t) / half_life)`. Kept for the configured half-life (home feed, cold start) and
/// for each of [`TRENDING_WINDOWS_DAYS`], so every surface's "trending" is the same list.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Trending {
    #[serde(with = "super::compact::f32s")]
    scores: Vec<f32>,
    now: i64,
    #[serde(default)]
    half_life_days: f64,
    /// Scores per window (days); empty in models stored before windows existed.
    #[serde(default)]
    windows: Vec<TrendingWindow>,
}

/// Trending scores with one half-life.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct TrendingWindow {
    days: u32,
    #[serde(with = "super::compact::f32s")]
    scores: Vec<f32>,
}

/// Every item's decayed count of positive interactions, for each half-life (in seconds).
fn decayed(data: &Interactions, now: i64, halves: &[f64], like_threshold: f32) -> Vec<Vec<f32>> {
    let mut scores = vec![vec![0f64; data.n_items()]; halves.len()];
    for u in 0..data.n_users() {
        let u = UserIdx(u as u32);
        let (items, r, c, ts) = (
            data.user_items(u),
            data.user_ratings(u),
            data.user_confidence(u),
            data.user_timestamps(u),
        );
        for k in 0..items.len() {
            if positive(r[k], c[k], like_threshold) {
                let age = (now - ts[k]).max(0) as f64;
                for (s, half) in scores.iter_mut().zip(halves) {
                    s[items[k].ix()] += (-age / half * std::f64::consts::LN_2).exp();
                }
            }
        }
    }
    scores
        .into_iter()
        .map(|v| v.into_iter().map(|s| s as f32).collect())
        .collect()
}

impl Fit for Trending {
    type Params = TrendingParams;
    fn fit(data: &Interactions, p: &TrendingParams) -> Result<Self, RecommendError> {
        if p.half_life_days <= 0.0 {
            return Err(RecommendError::InvalidParam {
                name: "half_life_days",
                reason: "must be positive".into(),
            });
        }
        let now = p.now.unwrap_or_else(|| data.max_timestamp());
        let halves: Vec<f64> = std::iter::once(p.half_life_days)
            .chain(TRENDING_WINDOWS_DAYS.iter().map(|&d| d as f64))
            .map(|d| d * 86_400.0)
            .collect();
        let mut all = decayed(data, now, &halves, p.like_threshold).into_iter();
        let scores = all.next().unwrap_or_default();
        Ok(Trending {
            scores,
            now,
            half_life_days: p.half_life_days,
            windows: TRENDING_WINDOWS_DAYS
                .iter()
                .zip(all)
                .map(|(&days, scores)| TrendingWindow { days, scores })
                .collect(),
        })
    }
}

impl Trending {
    /// The reference time the decay was computed at.
    pub fn now(&self) -> i64 {
        self.now
    }

    /// The scores of a window of `days` (one of [`TRENDING_WINDOWS_DAYS`], or the configured
    /// half-life); `None` for a window this model was not trained for.
    pub fn window_scores(&self, days: u32) -> Option<&[f32]> {
        if (days as f64 - self.half_life_days).abs() < 1e-9 {
            return Some(&self.scores);
        }
        self.windows
            .iter()
            .find(|w| w.days == days)
            .map(|w| w.scores.as_slice())
    }
}

/// No-op: only per-item decayed counts are kept; the user's interactions leave them at the
/// next training.
impl ForgetUser for Trending {
    fn forget_user(&mut self, _: UserIdx) {}
}

impl Scorer for Trending {
    fn name(&self) -> &'static str {
        "trending"
    }
    fn score(&self, _: &UserHistory<'_>, candidates: &[ItemIdx]) -> Array1<f32> {
        lookup(&self.scores, candidates)
    }
}

/// Parameters of [`DemographicPopularity`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct DemographicParams {
    /// Pseudo-users at the global popularity added to every segment (shrinkage).
    pub damping: f32,
    /// Segments with fewer users are ignored (the global popularity is used instead).
    pub min_users: usize,
    /// Ratings below this are not counted.
    pub like_threshold: f32,
}

impl Default for DemographicParams {
    fn default() -> Self {
        DemographicParams {
            damping: 20.0,
            min_users: 10,
            like_threshold: 0.0,
        }
    }
}

/// Segment keys of a user: age band, gender, occupation, country.
pub fn segments(d: &Demographics) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(a) = d.age {
        out.push(format!("age:{}", AgeBand::of_age(a)));
    }
    if let Some(g) = &d.gender {
        out.push(format!("gender:{}", g.to_lowercase()));
    }
    if let Some(o) = &d.occupation {
        out.push(format!("occupation:{}", o.to_lowercase()));
    }
    if let Some(c) = &d.country {
        out.push(format!("country:{}", c.to_lowercase()));
    }
    out
}

/// Popularity within demographic segments (age band, gender, occupation, country), shrunk
/// towards global popularity; users without demographics get global popularity.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DemographicPopularity {
    global: Vec<f32>,
    segments: HashMap<String, Vec<f32>>,
}

impl DemographicPopularity {
    /// Trains from interactions plus the demographics of (some of) the training users.
    pub fn fit_with(
        data: &Interactions,
        demographics: &[(UserIdx, Demographics)],
        p: &DemographicParams,
    ) -> Result<Self, RecommendError> {
        let n_items = data.n_items();
        let liked = |u: UserIdx| {
            let (items, r, c) = (
                data.user_items(u),
                data.user_ratings(u),
                data.user_confidence(u),
            );
            (0..items.len())
                .filter(move |&k| positive(r[k], c[k], p.like_threshold))
                .map(move |k| items[k].ix())
        };
        let mut global = vec![0f32; n_items];
        let n_users = data.n_users().max(1) as f32;
        for u in 0..data.n_users() {
            for i in liked(UserIdx(u as u32)) {
                global[i] += 1.0;
            }
        }
        global.iter_mut().for_each(|g| *g /= n_users);
        let mut seg_counts: HashMap<String, (usize, Vec<f32>)> = HashMap::new();
        for (u, d) in demographics {
            if u.ix() >= data.n_users() {
                return Err(RecommendError::IndexOutOfRange);
            }
            for s in segments(d) {
                let e = seg_counts
                    .entry(s)
                    .or_insert_with(|| (0, vec![0f32; n_items]));
                e.0 += 1;
                for i in liked(*u) {
                    e.1[i] += 1.0;
                }
            }
        }
        let segments = seg_counts
            .into_iter()
            .filter(|(_, (n, _))| *n >= p.min_users)
            .map(|(k, (n, counts))| {
                let shrunk = counts
                    .iter()
                    .zip(&global)
                    .map(|(c, g)| (c + p.damping * g) / (n as f32 + p.damping))
                    .collect();
                (k, shrunk)
            })
            .collect();
        Ok(DemographicPopularity { global, segments })
    }
}

impl Fit for DemographicPopularity {
    type Params = DemographicParams;
    fn fit(data: &Interactions, p: &DemographicParams) -> Result<Self, RecommendError> {
        Self::fit_with(data, &[], p)
    }
}

/// No-op: only per-segment item counts are kept (segments of at least `min_users` people); the
/// user's interactions and demographics leave them at the next training.
impl ForgetUser for DemographicPopularity {
    fn forget_user(&mut self, _: UserIdx) {}
}

impl Scorer for DemographicPopularity {
    fn name(&self) -> &'static str {
        "demographic"
    }
    fn score(&self, user: &UserHistory<'_>, candidates: &[ItemIdx]) -> Array1<f32> {
        let segs: Vec<&Vec<f32>> = user
            .demographics
            .map(|d| {
                segments(d)
                    .iter()
                    .filter_map(|s| self.segments.get(s))
                    .collect()
            })
            .unwrap_or_default();
        if segs.is_empty() {
            return lookup(&self.global, candidates);
        }
        candidates
            .iter()
            .map(|i| {
                if i.ix() >= self.global.len() {
                    return f32::NAN;
                }
                segs.iter().map(|s| s[i.ix()]).sum::<f32>() / segs.len() as f32
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recommender::contract::{assert_forget_contract, assert_scorer_contract};
    use crate::recommender::interactions::Triplet;

    #[test]
    fn popularity_passes_the_contract() {
        assert_scorer_contract(
            |f| Popularity::fit(&f.data, &Default::default()).unwrap(),
            false,
        );
        let damped = PopularityParams {
            kind: PopularityKind::DampedMean,
            ..Default::default()
        };
        assert_scorer_contract(|f| Popularity::fit(&f.data, &damped).unwrap(), false);
    }

    #[test]
    fn trending_passes_the_contract() {
        assert_scorer_contract(
            |f| Trending::fit(&f.data, &Default::default()).unwrap(),
            false,
        );
    }

    #[test]
    fn demographic_passes_the_contract() {
        assert_scorer_contract(
            |f| DemographicPopularity::fit(&f.data, &Default::default()).unwrap(),
            false,
        );
    }

    #[test]
    fn non_personal_models_forget_as_a_no_op() {
        assert_forget_contract(|f| Popularity::fit(&f.data, &Default::default()).unwrap());
        assert_forget_contract(|f| Trending::fit(&f.data, &Default::default()).unwrap());
        assert_forget_contract(|f| {
            DemographicPopularity::fit(&f.data, &Default::default()).unwrap()
        });
    }

    fn t(u: u32, i: u32, ts: i64) -> Triplet {
        Triplet {
            user: UserIdx(u),
            item: ItemIdx(i),
            rating: 4.0,
            confidence: 1.0,
            timestamp: ts,
        }
    }

    #[test]
    fn trending_prefers_recent_interactions() {
        let day = 86_400;
        // item 0: two old interactions; item 1: one fresh one.
        let data = Interactions::from_triplets(2, 2, &[t(0, 0, 0), t(1, 0, 0), t(0, 1, 100 * day)])
            .unwrap();
        let tr = Trending::fit(&data, &Default::default()).unwrap();
        let s = tr.score(&UserHistory::empty(), &[ItemIdx(0), ItemIdx(1)]);
        assert!(s[1] > s[0]);
        assert!((s[1] - 1.0).abs() < 1e-6);
        let pop = Popularity::fit(&data, &Default::default()).unwrap();
        assert_eq!(pop.counts(), &[2, 1]);
    }

    #[test]
    fn trending_windows_rank_by_their_own_half_life() {
        let day = 86_400;
        // At day 30: item 0 had three interactions 20 days ago, item 1 one today.
        let old = 10 * day;
        let data = Interactions::from_triplets(
            3,
            2,
            &[t(0, 0, old), t(1, 0, old), t(2, 0, old), t(0, 1, 30 * day)],
        )
        .unwrap();
        let tr = Trending::fit(&data, &Default::default()).unwrap();
        let day_w = tr.window_scores(1).unwrap();
        let month_w = tr.window_scores(30).unwrap();
        assert!(day_w[1] > day_w[0], "a day: the fresh item leads");
        assert!(
            month_w[0] > month_w[1],
            "a month: the item with more interactions leads"
        );
        // The configured half-life (a week by default) is the week window.
        assert_eq!(tr.window_scores(7).unwrap(), tr.scores.as_slice());
        assert!(tr.window_scores(3).is_none());
    }

    #[test]
    fn demographic_segments_shift_scores_and_fall_back_to_global() {
        // users 0-1 (F) like item 0; users 2-4 (M) like item 1.
        let data = Interactions::from_triplets(
            5,
            2,
            &[t(0, 0, 0), t(1, 0, 0), t(2, 1, 0), t(3, 1, 0), t(4, 1, 0)],
        )
        .unwrap();
        let g = |s: &str| Demographics {
            gender: Some(s.into()),
            ..Default::default()
        };
        let demo: Vec<_> = (0..5u32)
            .map(|u| (UserIdx(u), g(if u < 2 { "F" } else { "M" })))
            .collect();
        let p = DemographicParams {
            damping: 1.0,
            min_users: 1,
            ..Default::default()
        };
        let m = DemographicPopularity::fit_with(&data, &demo, &p).unwrap();
        let f = g("F");
        let h = UserHistory {
            demographics: Some(&f),
            ..UserHistory::empty()
        };
        let s = m.score(&h, &[ItemIdx(0), ItemIdx(1)]);
        assert!(s[0] > s[1]);
        let s = m.score(&UserHistory::empty(), &[ItemIdx(0), ItemIdx(1)]);
        assert!(s[1] > s[0]);
    }
}
