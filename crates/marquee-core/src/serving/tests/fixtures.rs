//! A small catalogue, a fixed clock and helpers shared by the tests.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, TimeZone, Utc};

use crate::catalogue::CatalogueEntry;
use crate::catalogue::CatalogueIndex;
use crate::recommender::Source;
use crate::serving::curation::{CurationSnapshot, Surface, UserContext};
use crate::serving::pipeline::{rank_list, Candidate, ListRequest, ServedItem};

pub const DRAMA: i32 = 1;
pub const COMEDY: i32 = 2;
pub const CRIME: i32 = 3;
pub const SCIFI: i32 = 4;
pub const HORROR: i32 = 5;
pub const ROMANCE: i32 = 6;

/// Michael Mann and Ridley Scott.
pub const MANN: i32 = 101;
pub const SCOTT: i32 = 102;

/// A movie missing from the catalogue (deleted).
pub const MISSING: i32 = 99;
/// A movie that is in the catalogue but not available.
pub const UNAVAILABLE: i32 = 13;

pub fn genre_name(id: i32) -> &'static str {
    match id {
        DRAMA => "Drama",
        COMEDY => "Comedy",
        CRIME => "Crime",
        SCIFI => "Science Fiction",
        HORROR => "Horror",
        ROMANCE => "Romance",
        _ => "Other",
    }
}

pub fn entry(
    id: i32,
    title: &str,
    year: i32,
    genres: &[i32],
    people: &[(i32, &str)],
) -> CatalogueEntry {
    CatalogueEntry {
        movie_id: id,
        title: title.into(),
        year: Some(year),
        available: true,
        genres: genres.iter().map(|g| genre_name(*g).to_string()).collect(),
        directors: people.iter().map(|(_, n)| n.to_string()).collect(),
        cast: vec![],
        keywords: vec![],
        genre_ids: genres.to_vec(),
        person_ids: people.iter().map(|(p, _)| *p).collect(),
        popularity: (id * 10) as f64,
    }
}

pub fn catalogue() -> CatalogueIndex {
    let mann = [(MANN, "Michael Mann")];
    let scott = [(SCOTT, "Ridley Scott")];
    let mut movies = vec![
        entry(1, "Heat", 1995, &[CRIME], &mann),
        entry(2, "Alien", 1979, &[SCIFI, HORROR], &scott),
        entry(3, "Blade Runner", 1982, &[SCIFI], &scott),
        entry(4, "Amélie", 2001, &[COMEDY, ROMANCE], &[]),
        entry(5, "The Godfather", 1972, &[CRIME, DRAMA], &[]),
        entry(6, "Casablanca", 1942, &[DRAMA, ROMANCE], &[]),
        entry(7, "Groundhog Day", 1993, &[COMEDY], &[]),
        entry(8, "The Thing", 1982, &[HORROR, SCIFI], &[]),
        entry(9, "Moonlight", 2016, &[DRAMA], &[]),
        entry(10, "Paddington 2", 2017, &[COMEDY], &[]),
        entry(11, "Collateral", 2004, &[CRIME], &mann),
        entry(12, "Arrival", 2016, &[SCIFI, DRAMA], &[]),
        entry(UNAVAILABLE, "Withdrawn", 2010, &[DRAMA], &[]),
        entry(14, "Gone Girl", 2014, &[CRIME, DRAMA], &[]),
        entry(15, "Get Out", 2017, &[HORROR], &[]),
        entry(16, "Notting Hill", 1999, &[COMEDY, ROMANCE], &[]),
        entry(17, "Double Indemnity", 1944, &[CRIME], &[]),
        entry(18, "Her", 2013, &[ROMANCE, SCIFI], &[]),
        entry(19, "Parasite", 2019, &[DRAMA, COMEDY], &[]),
        entry(20, "The Shining", 1980, &[HORROR], &[]),
    ];
    movies[12].available = false;
    CatalogueIndex {
        entries: movies.into_iter().map(|e| (e.movie_id, e)).collect(),
    }
}

/// Every catalogue id plus the missing one, with descending model scores (1 best).
pub fn all_candidates() -> Vec<Candidate> {
    (1..=20)
        .chain([MISSING])
        .map(|id| model(id, 100.0 - id as f64))
        .collect()
}

pub fn model(movie_id: i32, score: f64) -> Candidate {
    Candidate {
        movie_id,
        score,
        source: Source::Model,
        evidence: vec![],
    }
}

pub fn day(d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, d, 12, 0, 0).unwrap()
}

pub fn now() -> DateTime<Utc> {
    day(10)
}

pub fn user_in(country: &str) -> UserContext {
    UserContext {
        user_id: Some(7),
        is_new: false,
        age_band: Some(crate::demographics::AgeBand::From25To34),
        country: Some(country.into()),
        genre_affinity: HashMap::from([("Crime".into(), 0.5), ("Drama".into(), 0.5)]),
    }
}

pub fn keep_all(_: &CatalogueEntry) -> bool {
    true
}

/// `rank_list` with no exclusions and no client filter.
pub fn rank(
    surface: &Surface,
    user: &UserContext,
    at: DateTime<Utc>,
    n: usize,
    candidates: Vec<Candidate>,
    curation: &CurationSnapshot,
    catalogue: &CatalogueIndex,
) -> Vec<ServedItem> {
    let exclude = HashSet::new();
    let req = ListRequest {
        surface,
        user,
        now: at,
        n,
        exclude: &exclude,
        keep: &keep_all,
        explain: None,
    };
    rank_list(&req, candidates, curation, catalogue)
}

pub fn ids(items: &[ServedItem]) -> Vec<i32> {
    items.iter().map(|i| i.movie_id).collect()
}

/// Asserts that in every window of `window` consecutive items no genre appears more than
/// `cap` times, except where pinned items alone already reach the cap.
pub fn assert_genre_cap(
    items: &[ServedItem],
    catalogue: &CatalogueIndex,
    cap: usize,
    window: usize,
) {
    use crate::serving::pipeline::ServedSource;
    for start in 0..items.len() {
        let end = (start + window).min(items.len());
        let mut all: HashMap<&str, usize> = HashMap::new();
        let mut pinned: HashMap<&str, usize> = HashMap::new();
        for item in &items[start..end] {
            let e = catalogue
                .get(item.movie_id)
                .expect("served movie in catalogue");
            for g in &e.genres {
                *all.entry(g).or_default() += 1;
                if item.source == ServedSource::Pinned {
                    *pinned.entry(g).or_default() += 1;
                }
            }
        }
        for (g, count) in all {
            let allowed = cap.max(pinned.get(g).copied().unwrap_or(0));
            assert!(
                count <= allowed,
                "{count} × {g} in positions {start}..{end} (cap {cap}): {:?}",
                items
                    .iter()
                    .map(|i| (
                        i.movie_id,
                        i.source,
                        &catalogue.get(i.movie_id).unwrap().genres
                    ))
                    .collect::<Vec<_>>()
            );
        }
    }
}
