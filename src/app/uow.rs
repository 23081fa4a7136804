//! The audited unit of work: one transaction, the audit entries that describe it, and the
//! effects (cache invalidation, fold-in, erasure from the model) that must follow it.
//!
//! Every write a service makes goes through one: `begin` opens the transaction, the service
//! runs its repository calls on [`UnitOfWork::db`], records what it did with
//! [`UnitOfWork::audit`] and declares what it changed with [`UnitOfWork::touches`]; `commit`
//! appends the entries in the same transaction (so a change and its audit entry land
//! together or not at all), commits, and only then applies the effects, so no cache reloads
//! a state that was rolled back. Dropping a unit of work without committing rolls it back.
use sea_orm::{DatabaseTransaction, SqliteTransactionMode, TransactionOptions, TransactionTrait};

use super::replication::{announce, Notice};
use super::user_state::WriteGuard;
use crate::db::entities::users;
use crate::db::repo::audit::{self, Actor};
use crate::error::AppError;
use crate::state::AppState;
use marquee_core::feedback::FeedbackChange;

/// What a change touched, and so what must be refreshed once it is committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Collections, placements, rules or diversity settings: the curation cache reloads.
    Curation,
    /// Movies: the catalogue index reloads.
    Catalogue,
    /// A user was erased: they leave the live model, its stored parameters and the serving
    /// cache.
    Erasure(i32),
    /// A user's profile changed (the service replaces this process's cached row itself;
    /// other replicas drop theirs).
    Profile(i32),
}

impl Effect {
    /// The notice other replicas get.
    fn notice(self) -> Notice {
        match self {
            Effect::Curation => Notice::Curation,
            Effect::Catalogue => Notice::Catalogue,
            Effect::Erasure(user) => Notice::Erasure { user },
            Effect::Profile(user) => Notice::Profile { user },
        }
    }
}

struct Entry {
    action: &'static str,
    target: (&'static str, String),
    details: serde_json::Value,
}

/// One transaction with its audit entries and effects.
pub struct UnitOfWork<'a> {
    st: &'a AppState,
    txn: DatabaseTransaction,
    actor: Actor,
    entries: Vec<Entry>,
    effects: Vec<Effect>,
    feedback: Option<PendingFeedback<'a>>,
    /// Writes declared to the users' serving cache, ended after the commit (or the rollback).
    guards: Vec<WriteGuard<'a>>,
}

/// A user's feedback changes, applied to their cached state and folded in after the commit.
struct PendingFeedback<'a> {
    user_id: i32,
    guard: WriteGuard<'a>,
    changes: Vec<FeedbackChange>,
}

impl<'a> UnitOfWork<'a> {
    /// Opens a transaction on behalf of `actor`.
    ///
    /// On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`): a unit of work reads,
    /// then writes, and in WAL mode a deferred transaction whose snapshot another connection
    /// wrote past (the recommendation log, say) could not upgrade to a writer; it would fail
    /// with "database is locked" instead of waiting its turn. PostgreSQL ignores the mode.
    pub async fn begin(st: &'a AppState, actor: Actor) -> Result<Self, AppError> {
        let write = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        Ok(Self {
            txn: st.db.begin_with_options(write).await?,
            st,
            actor,
            entries: vec![],
            effects: vec![],
            feedback: None,
            guards: vec![],
        })
    }

    /// Records a change to the acting user's feedback: after the commit it is applied to their
    /// cached serving state and their factors become due for re-solving, so their next request
    /// reflects it.
    pub fn feedback(&mut self, user: &users::Model, change: FeedbackChange) {
        match &mut self.feedback {
            Some(p) if p.user_id == user.id => p.changes.push(change),
            _ => {
                self.feedback = Some(PendingFeedback {
                    guard: self.st.user_states.begin_write(user.id),
                    user_id: user.id,
                    changes: vec![change],
                })
            }
        }
    }

    /// The transaction, for repository calls.
    pub fn db(&self) -> &DatabaseTransaction {
        &self.txn
    }

    /// Who is acting.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// Records an audit entry, written at commit. `details` must hold no personal data.
    pub fn audit(
        &mut self,
        action: &'static str,
        target: (&'static str, impl ToString),
        details: serde_json::Value,
    ) {
        self.entries.push(Entry {
            action,
            target: (target.0, target.1.to_string()),
            details,
        });
    }

    /// Declares something this change touched; it is refreshed after the commit.
    pub fn touches(&mut self, effect: Effect) {
        if let Effect::Erasure(user) = effect {
            self.guards.push(self.st.user_states.begin_write(user));
        }
        if !self.effects.contains(&effect) {
            self.effects.push(effect);
        }
    }

    /// Appends the audit entries, queues a notice of each effect for the other replicas
    /// (delivered with the commit), commits, then applies the effects in the order declared.
    /// An effect that fails (erasing a user from the stored model) is reported after the
    /// others have been applied: the commit itself stands.
    pub async fn commit(self) -> Result<(), AppError> {
        for e in self.entries {
            audit::append(&self.txn, &self.actor, e.action, Some(e.target), e.details).await?;
        }
        let me = &self.st.replica.id;
        for effect in &self.effects {
            announce(&self.txn, me, effect.notice()).await?;
        }
        if let Some(p) = &self.feedback {
            announce(&self.txn, me, Notice::Feedback { user: p.user_id }).await?;
        }
        self.txn.commit().await?;
        if let Some(p) = self.feedback {
            p.guard.applied(&p.changes);
            self.st.feedback_changed(p.user_id);
        }
        let mut first_error = None;
        for effect in self.effects {
            if let Err(e) = apply(self.st, effect).await {
                first_error.get_or_insert(e);
            }
        }
        drop(self.guards);
        first_error.map_or(Ok(()), Err)
    }
}

async fn apply(st: &AppState, effect: Effect) -> Result<(), AppError> {
    match effect {
        Effect::Curation => st.curation_changed(),
        Effect::Catalogue => {
            st.movie_rows.invalidate();
            st.recommender.catalogue_changed();
        }
        Effect::Erasure(user) => {
            st.user_states.forget(user);
            st.ranked_memos.forget(user);
            st.user_rows.erased(user);
            st.recommender.erase_user(&st.db, user).await?;
            // Deleted rows are zeroed in place (SQLite `secure_delete`); this moves the
            // write-ahead log's older copies of those pages into the file and empties it.
            crate::db::flush_deleted_pages(&st.db).await?;
        }
        Effect::Profile(_) => {}
    }
    Ok(())
}
