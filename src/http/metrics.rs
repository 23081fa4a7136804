//! Prometheus metrics: GraphQL requests and latency by operation, errors by code, database
//! statements, served at `/metrics`.
use std::sync::atomic::Ordering;
use std::sync::Arc;

use actix_web::{web, HttpResponse};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};

use crate::state::AppState;

/// The process's metrics.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    errors: IntCounterVec,
    db_statements: IntGauge,
    db_failed: IntGauge,
    db_seconds: prometheus::Gauge,
    db_pool_connections: IntGauge,
    recent: std::sync::Mutex<std::collections::VecDeque<(std::time::Instant, f32)>>,
    /// Operation names given a label of their own so far.
    operations: std::sync::Mutex<std::collections::HashSet<String>>,
    total: std::sync::atomic::AtomicU64,
    total_errors: std::sync::atomic::AtomicU64,
}

/// Operation names that get a label of their own; later names are counted as `other`, so
/// clients inventing names cannot grow `/metrics` without bound.
pub const MAX_OPERATION_LABELS: usize = 100;

/// How many recent requests the live figures (`requestStats`) are computed over.
const RECENT: usize = 10_000;
/// The window of the request rate.
const RATE_WINDOW: std::time::Duration = std::time::Duration::from_secs(300);

/// Live request figures for the dashboard.
#[derive(Debug, Clone, Default)]
pub struct RequestSnapshot {
    pub requests_per_minute: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub total_requests: u64,
    pub errors: u64,
}

impl Metrics {
    /// Creates and registers every metric.
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new_custom(Some("marquee".into()), None)?;
        let requests = IntCounterVec::new(
            Opts::new(
                "graphql_requests_total",
                "GraphQL operations served, by operation name",
            ),
            &["operation"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "graphql_request_duration_seconds",
                "GraphQL request latency, by operation name",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ]),
            &["operation"],
        )?;
        let errors = IntCounterVec::new(
            Opts::new("graphql_errors_total", "GraphQL errors, by code"),
            &["code"],
        )?;
        let db_statements = IntGauge::new("db_statements_total", "Database statements executed")?;
        let db_failed = IntGauge::new(
            "db_statements_failed_total",
            "Database statements that failed",
        )?;
        let db_seconds = prometheus::Gauge::new(
            "db_statement_seconds_total",
            "Time spent in database statements",
        )?;
        let db_pool_connections = IntGauge::new(
            "db_pool_connections",
            "Open connections in the database pool",
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(errors.clone()))?;
        registry.register(Box::new(db_statements.clone()))?;
        registry.register(Box::new(db_failed.clone()))?;
        registry.register(Box::new(db_seconds.clone()))?;
        registry.register(Box::new(db_pool_connections.clone()))?;
        Ok(Self {
            registry,
            requests,
            latency,
            errors,
            db_statements,
            db_failed,
            db_seconds,
            db_pool_connections,
            recent: Default::default(),
            operations: Default::default(),
            total: Default::default(),
            total_errors: Default::default(),
        })
    }

    /// Counts one served operation and its latency.
    pub fn record_request(&self, operation: &str, seconds: f64) {
        let operation = self.operation_label(operation);
        self.requests.with_label_values(&[operation]).inc();
        self.latency
            .with_label_values(&[operation])
            .observe(seconds);
        self.total.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut r) = self.recent.lock() {
            if r.len() == RECENT {
                r.pop_front();
            }
            r.push_back((std::time::Instant::now(), seconds as f32));
        }
    }

    /// `operation` if it has (or may still get) a label of its own, else `other`.
    fn operation_label<'a>(&self, operation: &'a str) -> &'a str {
        let Ok(mut known) = self.operations.lock() else {
            return "other";
        };
        if known.contains(operation) {
            return operation;
        }
        if known.len() < MAX_OPERATION_LABELS {
            known.insert(operation.to_owned());
            return operation;
        }
        "other"
    }

    /// Request rate over the last five minutes and latency percentiles over the last
    /// 10 000 requests.
    pub fn snapshot(&self) -> RequestSnapshot {
        let mut lat: Vec<f32> = vec![];
        let mut in_window = 0usize;
        let now = std::time::Instant::now();
        let mut oldest = now;
        if let Ok(r) = self.recent.lock() {
            lat.extend(r.iter().map(|(_, s)| *s));
            for (t, _) in r.iter().rev() {
                if now.duration_since(*t) > RATE_WINDOW {
                    break;
                }
                in_window += 1;
                oldest = *t;
            }
        }
        lat.sort_by(f32::total_cmp);
        let pct = |p: f64| -> f64 {
            if lat.is_empty() {
                return 0.0;
            }
            let i = ((lat.len() - 1) as f64 * p).round() as usize;
            lat[i] as f64 * 1000.0
        };
        // Over the window, or since the first request when the process is younger.
        let minutes = (now.duration_since(oldest).as_secs_f64() / 60.0).max(1.0 / 60.0);
        RequestSnapshot {
            requests_per_minute: if in_window == 0 {
                0.0
            } else {
                in_window as f64 / minutes.max(1.0)
            },
            p50_ms: pct(0.50),
            p95_ms: pct(0.95),
            p99_ms: pct(0.99),
            total_requests: self.total.load(Ordering::Relaxed),
            errors: self.total_errors.load(Ordering::Relaxed),
        }
    }

    /// Counts one error by its code.
    pub fn record_error(&self, code: &str) {
        let code = if code.len() <= 40 && code.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
            code
        } else {
            "OTHER"
        };
        self.errors.with_label_values(&[code]).inc();
        self.total_errors.fetch_add(1, Ordering::Relaxed);
    }
}

/// `GET /metrics` in the Prometheus text format.
pub async fn metrics(state: web::Data<Arc<AppState>>) -> HttpResponse {
    let m = &state.metrics;
    let q = &state.query_stats;
    m.db_statements.set(q.count.load(Ordering::Relaxed) as i64);
    m.db_failed.set(q.failed.load(Ordering::Relaxed) as i64);
    m.db_seconds
        .set(q.micros.load(Ordering::Relaxed) as f64 / 1e6);
    m.db_pool_connections
        .set(crate::db::pool_size(&state.db) as i64);
    let mut buf = Vec::new();
    if let Err(e) = TextEncoder::new().encode(&m.registry.gather(), &mut buf) {
        tracing::error!(error = %e, "encoding metrics");
        return HttpResponse::InternalServerError().finish();
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(buf)
}
