//! Offline evaluation: deterministic splits, metrics and a runner producing a serialisable report.

pub mod metrics;
pub mod runner;
pub mod split;

pub use runner::{
    evaluate, evaluate_dir, write_splits, EvalConfig, EvalReport, ModelReport, RankingReport,
};
pub use split::{Fold, Protocol};
