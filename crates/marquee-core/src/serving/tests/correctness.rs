//! The correctness cases of the curation issue, one test each, on the small catalogue.
use std::collections::{HashMap, HashSet};

use super::fixtures::*;
use crate::catalogue::CatalogueEntry;
use crate::recommender::Source;
use crate::serving::curation::{
    Audience, Collection, CurationSnapshot, DiversitySettings, PinTarget, Placement, Rule,
    RuleKind, RuleTarget, Schedule, Surface, UserContext, DIVERSITY_WINDOW,
};
use crate::serving::explain::ReasonKind;
use crate::serving::feed::{
    home_feed, FeedInputs, FeedRequest, FeedRow, Removal, Removed, RowKind,
};
use crate::serving::pipeline::{rank_list, Candidate, ListRequest, ServedSource};

fn pin(id: i32, surface: Surface, position: u32, target: PinTarget) -> Placement {
    Placement {
        id,
        surface,
        position,
        target,
        schedule: Schedule::default(),
        audience: Audience::default(),
    }
}

fn rule(id: i32, kind: RuleKind, multiplier: f64, target: RuleTarget) -> Rule {
    Rule {
        id,
        kind,
        multiplier,
        target,
        surface: None,
        schedule: Schedule::default(),
        reason: None,
    }
}

fn collection(id: i32, slug: &str, title: &str, movie_ids: &[i32]) -> Collection {
    Collection {
        id,
        slug: slug.into(),
        title: title.into(),
        published: true,
        schedule: Schedule::default(),
        audience: Audience::default(),
        movie_ids: movie_ids.to_vec(),
    }
}

fn inputs() -> FeedInputs {
    let range = |from: i32, to: i32, source: Source| -> Vec<Candidate> {
        (from..=to)
            .chain([MISSING])
            .map(|id| Candidate {
                source,
                ..model(id, 50.0 - id as f64)
            })
            .collect()
    };
    FeedInputs {
        top_picks: range(1, 20, Source::Model),
        because: vec![
            (1, range(5, 20, Source::Content)),
            (3, range(1, 12, Source::Content)),
        ],
        trending: range(1, 20, Source::Trending),
        popular: range(1, 20, Source::Popular),
        demographic: Some((
            "viewers aged 25–34".into(),
            range(1, 20, Source::Demographic),
        )),
        by_genre: vec![
            ("Drama".into(), range(1, 20, Source::Model)),
            ("Comedy".into(), range(1, 20, Source::Model)),
        ],
    }
}

fn feed(
    user: &UserContext,
    curation: &CurationSnapshot,
    rows: usize,
    per_row: usize,
) -> Vec<FeedRow> {
    let exclude = HashSet::new();
    let req = FeedRequest {
        user,
        now: now(),
        exclude: &exclude,
        rows,
        per_row,
        explain: None,
    };
    home_feed(inputs(), &req, curation, &catalogue())
}

fn feed_ids(rows: &[FeedRow]) -> Vec<i32> {
    rows.iter().flat_map(|r| ids(&r.items)).collect()
}

/// Every movie shown on the recommendations list, two genre pages and the home feed.
fn everywhere(user: &UserContext, curation: &CurationSnapshot) -> Vec<i32> {
    let cat = catalogue();
    let mut shown = feed_ids(&feed(user, curation, 20, 10));
    for surface in [
        Surface::Recommendations,
        Surface::Genre("Crime".into()),
        Surface::Genre("Horror".into()),
    ] {
        shown.extend(ids(&rank(
            &surface,
            user,
            now(),
            20,
            all_candidates(),
            curation,
            &cat,
        )));
    }
    shown
}

#[test]
fn a_pinned_movie_is_at_its_position_for_its_audience_only() {
    let cat = catalogue();
    let mut p = pin(1, Surface::Recommendations, 2, PinTarget::Movie(17));
    p.audience.countries = vec!["FR".into()];
    let curation = CurationSnapshot {
        placements: vec![p],
        ..Default::default()
    };
    let others: Vec<Candidate> = all_candidates()
        .into_iter()
        .filter(|c| c.movie_id != 17)
        .collect();

    let fr = rank(
        &Surface::Recommendations,
        &user_in("FR"),
        now(),
        5,
        others.clone(),
        &curation,
        &cat,
    );
    assert_eq!(fr[1].movie_id, 17);
    assert_eq!(fr[1].source, ServedSource::Pinned);
    assert_eq!(fr[1].reason_kind, ReasonKind::EditorsPick);
    assert_eq!(fr[1].reason_text, "Editor's pick");
    assert_eq!(ids(&fr), vec![1, 17, 2, 3, 4]);

    let de = rank(
        &Surface::Recommendations,
        &user_in("DE"),
        now(),
        5,
        others.clone(),
        &curation,
        &cat,
    );
    assert_eq!(ids(&de), vec![1, 2, 3, 4, 5]);
    // Nor on another surface.
    let home = rank(
        &Surface::Home,
        &user_in("FR"),
        now(),
        5,
        others,
        &curation,
        &cat,
    );
    assert!(!ids(&home).contains(&17));
}

#[test]
fn a_pinned_movie_already_among_the_candidates_is_not_repeated() {
    let cat = catalogue();
    let curation = CurationSnapshot {
        placements: vec![pin(1, Surface::Recommendations, 4, PinTarget::Movie(1))],
        ..Default::default()
    };
    let got = rank(
        &Surface::Recommendations,
        &user_in("FR"),
        now(),
        6,
        all_candidates(),
        &curation,
        &cat,
    );
    assert_eq!(ids(&got), vec![2, 3, 4, 1, 5, 6]);
    assert_eq!(got[3].source, ServedSource::Pinned);
}

#[test]
fn a_pin_outside_its_schedule_is_gone() {
    let cat = catalogue();
    let mut p = pin(1, Surface::Recommendations, 1, PinTarget::Movie(17));
    p.schedule = Schedule {
        starts_at: Some(day(12)),
        ends_at: Some(day(14)),
    };
    let curation = CurationSnapshot {
        placements: vec![p],
        ..Default::default()
    };
    let others: Vec<Candidate> = all_candidates()
        .into_iter()
        .filter(|c| c.movie_id != 17)
        .collect();
    let first_at = |d| {
        rank(
            &Surface::Recommendations,
            &user_in("FR"),
            day(d),
            3,
            others.clone(),
            &curation,
            &cat,
        )[0]
        .movie_id
    };
    assert_eq!(first_at(11), 1);
    assert_eq!(first_at(12), 17);
    assert_eq!(first_at(13), 17);
    assert_eq!(first_at(14), 1);
}

/// Pins, a pinned collection and a feed collection that all try to show `movies`.
fn curation_pushing(movies: &[i32]) -> CurationSnapshot {
    let mut placements = Vec::new();
    for (i, &m) in movies.iter().enumerate() {
        let pos = i as u32 + 1;
        placements.push(pin(
            10 + i as i32,
            Surface::Recommendations,
            pos,
            PinTarget::Movie(m),
        ));
        placements.push(pin(30 + i as i32, Surface::Home, pos, PinTarget::Movie(m)));
        placements.push(pin(
            50 + i as i32,
            Surface::Genre("Crime".into()),
            pos,
            PinTarget::Movie(m),
        ));
    }
    placements.push(pin(
        70,
        Surface::Recommendations,
        9,
        PinTarget::Collection(1),
    ));
    placements.push(pin(71, Surface::Home, 2, PinTarget::Collection(1)));
    let mut pushed = movies.to_vec();
    pushed.extend([4, 7, 9, 10]);
    CurationSnapshot {
        collections: vec![
            collection(1, "pushed", "Pushed", &pushed),
            collection(2, "pushed-too", "Pushed too", &pushed),
        ],
        placements,
        ..Default::default()
    }
}

#[test]
fn a_blocked_movie_appears_nowhere_not_even_pinned_or_in_a_collection() {
    let mut curation = curation_pushing(&[5, 1]);
    curation
        .rules
        .push(rule(1, RuleKind::Block, 1.0, RuleTarget::Movie(5)));
    let shown = everywhere(&user_in("FR"), &curation);
    assert!(shown.contains(&1), "the unblocked pin still shows");
    assert!(!shown.contains(&5));
}

#[test]
fn a_blocked_genre_appears_nowhere() {
    let cat = catalogue();
    let mut curation = curation_pushing(&[2, 8, 20]);
    curation
        .rules
        .push(rule(1, RuleKind::Block, 1.0, RuleTarget::Genre(HORROR)));
    let shown = everywhere(&user_in("FR"), &curation);
    assert!(!shown.is_empty());
    for id in shown {
        assert!(
            !cat.get(id).unwrap().genre_ids.contains(&HORROR),
            "{id} is a horror film"
        );
    }
}

#[test]
fn a_blocked_person_appears_nowhere() {
    let mut curation = curation_pushing(&[2, 3, 1]);
    curation
        .rules
        .push(rule(1, RuleKind::Block, 1.0, RuleTarget::Person(SCOTT)));
    let shown = everywhere(&user_in("FR"), &curation);
    assert!(shown.contains(&1));
    assert!(!shown.contains(&2) && !shown.contains(&3));
}

#[test]
fn a_block_on_one_surface_applies_there_only() {
    let cat = catalogue();
    let mut block = rule(1, RuleKind::Block, 1.0, RuleTarget::Genre(COMEDY));
    block.surface = Some(Surface::Home);
    let curation = CurationSnapshot {
        rules: vec![block],
        collections: vec![collection(1, "laughs", "Laughs", &[4, 7, 10, 16, 19])],
        ..Default::default()
    };
    let home = feed_ids(&feed(&user_in("FR"), &curation, 20, 10));
    assert!(home
        .iter()
        .all(|id| !cat.get(*id).unwrap().genre_ids.contains(&COMEDY)));
    let recs = rank(
        &Surface::Recommendations,
        &user_in("FR"),
        now(),
        20,
        all_candidates(),
        &curation,
        &cat,
    );
    assert!(ids(&recs).contains(&7));
}

#[test]
fn a_block_outside_its_schedule_does_not_apply() {
    let cat = catalogue();
    let mut block = rule(1, RuleKind::Block, 1.0, RuleTarget::Movie(1));
    block.schedule.starts_at = Some(day(11));
    let curation = CurationSnapshot {
        rules: vec![block],
        ..Default::default()
    };
    let at = |d| {
        ids(&rank(
            &Surface::Recommendations,
            &user_in("FR"),
            day(d),
            3,
            all_candidates(),
            &curation,
            &cat,
        ))
    };
    assert_eq!(at(10)[0], 1);
    assert_ne!(at(11)[0], 1);
}

#[test]
fn unavailable_and_missing_movies_never_leak_through_pins_or_collections() {
    let cat = catalogue();
    let mut curation = curation_pushing(&[UNAVAILABLE, MISSING]);
    // The pinned collection starts with both: its first *eligible* movie takes the slot.
    curation.collections[0].movie_ids = vec![UNAVAILABLE, MISSING, 6, 4, 7, 9];
    let user = user_in("FR");
    let shown = everywhere(&user, &curation);
    assert!(!shown.contains(&UNAVAILABLE) && !shown.contains(&MISSING));

    let recs = rank(
        &Surface::Recommendations,
        &user,
        now(),
        10,
        all_candidates(),
        &curation,
        &cat,
    );
    assert_eq!(recs[8].movie_id, 6);
    assert_eq!(recs[8].source, ServedSource::Pinned);
    assert_eq!(recs[8].collection_id, Some(1));
    assert_eq!(recs[8].reason_text, "Editor's pick: Pushed");
}

#[test]
fn excluded_movies_and_the_clients_filter_hold_for_pins_too() {
    let cat = catalogue();
    let curation = CurationSnapshot {
        placements: vec![
            pin(1, Surface::Recommendations, 1, PinTarget::Movie(9)),
            pin(2, Surface::Recommendations, 2, PinTarget::Movie(7)),
        ],
        ..Default::default()
    };
    let exclude = HashSet::from([9, 1]);
    let only_comedy = |e: &CatalogueEntry| e.genre_ids.contains(&COMEDY);
    let user = user_in("FR");
    let req = ListRequest {
        surface: &Surface::Recommendations,
        user: &user,
        now: now(),
        n: 10,
        exclude: &exclude,
        keep: &only_comedy,
        explain: None,
    };
    let got = rank_list(&req, all_candidates(), &curation, &cat);
    assert_eq!(ids(&got), vec![4, 7, 10, 16, 19]);
    assert_eq!(got[1].source, ServedSource::Pinned);
}

#[test]
fn the_genre_cap_holds_on_every_list_even_with_pins() {
    let cat = catalogue();
    let capped = DiversitySettings {
        max_per_genre: Some(3),
        ..Default::default()
    };
    let curation = CurationSnapshot {
        placements: vec![pin(1, Surface::Recommendations, 5, PinTarget::Movie(17))],
        diversity: HashMap::from([
            ("RECOMMENDATIONS".to_string(), capped.clone()),
            ("HOME".to_string(), capped.clone()),
            ("GENRE:Crime".to_string(), capped),
        ]),
        ..Default::default()
    };
    // Crime first: without the cap the top five would hold four crime films.
    let crime_first: Vec<Candidate> = [
        1, 11, 14, 5, 17, 2, 3, 4, 6, 7, 8, 9, 10, 12, 15, 16, 18, 19, 20,
    ]
    .iter()
    .enumerate()
    .map(|(i, &id)| model(id, 100.0 - i as f64))
    .collect();
    let user = user_in("FR");
    for surface in [
        Surface::Recommendations,
        Surface::Home,
        Surface::Genre("Crime".into()),
    ] {
        let got = rank(
            &surface,
            &user,
            now(),
            19,
            crime_first.clone(),
            &curation,
            &cat,
        );
        assert!(got.len() >= 10, "{surface}: {:?}", ids(&got));
        assert_genre_cap(&got, &cat, 3, DIVERSITY_WINDOW);
    }
    let recs = rank(
        &Surface::Recommendations,
        &user,
        now(),
        19,
        crime_first,
        &curation,
        &cat,
    );
    assert_eq!(recs[4].movie_id, 17, "the pin keeps its slot");
    let crime = |i: usize| {
        cat.get(recs[i].movie_id)
            .unwrap()
            .genre_ids
            .contains(&CRIME)
    };
    assert_eq!((0..10).filter(|&i| crime(i)).count(), 3);
}

#[test]
fn the_genre_cap_holds_on_every_feed_row() {
    let cat = catalogue();
    let curation = CurationSnapshot {
        diversity: HashMap::from([(
            "HOME".to_string(),
            DiversitySettings {
                max_per_genre: Some(2),
                ..Default::default()
            },
        )]),
        ..Default::default()
    };
    let rows = feed(&user_in("FR"), &curation, 20, 10);
    assert!(rows.len() >= 2);
    for row in rows {
        assert_genre_cap(&row.items, &cat, 2, DIVERSITY_WINDOW);
    }
}

#[test]
fn no_movie_appears_twice_in_a_feed() {
    let mut curation = curation_pushing(&[1, 2]);
    curation
        .collections
        .push(collection(3, "classics", "Classics", &[6, 5, 17, 1, 2, 9]));
    for user in [
        user_in("FR"),
        UserContext {
            is_new: true,
            ..user_in("DE")
        },
    ] {
        let rows = feed(&user, &curation, 20, 6);
        let all = feed_ids(&rows);
        let unique: HashSet<i32> = all.iter().copied().collect();
        assert_eq!(unique.len(), all.len(), "{all:?}");
        assert!(rows.len() >= 3);
    }
}

#[test]
fn pages_never_repeat_and_join_up_to_the_whole_list() {
    let cat = catalogue();
    let curation = CurationSnapshot {
        placements: vec![pin(1, Surface::Recommendations, 7, PinTarget::Movie(20))],
        diversity: HashMap::from([(
            "RECOMMENDATIONS".to_string(),
            DiversitySettings {
                max_per_genre: Some(3),
                mmr_lambda: 0.5,
                calibration: 0.5,
                min_genres: Some(4),
                novelty_weight: 0.3,
            },
        )]),
        ..Default::default()
    };
    let user = user_in("FR");
    let limit = 4;
    let mut pages = Vec::new();
    for offset in (0..16).step_by(limit) {
        let list = rank(
            &Surface::Recommendations,
            &user,
            now(),
            offset + limit,
            all_candidates(),
            &curation,
            &cat,
        );
        pages.extend(ids(&list[offset.min(list.len())..]));
    }
    let unique: HashSet<i32> = pages.iter().copied().collect();
    assert_eq!(unique.len(), pages.len(), "{pages:?}");
    let whole = rank(
        &Surface::Recommendations,
        &user,
        now(),
        16,
        all_candidates(),
        &curation,
        &cat,
    );
    assert_eq!(pages, ids(&whole));
}

#[test]
fn buried_items_rank_lower_and_boosted_higher_by_the_documented_rule() {
    let cat = catalogue();
    // Scores 10, 9, …, 1 for movies 1..=10: relevance 1.0, 0.9, …, 0.1.
    let candidates: Vec<Candidate> = (1..=10).map(|id| model(id, (11 - id) as f64)).collect();
    let mut boost = rule(1, RuleKind::Boost, 3.5, RuleTarget::Movie(8));
    boost.reason = Some("Noir Week".into());
    let bury = rule(2, RuleKind::Bury, 0.5, RuleTarget::Movie(1));
    let mut weak_boost = rule(
        3,
        RuleKind::Boost,
        1.3,
        RuleTarget::Years {
            from: Some(1990),
            to: Some(1999),
        },
    );
    weak_boost.reason = Some("Nineties".into());
    let curation = CurationSnapshot {
        rules: vec![boost, bury, weak_boost],
        ..Default::default()
    };
    let got = rank(
        &Surface::Recommendations,
        &user_in("FR"),
        now(),
        10,
        candidates,
        &curation,
        &cat,
    );
    let score = |id: i32| got.iter().find(|i| i.movie_id == id).unwrap().score;
    let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
    // final = relevance × Π multipliers.
    assert!(close(score(8), 0.3 * 3.5));
    assert!(
        close(score(1), 1.0 * 0.5 * 1.3),
        "Heat (1995) is buried and in the nineties"
    );
    assert!(close(score(7), 0.4 * 1.3), "Groundhog Day (1993)");
    assert!(close(score(2), 0.9));
    // Ordered by final score: the boosted 8 first, the buried 1 from first to fifth.
    assert_eq!(ids(&got), vec![8, 2, 3, 4, 1, 5, 7, 6, 9, 10]);
    let boosted = &got[0];
    assert_eq!(boosted.source, ServedSource::Boosted);
    assert_eq!(boosted.reason_text, "Editor's pick: Noir Week");
    // Buried and boosted at once, net below 1: not an editor's pick.
    assert_eq!(got[4].source, ServedSource::Model);
    assert_eq!(got[6].source, ServedSource::Boosted);
    assert_eq!(got[6].reason_text, "Editor's pick: Nineties");
}

#[test]
fn model_items_are_explained_by_their_evidence() {
    let cat = catalogue();
    let candidates = vec![
        Candidate {
            evidence: vec![(1, Some(5.0))],
            ..model(11, 3.0)
        },
        Candidate {
            source: Source::Demographic,
            ..model(9, 2.0)
        },
    ];
    let got = rank(
        &Surface::Recommendations,
        &user_in("FR"),
        now(),
        5,
        candidates,
        &CurationSnapshot::default(),
        &cat,
    );
    assert_eq!(got[0].reason_text, "Because you rated Heat ★5");
    assert_eq!(got[0].evidence, vec![1]);
    assert_eq!(got[1].reason_text, "Popular with viewers aged 25–34");
    assert_eq!(got[1].source, ServedSource::Demographic);
}

#[test]
fn a_personal_feed_has_its_rows_in_order() {
    let curation = CurationSnapshot {
        collections: vec![collection(1, "noir-week", "Noir Week", &[17, 18, 19, 20])],
        ..Default::default()
    };
    let rows = feed(&user_in("FR"), &curation, 5, 3);
    let keys: Vec<&str> = rows.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(
        keys,
        vec![
            "top-picks",
            "because:1",
            "because:3",
            "collection:noir-week",
            "trending"
        ]
    );
    assert_eq!(rows[0].title, "Top picks for you");
    assert_eq!(rows[1].title, "Because you watched Heat");
    assert_eq!(rows[4].title, "Trending now");
    assert!(rows.iter().all(|r| r.items.len() == 3));

    // Genre rows come last, in the order given, holding their genre only.
    let cat = catalogue();
    let only_genres = FeedInputs {
        by_genre: inputs().by_genre,
        ..Default::default()
    };
    let exclude = HashSet::new();
    let user = user_in("FR");
    let req = FeedRequest {
        user: &user,
        now: now(),
        exclude: &exclude,
        rows: 20,
        per_row: 3,
        explain: None,
    };
    let rows = home_feed(only_genres, &req, &curation, &cat);
    let keys: Vec<&str> = rows.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(
        keys,
        vec!["collection:noir-week", "genre:Drama", "genre:Comedy"]
    );
    assert!(rows[1]
        .items
        .iter()
        .all(|i| cat.get(i.movie_id).unwrap().genre_ids.contains(&DRAMA)));
    assert!(rows[2]
        .items
        .iter()
        .all(|i| cat.get(i.movie_id).unwrap().genre_ids.contains(&COMEDY)));
}

#[test]
fn a_new_user_gets_popular_demographic_and_editorial_rows() {
    let user = UserContext {
        is_new: true,
        genre_affinity: HashMap::new(),
        ..user_in("FR")
    };
    let curation = CurationSnapshot {
        collections: vec![collection(1, "starters", "Starters", &[6, 7, 9, 10])],
        ..Default::default()
    };
    let rows = feed(&user, &curation, 4, 3);
    let kinds: Vec<RowKind> = rows.iter().map(|r| r.kind).collect();
    assert_eq!(
        kinds,
        vec![
            RowKind::Popular,
            RowKind::Demographic,
            RowKind::Collection,
            RowKind::Trending
        ]
    );
    assert_eq!(rows[1].title, "Popular with viewers aged 25–34");
}

#[test]
fn collection_rows_keep_the_editors_order_and_say_so() {
    let curation = CurationSnapshot {
        collections: vec![collection(
            1,
            "noir-week",
            "Noir Week",
            &[17, UNAVAILABLE, 11, 1, 5, 12],
        )],
        ..Default::default()
    };
    let user = UserContext {
        is_new: true,
        ..user_in("FR")
    };
    let rows = feed(&user, &curation, 20, 3);
    let row = &rows[2];
    // Popular and demographic rows come first and take 1 to 6; the collection keeps the
    // rest in its order.
    assert_eq!(row.key, "collection:noir-week");
    assert_eq!(row.title, "Noir Week");
    assert_eq!(ids(&row.items), vec![17, 11, 12]);

    let only_collection = feed(
        &UserContext {
            is_new: true,
            ..user_in("FR")
        },
        &CurationSnapshot {
            placements: vec![pin(1, Surface::Home, 1, PinTarget::Collection(1))],
            ..curation.clone()
        },
        1,
        10,
    );
    let row = &only_collection[0];
    assert_eq!(ids(&row.items), vec![17, 11, 1, 5, 12]);
    assert!(row
        .items
        .iter()
        .all(|i| i.source == ServedSource::Collection
            && i.reason_text == "Editor's pick: Noir Week"
            && i.collection_id == Some(1)));
}

#[test]
fn a_collection_row_stays_while_one_of_its_movies_is_left_to_show() {
    // Popular and demographic rows take movies 1 to 6 first; of this collection only 17 is
    // left. Ranked rows need three items; an editor's collection shows with one.
    let curation = CurationSnapshot {
        collections: vec![collection(1, "short", "Short List", &[1, 2, 3, 17])],
        ..Default::default()
    };
    let user = UserContext {
        is_new: true,
        ..user_in("FR")
    };
    let rows = feed(&user, &curation, 20, 3);
    let row = rows
        .iter()
        .find(|r| r.kind == RowKind::Collection)
        .expect("the collection row is kept");
    assert_eq!(ids(&row.items), vec![17]);
    assert!(rows
        .iter()
        .filter(|r| r.kind != RowKind::Collection)
        .all(|r| r.items.len() >= 3));
}

#[test]
fn collections_show_only_to_their_audience_while_live_and_published() {
    let mut targeted = collection(1, "for-fr", "For France", &[17, 18, 19, 20]);
    targeted.audience.countries = vec!["FR".into()];
    let mut draft = collection(2, "draft", "Draft", &[6, 7, 9, 10]);
    draft.published = false;
    let mut later = collection(3, "later", "Later", &[6, 7, 9, 10]);
    later.schedule.starts_at = Some(day(11));
    let curation = CurationSnapshot {
        collections: vec![targeted, draft, later],
        ..Default::default()
    };
    let keys = |u: &UserContext| -> Vec<String> {
        feed(u, &curation, 20, 3)
            .into_iter()
            .filter(|r| r.kind == RowKind::Collection)
            .map(|r| r.key)
            .collect()
    };
    assert_eq!(keys(&user_in("FR")), vec!["collection:for-fr"]);
    assert!(keys(&user_in("DE")).is_empty());
}

#[test]
fn home_pins_take_their_row_and_slot_and_win_over_every_row() {
    let curation = CurationSnapshot {
        collections: vec![collection(1, "noir-week", "Noir Week", &[17, 1, 11, 5])],
        placements: vec![
            pin(1, Surface::Home, 1, PinTarget::Collection(1)),
            pin(2, Surface::Home, 3, PinTarget::Movie(9)),
            pin(3, Surface::Home, 50, PinTarget::Movie(20)),
        ],
        ..Default::default()
    };
    let rows = feed(&user_in("FR"), &curation, 20, 4);
    assert_eq!(rows[0].key, "collection:noir-week");
    assert_eq!(rows[1].key, "top-picks");
    assert_eq!(rows[1].items[2].movie_id, 9);
    assert_eq!(rows[1].items[2].source, ServedSource::Pinned);
    assert_eq!(
        rows[1].items[3].movie_id, 20,
        "a slot beyond the row takes its last slot"
    );
    let all = feed_ids(&rows);
    assert_eq!(all.iter().filter(|&&id| id == 9).count(), 1);
    assert_eq!(all.iter().filter(|&&id| id == 20).count(), 1);
    // The collection's row does not count the whole collection twice.
    assert!(rows.iter().skip(1).all(|r| r.kind != RowKind::Collection));
}

#[test]
fn short_rows_are_dropped_and_limits_hold() {
    let mut inputs = inputs();
    inputs.trending = vec![model(17, 1.0), model(18, 0.5)];
    let user = user_in("FR");
    let exclude = HashSet::new();
    let mut req = FeedRequest {
        user: &user,
        now: now(),
        exclude: &exclude,
        rows: 20,
        per_row: 5,
        explain: None,
    };
    let rows = home_feed(
        inputs.clone(),
        &req,
        &CurationSnapshot::default(),
        &catalogue(),
    );
    let keys: Vec<&str> = rows.iter().map(|r| r.key.as_str()).collect();
    // because:3 keeps only 11 and 12 once the rows above took 1 to 10; trending has two;
    // Drama takes 12, 14 and 19, which leaves Comedy with 16 alone.
    assert_eq!(keys, vec!["top-picks", "because:1", "genre:Drama"]);
    assert!(rows.iter().all(|r| (3..=5).contains(&r.items.len())));
    req.rows = 2;
    assert_eq!(
        home_feed(inputs, &req, &CurationSnapshot::default(), &catalogue()).len(),
        2
    );
}

#[test]
fn collection_rows_say_why_they_leave_movies_out() {
    let mut curation = CurationSnapshot {
        collections: vec![collection(
            1,
            "noir-week",
            "Noir Week",
            &[17, UNAVAILABLE, 11, 1, 5, 12, 14, 18],
        )],
        ..Default::default()
    };
    curation
        .rules
        .push(rule(7, RuleKind::Block, 1.0, RuleTarget::Movie(12)));
    let user = UserContext {
        is_new: true,
        ..user_in("FR")
    };
    let history: HashSet<i32> = [14].into();
    let req = FeedRequest {
        user: &user,
        now: now(),
        exclude: &history,
        rows: 20,
        per_row: 3,
        explain: None,
    };
    let rows = home_feed(inputs(), &req, &curation, &catalogue());
    let row = rows
        .iter()
        .find(|r| r.key == "collection:noir-week")
        .expect("the collection row");
    let row_of = |m: i32| {
        rows.iter()
            .find(|r| r.items.iter().any(|i| i.movie_id == m))
            .map(|r| r.key.clone())
    };
    assert_eq!(ids(&row.items), vec![17, 11, 18]);
    let mut expected = vec![Removed {
        movie_id: UNAVAILABLE,
        why: Removal::Unavailable,
    }];
    for m in [1, 5] {
        let earlier = row_of(m).expect("shown in an earlier row");
        assert_ne!(earlier, row.key);
        expected.push(Removed {
            movie_id: m,
            why: Removal::ShownElsewhere(Some(earlier)),
        });
    }
    expected.push(Removed {
        movie_id: 12,
        why: Removal::Blocked(7),
    });
    expected.push(Removed {
        movie_id: 14,
        why: Removal::History,
    });
    assert_eq!(row.removed, expected);
    // Ranked rows report nothing; the row stops explaining once it is full.
    assert!(rows
        .iter()
        .filter(|r| r.kind != RowKind::Collection)
        .all(|r| r.removed.is_empty()));
}
