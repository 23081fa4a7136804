//! The catalogue: movies, genres, people and their links.
use std::collections::HashMap;

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr, OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, Order,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::db::entities::{
    genres, movie_genres, movie_keywords, movie_people, movies, people, ratings, tags,
};

/// Filters for listing movies.
#[derive(Debug, Default, Clone)]
pub struct MovieFilter {
    /// Case-insensitive substring of the title.
    pub search: Option<String>,
    /// Movies having any of these genres (by name).
    pub genres: Vec<String>,
    pub year_from: Option<i32>,
    pub year_to: Option<i32>,
    /// Movies this person directed or appears in.
    pub person_id: Option<i32>,
    /// Include unavailable movies (staff only; deleted ones are never listed).
    pub include_unavailable: bool,
}

/// Orders for listing movies.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum MovieOrder {
    #[default]
    TitleAsc,
    YearDesc,
    YearAsc,
    /// Most rated first.
    Popularity,
    /// Most recently added first.
    Newest,
}

/// A movie's credits as stored.
#[derive(Debug, Clone)]
pub struct Credit {
    pub movie_id: i32,
    pub role: String,
    pub position: i32,
    pub person: people::Model,
}

/// Rating count and mean for a movie.
#[derive(Debug, Clone, Copy, Default)]
pub struct RatingStats {
    pub count: i64,
    pub mean: Option<f64>,
}

/// Fields of a new movie.
#[derive(Debug, Clone, Default)]
pub struct NewMovie {
    pub external_id: Option<String>,
    pub title: String,
    pub year: Option<i32>,
    pub overview: Option<String>,
    pub runtime: Option<i32>,
    pub poster_url: Option<String>,
    pub language: Option<String>,
    pub country: Option<String>,
    pub imdb_id: Option<String>,
    pub tmdb_id: Option<i64>,
    pub available: bool,
    pub genres: Vec<String>,
    pub directors: Vec<String>,
    pub cast: Vec<String>,
    pub keywords: Vec<String>,
}

/// A partial update: `None` leaves a field as it is; `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct MoviePatch {
    pub title: Option<String>,
    pub year: Option<Option<i32>>,
    pub overview: Option<Option<String>>,
    pub runtime: Option<Option<i32>>,
    pub poster_url: Option<Option<String>>,
    pub language: Option<Option<String>>,
    pub country: Option<Option<String>>,
    pub genres: Option<Vec<String>>,
    pub directors: Option<Vec<String>>,
    pub cast: Option<Vec<String>>,
}

fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('%');
    for c in s.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

fn filter_condition(f: &MovieFilter) -> Condition {
    let mut c = Condition::all().add(movies::Column::DeletedAt.is_null());
    if !f.include_unavailable {
        c = c.add(movies::Column::Available.eq(true));
    }
    if let Some(s) = f.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        c = c.add(
            Expr::expr(Func::lower(Expr::col((
                movies::Entity,
                movies::Column::Title,
            ))))
            .like(LikeExpr::new(escape_like(s)).escape('\\')),
        );
    }
    if !f.genres.is_empty() {
        let names: Vec<String> = f.genres.iter().map(|g| g.to_lowercase()).collect();
        c = c.add(
            movies::Column::Id.in_subquery(
                Query::select()
                    .column((movie_genres::Entity, movie_genres::Column::MovieId))
                    .from(movie_genres::Entity)
                    .inner_join(
                        genres::Entity,
                        Expr::col((genres::Entity, genres::Column::Id))
                            .equals((movie_genres::Entity, movie_genres::Column::GenreId)),
                    )
                    .and_where(
                        Expr::expr(Func::lower(Expr::col((
                            genres::Entity,
                            genres::Column::Name,
                        ))))
                        .is_in(names),
                    )
                    .to_owned(),
            ),
        );
    }
    if let Some(y) = f.year_from {
        c = c.add(movies::Column::Year.gte(y));
    }
    if let Some(y) = f.year_to {
        c = c.add(movies::Column::Year.lte(y));
    }
    if let Some(p) = f.person_id {
        c = c.add(
            movies::Column::Id.in_subquery(
                Query::select()
                    .column(movie_people::Column::MovieId)
                    .from(movie_people::Entity)
                    .and_where(Expr::col(movie_people::Column::PersonId).eq(p))
                    .to_owned(),
            ),
        );
    }
    c
}

/// A page of movies and the total matching the filter.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    filter: &MovieFilter,
    order: MovieOrder,
    offset: u64,
    limit: u64,
    count: bool,
) -> Result<MoviePage, DbErr> {
    let q = movies::Entity::find().filter(filter_condition(filter));
    let total = if count {
        Some(q.clone().count(db).await?)
    } else {
        None
    };
    let q = match order {
        MovieOrder::TitleAsc => q.order_by_asc(movies::Column::Title),
        MovieOrder::YearDesc => q.order_by_desc(movies::Column::Year),
        MovieOrder::YearAsc => q.order_by_asc(movies::Column::Year),
        MovieOrder::Popularity => q.order_by(
            Expr::cust("(SELECT COUNT(*) FROM ratings WHERE ratings.movie_id = movies.id)"),
            Order::Desc,
        ),
        MovieOrder::Newest => q.order_by_desc(movies::Column::CreatedAt),
    };
    // Without a count, one row more than asked tells whether another page follows.
    let mut rows = q
        .order_by_asc(movies::Column::Id)
        .offset(offset)
        .limit(limit + 1)
        .all(db)
        .await?;
    let has_next = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    Ok(MoviePage {
        rows,
        total,
        has_next,
    })
}

/// How many movies `filter` matches.
pub async fn count<C: ConnectionTrait>(db: &C, filter: &MovieFilter) -> Result<u64, DbErr> {
    movies::Entity::find()
        .filter(filter_condition(filter))
        .count(db)
        .await
}

/// One page of a movie list.
pub struct MoviePage {
    pub rows: Vec<movies::Model>,
    /// How many match over all pages, when asked for.
    pub total: Option<u64>,
    /// Whether another page follows.
    pub has_next: bool,
}

/// A movie by id, deleted ones excluded; unavailable ones only when `include_unavailable`.
pub async fn get<C: ConnectionTrait>(
    db: &C,
    id: i32,
    include_unavailable: bool,
) -> Result<Option<movies::Model>, DbErr> {
    let m = movies::Entity::find_by_id(id).one(db).await?;
    Ok(m.filter(|m| m.deleted_at.is_none() && (include_unavailable || m.available)))
}

/// Movies by id (any state); the caller decides what to show.
pub async fn by_ids<C: ConnectionTrait>(db: &C, ids: &[i32]) -> Result<Vec<movies::Model>, DbErr> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    movies::Entity::find()
        .filter(movies::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await
}

/// The genres of each of the given movies, in genre-name order.
pub async fn genres_for<C: ConnectionTrait>(
    db: &C,
    movie_ids: &[i32],
) -> Result<Vec<(i32, genres::Model)>, DbErr> {
    if movie_ids.is_empty() {
        return Ok(vec![]);
    }
    let links = movie_genres::Entity::find()
        .filter(movie_genres::Column::MovieId.is_in(movie_ids.iter().copied()))
        .all(db)
        .await?;
    let all: HashMap<i32, genres::Model> = genres::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.id, g))
        .collect();
    let mut out: Vec<(i32, genres::Model)> = links
        .into_iter()
        .filter_map(|l| all.get(&l.genre_id).map(|g| (l.movie_id, g.clone())))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.name.cmp(&b.1.name)));
    Ok(out)
}

/// The credits of each of the given movies, directors first, then cast in billing order.
pub async fn credits_for<C: ConnectionTrait>(
    db: &C,
    movie_ids: &[i32],
) -> Result<Vec<Credit>, DbErr> {
    if movie_ids.is_empty() {
        return Ok(vec![]);
    }
    let links = movie_people::Entity::find()
        .filter(movie_people::Column::MovieId.is_in(movie_ids.iter().copied()))
        .all(db)
        .await?;
    let person_ids: Vec<i32> = links.iter().map(|l| l.person_id).collect();
    let persons: HashMap<i32, people::Model> = people::Entity::find()
        .filter(people::Column::Id.is_in(person_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let mut out: Vec<Credit> = links
        .into_iter()
        .filter_map(|l| {
            persons.get(&l.person_id).map(|p| Credit {
                movie_id: l.movie_id,
                role: l.role,
                position: l.position,
                person: p.clone(),
            })
        })
        .collect();
    out.sort_by(|a, b| {
        a.movie_id
            .cmp(&b.movie_id)
            .then_with(|| (a.role != "director").cmp(&(b.role != "director")))
            .then_with(|| a.position.cmp(&b.position))
    });
    Ok(out)
}

/// Rating count and mean of each of the given movies.
pub async fn stats_for<C: ConnectionTrait>(
    db: &C,
    movie_ids: &[i32],
) -> Result<HashMap<i32, RatingStats>, DbErr> {
    if movie_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i32, i64, Option<f64>)> = ratings::Entity::find()
        .select_only()
        .column(ratings::Column::MovieId)
        .column_as(ratings::Column::Id.count(), "n")
        .column_as(Expr::col(ratings::Column::Score).avg(), "mean")
        .filter(ratings::Column::MovieId.is_in(movie_ids.iter().copied()))
        .group_by(ratings::Column::MovieId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, count, mean)| (id, RatingStats { count, mean }))
        .collect())
}

/// Every genre with the number of listed movies in it.
pub async fn all_genres<C: ConnectionTrait>(db: &C) -> Result<Vec<(genres::Model, i64)>, DbErr> {
    let counts: Vec<(i32, i64)> = movie_genres::Entity::find()
        .select_only()
        .column(movie_genres::Column::GenreId)
        .column_as(movie_genres::Column::MovieId.count(), "n")
        .filter(
            movie_genres::Column::MovieId.in_subquery(
                Query::select()
                    .column(movies::Column::Id)
                    .from(movies::Entity)
                    .and_where(Expr::col(movies::Column::DeletedAt).is_null())
                    .and_where(Expr::col(movies::Column::Available).eq(true))
                    .to_owned(),
            ),
        )
        .group_by(movie_genres::Column::GenreId)
        .into_tuple()
        .all(db)
        .await?;
    let counts: HashMap<i32, i64> = counts.into_iter().collect();
    let gs = genres::Entity::find()
        .order_by_asc(genres::Column::Name)
        .all(db)
        .await?;
    Ok(gs
        .into_iter()
        .map(|g| {
            let n = counts.get(&g.id).copied().unwrap_or(0);
            (g, n)
        })
        .collect())
}

/// A person by id.
pub async fn person<C: ConnectionTrait>(db: &C, id: i32) -> Result<Option<people::Model>, DbErr> {
    people::Entity::find_by_id(id).one(db).await
}

/// People by id.
pub async fn people_by_ids<C: ConnectionTrait>(
    db: &C,
    ids: &[i32],
) -> Result<Vec<people::Model>, DbErr> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    people::Entity::find()
        .filter(people::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await
}

/// Ids of genres with these names, creating missing ones.
pub async fn ensure_genres<C: ConnectionTrait>(
    db: &C,
    names: &[String],
) -> Result<Vec<i32>, DbErr> {
    let mut ids = Vec::with_capacity(names.len());
    for name in names {
        let name = name.trim();
        if name.is_empty() {
            continue;
        }
        genres::Entity::insert(genres::ActiveModel {
            name: Set(name.to_owned()),
            ..Default::default()
        })
        .on_conflict(
            OnConflict::column(genres::Column::Name)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
        let g = genres::Entity::find()
            .filter(genres::Column::Name.eq(name))
            .one(db)
            .await?
            .ok_or_else(|| DbErr::RecordNotFound(format!("genre {name}")))?;
        if !ids.contains(&g.id) {
            ids.push(g.id);
        }
    }
    Ok(ids)
}

/// Ids of keyword tags with these names, creating missing ones.
pub async fn ensure_tags<C: ConnectionTrait>(db: &C, names: &[String]) -> Result<Vec<i32>, DbErr> {
    let mut ids = Vec::with_capacity(names.len());
    for name in names {
        let name = name.trim().to_lowercase();
        if name.is_empty() {
            continue;
        }
        tags::Entity::insert(tags::ActiveModel {
            name: Set(name.clone()),
            ..Default::default()
        })
        .on_conflict(
            OnConflict::column(tags::Column::Name)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
        let t = tags::Entity::find()
            .filter(tags::Column::Name.eq(name.as_str()))
            .one(db)
            .await?
            .ok_or_else(|| DbErr::RecordNotFound(format!("tag {name}")))?;
        if !ids.contains(&t.id) {
            ids.push(t.id);
        }
    }
    Ok(ids)
}

/// Ids of people with these names (first match by exact name), creating missing ones.
pub async fn ensure_people<C: ConnectionTrait>(
    db: &C,
    names: &[String],
) -> Result<Vec<i32>, DbErr> {
    let mut ids = Vec::with_capacity(names.len());
    for name in names {
        let name = name.trim();
        if name.is_empty() {
            continue;
        }
        let found = people::Entity::find()
            .filter(people::Column::Name.eq(name))
            .order_by_asc(people::Column::Id)
            .one(db)
            .await?;
        let id = match found {
            Some(p) => p.id,
            None => {
                people::ActiveModel {
                    name: Set(name.to_owned()),
                    ..Default::default()
                }
                .insert(db)
                .await?
                .id
            }
        };
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

async fn set_genres<C: ConnectionTrait>(
    db: &C,
    movie_id: i32,
    names: &[String],
) -> Result<(), DbErr> {
    movie_genres::Entity::delete_many()
        .filter(movie_genres::Column::MovieId.eq(movie_id))
        .exec(db)
        .await?;
    let ids = ensure_genres(db, names).await?;
    let rows = ids.into_iter().map(|genre_id| movie_genres::ActiveModel {
        movie_id: Set(movie_id),
        genre_id: Set(genre_id),
    });
    movie_genres::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

async fn set_credits<C: ConnectionTrait>(
    db: &C,
    movie_id: i32,
    role: &str,
    names: &[String],
) -> Result<(), DbErr> {
    movie_people::Entity::delete_many()
        .filter(movie_people::Column::MovieId.eq(movie_id))
        .filter(movie_people::Column::Role.eq(role))
        .exec(db)
        .await?;
    let ids = ensure_people(db, names).await?;
    let rows = ids
        .into_iter()
        .enumerate()
        .map(|(i, person_id)| movie_people::ActiveModel {
            movie_id: Set(movie_id),
            person_id: Set(person_id),
            role: Set(role.to_owned()),
            position: Set(i as i32),
        });
    movie_people::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

async fn set_keywords<C: ConnectionTrait>(
    db: &C,
    movie_id: i32,
    names: &[String],
) -> Result<(), DbErr> {
    movie_keywords::Entity::delete_many()
        .filter(movie_keywords::Column::MovieId.eq(movie_id))
        .exec(db)
        .await?;
    let ids = ensure_tags(db, names).await?;
    let rows = ids.into_iter().map(|tag_id| movie_keywords::ActiveModel {
        movie_id: Set(movie_id),
        tag_id: Set(tag_id),
    });
    movie_keywords::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Inserts a movie with its genres, people and keywords. Run it inside a transaction.
pub async fn create<C: ConnectionTrait>(db: &C, m: NewMovie) -> Result<movies::Model, DbErr> {
    let now = Utc::now();
    let row = movies::ActiveModel {
        external_id: Set(m.external_id),
        title: Set(m.title),
        year: Set(m.year),
        overview: Set(m.overview),
        runtime: Set(m.runtime),
        poster_url: Set(m.poster_url),
        language: Set(m.language),
        country: Set(m.country),
        imdb_id: Set(m.imdb_id),
        tmdb_id: Set(m.tmdb_id),
        available: Set(m.available),
        deleted_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    set_genres(db, row.id, &m.genres).await?;
    set_credits(db, row.id, "director", &m.directors).await?;
    set_credits(db, row.id, "cast", &m.cast).await?;
    set_keywords(db, row.id, &m.keywords).await?;
    Ok(row)
}

/// Applies a patch to a movie. Run it inside a transaction.
pub async fn update<C: ConnectionTrait>(
    db: &C,
    movie: movies::Model,
    p: MoviePatch,
) -> Result<movies::Model, DbErr> {
    let id = movie.id;
    let mut am: movies::ActiveModel = movie.into();
    if let Some(v) = p.title {
        am.title = Set(v);
    }
    if let Some(v) = p.year {
        am.year = Set(v);
    }
    if let Some(v) = p.overview {
        am.overview = Set(v);
    }
    if let Some(v) = p.runtime {
        am.runtime = Set(v);
    }
    if let Some(v) = p.poster_url {
        am.poster_url = Set(v);
    }
    if let Some(v) = p.language {
        am.language = Set(v);
    }
    if let Some(v) = p.country {
        am.country = Set(v);
    }
    am.updated_at = Set(Utc::now());
    let row = am.update(db).await?;
    if let Some(g) = p.genres {
        set_genres(db, id, &g).await?;
    }
    if let Some(d) = p.directors {
        set_credits(db, id, "director", &d).await?;
    }
    if let Some(c) = p.cast {
        set_credits(db, id, "cast", &c).await?;
    }
    Ok(row)
}

/// Sets whether a movie may be shown.
pub async fn set_availability<C: ConnectionTrait>(
    db: &C,
    movie: movies::Model,
    available: bool,
) -> Result<movies::Model, DbErr> {
    let mut am: movies::ActiveModel = movie.into();
    am.available = Set(available);
    am.updated_at = Set(Utc::now());
    am.update(db).await
}

/// Marks a movie deleted: it disappears from every list and answer, while ratings that refer to it
/// stay consistent for training history.
pub async fn soft_delete<C: ConnectionTrait>(
    db: &C,
    movie: movies::Model,
) -> Result<movies::Model, DbErr> {
    let mut am: movies::ActiveModel = movie.into();
    am.deleted_at = Set(Some(Utc::now()));
    am.available = Set(false);
    am.updated_at = Set(Utc::now());
    am.update(db).await
}
