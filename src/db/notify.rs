//! Change notices between replicas on one PostgreSQL database (`LISTEN`/`NOTIFY` on one
//! channel), and the advisory lock that elects the one replica that trains. On SQLite (one
//! process) there is nobody to tell: `notify` does nothing and `listen` gives `None`.
use std::time::Duration;

use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, Statement,
    TransactionTrait,
};

/// The channel every replica listens on.
pub const CHANNEL: &str = "marquee_changes";

/// Key of the advisory lock held while training (any number that no other tool uses).
const TRAINING_LOCK: i64 = 0x6d61_7271_7565_6501; // "marque" + 1

fn is_postgres<C: ConnectionTrait>(db: &C) -> bool {
    db.get_database_backend() == DbBackend::Postgres
}

/// Queues a notice on `db` (a transaction: it is delivered when, and only if, it commits).
/// PostgreSQL limits a payload to 8000 bytes; ours are a few dozen.
pub async fn notify<C: ConnectionTrait>(db: &C, payload: &str) -> Result<(), DbErr> {
    if !is_postgres(db) {
        return Ok(());
    }
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_notify($1, $2)",
        [CHANNEL.into(), payload.into()],
    ))
    .await?;
    Ok(())
}

/// What a listener hears next.
pub enum Heard {
    /// A notice's payload.
    Notice(String),
    /// The connection was lost and is open again: notices sent meanwhile are lost, so the
    /// listener must reconcile with the database.
    Reconnected,
}

/// A dedicated connection listening on [`CHANNEL`].
pub struct Listener(PgListener);

/// Starts listening (PostgreSQL only; `None` on SQLite).
pub async fn listen(db: &DatabaseConnection) -> Result<Option<Listener>, DbErr> {
    if !is_postgres(db) {
        return Ok(None);
    }
    let pool = db.get_postgres_connection_pool();
    let mut l = PgListener::connect_with(pool)
        .await
        .map_err(|e| DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e.into())))?;
    l.listen(CHANNEL)
        .await
        .map_err(|e| DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e.into())))?;
    Ok(Some(Listener(l)))
}

impl Listener {
    /// Waits for the next notice. A lost connection is re-opened (at once, then every second
    /// until it works) and reported as [`Heard::Reconnected`].
    pub async fn next(&mut self) -> Heard {
        match self.0.try_recv().await {
            Ok(Some(n)) => Heard::Notice(n.payload().to_owned()),
            // the listener re-opened the connection and listens again
            Ok(None) => Heard::Reconnected,
            Err(e) => {
                tracing::warn!(error = %e, "change listener: connection lost; retrying");
                loop {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    // any statement makes the listener connect (and LISTEN) again
                    if sea_orm::sqlx::query("SELECT 1")
                        .execute(&mut self.0)
                        .await
                        .is_ok()
                    {
                        return Heard::Reconnected;
                    }
                }
            }
        }
    }
}

/// Held while this process trains; released when dropped (or when the process dies, with its
/// connection). On SQLite there is one process and the lease is always granted.
pub struct TrainingLease(Option<DatabaseTransaction>);

impl TrainingLease {
    /// Ends the lease now.
    pub async fn release(self) {
        if let Some(txn) = self.0 {
            let _ = txn.rollback().await;
        }
    }
}

/// Takes the training lease unless another process holds it (`None` then). On PostgreSQL it is
/// a transaction-scoped advisory lock on a connection kept for the duration.
pub async fn try_training_lease(db: &DatabaseConnection) -> Result<Option<TrainingLease>, DbErr> {
    if !is_postgres(db) {
        return Ok(Some(TrainingLease(None)));
    }
    let txn = db.begin().await?;
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_try_advisory_xact_lock($1) AS got",
            [TRAINING_LOCK.into()],
        ))
        .await?;
    let got = match row {
        Some(r) => r.try_get::<bool>("", "got")?,
        None => false,
    };
    if got {
        Ok(Some(TrainingLease(Some(txn))))
    } else {
        txn.rollback().await?;
        Ok(None)
    }
}

/// Whether some process holds the training lease now (PostgreSQL; always false on SQLite).
pub async fn training_lease_taken(db: &DatabaseConnection) -> Result<bool, DbErr> {
    if !is_postgres(db) {
        return Ok(false);
    }
    // A bigint advisory key shows in pg_locks as its high and low 32 bits.
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT COUNT(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND granted \
             AND classid::bigint = $1 AND objid::bigint = $2 AND objsubid = 1 \
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            [
                (TRAINING_LOCK >> 32).into(),
                (TRAINING_LOCK & 0xffff_ffff).into(),
            ],
        ))
        .await?;
    Ok(match row {
        Some(r) => r.try_get::<i64>("", "n")? > 0,
        None => false,
    })
}
