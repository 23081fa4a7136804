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

use crate::db::repo::audit::{self, Actor};
use crate::error::AppError;
use crate::state::AppState;

/// What a change touched, and so what must be refreshed once it is committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Collections, placements, rules or diversity settings: the curation cache reloads.
    Curation,
    /// Movies: the catalogue index reloads.
    Catalogue,
    /// A user's ratings or events: their factors are re-solved (fold-in).
    Feedback(i32),
    /// A user was erased: they leave the live model and its stored parameters.
    Erasure(i32),
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
        })
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
        if !self.effects.contains(&effect) {
            self.effects.push(effect);
        }
    }

    /// Appends the audit entries, commits, then applies the effects in the order declared.
    /// An effect that fails (erasing a user from the stored model) is reported after the
    /// others have been applied: the commit itself stands.
    pub async fn commit(self) -> Result<(), AppError> {
        for e in self.entries {
            audit::append(&self.txn, &self.actor, e.action, Some(e.target), e.details).await?;
        }
        self.txn.commit().await?;
        let mut first_error = None;
        for effect in self.effects {
            if let Err(e) = apply(self.st, effect).await {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

async fn apply(st: &AppState, effect: Effect) -> Result<(), AppError> {
    match effect {
        Effect::Curation => st.curation_changed(),
        Effect::Catalogue => st.recommender.catalogue_changed(),
        Effect::Feedback(user) => st.feedback_changed(user).await,
        Effect::Erasure(user) => st.recommender.erase_user(&st.db, user).await?,
    }
    Ok(())
}
