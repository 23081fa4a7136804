//! Builds the admin console (`admin-ui/`, Vite + React) into `$OUT_DIR/admin-ui`, which the
//! binary embeds and serves at `/admin`. It runs `npm ci` when `node_modules` is missing or out
//! of date, then graphql-codegen (which checks every console operation against
//! `schema.graphql`) and `vite build`.
//!
//! Without npm the server still builds: `/admin` then serves a page saying how to get the
//! console, and the build prints the same as a warning. `MARQUEE_SKIP_CONSOLE_BUILD=1` skips the
//! console on purpose (for Rust-only work); a failing console build fails the build.
use std::path::{Path, PathBuf};
use std::process::Command;

const NO_NPM: &str = "the admin console was not built because `npm` was not found. \
Install Node.js 20.19 or newer (with npm) and rebuild; `/admin` explains this meanwhile.";

fn main() {
    let ui =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("manifest dir")).join("admin-ui");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("admin-ui");
    // Everything under src/ but src/gql/, which codegen writes during this script (watching it
    // would make every build run the script again).
    if let Ok(entries) = std::fs::read_dir(ui.join("src")) {
        for e in entries.flatten() {
            if e.file_name() != "gql" {
                println!("cargo:rerun-if-changed={}", e.path().display());
            }
        }
    }
    for p in [
        "index.html",
        "package.json",
        "package-lock.json",
        "vite.config.ts",
        "codegen.ts",
        "codegen",
        "tsconfig.json",
    ] {
        println!("cargo:rerun-if-changed=admin-ui/{p}");
    }
    println!("cargo:rerun-if-changed=schema.graphql");
    println!("cargo:rerun-if-env-changed=MARQUEE_SKIP_CONSOLE_BUILD");

    if std::env::var_os("MARQUEE_SKIP_CONSOLE_BUILD").is_some_and(|v| v == "1") {
        placeholder(
            &out,
            "The admin console was skipped (MARQUEE_SKIP_CONSOLE_BUILD=1).",
        );
        return;
    }
    if !npm_available(&ui) {
        println!("cargo:warning={NO_NPM}");
        placeholder(&out, NO_NPM);
        return;
    }
    if needs_install(&ui) {
        run(&ui, &["ci", "--no-audit", "--no-fund", "--loglevel=error"]);
    }
    run(&ui, &["run", "--silent", "codegen"]);
    let out_arg = out.to_string_lossy().into_owned();
    run(
        &ui,
        &[
            "exec",
            "--",
            "vite",
            "build",
            "--logLevel",
            "warn",
            "--emptyOutDir",
            "--outDir",
            &out_arg,
        ],
    );
    if !out.join("index.html").exists() {
        panic!("vite build wrote no index.html into {}", out.display());
    }
}

fn npm() -> &'static str {
    if cfg!(windows) {
        "npm.cmd"
    } else {
        "npm"
    }
}

fn npm_available(ui: &Path) -> bool {
    Command::new(npm())
        .arg("--version")
        .current_dir(ui)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `npm ci` is needed when there is no `node_modules` or the lock file changed since.
fn needs_install(ui: &Path) -> bool {
    let installed = ui.join("node_modules/.package-lock.json");
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    match (
        modified(&installed),
        modified(&ui.join("package-lock.json")),
    ) {
        (Some(i), Some(l)) => l > i,
        _ => true,
    }
}

fn run(ui: &Path, args: &[&str]) {
    let status = Command::new(npm())
        .args(args)
        .current_dir(ui)
        .env("CI", "1")
        .status()
        .unwrap_or_else(|e| panic!("running npm {}: {e}", args.join(" ")));
    if !status.success() {
        panic!(
            "building the admin console failed at `npm {}` (in admin-ui/; see the output above)",
            args.join(" ")
        );
    }
}

fn placeholder(out: &Path, why: &str) {
    std::fs::create_dir_all(out).expect("creating the console output folder");
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Marquee admin</title></head>\
<body style=\"font-family:system-ui;max-width:40em;margin:3em auto\"><h1>Marquee admin console</h1>\
<p>{why}</p><p>The GraphQL API is at <a href=\"/graphql\">/graphql</a>.</p></body></html>"
    );
    std::fs::write(out.join("index.html"), html).expect("writing the placeholder console");
}
