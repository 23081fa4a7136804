//! Builds the admin console (`admin-ui/`, Vite + React) into `$OUT_DIR/admin-ui`, which the
//! binary embeds and serves at `/admin`, when the `console` feature is on (the default).
//!
//! Nothing is written into the source tree: the console's sources and `schema.graphql` are
//! mirrored into `$OUT_DIR/console-build`, where `npm ci` (only when the lock file changed),
//! graphql-codegen (which checks every console operation against `schema.graphql`) and
//! `vite build` run. Without npm the build fails and says what to install; without the feature
//! (`cargo build --no-default-features`) `/admin` says how to get the console.
use std::path::{Path, PathBuf};
use std::process::Command;

const NO_NPM: &str = "the admin console (cargo feature `console`, on by default) needs Node.js \
20.19 or newer with npm, and `npm` was not found. Install Node.js (https://nodejs.org, or \
`apt-get install nodejs npm` where it is recent enough) and build again, or build the server \
without the console: `cargo build --no-default-features`.";

const NO_FEATURE: &str = "This binary was built without the admin console (the cargo feature \
`console` was off). Build it with the feature (the default; it needs Node.js 20.19+ and npm) \
to get the console here.";

/// The console's own files, mirrored for the build (`src/gql/`, generated, is not among them).
const FILES: [&str; 8] = [
    "index.html",
    "graphiql.html",
    "package.json",
    "package-lock.json",
    "vite.config.ts",
    "codegen.ts",
    "tsconfig.json",
    "tsconfig.node.json",
];
const DIRS: [&str; 2] = ["src", "codegen"];

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("manifest dir"));
    let ui = root.join("admin-ui");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    let out = out_dir.join("admin-ui");
    println!("cargo:rerun-if-changed=schema.graphql");
    for f in FILES {
        println!("cargo:rerun-if-changed=admin-ui/{f}");
    }
    for d in DIRS {
        watch(&ui.join(d), &ui.join("src/gql"));
    }

    if std::env::var_os("CARGO_FEATURE_CONSOLE").is_none() {
        placeholder(&out, NO_FEATURE);
        return;
    }
    if !npm_available() {
        panic!("{NO_NPM}");
    }
    let stage = out_dir.join("console-build");
    mirror(&root, &ui, &stage, &out_dir);
    if needs_install(&stage) {
        // Said out loud: cargo shows a build script's warnings, not its output.
        println!(
            "cargo:warning=installing the admin console's npm packages into {} (npm ci; once per \
             lock file change; `--no-default-features` builds without the console)",
            stage.display()
        );
        run(
            &stage,
            &["ci", "--no-audit", "--no-fund", "--loglevel=error"],
        );
        std::fs::copy(
            stage.join("package-lock.json"),
            stage.join("node_modules/.marquee-installed-lock.json"),
        )
        .expect("recording the installed lock file");
    }
    run(&stage, &["run", "--silent", "codegen"]);
    let out_arg = out.to_string_lossy().into_owned();
    run(
        &stage,
        &[
            "exec",
            "--",
            "vite",
            "build",
            "--logLevel",
            "error",
            "--emptyOutDir",
            "--outDir",
            &out_arg,
        ],
    );
    if !out.join("index.html").exists() {
        panic!("vite build wrote no index.html into {}", out.display());
    }
}

/// Asks cargo to rerun this script when anything under `dir` but `skip` changes.
fn watch(dir: &Path, skip: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p == skip {
            continue;
        }
        println!("cargo:rerun-if-changed={}", p.display());
        if p.is_dir() {
            watch(&p, skip);
        }
    }
}

/// Copies the console's sources into `stage` (its `src/` afresh, so a deleted file is gone
/// there too; `node_modules` kept) and `schema.graphql` beside it, where codegen looks for it.
fn mirror(root: &Path, ui: &Path, stage: &Path, out_dir: &Path) {
    std::fs::create_dir_all(stage).expect("creating the console build folder");
    for f in FILES {
        std::fs::copy(ui.join(f), stage.join(f))
            .unwrap_or_else(|e| panic!("copying admin-ui/{f}: {e}"));
    }
    for d in DIRS {
        let to = stage.join(d);
        if to.exists() {
            std::fs::remove_dir_all(&to).expect("clearing the console build folder");
        }
        copy_dir(&ui.join(d), &to, &ui.join("src/gql"));
    }
    std::fs::copy(root.join("schema.graphql"), out_dir.join("schema.graphql"))
        .expect("copying schema.graphql");
}

fn copy_dir(from: &Path, to: &Path, skip: &Path) {
    std::fs::create_dir_all(to).expect("creating a console build folder");
    for e in std::fs::read_dir(from)
        .expect("reading the console sources")
        .flatten()
    {
        let p = e.path();
        if p == skip {
            continue;
        }
        let target = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &target, skip);
        } else {
            std::fs::copy(&p, &target).unwrap_or_else(|e| panic!("copying {}: {e}", p.display()));
        }
    }
}

fn npm() -> &'static str {
    if cfg!(windows) {
        "npm.cmd"
    } else {
        "npm"
    }
}

fn npm_available() -> bool {
    Command::new(npm())
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `npm ci` is needed when there is no `node_modules` or the lock file differs from the one
/// last installed.
fn needs_install(stage: &Path) -> bool {
    let installed = std::fs::read(stage.join("node_modules/.marquee-installed-lock.json"));
    let wanted = std::fs::read(stage.join("package-lock.json"));
    !matches!((installed, wanted), (Ok(a), Ok(b)) if a == b)
}

fn run(dir: &Path, args: &[&str]) {
    let status = Command::new(npm())
        .args(args)
        .current_dir(dir)
        .env("CI", "1")
        .status()
        .unwrap_or_else(|e| panic!("running npm {}: {e}", args.join(" ")));
    if !status.success() {
        panic!(
            "building the admin console failed at `npm {}` (in {}; see the output above). \
`npm ci` needs the npm registry or a warm npm cache; `cargo build --no-default-features` \
builds the server without the console.",
            args.join(" "),
            dir.display()
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
