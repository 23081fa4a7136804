//! One admission rule for every surface: a blocked movie, an unavailable one and one the user
//! has seen are kept out of (or let into) every list alike.
use serde_json::{json, Value};

use crate::helpers::{demo_with_model, TestApp};

fn ids_in(v: &Value) -> Vec<String> {
    let mut out = vec![];
    collect_movie_ids(v, &mut out);
    out
}

/// Every `movie { id }` (or scored movie `{ movie { id } }`) anywhere in an answer.
fn collect_movie_ids(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::Object(movie)) = m.get("movie") {
                if let Some(Value::String(id)) = movie.get("id") {
                    out.push(id.clone());
                }
            }
            for x in m.values() {
                collect_movie_ids(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_movie_ids(x, out)),
        _ => {}
    }
}

const RECS: &str = "{ recommendations(first: 100) { totalCount edges { node { movie { id } } } } }";
const FEED: &str = "{ homeFeed(rows: 8, itemsPerRow: 20) { rows { key items { movie { id } } } } }";
const CHARTS: &str = "query($m: ID!) {
    popular(first: 100) { movie { id } }
    trending(first: 100, window: MONTH) { movie { id } }
    similarMovies(movieId: $m, first: 100) { movie { id } } }";

async fn total(app: &TestApp, token: &str) -> i64 {
    let r = app.graphql(RECS, json!({}), Some(token)).await;
    r["data"]["recommendations"]["totalCount"]
        .as_i64()
        .unwrap_or_else(|| panic!("{r}"))
}

async fn every_surface_applies_the_same_admission_rule(app: TestApp) {
    demo_with_model(&app).await;
    let editor = app.admin_token().await;
    let user = app.user_token("demo-0001");

    // Three movies the user is recommended (so: unseen, available, not blocked), and popular.
    let r = app
        .graphql(
            CHARTS,
            json!({ "m": crate::helpers::gid("Movie", 1) }),
            None,
        )
        .await;
    let popular = ids_in(&r["data"]["popular"]);
    let recs = ids_in(&app.graphql(RECS, json!({}), Some(&user)).await);
    let candidates: Vec<String> = popular
        .iter()
        .filter(|m| recs.contains(m))
        .take(3)
        .cloned()
        .collect();
    assert_eq!(
        candidates.len(),
        3,
        "popular {popular:?}, recommended {recs:?}"
    );
    let (blocked, unavailable, seen) = (&candidates[0], &candidates[1], &candidates[2]);
    let total_before = total(&app, &user).await;
    let trending_before = ids_in(&r["data"]["trending"]);
    // For each of the two movies that leave public lists: a movie whose similar list holds it.
    let mut neighbour_of = vec![];
    for target in [&candidates[0], &candidates[1]] {
        let r = app.graphql(CHARTS, json!({ "m": target }), None).await;
        let mut found = None;
        for n in ids_in(&r["data"]["similarMovies"]).into_iter().take(20) {
            let s = app.graphql(CHARTS, json!({ "m": n }), None).await;
            if ids_in(&s["data"]["similarMovies"]).contains(target) {
                found = Some(n);
                break;
            }
        }
        neighbour_of.push(found.unwrap_or_else(|| panic!("no neighbour lists {target}")));
    }

    // A collection holding all three, published.
    let c = app
        .graphql(
            "mutation($i: CreateCollectionInput!) { createCollection(input: $i) { collection { id } } }",
            json!({ "i": { "slug": "admission", "title": "Admission", "movieIds": candidates } }),
            Some(&editor),
        )
        .await;
    let cid = c["data"]["createCollection"]["collection"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{c}"))
        .to_owned();
    let r = app
        .graphql(
            "mutation($id: ID!) { publishCollection(input: {id: $id}) { collection { id } } }",
            json!({ "id": cid }),
            Some(&editor),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");

    // Block one, withdraw one, the user rates the third.
    let r = app
        .graphql(
            "mutation($i: CreateRuleInput!) { createRule(input: $i) { rule { id } } }",
            json!({ "i": { "kind": "BLOCK", "target": { "movieId": blocked } } }),
            Some(&editor),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    let r = app
        .graphql(
            "mutation($id: ID!) { setMovieAvailability(input: {id: $id, available: false}) { movie { id } } }",
            json!({ "id": unavailable }),
            Some(&editor),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    let r = app
        .graphql(
            "mutation($m: ID!) { rateMovie(input: {movieId: $m, score: 4}) { rating { score } } }",
            json!({ "m": seen }),
            Some(&user),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");

    // Personal lists: none of the three; totalCount counts exactly what the rule admits.
    let recs = ids_in(&app.graphql(RECS, json!({}), Some(&user)).await);
    let feed = ids_in(&app.graphql(FEED, json!({}), Some(&user)).await);
    for m in &candidates {
        assert!(!recs.contains(m), "{m} recommended");
        assert!(!feed.contains(m), "{m} in the home feed");
    }
    assert_eq!(total(&app, &user).await, total_before - 3);

    // Lists that are the same for everyone: the seen movie stays, the other two go.
    for (target, neighbour) in [(blocked, &neighbour_of[0]), (unavailable, &neighbour_of[1])] {
        let r = app
            .graphql(CHARTS, json!({ "m": neighbour }), Some(&user))
            .await;
        for list in ["popular", "trending", "similarMovies"] {
            assert!(
                !ids_in(&r["data"][list]).contains(target),
                "{target} in {list}: {r}"
            );
        }
    }
    let r = app.graphql(CHARTS, json!({ "m": seen }), Some(&user)).await;
    let popular_after = ids_in(&r["data"]["popular"]);
    assert!(popular_after.contains(seen), "{r}");
    let trending_after = ids_in(&r["data"]["trending"]);
    assert_eq!(
        trending_after.contains(seen),
        trending_before.contains(seen),
        "seen movies stay in trending"
    );
    // Lists are filled up to the size asked for, not cut short by filtering.
    assert_eq!(popular_after.len(), 100, "{r}");
    assert_eq!(trending_after.len(), 100, "{r}");

    // The collection, for the user: only the movie they have seen (collections are editorial,
    // not personal), never the blocked or unavailable one.
    let c = app
        .graphql(
            "{ collection(slug: \"admission\") { movies { id } } }",
            json!({}),
            Some(&user),
        )
        .await;
    let ids: Vec<&str> = c["data"]["collection"]["movies"]
        .as_array()
        .unwrap_or_else(|| panic!("{c}"))
        .iter()
        .filter_map(|m| m["id"].as_str())
        .collect();
    assert_eq!(ids, [seen.as_str()], "{c}");
}
crate::api_test!(every_surface_applies_the_same_admission_rule);
