//! The blends as blob formats 3 and 4 laid them out: the same as now, except that an EASE
//! component held its weights only and the parameters had no `held_out` (format 5 added EASE's
//! recency weighting and the latest-interactions validation split). Postcard is not
//! self-describing, so an old blob is read with these mirrors, then converted.

use super::super::als::Als;
use super::super::content::Content;
use super::super::ease::Ease;
use super::super::knn::{Baseline, ItemKnn, UserKnn};
use super::super::mf::{BiasedMf, SvdPP};
use super::super::popularity::{DemographicPopularity, Popularity, Trending};
use super::super::ItemIdx;
use super::{Component, ComponentSpec, HeldOut, Hybrid, HybridParams, Objective};
use serde::Deserialize;
#[cfg(test)]
use serde::Serialize;

/// [`HybridParams`] in formats 3 and 4.
#[derive(Deserialize)]
#[cfg_attr(test, derive(Serialize))]
pub(crate) struct HybridParamsV4 {
    components: Vec<ComponentSpec>,
    objective: Objective,
    validation_fraction: f64,
    bucket_bounds: Vec<usize>,
    ridge: f64,
    min_bucket_samples: usize,
    refit: bool,
    seed: u64,
}

impl From<HybridParamsV4> for HybridParams {
    fn from(p: HybridParamsV4) -> HybridParams {
        HybridParams {
            components: p.components,
            objective: p.objective,
            validation_fraction: p.validation_fraction,
            bucket_bounds: p.bucket_bounds,
            ridge: p.ridge,
            min_bucket_samples: p.min_bucket_samples,
            refit: p.refit,
            seed: p.seed,
            // the only split format 4 had
            held_out: HeldOut::Random,
        }
    }
}

/// Parameters in format 4's layout (for the readers' tests).
#[cfg(test)]
pub(crate) fn to_v4_params(p: &HybridParams) -> HybridParamsV4 {
    HybridParamsV4 {
        components: p.components.clone(),
        objective: p.objective,
        validation_fraction: p.validation_fraction,
        bucket_bounds: p.bucket_bounds.clone(),
        ridge: p.ridge,
        min_bucket_samples: p.min_bucket_samples,
        refit: p.refit,
        seed: p.seed,
    }
}

/// [`Hybrid`] in formats 3 and 4.
#[derive(Deserialize)]
#[cfg_attr(test, derive(Serialize))]
pub(crate) struct HybridV4 {
    components: Vec<ComponentV4>,
    objective: Objective,
    bounds: Vec<usize>,
    weights: Vec<Vec<f32>>,
    fallback: f32,
    min_rating: f32,
    max_rating: f32,
    n_items: usize,
}

/// [`Component`] in formats 3 and 4 (variants in the same order).
#[derive(Deserialize)]
#[cfg_attr(test, derive(Serialize))]
enum ComponentV4 {
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
    Hybrid(Box<HybridV4>),
    Ease(EaseV4),
}

/// EASE in format 4: its weights.
#[derive(Deserialize)]
#[cfg_attr(test, derive(Serialize))]
struct EaseV4 {
    #[serde(with = "super::super::compact::neighbours")]
    weights: Vec<Vec<(ItemIdx, f32)>>,
}

impl From<HybridV4> for Hybrid {
    fn from(h: HybridV4) -> Hybrid {
        Hybrid {
            components: h.components.into_iter().map(Component::from).collect(),
            objective: h.objective,
            bounds: h.bounds,
            weights: h.weights,
            fallback: h.fallback,
            min_rating: h.min_rating,
            max_rating: h.max_rating,
            n_items: h.n_items,
        }
    }
}

impl From<ComponentV4> for Component {
    fn from(c: ComponentV4) -> Component {
        match c {
            ComponentV4::Baseline(m) => Component::Baseline(m),
            ComponentV4::Mf(m) => Component::Mf(m),
            ComponentV4::SvdPP(m) => Component::SvdPP(m),
            ComponentV4::Knn(m) => Component::Knn(m),
            ComponentV4::UserKnn(m) => Component::UserKnn(m),
            ComponentV4::Als(m) => Component::Als(m),
            ComponentV4::Popularity(m) => Component::Popularity(m),
            ComponentV4::Trending(m) => Component::Trending(m),
            ComponentV4::Demographic(m) => Component::Demographic(m),
            ComponentV4::Content(m) => Component::Content(m),
            ComponentV4::Hybrid(h) => Component::Hybrid(Box::new((*h).into())),
            // format 4 had no recency weighting: every interaction counted alike
            ComponentV4::Ease(e) => Component::Ease(Ease::from_weights(e.weights)),
        }
    }
}

/// A blend in format 4's layout (for the readers' tests); EASE's recency is dropped.
#[cfg(test)]
pub(crate) fn to_v4(h: &Hybrid) -> HybridV4 {
    HybridV4 {
        components: h
            .components
            .iter()
            .map(|c| match c.clone() {
                Component::Baseline(m) => ComponentV4::Baseline(m),
                Component::Mf(m) => ComponentV4::Mf(m),
                Component::SvdPP(m) => ComponentV4::SvdPP(m),
                Component::Knn(m) => ComponentV4::Knn(m),
                Component::UserKnn(m) => ComponentV4::UserKnn(m),
                Component::Als(m) => ComponentV4::Als(m),
                Component::Popularity(m) => ComponentV4::Popularity(m),
                Component::Trending(m) => ComponentV4::Trending(m),
                Component::Demographic(m) => ComponentV4::Demographic(m),
                Component::Content(m) => ComponentV4::Content(m),
                Component::Hybrid(h) => ComponentV4::Hybrid(Box::new(to_v4(&h))),
                Component::Ease(e) => ComponentV4::Ease(EaseV4 {
                    weights: e.weights().to_vec(),
                }),
            })
            .collect(),
        objective: h.objective,
        bounds: h.bounds.clone(),
        weights: h.weights.clone(),
        fallback: h.fallback,
        min_rating: h.min_rating,
        max_rating: h.max_rating,
        n_items: h.n_items,
    }
}
