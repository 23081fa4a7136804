//! Activity over time, for the dashboard.
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

/// Rows per UTC day (`YYYY-MM-DD`) of `table` whose `column` is at or after `since`.
/// Table and column names come from code, never from input.
pub async fn per_day<C: ConnectionTrait>(
    db: &C,
    table: &'static str,
    column: &'static str,
    since: DateTime<Utc>,
) -> Result<BTreeMap<String, u64>, DbErr> {
    let backend = db.get_database_backend();
    let day = match backend {
        DbBackend::Postgres => format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD')"),
        _ => format!("strftime('%Y-%m-%d', {column})"),
    };
    let sql = match backend {
        DbBackend::Postgres => {
            format!("SELECT {day} AS d, COUNT(*) AS n FROM {table} WHERE {column} >= $1 GROUP BY 1")
        }
        _ => {
            format!("SELECT {day} AS d, COUNT(*) AS n FROM {table} WHERE {column} >= ? GROUP BY 1")
        }
    };
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, [since.into()]))
        .await?;
    let mut out = BTreeMap::new();
    for r in rows {
        let d: Option<String> = r.try_get("", "d")?;
        let n: i64 = r.try_get("", "n")?;
        if let Some(d) = d {
            out.insert(d, n as u64);
        }
    }
    Ok(out)
}
