//! `/healthz` (the process answers) and `/readyz` (database reachable, migrations applied).
use std::sync::Arc;

use actix_web::{web, HttpResponse};

use crate::db;
use crate::state::AppState;

/// Liveness: always 200 while the process serves.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// Readiness: 200 when the database answers and every migration is applied, else 503.
pub async fn readyz(state: web::Data<Arc<AppState>>) -> HttpResponse {
    let db_ok = state.db.ping().await.is_ok();
    let migrated = db_ok && db::migrations_applied(&state.db).await.unwrap_or(false);
    let body = serde_json::json!({
        "status": if db_ok && migrated { "ready" } else { "not ready" },
        "database": db_ok,
        "migrations": migrated,
    });
    if db_ok && migrated {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
