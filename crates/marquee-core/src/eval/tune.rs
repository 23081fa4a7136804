//! Hyperparameter search on a validation split carved from training data only (`marquee tune`).
//!
//! Every model has a short search space ([`search_space`]): a few dimensions, each a handful of
//! candidate values. A value is a JSON object merged into the model's parameters, so one step can
//! move parameters that belong together (item-kNN's `k` and `max_neighbors`). The search is
//! coordinate descent: from the given parameters, sweep one dimension at a time keeping the best
//! value, and repeat until a round brings no gain or [`TuneConfig::rounds`] are done. Each trial
//! fits the model on the validation split's training part and scores its held-out part: NDCG@k
//! for ranking models, RMSE for rating models (`baseline`, `mf`, `svdpp`, `knn`, `user_knn`,
//! `hybrid`). A trial that changes only how a fitted model reads histories (EASE's `recency`
//! and `recency_floor`, [`ComponentSpec::fit_key`]) reuses the previous trial's fit.
//!
//! A blend (`hybrid`, `hybrid_rank`) is searched after its components, which are searched first
//! (added to the run when not named), and with its components replaced by their tuned versions.
//!
//! **Time box.** [`TuneConfig::budget_seconds`] bounds the whole search: each model gets an equal
//! share of the time left when its turn comes (what a model leaves unused goes to the next), a
//! trial starts only inside its model's share, and the report says which searches the budget cut
//! short. A model's given parameters are always scored, so every model has a validation figure.

use super::runner::{
    by_user, candidates, dataset_folds, prepare, rank_users, rating_pairs, RATING_MODELS,
};
use super::split::{split, Fold, Protocol};
use crate::dataset::Dataset;
use crate::recommender::hybrid::{Component, ComponentSpec, SideInfo};
use crate::recommender::interactions::{Interactions, Triplet};
use crate::recommender::{Demographics, Progress, RecommendError, UserHistory, UserIdx};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// What to search and for how long.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct TuneConfig {
    /// How the validation split is carved from the training data (the first fold of it).
    pub validation: Protocol,
    /// Seed of the validation split and of the models (unless their parameters name one).
    pub seed: u64,
    /// Cut-off of NDCG.
    pub k: usize,
    /// Wall-clock budget of the whole search, in seconds.
    pub budget_seconds: f64,
    /// Coordinate-descent rounds at most.
    pub rounds: usize,
    /// Users whose held-out interactions score the trials, at most (a seeded sample beyond).
    pub max_validation_users: usize,
    /// Models to tune, from their given parameters.
    pub models: Vec<ComponentSpec>,
}

impl Default for TuneConfig {
    fn default() -> Self {
        TuneConfig {
            validation: Protocol::Holdout(0.2),
            seed: 42,
            k: 10,
            budget_seconds: 600.0,
            rounds: 3,
            max_validation_users: 10_000,
            models: ["ease", "als", "knn_rank"]
                .iter()
                .map(|n| ComponentSpec::new(n))
                .collect(),
        }
    }
}

/// What a model's trials are scored by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// NDCG@k of the top-k list (higher is better).
    Ndcg,
    /// RMSE of the predicted ratings (lower is better).
    Rmse,
}

impl Metric {
    /// The metric a model is tuned by.
    pub fn of(model: &str) -> Metric {
        if RATING_MODELS.contains(&model) {
            Metric::Rmse
        } else {
            Metric::Ndcg
        }
    }
    fn better(self, a: f64, b: f64) -> bool {
        match self {
            Metric::Ndcg => a > b,
            Metric::Rmse => a < b,
        }
    }
    fn label(self, k: usize) -> String {
        match self {
            Metric::Ndcg => format!("NDCG@{k}"),
            Metric::Rmse => "RMSE".into(),
        }
    }
}

/// One fit-and-score of a parameter set.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Trial {
    /// The parameters tried (those set; the rest are the model's defaults).
    pub params: Value,
    /// Validation score (`None` when the fit failed).
    pub score: Option<f64>,
    /// Why the fit failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Fit time (s).
    pub fit_seconds: f64,
    /// Fit and scoring time (s).
    pub seconds: f64,
}

/// One model's search.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelTuning {
    /// Model name.
    pub name: String,
    /// What its trials are scored by.
    pub metric: Metric,
    /// The parameters it was given.
    pub given: ComponentSpec,
    /// Score of the parameters the search started from (the first trial): the given ones, and
    /// for a blend, the given ones with its components tuned.
    pub start_score: Option<f64>,
    /// The best parameters found.
    pub best: ComponentSpec,
    /// Their validation score.
    pub best_score: Option<f64>,
    /// Every trial, in order.
    pub trials: Vec<Trial>,
    /// The budget ended the search before it converged.
    pub cut_short: bool,
    /// Time spent (s).
    pub seconds: f64,
}

/// The search's result.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TuneReport {
    /// Validation protocol.
    pub validation: Protocol,
    /// Seed.
    pub seed: u64,
    /// NDCG cut-off.
    pub k: usize,
    /// Interactions the trials fit on.
    pub fit_interactions: usize,
    /// Held-out interactions that score them.
    pub held_out: usize,
    /// The budget (s).
    pub budget_seconds: f64,
    /// Time spent (s).
    pub seconds: f64,
    /// One entry per model, in search order.
    pub models: Vec<ModelTuning>,
}

/// The search space of a model: dimensions of candidate values, each a JSON object merged into
/// the parameters. Models not listed (popularity, content, trending, demographic) have none:
/// their given parameters are scored once.
pub fn search_space(model: &str) -> Vec<(&'static str, Vec<Value>)> {
    fn dim(key: &'static str, values: &[Value]) -> (&'static str, Vec<Value>) {
        (key, values.iter().map(|v| json!({ key: v })).collect())
    }
    match model {
        "ease" => vec![
            dim(
                "lambda",
                &[50.0, 100.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0].map(|x| json!(x)),
            ),
            dim("dropout", &[0.0, 0.1, 0.25, 0.5].map(|x| json!(x))),
            // Weights kept per movie: more is better offline and costs 8 bytes each in memory
            // and in the blob (2 000 × 12 000 movies, the largest catalogue EASE trains: 192 MB).
            dim("neighbors", &[250, 500, 1000, 2000].map(|x| json!(x))),
            // how much the latest interactions steer the list: off for a random holdout,
            // a few interactions when the test is what the user did next
            dim("recency", &[0.0, 2.0, 5.0, 15.0, 50.0].map(|x| json!(x))),
            dim("recency_floor", &[0.0, 0.05, 0.2].map(|x| json!(x))),
        ],
        "als" => vec![
            dim(
                "reg",
                &[
                    0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0,
                ]
                .map(|x| json!(x)),
            ),
            dim(
                "alpha",
                &[0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 40.0].map(|x| json!(x)),
            ),
            dim("factors", &[32, 64, 128, 256].map(|x| json!(x))),
            dim("iterations", &[15, 30].map(|x| json!(x))),
        ],
        "knn_rank" => vec![
            (
                "k",
                [25, 50, 100, 200, 400]
                    .iter()
                    .map(|k| json!({"k": k, "max_neighbors": k}))
                    .collect(),
            ),
            dim("shrinkage", &[0.0, 10.0, 50.0, 200.0].map(|x| json!(x))),
            dim("max_user_items", &[250, 500, 1000].map(|x| json!(x))),
        ],
        "knn" => vec![
            (
                "k",
                [20, 40, 80]
                    .iter()
                    .map(|k| json!({"k": k, "max_neighbors": (k * 5).max(300)}))
                    .collect(),
            ),
            dim("shrinkage", &[0.0, 50.0, 100.0, 200.0].map(|x| json!(x))),
        ],
        "user_knn" => vec![
            dim("k", &[20, 40, 80, 160].map(|x| json!(x))),
            dim("shrinkage", &[0.0, 10.0, 100.0].map(|x| json!(x))),
        ],
        "baseline" => vec![
            dim("reg_user", &[5.0, 10.0, 15.0, 25.0].map(|x| json!(x))),
            dim("reg_item", &[5.0, 10.0, 20.0].map(|x| json!(x))),
        ],
        "mf" | "svdpp" => vec![
            dim("reg", &[0.02, 0.05, 0.1, 0.2].map(|x| json!(x))),
            dim("factors", &[50, 100, 200].map(|x| json!(x))),
            dim("lr", &[0.003, 0.007, 0.015].map(|x| json!(x))),
            dim("epochs", &[20, 40, 80].map(|x| json!(x))),
        ],
        "hybrid_rank" => vec![
            dim(
                "validation_fraction",
                &[0.05, 0.1, 0.2, 0.3].map(|x| json!(x)),
            ),
            // per-activity-bucket weights, or one set for everyone
            dim("bucket_bounds", &[json!([20, 100]), json!([])]),
            // weights learned on what else users saw, or on what they did next
            dim("held_out", &[json!("random"), json!("latest")]),
        ],
        "hybrid" => vec![dim("ridge", &[1.0, 10.0, 100.0].map(|x| json!(x)))],
        _ => Vec::new(),
    }
}

/// A validation split of `train`: the first fold of `protocol` over its interactions (seeded),
/// as (the part the trials fit on, the held-out interactions that score them). With more than
/// `max_users` users holding out something, only a seeded sample of them keeps their held-out
/// interactions (the others' go back to the fit part).
pub fn carve_validation(
    train: &Interactions,
    protocol: Protocol,
    seed: u64,
    max_users: usize,
) -> Result<(Interactions, Vec<Triplet>), RecommendError> {
    let all = train.triplets();
    let users: Vec<i64> = all.iter().map(|t| i64::from(t.user.0)).collect();
    let ts: Vec<i64> = all.iter().map(|t| t.timestamp).collect();
    let fold = first_fold(&users, &ts, protocol, seed)?;
    let (fit, held_out) = sampled(&all, &fold, seed, max_users);
    drop(all);
    let fit = Interactions::from_triplet_vec(train.n_users(), train.n_items(), fit)?;
    Ok((fit, held_out))
}

fn first_fold(
    users: &[i64],
    ts: &[i64],
    protocol: Protocol,
    seed: u64,
) -> Result<Fold, RecommendError> {
    let fold = split(users, ts, protocol, seed)
        .into_iter()
        .next()
        .filter(|f| !f.test.is_empty() && !f.train.is_empty())
        .ok_or_else(|| RecommendError::InvalidParam {
            name: "validation",
            reason: format!(
                "`{protocol}` holds nothing out of these {} interactions",
                users.len()
            ),
        })?;
    Ok(fold)
}

/// The fold's (fit, held-out) triplets, with the held-out ones of a seeded sample of
/// `max_users` users at most (the rest go back to the fit part).
fn sampled(
    all: &[Triplet],
    fold: &Fold,
    seed: u64,
    max_users: usize,
) -> (Vec<Triplet>, Vec<Triplet>) {
    let mut fit: Vec<Triplet> = fold.train.iter().map(|&i| all[i]).collect();
    let mut held: Vec<Triplet> = fold.test.iter().map(|&i| all[i]).collect();
    let mut users: Vec<UserIdx> = held.iter().map(|t| t.user).collect();
    users.sort_unstable();
    users.dedup();
    if users.len() > max_users {
        users.shuffle(&mut ChaCha8Rng::seed_from_u64(seed.wrapping_add(2)));
        let keep: HashSet<UserIdx> = users[..max_users].iter().copied().collect();
        let (kept, back): (Vec<Triplet>, Vec<Triplet>) =
            held.into_iter().partition(|t| keep.contains(&t.user));
        held = kept;
        fit.extend(back);
    }
    (fit, held)
}

/// Searches every model of `cfg` on a validation split: fits on `fit`, scores on `held_out`.
pub fn tune(
    fit: &Interactions,
    held_out: &[Triplet],
    side: &SideInfo,
    cfg: &TuneConfig,
    progress: &dyn Fn(Progress),
) -> Result<TuneReport, RecommendError> {
    let t0 = Instant::now();
    let models = search_order(&cfg.models)?;
    let mut demographics: Vec<Option<Demographics>> = vec![None; fit.n_users()];
    for (u, d) in &side.demographics {
        if let Some(slot) = demographics.get_mut(u.ix()) {
            *slot = Some(d.clone());
        }
    }
    let history = |u: UserIdx| UserHistory {
        demographics: demographics[u.ix()].as_ref(),
        ..fit.history(u)
    };
    let cands = candidates(fit);
    let n_users = by_user(held_out).len();
    // The last model fitted, by its fit key: a trial that changes only how histories are
    // scored (EASE's recency) reuses it instead of refitting.
    let last: RefCell<Option<(String, Component)>> = RefCell::new(None);
    let score = |spec: &ComponentSpec| -> Result<(f64, f64), RecommendError> {
        let t = Instant::now();
        let key = spec.fit_key()?;
        let model = match last.take() {
            Some((k, mut model)) if k == key => {
                model.set_scoring(spec)?;
                model
            }
            // the previous model is dropped before the next fit
            _ => Component::fit(spec, fit, side)?,
        };
        let fit_seconds = t.elapsed().as_secs_f64();
        let s = match Metric::of(&spec.name) {
            Metric::Ndcg => {
                let users = rank_users(model.scorer(), &history, &cands, held_out, cfg.k, None);
                users.iter().map(|r| r.0.ndcg).sum::<f64>() / n_users.max(1) as f64
            }
            Metric::Rmse => {
                super::metrics::rmse(&rating_pairs(model.scorer(), &history, fit, held_out))
            }
        };
        *last.borrow_mut() = Some((key, model));
        Ok((s, fit_seconds))
    };
    let total: u64 = models
        .iter()
        .map(|m| {
            1 + search_space(&m.name)
                .iter()
                .map(|d| d.1.len() as u64)
                .sum::<u64>()
        })
        .sum();
    let mut done = 0u64;
    let mut out: Vec<ModelTuning> = Vec::with_capacity(models.len());
    let budget = Duration::from_secs_f64(cfg.budget_seconds.max(0.0));
    for (m, start) in models.iter().enumerate() {
        let given = start.seeded(cfg.seed)?;
        let start = with_tuned_components(start, &out)?.seeded(cfg.seed)?;
        let left = budget.saturating_sub(t0.elapsed());
        let deadline = Instant::now() + left / (models.len() - m) as u32;
        let mut tuning = search(&start, cfg, deadline, &score, &mut |stage| {
            done += 1;
            progress(Progress {
                stage,
                done: done.min(total),
                total,
            })
        });
        tuning.given = given;
        out.push(tuning);
    }
    progress(Progress {
        stage: "done".into(),
        done: total,
        total,
    });
    Ok(TuneReport {
        validation: cfg.validation,
        seed: cfg.seed,
        k: cfg.k,
        fit_interactions: fit.nnz(),
        held_out: held_out.len(),
        budget_seconds: cfg.budget_seconds,
        seconds: t0.elapsed().as_secs_f64(),
        models: out,
    })
}

/// The models in search order: each blend's components (those not named) before it, each model
/// once, blends last.
fn search_order(models: &[ComponentSpec]) -> Result<Vec<ComponentSpec>, RecommendError> {
    let is_blend = |s: &ComponentSpec| s.name == "hybrid" || s.name == "hybrid_rank";
    let mut order: Vec<ComponentSpec> = Vec::new();
    let push = |order: &mut Vec<ComponentSpec>, s: &ComponentSpec| {
        if !order.iter().any(|o| o.name == s.name) {
            order.push(s.clone());
        }
    };
    for s in models.iter().filter(|s| !is_blend(s)) {
        s.resolved_params()?;
        push(&mut order, s);
    }
    for s in models.iter().filter(|s| is_blend(s)) {
        for c in blend_components(s)? {
            push(&mut order, &c);
        }
    }
    for s in models.iter().filter(|s| is_blend(s)) {
        s.resolved_params()?;
        order.push(s.clone());
    }
    Ok(order)
}

fn blend_components(blend: &ComponentSpec) -> Result<Vec<ComponentSpec>, RecommendError> {
    let all = blend.resolved_params()?;
    Ok(serde_json::from_value(all["components"].clone())?)
}

/// A blend with each component that was searched before it replaced by its best version.
fn with_tuned_components(
    spec: &ComponentSpec,
    tuned: &[ModelTuning],
) -> Result<ComponentSpec, RecommendError> {
    if spec.name != "hybrid" && spec.name != "hybrid_rank" {
        return Ok(spec.clone());
    }
    let components: Vec<ComponentSpec> = blend_components(spec)?
        .into_iter()
        .map(|c| {
            tuned
                .iter()
                .find(|t| t.name == c.name)
                .map(|t| t.best.clone())
                .unwrap_or(c)
        })
        .collect();
    let mut params = match &spec.params {
        Value::Object(o) => o.clone(),
        _ => serde_json::Map::new(),
    };
    params.insert("components".into(), serde_json::to_value(components)?);
    Ok(ComponentSpec::with(&spec.name, Value::Object(params)))
}

/// Merges `step` (an object) into `params` (an object or null).
fn merged(params: &Value, step: &Value) -> Value {
    let mut out = match params {
        Value::Object(o) => o.clone(),
        _ => serde_json::Map::new(),
    };
    if let Some(s) = step.as_object() {
        for (k, v) in s {
            out.insert(k.clone(), v.clone());
        }
    }
    Value::Object(out)
}

/// Fits a parameter set and scores it: (validation score, fit seconds).
type ScoreFn<'a> = dyn Fn(&ComponentSpec) -> Result<(f64, f64), RecommendError> + 'a;

/// Coordinate descent from `start` until a round brings no gain, `cfg.rounds` are done or the
/// deadline passes.
fn search(
    start: &ComponentSpec,
    cfg: &TuneConfig,
    deadline: Instant,
    score: &ScoreFn<'_>,
    tick: &mut dyn FnMut(String),
) -> ModelTuning {
    let t0 = Instant::now();
    let metric = Metric::of(&start.name);
    let space = search_space(&start.name);
    let mut trials: Vec<Trial> = Vec::new();
    let mut tried: HashSet<String> = HashSet::new();
    let run = |spec: &ComponentSpec, trials: &mut Vec<Trial>| -> Option<f64> {
        let t = Instant::now();
        let (score, error, fit_seconds) = match score(spec) {
            Ok((s, f)) if s.is_finite() => (Some(s), None, f),
            Ok(_) => (None, Some("the score is not a number".to_string()), 0.0),
            Err(e) => (None, Some(e.to_string()), 0.0),
        };
        trials.push(Trial {
            params: spec.params.clone(),
            score,
            error,
            fit_seconds,
            seconds: t.elapsed().as_secs_f64(),
        });
        score
    };
    tick(format!("{}: given parameters", start.name));
    let mut best = start.clone();
    let mut best_score = run(&best, &mut trials);
    tried.insert(
        best.resolved_params()
            .map(|v| v.to_string())
            .unwrap_or_default(),
    );
    let start_score = best_score;
    let mut cut_short = false;
    'rounds: for _ in 0..cfg.rounds.max(1) {
        let mut improved = false;
        for (key, values) in &space {
            for step in values {
                let cand = ComponentSpec::with(&start.name, merged(&best.params, step));
                let Ok(resolved) = cand.resolved_params() else {
                    continue;
                };
                if !tried.insert(resolved.to_string()) {
                    continue;
                }
                if Instant::now() >= deadline {
                    cut_short = true;
                    break 'rounds;
                }
                tick(format!("{}: {key}", start.name));
                if let Some(s) = run(&cand, &mut trials) {
                    if best_score.is_none_or(|b| metric.better(s, b)) {
                        best_score = Some(s);
                        best = cand;
                        improved = true;
                    }
                }
            }
        }
        if !improved {
            break;
        }
    }
    ModelTuning {
        name: start.name.clone(),
        metric,
        given: start.clone(),
        start_score,
        best,
        best_score,
        trials,
        cut_short,
        seconds: t0.elapsed().as_secs_f64(),
    }
}

/// The splits `marquee tune` works on for a dataset: the first fold of the test `protocol`
/// (indices into `ds.ratings`), and the validation fold carved from its training part by
/// `validation` (indices into `ds.ratings` too).
pub struct DatasetSplits {
    /// The test fold.
    pub test: Fold,
    /// The validation fold, inside `test.train`.
    pub validation: Fold,
}

/// The test fold of `protocol` and the validation fold carved from its training part.
pub fn dataset_splits(
    ds: &Dataset,
    protocol: Protocol,
    seed: u64,
    validation: Protocol,
) -> Result<DatasetSplits, RecommendError> {
    let test = dataset_folds(ds, protocol, seed)
        .into_iter()
        .next()
        .ok_or_else(|| RecommendError::InvalidParam {
            name: "protocol",
            reason: format!("`{protocol}` makes no fold"),
        })?;
    let users: Vec<i64> = test.train.iter().map(|&i| ds.ratings[i].user).collect();
    let ts: Vec<i64> = test
        .train
        .iter()
        .map(|&i| ds.ratings[i].timestamp)
        .collect();
    let inner = first_fold(&users, &ts, validation, seed.wrapping_add(1))?;
    let back = |v: Vec<usize>| v.into_iter().map(|p| test.train[p]).collect();
    let validation = Fold {
        train: back(inner.train),
        test: back(inner.test),
    };
    Ok(DatasetSplits { test, validation })
}

/// Tunes the models of `cfg` on a dataset: the validation split is carved (by
/// `cfg.validation`) from the training part of `protocol`'s first fold, so the test part is
/// never seen.
pub fn tune_dataset(
    ds: &Dataset,
    protocol: Protocol,
    cfg: &TuneConfig,
    progress: &dyn Fn(Progress),
) -> Result<TuneReport, RecommendError> {
    let splits = dataset_splits(ds, protocol, cfg.seed, cfg.validation)?;
    let prep = prepare(ds);
    let all: Vec<Triplet> = splits
        .validation
        .train
        .iter()
        .chain(&splits.validation.test)
        .map(|&i| prep.triplet(ds, i))
        .collect();
    let n_fit = splits.validation.train.len();
    let fold = Fold {
        train: (0..n_fit).collect(),
        test: (n_fit..all.len()).collect(),
    };
    let (fit, held_out) = sampled(&all, &fold, cfg.seed, cfg.max_validation_users);
    drop(all);
    let fit = Interactions::from_triplet_vec(prep.vocab.n_users(), prep.vocab.n_items(), fit)?;
    let side = SideInfo {
        item_tokens: prep.tokens.clone(),
        demographics: prep.demographics.clone(),
    };
    tune(&fit, &held_out, &side, cfg, progress)
}

impl TuneReport {
    /// Each model's best parameters, in search order.
    pub fn tuned(&self) -> Vec<ComponentSpec> {
        self.models.iter().map(|m| m.best.clone()).collect()
    }

    /// The model with the best validation score by `metric`.
    pub fn winner(&self, metric: Metric) -> Option<&ModelTuning> {
        let mut best: Option<&ModelTuning> = None;
        for m in self.models.iter().filter(|m| m.metric == metric) {
            let Some(s) = m.best_score else { continue };
            if best
                .and_then(|b| b.best_score)
                .is_none_or(|b| metric.better(s, b))
            {
                best = Some(m);
            }
        }
        best
    }

    /// A Markdown summary: one row per model (start vs tuned validation score, the tuned
    /// parameters, trials, time), then the winner.
    pub fn to_markdown(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "Validation split: `{}` of the training data (seed {}), {} interactions to fit, {} held out; budget {:.0} s, used {:.1} s.\n",
            self.validation, self.seed, self.fit_interactions, self.held_out, self.budget_seconds, self.seconds
        );
        let _ = writeln!(
            s,
            "| model | metric | start | tuned | tuned parameters | trials | s |"
        );
        let _ = writeln!(s, "|---|---|---|---|---|---|---|");
        let f = |x: Option<f64>| x.map_or("–".to_string(), |v| format!("{v:.4}"));
        for m in &self.models {
            let params = short_params(&m.best);
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | `{}` | {}{} | {:.1} |",
                m.name,
                m.metric.label(self.k),
                f(m.start_score),
                f(m.best_score),
                params,
                m.trials.len(),
                if m.cut_short { " (budget)" } else { "" },
                m.seconds
            );
        }
        for metric in [Metric::Ndcg, Metric::Rmse] {
            if let Some(w) = self.winner(metric) {
                let _ = writeln!(
                    s,
                    "\nBest by validation {}: **{}** ({}).",
                    metric.label(self.k),
                    w.name,
                    f(w.best_score)
                );
            }
        }
        s
    }

    /// Every trial as CSV: `model,trial,params,score,fit_seconds,seconds,error`.
    pub fn trials_csv(&self) -> String {
        let mut s = String::from("model,trial,params,score,fit_seconds,seconds,error\n");
        for m in &self.models {
            for (i, t) in m.trials.iter().enumerate() {
                let q = |x: &str| format!("\"{}\"", x.replace('"', "\"\""));
                let _ = writeln!(
                    s,
                    "{},{},{},{},{:.3},{:.3},{}",
                    m.name,
                    i,
                    q(&t.params.to_string()),
                    t.score.map_or(String::new(), |v| format!("{v:.6}")),
                    t.fit_seconds,
                    t.seconds,
                    q(t.error.as_deref().unwrap_or(""))
                );
            }
        }
        s
    }
}

/// A model's parameters as given (`{}` for defaults); a blend's components by name only.
fn short_params(spec: &ComponentSpec) -> String {
    match &spec.params {
        Value::Object(o) => {
            let mut o = o.clone();
            o.remove("seed");
            if let Some(Value::Array(cs)) = o.get_mut("components") {
                for c in cs.iter_mut() {
                    let name = c["name"].as_str().unwrap_or("?").to_string();
                    *c = Value::String(name);
                }
            }
            Value::Object(o).to_string()
        }
        _ => "{}".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recommender::vocab::ItemIdx;

    /// Two taste groups of users, each liking its own half of the catalogue, with timestamps.
    fn groups(n_users: u32, n_items: u32) -> Interactions {
        let mut t = Vec::new();
        for u in 0..n_users {
            let half = u % 2;
            for i in 0..n_items {
                if i % 2 == half && (i * 7 + u * 3) % 5 != 0 {
                    t.push(Triplet {
                        user: UserIdx(u),
                        item: ItemIdx(i),
                        rating: 1.0 + ((i + u) % 5) as f32,
                        confidence: 1.0,
                        timestamp: i64::from(i * 100 + u),
                    });
                }
            }
        }
        Interactions::from_triplets(n_users as usize, n_items as usize, &t).unwrap()
    }

    #[test]
    fn every_dimension_names_parameters_the_model_has() {
        for model in [
            "ease",
            "als",
            "knn_rank",
            "knn",
            "user_knn",
            "baseline",
            "mf",
            "svdpp",
            "hybrid",
            "hybrid_rank",
        ] {
            let space = search_space(model);
            assert!(!space.is_empty(), "{model} has a search space");
            for (key, values) in space {
                assert!(values.len() >= 2, "{model}.{key} offers a choice");
                for v in values {
                    let spec = ComponentSpec::with(model, v.clone());
                    assert!(spec.resolved_params().is_ok(), "{model} accepts {v}");
                }
            }
        }
    }

    #[test]
    fn the_validation_split_comes_from_the_training_data_and_is_seeded() {
        let train = groups(40, 30);
        let (fit, held) = carve_validation(&train, Protocol::Holdout(0.2), 1, 10_000).unwrap();
        assert_eq!(fit.nnz() + held.len(), train.nnz());
        let expected = (train.nnz() as f64 * 0.2).round() as usize;
        assert_eq!(held.len(), expected);
        for t in &held {
            assert!(
                train.user_items(t.user).contains(&t.item),
                "held out from train"
            );
            assert!(
                !fit.user_items(t.user).contains(&t.item),
                "not in the fit part"
            );
        }
        let (_, again) = carve_validation(&train, Protocol::Holdout(0.2), 1, 10_000).unwrap();
        assert_eq!(held, again);
        let (_, other) = carve_validation(&train, Protocol::Holdout(0.2), 2, 10_000).unwrap();
        assert_ne!(held, other);
        // Leave-last: each user's latest interaction.
        let (_, last) = carve_validation(&train, Protocol::LeaveLast(1), 1, 10_000).unwrap();
        for t in &last {
            let latest = train.user_timestamps(t.user).iter().max().copied();
            assert_eq!(Some(t.timestamp), latest);
        }
        // A sample of users keeps its held-out interactions; the rest go back to the fit part.
        let (fit, held) = carve_validation(&train, Protocol::Holdout(0.2), 1, 5).unwrap();
        let users: HashSet<UserIdx> = held.iter().map(|t| t.user).collect();
        assert_eq!(users.len(), 5);
        assert_eq!(fit.nnz() + held.len(), train.nnz());
    }

    #[test]
    fn the_search_finds_a_better_setting_than_a_bad_start_and_reports_every_trial() {
        let train = groups(60, 40);
        let (fit, held) = carve_validation(&train, Protocol::Holdout(0.2), 3, 10_000).unwrap();
        // EASE with an enormous λ ranks by popularity only; the search must move it.
        let cfg = TuneConfig {
            models: vec![ComponentSpec::with("ease", json!({"lambda": 1e9}))],
            rounds: 2,
            ..Default::default()
        };
        let r = tune(&fit, &held, &SideInfo::default(), &cfg, &|_| {}).unwrap();
        let m = &r.models[0];
        assert_eq!(m.name, "ease");
        assert_eq!(m.metric, Metric::Ndcg);
        let (start, best) = (m.start_score.unwrap(), m.best_score.unwrap());
        assert!(best > start + 0.05, "tuned {best} vs given {start}");
        assert!(m.best.params["lambda"].as_f64().unwrap() < 1e6);
        let lambdas = search_space("ease")[0].1.len();
        assert!(
            m.trials.len() > lambdas,
            "every λ and more: {} trials",
            m.trials.len()
        );
        assert!(!m.cut_short);
        // The best trial's score is the reported one.
        let top = m
            .trials
            .iter()
            .filter_map(|t| t.score)
            .fold(f64::MIN, f64::max);
        assert_eq!(top, best);
        assert_eq!(r.winner(Metric::Ndcg).unwrap().name, "ease");
        assert!(r.to_markdown().contains("| ease | NDCG@10 |"));
        assert_eq!(r.trials_csv().lines().count(), 1 + m.trials.len());
    }

    #[test]
    fn trials_that_change_only_recency_reuse_a_fit_and_score_as_a_fresh_fit_does() {
        let ease = |p: Value| ComponentSpec::with("ease", p);
        let key = |p: Value| ease(p).fit_key().unwrap();
        assert_eq!(
            key(json!({})),
            key(json!({"recency": 5.0, "recency_floor": 0.2}))
        );
        assert_ne!(key(json!({})), key(json!({"lambda": 100.0})));
        assert_ne!(key(json!({})), key(json!({"neighbors": 20})));

        let train = groups(60, 40);
        let (fit, held) = carve_validation(&train, Protocol::LeaveLast(2), 3, 10_000).unwrap();
        let cfg = TuneConfig {
            models: vec![ease(json!({"recency": 2.0}))],
            rounds: 1,
            ..Default::default()
        };
        let r = tune(&fit, &held, &SideInfo::default(), &cfg, &|_| {}).unwrap();
        let trials = &r.models[0].trials;
        let keys: Vec<String> = trials.iter().map(|t| key(t.params.clone())).collect();
        assert!(
            keys.windows(2).filter(|w| w[0] == w[1]).count() >= 5,
            "the recency trials follow one another with one fit key"
        );
        let cands = candidates(&fit);
        let n_users = by_user(&held).len() as f64;
        for t in trials {
            let model =
                Component::fit(&ease(t.params.clone()), &fit, &SideInfo::default()).unwrap();
            let users = rank_users(model.scorer(), &|u| fit.history(u), &cands, &held, 10, None);
            let fresh = users.iter().map(|r| r.0.ndcg).sum::<f64>() / n_users;
            assert_eq!(t.score, Some(fresh), "{}", t.params);
        }
        // A fitted model moved to another recency scores as one fitted with it.
        let mut moved = Component::fit(&ease(json!({})), &fit, &SideInfo::default()).unwrap();
        let spec = ease(json!({"recency": 2.0, "recency_floor": 0.0}));
        moved.set_scoring(&spec).unwrap();
        let fitted = Component::fit(&spec, &fit, &SideInfo::default()).unwrap();
        let u = held[0].user;
        assert_eq!(
            moved.scorer().score(&fit.history(u), &cands),
            fitted.scorer().score(&fit.history(u), &cands)
        );
        assert!(moved
            .set_scoring(&ease(json!({"recency_floor": 2.0})))
            .is_err());
    }

    #[test]
    fn a_spent_budget_scores_the_given_parameters_only_and_says_so() {
        let train = groups(30, 20);
        let (fit, held) = carve_validation(&train, Protocol::Holdout(0.2), 3, 10_000).unwrap();
        let cfg = TuneConfig {
            models: vec![ComponentSpec::new("ease"), ComponentSpec::new("popularity")],
            budget_seconds: 0.0,
            ..Default::default()
        };
        let r = tune(&fit, &held, &SideInfo::default(), &cfg, &|_| {}).unwrap();
        assert_eq!(r.models.len(), 2);
        assert_eq!(r.models[0].trials.len(), 1);
        assert!(r.models[0].cut_short);
        assert!(r.models[0].start_score.is_some());
        // Nothing to search: not cut short.
        assert!(!r.models[1].cut_short);
        assert!(r.to_markdown().contains("(budget)"));
    }

    #[test]
    fn a_blend_is_searched_after_its_components_and_holds_their_tuned_versions() {
        let train = groups(60, 40);
        let (fit, held) = carve_validation(&train, Protocol::Holdout(0.2), 3, 10_000).unwrap();
        let blend = ComponentSpec::with(
            "hybrid_rank",
            json!({"components": [{"name": "ease", "params": {"lambda": 1e9}}, {"name": "popularity"}]}),
        );
        let cfg = TuneConfig {
            models: vec![blend],
            rounds: 1,
            ..Default::default()
        };
        let r = tune(&fit, &held, &SideInfo::default(), &cfg, &|_| {}).unwrap();
        let names: Vec<&str> = r.models.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["ease", "popularity", "hybrid_rank"]);
        let ease = r.models[0].best.clone().seeded(42).unwrap();
        let blend = &r.models[2].best;
        let inner: Vec<ComponentSpec> =
            serde_json::from_value(blend.params["components"].clone()).unwrap();
        assert_eq!(inner[0], ease, "the blend holds the tuned EASE");
    }

    #[test]
    fn rating_models_are_tuned_by_rmse() {
        let train = groups(40, 30);
        let (fit, held) = carve_validation(&train, Protocol::Holdout(0.2), 3, 10_000).unwrap();
        let cfg = TuneConfig {
            models: vec![ComponentSpec::new("baseline")],
            rounds: 1,
            ..Default::default()
        };
        let r = tune(&fit, &held, &SideInfo::default(), &cfg, &|_| {}).unwrap();
        assert_eq!(r.models[0].metric, Metric::Rmse);
        assert!(r.models[0].best_score.unwrap() <= r.models[0].start_score.unwrap());
        assert!(r.winner(Metric::Ndcg).is_none());
        assert_eq!(r.winner(Metric::Rmse).unwrap().name, "baseline");
    }
}
