//! A [`Scorer`] blending other models with weights learned on a validation split of the
//! training data, separately per user-activity bucket (cold / warm / heavy).
//!
//! * `objective = "rating"`: ridge regression of the rating on `[1, s_1 … s_m]` (the components'
//!   predicted ratings) — a classic linear blend (Netflix-prize style).
//! * `objective = "ranking"`: each component's scores are standardised per user over the
//!   catalogue, and the weights are chosen by coordinate ascent on validation NDCG@10.
//!
//! Training: hold out `validation_fraction` of every user's interactions (a seeded random
//! share, or with `held_out = "latest"` each user's latest), fit the components on the rest, learn the weights on the held-out part, then (with `refit`) fit the
//! components again on all the training data. The test data of an evaluation is never seen.
//! A large data set validates on a seeded sample of [`MAX_VALIDATION_USERS`] users: everyone
//! else's interactions all go to the components, and when that leaves less than
//! [`REFIT_MIN_HELD_OUT`] of the data held out, the components are not fitted a second time
//! (they have seen nearly everything, and the refit would double the training's cost).

use super::als::{Als, AlsParams};
use super::content::{Content, ContentParams};
use super::ease::{Ease, EaseParams};
use super::interactions::{Interactions, Triplet};
use super::knn::{Baseline, BaselineParams, ItemKnn, KnnParams, UserKnn, UserKnnParams};
use super::linalg::ridge;
use super::mf::{BiasedMf, MfParams, SvdPP, SvdPPParams};
use super::popularity::{
    DemographicParams, DemographicPopularity, Popularity, PopularityParams, Trending,
    TrendingParams,
};
use super::{
    all_items, Demographics, Fit, FoldIn, Folded, ForgetUser, ItemIdx, RecommendError, Scorer,
    SimilarItems, UserHistory, UserIdx,
};
use crate::eval::metrics::rank_metrics;
use ndarray::Array1;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

mod format4;
#[cfg(test)]
pub(crate) use format4::{to_v4, to_v4_params};
pub(crate) use format4::{HybridParamsV4, HybridV4};

/// A model name plus its parameters (missing fields take the tuned defaults).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComponentSpec {
    /// One of `baseline, mf, svdpp, knn, knn_rank, user_knn, als, popularity, trending,
    /// demographic, content, ease`.
    pub name: String,
    /// Parameters as JSON (`{}` = defaults).
    #[serde(default, with = "super::compact::json")]
    pub params: serde_json::Value,
}

impl ComponentSpec {
    /// A spec with default parameters.
    pub fn new(name: &str) -> Self {
        ComponentSpec {
            name: name.to_string(),
            params: serde_json::Value::Null,
        }
    }
    /// A spec with the given parameters.
    pub fn with(name: &str, params: serde_json::Value) -> Self {
        ComponentSpec {
            name: name.to_string(),
            params,
        }
    }
    /// The spec with `seed` in the parameters of every seeded model it names (its own and, in a
    /// blend, each component's and the validation split's), where they do not set one.
    pub fn seeded(&self, seed: u64) -> Result<ComponentSpec, RecommendError> {
        let mut params = match self.name.as_str() {
            "mf" | "svdpp" | "als" => match &self.params {
                serde_json::Value::Null => serde_json::json!({}),
                p => p.clone(),
            },
            "hybrid" | "hybrid_rank" => serde_json::to_value(self.hybrid_params()?)?,
            _ => return Ok(self.clone()),
        };
        let given = |key: &str| self.params.get(key).is_some();
        if let Some(o) = params.as_object_mut() {
            if !given("seed") {
                o.insert("seed".into(), seed.into());
            }
            if let Some(serde_json::Value::Array(cs)) = o.get_mut("components") {
                for c in cs.iter_mut() {
                    let spec: ComponentSpec = serde_json::from_value(c.clone())?;
                    *c = serde_json::to_value(spec.seeded(seed)?)?;
                }
            }
        }
        Ok(ComponentSpec {
            name: self.name.clone(),
            params,
        })
    }

    /// Every parameter of the model with the given ones in place, as JSON (a blend's components
    /// too). Fails on an unknown model, a value of the wrong type, or a parameter the model (or
    /// one of a blend's components) does not have.
    pub fn resolved_params(&self) -> Result<serde_json::Value, RecommendError> {
        fn full<P: DeserializeOwned + Default + Serialize>(
            spec: &ComponentSpec,
        ) -> Result<serde_json::Value, RecommendError> {
            Ok(serde_json::to_value(spec.params::<P>()?)?)
        }
        let all = match self.name.as_str() {
            "baseline" => full::<BaselineParams>(self)?,
            "mf" => full::<MfParams>(self)?,
            "svdpp" => full::<SvdPPParams>(self)?,
            "knn" => full::<KnnParams>(self)?,
            "knn_rank" => serde_json::to_value(knn_rank_params(self)?)?,
            "user_knn" => full::<UserKnnParams>(self)?,
            "als" => full::<AlsParams>(self)?,
            "ease" => full::<EaseParams>(self)?,
            "popularity" => full::<PopularityParams>(self)?,
            "trending" => full::<TrendingParams>(self)?,
            "demographic" => full::<DemographicParams>(self)?,
            "content" => full::<ContentParams>(self)?,
            "hybrid" | "hybrid_rank" => {
                // Each component with every parameter, checked the same way.
                let p = self.hybrid_params()?;
                let components = p
                    .components
                    .iter()
                    .map(|c| {
                        Ok(serde_json::json!({"name": c.name, "params": c.resolved_params()?}))
                    })
                    .collect::<Result<Vec<_>, RecommendError>>()?;
                let mut all = serde_json::to_value(p)?;
                all["components"] = components.into();
                all
            }
            other => return Err(RecommendError::UnknownModel(other.to_string())),
        };
        if let Some(given) = self.params.as_object() {
            if let Some(unknown) = given.keys().find(|k| all.get(k.as_str()).is_none()) {
                let known: Vec<&String> = all
                    .as_object()
                    .map(|o| o.keys().collect())
                    .unwrap_or_default();
                return Err(RecommendError::InvalidParam {
                    name: "params",
                    reason: format!(
                        "{} has no parameter {unknown:?} (it has: {})",
                        self.name,
                        known
                            .iter()
                            .map(|k| k.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
            }
        }
        Ok(all)
    }

    /// What a fit of this spec depends on: the model's name and its resolved parameters
    /// without those that change only how histories are scored (EASE's recency). Two specs
    /// with the same key fit the same model; [`Component::set_scoring`] moves a fitted model
    /// from one to the other.
    pub fn fit_key(&self) -> Result<String, RecommendError> {
        let mut all = self.resolved_params()?;
        if let (Some(o), "ease") = (all.as_object_mut(), self.name.as_str()) {
            for k in Ease::SCORING_ONLY {
                o.remove(k);
            }
        }
        Ok(format!("{} {all}", self.name))
    }

    /// A blend's parameters: the given ones over the defaults of its kind (`hybrid`: the
    /// rating blend, `hybrid_rank`: the ranking blend).
    fn hybrid_params(&self) -> Result<HybridParams, RecommendError> {
        let base = if self.name == "hybrid_rank" {
            HybridParams::ranking()
        } else {
            HybridParams::default()
        };
        if self.params.is_null() {
            return Ok(base);
        }
        let mut base = serde_json::to_value(base)?;
        merge(&mut base, &self.params);
        Ok(serde_json::from_value(base)?)
    }

    fn params<P: DeserializeOwned + Default>(&self) -> Result<P, RecommendError> {
        if self.params.is_null() {
            Ok(P::default())
        } else {
            Ok(serde_json::from_value(self.params.clone())?)
        }
    }
}

/// Side information some components need.
#[derive(Debug, Clone, Default)]
pub struct SideInfo {
    /// Tokens per item for the content model.
    pub item_tokens: Vec<(ItemIdx, Vec<String>)>,
    /// Demographics per training user for demographic popularity.
    pub demographics: Vec<(UserIdx, Demographics)>,
}

/// Any trained model, as a serialisable enum. Its capabilities beyond [`Scorer`] are offered by
/// exhaustive accessors ([`Self::as_fold_in`], [`Self::as_forget_mut`], [`Self::as_similar`]):
/// a new variant does not compile until it states what it can do.
#[allow(missing_docs)]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Component {
    Baseline(Baseline),
    Mf(BiasedMf),
    SvdPP(SvdPP),
    Knn(ItemKnn),
    UserKnn(UserKnn),
    Als(Als),
    Popularity(Popularity),
    Trending(Trending),
    Demographic(DemographicPopularity),
    Content(Content),
    Hybrid(Box<Hybrid>),
    Ease(Ease),
}

impl Component {
    /// Trains the model named by `spec`.
    pub fn fit(
        spec: &ComponentSpec,
        data: &Interactions,
        side: &SideInfo,
    ) -> Result<Self, RecommendError> {
        Ok(match spec.name.as_str() {
            "baseline" => {
                Component::Baseline(Baseline::fit(data, &spec.params::<BaselineParams>()?)?)
            }
            "mf" => Component::Mf(BiasedMf::fit(data, &spec.params::<MfParams>()?)?),
            "svdpp" => Component::SvdPP(SvdPP::fit(data, &spec.params::<SvdPPParams>()?)?),
            "knn" => Component::Knn(ItemKnn::fit(data, &spec.params::<KnnParams>()?)?),
            "knn_rank" => Component::Knn(ItemKnn::fit(data, &knn_rank_params(spec)?)?),
            "user_knn" => Component::UserKnn(UserKnn::fit(data, &spec.params::<UserKnnParams>()?)?),
            "als" => Component::Als(Als::fit(data, &spec.params::<AlsParams>()?)?),
            "ease" => Component::Ease(Ease::fit(data, &spec.params::<EaseParams>()?)?),
            "popularity" => {
                Component::Popularity(Popularity::fit(data, &spec.params::<PopularityParams>()?)?)
            }
            "trending" => {
                Component::Trending(Trending::fit(data, &spec.params::<TrendingParams>()?)?)
            }
            "demographic" => Component::Demographic(DemographicPopularity::fit_with(
                data,
                &side.demographics,
                &spec.params::<DemographicParams>()?,
            )?),
            "content" => Component::Content(Content::fit_with(
                data.n_items(),
                &side.item_tokens,
                &spec.params::<ContentParams>()?,
            )?),
            "hybrid" | "hybrid_rank" => Component::Hybrid(Box::new(Hybrid::fit_with(
                data,
                side,
                &spec.hybrid_params()?,
            )?)),
            other => return Err(RecommendError::UnknownModel(other.to_string())),
        })
    }

    /// Takes the scoring-only parameters of `spec` (a spec with this model's
    /// [`ComponentSpec::fit_key`]); a model without any has nothing to change.
    pub fn set_scoring(&mut self, spec: &ComponentSpec) -> Result<(), RecommendError> {
        match self {
            Component::Ease(m) => m.set_scoring(&spec.params::<EaseParams>()?),
            _ => Ok(()),
        }
    }

    /// The model as a scorer.
    pub fn scorer(&self) -> &dyn Scorer {
        match self {
            Component::Baseline(m) => m,
            Component::Mf(m) => m,
            Component::SvdPP(m) => m,
            Component::Knn(m) => m,
            Component::UserKnn(m) => m,
            Component::Als(m) => m,
            Component::Popularity(m) => m,
            Component::Trending(m) => m,
            Component::Demographic(m) => m,
            Component::Content(m) => m,
            Component::Hybrid(m) => m.as_ref(),
            Component::Ease(m) => m,
        }
    }

    /// The model's fold-in, if it is a factor model (MF, SVD++, ALS). A blend is not one:
    /// [`Self::fold_in`] recurses into its components.
    pub fn as_fold_in(&self) -> Option<&dyn FoldIn> {
        match self {
            Component::Mf(m) => Some(m),
            Component::SvdPP(m) => Some(m),
            Component::Als(m) => Some(m),
            Component::Baseline(_)
            | Component::Knn(_)
            | Component::UserKnn(_)
            | Component::Popularity(_)
            | Component::Trending(_)
            | Component::Demographic(_)
            | Component::Content(_)
            | Component::Ease(_)
            | Component::Hybrid(_) => None,
        }
    }

    /// The model's forgetting, if it can forget a person. User-kNN cannot (it keeps the training
    /// matrix); a blend can when every one of its components can.
    pub fn as_forget_mut(&mut self) -> Option<&mut dyn ForgetUser> {
        match self {
            Component::Baseline(m) => Some(m),
            Component::Mf(m) => Some(m),
            Component::SvdPP(m) => Some(m),
            Component::Knn(m) => Some(m),
            Component::Als(m) => Some(m),
            Component::Popularity(m) => Some(m),
            Component::Trending(m) => Some(m),
            Component::Demographic(m) => Some(m),
            Component::Content(m) => Some(m),
            Component::Ease(m) => Some(m),
            Component::UserKnn(_) => None,
            Component::Hybrid(h) => {
                if h.ensure_forgets().is_ok() {
                    Some(h.as_mut())
                } else {
                    None
                }
            }
        }
    }

    /// The model's item-to-item neighbours, if it has them (item-kNN, content, ALS). A blend has
    /// no single item-to-item measure.
    pub fn as_similar(&self) -> Option<&dyn SimilarItems> {
        match self {
            Component::Knn(m) => Some(m),
            Component::Content(m) => Some(m),
            Component::Als(m) => Some(m),
            Component::Ease(m) => Some(m),
            Component::Baseline(_)
            | Component::Mf(_)
            | Component::SvdPP(_)
            | Component::UserKnn(_)
            | Component::Popularity(_)
            | Component::Trending(_)
            | Component::Demographic(_)
            | Component::Hybrid(_) => None,
        }
    }

    /// Re-solved user vectors (by [`Scorer::name`]) of every factor model, recursing into blends.
    pub fn fold_in(&self, user: &UserHistory<'_>, out: &mut Folded) {
        if let Component::Hybrid(h) = self {
            h.fold_in(user, out);
        } else if let Some(m) = self.as_fold_in() {
            out.vectors.insert(m.name().to_string(), m.fold_in(user));
        }
    }

    /// `Ok` if the model (every component of a blend, recursively) can forget a person, else
    /// [`RecommendError::CannotForget`] naming the first that cannot.
    pub fn ensure_forgets(&mut self) -> Result<(), RecommendError> {
        if let Component::Hybrid(h) = self {
            return h.ensure_forgets();
        }
        if self.as_forget_mut().is_some() {
            Ok(())
        } else {
            Err(RecommendError::CannotForget(self.scorer().name()))
        }
    }
}

/// The parameters a `knn_rank` spec resolves to (its fields over [`KnnParams::ranking`]).
pub(crate) fn knn_rank_params(spec: &ComponentSpec) -> Result<KnnParams, RecommendError> {
    if spec.params.is_null() {
        return Ok(KnnParams::ranking());
    }
    let mut base = serde_json::to_value(KnnParams::ranking())?;
    merge(&mut base, &spec.params);
    Ok(serde_json::from_value(base)?)
}

fn merge(base: &mut serde_json::Value, over: &serde_json::Value) {
    if let (Some(b), Some(o)) = (base.as_object_mut(), over.as_object()) {
        for (k, v) in o {
            b.insert(k.clone(), v.clone());
        }
    }
}

/// What the blend optimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Objective {
    /// Squared rating error (the blend outputs a predicted rating).
    Rating,
    /// NDCG@10 of the top-N list (the blend outputs a relevance score).
    Ranking,
}

/// Hyperparameters of [`Hybrid`] (`[recommender.hybrid]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HybridParams {
    /// Blended models.
    pub components: Vec<ComponentSpec>,
    /// What the weights optimise.
    pub objective: Objective,
    /// Share of every user's interactions held out to learn the weights.
    pub validation_fraction: f64,
    /// Upper bounds (exclusive) of the activity buckets by number of interactions: `[20, 100]`
    /// gives cold < 20 ≤ warm < 100 ≤ heavy.
    pub bucket_bounds: Vec<usize>,
    /// Ridge penalty of the rating blend.
    pub ridge: f64,
    /// Buckets with fewer validation samples use the weights learned on all buckets.
    pub min_bucket_samples: usize,
    /// Refit the components on all training data after learning the weights (not when the
    /// validation split held out less than [`REFIT_MIN_HELD_OUT`] of it: see the module docs).
    pub refit: bool,
    /// Seed of the validation split.
    pub seed: u64,
    /// Which of a user's interactions the validation split holds out.
    pub held_out: HeldOut,
}

/// Which of a user's interactions a blend holds out to learn its weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HeldOut {
    /// A seeded random share: the weights favour what predicts *other* items of a history.
    #[default]
    Random,
    /// Each user's latest share: the weights favour what predicts what the user did *next*
    /// (with a component that weighs recent interactions more, such as EASE's `recency`).
    Latest,
}

impl Default for HybridParams {
    fn default() -> Self {
        HybridParams {
            components: vec![
                ComponentSpec::new("baseline"),
                ComponentSpec::new("mf"),
                ComponentSpec::new("svdpp"),
                ComponentSpec::new("knn"),
            ],
            objective: Objective::Rating,
            validation_fraction: 0.1,
            bucket_bounds: vec![20, 100],
            ridge: 10.0,
            min_bucket_samples: 300,
            refit: true,
            seed: 7,
            held_out: HeldOut::Random,
        }
    }
}

impl HybridParams {
    /// The blend without the components that do not train on this data: EASE above its
    /// `max_items` (its dense solve would not fit), SVD++ above its `max_interactions_in_blend`
    /// (it would cost more than it adds), so a default that holds them trains at any scale. A
    /// blend they would leave empty is kept as it is (and fails as the component does).
    pub fn for_data(&self, n_items: usize, n_interactions: usize) -> HybridParams {
        let fits = |s: &ComponentSpec| match s.name.as_str() {
            "ease" => s
                .params::<EaseParams>()
                .is_ok_and(|p| n_items <= p.max_items),
            "svdpp" => s
                .params::<SvdPPParams>()
                .is_ok_and(|p| n_interactions <= p.max_interactions_in_blend),
            _ => true,
        };
        let components: Vec<ComponentSpec> = self
            .components
            .iter()
            .filter(|s| fits(s))
            .cloned()
            .collect();
        if components.is_empty() {
            return self.clone();
        }
        HybridParams {
            components,
            ..self.clone()
        }
    }

    /// Defaults for top-N ranking: ALS + item-kNN (cosine) + popularity.
    pub fn ranking() -> Self {
        HybridParams {
            components: vec![
                ComponentSpec::new("als"),
                ComponentSpec::new("knn_rank"),
                ComponentSpec::new("popularity"),
            ],
            objective: Objective::Ranking,
            min_bucket_samples: 30,
            ..Default::default()
        }
    }
}

/// Blend of several models with per-activity-bucket weights.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Hybrid {
    components: Vec<Component>,
    objective: Objective,
    bounds: Vec<usize>,
    /// Per bucket: `[intercept, w_1 … w_m]`.
    weights: Vec<Vec<f32>>,
    fallback: f32,
    min_rating: f32,
    max_rating: f32,
    /// Catalogue size at training (0 in blobs written before it was stored).
    #[serde(default)]
    n_items: usize,
}

/// Users whose held-out interactions validate the weights, at most (a seeded sample beyond, the
/// same users the ranking search would have kept): the search's cost and memory stop growing with
/// the number of users, and everyone else's interactions all go to the components.
pub const MAX_VALIDATION_USERS: usize = 10_000;

/// With `refit`, the components are fitted again on all the data unless the validation split held
/// out less than this share of it (a sampled validation on a large data set).
pub const REFIT_MIN_HELD_OUT: f64 = 0.01;

/// Splits each user's interactions into (fit, validation): a seeded random share, or with
/// [`HeldOut::Latest`] the latest share (by timestamp, ties by position). When more than
/// `max_users` users have enough interactions to hold some out (5), only a seeded sample of
/// `max_users` of them does; the others' interactions all go to the fit part (exactly as with no
/// limit otherwise).
fn validation_split(
    data: &Interactions,
    frac: f64,
    held_out: HeldOut,
    seed: u64,
    max_users: usize,
) -> (Interactions, Vec<Vec<usize>>) {
    const MIN_TO_HOLD_OUT: usize = 5;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let all = data.triplets();
    let ptr = data.user_ptr();
    let len = |u: usize| ptr[u + 1] - ptr[u];
    let mut eligible: Vec<usize> = (0..data.n_users())
        .filter(|&u| len(u) >= MIN_TO_HOLD_OUT)
        .collect();
    let sample: Option<Vec<bool>> = (eligible.len() > max_users).then(|| {
        eligible.shuffle(&mut ChaCha8Rng::seed_from_u64(seed.wrapping_add(1)));
        let mut chosen = vec![false; data.n_users()];
        for &u in &eligible[..max_users] {
            chosen[u] = true;
        }
        chosen
    });
    let mut keep: Vec<Triplet> = Vec::with_capacity(all.len());
    let mut val: Vec<Vec<usize>> = vec![Vec::new(); data.n_users()];
    for u in 0..data.n_users() {
        if sample.as_ref().is_some_and(|c| !c[u]) {
            keep.extend_from_slice(&all[ptr[u]..ptr[u + 1]]);
            continue;
        }
        let mut pos: Vec<usize> = (ptr[u]..ptr[u + 1]).collect();
        match held_out {
            HeldOut::Random => pos.shuffle(&mut rng),
            // latest first, so the share taken below is the latest
            HeldOut::Latest => pos.sort_by_key(|&p| std::cmp::Reverse((all[p].timestamp, p))),
        }
        let n_val = if pos.len() >= MIN_TO_HOLD_OUT {
            ((pos.len() as f64) * frac).ceil() as usize
        } else {
            0
        };
        let (v, k) = pos.split_at(n_val);
        val[u] = v.to_vec();
        keep.extend(k.iter().map(|&p| all[p]));
    }
    drop(all);
    let fit =
        Interactions::from_triplet_vec(data.n_users(), data.n_items(), keep).unwrap_or_default();
    (fit, val)
}

/// Whether a blend with `refit` fits its components again on `data` after its validation split
/// kept `fit` for them: not when less than [`REFIT_MIN_HELD_OUT`] was held out.
fn refits(p: &HybridParams, data: &Interactions, fit: &Interactions) -> bool {
    p.refit && (data.nnz() - fit.nnz()) as f64 >= REFIT_MIN_HELD_OUT * data.nnz() as f64
}

fn bucket_of(bounds: &[usize], n: usize) -> usize {
    bounds.iter().take_while(|&&b| n >= b).count()
}

/// Mean, standard deviation and minimum of the finite values (`None` if there are none).
fn moments(all: &[f32]) -> Option<(f32, f32, f32)> {
    let (mut sum, mut n, mut lo) = (0f32, 0usize, f32::INFINITY);
    for &x in all.iter().filter(|x| x.is_finite()) {
        sum += x;
        n += 1;
        lo = lo.min(x);
    }
    if n == 0 {
        return None;
    }
    let nf = n as f32;
    let mean = sum / nf;
    let var: f32 = all
        .iter()
        .filter(|x| x.is_finite())
        .map(|x| (x - mean) * (x - mean))
        .sum::<f32>();
    Some((mean, (var / nf).sqrt().max(1e-9), lo))
}

/// Standardises scores over all items (NaN → the minimum), returning the candidates' values.
fn standardise(all: &Array1<f32>) -> Vec<f32> {
    let v = all
        .as_slice()
        .map(<[f32]>::to_vec)
        .unwrap_or_else(|| all.to_vec());
    let Some((mean, sd, lo)) = moments(&v) else {
        return vec![0.0; v.len()];
    };
    v.iter()
        .map(|&x| (if x.is_finite() { x } else { lo } - mean) / sd)
        .collect()
}

/// `total += w · standardise(all)` without the intermediate vector.
fn add_standardised(total: &mut [f32], all: &[f32], w: f32) {
    let Some((mean, sd, lo)) = moments(all) else {
        return;
    };
    for (t, &x) in total.iter_mut().zip(all) {
        *t += w * ((if x.is_finite() { x } else { lo } - mean) / sd);
    }
}

impl Hybrid {
    /// Trains the blend (see the module docs) of the components that train on this data
    /// ([`HybridParams::for_data`]).
    pub fn fit_with(
        data: &Interactions,
        side: &SideInfo,
        p: &HybridParams,
    ) -> Result<Self, RecommendError> {
        if p.components.is_empty() {
            return Err(RecommendError::InvalidParam {
                name: "components",
                reason: "at least one component is needed".into(),
            });
        }
        let p = &p.for_data(data.n_items(), data.nnz());
        let (fit_data, val) = validation_split(
            data,
            p.validation_fraction,
            p.held_out,
            p.seed,
            MAX_VALIDATION_USERS,
        );
        let fit_all = |d: &Interactions| -> Result<Vec<Component>, RecommendError> {
            p.components
                .par_iter()
                .map(|s| Component::fit(s, d, side))
                .collect()
        };
        let comps = fit_all(&fit_data)?;
        let n_buckets = p.bounds_len();
        let (lo, hi) = rating_range(data);
        let fallback = data.global_mean();
        let weights = match p.objective {
            Objective::Rating => {
                learn_rating(&comps, &fit_data, data, &val, p, n_buckets, fallback)
            }
            Objective::Ranking => learn_ranking(&comps, &fit_data, data, &val, p, n_buckets),
        };
        let components = if refits(p, data, &fit_data) {
            fit_all(data)?
        } else {
            comps
        };
        Ok(Hybrid {
            components,
            objective: p.objective,
            bounds: p.bucket_bounds.clone(),
            weights,
            fallback,
            min_rating: lo,
            max_rating: hi,
            n_items: data.n_items(),
        })
    }

    /// A blend with known weights (`[intercept, w_1 … w_m]` per bucket, as [`Self::weights`]
    /// returns them): components that `given` supplies are taken as they are, the others are
    /// fitted on the data they would have been fitted on by [`Self::fit_with`] (all of it with
    /// `refit`, else the same seeded validation split). Rebuilds a blend whose factor model was
    /// trained elsewhere.
    pub fn assemble(
        data: &Interactions,
        side: &SideInfo,
        p: &HybridParams,
        weights: Vec<Vec<f32>>,
        mut given: impl FnMut(&ComponentSpec) -> Option<Component>,
    ) -> Result<Self, RecommendError> {
        let m = p.components.len();
        if m == 0 || weights.len() != p.bounds_len() || weights.iter().any(|w| w.len() != m + 1) {
            return Err(RecommendError::InvalidParam {
                name: "weights",
                reason: format!(
                    "{} components and {} activity buckets need {} rows of {} weights",
                    m,
                    p.bounds_len(),
                    p.bounds_len(),
                    m + 1
                ),
            });
        }
        if weights.iter().flatten().any(|w| !w.is_finite()) {
            return Err(RecommendError::InvalidParam {
                name: "weights",
                reason: "every weight must be a finite number".into(),
            });
        }
        let split = validation_split(
            data,
            p.validation_fraction,
            p.held_out,
            p.seed,
            MAX_VALIDATION_USERS,
        )
        .0;
        let fit_data = if refits(p, data, &split) {
            data
        } else {
            &split
        };
        let given: Vec<Option<Component>> = p.components.iter().map(&mut given).collect();
        let components = p
            .components
            .par_iter()
            .zip(given)
            .map(|(s, g)| match g {
                Some(c) => Ok(c),
                None => Component::fit(s, fit_data, side),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let (lo, hi) = rating_range(data);
        Ok(Hybrid {
            components,
            objective: p.objective,
            bounds: p.bucket_bounds.clone(),
            weights,
            fallback: data.global_mean(),
            min_rating: lo,
            max_rating: hi,
            n_items: data.n_items(),
        })
    }

    /// The blended models.
    pub fn components(&self) -> &[Component] {
        &self.components
    }

    /// Re-solved user vectors of every factor model among the components (recursively).
    pub fn fold_in(&self, user: &UserHistory<'_>, out: &mut Folded) {
        for c in &self.components {
            c.fold_in(user, out);
        }
    }

    /// `Ok` if every component (recursively) can forget a person, else
    /// [`RecommendError::CannotForget`] naming the first that cannot. A snapshot serves only
    /// blends that pass.
    pub fn ensure_forgets(&mut self) -> Result<(), RecommendError> {
        self.components
            .iter_mut()
            .try_for_each(Component::ensure_forgets)
    }

    /// The first item-kNN component in `knn_rank` (sum) mode, if any.
    pub(crate) fn knn_rank(&self) -> Option<&ItemKnn> {
        self.components.iter().find_map(|c| match c {
            Component::Knn(m) if m.name() == "knn_rank" => Some(m),
            _ => None,
        })
    }

    /// Learned weights per bucket (`[intercept, w_1 … w_m]`).
    pub fn weights(&self) -> &[Vec<f32>] {
        &self.weights
    }
}

impl HybridParams {
    fn bounds_len(&self) -> usize {
        self.bucket_bounds.len() + 1
    }
}

fn rating_range(data: &Interactions) -> (f32, f32) {
    let mut lo = f32::INFINITY;
    let mut hi = f32::NEG_INFINITY;
    for t in data.triplets() {
        if !t.rating.is_nan() {
            lo = lo.min(t.rating);
            hi = hi.max(t.rating);
        }
    }
    if lo > hi {
        (f32::NEG_INFINITY, f32::INFINITY)
    } else {
        (lo, hi)
    }
}

fn learn_rating(
    comps: &[Component],
    fit_data: &Interactions,
    full: &Interactions,
    val: &[Vec<usize>],
    p: &HybridParams,
    n_buckets: usize,
    fallback: f32,
) -> Vec<Vec<f32>> {
    let m = comps.len();
    let all = full.triplets();
    let rows: Vec<(usize, Vec<f32>, f32)> = (0..full.n_users())
        .into_par_iter()
        .flat_map_iter(|u| {
            let uu = UserIdx(u as u32);
            let h = fit_data.history(uu);
            let cells: Vec<&Triplet> = val[u]
                .iter()
                .map(|&x| &all[x])
                .filter(|t| !t.rating.is_nan())
                .collect();
            let items: Vec<ItemIdx> = cells.iter().map(|t| t.item).collect();
            let scores: Vec<Array1<f32>> = if items.is_empty() {
                Vec::new()
            } else {
                comps.iter().map(|c| c.scorer().score(&h, &items)).collect()
            };
            let b = bucket_of(&p.bucket_bounds, h.len());
            cells
                .iter()
                .enumerate()
                .map(|(k, t)| {
                    let mut x = Vec::with_capacity(m + 1);
                    x.push(1.0);
                    for s in &scores {
                        let v = s[k];
                        x.push(if v.is_finite() { v } else { fallback });
                    }
                    (b, x, t.rating)
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let solve = |sel: &dyn Fn(usize) -> bool| -> Option<Vec<f32>> {
        let (xs, ys): (Vec<Vec<f32>>, Vec<f32>) = rows
            .iter()
            .filter(|r| sel(r.0))
            .map(|r| (r.1.clone(), r.2))
            .unzip();
        if xs.len() < m + 2 {
            return None;
        }
        ridge(&xs, &ys, p.ridge, m + 1).map(|w| w.into_iter().map(|v| v as f32).collect())
    };
    let mut equal = vec![0f32; m + 1];
    equal[1..].iter_mut().for_each(|w| *w = 1.0 / m as f32);
    let global = solve(&|_| true).unwrap_or(equal);
    (0..n_buckets)
        .map(|b| {
            let n = rows.iter().filter(|r| r.0 == b).count();
            if n >= p.min_bucket_samples {
                solve(&|x| x == b).unwrap_or_else(|| global.clone())
            } else {
                global.clone()
            }
        })
        .collect()
}

/// The `k` best items `0..scores.len()` not in `seen` (sorted): what
/// `rank_scores(&all_items(n), scores, seen, &[], k)` returns, without sorting the catalogue.
fn top_unseen(scores: &[f32], seen: &[ItemIdx], k: usize) -> Vec<ItemIdx> {
    use std::cmp::Ordering::Greater;
    let mut buf: Vec<(f32, ItemIdx)> = Vec::with_capacity(k + 1);
    if k == 0 {
        return Vec::new();
    }
    let mut sp = 0;
    for (i, &x) in scores.iter().enumerate() {
        let i = ItemIdx(i as u32);
        while sp < seen.len() && seen[sp] < i {
            sp += 1;
        }
        if (sp < seen.len() && seen[sp] == i) || x.is_nan() {
            continue;
        }
        // items come in ascending index order, so an equal score never displaces a kept item
        if buf.len() == k && x.total_cmp(&buf[k - 1].0) != Greater {
            continue;
        }
        let pos = buf
            .iter()
            .position(|b| x.total_cmp(&b.0) == Greater)
            .unwrap_or(buf.len());
        buf.insert(pos, (x, i));
        buf.truncate(k);
    }
    buf.into_iter().map(|x| x.1).collect()
}

/// Per validation user and component, the best unseen items kept for the weight search. A blend's
/// top 10 comes from the union of its components' top lists unless an item is mediocre in every
/// component, so the search scores a few hundred items per user instead of the catalogue.
const SHORTLIST: usize = 200;

fn learn_ranking(
    comps: &[Component],
    fit_data: &Interactions,
    full: &Interactions,
    val: &[Vec<usize>],
    p: &HybridParams,
    n_buckets: usize,
) -> Vec<Vec<f32>> {
    let m = comps.len();
    let all = full.triplets();
    let cands = all_items(full.n_items());
    let pool: Vec<usize> = (0..full.n_users())
        .filter(|&u| !val[u].is_empty())
        .collect();
    // per validation user: bucket, shortlisted items (ascending), the components' standardised
    // scores of those items (component-major), relevant set
    type UserData = (usize, Vec<ItemIdx>, Vec<Vec<f32>>, HashSet<ItemIdx>);
    let users: Vec<UserData> = pool
        .into_par_iter()
        .map(|u| {
            let h = fit_data.history(UserIdx(u as u32));
            let mut seen = h.items.to_vec();
            seen.sort_unstable();
            let z: Vec<Vec<f32>> = comps
                .iter()
                .map(|c| standardise(&c.scorer().score(&h, &cands)))
                .collect();
            let mut short: Vec<ItemIdx> = z
                .iter()
                .flat_map(|zc| top_unseen(zc, &seen, SHORTLIST))
                .collect();
            short.sort_unstable();
            short.dedup();
            let zs = z
                .iter()
                .map(|zc| short.iter().map(|i| zc[i.ix()]).collect())
                .collect();
            let rel = val[u].iter().map(|&x| all[x].item).collect();
            (bucket_of(&p.bucket_bounds, h.len()), short, zs, rel)
        })
        .collect();
    let ndcg = |w: &[f32], b: Option<usize>| -> f64 {
        let sel: Vec<&UserData> = users
            .iter()
            .filter(|x| b.is_none_or(|b| x.0 == b))
            .collect();
        let total: f64 = sel
            .par_iter()
            .map(|(_, short, z, rel)| {
                // component by component (vectorises), in the same order of additions as a
                // per-item sum starting from -0.0
                let mut s = vec![-0.0f32; short.len()];
                for (c, zc) in z.iter().enumerate() {
                    let wc = w[c + 1];
                    for (t, &x) in s.iter_mut().zip(zc) {
                        *t += wc * x;
                    }
                }
                // positions ascend with item index, so ties break as over the catalogue
                let top: Vec<ItemIdx> = top_unseen(&s, &[], 10)
                    .into_iter()
                    .map(|pos| short[pos.ix()])
                    .collect();
                rank_metrics(&top, rel, 10).ndcg
            })
            .sum();
        total / sel.len().max(1) as f64
    };
    let grid = [0.0f32, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0];
    let search = |b: Option<usize>| -> Vec<f32> {
        let mut w = vec![0f32; m + 1];
        w[1] = 1.0;
        let mut best = ndcg(&w, b);
        for _ in 0..2 {
            for c in 2..=m {
                for &g in &grid {
                    let mut t = w.clone();
                    t[c] = g;
                    let v = ndcg(&t, b);
                    if v > best + 1e-9 {
                        best = v;
                        w = t;
                    }
                }
            }
        }
        w
    };
    let global = search(None);
    (0..n_buckets)
        .map(|b| {
            let n = users.iter().filter(|x| x.0 == b).count();
            if n >= p.min_bucket_samples {
                search(Some(b))
            } else {
                global.clone()
            }
        })
        .collect()
}

/// Forgets the user in every component that can. [`Component::as_forget_mut`] offers a blend only
/// when all of them can ([`Hybrid::ensure_forgets`]), and a snapshot serves no other.
impl ForgetUser for Hybrid {
    fn forget_user(&mut self, u: UserIdx) {
        for c in &mut self.components {
            if let Some(m) = c.as_forget_mut() {
                m.forget_user(u);
            }
        }
    }
}

impl Scorer for Hybrid {
    fn name(&self) -> &'static str {
        match self.objective {
            Objective::Rating => "hybrid",
            Objective::Ranking => "hybrid_rank",
        }
    }
    fn score(&self, user: &UserHistory<'_>, candidates: &[ItemIdx]) -> Array1<f32> {
        let w = &self.weights[bucket_of(&self.bounds, user.len()).min(self.weights.len() - 1)];
        match self.objective {
            Objective::Rating => {
                let scores: Vec<Array1<f32>> = self
                    .components
                    .iter()
                    .zip(&w[1..])
                    .map(|(c, &wc)| {
                        if wc == 0.0 {
                            // contributes 0 · fallback
                            Array1::from_elem(candidates.len(), f32::NAN)
                        } else {
                            c.scorer().score(user, candidates)
                        }
                    })
                    .collect();
                (0..candidates.len())
                    .map(|k| {
                        // no component can score it (an item unknown to every model)
                        if scores.iter().all(|sc| sc[k].is_nan()) {
                            return f32::NAN;
                        }
                        let mut s = w[0];
                        for (c, sc) in scores.iter().enumerate() {
                            let v = sc[k];
                            s += w[c + 1] * if v.is_finite() { v } else { self.fallback };
                        }
                        s.clamp(self.min_rating, self.max_rating)
                    })
                    .collect()
            }
            Objective::Ranking => {
                let total = self.ranking_scores(user);
                candidates
                    .iter()
                    .map(|i| total.get(i.ix()).copied().unwrap_or(f32::NAN))
                    .collect()
            }
        }
    }
}

impl Hybrid {
    /// Ranking objective: the blended score of every item `0..n_items` (what `score` returns for
    /// the candidates), computed once per user.
    pub(crate) fn ranking_scores(&self, user: &UserHistory<'_>) -> Vec<f32> {
        self.ranking_scores_scaled(user, &[])
    }

    /// [`Self::ranking_scores`] with each named component's learned weight multiplied by its
    /// factor in `scale` (components not named keep their weight; a factor of 0 leaves the
    /// component out).
    pub(crate) fn ranking_scores_scaled(
        &self,
        user: &UserHistory<'_>,
        scale: &[(String, f32)],
    ) -> Vec<f32> {
        let w = &self.weights[bucket_of(&self.bounds, user.len()).min(self.weights.len() - 1)];
        let all = all_items(self.n_items());
        let mut total = vec![0f32; all.len()];
        for (c, &wc) in self.components.iter().zip(&w[1..]) {
            let name = c.scorer().name();
            let factor = scale
                .iter()
                .find(|(n, _)| n == name)
                .map_or(1.0, |(_, f)| *f);
            let wc = wc * factor;
            if wc == 0.0 {
                continue;
            }
            let s = c.scorer().score(user, &all);
            add_standardised(&mut total, s.as_slice().unwrap_or(&s.to_vec()), wc);
        }
        total
    }

    /// The names of the blend's components, in order.
    pub fn component_names(&self) -> Vec<&'static str> {
        self.components.iter().map(|c| c.scorer().name()).collect()
    }

    /// Whether the blend ranks (rather than predicts ratings).
    pub(crate) fn is_ranking(&self) -> bool {
        self.objective == Objective::Ranking
    }

    /// The catalogue size the ranking objective scores over.
    fn n_items(&self) -> usize {
        if self.n_items > 0 {
            return self.n_items;
        }
        // blobs written before the size was stored: the estimate used then (the largest item
        // table among the components that expose one)
        self.components
            .iter()
            .map(|c| match c {
                Component::Knn(m) => m.n_items(),
                Component::Popularity(m) => m.scores().len(),
                Component::Als(m) => m.item_factors().len() / m.factors(),
                Component::Mf(m) => m.item_bias().len(),
                _ => 0,
            })
            .max()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recommender::contract::{assert_forget_contract, assert_scorer_contract, fixture};
    use crate::recommender::rank_scores;
    use serde_json::json;

    fn rating_params() -> HybridParams {
        HybridParams {
            components: vec![
                ComponentSpec::new("baseline"),
                ComponentSpec::with(
                    "mf",
                    json!({"factors": 8, "epochs": 60, "lr": 0.02, "lr_bias": 0.02}),
                ),
                ComponentSpec::with("knn", json!({"shrinkage": 1.0})),
            ],
            min_bucket_samples: 5,
            validation_fraction: 0.2,
            ..Default::default()
        }
    }

    #[test]
    fn a_latest_validation_split_holds_out_each_users_latest_interactions() {
        // 6 users × 10 items, item i rated at second 100 − i: the latest are the lowest items
        let t: Vec<Triplet> = (0..6u32)
            .flat_map(|u| {
                (0..10u32).map(move |i| Triplet {
                    user: UserIdx(u),
                    item: ItemIdx(i),
                    rating: 4.0,
                    confidence: 1.0,
                    timestamp: 100 - i64::from(i),
                })
            })
            .collect();
        let data = Interactions::from_triplets(6, 10, &t).unwrap();
        let all = data.triplets();
        let (fit, val) = validation_split(&data, 0.3, HeldOut::Latest, 3, usize::MAX);
        for (u, held) in val.iter().enumerate() {
            let mut items: Vec<u32> = held.iter().map(|&p| all[p].item.0).collect();
            items.sort_unstable();
            assert_eq!(items, [0, 1, 2], "user {u}");
            assert_eq!(fit.user_items(UserIdx(u as u32)).len(), 7);
        }
        // the seed plays no part; a random split holds out others
        assert_eq!(
            validation_split(&data, 0.3, HeldOut::Latest, 4, usize::MAX).1,
            val
        );
        assert_ne!(
            validation_split(&data, 0.3, HeldOut::Random, 3, usize::MAX).1,
            val
        );
    }

    #[test]
    fn a_validation_split_over_many_users_holds_out_from_a_seeded_sample_only() {
        let data = fixture().data;
        let n = data.n_users();
        let full = |u: usize| data.history(UserIdx(u as u32)).len();
        let kept = |fit: &Interactions, u: usize| fit.history(UserIdx(u as u32)).len();
        // Up to the limit: everyone holds some out, exactly as with no limit.
        let (all_fit, all_val) = validation_split(&data, 0.2, HeldOut::Random, 3, usize::MAX);
        let (same_fit, same_val) = validation_split(&data, 0.2, HeldOut::Random, 3, n);
        assert_eq!(all_val, same_val);
        assert_eq!(all_fit.triplets(), same_fit.triplets());
        assert!((0..n)
            .all(|u| !all_val[u].is_empty() && kept(&all_fit, u) + all_val[u].len() == full(u)));
        // Over it: `max_users` of them hold out as before; everyone else keeps every interaction
        // for the components. The same seed draws the same sample, another seed another.
        let (fit, val) = validation_split(&data, 0.2, HeldOut::Random, 3, 5);
        let sampled: Vec<usize> = (0..n).filter(|&u| !val[u].is_empty()).collect();
        assert_eq!(sampled.len(), 5);
        for (u, held) in val.iter().enumerate() {
            assert_eq!(kept(&fit, u) + held.len(), full(u), "user {u}");
        }
        assert_eq!(
            fit.nnz() + sampled.iter().map(|&u| val[u].len()).sum::<usize>(),
            data.nnz()
        );
        assert_eq!(validation_split(&data, 0.2, HeldOut::Random, 3, 5).1, val);
        assert_ne!(validation_split(&data, 0.2, HeldOut::Random, 4, 5).1, val);
        // A refit is skipped only when what was held out is a sliver of the data.
        let p = HybridParams::ranking();
        assert!(refits(&p, &data, &fit));
        assert!(!refits(
            &HybridParams {
                refit: false,
                ..p.clone()
            },
            &data,
            &all_fit
        ));
        let (nearly_all, _) = validation_split(&data, 0.001, HeldOut::Random, 3, 1);
        assert_eq!(data.nnz() - nearly_all.nnz(), 1);
        assert!(!refits(&p, &data, &nearly_all));
    }

    #[test]
    fn a_blends_components_are_checked_and_resolved_like_models() {
        let typo = ComponentSpec::with(
            "hybrid_rank",
            json!({"components": [{"name": "als", "params": {"regularisation": 3}}]}),
        );
        let err = typo.resolved_params().unwrap_err().to_string();
        assert!(
            err.contains("als has no parameter \"regularisation\""),
            "{err}"
        );
        let unknown = ComponentSpec::with("hybrid", json!({"components": [{"name": "slim"}]}));
        assert!(unknown.resolved_params().is_err());
        let given = ComponentSpec::with(
            "hybrid_rank",
            json!({"components": [{"name": "als", "params": {"reg": 30.0}}, {"name": "popularity"}]}),
        );
        let all = given.resolved_params().unwrap();
        let als = &all["components"][0];
        assert_eq!(
            (&als["name"], &als["params"]["reg"]),
            (&json!("als"), &json!(30.0))
        );
        assert_eq!(
            als["params"]["factors"],
            json!(AlsParams::default().factors)
        );
        assert_eq!(all["objective"], json!("ranking"));
    }

    #[test]
    fn rating_hybrid_passes_the_contract() {
        assert_scorer_contract(
            |f| Hybrid::fit_with(&f.data, &SideInfo::default(), &rating_params()).unwrap(),
            true,
        );
    }

    fn ranking_params() -> HybridParams {
        HybridParams {
            components: vec![
                ComponentSpec::with(
                    "als",
                    json!({"factors": 8, "iterations": 10, "reg": 0.1, "alpha": 5.0}),
                ),
                ComponentSpec::new("knn_rank"),
                ComponentSpec::new("popularity"),
            ],
            min_bucket_samples: 5,
            validation_fraction: 0.2,
            ..HybridParams::ranking()
        }
    }

    #[test]
    fn ranking_hybrid_passes_the_contract() {
        assert_scorer_contract(
            |f| Hybrid::fit_with(&f.data, &SideInfo::default(), &ranking_params()).unwrap(),
            true,
        );
    }

    #[test]
    fn a_ranking_blend_of_any_models_scores_the_whole_catalogue() {
        // neither a factor nor a neighbour model: the catalogue size comes from training
        let p = HybridParams {
            components: vec![ComponentSpec::new("svdpp"), ComponentSpec::new("content")],
            min_bucket_samples: 5,
            validation_fraction: 0.2,
            ..HybridParams::ranking()
        };
        assert_scorer_contract(
            |f| {
                let side = SideInfo {
                    item_tokens: f.tokens.clone(),
                    demographics: Vec::new(),
                };
                Hybrid::fit_with(&f.data, &side, &p).unwrap()
            },
            false,
        );
    }

    #[test]
    fn hybrids_forget_a_user_in_every_component() {
        for p in [rating_params(), ranking_params()] {
            assert_forget_contract(|f| {
                Hybrid::fit_with(&f.data, &SideInfo::default(), &p).unwrap()
            });
        }
    }

    #[test]
    fn every_component_states_its_capabilities() {
        let fx = fixture();
        let side = SideInfo {
            item_tokens: fx.tokens.clone(),
            demographics: Vec::new(),
        };
        // (name, fold-in, forget, similar items)
        let table = [
            ("baseline", false, true, false),
            ("mf", true, true, false),
            ("svdpp", true, true, false),
            ("knn", false, true, true),
            ("knn_rank", false, true, true),
            ("user_knn", false, false, false),
            ("als", true, true, true),
            ("popularity", false, true, false),
            ("trending", false, true, false),
            ("demographic", false, true, false),
            ("content", false, true, true),
            ("ease", false, true, true),
            ("hybrid_rank", false, true, false),
        ];
        for (name, fold_in, forget, similar) in table {
            let mut c = Component::fit(&ComponentSpec::new(name), &fx.data, &side).unwrap();
            assert_eq!(c.as_fold_in().is_some(), fold_in, "{name}: fold-in");
            assert_eq!(c.as_similar().is_some(), similar, "{name}: similar items");
            assert_eq!(c.as_forget_mut().is_some(), forget, "{name}: forget");
            assert_eq!(c.ensure_forgets().is_ok(), forget, "{name}: ensure_forgets");
        }
    }

    #[test]
    fn a_blend_holding_user_knn_cannot_forget_even_when_nested() {
        let fx = fixture();
        let inner = json!({
            "components": [{"name": "mf", "params": {"factors": 4, "epochs": 5}}, {"name": "user_knn"}],
            "min_bucket_samples": 5,
        });
        let spec = ComponentSpec::with(
            "hybrid",
            json!({
                "components": [{"name": "baseline"}, {"name": "hybrid", "params": inner}],
                "min_bucket_samples": 5,
            }),
        );
        let mut c = Component::fit(&spec, &fx.data, &SideInfo::default()).unwrap();
        assert!(c.as_forget_mut().is_none());
        assert!(matches!(
            c.ensure_forgets(),
            Err(RecommendError::CannotForget("user_knn"))
        ));
        // fold-in still recurses into the nested blend
        let mut out = Folded::default();
        c.fold_in(&fx.data.history(UserIdx(0)), &mut out);
        assert_eq!(out.vectors.keys().collect::<Vec<_>>(), ["mf"]);
    }

    #[test]
    fn a_seed_reaches_every_seeded_model_unless_one_is_given() {
        let blend = ComponentSpec::new("hybrid_rank").seeded(5).unwrap();
        let p = blend.hybrid_params().unwrap();
        assert_eq!((p.seed, p.objective), (5, Objective::Ranking));
        let als = &p.components[0];
        assert_eq!((als.name.as_str(), &als.params["seed"]), ("als", &json!(5)));
        assert!(
            p.components[1].params.get("seed").is_none(),
            "knn_rank has no seed"
        );
        let own = ComponentSpec::with("mf", json!({"seed": 9, "factors": 4}))
            .seeded(5)
            .unwrap();
        assert_eq!(own.params, json!({"seed": 9, "factors": 4}));
        // Partial blend parameters keep the defaults of their kind.
        let partial = ComponentSpec::with("hybrid_rank", json!({"refit": false}));
        let p = partial.seeded(3).unwrap().hybrid_params().unwrap();
        assert_eq!(p.components.len(), HybridParams::ranking().components.len());
        assert!(!p.refit);
        let fx = fixture();
        let fit = |seed| {
            let spec = ComponentSpec::with("mf", json!({"factors": 4, "epochs": 3}));
            match Component::fit(&spec.seeded(seed).unwrap(), &fx.data, &SideInfo::default()) {
                Ok(Component::Mf(m)) => serde_json::to_string(&m).unwrap(),
                _ => panic!("not an MF model"),
            }
        };
        assert_eq!(fit(1), fit(1));
        assert_ne!(fit(1), fit(2));
    }

    #[test]
    fn top_unseen_matches_rank_scores() {
        let s = [0.5f32, f32::NAN, 0.9, 0.5, -0.0, 0.0, 0.9, 2.0, 0.5];
        let seen = [ItemIdx(7), ItemIdx(8)];
        for k in 0..10 {
            let want: Vec<ItemIdx> = rank_scores(&all_items(s.len()), &s, &seen, &[], k)
                .into_iter()
                .map(|x| x.0)
                .collect();
            assert_eq!(top_unseen(&s, &seen, k), want, "k = {k}");
        }
    }

    #[test]
    fn hybrid_round_trips_through_json() {
        let fx = crate::recommender::contract::fixture();
        let h = Hybrid::fit_with(&fx.data, &SideInfo::default(), &rating_params()).unwrap();
        let back: Hybrid = serde_json::from_str(&serde_json::to_string(&h).unwrap()).unwrap();
        let hist = fx.data.history(UserIdx(1));
        let c = all_items(4);
        assert_eq!(h.score(&hist, &c), back.score(&hist, &c));
        assert_eq!(h.weights().len(), 3);
    }
}
