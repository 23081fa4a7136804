//! `spawn_app`: the real application on port 0, on a temporary SQLite file or a fresh
//! PostgreSQL database (when `MARQUEE_TEST_DATABASE_URL` is set).
use std::sync::Arc;

use marquee::config::Settings;
use marquee::startup::Application;
use marquee::state::AppState;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{json, Value};

/// Which database a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A running application for one test.
pub struct TestApp {
    pub address: String,
    pub state: Arc<AppState>,
    pub client: reqwest::Client,
    _tmp: Option<tempfile::TempDir>,
}

pub const STAFF_PASSWORD: &str = "correct-horse-battery-staple";

/// Path of a shared dataset, relative to the crate (the datasets are never copied).
pub fn dataset(name: &str) -> std::path::PathBuf {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/datasets")
        .join(name);
    // The datasets sit beside the checkout (`../shared/datasets`) on every machine and in CI.
    assert!(p.is_dir(), "dataset {name} not found at {}", p.display());
    p
}

/// The test settings (`config/test.toml`), without environment overrides.
pub fn test_settings() -> Settings {
    Settings::load_for("test", false).expect("config/test.toml loads")
}

/// Whether PostgreSQL tests must run here (`MARQUEE_REQUIRE_POSTGRES=1`, set by `.ci/run`).
pub fn postgres_required() -> bool {
    std::env::var("MARQUEE_REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
}

/// Says a test is skipped, visibly: written straight to the process's stderr, which the test
/// harness does not capture (`eprintln!` inside a test is captured and never shown for a
/// passing test). Fails instead when PostgreSQL tests are required.
pub fn skip(why: &str) {
    if postgres_required() {
        panic!("{why}, but MARQUEE_REQUIRE_POSTGRES=1");
    }
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "SKIPPED: {why}");
}

async fn fresh_postgres_url() -> Option<String> {
    let base = match std::env::var("MARQUEE_TEST_DATABASE_URL") {
        Ok(u) if !u.is_empty() => u,
        _ => {
            skip("MARQUEE_TEST_DATABASE_URL is not set, so this PostgreSQL test did not run");
            return None;
        }
    };
    let name = format!("marquee_t_{}", uuid::Uuid::new_v4().simple());
    let admin = Database::connect(&base)
        .await
        .expect("MARQUEE_TEST_DATABASE_URL is set but PostgreSQL cannot be reached");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create a test database");
    let (prefix, _) = base
        .rsplit_once('/')
        .expect("database URL has a database name");
    Some(format!("{prefix}/{name}"))
}

/// Builds settings for `backend`, or None when that backend is not available.
pub async fn settings_for(backend: Backend) -> Option<(Settings, Option<tempfile::TempDir>)> {
    let mut s = test_settings();
    s.server.bind = "127.0.0.1:0".into();
    match backend {
        Backend::Sqlite => {
            let tmp = tempfile::tempdir().expect("temp dir");
            s.database.url = format!("sqlite://{}/app.db?mode=rwc", tmp.path().display());
            Some((s, Some(tmp)))
        }
        Backend::Postgres => {
            s.database.url = fresh_postgres_url().await?;
            s.database.max_connections = 5;
            Some((s, None))
        }
    }
}

/// Starts the application on `backend`; None when the backend is not available (skipped).
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |_| {}).await
}

/// Like [`spawn_app`], with a chance to change the settings first.
pub async fn spawn_app_with(
    backend: Backend,
    tweak: impl FnOnce(&mut Settings),
) -> Option<TestApp> {
    // Server errors (an INTERNAL answer's cause) show in a failing test's output.
    let _ = tracing_subscriber::fmt()
        .with_env_filter("error")
        .with_test_writer()
        .try_init();
    let (mut settings, tmp) = settings_for(backend).await?;
    tweak(&mut settings);
    let app = Application::build(settings)
        .await
        .expect("application builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state();
    tokio::spawn(app.run_until_stopped());
    Some(TestApp {
        address,
        state,
        client: reqwest::Client::new(),
        _tmp: tmp,
    })
}

/// Starts one more replica on `settings`' database (which must exist), following the others
/// as `marquee serve` does.
pub async fn spawn_replica(settings: Settings) -> TestApp {
    let app = Application::build(settings)
        .await
        .expect("application builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state();
    marquee::app::replication::spawn_follower(state.clone())
        .await
        .expect("replica follows the others");
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        state,
        client: reqwest::Client::new(),
        _tmp: None,
    }
}

impl TestApp {
    /// The same application state (database, keys) speaking to the server at `address`: another
    /// process serving the same database.
    pub fn at(&self, address: &str) -> TestApp {
        TestApp {
            address: address.to_owned(),
            state: self.state.clone(),
            client: reqwest::Client::new(),
            _tmp: None,
        }
    }

    /// POSTs a GraphQL request and returns the JSON body.
    pub async fn graphql(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        let mut req = self
            .client
            .post(format!("{}/graphql", self.address))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send()
            .await
            .expect("request sent")
            .json()
            .await
            .expect("JSON body")
    }

    /// GETs a path of the running server.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("request sent")
    }

    /// Creates a staff account with `role` and signs it in through `login`.
    pub async fn staff_token(&self, role: &str) -> String {
        let email = format!("{role}-{}@example.test", uuid::Uuid::new_v4().simple());
        let hash = marquee::auth::password::hash(STAFF_PASSWORD).unwrap();
        marquee::db::repo::staff::create(&self.state.db, &email, hash, role)
            .await
            .unwrap();
        let r = self
            .graphql(
                "mutation($e:String!,$p:String!){ login(input:{email:$e,password:$p}){ token role } }",
                json!({ "e": email, "p": STAFF_PASSWORD }),
                None,
            )
            .await;
        r["data"]["login"]["token"]
            .as_str()
            .unwrap_or_else(|| panic!("login failed: {r}"))
            .to_owned()
    }

    /// An admin token.
    pub async fn admin_token(&self) -> String {
        self.staff_token("admin").await
    }

    /// An end-user token for `external_id`, signed with the configured secret.
    pub fn user_token(&self, external_id: &str) -> String {
        self.state
            .jwt
            .issue_user(external_id, chrono::Duration::hours(1))
            .unwrap()
            .0
    }

    /// Rows in a table.
    pub async fn count(&self, table: &str) -> u64 {
        marquee::db::repo::count_rows(&self.state.db, table)
            .await
            .unwrap()
    }

    /// Rows in a table that match an SQL condition.
    pub async fn count_where(&self, table: &str, condition: &str) -> i64 {
        use sea_orm::Statement;
        let backend = self.state.db.get_database_backend();
        self.state
            .db
            .query_one_raw(Statement::from_string(
                backend,
                format!("SELECT COUNT(*) AS n FROM {table} WHERE {condition}"),
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get("", "n")
            .unwrap()
    }

    /// Creates a movie through the API (as an editor) and returns its id.
    pub async fn create_movie(
        &self,
        token: &str,
        title: &str,
        year: i32,
        genres: &[&str],
    ) -> String {
        let r = self
            .graphql(
                "mutation($i:CreateMovieInput!){ createMovie(input:$i){ movie { id } } }",
                json!({ "i": { "title": title, "year": year, "genres": genres, "directors": ["Test Director"], "cast": ["Actor One", "Actor Two"] } }),
                Some(token),
            )
            .await;
        r["data"]["createMovie"]["movie"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("createMovie failed: {r}"))
            .to_owned()
    }
}

/// Loads the (small, test-config) demo and trains a model on it.
pub async fn demo_with_model(app: &TestApp) {
    marquee::db::seed::load_demo(&app.state.db, &app.state.settings.demo)
        .await
        .unwrap();
    app.state
        .recommender
        .train(&app.state.db, &marquee_core::recommender::no_progress)
        .await
        .unwrap();
}

/// The opaque GraphQL id of a database row, as the API encodes it (`base64("Kind:id")`).
pub fn gid(kind: &str, id: i64) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}:{id}"))
}

/// The `extensions.code` of the first error, if any.
pub fn error_code(v: &Value) -> Option<&str> {
    v["errors"][0]["extensions"]["code"].as_str()
}

/// Runs an async test body on SQLite and, when configured, on PostgreSQL.
#[macro_export]
macro_rules! api_test {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::helpers::spawn_app($crate::helpers::Backend::Sqlite)
                    .await
                    .expect("sqlite app");
                super::$name(app).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) =
                    $crate::helpers::spawn_app($crate::helpers::Backend::Postgres).await
                {
                    super::$name(app).await;
                }
            }
        }
    };
}
