//! Prometheus metrics, served at `/metrics`: HTTP requests by route and status, GraphQL
//! requests and latency by operation, errors by code, database statements and pool, training
//! and the model in service, and the standard `process_*` figures (Linux).
//!
//! Every family but `process_*` is named `marquee_*`; counters end in `_total` and nothing else
//! does (`promtool check metrics` is clean, which a test checks).
use std::sync::atomic::Ordering;
use std::sync::Arc;

use actix_web::{web, HttpResponse};
use prometheus::{
    Counter, Encoder, Gauge, GaugeVec, HistogramOpts, HistogramVec, IntCounter, IntCounterVec,
    IntGauge, Opts, Registry, TextEncoder,
};

use crate::state::AppState;

/// The process's metrics.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    errors: IntCounterVec,
    http_requests: IntCounterVec,
    http_latency: HistogramVec,
    db_statements: IntCounter,
    db_failed: IntCounter,
    db_seconds: Counter,
    db_pool_connections: IntGauge,
    training: TrainingMetrics,
    /// Serialises scrapes, which bring the counters kept elsewhere up to date.
    scrape: std::sync::Mutex<()>,
    recent: std::sync::Mutex<std::collections::VecDeque<(std::time::Instant, f32)>>,
    /// Operation names given a label of their own so far.
    operations: std::sync::Mutex<std::collections::HashSet<String>>,
    total: std::sync::atomic::AtomicU64,
    total_errors: std::sync::atomic::AtomicU64,
}

/// Operation names that get a label of their own; later names are counted as `other`, so
/// clients inventing names cannot grow `/metrics` without bound.
pub const MAX_OPERATION_LABELS: usize = 100;

/// Latency buckets, in seconds.
const LATENCY_BUCKETS: [f64; 11] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// A status code's three digits.
fn itoa_status(status: u16) -> [u8; 3] {
    let s = status.min(999);
    [
        b'0' + (s / 100) as u8,
        b'0' + (s / 10 % 10) as u8,
        b'0' + (s % 10) as u8,
    ]
}

/// Training and the model in service, read from the recommender at each scrape.
struct TrainingMetrics {
    runs: IntCounterVec,
    running: IntGauge,
    last_success: Gauge,
    last_duration: Gauge,
    active_version: IntGauge,
    active_trained: Gauge,
    offline_ndcg: GaugeVec,
    /// Runs already counted, by outcome.
    counted: std::sync::Mutex<(u64, u64)>,
}

impl TrainingMetrics {
    fn new() -> Result<Self, prometheus::Error> {
        let ns = |o: Opts| o.namespace("marquee");
        Ok(Self {
            runs: IntCounterVec::new(
                ns(Opts::new(
                    "training_runs_total",
                    "Trainings this process ran, by outcome (succeeded, failed)",
                )),
                &["outcome"],
            )?,
            running: IntGauge::with_opts(ns(Opts::new(
                "training_running",
                "1 while this process trains a model",
            )))?,
            last_success: Gauge::with_opts(ns(Opts::new(
                "training_last_success_timestamp_seconds",
                "When this process last finished a training successfully (Unix time; 0 never)",
            )))?,
            last_duration: Gauge::with_opts(ns(Opts::new(
                "training_last_duration_seconds",
                "How long the last successful training took, loading and evaluation included",
            )))?,
            active_version: IntGauge::with_opts(ns(Opts::new(
                "model_active_version",
                "The model version served (0 before the first)",
            )))?,
            active_trained: Gauge::with_opts(ns(Opts::new(
                "model_trained_timestamp_seconds",
                "When the model version served was trained (Unix time; 0 before the first)",
            )))?,
            offline_ndcg: GaugeVec::new(
                ns(Opts::new(
                    "model_offline_ndcg",
                    "Offline NDCG@k of each model of the last training's evaluation, by model",
                )),
                &["model", "k"],
            )?,
            counted: Default::default(),
        })
    }

    fn register(&self, r: &Registry) -> Result<(), prometheus::Error> {
        r.register(Box::new(self.runs.clone()))?;
        r.register(Box::new(self.running.clone()))?;
        r.register(Box::new(self.last_success.clone()))?;
        r.register(Box::new(self.last_duration.clone()))?;
        r.register(Box::new(self.active_version.clone()))?;
        r.register(Box::new(self.active_trained.clone()))?;
        r.register(Box::new(self.offline_ndcg.clone()))?;
        Ok(())
    }

    fn update(&self, state: &AppState) {
        let s = state.recommender.status();
        if let Ok(mut counted) = self.counted.lock() {
            let (ok, failed) = *counted;
            self.runs
                .with_label_values(&["succeeded"])
                .inc_by(s.successes.saturating_sub(ok));
            self.runs
                .with_label_values(&["failed"])
                .inc_by(s.failures.saturating_sub(failed));
            *counted = (ok.max(s.successes), failed.max(s.failures));
        }
        self.running.set(i64::from(s.running));
        if let Some(last) = &s.last_success {
            self.last_success.set(last.at.timestamp() as f64);
            self.last_duration.set(last.seconds);
            for (model, ndcg) in &last.offline_ndcg {
                self.offline_ndcg
                    .with_label_values(&[model.as_str(), &last.k.to_string()])
                    .set(*ndcg);
            }
        }
        match state.recommender.active() {
            Some(a) => {
                self.active_version.set(i64::from(a.version_id));
                self.active_trained.set(a.trained_at.timestamp() as f64);
            }
            None => {
                self.active_version.set(0);
                self.active_trained.set(0.0);
            }
        }
    }
}

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
        let registry = Registry::new();
        let ns = |o: Opts| o.namespace("marquee");
        let requests = IntCounterVec::new(
            ns(Opts::new(
                "graphql_requests_total",
                "GraphQL operations served, by operation name",
            )),
            &["operation"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "graphql_request_duration_seconds",
                "GraphQL request latency, by operation name",
            )
            .namespace("marquee")
            .buckets(LATENCY_BUCKETS.to_vec()),
            &["operation"],
        )?;
        let errors = IntCounterVec::new(
            ns(Opts::new("graphql_errors_total", "GraphQL errors, by code")),
            &["code"],
        )?;
        let http_requests = IntCounterVec::new(
            ns(Opts::new(
                "http_requests_total",
                "HTTP requests answered, by method, route and status",
            )),
            &["method", "route", "status"],
        )?;
        let http_latency = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "HTTP request latency, by route",
            )
            .namespace("marquee")
            .buckets(LATENCY_BUCKETS.to_vec()),
            &["route"],
        )?;
        let db_statements = IntCounter::with_opts(ns(Opts::new(
            "db_statements_total",
            "Database statements executed",
        )))?;
        let db_failed = IntCounter::with_opts(ns(Opts::new(
            "db_statements_failed_total",
            "Database statements that failed",
        )))?;
        let db_seconds = Counter::with_opts(ns(Opts::new(
            "db_statement_seconds_total",
            "Time spent in database statements",
        )))?;
        let db_pool_connections = IntGauge::with_opts(ns(Opts::new(
            "db_pool_connections",
            "Open connections in the database pool",
        )))?;
        let training = TrainingMetrics::new()?;
        for c in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(latency.clone()),
            Box::new(errors.clone()),
            Box::new(http_requests.clone()),
            Box::new(http_latency.clone()),
            Box::new(db_statements.clone()),
            Box::new(db_failed.clone()),
            Box::new(db_seconds.clone()),
            Box::new(db_pool_connections.clone()),
        ] {
            registry.register(c)?;
        }
        training.register(&registry)?;
        #[cfg(target_os = "linux")]
        registry.register(Box::new(
            prometheus::process_collector::ProcessCollector::for_self(),
        ))?;
        Ok(Self {
            registry,
            requests,
            latency,
            errors,
            http_requests,
            http_latency,
            db_statements,
            db_failed,
            db_seconds,
            db_pool_connections,
            training,
            scrape: Default::default(),
            recent: Default::default(),
            operations: Default::default(),
            total: Default::default(),
            total_errors: Default::default(),
        })
    }

    /// Counts one answered HTTP request. `route` is the matched route pattern (or `unmatched`),
    /// so the label set stays bounded whatever paths clients try.
    pub fn record_http(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let method = match method {
            "GET" | "POST" | "HEAD" | "OPTIONS" | "PUT" | "DELETE" | "PATCH" => method,
            _ => "OTHER",
        };
        let digits = itoa_status(status);
        let status = std::str::from_utf8(&digits).unwrap_or("000");
        self.http_requests
            .with_label_values(&[method, route, status])
            .inc();
        self.http_latency
            .with_label_values(&[route])
            .observe(seconds);
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
    {
        // Counters kept elsewhere are brought up to date, one scrape at a time.
        let _one = m.scrape.lock();
        let add = |c: &IntCounter, now: u64| c.inc_by(now.saturating_sub(c.get()));
        add(&m.db_statements, q.count.load(Ordering::Relaxed));
        add(&m.db_failed, q.failed.load(Ordering::Relaxed));
        let secs = q.micros.load(Ordering::Relaxed) as f64 / 1e6;
        let behind = secs - m.db_seconds.get();
        if behind > 0.0 {
            m.db_seconds.inc_by(behind);
        }
        m.db_pool_connections
            .set(crate::db::pool_size(&state.db) as i64);
        m.training.update(&state);
    }
    let mut buf = Vec::new();
    if let Err(e) = TextEncoder::new().encode(&m.registry.gather(), &mut buf) {
        tracing::error!(error = %e, "encoding metrics");
        return HttpResponse::InternalServerError().finish();
    }
    HttpResponse::Ok()
        .content_type(prometheus::TEXT_FORMAT)
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .body(buf)
}
