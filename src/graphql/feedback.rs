//! Viewing and feedback events: views, progress, impressions, clicks, thumbs, "not interested".
use async_graphql::{
    ComplexObject, Context, Enum, InputObject, Json, Object, Result, SimpleObject, ID,
};
use chrono::{DateTime, Duration, Utc};
use sea_orm::TransactionTrait;

use super::ids::{self, Kind};
use super::movies::{load_movie, Movie};
use super::state;
use crate::auth::{require_user, RoleGuard};
use crate::db::entities::events;
use crate::db::repo;
use crate::db::repo::events::NewEvent;
use crate::error::{AppError, GqlResult};

/// What happened.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
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

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        use EventKind::*;
        [
            ViewStart,
            ViewProgress,
            ViewComplete,
            Impression,
            Click,
            ThumbsUp,
            ThumbsDown,
            NotInterested,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// A recorded event.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct Event {
    #[graphql(skip)]
    pub movie_db_id: i32,
    /// Opaque identifier.
    pub id: ID,
    /// What happened.
    pub kind: EventKind,
    /// Watch progress from 0 to 1, where it applies.
    pub progress: Option<f64>,
    /// Free-form context sent by the app (device, surface, row…).
    pub context: Option<Json<serde_json::Value>>,
    /// The recommendation this event answers, if any.
    pub recommendation_id: Option<String>,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
}

impl TryFrom<events::Model> for Event {
    type Error = AppError;

    fn try_from(e: events::Model) -> Result<Self, AppError> {
        let kind = EventKind::parse(&e.kind).ok_or_else(|| {
            AppError::Unexpected(anyhow::anyhow!("unknown stored event kind {}", e.kind))
        })?;
        Ok(Self {
            movie_db_id: e.movie_id,
            id: ids::encode(Kind::Event, e.id),
            kind,
            progress: e.progress,
            context: e
                .context
                .and_then(|c| serde_json::from_str(&c).ok())
                .map(Json),
            recommendation_id: e.recommendation_id,
            occurred_at: e.occurred_at,
        })
    }
}

#[ComplexObject]
impl Event {
    /// The movie.
    async fn movie(&self, ctx: &Context<'_>) -> Result<Movie> {
        load_movie(ctx, self.movie_db_id).await
    }
}

/// An event to record.
#[derive(InputObject)]
pub struct EventInput {
    /// The movie.
    pub movie_id: ID,
    /// What happened.
    pub kind: EventKind,
    /// Watch progress from 0 to 1; required for VIEW_PROGRESS.
    pub progress: Option<f64>,
    /// Free-form JSON context (at most 2 KiB), e.g. `{"device":"tv","row":"trending"}`.
    pub context: Option<Json<serde_json::Value>>,
    /// The `recommendationId` of the item this event answers.
    #[graphql(validator(max_length = 64))]
    pub recommendation_id: Option<String>,
    /// When it happened (default now; not more than 5 minutes ahead, nor a year back).
    pub occurred_at: Option<DateTime<Utc>>,
}

impl EventInput {
    fn validate(self, user_id: i32, now: DateTime<Utc>) -> Result<NewEvent, AppError> {
        let movie_id = ids::decode(Kind::Movie, &self.movie_id)?;
        if let Some(p) = self.progress {
            if !p.is_finite() || !(0.0..=1.0).contains(&p) {
                return Err(AppError::bad_input("progress must be between 0 and 1"));
            }
        }
        let progress = match self.kind {
            EventKind::ViewProgress => Some(
                self.progress
                    .ok_or_else(|| AppError::bad_input("VIEW_PROGRESS needs progress"))?,
            ),
            EventKind::ViewComplete => Some(self.progress.unwrap_or(1.0)),
            EventKind::ViewStart => Some(self.progress.unwrap_or(0.0)),
            _ => self.progress,
        };
        let context = match self.context {
            Some(Json(v)) => {
                let s = v.to_string();
                if s.len() > 2048 {
                    return Err(AppError::bad_input("context must be at most 2 KiB of JSON"));
                }
                Some(s)
            }
            None => None,
        };
        let occurred_at = self.occurred_at.unwrap_or(now);
        if occurred_at > now + Duration::minutes(5) || occurred_at < now - Duration::days(366) {
            return Err(AppError::bad_input(
                "occurredAt must be within the last year and not in the future",
            ));
        }
        Ok(NewEvent {
            user_id,
            movie_id,
            kind: self.kind.as_str(),
            progress,
            context,
            recommendation_id: self.recommendation_id,
            occurred_at,
        })
    }
}

/// Event mutations for the token's user.
#[derive(Default)]
pub struct FeedbackMutation;

#[Object]
impl FeedbackMutation {
    /// Records a viewing or feedback event for the token's user.
    #[graphql(guard = "RoleGuard::User")]
    async fn record_event(&self, ctx: &Context<'_>, input: EventInput) -> Result<Event> {
        let (user_id, _) = require_user(ctx)?;
        let new = input.validate(user_id, Utc::now()).gql()?;
        let st = state(ctx)?;
        let txn = st.db.begin().await.gql()?;
        repo::movies::get(&txn, new.movie_id, false)
            .await
            .gql()?
            .ok_or(AppError::NotFound("movie"))
            .gql()?;
        let e = repo::events::insert(&txn, new).await.gql()?;
        txn.commit().await.gql()?;
        st.feedback_changed(user_id).await;
        Event::try_from(e).gql()
    }
}
