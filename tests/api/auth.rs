use chrono::Utc;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::json;

use crate::api_test;
use crate::helpers::{error_code, TestApp, STAFF_PASSWORD};

async fn missing_token_is_unauthenticated(app: TestApp) {
    let r = app.graphql("{ me { id } }", json!({}), None).await;
    assert_eq!(error_code(&r), Some("UNAUTHENTICATED"), "{r}");
}
api_test!(missing_token_is_unauthenticated);

async fn expired_token_is_unauthenticated(app: TestApp) {
    let (t, _) = app
        .state
        .jwt
        .issue_user("u1", chrono::Duration::hours(-3))
        .unwrap();
    let r = app.graphql("{ me { id } }", json!({}), Some(&t)).await;
    assert_eq!(error_code(&r), Some("UNAUTHENTICATED"), "{r}");
    assert_eq!(
        app.count("users").await,
        0,
        "a refused token creates no user"
    );
}
api_test!(expired_token_is_unauthenticated);

fn claims(sub: &str) -> serde_json::Value {
    json!({ "sub": sub, "exp": Utc::now().timestamp() + 3600, "iss": "marquee", "aud": "marquee" })
}

async fn token_signed_with_another_key_is_unauthenticated(app: TestApp) {
    let t = encode(
        &Header::new(Algorithm::HS256),
        &claims("u1"),
        &EncodingKey::from_secret(b"some-other-secret-some-other-secret!!"),
    )
    .unwrap();
    let r = app.graphql("{ me { id } }", json!({}), Some(&t)).await;
    assert_eq!(error_code(&r), Some("UNAUTHENTICATED"), "{r}");
    assert_eq!(app.count("users").await, 0);
}
api_test!(token_signed_with_another_key_is_unauthenticated);

async fn alg_none_token_is_unauthenticated(app: TestApp) {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let t = format!(
        "{}.{}.",
        b64.encode(r#"{"alg":"none","typ":"JWT"}"#),
        b64.encode(claims("u1").to_string())
    );
    let r = app.graphql("{ me { id } }", json!({}), Some(&t)).await;
    assert_eq!(error_code(&r), Some("UNAUTHENTICATED"), "{r}");
    assert_eq!(app.count("users").await, 0);
}
api_test!(alg_none_token_is_unauthenticated);

async fn a_first_valid_token_creates_its_user(app: TestApp) {
    let t = app.user_token("new-user-7");
    let r = app
        .graphql(
            "{ me { externalId personalizationConsent } }",
            json!({}),
            Some(&t),
        )
        .await;
    assert_eq!(r["data"]["me"]["externalId"], "new-user-7", "{r}");
    assert_eq!(r["data"]["me"]["personalizationConsent"], true);
    app.graphql("{ me { id } }", json!({}), Some(&t)).await;
    assert_eq!(app.count("users").await, 1);
}
api_test!(a_first_valid_token_creates_its_user);

async fn staff_login_issues_a_role_token_and_wrong_password_is_refused(app: TestApp) {
    let token = app.staff_token("editor").await;
    let r = app
        .graphql("{ currentStaff { role } }", json!({}), Some(&token))
        .await;
    assert_eq!(r["data"]["currentStaff"]["role"], "EDITOR", "{r}");

    let r = app
        .graphql(
            "mutation { login(input: {email: \"nobody@example.test\", password: \"wrong\"}) { token } }",
            json!({}),
            None,
        )
        .await;
    assert_eq!(error_code(&r), Some("UNAUTHENTICATED"), "{r}");
    let _ = STAFF_PASSWORD;
}
api_test!(staff_login_issues_a_role_token_and_wrong_password_is_refused);

async fn an_editor_cannot_call_compliance_fields(app: TestApp) {
    let editor = app.staff_token("editor").await;
    let r = app
        .graphql(
            "{ users(first: 5) { totalCount } }",
            json!({}),
            Some(&editor),
        )
        .await;
    assert_eq!(error_code(&r), Some("FORBIDDEN"), "{r}");
    let compliance = app.staff_token("compliance").await;
    let r = app
        .graphql(
            "{ users(first: 5) { totalCount } }",
            json!({}),
            Some(&compliance),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
}
api_test!(an_editor_cannot_call_compliance_fields);

async fn a_user_token_cannot_call_staff_fields_or_mutations(app: TestApp) {
    let t = app.user_token("u1");
    let r = app
        .graphql("{ users(first: 5) { totalCount } }", json!({}), Some(&t))
        .await;
    assert_eq!(error_code(&r), Some("FORBIDDEN"), "{r}");
    let r = app
        .graphql(
            "mutation { createMovie(input: {title: \"X\"}) { movie { id } } }",
            json!({}),
            Some(&t),
        )
        .await;
    assert_eq!(error_code(&r), Some("FORBIDDEN"), "{r}");
    assert_eq!(app.count("movies").await, 0);
}
api_test!(a_user_token_cannot_call_staff_fields_or_mutations);

async fn a_staff_token_is_not_a_user(app: TestApp) {
    let t = app.admin_token().await;
    let r = app.graphql("{ me { id } }", json!({}), Some(&t)).await;
    assert_eq!(error_code(&r), Some("FORBIDDEN"), "{r}");
}
api_test!(a_staff_token_is_not_a_user);

const IDP_PRIVATE: &str = include_str!("fixtures/idp-es256-private.pem");
const IDP_PUBLIC: &str = include_str!("fixtures/idp-es256-public.pem");

async fn idp_app() -> Option<TestApp> {
    crate::helpers::spawn_app_with(crate::helpers::Backend::Sqlite, |s| {
        s.auth.user_public_key_pem = IDP_PUBLIC.into();
        s.auth.user_key_algorithm = "ES256".into();
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_from_an_identity_provider_key_are_accepted_for_users_only() {
    let app = idp_app().await.unwrap();
    let key = EncodingKey::from_ec_pem(IDP_PRIVATE.as_bytes()).unwrap();
    let t = encode(&Header::new(Algorithm::ES256), &claims("idp-user-1"), &key).unwrap();
    let r = app
        .graphql("{ me { externalId } }", json!({}), Some(&t))
        .await;
    assert_eq!(r["data"]["me"]["externalId"], "idp-user-1", "{r}");

    // The identity provider cannot mint staff tokens.
    let mut staff = claims("staff:1");
    staff["role"] = json!("admin");
    let t = encode(&Header::new(Algorithm::ES256), &staff, &key).unwrap();
    let r = app
        .graphql("{ catalogueStats { users } }", json!({}), Some(&t))
        .await;
    assert_eq!(error_code(&r), Some("UNAUTHENTICATED"), "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_key_used_as_an_hmac_secret_is_refused() {
    let app = idp_app().await.unwrap();
    let t = encode(
        &Header::new(Algorithm::HS256),
        &claims("attacker"),
        &EncodingKey::from_secret(IDP_PUBLIC.as_bytes()),
    )
    .unwrap();
    let r = app
        .graphql("{ me { externalId } }", json!({}), Some(&t))
        .await;
    assert_eq!(error_code(&r), Some("UNAUTHENTICATED"), "{r}");
    assert_eq!(app.count("users").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_an_identity_provider_key_only_its_tokens_count_and_nbf_is_enforced() {
    let app = idp_app().await.unwrap();
    // A user token signed with Marquee's own secret is refused unless explicitly allowed.
    let own = app.user_token("hs-user");
    let r = app.graphql("{ me { id } }", json!({}), Some(&own)).await;
    assert_eq!(error_code(&r), Some("UNAUTHENTICATED"), "{r}");
    assert_eq!(app.count("users").await, 0);
    // An identity-provider token that is not valid yet is refused; one valid now is accepted.
    let key = EncodingKey::from_ec_pem(IDP_PRIVATE.as_bytes()).unwrap();
    let mut c = claims("idp-user-2");
    c["nbf"] = json!(Utc::now().timestamp() + 600);
    let t = encode(&Header::new(Algorithm::ES256), &c, &key).unwrap();
    let r = app.graphql("{ me { id } }", json!({}), Some(&t)).await;
    assert_eq!(error_code(&r), Some("UNAUTHENTICATED"), "{r}");
    c["nbf"] = json!(Utc::now().timestamp() - 5);
    let t = encode(&Header::new(Algorithm::ES256), &c, &key).unwrap();
    let r = app
        .graphql("{ me { externalId } }", json!({}), Some(&t))
        .await;
    assert_eq!(r["data"]["me"]["externalId"], "idp-user-2", "{r}");
    // Staff tokens are Marquee's own and keep working.
    let admin = app.admin_token().await;
    let r = app
        .graphql("{ catalogueStats { users } }", json!({}), Some(&admin))
        .await;
    assert!(r["errors"].is_null(), "{r}");

    let allowing = crate::helpers::spawn_app_with(crate::helpers::Backend::Sqlite, |s| {
        s.auth.user_public_key_pem = IDP_PUBLIC.into();
        s.auth.user_key_algorithm = "ES256".into();
        s.auth.allow_hs256_user_tokens = true;
    })
    .await
    .unwrap();
    let own = allowing.user_token("hs-user");
    let r = allowing
        .graphql("{ me { externalId } }", json!({}), Some(&own))
        .await;
    assert_eq!(r["data"]["me"]["externalId"], "hs-user", "{r}");
}

async fn staff_tokens_die_with_a_password_reset_role_change_or_disabling(app: TestApp) {
    let admin = app.admin_token().await;
    let ed = app.staff_token("editor").await;
    let me = "{ currentStaff { email } }";
    let r = app.graphql(me, json!({}), Some(&ed)).await;
    let email = r["data"]["currentStaff"]["email"]
        .as_str()
        .unwrap_or_else(|| panic!("{r}"))
        .to_owned();
    let all = app
        .graphql("{ staffAccounts { id email } }", json!({}), Some(&admin))
        .await;
    let id = all["data"]["staffAccounts"]
        .as_array()
        .unwrap_or_else(|| panic!("{all}"))
        .iter()
        .find(|a| a["email"] == email.as_str())
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .unwrap();
    let update =
        "mutation($i: UpdateStaffInput!) { updateStaff(input: $i) { staffAccount { role } } }";
    let sign_in = |password: &'static str| {
        let email = email.clone();
        let app = &app;
        async move {
            let r = app
                .graphql(
                    "mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { token } }",
                    json!({ "e": email, "p": password }),
                    None,
                )
                .await;
            r["data"]["login"]["token"]
                .as_str()
                .unwrap_or_else(|| panic!("{r}"))
                .to_owned()
        }
    };
    let changes = [
        json!({ "role": "COMPLIANCE" }),
        json!({ "password": "a brand new password" }),
        json!({ "disabled": true }),
    ];
    let mut token = ed;
    let mut password = crate::helpers::STAFF_PASSWORD;
    for change in changes {
        assert!(app.graphql(me, json!({}), Some(&token)).await["errors"].is_null());
        let mut input = change.clone();
        input["id"] = json!(id);
        let r = app
            .graphql(update, json!({ "i": input }), Some(&admin))
            .await;
        assert!(r["errors"].is_null(), "{r}");
        let r = app.graphql(me, json!({}), Some(&token)).await;
        assert_eq!(error_code(&r), Some("UNAUTHENTICATED"), "{change}: {r}");
        if change.get("password").is_some() {
            password = "a brand new password";
        }
        if change.get("disabled").is_none() {
            token = sign_in(password).await;
        }
    }
    // Enabling the account again does not bring the old token back.
    app.graphql(
        update,
        json!({ "i": { "id": id, "disabled": false } }),
        Some(&admin),
    )
    .await;
    let r = app.graphql(me, json!({}), Some(&token)).await;
    assert_eq!(error_code(&r), Some("UNAUTHENTICATED"), "{r}");
    let fresh = sign_in(password).await;
    assert!(app.graphql(me, json!({}), Some(&fresh)).await["errors"].is_null());
}
api_test!(staff_tokens_die_with_a_password_reset_role_change_or_disabling);

async fn an_oversized_token_gets_a_json_error(app: TestApp) {
    let huge = "a".repeat(20_000);
    let r = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&huge)
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 431);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
}
api_test!(an_oversized_token_gets_a_json_error);
