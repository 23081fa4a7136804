//! Serving under load: every concurrent write is acknowledged and kept, a user's next read
//! reflects their write, and the per-user state kept in memory answers exactly as a fresh load
//! from the database would.
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use crate::api_test;
use crate::helpers::{demo_with_model, gid, TestApp};

const RECS: &str = "query($n: Int) { recommendations(first: $n) { edges { node { score source \
                    reason { kind text } movie { id } } } } }";
const RATE: &str = "mutation($m: ID!, $s: Float!) { rateMovie(input: {movieId: $m, score: $s}) { rating { score } } }";
const UNRATE: &str = "mutation($m: ID!) { removeRating(input: {movieId: $m}) { removed } }";
const EVENT: &str =
    "mutation($m: ID!, $k: EventKind!) { recordEvent(input: { movieId: $m, kind: $k }) { event { id } } }";

fn ok(r: &Value) {
    assert!(r["errors"].is_null(), "{r}");
}

/// (movie id, score, source, reason) of each recommended item.
fn answer(r: &Value) -> Vec<(String, String, String, String)> {
    ok(r);
    r["data"]["recommendations"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let n = &e["node"];
            (
                n["movie"]["id"].as_str().unwrap().to_owned(),
                format!("{:.9}", n["score"].as_f64().unwrap()),
                n["source"].as_str().unwrap().to_owned(),
                n["reason"]["text"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Movie ids of the catalogue, as the API encodes them.
async fn movie_ids(app: &TestApp, n: usize) -> Vec<String> {
    let r = app
        .graphql(
            "query($n: Int) { movies(first: $n, orderBy: POPULARITY) { edges { node { id } } } }",
            json!({ "n": n }),
            None,
        )
        .await;
    ok(&r);
    r["data"]["movies"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn thirty_two_concurrent_writers_are_all_acknowledged_and_kept(app: TestApp) {
    // Arrange: a catalogue, a model, and 32 users who each write several times at once.
    demo_with_model(&app).await;
    let movies = movie_ids(&app, 12).await;
    let users: Vec<String> = (0..32)
        .map(|i| app.user_token(&format!("w{i:02}")))
        .collect();
    let ratings_before = app.count("ratings").await;
    let events_before = app.count("events").await;

    // Act: every writer rates three movies, removes one rating, and records three events,
    // all 32 writers at the same time, each writer's steps in order.
    let writers = users.iter().enumerate().map(|(i, t)| {
        let movies = &movies;
        let app = &app;
        async move {
            let mut acks = 0;
            for k in 0..3 {
                let m = &movies[(i + k) % movies.len()];
                ok(&app
                    .graphql(RATE, json!({ "m": m, "s": 4.5 }), Some(t))
                    .await);
                acks += 1;
                ok(&app
                    .graphql(EVENT, json!({ "m": m, "k": "CLICK" }), Some(t))
                    .await);
                acks += 1;
            }
            let r = app
                .graphql(UNRATE, json!({ "m": movies[i % movies.len()] }), Some(t))
                .await;
            ok(&r);
            assert_eq!(r["data"]["removeRating"]["removed"], true);
            acks + 1
        }
    });
    let acks: usize = futures_util::future::join_all(writers)
        .await
        .into_iter()
        .sum();

    // Assert: every write acknowledged, every write kept, and each user's next read sees
    // their own writes (the two rated movies are never recommended to them).
    assert_eq!(acks, 32 * 7);
    assert_eq!(app.count("ratings").await, ratings_before + 32 * 2);
    assert_eq!(app.count("events").await, events_before + 32 * 3);
    for (i, t) in users.iter().enumerate() {
        let recs = answer(&app.graphql(RECS, json!({ "n": 50 }), Some(t)).await);
        for k in 1..3 {
            let rated = &movies[(i + k) % movies.len()];
            assert!(
                recs.iter().all(|(m, ..)| m != rated),
                "user w{i:02} was recommended a movie they just rated"
            );
        }
    }
}
api_test!(thirty_two_concurrent_writers_are_all_acknowledged_and_kept);

async fn the_cached_user_state_answers_as_a_fresh_load_would(app: TestApp) {
    // Arrange
    demo_with_model(&app).await;
    let movies = movie_ids(&app, 40).await;
    let external = "demo-0003";
    let t = app.user_token(external);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let (hits_before, _) = app.state.user_states.hit_counts();
    let (memo_hits_before, _) = app.state.ranked_memos.hit_counts();
    let (answer_hits_before, _) = app.state.ranked_memos.answer_hit_counts();

    // Act and assert: after each random change, the answer served from the cached state
    // equals the answer after the user is dropped from the cache and loaded afresh.
    let mut rated: Vec<String> = vec![];
    for step in 0..40 {
        let m = movies[rng.random_range(0..movies.len())].clone();
        let (what, r) = match rng.random_range(0..7) {
            0 | 1 => {
                let s = rng.random_range(1..=10) as f64 / 2.0;
                rated.push(m.clone());
                (
                    "rate",
                    app.graphql(RATE, json!({ "m": m, "s": s }), Some(&t)).await,
                )
            }
            2 if !rated.is_empty() => {
                let m = rated.swap_remove(rng.random_range(0..rated.len()));
                (
                    "unrate",
                    app.graphql(UNRATE, json!({ "m": m }), Some(&t)).await,
                )
            }
            3 => ("thumbs down", event(&app, &t, &m, "THUMBS_DOWN").await),
            4 => (
                "not interested",
                event(&app, &t, &m, "NOT_INTERESTED").await,
            ),
            5 => ("view complete", event(&app, &t, &m, "VIEW_COMPLETE").await),
            _ => {
                if step % 10 == 6 {
                    // A new model version, trained while the user's state stays cached.
                    app.state
                        .recommender
                        .train(&app.state.db, &marquee_core::recommender::no_progress)
                        .await
                        .unwrap();
                }
                ("click", event(&app, &t, &m, "CLICK").await)
            }
        };
        ok(&r);
        let cached = answer(&app.graphql(RECS, json!({ "n": 30 }), Some(&t)).await);
        // Asked again: the answer kept from the first request serves it.
        let again = answer(&app.graphql(RECS, json!({ "n": 30 }), Some(&t)).await);
        // Deeper: a new answer from the kept personal ranking.
        let deeper = answer(&app.graphql(RECS, json!({ "n": 31 }), Some(&t)).await);
        let user_id = user_id(&app, &t).await;
        app.state.user_states.forget(user_id);
        app.state.ranked_memos.forget(user_id);
        let fresh = answer(&app.graphql(RECS, json!({ "n": 30 }), Some(&t)).await);
        app.state.ranked_memos.forget(user_id);
        let fresh_deeper = answer(&app.graphql(RECS, json!({ "n": 31 }), Some(&t)).await);
        assert_eq!(
            cached, fresh,
            "step {step} ({what}): cached and fresh answers differ"
        );
        assert_eq!(
            again, fresh,
            "step {step} ({what}): the kept answer and a fresh one differ"
        );
        assert_eq!(
            deeper, fresh_deeper,
            "step {step} ({what}): an answer from the kept ranking and a fresh one differ"
        );
    }
    let (memo_hits_after, _) = app.state.ranked_memos.hit_counts();
    let (answer_hits_after, _) = app.state.ranked_memos.answer_hit_counts();
    assert!(
        memo_hits_after >= memo_hits_before + 40,
        "the deeper lists were not ranked from the kept ranking"
    );
    assert!(
        answer_hits_after >= answer_hits_before + 40,
        "the repeated requests were not answered from the kept answer"
    );
    let (hits_after, _) = app.state.user_states.hit_counts();
    // Every "cached" answer but the first (the user was not cached yet) came from the cache.
    assert!(
        hits_after >= hits_before + 39,
        "the cached answers were not served from the cache"
    );

    // A privacy deletion forgets the person's state: the same external id starts afresh, with
    // a new token.
    let old_id = user_id(&app, &t).await;
    let staff = app.staff_token("compliance").await;
    let r = app
        .graphql(
            "mutation($u: ID!) { requestDataDeletion(input: {userId: $u}) { deletionRequest { id } } }",
            json!({ "u": gid("User", old_id as i64) }),
            Some(&staff),
        )
        .await;
    ok(&r);
    let req = r["data"]["requestDataDeletion"]["deletionRequest"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for m in ["approveDeletionRequest", "completeDeletionRequest"] {
        let r = app
            .graphql(
                &format!("mutation($id: ID!) {{ {m}(input: {{id: $id}}) {{ deletionRequest {{ id }} }} }}"),
                json!({ "id": req }),
                Some(&staff),
            )
            .await;
        ok(&r);
    }
    // The old token does not bring the account back; a token issued after the erasure signs
    // the external id up as a new person (`iat` has one-second steps: wait past it).
    let r = app.graphql(RECS, json!({ "n": 30 }), Some(&t)).await;
    assert_eq!(
        crate::helpers::error_code(&r),
        Some("UNAUTHENTICATED"),
        "{r}"
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let t = app.user_token(external);
    let after = answer(&app.graphql(RECS, json!({ "n": 30 }), Some(&t)).await);
    let new_id = user_id(&app, &t).await;
    assert_ne!(new_id, old_id);
    app.state.user_states.forget(new_id);
    app.state.ranked_memos.forget(new_id);
    let fresh = answer(&app.graphql(RECS, json!({ "n": 30 }), Some(&t)).await);
    assert_eq!(after, fresh);
    assert!(after.iter().all(|(_, _, source, _)| source != "MODEL"));
}
api_test!(the_cached_user_state_answers_as_a_fresh_load_would);

async fn event(app: &TestApp, t: &str, m: &str, kind: &str) -> Value {
    app.graphql(EVENT, json!({ "m": m, "k": kind }), Some(t))
        .await
}

async fn user_id(app: &TestApp, t: &str) -> i32 {
    let r = app.graphql("{ me { id } }", json!({}), Some(t)).await;
    ok(&r);
    let id = r["data"]["me"]["id"].as_str().unwrap();
    use base64::Engine;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(id)
        .unwrap();
    String::from_utf8(raw)
        .unwrap()
        .strip_prefix("User:")
        .unwrap()
        .parse()
        .unwrap()
}

async fn a_kept_answer_ends_when_a_curation_schedule_starts(app: TestApp) {
    // Arrange: a pin that starts in three seconds.
    demo_with_model(&app).await;
    let t = app.user_token("demo-0004");
    let editor = app.staff_token("editor").await;
    let pinned = app
        .create_movie(&editor, "Pinned Soon", 2024, &["Drama"])
        .await;
    let starts = chrono::Utc::now() + chrono::Duration::seconds(3);
    let r = app
        .graphql(
            "mutation($i: CreatePlacementInput!) { createPlacement(input: $i) { placement { id } } }",
            json!({ "i": { "surface": { "kind": "RECOMMENDATIONS" }, "position": 1, "target": { "movieId": pinned },
                           "startsAt": starts.to_rfc3339() } }),
            Some(&editor),
        )
        .await;
    ok(&r);
    let first = |r: &Value| r["data"]["recommendations"]["edges"][0]["node"].clone();

    // Act and assert: before the start the answer (asked twice, so kept) has no pin ...
    for _ in 0..2 {
        let r = app.graphql(RECS, json!({ "n": 5 }), Some(&t)).await;
        ok(&r);
        assert_ne!(first(&r)["movie"]["id"], pinned.as_str(), "{r}");
    }
    assert!(
        chrono::Utc::now() < starts,
        "the requests before the pin's start took over three seconds"
    );
    // ... and once it has started, the same request shows it: the kept answer has ended.
    let wait = starts - chrono::Utc::now() + chrono::Duration::milliseconds(100);
    tokio::time::sleep(wait.to_std().unwrap()).await;
    let r = app.graphql(RECS, json!({ "n": 5 }), Some(&t)).await;
    ok(&r);
    assert_eq!(first(&r)["movie"]["id"], pinned.as_str(), "{r}");
    assert_eq!(first(&r)["source"], "PINNED", "{r}");
}
api_test!(a_kept_answer_ends_when_a_curation_schedule_starts);
