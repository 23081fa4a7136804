//! Runs a list of models under a protocol on a [`Dataset`] and returns a serialisable report.
//!
//! **Rating protocol** (RMSE, MAE): every test interaction is predicted from the model trained
//! on the fold's training part, with the user's training interactions as history. A model that
//! cannot predict (NaN) is charged the training mean.
//!
//! **Top-N protocol** (precision, recall, NDCG, MAP, MRR, hit rate @k and beyond-accuracy
//! metrics): for every user with at least one relevant test item, candidates are all items with
//! at least one training interaction that the user has not interacted with in training; the
//! model's top-k of those is compared with the relevant set = the user's test items (with
//! `relevance_threshold`, only those rated at least that). Metrics are averaged over users, then
//! over folds. Binary gains; NDCG's ideal list has `min(|relevant|, k)` hits.

use super::metrics::{
    coverage, exposure_gini, intra_list_diversity, mae, mean_popularity, novelty, rank_metrics,
    rmse, RankMetrics,
};
use super::split::{split, Fold, Protocol};
use crate::dataset::Dataset;
use crate::recommender::hybrid::{Component, ComponentSpec, SideInfo};
use crate::recommender::interactions::{Interactions, Triplet};
use crate::recommender::{
    rank_scores, Demographics, ItemIdx, Progress, RecommendError, Scorer, UserHistory, UserIdx,
    Vocab,
};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::time::Instant;

/// What to evaluate and how.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct EvalConfig {
    /// Split protocol.
    pub protocol: Protocol,
    /// Seed of the split.
    pub seed: u64,
    /// Cut-off of the top-N metrics.
    pub k: usize,
    /// Models to run.
    pub models: Vec<ComponentSpec>,
    /// Compute RMSE/MAE for rating models.
    pub rating_metrics: bool,
    /// Compute top-N metrics.
    pub ranking_metrics: bool,
    /// Only test items rated at least this are relevant (`None` = all test items).
    pub relevance_threshold: Option<f32>,
}

impl Default for EvalConfig {
    fn default() -> Self {
        EvalConfig {
            protocol: Protocol::KFold(5),
            seed: 42,
            k: 10,
            models: [
                "baseline",
                "mf",
                "svdpp",
                "knn",
                "hybrid",
                "als",
                "popularity",
            ]
            .iter()
            .map(|n| ComponentSpec::new(n))
            .collect(),
            rating_metrics: true,
            ranking_metrics: true,
            relevance_threshold: None,
        }
    }
}

/// Metrics of one model on one fold.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FoldReport {
    /// RMSE (rating models only).
    pub rmse: Option<f64>,
    /// MAE (rating models only).
    pub mae: Option<f64>,
    /// Top-N metrics.
    pub ranking: Option<RankingReport>,
    /// Training time in seconds.
    pub fit_seconds: f64,
    /// Scoring time of the whole fold in seconds.
    pub eval_seconds: f64,
    /// Top-N metrics of every evaluated user (for [`EvalReport::per_user_csv`] and
    /// [`EvalReport::paired`]; not in the JSON report).
    #[serde(skip)]
    pub per_user: Vec<UserScore>,
}

/// One user's top-N metrics on one fold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UserScore {
    /// The user's id in the dataset.
    pub user: i64,
    /// NDCG@k.
    pub ndcg: f64,
    /// Recall@k.
    pub recall: f64,
    /// Precision@k.
    pub precision: f64,
    /// Average precision@k.
    pub ap: f64,
    /// Reciprocal rank.
    pub rr: f64,
}

/// A paired comparison of two models' NDCG@k over the same users and folds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Paired {
    /// (user, fold) pairs compared.
    pub n: usize,
    /// Mean of `a − b`.
    pub mean_diff: f64,
    /// 95 % confidence interval of the mean difference (Student's t).
    pub ci95: (f64, f64),
    /// Paired t statistic.
    pub t: f64,
    /// Two-sided p-value of "no difference".
    pub p: f64,
}

/// Averaged top-N metrics.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RankingReport {
    /// Precision@k.
    pub precision: f64,
    /// Recall@k.
    pub recall: f64,
    /// NDCG@k.
    pub ndcg: f64,
    /// MAP@k.
    pub map: f64,
    /// MRR.
    pub mrr: f64,
    /// Hit rate@k.
    pub hit_rate: f64,
    /// Catalogue coverage of all lists.
    pub coverage: f64,
    /// Mean self-information of recommended items.
    pub novelty: f64,
    /// Mean intra-list genre diversity.
    pub ild: f64,
    /// Gini of item exposure.
    pub gini: f64,
    /// Mean training popularity of recommended items.
    pub mean_popularity: f64,
    /// Users evaluated.
    pub users: usize,
}

/// Results of one model across folds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelReport {
    /// Model name.
    pub name: String,
    /// Parameters as given.
    pub params: serde_json::Value,
    /// Mean RMSE over folds.
    pub rmse: Option<f64>,
    /// Standard deviation of RMSE across folds (with two or more folds).
    #[serde(default)]
    pub rmse_sd: Option<f64>,
    /// Standard deviation of NDCG@k across folds (with two or more folds).
    #[serde(default)]
    pub ndcg_sd: Option<f64>,
    /// Mean MAE over folds.
    pub mae: Option<f64>,
    /// Mean top-N metrics over folds.
    pub ranking: Option<RankingReport>,
    /// Mean fit time per fold (s).
    pub fit_seconds: f64,
    /// Mean time per fold to score every test user and compute the metrics (s).
    #[serde(default)]
    pub predict_seconds: f64,
    /// Per-fold results.
    pub folds: Vec<FoldReport>,
}

/// The evaluation report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EvalReport {
    /// Dataset layout.
    pub dataset: String,
    /// Users with ratings.
    pub users: usize,
    /// Items with ratings.
    pub items: usize,
    /// Ratings (one per user and movie).
    pub ratings: usize,
    /// Ratings dropped because a later one rated the same movie by the same user.
    #[serde(default)]
    pub duplicates: usize,
    /// Protocol used.
    pub protocol: Protocol,
    /// Split seed.
    pub seed: u64,
    /// Top-N cut-off.
    pub k: usize,
    /// Relevance threshold (None = every test item is relevant).
    pub relevance_threshold: Option<f32>,
    /// One entry per model.
    pub models: Vec<ModelReport>,
}

pub(super) const RATING_MODELS: &[&str] = &["baseline", "mf", "svdpp", "knn", "user_knn", "hybrid"];

/// Dense form of a dataset's ratings for evaluation.
pub(super) struct Prepared {
    pub(super) vocab: Vocab,
    /// Each rating's dense (user, item), by position in the dataset's ratings (8 bytes a rating
    /// where whole triplets would take 24: 400 MB less at 25 M).
    cells: Vec<(UserIdx, ItemIdx)>,
    pub(super) tokens: Vec<(ItemIdx, Vec<String>)>,
    genres: Vec<Vec<u32>>,
    pub(super) demographics: Vec<(UserIdx, Demographics)>,
}

pub(super) fn prepare(ds: &Dataset) -> Prepared {
    let mut vocab = Vocab::default();
    let cells: Vec<(UserIdx, ItemIdx)> = ds
        .ratings
        .iter()
        .map(|r| (vocab.add_user(r.user), vocab.add_item(r.movie)))
        .collect();
    let mut genre_ids: HashMap<&str, u32> = HashMap::new();
    let mut genres = vec![Vec::new(); vocab.n_items()];
    let mut tok: HashMap<ItemIdx, Vec<String>> = HashMap::new();
    for m in &ds.movies {
        if let Some(i) = vocab.item(m.id) {
            for g in &m.genres {
                let n = genre_ids.len() as u32;
                genres[i.ix()].push(*genre_ids.entry(g.as_str()).or_insert(n));
                tok.entry(i).or_default().push(format!("genre:{g}"));
            }
            if let Some(y) = m.year {
                tok.entry(i)
                    .or_default()
                    .push(format!("decade:{}", y / 10 * 10));
            }
        }
    }
    for t in &ds.tags {
        if let Some(i) = vocab.item(t.movie) {
            tok.entry(i)
                .or_default()
                .push(format!("tag:{}", t.tag.to_lowercase()));
        }
    }
    let mut tokens: Vec<(ItemIdx, Vec<String>)> = tok.into_iter().collect();
    tokens.sort_by_key(|x| x.0);
    let demographics = ds
        .users
        .iter()
        .filter_map(|u| {
            vocab.user(u.id).map(|x| {
                (
                    x,
                    Demographics {
                        age: u.age,
                        gender: u.gender.clone(),
                        occupation: u.occupation.clone(),
                        country: None,
                    },
                )
            })
        })
        .collect();
    Prepared {
        vocab,
        cells,
        tokens,
        genres,
        demographics,
    }
}

impl Prepared {
    /// The `k`-th rating of `ds` in dense ids.
    pub(super) fn triplet(&self, ds: &Dataset, k: usize) -> Triplet {
        let (user, item) = self.cells[k];
        let r = &ds.ratings[k];
        Triplet {
            user,
            item,
            rating: r.score,
            confidence: 1.0,
            timestamp: r.timestamp,
        }
    }
}

fn has_duplicates(ds: &Dataset) -> bool {
    let mut seen = HashSet::with_capacity(ds.ratings.len());
    !ds.ratings.iter().all(|r| seen.insert((r.user, r.movie)))
}

/// The splits the runner uses for a dataset (indices into `ds.ratings`).
pub fn dataset_folds(ds: &Dataset, protocol: Protocol, seed: u64) -> Vec<Fold> {
    let users: Vec<i64> = ds.ratings.iter().map(|r| r.user).collect();
    let ts: Vec<i64> = ds.ratings.iter().map(|r| r.timestamp).collect();
    split(&users, &ts, protocol, seed)
}

/// Evaluates every model of `cfg` on `ds`.
pub fn evaluate(
    ds: &Dataset,
    cfg: &EvalConfig,
    progress: &dyn Fn(Progress),
) -> Result<EvalReport, RecommendError> {
    let deduped;
    let (ds, duplicates) = if has_duplicates(ds) {
        let mut d = ds.clone();
        let n = d.dedupe_ratings();
        deduped = d;
        (&deduped, n)
    } else {
        (ds, 0)
    };
    let prep = prepare(ds);
    let folds = dataset_folds(ds, cfg.protocol, cfg.seed);
    let total = (folds.len() * cfg.models.len()) as u64;
    // The run's seed seeds every model (unless its parameters name their own).
    let specs: Vec<ComponentSpec> = cfg
        .models
        .iter()
        .map(|s| s.seeded(cfg.seed))
        .collect::<Result<_, _>>()?;
    for s in &specs {
        s.resolved_params()?;
    }
    // Each user's demographics (when the dataset has them), given with their history as the
    // server gives them.
    let mut demographics: Vec<Option<Demographics>> = vec![None; prep.vocab.n_users()];
    for (u, d) in &prep.demographics {
        demographics[u.ix()] = Some(d.clone());
    }
    let mut per_model: Vec<Vec<FoldReport>> = vec![Vec::new(); cfg.models.len()];
    for (f, fold) in folds.iter().enumerate() {
        let train_t: Vec<Triplet> = fold.train.iter().map(|&i| prep.triplet(ds, i)).collect();
        let train =
            Interactions::from_triplet_vec(prep.vocab.n_users(), prep.vocab.n_items(), train_t)?;
        let test: Vec<Triplet> = fold.test.iter().map(|&i| prep.triplet(ds, i)).collect();
        let side = SideInfo {
            item_tokens: prep.tokens.clone(),
            demographics: prep.demographics.clone(),
        };
        for (m, spec) in specs.iter().enumerate() {
            progress(Progress {
                stage: format!("fold {}/{}: {}", f + 1, folds.len(), spec.name),
                done: (f * cfg.models.len() + m) as u64,
                total,
            });
            let t0 = Instant::now();
            let model = Component::fit(spec, &train, &side)?;
            let fit_seconds = t0.elapsed().as_secs_f64();
            let t1 = Instant::now();
            let mut rep = FoldReport {
                fit_seconds,
                ..Default::default()
            };
            let history = |u: UserIdx| UserHistory {
                demographics: demographics[u.ix()].as_ref(),
                ..train.history(u)
            };
            if cfg.rating_metrics && RATING_MODELS.contains(&spec.name.as_str()) {
                let pairs = rating_pairs(model.scorer(), &history, &train, &test);
                rep.rmse = Some(rmse(&pairs));
                rep.mae = Some(mae(&pairs));
            }
            if cfg.ranking_metrics {
                let (report, users) =
                    ranking(model.scorer(), &history, &train, &test, cfg, &prep.genres);
                rep.ranking = Some(report);
                rep.per_user = users
                    .into_iter()
                    .map(|(u, m)| UserScore {
                        user: prep.vocab.user_id(u).unwrap_or(-1),
                        ndcg: m.ndcg,
                        recall: m.recall,
                        precision: m.precision,
                        ap: m.ap,
                        rr: m.rr,
                    })
                    .collect();
            }
            rep.eval_seconds = t1.elapsed().as_secs_f64();
            per_model[m].push(rep);
        }
    }
    progress(Progress {
        stage: "done".into(),
        done: total,
        total,
    });
    let models = specs
        .iter()
        .zip(per_model)
        .map(|(spec, folds)| summarise(spec, folds))
        .collect();
    Ok(EvalReport {
        dataset: ds.format.label().to_string(),
        users: prep.vocab.n_users(),
        items: prep.vocab.n_items(),
        ratings: ds.ratings.len(),
        duplicates,
        protocol: cfg.protocol,
        seed: cfg.seed,
        k: cfg.k,
        relevance_threshold: cfg.relevance_threshold,
        models,
    })
}

pub(super) fn by_user(test: &[Triplet]) -> Vec<(UserIdx, Vec<&Triplet>)> {
    let mut m: HashMap<UserIdx, Vec<&Triplet>> = HashMap::new();
    for t in test {
        m.entry(t.user).or_default().push(t);
    }
    let mut v: Vec<_> = m.into_iter().collect();
    v.sort_by_key(|x| x.0);
    v
}

pub(super) fn rating_pairs<'a>(
    model: &dyn Scorer,
    history: &(dyn Fn(UserIdx) -> UserHistory<'a> + Sync),
    train: &Interactions,
    test: &[Triplet],
) -> Vec<(f32, f32)> {
    let mu = train.global_mean();
    by_user(test)
        .par_iter()
        .flat_map_iter(|(u, cells)| {
            let cells: Vec<&&Triplet> = cells.iter().filter(|t| !t.rating.is_nan()).collect();
            let items: Vec<ItemIdx> = cells.iter().map(|t| t.item).collect();
            let s = model.score(&history(*u), &items);
            cells
                .iter()
                .zip(s)
                .map(|(t, p)| (if p.is_finite() { p } else { mu }, t.rating))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn ranking<'a>(
    model: &dyn Scorer,
    history: &(dyn Fn(UserIdx) -> UserHistory<'a> + Sync),
    train: &Interactions,
    test: &[Triplet],
    cfg: &EvalConfig,
    genres: &[Vec<u32>],
) -> (RankingReport, Vec<(UserIdx, RankMetrics)>) {
    let cands = candidates(train);
    let results = rank_users(model, history, &cands, test, cfg.k, cfg.relevance_threshold);
    let n = results.len().max(1) as f64;
    let avg = |f: fn(&RankMetrics) -> f64| results.iter().map(|r| f(&r.0)).sum::<f64>() / n;
    let lists: Vec<Vec<ItemIdx>> = results.iter().map(|r| r.1.clone()).collect();
    let pop: Vec<u32> = (0..train.n_items())
        .map(|i| train.item_len(ItemIdx(i as u32)) as u32)
        .collect();
    let report = RankingReport {
        precision: avg(|m| m.precision),
        recall: avg(|m| m.recall),
        ndcg: avg(|m| m.ndcg),
        map: avg(|m| m.ap),
        mrr: avg(|m| m.rr),
        hit_rate: avg(|m| m.hit),
        coverage: coverage(&lists, cands.len()),
        novelty: novelty(&lists, &pop, train.n_users()),
        ild: intra_list_diversity(&lists, genres),
        gini: exposure_gini(&lists, cands.len().max(train.n_items())),
        mean_popularity: mean_popularity(&lists, &pop),
        users: results.len(),
    };
    let per_user = results.iter().map(|r| (r.2, r.0)).collect();
    (report, per_user)
}

/// The top-N candidates: every item with a training interaction.
pub(super) fn candidates(train: &Interactions) -> Vec<ItemIdx> {
    (0..train.n_items() as u32)
        .map(ItemIdx)
        .filter(|&i| train.item_len(i) > 0)
        .collect()
}

/// Every test user's top-`k` of `cands` (their training items left out) against their relevant
/// test items (rated at least `threshold`, when given): (metrics, top list, user), by user.
pub(super) fn rank_users<'a>(
    model: &dyn Scorer,
    history: &(dyn Fn(UserIdx) -> UserHistory<'a> + Sync),
    cands: &[ItemIdx],
    test: &[Triplet],
    k: usize,
    threshold: Option<f32>,
) -> Vec<(RankMetrics, Vec<ItemIdx>, UserIdx)> {
    by_user(test)
        .par_iter()
        .filter_map(|(u, cells)| {
            let rel: HashSet<ItemIdx> = cells
                .iter()
                .filter(|t| threshold.is_none_or(|th| t.rating >= th))
                .map(|t| t.item)
                .collect();
            if rel.is_empty() {
                return None;
            }
            let h = history(*u);
            let s = model.score(&h, cands);
            let top: Vec<ItemIdx> = rank_scores(cands, s.as_slice()?, h.items, &[], k)
                .into_iter()
                .map(|x| x.0)
                .collect();
            Some((rank_metrics(&top, &rel, k), top, *u))
        })
        .collect()
}

/// Sample standard deviation (`None` with fewer than two values).
fn sd(values: impl Iterator<Item = f64>) -> Option<f64> {
    let v: Vec<f64> = values.collect();
    if v.len() < 2 {
        return None;
    }
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (v.len() - 1) as f64;
    Some(var.sqrt())
}

fn summarise(spec: &ComponentSpec, folds: Vec<FoldReport>) -> ModelReport {
    let n = folds.len().max(1) as f64;
    let mean_opt = |f: &dyn Fn(&FoldReport) -> Option<f64>| -> Option<f64> {
        let v: Vec<f64> = folds.iter().filter_map(f).collect();
        (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
    };
    let ranking = if folds.iter().all(|f| f.ranking.is_some()) && !folds.is_empty() {
        let rs: Vec<&RankingReport> = folds.iter().filter_map(|f| f.ranking.as_ref()).collect();
        let m =
            |g: fn(&RankingReport) -> f64| rs.iter().map(|r| g(r)).sum::<f64>() / rs.len() as f64;
        Some(RankingReport {
            precision: m(|r| r.precision),
            recall: m(|r| r.recall),
            ndcg: m(|r| r.ndcg),
            map: m(|r| r.map),
            mrr: m(|r| r.mrr),
            hit_rate: m(|r| r.hit_rate),
            coverage: m(|r| r.coverage),
            novelty: m(|r| r.novelty),
            ild: m(|r| r.ild),
            gini: m(|r| r.gini),
            mean_popularity: m(|r| r.mean_popularity),
            users: rs.iter().map(|r| r.users).sum::<usize>() / rs.len(),
        })
    } else {
        None
    };
    ModelReport {
        name: spec.name.clone(),
        params: spec.params.clone(),
        rmse_sd: sd(folds.iter().filter_map(|f| f.rmse)),
        ndcg_sd: sd(folds
            .iter()
            .filter_map(|f| f.ranking.as_ref().map(|r| r.ndcg))),
        rmse: mean_opt(&|f| f.rmse),
        mae: mean_opt(&|f| f.mae),
        ranking,
        fit_seconds: folds.iter().map(|f| f.fit_seconds).sum::<f64>() / n,
        predict_seconds: folds.iter().map(|f| f.eval_seconds).sum::<f64>() / n,
        folds,
    }
}

impl EvalReport {
    /// The report in the one JSON shape of `marquee evaluate --format json` and of a model
    /// version's stored metrics (docs/evaluation.md): `{"dataset", "format", "protocol", "seed",
    /// "k", …, "models": [{"name", "rmse", "mae", "ndcg@10", …, "fit_seconds"}]}`; `dataset`
    /// names the data as the reader knows it, `protocol` as it was given.
    pub fn to_json(&self, dataset: &str, protocol: &str) -> serde_json::Value {
        let r = self;
        use serde_json::{json, Map, Value};
        let k = r.k;
        let models: Vec<Value> = r
            .models
            .iter()
            .map(|m| {
                let mut o = Map::new();
                o.insert("name".into(), json!(m.name));
                o.insert("rmse".into(), json!(m.rmse));
                o.insert("mae".into(), json!(m.mae));
                o.insert("rmse_sd".into(), json!(m.rmse_sd));
                o.insert(format!("ndcg@{k}_sd"), json!(m.ndcg_sd));
                if let Some(x) = &m.ranking {
                    for (name, v) in [
                        ("precision", x.precision),
                        ("recall", x.recall),
                        ("ndcg", x.ndcg),
                        ("map", x.map),
                        ("mrr", x.mrr),
                        ("hit_rate", x.hit_rate),
                    ] {
                        o.insert(format!("{name}@{k}"), json!(v));
                    }
                    o.insert("coverage".into(), json!(x.coverage));
                    o.insert("novelty".into(), json!(x.novelty));
                    o.insert("intra_list_diversity".into(), json!(x.ild));
                    o.insert("exposure_gini".into(), json!(x.gini));
                    o.insert("mean_popularity".into(), json!(x.mean_popularity));
                }
                o.insert("fit_seconds".into(), json!(m.fit_seconds));
                o.insert("predict_seconds".into(), json!(m.predict_seconds));
                Value::Object(o)
            })
            .collect();
        json!({
            "dataset": dataset,
            "format": r.dataset,
            "protocol": protocol,
            "seed": r.seed,
            "k": k,
            "users": r.users,
            "items": r.items,
            "ratings": r.ratings,
            "duplicates": r.duplicates,
            "models": models,
        })
    }

    /// Every evaluated user's top-N metrics as CSV: `model,fold,user,ndcg,recall,precision,ap,rr`
    /// (folds numbered from 1), for significance tests elsewhere.
    pub fn per_user_csv(&self) -> String {
        let mut s = format!(
            "model,fold,user,ndcg@{k},recall@{k},precision@{k},ap@{k},rr\n",
            k = self.k
        );
        for m in &self.models {
            for (f, fold) in m.folds.iter().enumerate() {
                for u in &fold.per_user {
                    let _ = writeln!(
                        s,
                        "{},{},{},{:.6},{:.6},{:.6},{:.6},{:.6}",
                        m.name,
                        f + 1,
                        u.user,
                        u.ndcg,
                        u.recall,
                        u.precision,
                        u.ap,
                        u.rr
                    );
                }
            }
        }
        s
    }

    /// Paired t-test of model `a`'s NDCG@k against model `b`'s over the users (and folds) both
    /// were scored on; `None` if either has no per-user results or fewer than two pairs.
    pub fn paired(&self, a: usize, b: usize) -> Option<Paired> {
        use statrs::distribution::{ContinuousCDF, StudentsT};
        let (ma, mb) = (self.models.get(a)?, self.models.get(b)?);
        let mut diffs = vec![];
        for (fa, fb) in ma.folds.iter().zip(&mb.folds) {
            let of_b: HashMap<i64, f64> = fb.per_user.iter().map(|u| (u.user, u.ndcg)).collect();
            diffs.extend(
                fa.per_user
                    .iter()
                    .filter_map(|u| of_b.get(&u.user).map(|nb| u.ndcg - nb)),
            );
        }
        let n = diffs.len();
        if n < 2 {
            return None;
        }
        let mean = diffs.iter().sum::<f64>() / n as f64;
        let sd = sd(diffs.iter().copied())?;
        let se = sd / (n as f64).sqrt();
        let dist = StudentsT::new(0.0, 1.0, (n - 1) as f64).ok()?;
        let (t, p) = if se > 0.0 {
            let t = mean / se;
            (t, 2.0 * (1.0 - dist.cdf(t.abs())))
        } else {
            (0.0, if mean == 0.0 { 1.0 } else { 0.0 })
        };
        let q = dist.inverse_cdf(0.975);
        Some(Paired {
            n,
            mean_diff: mean,
            ci95: (mean - q * se, mean + q * se),
            t,
            p,
        })
    }

    /// Markdown rows comparing every ranked model with the best one by NDCG (paired over
    /// users), or nothing with fewer than two ranked models.
    fn paired_table(&self) -> String {
        let ranked: Vec<usize> = (0..self.models.len())
            .filter(|&m| self.models[m].ranking.is_some())
            .collect();
        let ndcg = |m: usize| self.models[m].ranking.as_ref().map_or(0.0, |r| r.ndcg);
        let Some(&best) = ranked.iter().max_by(|&&a, &&b| ndcg(a).total_cmp(&ndcg(b))) else {
            return String::new();
        };
        if ranked.len() < 2 {
            return String::new();
        }
        let k = self.k;
        let mut s = format!(
            "\nPaired over users against {} (NDCG@{k}, Student's t):\n\n| model | Δ NDCG@{k} | 95 % CI | t | p | pairs |\n|---|---|---|---|---|---|\n",
            self.models[best].name
        );
        for &m in ranked.iter().filter(|&&m| m != best) {
            if let Some(x) = self.paired(m, best) {
                let _ = writeln!(
                    s,
                    "| {} | {:+.4} | [{:+.4}, {:+.4}] | {:.2} | {:.2e} | {} |",
                    self.models[m].name, x.mean_diff, x.ci95.0, x.ci95.1, x.t, x.p, x.n
                );
            }
        }
        s
    }

    /// `", 3 duplicate ratings dropped (the last of each pair kept)"`, or nothing.
    pub fn duplicates_note(&self) -> String {
        match self.duplicates {
            0 => String::new(),
            n => format!(", {n} duplicate ratings dropped (the last of each pair kept)"),
        }
    }

    /// The report as a markdown table (one row per model).
    pub fn to_markdown(&self) -> String {
        let k = self.k;
        let mut s = format!(
            "Dataset {} ({} users, {} items, {} ratings{}), protocol `{}`, seed {}, k = {}\n\n",
            self.dataset,
            self.users,
            self.items,
            self.ratings,
            self.duplicates_note(),
            self.protocol,
            self.seed,
            k
        );
        let _ = writeln!(
            s,
            "| model | RMSE | MAE | P@{k} | R@{k} | NDCG@{k} | MAP@{k} | MRR | HR@{k} | coverage | novelty | ILD | Gini | mean pop | fit s/fold | predict s/fold |"
        );
        let _ = writeln!(
            s,
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
        );
        for m in &self.models {
            let o = |x: Option<f64>| x.map(|v| format!("{v:.4}")).unwrap_or_else(|| "–".into());
            let pm = |x: Option<f64>, sd: Option<f64>| match (x, sd) {
                (Some(v), Some(d)) => format!("{v:.4} ± {d:.4}"),
                (x, _) => o(x),
            };
            let _ = write!(
                s,
                "| {} | {} | {} ",
                m.name,
                pm(m.rmse, m.rmse_sd),
                o(m.mae)
            );
            match &m.ranking {
                Some(r) => {
                    let _ = write!(
                        s,
                        "| {:.4} | {:.4} | {} | {:.4} | {:.4} | {:.4} | {:.3} | {:.2} | {:.3} | {:.3} | {:.1} ",
                        r.precision, r.recall, pm(Some(r.ndcg), m.ndcg_sd), r.map, r.mrr, r.hit_rate, r.coverage, r.novelty, r.ild, r.gini, r.mean_popularity
                    );
                }
                None => s.push_str("| – | – | – | – | – | – | – | – | – | – | – "),
            }
            let _ = writeln!(s, "| {:.3} | {:.3} |", m.fit_seconds, m.predict_seconds);
        }
        s.push_str(&self.paired_table());
        s
    }

    /// A compact fixed-width table for terminals.
    pub fn to_table(&self) -> String {
        let mut s = format!(
            "{:<14} {:>8} {:>8} {:>9} {:>9} {:>10} {:>10}\n",
            "model", "RMSE", "MAE", "NDCG@k", "HR@k", "fit s", "predict s"
        );
        for m in &self.models {
            let o = |x: Option<f64>| x.map(|v| format!("{v:.4}")).unwrap_or_else(|| "-".into());
            let (nd, hr) = m
                .ranking
                .as_ref()
                .map(|r| (format!("{:.4}", r.ndcg), format!("{:.4}", r.hit_rate)))
                .unwrap_or(("-".into(), "-".into()));
            let _ = writeln!(
                s,
                "{:<14} {:>8} {:>8} {:>9} {:>9} {:>10.3} {:>10.3}",
                m.name,
                o(m.rmse),
                o(m.mae),
                nd,
                hr,
                m.fit_seconds,
                m.predict_seconds
            );
        }
        s
    }
}

/// The runner's splits as files to write: `fold{N}.train.tsv` / `fold{N}.test.tsv` (`user item
/// rating timestamp`, external ids, tab-separated, no header) plus `splits.json`, so that peer
/// libraries can be run on exactly the same data. The caller writes them (the core does no I/O).
pub fn split_files(ds: &Dataset, protocol: Protocol, seed: u64) -> Vec<(String, String)> {
    let folds = dataset_folds(ds, protocol, seed);
    let meta =
        serde_json::json!({"protocol": protocol.to_string(), "seed": seed, "folds": folds.len()});
    fold_files(ds, &folds, meta)
}

/// Folds of `ds` as split files: `fold{N}.train.tsv` and `fold{N}.test.tsv` (`user<TAB>item<TAB>
/// rating<TAB>timestamp`, the dataset's ids, no header) and `splits.json` holding `meta`.
pub fn fold_files(ds: &Dataset, folds: &[Fold], meta: serde_json::Value) -> Vec<(String, String)> {
    let mut files = Vec::with_capacity(folds.len() * 2 + 1);
    for (f, fold) in folds.iter().enumerate() {
        for (name, idx) in [("train", &fold.train), ("test", &fold.test)] {
            let mut text = String::with_capacity(idx.len() * 24);
            for &i in idx {
                let r = &ds.ratings[i];
                let _ = writeln!(
                    text,
                    "{}\t{}\t{}\t{}",
                    r.user, r.movie, r.score, r.timestamp
                );
            }
            files.push((format!("fold{f}.{name}.tsv"), text));
        }
    }
    files.push(("splits.json".to_string(), meta.to_string()));
    files
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ml100k_smoke_evaluation_runs_quickly() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/datasets/ml-100k");
        assert!(dir.is_dir(), "dataset {} not found", dir.display());
        let cfg = EvalConfig {
            protocol: Protocol::Holdout(0.2),
            models: vec![
                ComponentSpec::new("baseline"),
                ComponentSpec::with("mf", json!({"factors": 8, "epochs": 5})),
                ComponentSpec::with("als", json!({"factors": 8, "iterations": 3})),
                ComponentSpec::new("popularity"),
            ],
            ..Default::default()
        };
        let ds = crate::dataset::load(&dir).unwrap();
        let report = evaluate(&ds, &cfg, &crate::recommender::no_progress).unwrap();
        let rmse = report.models[0].rmse.unwrap();
        assert!(rmse > 0.85 && rmse < 1.05, "{rmse}");
        let pop = report.models[3].ranking.as_ref().unwrap();
        assert!(pop.ndcg > 0.1, "{}", pop.ndcg);
        assert!(report.models[3].rmse.is_none());
        assert!(report.to_markdown().contains("| popularity |"));
        assert!(serde_json::to_string_pretty(&report)
            .unwrap()
            .contains("\"protocol\": \"holdout:0.2\""));
        assert!(report.to_table().contains("baseline"));
        // the one JSON shape: flat metrics named at k, null where a model has none
        let flat = report.to_json("tiny", "holdout:0.2");
        assert_eq!(
            (&flat["dataset"], &flat["protocol"], &flat["k"]),
            (&json!("tiny"), &json!("holdout:0.2"), &json!(report.k))
        );
        let m = &flat["models"][3];
        assert_eq!(
            (&m["name"], &m["rmse"]),
            (&json!("popularity"), &serde_json::Value::Null)
        );
        assert_eq!(m["ndcg@10"].as_f64(), Some(pop.ndcg));
        assert_eq!(flat["models"][0]["rmse"].as_f64(), report.models[0].rmse);
    }

    #[test]
    fn offline_evaluation_sees_demographics_and_drops_duplicate_ratings() {
        use crate::dataset::{Format, Movie, Rating, User};
        // Women and men share one favourite (movie 1) and otherwise rate disjoint halves of the
        // catalogue: only a model that knows who is who can rank the right half first.
        let movies = (1..=11)
            .map(|id| Movie {
                id,
                title: format!("Movie {id}"),
                year: None,
                genres: vec![],
                imdb_id: None,
                tmdb_id: None,
            })
            .collect();
        let mut users = vec![];
        let mut ratings = vec![];
        for u in 1..=80i64 {
            let woman = u % 2 == 0;
            users.push(User {
                gender: Some(if woman { "F" } else { "M" }.into()),
                ..User::anonymous(u)
            });
            let half: Vec<i64> = if woman {
                (7..=11).collect()
            } else {
                (2..=6).collect()
            };
            for (n, m) in std::iter::once(1).chain(half).enumerate() {
                ratings.push(Rating {
                    user: u,
                    movie: m,
                    score: 4.0,
                    timestamp: 1_000 + n as i64,
                });
            }
        }
        // User 2 re-rated movie 1: one pair, kept once.
        ratings.insert(
            0,
            Rating {
                user: 2,
                movie: 1,
                score: 1.0,
                timestamp: 500,
            },
        );
        let ds = Dataset {
            format: Format::MlCsv,
            movies,
            users,
            ratings,
            tags: vec![],
            links: vec![],
        };
        let cfg = EvalConfig {
            protocol: Protocol::Holdout(0.3),
            models: vec![
                ComponentSpec::new("popularity"),
                ComponentSpec::new("demographic"),
            ],
            rating_metrics: false,
            k: 3,
            ..Default::default()
        };
        let report = evaluate(&ds, &cfg, &crate::recommender::no_progress).unwrap();
        assert_eq!((report.ratings, report.duplicates), (480, 1));
        assert!(report.to_markdown().contains(
            "MovieLens CSV (80 users, 11 items, 480 ratings, 1 duplicate ratings dropped"
        ));
        let ndcg = |m: usize| report.models[m].ranking.as_ref().unwrap().ndcg;
        assert!(
            ndcg(1) > ndcg(0) + 0.2,
            "demographic {} vs popularity {}",
            ndcg(1),
            ndcg(0)
        );
        // Per user: a CSV row per model and user, and a paired test that finds the difference.
        let csv = report.per_user_csv();
        let evaluated = report.models[0].ranking.as_ref().unwrap().users;
        assert_eq!(csv.lines().count(), 1 + 2 * evaluated);
        assert!(csv.starts_with("model,fold,user,ndcg@3,"));
        assert!(csv.lines().nth(1).unwrap().starts_with("popularity,1,"));
        let x = report.paired(1, 0).unwrap();
        assert_eq!(x.n, evaluated);
        assert!((x.mean_diff - (ndcg(1) - ndcg(0))).abs() < 1e-9);
        assert!(x.ci95.0 > 0.0 && x.p < 1e-3, "{x:?}");
        let same = report.paired(1, 1).unwrap();
        assert_eq!((same.mean_diff, same.p), (0.0, 1.0));
        assert!(report
            .to_markdown()
            .contains("Paired over users against demographic"));
        // Across folds: each fold's values, and their (sample) spread beside the mean.
        assert!((sd([1.0, 2.0, 3.0, 4.0].into_iter()).unwrap() - 1.290_994_4).abs() < 1e-6);
        assert_eq!(sd([0.5].into_iter()), None);
        let kfold = EvalConfig {
            protocol: Protocol::KFold(3),
            ..cfg
        };
        let report = evaluate(&ds, &kfold, &crate::recommender::no_progress).unwrap();
        let m = &report.models[1];
        let per_fold: Vec<f64> = m
            .folds
            .iter()
            .map(|f| f.ranking.as_ref().unwrap().ndcg)
            .collect();
        assert_eq!(per_fold.len(), 3);
        let sd = sd(per_fold.iter().copied()).unwrap();
        assert_eq!(m.ndcg_sd, Some(sd));
        assert!(report.to_markdown().contains(&format!(
            "{:.4} ± {sd:.4}",
            m.ranking.as_ref().unwrap().ndcg
        )));
    }
}
