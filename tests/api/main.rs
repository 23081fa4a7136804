//! Integration tests through HTTP against the real application, on SQLite and PostgreSQL.
mod helpers;

mod abuse;
mod admission;
mod auth;
mod catalogue;
mod cli;
mod curation;
mod experiments;
mod feedback;
mod health;
mod http;
mod import;
mod migrations;
mod model_exchange;
mod node;
mod outage;
mod privacy;
mod recommendations;
mod replica_processes;
mod replicas;
mod schema;
mod serving_state;
mod simulator;
mod units_of_work;
