//! Neighbourhood models: baseline estimates (Surprise's `BaselineOnly`, ALS variant), item-based
//! CF with cosine / adjusted cosine / Pearson / Pearson-baseline similarity and shrinkage
//! (Surprise's `KNNBaseline` with `user_based=False`), and user-based CF.
//!
//! Item-kNN keeps the `max_neighbors` most similar items per item (positive similarities only,
//! which are the only ones `KNNBaseline` uses), and predicts
//! `r̂_ui = b_ui + Σ_{j ∈ N^k_i(u)} s_ij (r_uj − b_uj) / Σ s_ij` over the `k` most similar items
//! the user rated. With `output = "sum"` it scores `Σ s_ij · w_uj` instead (implicit top-N).
//!
//! The similarities cost `Σ_u |items of u|²`: a user with 30 000 ratings costs as much as 360 000
//! users with 50. Users with more than `max_user_items` interactions therefore take part in the
//! similarities with their most recent `max_user_items` only (Mahout's `maxPrefsPerUser`); they
//! are still scored on their whole history.

use super::capabilities::{ForgetUser, Forgotten, SimilarItems};
use super::interactions::Interactions;
use super::{Evidence, Fit, ItemIdx, RecommendError, Scorer, UserHistory, UserIdx};
use ndarray::Array1;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Parameters of the ALS baseline estimator (`b_ui = μ + b_u + b_i`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct BaselineParams {
    /// Alternating passes.
    pub epochs: usize,
    /// Regularisation of the user biases.
    pub reg_user: f32,
    /// Regularisation of the item biases.
    pub reg_item: f32,
}

impl Default for BaselineParams {
    fn default() -> Self {
        BaselineParams {
            epochs: 10,
            reg_user: 15.0,
            reg_item: 10.0,
        }
    }
}

/// Baseline estimates `μ + b_u + b_i` fitted by alternating least squares.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Baseline {
    mu: f32,
    reg_user: f32,
    #[serde(with = "super::compact::f32s")]
    user_bias: Vec<f32>,
    #[serde(with = "super::compact::f32s")]
    item_bias: Vec<f32>,
    min_rating: f32,
    max_rating: f32,
    /// Forgotten training users (absent from blobs written before forgetting existed here).
    #[serde(default)]
    removed: Forgotten,
}

impl Fit for Baseline {
    type Params = BaselineParams;
    fn fit(data: &Interactions, p: &BaselineParams) -> Result<Self, RecommendError> {
        if data.n_rated() == 0 {
            return Err(RecommendError::Empty);
        }
        let mu = data.global_mean();
        let mut bu = vec![0f32; data.n_users()];
        let mut bi = vec![0f32; data.n_items()];
        let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
        for _ in 0..p.epochs {
            for (u, b) in bu.iter_mut().enumerate() {
                let uu = UserIdx(u as u32);
                let (mut s, mut n) = (0f32, 0f32);
                for (&i, &r) in data.user_items(uu).iter().zip(data.user_ratings(uu)) {
                    if !r.is_nan() {
                        s += r - mu - bi[i.ix()];
                        n += 1.0;
                        lo = lo.min(r);
                        hi = hi.max(r);
                    }
                }
                *b = s / (p.reg_user + n);
            }
            for (i, b) in bi.iter_mut().enumerate() {
                let ii = ItemIdx(i as u32);
                let (mut s, mut n) = (0f32, 0f32);
                for (&u, &r) in data.item_users(ii).iter().zip(data.item_ratings(ii)) {
                    if !r.is_nan() {
                        s += r - mu - bu[u.ix()];
                        n += 1.0;
                    }
                }
                *b = s / (p.reg_item + n);
            }
        }
        Ok(Baseline {
            mu,
            reg_user: p.reg_user,
            user_bias: bu,
            item_bias: bi,
            min_rating: lo,
            max_rating: hi,
            removed: Forgotten::default(),
        })
    }
}

impl Baseline {
    /// Global mean.
    pub fn mu(&self) -> f32 {
        self.mu
    }
    /// Item bias (0 for unknown items).
    pub fn item_bias(&self, i: ItemIdx) -> f32 {
        self.item_bias.get(i.ix()).copied().unwrap_or(0.0)
    }
    /// Stored bias of a training user (`None` if unknown or forgotten).
    pub fn user_bias_of(&self, u: UserIdx) -> Option<f32> {
        if self.removed.contains(u) {
            return None;
        }
        self.user_bias.get(u.ix()).copied()
    }
    /// User bias: the stored one for training users, else solved from the history.
    pub fn user_bias(&self, user: &UserHistory<'_>) -> f32 {
        if let Some(b) = user.user.and_then(|u| self.user_bias_of(u)) {
            return b;
        }
        let (mut s, mut n) = (0f32, 0f32);
        for (i, r) in user.rated() {
            s += r - self.mu - self.item_bias(i);
            n += 1.0;
        }
        s / (self.reg_user + n)
    }
    /// Clips a prediction to the training rating range.
    pub fn clip(&self, r: f32) -> f32 {
        r.clamp(self.min_rating, self.max_rating)
    }
}

/// Zeroes the user's stored bias; it is solved from the history passed in.
impl ForgetUser for Baseline {
    fn forget_user(&mut self, u: UserIdx) {
        if let Some(b) = self.user_bias.get_mut(u.ix()) {
            *b = 0.0;
            self.removed.insert(u);
        }
    }
}

impl Scorer for Baseline {
    fn name(&self) -> &'static str {
        "baseline"
    }
    fn score(&self, user: &UserHistory<'_>, candidates: &[ItemIdx]) -> Array1<f32> {
        let bu = self.user_bias(user);
        candidates
            .iter()
            .map(|&i| {
                if i.ix() < self.item_bias.len() {
                    self.clip(self.mu + bu + self.item_bias(i))
                } else {
                    f32::NAN
                }
            })
            .collect()
    }
}

/// Similarity measure between two items (or users).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Similarity {
    /// Cosine of raw ratings (of confidences for implicit-only data; of binary positive
    /// interactions with `output = "sum"`).
    Cosine,
    /// Cosine of ratings centred on each user's mean.
    AdjustedCosine,
    /// Pearson correlation (ratings centred on each item's mean), shrunk.
    Pearson,
    /// Pearson correlation of baseline residuals `r − b_ui`, shrunk (Surprise `pearson_baseline`).
    PearsonBaseline,
}

/// What item-kNN outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KnnOutput {
    /// Baseline-corrected predicted rating (KNNBaseline).
    Rating,
    /// Sum of similarities to the user's positively weighted items (implicit top-N).
    Sum,
}

/// Hyperparameters of [`ItemKnn`] (`[recommender.knn]`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct KnnParams {
    /// Similarity measure.
    pub similarity: Similarity,
    /// Neighbours used per prediction.
    pub k: usize,
    /// Fewer usable neighbours than this → baseline prediction.
    pub min_k: usize,
    /// Shrinkage `(n − 1) / (n − 1 + shrinkage)` of similarities over `n` common raters (0 = off).
    pub shrinkage: f32,
    /// Neighbours kept per item after training.
    pub max_neighbors: usize,
    /// Interactions per user that take part in the similarities, the most recent ones (0 = all).
    pub max_user_items: usize,
    /// Output mode.
    pub output: KnnOutput,
    /// Baseline estimator parameters.
    pub baseline: BaselineParams,
}

impl Default for KnnParams {
    fn default() -> Self {
        KnnParams {
            similarity: Similarity::PearsonBaseline,
            k: 40,
            min_k: 1,
            shrinkage: 100.0,
            max_neighbors: 300,
            max_user_items: MAX_USER_ITEMS,
            output: KnnOutput::Rating,
            baseline: BaselineParams::default(),
        }
    }
}

impl KnnParams {
    /// Settings for implicit top-N ranking: cosine similarity, summed scores.
    pub fn ranking() -> Self {
        KnnParams {
            similarity: Similarity::Cosine,
            k: 100,
            shrinkage: 0.0,
            max_neighbors: 100,
            max_user_items: MAX_USER_ITEMS_RANKING,
            output: KnnOutput::Sum,
            ..Default::default()
        }
    }
}

/// Default of [`KnnParams::max_user_items`] for rating prediction, and of
/// [`KnnParams::ranking`]: heavy users' co-occurrences dilute the binary cosine, so the ranking
/// similarities take fewer of their interactions (docs/benchmarks.md measures both choices).
pub const MAX_USER_ITEMS: usize = 1000;
/// See [`MAX_USER_ITEMS`].
pub const MAX_USER_ITEMS_RANKING: usize = 500;

/// Per-cell value used by a similarity measure.
struct CellValue<'a> {
    sim: Similarity,
    base: &'a Baseline,
    user_mean: Vec<f32>,
    item_mean: Vec<f32>,
    implicit: bool,
    binary: bool,
}

impl CellValue<'_> {
    #[inline]
    fn get(&self, u: UserIdx, i: ItemIdx, r: f32, c: f32) -> f32 {
        if self.binary {
            return if c > 0.0 || (c == 0.0 && !r.is_nan()) {
                1.0
            } else {
                0.0
            };
        }
        if self.implicit || r.is_nan() {
            return if self.sim == Similarity::Cosine {
                c
            } else {
                0.0
            };
        }
        match self.sim {
            Similarity::Cosine => r,
            Similarity::AdjustedCosine => r - self.user_mean[u.ix()],
            Similarity::Pearson => r - self.item_mean[i.ix()],
            Similarity::PearsonBaseline => {
                r - (self.base.mu + self.base.user_bias[u.ix()] + self.base.item_bias[i.ix()])
            }
        }
    }
}

/// The cells that take part in the similarities: every user's, or the `cap` most recent ones of
/// a user with more (ties by item). The taken cells of each user in row order, and which cells
/// of the item-major orientation were left out (`None` when nothing was).
struct Taken {
    ptr: Vec<usize>,
    items: Vec<ItemIdx>,
    cells: Vec<f32>,
    dropped: Option<Vec<u64>>,
}

impl Taken {
    fn new(data: &Interactions, value: &CellValue<'_>, cap: usize) -> Taken {
        let n_users = data.n_users();
        let capped = |u: UserIdx| cap > 0 && data.user_len(u) > cap;
        let any = (0..n_users).any(|u| capped(UserIdx(u as u32)));
        let mut dropped = any.then(|| vec![0u64; data.nnz().div_ceil(64)]);
        let mut ptr = Vec::with_capacity(n_users + 1);
        ptr.push(0);
        let mut items = Vec::with_capacity(if any { 0 } else { data.nnz() });
        let mut cells = Vec::with_capacity(data.nnz());
        let mut keep: Vec<bool> = Vec::new();
        for u in (0..n_users).map(|u| UserIdx(u as u32)) {
            let (js, rs, cs) = (
                data.user_items(u),
                data.user_ratings(u),
                data.user_confidence(u),
            );
            keep.clear();
            keep.resize(js.len(), true);
            if capped(u) {
                let ts = data.user_timestamps(u);
                let mut order: Vec<usize> = (0..js.len()).collect();
                order.sort_unstable_by(|&a, &b| ts[b].cmp(&ts[a]).then(js[a].cmp(&js[b])));
                for &k in &order[cap..] {
                    keep[k] = false;
                    // each item's users are in ascending order (`Interactions::from_triplets`)
                    let col = data.item_users(js[k]);
                    if let (Ok(at), Some(bits)) = (col.binary_search(&u), dropped.as_mut()) {
                        let pos = data.item_ptr()[js[k].ix()] + at;
                        bits[pos / 64] |= 1 << (pos % 64);
                    }
                }
            }
            for (k, &j) in js.iter().enumerate().filter(|(k, _)| keep[*k]) {
                if any {
                    items.push(j);
                }
                cells.push(value.get(u, j, rs[k], cs[k]));
            }
            ptr.push(cells.len());
        }
        Taken {
            ptr,
            items,
            cells,
            dropped,
        }
    }

    /// Whether the cell at this item-major position takes part.
    #[inline]
    fn takes(&self, pos: usize) -> bool {
        self.dropped
            .as_ref()
            .is_none_or(|bits| bits[pos / 64] & (1 << (pos % 64)) == 0)
    }

    /// A user's taken items and their cell values.
    #[inline]
    fn row<'a>(&'a self, data: &'a Interactions, u: UserIdx) -> (&'a [ItemIdx], &'a [f32]) {
        let span = self.ptr[u.ix()]..self.ptr[u.ix() + 1];
        let items = if self.dropped.is_some() {
            &self.items[span.clone()]
        } else {
            data.user_items(u)
        };
        (items, &self.cells[span])
    }
}

/// Computes, for every row item, its `max_n` most similar items (positive similarities only),
/// sorted by descending similarity, over the cells [`Taken`] keeps.
fn neighbours(
    data: &Interactions,
    value: &CellValue<'_>,
    p: &KnnParams,
) -> Vec<Vec<(ItemIdx, f32)>> {
    let n_items = data.n_items();
    let shrink = p.shrinkage > 0.0;
    // Every taken cell's value once, in the user-major order the inner loop reads (the loop runs
    // Σ_u |items of u|² times: the measure's branches and the squares it does not need are
    // kept out of it).
    let taken = Taken::new(data, value, p.max_user_items);
    let item_ptr = data.item_ptr();
    // binary cosine divides by the items' norms over the taken cells (positive interaction
    // counts), not by co-rater norms
    let norms: Vec<f32> = (0..n_items)
        .map(|i| {
            let ii = ItemIdx(i as u32);
            data.item_users(ii)
                .iter()
                .zip(data.item_ratings(ii))
                .zip(data.item_confidence(ii))
                .enumerate()
                .filter(|(k, _)| taken.takes(item_ptr[i] + k))
                .map(|(_, ((&u, &r), &c))| value.get(u, ii, r, c).powi(2))
                .sum::<f32>()
                .sqrt()
        })
        .collect();
    (0..n_items)
        .into_par_iter()
        .map_init(
            || {
                (
                    vec![0f32; n_items],
                    vec![0f32; n_items],
                    vec![0f32; n_items],
                    vec![0u32; n_items],
                    Vec::new(),
                )
            },
            |(xy, xx, yy, cnt, touched), i| {
                let ii = ItemIdx(i as u32);
                for (k, ((&u, &r), &c)) in data
                    .item_users(ii)
                    .iter()
                    .zip(data.item_ratings(ii))
                    .zip(data.item_confidence(ii))
                    .enumerate()
                {
                    if !taken.takes(item_ptr[i] + k) {
                        continue;
                    }
                    let x = value.get(u, ii, r, c);
                    let (items, ys) = taken.row(data, u);
                    for (&j, &y) in items.iter().zip(ys) {
                        let j = j.ix();
                        if j == i {
                            continue;
                        }
                        if cnt[j] == 0 {
                            touched.push(j as u32);
                        }
                        xy[j] += x * y;
                        // binary cosine divides by the items' full norms: no co-rater sums
                        if !value.binary {
                            xx[j] += x * x;
                            yy[j] += y * y;
                        }
                        cnt[j] += 1;
                    }
                }
                let mut out: Vec<(ItemIdx, f32)> = Vec::with_capacity(touched.len());
                for &j in touched.iter() {
                    let j = j as usize;
                    let den = if value.binary {
                        norms[i] * norms[j]
                    } else {
                        (xx[j] * yy[j]).sqrt()
                    };
                    let mut s = if den > 0.0 { xy[j] / den } else { 0.0 };
                    if shrink {
                        let n = cnt[j] as f32 - 1.0;
                        s *= n / (n + p.shrinkage).max(1e-6);
                    }
                    if s > 0.0 && s.is_finite() {
                        out.push((ItemIdx(j as u32), s));
                    }
                    xy[j] = 0.0;
                    xx[j] = 0.0;
                    yy[j] = 0.0;
                    cnt[j] = 0;
                }
                touched.clear();
                let cmp = |a: &(ItemIdx, f32), b: &(ItemIdx, f32)| {
                    b.1.total_cmp(&a.1).then(a.0.cmp(&b.0))
                };
                if out.len() > p.max_neighbors {
                    out.select_nth_unstable_by(p.max_neighbors, cmp);
                    out.truncate(p.max_neighbors);
                }
                // the list is kept: give back the room every co-rated item took (items × items
                // in all, 1.25 GB per model at 12 500 movies, 30 GB at 62 000)
                out.shrink_to_fit();
                out.sort_unstable_by(cmp);
                out
            },
        )
        .collect()
}

fn means(data: &Interactions) -> (Vec<f32>, Vec<f32>) {
    let mean = |rs: &[f32]| {
        let (s, n) = rs
            .iter()
            .filter(|r| !r.is_nan())
            .fold((0f32, 0f32), |(s, n), &r| (s + r, n + 1.0));
        if n > 0.0 {
            s / n
        } else {
            0.0
        }
    };
    let um = (0..data.n_users())
        .map(|u| mean(data.user_ratings(UserIdx(u as u32))))
        .collect();
    let im = (0..data.n_items())
        .map(|i| mean(data.item_ratings(ItemIdx(i as u32))))
        .collect();
    (um, im)
}

/// Item-based collaborative filtering.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ItemKnn {
    k: usize,
    min_k: usize,
    output: KnnOutput,
    baseline: Baseline,
    #[serde(with = "super::compact::neighbours")]
    neighbors: Vec<Vec<(ItemIdx, f32)>>,
}

impl Fit for ItemKnn {
    type Params = KnnParams;
    fn fit(data: &Interactions, p: &KnnParams) -> Result<Self, RecommendError> {
        if data.nnz() == 0 {
            return Err(RecommendError::Empty);
        }
        if p.k == 0 {
            return Err(RecommendError::InvalidParam {
                name: "k",
                reason: "must be positive".into(),
            });
        }
        let baseline = if data.n_rated() > 0 {
            Baseline::fit(data, &p.baseline)?
        } else {
            Baseline {
                mu: 0.0,
                reg_user: p.baseline.reg_user,
                user_bias: vec![0.0; data.n_users()],
                item_bias: vec![0.0; data.n_items()],
                min_rating: 0.0,
                max_rating: 0.0,
                removed: Forgotten::default(),
            }
        };
        let (user_mean, item_mean) = means(data);
        let value = CellValue {
            sim: p.similarity,
            base: &baseline,
            user_mean,
            item_mean,
            implicit: data.n_rated() == 0,
            binary: p.output == KnnOutput::Sum,
        };
        let neighbors = neighbours(data, &value, p);
        Ok(ItemKnn {
            k: p.k,
            min_k: p.min_k,
            output: p.output,
            baseline,
            neighbors,
        })
    }
}

/// The stored neighbour list (positive similarities, descending).
impl SimilarItems for ItemKnn {
    fn similar_items(&self, item: ItemIdx, n: usize) -> Vec<(ItemIdx, f32)> {
        self.neighbors
            .get(item.ix())
            .map(|v| v.iter().take(n).copied().collect())
            .unwrap_or_default()
    }
}

impl ItemKnn {
    /// Number of items the model knows.
    pub fn n_items(&self) -> usize {
        self.neighbors.len()
    }

    /// The user's per-item weight: baseline residual for rated items (rating output) or the
    /// preference weight (sum output: centred rating, or the implicit confidence).
    fn user_weights(&self, user: &UserHistory<'_>) -> Vec<f32> {
        let mut w = vec![f32::NAN; self.neighbors.len()];
        let bu = self.baseline.user_bias(user);
        let mean = user.mean_rating();
        for k in 0..user.items.len() {
            let i = user.items[k];
            if i.ix() >= w.len() {
                continue;
            }
            let r = user.ratings.get(k).copied().unwrap_or(f32::NAN);
            let c = user.confidence.get(k).copied().unwrap_or(0.0);
            w[i.ix()] = match self.output {
                KnnOutput::Rating if !r.is_nan() => {
                    r - (self.baseline.mu + bu + self.baseline.item_bias(i))
                }
                KnnOutput::Rating => continue,
                KnnOutput::Sum => {
                    if !r.is_nan() {
                        // every rated item counts, liked ones more
                        1.0 + 0.5 * (r - mean.unwrap_or(r))
                    } else {
                        c
                    }
                }
            };
        }
        w
    }

    /// Evidence for recommending `item` to the user: the rated neighbours that contributed most.
    pub fn explain(&self, user: &UserHistory<'_>, item: ItemIdx, n: usize) -> Vec<Evidence> {
        self.explain_indexed(&HistoryIndex::new(user), item, n)
    }

    /// [`Self::explain`] against a prebuilt index of the user's history (build it once when
    /// explaining several items): walks the item's neighbour list and looks each neighbour up.
    pub fn explain_indexed(&self, h: &HistoryIndex, item: ItemIdx, n: usize) -> Vec<Evidence> {
        let Some(nb) = self.neighbors.get(item.ix()) else {
            return Vec::new();
        };
        let mut ev: Vec<Evidence> = Vec::new();
        for &(j, s) in nb {
            let Some((r, c)) = h.get(j) else {
                continue;
            };
            let pref = if r.is_nan() {
                c
            } else {
                1.0 + r - h.mean.unwrap_or(r)
            };
            if pref > 0.0 {
                ev.push(Evidence {
                    item: j,
                    rating: r,
                    weight: s * pref,
                });
            }
        }
        let cmp =
            |a: &Evidence, b: &Evidence| b.weight.total_cmp(&a.weight).then(a.item.cmp(&b.item));
        if ev.len() > n && n > 0 {
            ev.select_nth_unstable_by(n - 1, cmp);
        }
        ev.truncate(n);
        ev.sort_by(cmp);
        ev
    }
}

/// Forgets the user's stored baseline bias; the item similarities are aggregate statistics,
/// which the user's data leaves at the next training.
impl ForgetUser for ItemKnn {
    fn forget_user(&mut self, u: UserIdx) {
        self.baseline.forget_user(u);
    }
}

impl Scorer for ItemKnn {
    fn name(&self) -> &'static str {
        match self.output {
            KnnOutput::Rating => "knn",
            KnnOutput::Sum => "knn_rank",
        }
    }
    fn score(&self, user: &UserHistory<'_>, candidates: &[ItemIdx]) -> Array1<f32> {
        let w = self.user_weights(user);
        if self.output == KnnOutput::Sum {
            // Scatter from the user's items along *their* neighbour lists (truncated to k), so
            // rarely rated items cannot collect similarity from every item of their few raters.
            let mut acc = vec![0f32; self.neighbors.len()];
            for (j, &wj) in w.iter().enumerate() {
                if wj.is_nan() || wj == 0.0 {
                    continue;
                }
                for &(i, s) in self.neighbors[j].iter().take(self.k) {
                    acc[i.ix()] += s * wj;
                }
            }
            return candidates
                .iter()
                .map(|i| acc.get(i.ix()).copied().unwrap_or(f32::NAN))
                .collect();
        }
        let bu = self.baseline.user_bias(user);
        candidates
            .iter()
            .map(|&i| {
                let Some(nb) = self.neighbors.get(i.ix()) else {
                    return f32::NAN;
                };
                let (mut num, mut den, mut used) = (0f32, 0f32, 0usize);
                for &(j, s) in nb {
                    let wj = w[j.ix()];
                    if wj.is_nan() {
                        continue;
                    }
                    num += s * wj;
                    den += s;
                    used += 1;
                    if used >= self.k {
                        break;
                    }
                }
                let b = self.baseline.mu + bu + self.baseline.item_bias(i);
                if used < self.min_k || den <= 0.0 {
                    self.baseline.clip(b)
                } else {
                    self.baseline.clip(b + num / den)
                }
            })
            .collect()
    }
}

/// A user's history sorted by item for lookups: `(item, rating, confidence)`; for a repeated
/// item the last occurrence wins.
#[derive(Debug, Clone)]
pub struct HistoryIndex {
    sorted: Vec<(ItemIdx, f32, f32)>,
    mean: Option<f32>,
}

impl HistoryIndex {
    /// Indexes a history.
    pub fn new(user: &UserHistory<'_>) -> Self {
        let mut sorted: Vec<(ItemIdx, f32, f32)> = (0..user.items.len())
            .map(|k| {
                (
                    user.items[k],
                    user.ratings.get(k).copied().unwrap_or(f32::NAN),
                    user.confidence.get(k).copied().unwrap_or(0.0),
                )
            })
            .collect();
        // stable: among equal items the last stays last, and `dedup` keeps the first → reverse
        sorted.reverse();
        sorted.sort_by_key(|x| x.0);
        sorted.dedup_by_key(|x| x.0);
        HistoryIndex {
            sorted,
            mean: user.mean_rating(),
        }
    }
    /// Rating and confidence of an item of the history.
    pub fn get(&self, item: ItemIdx) -> Option<(f32, f32)> {
        self.sorted
            .binary_search_by_key(&item, |x| x.0)
            .ok()
            .map(|p| (self.sorted[p].1, self.sorted[p].2))
    }
}

/// Hyperparameters of [`UserKnn`] (`[recommender.user_knn]`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct UserKnnParams {
    /// Neighbours used per prediction.
    pub k: usize,
    /// Shrinkage of the Pearson-baseline similarity.
    pub shrinkage: f32,
    /// Baseline estimator parameters.
    pub baseline: BaselineParams,
}

impl Default for UserKnnParams {
    fn default() -> Self {
        UserKnnParams {
            k: 40,
            shrinkage: 100.0,
            baseline: BaselineParams::default(),
        }
    }
}

/// User-based CF with Pearson-baseline similarity, computed at scoring time from the user's
/// history (so it serves users unknown at training time too).
///
/// It keeps the whole training matrix and scores every request against other people's ratings,
/// so it cannot forget a person without retraining: it does not implement
/// [`super::ForgetUser`], and a served snapshot refuses it (offline evaluation may
/// still use it).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserKnn {
    k: usize,
    shrinkage: f32,
    baseline: Baseline,
    data: Interactions,
}

impl Fit for UserKnn {
    type Params = UserKnnParams;
    fn fit(data: &Interactions, p: &UserKnnParams) -> Result<Self, RecommendError> {
        Ok(UserKnn {
            k: p.k.max(1),
            shrinkage: p.shrinkage,
            baseline: Baseline::fit(data, &p.baseline)?,
            data: data.clone(),
        })
    }
}

impl UserKnn {
    fn residual(&self, v: UserIdx, i: ItemIdx, r: f32) -> f32 {
        r - (self.baseline.mu + self.baseline.user_bias[v.ix()] + self.baseline.item_bias(i))
    }
}

impl Scorer for UserKnn {
    fn name(&self) -> &'static str {
        "user_knn"
    }
    fn score(&self, user: &UserHistory<'_>, candidates: &[ItemIdx]) -> Array1<f32> {
        let nu = self.data.n_users();
        let bu = self.baseline.user_bias(user);
        let (mut xy, mut xx, mut yy, mut cnt) = (
            vec![0f32; nu],
            vec![0f32; nu],
            vec![0f32; nu],
            vec![0u32; nu],
        );
        for (i, r) in user.rated() {
            if i.ix() >= self.data.n_items() {
                continue;
            }
            let x = r - (self.baseline.mu + bu + self.baseline.item_bias(i));
            for (&v, &rv) in self
                .data
                .item_users(i)
                .iter()
                .zip(self.data.item_ratings(i))
            {
                if rv.is_nan() || Some(v) == user.user {
                    continue;
                }
                let y = self.residual(v, i, rv);
                xy[v.ix()] += x * y;
                xx[v.ix()] += x * x;
                yy[v.ix()] += y * y;
                cnt[v.ix()] += 1;
            }
        }
        let sim: Vec<f32> = (0..nu)
            .map(|v| {
                let den = (xx[v] * yy[v]).sqrt();
                if cnt[v] == 0 || den <= 0.0 {
                    return 0.0;
                }
                let n = cnt[v] as f32 - 1.0;
                xy[v] / den * n / (n + self.shrinkage).max(1e-6)
            })
            .collect();
        let mut nb: Vec<(f32, f32)> = Vec::new();
        candidates
            .iter()
            .map(|&i| {
                if i.ix() >= self.data.n_items() {
                    return f32::NAN;
                }
                nb.clear();
                for (&v, &rv) in self
                    .data
                    .item_users(i)
                    .iter()
                    .zip(self.data.item_ratings(i))
                {
                    let s = sim[v.ix()];
                    if s > 0.0 && !rv.is_nan() {
                        nb.push((s, self.residual(v, i, rv)));
                    }
                }
                if nb.len() > self.k {
                    nb.select_nth_unstable_by(self.k, |a, b| b.0.total_cmp(&a.0));
                    nb.truncate(self.k);
                }
                let (num, den) = nb
                    .iter()
                    .fold((0f32, 0f32), |(n, d), &(s, r)| (n + s * r, d + s));
                let b = self.baseline.mu + bu + self.baseline.item_bias(i);
                self.baseline
                    .clip(if den > 0.0 { b + num / den } else { b })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recommender::contract::{
        assert_forget_contract, assert_scorer_contract, assert_similar_contract, fixture,
    };
    use crate::recommender::interactions::Triplet;

    #[test]
    fn baseline_passes_the_contract() {
        assert_scorer_contract(
            |f| Baseline::fit(&f.data, &Default::default()).unwrap(),
            false,
        );
    }

    #[test]
    fn baseline_forgets_a_user() {
        assert_forget_contract(|f| Baseline::fit(&f.data, &Default::default()).unwrap());
    }

    #[test]
    fn item_knn_passes_the_forget_and_similar_items_contracts() {
        let rating = KnnParams {
            shrinkage: 1.0,
            ..Default::default()
        };
        for p in [rating, KnnParams::ranking()] {
            assert_forget_contract(|f| ItemKnn::fit(&f.data, &p).unwrap());
            assert_similar_contract(&ItemKnn::fit(&fixture().data, &p).unwrap());
        }
    }

    #[test]
    fn item_knn_passes_the_contract_for_every_similarity() {
        for sim in [
            Similarity::Cosine,
            Similarity::AdjustedCosine,
            Similarity::Pearson,
            Similarity::PearsonBaseline,
        ] {
            let p = KnnParams {
                similarity: sim,
                shrinkage: 1.0,
                ..Default::default()
            };
            // plain cosine of 1–5 ratings is positive everywhere: it cannot separate the parities
            // by rating, but it must still be a valid scorer.
            let personalised = sim != Similarity::Cosine;
            assert_scorer_contract(|f| ItemKnn::fit(&f.data, &p).unwrap(), personalised);
        }
        assert_scorer_contract(
            |f| ItemKnn::fit(&f.data, &KnnParams::ranking()).unwrap(),
            false,
        );
    }

    #[test]
    fn a_heavy_user_takes_part_in_the_similarities_with_their_latest_interactions_only() {
        // user 0 interacted with all 12 items, item i at time i; users 1.. with pairs of items
        let t = |u: u32, i: u32, ts: i64| Triplet {
            user: UserIdx(u),
            item: ItemIdx(i),
            rating: 4.0,
            confidence: 1.0,
            timestamp: ts,
        };
        let light: Vec<Triplet> = (0..12)
            .flat_map(|i| [t(1 + i, i, 0), t(1 + i, (i + 1) % 12, 0)])
            .collect();
        let heavy = |n: u32| -> Vec<Triplet> {
            let mut all: Vec<Triplet> = (12 - n..12).map(|i| t(0, i, i as i64)).collect();
            all.extend(&light);
            all
        };
        let matrix = |ts: &[Triplet]| Interactions::from_triplets(13, 12, ts).unwrap();
        let capped = KnnParams {
            max_user_items: 4,
            ..KnnParams::ranking()
        };
        let all = KnnParams {
            max_user_items: 0,
            ..KnnParams::ranking()
        };
        let lists = |m: &ItemKnn| -> Vec<Vec<(ItemIdx, f32)>> {
            (0..12).map(|i| m.similar_items(ItemIdx(i), 12)).collect()
        };
        let with_cap = lists(&ItemKnn::fit(&matrix(&heavy(12)), &capped).unwrap());
        // the same as if user 0 had only their 4 latest items (8..11)...
        let latest_only = lists(&ItemKnn::fit(&matrix(&heavy(4)), &all).unwrap());
        assert_eq!(with_cap, latest_only);
        // ...and not as with all 12
        let uncapped = lists(&ItemKnn::fit(&matrix(&heavy(12)), &all).unwrap());
        assert_ne!(with_cap, uncapped);
        // a cap nobody reaches changes nothing
        let loose = KnnParams {
            max_user_items: 12,
            ..KnnParams::ranking()
        };
        assert_eq!(
            lists(&ItemKnn::fit(&matrix(&heavy(12)), &loose).unwrap()),
            uncapped
        );
    }

    #[test]
    fn user_knn_passes_the_contract() {
        let p = UserKnnParams {
            shrinkage: 1.0,
            ..Default::default()
        };
        assert_scorer_contract(|f| UserKnn::fit(&f.data, &p).unwrap(), true);
    }

    #[test]
    fn similar_items_and_explanations_name_rated_neighbours() {
        let fx = fixture();
        let p = KnnParams {
            shrinkage: 1.0,
            ..Default::default()
        };
        let m = ItemKnn::fit(&fx.data, &p).unwrap();
        let sim = m.similar_items(ItemIdx(0), 3);
        assert_eq!(sim.len(), 3);
        assert!(sim.iter().all(|(j, s)| j.0 % 2 == 0 && *s > 0.0));
        let h = fx.data.history(UserIdx(0));
        let ev = m.explain(&h, ItemIdx(0), 2);
        assert!(!ev.is_empty());
        assert!(ev.iter().all(|e| e.item.0 % 2 == 0 && e.rating == 5.0));
    }
}
