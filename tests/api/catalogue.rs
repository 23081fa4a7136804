use serde_json::json;

use crate::api_test;
use crate::helpers::{error_code, TestApp};

const LIST: &str = "query($f: MovieFilterInput, $first: Int, $after: String, $o: MovieOrderBy) {
  movies(first: $first, after: $after, filter: $f, orderBy: $o) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id title year genres { name } directors { name } cast { name } ratingCount averageRating } }
  }
}";

async fn editors_create_movies_that_everyone_can_list_and_filter(app: TestApp) {
    let editor = app.staff_token("editor").await;
    app.create_movie(&editor, "Heat", 1995, &["Action", "Crime"])
        .await;
    app.create_movie(&editor, "Alien", 1979, &["Horror", "Sci-Fi"])
        .await;
    app.create_movie(&editor, "Blade Runner", 1982, &["Sci-Fi"])
        .await;

    let r = app
        .graphql(
            LIST,
            json!({ "f": { "genres": ["sci-fi"] }, "o": "YEAR_ASC" }),
            None,
        )
        .await;
    let titles: Vec<&str> = r["data"]["movies"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{r}"))
        .iter()
        .map(|e| e["node"]["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Alien", "Blade Runner"]);
    assert_eq!(r["data"]["movies"]["totalCount"], 2);

    let r = app
        .graphql(
            LIST,
            json!({ "f": { "search": "HEA", "yearFrom": 1990 } }),
            None,
        )
        .await;
    assert_eq!(r["data"]["movies"]["totalCount"], 1, "{r}");
    let heat = &r["data"]["movies"]["edges"][0]["node"];
    assert_eq!(heat["directors"][0]["name"], "Test Director");
    assert_eq!(heat["cast"].as_array().unwrap().len(), 2);
}
api_test!(editors_create_movies_that_everyone_can_list_and_filter);

async fn pages_follow_cursors_without_gaps_or_repeats(app: TestApp) {
    let editor = app.staff_token("editor").await;
    for i in 0..7 {
        app.create_movie(&editor, &format!("Movie {i}"), 2000 + i, &["Drama"])
            .await;
    }
    let mut seen = vec![];
    let mut after: Option<String> = None;
    loop {
        let r = app
            .graphql(LIST, json!({ "first": 3, "after": after }), None)
            .await;
        let conn = &r["data"]["movies"];
        for e in conn["edges"].as_array().unwrap() {
            seen.push(e["node"]["title"].as_str().unwrap().to_owned());
        }
        if conn["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = conn["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(
        seen,
        (0..7).map(|i| format!("Movie {i}")).collect::<Vec<_>>()
    );
}
api_test!(pages_follow_cursors_without_gaps_or_repeats);

const BACKWARD: &str = "query($last: Int, $before: String, $first: Int, $after: String) {
  movies(last: $last, before: $before, first: $first, after: $after, orderBy: YEAR_ASC) {
    totalCount
    pageInfo { hasPreviousPage hasNextPage startCursor endCursor }
    nodes { title }
  }
}";

async fn pages_walk_backward_from_the_end_without_gaps_or_repeats(app: TestApp) {
    let editor = app.staff_token("editor").await;
    for i in 0..7 {
        app.create_movie(&editor, &format!("Movie {i}"), 2000 + i, &["Drama"])
            .await;
    }
    let titles = |conn: &serde_json::Value| -> Vec<String> {
        conn["nodes"]
            .as_array()
            .unwrap_or_else(|| panic!("{conn}"))
            .iter()
            .map(|n| n["title"].as_str().unwrap().to_owned())
            .collect()
    };
    // `last` alone is the end of the list; then page back with `before` the page's start.
    let mut pages = vec![];
    let mut before: Option<String> = None;
    loop {
        let r = app
            .graphql(BACKWARD, json!({ "last": 3, "before": before }), None)
            .await;
        let conn = &r["data"]["movies"];
        assert_eq!(conn["totalCount"], 7, "{r}");
        pages.push(titles(conn));
        // A page that ends before the last movie has a next page.
        assert_eq!(conn["pageInfo"]["hasNextPage"], before.is_some(), "{r}");
        if conn["pageInfo"]["hasPreviousPage"] != true {
            break;
        }
        before = conn["pageInfo"]["startCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(
        pages,
        [
            vec!["Movie 4", "Movie 5", "Movie 6"],
            vec!["Movie 1", "Movie 2", "Movie 3"],
            vec!["Movie 0"],
        ]
    );
    // A cursor read going backward serves going forward too.
    let r = app.graphql(BACKWARD, json!({ "last": 2 }), None).await;
    let start = r["data"]["movies"]["pageInfo"]["startCursor"].clone();
    let r = app
        .graphql(BACKWARD, json!({ "first": 1, "after": start }), None)
        .await;
    assert_eq!(titles(&r["data"]["movies"]), ["Movie 6"]);
    // Mixing directions, and a page size out of range, are refused.
    for bad in [
        json!({ "first": 2, "last": 2 }),
        json!({ "after": start, "last": 2 }),
        json!({ "last": 0 }),
        json!({ "last": 101 }),
    ] {
        let r = app.graphql(BACKWARD, bad.clone(), None).await;
        assert_eq!(error_code(&r), Some("BAD_USER_INPUT"), "{bad}: {r}");
    }
}
api_test!(pages_walk_backward_from_the_end_without_gaps_or_repeats);

/// The count that finds the end of the list is also the page's `totalCount`: a page from the
/// end costs no more queries than one from the start.
async fn a_page_from_the_end_counts_its_list_once(app: TestApp) {
    let editor = app.staff_token("editor").await;
    for i in 0..5 {
        app.create_movie(&editor, &format!("Movie {i}"), 2000 + i, &["Drama"])
            .await;
    }
    let mut cost = vec![];
    for vars in [json!({ "first": 3 }), json!({ "last": 3 })] {
        let before = app.state.query_stats.count();
        let r = app.graphql(BACKWARD, vars, None).await;
        assert_eq!(r["data"]["movies"]["totalCount"], 5, "{r}");
        assert_eq!(
            r["data"]["movies"]["nodes"].as_array().unwrap().len(),
            3,
            "{r}"
        );
        cost.push(app.state.query_stats.count() - before);
    }
    assert_eq!(cost[1], cost[0], "queries from the start, from the end");
}
api_test!(a_page_from_the_end_counts_its_list_once);

/// Each connection counts its own list to find the end: `last: 2` must be the final two
/// items of the same list read forward, filters included.
async fn every_connection_ends_where_its_forward_listing_ends(app: TestApp) {
    let admin = app.admin_token().await;
    let editor = app.staff_token("editor").await;
    let mut movie = String::new();
    for i in 0..4 {
        movie = app
            .create_movie(&editor, &format!("Film {i}"), 1990 + i, &["Drama"])
            .await;
    }
    for (i, user) in ["u-a", "u-b", "u-c"].iter().enumerate() {
        let t = app.user_token(user);
        let r = app
            .graphql(
                "mutation($m: ID!, $s: Float!) { rateMovie(input: {movieId: $m, score: $s}) { rating { id } } }",
                json!({ "m": movie, "s": 1 + i }),
                Some(&t),
            )
            .await;
        assert!(r["errors"].is_null(), "{r}");
        let r = app
            .graphql(
                "mutation { requestDataDeletion { deletionRequest { id } } }",
                json!({}),
                Some(&t),
            )
            .await;
        assert!(r["errors"].is_null(), "{r}");
    }
    for slug in ["one", "two", "three"] {
        let r = app
            .graphql(
                "mutation($i: CreateCollectionInput!) { createCollection(input: $i) { collection { id } } }",
                json!({ "i": { "slug": slug, "title": slug } }),
                Some(&editor),
            )
            .await;
        assert!(r["errors"].is_null(), "{r}");
    }
    for (list, args, node) in [
        ("movies", "filter: {search: \"Film\"}", "title"),
        ("users", "search: \"u-\"", "externalId"),
        ("auditLog", "filter: {action: \"movie\"}", "id"),
        ("deletionRequests", "status: PENDING", "id"),
        ("collections", "status: DRAFT", "slug"),
    ] {
        let read = |window: &str| {
            format!("{{ {list}({window}, {args}) {{ totalCount pageInfo {{ hasPreviousPage hasNextPage }} nodes {{ {node} }} }} }}")
        };
        let forward = app
            .graphql(&read("first: 100"), json!({}), Some(&admin))
            .await;
        let all = forward["data"][list]["nodes"]
            .as_array()
            .unwrap_or_else(|| panic!("{list}: {forward}"))
            .clone();
        assert!(all.len() >= 3, "{list}: {forward}");
        let backward = app.graphql(&read("last: 2"), json!({}), Some(&admin)).await;
        let conn = &backward["data"][list];
        assert_eq!(
            conn["nodes"].as_array().unwrap()[..],
            all[all.len() - 2..],
            "{list}: {backward}"
        );
        assert_eq!(
            conn["pageInfo"]["hasPreviousPage"], true,
            "{list}: {backward}"
        );
        assert_eq!(conn["pageInfo"]["hasNextPage"], false, "{list}: {backward}");
    }
    // A user's own ratings page backward the same way.
    let t = app.user_token("u-a");
    let r = app
        .graphql(
            "{ me { ratings(last: 5) { totalCount nodes { score } } } }",
            json!({}),
            Some(&t),
        )
        .await;
    assert_eq!(r["data"]["me"]["ratings"]["totalCount"], 1, "{r}");
    assert_eq!(r["data"]["me"]["ratings"]["nodes"][0]["score"], 1.0, "{r}");
}
api_test!(every_connection_ends_where_its_forward_listing_ends);

async fn page_size_over_a_hundred_is_bad_input(app: TestApp) {
    let r = app.graphql(LIST, json!({ "first": 1000 }), None).await;
    assert_eq!(error_code(&r), Some("BAD_USER_INPUT"), "{r}");
}
api_test!(page_size_over_a_hundred_is_bad_input);

async fn a_query_deeper_than_the_limit_is_refused(app: TestApp) {
    // 16 levels (the limit is 15).
    let q = "{ movies { edges { node { credits { person { movies { edges { node { credits { person { movies { edges { node { credits { person { name } } } } } } } } } } } } } } } }";
    let r = app.graphql(q, json!({}), None).await;
    assert_eq!(error_code(&r), Some("QUERY_TOO_COMPLEX"), "{r}");
    assert!(r["data"].is_null());
}
api_test!(a_query_deeper_than_the_limit_is_refused);

async fn malformed_and_unknown_ids_are_refused(app: TestApp) {
    let r = app
        .graphql("{ movie(id: \"not-an-id\") { title } }", json!({}), None)
        .await;
    assert_eq!(error_code(&r), Some("BAD_USER_INPUT"), "{r}");
    // A well-formed id of another kind is malformed too.
    let t = app.user_token("u1");
    let me = app.graphql("{ me { id } }", json!({}), Some(&t)).await;
    let user_id = me["data"]["me"]["id"].as_str().unwrap().to_owned();
    let r = app
        .graphql(
            "query($id: ID!) { movie(id: $id) { title } }",
            json!({ "id": user_id }),
            None,
        )
        .await;
    assert_eq!(error_code(&r), Some("BAD_USER_INPUT"), "{r}");
}
api_test!(malformed_and_unknown_ids_are_refused);

async fn listing_a_hundred_movies_costs_as_many_queries_as_listing_ten(app: TestApp) {
    let editor = app.staff_token("editor").await;
    for i in 0..100 {
        app.create_movie(
            &editor,
            &format!("Film {i:03}"),
            1950 + (i % 70),
            &["Drama", "Comedy"],
        )
        .await;
    }
    let before = app.state.query_stats.count();
    let r = app.graphql(LIST, json!({ "first": 10 }), None).await;
    assert_eq!(
        r["data"]["movies"]["edges"].as_array().unwrap().len(),
        10,
        "{r}"
    );
    let ten = app.state.query_stats.count() - before;

    let before = app.state.query_stats.count();
    let r = app.graphql(LIST, json!({ "first": 100 }), None).await;
    assert_eq!(
        r["data"]["movies"]["edges"].as_array().unwrap().len(),
        100,
        "{r}"
    );
    let hundred = app.state.query_stats.count() - before;
    assert_eq!(ten, hundred, "nested fields must be batched");
    assert!(hundred <= 8, "{hundred} queries for one page");
}
api_test!(listing_a_hundred_movies_costs_as_many_queries_as_listing_ten);

async fn unavailable_and_deleted_movies_are_hidden_from_the_public(app: TestApp) {
    let editor = app.staff_token("editor").await;
    let a = app.create_movie(&editor, "Shown", 2001, &["Drama"]).await;
    let b = app.create_movie(&editor, "Hidden", 2002, &["Drama"]).await;
    let c = app.create_movie(&editor, "Deleted", 2003, &["Drama"]).await;
    let r = app
        .graphql(
            "mutation($id: ID!) { setMovieAvailability(input: {id: $id, available: false}) { movie { available } } }",
            json!({ "id": b }),
            Some(&editor),
        )
        .await;
    assert_eq!(
        r["data"]["setMovieAvailability"]["movie"]["available"], false,
        "{r}"
    );
    let r = app
        .graphql(
            "mutation($id: ID!) { deleteMovie(input: {id: $id}) { deleted } }",
            json!({ "id": c }),
            Some(&editor),
        )
        .await;
    assert_eq!(r["data"]["deleteMovie"]["deleted"], true, "{r}");

    let r = app.graphql(LIST, json!({}), None).await;
    assert_eq!(r["data"]["movies"]["totalCount"], 1);
    let r = app
        .graphql(
            "query($id: ID!) { movie(id: $id) { title } }",
            json!({ "id": b }),
            None,
        )
        .await;
    assert!(r["data"]["movie"].is_null());
    let r = app
        .graphql(
            "query($id: ID!) { movie(id: $id) { title } }",
            json!({ "id": b }),
            Some(&editor),
        )
        .await;
    assert_eq!(r["data"]["movie"]["title"], "Hidden");
    let r = app
        .graphql(LIST, json!({ "f": { "includeUnavailable": true } }), None)
        .await;
    assert_eq!(error_code(&r), Some("FORBIDDEN"));
    let r = app
        .graphql(
            LIST,
            json!({ "f": { "includeUnavailable": true } }),
            Some(&editor),
        )
        .await;
    assert_eq!(
        r["data"]["movies"]["totalCount"], 2,
        "deleted movies stay gone: {r}"
    );
    let _ = a;
    assert!(
        app.count("audit_log").await >= 5,
        "every catalogue change is audited"
    );
}
api_test!(unavailable_and_deleted_movies_are_hidden_from_the_public);

async fn a_compliance_officer_cannot_edit_the_catalogue(app: TestApp) {
    let t = app.staff_token("compliance").await;
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
api_test!(a_compliance_officer_cannot_edit_the_catalogue);

async fn cursors_out_of_range_or_malformed_are_refused(app: TestApp) {
    use base64::Engine;
    let cursor = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let compliance = app.staff_token("compliance").await;
    let users = "query($after: String) { users(first: 5, after: $after) { totalCount } }";
    for (query, token) in [(LIST, None), (users, Some(compliance.as_str()))] {
        for after in [
            cursor("offset:9223372036854775807"),
            cursor("offset:18446744073709551615"),
            cursor("offset:-1"),
            cursor("page:3"),
            "%%%".to_owned(),
        ] {
            let r = app
                .graphql(query, json!({ "first": 3, "after": after }), token)
                .await;
            assert_eq!(error_code(&r), Some("BAD_USER_INPUT"), "{after}: {r}");
        }
        // The deepest cursor allowed answers an empty page.
        let r = app
            .graphql(
                query,
                json!({ "first": 3, "after": cursor("offset:1000000000") }),
                token,
            )
            .await;
        assert!(r["errors"].is_null(), "{r}");
    }
}
api_test!(cursors_out_of_range_or_malformed_are_refused);
