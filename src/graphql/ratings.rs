//! Star ratings: set, replace and remove the token user's own.
use async_graphql::{ComplexObject, Context, Object, Result, SimpleObject, ID};
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
        #[graphql(
            desc = "The movie's opaque id; the movie must be available (otherwise NOT_FOUND)."
        )]
        movie_id: ID,
        #[graphql(desc = "The rating in stars, from 0.5 to 5 in steps of 0.5.")] score: f64,
    ) -> Result<Rating> {
        let user = require_user_row(ctx)?;
        let movie_id = ids::decode(Kind::Movie, &movie_id).gql()?;
        let r = feedback::rate(state(ctx)?, &user, movie_id, score)
            .await
            .gql()?;
        Ok(r.into())
    }

    /// Removes the token user's rating of a movie; false when there was none.
    #[graphql(guard = "RoleGuard::User")]
    async fn remove_rating(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The movie's opaque id.")] movie_id: ID,
    ) -> Result<bool> {
        let user = require_user_row(ctx)?;
        let movie_id = ids::decode(Kind::Movie, &movie_id).gql()?;
        feedback::remove_rating(state(ctx)?, &user, movie_id)
            .await
            .gql()
    }
}
