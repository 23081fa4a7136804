//! The home feed (`homeFeed(rows, itemsPerRow)`): rows of personal picks, "Because you watched"
//! rows, editors' collections, trending and genre rows, or for new users popular,
//! demographic and editorial rows. Every ranked row goes through the same filters, rules and
//! diversity settings (those of `HOME`) as a list; no movie appears twice in one feed.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use crate::catalogue::CatalogueEntry;
use crate::catalogue::CatalogueIndex;
use crate::serving::admission::Refusal;
use crate::serving::curation::{Collection, CurationSnapshot, PinTarget, Surface, UserContext};
use crate::serving::explain;
use crate::serving::pipeline::{
    rank_with_pins, Candidate, Gate, ListRequest, Pin, ServedItem, ServedSource,
};

/// How many "Because you watched" rows a feed has at most.
pub const MAX_BECAUSE_ROWS: usize = 2;

/// Rows shorter than this (or than the row length asked for, if smaller) are left out.
pub const MIN_ROW_ITEMS: usize = 3;

/// The candidates of each kind of row, from the active model snapshot.
#[derive(Debug, Clone, Default)]
pub struct FeedInputs {
    /// Personal recommendations.
    pub top_picks: Vec<Candidate>,
    /// Seed movies (recently viewed or rated, most recent first) and movies similar to each.
    pub because: Vec<(i32, Vec<Candidate>)>,
    /// Recently popular movies.
    pub trending: Vec<Candidate>,
    /// Popular movies overall.
    pub popular: Vec<Candidate>,
    /// Popular in the user's segment, with the segment's label (e.g. "viewers aged 25–34").
    pub demographic: Option<(String, Vec<Candidate>)>,
    /// Candidates per genre, in the order the rows should appear (by the user's affinity).
    pub by_genre: Vec<(String, Vec<Candidate>)>,
}

/// The kind of a feed row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RowKind {
    /// An editor's collection.
    Collection,
    /// "Top picks for you".
    TopPicks,
    /// "Because you watched <title>".
    BecauseYouWatched,
    /// "Trending now".
    Trending,
    /// "Popular on Marquee" (new users).
    Popular,
    /// "Popular with <segment>" (new users).
    Demographic,
    /// One genre.
    Genre,
}

/// One row of the home feed.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedRow {
    /// Stable key: "top-picks", "because:<movie id>", "collection:<slug>", "trending",
    /// "popular", "demographic" or "genre:<name>".
    pub key: String,
    /// Title to show.
    pub title: String,
    /// Kind of row.
    pub kind: RowKind,
    /// The collection, for collection rows.
    pub collection_id: Option<i32>,
    /// Its items, in order.
    pub items: Vec<ServedItem>,
    /// For a collection row: its movies left out before the row filled, and why, in the
    /// editor's order (empty for other rows).
    pub removed: Vec<Removed>,
}

/// A movie of a collection that its row leaves out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed {
    /// The movie.
    pub movie_id: i32,
    /// Why.
    pub why: Removal,
}

/// Why a collection row leaves a movie out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removal {
    /// Already in the feed: in an earlier row (its key), or pinned into a ranked row (`None`).
    ShownElsewhere(Option<String>),
    /// The user rated, finished, thumbed down or dismissed it.
    History,
    /// Deleted or marked unavailable.
    Unavailable,
    /// A block rule in force matches it (the rule's id).
    Blocked(i32),
}

/// Whom the feed is for and how big it is.
pub struct FeedRequest<'a> {
    /// The user.
    pub user: &'a UserContext,
    /// The clock.
    pub now: DateTime<Utc>,
    /// Movies never to show (already seen, not interested, thumbs down).
    pub exclude: &'a HashSet<i32>,
    /// At most this many rows.
    pub rows: usize,
    /// At most this many items per row.
    pub per_row: usize,
    /// Explains personal candidates that came without evidence ([`ListRequest::explain`]).
    pub explain: Option<&'a super::pipeline::Explain<'a>>,
}

/// A row before it is built.
enum Spec<'c> {
    Ranked {
        key: String,
        title: String,
        kind: RowKind,
        candidates: Vec<Candidate>,
        genre: Option<String>,
    },
    /// A collection's row, with the placement that pinned it (if one did).
    Collection(&'c Collection, Option<i32>),
}

/// Builds the home feed.
///
/// Row order for users with history: "Top picks for you", "Because you watched <title>" (up to
/// [`MAX_BECAUSE_ROWS`] seeds), live collections targeted at the user, "Trending now", genre
/// rows in the order given. For new users (`user.is_new`): "Popular on Marquee",
/// "Popular with <segment>", collections, "Trending now", genre rows. A collection pinned on
/// `HOME` takes its row position (1-based) instead; movies pinned on `HOME` take their slots
/// in the first ranked row shown.
///
/// Ranked rows use the `HOME` rules and diversity settings. Collection rows keep the editor's
/// order: blocked, unavailable, excluded and already shown movies are dropped, nothing is
/// re-ranked, and the genre cap does not apply (as for pins, the editor's choice stands).
/// No movie appears twice: earlier rows win, and pinned movies win over every row. Rows with
/// fewer than min([`MIN_ROW_ITEMS`], `per_row`) items are left out (a collection row is kept
/// with a single item left); the feed has at most
/// `rows` rows of at most `per_row` items.
pub fn home_feed(
    inputs: FeedInputs,
    req: &FeedRequest<'_>,
    curation: &CurationSnapshot,
    catalogue: &CatalogueIndex,
) -> Vec<FeedRow> {
    if req.rows == 0 || req.per_row == 0 {
        return Vec::new();
    }
    let home = Surface::Home;
    let gate = Gate::new(&home, req.now, curation, catalogue);
    let everything = |_: &CatalogueEntry| true;
    let placements = curation.placements_for(&home, req.user, req.now);

    // Pinned movies: reserved before anything else, slots clamped into one row.
    let mut pins: Vec<Pin> = Vec::new();
    let mut taken_slots = vec![false; req.per_row];
    for p in &placements {
        let PinTarget::Movie(id) = p.target else {
            continue;
        };
        if pins.iter().any(|q| q.movie_id == id)
            || gate.admit(id, req.exclude, &everything).is_none()
        {
            continue;
        }
        let wanted = (p.position as usize - 1).min(req.per_row - 1);
        let Some(slot) = (0..=wanted).rev().find(|&s| !taken_slots[s]) else {
            continue;
        };
        taken_slots[slot] = true;
        pins.push(Pin {
            placement_id: p.id,
            slot,
            movie_id: id,
            collection: None,
        });
    }
    let mut used: HashSet<i32> = req.exclude.clone();
    used.extend(pins.iter().map(|p| p.movie_id));
    // The row each movie shown so far is in (by key), to say why a collection leaves it out.
    let mut shown_in: HashMap<i32, usize> = HashMap::new();

    // Pinned collections, by row position.
    let mut pinned_rows: Vec<(usize, &Collection, i32)> = Vec::new();
    for p in &placements {
        let PinTarget::Collection(cid) = p.target else {
            continue;
        };
        if let Some(c) = curation.collection(cid) {
            if c.visible_to(req.user, req.now) && !pinned_rows.iter().any(|(_, x, _)| x.id == c.id)
            {
                pinned_rows.push((p.position as usize - 1, c, p.id));
            }
        }
    }

    let specs = default_rows(inputs, req, curation, catalogue, &pinned_rows);
    let mut specs = specs.into_iter();
    let mut pinned_rows = pinned_rows.into_iter().peekable();
    let mut pins_pending = Some(pins);
    let min_items = MIN_ROW_ITEMS.min(req.per_row);
    let mut rows: Vec<FeedRow> = Vec::new();

    while rows.len() < req.rows {
        let spec = match pinned_rows.peek() {
            Some(&(position, c, placement)) if position <= rows.len() => {
                pinned_rows.next();
                Spec::Collection(c, Some(placement))
            }
            _ => match specs.next() {
                Some(s) => s,
                // Nothing else to show: pinned collections further down move up.
                None => match pinned_rows.next() {
                    Some((_, c, placement)) => Spec::Collection(c, Some(placement)),
                    None => break,
                },
            },
        };
        let row = match spec {
            Spec::Collection(c, placement) => {
                let why = |movie_id: i32, refusal: Refusal| match refusal {
                    Refusal::Excluded if req.exclude.contains(&movie_id) => Some(Removal::History),
                    Refusal::Excluded => Some(Removal::ShownElsewhere(
                        shown_in.get(&movie_id).map(|&r| rows[r].key.clone()),
                    )),
                    Refusal::Seen => Some(Removal::History),
                    Refusal::Missing | Refusal::Unavailable => Some(Removal::Unavailable),
                    Refusal::Blocked(rule) => Some(Removal::Blocked(rule)),
                    Refusal::Filtered => None,
                };
                collection_row(c, placement, &gate, &used, req.per_row, &why)
            }
            Spec::Ranked {
                key,
                title,
                kind,
                candidates,
                genre,
            } => {
                let in_genre = |e: &CatalogueEntry| {
                    genre
                        .as_deref()
                        .is_none_or(|g| e.genres.iter().any(|x| x.eq_ignore_ascii_case(g)))
                };
                let list = ListRequest {
                    surface: &home,
                    user: req.user,
                    now: req.now,
                    n: req.per_row,
                    exclude: &used,
                    keep: &in_genre,
                    explain: req.explain,
                };
                let row_pins = pins_pending.as_deref().unwrap_or(&[]);
                let items = rank_with_pins(&list, candidates, row_pins, &gate, curation, catalogue);
                let had_pins = !row_pins.is_empty();
                if had_pins && items.len() >= min_items {
                    pins_pending = None;
                }
                FeedRow {
                    key,
                    title,
                    kind,
                    collection_id: None,
                    items,
                    removed: Vec::new(),
                }
            }
        };
        // An editor's collection shows whenever anything of it is left to show.
        let needed = if row.kind == RowKind::Collection {
            1
        } else {
            min_items
        };
        if row.items.len() >= needed {
            used.extend(row.items.iter().map(|i| i.movie_id));
            for i in &row.items {
                shown_in.insert(i.movie_id, rows.len());
            }
            rows.push(row);
        }
    }
    rows
}

/// The rows in their default order, pinned collections left out.
fn default_rows<'c>(
    inputs: FeedInputs,
    req: &FeedRequest<'_>,
    curation: &'c CurationSnapshot,
    catalogue: &CatalogueIndex,
    pinned_rows: &[(usize, &Collection, i32)],
) -> Vec<Spec<'c>> {
    let ranked =
        |key: String, title: String, kind: RowKind, candidates: Vec<Candidate>| Spec::Ranked {
            key,
            title,
            kind,
            candidates,
            genre: None,
        };
    let mut specs = Vec::new();
    if req.user.is_new {
        specs.push(ranked(
            "popular".into(),
            "Popular on Marquee".into(),
            RowKind::Popular,
            inputs.popular,
        ));
        if let Some((label, candidates)) = inputs.demographic {
            specs.push(ranked(
                "demographic".into(),
                format!("Popular with {label}"),
                RowKind::Demographic,
                candidates,
            ));
        }
    } else {
        specs.push(ranked(
            "top-picks".into(),
            "Top picks for you".into(),
            RowKind::TopPicks,
            inputs.top_picks,
        ));
        let seeds = inputs
            .because
            .into_iter()
            .filter_map(|(seed, candidates)| {
                catalogue.get(seed).map(|e| {
                    ranked(
                        format!("because:{seed}"),
                        format!("Because you watched {}", e.title),
                        RowKind::BecauseYouWatched,
                        candidates,
                    )
                })
            })
            .take(MAX_BECAUSE_ROWS);
        specs.extend(seeds);
    }
    specs.extend(
        curation
            .live_collections_for(req.user, req.now)
            .into_iter()
            .filter(|c| !pinned_rows.iter().any(|(_, p, _)| p.id == c.id))
            .map(|c| Spec::Collection(c, None)),
    );
    specs.push(ranked(
        "trending".into(),
        "Trending now".into(),
        RowKind::Trending,
        inputs.trending,
    ));
    specs.extend(
        inputs
            .by_genre
            .into_iter()
            .map(|(name, candidates)| Spec::Ranked {
                key: format!("genre:{name}"),
                title: name.clone(),
                kind: RowKind::Genre,
                candidates,
                genre: Some(name),
            }),
    );
    specs
}

/// A collection's row: its movies in the editor's order, those that may not be shown dropped
/// (each with the reason `why` gives for its refusal, until the row is full).
fn collection_row(
    c: &Collection,
    placement: Option<i32>,
    gate: &Gate<'_>,
    used: &HashSet<i32>,
    per_row: usize,
    why: &dyn Fn(i32, Refusal) -> Option<Removal>,
) -> FeedRow {
    let everything = |_: &CatalogueEntry| true;
    let mut seen = HashSet::new();
    let (reason_kind, reason_text) = explain::editors_pick(Some(&c.title));
    let mut items = Vec::new();
    let mut removed = Vec::new();
    for &movie_id in &c.movie_ids {
        if items.len() == per_row {
            break;
        }
        if !seen.insert(movie_id) {
            continue;
        }
        match gate.check(movie_id, used, &everything) {
            Ok(_) => items.push(ServedItem {
                movie_id,
                score: 0.0,
                source: ServedSource::Collection,
                reason_kind,
                reason_text: reason_text.clone(),
                evidence: Vec::new(),
                collection_id: Some(c.id),
                placement_id: placement,
                rule_id: None,
            }),
            Err(refusal) => {
                removed.extend(why(movie_id, refusal).map(|why| Removed { movie_id, why }))
            }
        }
    }
    FeedRow {
        key: format!("collection:{}", c.slug),
        title: c.title.clone(),
        kind: RowKind::Collection,
        collection_id: Some(c.id),
        items,
        removed,
    }
}
