//! Database access: connection and migration, entities, repositories (the only place with
//! queries), the MovieLens import and the demo seed.
pub mod entities;
pub mod import;
pub mod notify;
pub mod repo;
pub mod seed;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend, DbErr};

use crate::config::DatabaseSettings;

/// How long a SQLite writer waits for the write lock before the request fails as UNAVAILABLE.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Counts statements and their total time, for `/metrics` and for tests that bound the number
/// of queries a request costs.
#[derive(Debug, Default)]
pub struct QueryStats {
    pub count: AtomicU64,
    pub failed: AtomicU64,
    pub micros: AtomicU64,
}

impl QueryStats {
    /// Statements executed so far.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }
}

/// The URL without its password, for messages.
pub fn redacted_url(url: &str) -> String {
    match (url.split_once("://"), url.rfind('@')) {
        (Some((scheme, rest)), Some(at)) if at > scheme.len() + 3 => {
            let creds = &rest[..at - scheme.len() - 3];
            let user = creds.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}@{}", &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

/// Opens one connection to a PostgreSQL URL, so that an unreachable server, a wrong password
/// or a missing database is reported as itself ("Connection refused") at start-up rather than
/// as the pool's "timed out".
async fn probe_postgres(url: &str, timeout: Duration) -> Result<(), DbErr> {
    use sea_orm::sqlx::{Connection, PgConnection};
    let fail = |why: String| {
        DbErr::Custom(format!(
            "cannot connect to PostgreSQL at {}: {why}",
            redacted_url(url)
        ))
    };
    match tokio::time::timeout(timeout, PgConnection::connect(url)).await {
        Err(_) => Err(fail(format!("no answer within {} ms", timeout.as_millis()))),
        Ok(Err(e)) => Err(fail(e.to_string())),
        Ok(Ok(c)) => {
            let _ = c.close().await;
            Ok(())
        }
    }
}

/// Connects to the configured database (SQLite file or PostgreSQL), counting statements.
pub async fn connect(s: &DatabaseSettings) -> Result<(DatabaseConnection, Arc<QueryStats>), DbErr> {
    let timeout = Duration::from_millis(s.acquire_timeout_ms);
    if s.url.starts_with("postgres") {
        probe_postgres(&s.url, timeout).await?;
    }
    // A SQLite URL that does not say `mode=` creates its file when missing, as users expect
    // of `sqlite://marquee.db` (sqlx alone would refuse to open it).
    let create = s.url.starts_with("sqlite:") && !s.url.contains("mode=");
    let mut opt = ConnectOptions::new(s.url.clone());
    opt.max_connections(s.max_connections)
        .min_connections(1)
        .connect_timeout(timeout)
        .acquire_timeout(timeout)
        .sqlx_logging(false)
        // Every SQLite connection: WAL, so readers go on while one writer writes; NORMAL
        // sync, which in WAL mode is durable against a crash of the process (only a power cut
        // can lose the last commits); and a busy timeout, so a writer waits its turn for the
        // lock instead of failing. Writers take the lock up front (`BEGIN IMMEDIATE`, see
        // `app::uow`). sqlx enforces foreign keys already.
        .map_sqlx_sqlite_opts(move |o| {
            use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
            let o = o
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                // Deleted content is overwritten with zeros, so an erased person's rows cannot
                // be read back from free pages of the file.
                .pragma("secure_delete", "ON");
            if create {
                o.create_if_missing(true)
            } else {
                o
            }
        });
    let mut db = Database::connect(opt).await?;
    let stats = Arc::new(QueryStats::default());
    let s2 = stats.clone();
    db.set_metric_callback(move |info| {
        s2.count.fetch_add(1, Ordering::Relaxed);
        s2.micros
            .fetch_add(info.elapsed.as_micros() as u64, Ordering::Relaxed);
        if info.failed {
            s2.failed.fetch_add(1, Ordering::Relaxed);
        }
    });
    Ok((db, stats))
}

/// SQLite: checkpoints the write-ahead log into the database file and truncates it, so the
/// log's copies of pages from before a deletion are gone too (with `secure_delete`, the file's
/// own pages were zeroed). A reader holding an old snapshot can keep the log from emptying;
/// that is logged and the next erasure (or SQLite's own checkpoint) finishes it. PostgreSQL:
/// nothing here; see docs/security.md on VACUUM.
pub async fn flush_deleted_pages(db: &DatabaseConnection) -> Result<(), DbErr> {
    use sea_orm::{ConnectionTrait, Statement};
    if db.get_database_backend() != DbBackend::Sqlite {
        return Ok(());
    }
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA wal_checkpoint(TRUNCATE)",
        ))
        .await?;
    let busy: i32 = row
        .as_ref()
        .and_then(|r| r.try_get_by_index(0).ok())
        .unwrap_or(0);
    if busy != 0 {
        tracing::warn!(
            "the write-ahead log could not be emptied after an erasure (readers active)"
        );
    }
    Ok(())
}

/// Applies all pending migrations.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Whether every migration has been applied (for `/readyz`).
///
/// Read-only, and true also when a newer binary has applied migrations this one does not know
/// (during a rolling upgrade the old replicas stay ready).
pub async fn migrations_applied(db: &DatabaseConnection) -> Result<bool, DbErr> {
    use sea_orm::{ConnectionTrait, Statement};
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT version FROM seaql_migrations",
        ))
        .await?;
    let applied: std::collections::HashSet<String> = rows
        .iter()
        .filter_map(|r| r.try_get::<String>("", "version").ok())
        .collect();
    Ok(Migrator::migrations()
        .iter()
        .all(|m| applied.contains(m.name())))
}

/// Open connections in the pool (for `/metrics`).
pub fn pool_size(db: &DatabaseConnection) -> u32 {
    match db.get_database_backend() {
        DbBackend::Sqlite => db.get_sqlite_connection_pool().size(),
        DbBackend::Postgres => db.get_postgres_connection_pool().size(),
        _ => 0,
    }
}

/// Free space on the disk holding a SQLite database file; None for PostgreSQL (its disk is
/// the server's) or an in-memory database.
pub fn sqlite_free_bytes(url: &str) -> Option<u64> {
    let path = url.strip_prefix("sqlite://")?;
    let path = path.split('?').next().unwrap_or(path);
    if path.is_empty() || path.starts_with(':') {
        return None;
    }
    let file = std::path::Path::new(path);
    let dir = match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let st = nix::sys::statvfs::statvfs(&dir).ok()?;
    Some(st.blocks_available() as u64 * st.fragment_size() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_kept_out_of_messages() {
        assert_eq!(
            redacted_url("postgres://app:s3cret@db.internal:5432/marquee"),
            "postgres://app@db.internal:5432/marquee"
        );
        assert_eq!(
            redacted_url("postgres://postgres@127.0.0.1:5432/test"),
            "postgres://postgres@127.0.0.1:5432/test"
        );
        assert_eq!(
            redacted_url("sqlite://marquee.db?mode=rwc"),
            "sqlite://marquee.db?mode=rwc"
        );
    }

    #[test]
    fn a_sqlite_file_reports_its_disk_and_postgres_does_not() {
        let tmp = std::env::temp_dir();
        let url = format!("sqlite://{}/x.db?mode=rwc", tmp.display());
        assert!(sqlite_free_bytes(&url).is_some_and(|b| b > 0));
        assert!(sqlite_free_bytes("sqlite://marquee.db?mode=rwc").is_some());
        assert_eq!(sqlite_free_bytes("postgres://p@h/d"), None);
        assert_eq!(sqlite_free_bytes("sqlite::memory:"), None);
    }
}
