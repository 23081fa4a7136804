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
    rank_scores, Demographics, ItemIdx, Progress, RecommendError, Scorer, UserIdx, Vocab,
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
    /// Ratings.
    pub ratings: usize,
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

const RATING_MODELS: &[&str] = &["baseline", "mf", "svdpp", "knn", "user_knn", "hybrid"];

/// Dense form of a dataset's ratings for evaluation.
struct Prepared {
    vocab: Vocab,
    triplets: Vec<Triplet>,
    tokens: Vec<(ItemIdx, Vec<String>)>,
    genres: Vec<Vec<u32>>,
    demographics: Vec<(UserIdx, Demographics)>,
}

fn prepare(ds: &Dataset) -> Prepared {
    let mut vocab = Vocab::default();
    let triplets: Vec<Triplet> = ds
        .ratings
        .iter()
        .map(|r| Triplet {
            user: vocab.add_user(r.user),
            item: vocab.add_item(r.movie),
            rating: r.score,
            confidence: 1.0,
            timestamp: r.timestamp,
        })
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
        triplets,
        tokens,
        genres,
        demographics,
    }
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
    let prep = prepare(ds);
    let folds = dataset_folds(ds, cfg.protocol, cfg.seed);
    let total = (folds.len() * cfg.models.len()) as u64;
    let mut per_model: Vec<Vec<FoldReport>> = vec![Vec::new(); cfg.models.len()];
    for (f, fold) in folds.iter().enumerate() {
        let train_t: Vec<Triplet> = fold.train.iter().map(|&i| prep.triplets[i]).collect();
        let train =
            Interactions::from_triplets(prep.vocab.n_users(), prep.vocab.n_items(), &train_t)?;
        let test: Vec<Triplet> = fold.test.iter().map(|&i| prep.triplets[i]).collect();
        let side = SideInfo {
            item_tokens: prep.tokens.clone(),
            demographics: prep.demographics.clone(),
        };
        for (m, spec) in cfg.models.iter().enumerate() {
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
            if cfg.rating_metrics && RATING_MODELS.contains(&spec.name.as_str()) {
                let pairs = rating_pairs(model.scorer(), &train, &test);
                rep.rmse = Some(rmse(&pairs));
                rep.mae = Some(mae(&pairs));
            }
            if cfg.ranking_metrics {
                rep.ranking = Some(ranking(model.scorer(), &train, &test, cfg, &prep.genres));
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
    let models = cfg
        .models
        .iter()
        .zip(per_model)
        .map(|(spec, folds)| summarise(spec, folds))
        .collect();
    Ok(EvalReport {
        dataset: format!("{:?}", ds.format),
        users: prep.vocab.n_users(),
        items: prep.vocab.n_items(),
        ratings: ds.ratings.len(),
        protocol: cfg.protocol,
        seed: cfg.seed,
        k: cfg.k,
        relevance_threshold: cfg.relevance_threshold,
        models,
    })
}

fn by_user(test: &[Triplet]) -> Vec<(UserIdx, Vec<&Triplet>)> {
    let mut m: HashMap<UserIdx, Vec<&Triplet>> = HashMap::new();
    for t in test {
        m.entry(t.user).or_default().push(t);
    }
    let mut v: Vec<_> = m.into_iter().collect();
    v.sort_by_key(|x| x.0);
    v
}

fn rating_pairs(model: &dyn Scorer, train: &Interactions, test: &[Triplet]) -> Vec<(f32, f32)> {
    let mu = train.global_mean();
    by_user(test)
        .par_iter()
        .flat_map_iter(|(u, cells)| {
            let cells: Vec<&&Triplet> = cells.iter().filter(|t| !t.rating.is_nan()).collect();
            let items: Vec<ItemIdx> = cells.iter().map(|t| t.item).collect();
            let s = model.score(&train.history(*u), &items);
            cells
                .iter()
                .zip(s)
                .map(|(t, p)| (if p.is_finite() { p } else { mu }, t.rating))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn ranking(
    model: &dyn Scorer,
    train: &Interactions,
    test: &[Triplet],
    cfg: &EvalConfig,
    genres: &[Vec<u32>],
) -> RankingReport {
    let cands: Vec<ItemIdx> = (0..train.n_items() as u32)
        .map(ItemIdx)
        .filter(|&i| train.item_len(i) > 0)
        .collect();
    let results: Vec<(RankMetrics, Vec<ItemIdx>)> = by_user(test)
        .par_iter()
        .filter_map(|(u, cells)| {
            let rel: HashSet<ItemIdx> = cells
                .iter()
                .filter(|t| cfg.relevance_threshold.is_none_or(|th| t.rating >= th))
                .map(|t| t.item)
                .collect();
            if rel.is_empty() {
                return None;
            }
            let h = train.history(*u);
            let s = model.score(&h, &cands);
            let top: Vec<ItemIdx> = rank_scores(&cands, s.as_slice()?, h.items, &[], cfg.k)
                .into_iter()
                .map(|x| x.0)
                .collect();
            Some((rank_metrics(&top, &rel, cfg.k), top))
        })
        .collect();
    let n = results.len().max(1) as f64;
    let avg = |f: fn(&RankMetrics) -> f64| results.iter().map(|r| f(&r.0)).sum::<f64>() / n;
    let lists: Vec<Vec<ItemIdx>> = results.iter().map(|r| r.1.clone()).collect();
    let pop: Vec<u32> = (0..train.n_items())
        .map(|i| train.item_len(ItemIdx(i as u32)) as u32)
        .collect();
    RankingReport {
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
    }
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
        rmse: mean_opt(&|f| f.rmse),
        mae: mean_opt(&|f| f.mae),
        ranking,
        fit_seconds: folds.iter().map(|f| f.fit_seconds).sum::<f64>() / n,
        predict_seconds: folds.iter().map(|f| f.eval_seconds).sum::<f64>() / n,
        folds,
    }
}

impl EvalReport {
    /// The report as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The report as a markdown table (one row per model).
    pub fn to_markdown(&self) -> String {
        let k = self.k;
        let mut s = format!(
            "Dataset {} ({} users, {} items, {} ratings), protocol `{}`, seed {}, k = {}\n\n",
            self.dataset, self.users, self.items, self.ratings, self.protocol, self.seed, k
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
            let _ = write!(s, "| {} | {} | {} ", m.name, o(m.rmse), o(m.mae));
            match &m.ranking {
                Some(r) => {
                    let _ = write!(
                        s,
                        "| {:.4} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} | {:.3} | {:.2} | {:.3} | {:.3} | {:.1} ",
                        r.precision, r.recall, r.ndcg, r.map, r.mrr, r.hit_rate, r.coverage, r.novelty, r.ild, r.gini, r.mean_popularity
                    );
                }
                None => s.push_str("| – | – | – | – | – | – | – | – | – | – | – "),
            }
            let _ = writeln!(s, "| {:.3} | {:.3} |", m.fit_seconds, m.predict_seconds);
        }
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
    let meta =
        serde_json::json!({"protocol": protocol.to_string(), "seed": seed, "folds": folds.len()});
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
        assert!(report.to_json().contains("\"protocol\": \"holdout:0.2\""));
        assert!(report.to_table().contains("baseline"));
    }
}
