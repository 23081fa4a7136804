//! Building one answer from a snapshot: pure functions, no I/O (explanations now; filters,
//! rules, diversity and curation as the curation work lands).
pub mod explain;
