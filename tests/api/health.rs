use crate::api_test;
use crate::helpers::{error_code, TestApp};

async fn health_and_readiness_answer(app: TestApp) {
    let r = app.get("/healthz").await;
    assert_eq!(r.status(), 200);
    let r = app.get("/readyz").await;
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["migrations"], true);
}
api_test!(health_and_readiness_answer);

async fn metrics_count_operations_and_error_codes(app: TestApp) {
    app.graphql(
        "query ListGenres { genres { movieCount } }",
        serde_json::json!({}),
        None,
    )
    .await;
    app.graphql("query Me { me { id } }", serde_json::json!({}), None)
        .await;
    let text = app.get("/metrics").await.text().await.unwrap();
    assert!(
        text.contains("marquee_graphql_requests_total{operation=\"ListGenres\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("marquee_graphql_errors_total{code=\"UNAUTHENTICATED\"} 1"),
        "{text}"
    );
    assert!(text.contains("marquee_db_statements_total"));
}
api_test!(metrics_count_operations_and_error_codes);

async fn graphql_get_serves_queries_but_not_mutations(app: TestApp) {
    let r = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[("query", "{ genres { movieCount } }")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(body["data"]["genres"].is_array(), "{body}");
    let r = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[(
            "query",
            "mutation { removeRating(input: {movieId: \"x\"}) { removed } }",
        )])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
}
api_test!(graphql_get_serves_queries_but_not_mutations);

async fn oversized_bodies_are_refused(app: TestApp) {
    let big = "x".repeat(app.state.settings.server.body_limit_bytes + 10);
    let r = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("content-type", "application/json")
        .body(format!(
            "{{\"query\":\"{{ genres {{ movieCount }} }}\",\"pad\":\"{big}\"}}"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    // Said in the GraphQL error shape, like every other refusal.
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    assert!(body.get("data").is_none(), "{body}");
}
api_test!(oversized_bodies_are_refused);

async fn invented_operation_names_cannot_grow_the_metrics(app: TestApp) {
    let max = marquee::http::metrics::MAX_OPERATION_LABELS;
    for i in 0..max + 50 {
        app.graphql(
            &format!("query Invented{i} {{ __typename }}"),
            serde_json::json!({}),
            None,
        )
        .await;
    }
    let text = app.get("/metrics").await.text().await.unwrap();
    let labelled = text
        .lines()
        .filter(|l| l.starts_with("marquee_graphql_requests_total{"))
        .count();
    assert_eq!(labelled, max + 1, "{text}");
    assert!(
        text.contains("marquee_graphql_requests_total{operation=\"other\"} 50"),
        "{text}"
    );
}
api_test!(invented_operation_names_cannot_grow_the_metrics);

async fn every_answer_carries_security_headers(app: TestApp) {
    for path in ["/graphql?query=%7B__typename%7D", "/healthz", "/admin"] {
        let r = app.get(path).await;
        let h = r.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
    }
    let r = app.get("/admin").await;
    let csp = r.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'"), "{csp}");
}
api_test!(every_answer_carries_security_headers);

async fn preflight(app: &TestApp, origin: &str) -> reqwest::Response {
    app.client
        .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.address))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            // A frontend's OpenTelemetry instrumentation adds the trace context.
            "authorization, content-type, traceparent",
        )
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn browser_apps_on_configured_origins_may_call_the_api() {
    let app = crate::helpers::spawn_app_with(crate::helpers::Backend::Sqlite, |s| {
        s.server.cors_allowed_origins = vec!["https://app.example.test".into()];
    })
    .await
    .unwrap();
    let r = preflight(&app, "https://app.example.test").await;
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://app.example.test"
    );
    let r = preflight(&app, "https://evil.example.test").await;
    assert!(r.headers().get("access-control-allow-origin").is_none());
    // A real request from the allowed origin is answered with the header too.
    let r = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("Origin", "https://app.example.test")
        .json(&serde_json::json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://app.example.test"
    );
}

#[tokio::test]
async fn without_configured_origins_cross_origin_calls_get_no_cors_grant() {
    let app = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite)
        .await
        .unwrap();
    let r = preflight(&app, "https://app.example.test").await;
    assert!(r.headers().get("access-control-allow-origin").is_none());
}
