//! What was shown to whom (recommendation logs, for attributing impressions and clicks by
//! `recommendationId`), written in batches off the request path and pruned after the
//! configured retention.
//!
//! A request hands the list it showed to [`ImpressionLog::record`] and answers at once; one
//! background task writes everything queued in one statement per batch, one row per list.
//! The queue is bounded: when the database cannot keep up, new lists are dropped and counted
//! (a lost row costs the attribution of one list's impressions, never an answer or the
//! server's memory).
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use tokio::sync::{mpsc, oneshot};

use crate::db::repo::events::{self, ShownList};

/// Lists queued at most; past it lists are dropped.
const QUEUE_ROWS: usize = 20_000;
/// Rows per statement at most (SQLite binds at most 32 766 values, 5 per row).
const BATCH_ROWS: usize = 2_000;
/// How long the writer waits for more rows before writing a batch.
const LINGER: Duration = Duration::from_millis(100);
/// Rows deleted per pruning statement.
const PRUNE_SLICE: u64 = 5_000;

enum Message {
    List(ShownList),
    Flush(oneshot::Sender<()>),
}

/// Counters of the log writer.
#[derive(Debug, Default)]
pub struct ImpressionStats {
    /// Lists written.
    pub written: AtomicU64,
    /// Lists dropped because the queue was full.
    pub dropped: AtomicU64,
    /// Lists that could not be written (their user or movie was deleted meanwhile, or the
    /// database failed).
    pub failed: AtomicU64,
}

/// The handle requests use; cheap to clone.
#[derive(Clone)]
pub struct ImpressionLog {
    tx: mpsc::Sender<Message>,
    queued: Arc<AtomicU64>,
    stats: Arc<ImpressionStats>,
}

impl ImpressionLog {
    /// Starts the writer task on the current Tokio runtime.
    pub fn start(db: DatabaseConnection) -> Self {
        let (tx, rx) = mpsc::channel(4_096);
        let queued = Arc::new(AtomicU64::new(0));
        let stats = Arc::new(ImpressionStats::default());
        tokio::spawn(writer(db, rx, queued.clone(), stats.clone()));
        Self { tx, queued, stats }
    }

    /// Queues a shown list; never waits.
    pub fn record(&self, list: ShownList) {
        if list.items.is_empty() {
            return;
        }
        if self.queued.fetch_add(1, Ordering::Relaxed) + 1 > QUEUE_ROWS as u64
            || self.tx.try_send(Message::List(list)).is_err()
        {
            self.queued.fetch_sub(1, Ordering::Relaxed);
            self.stats.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Waits until every row queued before the call has been written (or has failed): before
    /// a privacy export, at shutdown, in tests.
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Message::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }

    /// The writer's counters.
    pub fn stats(&self) -> &ImpressionStats {
        &self.stats
    }
}

async fn writer(
    db: DatabaseConnection,
    mut rx: mpsc::Receiver<Message>,
    queued: Arc<AtomicU64>,
    stats: Arc<ImpressionStats>,
) {
    let mut batch: Vec<ShownList> = Vec::new();
    let mut waiting: Vec<oneshot::Sender<()>> = Vec::new();
    while let Some(first) = rx.recv().await {
        let mut next = Some(first);
        let deadline = tokio::time::Instant::now() + LINGER;
        // Gather until the batch is full, a flush is asked for, or the linger time is up.
        loop {
            match next.take() {
                Some(Message::List(list)) => batch.push(list),
                Some(Message::Flush(done)) => {
                    waiting.push(done);
                    break;
                }
                None => {}
            }
            if batch.len() >= BATCH_ROWS {
                break;
            }
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(m)) => next = Some(m),
                _ => break,
            }
        }
        while !batch.is_empty() {
            let take = batch.len().min(BATCH_ROWS);
            let rows: Vec<ShownList> = batch.drain(..take).collect();
            write(&db, &rows, &stats).await;
            queued.fetch_sub(rows.len() as u64, Ordering::Relaxed);
        }
        for done in waiting.drain(..) {
            let _ = done.send(());
        }
    }
}

/// Writes one batch. If the batch fails (a user erased since the list was served, so a
/// foreign key no longer holds), each user's rows are tried on their own and only the rows
/// that still fail are dropped.
async fn write(db: &DatabaseConnection, rows: &[ShownList], stats: &ImpressionStats) {
    if insert_retrying(db, rows).await.is_ok() {
        stats
            .written
            .fetch_add(rows.len() as u64, Ordering::Relaxed);
        return;
    }
    let mut users: Vec<i32> = rows.iter().map(|r| r.user_id).collect();
    users.sort_unstable();
    users.dedup();
    for u in users {
        let mine: Vec<ShownList> = rows.iter().filter(|r| r.user_id == u).cloned().collect();
        match insert_retrying(db, &mine).await {
            Ok(()) => {
                stats
                    .written
                    .fetch_add(mine.len() as u64, Ordering::Relaxed);
            }
            Err(e) => {
                stats.failed.fetch_add(mine.len() as u64, Ordering::Relaxed);
                tracing::debug!(error = %e, user_id = u, "recommendation log rows dropped");
            }
        }
    }
}

async fn insert_retrying(
    db: &DatabaseConnection,
    rows: &[ShownList],
) -> Result<(), sea_orm::DbErr> {
    let mut delay = Duration::from_millis(50);
    for _ in 0..3 {
        match insert(db, rows).await {
            Err(e) if crate::error::is_transient(&e) => {
                tokio::time::sleep(delay).await;
                delay *= 4;
            }
            other => return other,
        }
    }
    insert(db, rows).await
}

/// The lists and their experiments, together or not at all.
async fn insert(db: &DatabaseConnection, rows: &[ShownList]) -> Result<(), sea_orm::DbErr> {
    use sea_orm::TransactionTrait;
    if rows.iter().all(|r| r.experiments.is_empty()) {
        return events::log_recommendations(db, rows).await;
    }
    let txn = db.begin().await?;
    events::log_recommendations(&txn, rows).await?;
    txn.commit().await
}

/// Deletes recommendation logs older than `retention` in short slices; returns how many.
pub async fn prune(
    db: &DatabaseConnection,
    retention: chrono::Duration,
    now: DateTime<Utc>,
) -> Result<u64, sea_orm::DbErr> {
    let before = now - retention;
    let mut total = 0;
    loop {
        let n = events::prune_recommendation_logs(db, before, PRUNE_SLICE).await?;
        total += n;
        if n < PRUNE_SLICE {
            return Ok(total);
        }
        tokio::task::yield_now().await;
    }
}
