//! EASE (Steck, "Embarrassingly Shallow Autoencoders for Sparse Data", WWW 2019): an item ×
//! item weight matrix `B` learned in closed form, scoring item `j` for a user by
//! `Σ_{i ∈ history} B[i][j]`.
//!
//! With `X` the binary users × items matrix (an interaction counts when it is positive, as for
//! item-kNN's ranking mode) and `G = XᵀX + λI` (plus, with `dropout` p, `p/(1−p)·diag(XᵀX)`:
//! EDLAE, Steck, "Autoencoders that don't overfit towards the identity", NeurIPS 2020), `P = G⁻¹` and `B[i][j] = −P[i][j] / P[j][j]` with
//! a zero diagonal: the least-squares reconstruction of every item from the others, without the
//! trivial answer of copying itself. The cost is a dense `n × n` Cholesky factorisation and
//! inverse (`faer`), `O(n³)` time and `2 n²` doubles of memory, so catalogues above
//! `max_items` are refused rather than run out of memory. `B` is kept sparse, as the serving
//! path and the model blob want it: `neighbors` weights per item on average, the largest in
//! magnitude over the whole matrix, each item keeping at least a tenth of that ([`prune`]).
//!
//! With `recency` τ > 0 a user's interactions do not count alike when scoring: one with `r`
//! of the user's interactions after it weighs `floor + (1 − floor)·e^(−r/τ)` (`recency_floor`),
//! so the latest few steer the list (what to watch *next*, where a random holdout asks what
//! else the user has seen). Interactions at the same second share a weight; a history without
//! timestamps counts every interaction fully.
//!
//! A person's data is part of the aggregate `XᵀX`: forgetting them is a no-op until the next
//! training, as for item-kNN's similarities.

use super::capabilities::{ForgetUser, SimilarItems};
use super::interactions::Interactions;
use super::{Fit, ItemIdx, RecommendError, Scorer, UserHistory, UserIdx};
use faer::linalg::solvers::DenseSolveCore;
use faer::{Mat, Side};
use ndarray::Array1;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Hyperparameters of [`Ease`] (`[recommender.ease]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EaseParams {
    /// L2 penalty λ added to the diagonal of `XᵀX`.
    pub lambda: f64,
    /// Dropout-style penalty p ∈ [0, 1) (EDLAE, Steck 2020): each item's diagonal of `XᵀX` also
    /// gets `p / (1 − p)` times its own count, so popular items are regularised more. 0 is EASE.
    pub dropout: f64,
    /// Weights kept per item on average: the largest in magnitude over the whole matrix, each
    /// item keeping at least a tenth of this many; 0 keeps them all.
    pub neighbors: usize,
    /// Largest catalogue trained (the dense solve needs `8 n²` bytes: 1.2 GB at 12 000).
    pub max_items: usize,
    /// Decay τ of an interaction's weight with the number of the user's interactions after it
    /// (in interactions); 0 counts every interaction alike.
    pub recency: f64,
    /// Weight an interaction keeps however old it is, with `recency` on (0 to 1).
    pub recency_floor: f64,
}

impl Default for EaseParams {
    fn default() -> Self {
        EaseParams {
            lambda: 250.0,
            dropout: 0.0,
            neighbors: 500,
            max_items: 12_000,
            recency: 0.0,
            recency_floor: 0.05,
        }
    }
}

/// A trained EASE model.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ease {
    /// Per history item: its `neighbors` largest weights in magnitude, `(item, weight)` by
    /// descending weight.
    #[serde(with = "super::compact::neighbours")]
    weights: Vec<Vec<(ItemIdx, f32)>>,
    /// How a user's interactions are weighted by their order.
    recency: Recency,
}

/// Weights of a user's interactions by their order ([`EaseParams::recency`]).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Recency {
    /// Decay τ in interactions; 0 = off.
    pub tau: f32,
    /// Weight kept however old.
    pub floor: f32,
}

impl Recency {
    /// The setting of `p`, checked.
    fn of(p: &EaseParams) -> Result<Self, RecommendError> {
        if !(p.recency.is_finite() && p.recency >= 0.0) {
            return Err(RecommendError::InvalidParam {
                name: "recency",
                reason: "must be 0 (off) or a positive number of interactions".into(),
            });
        }
        if !(0.0..=1.0).contains(&p.recency_floor) {
            return Err(RecommendError::InvalidParam {
                name: "recency_floor",
                reason: "must be between 0 and 1".into(),
            });
        }
        Ok(Recency {
            tau: p.recency as f32,
            floor: p.recency_floor as f32,
        })
    }
    /// Each interaction's weight, aligned with the history's items; `None` when all weigh 1
    /// (off, or no timestamps).
    fn weights(&self, h: &UserHistory<'_>) -> Option<Vec<f32>> {
        if self.tau <= 0.0 || h.timestamps.len() != h.items.len() {
            return None;
        }
        let mut newest_first = h.timestamps.to_vec();
        newest_first.sort_unstable_by(|a, b| b.cmp(a));
        Some(
            h.timestamps
                .iter()
                .map(|t| {
                    let after = newest_first.partition_point(|x| x > t) as f32;
                    self.floor + (1.0 - self.floor) * (-after / self.tau).exp()
                })
                .collect(),
        )
    }
}

impl Ease {
    /// The parameters that change how a history is read, not the fitted weights: a model
    /// fitted once serves every value of them through [`Self::set_scoring`].
    pub const SCORING_ONLY: [&'static str; 2] = ["recency", "recency_floor"];

    /// Reads histories with `p`'s [`Self::SCORING_ONLY`] parameters from now on (the weights
    /// are kept: `p`'s other parameters are ignored).
    pub fn set_scoring(&mut self, p: &EaseParams) -> Result<(), RecommendError> {
        self.recency = Recency::of(p)?;
        Ok(())
    }

    /// A model from its weights (format-4 blobs, which had no recency).
    pub(crate) fn from_weights(weights: Vec<Vec<(ItemIdx, f32)>>) -> Self {
        Ease {
            weights,
            recency: Recency::default(),
        }
    }
    /// Per item, the weights kept.
    #[cfg(test)]
    pub(crate) fn weights(&self) -> &[Vec<(ItemIdx, f32)>] {
        &self.weights
    }
}

/// Whether a cell counts as an interaction (positive feedback; a rating without confidence).
fn positive(r: f32, c: f32) -> bool {
    c > 0.0 || (c == 0.0 && !r.is_nan())
}

impl Fit for Ease {
    type Params = EaseParams;
    fn fit(data: &Interactions, p: &EaseParams) -> Result<Self, RecommendError> {
        if data.nnz() == 0 {
            return Err(RecommendError::Empty);
        }
        let n = data.n_items();
        if n > p.max_items {
            return Err(RecommendError::InvalidParam {
                name: "max_items",
                reason: format!(
                    "EASE needs a dense {n} × {n} solve ({:.1} GB); the limit is {} items",
                    8.0 * (n * n) as f64 / 1e9,
                    p.max_items
                ),
            });
        }
        if !(p.lambda.is_finite() && p.lambda > 0.0) {
            return Err(RecommendError::InvalidParam {
                name: "lambda",
                reason: "must be a positive number".into(),
            });
        }
        if !(p.dropout.is_finite() && (0.0..1.0).contains(&p.dropout)) {
            return Err(RecommendError::InvalidParam {
                name: "dropout",
                reason: "must be at least 0 and below 1".into(),
            });
        }
        let recency = Recency::of(p)?;
        let scale = (p.dropout / (1.0 - p.dropout)) as f32;
        // G = XᵀX + λI + p/(1−p)·diag(XᵀX), column by column (G is symmetric): column i counts, for every item j,
        // the users who interacted positively with both.
        let mut g = Mat::<f32>::zeros(n, n);
        g.par_col_iter_mut().enumerate().for_each(|(i, col)| {
            let col = col
                .try_as_col_major_mut()
                .expect("a new matrix's columns are contiguous")
                .as_slice_mut();
            let ii = ItemIdx(i as u32);
            let raters = data
                .item_users(ii)
                .iter()
                .zip(data.item_ratings(ii))
                .zip(data.item_confidence(ii));
            for ((&u, &r), &c) in raters {
                if !positive(r, c) {
                    continue;
                }
                let items = data.user_items(u);
                let cells = data.user_ratings(u).iter().zip(data.user_confidence(u));
                for (&j, (&r, &c)) in items.iter().zip(cells) {
                    if positive(r, c) {
                        col[j.ix()] += 1.0;
                    }
                }
            }
            col[i] += p.lambda as f32 + scale * col[i];
        });
        let llt = g
            .llt(Side::Lower)
            .map_err(|e| RecommendError::InvalidParam {
                name: "lambda",
                reason: format!("XᵀX + λI is not positive definite ({e:?})"),
            })?;
        drop(g);
        let inv = llt.inverse();
        drop(llt);
        // B[i][j] = −P[i][j] / P[j][j]; P is symmetric, so row i is column i.
        let diag: Vec<f32> = (0..n).map(|j| inv[(j, j)]).collect();
        let keep = if p.neighbors == 0 { n } else { p.neighbors };
        let weights = prune(n, keep, |i| {
            let col = inv.col_as_slice(i);
            (0..n)
                .filter(|&j| j != i)
                .map(|j| (ItemIdx(j as u32), -col[j] / diag[j]))
                .filter(|(_, w)| *w != 0.0 && w.is_finite())
                .collect()
        });
        Ok(Ease { weights, recency })
    }
}

/// Orders weights by magnitude, largest first (ties by item, for determinism): a negative
/// weight (items that rarely go together) counts as much as a positive one.
fn by_magnitude(a: &(ItemIdx, f32), b: &(ItemIdx, f32)) -> std::cmp::Ordering {
    b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(&b.0))
}

/// Keeps `n · keep` of the weights of the `n` rows `row(i)` (and any tied with the last one
/// kept): each row's `keep / 10` largest in magnitude (at least one, so no history item goes
/// silent), then the largest in magnitude of all the others, whichever row they are in. Rows
/// come back by descending weight.
///
/// A global budget rather than `keep` per row: rows of rare items hold large weights and rows
/// of popular items many small ones, and a fixed count per row drops large weights to keep
/// small ones (on ml-latest-small's holdout, 500 per row lost 0.008 NDCG@10 against keeping
/// every weight; the same memory spent this way loses 0.003). The threshold is found without
/// holding the matrix twice: a radix select over the magnitudes' bit patterns (positive floats
/// order as their bits do), 16 bits per pass, recomputing each row on each pass.
fn prune<F>(n: usize, keep: usize, row: F) -> Vec<Vec<(ItemIdx, f32)>>
where
    F: Fn(usize) -> Vec<(ItemIdx, f32)> + Sync,
{
    let by_weight =
        |a: &(ItemIdx, f32), b: &(ItemIdx, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
    let floor = (keep / 10).max(1);
    // Row i with its `floor` largest in magnitude first; the rest compete for the budget.
    let split = |i: usize| {
        let mut r = row(i);
        if r.len() > floor {
            r.select_nth_unstable_by(floor, by_magnitude);
        }
        r
    };
    let key = |w: &(ItemIdx, f32)| w.1.abs().to_bits();
    let threshold = if keep + 1 >= n {
        0
    } else {
        // Per pass: a histogram of the competing keys' 16-bit digit `bin(key)` (None = not in
        // this pass), and how many weights the rows' floors keep.
        let pass = |bin: &(dyn Fn(u32) -> Option<usize> + Sync)| {
            (0..n)
                .into_par_iter()
                .fold(
                    || (vec![0u64; 1 << 16], 0u64),
                    |(mut h, mut kept), i| {
                        let r = split(i);
                        kept += r.len().min(floor) as u64;
                        for w in r.iter().skip(floor) {
                            if let Some(b) = bin(key(w)) {
                                h[b] += 1;
                            }
                        }
                        (h, kept)
                    },
                )
                .reduce(
                    || (vec![0u64; 1 << 16], 0u64),
                    |(mut a, ka), (b, kb)| {
                        a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                        (a, ka + kb)
                    },
                )
        };
        // The digit at which the count from the top reaches `need`, and what is needed in it.
        let crossing = |h: &[u64], need: u64| {
            let mut above = 0;
            for b in (0..h.len()).rev() {
                if above + h[b] >= need {
                    return (b as u32, need - above);
                }
                above += h[b];
            }
            (0, need - above)
        };
        let (high, kept) = pass(&|k| Some((k >> 16) as usize));
        let need = (n as u64 * keep as u64).saturating_sub(kept);
        if need == 0 {
            u32::MAX
        } else if need >= high.iter().sum::<u64>() {
            0
        } else {
            let (h, need) = crossing(&high, need);
            let (low, _) = pass(&|k| (k >> 16 == h).then_some((k & 0xffff) as usize));
            let (l, _) = crossing(&low, need);
            (h << 16) | l
        }
    };
    (0..n)
        .into_par_iter()
        .map(|i| {
            let mut r = split(i);
            let mut place = 0;
            r.retain(|w| {
                place += 1;
                place <= floor || key(w) >= threshold
            });
            r.shrink_to_fit();
            r.sort_unstable_by(by_weight);
            r
        })
        .collect()
}

impl Scorer for Ease {
    fn name(&self) -> &'static str {
        "ease"
    }
    fn score(&self, user: &UserHistory<'_>, candidates: &[ItemIdx]) -> Array1<f32> {
        let mut acc = vec![0f32; self.weights.len()];
        let order = self.recency.weights(user);
        let cells = user.ratings.iter().zip(user.confidence);
        for (p, (&i, (&r, &c))) in user.items.iter().zip(cells).enumerate() {
            if !positive(r, c) {
                continue;
            }
            let weight = order.as_ref().map_or(1.0, |o| o[p]);
            for &(j, w) in self.weights.get(i.ix()).map(Vec::as_slice).unwrap_or(&[]) {
                acc[j.ix()] += weight * w;
            }
        }
        candidates
            .iter()
            .map(|i| acc.get(i.ix()).copied().unwrap_or(f32::NAN))
            .collect()
    }
}

/// The items an item's presence raises most.
impl SimilarItems for Ease {
    fn similar_items(&self, item: ItemIdx, n: usize) -> Vec<(ItemIdx, f32)> {
        self.weights
            .get(item.ix())
            .map(|v| v.iter().filter(|x| x.1 > 0.0).take(n).copied().collect())
            .unwrap_or_default()
    }
}

/// The weights are aggregate statistics, which a person's data leaves at the next training.
impl ForgetUser for Ease {
    fn forget_user(&mut self, _u: UserIdx) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recommender::contract::{
        assert_forget_contract, assert_scorer_contract, assert_similar_contract, fixture,
    };
    use crate::recommender::interactions::Triplet;

    fn params() -> EaseParams {
        EaseParams {
            lambda: 1.0,
            ..Default::default()
        }
    }

    #[test]
    fn ease_passes_the_contracts() {
        assert_scorer_contract(|fx| Ease::fit(&fx.data, &params()).unwrap(), true);
        assert_forget_contract(|fx| Ease::fit(&fx.data, &params()).unwrap());
        assert_similar_contract(&Ease::fit(&fixture().data, &params()).unwrap());
    }

    /// Inverse of a small dense matrix by Gauss–Jordan elimination (no pivoting needed for
    /// a symmetric positive definite one).
    fn inverse(mut a: Vec<Vec<f64>>) -> Vec<Vec<f64>> {
        let n = a.len();
        let mut inv: Vec<Vec<f64>> = (0..n)
            .map(|i| (0..n).map(|j| f64::from(u8::from(i == j))).collect())
            .collect();
        for c in 0..n {
            let d = a[c][c];
            for j in 0..n {
                a[c][j] /= d;
                inv[c][j] /= d;
            }
            for r in (0..n).filter(|&r| r != c) {
                let f = a[r][c];
                for j in 0..n {
                    a[r][j] -= f * a[c][j];
                    inv[r][j] -= f * inv[c][j];
                }
            }
        }
        inv
    }

    #[test]
    fn weights_match_the_closed_form() {
        // 7 users over 5 items (positive cells only count), λ = 2.
        let (n_users, n_items, lambda) = (7usize, 5usize, 2.0);
        let liked = |u: usize, i: usize| !(u * 3 + i * 5 + u * i).is_multiple_of(4);
        let mut t = vec![];
        for u in 0..n_users {
            for i in 0..n_items {
                t.push(Triplet {
                    user: UserIdx(u as u32),
                    item: ItemIdx(i as u32),
                    rating: f32::NAN,
                    confidence: if liked(u, i) { 1.0 } else { -1.0 },
                    timestamp: 0,
                });
            }
        }
        let data = Interactions::from_triplets(n_users, n_items, &t).unwrap();
        // With dropout p, the diagonal also gets p/(1−p) times the item's count (EDLAE).
        let fit_and_reference = |dropout: f64| {
            let p = EaseParams {
                lambda,
                dropout,
                neighbors: 0,
                ..Default::default()
            };
            let m = Ease::fit(&data, &p).unwrap();
            let g: Vec<Vec<f64>> = (0..n_items)
                .map(|i| {
                    (0..n_items)
                        .map(|j| {
                            let both = (0..n_users).filter(|&u| liked(u, i) && liked(u, j)).count();
                            let extra = lambda + both as f64 * dropout / (1.0 - dropout);
                            both as f64 + if i == j { extra } else { 0.0 }
                        })
                        .collect()
                })
                .collect();
            (m, inverse(g))
        };
        let (edlae, inv) = fit_and_reference(0.4);
        for (i, row) in edlae.weights.iter().enumerate() {
            for &(j, w) in row {
                let want = -inv[i][j.ix()] / inv[j.ix()][j.ix()];
                assert!((f64::from(w) - want).abs() < 1e-5, "EDLAE B[{i}][{}]", j.0);
            }
        }
        let (m, inv) = fit_and_reference(0.0);
        assert_ne!(m.weights, edlae.weights);
        for (i, row) in m.weights.iter().enumerate() {
            assert_eq!(row.len(), n_items - 1, "row {i}: {row:?}");
            assert!(row.windows(2).all(|w| w[0].1 >= w[1].1));
            for &(j, w) in row {
                let want = -inv[i][j.ix()] / inv[j.ix()][j.ix()];
                assert!(
                    (f64::from(w) - want).abs() < 1e-5,
                    "B[{i}][{}] = {w}, want {want}",
                    j.0
                );
            }
        }
        // A user's score for an item is the sum of its weights from their positive items.
        let h = data.history(UserIdx(0));
        let s = m.score(&h, &[ItemIdx(3)]);
        let want: f64 = (0..n_items)
            .filter(|&i| i != 3 && liked(0, i))
            .map(|i| -inv[i][3] / inv[3][3])
            .sum();
        assert!((f64::from(s[0]) - want).abs() < 1e-4);
    }

    #[test]
    fn with_recency_the_latest_interactions_weigh_more() {
        let fx = fixture();
        let off = Ease::fit(&fx.data, &params()).unwrap();
        let recent = EaseParams {
            recency: 2.0,
            recency_floor: 0.1,
            ..params()
        };
        let on = Ease::fit(&fx.data, &recent).unwrap();
        assert_eq!(on.weights, off.weights, "recency weighs the history, not B");
        assert_scorer_contract(|fx| Ease::fit(&fx.data, &recent).unwrap(), true);
        let items = [ItemIdx(0), ItemIdx(1), ItemIdx(2)];
        let h = UserHistory {
            items: &items,
            ratings: &[f32::NAN; 3],
            confidence: &[1.0; 3],
            // items 0 and 2 at the same, latest second; item 1 before both
            timestamps: &[30, 10, 30],
            ..UserHistory::empty()
        };
        let b = |i: usize, j: ItemIdx| -> f32 {
            on.weights[i].iter().find(|x| x.0 == j).map_or(0.0, |x| x.1)
        };
        let older = 0.1 + 0.9 * (-2.0f32 / 2.0).exp();
        let cands: Vec<ItemIdx> = (3..fx.data.n_items() as u32).map(ItemIdx).collect();
        let got = on.score(&h, &cands);
        for (k, &j) in cands.iter().enumerate() {
            let want = b(0, j) + older * b(1, j) + b(2, j);
            assert!(
                (got[k] - want).abs() < 1e-5,
                "item {}: {} vs {want}",
                j.0,
                got[k]
            );
        }
        assert_ne!(got, off.score(&h, &cands));
        // a history without timestamps counts every interaction alike
        let flat = UserHistory {
            timestamps: &[],
            ..h
        };
        assert_eq!(on.score(&flat, &cands), off.score(&h, &cands));
        for (name, bad) in [
            (
                "recency",
                EaseParams {
                    recency: -1.0,
                    ..params()
                },
            ),
            (
                "recency",
                EaseParams {
                    recency: f64::NAN,
                    ..params()
                },
            ),
            (
                "recency_floor",
                EaseParams {
                    recency_floor: 1.5,
                    ..params()
                },
            ),
        ] {
            let err = Ease::fit(&fx.data, &bad).unwrap_err().to_string();
            assert!(err.contains(name), "{err}");
        }
    }

    #[test]
    fn pruning_keeps_the_largest_weights_of_the_whole_matrix_and_a_floor_per_row() {
        // Rows of rare items hold a few large weights, rows of popular items many small ones;
        // magnitudes close enough to share their high 16 bits exercise the second pass.
        let n = 40;
        let row = |i: usize| -> Vec<(ItemIdx, f32)> {
            (0..n)
                .filter(|&j| j != i && !(i * 7 + j * 3).is_multiple_of(4))
                .map(|j| {
                    let size = if i.is_multiple_of(3) { 1.0 } else { 0.01 };
                    let w = size * (1.0 + ((i * 31 + j * 17) % (n * n)) as f32 * 1e-5);
                    (ItemIdx(j as u32), if j.is_multiple_of(5) { -w } else { w })
                })
                .collect()
        };
        for keep in [1, 3, 10, 20] {
            let kept = prune(n, keep, row);
            assert_eq!(
                kept.iter().map(Vec::len).sum::<usize>(),
                n * keep,
                "keep {keep}"
            );
            let floor = (keep / 10).max(1);
            let mut smallest_kept_beyond_floor = f32::INFINITY;
            let mut largest_dropped = 0f32;
            for (i, r) in kept.iter().enumerate() {
                assert!(r.windows(2).all(|w| w[0].1 >= w[1].1), "by weight");
                let mut all = row(i);
                all.sort_by(by_magnitude);
                // the row's floor largest are kept
                for w in &all[..floor] {
                    assert!(r.contains(w), "row {i} keeps {w:?}");
                }
                for w in &all[floor..] {
                    if r.contains(w) {
                        smallest_kept_beyond_floor = smallest_kept_beyond_floor.min(w.1.abs());
                    } else {
                        largest_dropped = largest_dropped.max(w.1.abs());
                    }
                }
            }
            assert!(
                smallest_kept_beyond_floor > largest_dropped,
                "keep {keep}: kept {smallest_kept_beyond_floor}, dropped {largest_dropped}"
            );
        }
        // Everything when the budget covers the matrix.
        let all: usize = (0..n).map(|i| row(i).len()).sum();
        let kept = prune(n, n, row);
        assert_eq!(kept.iter().map(Vec::len).sum::<usize>(), all);
    }

    #[test]
    fn catalogues_over_the_limit_are_refused() {
        let fx = fixture();
        let small = EaseParams {
            max_items: 4,
            ..params()
        };
        let err = Ease::fit(&fx.data, &small).unwrap_err().to_string();
        assert!(err.contains("max_items"), "{err}");
        for dropout in [1.0, -0.1, f64::NAN] {
            let bad = EaseParams {
                dropout,
                ..params()
            };
            let err = Ease::fit(&fx.data, &bad).unwrap_err().to_string();
            assert!(err.contains("dropout"), "{err}");
        }
    }
}
