//! Every change goes through one audited unit of work: a change and its audit entry land
//! together or not at all.
use serde_json::json;

use crate::api_test;
use crate::helpers::{error_code, gid, TestApp};

async fn a_refused_change_leaves_no_audit_entry_and_a_committed_one_leaves_one(app: TestApp) {
    // Arrange
    let editor = app.staff_token("editor").await;
    let m = app.create_movie(&editor, "Audited", 2001, &["Drama"]).await;
    let create = "mutation($i: CollectionInput!) { createCollection(input: $i) { id } }";
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
            "mutation($id: ID!) { deleteRule(id: $id) }",
            json!({ "id": gid("Rule", 999) }),
            Some(&editor),
        )
        .await;
    assert_eq!(r["data"]["deleteRule"], false, "{r}");

    // Assert
    assert_eq!(app.count("audit_log").await, before + 1);
    assert_eq!(app.count("collections").await, 1);
}
api_test!(a_refused_change_leaves_no_audit_entry_and_a_committed_one_leaves_one);
