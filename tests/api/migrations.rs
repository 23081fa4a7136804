//! Migrations that reshape data keep it, both ways.
use crate::api_test;
use crate::helpers::*;
use marquee::db::entities::events;
use marquee::db::repo::events::{log_recommendations, LoggedItem, ShownList};
use marquee::graphql::ids::Kind;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set, Statement};
use serde_json::{json, Value};

fn decode(kind: Kind, id: &str) -> i32 {
    marquee::graphql::ids::decode(kind, &async_graphql::ID::from(id)).unwrap()
}

/// The `recommendationId` each event names.
async fn event_recommendation_ids(app: &TestApp) -> Vec<Option<String>> {
    events::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.recommendation_id)
        .collect()
}

/// Every shown item's `recommendationId` in the person's privacy export.
async fn exported_item_ids(app: &TestApp, user_id: i32) -> Vec<String> {
    let export: Value = marquee::db::repo::privacy::export_user(&app.state.db, user_id)
        .await
        .unwrap()
        .unwrap();
    export["recommendationsShown"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["recommendationId"].as_str().unwrap().to_owned())
        .collect()
}

async fn recommendation_logs_become_one_row_per_list_and_back(app: TestApp) {
    let editor = app.staff_token("editor").await;
    let movie = app.create_movie(&editor, "Heat", 1995, &["Crime"]).await;
    let movie = decode(Kind::Movie, &movie);
    let me = app
        .graphql("{ me { id } }", json!({}), Some(&app.user_token("mig-1")))
        .await;
    let user = decode(Kind::User, me["data"]["me"]["id"].as_str().unwrap());
    let db = &app.state.db;
    let now = chrono::Utc::now();
    log_recommendations(
        db,
        &[ShownList {
            id: "list-a".into(),
            user_id: user,
            surface: "HOME",
            items: [(movie, "MODEL", 0), (movie, "POPULAR", 1)]
                .map(|(movie_id, source, position)| LoggedItem {
                    movie_id,
                    source: source.into(),
                    position,
                    origin: Default::default(),
                })
                .to_vec(),
            shown_at: now,
            experiments: vec![],
        }],
    )
    .await
    .unwrap();
    events::ActiveModel {
        user_id: Set(user),
        movie_id: Set(movie),
        kind: Set("CLICK".into()),
        recommendation_id: Set(Some(ShownList::item_id("list-a", 1))),
        occurred_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    assert_eq!(app.count("recommendation_lists").await, 1);

    // Down (past the later migrations too): one row per item, named as the items were.
    let later = Migrator::migrations().len() - 6;
    Migrator::down(db, Some(later as u32 + 1)).await.unwrap();
    assert_eq!(app.count("recommendation_logs").await, 2);
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT movie_id, source, position FROM recommendation_logs WHERE id = 'list-a:1'",
        ))
        .await
        .unwrap()
        .expect("the item's row");
    assert_eq!(row.try_get::<i32>("", "movie_id").unwrap(), movie);
    assert_eq!(row.try_get::<String>("", "source").unwrap(), "POPULAR");
    assert_eq!(row.try_get::<i32>("", "position").unwrap(), 1);
    assert_eq!(
        event_recommendation_ids(&app).await,
        vec![Some("list-a:1".to_owned())]
    );

    // Rules from before public reasons: a boost's note was what subscribers read.
    for (kind, note) in [("BOOST", "Noir Week"), ("BURY", "Too many sequels")] {
        db.execute_raw(Statement::from_string(
            db.get_database_backend(),
            format!(
                "INSERT INTO rules (kind, multiplier, movie_id, note, created_at) \
                 VALUES ('{kind}', 1.5, {movie}, '{note}', CURRENT_TIMESTAMP)"
            ),
        ))
        .await
        .unwrap();
    }

    // Up again: each old row becomes a list, and the event still names a shown item.
    Migrator::up(db, None).await.unwrap();
    let reasons = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT kind, note, reason FROM rules ORDER BY id",
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.try_get::<String>("", "kind").unwrap(),
                r.try_get::<Option<String>>("", "note").unwrap(),
                r.try_get::<Option<String>>("", "reason").unwrap(),
            )
        })
        .collect::<Vec<_>>();
    assert_eq!(
        reasons,
        vec![
            (
                "BOOST".into(),
                Some("Noir Week".into()),
                Some("Noir Week".into())
            ),
            ("BURY".into(), Some("Too many sequels".into()), None),
        ],
        "a boost keeps showing its note as its reason; a bury's note stays internal"
    );
    assert_eq!(app.count("recommendation_lists").await, 2);
    let shown = exported_item_ids(&app, user).await;
    assert_eq!(shown.len(), 2, "{shown:?}");
    let clicked = event_recommendation_ids(&app).await[0].clone().unwrap();
    assert!(shown.contains(&clicked), "{clicked} is not among {shown:?}");
}
api_test!(recommendation_logs_become_one_row_per_list_and_back);
