//! Biased matrix factorisation trained by SGD (as Surprise's `SVD`) and SVD++ (Koren 2008).
//!
//! Prediction: `r̂ = μ + b_u + b_i + q_iᵀ p_u` (SVD++ adds `|N(u)|^-½ Σ_{j∈N(u)} y_j` to `p_u`),
//! clipped to the rating range seen in training. Users unknown at training time are folded in
//! from their history (ridge solve against the fixed item factors, see [`super::foldin`]).
//!
//! `BiasedMf` trains with stratified parallel SGD over a 4 × 4 grid of user × item blocks (see
//! `Layout`): deterministic by seed, identical for any number of threads, with AVX2 + FMA kernels
//! chosen at run time.

use super::capabilities::{forget_row, stored_row, FoldIn, ForgetUser, Forgotten};
use super::foldin::solve_explicit;
use super::interactions::Interactions;
use super::linalg::{axpy, dot, prefetch, Simd};
use super::{Fit, ItemIdx, RecommendError, Scorer, UserHistory, UserIdx, UserVector};
use ndarray::Array1;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr_normal::normal_pairs;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Box–Muller normal sampling (keeps the dependency list to `rand`).
mod rand_distr_normal {
    use rand::Rng;
    /// `n` samples of `N(0, std²)`, both outputs of each Box–Muller draw used.
    pub fn normal_pairs<R: Rng>(rng: &mut R, n: usize, std: f32) -> Vec<f32> {
        let mut out = Vec::with_capacity(n + 1);
        while out.len() < n {
            let u1: f32 = rng.random::<f32>().max(1e-12);
            let u2: f32 = rng.random::<f32>();
            let r = (-2.0 * u1.ln()).sqrt() * std;
            let (s, c) = (2.0 * std::f32::consts::PI * u2).sin_cos();
            out.push(r * c);
            out.push(r * s);
        }
        out.truncate(n);
        out
    }
}

/// Hyperparameters of [`BiasedMf`] (`[recommender.mf]`). Defaults are tuned on a validation
/// split of ML-100K's training data and checked on ml-latest-small.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct MfParams {
    /// Latent dimension.
    pub factors: usize,
    /// Passes over the ratings.
    pub epochs: usize,
    /// SGD learning rate of the factors.
    pub lr: f32,
    /// L2 regularisation of the factors.
    pub reg: f32,
    /// SGD learning rate of the biases.
    pub lr_bias: f32,
    /// L2 regularisation of the biases.
    pub reg_bias: f32,
    /// Standard deviation of the initial factors.
    pub init_std: f32,
    /// Multiplicative learning-rate decay per epoch.
    pub decay: f32,
    /// RNG seed (initialisation and shuffling).
    pub seed: u64,
}

impl Default for MfParams {
    fn default() -> Self {
        MfParams {
            factors: 100,
            epochs: 40,
            lr: 0.007,
            reg: 0.05,
            lr_bias: 0.007,
            reg_bias: 0.02,
            init_std: 0.05,
            decay: 0.97,
            seed: 42,
        }
    }
}

impl MfParams {
    /// Surprise `SVD`'s defaults (for speed comparisons).
    pub fn surprise() -> Self {
        MfParams {
            factors: 100,
            epochs: 20,
            lr: 0.005,
            reg: 0.02,
            lr_bias: 0.005,
            reg_bias: 0.02,
            init_std: 0.1,
            decay: 1.0,
            seed: 42,
        }
    }
    fn check(&self) -> Result<(), RecommendError> {
        if self.factors == 0 {
            return Err(RecommendError::InvalidParam {
                name: "factors",
                reason: "must be positive".into(),
            });
        }
        if !(self.lr > 0.0 && self.lr_bias >= 0.0 && self.reg >= 0.0 && self.reg_bias >= 0.0) {
            return Err(RecommendError::InvalidParam {
                name: "lr/reg",
                reason: "learning rates must be positive, regularisation non-negative".into(),
            });
        }
        Ok(())
    }
}

fn rating_range(data: &Interactions) -> (f32, f32) {
    let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
    for u in 0..data.n_users() {
        for &r in data.user_ratings(UserIdx(u as u32)) {
            if !r.is_nan() {
                lo = lo.min(r);
                hi = hi.max(r);
            }
        }
    }
    (lo, hi)
}

fn init(rng: &mut ChaCha8Rng, n: usize, std: f32) -> Vec<f32> {
    normal_pairs(rng, n, std)
}

/// `n` samples of `N(0, std²)` from a seeded generator.
pub(crate) fn normal_init(seed: u64, n: usize, std: f32) -> Vec<f32> {
    init(&mut ChaCha8Rng::seed_from_u64(seed), n, std)
}

/// Strata per side of the DSGD grid: `STRATA²` blocks, `STRATA` of them (sharing no user and no
/// item) run in parallel per sub-epoch. More strata than threads keeps each block's item rows
/// small enough to stay in the L2 cache.
const STRATA: usize = 4;

/// Training layout for stratified parallel SGD (DSGD, Gemulla et al. 2011).
///
/// Users and items are relabelled by seeded permutations and cut into [`STRATA`] contiguous
/// ranges each (balanced by number of ratings); each user's ratings are stored as `STRATA`
/// segments (one per item range), each in a seeded random order fixed for the whole training.
/// Sub-epoch `s` runs the blocks (user range `t`, item range `(t + s) mod STRATA`) in parallel;
/// because those blocks share no user and no item, the result does not depend on scheduling
/// and is identical for any thread count.
struct Layout {
    user_perm: Vec<u32>,
    item_perm: Vec<u32>,
    /// Range boundaries in relabelled indices (`STRATA + 1` each).
    user_bounds: Vec<usize>,
    item_bounds: Vec<usize>,
    /// Segment `b` of relabelled user `u` is `ptr[u·STRATA + b] .. ptr[u·STRATA + b + 1]`.
    ptr: Vec<u32>,
    /// Item index local to its range.
    item: Vec<u32>,
    rating: Vec<f32>,
}

/// Boundaries cutting `order` into `parts` ranges of about equal total `weights`.
fn balanced_bounds(order: &[u32], weights: &[usize], parts: usize) -> Vec<usize> {
    let total: usize = weights.iter().sum();
    let mut bounds = vec![0usize];
    let mut acc = 0usize;
    for (pos, &x) in order.iter().enumerate() {
        while bounds.len() < parts && acc * parts >= total * bounds.len() && pos > 0 {
            bounds.push(pos);
        }
        acc += weights[x as usize];
    }
    while bounds.len() < parts {
        bounds.push(order.len());
    }
    bounds.push(order.len());
    bounds
}

impl Layout {
    fn new(data: &Interactions, rng: &mut ChaCha8Rng) -> Layout {
        let (nu, ni) = (data.n_users(), data.n_items());
        let rated = |rs: &[f32]| rs.iter().filter(|r| !r.is_nan()).count();
        let ucount: Vec<usize> = (0..nu)
            .map(|u| rated(data.user_ratings(UserIdx(u as u32))))
            .collect();
        let icount: Vec<usize> = (0..ni)
            .map(|i| rated(data.item_ratings(ItemIdx(i as u32))))
            .collect();
        let mut user_perm: Vec<u32> = (0..nu as u32).collect();
        let mut item_perm: Vec<u32> = (0..ni as u32).collect();
        user_perm.shuffle(rng);
        item_perm.shuffle(rng);
        let user_bounds = balanced_bounds(&user_perm, &ucount, STRATA);
        let item_bounds = balanced_bounds(&item_perm, &icount, STRATA);
        // relabelled item → (range, index within the range)
        let mut item_new = vec![(0usize, 0u32); ni];
        for b in 0..STRATA {
            for (local, new) in (item_bounds[b]..item_bounds[b + 1]).enumerate() {
                item_new[item_perm[new] as usize] = (b, local as u32);
            }
        }
        let n = data.n_rated();
        let mut l = Layout {
            user_perm,
            item_perm,
            user_bounds,
            item_bounds,
            ptr: Vec::with_capacity(nu * STRATA + 1),
            item: Vec::with_capacity(n),
            rating: Vec::with_capacity(n),
        };
        let mut seg: Vec<Vec<(u32, f32)>> = vec![Vec::new(); STRATA];
        l.ptr.push(0);
        for x in 0..nu {
            let uu = UserIdx(l.user_perm[x]);
            seg.iter_mut().for_each(Vec::clear);
            for (&i, &r) in data.user_items(uu).iter().zip(data.user_ratings(uu)) {
                if !r.is_nan() {
                    let (b, local) = item_new[i.ix()];
                    seg[b].push((local, r));
                }
            }
            for s in seg.iter_mut() {
                s.shuffle(rng);
                for &(j, r) in s.iter() {
                    l.item.push(j);
                    l.rating.push(r);
                }
                l.ptr.push(l.item.len() as u32);
            }
        }
        l
    }

    /// Rows of `m` (`k` wide) in relabelled order, zero-padded to `stride` columns (the padding
    /// stays zero under the updates, so kernels need no scalar tails).
    fn permute(m: &[f32], perm: &[u32], k: usize, stride: usize) -> Vec<f32> {
        let mut out = vec![0f32; perm.len() * stride];
        for (row, &old) in out.chunks_exact_mut(stride).zip(perm) {
            row[..k].copy_from_slice(&m[old as usize * k..(old as usize + 1) * k]);
        }
        out
    }

    /// Rows of `m` back in original order, without the padding.
    fn unpermute(m: &[f32], perm: &[u32], k: usize, stride: usize) -> Vec<f32> {
        let mut out = vec![0f32; perm.len() * k];
        for (row, &old) in m.chunks_exact(stride).zip(perm) {
            out[old as usize * k..(old as usize + 1) * k].copy_from_slice(&row[..k]);
        }
        out
    }
}

/// One block of a DSGD sub-epoch: the users of one half (in `order`, local indices, offset by
/// `user0` in the layout) against the items of one half (`seg` selects the segment).
struct Block<'a> {
    order: &'a [u32],
    user0: usize,
    seg: usize,
    pu: &'a mut [f32],
    bu: &'a mut [f32],
    qi: &'a mut [f32],
    bi: &'a mut [f32],
}

/// Disjoint mutable row ranges `bounds[t]..bounds[t + 1]` (rows of `width` values).
fn split_ranges<'a>(mut m: &'a mut [f32], bounds: &[usize], width: usize) -> Vec<&'a mut [f32]> {
    let mut out = Vec::with_capacity(bounds.len() - 1);
    for w in bounds.windows(2) {
        let (head, tail) = std::mem::take(&mut m).split_at_mut((w[1] - w[0]) * width);
        out.push(head);
        m = tail;
    }
    out
}

/// Learning rates and regularisation of one epoch.
#[derive(Clone, Copy)]
struct Rates {
    mu: f32,
    lr: f32,
    lr_bias: f32,
    reg: f32,
    reg_bias: f32,
}

super::linalg::multiversion! {
    /// SGD over one block (`k` is the padded row stride).
    fn sgd_block => sgd_block_generic(b: Block<'_>, l: &Layout, k: usize, r: Rates)
}

/// One SGD update of a rating `(p, i, rating)`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn sgd_one<S: Simd>(
    pv: &mut [f32],
    bu: &mut f32,
    qi: &mut [f32],
    bi: &mut [f32],
    i: usize,
    rating: f32,
    k: usize,
    r: &Rates,
) {
    let qv = &mut qi[i * k..(i + 1) * k];
    let b = &mut bi[i];
    let err = rating - (r.mu + *bu + *b + S::dot(pv, qv));
    *bu += r.lr_bias * (err - r.reg_bias * *bu);
    *b += r.lr_bias * (err - r.reg_bias * *b);
    S::sgd_step(pv, qv, 1.0 - r.lr * r.reg, r.lr * err);
}

#[inline(always)]
fn sgd_block_generic<S: Simd>(b: Block<'_>, l: &Layout, k: usize, r: Rates) {
    let seg = |u: usize| -> (usize, usize) {
        let x = u * STRATA + b.seg;
        (l.ptr[x] as usize, l.ptr[x + 1] as usize)
    };
    let fetch = |qi: &[f32], c: usize, e: usize| {
        if c < e {
            let j = l.item[c] as usize;
            if let Some(row) = qi.get(j * k..(j + 1) * k) {
                prefetch(row);
            }
        }
    };
    for &u in b.order {
        let u = u as usize;
        let (s, e) = seg(u + b.user0);
        let mut bu = b.bu[u];
        let pv = &mut b.pu[u * k..(u + 1) * k];
        for x in s..e {
            fetch(b.qi, x + 2, e);
            sgd_one::<S>(
                pv,
                &mut bu,
                b.qi,
                b.bi,
                l.item[x] as usize,
                l.rating[x],
                k,
                &r,
            );
        }
        b.bu[u] = bu;
    }
}

/// Biased MF trained by SGD.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BiasedMf {
    k: usize,
    global_mean: f32,
    min_rating: f32,
    max_rating: f32,
    reg: f32,
    reg_bias: f32,
    #[serde(with = "super::compact::f32s")]
    user_bias: Vec<f32>,
    #[serde(with = "super::compact::f32s")]
    item_bias: Vec<f32>,
    #[serde(with = "super::compact::f32s")]
    user_factors: Vec<f32>,
    #[serde(with = "super::compact::f32s")]
    item_factors: Vec<f32>,
    removed: Forgotten,
}

impl Fit for BiasedMf {
    type Params = MfParams;
    fn fit(data: &Interactions, p: &MfParams) -> Result<Self, RecommendError> {
        p.check()?;
        if data.n_rated() == 0 {
            return Err(RecommendError::Empty);
        }
        let k = p.factors;
        let (nu, ni) = (data.n_users(), data.n_items());
        let mut rng = ChaCha8Rng::seed_from_u64(p.seed);
        let pu0 = init(&mut rng, nu * k, p.init_std);
        let qi0 = init(&mut rng, ni * k, p.init_std);
        let l = Layout::new(data, &mut rng);
        let ks = k.div_ceil(8) * 8;
        let mut pu = Layout::permute(&pu0, &l.user_perm, k, ks);
        let mut qi = Layout::permute(&qi0, &l.item_perm, k, ks);
        drop((pu0, qi0));
        let mut bu = vec![0f32; nu];
        let mut bi = vec![0f32; ni];
        let mu = data.global_mean();
        let mut orders: Vec<Vec<u32>> = (0..STRATA)
            .map(|t| (0..(l.user_bounds[t + 1] - l.user_bounds[t]) as u32).collect())
            .collect();
        let (mut lr, mut lrb) = (p.lr, p.lr_bias);
        for _ in 0..p.epochs {
            let rates = Rates {
                mu,
                lr,
                lr_bias: lrb,
                reg: p.reg,
                reg_bias: p.reg_bias,
            };
            for sub in 0..STRATA {
                for o in orders.iter_mut() {
                    o.shuffle(&mut rng);
                }
                let mut qs: Vec<Option<(&mut [f32], &mut [f32])>> =
                    split_ranges(&mut qi, &l.item_bounds, ks)
                        .into_iter()
                        .zip(split_ranges(&mut bi, &l.item_bounds, 1))
                        .map(Some)
                        .collect();
                let blocks: Vec<Block<'_>> = split_ranges(&mut pu, &l.user_bounds, ks)
                    .into_iter()
                    .zip(split_ranges(&mut bu, &l.user_bounds, 1))
                    .enumerate()
                    .map(|(t, (pu, bu))| {
                        let seg = (t + sub) % STRATA;
                        let (qi, bi) = qs[seg].take().expect("each item range once");
                        Block {
                            order: &orders[t],
                            user0: l.user_bounds[t],
                            seg,
                            pu,
                            bu,
                            qi,
                            bi,
                        }
                    })
                    .collect();
                blocks
                    .into_par_iter()
                    .for_each(|b| sgd_block(b, &l, ks, rates));
            }
            lr *= p.decay;
            lrb *= p.decay;
        }
        let pu = Layout::unpermute(&pu, &l.user_perm, k, ks);
        let qi = Layout::unpermute(&qi, &l.item_perm, k, ks);
        let mut bu_o = vec![0f32; nu];
        for (new, &old) in l.user_perm.iter().enumerate() {
            bu_o[old as usize] = bu[new];
        }
        let mut bi_o = vec![0f32; ni];
        for (new, &old) in l.item_perm.iter().enumerate() {
            bi_o[old as usize] = bi[new];
        }
        let (bu, bi) = (bu_o, bi_o);
        let (min_rating, max_rating) = rating_range(data);
        Ok(BiasedMf {
            k,
            global_mean: mu,
            min_rating,
            max_rating,
            reg: p.reg,
            reg_bias: p.reg_bias,
            user_bias: bu,
            item_bias: bi,
            user_factors: pu,
            item_factors: qi,
            removed: Forgotten::default(),
        })
    }
}

impl BiasedMf {
    /// Item factor matrix, row-major `n_items × k`.
    pub fn item_factors(&self) -> &[f32] {
        &self.item_factors
    }
    /// Item biases.
    pub fn item_bias(&self) -> &[f32] {
        &self.item_bias
    }
}

impl FoldIn for BiasedMf {
    fn factors(&self) -> usize {
        self.k
    }
    /// Ridge solve of the user's ratings against the fixed item factors and biases.
    fn fold_in(&self, user: &UserHistory<'_>) -> UserVector {
        let rated: Vec<(ItemIdx, f32)> = user.rated().collect();
        solve_explicit(
            &self.item_factors,
            self.k,
            &self.item_bias,
            self.global_mean,
            &rated,
            None,
            self.reg,
            self.reg_bias,
        )
    }
    fn trained_vector(&self, u: UserIdx) -> Option<UserVector> {
        stored_row(
            &self.user_factors,
            &self.user_bias,
            self.k,
            &self.removed,
            u,
        )
    }
}

/// Zeroes the user's vector and bias; they are folded in from the history passed in.
impl ForgetUser for BiasedMf {
    fn forget_user(&mut self, u: UserIdx) {
        forget_row(
            &mut self.user_factors,
            &mut self.user_bias,
            self.k,
            &mut self.removed,
            u,
        );
    }
}

impl Scorer for BiasedMf {
    fn name(&self) -> &'static str {
        "mf"
    }
    fn score(&self, user: &UserHistory<'_>, candidates: &[ItemIdx]) -> Array1<f32> {
        let v = self.user_vector(user);
        let base = self.global_mean + v.bias;
        candidates
            .iter()
            .map(|i| {
                if i.ix() >= self.item_bias.len() {
                    return f32::NAN;
                }
                let q = &self.item_factors[i.ix() * self.k..(i.ix() + 1) * self.k];
                (base + self.item_bias[i.ix()] + dot(&v.factors, q))
                    .clamp(self.min_rating, self.max_rating)
            })
            .collect()
    }
}

/// Hyperparameters of [`SvdPP`] (`[recommender.svdpp]`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct SvdPPParams {
    /// Latent dimension.
    pub factors: usize,
    /// Passes over the users.
    pub epochs: usize,
    /// SGD learning rate of the factors.
    pub lr: f32,
    /// L2 regularisation of the factors.
    pub reg: f32,
    /// SGD learning rate of the biases.
    pub lr_bias: f32,
    /// L2 regularisation of the biases.
    pub reg_bias: f32,
    /// Learning rate of the implicit factors `y`.
    pub lr_y: f32,
    /// Regularisation of the implicit factors `y`.
    pub reg_y: f32,
    /// Standard deviation of the initial factors.
    pub init_std: f32,
    /// Multiplicative learning-rate decay per epoch.
    pub decay: f32,
    /// RNG seed.
    pub seed: u64,
    /// A blend leaves SVD++ out when trained on more interactions than this (see
    /// [`super::hybrid::HybridParams::for_data`]); a fit of SVD++ alone ignores it. In the rating
    /// blend it costs as much as the other components together for about 0.2 % of RMSE on
    /// MovieLens, and for nothing on 5 M synthetic ratings (docs/benchmarks.md).
    pub max_interactions_in_blend: usize,
}

impl Default for SvdPPParams {
    fn default() -> Self {
        SvdPPParams {
            factors: 50,
            epochs: 30,
            lr: 0.007,
            reg: 0.05,
            lr_bias: 0.007,
            reg_bias: 0.02,
            lr_y: 0.007,
            reg_y: 0.05,
            init_std: 0.05,
            decay: 0.97,
            seed: 42,
            max_interactions_in_blend: 2_000_000,
        }
    }
}

/// SVD++: biased MF plus an implicit-feedback term over every item the user interacted with.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SvdPP {
    k: usize,
    global_mean: f32,
    min_rating: f32,
    max_rating: f32,
    reg: f32,
    reg_bias: f32,
    #[serde(with = "super::compact::f32s")]
    user_bias: Vec<f32>,
    #[serde(with = "super::compact::f32s")]
    item_bias: Vec<f32>,
    #[serde(with = "super::compact::f32s")]
    user_factors: Vec<f32>,
    #[serde(with = "super::compact::f32s")]
    item_factors: Vec<f32>,
    #[serde(with = "super::compact::f32s")]
    implicit: Vec<f32>,
    removed: Forgotten,
}

impl Fit for SvdPP {
    type Params = SvdPPParams;
    fn fit(data: &Interactions, p: &SvdPPParams) -> Result<Self, RecommendError> {
        if p.factors == 0 {
            return Err(RecommendError::InvalidParam {
                name: "factors",
                reason: "must be positive".into(),
            });
        }
        if data.n_rated() == 0 {
            return Err(RecommendError::Empty);
        }
        let k = p.factors;
        let (nu, ni) = (data.n_users(), data.n_items());
        let mut rng = ChaCha8Rng::seed_from_u64(p.seed);
        let mut pu = init(&mut rng, nu * k, p.init_std);
        let mut qi = init(&mut rng, ni * k, p.init_std);
        let mut yj = init(&mut rng, ni * k, p.init_std);
        let mut bu = vec![0f32; nu];
        let mut bi = vec![0f32; ni];
        let mu = data.global_mean();
        let mut users: Vec<u32> = (0..nu as u32).collect();
        let (mut lr, mut lrb, mut lry) = (p.lr, p.lr_bias, p.lr_y);
        let mut z = vec![0f32; k];
        let mut g = vec![0f32; k];
        let mut pz = vec![0f32; k];
        let mut order: Vec<usize> = Vec::new();
        for _ in 0..p.epochs {
            users.shuffle(&mut rng);
            for &u in &users {
                let uu = UserIdx(u);
                let u = u as usize;
                let items = data.user_items(uu);
                let ratings = data.user_ratings(uu);
                if items.is_empty() {
                    continue;
                }
                let norm = 1.0 / (items.len() as f32).sqrt();
                z.fill(0.0);
                for j in items {
                    axpy(norm, &yj[j.ix() * k..(j.ix() + 1) * k], &mut z);
                }
                g.fill(0.0);
                order.clear();
                order.extend((0..items.len()).filter(|&x| !ratings[x].is_nan()));
                order.shuffle(&mut rng);
                let n_r = order.len() as f32;
                for &x in &order {
                    let i = items[x].ix();
                    let r = ratings[x];
                    let pv = &mut pu[u * k..(u + 1) * k];
                    let qv = &mut qi[i * k..(i + 1) * k];
                    for f in 0..k {
                        pz[f] = pv[f] + z[f];
                    }
                    let err = r - (mu + bu[u] + bi[i] + dot(&pz, qv));
                    bu[u] += lrb * (err - p.reg_bias * bu[u]);
                    bi[i] += lrb * (err - p.reg_bias * bi[i]);
                    for f in 0..k {
                        let (a, b) = (pv[f], qv[f]);
                        g[f] += err * norm * b;
                        pv[f] += lr * (err * b - p.reg * a);
                        qv[f] += lr * (err * pz[f] - p.reg * b);
                    }
                }
                if n_r > 0.0 {
                    for j in items {
                        let y = &mut yj[j.ix() * k..(j.ix() + 1) * k];
                        for f in 0..k {
                            y[f] += lry * (g[f] - n_r * p.reg_y * y[f]);
                        }
                    }
                }
            }
            lr *= p.decay;
            lrb *= p.decay;
            lry *= p.decay;
        }
        let (min_rating, max_rating) = rating_range(data);
        Ok(SvdPP {
            k,
            global_mean: mu,
            min_rating,
            max_rating,
            reg: p.reg,
            reg_bias: p.reg_bias,
            user_bias: bu,
            item_bias: bi,
            user_factors: pu,
            item_factors: qi,
            implicit: yj,
            removed: Forgotten::default(),
        })
    }
}

impl SvdPP {
    fn implicit_sum(&self, user: &UserHistory<'_>) -> Vec<f32> {
        let k = self.k;
        let mut z = vec![0f32; k];
        let items: Vec<ItemIdx> = user
            .items
            .iter()
            .copied()
            .filter(|i| i.ix() < self.item_bias.len())
            .collect();
        if items.is_empty() {
            return z;
        }
        let norm = 1.0 / (items.len() as f32).sqrt();
        for j in items {
            axpy(norm, &self.implicit[j.ix() * k..(j.ix() + 1) * k], &mut z);
        }
        z
    }
}

impl FoldIn for SvdPP {
    fn factors(&self) -> usize {
        self.k
    }
    /// Ridge solve of the user's explicit part (ratings minus the implicit term of the whole
    /// history) against the fixed item factors and biases.
    fn fold_in(&self, user: &UserHistory<'_>) -> UserVector {
        let z = self.implicit_sum(user);
        let rated: Vec<(ItemIdx, f32)> = user.rated().collect();
        solve_explicit(
            &self.item_factors,
            self.k,
            &self.item_bias,
            self.global_mean,
            &rated,
            Some(&z),
            self.reg,
            self.reg_bias,
        )
    }
    fn trained_vector(&self, u: UserIdx) -> Option<UserVector> {
        stored_row(
            &self.user_factors,
            &self.user_bias,
            self.k,
            &self.removed,
            u,
        )
    }
}

/// Zeroes the user's explicit vector and bias; the implicit term always comes from the history
/// passed in.
impl ForgetUser for SvdPP {
    fn forget_user(&mut self, u: UserIdx) {
        forget_row(
            &mut self.user_factors,
            &mut self.user_bias,
            self.k,
            &mut self.removed,
            u,
        );
    }
}

impl Scorer for SvdPP {
    fn name(&self) -> &'static str {
        "svdpp"
    }
    fn score(&self, user: &UserHistory<'_>, candidates: &[ItemIdx]) -> Array1<f32> {
        let k = self.k;
        let v = self.user_vector(user);
        let mut pz = self.implicit_sum(user);
        for (a, b) in pz.iter_mut().zip(&v.factors) {
            *a += b;
        }
        let base = self.global_mean + v.bias;
        candidates
            .iter()
            .map(|i| {
                if i.ix() >= self.item_bias.len() {
                    return f32::NAN;
                }
                let q = &self.item_factors[i.ix() * k..(i.ix() + 1) * k];
                (base + self.item_bias[i.ix()] + dot(&pz, q))
                    .clamp(self.min_rating, self.max_rating)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recommender::contract::{
        assert_fold_in_contract, assert_forget_contract, assert_scorer_contract,
    };
    use crate::recommender::{all_items, top_n, OwnedHistory};

    fn small() -> MfParams {
        MfParams {
            factors: 8,
            epochs: 60,
            lr: 0.02,
            lr_bias: 0.02,
            ..Default::default()
        }
    }

    fn small_svdpp() -> SvdPPParams {
        SvdPPParams {
            factors: 8,
            epochs: 60,
            lr: 0.02,
            lr_bias: 0.02,
            ..Default::default()
        }
    }

    #[test]
    fn mf_passes_the_contract() {
        assert_scorer_contract(|f| BiasedMf::fit(&f.data, &small()).unwrap(), true);
    }

    #[test]
    fn mf_passes_the_fold_in_and_forget_contracts() {
        assert_fold_in_contract(|f| BiasedMf::fit(&f.data, &small()).unwrap());
        assert_forget_contract(|f| BiasedMf::fit(&f.data, &small()).unwrap());
    }

    #[test]
    fn svdpp_passes_the_fold_in_and_forget_contracts() {
        assert_fold_in_contract(|f| SvdPP::fit(&f.data, &small_svdpp()).unwrap());
        assert_forget_contract(|f| SvdPP::fit(&f.data, &small_svdpp()).unwrap());
    }

    #[test]
    fn parallel_sgd_is_identical_for_any_thread_count() {
        let fx = crate::recommender::contract::fixture();
        let fit = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| BiasedMf::fit(&fx.data, &small()).unwrap())
        };
        let (a, b) = (fit(1), fit(3));
        assert_eq!(a.user_factors, b.user_factors);
        assert_eq!(a.item_factors, b.item_factors);
        assert_eq!(a.item_bias, b.item_bias);
        assert_eq!(
            balanced_bounds(&[0, 1, 2, 3], &[1, 1, 1, 1], 2),
            vec![0, 2, 4]
        );
        assert_eq!(balanced_bounds(&[], &[], 3), vec![0, 0, 0, 0]);
    }

    #[test]
    fn svdpp_passes_the_contract() {
        assert_scorer_contract(|f| SvdPP::fit(&f.data, &small_svdpp()).unwrap(), true);
    }

    #[test]
    fn folding_in_a_new_rating_changes_the_top_n() {
        let fx = crate::recommender::contract::fixture();
        let m = BiasedMf::fit(&fx.data, &small()).unwrap();
        let cands = all_items(fx.data.n_items());
        // A new user who liked item 0 (even) gets an even item first …
        let mut h = OwnedHistory::default();
        h.rate(ItemIdx(0), 5.0);
        let before = top_n(&m, &h.view(), &cands, 3, &[]);
        assert_eq!(before[0].0 .0 % 2, 0, "{before:?}");
        // … and after disliking item 2 and loving odd items 1 and 3, an odd item.
        h.rate(ItemIdx(2), 1.0);
        h.rate(ItemIdx(0), 1.0);
        h.rate(ItemIdx(1), 5.0);
        h.rate(ItemIdx(3), 5.0);
        let mut folded = crate::recommender::Folded::default();
        folded.vectors.insert("mf".into(), m.fold_in(&h.view()));
        h.folded = Some(folded);
        let after = top_n(&m, &h.view(), &cands, 3, &[]);
        assert_ne!(before, after);
        assert_eq!(after[0].0 .0 % 2, 1, "{after:?}");
    }

    #[test]
    fn removed_user_is_served_from_history() {
        let fx = crate::recommender::contract::fixture();
        let mut m = BiasedMf::fit(&fx.data, &small()).unwrap();
        let h = fx.data.history(UserIdx(3));
        let before = m.score(&h, &[ItemIdx(3)])[0];
        m.forget_user(UserIdx(3));
        assert!(m.user_factors[3 * 8..4 * 8].iter().all(|&x| x == 0.0));
        let after = m.score(&h, &[ItemIdx(3)])[0];
        assert!(after.is_finite() && (after - before).abs() < 1.5);
    }
}
