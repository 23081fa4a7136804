//! Capabilities a model has or has not, beside [`Fit`](super::Fit) and [`Scorer`]:
//!
//! | trait            | what it means                                                     |
//! |------------------|-------------------------------------------------------------------|
//! | [`FoldIn`]       | re-solves a user's vector against fixed item factors              |
//! | [`ForgetUser`]   | can drop everything it holds about one training user              |
//! | [`SimilarItems`] | answers item-to-item neighbours                                   |
//!
//! [`Component`](super::hybrid::Component) offers each capability through an exhaustive
//! accessor (`as_fold_in`, `as_forget_mut`, `as_similar`), so adding a model means stating its
//! capabilities. A served [`Snapshot`](super::Snapshot) refuses any component that cannot
//! forget a person (privacy deletion must take effect at once, without retraining).

use super::{ItemIdx, Scorer, UserHistory, UserIdx, UserVector};
use serde::{Deserialize, Serialize};

/// A factor model whose user vector can be re-solved from a history against its fixed item
/// factors, so new feedback changes the next answer without retraining. The result is cached in
/// [`Folded`](super::Folded) under the model's [`Scorer::name`].
pub trait FoldIn: Scorer {
    /// Latent dimension (the length of [`UserVector::factors`]).
    fn factors(&self) -> usize;
    /// Re-solves the user's vector from their history (ignores `user.user` and `user.folded`).
    fn fold_in(&self, user: &UserHistory<'_>) -> UserVector;
    /// The vector training learned for `u`; `None` if `u` was not in the training data or has
    /// been forgotten.
    fn trained_vector(&self, u: UserIdx) -> Option<UserVector>;
    /// The vector scoring uses: a cached fold-in of the right dimension, else the trained vector,
    /// else a fresh fold-in of the history (unknown and forgotten users).
    fn user_vector(&self, user: &UserHistory<'_>) -> UserVector {
        if let Some(v) = user.folded.and_then(|f| f.get(self.name())) {
            if v.factors.len() == self.factors() {
                return v.clone();
            }
        }
        user.user
            .and_then(|u| self.trained_vector(u))
            .unwrap_or_else(|| self.fold_in(user))
    }
}

/// A model that can drop whatever it holds about one training user (privacy deletion). After
/// `forget_user(u)` the model scores a history carrying `user: Some(u)` exactly as it scores the
/// same history with `user: None`, i.e. from the history the caller passes alone.
///
/// Aggregate statistics (popularity counts, item similarities, content vectors) are not per-user
/// state: the user's contribution leaves them at the next training.
pub trait ForgetUser {
    /// Forgets training user `u`; an index the model never saw is ignored.
    fn forget_user(&mut self, u: UserIdx);
}

/// A model that answers "items like this one".
pub trait SimilarItems {
    /// The `n` items most similar to `item`, most similar first, never `item` itself; empty for
    /// an item the model does not know.
    fn similar_items(&self, item: ItemIdx, n: usize) -> Vec<(ItemIdx, f32)>;
}

/// The training users a model has forgotten (serialised as a plain list of indices, as the
/// models stored it before this type existed). Kept sorted, so a lookup stays cheap when many
/// users are listed (an imported factor model lists every user the file did not hold).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Vec<u32>", into = "Vec<u32>")]
pub(crate) struct Forgotten(Vec<u32>);

impl From<Vec<u32>> for Forgotten {
    fn from(mut v: Vec<u32>) -> Self {
        v.sort_unstable();
        v.dedup();
        Forgotten(v)
    }
}

impl From<Forgotten> for Vec<u32> {
    fn from(f: Forgotten) -> Self {
        f.0
    }
}

impl Forgotten {
    /// Records `u` as forgotten.
    pub(crate) fn insert(&mut self, u: UserIdx) {
        if let Err(at) = self.0.binary_search(&u.0) {
            self.0.insert(at, u.0);
        }
    }
    /// Whether `u` was forgotten.
    pub(crate) fn contains(&self, u: UserIdx) -> bool {
        self.0.binary_search(&u.0).is_ok()
    }
}

/// Row `u` of a factor model's row-major `n × k` user factors, with its bias if the model has
/// biases (`bias` empty otherwise); `None` if out of range or forgotten.
pub(crate) fn stored_row(
    factors: &[f32],
    bias: &[f32],
    k: usize,
    forgotten: &Forgotten,
    u: UserIdx,
) -> Option<UserVector> {
    if forgotten.contains(u) {
        return None;
    }
    let row = factors.get(u.ix() * k..(u.ix() + 1) * k)?;
    Some(UserVector {
        bias: bias.get(u.ix()).copied().unwrap_or(0.0),
        factors: row.to_vec(),
    })
}

/// Zeroes row `u` of a factor model's user factors (and its bias) and records it as forgotten;
/// an index out of range is ignored.
pub(crate) fn forget_row(
    factors: &mut [f32],
    bias: &mut [f32],
    k: usize,
    forgotten: &mut Forgotten,
    u: UserIdx,
) {
    if let Some(row) = factors.get_mut(u.ix() * k..(u.ix() + 1) * k) {
        row.fill(0.0);
        if let Some(b) = bias.get_mut(u.ix()) {
            *b = 0.0;
        }
        forgotten.insert(u);
    }
}
