//! Curation end to end: an editor builds a collection, pins it for a segment, blocks a title and
//! caps a genre, and the next preview shows it; pins follow audience and schedule; boosts and
//! buries move items; bad input is refused with nothing written.
use std::collections::{HashMap, HashSet};

use serde_json::{json, Value};

use crate::api_test;
use crate::helpers::{demo_with_model, error_code, gid, TestApp};

const FEED: &str = "query($u: ID!) { previewHomeFeed(userId: $u, rows: 8, itemsPerRow: 10) {
  rows { key title kind collection { slug }
         items { source score reason { kind text evidence { id } } movie { id title genres { name } } } } } }";
const PREVIEW_RECS: &str =
    "query($u: ID!, $n: Int) { previewRecommendations(userId: $u, first: $n) {
  source reason { kind text } movie { id title genres { name } } } }";

/// The GraphQL `AgeBand` value of an age band as the database stores it ("25-34" → AGE_25_34).
fn age_band_enum(stored: &str) -> String {
    match stored {
        "under-18" => "UNDER_18".to_owned(),
        "65+" => "AGE_65_PLUS".to_owned(),
        b => format!("AGE_{}", b.replace('-', "_")),
    }
}

/// Demo users with at least `min` ratings, by age band.
async fn users_by_band(app: &TestApp, min: usize) -> HashMap<String, Vec<i32>> {
    let mut out: HashMap<String, Vec<i32>> = HashMap::new();
    let users = marquee::db::repo::training::demographics(&app.state.db)
        .await
        .unwrap();
    for u in users {
        let n = marquee::db::repo::ratings::all_for_user(&app.state.db, u.id)
            .await
            .unwrap()
            .len();
        if let (Some(b), true) = (u.age_band.clone(), n >= min) {
            out.entry(b).or_default().push(u.id);
        }
    }
    for v in out.values_mut() {
        v.sort_unstable();
    }
    out
}

fn feed_rows(r: &Value) -> Vec<Value> {
    r["data"]["previewHomeFeed"]["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("{r}"))
        .clone()
}

fn movie_ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["movie"]["id"].as_str().unwrap().to_owned())
        .collect()
}

/// No genre in more than `cap` movies of any 10 consecutive items.
fn assert_genre_cap(items: &[Value], cap: usize, what: &str) {
    for w in items.windows(10.min(items.len()).max(1)) {
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for i in w {
            for g in i["movie"]["genres"].as_array().unwrap() {
                *counts.entry(g["name"].as_str().unwrap()).or_default() += 1;
            }
        }
        for (g, n) in counts {
            assert!(n <= cap, "{what}: {n} × {g} in a window of 10");
        }
    }
}

/// Checks every item of a feed: explained, no repeats, the genre cap per row.
fn check_feed(rows: &[Value], cap: Option<usize>, blocked: &str) {
    let mut seen = HashSet::new();
    for row in rows {
        let items = row["items"].as_array().unwrap();
        assert!(!items.is_empty(), "empty row {row}");
        for i in items {
            let id = i["movie"]["id"].as_str().unwrap();
            assert!(seen.insert(id.to_owned()), "{id} twice in one feed");
            assert_ne!(id, blocked, "a blocked movie in row {}", row["key"]);
            assert!(!i["reason"]["text"].as_str().unwrap().is_empty());
        }
        if let (Some(c), false) = (cap, row["kind"] == "COLLECTION") {
            assert_genre_cap(items, c, row["key"].as_str().unwrap());
        }
    }
}

async fn an_editor_curates_a_segment_and_sees_it_at_once_in_the_preview(app: TestApp) {
    demo_with_model(&app).await;
    let editor = app.staff_token("editor").await;
    let bands = users_by_band(&app, 10).await;
    let (band, in_seg) = bands
        .iter()
        .max_by_key(|(_, v)| v.len())
        .map(|(b, v)| (b.clone(), v[0]))
        .unwrap();
    let out_seg = bands
        .iter()
        .find(|(b, _)| **b != band)
        .map(|(_, v)| v[0])
        .expect("users in another age band");

    // What the in-segment user gets now: block the top recommendation.
    let before = app
        .graphql(
            PREVIEW_RECS,
            json!({ "u": gid("User", in_seg as i64), "n": 10 }),
            Some(&editor),
        )
        .await;
    let before_items = before["data"]["previewRecommendations"]
        .as_array()
        .unwrap_or_else(|| panic!("{before}"))
        .clone();
    assert_eq!(before_items.len(), 10, "{before}");
    let blocked = before_items[0]["movie"]["id"].as_str().unwrap().to_owned();
    // The collection's movies: three titles not at the top of the list.
    let coll_movies: Vec<String> = movie_ids(&before_items[5..8]);
    let band = age_band_enum(&band);
    let r = app
        .graphql(
            "mutation($i: CreateCollectionInput!) { createCollection(input: $i) { collection { id slug status live movieCount } } }",
            json!({ "i": { "slug": "noir-week", "title": "Noir Week", "movieIds": coll_movies,
                           "audience": { "ageBands": [band] } } }),
            Some(&editor),
        )
        .await;
    let coll = &r["data"]["createCollection"]["collection"];
    assert_eq!(coll["status"], "DRAFT", "{r}");
    assert_eq!(coll["movieCount"], 3);
    let coll_id = coll["id"].as_str().unwrap().to_owned();
    let r = app
        .graphql(
            "mutation($id: ID!) { publishCollection(input: {id: $id}) { collection { status live } } }",
            json!({ "id": coll_id }),
            Some(&editor),
        )
        .await;
    assert_eq!(
        r["data"]["publishCollection"]["collection"]["live"], true,
        "{r}"
    );
    let r = app
        .graphql(
            "mutation($i: CreatePlacementInput!) { createPlacement(input: $i) { placement { id live audience { description } } } }",
            json!({ "i": { "surface": { "kind": "HOME" }, "position": 1, "target": { "collectionId": coll_id },
                           "audience": { "ageBands": [band] } } }),
            Some(&editor),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    let r = app
        .graphql(
            "mutation($i: CreateRuleInput!) { createRule(input: $i) { rule { kind multiplier live } } }",
            json!({ "i": { "kind": "BLOCK", "target": { "movieId": blocked }, "note": "rights expired" } }),
            Some(&editor),
        )
        .await;
    assert_eq!(r["data"]["createRule"]["rule"]["multiplier"], 0.0, "{r}");
    for surface in ["HOME", "RECOMMENDATIONS"] {
        let r = app
            .graphql(
                "mutation($i: SetDiversitySettingsInput!) { setDiversitySettings(input: $i) { diversitySettings { surface { kind genre } maxPerGenre } } }",
                json!({ "i": { "surface": { "kind": surface }, "maxPerGenre": 3 } }),
                Some(&editor),
            )
            .await;
        let settings = &r["data"]["setDiversitySettings"]["diversitySettings"];
        assert_eq!(settings["maxPerGenre"], 3, "{r}");
        assert_eq!(
            settings["surface"],
            json!({ "kind": surface, "genre": null }),
            "{r}"
        );
    }

    // In the segment: the collection is the first row, every item explained.
    let r = app
        .graphql(
            FEED,
            json!({ "u": gid("User", in_seg as i64) }),
            Some(&editor),
        )
        .await;
    let rows = feed_rows(&r);
    assert!(rows.len() >= 3, "{r}");
    assert_eq!(rows[0]["kind"], "COLLECTION", "{r}");
    assert_eq!(rows[0]["collection"]["slug"], "noir-week");
    let first = rows[0]["items"].as_array().unwrap();
    assert_eq!(movie_ids(first), coll_movies, "editor's order kept");
    for i in first {
        assert_eq!(i["source"], "COLLECTION");
        assert_eq!(i["reason"]["text"], "Editor's pick: Noir Week");
    }
    check_feed(&rows, Some(3), &blocked);
    // Outside the segment: no collection row.
    let r = app
        .graphql(
            FEED,
            json!({ "u": gid("User", out_seg as i64) }),
            Some(&editor),
        )
        .await;
    let rows = feed_rows(&r);
    assert!(rows.iter().all(|row| row["kind"] != "COLLECTION"), "{r}");
    check_feed(&rows, Some(3), &blocked);
    // The block and the cap hold in recommendations too.
    let after = app
        .graphql(
            PREVIEW_RECS,
            json!({ "u": gid("User", in_seg as i64), "n": 30 }),
            Some(&editor),
        )
        .await;
    let after_items = after["data"]["previewRecommendations"].as_array().unwrap();
    assert!(!movie_ids(after_items).contains(&blocked), "{after}");
    assert_genre_cap(after_items, 3, "recommendations");
}
api_test!(an_editor_curates_a_segment_and_sees_it_at_once_in_the_preview);

async fn pins_follow_their_audience_and_schedule_and_blocks_reach_collections(app: TestApp) {
    demo_with_model(&app).await;
    let editor = app.staff_token("editor").await;
    let t = app.user_token("demo-0003");
    let recs =
        "{ recommendations(first: 10) { edges { node { source reason { text } movie { id } } } } }";
    let list = |r: &Value| -> Vec<Value> {
        r["data"]["recommendations"]["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("{r}"))
            .iter()
            .map(|e| e["node"].clone())
            .collect()
    };
    let pinned = app
        .create_movie(&editor, "Pinned Picture", 2024, &["Drama"])
        .await;
    let pin =
        "mutation($i: CreatePlacementInput!) { createPlacement(input: $i) { placement { id } } }";
    let r = app
        .graphql(
            pin,
            json!({ "i": { "surface": { "kind": "RECOMMENDATIONS" }, "position": 3, "target": { "movieId": pinned } } }),
            Some(&editor),
        )
        .await;
    let pin_id = r["data"]["createPlacement"]["placement"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{r}"))
        .to_owned();
    let items = list(&app.graphql(recs, json!({}), Some(&t)).await);
    assert_eq!(items[2]["movie"]["id"], pinned.as_str(), "{items:?}");
    assert_eq!(items[2]["source"], "PINNED");
    assert_eq!(
        movie_ids(&items).iter().filter(|m| **m == pinned).count(),
        1
    );

    // Only for new users: gone for this one. Outside its schedule: gone.
    app.graphql(
        "mutation($id: ID!) { deletePlacement(input: {id: $id}) { deleted } }",
        json!({ "id": pin_id }),
        Some(&editor),
    )
    .await;
    app.graphql(
        pin,
        json!({ "i": { "surface": { "kind": "RECOMMENDATIONS" }, "position": 1, "target": { "movieId": pinned },
                       "audience": { "newUsers": true } } }),
        Some(&editor),
    )
    .await;
    let past = chrono::Utc::now() - chrono::Duration::days(2);
    app.graphql(
        pin,
        json!({ "i": { "surface": { "kind": "RECOMMENDATIONS" }, "position": 2, "target": { "movieId": pinned },
                       "startsAt": past - chrono::Duration::days(5), "endsAt": past } }),
        Some(&editor),
    )
    .await;
    let items = list(&app.graphql(recs, json!({}), Some(&t)).await);
    assert!(!movie_ids(&items).contains(&pinned), "{items:?}");
    // A new user gets it first.
    let newbie = app.user_token("brand-new-user");
    let items = list(&app.graphql(recs, json!({}), Some(&newbie)).await);
    assert_eq!(items[0]["movie"]["id"], pinned.as_str(), "{items:?}");

    // A blocked genre disappears from collections, pins and lists alike.
    let horror = app
        .create_movie(&editor, "Blocked Horror", 2020, &["Horror"])
        .await;
    let r = app
        .graphql(
            "mutation($i: CreateCollectionInput!) { createCollection(input: $i) { collection { id } } }",
            json!({ "i": { "slug": "mixed", "title": "Mixed", "movieIds": [horror, pinned] } }),
            Some(&editor),
        )
        .await;
    let cid = r["data"]["createCollection"]["collection"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.graphql(
        "mutation($id: ID!) { publishCollection(input: {id: $id}) { collection { id } } }",
        json!({ "id": cid }),
        Some(&editor),
    )
    .await;
    app.graphql(
        pin,
        json!({ "i": { "surface": { "kind": "RECOMMENDATIONS" }, "position": 1, "target": { "movieId": horror } } }),
        Some(&editor),
    )
    .await;
    let r = app
        .graphql(
            "mutation { createRule(input: { kind: BLOCK, target: { genre: \"horror\" } }) { rule { id } } }",
            json!({}),
            Some(&editor),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    let c = app
        .graphql(
            "{ collection(slug: \"mixed\") { movies { id } } }",
            json!({}),
            Some(&newbie),
        )
        .await;
    let ids: Vec<&str> = c["data"]["collection"]["movies"]
        .as_array()
        .unwrap_or_else(|| panic!("{c}"))
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [pinned.as_str()]);
    for token in [&t, &newbie] {
        let items = list(&app.graphql(recs, json!({}), Some(token)).await);
        assert!(!movie_ids(&items).contains(&horror));
        let feed = app
            .graphql(
                "{ homeFeed { rows { key items { movie { id } } } } }",
                json!({}),
                Some(token),
            )
            .await;
        assert!(!feed.to_string().contains(&horror), "{feed}");
        assert!(
            feed["data"]["homeFeed"]["rows"].as_array().unwrap().len() >= 2,
            "{feed}"
        );
    }
    // Editors still see the whole collection; a draft is not public.
    let c = app
        .graphql(
            "{ collection(slug: \"mixed\") { movies { id } } }",
            json!({}),
            Some(&editor),
        )
        .await;
    assert_eq!(
        c["data"]["collection"]["movies"].as_array().unwrap().len(),
        2
    );
}
api_test!(pins_follow_their_audience_and_schedule_and_blocks_reach_collections);

async fn boosts_raise_and_buries_lower_and_pages_never_repeat(app: TestApp) {
    demo_with_model(&app).await;
    let editor = app.staff_token("editor").await;
    let t = app.user_token("demo-0004");
    let page = "query($after: String) { recommendations(first: 10, after: $after) {
      pageInfo { endCursor } edges { node { source reason { text } movie { id } } } } }";
    let fetch = |r: &Value| -> (Vec<Value>, Value) {
        let c = &r["data"]["recommendations"];
        (
            c["edges"]
                .as_array()
                .unwrap_or_else(|| panic!("{r}"))
                .iter()
                .map(|e| e["node"].clone())
                .collect(),
            c["pageInfo"]["endCursor"].clone(),
        )
    };
    let mut all = vec![];
    let mut after = Value::Null;
    for _ in 0..3 {
        let (items, cursor) = fetch(&app.graphql(page, json!({ "after": after }), Some(&t)).await);
        assert_eq!(items.len(), 10);
        all.extend(items);
        after = cursor;
    }
    let ids = movie_ids(&all);
    assert_eq!(
        ids.iter().collect::<HashSet<_>>().len(),
        30,
        "a page repeated an item"
    );

    let top = ids[0].clone();
    let low = ids[25].clone();
    let rule = "mutation($i: CreateRuleInput!) { createRule(input: $i) { rule { id } } }";
    app.graphql(
        rule,
        json!({ "i": { "kind": "BURY", "target": { "movieId": top }, "multiplier": 0.05 } }),
        Some(&editor),
    )
    .await;
    app.graphql(
        rule,
        json!({ "i": { "kind": "BOOST", "target": { "movieId": low }, "multiplier": 10.0,
                       "reason": "Festival winner", "note": "Ask marketing before renewing" } }),
        Some(&editor),
    )
    .await;
    let mut all2 = vec![];
    let mut after = Value::Null;
    for _ in 0..3 {
        let (items, cursor) = fetch(&app.graphql(page, json!({ "after": after }), Some(&t)).await);
        all2.extend(items);
        after = cursor;
    }
    let ids2 = movie_ids(&all2);
    let pos = |v: &[String], m: &str| v.iter().position(|x| x == m).unwrap_or(usize::MAX);
    assert!(pos(&ids2, &top) > 0, "buried item still first");
    let boosted = pos(&ids2, &low);
    assert!(boosted < 25, "boosted item did not rise: {boosted}");
    assert_eq!(all2[boosted]["source"], "BOOSTED");
    assert_eq!(
        all2[boosted]["reason"]["text"],
        "Editor's pick: Festival winner"
    );
    // The internal note reaches no subscriber.
    assert!(
        all2.iter()
            .all(|i| !i["reason"]["text"].as_str().unwrap().contains("marketing")),
        "{all2:?}"
    );
}
api_test!(boosts_raise_and_buries_lower_and_pages_never_repeat);

async fn bad_curation_input_is_refused_and_nothing_is_written(app: TestApp) {
    let editor = app.staff_token("editor").await;
    let m = app
        .create_movie(&editor, "Only One", 2010, &["Drama"])
        .await;
    let create = "mutation($i: CreateCollectionInput!) { createCollection(input: $i) { collection { id } } }";
    let cases = [
        (
            json!({ "slug": "x", "title": "X", "movieIds": [m, gid("Movie", 999_999)] }),
            "BAD_USER_INPUT",
        ),
        (
            json!({ "slug": "x", "title": "X", "movieIds": [m, m] }),
            "BAD_USER_INPUT",
        ),
        (
            json!({ "slug": "Not a slug!", "title": "X" }),
            "BAD_USER_INPUT",
        ),
        (json!({ "slug": "x", "title": "  " }), "BAD_USER_INPUT"),
        (
            json!({ "slug": "x", "title": "X", "startsAt": "2030-01-02T00:00:00Z", "endsAt": "2030-01-01T00:00:00Z" }),
            "BAD_USER_INPUT",
        ),
        (
            json!({ "slug": "x", "title": "X", "artworkUrl": "javascript:alert(1)" }),
            "BAD_USER_INPUT",
        ),
    ];
    for (input, code) in cases {
        let r = app
            .graphql(create, json!({ "i": input }), Some(&editor))
            .await;
        assert_eq!(error_code(&r), Some(code), "{input}: {r}");
    }
    assert_eq!(app.count("collections").await, 0);
    assert_eq!(app.count("collection_items").await, 0);

    let r = app
        .graphql(
            create,
            json!({ "i": { "slug": "ok", "title": "OK", "movieIds": [m] } }),
            Some(&editor),
        )
        .await;
    let cid = r["data"]["createCollection"]["collection"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{r}"))
        .to_owned();
    let r = app
        .graphql(
            create,
            json!({ "i": { "slug": "ok", "title": "Again" } }),
            Some(&editor),
        )
        .await;
    assert_eq!(error_code(&r), Some("CONFLICT"));
    // A failed reorder leaves the old order.
    let r = app
        .graphql(
            "mutation($id: ID!, $m: [ID!]!) { setCollectionMovies(input: {id: $id, movieIds: $m}) { collection { id } } }",
            json!({ "id": cid, "m": [gid("Movie", 999_999)] }),
            Some(&editor),
        )
        .await;
    assert_eq!(error_code(&r), Some("BAD_USER_INPUT"));
    assert_eq!(app.count("collection_items").await, 1);

    let pin =
        "mutation($i: CreatePlacementInput!) { createPlacement(input: $i) { placement { id } } }";
    for (input, code) in [
        (
            json!({ "surface": { "kind": "HOME" }, "position": 0, "target": { "movieId": m } }),
            "BAD_USER_INPUT",
        ),
        (
            // An unknown surface kind: now a variable-coercion (validation) error.
            json!({ "surface": { "kind": "SIDEBAR" }, "position": 1, "target": { "movieId": m } }),
            "BAD_USER_INPUT",
        ),
        (
            // Two targets: a @oneOf violation, now a validation error.
            json!({ "surface": { "kind": "HOME" }, "position": 1, "target": { "movieId": m, "collectionId": cid } }),
            "BAD_USER_INPUT",
        ),
        (
            // No target: the required `target` is missing, now a validation error.
            json!({ "surface": { "kind": "HOME" }, "position": 1 }),
            "BAD_USER_INPUT",
        ),
        (
            json!({ "surface": { "kind": "HOME" }, "position": 1, "target": { "collectionId": gid("Collection", 999) } }),
            "NOT_FOUND",
        ),
    ] {
        let r = app.graphql(pin, json!({ "i": input }), Some(&editor)).await;
        assert_eq!(error_code(&r), Some(code), "{input}: {r}");
    }
    assert_eq!(app.count("placements").await, 0);

    let rule = "mutation($i: CreateRuleInput!) { createRule(input: $i) { rule { id } } }";
    for input in [
        json!({ "kind": "BOOST", "target": { "movieId": m }, "multiplier": 0.5 }),
        json!({ "kind": "BURY", "target": { "movieId": m }, "multiplier": 2.0 }),
        // No target (the required `target` is missing) and two targets (a @oneOf
        // violation): both are now validation errors.
        json!({ "kind": "BLOCK" }),
        json!({ "kind": "BLOCK", "target": { "movieId": m, "genre": "Drama" } }),
        json!({ "kind": "BLOCK", "target": { "genre": "No Such Genre" } }),
        json!({ "kind": "BLOCK", "target": { "years": { "from": 2000, "to": 1990 } } }),
    ] {
        let r = app
            .graphql(rule, json!({ "i": input }), Some(&editor))
            .await;
        assert_eq!(error_code(&r), Some("BAD_USER_INPUT"), "{input}: {r}");
    }
    let div =
        "mutation($i: SetDiversitySettingsInput!) { setDiversitySettings(input: $i) { diversitySettings { surface { kind genre } } } }";
    for input in [
        json!({ "surface": { "kind": "HOME" }, "mmrLambda": 1.5 }),
        json!({ "surface": { "kind": "HOME" }, "maxPerGenre": 0 }),
        json!({ "surface": { "kind": "GENRE", "genre": "" }, "calibration": 0.5 }),
        json!({ "surface": { "kind": "GENRE" }, "calibration": 0.5 }),
    ] {
        let r = app.graphql(div, json!({ "i": input }), Some(&editor)).await;
        assert_eq!(error_code(&r), Some("BAD_USER_INPUT"), "{input}: {r}");
    }
    assert_eq!(app.count("rules").await, 0);
    assert_eq!(app.count("diversity_settings").await, 0);

    // Unknown slug; a user or a compliance officer calling an editor's mutation.
    let r = app
        .graphql("{ collection(slug: \"nope\") { id } }", json!({}), None)
        .await;
    assert_eq!(error_code(&r), Some("NOT_FOUND"));
    let r = app
        .graphql("{ collection(slug: \"ok\") { id } }", json!({}), None)
        .await;
    assert_eq!(
        error_code(&r),
        Some("NOT_FOUND"),
        "a draft is not public: {r}"
    );
    let user = app.user_token("someone");
    let compliance = app.staff_token("compliance").await;
    for token in [&user, &compliance] {
        let r = app
            .graphql(
                create,
                json!({ "i": { "slug": "mine", "title": "Mine" } }),
                Some(token),
            )
            .await;
        assert_eq!(error_code(&r), Some("FORBIDDEN"), "{r}");
        let r = app
            .graphql("{ rules { id } }", json!({}), Some(token))
            .await;
        assert_eq!(error_code(&r), Some("FORBIDDEN"), "{r}");
    }
    assert_eq!(app.count("collections").await, 1);
    // Every change was audited.
    let admin = app.admin_token().await;
    let log = app
        .graphql(
            "{ auditLog(filter: { action: \"collection.\" }) { totalCount } }",
            json!({}),
            Some(&admin),
        )
        .await;
    assert_eq!(log["data"]["auditLog"]["totalCount"], 1, "{log}");
}
api_test!(bad_curation_input_is_refused_and_nothing_is_written);

async fn editors_preview_without_reading_a_users_history_admins_in_full(app: TestApp) {
    demo_with_model(&app).await;
    let editor = app.staff_token("editor").await;
    let admin = app.admin_token().await;
    // A user with plenty of history, so that reasons cite it.
    let bands = users_by_band(&app, 15).await;
    let user = bands
        .values()
        .flatten()
        .copied()
        .min()
        .expect("a user with history");
    let vars = json!({ "u": gid("User", user as i64), "n": 30 });
    let evidence_based = [
        "BECAUSE_YOU_RATED",
        "BECAUSE_YOU_WATCHED",
        "SAME_DIRECTOR",
        "SIMILAR_CONTENT",
    ];
    let recs = "query($u: ID!, $n: Int) { previewRecommendations(userId: $u, first: $n) {
      reason { kind text evidence { id } } } }";

    let full = app.graphql(recs, vars.clone(), Some(&admin)).await;
    let items = full["data"]["previewRecommendations"]
        .as_array()
        .unwrap_or_else(|| panic!("{full}"));
    let cited: Vec<&Value> = items
        .iter()
        .filter(|i| evidence_based.contains(&i["reason"]["kind"].as_str().unwrap()))
        .collect();
    assert!(
        !cited.is_empty(),
        "admins see evidence-based reasons: {full}"
    );
    assert!(cited
        .iter()
        .any(|i| !i["reason"]["evidence"].as_array().unwrap().is_empty()));

    let red = app.graphql(recs, vars.clone(), Some(&editor)).await;
    let items = red["data"]["previewRecommendations"]
        .as_array()
        .unwrap_or_else(|| panic!("{red}"));
    for i in items {
        let kind = i["reason"]["kind"].as_str().unwrap();
        if evidence_based.contains(&kind) || kind == "DEMOGRAPHIC" {
            assert!(
                i["reason"]["evidence"].as_array().unwrap().is_empty(),
                "{i}"
            );
            let text = i["reason"]["text"].as_str().unwrap();
            assert!(!text.contains("you "), "{text}");
            assert!(!text.contains('★'), "{text}");
        }
    }

    // The feed's headings do not name what they watched either.
    let feed = app
        .graphql(
            FEED,
            json!({ "u": gid("User", user as i64) }),
            Some(&editor),
        )
        .await;
    for row in feed_rows(&feed) {
        if row["kind"] == "BECAUSE_YOU_WATCHED" || row["kind"] == "DEMOGRAPHIC" {
            let title = row["title"].as_str().unwrap();
            assert!(title.contains("they") || title.contains("their"), "{title}");
        }
        if row["kind"] == "BECAUSE_YOU_WATCHED" {
            let key = row["key"].as_str().unwrap();
            assert!(key.starts_with("because:hidden-"), "{key}");
        }
    }
    let full_feed = app
        .graphql(FEED, json!({ "u": gid("User", user as i64) }), Some(&admin))
        .await;
    assert!(
        feed_rows(&full_feed)
            .iter()
            .any(|r| r["kind"] == "BECAUSE_YOU_WATCHED"
                && r["title"].as_str().unwrap().contains("Because you")),
        "{full_feed}"
    );
}
api_test!(editors_preview_without_reading_a_users_history_admins_in_full);

const RULE_FIELDS: &str = "id kind multiplier note reason movie { id }";

async fn rules_and_pins_are_edited_in_place_and_only_the_public_reason_is_shown(app: TestApp) {
    demo_with_model(&app).await;
    let editor = app.staff_token("editor").await;
    let t = app.user_token("demo-0004");
    let recs = "query { recommendations(first: 30) { edges { node { source reason { text } movie { id } } } } }";
    let fetch = |r: Value| -> Vec<Value> {
        r["data"]["recommendations"]["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("{r}"))
            .iter()
            .map(|e| e["node"].clone())
            .collect()
    };
    let before = fetch(app.graphql(recs, json!({}), Some(&t)).await);
    let low = before[25]["movie"]["id"].as_str().unwrap().to_owned();

    let r = app
        .graphql(
            &format!("mutation($i: CreateRuleInput!) {{ createRule(input: $i) {{ rule {{ {RULE_FIELDS} }} }} }}"),
            json!({ "i": { "kind": "BOOST", "target": { "movieId": low }, "multiplier": 10.0,
                           "note": "Ask marketing first", "reason": "Festival winner" } }),
            Some(&editor),
        )
        .await;
    let rule = &r["data"]["createRule"]["rule"];
    assert_eq!(rule["note"], "Ask marketing first", "{r}");
    assert_eq!(rule["reason"], "Festival winner", "{r}");
    let rule_id = rule["id"].as_str().unwrap().to_owned();
    let reason_of = |items: &[Value], m: &str| {
        items
            .iter()
            .find(|i| i["movie"]["id"] == m)
            .map(|i| i["reason"]["text"].as_str().unwrap().to_owned())
    };
    let items = fetch(app.graphql(recs, json!({}), Some(&t)).await);
    assert_eq!(
        reason_of(&items, &low).as_deref(),
        Some("Editor's pick: Festival winner")
    );

    // Edited in place: same id, every field replaced (the note is gone), served at once.
    let update = format!(
        "mutation($i: UpdateRuleInput!) {{ updateRule(input: $i) {{ rule {{ {RULE_FIELDS} }} }} }}"
    );
    let r = app
        .graphql(
            &update,
            json!({ "i": { "id": rule_id, "kind": "BOOST", "target": { "movieId": low }, "multiplier": 10.0,
                         "reason": "Documentary month" } }),
            Some(&editor),
        )
        .await;
    let rule = &r["data"]["updateRule"]["rule"];
    assert_eq!(rule["id"], rule_id.as_str(), "{r}");
    assert_eq!(rule["reason"], "Documentary month");
    assert!(rule["note"].is_null());
    assert_eq!(app.count("rules").await, 1);
    let items = fetch(app.graphql(recs, json!({}), Some(&t)).await);
    assert_eq!(
        reason_of(&items, &low).as_deref(),
        Some("Editor's pick: Documentary month")
    );

    // Refused edits leave the rule as it was.
    for (input, code) in [
        (
            json!({ "id": rule_id, "kind": "BURY", "target": { "movieId": low }, "reason": "Not for subscribers" }),
            "BAD_USER_INPUT",
        ),
        (
            json!({ "id": rule_id, "kind": "BOOST", "target": { "movieId": low }, "reason": "x".repeat(81) }),
            "BAD_USER_INPUT",
        ),
        (
            json!({ "id": rule_id, "kind": "BOOST", "target": { "movieId": low }, "note": "x".repeat(1001) }),
            "BAD_USER_INPUT",
        ),
        (
            // Two targets: a @oneOf violation, now a validation error.
            json!({ "id": rule_id, "kind": "BOOST", "target": { "movieId": low, "genre": "Drama" } }),
            "BAD_USER_INPUT",
        ),
    ] {
        let r = app
            .graphql(&update, json!({ "i": input }), Some(&editor))
            .await;
        assert_eq!(error_code(&r), Some(code), "{r}");
    }
    let r = app
        .graphql(
            &update,
            json!({ "i": { "id": gid("Rule", 999_999), "kind": "BLOCK", "target": { "movieId": low } } }),
            Some(&editor),
        )
        .await;
    assert_eq!(error_code(&r), Some("NOT_FOUND"), "{r}");
    let r = app
        .graphql(
            &format!("{{ rules {{ {RULE_FIELDS} }} }}"),
            json!({}),
            Some(&editor),
        )
        .await;
    assert_eq!(r["data"]["rules"][0]["reason"], "Documentary month", "{r}");
    assert_eq!(r["data"]["rules"][0]["kind"], "BOOST");
    // Subscribers cannot edit rules.
    let r = app
        .graphql(
            &update,
            json!({ "i": { "id": rule_id, "kind": "BLOCK", "target": { "movieId": low } } }),
            Some(&t),
        )
        .await;
    assert_eq!(error_code(&r), Some("FORBIDDEN"), "{r}");

    // A pin moved in place: from the top to the third slot of the preview.
    let pinned = before[20]["movie"]["id"].as_str().unwrap().to_owned();
    let r = app
        .graphql(
            "mutation($i: CreatePlacementInput!) { createPlacement(input: $i) { placement { id } } }",
            json!({ "i": { "surface": { "kind": "RECOMMENDATIONS" }, "position": 1, "target": { "movieId": pinned } } }),
            Some(&editor),
        )
        .await;
    let pin_id = r["data"]["createPlacement"]["placement"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{r}"))
        .to_owned();
    let preview = "query { previewRecommendations(externalId: \"demo-0004\", first: 5) { source movie { id } } }";
    let shown = |r: &Value| {
        movie_ids(
            r["data"]["previewRecommendations"]
                .as_array()
                .unwrap_or_else(|| panic!("{r}")),
        )
    };
    assert_eq!(
        shown(&app.graphql(preview, json!({}), Some(&editor)).await)[0],
        pinned
    );
    let move_pin = "mutation($i: UpdatePlacementInput!) { updatePlacement(input: $i) { placement { id position } } }";
    let r = app
        .graphql(
            move_pin,
            json!({ "i": { "id": pin_id, "surface": { "kind": "RECOMMENDATIONS" }, "position": 3, "target": { "movieId": pinned } } }),
            Some(&editor),
        )
        .await;
    assert_eq!(
        r["data"]["updatePlacement"]["placement"]["position"], 3,
        "{r}"
    );
    let now = shown(&app.graphql(preview, json!({}), Some(&editor)).await);
    assert_eq!(now[2], pinned, "{now:?}");
    assert_ne!(now[0], pinned);
    let r = app
        .graphql(
            move_pin,
            json!({ "i": { "id": pin_id, "surface": { "kind": "RECOMMENDATIONS" }, "position": 0, "target": { "movieId": pinned } } }),
            Some(&editor),
        )
        .await;
    assert_eq!(error_code(&r), Some("BAD_USER_INPUT"), "{r}");
    assert_eq!(
        shown(&app.graphql(preview, json!({}), Some(&editor)).await)[2],
        pinned,
        "a refused edit changes nothing"
    );
    let r = app
        .graphql(
            move_pin,
            json!({ "i": { "id": gid("Placement", 999_999), "surface": { "kind": "RECOMMENDATIONS" }, "position": 2, "target": { "movieId": pinned } } }),
            Some(&editor),
        )
        .await;
    assert_eq!(error_code(&r), Some("NOT_FOUND"), "{r}");

    // Each edit is audited with what it replaced.
    let r = app
        .graphql(
            "query($t: String) { auditLog(filter: { targetId: $t }) { nodes { action details } } }",
            json!({ "t": rule_id }),
            Some(&app.admin_token().await),
        )
        .await;
    let entries = r["data"]["auditLog"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{r}"));
    let update = entries
        .iter()
        .find(|e| e["action"] == "rule.update")
        .unwrap_or_else(|| panic!("{r}"));
    assert_eq!(
        update["details"]["before"]["reason"], "Festival winner",
        "{update}"
    );
    assert_eq!(update["details"]["after"]["reason"], "Documentary month");
    assert_eq!(
        app.count_where("audit_log", "action = 'placement.update'")
            .await,
        1,
        "the refused edits wrote nothing"
    );
}
api_test!(rules_and_pins_are_edited_in_place_and_only_the_public_reason_is_shown);

const REMOVED: &str = "removed { reason rowKey movie { id } rule { id } }";
const REMOVED_FIELDS: &str = "reason rowKey movie { id } rule { id }";

async fn previews_take_an_external_id_and_say_what_curation_left_out(app: TestApp) {
    demo_with_model(&app).await;
    let editor = app.staff_token("editor").await;
    let admin = app.admin_token().await;
    let user_id = users_by_band(&app, 15)
        .await
        .values()
        .flatten()
        .copied()
        .min()
        .expect("a user with history");
    let user = marquee::db::repo::users::get(&app.state.db, user_id)
        .await
        .unwrap()
        .unwrap();
    let by_id = json!({ "u": gid("User", user_id as i64) });
    let by_ext = json!({ "x": user.external_id });

    // The same preview by either id; exactly one of them.
    let recs_q = "query($u: ID, $x: String) { previewRecommendations(userId: $u, externalId: $x, first: 10) { movie { id } } }";
    let a = app.graphql(recs_q, by_id.clone(), Some(&editor)).await;
    let b = app.graphql(recs_q, by_ext.clone(), Some(&editor)).await;
    let list = |r: &Value| {
        movie_ids(
            r["data"]["previewRecommendations"]
                .as_array()
                .unwrap_or_else(|| panic!("{r}")),
        )
    };
    assert_eq!(list(&a), list(&b));
    assert_eq!(list(&a).len(), 10);
    for vars in [
        json!({ "u": gid("User", user_id as i64), "x": user.external_id }),
        json!({}),
        json!({ "x": "  " }),
    ] {
        let r = app.graphql(recs_q, vars, Some(&editor)).await;
        assert_eq!(error_code(&r), Some("BAD_USER_INPUT"), "{r}");
    }
    let r = app
        .graphql(recs_q, json!({ "x": "nobody-by-that-name" }), Some(&editor))
        .await;
    assert_eq!(error_code(&r), Some("NOT_FOUND"), "{r}");

    // Block the top recommendation: the preview says it was removed, and by which rule.
    let top = list(&a)[0].clone();
    let r = app
        .graphql(
            "mutation($i: CreateRuleInput!) { createRule(input: $i) { rule { id } } }",
            json!({ "i": { "kind": "BLOCK", "target": { "movieId": top } } }),
            Some(&editor),
        )
        .await;
    let block = r["data"]["createRule"]["rule"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .graphql(
            &format!("query($x: String) {{ previewRemoved(externalId: $x, first: 10) {{ {REMOVED_FIELDS} }} }}"),
            by_ext.clone(),
            Some(&editor),
        )
        .await;
    let removed = r["data"]["previewRemoved"]
        .as_array()
        .unwrap_or_else(|| panic!("{r}"));
    assert_eq!(removed.len(), 1, "{r}");
    assert_eq!(removed[0]["reason"], "BLOCKED");
    assert_eq!(removed[0]["movie"]["id"], top.as_str());
    assert_eq!(removed[0]["rule"]["id"], block.as_str());

    // A collection pinned to the second row: one title the first row shows, one the user
    // rated, the blocked one, then three others.
    let feed_q = format!(
        "query($x: String) {{ previewHomeFeed(externalId: $x, rows: 8, itemsPerRow: 10) {{
           rows {{ key kind items {{ movie {{ id }} }} {REMOVED} }} }} }}"
    );
    let feed = app.graphql(&feed_q, by_ext.clone(), Some(&admin)).await;
    let rows = feed_rows(&feed);
    let first_row_key = rows[0]["key"].as_str().unwrap().to_owned();
    let in_first_row = rows[0]["items"][0]["movie"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let shown: HashSet<String> = rows
        .iter()
        .flat_map(|r| movie_ids(r["items"].as_array().unwrap()))
        .collect();
    let rated = marquee::db::repo::ratings::all_for_user(&app.state.db, user_id)
        .await
        .unwrap()[0]
        .movie_id;
    let rated = gid("Movie", rated as i64);
    let deeper = app
        .graphql(
            "query($x: String) { previewRecommendations(externalId: $x, first: 60) { movie { id } } }",
            by_ext.clone(),
            Some(&editor),
        )
        .await;
    let deeper = movie_ids(
        deeper["data"]["previewRecommendations"]
            .as_array()
            .unwrap_or_else(|| panic!("{deeper}")),
    );
    let others: Vec<String> = deeper
        .iter()
        .filter(|m| !shown.contains(*m))
        .take(3)
        .cloned()
        .collect();
    assert_eq!(others.len(), 3, "titles the feed does not show yet");
    let mut movies = vec![in_first_row.clone(), rated.clone(), top.clone()];
    movies.extend(others.iter().cloned());
    let r = app
        .graphql(
            "mutation($i: CreateCollectionInput!) { createCollection(input: $i) { collection { id } } }",
            json!({ "i": { "slug": "left-out", "title": "Left out", "movieIds": movies } }),
            Some(&editor),
        )
        .await;
    let coll = r["data"]["createCollection"]["collection"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{r}"))
        .to_owned();
    for m in [
        "mutation($id: ID!) { publishCollection(input: {id: $id}) { collection { id } } }",
        "mutation($id: ID!) { createPlacement(input: { surface: { kind: HOME }, position: 2, target: { collectionId: $id } }) { placement { id } } }",
    ] {
        let r = app.graphql(m, json!({ "id": coll }), Some(&editor)).await;
        assert!(r["errors"].is_null(), "{r}");
    }
    let feed = app.graphql(&feed_q, by_ext.clone(), Some(&admin)).await;
    let rows = feed_rows(&feed);
    assert_eq!(rows[0]["key"], first_row_key.as_str(), "{feed}");
    let row = &rows[1];
    assert_eq!(row["key"], "collection:left-out", "{feed}");
    assert_eq!(movie_ids(row["items"].as_array().unwrap()), others);
    let why: Vec<(String, Value, Value, Value)> = row["removed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["reason"].as_str().unwrap().to_owned(),
                r["movie"]["id"].clone(),
                r["rowKey"].clone(),
                r["rule"]["id"].clone(),
            )
        })
        .collect();
    assert_eq!(
        why,
        vec![
            (
                "SHOWN_ELSEWHERE".into(),
                json!(in_first_row),
                json!(first_row_key),
                Value::Null
            ),
            (
                "USER_HISTORY".into(),
                json!(rated),
                Value::Null,
                Value::Null
            ),
            ("BLOCKED".into(), json!(top), Value::Null, json!(block)),
        ],
        "{row}"
    );
    // Other rows report nothing; the user's own feed never carries the list.
    assert!(rows
        .iter()
        .filter(|r| r["kind"] != "COLLECTION")
        .all(|r| r["removed"] == json!([])));
    let own = app
        .graphql(
            &format!("{{ homeFeed(rows: 8) {{ rows {{ key {REMOVED} }} }} }}"),
            json!({}),
            Some(&app.user_token(&user.external_id)),
        )
        .await;
    let own_rows = own["data"]["homeFeed"]["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("{own}"));
    assert!(own_rows.iter().all(|r| r["removed"] == json!([])), "{own}");

    // Editors are not told what the user watched: the title is withheld, and no row key
    // names a movie of their history.
    let feed = app.graphql(&feed_q, by_ext, Some(&editor)).await;
    let rows = feed_rows(&feed);
    let row = rows
        .iter()
        .find(|r| r["key"] == "collection:left-out")
        .unwrap();
    let history = row["removed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["reason"] == "USER_HISTORY")
        .unwrap_or_else(|| panic!("{row}"));
    assert!(history["movie"].is_null(), "{history}");
    for r in row["removed"].as_array().unwrap() {
        if let Some(k) = r["rowKey"].as_str() {
            assert!(
                !k.starts_with("because:") || k.starts_with("because:hidden-"),
                "{k}"
            );
        }
    }
}
api_test!(previews_take_an_external_id_and_say_what_curation_left_out);
