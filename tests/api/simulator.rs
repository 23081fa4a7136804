//! A seeded simulator of users in an experiment, driving a running server over GraphQL (HTTP):
//! each simulated user asks for their recommendations once and clicks each item shown with a
//! probability that depends on the variant the server put them in (the planted effect). The
//! API test checks that a planted effect is found; `cargo bench --bench experiments` runs A/A
//! experiments over many seeds for the false-positive rate. Shared by both (the bench includes
//! this file by path), so it depends on nothing else of the tests.
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

/// A server to drive.
pub struct Server<'a> {
    pub client: &'a reqwest::Client,
    /// `http://host:port`.
    pub base_url: &'a str,
    /// Issues an end-user token for an external id.
    pub user_token: &'a (dyn Fn(&str) -> String + Sync),
    /// An editor's (or admin's) token.
    pub editor: &'a str,
}

/// How the simulated users behave.
pub struct Plan {
    /// Users, named `<prefix><n>`.
    pub users: usize,
    pub prefix: String,
    /// Items each asks for.
    pub items: usize,
    /// Probability of clicking a shown item, per variant name (variants not listed: `base`).
    pub click_rate: Vec<(String, f64)>,
    pub base: f64,
    pub seed: u64,
}

/// What the simulated users did, per variant name.
#[derive(Debug, Default)]
pub struct Planted {
    pub users: Vec<(String, u64)>,
    pub clicks: Vec<(String, u64)>,
}

impl Planted {
    fn add(list: &mut Vec<(String, u64)>, key: &str, n: u64) {
        match list.iter_mut().find(|(k, _)| k == key) {
            Some((_, v)) => *v += n,
            None => list.push((key.to_owned(), n)),
        }
    }
}

impl Server<'_> {
    /// POSTs a GraphQL request and returns the body.
    pub async fn graphql(&self, query: &str, variables: Value, token: &str) -> Value {
        self.client
            .post(format!("{}/graphql", self.base_url))
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request sent")
            .json()
            .await
            .expect("JSON body")
    }

    /// Creates and starts an experiment on RECOMMENDATIONS whose variants (the first the
    /// control) change nothing in serving; returns its id.
    pub async fn start_experiment(&self, name: &str, variants: &[&str]) -> String {
        let share = 1.0 / variants.len() as f64;
        let vs: Vec<Value> = variants
            .iter()
            .map(|v| json!({ "name": v, "share": share }))
            .collect();
        let r = self
            .graphql(
                "mutation($i: CreateExperimentInput!) { createExperiment(input: $i) { experiment { id } } }",
                json!({ "i": { "name": name, "surface": "RECOMMENDATIONS",
                               "primaryMetric": "CLICK_THROUGH", "variants": vs } }),
                self.editor,
            )
            .await;
        let id = r["data"]["createExperiment"]["experiment"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{r}"))
            .to_owned();
        let r = self
            .graphql(
                "mutation($id: ID!) { startExperiment(input: {id: $id}) { experiment { status } } }",
                json!({ "id": id }),
                self.editor,
            )
            .await;
        assert_eq!(
            r["data"]["startExperiment"]["experiment"]["status"], "RUNNING",
            "{r}"
        );
        id
    }

    /// Stops an experiment.
    pub async fn stop_experiment(&self, id: &str) {
        let r = self
            .graphql(
                "mutation($id: ID!) { stopExperiment(input: {id: $id}) { experiment { status } } }",
                json!({ "id": id }),
                self.editor,
            )
            .await;
        assert_eq!(
            r["data"]["stopExperiment"]["experiment"]["status"], "STOPPED",
            "{r}"
        );
    }

    /// Runs the plan's users against the running experiment: each asks for recommendations
    /// and clicks, in one request, the items its variant's click rate picks.
    pub async fn run(&self, plan: &Plan) -> Planted {
        let mut rng = ChaCha8Rng::seed_from_u64(plan.seed);
        let mut planted = Planted::default();
        let query = format!(
            "{{ recommendations(first: {}) {{ edges {{ node {{ recommendationId variants {{ variant }} movie {{ id }} }} }} }} }}",
            plan.items
        );
        for n in 0..plan.users {
            let token = (self.user_token)(&format!("{}{n}", plan.prefix));
            let r = self.graphql(&query, json!({}), &token).await;
            let edges = r["data"]["recommendations"]["edges"]
                .as_array()
                .unwrap_or_else(|| panic!("{r}"));
            let Some(variant) = edges
                .first()
                .and_then(|e| e["node"]["variants"][0]["variant"].as_str())
            else {
                continue;
            };
            let rate = plan
                .click_rate
                .iter()
                .find(|(v, _)| v == variant)
                .map_or(plan.base, |(_, p)| *p);
            let mut clicks = Vec::new();
            for (i, e) in edges.iter().enumerate() {
                if rng.random::<f64>() < rate {
                    clicks.push(format!(
                        "c{i}: recordEvent(input: {{ movieId: {}, kind: CLICK, recommendationId: {} }}) {{ event {{ kind }} }}",
                        e["node"]["movie"]["id"], e["node"]["recommendationId"]
                    ));
                }
            }
            Planted::add(&mut planted.users, variant, 1);
            Planted::add(&mut planted.clicks, variant, clicks.len() as u64);
            if !clicks.is_empty() {
                let r = self
                    .graphql(
                        &format!("mutation {{ {} }}", clicks.join(" ")),
                        json!({}),
                        &token,
                    )
                    .await;
                assert!(r["errors"].is_null(), "{r}");
            }
        }
        planted
    }

    /// The CLICK_THROUGH comparison of `variant` with the control: (difference, p-value), and
    /// the sample-ratio check's p-value.
    pub async fn click_through(&self, id: &str, variant: &str) -> (f64, f64, f64) {
        let r = self
            .graphql(
                "query($id: ID!) { experiment(id: $id) { results {
                    sampleRatio { pValue }
                    variants { name metrics { metric vsControl { difference pValue } } } } } }",
                json!({ "id": id }),
                self.editor,
            )
            .await;
        let res = &r["data"]["experiment"]["results"];
        let v = res["variants"]
            .as_array()
            .unwrap_or_else(|| panic!("{r}"))
            .iter()
            .find(|v| v["name"] == variant)
            .unwrap_or_else(|| panic!("no {variant} in {r}"));
        let cmp = &v["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["metric"] == "CLICK_THROUGH")
            .unwrap()["vsControl"];
        (
            cmp["difference"].as_f64().unwrap_or_else(|| panic!("{r}")),
            cmp["pValue"].as_f64().unwrap(),
            res["sampleRatio"]["pValue"].as_f64().unwrap(),
        )
    }
}
