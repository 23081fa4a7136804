//! Repositories: every query Marquee makes lives here.
pub mod audit;
pub mod curation;
pub mod events;
pub mod experiments;
pub mod movies;
pub mod privacy;
pub mod ratings;
pub mod staff;
pub mod stats;
pub mod training;
pub mod users;

use sea_orm::{ConnectionTrait, DbErr, Statement};

/// Counts the rows of a table (for dashboards and tests).
pub async fn count_rows<C: ConnectionTrait>(db: &C, table: &str) -> Result<u64, DbErr> {
    // Table names come from code, never from input.
    debug_assert!(table.chars().all(|c| c.is_ascii_lowercase() || c == '_'));
    let stmt = Statement::from_string(
        db.get_database_backend(),
        format!("SELECT COUNT(*) AS n FROM {table}"),
    );
    let row = db.query_one_raw(stmt).await?;
    Ok(match row {
        Some(r) => r.try_get::<i64>("", "n")? as u64,
        None => 0,
    })
}
