//! The catalogue: movies, genres and people; staff catalogue mutations.
use async_graphql::{
    ComplexObject, Context, Enum, ErrorExtensions, InputObject, Object, Result, SimpleObject, ID,
};
use chrono::{DateTime, Utc};

use super::ids::{self, Kind};
use super::loaders::{
    Cached, CreditsLoader, GenresLoader, MovieLoader, MyRatingLoader, StatsLoader,
};
use super::pagination::{page_with, Page, Window};
use super::{is_staff, staff_actor, state};
use crate::app::catalogue::{self, MoviePatch, NewMovie};
use crate::auth::{Role, RoleGuard};
use crate::db::entities::{genres, movies, people};
use crate::db::repo::movies::{self as repo, MovieFilter, MovieOrder};
use crate::error::{AppError, GqlResult};

/// A movie in the catalogue.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct Movie {
    #[graphql(skip)]
    pub db_id: i32,
    /// Opaque identifier.
    pub id: ID,
    /// Title, as commonly known in English.
    pub title: String,
    /// Year of first release.
    pub year: Option<i32>,
    /// One-line summary.
    pub overview: Option<String>,
    /// Running time in minutes.
    pub runtime: Option<i32>,
    /// Poster image URL.
    pub poster_url: Option<String>,
    /// Original language (ISO 639-1).
    pub language: Option<String>,
    /// Country of production (ISO 3166-1 alpha-2 or name).
    pub country: Option<String>,
    /// IMDb identifier (e.g. `tt0113277`).
    pub imdb_id: Option<String>,
    /// TMDB identifier.
    pub tmdb_id: Option<i64>,
    /// External identifier the movie was imported with (e.g. its MovieLens id).
    pub external_id: Option<String>,
    /// Whether the movie may be shown and recommended.
    pub available: bool,
    /// When the movie was added.
    pub created_at: DateTime<Utc>,
}

impl From<movies::Model> for Movie {
    fn from(m: movies::Model) -> Self {
        Self {
            db_id: m.id,
            id: ids::encode(Kind::Movie, m.id as i64),
            title: m.title,
            year: m.year,
            overview: m.overview,
            runtime: m.runtime,
            poster_url: m.poster_url,
            language: m.language,
            country: m.country,
            imdb_id: m.imdb_id,
            tmdb_id: m.tmdb_id,
            external_id: m.external_id,
            available: m.available && m.deleted_at.is_none(),
            created_at: m.created_at,
        }
    }
}

/// A genre.
#[derive(SimpleObject, Clone)]
pub struct Genre {
    /// Opaque identifier.
    pub id: ID,
    /// Name, e.g. `Sci-Fi`.
    pub name: String,
}

impl From<genres::Model> for Genre {
    fn from(g: genres::Model) -> Self {
        Self {
            id: ids::encode(Kind::Genre, g.id as i64),
            name: g.name,
        }
    }
}

/// A genre with the number of available movies in it.
#[derive(SimpleObject)]
pub struct GenreCount {
    /// The genre.
    pub genre: Genre,
    /// Available movies in this genre.
    pub movie_count: i64,
}

/// A person: director or cast member.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct Person {
    #[graphql(skip)]
    pub db_id: i32,
    /// Opaque identifier.
    pub id: ID,
    /// Name.
    pub name: String,
}

impl From<people::Model> for Person {
    fn from(p: people::Model) -> Self {
        Self {
            db_id: p.id,
            id: ids::encode(Kind::Person, p.id as i64),
            name: p.name,
        }
    }
}

/// A person's role in a movie.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum CreditRole {
    /// Directed the movie.
    Director,
    /// Appears in the movie.
    Cast,
}

/// One person credited on a movie.
#[derive(SimpleObject, Clone)]
pub struct Credit {
    /// The person.
    pub person: Person,
    /// Their role.
    pub role: CreditRole,
    /// Billing order within the role, from 0.
    pub position: i32,
}

/// A movie by database id through the request's loader (any state), or NOT_FOUND.
pub async fn load_movie(ctx: &Context<'_>, movie_id: i32) -> Result<Movie> {
    let m = ctx
        .data::<Cached<MovieLoader>>()?
        .load_one(movie_id)
        .await
        .gql()?
        .ok_or(AppError::NotFound("movie"))
        .gql()?;
    Ok(m.into())
}

async fn credits_of(ctx: &Context<'_>, movie_id: i32) -> Result<Vec<Credit>> {
    let credits = ctx
        .data::<Cached<CreditsLoader>>()?
        .load_one(movie_id)
        .await
        .gql()?
        .unwrap_or_default();
    Ok(credits
        .into_iter()
        .map(|c| Credit {
            role: if c.role == "director" {
                CreditRole::Director
            } else {
                CreditRole::Cast
            },
            position: c.position,
            person: c.person.into(),
        })
        .collect())
}

#[ComplexObject]
impl Movie {
    /// Genres, by name.
    async fn genres(&self, ctx: &Context<'_>) -> Result<Vec<Genre>> {
        let gs = ctx
            .data::<Cached<GenresLoader>>()?
            .load_one(self.db_id)
            .await
            .gql()?
            .unwrap_or_default();
        Ok(gs.into_iter().map(Genre::from).collect())
    }

    /// Directors and cast, directors first, then cast in billing order.
    async fn credits(&self, ctx: &Context<'_>) -> Result<Vec<Credit>> {
        credits_of(ctx, self.db_id).await
    }

    /// Directors.
    async fn directors(&self, ctx: &Context<'_>) -> Result<Vec<Person>> {
        Ok(credits_of(ctx, self.db_id)
            .await?
            .into_iter()
            .filter(|c| c.role == CreditRole::Director)
            .map(|c| c.person)
            .collect())
    }

    /// Principal cast, in billing order.
    async fn cast(&self, ctx: &Context<'_>) -> Result<Vec<Person>> {
        Ok(credits_of(ctx, self.db_id)
            .await?
            .into_iter()
            .filter(|c| c.role == CreditRole::Cast)
            .map(|c| c.person)
            .collect())
    }

    /// Number of ratings.
    async fn rating_count(&self, ctx: &Context<'_>) -> Result<i64> {
        let s = ctx
            .data::<Cached<StatsLoader>>()?
            .load_one(self.db_id)
            .await
            .gql()?;
        Ok(s.map(|s| s.count).unwrap_or(0))
    }

    /// Mean rating (0.5–5), or null when unrated.
    async fn average_rating(&self, ctx: &Context<'_>) -> Result<Option<f64>> {
        let s = ctx
            .data::<Cached<StatsLoader>>()?
            .load_one(self.db_id)
            .await
            .gql()?;
        Ok(s.and_then(|s| s.mean).map(|m| (m * 100.0).round() / 100.0))
    }

    /// The requesting user's own rating of this movie (null for other tokens or when unrated).
    async fn my_rating(&self, ctx: &Context<'_>) -> Result<Option<f64>> {
        match ctx.data_opt::<Cached<MyRatingLoader>>() {
            Some(l) => Ok(l.load_one(self.db_id).await.gql()?.flatten()),
            None => Ok(None),
        }
    }
}

#[ComplexObject]
impl Person {
    /// Available movies this person directed or appears in, newest first.
    #[graphql(complexity = "crate::graphql::limits::list(1, first.or(last), 20, child_complexity)")]
    async fn movies(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            validator(minimum = 1, maximum = 100),
            desc = "How many items to return (1–100; default 20)."
        )]
        first: Option<i32>,
        #[graphql(
            desc = "Cursor of the last item seen (the previous page's `endCursor`): the page starts after it; omit it for the first page."
        )]
        after: Option<String>,
        #[graphql(
            validator(minimum = 1, maximum = 100),
            desc = "How many items to return, counting back from `before` or from the end of the list (1–100; default 20); not with `first` or `after`."
        )]
        last: Option<i32>,
        #[graphql(
            desc = "Cursor of the first item seen (the next page's `startCursor`): the page ends just before it, for paging backward."
        )]
        before: Option<String>,
    ) -> Result<Page<Movie>> {
        let window = Window::new(first, after.as_deref(), last, before.as_deref()).gql()?;
        let filter = MovieFilter {
            person_id: Some(self.db_id),
            ..Default::default()
        };
        list_movies(ctx, &filter, MovieOrder::YearDesc, window).await
    }
}

/// How to order a list of movies.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Default)]
pub enum MovieOrderBy {
    /// Title A–Z.
    #[default]
    TitleAsc,
    /// Newest first.
    YearDesc,
    /// Oldest first.
    YearAsc,
    /// Most rated first.
    Popularity,
    /// Most recently added to the catalogue first.
    Newest,
}

impl From<MovieOrderBy> for MovieOrder {
    fn from(o: MovieOrderBy) -> Self {
        match o {
            MovieOrderBy::TitleAsc => MovieOrder::TitleAsc,
            MovieOrderBy::YearDesc => MovieOrder::YearDesc,
            MovieOrderBy::YearAsc => MovieOrder::YearAsc,
            MovieOrderBy::Popularity => MovieOrder::Popularity,
            MovieOrderBy::Newest => MovieOrder::Newest,
        }
    }
}

/// Filters for `movies`.
#[derive(InputObject, Default)]
pub struct MovieFilterInput {
    /// Case-insensitive part of the title.
    #[graphql(validator(max_length = 200))]
    pub search: Option<String>,
    /// Movies in any of these genres (by name).
    #[graphql(validator(max_items = 20))]
    pub genres: Option<Vec<String>>,
    /// Released in or after this year.
    pub year_from: Option<i32>,
    /// Released in or before this year.
    pub year_to: Option<i32>,
    /// Movies this person directed or appears in.
    pub person: Option<ID>,
    /// Include unavailable movies (editors and admins only).
    pub include_unavailable: Option<bool>,
}

/// Loads, in one query each, what the selection will ask of every movie on a page, so the
/// nested resolvers find it in the loaders' caches.
pub async fn prime_movie_loaders(
    ctx: &Context<'_>,
    node: async_graphql::Lookahead<'_>,
    ids: &[i32],
) -> Result<()> {
    let ids = ids.iter().copied();
    if node.field("genres").exists() {
        ctx.data::<Cached<GenresLoader>>()?
            .load_many(ids.clone())
            .await
            .gql()?;
    }
    if node.field("credits").exists()
        || node.field("directors").exists()
        || node.field("cast").exists()
    {
        ctx.data::<Cached<CreditsLoader>>()?
            .load_many(ids.clone())
            .await
            .gql()?;
    }
    if node.field("ratingCount").exists() || node.field("averageRating").exists() {
        ctx.data::<Cached<StatsLoader>>()?
            .load_many(ids.clone())
            .await
            .gql()?;
    }
    if node.field("myRating").exists() {
        if let Some(l) = ctx.data_opt::<Cached<MyRatingLoader>>() {
            l.load_many(ids).await.gql()?;
        }
    }
    Ok(())
}

/// A page of movies; `totalCount` is counted only when the query selects it.
async fn movie_page(ctx: &Context<'_>, found: repo::MoviePage, offset: u64) -> Result<Page<Movie>> {
    let ids: Vec<i32> = found.rows.iter().map(|m| m.id).collect();
    let look = ctx.look_ahead();
    prime_movie_loaders(ctx, look.field("edges").field("node"), &ids).await?;
    prime_movie_loaders(ctx, look.field("nodes"), &ids).await?;
    Ok(page_with(
        found.rows.into_iter().map(Movie::from).collect(),
        offset,
        found.has_next,
        found.total.unwrap_or(0),
    ))
}

/// One page of the movies `filter` matches. A page counted from the end of the list counts
/// the list once, and that count is also its `totalCount`; other pages count only when
/// `totalCount` is selected.
async fn list_movies(
    ctx: &Context<'_>,
    filter: &MovieFilter,
    order: MovieOrder,
    window: Window,
) -> Result<Page<Movie>> {
    let db = &state(ctx)?.db;
    let wants_total = ctx.look_ahead().field("totalCount").exists();
    let counted = match window {
        Window::End { .. } => Some(repo::count(db, filter).await.gql()?),
        Window::At { .. } => None,
    };
    let (offset, limit) = window.within(counted.unwrap_or(0));
    let mut found = repo::list(
        db,
        filter,
        order,
        offset,
        limit,
        wants_total && counted.is_none(),
    )
    .await
    .gql()?;
    if wants_total {
        found.total = found.total.or(counted);
    }
    movie_page(ctx, found, offset).await
}

/// Catalogue queries. Available movies are public; staff may see unavailable ones.
#[derive(Default)]
pub struct MovieQuery;

#[Object]
impl MovieQuery {
    /// One movie by id. Unavailable movies are visible only to editors and admins.
    async fn movie(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The movie's opaque id.")] id: ID,
    ) -> Result<Option<Movie>> {
        let id = ids::decode(Kind::Movie, &id).gql()?;
        let m = repo::get(&state(ctx)?.db, id, is_staff(ctx, &[Role::Editor]))
            .await
            .gql()?;
        Ok(m.map(Movie::from))
    }

    /// Movies, filtered and ordered (default TITLE_ASC), as a Relay connection: `first`
    /// defaults to 20, at most 100.
    #[graphql(complexity = "crate::graphql::limits::list(1, first.or(last), 20, child_complexity)")]
    // One parameter per GraphQL argument: Relay's four and the list's own.
    #[allow(clippy::too_many_arguments)]
    async fn movies(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            validator(minimum = 1, maximum = 100),
            desc = "How many items to return (1–100; default 20)."
        )]
        first: Option<i32>,
        #[graphql(
            desc = "Cursor of the last item seen (the previous page's `endCursor`): the page starts after it; omit it for the first page."
        )]
        after: Option<String>,
        #[graphql(
            validator(minimum = 1, maximum = 100),
            desc = "How many items to return, counting back from `before` or from the end of the list (1–100; default 20); not with `first` or `after`."
        )]
        last: Option<i32>,
        #[graphql(
            desc = "Cursor of the first item seen (the next page's `startCursor`): the page ends just before it, for paging backward."
        )]
        before: Option<String>,
        #[graphql(
            desc = "Which movies to list (omitted, every available movie); `yearFrom` must not be after `yearTo`."
        )]
        filter: Option<MovieFilterInput>,
        #[graphql(desc = "The order of the list (default TITLE_ASC).")] order_by: Option<
            MovieOrderBy,
        >,
    ) -> Result<Page<Movie>> {
        let window = Window::new(first, after.as_deref(), last, before.as_deref()).gql()?;
        let f = filter.unwrap_or_default();
        if let (Some(a), Some(b)) = (f.year_from, f.year_to) {
            if a > b {
                return Err(AppError::bad_input("yearFrom must not be after yearTo").extend());
            }
        }
        let include_unavailable = f.include_unavailable.unwrap_or(false);
        if include_unavailable && !is_staff(ctx, &[Role::Editor]) {
            return Err(AppError::Forbidden.extend());
        }
        let filter = MovieFilter {
            search: f.search,
            genres: f.genres.unwrap_or_default(),
            year_from: f.year_from,
            year_to: f.year_to,
            person_id: f
                .person
                .as_ref()
                .map(|p| ids::decode(Kind::Person, p))
                .transpose()
                .gql()?,
            include_unavailable,
        };
        let order = order_by.unwrap_or_default().into();
        list_movies(ctx, &filter, order, window).await
    }

    /// Every genre with its number of available movies.
    async fn genres(&self, ctx: &Context<'_>) -> Result<Vec<GenreCount>> {
        let rows = repo::all_genres(&state(ctx)?.db).await.gql()?;
        Ok(rows
            .into_iter()
            .map(|(g, n)| GenreCount {
                genre: g.into(),
                movie_count: n,
            })
            .collect())
    }

    /// One person by id.
    async fn person(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The person's opaque id.")] id: ID,
    ) -> Result<Option<Person>> {
        let id = ids::decode(Kind::Person, &id).gql()?;
        Ok(repo::person(&state(ctx)?.db, id)
            .await
            .gql()?
            .map(Person::from))
    }
}

/// A new movie (editors and admins).
#[derive(InputObject)]
pub struct CreateMovieInput {
    /// Title (1–300 characters).
    #[graphql(validator(min_length = 1, max_length = 300))]
    pub title: String,
    /// Year of first release (1870–2100).
    #[graphql(validator(minimum = 1870, maximum = 2100))]
    pub year: Option<i32>,
    /// One-line summary.
    #[graphql(validator(max_length = 2000))]
    pub overview: Option<String>,
    /// Running time in minutes (1–1000).
    #[graphql(validator(minimum = 1, maximum = 1000))]
    pub runtime: Option<i32>,
    /// Poster image URL.
    #[graphql(validator(url))]
    pub poster_url: Option<String>,
    /// Original language (ISO 639-1).
    #[graphql(validator(max_length = 8))]
    pub language: Option<String>,
    /// Country.
    #[graphql(validator(max_length = 64))]
    pub country: Option<String>,
    /// Genre names; unknown ones are created.
    #[graphql(default, validator(max_items = 20))]
    pub genres: Vec<String>,
    /// Director names.
    #[graphql(default, validator(max_items = 20))]
    pub directors: Vec<String>,
    /// Cast names in billing order.
    #[graphql(default, validator(max_items = 50))]
    pub cast: Vec<String>,
    /// Whether it may be shown at once (default true).
    #[graphql(default = true)]
    pub available: bool,
}

/// A movie and the changes to make; omitted fields stay as they are.
#[derive(InputObject)]
pub struct UpdateMovieInput {
    /// The movie's opaque id.
    pub id: ID,
    #[graphql(flatten)]
    pub changes: MoviePatchInput,
}

/// Changes to a movie; omitted fields stay as they are.
#[derive(InputObject)]
pub struct MoviePatchInput {
    /// Title (1–300 characters).
    #[graphql(validator(min_length = 1, max_length = 300))]
    pub title: Option<String>,
    /// Year of first release (1870–2100).
    #[graphql(validator(minimum = 1870, maximum = 2100))]
    pub year: Option<i32>,
    /// One-line summary.
    #[graphql(validator(max_length = 2000))]
    pub overview: Option<String>,
    /// Running time in minutes (1–1000).
    #[graphql(validator(minimum = 1, maximum = 1000))]
    pub runtime: Option<i32>,
    /// Poster image URL.
    #[graphql(validator(url))]
    pub poster_url: Option<String>,
    /// Original language.
    #[graphql(validator(max_length = 8))]
    pub language: Option<String>,
    /// Country.
    #[graphql(validator(max_length = 64))]
    pub country: Option<String>,
    /// Replaces the genres.
    #[graphql(validator(max_items = 20))]
    pub genres: Option<Vec<String>>,
    /// Replaces the directors.
    #[graphql(validator(max_items = 20))]
    pub directors: Option<Vec<String>>,
    /// Replaces the cast.
    #[graphql(validator(max_items = 50))]
    pub cast: Option<Vec<String>>,
}

/// Catalogue changes, for editors and admins; each is written to the audit log.
#[derive(Default)]
pub struct CatalogueMutation;

#[Object]
impl CatalogueMutation {
    /// Adds a movie.
    #[graphql(guard = "RoleGuard::staff(&[Role::Editor])")]
    async fn create_movie(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new movie's details.")] input: CreateMovieInput,
    ) -> Result<CreateMoviePayload> {
        let actor = staff_actor(ctx, &[Role::Editor])?;
        let new = NewMovie {
            title: input.title,
            year: input.year,
            overview: input.overview,
            runtime: input.runtime,
            poster_url: input.poster_url,
            language: input.language,
            country: input.country,
            available: input.available,
            genres: input.genres,
            directors: input.directors,
            cast: input.cast,
            ..Default::default()
        };
        let m = catalogue::create(state(ctx)?, actor, new).await.gql()?;
        Ok(CreateMoviePayload { movie: m.into() })
    }

    /// Changes a movie's details.
    #[graphql(guard = "RoleGuard::staff(&[Role::Editor])")]
    async fn update_movie(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The movie and the changes to make; omitted fields stay as they are.")]
        input: UpdateMovieInput,
    ) -> Result<UpdateMoviePayload> {
        let actor = staff_actor(ctx, &[Role::Editor])?;
        let id = ids::decode(Kind::Movie, &input.id).gql()?;
        let input = input.changes;
        let patch = MoviePatch {
            title: input.title,
            year: input.year.map(Some),
            overview: input.overview.map(Some),
            runtime: input.runtime.map(Some),
            poster_url: input.poster_url.map(Some),
            language: input.language.map(Some),
            country: input.country.map(Some),
            genres: input.genres,
            directors: input.directors,
            cast: input.cast,
        };
        let m = catalogue::update(state(ctx)?, actor, id, patch)
            .await
            .gql()?;
        Ok(UpdateMoviePayload { movie: m.into() })
    }

    /// Makes a movie available or unavailable.
    #[graphql(guard = "RoleGuard::staff(&[Role::Editor])")]
    async fn set_movie_availability(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The movie and whether it may be shown.")]
        input: SetMovieAvailabilityInput,
    ) -> Result<SetMovieAvailabilityPayload> {
        let actor = staff_actor(ctx, &[Role::Editor])?;
        let id = ids::decode(Kind::Movie, &input.id).gql()?;
        let m = catalogue::set_availability(state(ctx)?, actor, id, input.available)
            .await
            .gql()?;
        Ok(SetMovieAvailabilityPayload { movie: m.into() })
    }

    /// Deletes a movie: it disappears from every list, search and recommendation.
    #[graphql(guard = "RoleGuard::staff(&[Role::Editor])")]
    async fn delete_movie(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The movie to delete.")] input: DeleteMovieInput,
    ) -> Result<DeleteMoviePayload> {
        let actor = staff_actor(ctx, &[Role::Editor])?;
        let id = ids::decode(Kind::Movie, &input.id).gql()?;
        catalogue::delete(state(ctx)?, actor, id).await.gql()?;
        Ok(DeleteMoviePayload { deleted: true })
    }
}

/// The result of `createMovie`.
#[derive(SimpleObject)]
pub struct CreateMoviePayload {
    /// The new movie.
    pub movie: Movie,
}

/// The result of `updateMovie`.
#[derive(SimpleObject)]
pub struct UpdateMoviePayload {
    /// The movie as it now is.
    pub movie: Movie,
}

/// A movie and whether it may be shown.
#[derive(InputObject)]
pub struct SetMovieAvailabilityInput {
    /// The movie's opaque id.
    pub id: ID,
    /// True to let the movie be shown and recommended, false to withdraw it.
    pub available: bool,
}

/// The result of `setMovieAvailability`.
#[derive(SimpleObject)]
pub struct SetMovieAvailabilityPayload {
    /// The movie as it now is.
    pub movie: Movie,
}

/// The movie to delete.
#[derive(InputObject)]
pub struct DeleteMovieInput {
    /// The movie's opaque id; an unknown one is NOT_FOUND.
    pub id: ID,
}

/// The result of `deleteMovie`.
#[derive(SimpleObject)]
pub struct DeleteMoviePayload {
    /// Always true: a movie that does not exist is NOT_FOUND instead.
    pub deleted: bool,
}
