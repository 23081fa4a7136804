//! Integration tests through HTTP against the real application, on SQLite and PostgreSQL.
mod helpers;

mod auth;
mod catalogue;
mod cli;
mod feedback;
mod health;
mod import;
mod recommendations;
mod schema;
