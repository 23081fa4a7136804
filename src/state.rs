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

    /// Called after a user's feedback (rating, event) is committed, so that models that keep
    /// per-user state can refresh it before the user's next request.
    pub async fn feedback_changed(&self, user_id: i32) {
        let user = match crate::db::repo::users::get(&self.db, user_id).await {
            Ok(Some(u)) => u,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, user_id, "fold-in: loading the user failed");
                return;
            }
        };
        if let Err(e) = self.recommender.feedback_changed(&self.db, &user).await {
            // The feedback is stored; the next training picks it up.
            tracing::warn!(error = %e, user_id, "fold-in failed");
        }
    }
}
