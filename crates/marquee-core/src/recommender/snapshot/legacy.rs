//! Blob formats 3 (postcard, before item-kNN's `max_user_items`) and 4 (before EASE's recency
//! weighting and the blends' `held_out`), read into the current types. Postcard is not
//! self-describing: a blob is read with the exact layout it was written in, so each field list
//! here mirrors the structs as those formats derived them, in order. The two formats differ only
//! in item-kNN's parameters (`K`); the blends' mirror is [`HybridV4`].

use super::super::content::{Content, ContentParams};
#[cfg(test)]
use super::super::hybrid::{to_v4, to_v4_params};
use super::super::hybrid::{HybridParamsV4, HybridV4};
use super::super::knn::{BaselineParams, ItemKnn, KnnOutput, KnnParams, Similarity};
use super::super::popularity::{
    DemographicParams, DemographicPopularity, Popularity, PopularityParams, Trending,
    TrendingParams,
};
use super::super::Vocab;
use super::{Snapshot, SnapshotMeta, SnapshotParams};
use serde::Deserialize;
#[cfg(test)]
use serde::Serialize;
use std::collections::BTreeSet;

/// A snapshot in format 3 or 4, item-kNN's parameters laid out as `K`.
#[derive(Deserialize)]
#[cfg_attr(test, derive(Serialize))]
pub(super) struct SnapshotOld<K> {
    meta: MetaOld<K>,
    vocab: Vocab,
    ranking: HybridV4,
    rating: Option<HybridV4>,
    knn: Option<ItemKnn>,
    content: Content,
    popularity: Popularity,
    trending: Trending,
    demographic: DemographicPopularity,
    removed: BTreeSet<u32>,
}

/// Format 3: item-kNN's parameters without `max_user_items`.
pub(super) type SnapshotV3 = SnapshotOld<KnnParamsV3>;
/// Format 4: item-kNN's parameters as now.
pub(super) type SnapshotV4 = SnapshotOld<KnnParams>;

#[derive(Deserialize)]
#[cfg_attr(test, derive(Serialize))]
struct MetaOld<K> {
    version: u32,
    trained_at: i64,
    users: usize,
    items: usize,
    interactions: usize,
    params: ParamsOld<K>,
    train_seconds: f64,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Serialize))]
struct ParamsOld<K> {
    ranking: HybridParamsV4,
    rating: Option<HybridParamsV4>,
    knn: K,
    content: ContentParams,
    popularity: PopularityParams,
    trending: TrendingParams,
    demographic: DemographicParams,
    evidence: usize,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Serialize))]
pub(super) struct KnnParamsV3 {
    similarity: Similarity,
    k: usize,
    min_k: usize,
    shrinkage: f32,
    max_neighbors: usize,
    output: KnnOutput,
    baseline: BaselineParams,
}

impl From<KnnParamsV3> for KnnParams {
    fn from(p: KnnParamsV3) -> KnnParams {
        KnnParams {
            similarity: p.similarity,
            k: p.k,
            min_k: p.min_k,
            shrinkage: p.shrinkage,
            max_neighbors: p.max_neighbors,
            // format 3 took every interaction into the similarities
            max_user_items: 0,
            output: p.output,
            baseline: p.baseline,
        }
    }
}

impl<K: Into<KnnParams>> From<SnapshotOld<K>> for Snapshot {
    fn from(s: SnapshotOld<K>) -> Snapshot {
        let m = s.meta;
        let p = m.params;
        Snapshot {
            meta: SnapshotMeta {
                version: m.version,
                trained_at: m.trained_at,
                users: m.users,
                items: m.items,
                interactions: m.interactions,
                params: SnapshotParams {
                    ranking: p.ranking.into(),
                    rating: p.rating.map(Into::into),
                    knn: p.knn.into(),
                    content: p.content,
                    popularity: p.popularity,
                    trending: p.trending,
                    demographic: p.demographic,
                    evidence: p.evidence,
                },
                train_seconds: m.train_seconds,
            },
            vocab: s.vocab,
            ranking: s.ranking.into(),
            rating: s.rating.map(Into::into),
            knn: s.knn,
            content: s.content,
            popularity: s.popularity,
            trending: s.trending,
            demographic: s.demographic,
            removed: s.removed,
        }
    }
}

/// A snapshot in an old format's layout (for the readers' test), item-kNN's parameters laid out
/// by `knn`.
#[cfg(test)]
fn to_old<K>(s: &Snapshot, version: u32, knn: impl Fn(&KnnParams) -> K) -> SnapshotOld<K> {
    let (m, p) = (&s.meta, &s.meta.params);
    SnapshotOld {
        meta: MetaOld {
            version,
            trained_at: m.trained_at,
            users: m.users,
            items: m.items,
            interactions: m.interactions,
            params: ParamsOld {
                ranking: to_v4_params(&p.ranking),
                rating: p.rating.as_ref().map(to_v4_params),
                knn: knn(&p.knn),
                content: p.content.clone(),
                popularity: p.popularity.clone(),
                trending: p.trending.clone(),
                demographic: p.demographic.clone(),
                evidence: p.evidence,
            },
            train_seconds: m.train_seconds,
        },
        vocab: s.vocab.clone(),
        ranking: to_v4(&s.ranking),
        rating: s.rating.as_ref().map(to_v4),
        knn: s.knn.clone(),
        content: s.content.clone(),
        popularity: s.popularity.clone(),
        trending: s.trending.clone(),
        demographic: s.demographic.clone(),
        removed: s.removed.clone(),
    }
}

/// A snapshot in format 3's layout (for the readers' test).
#[cfg(test)]
pub(super) fn to_v3(s: &Snapshot) -> SnapshotV3 {
    to_old(s, 3, |p| KnnParamsV3 {
        similarity: p.similarity,
        k: p.k,
        min_k: p.min_k,
        shrinkage: p.shrinkage,
        max_neighbors: p.max_neighbors,
        output: p.output,
        baseline: p.baseline.clone(),
    })
}

/// A snapshot in format 4's layout (for the readers' test).
#[cfg(test)]
pub(super) fn to_v4_snapshot(s: &Snapshot) -> SnapshotV4 {
    to_old(s, 4, KnnParams::clone)
}
