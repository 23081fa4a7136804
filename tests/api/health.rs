use crate::api_test;
use crate::helpers::TestApp;

async fn health_and_readiness_answer(app: TestApp) {
    let r = app
        .client
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = app
        .client
        .get(format!("{}/readyz", app.address))
        .send()
        .await
        .unwrap();
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
    let text = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
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
        .query(&[("query", "mutation { removeRating(movieId: \"x\") }")])
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
}
api_test!(oversized_bodies_are_refused);
