//! Several replicas on one PostgreSQL database: each follows the others' writes within a
//! second (ratings, pins, erasures, model versions), says what it serves, never goes back to an
//! older model, and one training runs at a time across replicas and `marquee train`, handed
//! over when the process that held it dies.
//!
//! Replicas here are full applications (their own pools, caches, live model, change listener
//! and replica id) in the test process, so their memory can be inspected; the hand-over test
//! kills a real `marquee train` process.
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{demo_with_model, error_code, settings_for, spawn_replica, Backend, TestApp};

const RECS: &str = "{ recommendations(first: 10) { edges { node { movie { id } } } } }";
pub(crate) const WITHIN: Duration = Duration::from_secs(1);

fn movie_ids(r: &Value) -> Vec<String> {
    r["data"]["recommendations"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{r}"))
        .iter()
        .map(|e| e["node"]["movie"]["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Polls `check` until it holds or `limit` passes; returns how long it took.
pub(crate) async fn within<F, Fut>(limit: Duration, what: &str, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let t = Instant::now();
    loop {
        if check().await {
            return t.elapsed();
        }
        assert!(t.elapsed() < limit, "{what}: not seen within {limit:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A rating through `a` is left out of `b`'s next answer within a second; returns the movie.
pub(crate) async fn a_rating_reaches(a: &TestApp, b: &TestApp, user: &str) -> String {
    let before = movie_ids(&b.graphql(RECS, json!({}), Some(user)).await);
    let rated = before[0].clone();
    let r = a
        .graphql(
            "mutation($m: ID!) { rateMovie(input: {movieId: $m, score: 4.5}) { rating { score } } }",
            json!({ "m": rated }),
            Some(user),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    let t = within(WITHIN, "B excludes the movie rated on A", || async {
        !movie_ids(&b.graphql(RECS, json!({}), Some(user)).await).contains(&rated)
    })
    .await;
    eprintln!("rating followed in {t:?}");
    rated
}

/// A pin made through `a` (on a movie not on the user's list, not `rated`) is first on `b`'s
/// list within a second.
pub(crate) async fn a_pin_reaches(a: &TestApp, b: &TestApp, user: &str, rated: &str) {
    let editor = a.staff_token("editor").await;
    let now = movie_ids(&b.graphql(RECS, json!({}), Some(user)).await);
    let catalogue = a
        .graphql(
            "{ movies(first: 60) { nodes { id } } }",
            json!({}),
            Some(user),
        )
        .await;
    let pinned = catalogue["data"]["movies"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .find(|m| !now.contains(m) && *m != rated)
        .unwrap();
    let r = a
        .graphql(
            "mutation($i: CreatePlacementInput!) { createPlacement(input: $i) { placement { id } } }",
            json!({ "i": { "surface": { "kind": "RECOMMENDATIONS" }, "position": 1, "target": { "movieId": pinned } } }),
            Some(&editor),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    let t = within(WITHIN, "B shows the pin made on A", || async {
        movie_ids(&b.graphql(RECS, json!({}), Some(user)).await).first() == Some(&pinned)
    })
    .await;
    eprintln!("pin followed in {t:?}");
}

fn served(app: &TestApp) -> Option<i32> {
    app.state.recommender.active().map(|a| a.version_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_follow_each_other_within_a_second() {
    let Some((settings, _)) = settings_for(Backend::Postgres).await else {
        return;
    };
    let a = spawn_replica(settings.clone()).await;
    let b = spawn_replica(settings.clone()).await;
    assert_ne!(a.state.replica.id, b.state.replica.id);

    // A model trained on A: B serves it within a second and says so.
    demo_with_model(&a).await;
    let v1 = served(&a).unwrap();
    let t = within(WITHIN, "B loads A's model", || async {
        served(&b) == Some(v1)
    })
    .await;
    eprintln!("model version followed in {t:?}");
    let ready: Value = b.get("/readyz").await.json().await.unwrap();
    assert_eq!(ready["model"]["version"], v1, "{ready}");
    assert_eq!(ready["replica"], b.state.replica.id.as_str());
    let admin = a.admin_token().await;
    let st = b
        .graphql(
            "{ trainingStatus { servedVersionId servedSince replicaId } }",
            json!({}),
            Some(&admin),
        )
        .await;
    assert_eq!(
        st["data"]["trainingStatus"]["replicaId"],
        b.state.replica.id.as_str(),
        "{st}"
    );
    assert!(
        st["data"]["trainingStatus"]["servedSince"].is_string(),
        "{st}"
    );

    // A rating on A: B's answer drops the rated movie (B had the user's state cached); a pin
    // made on A shows first on B.
    let user = a.user_token("demo-0003");
    let rated = a_rating_reaches(&a, &b, &user).await;
    a_pin_reaches(&a, &b, &user, &rated).await;

    // A deletion completed on A: gone from B's caches, answers and live model.
    let gone = "demo-0007";
    let gone_token = a.user_token(gone);
    assert!(error_code(&b.graphql(RECS, json!({}), Some(&gone_token)).await).is_none());
    let uid = marquee::db::repo::users::find_by_external_id(&a.state.db, gone)
        .await
        .unwrap()
        .unwrap()
        .id as i64;
    let holds = |app: &TestApp| {
        app.state
            .recommender
            .active()
            .is_some_and(|x| x.snapshot.holds_user(uid))
    };
    assert!(holds(&b), "the demo user is in the model before");
    crate::privacy::erase_through_the_api(&a, gone).await;
    let t = within(WITHIN, "B forgets the person erased on A", || async {
        !holds(&b)
            && error_code(&b.graphql(RECS, json!({}), Some(&gone_token)).await)
                == Some("UNAUTHENTICATED")
    })
    .await;
    eprintln!("erasure followed in {t:?}");

    // A model trained on B: A follows, and a replica started later serves it at once.
    b.state
        .recommender
        .train(&b.state.db, &marquee_core::recommender::no_progress)
        .await
        .unwrap();
    let v2 = served(&b).unwrap();
    assert!(v2 > v1);
    within(WITHIN, "A loads B's model", || async {
        served(&a) == Some(v2)
    })
    .await;
    let c = spawn_replica(settings.clone()).await;
    assert_eq!(served(&c), Some(v2));
    // The person erased before v2 was trained is in none of them.
    assert!(!holds(&a) && !holds(&b) && !holds(&c));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_training_at_a_time_across_replicas() {
    let Some((settings, _)) = settings_for(Backend::Postgres).await else {
        return;
    };
    let a = spawn_replica(settings.clone()).await;
    let b = spawn_replica(settings).await;
    demo_with_model(&a).await;
    let v1 = served(&a).unwrap();
    // While another process holds the training lease, a training is refused as a conflict.
    let lease = marquee::db::notify::try_training_lease(&a.state.db)
        .await
        .unwrap()
        .expect("the lease is free");
    assert!(marquee::db::notify::try_training_lease(&b.state.db)
        .await
        .unwrap()
        .is_none());
    let err = b
        .state
        .recommender
        .train(&b.state.db, &marquee_core::recommender::no_progress)
        .await
        .unwrap_err();
    assert!(
        matches!(err, marquee::app::model::EngineError::BusyElsewhere),
        "{err}"
    );
    let admin = b.admin_token().await;
    let r = b
        .graphql(
            "mutation { trainModels { trainingStatus { running } } }",
            json!({}),
            Some(&admin),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let st = b
        .graphql(
            "{ trainingStatus { running lastError } }",
            json!({}),
            Some(&admin),
        )
        .await;
    assert!(
        st["data"]["trainingStatus"]["lastError"]
            .as_str()
            .is_some_and(|e| e.contains("another process")),
        "{st}"
    );
    lease.release().await;
    b.state
        .recommender
        .train(&b.state.db, &marquee_core::recommender::no_progress)
        .await
        .unwrap();
    assert!(served(&b).unwrap() > v1);
}

/// `marquee train` killed while it holds the lease: the lease is free again at once and nothing
/// it was writing is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_training_hands_the_lease_over() {
    let Some((settings, _)) = settings_for(Backend::Postgres).await else {
        return;
    };
    let data = crate::helpers::dataset("ml-100k");
    let a = spawn_replica(settings.clone()).await;
    marquee::db::import::import_movielens(&a.state.db, &data, "ml-100k", None)
        .await
        .unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_marquee"))
        .args(["--database-url", &settings.database.url, "train"])
        .env("MARQUEE_ENV", "test")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the child holds the lease, then kill it mid-training.
    let t = Instant::now();
    loop {
        if marquee::db::notify::training_lease_taken(&a.state.db)
            .await
            .unwrap()
        {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "`marquee train` ended before it was seen training"
        );
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "the child never took the lease"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let t = within(
        Duration::from_secs(5),
        "the lease is free after the kill",
        || async {
            match marquee::db::notify::try_training_lease(&a.state.db)
                .await
                .unwrap()
            {
                Some(l) => {
                    l.release().await;
                    true
                }
                None => false,
            }
        },
    )
    .await;
    eprintln!("lease free {t:?} after the kill");
    assert_eq!(
        a.count("model_versions").await,
        0,
        "the killed training stored nothing"
    );
    a.state
        .recommender
        .train(&a.state.db, &marquee_core::recommender::no_progress)
        .await
        .unwrap();
    assert_eq!(a.count("model_versions").await, 1);
}
