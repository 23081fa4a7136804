//! Shared application state: one per process, handed to every request.
use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::app::model::RecommenderHandle;
use crate::auth::JwtKeys;
use crate::config::Settings;
use crate::db::QueryStats;
use crate::http::metrics::Metrics;

/// What every request can reach.
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Settings,
    pub jwt: JwtKeys,
    pub metrics: Metrics,
    pub query_stats: Arc<QueryStats>,
    pub recommender: RecommenderHandle,
    pub curation: crate::app::curation_cache::CurationCache,
    /// End users' rows by external id, for the auth step.
    pub user_rows: crate::app::user_rows::UserRows,
    /// Users' feedback in memory, for serving.
    pub user_states: crate::app::user_state::UserStates,
    /// What was shown to whom, written in batches.
    pub impressions: crate::app::impressions::ImpressionLog,
    /// Movie rows for the API's movie fields.
    pub movie_rows: crate::app::movie_rows::MovieRows,
    /// The admission rule's answers per snapshot item, shared by every request.
    pub admission_masks: Arc<crate::app::serving_cache::AdmissionMasks>,
    /// Users' personal rankings, kept until their inputs change.
    pub ranked_memos: Arc<crate::app::serving_cache::RankedMemos>,
    /// Sign-in attempts, per account and per client address.
    pub login_throttle: crate::auth::throttle::LoginThrottle,
    /// Threads for CPU-bound request work (ranking), apart from the HTTP workers.
    pub compute: crate::app::compute::ComputePool,
    /// The running experiments, for assignment at serving time.
    pub experiments: crate::app::experiments::ExperimentRegistry,
    /// This process among the replicas (its id, what it heard).
    pub replica: Arc<crate::app::replication::Replica>,
    /// Start-up is done (demo, stored model, replication): `/readyz` answers 200 from then on.
    pub ready: std::sync::atomic::AtomicBool,
}

impl AppState {
    /// Says start-up is done.
    pub fn mark_ready(&self) {
        self.ready.store(true, std::sync::atomic::Ordering::Release);
    }

    /// Whether start-up is done.
    pub fn is_ready(&self) -> bool {
        self.ready.load(std::sync::atomic::Ordering::Acquire)
    }

    /// The curation snapshot in force (reloaded after changes).
    pub async fn curation(
        &self,
    ) -> Result<Arc<marquee_core::serving::curation::CurationSnapshot>, sea_orm::DbErr> {
        self.curation.get(&self.db).await
    }

    /// Called after a curation change is committed: the next request sees it.
    pub fn curation_changed(&self) {
        self.curation.invalidate();
    }

    /// Called after a user's feedback (rating, event) is committed (their cached state is
    /// already updated): their factors are re-solved on their next read.
    pub fn feedback_changed(&self, user_id: i32) {
        self.recommender.feedback_changed(user_id);
    }
}
