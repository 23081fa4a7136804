//! What feedback means to the models: the kinds of event, the implicit weight of each, which of
//! them mean "never show this again", and the aggregation of ratings and events into one
//! interaction per user and movie.
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What happened, in an event a frontend records. Serialised as its stored name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EventKind {
    /// Playback started.
    ViewStart,
    /// Playback reached `progress` (0–1).
    ViewProgress,
    /// Playback finished.
    ViewComplete,
    /// The movie was shown to the user.
    Impression,
    /// The user opened the movie.
    Click,
    /// The user liked it.
    ThumbsUp,
    /// The user disliked it.
    ThumbsDown,
    /// The user does not want to see it again.
    NotInterested,
}

impl EventKind {
    /// Every kind, in declaration order.
    pub const ALL: [EventKind; 8] = [
        EventKind::ViewStart,
        EventKind::ViewProgress,
        EventKind::ViewComplete,
        EventKind::Impression,
        EventKind::Click,
        EventKind::ThumbsUp,
        EventKind::ThumbsDown,
        EventKind::NotInterested,
    ];

    /// Kinds that count as a movie being watched or liked lately (trending).
    pub const ENGAGEMENT: [EventKind; 4] = [
        EventKind::ViewStart,
        EventKind::ViewComplete,
        EventKind::ThumbsUp,
        EventKind::Click,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::ViewStart => "VIEW_START",
            EventKind::ViewProgress => "VIEW_PROGRESS",
            EventKind::ViewComplete => "VIEW_COMPLETE",
            EventKind::Impression => "IMPRESSION",
            EventKind::Click => "CLICK",
            EventKind::ThumbsUp => "THUMBS_UP",
            EventKind::ThumbsDown => "THUMBS_DOWN",
            EventKind::NotInterested => "NOT_INTERESTED",
        }
    }

    /// The implicit weight of this kind: positive for signs of liking, negative for dislike.
    /// Impressions carry no signal on their own.
    pub fn weight(self, progress: Option<f64>) -> f32 {
        match self {
            EventKind::ViewComplete => 3.0,
            EventKind::ViewProgress => 1.0 + 2.0 * progress.unwrap_or(0.0).clamp(0.0, 1.0) as f32,
            EventKind::ViewStart | EventKind::Click => 0.5,
            EventKind::ThumbsUp => 4.0,
            EventKind::ThumbsDown => -4.0,
            EventKind::NotInterested => -5.0,
            EventKind::Impression => 0.0,
        }
    }

    /// Whether the movie must never be recommended to this user again: they finished it,
    /// thumbed it down or dismissed it.
    pub fn excludes(self) -> bool {
        matches!(
            self,
            EventKind::ViewComplete | EventKind::ThumbsDown | EventKind::NotInterested
        )
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown event kind name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown event kind `{0}`")]
pub struct UnknownEventKind(pub String);

impl FromStr for EventKind {
    type Err = UnknownEventKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EventKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownEventKind(s.to_string()))
    }
}

/// One user's interaction with one movie, aggregated over ratings and events.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interaction {
    pub user_id: i32,
    pub movie_id: i32,
    /// Star rating, NaN when there is none.
    pub rating: f32,
    /// Signed implicit confidence (sum of event weights; 1.0 for a rating alone).
    pub confidence: f32,
    /// Unix seconds of the latest feedback.
    pub timestamp: i64,
    /// The user rated, finished, thumbed down or dismissed the movie: never recommend it again.
    pub excluded: bool,
}

/// What one user did to one movie: the rating and the events, kept apart so that a rating
/// can be removed again.
#[derive(Debug, Clone, Copy, PartialEq)]
struct MovieFeedback {
    /// Score and Unix seconds.
    rating: Option<(f32, i64)>,
    /// Sum of the events' weights, in the order they arrived.
    event_weight: f32,
    /// Unix seconds of the latest event (0 when none).
    event_at: i64,
    /// An event excludes the movie (finished, thumbed down, dismissed).
    event_excludes: bool,
    /// Any event at all.
    has_events: bool,
}

impl MovieFeedback {
    const EMPTY: Self = Self {
        rating: None,
        event_weight: 0.0,
        event_at: 0,
        event_excludes: false,
        has_events: false,
    };

    fn rate(&mut self, score: f32, at: i64) {
        self.rating = Some((score, at));
    }

    fn event(&mut self, kind: EventKind, progress: Option<f64>, at: i64) {
        self.event_weight += kind.weight(progress);
        self.event_at = self.event_at.max(at);
        self.event_excludes |= kind.excludes();
        self.has_events = true;
    }

    fn is_empty(&self) -> bool {
        self.rating.is_none() && !self.has_events
    }

    /// The interaction: a rating counts as confidence 1 and excludes the movie.
    fn interaction(&self, user_id: i32, movie_id: i32) -> Interaction {
        let (rating, rating_at) = self.rating.unwrap_or((f32::NAN, 0));
        Interaction {
            user_id,
            movie_id,
            rating,
            confidence: if self.rating.is_some() { 1.0 } else { 0.0 } + self.event_weight,
            timestamp: rating_at.max(self.event_at),
            excluded: self.rating.is_some() || self.event_excludes,
        }
    }
}

/// Folds ratings and events into one [`Interaction`] per (user, movie).
///
/// Ratings are kept as interactions from the start (32 bytes each, nothing else: the bulk of the
/// data at scale), events in a map by (user, movie); `build` sorts the ratings, keeps the last
/// one given for a pair, and folds the events in.
#[derive(Debug, Default)]
pub struct InteractionBuilder {
    rated: Vec<Interaction>,
    events: HashMap<(i32, i32), MovieFeedback>,
}

fn pair(i: &Interaction) -> (i32, i32) {
    (i.user_id, i.movie_id)
}

impl InteractionBuilder {
    /// A builder sized for about `ratings` ratings.
    pub fn with_capacity(ratings: usize) -> Self {
        Self {
            rated: Vec::with_capacity(ratings),
            events: HashMap::new(),
        }
    }

    /// A star rating: it counts as confidence 1 and excludes the movie from recommendations.
    /// A later rating of the same movie by the same user replaces an earlier one.
    pub fn rating(&mut self, user_id: i32, movie_id: i32, score: f32, at: i64) {
        let mut f = MovieFeedback::EMPTY;
        f.rate(score, at);
        self.rated.push(f.interaction(user_id, movie_id));
    }

    /// An event, weighted by its kind.
    pub fn event(
        &mut self,
        user_id: i32,
        movie_id: i32,
        kind: EventKind,
        progress: Option<f64>,
        at: i64,
    ) {
        self.events
            .entry((user_id, movie_id))
            .or_insert(MovieFeedback::EMPTY)
            .event(kind, progress, at);
    }

    /// The interactions, ordered by (user, movie).
    pub fn build(self) -> Vec<Interaction> {
        let Self { mut rated, events } = self;
        // Stable, so that the last rating given for a pair is the last of its run.
        rated.sort_by_key(pair);
        let mut kept = 0;
        for r in 0..rated.len() {
            if kept > 0 && pair(&rated[kept - 1]) == pair(&rated[r]) {
                rated[kept - 1] = rated[r];
            } else {
                rated[kept] = rated[r];
                kept += 1;
            }
        }
        rated.truncate(kept);
        let mut unrated = Vec::new();
        for ((u, m), mut f) in events {
            match rated.binary_search_by_key(&(u, m), pair) {
                Ok(i) => {
                    // a rating-only interaction holds the score and its time
                    f.rate(rated[i].rating, rated[i].timestamp);
                    rated[i] = f.interaction(u, m);
                }
                Err(_) => unrated.push(f.interaction(u, m)),
            }
        }
        if !unrated.is_empty() {
            rated.extend(unrated);
            rated.sort_unstable_by_key(pair);
        }
        rated
    }
}

/// A change to one user's feedback, as committed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FeedbackChange {
    /// A rating set or replaced, at Unix seconds `at`.
    Rated { movie_id: i32, score: f32, at: i64 },
    /// A rating removed.
    Unrated { movie_id: i32 },
    /// An event recorded.
    Event {
        movie_id: i32,
        kind: EventKind,
        progress: Option<f64>,
        at: i64,
    },
}

/// One user's feedback, movie by movie, kept so that each committed change can be applied in
/// place: [`UserFeedback::interactions`] equals what [`InteractionBuilder`] gives for the same
/// rows, whether they were loaded at once or applied one by one (events in the same order).
/// Impressions carry no signal and are not kept.
#[derive(Debug, Clone, PartialEq)]
pub struct UserFeedback {
    user_id: i32,
    movies: std::collections::BTreeMap<i32, MovieFeedback>,
}

impl UserFeedback {
    /// A user with no feedback.
    pub fn new(user_id: i32) -> Self {
        Self {
            user_id,
            movies: Default::default(),
        }
    }

    /// Applies a change.
    pub fn apply(&mut self, change: &FeedbackChange) {
        match *change {
            FeedbackChange::Rated {
                movie_id,
                score,
                at,
            } => {
                let m = self.movies.entry(movie_id).or_insert(MovieFeedback::EMPTY);
                // Two writes of the same rating may be applied out of order: the later wins.
                if m.rating.is_none_or(|(_, old)| old <= at) {
                    m.rate(score, at);
                }
            }
            FeedbackChange::Unrated { movie_id } => {
                if let Some(m) = self.movies.get_mut(&movie_id) {
                    m.rating = None;
                    if m.is_empty() {
                        self.movies.remove(&movie_id);
                    }
                }
            }
            FeedbackChange::Event {
                movie_id,
                kind,
                progress,
                at,
            } => {
                if kind != EventKind::Impression {
                    self.movies
                        .entry(movie_id)
                        .or_insert(MovieFeedback::EMPTY)
                        .event(kind, progress, at);
                }
            }
        }
    }

    /// The user's interactions, ordered by movie.
    pub fn interactions(&self) -> Vec<Interaction> {
        self.movies
            .iter()
            .map(|(&m, f)| f.interaction(self.user_id, m))
            .collect()
    }

    /// Movies with any feedback.
    pub fn len(&self) -> usize {
        self.movies.len()
    }

    /// No feedback at all.
    pub fn is_empty(&self) -> bool {
        self.movies.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_stored_name() {
        for k in EventKind::ALL {
            assert_eq!(k.as_str().parse::<EventKind>(), Ok(k));
        }
        assert!("view_start".parse::<EventKind>().is_err());
    }

    #[test]
    fn a_rating_and_events_fold_into_one_interaction() {
        let mut b = InteractionBuilder::default();
        b.rating(1, 10, 4.5, 100);
        b.event(1, 10, EventKind::ViewProgress, Some(0.5), 200);
        b.event(1, 11, EventKind::Impression, None, 50);
        b.event(2, 10, EventKind::NotInterested, None, 10);
        let v = b.build();
        assert_eq!(v.len(), 3);
        assert_eq!(
            (v[0].rating, v[0].confidence, v[0].timestamp),
            (4.5, 3.0, 200)
        );
        assert!(v[0].excluded);
        assert!(v[1].rating.is_nan() && !v[1].excluded && v[1].confidence == 0.0);
        assert!(v[2].excluded && v[2].confidence < 0.0);
    }

    #[test]
    fn the_last_rating_of_a_pair_wins_and_the_output_is_sorted() {
        let mut b = InteractionBuilder::with_capacity(4);
        b.rating(2, 5, 1.0, 10);
        b.rating(1, 7, 3.0, 30);
        b.event(1, 7, EventKind::Click, None, 20);
        b.rating(2, 5, 4.0, 5);
        b.event(3, 1, EventKind::Click, None, 1);
        let v = b.build();
        let keys: Vec<_> = v.iter().map(|i| (i.user_id, i.movie_id)).collect();
        assert_eq!(keys, [(1, 7), (2, 5), (3, 1)]);
        assert_eq!((v[1].rating, v[1].timestamp), (4.0, 5));
        assert_eq!(v[0].rating, 3.0);
        assert!(v[0].confidence > 1.0 && v[0].timestamp == 30);
        assert!(v[2].rating.is_nan() && v[2].confidence > 0.0);
    }

    #[test]
    fn removing_a_rating_leaves_the_events_behind() {
        let mut f = UserFeedback::new(1);
        f.apply(&FeedbackChange::Event {
            movie_id: 10,
            kind: EventKind::ViewProgress,
            progress: Some(0.3),
            at: 50,
        });
        f.apply(&FeedbackChange::Rated {
            movie_id: 10,
            score: 4.0,
            at: 100,
        });
        f.apply(&FeedbackChange::Unrated { movie_id: 10 });
        let i = f.interactions();
        assert_eq!(i.len(), 1);
        assert!(i[0].rating.is_nan() && !i[0].excluded);
        assert_eq!(i[0].timestamp, 50);
        f.apply(&FeedbackChange::Rated {
            movie_id: 11,
            score: 2.0,
            at: 10,
        });
        f.apply(&FeedbackChange::Unrated { movie_id: 11 });
        assert_eq!(f.len(), 1, "a movie with nothing left is forgotten");
    }

    #[test]
    fn a_later_rating_wins_whatever_order_the_writes_arrive_in() {
        let mut f = UserFeedback::new(1);
        f.apply(&FeedbackChange::Rated {
            movie_id: 3,
            score: 5.0,
            at: 200,
        });
        f.apply(&FeedbackChange::Rated {
            movie_id: 3,
            score: 1.0,
            at: 100,
        });
        assert_eq!(f.interactions()[0].rating, 5.0);
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        /// A stored row: a rating (set), a rating removed, or an event.
        #[derive(Debug, Clone)]
        enum Row {
            Rate(i32, f32),
            Unrate(i32),
            Event(i32, usize, Option<f64>, i64),
        }

        fn row() -> impl Strategy<Value = Row> {
            let movie = 0..6i32;
            prop_oneof![
                (movie.clone(), 1..=10u8).prop_map(|(m, s)| Row::Rate(m, s as f32 / 2.0)),
                movie.clone().prop_map(Row::Unrate),
                (
                    movie,
                    0..EventKind::ALL.len(),
                    proptest::option::of(0.0..=1.0f64),
                    0..1_000i64
                )
                    .prop_map(|(m, k, p, at)| Row::Event(m, k, p, at)),
            ]
        }

        proptest! {
            /// Applying each committed change in place gives the interactions a fresh load of
            /// the rows left in the database gives.
            #[test]
            fn changes_applied_in_place_equal_a_fresh_load(rows in proptest::collection::vec(row(), 0..40)) {
                let mut live = UserFeedback::new(9);
                // What the database holds: one rating per movie (with its time), events in order.
                let mut ratings: std::collections::BTreeMap<i32, (f32, i64)> = Default::default();
                let mut events: Vec<(i32, EventKind, Option<f64>, i64)> = vec![];
                let mut clock = 0;
                for r in rows {
                    match r {
                        Row::Rate(m, s) => {
                            // A later write carries a later time, as `updated_at` does.
                            clock += 1;
                            ratings.insert(m, (s, clock));
                            live.apply(&FeedbackChange::Rated { movie_id: m, score: s, at: clock });
                        }
                        Row::Unrate(m) => {
                            ratings.remove(&m);
                            live.apply(&FeedbackChange::Unrated { movie_id: m });
                        }
                        Row::Event(m, k, p, at) => {
                            let kind = EventKind::ALL[k];
                            if kind != EventKind::Impression {
                                events.push((m, kind, p, at));
                            }
                            live.apply(&FeedbackChange::Event { movie_id: m, kind, progress: p, at });
                        }
                    }
                }
                let mut b = InteractionBuilder::default();
                for (m, (s, at)) in &ratings {
                    b.rating(9, *m, *s, *at);
                }
                for (m, kind, p, at) in &events {
                    b.event(9, *m, *kind, *p, *at);
                }
                let fresh = b.build();
                let applied = live.interactions();
                prop_assert_eq!(fresh.len(), applied.len());
                for (a, f) in applied.iter().zip(&fresh) {
                    prop_assert_eq!(a.movie_id, f.movie_id);
                    prop_assert!(a.rating.to_bits() == f.rating.to_bits() || (a.rating.is_nan() && f.rating.is_nan()));
                    prop_assert_eq!(a.confidence.to_bits(), f.confidence.to_bits());
                    prop_assert_eq!(a.timestamp, f.timestamp);
                    prop_assert_eq!(a.excluded, f.excluded);
                }
            }
        }
    }
}
