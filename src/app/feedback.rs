//! The feedback service: a user's ratings and viewing/feedback events. Each change is
//! committed, then folded into the user's factors so their next request reflects it.
use chrono::{DateTime, Duration, Utc};

use super::{Actor, UnitOfWork};
use crate::db::entities::{events, ratings, users};
use crate::db::repo;
use crate::error::AppError;
use crate::state::AppState;
use marquee_core::feedback::{EventKind, FeedbackChange};

/// An event to record for a user.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub movie_id: i32,
    pub kind: EventKind,
    /// Watch progress from 0 to 1; required for VIEW_PROGRESS.
    pub progress: Option<f64>,
    /// Free-form JSON context from the app, at most 2 KiB.
    pub context: Option<serde_json::Value>,
    /// The `recommendationId` this event answers.
    pub recommendation_id: Option<String>,
    /// When it happened (default now; not more than 5 minutes ahead, nor a year back).
    pub occurred_at: Option<DateTime<Utc>>,
}

/// Checks a score: 0.5 to 5 in steps of 0.5.
pub fn validate_score(score: f64) -> Result<f64, AppError> {
    if !score.is_finite() || !(0.5..=5.0).contains(&score) || (score * 2.0).fract() != 0.0 {
        return Err(AppError::bad_input(
            "score must be between 0.5 and 5 in steps of 0.5",
        ));
    }
    Ok(score)
}

/// Sets or replaces a user's rating of an available movie.
#[tracing::instrument(skip_all, fields(user_id = user.id, movie_id))]
pub async fn rate(
    st: &AppState,
    user: &users::Model,
    movie_id: i32,
    score: f64,
) -> Result<ratings::Model, AppError> {
    let score = validate_score(score)?;
    let mut uow = begin(st, user).await?;
    available_movie(&uow, movie_id).await?;
    let r = repo::ratings::upsert(uow.db(), user.id, movie_id, score).await?;
    uow.feedback(
        user,
        FeedbackChange::Rated {
            movie_id,
            score: r.score as f32,
            at: r.updated_at.timestamp(),
        },
    );
    uow.commit().await?;
    Ok(r)
}

/// Removes a user's rating of a movie; false when there was none.
#[tracing::instrument(skip_all, fields(user_id = user.id, movie_id))]
pub async fn remove_rating(
    st: &AppState,
    user: &users::Model,
    movie_id: i32,
) -> Result<bool, AppError> {
    let mut uow = begin(st, user).await?;
    let removed = repo::ratings::remove(uow.db(), user.id, movie_id).await?;
    if removed {
        uow.feedback(user, FeedbackChange::Unrated { movie_id });
        uow.commit().await?;
    }
    Ok(removed)
}

/// Records a viewing or feedback event for a user.
#[tracing::instrument(skip_all, fields(user_id = user.id, movie_id = e.movie_id, kind = ?e.kind))]
pub async fn record_event(
    st: &AppState,
    user: &users::Model,
    e: NewEvent,
) -> Result<events::Model, AppError> {
    let kind = e.kind;
    let new = validate_event(user.id, e, Utc::now())?;
    let mut uow = begin(st, user).await?;
    available_movie(&uow, new.movie_id).await?;
    let e = repo::events::insert(uow.db(), new).await?;
    uow.feedback(
        user,
        FeedbackChange::Event {
            movie_id: e.movie_id,
            kind,
            progress: e.progress,
            at: e.occurred_at.timestamp(),
        },
    );
    uow.commit().await?;
    Ok(e)
}

/// A unit of work for one user's own feedback: not audited (it is the user's data, which the
/// audit log never holds); the change is folded in once committed.
async fn begin<'a>(st: &'a AppState, user: &users::Model) -> Result<UnitOfWork<'a>, AppError> {
    UnitOfWork::begin(st, Actor::User { id: user.id }).await
}

async fn available_movie(uow: &UnitOfWork<'_>, movie_id: i32) -> Result<(), AppError> {
    repo::movies::get(uow.db(), movie_id, false)
        .await?
        .ok_or(AppError::NotFound("movie"))?;
    Ok(())
}

fn validate_event(
    user_id: i32,
    e: NewEvent,
    now: DateTime<Utc>,
) -> Result<repo::events::NewEvent, AppError> {
    if let Some(p) = e.progress {
        if !p.is_finite() || !(0.0..=1.0).contains(&p) {
            return Err(AppError::bad_input("progress must be between 0 and 1"));
        }
    }
    let progress = match e.kind {
        EventKind::ViewProgress => Some(
            e.progress
                .ok_or_else(|| AppError::bad_input("VIEW_PROGRESS needs progress"))?,
        ),
        EventKind::ViewComplete => Some(e.progress.unwrap_or(1.0)),
        EventKind::ViewStart => Some(e.progress.unwrap_or(0.0)),
        _ => e.progress,
    };
    let context = match e.context {
        Some(v) => {
            let s = v.to_string();
            if s.len() > 2048 {
                return Err(AppError::bad_input("context must be at most 2 KiB of JSON"));
            }
            Some(s)
        }
        None => None,
    };
    let occurred_at = e.occurred_at.unwrap_or(now);
    if occurred_at > now + Duration::minutes(5) || occurred_at < now - Duration::days(366) {
        return Err(AppError::bad_input(
            "occurredAt must be within the last year and not in the future",
        ));
    }
    Ok(repo::events::NewEvent {
        user_id,
        movie_id: e.movie_id,
        kind: e.kind.as_str(),
        progress,
        context,
        recommendation_id: e.recommendation_id,
        occurred_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: EventKind) -> NewEvent {
        NewEvent {
            movie_id: 1,
            kind,
            progress: None,
            context: None,
            recommendation_id: None,
            occurred_at: None,
        }
    }

    #[test]
    fn scores_must_be_half_steps_between_half_and_five() {
        for ok in [0.5, 1.0, 3.5, 5.0] {
            assert!(validate_score(ok).is_ok(), "{ok}");
        }
        for bad in [0.0, 7.0, 2.3, -1.0, 5.5, f64::NAN, f64::INFINITY] {
            assert!(validate_score(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn view_events_get_a_default_progress_and_view_progress_needs_one() {
        let now = Utc::now();
        let done = validate_event(1, event(EventKind::ViewComplete), now).unwrap();
        assert_eq!(done.progress, Some(1.0));
        let e = validate_event(1, event(EventKind::ViewProgress), now).unwrap_err();
        assert_eq!(e.code().0, "BAD_USER_INPUT");
    }

    #[test]
    fn events_from_the_future_are_bad_input() {
        let now = Utc::now();
        let e = NewEvent {
            occurred_at: Some(now + Duration::hours(1)),
            ..event(EventKind::Click)
        };
        assert!(validate_event(1, e, now).is_err());
    }
}
