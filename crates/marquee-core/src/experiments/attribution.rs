//! Attribution: which events an experiment's exposures earned, added up per user, and the
//! results per variant.
//!
//! An **exposure** is one list served to a user in a variant (the server logs it with the
//! list's `recommendationId` prefix). An **outcome** (a click, a view, a rating, "not
//! interested") is attributed to an exposure when it happened within the window after it, and
//! - it names the exposure's item by its `recommendationId`, or
//! - it names none (ratings never do) and the exposure is the latest one of that user, within
//!   the window before it, that showed the movie.
//!
//! Per user, movies count once: `shown` is the distinct movies the user's exposures showed,
//! `clicked` the distinct shown movies they clicked afterwards, and so on, so a frontend that
//! asks for the same page twice does not change the rates. Rates are ratios of these per-user
//! counts over the variant's users ([`super::stats::ratio`]).
use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::stats::{self, Comparison, Estimate, SampleRatio};
use crate::feedback::EventKind;

/// One list served to a user in a variant.
#[derive(Debug, Clone, PartialEq)]
pub struct Exposure {
    /// The list's id (the part of its items' `recommendationId` before the position).
    pub list: String,
    /// The user.
    pub user: i64,
    /// The variant they were served.
    pub variant: usize,
    /// When.
    pub shown_at: DateTime<Utc>,
    /// The position of the first movie (a later page of a list starts past 0).
    pub first_position: usize,
    /// The movies, by position from `first_position`.
    pub movies: Vec<i64>,
}

/// What the user did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Signal {
    /// An event.
    Event(EventKind),
    /// A rating, with its score.
    Rating(f64),
}

/// Something a user did to a movie.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The user.
    pub user: i64,
    /// The movie.
    pub movie: i64,
    /// The list and position its `recommendationId` named, if it had one.
    pub recommendation: Option<(String, usize)>,
    /// What happened.
    pub signal: Signal,
    /// When.
    pub at: DateTime<Utc>,
}

/// One user's exposures and the outcomes attributed to them.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserTally {
    /// The variant (of their first exposure; assignment is sticky).
    pub variant: usize,
    /// Lists served.
    pub lists: u32,
    /// Distinct movies shown.
    pub shown: u32,
    /// Distinct shown movies clicked.
    pub clicked: u32,
    /// Distinct shown movies started.
    pub started: u32,
    /// Distinct shown movies watched to the end.
    pub completed: u32,
    /// Distinct shown movies dismissed ("not interested").
    pub not_interested: u32,
    /// Distinct shown movies rated.
    pub rated: u32,
    /// Sum of those ratings (each movie's last).
    pub rating_sum: f64,
}

/// Per user, their tally; per variant, the distinct movies served.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attribution {
    /// By user.
    pub users: BTreeMap<i64, UserTally>,
    /// By variant: the distinct movies its exposures showed.
    pub served: Vec<BTreeSet<i64>>,
    /// Exposures ignored because their user had been served another variant before (none
    /// unless assignment changed during the experiment).
    pub conflicting_exposures: usize,
}

#[derive(Default)]
struct Touched {
    clicked: BTreeSet<i64>,
    started: BTreeSet<i64>,
    completed: BTreeSet<i64>,
    not_interested: BTreeSet<i64>,
    /// movie → (time, score) of the last attributed rating.
    rated: BTreeMap<i64, (DateTime<Utc>, f64)>,
}

/// Attributes `outcomes` to `exposures` (of `variants` variants) within `window`.
pub fn attribute(
    exposures: &[Exposure],
    outcomes: &[Outcome],
    variants: usize,
    window: Duration,
) -> Attribution {
    let mut by_time: Vec<&Exposure> = exposures.iter().collect();
    by_time.sort_by(|a, b| a.shown_at.cmp(&b.shown_at).then(a.list.cmp(&b.list)));

    let mut out = Attribution {
        served: vec![BTreeSet::new(); variants],
        ..Attribution::default()
    };
    let mut shown: HashMap<i64, BTreeSet<i64>> = HashMap::new();
    let mut kept: HashMap<&str, &Exposure> = HashMap::new();
    // Per (user, movie): the times of the exposures that showed it, ascending.
    let mut showings: HashMap<(i64, i64), Vec<DateTime<Utc>>> = HashMap::new();
    for e in by_time {
        if e.variant >= variants {
            out.conflicting_exposures += 1;
            continue;
        }
        let tally = out.users.entry(e.user).or_insert_with(|| UserTally {
            variant: e.variant,
            ..UserTally::default()
        });
        if tally.variant != e.variant {
            out.conflicting_exposures += 1;
            continue;
        }
        tally.lists += 1;
        kept.insert(e.list.as_str(), e);
        let seen = shown.entry(e.user).or_default();
        for m in &e.movies {
            seen.insert(*m);
            out.served[e.variant].insert(*m);
            let times = showings.entry((e.user, *m)).or_default();
            if times.last() != Some(&e.shown_at) {
                times.push(e.shown_at);
            }
        }
    }

    let mut touched: HashMap<i64, Touched> = HashMap::new();
    for o in outcomes {
        let attributed = match &o.recommendation {
            Some((list, position)) => kept.get(list.as_str()).is_some_and(|e| {
                e.user == o.user
                    && position
                        .checked_sub(e.first_position)
                        .and_then(|i| e.movies.get(i))
                        == Some(&o.movie)
                    && e.shown_at <= o.at
                    && o.at <= e.shown_at + window
            }),
            None => showings.get(&(o.user, o.movie)).is_some_and(|times| {
                // The latest showing at or before the outcome is within the window.
                let before = times.partition_point(|t| *t <= o.at);
                before > 0 && o.at <= times[before - 1] + window
            }),
        };
        if !attributed {
            continue;
        }
        let t = touched.entry(o.user).or_default();
        match o.signal {
            Signal::Event(EventKind::Click) => {
                t.clicked.insert(o.movie);
            }
            Signal::Event(EventKind::ViewStart | EventKind::ViewProgress) => {
                t.started.insert(o.movie);
            }
            Signal::Event(EventKind::ViewComplete) => {
                t.started.insert(o.movie);
                t.completed.insert(o.movie);
            }
            Signal::Event(EventKind::NotInterested) => {
                t.not_interested.insert(o.movie);
            }
            Signal::Event(EventKind::Impression | EventKind::ThumbsUp | EventKind::ThumbsDown) => {}
            Signal::Rating(score) => {
                let last = t.rated.entry(o.movie).or_insert((o.at, score));
                if o.at >= last.0 {
                    *last = (o.at, score);
                }
            }
        }
    }

    for (user, tally) in out.users.iter_mut() {
        tally.shown = shown.get(user).map_or(0, |s| s.len() as u32);
        if let Some(t) = touched.get(user) {
            tally.clicked = t.clicked.len() as u32;
            tally.started = t.started.len() as u32;
            tally.completed = t.completed.len() as u32;
            tally.not_interested = t.not_interested.len() as u32;
            tally.rated = t.rated.len() as u32;
            tally.rating_sum = t.rated.values().map(|(_, s)| s).sum();
        }
    }
    out
}

/// An online metric of a variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Metric {
    /// Shown movies clicked ÷ movies shown.
    ClickThrough,
    /// Shown movies watched to the end ÷ movies shown.
    Completion,
    /// Mean rating of shown movies rated afterwards.
    MeanRating,
    /// Shown movies dismissed ÷ movies shown.
    NotInterested,
    /// Shown movies clicked per user.
    ClicksPerUser,
    /// Shown movies watched to the end per user.
    CompletionsPerUser,
}

impl Metric {
    /// Every metric, in the order results list them.
    pub const ALL: [Metric; 6] = [
        Metric::ClickThrough,
        Metric::Completion,
        Metric::MeanRating,
        Metric::NotInterested,
        Metric::ClicksPerUser,
        Metric::CompletionsPerUser,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::ClickThrough => "CLICK_THROUGH",
            Metric::Completion => "COMPLETION",
            Metric::MeanRating => "MEAN_RATING",
            Metric::NotInterested => "NOT_INTERESTED",
            Metric::ClicksPerUser => "CLICKS_PER_USER",
            Metric::CompletionsPerUser => "COMPLETIONS_PER_USER",
        }
    }

    /// Reads a stored name.
    pub fn parse(s: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// Whether a higher value is better (all but `NotInterested`).
    pub fn higher_is_better(self) -> bool {
        self != Metric::NotInterested
    }

    /// The estimate over these users' tallies; `None` when it is undefined (no users, or no
    /// rating for the mean rating).
    pub fn estimate(self, users: &[&UserTally]) -> Option<Estimate> {
        let per = |f: fn(&UserTally) -> f64| users.iter().map(|u| f(u)).collect::<Vec<f64>>();
        let shown = || per(|u| f64::from(u.shown));
        match self {
            Metric::ClickThrough => stats::ratio(&per(|u| f64::from(u.clicked)), &shown()),
            Metric::Completion => stats::ratio(&per(|u| f64::from(u.completed)), &shown()),
            Metric::NotInterested => stats::ratio(&per(|u| f64::from(u.not_interested)), &shown()),
            Metric::MeanRating => {
                stats::ratio(&per(|u| u.rating_sum), &per(|u| f64::from(u.rated)))
            }
            Metric::ClicksPerUser => stats::mean(&per(|u| f64::from(u.clicked))),
            Metric::CompletionsPerUser => stats::mean(&per(|u| f64::from(u.completed))),
        }
    }
}

/// A limit a treatment must not break: the metric must not get worse than `tolerance`
/// (relative to the control) with 95 % confidence.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Guardrail {
    /// The metric watched.
    pub metric: Metric,
    /// The relative loss tolerated (0.05 = 5 % worse than control).
    pub tolerance: f64,
}

impl Guardrail {
    /// Whether this comparison breaks the guardrail: the whole 95 % interval of the difference
    /// lies beyond the tolerated loss, in the harmful direction.
    pub fn breached(&self, control: &Estimate, cmp: &Comparison) -> bool {
        let allowed = self.tolerance * control.value.abs();
        if self.metric.higher_is_better() {
            cmp.high < -allowed
        } else {
            cmp.low > allowed
        }
    }
}

/// One variant's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VariantResult {
    /// Users exposed.
    pub users: usize,
    /// Lists served.
    pub lists: u64,
    /// Distinct movies served ÷ the catalogue.
    pub coverage: f64,
    /// Each metric (in [`Metric::ALL`] order) with its estimate, when defined.
    pub metrics: Vec<(Metric, Option<Estimate>)>,
    /// Against the control (variant 0), per metric; empty for the control.
    pub comparisons: Vec<(Metric, Option<Comparison>)>,
    /// Guardrails this variant breaks.
    pub breached: Vec<Metric>,
}

/// An experiment's results.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Results {
    /// Per variant, the control first.
    pub variants: Vec<VariantResult>,
    /// Users exposed per variant against the shares (`None` before any exposure).
    pub sample_ratio: Option<SampleRatio>,
}

/// The results of an attribution, with variant 0 as the control.
pub fn results(
    attribution: &Attribution,
    shares: &[f64],
    catalogue_size: usize,
    guardrails: &[Guardrail],
) -> Results {
    let n = shares.len();
    let mut groups: Vec<Vec<&UserTally>> = vec![Vec::new(); n];
    for t in attribution.users.values() {
        if t.variant < n {
            groups[t.variant].push(t);
        }
    }
    let estimates: Vec<Vec<(Metric, Option<Estimate>)>> = groups
        .iter()
        .map(|g| Metric::ALL.iter().map(|m| (*m, m.estimate(g))).collect())
        .collect();
    let variants = (0..n)
        .map(|v| {
            let mut comparisons = Vec::new();
            let mut breached = Vec::new();
            if v > 0 {
                for (i, (metric, est)) in estimates[v].iter().enumerate() {
                    let cmp = match (&estimates[0][i].1, est) {
                        (Some(c), Some(t)) => Some((c, stats::compare(c, t))),
                        _ => None,
                    };
                    if let Some((c, cmp)) = &cmp {
                        if guardrails
                            .iter()
                            .any(|g| g.metric == *metric && g.breached(c, cmp))
                        {
                            breached.push(*metric);
                        }
                    }
                    comparisons.push((*metric, cmp.map(|(_, c)| c)));
                }
            }
            let served = attribution.served.get(v).map_or(0, |s| s.len());
            VariantResult {
                users: groups[v].len(),
                lists: groups[v].iter().map(|t| u64::from(t.lists)).sum(),
                coverage: if catalogue_size == 0 {
                    0.0
                } else {
                    served as f64 / catalogue_size as f64
                },
                metrics: estimates[v].clone(),
                comparisons,
                breached,
            }
        })
        .collect();
    let observed: Vec<u64> = groups.iter().map(|g| g.len() as u64).collect();
    Results {
        variants,
        sample_ratio: stats::sample_ratio(&observed, shares),
    }
}

/// The results as they stood at each of `cutoffs` (ascending): only the exposures shown and
/// the outcomes that happened before a cutoff count for it. Guardrails are not judged.
pub fn results_over_time(
    exposures: &[Exposure],
    outcomes: &[Outcome],
    shares: &[f64],
    window: Duration,
    catalogue_size: usize,
    cutoffs: &[DateTime<Utc>],
) -> Vec<(DateTime<Utc>, Results)> {
    let mut exposures = exposures.to_vec();
    exposures.sort_by_key(|e| e.shown_at);
    let mut outcomes = outcomes.to_vec();
    outcomes.sort_by_key(|o| o.at);
    cutoffs
        .iter()
        .map(|&cut| {
            let e = exposures.partition_point(|x| x.shown_at < cut);
            let o = outcomes.partition_point(|x| x.at < cut);
            let a = attribute(&exposures[..e], &outcomes[..o], shares.len(), window);
            (cut, results(&a, shares, catalogue_size, &[]))
        })
        .collect()
}

/// The instants a chart of results over time reads them at: the end of each UTC day from
/// `start`'s to the one before `end`'s, then `end`; at most `max_points` of them (days evenly
/// skipped when there are more, the last always `end`). Empty unless `start < end`.
pub fn daily_cutoffs(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    max_points: usize,
) -> Vec<DateTime<Utc>> {
    if start >= end || max_points == 0 {
        return Vec::new();
    }
    let mut days = Vec::new();
    let mut midnight = start
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
        + Duration::days(1);
    while midnight < end {
        days.push(midnight);
        midnight += Duration::days(1);
    }
    let room = max_points - 1;
    if days.len() > room {
        // `room` of them, evenly spread, the latest kept.
        let n = days.len();
        days = (0..room)
            .map(|k| days[n - 1 - (k * n) / room.max(1)])
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        days.dedup();
    }
    days.push(end);
    days
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(minute: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap() + Duration::minutes(minute)
    }

    fn exposure(list: &str, user: i64, variant: usize, minute: i64, movies: &[i64]) -> Exposure {
        Exposure {
            list: list.into(),
            user,
            variant,
            shown_at: at(minute),
            first_position: 0,
            movies: movies.to_vec(),
        }
    }

    fn event(
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

    fn rating(user: i64, movie: i64, score: f64, minute: i64) -> Outcome {
        Outcome {
            user,
            movie,
            recommendation: None,
            signal: Signal::Rating(score),
            at: at(minute),
        }
    }

    /// A small fixture, with every expected figure worked out by hand in the comments.
    fn fixture() -> Attribution {
        let (exposures, outcomes) = fixture_inputs();
        attribute(&exposures, &outcomes, 2, Duration::minutes(60))
    }

    fn fixture_inputs() -> (Vec<Exposure>, Vec<Outcome>) {
        let exposures = vec![
            // User 1 (control): two lists, movies {10, 11, 12, 13}.
            exposure("a", 1, 0, 0, &[10, 11, 12]),
            exposure("b", 1, 0, 30, &[11, 13]),
            // User 2 (control): {10, 20}.
            exposure("c", 2, 0, 0, &[10, 20]),
            // User 3 (treatment): {30, 31}.
            exposure("d", 3, 1, 0, &[30, 31]),
            // User 3 again, but in the control: assignment does not change, so ignored.
            exposure("e", 3, 0, 5, &[40]),
        ];
        let outcomes = vec![
            // User 1: a click naming list a's item 1 (movie 11), then one naming the wrong
            // movie for its position (not attributed), a click on 11 again (counted once).
            event(1, 11, Some(("a", 1)), EventKind::Click, 1),
            event(1, 12, Some(("a", 0)), EventKind::Click, 2),
            event(1, 11, Some(("b", 0)), EventKind::Click, 31),
            // A completion without a recommendationId: the latest showing of 13 is list b at
            // minute 30, within the 60-minute window.
            event(1, 13, None, EventKind::ViewComplete, 80),
            // A rating of 10, 2 hours after its only showing: outside the window.
            rating(1, 10, 5.0, 121),
            // Ratings of 12 within the window: the last one counts (4, then 2).
            rating(1, 12, 4.0, 10),
            rating(1, 12, 2.0, 20),
            // User 2: an event before the list was shown is not attributed; a dismissal is.
            event(2, 20, None, EventKind::Click, -5),
            event(2, 20, Some(("c", 1)), EventKind::NotInterested, 3),
            // User 3: a click on a list of another user's is not theirs.
            event(3, 10, Some(("a", 0)), EventKind::Click, 1),
            event(3, 30, Some(("d", 0)), EventKind::Click, 1),
            event(3, 31, None, EventKind::ViewStart, 2),
        ];
        (exposures, outcomes)
    }

    #[test]
    fn results_over_time_count_only_what_happened_before_each_cutoff() {
        let (exposures, outcomes) = fixture_inputs();
        let window = Duration::minutes(60);
        let points = results_over_time(
            &exposures,
            &outcomes,
            &[0.5, 0.5],
            window,
            10,
            &[at(-1), at(2), at(200)],
        );
        assert_eq!(points.len(), 3);
        let users = |r: &Results| r.variants.iter().map(|v| v.users).collect::<Vec<_>>();
        // Before any exposure: nobody.
        assert_eq!(users(&points[0].1), vec![0, 0]);
        // At minute 2: lists a, c, d (shown at 0); clicks at minute 1 on 11 (user 1) and 30
        // (user 3): each variant's click-through is 1 click over the movies shown.
        let early = &points[1].1;
        assert_eq!(users(early), vec![2, 1]);
        assert_eq!(early.variants[0].lists, 2);
        let ctr = |v: &VariantResult| {
            v.metrics
                .iter()
                .find(|(m, _)| *m == Metric::ClickThrough)
                .unwrap()
                .1
                .unwrap()
                .value
        };
        assert!((ctr(&early.variants[0]) - 1.0 / 5.0).abs() < 1e-12);
        assert!((ctr(&early.variants[1]) - 1.0 / 2.0).abs() < 1e-12);
        // At the end: the same as the results of everything.
        let all = attribute(&exposures, &outcomes, 2, window);
        assert_eq!(points[2].1, results(&all, &[0.5, 0.5], 10, &[]));
        assert_eq!(points[2].0, at(200));
    }

    #[test]
    fn daily_cutoffs_end_each_day_then_now() {
        let t = |d: u32, h: u32| Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0).unwrap();
        assert_eq!(
            daily_cutoffs(t(1, 15), t(3, 9), 31),
            vec![t(2, 0), t(3, 0), t(3, 9)]
        );
        assert_eq!(daily_cutoffs(t(1, 15), t(1, 18), 31), vec![t(1, 18)]);
        assert!(daily_cutoffs(t(1, 18), t(1, 15), 31).is_empty());
        // 60 days into 11 points: 10 days spread evenly, the last day and now kept.
        let many = daily_cutoffs(t(1, 15), t(1, 15) + Duration::days(60), 11);
        assert_eq!(many.len(), 11);
        assert_eq!(many[10], t(1, 15) + Duration::days(60));
        assert_eq!(many[9], t(1, 0) + Duration::days(60));
        assert!(many.windows(2).all(|w| w[0] < w[1]));
        let gaps: Vec<i64> = many[..10]
            .windows(2)
            .map(|w| (w[1] - w[0]).num_days())
            .collect();
        assert!(gaps.iter().all(|g| (5..=7).contains(g)), "{gaps:?}");
    }

    #[test]
    fn outcomes_are_attributed_by_recommendation_id_or_latest_showing_within_the_window() {
        let a = fixture();
        assert_eq!(a.conflicting_exposures, 1);
        assert_eq!(
            a.users[&1],
            UserTally {
                variant: 0,
                lists: 2,
                shown: 4,
                clicked: 1,
                started: 1,
                completed: 1,
                not_interested: 0,
                rated: 1,
                rating_sum: 2.0,
            }
        );
        assert_eq!(
            a.users[&2],
            UserTally {
                variant: 0,
                lists: 1,
                shown: 2,
                not_interested: 1,
                ..UserTally::default()
            }
        );
        assert_eq!(
            a.users[&3],
            UserTally {
                variant: 1,
                lists: 1,
                shown: 2,
                clicked: 1,
                started: 1,
                ..UserTally::default()
            }
        );
        assert_eq!(a.served[0], BTreeSet::from([10, 11, 12, 13, 20]));
        assert_eq!(a.served[1], BTreeSet::from([30, 31]));
    }

    #[test]
    fn results_match_a_hand_computation() {
        let r = results(&fixture(), &[0.5, 0.5], 10, &[]);
        let control = &r.variants[0];
        let treatment = &r.variants[1];
        assert_eq!((control.users, control.lists), (2, 3));
        assert_eq!((treatment.users, treatment.lists), (1, 1));
        assert_eq!((control.coverage, treatment.coverage), (0.5, 0.2));
        let get = |v: &VariantResult, m: Metric| v.metrics.iter().find(|(k, _)| *k == m).unwrap().1;
        // Control CTR: clicks (1, 0) over shown (4, 2) = 1/6.
        let ctr = get(control, Metric::ClickThrough).unwrap();
        assert!((ctr.value - 1.0 / 6.0).abs() < 1e-12);
        // Delta method by hand: x = (1, 0), y = (4, 2), x̄ = ½, ȳ = 3, R = 1/6;
        // s²ₓ = ½, s²ᵧ = 2, sₓᵧ = 1; Var = (½ − 2·(1/6)·1 + (1/36)·2) / (2·9) = (2/9)/18.
        assert!((ctr.std_err - (2.0f64 / 9.0 / 18.0).sqrt()).abs() < 1e-12);
        // Control mean rating: user 1's one rating of 2 (user 2 rated nothing).
        assert_eq!(get(control, Metric::MeanRating).unwrap().value, 2.0);
        // Not interested: (0 + 1) / (4 + 2).
        assert!((get(control, Metric::NotInterested).unwrap().value - 1.0 / 6.0).abs() < 1e-12);
        // Treatment: one user, CTR ½ without spread; no rating → no mean rating.
        assert_eq!(get(treatment, Metric::ClickThrough).unwrap().value, 0.5);
        assert!(get(treatment, Metric::MeanRating).is_none());
        let cmp = treatment
            .comparisons
            .iter()
            .find(|(m, _)| *m == Metric::ClickThrough)
            .unwrap()
            .1
            .unwrap();
        assert!((cmp.difference - (0.5 - 1.0 / 6.0)).abs() < 1e-12);
        assert!(control.comparisons.is_empty());
        // 2 users against 1 at 50/50: χ² = 1/3, far from a mismatch.
        let srm = r.sample_ratio.unwrap();
        assert!((srm.chi_square - 1.0 / 3.0).abs() < 1e-12 && !srm.mismatch);
    }

    #[test]
    fn a_guardrail_is_breached_only_when_the_whole_interval_is_past_the_tolerance() {
        let control = Estimate {
            value: 0.10,
            std_err: 0.0,
            low: 0.10,
            high: 0.10,
            users: 1000,
        };
        let g = Guardrail {
            metric: Metric::ClickThrough,
            tolerance: 0.05,
        };
        let cmp = |low: f64, high: f64| Comparison {
            difference: (low + high) / 2.0,
            relative: None,
            low,
            high,
            z: 0.0,
            p_value: 0.0,
        };
        // Allowed loss: 0.005. Interval (−0.02, −0.006): breached; (−0.02, −0.004): not.
        assert!(g.breached(&control, &cmp(-0.02, -0.006)));
        assert!(!g.breached(&control, &cmp(-0.02, -0.004)));
        // For "not interested" an increase is the harm.
        let ni = Guardrail {
            metric: Metric::NotInterested,
            tolerance: 0.0,
        };
        assert!(ni.breached(&control, &cmp(0.001, 0.01)));
        assert!(!ni.breached(&control, &cmp(-0.001, 0.01)));
    }

    #[test]
    fn a_treatment_that_breaks_a_guardrail_is_reported() {
        // 200 users per variant, 10 movies shown each; control users click 3, treatment users 1 or 2.
        let mut exposures = Vec::new();
        let mut outcomes = Vec::new();
        for u in 0..400i64 {
            let variant = (u % 2) as usize;
            let list = format!("l{u}");
            let movies: Vec<i64> = (0..10).collect();
            exposures.push(exposure(&list, u, variant, 0, &movies));
            let clicks = if variant == 0 {
                3 + u % 2
            } else {
                1 + (u / 2) % 2
            };
            for p in 0..clicks as usize {
                outcomes.push(event(u, p as i64, Some((&list, p)), EventKind::Click, 1));
            }
        }
        let a = attribute(&exposures, &outcomes, 2, Duration::hours(1));
        let g = Guardrail {
            metric: Metric::ClickThrough,
            tolerance: 0.1,
        };
        let r = results(&a, &[0.5, 0.5], 10, &[g]);
        assert_eq!(r.variants[1].breached, vec![Metric::ClickThrough]);
        assert!(r.variants[0].breached.is_empty());
    }
}
