//! Marquee's pure core: the recommender models, offline evaluation, the serving pipeline, the
//! catalogue index, the meaning of feedback, experiments' assignment and statistics, MovieLens
//! parsing, and factor files. This crate depends on no web framework, database or async runtime
//! (its `Cargo.toml` keeps it so); the server crate wraps it.
pub mod catalogue;
pub mod dataset;
pub mod demographics;
pub mod eval;
pub mod exchange;
pub mod experiments;
pub mod feedback;
pub mod recommender;
pub mod serving;
