//! Ratings: one per user and movie.
use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::db::entities::ratings;

/// Sets or replaces a user's rating of a movie and returns the stored row.
pub async fn upsert<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
    movie_id: i32,
    score: f64,
) -> Result<ratings::Model, DbErr> {
    let now = Utc::now();
    let am = ratings::ActiveModel {
        user_id: Set(user_id),
        movie_id: Set(movie_id),
        score: Set(score),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    ratings::Entity::insert(am)
        .on_conflict(
            OnConflict::columns([ratings::Column::UserId, ratings::Column::MovieId])
                .update_columns([ratings::Column::Score, ratings::Column::UpdatedAt])
                .to_owned(),
        )
        .exec_with_returning(db)
        .await
}

/// A user's rating of a movie.
pub async fn find<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
    movie_id: i32,
) -> Result<Option<ratings::Model>, DbErr> {
    ratings::Entity::find()
        .filter(ratings::Column::UserId.eq(user_id))
        .filter(ratings::Column::MovieId.eq(movie_id))
        .one(db)
        .await
}

/// Removes a user's rating; returns whether there was one.
pub async fn remove<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
    movie_id: i32,
) -> Result<bool, DbErr> {
    let res = ratings::Entity::delete_many()
        .filter(ratings::Column::UserId.eq(user_id))
        .filter(ratings::Column::MovieId.eq(movie_id))
        .exec(db)
        .await?;
    Ok(res.rows_affected > 0)
}

/// A page of a user's ratings, newest first, with the total.
pub async fn for_user<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
    offset: u64,
    limit: u64,
) -> Result<(Vec<ratings::Model>, u64), DbErr> {
    let q = ratings::Entity::find().filter(ratings::Column::UserId.eq(user_id));
    let total = q.clone().count(db).await?;
    let rows = q
        .order_by_desc(ratings::Column::UpdatedAt)
        .order_by_desc(ratings::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    Ok((rows, total))
}

/// All of a user's ratings (for fold-in and export).
pub async fn all_for_user<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
) -> Result<Vec<ratings::Model>, DbErr> {
    ratings::Entity::find()
        .filter(ratings::Column::UserId.eq(user_id))
        .order_by_asc(ratings::Column::Id)
        .all(db)
        .await
}

/// A user's ratings of the given movies.
pub async fn for_user_and_movies<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
    movie_ids: &[i32],
) -> Result<Vec<ratings::Model>, DbErr> {
    if movie_ids.is_empty() {
        return Ok(vec![]);
    }
    ratings::Entity::find()
        .filter(ratings::Column::UserId.eq(user_id))
        .filter(ratings::Column::MovieId.is_in(movie_ids.iter().copied()))
        .all(db)
        .await
}
