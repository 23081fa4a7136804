//! Experiments end to end: defined, started, served to the users they claim (sticky, each
//! variant's configuration applied), attributed and read back, stopped and shipped.
use std::collections::HashMap;

use serde_json::{json, Value};

use crate::api_test;
use crate::helpers::{demo_with_model, error_code, TestApp};
use crate::simulator::{Plan, Server};

const CREATE: &str = "mutation($i: CreateExperimentInput!) {
  createExperiment(input: $i) { experiment { id status trafficFrom trafficTo variants { name share curation } } }
}";
const START: &str =
    "mutation($id: ID!) { startExperiment(input: {id: $id}) { experiment { status startedAt } } }";
const RECS: &str = "query {
  recommendations(first: 10) {
    edges { node { source recommendationId variants { experimentId variant } movie { id } } }
  }
}";
const RESULTS: &str = "query($id: ID!) {
  experiment(id: $id) {
    status stopReason shippedVariant
    results {
      sampleRatio { chiSquare pValue mismatch }
      variants {
        name users lists coverage breachedGuardrails
        metrics { metric value stdErr low high vsControl { difference pValue significant } }
      }
    }
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

async fn create(app: &TestApp, token: &str, input: Value) -> Value {
    app.graphql(CREATE, json!({ "i": input }), Some(token))
        .await
}

fn two_variants(name: &str) -> Value {
    json!({
        "name": name,
        "surface": "RECOMMENDATIONS",
        "primaryMetric": "CLICK_THROUGH",
        "variants": [
            { "name": "control", "share": 0.5 },
            { "name": "no-curation", "share": 0.5, "curation": false }
        ]
    })
}

fn metric<'a>(variant: &'a Value, name: &str) -> &'a Value {
    variant["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == name)
        .unwrap_or_else(|| panic!("no {name} in {variant}"))
}

async fn an_experiment_serves_its_variants_and_reports_what_they_earned(app: TestApp) {
    demo_with_model(&app).await;
    let editor = app.staff_token("editor").await;
    // An editor's pin at the top of the list: the control shows it, "no-curation" does not.
    let pinned = app
        .create_movie(&editor, "Pinned Picture", 2024, &["Drama"])
        .await;
    let r = app
        .graphql(
            "mutation($i: CreatePlacementInput!) { createPlacement(input: $i) { placement { id } } }",
            json!({ "i": { "surface": { "kind": "RECOMMENDATIONS" }, "position": 1, "target": { "movieId": pinned } } }),
            Some(&editor),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");

    let r = create(&app, &editor, two_variants("Pins on the list")).await;
    let exp = &r["data"]["createExperiment"]["experiment"];
    assert_eq!(exp["status"], "DRAFT", "{r}");
    assert_eq!(
        (exp["trafficFrom"].as_f64(), exp["trafficTo"].as_f64()),
        (Some(0.0), Some(1.0))
    );
    let id = exp["id"].as_str().unwrap().to_owned();
    // A draft serves nothing and has no results.
    let t = app.user_token("demo-0001");
    let before = items(&app.graphql(RECS, json!({}), Some(&t)).await);
    assert!(
        before.iter().all(|i| i["variants"] == json!([])),
        "{before:?}"
    );
    let r = app
        .graphql(RESULTS, json!({ "id": id }), Some(&editor))
        .await;
    assert!(r["data"]["experiment"]["results"].is_null(), "{r}");

    let r = app.graphql(START, json!({ "id": id }), Some(&editor)).await;
    assert_eq!(
        r["data"]["startExperiment"]["experiment"]["status"], "RUNNING",
        "{r}"
    );

    // 30 users, each asking twice: the same variant both times; the control sees the pin,
    // "no-curation" never does. Users in the treatment click their first item.
    let mut variant_of: HashMap<String, String> = HashMap::new();
    let mut clicked = 0;
    let mut shown: HashMap<&str, u64> = HashMap::new();
    for n in 1..=30 {
        let t = app.user_token(&format!("demo-{n:04}"));
        let first = items(&app.graphql(RECS, json!({}), Some(&t)).await);
        let again = items(&app.graphql(RECS, json!({}), Some(&t)).await);
        assert_eq!(first.len(), 10);
        let v = first[0]["variants"][0]["variant"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(first[0]["variants"][0]["experimentId"], id.as_str());
        for i in first.iter().chain(&again) {
            assert_eq!(i["variants"][0]["variant"], v.as_str(), "sticky: {i}");
        }
        let pins = first.iter().filter(|i| i["source"] == "PINNED").count();
        if v == "control" {
            assert_eq!(first[0]["movie"]["id"], pinned.as_str(), "{first:?}");
            *shown.entry("control").or_default() += 10;
        } else {
            assert_eq!(pins, 0, "{first:?}");
            *shown.entry("no-curation").or_default() += 10;
            let r = app
                .graphql(
                    "mutation($i: RecordEventInput!) { recordEvent(input: $i) { event { kind } } }",
                    json!({ "i": { "movieId": first[0]["movie"]["id"], "kind": "CLICK",
                                   "recommendationId": first[0]["recommendationId"] } }),
                    Some(&t),
                )
                .await;
            assert!(r["errors"].is_null(), "{r}");
            clicked += 1;
        }
        variant_of.insert(format!("demo-{n:04}"), v);
    }
    let treated = variant_of.values().filter(|v| *v == "no-curation").count();
    assert!(
        treated > 0 && treated < 30,
        "both variants get users: {treated}"
    );
    app.state.impressions.flush().await;
    assert_eq!(
        app.count("recommendation_list_experiments").await,
        60,
        "one exposure per list served"
    );

    // Results by hand: every user saw 10 distinct movies (twice the same list); treated users
    // clicked 1 of them, control users none.
    let r = app
        .graphql(RESULTS, json!({ "id": id }), Some(&editor))
        .await;
    let res = &r["data"]["experiment"]["results"];
    let variants = res["variants"].as_array().unwrap_or_else(|| panic!("{r}"));
    assert_eq!(variants[0]["name"], "control");
    assert_eq!(variants[0]["users"], 30 - treated as i64);
    assert_eq!(variants[1]["users"], treated as i64);
    assert_eq!(variants[1]["lists"], 2 * treated as i64);
    let ctr_t = metric(&variants[1], "CLICK_THROUGH");
    assert!(
        (ctr_t["value"].as_f64().unwrap() - clicked as f64 / shown["no-curation"] as f64).abs()
            < 1e-12
    );
    assert_eq!(
        ctr_t["stdErr"].as_f64(),
        Some(0.0),
        "every treated user clicked 1 of 10"
    );
    let ctr_c = metric(&variants[0], "CLICK_THROUGH");
    assert_eq!(ctr_c["value"].as_f64(), Some(0.0));
    assert!(ctr_c["vsControl"].is_null());
    assert!((ctr_t["vsControl"]["difference"].as_f64().unwrap() - 0.1).abs() < 1e-12);
    assert!(metric(&variants[0], "MEAN_RATING")["value"].is_null());
    let srm = &res["sampleRatio"];
    assert!(srm["pValue"].as_f64().unwrap() > 0.0, "{srm}");

    // Over time: cumulative points ending now, the last one the results above.
    let r = app
        .graphql(
            "query($id: ID!) { experiment(id: $id) { startedAt results { overTime {
               at variants { name users metrics { metric value } } } } } }",
            json!({ "id": id }),
            Some(&editor),
        )
        .await;
    let points = r["data"]["experiment"]["results"]["overTime"]
        .as_array()
        .unwrap_or_else(|| panic!("{r}"));
    assert!((1..=31).contains(&points.len()), "{r}");
    let times: Vec<chrono::DateTime<chrono::Utc>> = points
        .iter()
        .map(|p| p["at"].as_str().unwrap().parse().unwrap())
        .collect();
    let started: chrono::DateTime<chrono::Utc> = r["data"]["experiment"]["startedAt"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(times.windows(2).all(|w| w[0] < w[1]), "{times:?}");
    assert!(times[0] > started);
    let last = &points[points.len() - 1]["variants"];
    assert_eq!(last[0]["users"], variants[0]["users"]);
    assert_eq!(last[1]["users"], variants[1]["users"]);
    assert_eq!(
        metric(&last[1], "CLICK_THROUGH")["value"],
        ctr_t["value"],
        "{r}"
    );

    // A user without personalisation consent is in no experiment.
    let t = app.user_token("demo-0031");
    let r = app
        .graphql(
            "mutation { updateMyProfile(input: { personalizationConsent: false }) { user { id } } }",
            json!({}),
            Some(&t),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    let mine = items(&app.graphql(RECS, json!({}), Some(&t)).await);
    assert!(mine.iter().all(|i| i["variants"] == json!([])), "{mine:?}");

    // A variant without curation cannot be shipped as a setting.
    let r = app
        .graphql(
            "mutation($id: ID!) { shipVariant(input: {experimentId: $id, variant: \"no-curation\"}) { experiment { status } } }",
            json!({ "id": id }),
            Some(&editor),
        )
        .await;
    assert_eq!(error_code(&r), Some("BAD_USER_INPUT"), "{r}");

    // A stop reason longer than 500 characters is refused, and the experiment keeps running.
    let r = app
        .graphql(
            "mutation($id: ID!, $r: String) { stopExperiment(input: {id: $id, reason: $r}) { experiment { status } } }",
            json!({ "id": id, "r": "x".repeat(501) }),
            Some(&editor),
        )
        .await;
    assert_eq!(error_code(&r), Some("BAD_USER_INPUT"), "{r}");
    let r = app
        .graphql(RESULTS, json!({ "id": id }), Some(&editor))
        .await;
    assert_eq!(r["data"]["experiment"]["status"], "RUNNING", "{r}");

    // Stopped: everyone gets the default again, with the pin.
    let r = app
        .graphql(
            "mutation($id: ID!) { stopExperiment(input: {id: $id, reason: \"enough data\"}) { experiment { status stopReason stoppedAt } } }",
            json!({ "id": id }),
            Some(&editor),
        )
        .await;
    assert_eq!(
        r["data"]["stopExperiment"]["experiment"]["status"], "STOPPED",
        "{r}"
    );
    assert_eq!(
        r["data"]["stopExperiment"]["experiment"]["stopReason"],
        "enough data"
    );
    let treated_user = variant_of
        .iter()
        .find(|(_, v)| *v == "no-curation")
        .unwrap()
        .0;
    let after = items(
        &app.graphql(RECS, json!({}), Some(&app.user_token(treated_user)))
            .await,
    );
    assert!(
        after.iter().all(|i| i["variants"] == json!([])),
        "{after:?}"
    );
    assert_eq!(after[0]["movie"]["id"], pinned.as_str(), "{after:?}");
    assert_eq!(
        app.count_where("audit_log", "action LIKE 'experiment.%'")
            .await,
        3,
        "create, start, stop"
    );
}
api_test!(an_experiment_serves_its_variants_and_reports_what_they_earned);

async fn experiments_are_validated_kept_apart_and_shipped(app: TestApp) {
    let editor = app.staff_token("editor").await;
    // Bad definitions: each refused with the reason.
    let mut bad = vec![];
    let mut shares = two_variants("x");
    shares["variants"][1]["share"] = json!(0.6);
    bad.push((shares, "add up to"));
    let mut one = two_variants("x");
    one["variants"] = json!([{ "name": "only", "share": 1.0 }]);
    bad.push((one, "2 to 5 variants"));
    let mut twins = two_variants("x");
    twins["variants"][1]["name"] = json!("control");
    bad.push((twins, "two variants are named"));
    let mut empty = two_variants("x");
    empty["trafficFrom"] = json!(0.5);
    empty["trafficTo"] = json!(0.5);
    bad.push((empty, "traffic"));
    let mut window = two_variants("x");
    window["attributionWindowHours"] = json!(0);
    bad.push((window, "attribution window"));
    let mut guard = two_variants("x");
    guard["guardrails"] = json!([{ "metric": "NOT_INTERESTED", "tolerance": 2.0 }]);
    bad.push((guard, "tolerance"));
    let mut diversity = two_variants("x");
    diversity["variants"][1]["diversity"] = json!({ "mmrLambda": 3.0 });
    bad.push((diversity, "no-curation"));
    let mut past = two_variants("x");
    past["endsAt"] = json!("2020-01-01T00:00:00Z");
    bad.push((past, "endsAt"));
    let mut pool = two_variants("x");
    pool["variants"][1]["candidatePool"] = json!(10);
    bad.push((pool, "candidatePool must be between 20 and 5000"));
    let mut factor = two_variants("x");
    factor["variants"][1]["blendWeights"] = json!([{ "component": "als", "factor": 11.0 }]);
    bad.push((factor, "blend factor"));
    for (input, why) in bad {
        let r = create(&app, &editor, input.clone()).await;
        assert_eq!(error_code(&r), Some("BAD_USER_INPUT"), "{input}: {r}");
        let msg = r["errors"][0]["message"].as_str().unwrap();
        assert!(msg.contains(why), "{input}: {msg}");
    }
    assert_eq!(app.count("experiments").await, 0, "nothing half-written");

    // Roles: compliance staff and end users cannot see or change experiments.
    let compliance = app.staff_token("compliance").await;
    let r = create(&app, &compliance, two_variants("x")).await;
    assert_eq!(error_code(&r), Some("FORBIDDEN"), "{r}");
    let r = app
        .graphql(
            "{ experiments { id } }",
            json!({}),
            Some(&app.user_token("u1")),
        )
        .await;
    assert_eq!(error_code(&r), Some("FORBIDDEN"), "{r}");

    // Two experiments on one surface may run together only on disjoint traffic, or when one
    // is orthogonal.
    let id_of = |r: &Value| {
        r["data"]["createExperiment"]["experiment"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{r}"))
            .to_owned()
    };
    let mut half = two_variants("first half");
    half["trafficTo"] = json!(0.5);
    let a = id_of(&create(&app, &editor, half).await);
    let b = id_of(&create(&app, &editor, two_variants("everyone")).await);
    let mut rest = two_variants("second half");
    rest["trafficFrom"] = json!(0.5);
    let c = id_of(&create(&app, &editor, rest).await);
    let mut side = two_variants("orthogonal");
    side["orthogonal"] = json!(true);
    let d = id_of(&create(&app, &editor, side).await);
    let start = |id: String| {
        let app = &app;
        let editor = editor.clone();
        async move { app.graphql(START, json!({ "id": id }), Some(&editor)).await }
    };
    assert!(start(a.clone()).await["errors"].is_null());
    let r = start(a.clone()).await;
    assert_eq!(error_code(&r), Some("CONFLICT"), "running already: {r}");
    let r = start(b).await;
    assert_eq!(
        error_code(&r),
        Some("CONFLICT"),
        "overlaps the first half: {r}"
    );
    assert!(r["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("first half"));
    assert!(start(c).await["errors"].is_null(), "disjoint");
    assert!(start(d).await["errors"].is_null(), "orthogonal");
    let r = app
        .graphql(
            "{ experiments(status: RUNNING) { name } }",
            json!({}),
            Some(&editor),
        )
        .await;
    assert_eq!(r["data"]["experiments"].as_array().unwrap().len(), 3, "{r}");

    // Shipping a diversity variant makes its settings the surface's, stops the experiment
    // and records the winner, in one audited change.
    let mut div = two_variants("genre cap");
    div["surface"] = json!("HOME");
    div["variants"][1] = json!({ "name": "capped", "share": 0.5,
                                 "diversity": { "maxPerGenre": 3, "mmrLambda": 0.7 } });
    let e = id_of(&create(&app, &editor, div).await);
    let ship = "mutation($id: ID!, $v: String!) { shipVariant(input: {experimentId: $id, variant: $v}) { experiment { status shippedVariant stopReason } } }";
    let r = app
        .graphql(ship, json!({ "id": e, "v": "capped" }), Some(&editor))
        .await;
    assert_eq!(error_code(&r), Some("CONFLICT"), "a draft: {r}");
    assert!(start(e.clone()).await["errors"].is_null());
    let r = app
        .graphql(ship, json!({ "id": e, "v": "nobody" }), Some(&editor))
        .await;
    assert_eq!(error_code(&r), Some("BAD_USER_INPUT"), "{r}");
    let r = app
        .graphql(ship, json!({ "id": e, "v": "capped" }), Some(&editor))
        .await;
    let shipped = &r["data"]["shipVariant"]["experiment"];
    assert_eq!(shipped["status"], "STOPPED", "{r}");
    assert_eq!(shipped["shippedVariant"], "capped");
    assert_eq!(shipped["stopReason"], "shipped variant capped");
    let r = app
        .graphql(
            "{ diversitySettings { surface { kind genre } maxPerGenre mmrLambda } }",
            json!({}),
            Some(&editor),
        )
        .await;
    assert_eq!(
        r["data"]["diversitySettings"],
        json!([{ "surface": { "kind": "HOME", "genre": null }, "maxPerGenre": 3, "mmrLambda": 0.7 }]),
        "{r}"
    );
    let r = app
        .graphql(ship, json!({ "id": e, "v": "control" }), Some(&editor))
        .await;
    assert_eq!(error_code(&r), Some("CONFLICT"), "shipped once: {r}");
    assert_eq!(
        app.count_where("audit_log", "action = 'experiment.ship'")
            .await,
        1
    );

    // An experiment past its end is stopped by the periodic check, as "ended".
    let mut brief = two_variants("brief");
    brief["surface"] = json!("HOME");
    brief["trafficFrom"] = json!(0.9);
    brief["endsAt"] = json!((chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339());
    let f = id_of(&create(&app, &editor, brief).await);
    assert!(start(f.clone()).await["errors"].is_null());
    tokio::time::sleep(std::time::Duration::from_millis(2_500)).await;
    let stopped = marquee::app::experiments::enforce(&app.state)
        .await
        .unwrap();
    assert_eq!(stopped.len(), 1, "{stopped:?}");
    assert_eq!(stopped[0].1, "ended");
    let r = app
        .graphql(RESULTS, json!({ "id": f }), Some(&editor))
        .await;
    assert_eq!(r["data"]["experiment"]["status"], "STOPPED", "{r}");
    assert_eq!(r["data"]["experiment"]["stopReason"], "ended");
}
api_test!(experiments_are_validated_kept_apart_and_shipped);

/// The simulator plants an effect (treatment users click 20 % more often) and the
/// experiment's results find it, with the right sign and p < 0.05. The A/A false-positive
/// rate over many seeds is a benchmark (`cargo bench --bench experiments`), not a test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulator_s_planted_effect_is_found_with_the_right_sign() {
    let app = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite)
        .await
        .expect("sqlite app");
    demo_with_model(&app).await;
    let editor = app.staff_token("editor").await;
    let client = reqwest::Client::new();
    let issue = |id: &str| app.user_token(id);
    let server = Server {
        client: &client,
        base_url: &app.address,
        user_token: &issue,
        editor: &editor,
    };
    let id = server.start_experiment("planted", &["A", "B"]).await;
    let plan = Plan {
        users: 1000,
        prefix: "sim-".into(),
        items: 20,
        click_rate: vec![("B".into(), 0.24)],
        base: 0.2,
        seed: 7,
    };
    let planted = server.run(&plan).await;
    let assigned: u64 = planted.users.iter().map(|(_, n)| n).sum();
    assert_eq!(
        assigned, 1000,
        "every simulated user is in the experiment: {planted:?}"
    );
    app.state.impressions.flush().await;
    let (difference, p, srm) = server.click_through(&id, "B").await;
    // Planted: 0.24 − 0.20 = 0.04 per shown item.
    assert!(difference > 0.0, "{planted:?}: {difference}");
    assert!(p < 0.05, "{planted:?}: p = {p}");
    eprintln!("{planted:?}: difference {difference:.4}, p = {p:.2e}");
    assert!(srm > 0.001, "no sample-ratio mismatch: {srm}");
    server.stop_experiment(&id).await;
}

async fn editorial_performance_counts_what_pins_collections_and_boosts_earned(app: TestApp) {
    demo_with_model(&app).await;
    let editor = app.staff_token("editor").await;
    let gql = |q: &'static str, v: Value| {
        let app = &app;
        let editor = editor.clone();
        async move {
            let r = app.graphql(q, v, Some(&editor)).await;
            assert!(r["errors"].is_null(), "{r}");
            r
        }
    };
    // A pinned movie at the top of the list, a boost for dramas, and a three-movie collection
    // pinned as the home feed's first row.
    let pinned = app
        .create_movie(&editor, "Pinned Picture", 2024, &["Drama"])
        .await;
    let r = gql(
        "mutation($i: CreatePlacementInput!) { createPlacement(input: $i) { placement { id } } }",
        json!({ "i": { "surface": { "kind": "RECOMMENDATIONS" }, "position": 1, "target": { "movieId": pinned } } }),
    )
    .await;
    let pin_id = r["data"]["createPlacement"]["placement"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = gql(
        "mutation($i: CreateRuleInput!) { createRule(input: $i) { rule { id } } }",
        json!({ "i": { "kind": "BOOST", "target": { "genre": "Drama" }, "multiplier": 3.0, "surface": { "kind": "RECOMMENDATIONS" } } }),
    )
    .await;
    let rule_id = r["data"]["createRule"]["rule"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut movies = vec![];
    for title in ["Row One", "Row Two", "Row Three"] {
        movies.push(app.create_movie(&editor, title, 2020, &["Comedy"]).await);
    }
    let r = gql(
        "mutation($i: CreateCollectionInput!) { createCollection(input: $i) { collection { id } } }",
        json!({ "i": { "slug": "row-test", "title": "Row test", "movieIds": movies } }),
    )
    .await;
    let coll = r["data"]["createCollection"]["collection"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    gql(
        "mutation($id: ID!) { publishCollection(input: {id: $id}) { collection { id } } }",
        json!({ "id": coll }),
    )
    .await;
    gql(
        "mutation($i: CreatePlacementInput!) { createPlacement(input: $i) { placement { id } } }",
        json!({ "i": { "surface": { "kind": "HOME" }, "position": 1, "target": { "collectionId": coll } } }),
    )
    .await;

    // One user's list: clicks and finishes the pinned movie; another's feed: clicks one movie
    // of the collection's row.
    let t1 = app.user_token("demo-0001");
    let list = items(&app.graphql(RECS, json!({}), Some(&t1)).await);
    assert_eq!(list[0]["source"], "PINNED", "{list:?}");
    let boosted = list.iter().filter(|i| i["source"] == "BOOSTED").count() as i64;
    assert!(boosted > 0, "the boost lifted some dramas: {list:?}");
    for kind in ["CLICK", "VIEW_COMPLETE"] {
        let r = app
            .graphql(
                "mutation($i: RecordEventInput!) { recordEvent(input: $i) { event { kind } } }",
                json!({ "i": { "movieId": pinned, "kind": kind,
                               "recommendationId": list[0]["recommendationId"] } }),
                Some(&t1),
            )
            .await;
        assert!(r["errors"].is_null(), "{r}");
    }
    let t2 = app.user_token("demo-0002");
    let feed = app
        .graphql(
            "{ homeFeed(rows: 3, itemsPerRow: 5) { rows { kind items { recommendationId movie { id } } } } }",
            json!({}),
            Some(&t2),
        )
        .await;
    let row = &feed["data"]["homeFeed"]["rows"][0];
    assert_eq!(row["kind"], "COLLECTION", "{feed}");
    let row_items = row["items"].as_array().unwrap();
    assert_eq!(row_items.len(), 3);
    let r = app
        .graphql(
            "mutation($i: RecordEventInput!) { recordEvent(input: $i) { event { kind } } }",
            json!({ "i": { "movieId": row_items[1]["movie"]["id"], "kind": "CLICK",
                           "recommendationId": row_items[1]["recommendationId"] } }),
            Some(&t2),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    app.state.impressions.flush().await;

    let now = chrono::Utc::now();
    let period = json!({ "from": (now - chrono::Duration::hours(1)).to_rfc3339(),
                         "to": (now + chrono::Duration::hours(1)).to_rfc3339() });
    let fields = "collectionId placementId ruleId impressions users shown clicks completions clickThrough { value low high } completionRate { value }";
    let r = app
        .graphql(
            &format!("query($from: DateTime!, $to: DateTime!) {{ placementPerformance(from: $from, to: $to) {{ {fields} }} }}"),
            period.clone(),
            Some(&editor),
        )
        .await;
    let rows = r["data"]["placementPerformance"]
        .as_array()
        .unwrap_or_else(|| panic!("{r}"));
    let pin = rows
        .iter()
        .find(|p| p["placementId"] == pin_id.as_str())
        .unwrap_or_else(|| panic!("{r}"));
    assert_eq!(
        (
            &pin["impressions"],
            &pin["users"],
            &pin["clicks"],
            &pin["completions"]
        ),
        (&json!(1), &json!(1), &json!(1), &json!(1)),
        "{pin}"
    );
    assert_eq!(pin["clickThrough"]["value"], 1.0);
    let rule = rows
        .iter()
        .find(|p| p["ruleId"] == rule_id.as_str())
        .unwrap_or_else(|| panic!("{r}"));
    assert_eq!(rule["impressions"], boosted, "{rule}");
    assert_eq!(
        (&rule["clicks"], &rule["clickThrough"]["value"]),
        (&json!(0), &json!(0.0))
    );
    // The collection row: pinned on HOME, so it also has a placement row; the collection's own
    // figures count its three items and the one click.
    let r = app
        .graphql(
            &format!("query($from: DateTime!, $to: DateTime!) {{ collectionPerformance(from: $from, to: $to) {{ {fields} }} }}"),
            period.clone(),
            Some(&editor),
        )
        .await;
    let rows = r["data"]["collectionPerformance"]
        .as_array()
        .unwrap_or_else(|| panic!("{r}"));
    assert_eq!(rows.len(), 1, "{r}");
    assert_eq!(rows[0]["collectionId"], coll.as_str());
    assert_eq!(
        (
            &rows[0]["impressions"],
            &rows[0]["shown"],
            &rows[0]["clicks"]
        ),
        (&json!(3), &json!(3), &json!(1))
    );
    assert!((rows[0]["clickThrough"]["value"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-12);

    // A period must be ordered and at most 92 days; compliance staff may not ask.
    let bad =
        json!({ "from": now.to_rfc3339(), "to": (now - chrono::Duration::hours(1)).to_rfc3339() });
    let q = "query($from: DateTime!, $to: DateTime!) { collectionPerformance(from: $from, to: $to) { impressions } }";
    let r = app.graphql(q, bad, Some(&editor)).await;
    assert_eq!(error_code(&r), Some("BAD_USER_INPUT"), "{r}");
    let long =
        json!({ "from": (now - chrono::Duration::days(100)).to_rfc3339(), "to": now.to_rfc3339() });
    let r = app.graphql(q, long, Some(&editor)).await;
    assert_eq!(error_code(&r), Some("BAD_USER_INPUT"), "{r}");
    let compliance = app.staff_token("compliance").await;
    let r = app.graphql(q, period, Some(&compliance)).await;
    assert_eq!(error_code(&r), Some("FORBIDDEN"), "{r}");
}
api_test!(editorial_performance_counts_what_pins_collections_and_boosts_earned);

async fn a_variant_ranks_with_its_own_blend_weights_and_candidate_pool(app: TestApp) {
    demo_with_model(&app).await;
    let editor = app.staff_token("editor").await;
    let admin = app.admin_token().await;
    let variants = |blend: Value| {
        json!({
            "name": "Popularity-heavy blend",
            "surface": "RECOMMENDATIONS",
            "primaryMetric": "CLICK_THROUGH",
            "variants": [
                { "name": "control", "share": 0.5 },
                { "name": "popular", "share": 0.5, "candidatePool": 60, "blendWeights": blend }
            ]
        })
    };
    // A component the served blend lacks is refused, naming the ones it has.
    let r = create(
        &app,
        &editor,
        variants(json!([{ "component": "svdpp", "factor": 2.0 }])),
    )
    .await;
    assert_eq!(error_code(&r), Some("BAD_USER_INPUT"), "{r}");
    let msg = r["errors"][0]["message"].as_str().unwrap();
    assert!(
        msg.contains("no component svdpp") && msg.contains("popularity"),
        "{msg}"
    );

    let r = app
        .graphql(
            "mutation($i: CreateExperimentInput!) { createExperiment(input: $i) { experiment {
               id variants { name candidatePool blendWeights { component factor } } } } }",
            json!({ "i": variants(json!([
                { "component": "popularity", "factor": 10.0 },
                { "component": "als", "factor": 0.0 }
            ])) }),
            Some(&editor),
        )
        .await;
    let exp = &r["data"]["createExperiment"]["experiment"];
    let id = exp["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{r}"))
        .to_owned();
    assert_eq!(exp["variants"][1]["candidatePool"], 60);
    assert_eq!(
        exp["variants"][1]["blendWeights"],
        json!([{ "component": "popularity", "factor": 10.0 }, { "component": "als", "factor": 0.0 }])
    );
    let r = app.graphql(START, json!({ "id": id }), Some(&editor)).await;
    assert_eq!(
        r["data"]["startExperiment"]["experiment"]["status"], "RUNNING",
        "{r}"
    );

    // The control gets exactly what the default serves (the staff preview is never in an
    // experiment); the treatment's lists are ranked by its own blend.
    let preview =
        "query($x: String) { previewRecommendations(externalId: $x, first: 10) { movie { id } } }";
    let ids = |v: &[Value]| {
        v.iter()
            .map(|i| i["movie"]["id"].clone())
            .collect::<Vec<_>>()
    };
    let (mut control, mut treated, mut changed) = (0, 0, 0);
    for n in 1..=24 {
        let ext = format!("demo-{n:04}");
        let mine = items(
            &app.graphql(RECS, json!({}), Some(&app.user_token(&ext)))
                .await,
        );
        let default = app
            .graphql(preview, json!({ "x": ext }), Some(&admin))
            .await;
        let default = default["data"]["previewRecommendations"]
            .as_array()
            .unwrap_or_else(|| panic!("{default}"))
            .clone();
        if mine[0]["variants"][0]["variant"] == "control" {
            control += 1;
            assert_eq!(ids(&mine), ids(&default), "{ext} in the control");
        } else {
            treated += 1;
            changed += usize::from(ids(&mine) != ids(&default));
        }
    }
    assert!(control > 0 && treated > 0, "{control} / {treated}");
    assert!(
        changed * 2 > treated,
        "the blend changed only {changed} of {treated} treated users' lists"
    );

    // Neither is a server setting: shipping it is refused, with nothing changed.
    let r = app
        .graphql(
            "mutation($id: ID!) { shipVariant(input: {experimentId: $id, variant: \"popular\"}) { experiment { status } } }",
            json!({ "id": id }),
            Some(&editor),
        )
        .await;
    assert_eq!(error_code(&r), Some("BAD_USER_INPUT"), "{r}");
    assert!(r["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("cannot be shipped"));
    let r = app
        .graphql(RESULTS, json!({ "id": id }), Some(&editor))
        .await;
    assert_eq!(r["data"]["experiment"]["status"], "RUNNING", "{r}");
}
api_test!(a_variant_ranks_with_its_own_blend_weights_and_candidate_pool);
