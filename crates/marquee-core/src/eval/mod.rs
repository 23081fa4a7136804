//! Offline evaluation: deterministic splits, metrics and a runner producing a serialisable report.

pub mod metrics;
pub mod runner;
pub mod split;

pub use runner::{evaluate, split_files, EvalConfig, EvalReport, ModelReport, RankingReport};
pub use split::{Fold, Protocol};
