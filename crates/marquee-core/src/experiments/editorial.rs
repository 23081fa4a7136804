//! Editorial performance: what each collection, pin and boost rule earned. Every served item
//! that an editor's choice put in a list names it (its origins); events are attributed to
//! served items as in experiments ([`super::attribution`]: by `recommendationId`, or else the
//! latest showing of the movie to the user within the window), and counted per origin, each
//! (user, movie) once.
use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::attribution::{Outcome, Signal};
use super::stats::{self, Estimate};
use crate::feedback::EventKind;

/// An editor's choice that put an item in a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Origin {
    /// A collection (its row on the home feed, or a pin of it).
    Collection(i32),
    /// A placement (a pinned movie or collection).
    Placement(i32),
    /// A boost rule that lifted a model's item.
    Rule(i32),
}

/// One item of one served list.
#[derive(Debug, Clone, PartialEq)]
pub struct ShownItem {
    /// The list's id.
    pub list: String,
    /// Its position in the list (as in the `recommendationId`).
    pub position: usize,
    /// The user it was shown to.
    pub user: i64,
    /// The movie.
    pub movie: i64,
    /// When.
    pub shown_at: DateTime<Utc>,
    /// The editorial choices behind it.
    pub origins: Vec<Origin>,
}

/// What one origin earned.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OriginTally {
    /// Items served (every list counts).
    pub impressions: u64,
    /// Distinct users shown one.
    pub users: u64,
    /// Distinct (user, movie) shown.
    pub shown: u64,
    /// Distinct (user, movie) shown and then clicked.
    pub clicked: u64,
    /// Distinct (user, movie) shown and then watched to the end.
    pub completed: u64,
    /// Click-through (clicked ÷ shown, users as the unit, delta-method interval).
    pub click_through: Option<Estimate>,
    /// Completion (completed ÷ shown).
    pub completion: Option<Estimate>,
}

/// Attributes `outcomes` to the served `items` within `window` and adds them up per origin.
pub fn attribute_origins(
    items: &[ShownItem],
    outcomes: &[Outcome],
    window: Duration,
) -> BTreeMap<Origin, OriginTally> {
    let by_item: HashMap<(&str, usize), &ShownItem> = items
        .iter()
        .map(|i| ((i.list.as_str(), i.position), i))
        .collect();
    // Per (user, movie): the showings, ascending.
    let mut showings: HashMap<(i64, i64), Vec<&ShownItem>> = HashMap::new();
    for i in items {
        showings.entry((i.user, i.movie)).or_default().push(i);
    }
    for v in showings.values_mut() {
        v.sort_by_key(|i| i.shown_at);
    }
    // Per origin: per user, the movies shown, clicked and completed.
    type PerUser = BTreeMap<i64, [BTreeSet<i64>; 3]>;
    let mut per: BTreeMap<Origin, (u64, PerUser)> = BTreeMap::new();
    for i in items {
        for o in &i.origins {
            let e = per.entry(*o).or_default();
            e.0 += 1;
            e.1.entry(i.user).or_default()[0].insert(i.movie);
        }
    }
    for o in outcomes {
        let slot = match o.signal {
            Signal::Event(EventKind::Click) => 1,
            Signal::Event(EventKind::ViewComplete) => 2,
            _ => continue,
        };
        let shown = match &o.recommendation {
            Some((list, position)) => by_item
                .get(&(list.as_str(), *position))
                .copied()
                .filter(|i| i.user == o.user && i.movie == o.movie),
            None => showings.get(&(o.user, o.movie)).and_then(|v| {
                let before = v.partition_point(|i| i.shown_at <= o.at);
                (before > 0).then(|| v[before - 1])
            }),
        };
        let Some(shown) = shown.filter(|i| i.shown_at <= o.at && o.at <= i.shown_at + window)
        else {
            continue;
        };
        for origin in &shown.origins {
            if let Some(u) = per.get_mut(origin).and_then(|(_, u)| u.get_mut(&o.user)) {
                u[slot].insert(o.movie);
            }
        }
    }
    per.into_iter()
        .map(|(origin, (impressions, users))| {
            let col =
                |k: usize| -> Vec<f64> { users.values().map(|s| s[k].len() as f64).collect() };
            let (shown, clicked, completed) = (col(0), col(1), col(2));
            let total = |v: &[f64]| v.iter().sum::<f64>() as u64;
            (
                origin,
                OriginTally {
                    impressions,
                    users: users.len() as u64,
                    shown: total(&shown),
                    clicked: total(&clicked),
                    completed: total(&completed),
                    click_through: stats::ratio(&clicked, &shown),
                    completion: stats::ratio(&completed, &shown),
                },
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(minute: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap() + Duration::minutes(minute)
    }

    fn item(
        list: &str,
        position: usize,
        user: i64,
        movie: i64,
        minute: i64,
        origins: &[Origin],
    ) -> ShownItem {
        ShownItem {
            list: list.into(),
            position,
            user,
            movie,
            shown_at: at(minute),
            origins: origins.to_vec(),
        }
    }

    fn click(
        user: i64,
        movie: i64,
        rec: Option<(&str, usize)>,
        kind: EventKind,
        minute: i64,
    ) -> Outcome {
        Outcome {
            user,
            movie,
            recommendation: rec.map(|(l, p)| (l.to_owned(), p)),
            signal: Signal::Event(kind),
            at: at(minute),
        }
    }

    #[test]
    fn each_origin_earns_the_events_on_its_items_within_the_window() {
        let noir = Origin::Collection(1);
        let pin = Origin::Placement(5);
        let boost = Origin::Rule(9);
        let items = vec![
            // User 1 sees a pinned noir movie (10) twice, and a noir row item (11).
            item("a", 0, 1, 10, 0, &[pin, noir]),
            item("b", 0, 1, 10, 30, &[pin, noir]),
            item("b", 1, 1, 11, 30, &[noir]),
            // User 2 sees the noir movie 11 and a boosted movie 20.
            item("c", 0, 2, 11, 0, &[noir]),
            item("c", 1, 2, 20, 0, &[boost]),
        ];
        let outcomes = vec![
            // User 1 clicks 10 by id (counted once for the pin and for the collection)...
            click(1, 10, Some(("a", 0)), EventKind::Click, 1),
            click(1, 10, Some(("b", 0)), EventKind::Click, 31),
            // ... and completes 11 with no id: latest showing, list b, within the hour.
            click(1, 11, None, EventKind::ViewComplete, 60),
            // User 2 clicks the boosted movie 2 hours later: outside the window.
            click(2, 20, Some(("c", 1)), EventKind::Click, 120),
            // A click naming another user's item is not theirs.
            click(2, 10, Some(("a", 0)), EventKind::Click, 2),
        ];
        let r = attribute_origins(&items, &outcomes, Duration::minutes(60));
        let n = &r[&noir];
        assert_eq!(
            (n.impressions, n.users, n.shown, n.clicked, n.completed),
            (4, 2, 3, 1, 1)
        );
        // Click-through: user 1 clicked 1 of 2, user 2 0 of 1 → 1/3.
        assert!((n.click_through.unwrap().value - 1.0 / 3.0).abs() < 1e-12);
        let p = &r[&pin];
        assert_eq!(
            (p.impressions, p.users, p.shown, p.clicked, p.completed),
            (2, 1, 1, 1, 0)
        );
        let b = &r[&boost];
        assert_eq!((b.impressions, b.shown, b.clicked), (1, 1, 0));
        assert_eq!(b.click_through.unwrap().value, 0.0);
    }
}
