//! A database outage: requests fail within seconds as UNAVAILABLE, `/readyz` says so within a
//! second, and service resumes without a restart; an unreachable database at start-up is
//! reported as itself. Runs a throwaway PostgreSQL of its own (the installed server's `initdb`
//! and `pg_ctl`, on a free port, in a temporary folder), never the shared one.
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{error_code, spawn_app_with, Backend};

struct Throwaway {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
}

/// The installed PostgreSQL server's programs.
fn server_bin() -> Option<PathBuf> {
    let from_config = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        .filter(|p| p.join("initdb").exists());
    from_config.or_else(|| {
        let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .filter(|p| p.join("initdb").exists())
            .collect();
        found.sort();
        found.pop()
    })
}

impl Throwaway {
    /// Starts a fresh server, or None where PostgreSQL's server programs are not installed
    /// (CI always has them: there the test fails instead).
    fn start() -> Option<Self> {
        let Some(bin) = server_bin() else {
            assert!(
                std::env::var("MARQUEE_TEST_DATABASE_URL").is_err(),
                "PostgreSQL tests are required here, but initdb/pg_ctl were not found"
            );
            crate::helpers::skip("PostgreSQL's server programs (initdb, pg_ctl) are not installed");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        // The server runs as `postgres` when the tests run as root (it refuses root).
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let t = Self { dir, bin, port };
        let data = t.data();
        t.run(
            "initdb",
            &[
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
                "-D",
                data.to_str().unwrap(),
            ],
        );
        t.resume();
        Some(t)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn run(&self, program: &str, args: &[&str]) {
        let path = self.bin.join(program);
        let as_root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
        let mut c = if as_root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&path);
            c
        } else {
            Command::new(&path)
        };
        let out = c.args(args).current_dir(self.dir.path()).output().unwrap();
        assert!(
            out.status.success(),
            "{program} {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn pg_ctl(&self, args: &[&str]) {
        let data = self.data();
        let mut all = vec!["-D", data.to_str().unwrap()];
        all.extend_from_slice(args);
        self.run("pg_ctl", &all);
    }

    /// Starts (again) and waits until it accepts connections.
    fn resume(&self) {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("server.log");
        self.pg_ctl(&["-o", &opts, "-l", log.to_str().unwrap(), "-w", "start"]);
    }

    /// Stops at once, as a crash or a network cut would look to the server's clients.
    fn stop(&self) {
        self.pg_ctl(&["-m", "immediate", "-w", "stop"]);
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Throwaway {
    fn drop(&mut self) {
        let data = self.data();
        let _ = Command::new(self.bin.join("pg_ctl"))
            .args(["-D", data.to_str().unwrap(), "-m", "immediate", "stop"])
            .output();
        if Path::new(&data).exists() {
            // As root the server ran as `postgres`; stopping as root is refused, so ask again.
            let _ = Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(self.bin.join("pg_ctl"))
                .args(["-D", data.to_str().unwrap(), "-m", "immediate", "stop"])
                .output();
        }
    }
}

const COUNT: &str = "{ movies(first: 1) { totalCount } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_fails_fast_and_service_resumes_without_a_restart() {
    let Some(pg) = Throwaway::start() else {
        return;
    };
    let url = pg.url();
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.database.url = url;
        s.database.max_connections = 4;
    })
    .await
    .unwrap();
    let r = app.graphql(COUNT, json!({}), None).await;
    assert_eq!(r["data"]["movies"]["totalCount"], 0, "{r}");

    pg.stop();
    let started = Instant::now();
    let r = app.graphql(COUNT, json!({}), None).await;
    let took = started.elapsed();
    assert_eq!(error_code(&r), Some("UNAVAILABLE"), "{r}");
    assert_eq!(r["errors"][0]["extensions"]["retryable"], true, "{r}");
    // Bounded by database.acquire_timeout_ms (3 s), not the 30 s it used to take.
    assert!(took < Duration::from_secs(10), "took {took:?}");
    // A user's token is checked against the database before anything runs: that request
    // fails as a whole, 503 with Retry-After for HTTP tools as well as `retryAfterMs`.
    let r = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(app.user_token("outage-user"))
        .json(&json!({ "query": COUNT }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["retry-after"], "1");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(error_code(&body), Some("UNAVAILABLE"), "{body}");
    let started = Instant::now();
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 503);
    assert!(started.elapsed() < Duration::from_secs(3));
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["database"], false, "{body}");

    pg.resume();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = app.graphql(COUNT, json!({}), None).await;
        if r["errors"].is_null() {
            break;
        }
        assert!(Instant::now() < deadline, "no recovery: {r}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_database_at_start_up_is_reported_as_such_within_seconds() {
    let Some(pg) = Throwaway::start() else {
        return;
    };
    pg.stop();
    let (mut settings, _tmp) = crate::helpers::settings_for(Backend::Sqlite).await.unwrap();
    settings.database.url = pg.url();
    let started = Instant::now();
    let err = match marquee::startup::Application::build(settings).await {
        Ok(_) => panic!("the server started without its database"),
        Err(e) => format!("{e:#}"),
    };
    assert!(started.elapsed() < Duration::from_secs(10), "{err}");
    assert!(err.to_lowercase().contains("connection refused"), "{err}");
    assert!(err.contains(&format!("127.0.0.1:{}", pg.port)), "{err}");
}
