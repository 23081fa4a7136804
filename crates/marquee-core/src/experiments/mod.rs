//! A/B experiments, the pure part: which users an experiment claims and which variant each gets
//! ([`assignment`]), what their exposures and later events add up to ([`attribution`]), the
//! statistics that say whether a variant is better ([`stats`]), what a variant changes in
//! serving ([`config`]), and what editors' collections, pins and boosts earned
//! ([`editorial`]). The server keeps experiments in the database, serves each user their
//! variant's configuration and logs the exposures; this module turns those logs into results.

pub mod assignment;
pub mod attribution;
pub mod config;
pub mod editorial;
pub mod stats;

pub use assignment::{Allocation, Claim, TrafficRange, BUCKETS};
pub use attribution::{
    attribute, daily_cutoffs, results, results_over_time, Attribution, Exposure, Guardrail, Metric,
    Outcome, Results, Signal, UserTally, VariantResult,
};
pub use config::{BlendFactor, VariantConfig};
pub use editorial::{attribute_origins, Origin, OriginTally, ShownItem};
pub use stats::{compare, mean, ratio, sample_ratio, Comparison, Estimate, SampleRatio};

/// Why an experiment's definition is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExperimentError {
    /// 2 to 5 variants.
    #[error("an experiment has 2 to 5 variants, not {0}")]
    VariantCount(usize),
    /// A traffic share outside (0, 1], or shares that do not add up to 1.
    #[error("{0}")]
    Shares(String),
    /// A traffic range outside [0, 1] or empty.
    #[error("{0}")]
    Traffic(String),
}
