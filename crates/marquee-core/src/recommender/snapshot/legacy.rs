//! Blob format 3 (postcard, before item-kNN's `max_user_items`), read into the current types.
//! Postcard is not self-describing: a blob is read with the exact layout it was written in, so
//! each field list here mirrors the structs as format 3 derived them, in order.

use super::super::content::{Content, ContentParams};
use super::super::hybrid::{Hybrid, HybridParams};
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

#[derive(Deserialize)]
#[cfg_attr(test, derive(Serialize))]
pub(super) struct SnapshotV3 {
    meta: MetaV3,
    vocab: Vocab,
    ranking: Hybrid,
    rating: Option<Hybrid>,
    knn: Option<ItemKnn>,
    content: Content,
    popularity: Popularity,
    trending: Trending,
    demographic: DemographicPopularity,
    removed: BTreeSet<u32>,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Serialize))]
struct MetaV3 {
    version: u32,
    trained_at: i64,
    users: usize,
    items: usize,
    interactions: usize,
    params: ParamsV3,
    train_seconds: f64,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Serialize))]
struct ParamsV3 {
    ranking: HybridParams,
    rating: Option<HybridParams>,
    knn: KnnParamsV3,
    content: ContentParams,
    popularity: PopularityParams,
    trending: TrendingParams,
    demographic: DemographicParams,
    evidence: usize,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Serialize))]
struct KnnParamsV3 {
    similarity: Similarity,
    k: usize,
    min_k: usize,
    shrinkage: f32,
    max_neighbors: usize,
    output: KnnOutput,
    baseline: BaselineParams,
}

impl From<SnapshotV3> for Snapshot {
    fn from(s: SnapshotV3) -> Snapshot {
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
                    ranking: p.ranking,
                    rating: p.rating,
                    // format 3 took every interaction into the similarities
                    knn: KnnParams {
                        similarity: p.knn.similarity,
                        k: p.knn.k,
                        min_k: p.knn.min_k,
                        shrinkage: p.knn.shrinkage,
                        max_neighbors: p.knn.max_neighbors,
                        max_user_items: 0,
                        output: p.knn.output,
                        baseline: p.knn.baseline,
                    },
                    content: p.content,
                    popularity: p.popularity,
                    trending: p.trending,
                    demographic: p.demographic,
                    evidence: p.evidence,
                },
                train_seconds: m.train_seconds,
            },
            vocab: s.vocab,
            ranking: s.ranking,
            rating: s.rating,
            knn: s.knn,
            content: s.content,
            popularity: s.popularity,
            trending: s.trending,
            demographic: s.demographic,
            removed: s.removed,
        }
    }
}

/// A snapshot in format 3's layout (for the reader's test).
#[cfg(test)]
pub(super) fn to_v3(s: &Snapshot) -> SnapshotV3 {
    let (m, p) = (&s.meta, &s.meta.params);
    SnapshotV3 {
        meta: MetaV3 {
            version: 3,
            trained_at: m.trained_at,
            users: m.users,
            items: m.items,
            interactions: m.interactions,
            params: ParamsV3 {
                ranking: p.ranking.clone(),
                rating: p.rating.clone(),
                knn: KnnParamsV3 {
                    similarity: p.knn.similarity,
                    k: p.knn.k,
                    min_k: p.knn.min_k,
                    shrinkage: p.knn.shrinkage,
                    max_neighbors: p.knn.max_neighbors,
                    output: p.knn.output,
                    baseline: p.knn.baseline.clone(),
                },
                content: p.content.clone(),
                popularity: p.popularity.clone(),
                trending: p.trending.clone(),
                demographic: p.demographic.clone(),
                evidence: p.evidence,
            },
            train_seconds: m.train_seconds,
        },
        vocab: s.vocab.clone(),
        ranking: s.ranking.clone(),
        rating: s.rating.clone(),
        knn: s.knn.clone(),
        content: s.content.clone(),
        popularity: s.popularity.clone(),
        trending: s.trending.clone(),
        demographic: s.demographic.clone(),
        removed: s.removed.clone(),
    }
}
