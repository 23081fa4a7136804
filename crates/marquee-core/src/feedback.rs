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

/// Folds ratings and events into one [`Interaction`] per (user, movie).
#[derive(Debug, Default)]
pub struct InteractionBuilder {
    map: HashMap<(i32, i32), Interaction>,
}

impl InteractionBuilder {
    /// A builder sized for about `n` interactions.
    pub fn with_capacity(n: usize) -> Self {
        Self {
            map: HashMap::with_capacity(n),
        }
    }

    fn entry(&mut self, user_id: i32, movie_id: i32) -> &mut Interaction {
        self.map.entry((user_id, movie_id)).or_insert(Interaction {
            user_id,
            movie_id,
            rating: f32::NAN,
            confidence: 0.0,
            timestamp: 0,
            excluded: false,
        })
    }

    /// A star rating: it counts as confidence 1 and excludes the movie from recommendations.
    pub fn rating(&mut self, user_id: i32, movie_id: i32, score: f32, at: i64) {
        let e = self.entry(user_id, movie_id);
        e.rating = score;
        e.confidence += 1.0;
        e.timestamp = e.timestamp.max(at);
        e.excluded = true;
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
        let e = self.entry(user_id, movie_id);
        e.confidence += kind.weight(progress);
        e.timestamp = e.timestamp.max(at);
        e.excluded |= kind.excludes();
    }

    /// The interactions, ordered by (user, movie).
    pub fn build(self) -> Vec<Interaction> {
        let mut out: Vec<Interaction> = self.map.into_values().collect();
        out.sort_by_key(|i| (i.user_id, i.movie_id));
        out
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
}
