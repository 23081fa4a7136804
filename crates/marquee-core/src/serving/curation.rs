//! The curation snapshot: what editors have set up (collections, pins, rules, diversity
//! settings), as the server loads it from the database after each change. Everything here is
//! plain data plus the questions serving asks of it ("is this movie blocked here, now?").
//! Every question takes `now`, so tests control the clock.
use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::catalogue::CatalogueEntry;
use crate::catalogue::CatalogueIndex;
use crate::demographics::AgeBand;

/// The longest genre name a genre page may have, in characters.
pub const MAX_GENRE_NAME_CHARS: usize = 64;

/// A user "likes" a genre when at least this share of their history is in it (or when it is
/// their top genre).
pub const GENRE_AFFINITY_MIN_SHARE: f64 = 0.2;

/// How many consecutive positions the genre cap and the minimum number of genres look at
/// (the N of "at most k movies of one genre in the top N").
pub const DIVERSITY_WINDOW: usize = 10;

/// A place where recommendations are shown.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Surface {
    /// The home feed.
    Home,
    /// The `recommendations` list.
    Recommendations,
    /// The page of one genre; the name as editors typed it.
    Genre(String),
}

impl Surface {
    /// Reads `HOME`, `RECOMMENDATIONS` or `GENRE:<name>`. The kind is case-insensitive; the
    /// genre name is trimmed, must not be empty and may have at most 64 characters.
    pub fn parse(s: &str) -> Result<Surface, String> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("HOME") {
            return Ok(Surface::Home);
        }
        if t.eq_ignore_ascii_case("RECOMMENDATIONS") {
            return Ok(Surface::Recommendations);
        }
        if let Some((kind, name)) = t.split_once(':') {
            if kind.trim().eq_ignore_ascii_case("GENRE") {
                let name = name.trim();
                if name.is_empty() {
                    return Err("a genre page needs a genre name, as in GENRE:Drama".into());
                }
                if name.chars().count() > MAX_GENRE_NAME_CHARS {
                    return Err(format!(
                        "the genre name is longer than {MAX_GENRE_NAME_CHARS} characters"
                    ));
                }
                return Ok(Surface::Genre(name.to_string()));
            }
        }
        Err(format!(
            "unknown surface \"{t}\": expected HOME, RECOMMENDATIONS or GENRE:<name>"
        ))
    }

    /// The canonical form: `HOME`, `RECOMMENDATIONS` or `GENRE:<name>`.
    pub fn key(&self) -> String {
        match self {
            Surface::Home => "HOME".into(),
            Surface::Recommendations => "RECOMMENDATIONS".into(),
            Surface::Genre(g) => format!("GENRE:{g}"),
        }
    }

    /// Whether two surfaces are the same place; genre names compare case-insensitively.
    pub fn same_as(&self, other: &Surface) -> bool {
        match (self, other) {
            (Surface::Genre(a), Surface::Genre(b)) => a.eq_ignore_ascii_case(b),
            (a, b) => a == b,
        }
    }
}

impl fmt::Display for Surface {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

/// When something is in force. Both ends are optional; the start is inclusive and the end
/// exclusive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Schedule {
    /// In force from this instant on (inclusive); `None` = since always.
    pub starts_at: Option<DateTime<Utc>>,
    /// In force until this instant (exclusive); `None` = for ever.
    pub ends_at: Option<DateTime<Utc>>,
}

impl Schedule {
    /// Whether it is in force at `now`.
    pub fn live(&self, now: DateTime<Utc>) -> bool {
        self.starts_at.is_none_or(|s| s <= now) && self.ends_at.is_none_or(|e| now < e)
    }

    /// Checks that the end, when both are given, comes after the start.
    pub fn validate(&self) -> Result<(), String> {
        match (self.starts_at, self.ends_at) {
            (Some(s), Some(e)) if e <= s => Err("the schedule must end after it starts".into()),
            _ => Ok(()),
        }
    }
}

/// Who the user is, as far as targeting and calibration need to know.
#[derive(Debug, Clone, Default)]
pub struct UserContext {
    /// The user's id; `None` for anonymous visitors.
    pub user_id: Option<i32>,
    /// Whether the user has too little history for personal recommendations.
    pub is_new: bool,
    /// The user's age band, if given.
    pub age_band: Option<AgeBand>,
    /// The user's country (ISO 3166-1 alpha-2), if given.
    pub country: Option<String>,
    /// The share of the user's history in each genre (by genre name); sums to about 1, empty
    /// when the user has no history.
    pub genre_affinity: HashMap<String, f64>,
}

impl UserContext {
    /// The user's share of one genre (name compared case-insensitively), 0 when absent.
    pub fn genre_share(&self, genre: &str) -> f64 {
        self.genre_affinity
            .iter()
            .find(|(g, _)| g.eq_ignore_ascii_case(genre))
            .map_or(0.0, |(_, s)| *s)
    }

    /// Whether `genre` is the user's top genre (ties count for every tied genre).
    pub fn is_top_genre(&self, genre: &str) -> bool {
        let top = self
            .genre_affinity
            .values()
            .copied()
            .fold(0.0_f64, f64::max);
        top > 0.0 && self.genre_share(genre) >= top
    }
}

/// Who sees something. Every condition given must hold; the default (nothing given) is
/// everyone. Stored as JSON text with camelCase keys.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Audience {
    /// Only users without enough history for personal recommendations.
    pub new_users: bool,
    /// Only users who like this genre: it has at least [`GENRE_AFFINITY_MIN_SHARE`] of their
    /// history, or it is their top genre.
    pub genre_affinity: Option<String>,
    /// Only users in one of these age bands (empty = any).
    pub age_bands: Vec<String>,
    /// Only users in one of these countries (empty = any).
    pub countries: Vec<String>,
}

impl Audience {
    /// Whether the user belongs to this audience.
    pub fn matches(&self, user: &UserContext) -> bool {
        if self.new_users && !user.is_new {
            return false;
        }
        if let Some(g) = &self.genre_affinity {
            if !(user.genre_share(g) >= GENRE_AFFINITY_MIN_SHARE || user.is_top_genre(g)) {
                return false;
            }
        }
        if !self.age_bands.is_empty() {
            let Some(band) = &user.age_band else {
                return false;
            };
            if !self
                .age_bands
                .iter()
                .any(|b| b.parse::<AgeBand>().is_ok_and(|b| b == *band))
            {
                return false;
            }
        }
        if !self.countries.is_empty() {
            let Some(country) = &user.country else {
                return false;
            };
            if !self
                .countries
                .iter()
                .any(|c| c.eq_ignore_ascii_case(country))
            {
                return false;
            }
        }
        true
    }

    /// A short description for the admin UI, such as
    /// "New users · aged 18-24, 25-34 · in FR, DE · who like Drama", or "Everyone".
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.new_users {
            parts.push("New users".to_string());
        }
        if !self.age_bands.is_empty() {
            parts.push(format!("aged {}", self.age_bands.join(", ")));
        }
        if !self.countries.is_empty() {
            parts.push(format!("in {}", self.countries.join(", ")));
        }
        if let Some(g) = &self.genre_affinity {
            parts.push(format!("who like {g}"));
        }
        if parts.is_empty() {
            return "Everyone".into();
        }
        let mut out = parts.join(" · ");
        if let Some(first) = out.get(..1) {
            out = first.to_uppercase() + &out[1..];
        }
        out
    }

    /// Checks the conditions: known age bands, two-letter country codes, a genre name that is
    /// not empty and at most 64 characters.
    pub fn validate(&self) -> Result<(), String> {
        for b in &self.age_bands {
            if b.parse::<AgeBand>().is_err() {
                return Err(format!(
                    "unknown age band \"{b}\": expected one of {}",
                    AgeBand::names()
                ));
            }
        }
        for c in &self.countries {
            if c.len() != 2 || !c.chars().all(|ch| ch.is_ascii_alphabetic()) {
                return Err(format!(
                    "\"{c}\" is not a two-letter country code such as FR"
                ));
            }
        }
        if let Some(g) = &self.genre_affinity {
            let g = g.trim();
            if g.is_empty() {
                return Err("the genre of a genre audience must not be empty".into());
            }
            if g.chars().count() > MAX_GENRE_NAME_CHARS {
                return Err(format!(
                    "the genre name is longer than {MAX_GENRE_NAME_CHARS} characters"
                ));
            }
        }
        Ok(())
    }
}

/// An editor's collection: an ordered list of movies with a title, a schedule and an audience.
#[derive(Debug, Clone, PartialEq)]
pub struct Collection {
    /// Database id.
    pub id: i32,
    /// URL-safe name, used in feed row keys (`collection:<slug>`).
    pub slug: String,
    /// Title shown to users, such as "Noir Week".
    pub title: String,
    /// Drafts are never shown.
    pub published: bool,
    /// When it is shown.
    pub schedule: Schedule,
    /// To whom it is shown.
    pub audience: Audience,
    /// Its movies, in the editor's order.
    pub movie_ids: Vec<i32>,
}

impl Collection {
    /// Whether this user may see it now: published, in schedule, audience matching.
    pub fn visible_to(&self, user: &UserContext, now: DateTime<Utc>) -> bool {
        self.published && self.schedule.live(now) && self.audience.matches(user)
    }
}

/// What a placement pins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PinTarget {
    /// One movie, by id.
    Movie(i32),
    /// One collection, by id.
    Collection(i32),
}

/// A pin: a movie or a collection at a 1-based position of a surface. On a list a pinned
/// movie keeps its slot; in the home feed a pinned collection takes a row position.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    /// Database id; when two placements claim one position, the newest (highest id) wins.
    pub id: i32,
    /// Where.
    pub surface: Surface,
    /// The 1-based position (slot in a list, row in the home feed).
    pub position: u32,
    /// What is pinned.
    pub target: PinTarget,
    /// When.
    pub schedule: Schedule,
    /// For whom.
    pub audience: Audience,
}

/// What a rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleKind {
    /// Multiply the score by the multiplier (> 1).
    Boost,
    /// Multiply the score by the multiplier (between 0 and 1).
    Bury,
    /// Never show.
    Block,
}

/// Which movies a rule is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleTarget {
    /// One movie, by id.
    Movie(i32),
    /// Every movie of a genre, by genre id.
    Genre(i32),
    /// Every movie a person directed or plays in, by person id.
    Person(i32),
    /// Every movie released in this range of years (both ends inclusive; a missing end is
    /// open). Movies without a year never match.
    Years {
        /// First year, inclusive.
        from: Option<i32>,
        /// Last year, inclusive.
        to: Option<i32>,
    },
}

/// An editor's rule: boost, bury or block some movies, everywhere or on one surface.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Database id.
    pub id: i32,
    /// Boost, bury or block.
    pub kind: RuleKind,
    /// The factor for boosts (> 1) and buries (0 < m < 1); ignored for blocks.
    pub multiplier: f64,
    /// The movies it is about.
    pub target: RuleTarget,
    /// The surface it applies to; `None` = every surface.
    pub surface: Option<Surface>,
    /// When it is in force.
    pub schedule: Schedule,
    /// A boost's public reason, shown with its items ("Editor's pick: <reason>"). Editors'
    /// internal notes never reach the core.
    pub reason: Option<String>,
}

impl Rule {
    /// Whether the rule is about this movie.
    pub fn matches(&self, entry: &CatalogueEntry) -> bool {
        match self.target {
            RuleTarget::Movie(id) => entry.movie_id == id,
            RuleTarget::Genre(id) => entry.genre_ids.contains(&id),
            RuleTarget::Person(id) => entry.person_ids.contains(&id),
            RuleTarget::Years { from, to } => entry
                .year
                .is_some_and(|y| from.is_none_or(|f| y >= f) && to.is_none_or(|t| y <= t)),
        }
    }

    /// Whether the rule is in force on this surface at `now`.
    pub fn in_force(&self, surface: &Surface, now: DateTime<Utc>) -> bool {
        self.schedule.live(now) && self.surface.as_ref().is_none_or(|s| s.same_as(surface))
    }

    /// Checks the multiplier against the kind, the year range and the schedule.
    pub fn validate(&self) -> Result<(), String> {
        match self.kind {
            RuleKind::Boost if !(self.multiplier.is_finite() && self.multiplier > 1.0) => {
                return Err("a boost needs a multiplier greater than 1".into());
            }
            RuleKind::Bury if !(self.multiplier > 0.0 && self.multiplier < 1.0) => {
                return Err("a bury needs a multiplier between 0 and 1".into());
            }
            _ => {}
        }
        if let RuleTarget::Years { from, to } = self.target {
            match (from, to) {
                (None, None) => return Err("a year range needs at least one end".into()),
                (Some(f), Some(t)) if t < f => {
                    return Err("the year range must not end before it starts".into());
                }
                _ => {}
            }
        }
        self.schedule.validate()
    }

    /// The factor this rule contributes to a score: its multiplier for live boosts and buries
    /// with a usable value, 1 otherwise.
    fn factor(&self) -> f64 {
        match self.kind {
            RuleKind::Boost | RuleKind::Bury
                if self.multiplier.is_finite() && self.multiplier > 0.0 =>
            {
                self.multiplier
            }
            _ => 1.0,
        }
    }
}

/// The diversity settings of one surface. The default turns everything off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DiversitySettings {
    /// At most this many movies of one genre in any [`DIVERSITY_WINDOW`] consecutive positions.
    pub max_per_genre: Option<u32>,
    /// MMR trade-off: 1 = relevance only, 0 = dissimilarity only.
    pub mmr_lambda: f64,
    /// Calibration strength (Steck 2018): 0 = off, 1 = the genre mix follows the user's
    /// history strongly.
    pub calibration: f64,
    /// At least this many distinct genres in the first [`DIVERSITY_WINDOW`] positions.
    pub min_genres: Option<u32>,
    /// Weight of novelty (less popular titles) against relevance: 0 = off.
    pub novelty_weight: f64,
}

impl Default for DiversitySettings {
    fn default() -> Self {
        Self {
            max_per_genre: None,
            mmr_lambda: 1.0,
            calibration: 0.0,
            min_genres: None,
            novelty_weight: 0.0,
        }
    }
}

impl DiversitySettings {
    /// Checks the ranges: λ, calibration and novelty weight in [0, 1], a genre cap of at least
    /// 1, a minimum of 1 to 10 genres.
    pub fn validate(&self) -> Result<(), String> {
        for (name, v) in [
            ("mmrLambda", self.mmr_lambda),
            ("calibration", self.calibration),
            ("noveltyWeight", self.novelty_weight),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(format!("{name} must be between 0 and 1"));
            }
        }
        if self.max_per_genre == Some(0) {
            return Err("maxPerGenre must be at least 1".into());
        }
        if let Some(m) = self.min_genres {
            if !(1..=DIVERSITY_WINDOW as u32).contains(&m) {
                return Err(format!(
                    "minGenres must be between 1 and {DIVERSITY_WINDOW}"
                ));
            }
        }
        Ok(())
    }
}

/// Everything editors have set up, as one immutable value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CurationSnapshot {
    /// Collections, drafts included, in the order the home feed shows them.
    pub collections: Vec<Collection>,
    /// Pins on every surface.
    pub placements: Vec<Placement>,
    /// Boost, bury and block rules.
    pub rules: Vec<Rule>,
    /// Diversity settings by surface key ([`Surface::key`]).
    pub diversity: HashMap<String, DiversitySettings>,
}

impl CurationSnapshot {
    /// The product of the multipliers of every live boost and bury matching the movie on this
    /// surface, and the strongest of those boosts (for its reason; ties go to the lowest id).
    pub fn multiplier(
        &self,
        movie_id: i32,
        surface: &Surface,
        now: DateTime<Utc>,
        catalogue: &CatalogueIndex,
    ) -> (f64, Option<&Rule>) {
        let Some(entry) = catalogue.get(movie_id) else {
            return (1.0, None);
        };
        let live: Vec<&Rule> = self
            .rules
            .iter()
            .filter(|r| r.kind != RuleKind::Block && r.in_force(surface, now))
            .collect();
        multiplier_of(&live, entry)
    }

    /// The diversity settings of a surface: those stored under its exact key, else the
    /// default (everything off).
    pub fn diversity_for(&self, surface: &Surface) -> DiversitySettings {
        self.diversity
            .get(&surface.key())
            .cloned()
            .unwrap_or_default()
    }

    /// A collection by id.
    pub fn collection(&self, id: i32) -> Option<&Collection> {
        self.collections.iter().find(|c| c.id == id)
    }

    /// Collections this user may see now (published, in schedule, audience matching), in the
    /// snapshot's order.
    pub fn live_collections_for(&self, user: &UserContext, now: DateTime<Utc>) -> Vec<&Collection> {
        self.collections
            .iter()
            .filter(|c| c.visible_to(user, now))
            .collect()
    }

    /// Pins on this surface that are live and whose audience matches the user, sorted by
    /// position, one per position (the newest, highest id, wins).
    pub fn placements_for(
        &self,
        surface: &Surface,
        user: &UserContext,
        now: DateTime<Utc>,
    ) -> Vec<&Placement> {
        let mut by_position: HashMap<u32, &Placement> = HashMap::new();
        for p in &self.placements {
            if p.position == 0
                || !p.surface.same_as(surface)
                || !p.schedule.live(now)
                || !p.audience.matches(user)
            {
                continue;
            }
            let slot = by_position.entry(p.position).or_insert(p);
            if p.id > slot.id {
                *slot = p;
            }
        }
        let mut out: Vec<&Placement> = by_position.into_values().collect();
        out.sort_by_key(|p| p.position);
        out
    }

    /// Boost and bury rules in force on a surface now (for scoring many movies at once).
    pub(crate) fn live_weighting_rules(&self, surface: &Surface, now: DateTime<Utc>) -> Vec<&Rule> {
        self.rules
            .iter()
            .filter(|r| r.kind != RuleKind::Block && r.in_force(surface, now))
            .collect()
    }

    /// The span of time around `now` in which the same block rules are in force on `surface`
    /// (so admission gives the same answers): from the latest start or end of a block rule at
    /// or before `now` (`None`: since always) until the earliest one after it (`None`: for ever).
    pub fn block_window(
        &self,
        surface: &Surface,
        now: DateTime<Utc>,
    ) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
        window_around(
            now,
            self.rules
                .iter()
                .filter(|r| {
                    r.kind == RuleKind::Block
                        && r.surface.as_ref().is_none_or(|s| s.same_as(surface))
                })
                .map(|r| &r.schedule),
        )
    }

    /// The span of time around `now` in which no schedule of the snapshot (rules, placements,
    /// collections, on any surface) starts or ends: every list or feed computed from this
    /// snapshot at `now` would come out the same at any instant of it.
    pub fn schedule_window(
        &self,
        now: DateTime<Utc>,
    ) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
        window_around(
            now,
            self.rules
                .iter()
                .map(|r| &r.schedule)
                .chain(self.placements.iter().map(|p| &p.schedule))
                .chain(self.collections.iter().map(|c| &c.schedule)),
        )
    }

    /// Block rules in force on a surface now.
    pub(crate) fn live_blocks(&self, surface: &Surface, now: DateTime<Utc>) -> Vec<&Rule> {
        self.rules
            .iter()
            .filter(|r| r.kind == RuleKind::Block && r.in_force(surface, now))
            .collect()
    }
}

/// From the latest start or end of `schedules` at or before `now` (`None`: since always) until
/// the earliest one after it (`None`: for ever).
fn window_around<'s>(
    now: DateTime<Utc>,
    schedules: impl Iterator<Item = &'s Schedule>,
) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let mut from: Option<DateTime<Utc>> = None;
    let mut until: Option<DateTime<Utc>> = None;
    for b in schedules.flat_map(|s| [s.starts_at, s.ends_at]).flatten() {
        if b <= now {
            from = Some(from.map_or(b, |f| f.max(b)));
        } else {
            until = Some(until.map_or(b, |u| u.min(b)));
        }
    }
    (from, until)
}

/// The product of the factors of `rules` matching `entry`, and the strongest matching boost.
pub(crate) fn multiplier_of<'r>(
    rules: &[&'r Rule],
    entry: &CatalogueEntry,
) -> (f64, Option<&'r Rule>) {
    let mut product = 1.0;
    let mut strongest: Option<&Rule> = None;
    for r in rules.iter().copied().filter(|r| r.matches(entry)) {
        product *= r.factor();
        if r.kind == RuleKind::Boost && r.factor() > 1.0 {
            let better = match strongest {
                None => true,
                Some(s) => {
                    r.multiplier > s.multiplier || (r.multiplier == s.multiplier && r.id < s.id)
                }
            };
            if better {
                strongest = Some(r);
            }
        }
    }
    (product, strongest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, day, 12, 0, 0).unwrap()
    }

    #[test]
    fn surfaces_parse_case_insensitively_and_round_trip() {
        assert_eq!(Surface::parse("home"), Ok(Surface::Home));
        assert_eq!(
            Surface::parse("Recommendations"),
            Ok(Surface::Recommendations)
        );
        let g = Surface::parse("genre: Film Noir ").unwrap();
        assert_eq!(g, Surface::Genre("Film Noir".into()));
        assert_eq!(g.key(), "GENRE:Film Noir");
        assert_eq!(Surface::parse(&g.key()), Ok(g));
    }

    #[test]
    fn bad_surfaces_are_refused_with_a_readable_reason() {
        assert!(Surface::parse("GENRE:  ")
            .unwrap_err()
            .contains("genre name"));
        assert!(Surface::parse(&format!("GENRE:{}", "x".repeat(65)))
            .unwrap_err()
            .contains("64"));
        assert!(Surface::parse("SIDEBAR").unwrap_err().contains("HOME"));
    }

    #[test]
    fn a_schedule_includes_its_start_and_excludes_its_end() {
        let s = Schedule {
            starts_at: Some(at(2)),
            ends_at: Some(at(4)),
        };
        assert!(!s.live(at(1)));
        assert!(s.live(at(2)));
        assert!(s.live(at(3)));
        assert!(!s.live(at(4)));
        assert!(Schedule::default().live(at(1)));
        let backwards = Schedule {
            starts_at: Some(at(4)),
            ends_at: Some(at(2)),
        };
        assert!(backwards.validate().is_err());
        assert!(s.validate().is_ok());
    }

    #[test]
    fn every_audience_condition_must_hold() {
        let a = Audience {
            new_users: true,
            genre_affinity: None,
            age_bands: vec!["18-24".into()],
            countries: vec!["FR".into()],
        };
        let mut u = UserContext {
            is_new: true,
            age_band: Some(AgeBand::From18To24),
            country: Some("fr".into()),
            ..Default::default()
        };
        assert!(a.matches(&u));
        u.country = Some("DE".into());
        assert!(!a.matches(&u));
        u.country = None;
        assert!(!a.matches(&u));
        assert!(Audience::default().matches(&UserContext::default()));
    }

    #[test]
    fn genre_affinity_holds_above_the_threshold_or_for_the_top_genre() {
        let a = Audience {
            genre_affinity: Some("Drama".into()),
            ..Default::default()
        };
        let user = |drama: f64, comedy: f64| UserContext {
            genre_affinity: HashMap::from([("drama".into(), drama), ("Comedy".into(), comedy)]),
            ..Default::default()
        };
        assert!(a.matches(&user(0.2, 0.8)));
        assert!(!a.matches(&user(0.19, 0.81)));
        // Top genre even though below the threshold (history spread over many genres).
        let mut spread = user(0.15, 0.1);
        spread.genre_affinity.insert("War".into(), 0.05);
        assert!(a.matches(&spread));
        assert!(!a.matches(&UserContext::default()));
    }

    #[test]
    fn audiences_describe_themselves() {
        assert_eq!(Audience::default().describe(), "Everyone");
        let a = Audience {
            new_users: true,
            genre_affinity: Some("Drama".into()),
            age_bands: vec!["18-24".into(), "25-34".into()],
            countries: vec!["FR".into(), "DE".into()],
        };
        assert_eq!(
            a.describe(),
            "New users · aged 18-24, 25-34 · in FR, DE · who like Drama"
        );
        let b = Audience {
            countries: vec!["FR".into()],
            ..Default::default()
        };
        assert_eq!(b.describe(), "In FR");
    }

    #[test]
    fn audiences_are_stored_as_camel_case_json() {
        let a: Audience = serde_json::from_str(r#"{"newUsers":true,"ageBands":["65+"]}"#).unwrap();
        assert!(a.new_users && a.age_bands == ["65+"] && a.countries.is_empty());
        assert!(serde_json::to_string(&a).unwrap().contains("genreAffinity"));
        assert!(a.validate().is_ok());
        let bad = Audience {
            age_bands: vec!["20-30".into()],
            ..Default::default()
        };
        assert!(bad.validate().is_err());
        let bad = Audience {
            countries: vec!["FRA".into()],
            ..Default::default()
        };
        assert!(bad.validate().is_err());
    }

    #[test]
    fn diversity_settings_are_validated() {
        assert!(DiversitySettings::default().validate().is_ok());
        let bad = |f: fn(&mut DiversitySettings)| {
            let mut s = DiversitySettings::default();
            f(&mut s);
            s.validate().is_err()
        };
        assert!(bad(|s| s.mmr_lambda = 1.5));
        assert!(bad(|s| s.calibration = -0.1));
        assert!(bad(|s| s.novelty_weight = 2.0));
        assert!(bad(|s| s.max_per_genre = Some(0)));
        assert!(bad(|s| s.min_genres = Some(11)));
    }

    #[test]
    fn the_newest_live_matching_placement_wins_a_position() {
        let p = |id, position, surface: Surface, schedule| Placement {
            id,
            surface,
            position,
            target: PinTarget::Movie(id),
            schedule,
            audience: Audience::default(),
        };
        let past = Schedule {
            starts_at: None,
            ends_at: Some(at(1)),
        };
        let snap = CurationSnapshot {
            placements: vec![
                p(1, 2, Surface::Home, Schedule::default()),
                p(5, 2, Surface::Home, Schedule::default()),
                p(3, 1, Surface::Home, Schedule::default()),
                p(9, 1, Surface::Home, past),
                p(7, 3, Surface::Recommendations, Schedule::default()),
            ],
            ..Default::default()
        };
        let got: Vec<(u32, i32)> = snap
            .placements_for(&Surface::Home, &UserContext::default(), at(5))
            .iter()
            .map(|p| (p.position, p.id))
            .collect();
        assert_eq!(got, vec![(1, 3), (2, 5)]);
    }

    #[test]
    fn the_block_window_spans_the_time_the_same_blocks_are_in_force() {
        let block = |id, surface, starts_at, ends_at| Rule {
            id,
            kind: RuleKind::Block,
            multiplier: 1.0,
            target: RuleTarget::Movie(id),
            surface,
            schedule: Schedule { starts_at, ends_at },
            reason: None,
        };
        let snap = CurationSnapshot {
            rules: vec![
                block(1, None, Some(at(2)), Some(at(8))),
                block(2, Some(Surface::Recommendations), Some(at(4)), None),
                // Another surface's block and a boost do not bound the window.
                block(3, Some(Surface::Home), Some(at(5)), None),
                Rule {
                    kind: RuleKind::Boost,
                    multiplier: 2.0,
                    ..block(4, None, Some(at(6)), None)
                },
            ],
            ..Default::default()
        };
        let rec = Surface::Recommendations;
        assert_eq!(snap.block_window(&rec, at(1)), (None, Some(at(2))));
        assert_eq!(snap.block_window(&rec, at(3)), (Some(at(2)), Some(at(4))));
        assert_eq!(snap.block_window(&rec, at(6)), (Some(at(4)), Some(at(8))));
        assert_eq!(snap.block_window(&rec, at(9)), (Some(at(8)), None));
        assert_eq!(
            snap.block_window(&Surface::Home, at(3)),
            (Some(at(2)), Some(at(5)))
        );
        // Every schedule bounds the window of answers: other surfaces' rules, boosts,
        // placements and collections too.
        let snap = CurationSnapshot {
            placements: vec![Placement {
                id: 1,
                surface: Surface::Home,
                position: 1,
                target: PinTarget::Movie(1),
                schedule: Schedule {
                    starts_at: Some(at(7)),
                    ends_at: None,
                },
                audience: Audience::default(),
            }],
            collections: vec![Collection {
                id: 1,
                slug: "c".into(),
                title: "C".into(),
                published: true,
                schedule: Schedule {
                    starts_at: None,
                    ends_at: Some(at(3)),
                },
                audience: Audience::default(),
                movie_ids: vec![],
            }],
            ..snap
        };
        assert_eq!(snap.schedule_window(at(1)), (None, Some(at(2))));
        assert_eq!(snap.schedule_window(at(2)), (Some(at(2)), Some(at(3))));
        assert_eq!(snap.schedule_window(at(5)), (Some(at(5)), Some(at(6))));
        assert_eq!(snap.schedule_window(at(6)), (Some(at(6)), Some(at(7))));
        assert_eq!(snap.schedule_window(at(9)), (Some(at(8)), None));
    }

    #[test]
    fn rules_are_validated_against_their_kind() {
        let mut r = Rule {
            id: 1,
            kind: RuleKind::Boost,
            multiplier: 0.5,
            target: RuleTarget::Movie(1),
            surface: None,
            schedule: Schedule::default(),
            reason: None,
        };
        assert!(r.validate().is_err());
        r.kind = RuleKind::Bury;
        assert!(r.validate().is_ok());
        r.target = RuleTarget::Years {
            from: Some(2000),
            to: Some(1990),
        };
        assert!(r.validate().is_err());
    }

    #[test]
    fn blocks_and_multipliers_follow_surface_and_schedule() {
        let entry = CatalogueEntry {
            movie_id: 1,
            title: "Heat".into(),
            year: Some(1995),
            available: true,
            genres: vec!["Crime".into()],
            directors: vec![],
            cast: vec![],
            keywords: vec![],
            genre_ids: vec![3],
            person_ids: vec![101],
            popularity: 1.0,
        };
        let catalogue = CatalogueIndex {
            entries: HashMap::from([(1, entry)]),
        };
        let rule = |id, kind, multiplier, target, surface| Rule {
            id,
            kind,
            multiplier,
            target,
            surface,
            schedule: Schedule::default(),
            reason: Some(format!("rule {id}")),
        };
        let mut later = rule(4, RuleKind::Boost, 5.0, RuleTarget::Movie(1), None);
        later.schedule.starts_at = Some(at(9));
        let snap = CurationSnapshot {
            rules: vec![
                rule(
                    1,
                    RuleKind::Block,
                    1.0,
                    RuleTarget::Person(101),
                    Some(Surface::Home),
                ),
                rule(2, RuleKind::Boost, 2.0, RuleTarget::Genre(3), None),
                rule(
                    3,
                    RuleKind::Bury,
                    0.5,
                    RuleTarget::Years {
                        from: Some(1990),
                        to: Some(1999),
                    },
                    None,
                ),
                rule(
                    5,
                    RuleKind::Boost,
                    3.0,
                    RuleTarget::Movie(1),
                    Some(Surface::Genre("crime".into())),
                ),
                later,
            ],
            ..Default::default()
        };
        let admits = |surface| {
            crate::serving::admission::Admission::new(&surface, at(5), &snap, &catalogue).admits(1)
        };
        assert!(!admits(Surface::Home), "blocked on the home feed");
        assert!(admits(Surface::Recommendations));
        let (m, strongest) = snap.multiplier(1, &Surface::Recommendations, at(5), &catalogue);
        assert_eq!((m, strongest.map(|r| r.id)), (1.0, Some(2)));
        let (m, strongest) =
            snap.multiplier(1, &Surface::Genre("Crime".into()), at(10), &catalogue);
        assert_eq!((m, strongest.map(|r| r.id)), (15.0, Some(4)));
    }
}
