use serde_json::json;

use crate::api_test;
use crate::helpers::{error_code, TestApp};

const RATE: &str = "mutation($m: ID!, $s: Float!) { rateMovie(input: {movieId: $m, score: $s}) { rating { score movie { title myRating } } } }";

async fn rating_twice_overwrites_the_score(app: TestApp) {
    let editor = app.staff_token("editor").await;
    let heat = app.create_movie(&editor, "Heat", 1995, &["Crime"]).await;
    let t = app.user_token("alice");
    let r = app
        .graphql(RATE, json!({ "m": heat, "s": 4.5 }), Some(&t))
        .await;
    assert_eq!(r["data"]["rateMovie"]["rating"]["score"], 4.5, "{r}");
    let r = app
        .graphql(RATE, json!({ "m": heat, "s": 3 }), Some(&t))
        .await;
    assert_eq!(
        r["data"]["rateMovie"]["rating"]["movie"]["myRating"], 3.0,
        "{r}"
    );
    assert_eq!(app.count("ratings").await, 1);
    let r = app
        .graphql(
            "{ me { ratings { totalCount edges { node { score movie { title } } } } } }",
            json!({}),
            Some(&t),
        )
        .await;
    assert_eq!(r["data"]["me"]["ratings"]["totalCount"], 1, "{r}");
    assert_eq!(
        r["data"]["me"]["ratings"]["edges"][0]["node"]["movie"]["title"],
        "Heat"
    );

    let r = app
        .graphql(
            "mutation($m: ID!) { removeRating(input: {movieId: $m}) { removed } }",
            json!({ "m": heat }),
            Some(&t),
        )
        .await;
    assert_eq!(r["data"]["removeRating"]["removed"], true, "{r}");
    assert_eq!(app.count("ratings").await, 0);
}
api_test!(rating_twice_overwrites_the_score);

async fn out_of_range_or_off_step_scores_are_refused_and_write_nothing(app: TestApp) {
    let editor = app.staff_token("editor").await;
    let heat = app.create_movie(&editor, "Heat", 1995, &["Crime"]).await;
    let t = app.user_token("alice");
    for s in [7.0, 2.3, 0.0, -1.0] {
        let r = app
            .graphql(RATE, json!({ "m": heat, "s": s }), Some(&t))
            .await;
        assert_eq!(error_code(&r), Some("BAD_USER_INPUT"), "score {s}: {r}");
    }
    assert_eq!(app.count("ratings").await, 0);
}
api_test!(out_of_range_or_off_step_scores_are_refused_and_write_nothing);

async fn rating_an_unknown_or_unavailable_movie_is_not_found(app: TestApp) {
    let editor = app.staff_token("editor").await;
    let heat = app.create_movie(&editor, "Heat", 1995, &["Crime"]).await;
    app.graphql(
        "mutation($id: ID!) { deleteMovie(input: {id: $id}) { deleted } }",
        json!({ "id": heat }),
        Some(&editor),
    )
    .await;
    let t = app.user_token("alice");
    let r = app
        .graphql(RATE, json!({ "m": heat, "s": 4 }), Some(&t))
        .await;
    assert_eq!(error_code(&r), Some("NOT_FOUND"), "{r}");
    let unknown = marquee::graphql::ids::encode(marquee::graphql::ids::Kind::Movie, 999_999);
    let r = app
        .graphql(RATE, json!({ "m": unknown, "s": 4 }), Some(&t))
        .await;
    assert_eq!(error_code(&r), Some("NOT_FOUND"), "{r}");
    let r = app
        .graphql(RATE, json!({ "m": "garbage", "s": 4 }), Some(&t))
        .await;
    assert_eq!(error_code(&r), Some("BAD_USER_INPUT"), "{r}");
    assert_eq!(app.count("ratings").await, 0);
}
api_test!(rating_an_unknown_or_unavailable_movie_is_not_found);

const EVENT: &str = "mutation($i: RecordEventInput!) { recordEvent(input: $i) { event { kind progress context movie { title } } } }";

async fn events_are_recorded_and_listed_newest_first(app: TestApp) {
    let editor = app.staff_token("editor").await;
    let heat = app.create_movie(&editor, "Heat", 1995, &["Crime"]).await;
    let t = app.user_token("alice");
    for (kind, progress) in [
        ("VIEW_START", None),
        ("VIEW_PROGRESS", Some(0.5)),
        ("VIEW_COMPLETE", None),
        ("THUMBS_UP", None),
    ] {
        let r = app
            .graphql(EVENT, json!({ "i": { "movieId": heat, "kind": kind, "progress": progress, "context": { "device": "tv" } } }), Some(&t))
            .await;
        assert_eq!(r["data"]["recordEvent"]["event"]["kind"], kind, "{r}");
    }
    let r = app
        .graphql(
            "{ me { recentEvents(first: 10) { kind progress context } } }",
            json!({}),
            Some(&t),
        )
        .await;
    let events = r["data"]["me"]["recentEvents"]
        .as_array()
        .unwrap_or_else(|| panic!("{r}"));
    assert_eq!(events.len(), 4);
    assert_eq!(events[0]["kind"], "THUMBS_UP");
    assert_eq!(events[2]["progress"], 0.5);
    assert_eq!(events[0]["context"]["device"], "tv");
}
api_test!(events_are_recorded_and_listed_newest_first);

async fn bad_events_are_refused_and_write_nothing(app: TestApp) {
    let editor = app.staff_token("editor").await;
    let heat = app.create_movie(&editor, "Heat", 1995, &["Crime"]).await;
    let t = app.user_token("alice");
    let bad = [
        json!({ "movieId": heat, "kind": "VIEW_PROGRESS" }),
        json!({ "movieId": heat, "kind": "VIEW_PROGRESS", "progress": 1.5 }),
        json!({ "movieId": heat, "kind": "CLICK", "occurredAt": "2999-01-01T00:00:00Z" }),
        json!({ "movieId": heat, "kind": "LOVE_IT" }),
        json!({ "movieId": heat, "kind": "CLICK", "context": { "pad": "x".repeat(3000) } }),
    ];
    for input in bad {
        let r = app.graphql(EVENT, json!({ "i": input }), Some(&t)).await;
        assert_eq!(error_code(&r), Some("BAD_USER_INPUT"), "{input}: {r}");
    }
    assert_eq!(app.count("events").await, 0);
}
api_test!(bad_events_are_refused_and_write_nothing);

async fn a_user_sees_only_their_own_data(app: TestApp) {
    let editor = app.staff_token("editor").await;
    let heat = app.create_movie(&editor, "Heat", 1995, &["Crime"]).await;
    let bob = app.user_token("bob");
    app.graphql(RATE, json!({ "m": heat, "s": 5 }), Some(&bob))
        .await;
    let compliance = app.staff_token("compliance").await;
    let r = app
        .graphql(
            "{ users(first: 10, search: \"bob\") { edges { node { id } } } }",
            json!({}),
            Some(&compliance),
        )
        .await;
    let bob_id = r["data"]["users"]["edges"][0]["node"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{r}"))
        .to_owned();

    let alice = app.user_token("alice");
    let r = app
        .graphql(
            "query($id: ID!) { user(id: $id) { ratings { totalCount } } }",
            json!({ "id": bob_id }),
            Some(&alice),
        )
        .await;
    assert_eq!(error_code(&r), Some("FORBIDDEN"), "{r}");
    let r = app
        .graphql("{ me { ratings { totalCount } } }", json!({}), Some(&alice))
        .await;
    assert_eq!(r["data"]["me"]["ratings"]["totalCount"], 0);
    let r = app
        .graphql(
            "query($id: ID!) { user(id: $id) { ratings { totalCount } } }",
            json!({ "id": bob_id }),
            Some(&compliance),
        )
        .await;
    assert_eq!(r["data"]["user"]["ratings"]["totalCount"], 1, "{r}");
}
api_test!(a_user_sees_only_their_own_data);

async fn profile_updates_are_validated(app: TestApp) {
    let t = app.user_token("alice");
    let r = app
        .graphql(
            "mutation { updateMyProfile(input: {ageBand: AGE_25_34, gender: FEMALE, country: \"se\", personalizationConsent: false}) { user { ageBand gender country personalizationConsent } } }",
            json!({}),
            Some(&t),
        )
        .await;
    let me = &r["data"]["updateMyProfile"]["user"];
    assert_eq!(me["ageBand"], "AGE_25_34", "{r}");
    assert_eq!(me["gender"], "FEMALE");
    assert_eq!(me["country"], "SE");
    assert_eq!(me["personalizationConsent"], false);
    // An unknown age band or gender is now an unknown enum value (a validation error); the
    // old string forms are refused the same way. A bad country is still the resolver's.
    for bad in [
        "{ageBand: AGE_30ISH}",
        "{ageBand: \"25-34\"}",
        "{gender: ROBOT}",
        "{gender: \"f\"}",
        "{country: \"Sweden\"}",
    ] {
        let r = app
            .graphql(
                &format!("mutation {{ updateMyProfile(input: {bad}) {{ user {{ ageBand }} }} }}"),
                json!({}),
                Some(&t),
            )
            .await;

        assert_eq!(error_code(&r), Some("BAD_USER_INPUT"), "{bad}: {r}");
        assert!(
            r["data"].is_null() || r["data"]["updateMyProfile"].is_null(),
            "{bad}: {r}"
        );
    }
    let r = app
        .graphql("{ me { ageBand gender } }", json!({}), Some(&t))
        .await;
    assert_eq!(
        r["data"]["me"]["ageBand"], "AGE_25_34",
        "refused updates change nothing"
    );
    assert_eq!(
        r["data"]["me"]["gender"], "FEMALE",
        "refused updates change nothing"
    );
}
api_test!(profile_updates_are_validated);
