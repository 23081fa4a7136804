//! `marquee model export` and `marquee model import` as users run them: the factors of the served
//! model go out as NumPy files, come back in as a new active model version, and the imported
//! version answers exactly as the exported one did.
use serde_json::{json, Value};

use crate::helpers::{demo_with_model, TestApp};

const RECS: &str = "{ recommendations(first: 10) { edges { node { score movie { id } } } } }";
const SIMILAR: &str =
    "query($id: ID!) { similarMovies(movieId: $id, first: 5) { score movie { id } } }";

fn marquee(app: &TestApp) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_marquee"));
    c.env("MARQUEE_ENV", "test")
        .env(
            "MARQUEE_CONFIG_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/config"),
        )
        .args(["--database-url", &app.state.settings.database.url]);
    c
}

fn run(mut c: std::process::Command) -> String {
    let out = c.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{c:?}: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// Everything a frontend sees of the model: personal lists (ids and scores) of demo users and a
/// newcomer, and similar movies of the first user's picks.
async fn answers(app: &TestApp) -> Vec<Value> {
    let mut out = Vec::new();
    for user in ["demo-0001", "demo-0002", "demo-0003", "brand-new"] {
        let r = app
            .graphql(RECS, json!({}), Some(&app.user_token(user)))
            .await;
        let edges = r["data"]["recommendations"]["edges"].clone();
        assert_eq!(edges.as_array().map(Vec::len), Some(10), "{r}");
        out.push(edges);
    }
    let ids: Vec<String> = out[0]
        .as_array()
        .unwrap()
        .iter()
        .take(3)
        .map(|e| e["node"]["movie"]["id"].as_str().unwrap().to_owned())
        .collect();
    for id in ids {
        let r = app.graphql(SIMILAR, json!({ "id": id }), None).await;
        assert!(r["data"]["similarMovies"].is_array(), "{r}");
        out.push(r["data"]["similarMovies"].clone());
    }
    out
}

async fn an_imported_model_answers_exactly_like_the_exported_one(app: TestApp) {
    demo_with_model(&app).await;
    let exported_version = app.state.recommender.active().unwrap().version_id;
    let before = answers(&app).await;

    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("factors");
    let mut export = marquee(&app);
    export.args(["model", "export", "--out"]).arg(&folder);
    let table = run(export);
    assert!(
        table.contains(&format!("| {exported_version} |")),
        "{table}"
    );
    for f in [
        "manifest.json",
        "users.npy",
        "items.npy",
        "user_factors.npy",
        "item_factors.npy",
    ] {
        assert!(folder.join(f).is_file(), "{f} written");
    }
    let factors = marquee_core::exchange::read(&folder).unwrap();
    assert_eq!(
        factors.users.len(),
        app.state.recommender.active().unwrap().snapshot.meta.users
    );

    let mut import = marquee(&app);
    import.args(["model", "import"]).arg(&folder);
    let table = run(import);
    assert!(table.contains("| users |"), "{table}");
    assert!(table.contains("| 0 |"), "nothing skipped: {table}");

    // The server serves the stored version it finds newer (as replicas follow one another).
    let now = app.state.recommender.follow(&app.state.db).await.unwrap();
    assert!(now.is_some_and(|v| v > exported_version), "{now:?}");
    let admin = app.admin_token().await;
    let versions = app
        .graphql(
            "{ modelVersions { id algorithm active } }",
            json!({}),
            Some(&admin),
        )
        .await;
    let newest = &versions["data"]["modelVersions"][0];
    assert_eq!(newest["algorithm"], "imported_als", "{versions}");
    assert_eq!(newest["active"], true, "{versions}");
    assert_eq!(answers(&app).await, before);
}
crate::api_test!(an_imported_model_answers_exactly_like_the_exported_one);

async fn a_bad_factor_folder_is_refused_by_file_and_stores_nothing(app: TestApp) {
    demo_with_model(&app).await;
    let versions = app.count("model_versions").await;
    let dir = tempfile::tempdir().unwrap();
    let mut export = marquee(&app);
    export.args(["model", "export", "--out"]).arg(dir.path());
    run(export);
    std::fs::write(dir.path().join("items.npy"), b"not numpy").unwrap();
    let out = marquee(&app)
        .args(["model", "import"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("items.npy"), "{err}");
    assert_eq!(app.count("model_versions").await, versions);

    let out = marquee(&app)
        .args(["model", "export", "--version", "999999", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no model version 999999"), "{err}");
}
crate::api_test!(a_bad_factor_folder_is_refused_by_file_and_stores_nothing);
