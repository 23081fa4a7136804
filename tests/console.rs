//! The admin console: its unit tests and type-check (Vitest, tsc against `schema.graphql`), and
//! an end-to-end run in a real Chromium against a real `marquee serve` on a temporary SQLite
//! database, with an admin, an editor and a compliance officer signing in.
//!
//! Needs Node.js and npm (the console's packages are installed by the build script) and, for
//! the browser run, Debian's `chromium` (`CHROMIUM_PATH`, default `/usr/bin/chromium`). Where
//! one is missing the test prints why and passes, unless `MARQUEE_REQUIRE_CONSOLE=1` (set by
//! `.ci/run`, which installs Chromium first) makes it fail.
use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ADMIN_PASSWORD: &str = "e2e-admin-password";
const EDITOR_PASSWORD: &str = "e2e-editor-password";
const COMPLIANCE_PASSWORD: &str = "e2e-compliance-password";

fn ui_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("admin-ui")
}

fn required() -> bool {
    std::env::var("MARQUEE_REQUIRE_CONSOLE").is_ok_and(|v| v == "1")
}

/// Skips (with the reason printed) or, when required, fails.
fn unavailable(why: &str) {
    if required() {
        panic!("{why} (MARQUEE_REQUIRE_CONSOLE=1)");
    }
    eprintln!("SKIPPED: {why}");
}

fn npm_ready() -> bool {
    let npm = Command::new("npm").arg("--version").output();
    if !npm.is_ok_and(|o| o.status.success()) {
        unavailable("npm is not installed");
        return false;
    }
    if !ui_dir().join("node_modules").exists() {
        unavailable("admin-ui/node_modules is missing (the build script installs it with npm)");
        return false;
    }
    true
}

fn npm(args: &[&str], envs: &[(&str, String)]) {
    let status = Command::new("npm")
        .args(args)
        .current_dir(ui_dir())
        .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
        .status()
        .expect("running npm");
    assert!(status.success(), "npm {} failed", args.join(" "));
}

#[test]
fn console_unit_tests_and_type_check_pass() {
    if !npm_ready() {
        return;
    }
    npm(&["run", "--silent", "typecheck"], &[]);
    npm(&["test", "--silent"], &[]);
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn marquee(db_url: &str, port: u16) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_marquee"));
    c.env("MARQUEE_ENV", "local")
        .env("MARQUEE__DATABASE__URL", db_url)
        .env("MARQUEE__SERVER__BIND", format!("127.0.0.1:{port}"))
        .env("MARQUEE__DEMO__USERS", "120")
        .env("MARQUEE__LOG__LEVEL", "warn");
    c
}

fn add_staff(db_url: &str, email: &str, role: &str, password: &str) {
    let mut child = marquee(db_url, 0)
        .args([
            "staff",
            "add",
            "--email",
            email,
            "--role",
            role,
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .spawn()
        .expect("marquee staff add");
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    assert!(child.wait().unwrap().success(), "staff add {email} failed");
}

fn wait_ready(port: u16, server: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(180);
    while Instant::now() < deadline {
        if let Some(s) = server.try_wait().unwrap() {
            panic!("marquee serve exited early: {s}");
        }
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            let _ = s.write_all(b"GET /readyz HTTP/1.0\r\n\r\n");
            let mut buf = String::new();
            let _ = std::io::Read::read_to_string(&mut s, &mut buf);
            if buf.starts_with("HTTP/1.1 200") || buf.starts_with("HTTP/1.0 200") {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    panic!("marquee serve was not ready within 3 minutes");
}

#[test]
fn console_works_end_to_end_in_chromium() {
    if !npm_ready() {
        return;
    }
    let chromium = std::env::var("CHROMIUM_PATH").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).exists() {
        unavailable(&format!(
            "no Chromium at {chromium} (apt-get install chromium)"
        ));
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let db_url = format!("sqlite://{}?mode=rwc", tmp.path().join("e2e.db").display());
    // Migrate and create the staff accounts; `serve` then loads the demo catalogue and trains
    // the first model.
    let status = marquee(&db_url, 0).arg("migrate").status().unwrap();
    assert!(status.success(), "marquee migrate failed");
    add_staff(&db_url, "admin@marquee.local", "admin", ADMIN_PASSWORD);
    add_staff(&db_url, "editor@e2e.test", "editor", EDITOR_PASSWORD);
    add_staff(
        &db_url,
        "compliance@e2e.test",
        "compliance",
        COMPLIANCE_PASSWORD,
    );
    let port = free_port();
    let mut server = Server(
        marquee(&db_url, port)
            .arg("serve")
            .spawn()
            .expect("marquee serve"),
    );
    wait_ready(port, &mut server.0);
    npm(
        &["run", "--silent", "e2e"],
        &[
            ("MARQUEE_URL", format!("http://127.0.0.1:{port}")),
            ("MARQUEE_ADMIN_EMAIL", "admin@marquee.local".into()),
            ("MARQUEE_ADMIN_PASSWORD", ADMIN_PASSWORD.into()),
            ("MARQUEE_EDITOR_EMAIL", "editor@e2e.test".into()),
            ("MARQUEE_EDITOR_PASSWORD", EDITOR_PASSWORD.into()),
            ("MARQUEE_COMPLIANCE_EMAIL", "compliance@e2e.test".into()),
            ("MARQUEE_COMPLIANCE_PASSWORD", COMPLIANCE_PASSWORD.into()),
            ("CHROMIUM_PATH", chromium),
        ],
    );
}
