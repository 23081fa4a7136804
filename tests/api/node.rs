//! Relay's object identification: `node(id:)` and `nodes(ids:)` fetch any object by its global
//! id with the rights of the query that serves its kind.
use serde_json::json;

use crate::api_test;
use crate::helpers::{error_code, TestApp};

const NODE: &str = "query($id: ID!) { node(id: $id) { __typename id \
    ... on Movie { title } ... on Collection { slug } ... on User { externalId } } }";

async fn node_lookups_follow_each_kinds_rights(app: TestApp) {
    let editor = app.staff_token("editor").await;
    let movie = app
        .create_movie(&editor, "Node Test", 1999, &["Drama"])
        .await;
    // Anyone: a movie, by the id any field gave.
    let r = app.graphql(NODE, json!({ "id": movie }), None).await;
    assert_eq!(r["data"]["node"]["__typename"], "Movie", "{r}");
    assert_eq!(r["data"]["node"]["title"], "Node Test", "{r}");
    assert_eq!(r["data"]["node"]["id"], movie, "{r}");
    // A draft collection: null for the public, there for editors.
    let r = app
        .graphql(
            "mutation($i: CreateCollectionInput!) { createCollection(input: $i) { collection { id } } }",
            json!({ "i": { "slug": "node-draft", "title": "Draft", "movieIds": [movie] } }),
            Some(&editor),
        )
        .await;
    let coll = r["data"]["createCollection"]["collection"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{r}"))
        .to_owned();
    let r = app.graphql(NODE, json!({ "id": coll }), None).await;
    assert!(r["data"]["node"].is_null(), "{r}");
    let r = app
        .graphql(NODE, json!({ "id": coll }), Some(&editor))
        .await;
    assert_eq!(r["data"]["node"]["slug"], "node-draft", "{r}");
    // A user: themselves, or compliance; nobody else.
    let alice = app.user_token("node-alice");
    let bob = app.user_token("node-bob");
    let me = app.graphql("{ me { id } }", json!({}), Some(&alice)).await;
    let alice_id = me["data"]["me"]["id"].as_str().unwrap().to_owned();
    let r = app
        .graphql(NODE, json!({ "id": alice_id }), Some(&alice))
        .await;
    assert_eq!(r["data"]["node"]["externalId"], "node-alice", "{r}");
    let r = app
        .graphql(NODE, json!({ "id": alice_id }), Some(&bob))
        .await;
    assert_eq!(error_code(&r), Some("FORBIDDEN"), "{r}");
    let r = app.graphql(NODE, json!({ "id": alice_id }), None).await;
    assert_eq!(error_code(&r), Some("UNAUTHENTICATED"), "{r}");
    let compliance = app.staff_token("compliance").await;
    let r = app
        .graphql(NODE, json!({ "id": alice_id }), Some(&compliance))
        .await;
    assert_eq!(r["data"]["node"]["externalId"], "node-alice", "{r}");
    // Not an id of this API.
    let r = app.graphql(NODE, json!({ "id": "bm9wZQ" }), None).await;
    assert_eq!(error_code(&r), Some("BAD_USER_INPUT"), "{r}");
    // `nodes` keeps the order asked, null where `node` is null; at most 100 ids.
    let r = app
        .graphql(
            "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }",
            json!({ "ids": [coll, movie] }),
            None,
        )
        .await;
    assert!(r["data"]["nodes"][0].is_null(), "{r}");
    assert_eq!(r["data"]["nodes"][1]["id"], movie, "{r}");
    let many: Vec<String> = (0..101).map(|_| movie.clone()).collect();
    let r = app
        .graphql(
            "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            json!({ "ids": many }),
            None,
        )
        .await;
    assert!(
        matches!(error_code(&r), Some("BAD_USER_INPUT" | "QUERY_TOO_COMPLEX")),
        "{r}"
    );
}
api_test!(node_lookups_follow_each_kinds_rights);
