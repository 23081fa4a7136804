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
    /// Users' feedback in memory, for serving.
    pub user_states: crate::app::user_state::UserStates,
    /// What was shown to whom, written in batches.
    pub impressions: crate::app::impressions::ImpressionLog,
    /// The admission rule's answers per snapshot item, shared by every request.
    pub admission_masks: Arc<crate::app::serving::AdmissionMasks>,
    /// Threads for CPU-bound request work (ranking), apart from the HTTP workers.
    pub compute: crate::app::compute::ComputePool,
}

impl AppState {
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

    /// Called after a user's feedback (rating, event) is committed, with their cached state if
    /// they were cached (already updated): re-solves their factors so their next request
    /// reflects it. A user not cached is loaded (and cached) first.
    pub async fn feedback_changed(
        &self,
        user: &crate::db::entities::users::Model,
        cached: Option<Arc<crate::app::user_state::UserState>>,
    ) {
        let state = match cached {
            Some(s) => s,
            None => match self.user_states.get(&self.db, user.id).await {
                Ok(s) => s,
                Err(e) => {
                    // The feedback is stored; the next training picks it up.
                    tracing::warn!(error = %e, user_id = user.id, "fold-in: loading feedback failed");
                    return;
                }
            },
        };
        self.recommender.fold_in(user, &state.interactions);
    }
}
