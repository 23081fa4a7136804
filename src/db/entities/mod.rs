//! `SeaORM` entities, one module per table, generated from the migrations; do not edit by hand.

pub mod audit_log;
pub mod collection_items;
pub mod collections;
pub mod deletion_requests;
pub mod diversity_settings;
pub mod erasures;
pub mod events;
pub mod experiments;
pub mod genres;
pub mod model_versions;
pub mod movie_genres;
pub mod movie_keywords;
pub mod movie_people;
pub mod movies;
pub mod people;
pub mod placements;
pub mod ratings;
pub mod recommendation_list_experiments;
pub mod recommendation_lists;
pub mod rules;
pub mod staff;
pub mod tags;
pub mod user_tags;
pub mod users;
