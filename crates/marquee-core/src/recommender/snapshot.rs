//! The trained, immutable bundle the server serves from (and stores as a blob so a restart
//! serves at once): vocabulary, the top-N blend, the rating blend, item-kNN for similar items and
//! explanations, content, and the cold-start scorers.
//!
//! Every model a snapshot serves can forget a person ([`ForgetUser`]): [`Snapshot::train`] and
//! [`Snapshot::from_bytes`] refuse a blend with a component that cannot (user-kNN) with
//! [`RecommendError::CannotForget`], so [`Snapshot::remove_user`] always takes effect at once.

use super::als::Als;
use super::content::{Content, ContentParams};
use super::factors::{FactorModel, ImportReport, Recipe};
use super::hybrid::{knn_rank_params, Component, ComponentSpec, Hybrid, HybridParams, SideInfo};
use super::interactions::{Feedback, Interactions};
use super::knn::{HistoryIndex, ItemKnn, KnnParams};
use super::popularity::{
    DemographicParams, DemographicPopularity, Popularity, PopularityParams, Trending,
    TrendingParams,
};
use super::{
    all_items, rank_scores, Demographics, Evidence, Explanation, Fit, FoldIn, Folded, ForgetUser,
    ItemIdx, OwnedHistory, Progress, RecommendError, Scorer, SimilarItems, Source, UserHistory,
    UserIdx, Vocab,
};
use crate::eval::tune::{carve_validation, tune, TuneConfig, TuneReport};
use ndarray::Array1;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

mod legacy;

/// Everything training needs, in external ids (the server builds this from the database).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TrainingInput {
    /// Ratings and implicit events.
    pub feedback: Vec<Feedback>,
    /// Every item of the catalogue, including items nobody interacted with yet.
    pub catalogue: Vec<i64>,
    /// Tokens per item for content similarity (`"genre:Drama"`, `"director:…"`, `"tag:…"`).
    pub item_tokens: Vec<(i64, Vec<String>)>,
    /// Demographics of (some) users, for cold-start segments.
    pub demographics: Vec<(i64, Demographics)>,
    /// Unix seconds of training (metadata, and "now" for trending); `None` = latest feedback.
    pub now: Option<i64>,
}

/// Hyperparameters of a snapshot (`[recommender]`); every field defaults to the tuned values.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct SnapshotParams {
    /// Top-N blend (used by `recommend`).
    pub ranking: HybridParams,
    /// Rating blend (used by `predict`); `None` skips it (faster training).
    pub rating: Option<HybridParams>,
    /// Item-kNN for `similar` and "because you rated X" evidence.
    pub knn: KnnParams,
    /// Content model (also serves items without interactions).
    pub content: ContentParams,
    /// Popularity for cold start.
    pub popularity: PopularityParams,
    /// Trending for cold start.
    pub trending: TrendingParams,
    /// Demographic popularity for cold start.
    pub demographic: DemographicParams,
    /// Evidence items per explanation.
    pub evidence: usize,
}

impl Default for SnapshotParams {
    fn default() -> Self {
        let mut ranking = HybridParams::ranking();
        ranking.components.push(ComponentSpec::new("content"));
        // EASE where the catalogue is small enough for its dense solve (left out above it).
        // First, so it is the blend's anchor: the weight search scales the others against the
        // first component, and EASE ranks best alone (docs/benchmarks.md).
        ranking.components.insert(0, ComponentSpec::new("ease"));
        SnapshotParams {
            ranking,
            rating: Some(HybridParams::default()),
            knn: KnnParams::ranking(),
            content: ContentParams::default(),
            popularity: PopularityParams::default(),
            trending: TrendingParams::default(),
            demographic: DemographicParams::default(),
            evidence: 3,
        }
    }
}

/// Descriptive metadata stored with a snapshot.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SnapshotMeta {
    /// Format version of the blob.
    pub version: u32,
    /// Unix seconds of training.
    pub trained_at: i64,
    /// Users in the training data.
    pub users: usize,
    /// Items in the catalogue.
    pub items: usize,
    /// Interactions trained on.
    pub interactions: usize,
    /// Parameters used.
    pub params: SnapshotParams,
    /// Wall-clock training time in seconds.
    pub train_seconds: f64,
}

/// One recommended item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    /// The item.
    pub item: ItemIdx,
    /// Its score (comparable within one answer only).
    pub score: f32,
    /// Why it was recommended.
    pub explanation: Explanation,
}

/// A ranked item before it is explained.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ranked {
    /// The item.
    pub item: ItemIdx,
    /// Its score (comparable within one answer only).
    pub score: f32,
    /// What ranked it: `Model` for a personal list, else the non-personal list a user with no
    /// history got.
    pub source: Source,
}

/// Explanations for one user's personal items ([`Snapshot::explainer`]).
pub struct Explainer<'s, 'h> {
    snapshot: &'s Snapshot,
    index: HistoryIndex,
    history: UserHistory<'h>,
}

impl Explainer<'_, '_> {
    /// Why `item` suits the user: the rated items that are its closest neighbours
    /// (collaborative evidence), else the liked items with the closest content.
    pub fn explain(&self, item: ItemIdx) -> Explanation {
        self.snapshot.explain_with(&self.index, &self.history, item)
    }
}

/// The trained bundle.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Snapshot {
    /// Metadata.
    pub meta: SnapshotMeta,
    /// External ↔ dense ids.
    pub vocab: Vocab,
    ranking: Hybrid,
    rating: Option<Hybrid>,
    /// `None` when it is the ranking blend's own `knn_rank` component (same parameters, fitted on
    /// the same data), which is then stored once.
    knn: Option<ItemKnn>,
    content: Content,
    popularity: Popularity,
    trending: Trending,
    demographic: DemographicPopularity,
    removed: BTreeSet<u32>,
}

/// Blob format: 1 = plain JSON arrays; 2 = base64 arrays, compact neighbour lists, shared kNN
/// (both JSON); 3 = binary: [`MAGIC`], the version as a little-endian `u32`, then the snapshot in
/// postcard (varint integers, raw little-endian floats); 4 = format 3 with item-kNN's
/// `max_user_items` among the parameters; 5 = format 4 with EASE's recency weighting. Readers
/// take all five (formats 3 and 4 through [`legacy`], which mirrors their layouts).
const VERSION: u32 = 5;

/// First bytes of a binary snapshot blob (a JSON blob starts with `{`).
pub const MAGIC: &[u8; 8] = b"MARQUEE\x00";

fn blob_error(e: impl std::fmt::Display) -> RecommendError {
    RecommendError::Encoding(serde::de::Error::custom(format!("model blob: {e}")))
}

/// How [`Snapshot::build`] gets its ranking blend: the blend, and the parameters it was fitted
/// with (which the snapshot records).
type RankingFit<'a> =
    dyn Fn(&Interactions, &SideInfo, &Vocab) -> Result<(Hybrid, HybridParams), RecommendError> + 'a;

impl Snapshot {
    /// Trains every model of the snapshot. Progress is reported per stage. Fails with
    /// [`RecommendError::CannotForget`] if a blend holds a model that cannot forget a person
    /// (checked after each blend is fitted, the ranking blend before the rating blend is trained).
    /// Takes the input by value: its rows are freed once the matrix is built.
    pub fn train(
        input: TrainingInput,
        p: &SnapshotParams,
        progress: &dyn Fn(Progress),
    ) -> Result<Self, RecommendError> {
        Ok(Self::train_tuned(input, p, None, progress)?.0)
    }

    /// Like [`Self::train`], with `tuning`: before the ranking blend is fitted, its components'
    /// hyperparameters and then the blend's own are searched on a validation split of the
    /// training data, within `tuning`'s time box (see [`crate::eval::tune`]); the blend is
    /// fitted with the winners, which the snapshot records as its parameters. Returns the
    /// search's report too.
    pub fn train_tuned(
        input: TrainingInput,
        p: &SnapshotParams,
        tuning: Option<&TuneConfig>,
        progress: &dyn Fn(Progress),
    ) -> Result<(Self, Option<TuneReport>), RecommendError> {
        let report = std::cell::RefCell::new(None);
        let snapshot = Self::build(input, p, progress, &|data, side, _| {
            let mut rp = p.ranking.for_data(data.n_items(), data.nnz());
            if let Some(cfg) = tuning {
                let r = tune_blend(data, side, &rp, cfg, progress)?;
                if let Some(best) = r.models.last().filter(|m| m.name == "hybrid_rank") {
                    rp = serde_json::from_value(best.best.params.clone())?;
                }
                *report.borrow_mut() = Some(r);
                progress(Progress {
                    stage: "ranking blend".into(),
                    done: 0,
                    total: 7,
                });
            }
            Ok((Hybrid::fit_with(data, side, &rp)?, rp))
        })?;
        Ok((snapshot, report.into_inner()))
    }

    /// A snapshot whose ranking blend serves `f`'s ALS factors (see [`super::factors`]): the
    /// recipe's blend with its weights (or ALS alone), every other model fitted from `input` with
    /// `p` as [`Self::train`] fits it. Users of `input` the file does not hold are folded in from
    /// their history; file rows the input does not know are skipped (counted in the report).
    pub fn from_factors(
        input: TrainingInput,
        p: &SnapshotParams,
        f: &FactorModel,
        progress: &dyn Fn(Progress),
    ) -> Result<(Self, ImportReport), RecommendError> {
        let k = f.factors;
        if k == 0
            || f.user_factors.len() != f.users.len() * k
            || f.item_factors.len() != f.items.len() * k
        {
            return Err(RecommendError::InvalidParam {
                name: "factors",
                reason: format!(
                    "{} users and {} items of {k} factors do not match {} and {} values",
                    f.users.len(),
                    f.items.len(),
                    f.user_factors.len(),
                    f.item_factors.len()
                ),
            });
        }
        let (ranking_params, weights) = match &f.recipe {
            Some(r) => {
                let n_als = r
                    .params
                    .components
                    .iter()
                    .filter(|c| c.name == "als")
                    .count();
                if n_als != 1 {
                    return Err(RecommendError::InvalidParam {
                        name: "ranking",
                        reason: format!(
                            "the recipe's blend must hold ALS exactly once (it holds it {n_als} times)"
                        ),
                    });
                }
                (r.params.clone(), r.weights.clone())
            }
            None => {
                let mut hp = HybridParams::ranking();
                hp.bucket_bounds.clear();
                hp.components = vec![ComponentSpec::with(
                    "als",
                    serde_json::to_value(&f.als).map_err(RecommendError::Encoding)?,
                )];
                (hp, vec![vec![0.0, 1.0]])
            }
        };
        let mut p = p.clone();
        p.ranking = ranking_params;
        let report = std::cell::RefCell::new(ImportReport::default());
        let snapshot = Self::build(input, &p, progress, &|data, side, vocab| {
            let (als, r) = place_factors(f, data, vocab)?;
            *report.borrow_mut() = r;
            let mut als = Some(als);
            let blend = Hybrid::assemble(data, side, &p.ranking, weights.clone(), |spec| {
                (spec.name == "als")
                    .then(|| als.take().map(Component::Als))
                    .flatten()
            })?;
            Ok((blend, p.ranking.clone()))
        })?;
        Ok((snapshot, report.into_inner()))
    }

    /// The ALS factors of the ranking blend, with their vocabularies and the blend's recipe, for
    /// `marquee model export`. Users the snapshot no longer holds (erased) are left out.
    pub fn export_factors(&self) -> Result<FactorModel, RecommendError> {
        let als = self.ranking.components().iter().find_map(|c| match c {
            Component::Als(a) => Some(a),
            _ => None,
        });
        let Some(als) = als else {
            return Err(RecommendError::InvalidParam {
                name: "ranking",
                reason: "the ranking blend has no ALS component: there are no factors to export"
                    .into(),
            });
        };
        let k = als.k();
        let mut users = Vec::new();
        let mut user_factors = Vec::new();
        for u in 0..self.vocab.n_users() {
            let idx = UserIdx(u as u32);
            let (Some(ext), Some(v)) = (self.vocab.user_id(idx), als.trained_vector(idx)) else {
                continue;
            };
            if self.removed.contains(&idx.0) {
                continue;
            }
            users.push(ext);
            user_factors.extend_from_slice(&v.factors);
        }
        let items: Vec<i64> = (0..self.vocab.n_items())
            .filter_map(|i| self.vocab.item_id(ItemIdx(i as u32)))
            .collect();
        let item_factors = als.item_factors()[..items.len() * k].to_vec();
        let params = self.meta.params.ranking.clone();
        Ok(FactorModel {
            users,
            items,
            factors: k,
            user_factors,
            item_factors,
            als: als.fold_in_params(),
            recipe: Some(Recipe {
                weights: self.ranking.weights().to_vec(),
                params,
            }),
            trained_at: Some(self.meta.trained_at),
        })
    }

    fn build(
        mut input: TrainingInput,
        p: &SnapshotParams,
        progress: &dyn Fn(Progress),
        ranking: &RankingFit<'_>,
    ) -> Result<Self, RecommendError> {
        let t0 = std::time::Instant::now();
        let mut vocab = Vocab::default();
        for &i in &input.catalogue {
            vocab.add_item(i);
        }
        let data = Interactions::from_feedback(&mut vocab, std::mem::take(&mut input.feedback))?;
        if data.nnz() == 0 {
            return Err(RecommendError::Empty);
        }
        let side = SideInfo {
            item_tokens: input
                .item_tokens
                .iter()
                .filter_map(|(i, t)| vocab.item(*i).map(|x| (x, t.clone())))
                .collect(),
            demographics: input
                .demographics
                .iter()
                .filter_map(|(u, d)| vocab.user(*u).map(|x| (x, d.clone())))
                .collect(),
        };
        let stages = 7u64;
        let step = |done: u64, stage: &str| {
            progress(Progress {
                stage: stage.to_string(),
                done,
                total: stages,
            })
        };
        step(0, "ranking blend");
        // The blends as fitted are what the snapshot records (a component that does not train
        // on this data is left out: see `HybridParams::for_data`).
        let (mut ranking, ranking_params) = ranking(&data, &side, &vocab)?;
        ranking.ensure_forgets()?;
        let p = &SnapshotParams {
            ranking: ranking_params,
            rating: p
                .rating
                .as_ref()
                .map(|rp| rp.for_data(data.n_items(), data.nnz())),
            ..p.clone()
        };
        step(1, "rating blend");
        let rating = match &p.rating {
            Some(rp) if data.n_rated() > 0 => {
                let mut r = Hybrid::fit_with(&data, &side, rp)?;
                r.ensure_forgets()?;
                Some(r)
            }
            _ => None,
        };
        step(2, "item-knn");
        let same_params = |spec: &ComponentSpec| -> bool {
            spec.name == "knn_rank"
                && knn_rank_params(spec)
                    .ok()
                    .and_then(|kp| serde_json::to_value(kp).ok())
                    .is_some_and(|v| serde_json::to_value(&p.knn).ok() == Some(v))
        };
        let shared = p.ranking.refit
            && p.ranking
                .components
                .iter()
                .find(|s| s.name == "knn_rank")
                .is_some_and(same_params)
            && ranking.knn_rank().is_some();
        let knn = if shared {
            None
        } else {
            Some(ItemKnn::fit(&data, &p.knn)?)
        };
        step(3, "content");
        let content = Content::fit_with(data.n_items(), &side.item_tokens, &p.content)?;
        step(4, "popularity");
        let popularity = Popularity::fit(&data, &p.popularity)?;
        let trending = Trending::fit(
            &data,
            &TrendingParams {
                now: p.trending.now.or(input.now),
                ..p.trending.clone()
            },
        )?;
        step(5, "demographic");
        let demographic =
            DemographicPopularity::fit_with(&data, &side.demographics, &p.demographic)?;
        step(stages, "done");
        Ok(Snapshot {
            meta: SnapshotMeta {
                version: VERSION,
                trained_at: input.now.unwrap_or_else(|| data.max_timestamp()),
                users: data.n_users(),
                items: data.n_items(),
                interactions: data.nnz(),
                params: p.clone(),
                train_seconds: t0.elapsed().as_secs_f64(),
            },
            vocab,
            ranking,
            rating,
            knn,
            content,
            popularity,
            trending,
            demographic,
            removed: BTreeSet::new(),
        })
    }

    /// Serialises the snapshot (binary format 4) for storage as a blob.
    pub fn to_bytes(&self) -> Result<Vec<u8>, RecommendError> {
        let mut out = Vec::with_capacity(1 << 16);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        postcard::to_io(self, &mut out).map_err(blob_error)?;
        Ok(out)
    }

    /// Restores a snapshot stored with [`Self::to_bytes`] (also reads the JSON blobs of formats
    /// 1 and 2). Refuses, like [`Self::train`], a blob whose blends hold a model that cannot
    /// forget a person, and a binary blob of a format it does not know.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, RecommendError> {
        let mut s: Snapshot = match bytes.strip_prefix(MAGIC.as_slice()) {
            Some(rest) => {
                let (version, body) = rest
                    .split_at_checked(4)
                    .ok_or_else(|| blob_error("truncated"))?;
                let version = u32::from_le_bytes(version.try_into().expect("4 bytes"));
                match version {
                    VERSION => postcard::from_bytes(body).map_err(blob_error)?,
                    4 => postcard::from_bytes::<legacy::SnapshotV4>(body)
                        .map_err(blob_error)?
                        .into(),
                    3 => postcard::from_bytes::<legacy::SnapshotV3>(body)
                        .map_err(blob_error)?
                        .into(),
                    _ => {
                        return Err(blob_error(format!(
                            "format {version} is not one this build reads (it reads 1 to {VERSION})"
                        )))
                    }
                }
            }
            None => serde_json::from_slice(bytes)?,
        };
        if s.knn.is_none() && s.ranking.knn_rank().is_none() {
            return Err(RecommendError::Encoding(serde::de::Error::custom(
                "snapshot without an item-kNN model",
            )));
        }
        s.ranking.ensure_forgets()?;
        if let Some(r) = s.rating.as_mut() {
            r.ensure_forgets()?;
        }
        Ok(s)
    }

    /// The item-kNN model for similar items and evidence.
    fn knn(&self) -> &ItemKnn {
        match &self.knn {
            Some(k) => k,
            // checked by `train` and `from_bytes`
            None => self.ranking.knn_rank().expect("shared item-kNN"),
        }
    }

    /// Builds a scorer input from a user's current interactions in external ids
    /// (`(item, rating or NaN, signed confidence, Unix seconds)`); unknown items are skipped.
    pub fn history(
        &self,
        user: i64,
        interactions: &[(i64, f32, f32, i64)],
        demographics: Option<Demographics>,
    ) -> OwnedHistory {
        let mut h = OwnedHistory {
            user: self
                .vocab
                .user(user)
                .filter(|u| !self.removed.contains(&u.0)),
            demographics,
            ..Default::default()
        };
        for &(item, r, c, t) in interactions {
            if let Some(i) = self.vocab.item(item) {
                h.push(i, r, c, t);
            }
        }
        h
    }

    fn clean<'a>(&self, h: &UserHistory<'a>) -> UserHistory<'a> {
        let mut h = *h;
        if h.user.is_some_and(|u| self.removed.contains(&u.0)) {
            h.user = None;
        }
        h
    }

    /// Top-`n` items for a user: never an item of their history or of `exclude`, only items for
    /// which `allow` is true; each with an explanation. Users with no history get demographic
    /// popularity (if demographics are given) or trending items.
    pub fn recommend(
        &self,
        history: &UserHistory<'_>,
        n: usize,
        exclude: &[ItemIdx],
        allow: &dyn Fn(ItemIdx) -> bool,
    ) -> Vec<Recommendation> {
        let ranked = self.ranked(history, n, exclude, allow);
        let explainer = self.explainer(history);
        ranked
            .into_iter()
            .map(|r| Recommendation {
                item: r.item,
                score: r.score,
                explanation: if r.source == Source::Model {
                    explainer.explain(r.item)
                } else {
                    Explanation {
                        source: r.source,
                        evidence: Vec::new(),
                    }
                },
            })
            .collect()
    }

    /// [`Self::recommend`] without the explanations: the top `n` with their scores and the
    /// source that ranked them. A server explains only the items it finally shows
    /// ([`Self::explainer`]); a personal item's source is `Model` until explained.
    pub fn ranked(
        &self,
        history: &UserHistory<'_>,
        n: usize,
        exclude: &[ItemIdx],
        allow: &dyn Fn(ItemIdx) -> bool,
    ) -> Vec<Ranked> {
        self.ranked_scaled(history, n, exclude, allow, &[])
    }

    /// The names of the ranking blend's components (what [`Self::ranked_scaled`] can scale).
    pub fn ranking_components(&self) -> Vec<&'static str> {
        if self.ranking.is_ranking() {
            self.ranking.component_names()
        } else {
            Vec::new()
        }
    }

    /// [`Self::ranked`] with the ranking blend's weights changed: each component named in
    /// `scale` has its learned weight multiplied by the factor given (0 leaves it out). Cold
    /// users, and blends that predict ratings, rank as in [`Self::ranked`].
    pub fn ranked_scaled(
        &self,
        history: &UserHistory<'_>,
        n: usize,
        exclude: &[ItemIdx],
        allow: &dyn Fn(ItemIdx) -> bool,
        scale: &[(String, f32)],
    ) -> Vec<Ranked> {
        let h = self.clean(history);
        let cands: Vec<ItemIdx> = (0..self.vocab.n_items() as u32)
            .map(ItemIdx)
            .filter(|&i| allow(i))
            .collect();
        let (top, source) = if h.is_empty() {
            let (scorer, source): (&dyn Scorer, Source) = if h.demographics.is_some() {
                (&self.demographic, Source::Demographic)
            } else if self.trending_has_signal() {
                (&self.trending, Source::Trending)
            } else {
                (&self.popularity, Source::Popular)
            };
            let s = scorer.score(&h, &cands);
            (
                rank_scores(&cands, s.as_slice().unwrap_or(&[]), h.items, exclude, n),
                source,
            )
        } else if self.ranking.is_ranking() {
            // every item's blended score once, then only the allowed candidates are ranked
            let all = self.ranking.ranking_scores_scaled(&h, scale);
            let s: Vec<f32> = cands
                .iter()
                .map(|i| all.get(i.ix()).copied().unwrap_or(f32::NAN))
                .collect();
            (rank_scores(&cands, &s, h.items, exclude, n), Source::Model)
        } else {
            let s = self.ranking.score(&h, &cands);
            (
                rank_scores(&cands, s.as_slice().unwrap_or(&[]), h.items, exclude, n),
                Source::Model,
            )
        };
        top.into_iter()
            .map(|(item, score)| Ranked {
                item,
                score,
                source,
            })
            .collect()
    }

    /// Explains personal items for one user: built once per answer, asked per shown item.
    pub fn explainer<'s, 'h>(&'s self, history: &UserHistory<'h>) -> Explainer<'s, 'h> {
        let h = self.clean(history);
        Explainer {
            snapshot: self,
            index: HistoryIndex::new(&h),
            history: h,
        }
    }

    /// A non-personal list: overall popularity, trending, or popularity in a demographic
    /// segment (`Source::Demographic` with `demographics`), best first, only allowed items.
    pub fn non_personal(
        &self,
        source: Source,
        demographics: Option<&Demographics>,
        n: usize,
        allow: &dyn Fn(ItemIdx) -> bool,
    ) -> Vec<(ItemIdx, f32)> {
        let cands: Vec<ItemIdx> = all_items(self.vocab.n_items())
            .into_iter()
            .filter(|&i| allow(i))
            .collect();
        let mut h = UserHistory::empty();
        let scorer: &dyn Scorer = match source {
            Source::Trending => &self.trending,
            Source::Demographic if demographics.is_some() => {
                h.demographics = demographics;
                &self.demographic
            }
            _ => &self.popularity,
        };
        let s = scorer.score(&h, &cands);
        rank_scores(&cands, s.as_slice().unwrap_or(&[]), &[], &[], n)
    }

    /// Trending over a window of `days` (see [`super::popularity::TRENDING_WINDOWS_DAYS`]), best
    /// first, only allowed items; `None` if this snapshot was not trained for that window.
    pub fn trending(
        &self,
        days: u32,
        n: usize,
        allow: &dyn Fn(ItemIdx) -> bool,
    ) -> Option<Vec<(ItemIdx, f32)>> {
        let scores = self.trending.window_scores(days)?;
        let cands: Vec<ItemIdx> = all_items(self.vocab.n_items())
            .into_iter()
            .filter(|&i| allow(i))
            .collect();
        let s: Vec<f32> = cands
            .iter()
            .map(|i| scores.get(i.ix()).copied().unwrap_or(f32::NAN))
            .collect();
        Some(rank_scores(&cands, &s, &[], &[], n))
    }

    /// Whether this snapshot ranks trending over a window of `days`.
    pub fn has_trending_window(&self, days: u32) -> bool {
        self.trending.window_scores(days).is_some()
    }

    fn trending_has_signal(&self) -> bool {
        self.trending
            .score(&UserHistory::empty(), &all_items(self.vocab.n_items()))
            .iter()
            .any(|&x| x > 1e-3)
    }

    /// Why `item` suits the user: the rated items that are its closest neighbours (collaborative
    /// evidence), else the liked items with the closest content.
    pub fn explain(&self, history: &UserHistory<'_>, item: ItemIdx) -> Explanation {
        self.explainer(history).explain(item)
    }

    fn explain_with(
        &self,
        index: &HistoryIndex,
        history: &UserHistory<'_>,
        item: ItemIdx,
    ) -> Explanation {
        let k = self.meta.params.evidence;
        let ev: Vec<Evidence> = self.knn().explain_indexed(index, item, k);
        if !ev.is_empty() {
            return Explanation {
                source: Source::Model,
                evidence: ev,
            };
        }
        let ev = self.content.explain(history, item, k);
        Explanation {
            source: if ev.is_empty() {
                Source::Model
            } else {
                Source::Content
            },
            evidence: ev,
        }
    }

    /// Predicted ratings (rating blend; NaN if the snapshot was trained without it).
    pub fn predict(&self, history: &UserHistory<'_>, items: &[ItemIdx]) -> Array1<f32> {
        let h = self.clean(history);
        match &self.rating {
            Some(r) => r.score(&h, items),
            None => Array1::from_elem(items.len(), f32::NAN),
        }
    }

    /// The `n` items most similar to `item` (co-interaction cosine, falling back to content for
    /// items without interactions).
    pub fn similar(&self, item: ItemIdx, n: usize) -> Vec<(ItemIdx, f32)> {
        let models: [&dyn SimilarItems; 2] = [self.knn(), &self.content];
        models
            .iter()
            .map(|m| m.similar_items(item, n))
            .find(|v| !v.is_empty())
            .unwrap_or_default()
    }

    /// Re-solves the user's factors of every factor model from their current history (cache the
    /// result in the history's `folded` field until the next training).
    pub fn fold_in(&self, history: &UserHistory<'_>) -> Folded {
        let h = self.clean(history);
        let mut out = Folded::default();
        self.ranking.fold_in(&h, &mut out);
        if let Some(r) = &self.rating {
            r.fold_in(&h, &mut out);
        }
        out
    }

    /// Whether the snapshot holds `user`'s data (known, not removed): erasing them would change it.
    pub fn holds_user(&self, user: i64) -> bool {
        self.vocab
            .user(user)
            .is_some_and(|u| !self.removed.contains(&u.0))
    }

    /// Privacy deletion: every model forgets the user at once ([`ForgetUser`]: vectors and
    /// biases dropped); from now on the user is served only from the history the caller passes
    /// (normally none). Returns whether the user was known.
    pub fn remove_user(&mut self, user: i64) -> bool {
        let Some(u) = self.vocab.user(user) else {
            return false;
        };
        self.removed.insert(u.0);
        let mut models: Vec<&mut dyn ForgetUser> = vec![
            &mut self.ranking,
            &mut self.content,
            &mut self.popularity,
            &mut self.trending,
            &mut self.demographic,
        ];
        models.extend(self.rating.as_mut().map(|r| r as &mut dyn ForgetUser));
        models.extend(self.knn.as_mut().map(|k| k as &mut dyn ForgetUser));
        for m in models {
            m.forget_user(u);
        }
        true
    }
}

/// `values`' rows (`k` wide, one per id) placed at the dense indices `index` gives their ids, in
/// an `n`-row matrix of zeros. Returns the matrix, which indices got a row, and how many rows
/// were skipped because `index` does not know their id; an index given two rows is an error.
fn place_rows(
    ids: &[i64],
    values: &[f32],
    k: usize,
    n: usize,
    what: &str,
    index: impl Fn(i64) -> Option<usize>,
) -> Result<(Vec<f32>, Vec<bool>, usize), RecommendError> {
    let mut out = vec![0f32; n * k];
    let mut has_row = vec![false; n];
    let mut unknown = 0;
    for (row, &ext) in ids.iter().enumerate() {
        match index(ext).filter(|&x| x < n) {
            Some(x) if has_row[x] => {
                return Err(RecommendError::InvalidParam {
                    name: "factors",
                    reason: format!("{what} {ext} has two rows"),
                })
            }
            Some(x) => {
                out[x * k..(x + 1) * k].copy_from_slice(&values[row * k..(row + 1) * k]);
                has_row[x] = true;
            }
            None => unknown += 1,
        }
    }
    Ok((out, has_row, unknown))
}

/// `f`'s rows placed at the dense indices of `vocab` (users and items the data knows); users
/// without a row are folded in, items without one get zeros.
fn place_factors(
    f: &FactorModel,
    data: &Interactions,
    vocab: &Vocab,
) -> Result<(Als, ImportReport), RecommendError> {
    let k = f.factors;
    let (user_factors, user_row, users_unknown) =
        place_rows(&f.users, &f.user_factors, k, data.n_users(), "user", |e| {
            vocab.user(e).map(UserIdx::ix)
        })?;
    let (item_factors, item_row, items_unknown) =
        place_rows(&f.items, &f.item_factors, k, data.n_items(), "item", |e| {
            vocab.item(e).map(ItemIdx::ix)
        })?;
    let untrained: Vec<UserIdx> = (0..data.n_users())
        .filter(|&u| !user_row[u])
        .map(|u| UserIdx(u as u32))
        .collect();
    let report = ImportReport {
        users_matched: f.users.len() - users_unknown,
        users_unknown,
        users_folded: untrained.len(),
        items_matched: f.items.len() - items_unknown,
        items_unknown,
        items_without_factors: item_row.iter().filter(|&&x| !x).count(),
    };
    let als = Als::from_factors(k, &f.als, user_factors, item_factors, untrained)?;
    Ok((als, report))
}

/// The search [`Snapshot::train_tuned`] runs: the ranking blend `rp` (components first) on a
/// validation split of `data`, its progress reported as the stage "tuning".
fn tune_blend(
    data: &Interactions,
    side: &SideInfo,
    rp: &HybridParams,
    cfg: &TuneConfig,
    progress: &dyn Fn(Progress),
) -> Result<TuneReport, RecommendError> {
    progress(Progress {
        stage: "tuning".into(),
        done: 0,
        total: 1,
    });
    let (fit, held_out) =
        carve_validation(data, cfg.validation, cfg.seed, cfg.max_validation_users)?;
    let cfg = TuneConfig {
        models: vec![ComponentSpec::with(
            "hybrid_rank",
            serde_json::to_value(rp).map_err(RecommendError::Encoding)?,
        )],
        ..cfg.clone()
    };
    tune(&fit, &held_out, side, &cfg, &|p: Progress| {
        progress(Progress {
            stage: "tuning".into(),
            ..p
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recommender::contract::{
        assert_forget_contract, assert_scorer_contract, fixture, N,
    };
    use crate::recommender::UserIdx;
    use serde_json::json;

    fn small_params() -> SnapshotParams {
        let mut p = SnapshotParams::default();
        for c in p.ranking.components.iter_mut().filter(|c| c.name == "als") {
            *c = ComponentSpec::with(
                "als",
                json!({"factors": 8, "iterations": 10, "reg": 0.1, "alpha": 5.0}),
            );
        }
        p.ranking.min_bucket_samples = 5;
        p.ranking.validation_fraction = 0.2;
        p.rating = Some(HybridParams {
            components: vec![
                ComponentSpec::new("baseline"),
                ComponentSpec::with(
                    "mf",
                    json!({"factors": 8, "epochs": 30, "lr": 0.02, "lr_bias": 0.02}),
                ),
            ],
            min_bucket_samples: 5,
            ..Default::default()
        });
        p
    }

    fn input() -> TrainingInput {
        let fx = fixture();
        let mut feedback = Vec::new();
        for t in fx.data.triplets() {
            feedback.push(Feedback {
                user: 1000 + t.user.0 as i64,
                item: 10 * t.item.0 as i64,
                rating: t.rating,
                confidence: t.confidence,
                timestamp: t.timestamp,
            });
        }
        let mut catalogue: Vec<i64> = (0..N as i64 + 2).map(|i| 10 * i).collect();
        catalogue.push(999); // an item nobody rated
        let item_tokens = catalogue
            .iter()
            .map(|&i| {
                (
                    i,
                    vec![if i == 999 || (i / 10) % 2 == 0 {
                        "even".to_string()
                    } else {
                        "odd".to_string()
                    }],
                )
            })
            .collect();
        TrainingInput {
            feedback,
            catalogue,
            item_tokens,
            demographics: vec![],
            now: Some(10_000),
        }
    }

    /// The snapshot's top-N blend as a scorer, for the shared contract.
    #[derive(Serialize, Deserialize)]
    struct Served(Snapshot);
    /// Privacy deletion by the fixture's user index (external id `1000 + u`).
    impl ForgetUser for Served {
        fn forget_user(&mut self, u: UserIdx) {
            self.0.remove_user(1000 + u.0 as i64);
        }
    }

    fn train_small() -> Snapshot {
        Snapshot::train(input(), &small_params(), &crate::recommender::no_progress).unwrap()
    }

    /// A user's interactions in external ids: `(item, rating, confidence, timestamp)`.
    type Interacted = Vec<(i64, f32, f32, i64)>;

    /// Every user's history in external ids, from the training input.
    fn histories(input: &TrainingInput) -> std::collections::BTreeMap<i64, Interacted> {
        let mut out = std::collections::BTreeMap::<i64, Interacted>::new();
        for f in &input.feedback {
            out.entry(f.user)
                .or_default()
                .push((f.item, f.rating, f.confidence, f.timestamp));
        }
        out
    }

    /// Top 10 (items and scores), similar items of every item, predictions of every item.
    type Answers = Vec<(Vec<Recommendation>, Array1<f32>)>;

    fn answers(s: &Snapshot, input: &TrainingInput) -> (Answers, Vec<Vec<(ItemIdx, f32)>>) {
        let all = all_items(s.vocab.n_items());
        let mut users: Vec<(i64, Interacted)> = histories(input).into_iter().collect();
        users.push((-1, vec![])); // someone new
        let per_user = users
            .iter()
            .map(|(u, h)| {
                let h = s.history(*u, h, None);
                (
                    s.recommend(&h.view(), 10, &[], &|_| true),
                    s.predict(&h.view(), &all),
                )
            })
            .collect();
        let similar = all.iter().map(|&i| s.similar(i, 5)).collect();
        (per_user, similar)
    }

    #[test]
    fn a_snapshot_rebuilt_from_its_exported_factors_answers_exactly_the_same() {
        let input = input();
        let s = train_small();
        let f = s.export_factors().unwrap();
        assert_eq!(f.users.len(), s.vocab.n_users());
        assert_eq!(f.factors, 8);
        assert!(f.recipe.is_some());
        let (t, report) = Snapshot::from_factors(
            input.clone(),
            &small_params(),
            &f,
            &crate::recommender::no_progress,
        )
        .unwrap();
        assert_eq!(report.users_matched, f.users.len());
        assert_eq!((report.users_unknown, report.users_folded), (0, 0));
        assert_eq!(report.items_without_factors, 0);
        assert_eq!(answers(&s, &input), answers(&t, &input));
        assert_eq!(t.export_factors().unwrap(), f);
    }

    #[test]
    fn a_tuned_training_serves_the_blend_its_search_chose_and_reports_the_search() {
        let p = small_params();
        let cfg = TuneConfig {
            rounds: 1,
            budget_seconds: 60.0,
            ..Default::default()
        };
        let stages = std::sync::Mutex::new(Vec::<String>::new());
        let (s, report) = Snapshot::train_tuned(input(), &p, Some(&cfg), &|pr: Progress| {
            stages.lock().unwrap().push(pr.stage)
        })
        .unwrap();
        let report = report.expect("a report of the search");
        let names: Vec<&str> = report.models.iter().map(|m| m.name.as_str()).collect();
        let components: Vec<&str> = p
            .ranking
            .components
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(names[..names.len() - 1], components[..], "components first");
        assert_eq!(names.last(), Some(&"hybrid_rank"), "then the blend");
        let blend = report.models.last().unwrap();
        assert!(blend.best_score.is_some());
        // The snapshot records (and serves) the winner.
        let served = serde_json::to_value(&s.meta.params.ranking).unwrap();
        assert_eq!(served, blend.best.params);
        let stages = stages.into_inner().unwrap();
        let tuning = stages.iter().position(|x| x == "tuning").unwrap();
        let blend_fit = stages.iter().rposition(|x| x == "ranking blend").unwrap();
        assert!(
            tuning < blend_fit,
            "the search runs before the blend is fitted"
        );
        // Untuned training is unchanged.
        let (_, none) =
            Snapshot::train_tuned(input(), &p, None, &crate::recommender::no_progress).unwrap();
        assert!(none.is_none());
    }

    #[test]
    fn ease_and_svdpp_join_their_blends_only_where_the_data_suits_them() {
        let names = |s: &Snapshot| -> (Vec<String>, Vec<String>) {
            let p = &s.meta.params;
            let rating = s.rating.as_ref().unwrap();
            assert_eq!(
                s.ranking.components().len(),
                p.ranking.components.len(),
                "recorded as fitted"
            );
            let rp = p.rating.as_ref().unwrap();
            assert_eq!(
                rating.components().len(),
                rp.components.len(),
                "recorded as fitted"
            );
            let of = |c: &[ComponentSpec]| c.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
            (of(&p.ranking.components), of(&rp.components))
        };
        let mut p = small_params();
        let svdpp = |extra: serde_json::Value| {
            let mut params = json!({"factors": 4, "epochs": 5});
            params
                .as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            ComponentSpec::with("svdpp", params)
        };
        p.rating.as_mut().unwrap().components.push(svdpp(json!({})));
        let (ranking, rating) =
            names(&Snapshot::train(input(), &p, &crate::recommender::no_progress).unwrap());
        assert!(ranking.contains(&"ease".to_string()), "{ranking:?}");
        assert!(rating.contains(&"svdpp".to_string()), "{rating:?}");
        for c in p.ranking.components.iter_mut().filter(|c| c.name == "ease") {
            *c = ComponentSpec::with("ease", json!({"max_items": 3}));
        }
        *p.rating.as_mut().unwrap().components.last_mut().unwrap() =
            svdpp(json!({"max_interactions_in_blend": 3}));
        let (ranking, rating) =
            names(&Snapshot::train(input(), &p, &crate::recommender::no_progress).unwrap());
        assert!(!ranking.contains(&"ease".to_string()), "{ranking:?}");
        assert!(ranking.contains(&"als".to_string()));
        assert_eq!(rating, ["baseline", "mf"]);
    }

    #[test]
    fn factors_from_elsewhere_rank_alone_and_users_missing_from_the_file_are_folded_in() {
        let input = input();
        let s = train_small();
        let mut f = s.export_factors().unwrap();
        f.recipe = None;
        // the file lacks the first user and holds one the data does not know
        let k = f.factors;
        let first = f.users[0];
        f.users[0] = 123_456;
        let (t, report) = Snapshot::from_factors(
            input.clone(),
            &small_params(),
            &f,
            &crate::recommender::no_progress,
        )
        .unwrap();
        assert_eq!(report.users_unknown, 1);
        assert_eq!(report.users_folded, 1);
        assert_eq!(t.meta.params.ranking.components.len(), 1);
        assert_eq!(t.meta.params.ranking.components[0].name, "als");
        // ALS alone: a trained user's list is their factors' dot products, best first
        let hist = histories(&input);
        let (u, h) = hist.iter().nth(1).unwrap();
        let row = f.users.iter().position(|x| x == u).unwrap();
        let x = &f.user_factors[row * k..(row + 1) * k];
        let view = t.history(*u, h, None);
        let recs = t.recommend(&view.view(), 3, &[], &|_| true);
        let score = |item: ItemIdx| -> f32 {
            let ext = t.vocab.item_id(item).unwrap();
            let r = f.items.iter().position(|&e| e == ext).unwrap();
            x.iter()
                .zip(&f.item_factors[r * k..(r + 1) * k])
                .map(|(a, b)| a * b)
                .sum()
        };
        let seen: Vec<i64> = h.iter().map(|x| x.0).collect();
        let mut best: Vec<(f32, i64)> = f
            .items
            .iter()
            .filter(|i| !seen.contains(i))
            .map(|&i| (score(t.vocab.item(i).unwrap()), i))
            .collect();
        best.sort_by(|a, b| b.0.total_cmp(&a.0));
        let got: Vec<i64> = recs
            .iter()
            .map(|r| t.vocab.item_id(r.item).unwrap())
            .collect();
        let want: Vec<i64> = best.iter().take(3).map(|b| b.1).collect();
        assert_eq!(got, want);
        // the user missing from the file is served from their history, not a zero vector
        let missing = t.history(first, &hist[&first], None);
        let ranked = t.ranked(&missing.view(), 3, &[], &|_| true);
        assert_eq!(ranked.len(), 3);
        assert!(ranked.iter().all(|r| r.source == Source::Model));
        assert!(ranked[0].score > ranked[2].score, "{ranked:?}");
    }

    #[test]
    fn erased_users_are_not_exported_and_bad_factor_files_are_refused() {
        let input = input();
        let mut s = train_small();
        assert!(s.remove_user(1002));
        let f = s.export_factors().unwrap();
        assert!(!f.users.contains(&1002));
        assert_eq!(f.users.len(), s.vocab.n_users() - 1);
        let mut twice = f.clone();
        twice.users[1] = twice.users[0];
        let err =
            Snapshot::from_factors(input.clone(), &small_params(), &twice, &|_| {}).unwrap_err();
        assert!(err.to_string().contains("two rows"), "{err}");
        let mut short = f.clone();
        short.item_factors.pop();
        assert!(Snapshot::from_factors(input.clone(), &small_params(), &short, &|_| {}).is_err());
        let mut weights = f.clone();
        weights.recipe.as_mut().unwrap().weights.pop();
        assert!(Snapshot::from_factors(input.clone(), &small_params(), &weights, &|_| {}).is_err());
    }
    impl Scorer for Served {
        fn name(&self) -> &'static str {
            "snapshot"
        }
        fn score(&self, user: &UserHistory<'_>, c: &[ItemIdx]) -> Array1<f32> {
            self.0.ranking.score(user, c)
        }
    }

    #[test]
    fn snapshot_ranking_passes_the_contract() {
        // the snapshot's dense ids coincide with the fixture's (catalogue and users in order)
        assert_scorer_contract(
            |_| {
                Served(
                    Snapshot::train(input(), &small_params(), &crate::recommender::no_progress)
                        .unwrap(),
                )
            },
            true,
        );
    }

    #[test]
    fn snapshot_forgets_a_user_in_every_served_model() {
        assert_forget_contract(|_| Served(train_small()));
    }

    /// Trains with `user_knn` added to the blend that `place` picks.
    fn train_with_user_knn(
        place: impl Fn(&mut SnapshotParams) -> &mut HybridParams,
    ) -> RecommendError {
        let mut p = small_params();
        place(&mut p)
            .components
            .push(ComponentSpec::new("user_knn"));
        Snapshot::train(input(), &p, &crate::recommender::no_progress)
            .expect_err("a snapshot must refuse user_knn")
    }

    #[test]
    fn a_snapshot_refuses_a_model_that_cannot_forget_a_user() {
        let in_ranking = train_with_user_knn(|p| &mut p.ranking);
        assert!(matches!(
            in_ranking,
            RecommendError::CannotForget("user_knn")
        ));
        let in_rating = train_with_user_knn(|p| p.rating.as_mut().unwrap());
        assert!(matches!(
            in_rating,
            RecommendError::CannotForget("user_knn")
        ));
        let nested = train_with_user_knn(|p| {
            p.ranking.components.push(ComponentSpec::with(
                "hybrid",
                json!({"components": [{"name": "baseline"}], "min_bucket_samples": 5}),
            ));
            &mut p.ranking
        });
        assert!(matches!(nested, RecommendError::CannotForget("user_knn")));
    }

    #[test]
    fn a_stored_snapshot_holding_user_knn_is_refused_on_load() {
        // a blob written before snapshots refused user_knn: its rating blend holds one
        let snap = train_small();
        let fx = fixture();
        let rp = HybridParams {
            components: vec![
                ComponentSpec::new("baseline"),
                ComponentSpec::new("user_knn"),
            ],
            min_bucket_samples: 5,
            ..Default::default()
        };
        let mut blob = serde_json::to_value(&snap).unwrap();
        blob["rating"] =
            serde_json::to_value(Hybrid::fit_with(&fx.data, &SideInfo::default(), &rp).unwrap())
                .unwrap();
        let err = Snapshot::from_bytes(&serde_json::to_vec(&blob).unwrap()).unwrap_err();
        assert!(matches!(err, RecommendError::CannotForget("user_knn")));
        assert!(Snapshot::from_bytes(&snap.to_bytes().unwrap()).is_ok());
    }

    #[test]
    fn snapshot_round_trips_and_serves_recommend_similar_fold_in_and_delete() {
        let mut snap =
            Snapshot::train(input(), &small_params(), &crate::recommender::no_progress).unwrap();
        let back = Snapshot::from_bytes(&snap.to_bytes().unwrap()).unwrap();
        let h = snap.history(
            1002,
            &[(20, 5.0, 1.0, 1), (40, 5.0, 1.0, 2), (30, 1.0, -1.0, 3)],
            None,
        );
        let a = snap.recommend(&h.view(), 5, &[], &|_| true);
        let b = back.recommend(&h.view(), 5, &[], &|_| true);
        assert_eq!(a, b);
        assert!(a.len() <= 5 && !a.is_empty());
        assert!(a.iter().all(|r| !h.items.contains(&r.item)));
        assert!(a.iter().any(|r| !r.explanation.evidence.is_empty()));
        // candidate filter and exclusions
        let banned = a[0].item;
        let c = snap.recommend(&h.view(), 5, &[banned], &|i| i != ItemIdx(0));
        assert!(c.iter().all(|r| r.item != banned && r.item != ItemIdx(0)));
        // cold start
        let cold = snap.recommend(&UserHistory::empty(), 3, &[], &|_| true);
        assert_eq!(cold.len(), 3);
        assert!(matches!(
            cold[0].explanation.source,
            Source::Trending | Source::Popular
        ));
        // similar items, including one without interactions (content fallback)
        let even = snap.vocab.item(20).unwrap();
        assert!(!snap.similar(even, 3).is_empty());
        let unrated = snap.vocab.item(999).unwrap();
        assert!(!snap.similar(unrated, 3).is_empty());
        // fold-in returns vectors for the factor models
        let folded = snap.fold_in(&h.view());
        assert!(folded.get("als").is_some() && folded.get("mf").is_some());
        // predicted ratings are in range
        let p = snap.predict(&h.view(), &[even]);
        assert!(p[0] >= 1.0 && p[0] <= 5.0);
        // deletion
        assert!(snap.remove_user(1002));
        assert!(!snap.remove_user(424242));
        let h2 = snap.history(1002, &[], None);
        assert!(h2.user.is_none());
    }

    /// Prints what each part of a snapshot weighs, binary and JSON (`cargo test --release -p
    /// marquee-core blob_composition -- --ignored --nocapture`, with MARQUEE_DATASET=DIR).
    #[test]
    #[ignore]
    fn blob_composition() {
        let dir = std::env::var("MARQUEE_DATASET").expect("MARQUEE_DATASET");
        let ds = crate::dataset::load(std::path::Path::new(&dir)).unwrap();
        let input = TrainingInput {
            feedback: ds
                .ratings
                .iter()
                .map(|r| Feedback::rating(r.user, r.movie, r.score, r.timestamp))
                .collect(),
            catalogue: ds.movies.iter().map(|m| m.id).collect(),
            item_tokens: ds.genre_tokens(),
            demographics: vec![],
            now: None,
        };
        let snap = Snapshot::train(
            input,
            &SnapshotParams::default(),
            &crate::recommender::no_progress,
        )
        .unwrap();
        fn sizes<T: Serialize>(name: &str, v: &T) {
            let b = postcard::to_allocvec(v).unwrap().len();
            let j = serde_json::to_vec(v).unwrap().len();
            println!("{name:<12} binary {:>10} json {:>10}", b, j);
        }
        sizes("vocab", &snap.vocab);
        sizes("ranking", &snap.ranking);
        sizes("rating", &snap.rating);
        sizes("knn", &snap.knn);
        sizes("content", &snap.content);
        sizes("popularity", &snap.popularity);
        sizes("trending", &snap.trending);
        sizes("demographic", &snap.demographic);
        sizes("total", &snap);
        println!("ratings {}", ds.ratings.len());
        if let Ok(out) = std::env::var("MARQUEE_BLOB_OUT") {
            std::fs::write(out, snap.to_bytes().unwrap()).unwrap();
        }
    }

    #[test]
    fn with_recency_the_served_list_follows_the_latest_interactions() {
        let top = |snap: &Snapshot, history: &[(i64, f32, f32, i64)]| -> Vec<ItemIdx> {
            let h = snap.history(-1, history, None);
            snap.ranked(&h.view(), 4, &[], &|_| true)
                .iter()
                .map(|r| r.item)
                .collect()
        };
        // the same two movies, watched in one order or the other
        let (even_last, odd_last) = (
            [(20, 5.0, 1.0, 100), (30, 5.0, 1.0, 200)],
            [(20, 5.0, 1.0, 200), (30, 5.0, 1.0, 100)],
        );
        let mut p = small_params();
        p.ranking.components = vec![ComponentSpec::with("ease", json!({"lambda": 1.0}))];
        let plain = Snapshot::train(input(), &p, &crate::recommender::no_progress).unwrap();
        assert_eq!(top(&plain, &even_last), top(&plain, &odd_last));
        p.ranking.components = vec![ComponentSpec::with(
            "ease",
            json!({"lambda": 1.0, "recency": 0.5, "recency_floor": 0.0}),
        )];
        let recent = Snapshot::train(input(), &p, &crate::recommender::no_progress).unwrap();
        let (a, b) = (top(&recent, &even_last), top(&recent, &odd_last));
        assert_ne!(a, b, "the order of the history changes the list");
        // and the blob keeps the setting
        let back = Snapshot::from_bytes(&recent.to_bytes().unwrap()).unwrap();
        assert_eq!(top(&back, &even_last), a);
        assert_eq!(top(&back, &odd_last), b);
    }

    #[test]
    fn blobs_are_binary_and_json_blobs_of_earlier_formats_still_load() {
        let snap = train_small();
        let binary = snap.to_bytes().unwrap();
        assert!(binary.starts_with(MAGIC));
        let json = serde_json::to_vec(&snap).unwrap();
        // format 3: the same snapshot in its layout (item-kNN's parameters one field shorter)
        let mut v3 = MAGIC.to_vec();
        v3.extend_from_slice(&3u32.to_le_bytes());
        v3.extend_from_slice(&postcard::to_allocvec(&legacy::to_v3(&snap)).unwrap());
        assert_ne!(v3.len(), binary.len());
        // format 4: EASE without its recency weighting (off in this snapshot, so it serves alike)
        let mut v4 = MAGIC.to_vec();
        v4.extend_from_slice(&4u32.to_le_bytes());
        v4.extend_from_slice(&postcard::to_allocvec(&legacy::to_v4_snapshot(&snap)).unwrap());
        assert_ne!(v4.len(), binary.len());
        assert!(
            binary.len() * 3 < json.len() * 2,
            "{} vs {}",
            binary.len(),
            json.len()
        );
        let h = snap.history(1002, &[(20, 5.0, 1.0, 1), (40, 4.0, 1.0, 2)], None);
        let want = snap.recommend(&h.view(), 5, &[], &|_| true);
        for blob in [&binary, &json, &v3, &v4] {
            let back = Snapshot::from_bytes(blob).unwrap();
            assert_eq!(back.recommend(&h.view(), 5, &[], &|_| true), want);
            assert_eq!(
                back.meta.params.ranking.components.len(),
                snap.meta.params.ranking.components.len()
            );
            assert_eq!(back.meta.params.knn.k, snap.meta.params.knn.k);
        }
        // a format-3 model took every interaction into its similarities
        let back = Snapshot::from_bytes(&v3).unwrap();
        assert_eq!(back.meta.params.knn.max_user_items, 0);
        assert_eq!(back.meta.params.evidence, snap.meta.params.evidence);
        let mut future = binary.clone();
        future[MAGIC.len()] = 9;
        let err = Snapshot::from_bytes(&future).unwrap_err().to_string();
        assert!(err.contains("format 9"), "{err}");
        assert!(Snapshot::from_bytes(&binary[..binary.len() / 2]).is_err());
        assert!(Snapshot::from_bytes(&binary[..MAGIC.len() + 2]).is_err());
    }

    #[test]
    fn fold_in_of_a_new_rating_changes_the_next_top_n() {
        let snap =
            Snapshot::train(input(), &small_params(), &crate::recommender::no_progress).unwrap();
        let mut h = snap.history(5555, &[(20, 5.0, 1.0, 1)], None);
        h.folded = Some(snap.fold_in(&h.view()));
        let before: Vec<ItemIdx> = snap
            .recommend(&h.view(), 4, &[], &|_| true)
            .iter()
            .map(|r| r.item)
            .collect();
        for (item, r, c) in [
            (10, 5.0, 1.0),
            (30, 5.0, 1.0),
            (50, 5.0, 1.0),
            (20, 1.0, -1.0),
        ] {
            let i = snap.vocab.item(item).unwrap();
            h.push(i, r, c, 4);
        }
        h.folded = Some(snap.fold_in(&h.view()));
        let after: Vec<ItemIdx> = snap
            .recommend(&h.view(), 4, &[], &|_| true)
            .iter()
            .map(|r| r.item)
            .collect();
        assert_ne!(before, after);
    }
}
