//! Star ratings: set, replace and remove the token user's own.
use async_graphql::{ComplexObject, Context, InputObject, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::ids::{self, Kind};
use super::movies::{load_movie, Movie};
use super::state;
use crate::app::feedback;
use crate::auth::{require_user_row, RoleGuard};
use crate::db::entities::ratings;
use crate::error::GqlResult;

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

/// A movie and the token user's rating of it.
#[derive(InputObject)]
pub struct RateMovieInput {
    /// The movie's opaque id; the movie must be available (otherwise NOT_FOUND).
    pub movie_id: ID,
    /// The rating in stars, from 0.5 to 5 in steps of 0.5.
    pub score: f64,
}

/// The result of `rateMovie`.
#[derive(SimpleObject)]
pub struct RateMoviePayload {
    /// The rating as it now is.
    pub rating: Rating,
}

/// The movie whose rating to remove.
#[derive(InputObject)]
pub struct RemoveRatingInput {
    /// The movie's opaque id.
    pub movie_id: ID,
}

/// The result of `removeRating`.
#[derive(SimpleObject)]
pub struct RemoveRatingPayload {
    /// Whether a rating was removed (false when there was none).
    pub removed: bool,
}

/// Rating mutations for the token's user.
#[derive(Default)]
pub struct RatingMutation;

#[Object]
impl RatingMutation {
    /// Sets or replaces the token user's rating of a movie (0.5–5 in steps of 0.5).
    #[graphql(guard = "RoleGuard::User")]
    async fn rate_movie(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The movie and the rating.")] input: RateMovieInput,
    ) -> Result<RateMoviePayload> {
        let user = require_user_row(ctx)?;
        let movie_id = ids::decode(Kind::Movie, &input.movie_id).gql()?;
        let r = feedback::rate(state(ctx)?, &user, movie_id, input.score)
            .await
            .gql()?;
        Ok(RateMoviePayload { rating: r.into() })
    }

    /// Removes the token user's rating of a movie; `removed` is false when there was none.
    #[graphql(guard = "RoleGuard::User")]
    async fn remove_rating(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The movie whose rating to remove.")] input: RemoveRatingInput,
    ) -> Result<RemoveRatingPayload> {
        let user = require_user_row(ctx)?;
        let movie_id = ids::decode(Kind::Movie, &input.movie_id).gql()?;
        let removed = feedback::remove_rating(state(ctx)?, &user, movie_id)
            .await
            .gql()?;
        Ok(RemoveRatingPayload { removed })
    }
}
