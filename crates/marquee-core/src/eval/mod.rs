//! Offline evaluation: deterministic splits, metrics and a runner producing a serialisable report.

pub mod metrics;
pub mod runner;
pub mod split;
pub mod tune;

pub use runner::{
    evaluate, fold_files, split_files, EvalConfig, EvalReport, ModelReport, RankingReport,
};
pub use split::{Fold, Protocol};
pub use tune::{tune, tune_dataset, Metric, TuneConfig, TuneReport};
