//! Star ratings: set, replace and remove the token user's own.
use async_graphql::{ComplexObject, Context, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use sea_orm::TransactionTrait;

use super::ids::{self, Kind};
use super::movies::{load_movie, Movie};
use super::state;
use crate::auth::{require_user, RoleGuard};
use crate::db::entities::ratings;
use crate::db::repo;
use crate::error::{AppError, GqlResult};

/// A user's rating of a movie.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct Rating {
    #[graphql(skip)]
    pub movie_db_id: i32,
    /// Opaque identifier.
    pub id: ID,
    /// 0.5 to 5 stars in steps of 0.5.
    pub score: f64,
    /// When first rated.
    pub created_at: DateTime<Utc>,
    /// When last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<ratings::Model> for Rating {
    fn from(r: ratings::Model) -> Self {
        Self {
            movie_db_id: r.movie_id,
            id: ids::encode(Kind::Rating, r.id as i64),
            score: r.score,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[ComplexObject]
impl Rating {
    /// The rated movie.
    async fn movie(&self, ctx: &Context<'_>) -> Result<Movie> {
        load_movie(ctx, self.movie_db_id).await
    }
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

/// Rating mutations for the token's user.
#[derive(Default)]
pub struct RatingMutation;

#[Object]
impl RatingMutation {
    /// Sets or replaces the token user's rating of a movie (0.5–5 in steps of 0.5).
    #[graphql(guard = "RoleGuard::User")]
    async fn rate_movie(&self, ctx: &Context<'_>, movie_id: ID, score: f64) -> Result<Rating> {
        let (user_id, _) = require_user(ctx)?;
        let movie_id = ids::decode(Kind::Movie, &movie_id).gql()?;
        let score = validate_score(score).gql()?;
        let st = state(ctx)?;
        let txn = st.db.begin().await.gql()?;
        repo::movies::get(&txn, movie_id, false)
            .await
            .gql()?
            .ok_or(AppError::NotFound("movie"))
            .gql()?;
        let r = repo::ratings::upsert(&txn, user_id, movie_id, score)
            .await
            .gql()?;
        txn.commit().await.gql()?;
        st.feedback_changed(user_id).await;
        Ok(r.into())
    }

    /// Removes the token user's rating of a movie; false when there was none.
    #[graphql(guard = "RoleGuard::User")]
    async fn remove_rating(&self, ctx: &Context<'_>, movie_id: ID) -> Result<bool> {
        let (user_id, _) = require_user(ctx)?;
        let movie_id = ids::decode(Kind::Movie, &movie_id).gql()?;
        let st = state(ctx)?;
        let removed = repo::ratings::remove(&st.db, user_id, movie_id)
            .await
            .gql()?;
        if removed {
            st.feedback_changed(user_id).await;
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_must_be_half_steps_between_half_and_five() {
        for ok in [0.5, 1.0, 3.5, 5.0] {
            assert!(validate_score(ok).is_ok(), "{ok}");
        }
        for bad in [0.0, 7.0, 2.3, -1.0, 5.5, f64::NAN, f64::INFINITY] {
            assert!(validate_score(bad).is_err(), "{bad}");
        }
    }
}
