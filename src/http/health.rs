//! `/healthz` (the process answers, from the moment its port is open) and `/readyz` (start-up
//! done, database reachable, migrations applied). Both answer `HEAD` too.
use std::sync::Arc;

use actix_web::{web, HttpResponse};

use crate::db;
use crate::state::AppState;

/// Liveness: always 200 while the process serves.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// How long `/readyz` waits for the database: an orchestrator's probe gets its answer within
/// a second even while the database is down.
const READY_CHECK: std::time::Duration = std::time::Duration::from_millis(800);

/// Readiness: 200 once start-up is done (the demo and the stored model loaded, other replicas
/// followed) while the database answers within [`READY_CHECK`], every migration is applied and
/// (SQLite) its disk has `database.min_free_disk_mb` free; else 503. The body also names this
/// replica and the model version it serves (`model: null` before the first one).
pub async fn readyz(state: web::Data<Arc<AppState>>) -> HttpResponse {
    let check = async {
        let db_ok = state.db.ping().await.is_ok();
        let migrated = db_ok && db::migrations_applied(&state.db).await.unwrap_or(false);
        (db_ok, migrated)
    };
    let (db_ok, migrated) = tokio::time::timeout(READY_CHECK, check)
        .await
        .unwrap_or((false, false));
    let free = db::sqlite_free_bytes(&state.settings.database.url);
    let disk_ok = free.is_none_or(|b| b >= state.settings.database.min_free_disk_mb << 20);
    let started = state.is_ready();
    let ready = started && db_ok && migrated && disk_ok;
    let model = state.recommender.active().map(|a| {
        serde_json::json!({
            "version": a.version_id,
            "trainedAt": a.trained_at,
            "loadedAt": a.loaded_at,
        })
    });
    let body = serde_json::json!({
        "status": if ready { "ready" } else if !started { "starting" } else { "not ready" },
        "started": started,
        "database": db_ok,
        "migrations": migrated,
        "disk": { "ok": disk_ok, "freeBytes": free },
        "replica": state.replica.id,
        "model": model,
    });
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
