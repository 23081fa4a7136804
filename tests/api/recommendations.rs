//! Recommendations end to end: a demo catalogue, a trained model, explained answers that
//! change right after new feedback, and the filters that must always hold.
use std::sync::Arc;

use serde_json::{json, Value};

use crate::api_test;
use crate::helpers::{demo_with_model, error_code, TestApp};

const RECS: &str = "query($first: Int, $exclude: [ID!], $f: RecommendationFilterInput) {
  recommendations(first: $first, exclude: $exclude, filter: $f) {
    totalCount
    edges { node { score source recommendationId reason { kind text evidence { id title } } movie { id title year genres { name } } } }
  }
}";

fn items(r: &Value) -> Vec<Value> {
    r["data"]["recommendations"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{r}"))
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

async fn my_rated_movie_ids(app: &TestApp, token: &str) -> Vec<String> {
    let r = app
        .graphql(
            "{ me { ratings(first: 100) { edges { node { movie { id } } } } } }",
            json!({}),
            Some(token),
        )
        .await;
    r["data"]["me"]["ratings"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["movie"]["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn demo_users_get_explained_recommendations_without_movies_they_rated(app: TestApp) {
    demo_with_model(&app).await;
    let t = app.user_token("demo-0001");
    let r = app.graphql(RECS, json!({ "first": 20 }), Some(&t)).await;
    let recs = items(&r);
    assert_eq!(recs.len(), 20, "{r}");
    let rated = my_rated_movie_ids(&app, &t).await;
    assert!(!rated.is_empty());
    for item in &recs {
        assert!(
            !rated.contains(&item["movie"]["id"].as_str().unwrap().to_owned()),
            "recommended a rated movie: {item}"
        );
        assert!(!item["reason"]["text"].as_str().unwrap().is_empty());
        assert!(item["recommendationId"].as_str().unwrap().len() >= 32);
    }
    // Personal items name their evidence.
    let personal: Vec<&Value> = recs
        .iter()
        .filter(|i| i["source"] == "MODEL" || i["source"] == "CONTENT")
        .collect();
    assert!(!personal.is_empty(), "{r}");
    let with_evidence = personal
        .iter()
        .filter(|i| !i["reason"]["evidence"].as_array().unwrap().is_empty())
        .count();
    assert!(with_evidence > 0, "{r}");
    let scores: Vec<f64> = recs.iter().map(|i| i["score"].as_f64().unwrap()).collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "descending: {scores:?}"
    );
    // What was shown is recorded for attribution just after the answer is sent: one row for
    // the list, each item named by the list and its position.
    let mut logged = 0;
    for _ in 0..50 {
        logged = app.count("recommendation_lists").await;
        if logged == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(logged, 1);
    let ids: Vec<&str> = recs
        .iter()
        .map(|i| i["recommendationId"].as_str().unwrap())
        .collect();
    let list = ids[0].rsplit_once(':').unwrap().0;
    for (pos, id) in ids.iter().enumerate() {
        assert_eq!(*id, format!("{list}:{pos}"));
    }
}
api_test!(demo_users_get_explained_recommendations_without_movies_they_rated);

async fn a_new_rating_changes_the_next_answer(app: TestApp) {
    demo_with_model(&app).await;
    let t = app.user_token("demo-0002");
    let before = items(&app.graphql(RECS, json!({ "first": 10 }), Some(&t)).await);
    let top = before[0]["movie"]["id"].as_str().unwrap().to_owned();
    let r = app
        .graphql(
            "mutation($m: ID!) { rateMovie(input: {movieId: $m, score: 1}) { rating { score } } }",
            json!({ "m": top }),
            Some(&t),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    let after = items(&app.graphql(RECS, json!({ "first": 10 }), Some(&t)).await);
    assert!(
        after.iter().all(|i| i["movie"]["id"] != top.as_str()),
        "the rated movie is gone at once"
    );
    // The user's factors were re-solved: scores of movies on both lists moved.
    let score_of = |v: &Vec<Value>, id: &Value| {
        v.iter()
            .find(|i| &i["movie"]["id"] == id)
            .map(|i| i["score"].as_f64().unwrap())
    };
    let moved = before[1..]
        .iter()
        .filter_map(|b| {
            score_of(&after, &b["movie"]["id"])
                .map(|a| (a - b["score"].as_f64().unwrap()).abs() > 1e-6)
        })
        .filter(|m| *m)
        .count();
    assert!(moved > 0, "no score changed after the new rating");
    assert!(app.state.recommender.status().last_version_id.is_some());
}
api_test!(a_new_rating_changes_the_next_answer);

async fn unavailable_deleted_and_excluded_movies_never_appear(app: TestApp) {
    demo_with_model(&app).await;
    let t = app.user_token("demo-0003");
    let first = items(&app.graphql(RECS, json!({ "first": 6 }), Some(&t)).await);
    let ids: Vec<String> = first
        .iter()
        .map(|i| i["movie"]["id"].as_str().unwrap().to_owned())
        .collect();
    let editor = app.staff_token("editor").await;
    app.graphql(
        "mutation($id: ID!) { setMovieAvailability(input: {id: $id, available: false}) { movie { id } } }",
        json!({ "id": ids[0] }),
        Some(&editor),
    )
    .await;
    app.graphql(
        "mutation($id: ID!) { deleteMovie(input: {id: $id}) { deleted } }",
        json!({ "id": ids[1] }),
        Some(&editor),
    )
    .await;
    let r = app
        .graphql(RECS, json!({ "first": 100, "exclude": [ids[2]] }), Some(&t))
        .await;
    let shown: Vec<String> = items(&r)
        .iter()
        .map(|i| i["movie"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(shown.len(), 100);
    for gone in &ids[..3] {
        assert!(!shown.contains(gone), "{gone} must not appear");
    }
    assert!(shown.contains(&ids[3]));
}
api_test!(unavailable_deleted_and_excluded_movies_never_appear);

async fn filters_restrict_recommendations(app: TestApp) {
    demo_with_model(&app).await;
    let t = app.user_token("demo-0004");
    let r = app
        .graphql(
            RECS,
            json!({ "first": 15, "f": { "genres": ["Comedy"], "yearFrom": 1990, "yearTo": 2010 } }),
            Some(&t),
        )
        .await;
    let recs = items(&r);
    assert!(!recs.is_empty(), "{r}");
    for i in recs {
        let y = i["movie"]["year"].as_i64().unwrap();
        assert!((1990..=2010).contains(&y), "{i}");
        assert!(
            i["movie"]["genres"]
                .as_array()
                .unwrap()
                .iter()
                .any(|g| g["name"] == "Comedy"),
            "{i}"
        );
    }
    let r = app
        .graphql(
            RECS,
            json!({ "f": { "yearFrom": 2010, "yearTo": 1990 } }),
            Some(&t),
        )
        .await;
    assert_eq!(error_code(&r), Some("BAD_USER_INPUT"));
    let r = app
        .graphql(RECS, json!({ "exclude": ["not-an-id"] }), Some(&t))
        .await;
    assert_eq!(error_code(&r), Some("BAD_USER_INPUT"));
}
api_test!(filters_restrict_recommendations);

async fn without_consent_recommendations_are_not_personal(app: TestApp) {
    demo_with_model(&app).await;
    let t = app.user_token("demo-0005");
    let r = app.graphql("mutation { updateMyProfile(input: { personalizationConsent: false }) { user { personalizationConsent } } }", json!({}), Some(&t)).await;
    assert_eq!(
        r["data"]["updateMyProfile"]["user"]["personalizationConsent"],
        false
    );
    let recs = items(&app.graphql(RECS, json!({ "first": 20 }), Some(&t)).await);
    assert!(!recs.is_empty());
    for i in &recs {
        assert!(
            matches!(i["source"].as_str(), Some("POPULAR" | "TRENDING")),
            "{i}"
        );
        assert!(i["reason"]["evidence"].as_array().unwrap().is_empty());
    }
    // Their data is left out of the next training.
    app.state
        .recommender
        .train(&app.state.db, &marquee_core::recommender::no_progress)
        .await
        .unwrap();
    let user = marquee::db::repo::users::find_by_external_id(&app.state.db, "demo-0005")
        .await
        .unwrap()
        .unwrap();
    assert!(!app.state.recommender.knows_user(user.id));
}
api_test!(without_consent_recommendations_are_not_personal);

async fn a_new_user_gets_cold_start_recommendations(app: TestApp) {
    demo_with_model(&app).await;
    let t = app.user_token("brand-new");
    app.graphql(
        "mutation { updateMyProfile(input: { ageBand: AGE_25_34 }) { user { ageBand } } }",
        json!({}),
        Some(&t),
    )
    .await;
    let recs = items(&app.graphql(RECS, json!({ "first": 5 }), Some(&t)).await);
    assert_eq!(recs.len(), 5);
    assert_eq!(recs[0]["source"], "DEMOGRAPHIC", "{:?}", recs[0]);
    assert_eq!(recs[0]["reason"]["text"], "Popular with viewers aged 25–34");
}
api_test!(a_new_user_gets_cold_start_recommendations);

async fn staff_train_models_and_see_versions_while_users_cannot(app: TestApp) {
    marquee::db::seed::load_demo(&app.state.db, &app.state.settings.demo)
        .await
        .unwrap();
    let user = app.user_token("demo-0001");
    let r = app
        .graphql(
            "mutation { trainModels { trainingStatus { running } } }",
            json!({}),
            Some(&user),
        )
        .await;
    assert_eq!(error_code(&r), Some("FORBIDDEN"));
    let compliance = app.staff_token("compliance").await;
    let r = app
        .graphql("{ modelVersions { id } }", json!({}), Some(&compliance))
        .await;
    assert_eq!(error_code(&r), Some("FORBIDDEN"));

    let editor = app.staff_token("editor").await;
    let r = app
        .graphql(
            "mutation { trainModels { trainingStatus { running } } }",
            json!({}),
            Some(&editor),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    for _ in 0..600 {
        let s = app
            .graphql(
                "{ trainingStatus { running lastVersionId lastError } }",
                json!({}),
                Some(&editor),
            )
            .await;
        if s["data"]["trainingStatus"]["running"] == false
            && !s["data"]["trainingStatus"]["lastVersionId"].is_null()
        {
            break;
        }
        assert!(s["data"]["trainingStatus"]["lastError"].is_null(), "{s}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let r = app
        .graphql(
            "{ modelVersions { id algorithm active trainedAt timings } }",
            json!({}),
            Some(&editor),
        )
        .await;
    let versions = r["data"]["modelVersions"]
        .as_array()
        .unwrap_or_else(|| panic!("{r}"));
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0]["active"], true);
    assert!(versions[0]["timings"]["train_seconds"].as_f64().is_some());

    // Another start right away is refused with the wait, not queued.
    let r = app
        .graphql(
            "mutation { trainModels { trainingStatus { running } } }",
            json!({}),
            Some(&editor),
        )
        .await;
    assert_eq!(error_code(&r), Some("RATE_LIMITED"), "{r}");
    assert!(
        r["errors"][0]["extensions"]["retryAfterMs"]
            .as_u64()
            .unwrap()
            > 60_000
    );

    // A restarted server serves the stored model at once.
    let restarted = marquee::startup::build_state(app.state.settings.clone())
        .await
        .unwrap();
    assert!(restarted.recommender.active().is_some());
    let _: Arc<_> = restarted;
}
api_test!(staff_train_models_and_see_versions_while_users_cannot);

async fn similar_trending_and_popular_lists_answer(app: TestApp) {
    demo_with_model(&app).await;
    let r = app
        .graphql(
            "{ popular(first: 5) { score movie { id title } } }",
            json!({}),
            None,
        )
        .await;
    let popular = r["data"]["popular"]
        .as_array()
        .unwrap_or_else(|| panic!("{r}"));
    assert_eq!(popular.len(), 5);
    let id = popular[0]["movie"]["id"].as_str().unwrap();
    let r = app
        .graphql(
            "query($id: ID!) { similarMovies(movieId: $id, first: 5) { score movie { id } } }",
            json!({ "id": id }),
            None,
        )
        .await;
    let similar = r["data"]["similarMovies"]
        .as_array()
        .unwrap_or_else(|| panic!("{r}"));
    assert_eq!(similar.len(), 5);
    assert!(similar.iter().all(|s| s["movie"]["id"] != id));
    let r = app
        .graphql(
            "{ trending(first: 5, window: MONTH) { score movie { title } } }",
            json!({}),
            None,
        )
        .await;
    assert!(
        r["data"]["trending"]
            .as_array()
            .is_some_and(|t| !t.is_empty()),
        "{r}"
    );
    let r = app
        .graphql(
            "{ popular(first: 3, segment: { ageBand: AGE_65_PLUS }) { movie { title } } }",
            json!({}),
            None,
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    let r = app
        .graphql("{ popular(first: 1000) { score } }", json!({}), None)
        .await;
    assert_eq!(error_code(&r), Some("BAD_USER_INPUT"));
}
api_test!(similar_trending_and_popular_lists_answer);

async fn old_model_versions_keep_their_metrics_but_not_their_parameters(app: TestApp) {
    demo_with_model(&app).await;
    for _ in 0..3 {
        app.state
            .recommender
            .train(&app.state.db, &marquee_core::recommender::no_progress)
            .await
            .unwrap();
    }
    let versions = marquee::db::repo::training::versions(&app.state.db, 100)
        .await
        .unwrap();
    assert_eq!(versions.len(), 4);
    let with_blob = app.count_where("model_versions", "blob IS NOT NULL").await;
    // The active version and the two before it (`recommender.keep_previous_versions`).
    assert_eq!(with_blob, 3);
}
api_test!(old_model_versions_keep_their_metrics_but_not_their_parameters);

/// With `[recommender.tuning]` on, a training searches the ranking blend's hyperparameters
/// first, serves the winner and records the search in the model version.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tuned_training_serves_and_records_the_blend_its_search_chose() {
    let app = crate::helpers::spawn_app_with(crate::helpers::Backend::Sqlite, |s| {
        s.recommender.tuning.enabled = true;
        s.recommender.tuning.budget_seconds = 20.0;
        s.recommender.tuning.rounds = 1;
        s.recommender.evaluate_after_training = true;
    })
    .await
    .expect("sqlite app");
    demo_with_model(&app).await;
    let editor = app.staff_token("editor").await;
    let r = app
        .graphql(
            "{ modelVersions { active params metrics } }",
            json!({}),
            Some(&editor),
        )
        .await;
    let v = &r["data"]["modelVersions"][0];
    assert_eq!(v["active"], true, "{r}");
    let tuning = &v["metrics"]["tuning"];
    assert_eq!(tuning["winner"], "hybrid_rank", "{tuning}");
    assert_eq!(tuning["metric"], "ndcg@10");
    let score = tuning["validation_score"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&score), "{score}");
    assert!(
        tuning["seconds"].as_f64().unwrap() <= 20.0 + 30.0,
        "{tuning}"
    );
    // Every component of the served blend was searched before the blend.
    let models = tuning["models"].as_array().unwrap();
    let served = &v["params"]["ranking"];
    let components: Vec<&Value> = served["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["name"])
        .collect();
    let searched: Vec<&Value> = models.iter().map(|m| &m["name"]).collect();
    assert_eq!(searched[..components.len()], components[..]);
    // The served blend is the tuned one.
    assert_eq!(&models.last().unwrap()["params"], served);
    // The offline check ran beside it.
    let check = &v["metrics"]["models"][0];
    assert_eq!(check["name"], "hybrid_rank", "{v}");
    assert!(check["ndcg@10"].as_f64().is_some(), "{v}");
}
