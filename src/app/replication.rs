//! Several replicas on one PostgreSQL database: each commit tells the others what it changed
//! (`NOTIFY` in the committing transaction, so a notice is sent if and only if the change
//! lands), and each replica applies what it hears to its caches and live model. A poll every
//! `replication.poll_interval_ms` and a full reconcile after a lost listener connection catch
//! anything a notice did not bring (a dropped connection loses notices).
//!
//! What a replica does with each notice:
//! - `curation`, `catalogue`: reloads the curation snapshot / catalogue index on next use;
//! - `feedback`, `profile`: drops the user's cached feedback, ranking and row, and marks their
//!   factors due, so their next request reads the database and re-solves them there (fold-in is
//!   recomputed where it is served, not shipped);
//! - `erasure`: drops the user from every cache and from the live model (the replica that
//!   erased them already rewrote the stored parameters);
//! - `model`: loads that version if it is newer than the one served (never an older one).
//!
//! On SQLite there is one process: nothing is sent and no follower runs.
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr};
use serde::{Deserialize, Serialize};

use crate::db::notify::{self, Heard};
use crate::db::repo;
use crate::state::AppState;

/// What changed, as one replica tells the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Notice {
    /// Collections, placements, rules or diversity settings.
    Curation,
    /// Movies.
    Catalogue,
    /// A user's ratings or events.
    Feedback { user: i32 },
    /// A user's profile (demographics, consent).
    Profile { user: i32 },
    /// A user erased.
    Erasure { user: i32 },
    /// A model version activated.
    Model { version: i32 },
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    from: String,
    #[serde(flatten)]
    notice: Notice,
}

/// This process among the replicas.
pub struct Replica {
    /// Random per process start; notices carry it so a replica skips its own.
    pub id: String,
    /// When the process started.
    pub started_at: DateTime<Utc>,
    /// Notices heard from other replicas.
    pub heard: AtomicU64,
    /// Full reconciliations run (after a lost connection).
    pub reconciles: AtomicU64,
    /// The newest erasure applied (tombstone id).
    last_erasure: AtomicI32,
}

impl Default for Replica {
    fn default() -> Self {
        Self {
            id: uuid::Uuid::new_v4().simple().to_string()[..12].to_owned(),
            started_at: Utc::now(),
            heard: AtomicU64::new(0),
            reconciles: AtomicU64::new(0),
            last_erasure: AtomicI32::new(0),
        }
    }
}

/// Queues `notice` on `db` (the committing transaction) for the other replicas.
pub async fn announce<C: ConnectionTrait>(
    db: &C,
    replica_id: &str,
    notice: Notice,
) -> Result<(), DbErr> {
    let payload = serde_json::to_string(&Envelope {
        from: replica_id.to_owned(),
        notice,
    })
    .map_err(|e| DbErr::Custom(e.to_string()))?;
    notify::notify(db, &payload).await
}

fn decode(payload: &str) -> Option<(String, Notice)> {
    serde_json::from_str::<Envelope>(payload)
        .ok()
        .map(|e| (e.from, e.notice))
}

/// Applies another replica's change to this one's caches and model.
pub async fn apply(st: &AppState, notice: Notice) {
    match notice {
        Notice::Curation => st.curation_changed(),
        Notice::Catalogue => {
            st.movie_rows.invalidate();
            st.recommender.catalogue_changed();
        }
        Notice::Feedback { user } | Notice::Profile { user } => forget_user_caches(st, user),
        Notice::Erasure { user } => {
            forget_user_caches(st, user);
            st.recommender.forget_user(user);
        }
        Notice::Model { .. } => follow_model(st).await,
    }
}

fn forget_user_caches(st: &AppState, user: i32) {
    st.user_states.forget(user);
    st.ranked_memos.forget(user);
    st.user_rows.forget(user);
    st.recommender.feedback_changed(user);
}

async fn follow_model(st: &AppState) {
    match st.recommender.follow(&st.db).await {
        Ok(Some(v)) => tracing::info!(
            version = v,
            "now serving the model version another replica stored"
        ),
        Ok(None) => {}
        Err(e) => {
            tracing::warn!(error = %e, "loading the newer model version failed; the poll retries")
        }
    }
}

/// Applies erasures recorded since the last one seen (in any process).
async fn catch_up_erasures(st: &AppState) -> Result<(), DbErr> {
    let after = st.replica.last_erasure.load(Ordering::Acquire);
    for (id, user) in repo::privacy::erasures_after(&st.db, after).await? {
        forget_user_caches(st, user);
        st.recommender.forget_user(user);
        st.replica.last_erasure.fetch_max(id, Ordering::AcqRel);
    }
    Ok(())
}

/// What a poll checks: a newer model version, erasures not yet applied.
async fn poll(st: &AppState) {
    follow_model(st).await;
    if let Err(e) = catch_up_erasures(st).await {
        tracing::warn!(error = %e, "reading erasures failed; the next poll retries");
    }
}

/// After notices may have been lost: everything cached is read again.
async fn reconcile(st: &AppState) {
    st.replica.reconciles.fetch_add(1, Ordering::Relaxed);
    poll(st).await;
    st.curation_changed();
    st.movie_rows.invalidate();
    st.recommender.catalogue_changed();
    st.user_states.clear();
    st.ranked_memos.clear();
    st.user_rows.clear();
    st.recommender.forget_all_folded();
}

/// Starts following the other replicas (PostgreSQL only): the listener and the poll.
pub async fn spawn_follower(st: Arc<AppState>) -> Result<(), DbErr> {
    let Some(mut listener) = notify::listen(&st.db).await? else {
        return Ok(());
    };
    // Erasures before this start are stripped when the model loads; follow newer ones.
    let newest = repo::privacy::erasures_after(&st.db, 0)
        .await?
        .into_iter()
        .map(|(id, _)| id)
        .max()
        .unwrap_or(0);
    st.replica.last_erasure.store(newest, Ordering::Release);
    let every = Duration::from_millis(st.settings.replication.poll_interval_ms.max(100));
    let me = st.replica.id.clone();
    let heard = st.clone();
    tokio::spawn(async move {
        loop {
            match listener.next().await {
                Heard::Notice(payload) => match decode(&payload) {
                    Some((from, _)) if from == me => {}
                    Some((_, notice)) => {
                        heard.replica.heard.fetch_add(1, Ordering::Relaxed);
                        apply(&heard, notice).await;
                    }
                    None => tracing::warn!(payload, "unreadable change notice ignored"),
                },
                Heard::Reconnected => {
                    tracing::info!("change listener reconnected; reconciling");
                    reconcile(&heard).await;
                }
            }
        }
    });
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            poll(&st).await;
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_round_trip_and_name_their_sender() {
        for n in [
            Notice::Curation,
            Notice::Catalogue,
            Notice::Feedback { user: 7 },
            Notice::Profile { user: 8 },
            Notice::Erasure { user: 9 },
            Notice::Model { version: 3 },
        ] {
            let text = serde_json::to_string(&Envelope {
                from: "abc".into(),
                notice: n,
            })
            .unwrap();
            assert!(text.len() < 80, "{text}");
            assert_eq!(decode(&text), Some(("abc".into(), n)));
        }
        assert_eq!(decode("{\"from\":\"x\",\"change\":\"nope\"}"), None);
        assert_eq!(decode("garbage"), None);
    }
}
