//! Building one answer from a snapshot: pure functions, no I/O. Candidates from the models are
//! filtered, boosted or buried by editors' rules, re-ranked for diversity, merged with editors'
//! pins and collections, and explained. `pipeline::rank_list` builds one ranked list (the
//! `recommendations` field, a genre page, one feed row); `feed::home_feed` builds the home feed.
pub mod admission;
pub mod curation;
pub mod diversity;
pub mod explain;
pub mod feed;
pub mod pipeline;

#[cfg(test)]
mod tests;
