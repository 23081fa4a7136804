use std::io::Write;

use crate::api_test;
use crate::helpers::{dataset, TestApp};

async fn ml_100k_imports_with_its_published_counts_and_reruns_idempotently(app: TestApp) {
    let dir = dataset("ml-100k");
    let r = marquee::db::import::import_movielens(&app.state.db, &dir, "ml-100k", None)
        .await
        .unwrap();
    assert_eq!(
        (r.movies_added, r.users_added, r.ratings_written),
        (1682, 943, 100_000)
    );
    assert_eq!(app.count("ratings").await, 100_000);
    assert_eq!(app.count("users").await, 943);
    assert_eq!(app.count("movies").await, 1682);
    let again = marquee::db::import::import_movielens(&app.state.db, &dir, "ml-100k", None)
        .await
        .unwrap();
    assert_eq!((again.movies_added, again.users_added), (0, 0));
    assert_eq!(app.count("ratings").await, 100_000);
    // Imported users sign in as `<source>:<MovieLens id>` and see their ratings.
    let t = app.user_token("ml-100k:1");
    let r = app
        .graphql(
            "{ me { ageBand ratings(first: 1) { totalCount } } }",
            serde_json::json!({}),
            Some(&t),
        )
        .await;
    assert_eq!(r["data"]["me"]["ratings"]["totalCount"], 272, "{r}");
    assert_eq!(r["data"]["me"]["ageBand"], "AGE_18_24");

    // A model trained on the import explains its picks for a MovieLens user by movies they
    // rated, and a new rating changes the next answer at once.
    app.state
        .recommender
        .train(&app.state.db, &marquee_core::recommender::no_progress)
        .await
        .unwrap();
    let recs = "{ recommendations(first: 10) { edges { node { source reason { text evidence { title } } movie { id title } } } } }";
    let r = app.graphql(recs, serde_json::json!({}), Some(&t)).await;
    let items = r["data"]["recommendations"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{r}"))
        .clone();
    assert_eq!(items.len(), 10, "{r}");
    let explained = items
        .iter()
        .filter(|e| {
            e["node"]["reason"]["text"]
                .as_str()
                .is_some_and(|t| t.starts_with("Because you rated"))
                && !e["node"]["reason"]["evidence"]
                    .as_array()
                    .unwrap()
                    .is_empty()
        })
        .count();
    assert!(explained >= 5, "few items name their evidence: {r}");
    let top = items[0]["node"]["movie"]["id"].clone();
    let rated = app
        .graphql(
            "mutation($m: ID!) { rateMovie(input: {movieId: $m, score: 1}) { rating { score } } }",
            serde_json::json!({ "m": top }),
            Some(&t),
        )
        .await;
    assert!(rated["errors"].is_null(), "{rated}");
    let r2 = app.graphql(recs, serde_json::json!({}), Some(&t)).await;
    assert!(!r2.to_string().contains(top.as_str().unwrap()), "{r2}");
    assert_ne!(r2["data"], r["data"]);
}
api_test!(ml_100k_imports_with_its_published_counts_and_reruns_idempotently);

async fn ml_latest_small_imports_with_its_published_counts(app: TestApp) {
    let dir = dataset("ml-latest-small");
    let r = marquee::db::import::import_movielens(&app.state.db, &dir, "ml-latest-small", None)
        .await
        .unwrap();
    assert_eq!(r.ratings_written, 100_836);
    assert_eq!(app.count("ratings").await, 100_836);
    assert_eq!(app.count("users").await, 610);
    assert_eq!(app.count("movies").await, 9742);
    assert!(app.count("user_tags").await > 3000);
    let r = app
        .graphql("{ movies(first: 1, filter: {search: \"toy story\"}, orderBy: YEAR_ASC) { edges { node { title year imdbId genres { name } } } } }", serde_json::json!({}), None)
        .await;
    let toy = &r["data"]["movies"]["edges"][0]["node"];
    assert_eq!(toy["title"], "Toy Story", "{r}");
    assert_eq!(toy["year"], 1995);
    assert!(
        toy["imdbId"]
            .as_str()
            .is_some_and(|s| s.contains("0114709")),
        "{r}"
    );
}
api_test!(ml_latest_small_imports_with_its_published_counts);

async fn a_malformed_file_stops_the_import_with_its_line_and_changes_nothing(app: TestApp) {
    let dir = tempfile::tempdir().unwrap();
    let mut f = std::fs::File::create(dir.path().join("ratings.csv")).unwrap();
    writeln!(
        f,
        "userId,movieId,rating,timestamp\r\n1,1,4.0,964982703\r\n1,2,oops,964982703\r"
    )
    .unwrap();
    let mut f = std::fs::File::create(dir.path().join("movies.csv")).unwrap();
    writeln!(f, "movieId,title,genres\r\n1,Toy Story (1995),Animation|Comedy\r\n2,Jumanji (1995),Adventure\r").unwrap();
    let err = marquee::db::import::import_movielens(&app.state.db, dir.path(), "broken", None)
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("ratings.csv:3"), "{msg}");
    assert_eq!(app.count("movies").await, 0);
    assert_eq!(app.count("ratings").await, 0);
}
api_test!(a_malformed_file_stops_the_import_with_its_line_and_changes_nothing);

async fn two_datasets_imported_one_after_the_other_never_collide(app: TestApp) {
    let (small, latest) = (dataset("ml-100k"), dataset("ml-latest-small"));
    use marquee::db::import::import_movielens;
    import_movielens(&app.state.db, &small, "ml-100k", None)
        .await
        .unwrap();
    let r = import_movielens(&app.state.db, &latest, "ml-latest-small", None)
        .await
        .unwrap();
    // Every rating of both landed, on its own users.
    assert_eq!(app.count("ratings").await, 100_000 + 100_836);
    assert_eq!(app.count("users").await, 943 + 610);
    assert_eq!(r.users_added, 610);
    let rated = |ext: &'static str| {
        let app = &app;
        async move {
            let t = app.user_token(ext);
            app.graphql(
                "{ me { ratings(first: 1) { totalCount } } }",
                serde_json::json!({}),
                Some(&t),
            )
            .await
        }
    };
    // User 1 of each dataset keeps exactly their own ratings.
    let a = rated("ml-100k:1").await;
    assert_eq!(a["data"]["me"]["ratings"]["totalCount"], 272, "{a}");
    let b = rated("ml-latest-small:1").await;
    assert_eq!(b["data"]["me"]["ratings"]["totalCount"], 232, "{b}");
    // ml-latest-small's user 1 rated Grumpier Old Men (its movie 3), which must not land on
    // ml-100k's movie 3 (Four Rooms).
    let joined = "ratings r JOIN movies m ON m.id = r.movie_id JOIN users u ON u.id = r.user_id";
    let of_user = "u.external_id = 'ml-latest-small:1'";
    assert_eq!(
        app.count_where(
            joined,
            &format!("{of_user} AND m.title = 'Grumpier Old Men'")
        )
        .await,
        1
    );
    assert_eq!(
        app.count_where(joined, &format!("{of_user} AND m.title = 'Four Rooms'"))
            .await,
        0
    );
    // Re-importing the second source changes nothing.
    let again = import_movielens(&app.state.db, &latest, "ml-latest-small", None)
        .await
        .unwrap();
    assert_eq!((again.movies_added, again.users_added), (0, 0));
    assert_eq!(app.count("ratings").await, 100_000 + 100_836);
}
api_test!(two_datasets_imported_one_after_the_other_never_collide);

async fn a_bulk_import_keeps_the_last_of_duplicates_and_puts_every_index_and_key_back(
    app: TestApp,
) {
    use sea_orm::{ConnectionTrait, DbBackend};
    // 600 users × 5 movies (more than one batch, into an empty table: the bulk path), and
    // user 1 rates movie 1 twice: the later line wins.
    let dir = tempfile::tempdir().unwrap();
    let mut f = std::fs::File::create(dir.path().join("movies.csv")).unwrap();
    writeln!(f, "movieId,title,genres").unwrap();
    for m in 1..=5 {
        writeln!(f, "{m},Movie {m} (1990),Drama").unwrap();
    }
    let mut f = std::fs::File::create(dir.path().join("ratings.csv")).unwrap();
    writeln!(f, "userId,movieId,rating,timestamp").unwrap();
    for u in 1..=600 {
        for m in 1..=5 {
            writeln!(
                f,
                "{u},{m},{},{}",
                1 + (u + m) % 5,
                964_982_703 + u * 10 + m
            )
            .unwrap();
        }
    }
    writeln!(f, "1,1,0.5,964990000").unwrap();
    drop(f);
    use marquee::db::import::import_movielens;
    let r = import_movielens(&app.state.db, dir.path(), "dup", None)
        .await
        .unwrap();
    assert_eq!((r.ratings_in_file, r.users_added), (3001, 600));
    assert_eq!(app.count("ratings").await, 3000);
    let joined = "ratings r JOIN movies m ON m.id = r.movie_id JOIN users u ON u.id = r.user_id";
    let pair = "u.external_id = 'dup:1' AND m.external_id = 'dup:1'";
    assert_eq!(
        app.count_where(joined, &format!("{pair} AND r.score = 0.5"))
            .await,
        1
    );
    // The index by movie is back, and so are the unique pair (a re-import upserts on it) and the
    // foreign keys (erasing a user cascades to their ratings).
    let db = &app.state.db;
    let named = "IN ('uq_ratings_user_movie', 'idx_ratings_movie')";
    let indexes = match db.get_database_backend() {
        DbBackend::Postgres => {
            app.count_where(
                "pg_indexes",
                &format!("tablename = 'ratings' AND indexname {named}"),
            )
            .await
        }
        _ => {
            app.count_where("sqlite_master", &format!("type = 'index' AND name {named}"))
                .await
        }
    };
    assert_eq!(indexes, 2);
    assert_eq!(
        app.count_where(
            "ratings",
            "movie_id = (SELECT id FROM movies WHERE external_id = 'dup:2')"
        )
        .await,
        600
    );
    let again = import_movielens(&app.state.db, dir.path(), "dup", None)
        .await
        .unwrap();
    assert_eq!(again.users_added, 0);
    assert_eq!(app.count("ratings").await, 3000);
    db.execute_unprepared("DELETE FROM users WHERE external_id = 'dup:2'")
        .await
        .unwrap();
    assert_eq!(app.count("ratings").await, 2995);
}
api_test!(a_bulk_import_keeps_the_last_of_duplicates_and_puts_every_index_and_key_back);
