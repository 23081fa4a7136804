//! Builds the application: database, state, schema and HTTP server.
use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::{self, Compress};
use actix_web::{web, App, HttpServer};
use anyhow::Context as _;

use crate::app::model::RecommenderHandle;
use crate::auth::JwtKeys;
use crate::config::Settings;
use crate::graphql::{build_schema, handler};
use crate::http::client_addr::TrustedProxies;
use crate::http::{access, admin_ui, health, metrics};
use crate::state::AppState;

/// A running (not yet awaited) server and the port it listens on.
pub struct Application {
    port: u16,
    server: Server,
    state: Arc<AppState>,
}

/// Connects, migrates and builds the shared state, with the stored model version loaded.
pub async fn build_state(settings: Settings) -> anyhow::Result<Arc<AppState>> {
    let state = connect_state(settings).await?;
    load_model(&state).await;
    state.mark_ready();
    Ok(state)
}

/// Loads the active stored model version, if there is one (a model that cannot be read is
/// retrained later, not a reason to stop).
pub async fn load_model(state: &AppState) {
    match state.recommender.load_active(&state.db).await {
        Ok(true) => tracing::info!("serving the stored model version"),
        Ok(false) => {}
        Err(e) => {
            tracing::warn!(error = %e, "the stored model could not be loaded; it will be retrained")
        }
    }
}

/// Binds the server's address: the first thing `serve` does, so a wrong `--bind` fails before
/// the database is touched.
pub fn bind(address: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(address).with_context(|| {
        format!("cannot listen on {address:?} (server.bind / --bind takes host:port, e.g. 127.0.0.1:8080)")
    })
}

/// What `serve` does once its port is open: loads the demo (on an empty database), the
/// stored model and the other replicas' changes, then says it is ready (`/readyz`) and starts
/// the training and maintenance jobs.
pub async fn finish_start(state: Arc<AppState>) -> anyhow::Result<()> {
    crate::db::seed::load_demo_if_empty(&state).await?;
    load_model(&state).await;
    crate::app::replication::spawn_follower(state.clone())
        .await
        .context("listening for other replicas' changes")?;
    state.mark_ready();
    tracing::info!("ready");
    spawn_training_jobs(state.clone());
    spawn_maintenance_jobs(state);
    Ok(())
}

/// Connects, migrates and builds the shared state without loading the model (`serve` opens
/// its port first and loads it after; `/readyz` says when that is done).
pub async fn connect_state(settings: Settings) -> anyhow::Result<Arc<AppState>> {
    let url = &settings.database.url;
    let (db, query_stats) = crate::db::connect(&settings.database)
        .await
        .map_err(|e| {
            let hint = if url.starts_with("sqlite:") && e.to_string().contains("unable to open") {
                " (SQLite could not open the file: does its folder exist, and may this user \
                 write there? URLs look like sqlite://marquee.db or sqlite:///var/lib/marquee/marquee.db)"
            } else {
                ""
            };
            anyhow::Error::new(e).context(format!("connecting to {}{hint}", redact(url)))
        })?;
    crate::db::migrate(&db)
        .await
        .context("applying migrations")?;
    let jwt = JwtKeys::from_settings(&settings.auth).context("loading token keys")?;
    let metrics = crate::http::metrics::Metrics::new().context("registering metrics")?;
    let replica = Arc::new(crate::app::replication::Replica::default());
    let recommender = RecommenderHandle::new(
        settings.recommender.model.clone(),
        settings.recommender.evaluate_after_training,
    )
    .with_retention(settings.recommender.keep_previous_versions)
    .with_evaluation_users(settings.recommender.evaluation_max_users)
    .with_tuning(settings.recommender.tuning.config())
    .with_replica_id(&replica.id);
    let user_states = crate::app::user_state::UserStates::new(settings.serving.user_cache_capacity);
    let settings_ranked_capacity = settings.serving.ranking_cache_capacity;
    let settings_user_capacity = settings.serving.user_cache_capacity;
    let impressions = crate::app::impressions::ImpressionLog::start(db.clone());
    let login_throttle = crate::auth::throttle::LoginThrottle::new(
        settings.auth.login_attempts_per_minute_per_account,
        settings.auth.login_attempts_per_minute_per_address,
    );
    Ok(Arc::new(AppState {
        db,
        settings,
        jwt,
        metrics,
        query_stats,
        recommender,
        curation: Default::default(),
        user_states,
        user_rows: crate::app::user_rows::UserRows::new(settings_user_capacity),
        impressions,
        compute: crate::app::compute::ComputePool::new(0),
        admission_masks: Default::default(),
        login_throttle,
        ranked_memos: Arc::new(crate::app::serving_cache::RankedMemos::new(
            settings_ranked_capacity,
        )),
        movie_rows: Default::default(),
        experiments: Default::default(),
        replica,
        ready: Default::default(),
    }))
}

/// Prunes recommendation logs past their retention now and on the configured schedule, and
/// checks running experiments against their end and guardrails.
pub fn spawn_maintenance_jobs(state: Arc<AppState>) {
    let check = state.settings.serving.experiment_check_minutes;
    if check > 0 {
        let st = state.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(check * 60));
            loop {
                tick.tick().await;
                match crate::app::experiments::enforce(&st).await {
                    Ok(stopped) => {
                        for (id, reason) in stopped {
                            tracing::warn!(experiment_id = id, %reason, "experiment stopped");
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "checking experiments failed"),
                }
            }
        });
    }
    let every = state.settings.serving.prune_interval_minutes;
    if every == 0 {
        return;
    }
    let retention = chrono::Duration::days(state.settings.serving.log_retention_days as i64);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(every * 60));
        loop {
            tick.tick().await;
            match crate::app::impressions::prune(&state.db, retention, chrono::Utc::now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(rows = n, "pruned old recommendation logs"),
                Err(e) => tracing::warn!(error = %e, "pruning recommendation logs failed"),
            }
        }
    });
}

/// Starts background training: once now if there is no model (and config allows), then on the
/// configured schedule.
pub fn spawn_training_jobs(state: Arc<AppState>) {
    let cfg = state.settings.recommender.clone();
    if cfg.train_on_start && state.recommender.active().is_none() {
        let st = state.clone();
        tokio::spawn(async move {
            match st
                .recommender
                .train(&st.db, &marquee_core::recommender::no_progress)
                .await
            {
                Ok(o) => tracing::info!(
                    version = o.version_id,
                    seconds = o.train_seconds,
                    "initial model trained"
                ),
                Err(e) => tracing::warn!(error = %e, "initial training did not run"),
            }
        });
    }
    if cfg.retrain_interval_minutes > 0 {
        let every = std::time::Duration::from_secs(cfg.retrain_interval_minutes * 60);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            loop {
                tick.tick().await;
                match state
                    .recommender
                    .train(&state.db, &marquee_core::recommender::no_progress)
                    .await
                {
                    Ok(o) => tracing::info!(version = o.version_id, "scheduled training done"),
                    Err(e) => tracing::warn!(error = %e, "scheduled training failed"),
                }
            }
        });
    }
}

/// Hides the password of a database URL for logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..s + 3], user, &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

impl Application {
    /// Builds the server on `settings.server.bind` (port 0 picks a free port).
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let state = build_state(settings).await?;
        Self::from_state(state)
    }

    /// Builds the server around existing state.
    pub fn from_state(state: Arc<AppState>) -> anyhow::Result<Self> {
        let listener = bind(&state.settings.server.bind)?;
        Self::from_listener(listener, state)
    }

    /// Builds the server on a bound listener.
    pub fn from_listener(listener: TcpListener, state: Arc<AppState>) -> anyhow::Result<Self> {
        let port = listener.local_addr()?.port();
        let server = run(listener, state.clone())?;
        Ok(Self {
            port,
            server,
            state,
        })
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The shared state (tests read the database and counters through it).
    pub fn state(&self) -> Arc<AppState> {
        self.state.clone()
    }

    /// A handle that stops the server.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped (SIGINT/SIGTERM stop gracefully).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

fn run(listener: TcpListener, state: Arc<AppState>) -> anyhow::Result<Server> {
    let schema = web::Data::new(build_schema(&state.settings.graphql));
    let persisted = web::Data::new(crate::graphql::persisted::PersistedQueries::new(
        state.settings.graphql.persisted_queries,
    ));
    let body_limit = state.settings.server.body_limit_bytes;
    let graphiql = state.settings.server.graphiql;
    let workers = state.settings.server.workers;
    let cors_origins = state.settings.server.cors_allowed_origins.clone();
    // Checked with the rest of the settings at start.
    let proxies = web::Data::new(
        TrustedProxies::parse(&state.settings.server.trusted_proxies)
            .map_err(|e| anyhow::anyhow!(e))?,
    );
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        let mut app = App::new()
            .wrap(crate::http::headers::security_headers())
            .wrap(Compress::default())
            .wrap(middleware::from_fn(access::log))
            .app_data(data.clone())
            .app_data(schema.clone())
            .app_data(persisted.clone())
            .app_data(proxies.clone())
            .app_data(web::PayloadConfig::new(body_limit))
            .service(
                web::resource("/graphql")
                    .wrap(crate::http::headers::cors(&cors_origins))
                    .route(web::post().to(handler::graphql_post))
                    .route(web::get().to(handler::graphql_get))
                    .default_service(web::to(handler::method_not_allowed)),
            )
            .service(
                web::resource("/healthz")
                    .route(web::get().to(health::healthz))
                    .route(web::head().to(health::healthz)),
            )
            .service(
                web::resource("/readyz")
                    .route(web::get().to(health::readyz))
                    .route(web::head().to(health::readyz)),
            )
            .route("/metrics", web::get().to(metrics::metrics))
            .route("/", web::get().to(admin_ui::root))
            .route("/admin", web::get().to(admin_ui::admin))
            .route("/admin/{path:.*}", web::get().to(admin_ui::admin));
        if graphiql {
            app = app.route("/graphiql", web::get().to(admin_ui::graphiql));
        }
        app
    })
    .workers(match workers {
        0 => 2 * std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    })
    .listen(listener)?
    .shutdown_timeout(20)
    .run();
    Ok(server)
}
