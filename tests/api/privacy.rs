//! Privacy end to end: deletion requests through their workflow, erasure that leaves no row
//! about the person in any table and no vector in the model, data export, staff accounts and
//! the audit log, with each role's rights.
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{json, Value};

use crate::api_test;
use crate::helpers::{demo_with_model, error_code, gid, TestApp};

const REQUEST: &str =
    "mutation($u: ID) { requestDataDeletion(input: { userId: $u }) { deletionRequest {
  id status dueAt overdue requestedBy userRef user { externalId } } } }";
const APPROVE: &str =
    "mutation($id: ID!) { approveDeletionRequest(input: {id: $id}) { deletionRequest { id status decidedBy } } }";
const COMPLETE: &str =
    "mutation($id: ID!) { completeDeletionRequest(input: {id: $id}) { deletionRequest { id status outcome completedAt userRef user { id } } } }";

async fn user_id_of(app: &TestApp, external: &str) -> i32 {
    marquee::db::repo::users::find_by_external_id(&app.state.db, external)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no user {external}"))
        .id
}

/// Every (table, column) of the database, from its own catalogue.
async fn columns(app: &TestApp) -> Vec<(String, String, bool)> {
    let db = &app.state.db;
    let backend = db.get_database_backend();
    let mut out = vec![];
    match backend {
        DbBackend::Postgres => {
            let rows = db
                .query_all_raw(Statement::from_string(
                    backend,
                    "SELECT table_name::text AS t, column_name::text AS c, data_type::text AS d \
                     FROM information_schema.columns WHERE table_schema = current_schema()",
                ))
                .await
                .unwrap();
            for r in rows {
                let d: String = r.try_get("", "d").unwrap();
                out.push((
                    r.try_get("", "t").unwrap(),
                    r.try_get("", "c").unwrap(),
                    d.contains("char") || d == "text",
                ));
            }
        }
        _ => {
            let tables = db
                .query_all_raw(Statement::from_string(
                    backend,
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
                ))
                .await
                .unwrap();
            for t in tables {
                let name: String = t.try_get("", "name").unwrap();
                let cols = db
                    .query_all_raw(Statement::from_string(
                        backend,
                        format!("SELECT name, type FROM pragma_table_info('{name}')"),
                    ))
                    .await
                    .unwrap();
                for c in cols {
                    let ty: String = c.try_get("", "type").unwrap();
                    let ty = ty.to_lowercase();
                    out.push((
                        name.clone(),
                        c.try_get("", "name").unwrap(),
                        ty.contains("char") || ty.contains("text"),
                    ));
                }
            }
        }
    }
    assert!(out.len() > 40, "the catalogue scan found too few columns");
    out
}

/// Rows anywhere that reference the person: a `*user_id` column holding their id, an audit
/// entry naming them, or any text column containing their external id.
async fn references(app: &TestApp, uid: i32, external: &str) -> Vec<String> {
    let db = &app.state.db;
    let backend = db.get_database_backend();
    let mut found = vec![];
    for (t, c, text) in columns(app).await {
        // The tombstone keeps the erased row id (to strip models trained elsewhere) and a hash
        // of the external id (to refuse tokens from before the erasure): checked below.
        if t == "erasures" {
            continue;
        }
        let mut conds = vec![];
        if c.ends_with("user_id") {
            conds.push(format!("{c} = {uid}"));
        }
        if text {
            conds.push(format!("{c} LIKE '%{external}%'"));
        }
        if t == "audit_log" && c == "actor_id" {
            conds.push(format!("(actor_kind = 'user' AND actor_id = {uid})"));
        }
        if t == "audit_log" && c == "target_id" {
            conds.push(format!("(target_type = 'user' AND target_id = '{uid}')"));
        }
        if conds.is_empty() {
            continue;
        }
        let sql = format!("SELECT COUNT(*) AS n FROM {t} WHERE {}", conds.join(" OR "));
        let n: i64 = db
            .query_one_raw(Statement::from_string(backend, sql))
            .await
            .unwrap()
            .unwrap()
            .try_get("", "n")
            .unwrap();
        if n > 0 {
            found.push(format!("{t}.{c}: {n} rows"));
        }
    }
    found
}

async fn a_completed_deletion_leaves_no_trace_in_the_database_or_the_model(app: TestApp) {
    demo_with_model(&app).await;
    let external = "demo-0007";
    let uid = user_id_of(&app, external).await;
    let t = app.user_token(external);
    // More personal data: a rating, an event, a shown list, a consent change.
    let movie = app
        .graphql("{ movies(first: 1) { nodes { id } } }", json!({}), Some(&t))
        .await["data"]["movies"]["nodes"][0]["id"]
        .clone();
    let r = app
        .graphql(
            "mutation($m: ID!) { rateMovie(input: {movieId: $m, score: 4.5}) { rating { score } } }",
            json!({ "m": movie }),
            Some(&t),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    app.graphql(
        "mutation($m: ID!) { recordEvent(input: { movieId: $m, kind: VIEW_START }) { event { id } } }",
        json!({ "m": movie }),
        Some(&t),
    )
    .await;
    let r = app
        .graphql(
            "{ recommendations(first: 5) { totalCount } }",
            json!({}),
            Some(&t),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    assert!(app.state.recommender.knows_user(uid));
    assert!(!references(&app, uid, external).await.is_empty());

    // The user asks; asking again returns the same open request.
    let r1 = app.graphql(REQUEST, json!({}), Some(&t)).await;
    let req = &r1["data"]["requestDataDeletion"]["deletionRequest"];
    assert_eq!(req["status"], "PENDING", "{r1}");
    assert_eq!(req["requestedBy"], "user");
    assert_eq!(req["overdue"], false);
    let due: chrono::DateTime<chrono::Utc> = req["dueAt"].as_str().unwrap().parse().unwrap();
    let days = (due - chrono::Utc::now()).num_hours() as f64 / 24.0;
    assert!((29.9..=30.1).contains(&days), "due in {days} days");
    let r2 = app.graphql(REQUEST, json!({}), Some(&t)).await;
    assert_eq!(
        r2["data"]["requestDataDeletion"]["deletionRequest"]["id"],
        req["id"]
    );
    let mine = app
        .graphql("{ myDeletionRequests { id status } }", json!({}), Some(&t))
        .await;
    assert_eq!(
        mine["data"]["myDeletionRequests"].as_array().unwrap().len(),
        1
    );
    let id = req["id"].as_str().unwrap().to_owned();

    let c = app.staff_token("compliance").await;
    let q = app
        .graphql(
            "{ deletionRequests(status: PENDING) { totalCount nodes { id user { externalId } } } }",
            json!({}),
            Some(&c),
        )
        .await;
    assert_eq!(q["data"]["deletionRequests"]["totalCount"], 1, "{q}");
    assert_eq!(
        q["data"]["deletionRequests"]["nodes"][0]["user"]["externalId"],
        external
    );

    // Not before approval.
    let early = app.graphql(COMPLETE, json!({ "id": id }), Some(&c)).await;
    assert_eq!(error_code(&early), Some("CONFLICT"), "{early}");
    assert!(app.state.recommender.knows_user(uid));

    let a = app.graphql(APPROVE, json!({ "id": id }), Some(&c)).await;
    assert_eq!(
        a["data"]["approveDeletionRequest"]["deletionRequest"]["status"], "APPROVED",
        "{a}"
    );
    let done = app.graphql(COMPLETE, json!({ "id": id }), Some(&c)).await;
    let d = &done["data"]["completeDeletionRequest"]["deletionRequest"];
    assert_eq!(d["status"], "COMPLETED", "{done}");
    assert!(d["user"].is_null() && d["userRef"].is_null(), "{done}");
    assert_eq!(d["outcome"]["users"], 1);
    assert!(d["outcome"]["ratings"].as_u64().unwrap() >= 1, "{done}");
    assert!(d["outcome"]["events"].as_u64().unwrap() >= 1, "{done}");
    assert!(
        d["outcome"]["recommendation_lists"].as_u64().unwrap() >= 1,
        "{done}"
    );

    // No row anywhere names the person.
    let left = references(&app, uid, external).await;
    assert!(left.is_empty(), "rows still reference the person: {left:?}");
    // The live model and the stored one no longer know them.
    assert!(!app.state.recommender.knows_user(uid));
    let stored = marquee::db::repo::training::active_version(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let snap =
        marquee_core::recommender::snapshot::Snapshot::from_bytes(&stored.blob.unwrap()).unwrap();
    assert!(snap.history(uid as i64, &[], None).user.is_none());
    // What is left is the tombstone: the old row id and a hash, never the external id.
    let tomb = marquee::db::repo::privacy::erased_user_ids(&app.state.db, None)
        .await
        .unwrap();
    assert_eq!(tomb, vec![uid]);
    assert!(
        marquee::db::repo::privacy::last_erasure_of(&app.state.db, external)
            .await
            .unwrap()
            .is_some()
    );
    // The person's old token cannot bring the account back.
    let r = app.graphql("{ me { id } }", json!({}), Some(&t)).await;
    assert_eq!(error_code(&r), Some("UNAUTHENTICATED"), "{r}");
    assert!(
        marquee::db::repo::users::find_by_external_id(&app.state.db, external)
            .await
            .unwrap()
            .is_none()
    );
    // A staff lookup finds nothing; a repeat is refused.
    let u = app
        .graphql(
            "query($id: ID!) { user(id: $id) { id } }",
            json!({ "id": gid("User", uid as i64) }),
            Some(&c),
        )
        .await;
    assert!(u["data"]["user"].is_null(), "{u}");
    let again = app.graphql(COMPLETE, json!({ "id": id }), Some(&c)).await;
    assert_eq!(error_code(&again), Some("CONFLICT"));

    // The audit trail shows who did what, with counts and no personal data.
    let log = app
        .graphql(
            "{ auditLog(first: 20, filter: { action: \"deletion\" }) { totalCount nodes { action actorKind actorRole targetType details } } }",
            json!({}),
            Some(&c),
        )
        .await;
    let entries = log["data"]["auditLog"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{log}"));
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["deletion.complete", "deletion.approve", "deletion.request"],
        "{log}"
    );
    assert_eq!(entries[0]["actorKind"], "STAFF");
    assert_eq!(entries[0]["actorRole"], "COMPLIANCE");
    assert_eq!(entries[0]["details"]["deleted"]["users"], 1);
    assert!(!log.to_string().contains(external));
    // The request's own trail, asked for by its opaque id as the console links it; staff are
    // named by email, the erased requester by nothing.
    let trail = app
        .graphql(
            "query($id: String!) { auditLog(filter: { targetId: $id }) { nodes { action actorKind actorName targetType targetId } } }",
            json!({ "id": id }),
            Some(&c),
        )
        .await;
    let nodes = trail["data"]["auditLog"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{trail}"));
    assert!(nodes.len() >= 2, "{trail}");
    assert!(
        nodes.iter().all(|n| n["targetType"] == "deletion_request"),
        "{trail}"
    );
    for n in nodes {
        match n["actorKind"].as_str().unwrap() {
            "STAFF" => {
                let name = n["actorName"].as_str().unwrap_or_else(|| panic!("{n}"));
                assert!(
                    name.starts_with("compliance-") && name.ends_with("@example.test"),
                    "{n}"
                );
            }
            _ => assert!(n["actorName"].is_null(), "{n}"),
        }
    }
    assert!(!trail.to_string().contains(external));
}
api_test!(a_completed_deletion_leaves_no_trace_in_the_database_or_the_model);

async fn each_role_may_do_only_its_part_of_the_workflow(app: TestApp) {
    demo_with_model(&app).await;
    let other = user_id_of(&app, "demo-0002").await;
    let t = app.user_token("demo-0001");
    let editor = app.staff_token("editor").await;
    let c = app.staff_token("compliance").await;

    // A user may not ask for someone else; anonymous callers are refused.
    let r = app
        .graphql(REQUEST, json!({ "u": gid("User", other as i64) }), Some(&t))
        .await;
    assert_eq!(error_code(&r), Some("FORBIDDEN"), "{r}");
    let r = app.graphql(REQUEST, json!({}), None).await;
    assert_eq!(error_code(&r), Some("UNAUTHENTICATED"));
    // Editors have no part in privacy.
    for q in [
        "{ deletionRequests { totalCount } }",
        "{ auditLog { totalCount } }",
        "{ staffAccounts { id } }",
    ] {
        let r = app.graphql(q, json!({}), Some(&editor)).await;
        assert_eq!(error_code(&r), Some("FORBIDDEN"), "{q}: {r}");
    }
    let r = app
        .graphql(
            REQUEST,
            json!({ "u": gid("User", other as i64) }),
            Some(&editor),
        )
        .await;
    assert_eq!(error_code(&r), Some("FORBIDDEN"), "{r}");
    // Compliance must name the person, and an unknown one is NOT_FOUND.
    let r = app.graphql(REQUEST, json!({}), Some(&c)).await;
    assert_eq!(error_code(&r), Some("BAD_USER_INPUT"), "{r}");
    let r = app
        .graphql(REQUEST, json!({ "u": gid("User", 999_999) }), Some(&c))
        .await;
    assert_eq!(error_code(&r), Some("NOT_FOUND"), "{r}");
    assert_eq!(app.count("deletion_requests").await, 0);

    // On someone's behalf, then rejected: a reason is required, and it ends the request.
    let r = app
        .graphql(REQUEST, json!({ "u": gid("User", other as i64) }), Some(&c))
        .await;
    let req = &r["data"]["requestDataDeletion"]["deletionRequest"];
    assert!(
        req["requestedBy"].as_str().unwrap().starts_with("staff:"),
        "{r}"
    );
    let id = req["id"].as_str().unwrap().to_owned();
    let reject = "mutation($id: ID!, $r: String!) { rejectDeletionRequest(input: {id: $id, reason: $r}) { deletionRequest { status reason } } }";
    let r = app
        .graphql(reject, json!({ "id": id, "r": "  " }), Some(&c))
        .await;
    assert_eq!(error_code(&r), Some("BAD_USER_INPUT"), "{r}");
    let r = app
        .graphql(reject, json!({ "id": id, "r": "legal hold" }), Some(&c))
        .await;
    assert_eq!(
        r["data"]["rejectDeletionRequest"]["deletionRequest"]["status"], "REJECTED",
        "{r}"
    );
    let r = app.graphql(APPROVE, json!({ "id": id }), Some(&c)).await;
    assert_eq!(error_code(&r), Some("CONFLICT"), "{r}");
    // A rejected request is closed: a new request opens a new one.
    let r = app
        .graphql(REQUEST, json!({ "u": gid("User", other as i64) }), Some(&c))
        .await;
    assert_ne!(
        r["data"]["requestDataDeletion"]["deletionRequest"]["id"]
            .as_str()
            .unwrap(),
        id
    );
    assert!(app.state.recommender.knows_user(other));
}
api_test!(each_role_may_do_only_its_part_of_the_workflow);

async fn users_and_compliance_can_export_everything_held(app: TestApp) {
    let editor = app.staff_token("editor").await;
    let m = app
        .create_movie(&editor, "Export Test", 1999, &["Drama"])
        .await;
    let t = app.user_token("exporter");
    app.graphql(
        "mutation($m: ID!) { rateMovie(input: {movieId: $m, score: 3.5}) { rating { score } } }",
        json!({ "m": m }),
        Some(&t),
    )
    .await;
    app.graphql(
        "mutation($m: ID!) { recordEvent(input: { movieId: $m, kind: THUMBS_UP }) { event { id } } }",
        json!({ "m": m }),
        Some(&t),
    )
    .await;
    let mine = app.graphql("{ exportMyData }", json!({}), Some(&t)).await;
    let data = &mine["data"]["exportMyData"];
    assert_eq!(data["profile"]["externalId"], "exporter", "{mine}");
    assert_eq!(data["ratings"][0]["title"], "Export Test");
    assert_eq!(data["ratings"][0]["score"], 3.5);
    assert_eq!(data["events"][0]["kind"], "THUMBS_UP");

    let uid = user_id_of(&app, "exporter").await;
    let q = "query($u: ID!) { exportUserData(userId: $u) }";
    let vars = json!({ "u": gid("User", uid as i64) });
    let c = app.staff_token("compliance").await;
    let theirs = app.graphql(q, vars.clone(), Some(&c)).await;
    assert_eq!(theirs["data"]["exportUserData"]["ratings"], data["ratings"]);
    for token in [editor.as_str(), t.as_str()] {
        let r = app.graphql(q, vars.clone(), Some(token)).await;
        assert_eq!(error_code(&r), Some("FORBIDDEN"), "{r}");
    }
    let r = app
        .graphql(q, json!({ "u": gid("User", 999_999) }), Some(&c))
        .await;
    assert_eq!(error_code(&r), Some("NOT_FOUND"));
    // Both exports are audited.
    let log = app
        .graphql(
            "{ auditLog(filter: { action: \"data.export\" }) { totalCount nodes { actorKind } } }",
            json!({}),
            Some(&c),
        )
        .await;
    assert_eq!(log["data"]["auditLog"]["totalCount"], 2, "{log}");
}
api_test!(users_and_compliance_can_export_everything_held);

async fn admins_manage_staff_accounts(app: TestApp) {
    let admin = app.admin_token().await;
    let create = "mutation($i: CreateStaffInput!) { createStaff(input: $i) { staffAccount { id email role disabled } } }";
    let r = app
        .graphql(
            create,
            json!({ "i": { "email": "Ed@Example.test", "password": "short", "role": "EDITOR" } }),
            Some(&admin),
        )
        .await;
    assert_eq!(error_code(&r), Some("BAD_USER_INPUT"), "{r}");
    let r = app
        .graphql(
            create,
            json!({ "i": { "email": "Ed@Example.test", "password": "long enough pw", "role": "EDITOR" } }),
            Some(&admin),
        )
        .await;
    let ed = &r["data"]["createStaff"]["staffAccount"];
    assert_eq!(ed["email"], "ed@example.test", "{r}");
    let ed_id = ed["id"].as_str().unwrap().to_owned();
    let r = app
        .graphql(
            create,
            json!({ "i": { "email": "ed@example.test", "password": "long enough pw", "role": "ADMIN" } }),
            Some(&admin),
        )
        .await;
    assert_eq!(error_code(&r), Some("CONFLICT"), "{r}");

    // The new editor signs in, cannot manage staff, and is locked out once disabled.
    let login = "mutation { login(input: {email: \"ed@example.test\", password: \"long enough pw\"}) { token role } }";
    let r = app.graphql(login, json!({}), None).await;
    assert_eq!(r["data"]["login"]["role"], "EDITOR", "{r}");
    let ed_token = r["data"]["login"]["token"].as_str().unwrap().to_owned();
    let r = app
        .graphql("{ staffAccounts { id } }", json!({}), Some(&ed_token))
        .await;
    assert_eq!(error_code(&r), Some("FORBIDDEN"));
    let update = "mutation($i: UpdateStaffInput!) { updateStaff(input: $i) { staffAccount { role disabled } } }";
    let r = app
        .graphql(
            update,
            json!({ "i": { "id": ed_id, "disabled": true } }),
            Some(&admin),
        )
        .await;
    assert_eq!(
        r["data"]["updateStaff"]["staffAccount"]["disabled"], true,
        "{r}"
    );
    let r = app
        .graphql("{ currentStaff { email } }", json!({}), Some(&ed_token))
        .await;
    assert_eq!(error_code(&r), Some("UNAUTHENTICATED"), "{r}");

    // The last enabled admin cannot lock everyone out.
    let list = app
        .graphql(
            "{ staffAccounts { id role disabled } }",
            json!({}),
            Some(&admin),
        )
        .await;
    let admins: Vec<&Value> = list["data"]["staffAccounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["role"] == "ADMIN")
        .collect();
    assert_eq!(admins.len(), 1, "{list}");
    let r = app
        .graphql(
            update,
            json!({ "i": { "id": admins[0]["id"], "role": "EDITOR" } }),
            Some(&admin),
        )
        .await;
    assert_eq!(error_code(&r), Some("CONFLICT"), "{r}");
    let log = app
        .graphql(
            "{ auditLog(filter: { targetType: \"staff\" }) { totalCount } }",
            json!({}),
            Some(&admin),
        )
        .await;
    assert_eq!(log["data"]["auditLog"]["totalCount"], 2, "{log}");
}
api_test!(admins_manage_staff_accounts);

async fn dashboard_figures_count_activity_per_day(app: TestApp) {
    let editor = app.staff_token("editor").await;
    let m = app.create_movie(&editor, "Stats", 2001, &["Comedy"]).await;
    for u in ["s1", "s2", "s3"] {
        let t = app.user_token(u);
        app.graphql(
            "mutation($m: ID!) { rateMovie(input: {movieId: $m, score: 4}) { rating { score } } }",
            json!({ "m": m }),
            Some(&t),
        )
        .await;
    }
    let r = app
        .graphql(
            "{ activityStats(days: 7) { day ratings events newUsers } requestStats { totalRequests p95Ms } }",
            json!({}),
            Some(&editor),
        )
        .await;
    let days = r["data"]["activityStats"]
        .as_array()
        .unwrap_or_else(|| panic!("{r}"));
    assert_eq!(days.len(), 7);
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    assert_eq!(days[6]["day"], today.as_str());
    assert_eq!(days[6]["ratings"], 3, "{r}");
    assert_eq!(days[6]["newUsers"], 3, "{r}");
    assert_eq!(days[0]["ratings"], 0);
    assert!(
        r["data"]["requestStats"]["totalRequests"].as_u64().unwrap() >= 4,
        "{r}"
    );
    let t = app.user_token("s1");
    let r = app
        .graphql("{ activityStats { day } }", json!({}), Some(&t))
        .await;
    assert_eq!(error_code(&r), Some("FORBIDDEN"));
}
api_test!(dashboard_figures_count_activity_per_day);

/// Requests, approves and completes the deletion of `external` (as the user, then compliance).
pub(crate) async fn erase_through_the_api(app: &TestApp, external: &str) {
    let t = app.user_token(external);
    let r = app.graphql(REQUEST, json!({}), Some(&t)).await;
    let id = r["data"]["requestDataDeletion"]["deletionRequest"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{r}"))
        .to_owned();
    let c = app.staff_token("compliance").await;
    app.graphql(APPROVE, json!({ "id": id }), Some(&c)).await;
    let done = app.graphql(COMPLETE, json!({ "id": id }), Some(&c)).await;
    assert_eq!(
        done["data"]["completeDeletionRequest"]["deletionRequest"]["status"], "COMPLETED",
        "{done}"
    );
}

fn another_process(app: &TestApp) -> marquee::app::model::RecommenderHandle {
    marquee::app::model::RecommenderHandle::new(app.state.settings.recommender.model.clone(), false)
}

async fn stored_model_knows(app: &TestApp, uid: i32) -> bool {
    let v = marquee::db::repo::training::active_version(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let snap = marquee_core::recommender::snapshot::Snapshot::from_bytes(&v.blob.unwrap()).unwrap();
    snap.history(uid as i64, &[], None).user.is_some()
}

async fn erasure_reaches_models_trained_in_other_processes(app: TestApp) {
    demo_with_model(&app).await;
    let none = &marquee_core::recommender::no_progress;
    let a = "demo-0009";
    let a_id = user_id_of(&app, a).await;

    // `marquee train` in another process stores a newer version than the one this server
    // serves; the erasure then completes here.
    let other = another_process(&app);
    other.train(&app.state.db, none).await.unwrap();
    assert!(stored_model_knows(&app, a_id).await);
    erase_through_the_api(&app, a).await;
    assert!(!stored_model_knows(&app, a_id).await);
    let restarted = another_process(&app);
    assert!(restarted.load_active(&app.state.db).await.unwrap());
    assert!(!restarted.knows_user(a_id));

    // A training that read its data before an erasure committed elsewhere (the tombstone is
    // there, the rows it read were not yet gone) stores its model without the person.
    let b = "demo-0011";
    let b_id = user_id_of(&app, b).await;
    let tombstone = |id: i32, ext: &str| marquee::db::entities::erasures::ActiveModel {
        user_id: sea_orm::Set(id),
        subject_hash: sea_orm::Set(marquee::db::repo::privacy::subject_hash(ext)),
        erased_at: sea_orm::Set(chrono::Utc::now()),
        ..Default::default()
    };
    use sea_orm::ActiveModelTrait;
    tombstone(b_id, b).insert(&app.state.db).await.unwrap();
    let other = another_process(&app);
    other.train(&app.state.db, none).await.unwrap();
    assert!(!other.knows_user(b_id));
    assert!(!stored_model_knows(&app, b_id).await);

    // A stored model that still holds someone erased (written by an older process) is
    // stripped when loaded, and its stored parameters are rewritten.
    let c = "demo-0013";
    let c_id = user_id_of(&app, c).await;
    let other = another_process(&app);
    other.train(&app.state.db, none).await.unwrap();
    assert!(stored_model_knows(&app, c_id).await);
    tombstone(c_id, c).insert(&app.state.db).await.unwrap();
    let restarted = another_process(&app);
    assert!(restarted.load_active(&app.state.db).await.unwrap());
    assert!(!restarted.knows_user(c_id));
    assert!(!stored_model_knows(&app, c_id).await);
}
api_test!(erasure_reaches_models_trained_in_other_processes);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erased_rows_cannot_be_read_back_from_the_sqlite_file() {
    let app = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite)
        .await
        .unwrap();
    marquee::db::seed::load_demo(&app.state.db, &app.state.settings.demo)
        .await
        .unwrap();
    let external = "demo-0005";
    let t = app.user_token(external);
    let marker = format!("erase-me-{}", uuid::Uuid::new_v4().simple());
    let movie = app
        .graphql("{ movies(first: 1) { nodes { id } } }", json!({}), Some(&t))
        .await["data"]["movies"]["nodes"][0]["id"]
        .clone();
    let r = app
        .graphql(
            "mutation($m: ID!, $c: JSON) { recordEvent(input: { movieId: $m, kind: VIEW_START, context: $c }) { event { id } } }",
            json!({ "m": movie, "c": { "note": marker } }),
            Some(&t),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    let path = app
        .state
        .settings
        .database
        .url
        .trim_start_matches("sqlite://")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let on_disk = |p: &str| -> bool {
        [p.to_owned(), format!("{p}-wal")].iter().any(|f| {
            std::fs::read(f)
                .is_ok_and(|bytes| bytes.windows(marker.len()).any(|w| w == marker.as_bytes()))
        })
    };
    assert!(
        on_disk(&path),
        "the marker must be on disk before the erasure"
    );
    erase_through_the_api(&app, external).await;
    assert!(
        !on_disk(&path),
        "erased bytes are still in the database file or its log"
    );
}
