//! The abuse suite: requests built to stall, bloat or crash the server, sent to 127.0.0.1 only,
//! each answered quickly with a clear code (docs/security.md).
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::api_test;
use crate::helpers::{error_code, spawn_app_with, Backend, TestApp};

/// `query { ...F<levels> }`, each fragment spreading the previous one twice: 2^levels fields.
fn fragment_bomb(levels: usize) -> String {
    let mut q = format!("query {{ ...F{levels} }}\nfragment F0 on QueryRoot {{ __typename }}\n");
    for i in 1..=levels {
        q.push_str(&format!(
            "fragment F{i} on QueryRoot {{ ...F{p} ...F{p} }}\n",
            p = i - 1
        ));
    }
    q
}

/// `{ a0: <field> a1: <field> … }`.
fn aliased(field: &str, times: usize) -> String {
    let body: Vec<String> = (0..times).map(|i| format!("a{i}: {field}")).collect();
    format!("{{ {} }}", body.join(" "))
}

async fn post_raw(app: &TestApp, body: Value) -> (u16, Value) {
    let r = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn a_fragment_bomb_is_refused_before_it_runs(app: TestApp) {
    let started = Instant::now();
    let r = app.graphql(&fragment_bomb(24), json!({}), None).await;
    assert_eq!(error_code(&r), Some("QUERY_TOO_COMPLEX"), "{r}");
    assert!(r["data"].is_null());
    // Expanded, this is 16.7 M fields: refusing it without expanding takes microseconds;
    // the bound only guards against the expansion coming back.
    assert!(started.elapsed() < Duration::from_secs(5));
    // The server is not held up: the next request is answered.
    let r = app.graphql("{ __typename }", json!({}), None).await;
    assert_eq!(r["data"]["__typename"], "QueryRoot");
}
api_test!(a_fragment_bomb_is_refused_before_it_runs);

async fn alias_floods_and_costly_lists_are_refused(app: TestApp) {
    // 1 000 aliases of a cheap chart: refused for the aliases alone.
    let r = app
        .graphql(
            &aliased("trending(first: 100) { score }", 1000),
            json!({}),
            None,
        )
        .await;
    assert_eq!(error_code(&r), Some("QUERY_TOO_COMPLEX"), "{r}");
    // Few aliases, but each a page of 100 with its movie: refused for its cost.
    let r = app
        .graphql(
            &aliased("popular(first: 100) { score movie { title year } }", 20),
            json!({}),
            None,
        )
        .await;
    assert_eq!(error_code(&r), Some("QUERY_TOO_COMPLEX"), "{r}");
    // The cost counts page sizes passed as variables too.
    let r = app
        .graphql(
            "query($n: Int) { a: popular(first: $n) { score movie { title year } } b: popular(first: $n) { score movie { title year } } c: popular(first: $n) { score movie { title year } } d: popular(first: $n) { score movie { title year } } e: popular(first: $n) { score movie { title year } } f: popular(first: $n) { score movie { title year } } g: popular(first: $n) { score movie { title year } } h: popular(first: $n) { score movie { title year } } i: popular(first: $n) { score movie { title year } } j: popular(first: $n) { score movie { title year } } k: popular(first: $n) { score movie { title year } } l: popular(first: $n) { score movie { title year } } m: popular(first: $n) { score movie { title year } } }",
            json!({ "n": 100 }),
            None,
        )
        .await;
    assert_eq!(error_code(&r), Some("QUERY_TOO_COMPLEX"), "{r}");
    // A modest request of the same shape is served.
    let r = app
        .graphql(
            &aliased("popular(first: 10) { score movie { title } }", 3),
            json!({}),
            None,
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
}
api_test!(alias_floods_and_costly_lists_are_refused);

async fn batches_are_bounded(app: TestApp) {
    let one = json!({ "query": "{ __typename }" });
    let max = app.state.settings.graphql.max_batch;
    let (status, body) = post_raw(&app, Value::Array(vec![one.clone(); max])).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body.as_array().map(Vec::len), Some(max));
    let (status, body) = post_raw(&app, Value::Array(vec![one; max + 1])).await;
    assert_eq!(status, 400);
    assert_eq!(error_code(&body), Some("QUERY_TOO_COMPLEX"), "{body}");
}
api_test!(batches_are_bounded);

async fn login_is_asked_once_per_request(app: TestApp) {
    let email = "twice@example.test";
    let hash = marquee::auth::password::hash(crate::helpers::STAFF_PASSWORD).unwrap();
    marquee::db::repo::staff::create(&app.state.db, email, hash, "editor")
        .await
        .unwrap();
    let guess = |alias: &str, password: &str| {
        format!(
            "{alias}: login(input: {{email: \"{email}\", password: \"{password}\"}}) {{ token }}"
        )
    };
    let q = format!(
        "mutation {{ {} {} }}",
        guess("a", "wrong-password-1"),
        guess("b", crate::helpers::STAFF_PASSWORD)
    );
    let r = app.graphql(&q, json!({}), None).await;
    assert_eq!(error_code(&r), Some("BAD_USER_INPUT"), "{r}");
    assert!(!r.to_string().contains("token\":\""), "{r}");
    // Nor spread over a batch.
    let one =
        |password: &str| json!({ "query": format!("mutation {{ {} }}", guess("a", password)) });
    let (_, body) = post_raw(
        &app,
        json!([one("wrong-password-1"), one(crate::helpers::STAFF_PASSWORD)]),
    )
    .await;
    assert_eq!(
        body[1]["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body}"
    );
    assert!(body[1]["data"].is_null());
}
api_test!(login_is_asked_once_per_request);

/// graphql-js's `getIntrospectionQuery()`, which GraphiQL and codegen tools send.
const STANDARD_INTROSPECTION: &str = r#"
query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) {
    name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason
  }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }
}
"#;

async fn standard_introspection_works_by_default(app: TestApp) {
    let r = app.graphql(STANDARD_INTROSPECTION, json!({}), None).await;
    assert!(r["errors"].is_null(), "{r}");
    assert_eq!(r["data"]["__schema"]["queryType"]["name"], "QueryRoot");
}
api_test!(standard_introspection_works_by_default);

#[tokio::test]
async fn introspection_can_be_turned_off() {
    let app = spawn_app_with(Backend::Sqlite, |s| s.graphql.introspection = false)
        .await
        .unwrap();
    let r = app.graphql(STANDARD_INTROSPECTION, json!({}), None).await;
    assert!(r["data"]["__schema"].is_null(), "{r}");
    assert!(!r.to_string().contains("recommendations"), "{r}");
    // Ordinary queries are unaffected.
    let r = app
        .graphql("{ genres { movieCount } }", json!({}), None)
        .await;
    assert!(r["errors"].is_null(), "{r}");
}

async fn login(app: &TestApp, email: &str, password: &str) -> Value {
    app.graphql(
        "mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { token } }",
        json!({ "e": email, "p": password }),
        None,
    )
    .await
}

#[tokio::test]
async fn repeated_sign_in_attempts_are_throttled_per_account_then_per_address() {
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.auth.login_attempts_per_minute_per_account = 3;
        s.auth.login_attempts_per_minute_per_address = 6;
    })
    .await
    .unwrap();
    let hash = marquee::auth::password::hash(crate::helpers::STAFF_PASSWORD).unwrap();
    marquee::db::repo::staff::create(&app.state.db, "target@example.test", hash, "admin")
        .await
        .unwrap();
    for i in 0..3 {
        let r = login(&app, "target@example.test", &format!("guess-{i}")).await;
        assert_eq!(error_code(&r), Some("UNAUTHENTICATED"), "{r}");
    }
    // The right password, once the account's attempts are spent, is refused without a token.
    let r = login(&app, "Target@Example.test", crate::helpers::STAFF_PASSWORD).await;
    assert_eq!(error_code(&r), Some("RATE_LIMITED"), "{r}");
    assert_eq!(r["errors"][0]["extensions"]["retryable"], true);
    let wait = r["errors"][0]["extensions"]["retryAfterMs"]
        .as_u64()
        .unwrap();
    assert!(wait > 0 && wait <= 20_000, "{r}");
    assert!(r["data"].is_null() || r["data"]["login"].is_null());
    // The address has spent four of its six: two more for other accounts, then it is refused.
    for i in 0..2 {
        let r = login(&app, &format!("nobody-{i}@example.test"), "guess").await;
        assert_eq!(error_code(&r), Some("UNAUTHENTICATED"), "{r}");
    }
    let r = login(&app, "nobody-9@example.test", "guess").await;
    assert_eq!(error_code(&r), Some("RATE_LIMITED"), "{r}");
}

async fn login_from(app: &TestApp, forwarded_for: &str, email: &str) -> Value {
    let r = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({
            "query": "mutation($e: String!) { login(input: {email: $e, password: \"guess\"}) { token } }",
            "variables": { "e": email },
        }))
        .send()
        .await
        .unwrap();
    r.json().await.unwrap()
}

/// Behind a trusted proxy each forwarded client has its own sign-in allowance; a client that
/// writes its own `X-Forwarded-For` cannot pick a fresh one, and without the setting the
/// header is ignored (everyone behind the proxy shares its address).
#[tokio::test]
async fn behind_a_trusted_proxy_sign_ins_are_throttled_per_forwarded_client() {
    for trusted in [true, false] {
        let app = spawn_app_with(Backend::Sqlite, |s| {
            s.auth.login_attempts_per_minute_per_address = 2;
            s.auth.login_attempts_per_minute_per_account = 100;
            if trusted {
                s.server.trusted_proxies = vec!["127.0.0.1".into(), "::1".into()];
            }
        })
        .await
        .unwrap();
        for i in 0..2 {
            let r = login_from(&app, "203.0.113.1", &format!("a{i}@example.test")).await;
            assert_eq!(error_code(&r), Some("UNAUTHENTICATED"), "{r}");
        }
        // The third from the same client is refused; so is one that forged an entry to the
        // left of the address the proxy appended.
        let r = login_from(&app, "203.0.113.1", "a3@example.test").await;
        assert_eq!(error_code(&r), Some("RATE_LIMITED"), "{r}");
        let r = login_from(&app, "198.51.100.77, 203.0.113.1", "a4@example.test").await;
        assert_eq!(error_code(&r), Some("RATE_LIMITED"), "{r}");
        // Another client behind the same proxy has its own allowance only when the proxy is
        // trusted.
        let r = login_from(&app, "203.0.113.2", "b@example.test").await;
        let expected = if trusted {
            "UNAUTHENTICATED"
        } else {
            "RATE_LIMITED"
        };
        assert_eq!(error_code(&r), Some(expected), "trusted {trusted}: {r}");
    }
}

/// Valid requests the fuzzer starts from.
const CORPUS: &[&str] = &[
    "{ movies(first: 5) { totalCount edges { cursor node { id title year genres { name } } } } }",
    "query Q($n: Int, $a: String) { movies(first: $n, after: $a) { nodes { id title } } }",
    "{ popular(first: 10) { score movie { id title credits { person { name } } } } }",
    "{ trending(first: 3, window: WEEK) { score movie { title } } }",
    "{ me { id ratings(first: 2) { totalCount } } }",
    "mutation { login(input: {email: \"a@b.c\", password: \"x\"}) { token } }",
    "mutation($m: ID!) { rateMovie(input: {movieId: $m, score: 4.5}) { rating { score } } }",
    "{ genres { name movieCount } }",
    "query { ...F } fragment F on QueryRoot { genres { name } }",
    "{ recommendations(first: 5) { edges { node { reason { text } } } } }",
];

fn mutate(rng: &mut impl rand::Rng, q: &str) -> String {
    let mut b: Vec<char> = q.chars().collect();
    for _ in 0..rng.random_range(1..6) {
        if b.is_empty() {
            break;
        }
        let i = rng.random_range(0..b.len());
        match rng.random_range(0..8) {
            0 => {
                b.remove(i);
            }
            1 => b.insert(
                i,
                ['{', '}', '(', ')', '$', '"', '\\', '…', '\0'][rng.random_range(0..9)],
            ),
            2 => b.truncate(i),
            3 => {
                let dup: Vec<char> = b[i..].to_vec();
                b.extend(dup);
            }
            4 => b.splice(i..i, "a: __typename ".chars()).for_each(drop),
            5 => b
                .splice(i..i, "(first: 99999999999)".chars())
                .for_each(drop),
            6 => b.splice(i..i, " ...F ".chars()).for_each(drop),
            _ => b[i] = char::from(rng.random_range(32u8..127)),
        }
    }
    b.into_iter().collect()
}

async fn fuzzed_requests_never_crash_or_stall_the_server(app: TestApp) {
    use rand::{Rng, SeedableRng};
    let seed = 11;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let tokens = [
        None,
        Some(app.user_token("fuzz-user")),
        Some("not.a.token".to_owned()),
        Some(app.user_token("fuzz-user").replace('.', "")),
    ];
    for case in 0..300 {
        let base = CORPUS[rng.random_range(0..CORPUS.len())];
        let q = mutate(&mut rng, base);
        let variables = match rng.random_range(0..4) {
            0 => json!({}),
            1 => {
                json!({ "n": rng.random_range(-5i64..1_000_000), "a": "b2Zmc2V0Ojk5OTk5OTk5OTk5OTk5OTk5OTk" })
            }
            2 => json!({ "m": "TW92aWU6OTk5OTk5OTk5OTk5", "n": "ten" }),
            _ => json!([1, 2, 3]),
        };
        let mut req = app
            .client
            .post(format!("{}/graphql", app.address))
            .json(&json!({ "query": q, "variables": variables }));
        if let Some(t) = &tokens[rng.random_range(0..tokens.len())] {
            req = req.bearer_auth(t);
        }
        let r = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("seed {seed} case {case}: {e}: {q}"));
        let status = r.status().as_u16();
        assert!(
            status < 500,
            "seed {seed} case {case}: HTTP {status} for {q}"
        );
        let body: Value = r
            .json()
            .await
            .unwrap_or_else(|e| panic!("seed {seed} case {case}: not JSON ({e}) for {q}"));
        if let Some(errors) = body["errors"].as_array() {
            for e in errors {
                let code = e["extensions"]["code"].as_str();
                assert!(
                    code.is_some_and(|c| c != "INTERNAL"),
                    "seed {seed} case {case}: {e} for {q}"
                );
            }
        }
    }
    let r = app.get("/healthz").await;
    assert_eq!(r.status(), 200);
}
api_test!(fuzzed_requests_never_crash_or_stall_the_server);
