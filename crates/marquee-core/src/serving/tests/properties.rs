//! Property checks over a random catalogue of 300 movies and random curation, seeded so that
//! failures reproduce: no blocked or unavailable movie anywhere, no repeats, the genre cap on
//! every list and every ranked feed row, pages that never repeat.
use std::collections::{HashMap, HashSet};

use super::fixtures::{assert_genre_cap, day, ids, keep_all};
use crate::catalogue::CatalogueEntry;
use crate::catalogue::CatalogueIndex;
use crate::recommender::Source;
use crate::serving::curation::{
    Audience, Collection, CurationSnapshot, DiversitySettings, PinTarget, Placement, Rule,
    RuleKind, RuleTarget, Schedule, Surface, UserContext, DIVERSITY_WINDOW,
};
use crate::serving::feed::{home_feed, FeedInputs, FeedRequest, RowKind};
use crate::serving::pipeline::{rank_list, Candidate, ListRequest, ServedItem};

/// A hand-rolled linear congruential generator (Knuth's MMIX constants).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn unit(&mut self) -> f64 {
        self.next() as f64 / (1u64 << 31) as f64
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

const MOVIES: i32 = 300;
const GENRES: i32 = 12;
const PEOPLE: i32 = 80;

fn random_catalogue(rng: &mut Lcg) -> CatalogueIndex {
    let entries = (1..=MOVIES)
        .map(|id| {
            let mut genre_ids: Vec<i32> = (0..1 + rng.below(3))
                .map(|_| 1 + rng.below(GENRES as u64) as i32)
                .collect();
            genre_ids.sort_unstable();
            genre_ids.dedup();
            let person_ids: Vec<i32> = (0..1 + rng.below(3))
                .map(|_| 1 + rng.below(PEOPLE as u64) as i32)
                .collect();
            let e = CatalogueEntry {
                movie_id: id,
                title: format!("Movie {id}"),
                year: if rng.chance(0.05) {
                    None
                } else {
                    Some(1950 + rng.below(75) as i32)
                },
                available: !rng.chance(0.05),
                genres: genre_ids.iter().map(|g| format!("G{g}")).collect(),
                directors: person_ids.iter().take(1).map(|p| format!("P{p}")).collect(),
                cast: person_ids.iter().skip(1).map(|p| format!("P{p}")).collect(),
                keywords: vec![],
                genre_ids,
                person_ids,
                popularity: rng.below(5000) as f64,
            };
            (id, e)
        })
        .collect();
    CatalogueIndex { entries }
}

/// A movie id: mostly in the catalogue, sometimes missing from it.
fn any_movie(rng: &mut Lcg) -> i32 {
    if rng.chance(0.05) {
        1000 + rng.below(50) as i32
    } else {
        1 + rng.below(MOVIES as u64) as i32
    }
}

fn candidates(rng: &mut Lcg, count: usize, source: Source) -> Vec<Candidate> {
    (0..count)
        .map(|_| Candidate {
            movie_id: any_movie(rng),
            score: rng.unit() * 10.0,
            source,
            evidence: vec![(any_movie(rng), None)],
        })
        .collect()
}

fn surfaces() -> [Surface; 3] {
    [
        Surface::Home,
        Surface::Recommendations,
        Surface::Genre("G3".into()),
    ]
}

fn random_curation(rng: &mut Lcg) -> CurationSnapshot {
    let schedule = |rng: &mut Lcg| match rng.below(4) {
        0 => Schedule {
            starts_at: Some(day(11)),
            ends_at: None,
        },
        1 => Schedule {
            starts_at: None,
            ends_at: Some(day(9)),
        },
        _ => Schedule::default(),
    };
    let mut rules = vec![
        Rule {
            id: 1,
            kind: RuleKind::Block,
            multiplier: 1.0,
            target: RuleTarget::Genre(1 + rng.below(GENRES as u64) as i32),
            surface: None,
            schedule: Schedule::default(),
            reason: None,
        },
        Rule {
            id: 2,
            kind: RuleKind::Block,
            multiplier: 1.0,
            target: RuleTarget::Person(1 + rng.below(PEOPLE as u64) as i32),
            surface: None,
            schedule: Schedule::default(),
            reason: None,
        },
    ];
    for id in 3..8 {
        rules.push(Rule {
            id,
            kind: RuleKind::Block,
            multiplier: 1.0,
            target: RuleTarget::Movie(any_movie(rng)),
            surface: None,
            schedule: Schedule::default(),
            reason: None,
        });
    }
    for id in 8..16 {
        let boost = rng.chance(0.5);
        let target = match rng.below(4) {
            0 => RuleTarget::Movie(any_movie(rng)),
            1 => RuleTarget::Genre(1 + rng.below(GENRES as u64) as i32),
            2 => RuleTarget::Person(1 + rng.below(PEOPLE as u64) as i32),
            _ => RuleTarget::Years {
                from: Some(1960 + rng.below(40) as i32),
                to: None,
            },
        };
        rules.push(Rule {
            id,
            kind: if boost {
                RuleKind::Boost
            } else {
                RuleKind::Bury
            },
            multiplier: if boost {
                1.0 + rng.unit() * 3.0
            } else {
                0.1 + rng.unit() * 0.8
            },
            target,
            surface: if rng.chance(0.5) {
                None
            } else {
                Some(surfaces()[rng.below(3) as usize].clone())
            },
            schedule: schedule(rng),
            reason: rng.chance(0.5).then(|| format!("Note {id}")),
        });
    }
    let collections: Vec<Collection> = (1..=4)
        .map(|id| Collection {
            id,
            slug: format!("c{id}"),
            title: format!("Collection {id}"),
            published: rng.chance(0.8),
            schedule: schedule(rng),
            audience: Audience {
                new_users: rng.chance(0.2),
                ..Default::default()
            },
            movie_ids: (0..12).map(|_| any_movie(rng)).collect(),
        })
        .collect();
    let placements: Vec<Placement> = (1..=10)
        .map(|id| Placement {
            id,
            surface: surfaces()[rng.below(3) as usize].clone(),
            position: 1 + rng.below(25) as u32,
            target: if rng.chance(0.8) {
                PinTarget::Movie(any_movie(rng))
            } else {
                PinTarget::Collection(1 + rng.below(4) as i32)
            },
            schedule: schedule(rng),
            audience: Audience::default(),
        })
        .collect();
    let diversity = surfaces()
        .iter()
        .map(|s| {
            let d = DiversitySettings {
                max_per_genre: Some(1 + rng.below(4) as u32),
                mmr_lambda: rng.unit(),
                calibration: rng.unit(),
                min_genres: rng.chance(0.5).then(|| 1 + rng.below(6) as u32),
                novelty_weight: rng.unit() * 0.5,
            };
            (s.key(), d)
        })
        .collect();
    CurationSnapshot {
        collections,
        placements,
        rules,
        diversity,
    }
}

fn random_user(rng: &mut Lcg) -> UserContext {
    let is_new = rng.chance(0.3);
    let genre_affinity: HashMap<String, f64> = if is_new {
        HashMap::new()
    } else {
        (0..3)
            .map(|_| (format!("G{}", 1 + rng.below(GENRES as u64)), rng.unit()))
            .collect()
    };
    UserContext {
        user_id: Some(1),
        is_new,
        age_band: Some(crate::demographics::AgeBand::From25To34),
        country: Some("FR".into()),
        genre_affinity,
    }
}

/// Whether a movie must never be shown on `surface`, judged independently of the code under
/// test (only blocks without a schedule are generated).
fn forbidden(
    id: i32,
    surface: &Surface,
    curation: &CurationSnapshot,
    catalogue: &CatalogueIndex,
) -> bool {
    let Some(e) = catalogue.get(id) else {
        return true;
    };
    !e.available
        || curation.rules.iter().any(|r| {
            r.kind == RuleKind::Block
                && r.surface.as_ref().is_none_or(|s| s == surface)
                && match r.target {
                    RuleTarget::Movie(m) => m == id,
                    RuleTarget::Genre(g) => e.genre_ids.contains(&g),
                    RuleTarget::Person(p) => e.person_ids.contains(&p),
                    RuleTarget::Years { .. } => unreachable!("no year blocks generated"),
                }
        })
}

fn assert_clean(
    items: &[ServedItem],
    surface: &Surface,
    curation: &CurationSnapshot,
    catalogue: &CatalogueIndex,
) {
    let mut seen = HashSet::new();
    for i in items {
        assert!(
            !forbidden(i.movie_id, surface, curation, catalogue),
            "{} shown on {surface}",
            i.movie_id
        );
        assert!(
            seen.insert(i.movie_id),
            "{} repeated: {:?}",
            i.movie_id,
            ids(items)
        );
    }
}

fn cap_of(curation: &CurationSnapshot, surface: &Surface) -> usize {
    curation
        .diversity_for(surface)
        .max_per_genre
        .map_or(usize::MAX, |c| c as usize)
}

#[test]
fn random_lists_are_clean_capped_and_page_without_repeats() {
    for seed in 0..40 {
        let mut rng = Lcg(seed);
        let catalogue = random_catalogue(&mut rng);
        let curation = random_curation(&mut rng);
        let user = random_user(&mut rng);
        let pool = candidates(&mut rng, 400, Source::Model);
        let exclude: HashSet<i32> = (0..20).map(|_| any_movie(&mut rng)).collect();
        for surface in surfaces() {
            let list = |n: usize| {
                let req = ListRequest {
                    surface: &surface,
                    user: &user,
                    now: day(10),
                    n,
                    exclude: &exclude,
                    keep: &keep_all,
                    explain: None,
                };
                rank_list(&req, pool.clone(), &curation, &catalogue)
            };
            let whole = list(40);
            assert!(whole.len() <= 40);
            assert_clean(&whole, &surface, &curation, &catalogue);
            assert!(whole.iter().all(|i| !exclude.contains(&i.movie_id)));
            assert_genre_cap(
                &whole,
                &catalogue,
                cap_of(&curation, &surface),
                DIVERSITY_WINDOW,
            );
            let mut pages = Vec::new();
            for offset in (0..40).step_by(8) {
                let page = list(offset + 8);
                pages.extend(ids(&page[offset.min(page.len())..]));
            }
            assert_eq!(pages, ids(&whole), "seed {seed} on {surface}");
        }
    }
}

#[test]
fn random_feeds_are_clean_capped_and_never_repeat() {
    for seed in 100..140 {
        let mut rng = Lcg(seed);
        let catalogue = random_catalogue(&mut rng);
        let curation = random_curation(&mut rng);
        let user = random_user(&mut rng);
        let inputs = FeedInputs {
            top_picks: candidates(&mut rng, 150, Source::Model),
            because: (0..3)
                .map(|_| {
                    (
                        any_movie(&mut rng),
                        candidates(&mut rng, 60, Source::Content),
                    )
                })
                .collect(),
            trending: candidates(&mut rng, 100, Source::Trending),
            popular: candidates(&mut rng, 100, Source::Popular),
            demographic: Some((
                "viewers aged 25–34".into(),
                candidates(&mut rng, 100, Source::Demographic),
            )),
            by_genre: (1..=4)
                .map(|g| (format!("G{g}"), candidates(&mut rng, 80, Source::Model)))
                .collect(),
        };
        let exclude: HashSet<i32> = (0..20).map(|_| any_movie(&mut rng)).collect();
        let per_row = 4 + rng.below(12) as usize;
        let req = FeedRequest {
            user: &user,
            now: day(10),
            exclude: &exclude,
            rows: 12,
            per_row,
            explain: None,
        };
        let rows = home_feed(inputs, &req, &curation, &catalogue);
        assert!(!rows.is_empty(), "seed {seed}");
        assert!(rows.len() <= 12);
        let all: Vec<ServedItem> = rows.iter().flat_map(|r| r.items.clone()).collect();
        assert_clean(&all, &Surface::Home, &curation, &catalogue);
        assert!(all.iter().all(|i| !exclude.contains(&i.movie_id)));
        for row in &rows {
            assert!(
                (3..=per_row).contains(&row.items.len()),
                "seed {seed}: {} has {}",
                row.key,
                row.items.len()
            );
            if row.kind != RowKind::Collection {
                assert_genre_cap(
                    &row.items,
                    &catalogue,
                    cap_of(&curation, &Surface::Home),
                    DIVERSITY_WINDOW,
                );
            }
            if let Some(g) = row.key.strip_prefix("genre:") {
                assert!(row.items.iter().all(|i| catalogue
                    .get(i.movie_id)
                    .unwrap()
                    .genres
                    .iter()
                    .any(|x| x == g)));
            }
        }
    }
}

/// Timing of one home feed with 500 candidates per input. Run it with
/// `cargo test --release -- --ignored --nocapture feed_timing`.
#[test]
#[ignore]
fn feed_timing() {
    let mut rng = Lcg(7);
    let catalogue = random_catalogue(&mut rng);
    let curation = random_curation(&mut rng);
    let mut user = random_user(&mut rng);
    user.is_new = false;
    let make = |rng: &mut Lcg| FeedInputs {
        top_picks: candidates(rng, 500, Source::Model),
        because: (0..2)
            .map(|_| (any_movie(rng), candidates(rng, 500, Source::Content)))
            .collect(),
        trending: candidates(rng, 500, Source::Trending),
        popular: candidates(rng, 500, Source::Popular),
        demographic: None,
        by_genre: (1..=4)
            .map(|g| (format!("G{g}"), candidates(rng, 500, Source::Model)))
            .collect(),
    };
    let exclude = HashSet::new();
    let req = FeedRequest {
        user: &user,
        now: day(10),
        exclude: &exclude,
        rows: 10,
        per_row: 20,
        explain: None,
    };
    let runs = 50;
    let inputs: Vec<FeedInputs> = (0..runs).map(|_| make(&mut rng)).collect();
    let start = std::time::Instant::now();
    let mut shown = 0;
    for i in inputs {
        shown += home_feed(i, &req, &curation, &catalogue).len();
    }
    println!(
        "home_feed: {:?} per feed ({shown} rows)",
        start.elapsed() / runs
    );
}
