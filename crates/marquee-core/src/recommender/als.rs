//! Implicit-feedback ALS (Hu, Koren & Volinsky 2008) solved with a few conjugate-gradient steps
//! per user/item, warm-started from the previous iterate, as the `implicit` library does.
//!
//! Every stored interaction is feedback: confidence `c = 1 + α·|w|`, preference `p = [w > 0]`,
//! so negative feedback (`w < 0`, e.g. thumbs down or a low rating mapped by
//! `negative_below`) is a confident zero. Scores are `x_u · y_i`.

use super::capabilities::{forget_row, stored_row, FoldIn, ForgetUser, Forgotten, SimilarItems};
use super::foldin::solve_implicit;
use super::interactions::Interactions;
use super::linalg::{axpy, dot, Simd};
use super::mf::normal_init;
use super::{Fit, ItemIdx, RecommendError, Scorer, UserHistory, UserIdx, UserVector};
use ndarray::Array1;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Hyperparameters of [`Als`] (`[recommender.als]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AlsParams {
    /// Latent dimension.
    pub factors: usize,
    /// Alternating iterations.
    pub iterations: usize,
    /// L2 regularisation λ.
    pub reg: f32,
    /// Confidence scale α in `c = 1 + α|w|`.
    pub alpha: f32,
    /// Conjugate-gradient steps per solve.
    pub cg_steps: usize,
    /// Ratings below this become negative feedback (`None` = every rating is positive).
    pub negative_below: Option<f32>,
    /// RNG seed of the initial factors.
    pub seed: u64,
}

impl Default for AlsParams {
    fn default() -> Self {
        AlsParams {
            factors: 64,
            iterations: 15,
            reg: 5.0,
            alpha: 2.0,
            cg_steps: 3,
            negative_below: None,
            seed: 42,
        }
    }
}

/// Implicit ALS model.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Als {
    k: usize,
    alpha: f32,
    reg: f32,
    negative_below: Option<f32>,
    #[serde(with = "super::compact::f32s")]
    user_factors: Vec<f32>,
    #[serde(with = "super::compact::f32s")]
    item_factors: Vec<f32>,
    #[serde(with = "super::compact::f32s")]
    yty: Vec<f32>,
    removed: Forgotten,
}

fn weight(r: f32, c: f32, negative_below: Option<f32>) -> f32 {
    match negative_below {
        Some(t) if !r.is_nan() && r < t => -c.abs().max(1.0),
        _ => c,
    }
}

fn gram(f: &[f32], k: usize) -> Vec<f32> {
    f.par_chunks(k * 256)
        .map(|block| {
            let mut g = vec![0f32; k * k];
            for r in block.chunks_exact(k) {
                for (a, &ra) in r.iter().enumerate() {
                    if ra != 0.0 {
                        axpy(ra, r, &mut g[a * k..(a + 1) * k]);
                    }
                }
            }
            g
        })
        .reduce(
            || vec![0f32; k * k],
            |mut a, b| {
                a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                a
            },
        )
}

/// `out = (G + reg·I) v`.
#[inline(always)]
fn gram_mul<S: Simd>(g: &[f32], iota: &[u32], reg: f32, v: &[f32], out: &mut Vec<f32>) {
    S::dots(g, iota, v, out);
    for (o, &va) in out.iter_mut().zip(v) {
        *o += reg * va;
    }
}

super::linalg::multiversion! {
    /// One CG solve for one row: `x` is updated in place. `other` are the fixed factors.
    fn cg_row => cg_row_generic(
        x: &mut [f32],
        other: &[f32],
        gram: &[f32],
        iota: &[u32],
        idx: &[u32],
        w: &[f32],
        alpha: f32,
        reg: f32,
        steps: usize,
        buf: &mut [Vec<f32>; 4],
    )
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn cg_row_generic<S: Simd>(
    x: &mut [f32],
    other: &[f32],
    gram: &[f32],
    iota: &[u32],
    idx: &[u32],
    w: &[f32],
    alpha: f32,
    reg: f32,
    steps: usize,
    buf: &mut [Vec<f32>; 4],
) {
    let [r, p, ap, t] = buf;
    // dots of every nonzero's row first, then one blocked accumulation (no horizontal-sum
    // stalls between them, and the accumulator is loaded once per four rows)
    S::dots(other, idx, x, t);
    for (tv, &wj) in t.iter_mut().zip(w) {
        let cm1 = alpha * wj.abs();
        let pref = if wj > 0.0 { 1.0 + cm1 } else { 0.0 };
        *tv = pref - cm1 * *tv;
    }
    gram_mul::<S>(gram, iota, reg, x, r);
    for v in r.iter_mut() {
        *v = -*v;
    }
    S::axpy_rows(other, idx, t, r);
    p.copy_from_slice(r);
    let mut rs_old = S::dot(r, r);
    for step in 0..steps {
        if rs_old < 1e-20 {
            break;
        }
        S::dots(other, idx, p, t);
        for (tv, &wj) in t.iter_mut().zip(w) {
            *tv *= alpha * wj.abs();
        }
        gram_mul::<S>(gram, iota, reg, p, ap);
        S::axpy_rows(other, idx, t, ap);
        let pap = S::dot(p, ap);
        if pap <= 0.0 {
            break;
        }
        let a = rs_old / pap;
        axpy(a, p, x);
        if step + 1 == steps {
            break;
        }
        axpy(-a, ap, r);
        let rs_new = S::dot(r, r);
        let beta = rs_new / rs_old;
        for (pv, rv) in p.iter_mut().zip(r.iter()) {
            *pv = rv + beta * *pv;
        }
        rs_old = rs_new;
    }
}

super::linalg::multiversion! {
    /// `out[n] = m[candidates[n]] · x` (NaN for rows out of range).
    pub(crate) fn score_rows => score_rows_generic(
        m: &[f32],
        x: &[f32],
        candidates: &[ItemIdx],
        out: &mut [f32],
    )
}

#[inline(always)]
fn score_rows_generic<S: Simd>(m: &[f32], x: &[f32], candidates: &[ItemIdx], out: &mut [f32]) {
    let k = x.len().max(1);
    let n = m.len() / k;
    for (o, i) in out.iter_mut().zip(candidates) {
        *o = if i.ix() < n {
            S::dot(&m[i.ix() * k..(i.ix() + 1) * k], x)
        } else {
            f32::NAN
        };
    }
}

/// One half-iteration: re-solve every row of `rows` against fixed `other`.
#[allow(clippy::too_many_arguments)]
fn sweep(
    rows: &mut [f32],
    other: &[f32],
    k: usize,
    ptr: &[usize],
    idx: &[u32],
    w: &[f32],
    p: &AlsParams,
) {
    let g = gram(other, k);
    let iota: Vec<u32> = (0..k as u32).collect();
    rows.par_chunks_mut(k).enumerate().for_each_init(
        || [vec![0f32; k], vec![0f32; k], vec![0f32; k], Vec::new()],
        |buf, (row, x)| {
            let (s, e) = (ptr[row], ptr[row + 1]);
            if s == e {
                x.fill(0.0);
                return;
            }
            cg_row(
                x,
                other,
                &g,
                &iota,
                &idx[s..e],
                &w[s..e],
                p.alpha,
                p.reg,
                p.cg_steps,
                buf,
            );
        },
    );
}

impl Fit for Als {
    type Params = AlsParams;
    fn fit(data: &Interactions, p: &AlsParams) -> Result<Self, RecommendError> {
        if p.factors == 0 || p.cg_steps == 0 {
            return Err(RecommendError::InvalidParam {
                name: "factors/cg_steps",
                reason: "must be positive".into(),
            });
        }
        if data.nnz() == 0 {
            return Err(RecommendError::Empty);
        }
        let k = p.factors;
        let (nu, ni) = (data.n_users(), data.n_items());
        // user-major and item-major (index, weight) arrays
        let uptr = data.user_ptr().to_vec();
        let mut uidx = Vec::with_capacity(data.nnz());
        let mut uw = Vec::with_capacity(data.nnz());
        for u in 0..nu {
            let uu = UserIdx(u as u32);
            for ((&i, &r), &c) in data
                .user_items(uu)
                .iter()
                .zip(data.user_ratings(uu))
                .zip(data.user_confidence(uu))
            {
                uidx.push(i.0);
                uw.push(weight(r, c, p.negative_below));
            }
        }
        let mut iptr = vec![0usize; ni + 1];
        let mut iidx = Vec::with_capacity(data.nnz());
        let mut iw = Vec::with_capacity(data.nnz());
        for i in 0..ni {
            let ii = ItemIdx(i as u32);
            for ((&u, &r), &c) in data
                .item_users(ii)
                .iter()
                .zip(data.item_ratings(ii))
                .zip(data.item_confidence(ii))
            {
                iidx.push(u.0);
                iw.push(weight(r, c, p.negative_below));
            }
            iptr[i + 1] = iidx.len();
        }
        let mut x = normal_init(p.seed, nu * k, 0.01);
        let mut y = normal_init(p.seed.wrapping_add(1), ni * k, 0.01);
        for _ in 0..p.iterations {
            sweep(&mut x, &y, k, &uptr, &uidx, &uw, p);
            sweep(&mut y, &x, k, &iptr, &iidx, &iw, p);
        }
        let yty = gram(&y, k);
        Ok(Als {
            k,
            alpha: p.alpha,
            reg: p.reg,
            negative_below: p.negative_below,
            user_factors: x,
            item_factors: y,
            yty,
            removed: Forgotten::default(),
        })
    }
}

impl Als {
    /// Item factor matrix, row-major `n_items × k`.
    pub fn item_factors(&self) -> &[f32] {
        &self.item_factors
    }

    /// User factor matrix, row-major `n_users × k` (forgotten users' rows are zero).
    pub fn user_factors(&self) -> &[f32] {
        &self.user_factors
    }

    /// Latent dimension.
    pub fn k(&self) -> usize {
        self.k
    }

    /// The parameters fold-in uses (`reg`, `alpha`, `negative_below`; the others are defaults).
    pub fn fold_in_params(&self) -> AlsParams {
        AlsParams {
            factors: self.k,
            reg: self.reg,
            alpha: self.alpha,
            negative_below: self.negative_below,
            ..Default::default()
        }
    }

    /// A model from factors trained elsewhere (row-major, `k` columns). Users in `untrained`
    /// have no trained vector: they are folded in from their history, like a forgotten user.
    pub fn from_factors(
        k: usize,
        p: &AlsParams,
        user_factors: Vec<f32>,
        item_factors: Vec<f32>,
        untrained: impl IntoIterator<Item = UserIdx>,
    ) -> Result<Self, RecommendError> {
        if k == 0 || !user_factors.len().is_multiple_of(k) || !item_factors.len().is_multiple_of(k)
        {
            return Err(RecommendError::InvalidParam {
                name: "factors",
                reason: format!(
                    "{} user and {} item values do not make rows of {k}",
                    user_factors.len(),
                    item_factors.len()
                ),
            });
        }
        let mut removed = Forgotten::default();
        for u in untrained {
            removed.insert(u);
        }
        Ok(Als {
            k,
            alpha: p.alpha,
            reg: p.reg,
            negative_below: p.negative_below,
            yty: gram(&item_factors, k),
            user_factors,
            item_factors,
            removed,
        })
    }
}

impl FoldIn for Als {
    fn factors(&self) -> usize {
        self.k
    }
    /// Exact implicit solve of the user's history against the fixed item factors (bias 0).
    fn fold_in(&self, user: &UserHistory<'_>) -> UserVector {
        let items: Vec<(ItemIdx, f32)> = (0..user.items.len())
            .map(|k| {
                let r = user.ratings.get(k).copied().unwrap_or(f32::NAN);
                let c = user.confidence.get(k).copied().unwrap_or(1.0);
                (user.items[k], weight(r, c, self.negative_below))
            })
            .collect();
        UserVector {
            bias: 0.0,
            factors: solve_implicit(
                &self.item_factors,
                &self.yty,
                self.k,
                &items,
                self.alpha,
                self.reg,
            ),
        }
    }
    fn trained_vector(&self, u: UserIdx) -> Option<UserVector> {
        stored_row(&self.user_factors, &[], self.k, &self.removed, u)
    }
}

/// Zeroes the user's vector; they are folded in from the history passed in.
impl ForgetUser for Als {
    fn forget_user(&mut self, u: UserIdx) {
        forget_row(
            &mut self.user_factors,
            &mut [],
            self.k,
            &mut self.removed,
            u,
        );
    }
}

/// Cosine of item factors.
impl SimilarItems for Als {
    fn similar_items(&self, item: ItemIdx, n: usize) -> Vec<(ItemIdx, f32)> {
        let k = self.k;
        let Some(q) = self.item_factors.get(item.ix() * k..(item.ix() + 1) * k) else {
            return Vec::new();
        };
        let nq = dot(q, q).sqrt().max(1e-12);
        let cands = super::all_items(self.item_factors.len() / k);
        let scores: Vec<f32> = cands
            .iter()
            .map(|c| {
                let y = &self.item_factors[c.ix() * k..(c.ix() + 1) * k];
                dot(q, y) / (nq * dot(y, y).sqrt().max(1e-12))
            })
            .collect();
        super::rank_scores(&cands, &scores, &[item], &[], n)
    }
}

impl Scorer for Als {
    fn name(&self) -> &'static str {
        "als"
    }
    fn score(&self, user: &UserHistory<'_>, candidates: &[ItemIdx]) -> Array1<f32> {
        let x = self.user_vector(user).factors;
        let mut out = vec![0f32; candidates.len()];
        score_rows(&self.item_factors, &x, candidates, &mut out);
        Array1::from(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recommender::contract::{
        assert_fold_in_contract, assert_forget_contract, assert_scorer_contract,
        assert_similar_contract, fixture,
    };
    use crate::recommender::{all_items, top_n, OwnedHistory};

    fn small() -> AlsParams {
        AlsParams {
            factors: 8,
            iterations: 10,
            reg: 0.1,
            alpha: 5.0,
            ..Default::default()
        }
    }

    #[test]
    fn als_passes_the_contract() {
        assert_scorer_contract(|f| Als::fit(&f.data, &small()).unwrap(), true);
    }

    #[test]
    fn als_passes_the_fold_in_forget_and_similar_items_contracts() {
        assert_fold_in_contract(|f| Als::fit(&f.data, &small()).unwrap());
        assert_forget_contract(|f| Als::fit(&f.data, &small()).unwrap());
        assert_similar_contract(&Als::fit(&fixture().data, &small()).unwrap());
    }

    #[test]
    fn fold_in_matches_the_trained_user_and_reacts_to_new_feedback() {
        let fx = fixture();
        let m = Als::fit(&fx.data, &small()).unwrap();
        let cands = all_items(fx.data.n_items());
        let h = fx.data.history(UserIdx(2));
        let trained = top_n(&m, &h, &cands, 3, &[]);
        let mut o = OwnedHistory::from(&h);
        o.user = None;
        let folded = top_n(&m, &o.view(), &cands, 3, &[]);
        assert_eq!(trained[0].0, folded[0].0);
        // a thumbs up on the odd item 3 changes the list
        o.push(ItemIdx(3), f32::NAN, 5.0, 0);
        let after = top_n(&m, &o.view(), &cands, 3, &[]);
        assert_ne!(folded, after);
        let sim = m.similar_items(ItemIdx(0), 2);
        assert!(sim.iter().all(|(j, _)| j.0 % 2 == 0), "{sim:?}");
    }
}
