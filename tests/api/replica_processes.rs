//! Two `marquee serve` processes on one PostgreSQL database, as operators run replicas: a
//! rating, a pin and an erasure made through one are in the other's next answers within a
//! second; killing the process that is training lets the other train; neither ever serves a
//! model older than one it served before. (`replicas.rs` checks the same inside one process,
//! where each replica's memory can be inspected.)
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{demo_with_model, error_code, settings_for, spawn_replica, Backend, TestApp};
use crate::replicas::{a_pin_reaches, a_rating_reaches, within, WITHIN};

const RECS: &str = "{ recommendations(first: 10) { edges { node { movie { id } } } } }";

/// A `marquee serve` child, killed when dropped.
struct Serve {
    child: Child,
    address: String,
    log: std::path::PathBuf,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Serve {
    async fn start(database_url: &str, logs: &std::path::Path, name: &str) -> Serve {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = logs.join(format!("{name}.log"));
        let child = Command::new(env!("CARGO_BIN_EXE_marquee"))
            .env("MARQUEE_ENV", "test")
            .env(
                "MARQUEE_CONFIG_DIR",
                concat!(env!("CARGO_MANIFEST_DIR"), "/config"),
            )
            .args([
                "--database-url",
                database_url,
                "serve",
                "--no-demo",
                "--bind",
            ])
            .arg(format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let s = Serve {
            child,
            address: format!("http://127.0.0.1:{port}"),
            log,
        };
        let t = Instant::now();
        while s.model().await.is_none() {
            assert!(
                t.elapsed() < Duration::from_secs(60),
                "{name} not ready with a model: {}",
                s.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        s
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        text.lines().rev().take(20).collect::<Vec<_>>().join("\n")
    }

    /// The model version `/readyz` says it serves.
    async fn model(&self) -> Option<i64> {
        let r = reqwest::get(format!("{}/readyz", self.address))
            .await
            .ok()?;
        let body: Value = r.json().await.ok()?;
        body["model"]["version"].as_i64()
    }
}

async fn start_training(app: &TestApp, admin: &str) {
    let r = app
        .graphql(
            "mutation { trainModels { trainingStatus { running } } }",
            json!({}),
            Some(admin),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
}

/// Watches a server's `/readyz` until stopped; fails if the version it serves ever goes down.
fn never_goes_back(address: String, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<usize> {
    tokio::spawn(async move {
        let mut seen = 0i64;
        let mut reads = 0;
        while !stop.load(Ordering::Relaxed) {
            if let Ok(r) = reqwest::get(format!("{address}/readyz")).await {
                if let Some(v) = r
                    .json::<Value>()
                    .await
                    .ok()
                    .and_then(|b| b["model"]["version"].as_i64())
                {
                    assert!(v >= seen, "{address} went back from version {seen} to {v}");
                    seen = v;
                    reads += 1;
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        reads
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_serve_processes_follow_each_other() {
    let Some((settings, _)) = settings_for(Backend::Postgres).await else {
        return;
    };
    let ml100k = crate::helpers::dataset("ml-100k");
    // This process only seeds the database and mints tokens (same keys as the servers').
    let h = spawn_replica(settings.clone()).await;
    demo_with_model(&h).await;
    let v1 = h.state.recommender.active().unwrap().version_id as i64;
    let logs = tempfile::tempdir().unwrap();
    let url = &settings.database.url;
    let mut a = Some(Serve::start(url, logs.path(), "a").await);
    let b = Serve::start(url, logs.path(), "b").await;
    assert_eq!(b.model().await, Some(v1));
    let stop = Arc::new(AtomicBool::new(false));
    let watch_b = never_goes_back(b.address.clone(), stop.clone());
    let on_a = h.at(&a.as_ref().unwrap().address);
    let on_b = h.at(&b.address);

    // A rating through A is left out of B's next answer; a pin made through A is first on B.
    let user = h.user_token("demo-0003");
    let rated = a_rating_reaches(&on_a, &on_b, &user).await;
    a_pin_reaches(&on_a, &on_b, &user, &rated).await;

    // A deletion completed through A: B refuses the person and no longer ranks for them.
    let gone = "demo-0007";
    let gone_token = h.user_token(gone);
    assert!(error_code(&on_b.graphql(RECS, json!({}), Some(&gone_token)).await).is_none());
    crate::privacy::erase_through_the_api(&on_a, gone).await;
    let t = within(WITHIN, "B refuses the person erased on A", || async {
        error_code(&on_b.graphql(RECS, json!({}), Some(&gone_token)).await)
            == Some("UNAUTHENTICATED")
    })
    .await;
    eprintln!("erasure followed across processes in {t:?}");

    // A larger catalogue, so a training lasts long enough to be interrupted; A trains and is
    // killed while it holds the lease; B then trains, and A's half-done work is nowhere.
    marquee::db::import::import_movielens(&h.state.db, &ml100k, "ml-100k", None)
        .await
        .unwrap();
    let admin = on_a.admin_token().await;
    start_training(&on_a, &admin).await;
    let t = Instant::now();
    while !marquee::db::notify::training_lease_taken(&h.state.db)
        .await
        .unwrap()
    {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "A never took the lease"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    drop(a.take()); // SIGKILL mid-training
    let versions = h.count("model_versions").await;
    within(
        Duration::from_secs(5),
        "the lease is free once A is dead",
        || async {
            !marquee::db::notify::training_lease_taken(&h.state.db)
                .await
                .unwrap()
        },
    )
    .await;
    assert_eq!(
        h.count("model_versions").await,
        versions,
        "A stored nothing"
    );
    start_training(&on_b, &admin).await;
    let v2 = within(
        Duration::from_secs(240),
        "B trains and serves a new version",
        || async { b.model().await.is_some_and(|v| v > v1) },
    )
    .await;
    eprintln!("B trained after A was killed in {v2:?}");
    stop.store(true, Ordering::Relaxed);
    assert!(watch_b.await.unwrap() > 10, "B's version was watched");
}
