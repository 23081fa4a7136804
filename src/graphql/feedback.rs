//! Viewing and feedback events: views, progress, impressions, clicks, thumbs, "not interested".
use async_graphql::{
    ComplexObject, Context, Enum, InputObject, Json, Object, Result, SimpleObject, ID,
};
use chrono::{DateTime, Utc};

use super::ids::{self, Kind};
use super::movies::{load_movie, Movie};
use super::state;
use crate::app::feedback::{self, NewEvent};
use crate::auth::{require_user_row, RoleGuard};
use crate::db::entities::events;
use crate::error::{AppError, GqlResult};

/// What happened.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "marquee_core::feedback::EventKind")]
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
        let kind = e
            .kind
            .parse::<marquee_core::feedback::EventKind>()
            .map_err(|_| {
                AppError::Unexpected(anyhow::anyhow!("unknown stored event kind {}", e.kind))
            })?
            .into();
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
pub struct RecordEventInput {
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

/// Event mutations for the token's user.
#[derive(Default)]
pub struct FeedbackMutation;

#[Object]
impl FeedbackMutation {
    /// Records a viewing or feedback event for the token's user.
    #[graphql(guard = "RoleGuard::User")]
    async fn record_event(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The event: the movie, what happened and optional details.")]
        input: RecordEventInput,
    ) -> Result<RecordEventPayload> {
        let user = require_user_row(ctx)?;
        let new = NewEvent {
            movie_id: ids::decode(Kind::Movie, &input.movie_id).gql()?,
            kind: input.kind.into(),
            progress: input.progress,
            context: input.context.map(|Json(v)| v),
            recommendation_id: input.recommendation_id,
            occurred_at: input.occurred_at,
        };
        let e = feedback::record_event(state(ctx)?, &user, new)
            .await
            .gql()?;
        Ok(RecordEventPayload {
            event: Event::try_from(e).gql()?,
        })
    }
}

/// The result of `recordEvent`.
#[derive(SimpleObject)]
pub struct RecordEventPayload {
    /// The recorded event.
    pub event: Event,
}
