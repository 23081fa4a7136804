//! Pure recommender core: interaction matrix, models, blending, fold-in and snapshots. No I/O,
//! no web or database crates.
//!
//! Every model implements [`Fit`] (train from [`Interactions`] with a `#[serde(default)]` params
//! struct whose defaults are the tuned values) and [`Scorer`] (score candidate items for one
//! [`UserHistory`]), plus the [`capabilities`] it has: [`FoldIn`], [`ForgetUser`],
//! [`SimilarItems`]. Rating models (MF, SVD++, kNN, baseline) score with the predicted rating;
//! ranking models (ALS, popularity, content) with an unbounded relevance score.

pub mod als;
pub mod capabilities;
pub(crate) mod compact;
pub mod content;
pub mod ease;
pub mod factors;
pub mod foldin;
pub mod hybrid;
pub mod interactions;
pub mod knn;
mod linalg;
pub mod mf;
pub mod popularity;
pub mod snapshot;
pub mod vocab;

#[cfg(test)]
pub(crate) mod contract;

use ndarray::Array1;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use capabilities::{FoldIn, ForgetUser, SimilarItems};
pub use interactions::{Feedback, Interactions, Triplet};
pub use snapshot::{Snapshot, SnapshotParams, TrainingInput};
pub use vocab::{ItemIdx, UserIdx, Vocab};

/// Errors of the recommender core.
#[derive(Debug, thiserror::Error)]
pub enum RecommendError {
    /// A user or item index does not fit the matrix dimensions.
    #[error("index out of range")]
    IndexOutOfRange,
    /// Training was asked for on data with no usable interactions.
    #[error("no interactions to train on")]
    Empty,
    /// A hyperparameter is out of its valid range.
    #[error("invalid parameter {name}: {reason}")]
    InvalidParam {
        /// Parameter name.
        name: &'static str,
        /// Why it is invalid.
        reason: String,
    },
    /// An unknown model name was requested.
    #[error("unknown model `{0}`")]
    UnknownModel(String),
    /// A model that cannot forget a person (privacy deletion) was configured into a served
    /// snapshot; see [`ForgetUser`].
    #[error("model `{0}` cannot forget a user, so a snapshot cannot serve it")]
    CannotForget(&'static str),
    /// A snapshot blob could not be (de)serialised.
    #[error("snapshot encoding: {0}")]
    Encoding(#[from] serde_json::Error),
}

/// Trains a model from interactions.
pub trait Fit: Sized {
    /// Hyperparameters, read from `[recommender.<name>]`; `Default` gives the tuned values.
    type Params: DeserializeOwned + Default;
    /// Trains the model.
    fn fit(data: &Interactions, p: &Self::Params) -> Result<Self, RecommendError>;
}

/// Scores candidate items for one user. Read-only, shared via `Arc`.
pub trait Scorer: Send + Sync {
    /// Short stable model name (`"mf"`, `"als"`, …).
    fn name(&self) -> &'static str;
    /// One score per candidate, same order; NaN = cannot score.
    fn score(&self, user: &UserHistory<'_>, candidates: &[ItemIdx]) -> Array1<f32>;
}

/// A user's latent vector re-solved against fixed item factors (see [`foldin`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserVector {
    /// User bias (0 for models without one).
    pub bias: f32,
    /// Latent factors.
    pub factors: Vec<f32>,
}

/// Folded-in user vectors, keyed by model name ([`Scorer::name`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Folded {
    /// One vector per factor model.
    pub vectors: BTreeMap<String, UserVector>,
}

impl Folded {
    /// The vector folded in for a model, if any.
    pub fn get(&self, model: &str) -> Option<&UserVector> {
        self.vectors.get(model)
    }
}

/// Optional demographics of a user, for cold-start segments.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Demographics {
    /// Age in years.
    pub age: Option<i32>,
    /// Gender as given.
    pub gender: Option<String>,
    /// Occupation name.
    pub occupation: Option<String>,
    /// Country (ISO code or name).
    pub country: Option<String>,
}

/// What a scorer knows about one user: their own interactions (and optionally folded-in factors
/// and demographics). Users unknown at training time are served from this alone.
#[derive(Debug, Clone, Copy)]
pub struct UserHistory<'a> {
    /// Index of the user in the training data, if they were in it (and not removed).
    pub user: Option<UserIdx>,
    /// Items the user interacted with.
    pub items: &'a [ItemIdx],
    /// Explicit ratings aligned with `items` (NaN = none).
    pub ratings: &'a [f32],
    /// Signed implicit confidences aligned with `items`.
    pub confidence: &'a [f32],
    /// When each interaction happened (Unix seconds), aligned with `items`; empty when unknown.
    /// Scorers that weight recent interactions more read their order from it.
    pub timestamps: &'a [i64],
    /// Folded-in factors that supersede the trained user vectors.
    pub folded: Option<&'a Folded>,
    /// Demographics for cold-start segments.
    pub demographics: Option<&'a Demographics>,
}

impl<'a> UserHistory<'a> {
    /// A user with no history at all.
    pub fn empty() -> UserHistory<'static> {
        UserHistory {
            user: None,
            items: &[],
            ratings: &[],
            confidence: &[],
            timestamps: &[],
            folded: None,
            demographics: None,
        }
    }
    /// Number of interactions.
    pub fn len(&self) -> usize {
        self.items.len()
    }
    /// Whether the user has no interactions.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
    /// Mean explicit rating, if any.
    pub fn mean_rating(&self) -> Option<f32> {
        let (s, n) = self
            .ratings
            .iter()
            .filter(|r| !r.is_nan())
            .fold((0f32, 0usize), |(s, n), &r| (s + r, n + 1));
        (n > 0).then(|| s / n as f32)
    }
    /// Iterates `(item, rating)` over explicitly rated items.
    pub fn rated(&self) -> impl Iterator<Item = (ItemIdx, f32)> + '_ {
        self.items
            .iter()
            .zip(self.ratings.iter())
            .filter(|(_, r)| !r.is_nan())
            .map(|(&i, &r)| (i, r))
    }
}

/// An owned user history, for users assembled outside the training matrix.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OwnedHistory {
    /// Training index, if the user was in the training data.
    pub user: Option<UserIdx>,
    /// Items.
    pub items: Vec<ItemIdx>,
    /// Ratings (NaN = none).
    pub ratings: Vec<f32>,
    /// Signed implicit confidences.
    pub confidence: Vec<f32>,
    /// Unix seconds of each interaction.
    pub timestamps: Vec<i64>,
    /// Folded-in factors.
    pub folded: Option<Folded>,
    /// Demographics.
    pub demographics: Option<Demographics>,
}

impl OwnedHistory {
    /// Adds (or overwrites) an explicit rating with confidence 1, as the latest interaction.
    pub fn rate(&mut self, item: ItemIdx, rating: f32) {
        let now = self.timestamps.iter().max().map_or(0, |t| t + 1);
        self.push(item, rating, 1.0, now);
    }
    /// Adds (or overwrites) an interaction that happened at `timestamp` (Unix seconds).
    pub fn push(&mut self, item: ItemIdx, rating: f32, confidence: f32, timestamp: i64) {
        if let Some(p) = self.items.iter().position(|&i| i == item) {
            self.ratings[p] = rating;
            self.confidence[p] = confidence;
            self.timestamps[p] = timestamp;
        } else {
            self.items.push(item);
            self.ratings.push(rating);
            self.confidence.push(confidence);
            self.timestamps.push(timestamp);
        }
    }
    /// Borrows this history as a scorer input.
    pub fn view(&self) -> UserHistory<'_> {
        UserHistory {
            user: self.user,
            items: &self.items,
            ratings: &self.ratings,
            confidence: &self.confidence,
            timestamps: &self.timestamps,
            folded: self.folded.as_ref(),
            demographics: self.demographics.as_ref(),
        }
    }
}

impl From<&UserHistory<'_>> for OwnedHistory {
    fn from(h: &UserHistory<'_>) -> Self {
        OwnedHistory {
            user: h.user,
            items: h.items.to_vec(),
            ratings: h.ratings.to_vec(),
            confidence: h.confidence.to_vec(),
            timestamps: if h.timestamps.len() == h.items.len() {
                h.timestamps.to_vec()
            } else {
                vec![0; h.items.len()]
            },
            folded: h.folded.cloned(),
            demographics: h.demographics.cloned(),
        }
    }
}

/// Where a recommendation comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Source {
    /// The personalised model blend.
    Model,
    /// Global popularity.
    Popular,
    /// Recently popular.
    Trending,
    /// Popular in the user's demographic segment.
    Demographic,
    /// Content similarity (genres, people, tags).
    Content,
}

/// One piece of evidence: an item the user rated that contributed to a recommendation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// The rated item ("Heat").
    pub item: ItemIdx,
    /// The user's rating of it (NaN if implicit only).
    pub rating: f32,
    /// Its contribution weight (similarity × preference), larger = more important.
    pub weight: f32,
}

/// Why an item was recommended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// Which source produced the item.
    pub source: Source,
    /// Top contributing rated items, most important first ("Because you rated Heat ★5").
    pub evidence: Vec<Evidence>,
}

/// Progress of a long computation, reported through a callback so that a CLI can draw a bar.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Progress {
    /// What is being done (`"mf"`, `"fold 2/5"`, …).
    pub stage: String,
    /// Units done.
    pub done: u64,
    /// Units in total.
    pub total: u64,
}

/// A progress callback that ignores everything.
pub fn no_progress(_: Progress) {}

/// Ranks `candidates` for a user: descending score, NaN dropped, items in the user's history or in
/// `exclude` dropped, at most `n`, ties broken by ascending item index.
pub fn top_n(
    scorer: &dyn Scorer,
    history: &UserHistory<'_>,
    candidates: &[ItemIdx],
    n: usize,
    exclude: &[ItemIdx],
) -> Vec<(ItemIdx, f32)> {
    let scores = scorer.score(history, candidates);
    rank_scores(
        candidates,
        scores.as_slice().unwrap_or(&[]),
        history.items,
        exclude,
        n,
    )
}

/// The ranking part of [`top_n`], for precomputed scores.
pub fn rank_scores(
    candidates: &[ItemIdx],
    scores: &[f32],
    seen: &[ItemIdx],
    exclude: &[ItemIdx],
    n: usize,
) -> Vec<(ItemIdx, f32)> {
    if n == 0 {
        return Vec::new();
    }
    let mut banned: Vec<ItemIdx> = seen.iter().chain(exclude.iter()).copied().collect();
    banned.sort_unstable();
    let mut v: Vec<(ItemIdx, f32)> = candidates
        .iter()
        .zip(scores.iter())
        .filter(|(i, s)| !s.is_nan() && banned.binary_search(i).is_err())
        .map(|(&i, &s)| (i, s))
        .collect();
    let cmp = |a: &(ItemIdx, f32), b: &(ItemIdx, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
    if v.len() > n {
        v.select_nth_unstable_by(n - 1, cmp);
        v.truncate(n);
        // do not keep a catalogue-sized allocation behind a short list (callers keep lists
        // per user, and an in-place `into_iter().map().collect()` would keep it too)
        v.shrink_to_fit();
    }
    v.sort_unstable_by(cmp);
    v.dedup_by_key(|x| x.0);
    v
}

/// All item indices `0..n_items`, a convenient candidate list.
pub fn all_items(n_items: usize) -> Vec<ItemIdx> {
    (0..n_items as u32).map(ItemIdx).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed(Vec<f32>);
    impl Scorer for Fixed {
        fn name(&self) -> &'static str {
            "fixed"
        }
        fn score(&self, _: &UserHistory<'_>, c: &[ItemIdx]) -> Array1<f32> {
            c.iter().map(|i| self.0[i.ix()]).collect()
        }
    }

    #[test]
    fn top_n_sorts_drops_nan_and_seen_and_breaks_ties_by_index() {
        let s = Fixed(vec![0.5, f32::NAN, 0.9, 0.5, 0.1, 0.9]);
        let seen = [ItemIdx(5)];
        let h = UserHistory {
            items: &seen,
            ratings: &[4.0],
            confidence: &[1.0],
            ..UserHistory::empty()
        };
        let got = top_n(&s, &h, &all_items(6), 3, &[ItemIdx(4)]);
        assert_eq!(
            got,
            vec![(ItemIdx(2), 0.9), (ItemIdx(0), 0.5), (ItemIdx(3), 0.5)]
        );
        assert!(top_n(&s, &h, &all_items(6), 0, &[]).is_empty());
    }
}
