//! Every change goes through one audited unit of work: a change and its audit entry land
//! together or not at all, and concurrent changes wait for each other instead of failing.
use serde_json::json;

use crate::api_test;
use crate::helpers::{error_code, gid, TestApp};

async fn a_refused_change_leaves_no_audit_entry_and_a_committed_one_leaves_one(app: TestApp) {
    // Arrange
    let editor = app.staff_token("editor").await;
    let m = app.create_movie(&editor, "Audited", 2001, &["Drama"]).await;
    let create = "mutation($i: CreateCollectionInput!) { createCollection(input: $i) { collection { id } } }";
    let before = app.count("audit_log").await;

    // Act: refused before the transaction, refused inside it, committed, refused again.
    let unknown = json!({ "slug": "a", "title": "A", "movieIds": [gid("Movie", 999_999)] });
    let r = app
        .graphql(create, json!({ "i": unknown }), Some(&editor))
        .await;
    assert_eq!(error_code(&r), Some("BAD_USER_INPUT"), "{r}");
    let ok = json!({ "slug": "a", "title": "A", "movieIds": [m] });
    let r = app.graphql(create, json!({ "i": ok }), Some(&editor)).await;
    assert!(r["errors"].is_null(), "{r}");
    let taken = json!({ "slug": "a", "title": "Again" });
    let r = app
        .graphql(create, json!({ "i": taken }), Some(&editor))
        .await;
    assert_eq!(error_code(&r), Some("CONFLICT"), "{r}");
    let r = app
        .graphql(
            "mutation($id: ID!) { deleteRule(input: {id: $id}) { deleted } }",
            json!({ "id": gid("Rule", 999) }),
            Some(&editor),
        )
        .await;
    assert_eq!(r["data"]["deleteRule"]["deleted"], false, "{r}");

    // Assert
    assert_eq!(app.count("audit_log").await, before + 1);
    assert_eq!(app.count("collections").await, 1);
}
api_test!(a_refused_change_leaves_no_audit_entry_and_a_committed_one_leaves_one);

async fn concurrent_writes_all_succeed(app: TestApp) {
    // Arrange: users who have been seen, and a movie.
    let editor = app.staff_token("editor").await;
    let m = app
        .create_movie(&editor, "Busy Night", 2010, &["Drama"])
        .await;
    let tokens: Vec<String> = (0..16).map(|i| app.user_token(&format!("c{i}"))).collect();
    for t in &tokens {
        let r = app.graphql("{ me { id } }", json!({}), Some(t)).await;
        assert!(r["errors"].is_null(), "{r}");
    }

    // Act: every user rates and records an event at the same time; each is a read, then a
    // write, in one transaction.
    let rate =
        "mutation($m: ID!) { rateMovie(input: {movieId: $m, score: 4}) { rating { score } } }";
    let event =
        "mutation($m: ID!) { recordEvent(input: { movieId: $m, kind: CLICK }) { event { id } } }";
    let results = futures_util::future::join_all(tokens.iter().flat_map(|t| {
        [
            app.graphql(rate, json!({ "m": m }), Some(t)),
            app.graphql(event, json!({ "m": m }), Some(t)),
        ]
    }))
    .await;

    // Assert
    for r in &results {
        assert!(r["errors"].is_null(), "{r}");
    }
    assert_eq!(app.count("ratings").await, 16);
    assert_eq!(app.count("events").await, 16);
}
api_test!(concurrent_writes_all_succeed);
