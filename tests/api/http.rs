//! HTTP conventions operators and client developers rely on: GraphQL-over-HTTP status codes
//! and encodings, automatic persisted queries and GET caching, request ids, compression,
//! probes, console asset caching, and `/metrics` that promtool accepts.
use reqwest::header;
use serde_json::{json, Value};
use sha2::Digest;

use crate::helpers::{error_code, spawn_app, Backend, TestApp};

const GQL_RESPONSE: &str = "application/graphql-response+json";

async fn app() -> TestApp {
    spawn_app(Backend::Sqlite).await.expect("SQLite app")
}

async fn post(app: &TestApp, accept: &str, body: &str) -> (u16, String, Value) {
    let r = app
        .client
        .post(format!("{}/graphql", app.address))
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, accept)
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let ct = r.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    (status, ct, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn status_codes_and_the_data_entry_follow_graphql_over_http() {
    let app = app().await;
    // Executed with an error (a field needing a token): 200, with `data`, under either type.
    for accept in [GQL_RESPONSE, "application/json"] {
        let (status, ct, body) = post(&app, accept, r#"{"query":"{ me { id } }"}"#).await;
        assert_eq!(status, 200, "{accept}: {body}");
        assert!(ct.starts_with(accept), "{ct}");
        assert!(body.get("data").is_some(), "{body}");
        assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{body}");
    }
    // A document that does not parse, or does not validate: nothing ran, so no `data` entry;
    // 400 under graphql-response+json, 200 under application/json.
    for query in ["{ movies(", "{ noSuchField }"] {
        let req = json!({ "query": query }).to_string();
        let (status, ct, body) = post(&app, GQL_RESPONSE, &req).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(ct.starts_with(GQL_RESPONSE));
        assert!(body.get("data").is_none(), "{body}");
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
        let (status, _, body) = post(&app, "application/json", &req).await;
        assert_eq!(status, 200, "{query}: {body}");
        assert!(body.get("data").is_none(), "{body}");
    }
    // Variables that do not coerce are a request error too.
    let req = json!({ "query": "query($n: Int) { movies(first: $n) { totalCount } }", "variables": { "n": "many" } });
    let (status, _, body) = post(&app, GQL_RESPONSE, &req.to_string()).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.get("data").is_none(), "{body}");
    // Malformed JSON and a bad token answer in the type asked for.
    let (status, ct, body) = post(&app, GQL_RESPONSE, "{not json").await;
    assert_eq!((status, ct.as_str()), (400, GQL_RESPONSE), "{body}");
    let r = app
        .client
        .post(format!("{}/graphql", app.address))
        .header(header::ACCEPT, GQL_RESPONSE)
        .bearer_auth("not-a-token")
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()[header::CONTENT_TYPE], GQL_RESPONSE);
    // q-values decide; a client accepting neither type is told so.
    let (_, ct, _) = post(
        &app,
        "application/graphql-response+json;q=0.2, application/json",
        r#"{"query":"{ __typename }"}"#,
    )
    .await;
    assert!(ct.starts_with("application/json"), "{ct}");
    let (status, _, _) = post(&app, "text/html", r#"{"query":"{ __typename }"}"#).await;
    assert_eq!(status, 406);
}

fn sha256_hex(s: &str) -> String {
    sha2::Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn get_persisted(app: &TestApp, hash: &str, etag: Option<&str>) -> reqwest::Response {
    let ext = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } }).to_string();
    let mut req = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[("extensions", ext.as_str())]);
    if let Some(tag) = etag {
        req = req.header(header::IF_NONE_MATCH, tag);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn persisted_queries_are_asked_for_once_then_served_and_cached_by_get() {
    let app = app().await;
    let query = "query Genres { genres { movieCount } }";
    let hash = sha256_hex(query);
    // Unknown hash: the client is asked for the query.
    let r = get_persisted(&app, &hash, None).await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        error_code(&body),
        Some("PERSISTED_QUERY_NOT_FOUND"),
        "{body}"
    );
    assert!(body.get("data").is_none(), "{body}");
    // A wrong hash is refused and not remembered.
    let body = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!({ "query": query, "extensions": { "persistedQuery": { "version": 1, "sha256Hash": sha256_hex("{ other }") } } }))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    // Sent once with its hash, then by hash alone over GET.
    let body = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!({ "query": query, "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } } }))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert!(body["data"]["genres"].is_array(), "{body}");
    let r = get_persisted(&app, &hash, None).await;
    assert_eq!(r.status(), 200);
    let cache = r.headers()[header::CACHE_CONTROL]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cache.starts_with("public, max-age="), "{cache}");
    let vary = r.headers()[header::VARY].to_str().unwrap().to_owned();
    assert!(vary.contains("Authorization"), "{vary}");
    let tag = r.headers()[header::ETAG].to_str().unwrap().to_owned();
    let body: Value = r.json().await.unwrap();
    assert!(body["data"]["genres"].is_array(), "{body}");
    // Revalidation: unchanged, so 304 without a body.
    let r = get_persisted(&app, &hash, Some(&tag)).await;
    assert_eq!(r.status(), 304);
    // A persisted mutation cannot run through GET.
    let mutation = "mutation { removeRating(input: {movieId: \"TW92aWU6MQ==\"}) { removed } }";
    app.client
        .post(format!("{}/graphql", app.address))
        .json(&json!({ "query": mutation, "extensions": { "persistedQuery": { "version": 1, "sha256Hash": sha256_hex(mutation) } } }))
        .send()
        .await
        .unwrap();
    let r = get_persisted(&app, &sha256_hex(mutation), None).await;
    assert_eq!(r.status(), 405);
    // Answers to a token are private; POST answers are not stored.
    let token = app.user_token("cache-user");
    let r = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[("query", "{ me { externalId } }")])
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()[header::CACHE_CONTROL], "private, no-cache");
    let r = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store");
}

#[tokio::test]
async fn every_answer_has_a_request_id_and_large_ones_are_compressed() {
    let app = app().await;
    let r = app.get("/healthz").await;
    let id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(id.len() >= 16, "{id}");
    // A usable id from a proxy is kept; anything else is replaced.
    for (sent, kept) in [("edge-7f3a:1", true), ("bad id\twith tab", false)] {
        let r = app
            .client
            .get(format!("{}/healthz", app.address))
            .header("x-request-id", sent)
            .send()
            .await
            .unwrap();
        let got = r.headers()["x-request-id"].to_str().unwrap();
        assert_eq!(got == sent, kept, "{sent} -> {got}");
    }
    let r = app
        .client
        .post(format!("{}/graphql", app.address))
        .header(header::ACCEPT_ENCODING, "gzip")
        .json(&json!({ "query": "{ __schema { types { name description } } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()[header::CONTENT_ENCODING], "gzip");
}

#[tokio::test]
async fn probes_answer_head_and_the_root_leads_to_the_console() {
    let app = app().await;
    for path in ["/healthz", "/readyz"] {
        let r = app
            .client
            .head(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
    }
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(r.headers()[header::LOCATION], "/admin");
}

#[tokio::test]
async fn readiness_waits_for_start_up_while_liveness_answers_at_once() {
    let (mut settings, _tmp) = crate::helpers::settings_for(Backend::Sqlite).await.unwrap();
    settings.demo.load_on_empty = false;
    let state = marquee::startup::connect_state(settings).await.unwrap();
    let app = marquee::startup::Application::from_state(state.clone()).unwrap();
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let r = client
        .get(format!("{address}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = client
        .get(format!("{address}/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], "starting", "{body}");
    marquee::startup::finish_start(state).await.unwrap();
    let r = client
        .get(format!("{address}/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn console_assets_are_cached_by_content_and_the_page_revalidated() {
    let app = app().await;
    let r = app.get("/admin").await;
    assert_eq!(r.headers()[header::CACHE_CONTROL], "no-cache");
    let tag = r.headers()[header::ETAG].to_str().unwrap().to_owned();
    let html = r.text().await.unwrap();
    let r = app
        .client
        .get(format!("{}/admin", app.address))
        .header(header::IF_NONE_MATCH, &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    // A hashed script of the built console: cached for a year.
    if let Some(start) = html.find("/admin/assets/") {
        let end = start + html[start..].find('"').unwrap();
        let r = app.get(&html[start..end]).await;
        assert_eq!(r.status(), 200);
        assert!(
            r.headers()[header::CACHE_CONTROL]
                .to_str()
                .unwrap()
                .contains("immutable"),
            "{:?}",
            r.headers()
        );
    } else {
        // Built without the console feature: the page says so.
        assert!(html.contains("without the admin console"), "{html}");
    }
    let r = app.get("/admin/assets/no-such-file-0123.js").await;
    assert_eq!(r.status(), 404);
}

/// `# TYPE` lines by family, checked the way `promtool check metrics` lints them: counters and
/// only counters end in `_total`, every family has help.
fn lint(text: &str) -> Vec<String> {
    let mut problems = vec![];
    let mut helped = std::collections::HashSet::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap_or((rest, ""));
            if help.trim().is_empty() {
                problems.push(format!("{name}: no help"));
            }
            helped.insert(name.to_owned());
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            if !helped.contains(name) {
                problems.push(format!("{name}: no HELP before TYPE"));
            }
            match (kind, name.ends_with("_total")) {
                ("counter", false) => problems.push(format!("{name}: a counter not named _total")),
                ("counter", true) => {}
                (_, true) => problems.push(format!("{name}: a {kind} named _total")),
                _ => {}
            }
        }
    }
    problems
}

#[tokio::test]
async fn metrics_cover_http_training_and_the_process_and_pass_promtool() {
    let app = app().await;
    app.graphql("query Genres { genres { movieCount } }", json!({}), None)
        .await;
    app.get("/no-such-page").await;
    let text = app.get("/metrics").await.text().await.unwrap();
    assert_eq!(lint(&text), Vec::<String>::new(), "{text}");
    for family in [
        "marquee_http_requests_total{method=\"POST\",route=\"/graphql\",status=\"200\"} 1",
        "marquee_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1",
        "marquee_http_request_duration_seconds_bucket{route=\"/graphql\"",
        "marquee_graphql_requests_total{operation=\"Genres\"} 1",
        "marquee_db_statements_total ",
        "marquee_model_active_version 0",
        "marquee_training_runs_total",
        "marquee_training_last_success_timestamp_seconds",
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
    ] {
        assert!(text.contains(family), "{family} missing:\n{text}");
    }
    match std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    {
        Ok(mut child) => {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(text.as_bytes())
                .unwrap();
            let out = child.wait_with_output().unwrap();
            let said = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                out.status.success() && said.trim().is_empty(),
                "promtool: {said}"
            );
        }
        Err(_) => {
            if std::env::var("MARQUEE_REQUIRE_PROMTOOL").is_ok_and(|v| v == "1") {
                panic!("promtool is not installed, but MARQUEE_REQUIRE_PROMTOOL=1");
            }
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr().lock(),
                "SKIPPED: promtool is not installed (apt-get install prometheus); the built-in lint ran"
            );
        }
    }
}
