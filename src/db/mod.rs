//! Database access: connection and migration, entities, repositories (the only place with
//! queries), the MovieLens import and the demo seed.
pub mod entities;
pub mod import;
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

/// Connects to the configured database (SQLite file or PostgreSQL), counting statements.
pub async fn connect(s: &DatabaseSettings) -> Result<(DatabaseConnection, Arc<QueryStats>), DbErr> {
    let mut opt = ConnectOptions::new(s.url.clone());
    opt.max_connections(s.max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30))
        .sqlx_logging(false)
        // Every SQLite connection: WAL, so readers go on while one writer writes; NORMAL
        // sync, which in WAL mode is durable against a crash of the process (only a power cut
        // can lose the last commits); and a busy timeout, so a writer waits its turn for the
        // lock instead of failing. Writers take the lock up front (`BEGIN IMMEDIATE`, see
        // `app::uow`). sqlx enforces foreign keys already.
        .map_sqlx_sqlite_opts(|o| {
            use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
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

/// Applies all pending migrations.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Whether every migration has been applied (for `/readyz`).
pub async fn migrations_applied(db: &DatabaseConnection) -> Result<bool, DbErr> {
    Ok(Migrator::get_pending_migrations(db).await?.is_empty())
}

/// Open connections in the pool (for `/metrics`).
pub fn pool_size(db: &DatabaseConnection) -> u32 {
    match db.get_database_backend() {
        DbBackend::Sqlite => db.get_sqlite_connection_pool().size(),
        DbBackend::Postgres => db.get_postgres_connection_pool().size(),
        _ => 0,
    }
}
