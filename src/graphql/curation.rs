//! Editorial curation over GraphQL: collections, placements (pins), boost/bury/block rules and
//! diversity settings. Reading published collections is public; every change is for editors
//! and admins, validated first, written in one transaction with its audit entry, and served on
//! the next request.
use std::collections::HashSet;

use async_graphql::{
    ComplexObject, Context, Enum, ErrorExtensions, InputObject, MaybeUndefined, Object, Result,
    SimpleObject, ID,
};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, TransactionTrait};

use super::ids::{self, Kind};
use super::movies::{load_movie, prime_movie_loaders, Movie, Person};
use super::pagination::{page, page_args, Page};
use super::{staff_actor, state};
use crate::auth::{Principal, Role, RoleGuard};
use crate::db::entities::{collections, diversity_settings, placements, rules};
use crate::db::repo;
use crate::db::repo::audit;
use crate::db::repo::curation::{self as repo_curation, NewCollection};
use crate::error::{AppError, GqlResult};
use crate::state::AppState;
use marquee_core::serving::curation::{self as cur, Audience, Schedule, Surface};

/// Where a collection stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum CollectionStatus {
    /// Being prepared; only staff see it.
    Draft,
    /// Shown to its audience within its schedule.
    Published,
    /// Retired; only staff see it.
    Archived,
}

impl CollectionStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "DRAFT",
            Self::Published => "PUBLISHED",
            Self::Archived => "ARCHIVED",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "PUBLISHED" => Self::Published,
            "ARCHIVED" => Self::Archived,
            _ => Self::Draft,
        }
    }
}

/// Who a collection or placement is for. Every given condition must hold; none means everyone.
#[derive(SimpleObject, Clone)]
#[graphql(name = "Audience")]
pub struct AudienceGql {
    /// Only users with little or no history (cold start).
    pub new_users: bool,
    /// Only users whose history leans to this genre.
    pub genre_affinity: Option<String>,
    /// Only users in one of these age bands (e.g. 25-34).
    pub age_bands: Vec<String>,
    /// Only users in one of these countries (ISO 3166-1 alpha-2).
    pub countries: Vec<String>,
    /// A short description, e.g. "Everyone" or "New users · aged 18-24, 25-34".
    pub description: String,
}

impl From<Audience> for AudienceGql {
    fn from(a: Audience) -> Self {
        Self {
            description: a.describe(),
            new_users: a.new_users,
            genre_affinity: a.genre_affinity,
            age_bands: a.age_bands,
            countries: a.countries,
        }
    }
}

/// Who a collection or placement is for; omitted conditions do not narrow it.
#[derive(InputObject, Default)]
pub struct AudienceInput {
    /// Only users with little or no history.
    pub new_users: Option<bool>,
    /// Only users whose history leans to this genre.
    #[graphql(validator(max_length = 64))]
    pub genre_affinity: Option<String>,
    /// Only users in one of these age bands.
    #[graphql(validator(max_items = 10))]
    pub age_bands: Option<Vec<String>>,
    /// Only users in one of these countries (ISO 3166-1 alpha-2).
    #[graphql(validator(max_items = 50))]
    pub countries: Option<Vec<String>>,
}

fn audience_from(input: Option<AudienceInput>) -> Result<Audience> {
    let i = input.unwrap_or_default();
    let a = Audience {
        new_users: i.new_users.unwrap_or(false),
        genre_affinity: i
            .genre_affinity
            .map(|g| g.trim().to_owned())
            .filter(|g| !g.is_empty()),
        age_bands: i.age_bands.unwrap_or_default(),
        countries: i
            .countries
            .unwrap_or_default()
            .into_iter()
            .map(|c| c.trim().to_ascii_uppercase())
            .collect(),
    };
    a.validate().map_err(|e| AppError::bad_input(e).extend())?;
    Ok(a)
}

fn audience_of(text: Option<&str>) -> Audience {
    text.and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_default()
}

fn schedule(starts_at: Option<DateTime<Utc>>, ends_at: Option<DateTime<Utc>>) -> Result<Schedule> {
    let s = Schedule { starts_at, ends_at };
    s.validate().map_err(|e| AppError::bad_input(e).extend())?;
    Ok(s)
}

fn surface(s: &str) -> Result<Surface> {
    Surface::parse(s).map_err(|e| AppError::bad_input(e).extend())
}

fn is_curator(ctx: &Context<'_>) -> bool {
    matches!(
        ctx.data_opt::<Principal>(),
        Some(Principal::Staff { role, .. }) if role.permits(&[Role::Editor])
    )
}

fn curator(ctx: &Context<'_>) -> Result<(i32, Role)> {
    crate::auth::require_staff(ctx, &[Role::Editor])
}

/// Decodes movie ids and checks each names a movie that is not deleted.
async fn known_movies<C: ConnectionTrait>(db: &C, raw: &[ID]) -> Result<Vec<i32>> {
    let mut out = Vec::with_capacity(raw.len());
    let mut seen = HashSet::new();
    for id in raw {
        let m = ids::decode(Kind::Movie, id).gql()?;
        if !seen.insert(m) {
            return Err(
                AppError::bad_input(format!("movie {} is listed twice", id.as_str())).extend(),
            );
        }
        out.push(m);
    }
    let found: HashSet<i32> = repo::movies::by_ids(db, &out)
        .await
        .gql()?
        .into_iter()
        .filter(|m| m.deleted_at.is_none())
        .map(|m| m.id)
        .collect();
    if let Some((i, _)) = out.iter().enumerate().find(|(_, m)| !found.contains(m)) {
        return Err(AppError::bad_input(format!("unknown movie {}", raw[i].as_str())).extend());
    }
    Ok(out)
}

fn check_slug(slug: &str) -> Result<String> {
    let s = slug.trim().to_ascii_lowercase();
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-');
    if !ok {
        return Err(AppError::bad_input(
            "slug must be 1–64 lower-case letters, digits and inner hyphens",
        )
        .extend());
    }
    Ok(s)
}

fn check_title(t: &str) -> Result<String> {
    let t = t.trim();
    if t.is_empty() || t.chars().count() > 200 {
        return Err(AppError::bad_input("title must be 1–200 characters").extend());
    }
    Ok(t.to_owned())
}

fn check_url(u: Option<String>) -> Result<Option<String>> {
    match u.map(|u| u.trim().to_owned()).filter(|u| !u.is_empty()) {
        Some(u) if !(u.starts_with("https://") || u.starts_with("http://")) || u.len() > 2048 => {
            Err(AppError::bad_input("artworkUrl must be an http(s) URL").extend())
        }
        other => Ok(other),
    }
}

/// An editorial collection: an ordered list of movies with a schedule and an audience.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct Collection {
    #[graphql(skip)]
    pub db_id: i32,
    /// Opaque identifier.
    pub id: ID,
    /// URL-friendly unique name.
    pub slug: String,
    /// Title shown as the row's heading.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// Artwork URL.
    pub artwork_url: Option<String>,
    /// Draft, published or archived.
    pub status: CollectionStatus,
    /// Shown from this time (inclusive).
    pub starts_at: Option<DateTime<Utc>>,
    /// Shown until this time (exclusive).
    pub ends_at: Option<DateTime<Utc>>,
    /// Who it is for.
    pub audience: AudienceGql,
    /// Published and within its schedule now.
    pub live: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<collections::Model> for Collection {
    fn from(m: collections::Model) -> Self {
        let status = CollectionStatus::parse(&m.status);
        let live = status == CollectionStatus::Published
            && (Schedule {
                starts_at: m.starts_at,
                ends_at: m.ends_at,
            })
            .live(Utc::now());
        Self {
            db_id: m.id,
            id: ids::encode(Kind::Collection, m.id as i64),
            slug: m.slug,
            title: m.title,
            description: m.description,
            artwork_url: m.artwork_url,
            status,
            starts_at: m.starts_at,
            ends_at: m.ends_at,
            audience: audience_of(m.audience.as_deref()).into(),
            live,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

impl Collection {
    /// The movie ids a caller may see: staff see all; others only available, unblocked ones.
    async fn visible_ids(&self, ctx: &Context<'_>) -> Result<Vec<i32>> {
        let st = state(ctx)?;
        let all = repo_curation::items_of(&st.db, &[self.db_id])
            .await
            .gql()?
            .remove(&self.db_id)
            .unwrap_or_default();
        if is_curator(ctx) {
            return Ok(all);
        }
        let catalogue = st.recommender.catalogue(&st.db).await.gql()?;
        let curation = st.curation().await.gql()?;
        let now = Utc::now();
        Ok(all
            .into_iter()
            .filter(|m| {
                catalogue.get(*m).is_some_and(|e| e.available)
                    && !curation.blocked(*m, &Surface::Home, now, &catalogue)
            })
            .collect())
    }
}

#[ComplexObject]
impl Collection {
    /// The movies in order. Staff see all; others only available movies that no rule blocks.
    async fn movies(&self, ctx: &Context<'_>) -> Result<Vec<Movie>> {
        let ids = self.visible_ids(ctx).await?;
        prime_movie_loaders(ctx, ctx.look_ahead(), &ids).await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(load_movie(ctx, id).await?);
        }
        Ok(out)
    }

    /// How many movies `movies` holds.
    async fn movie_count(&self, ctx: &Context<'_>) -> Result<i32> {
        Ok(self.visible_ids(ctx).await?.len() as i32)
    }
}

/// A new collection (created as a draft).
#[derive(InputObject)]
pub struct CollectionInput {
    /// Unique, URL-friendly: lower-case letters, digits and hyphens.
    pub slug: String,
    /// Title.
    pub title: String,
    /// Description.
    #[graphql(validator(max_length = 4000))]
    pub description: Option<String>,
    /// Artwork URL (http or https).
    pub artwork_url: Option<String>,
    /// The movies, in order.
    #[graphql(validator(max_items = 500))]
    pub movie_ids: Option<Vec<ID>>,
    /// Shown from this time.
    pub starts_at: Option<DateTime<Utc>>,
    /// Shown until this time; must be after `startsAt`.
    pub ends_at: Option<DateTime<Utc>>,
    /// Who it is for (default everyone).
    pub audience: Option<AudienceInput>,
}

/// Changes to a collection; omitted fields stay, `null` clears an optional one.
#[derive(InputObject)]
pub struct CollectionPatchInput {
    /// New slug.
    pub slug: Option<String>,
    /// New title.
    pub title: Option<String>,
    /// Description.
    #[graphql(validator(max_length = 4000))]
    pub description: MaybeUndefined<String>,
    /// Artwork URL.
    pub artwork_url: MaybeUndefined<String>,
    /// Start of the schedule.
    pub starts_at: MaybeUndefined<DateTime<Utc>>,
    /// End of the schedule.
    pub ends_at: MaybeUndefined<DateTime<Utc>>,
    /// Who it is for.
    pub audience: Option<AudienceInput>,
    /// Draft, published or archived.
    pub status: Option<CollectionStatus>,
}

/// A movie or collection pinned at a position of a surface.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct Placement {
    /// Opaque identifier.
    pub id: ID,
    /// HOME, RECOMMENDATIONS or GENRE:<name>.
    pub surface: String,
    /// 1-based slot: a position in a list, or a row of the home feed for a collection.
    pub position: i32,
    #[graphql(skip)]
    pub movie_id: Option<i32>,
    #[graphql(skip)]
    pub collection_id: Option<i32>,
    /// Shown from this time.
    pub starts_at: Option<DateTime<Utc>>,
    /// Shown until this time.
    pub ends_at: Option<DateTime<Utc>>,
    /// Who it is for.
    pub audience: AudienceGql,
    /// Within its schedule now.
    pub live: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

impl From<placements::Model> for Placement {
    fn from(m: placements::Model) -> Self {
        Self {
            id: ids::encode(Kind::Placement, m.id as i64),
            surface: m.surface,
            position: m.position,
            movie_id: m.movie_id,
            collection_id: m.collection_id,
            live: (Schedule {
                starts_at: m.starts_at,
                ends_at: m.ends_at,
            })
            .live(Utc::now()),
            starts_at: m.starts_at,
            ends_at: m.ends_at,
            audience: audience_of(m.audience.as_deref()).into(),
            created_at: m.created_at,
        }
    }
}

#[ComplexObject]
impl Placement {
    /// The pinned movie.
    async fn movie(&self, ctx: &Context<'_>) -> Result<Option<Movie>> {
        match self.movie_id {
            Some(m) => load_movie(ctx, m).await.map(Some),
            None => Ok(None),
        }
    }

    /// The pinned collection.
    async fn collection(&self, ctx: &Context<'_>) -> Result<Option<Collection>> {
        match self.collection_id {
            Some(c) => Ok(repo_curation::collection(&state(ctx)?.db, c)
                .await
                .gql()?
                .map(Collection::from)),
            None => Ok(None),
        }
    }
}

/// A new placement: exactly one of `movieId` and `collectionId`.
#[derive(InputObject)]
pub struct PlacementInput {
    /// HOME, RECOMMENDATIONS or GENRE:<name>.
    pub surface: String,
    /// 1-based slot (at most 100).
    pub position: i32,
    /// The movie to pin.
    pub movie_id: Option<ID>,
    /// The collection to pin.
    pub collection_id: Option<ID>,
    /// Shown from this time.
    pub starts_at: Option<DateTime<Utc>>,
    /// Shown until this time; must be after `startsAt`.
    pub ends_at: Option<DateTime<Utc>>,
    /// Who it is for (default everyone).
    pub audience: Option<AudienceInput>,
}

/// What a rule does.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum RuleKind {
    /// Multiplies matching movies' relevance by more than 1.
    Boost,
    /// Multiplies matching movies' relevance by less than 1.
    Bury,
    /// Never shows matching movies.
    Block,
}

impl RuleKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Boost => "BOOST",
            Self::Bury => "BURY",
            Self::Block => "BLOCK",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "BOOST" => Self::Boost,
            "BURY" => Self::Bury,
            _ => Self::Block,
        }
    }
}

/// A boost, bury or block rule.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct Rule {
    /// Opaque identifier.
    pub id: ID,
    /// What it does.
    pub kind: RuleKind,
    /// Relevance multiplier (> 1 boost, < 1 bury, 0 block).
    pub multiplier: f64,
    #[graphql(skip)]
    pub movie_id: Option<i32>,
    #[graphql(skip)]
    pub genre_id: Option<i32>,
    #[graphql(skip)]
    pub person_id: Option<i32>,
    /// First year of a year-range target.
    pub year_from: Option<i32>,
    /// Last year of a year-range target.
    pub year_to: Option<i32>,
    /// The surface it applies to; null for every surface.
    pub surface: Option<String>,
    /// In force from this time.
    pub starts_at: Option<DateTime<Utc>>,
    /// In force until this time.
    pub ends_at: Option<DateTime<Utc>>,
    /// Editor's note; a boost's note is shown as "Editor's pick: <note>".
    pub note: Option<String>,
    /// In force now.
    pub live: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

impl From<rules::Model> for Rule {
    fn from(m: rules::Model) -> Self {
        Self {
            id: ids::encode(Kind::Rule, m.id as i64),
            kind: RuleKind::parse(&m.kind),
            multiplier: m.multiplier,
            movie_id: m.movie_id,
            genre_id: m.genre_id,
            person_id: m.person_id,
            year_from: m.year_from,
            year_to: m.year_to,
            surface: m.surface,
            live: (Schedule {
                starts_at: m.starts_at,
                ends_at: m.ends_at,
            })
            .live(Utc::now()),
            starts_at: m.starts_at,
            ends_at: m.ends_at,
            note: m.note,
            created_at: m.created_at,
        }
    }
}

#[ComplexObject]
impl Rule {
    /// The movie it targets.
    async fn movie(&self, ctx: &Context<'_>) -> Result<Option<Movie>> {
        match self.movie_id {
            Some(m) => load_movie(ctx, m).await.map(Some),
            None => Ok(None),
        }
    }

    /// The genre it targets.
    async fn genre(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        let Some(g) = self.genre_id else {
            return Ok(None);
        };
        Ok(repo::movies::all_genres(&state(ctx)?.db)
            .await
            .gql()?
            .into_iter()
            .find(|(m, _)| m.id == g)
            .map(|(m, _)| m.name))
    }

    /// The person it targets.
    async fn person(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        let Some(p) = self.person_id else {
            return Ok(None);
        };
        Ok(repo::movies::person(&state(ctx)?.db, p)
            .await
            .gql()?
            .map(|p| Person {
                db_id: p.id,
                id: ids::encode(Kind::Person, p.id as i64),
                name: p.name,
            }))
    }
}

/// A new rule: exactly one target (`movieId`, `genre`, `personId`, or a year range).
#[derive(InputObject)]
pub struct RuleInput {
    /// What it does.
    pub kind: RuleKind,
    /// BOOST: > 1 (default 1.5, at most 10); BURY: between 0 and 1 (default 0.5); ignored for
    /// BLOCK.
    pub multiplier: Option<f64>,
    /// Target a movie.
    pub movie_id: Option<ID>,
    /// Target a genre, by name.
    #[graphql(validator(max_length = 64))]
    pub genre: Option<String>,
    /// Target a person (director or cast).
    pub person_id: Option<ID>,
    /// Target movies released in or after this year.
    pub year_from: Option<i32>,
    /// Target movies released in or before this year.
    pub year_to: Option<i32>,
    /// Only on this surface (default every surface).
    pub surface: Option<String>,
    /// In force from this time.
    pub starts_at: Option<DateTime<Utc>>,
    /// In force until this time; must be after `startsAt`.
    pub ends_at: Option<DateTime<Utc>>,
    /// Editor's note.
    #[graphql(validator(max_length = 200))]
    pub note: Option<String>,
}

/// A surface's diversity settings.
#[derive(SimpleObject, Clone)]
#[graphql(name = "DiversitySettings")]
pub struct DiversitySettingsGql {
    /// HOME, RECOMMENDATIONS or GENRE:<name>.
    pub surface: String,
    /// At most this many movies of one genre in any 10 consecutive positions.
    pub max_per_genre: Option<i32>,
    /// MMR trade-off: 1 = relevance only, 0 = diversity only.
    pub mmr_lambda: f64,
    /// 0–1: how strongly the genre mix follows the user's history (Steck 2018).
    pub calibration: f64,
    /// At least this many distinct genres in the first 10 positions.
    pub min_genres: Option<i32>,
    /// 0–1: weight on less popular titles.
    pub novelty_weight: f64,
    /// When they last changed.
    pub updated_at: Option<DateTime<Utc>>,
}

impl From<diversity_settings::Model> for DiversitySettingsGql {
    fn from(m: diversity_settings::Model) -> Self {
        Self {
            surface: m.surface,
            max_per_genre: m.max_per_genre,
            mmr_lambda: m.mmr_lambda,
            calibration: m.calibration,
            min_genres: m.min_genres,
            novelty_weight: m.novelty_weight,
            updated_at: Some(m.updated_at),
        }
    }
}

/// New diversity settings for a surface; omitted fields take their neutral defaults.
#[derive(InputObject)]
pub struct DiversitySettingsInput {
    /// HOME, RECOMMENDATIONS or GENRE:<name>.
    pub surface: String,
    /// At least 1.
    pub max_per_genre: Option<i32>,
    /// 0–1 (default 1).
    pub mmr_lambda: Option<f64>,
    /// 0–1 (default 0).
    pub calibration: Option<f64>,
    /// 1–10.
    pub min_genres: Option<i32>,
    /// 0–1 (default 0).
    pub novelty_weight: Option<f64>,
}

/// Curation queries.
#[derive(Default)]
pub struct CurationQuery;

#[Object]
impl CurationQuery {
    /// A collection by slug. Anyone sees published collections within their schedule; editors
    /// and admins see every collection. Otherwise NOT_FOUND.
    async fn collection(&self, ctx: &Context<'_>, slug: String) -> Result<Collection> {
        let c = repo_curation::collection_by_slug(&state(ctx)?.db, slug.trim())
            .await
            .gql()?
            .map(Collection::from)
            .filter(|c| c.live || is_curator(ctx))
            .ok_or(AppError::NotFound("collection"))
            .gql()?;
        Ok(c)
    }

    /// Collections, most recently changed first. Anyone sees published collections within
    /// their schedule; editors and admins see all, optionally of one status.
    async fn collections(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        status: Option<CollectionStatus>,
    ) -> Result<Page<Collection>> {
        let (offset, limit) = page_args(first, after.as_deref()).gql()?;
        let db = &state(ctx)?.db;
        if is_curator(ctx) {
            let st = status.map(|s| [s.as_str()]);
            let (rows, total) =
                repo_curation::list_collections(db, st.as_ref().map(|s| &s[..]), offset, limit)
                    .await
                    .gql()?;
            return Ok(page(
                rows.into_iter().map(Collection::from).collect(),
                offset,
                total,
            ));
        }
        if status.is_some_and(|s| s != CollectionStatus::Published) {
            return Err(AppError::Forbidden.extend());
        }
        // Few collections are published at once: filter the schedule in memory.
        let (rows, _) = repo_curation::list_collections(db, Some(&["PUBLISHED"]), 0, 10_000)
            .await
            .gql()?;
        let live: Vec<Collection> = rows
            .into_iter()
            .map(Collection::from)
            .filter(|c| c.live)
            .collect();
        let total = live.len() as u64;
        Ok(page(
            live.into_iter()
                .skip(offset as usize)
                .take(limit as usize)
                .collect(),
            offset,
            total,
        ))
    }

    /// Placements, optionally of one surface, by surface and position (editors, admins).
    #[graphql(guard = "RoleGuard::staff(&[Role::Editor])")]
    async fn placements(
        &self,
        ctx: &Context<'_>,
        surface: Option<String>,
    ) -> Result<Vec<Placement>> {
        let s = surface.as_deref().map(self::surface).transpose()?;
        Ok(
            repo_curation::placements(&state(ctx)?.db, s.as_ref().map(|s| s.key()).as_deref())
                .await
                .gql()?
                .into_iter()
                .map(Placement::from)
                .collect(),
        )
    }

    /// Boost, bury and block rules, oldest first (editors, admins).
    #[graphql(guard = "RoleGuard::staff(&[Role::Editor])")]
    async fn rules(&self, ctx: &Context<'_>) -> Result<Vec<Rule>> {
        Ok(repo_curation::rules(&state(ctx)?.db)
            .await
            .gql()?
            .into_iter()
            .map(Rule::from)
            .collect())
    }

    /// The diversity settings of every surface that has them (editors, admins).
    #[graphql(guard = "RoleGuard::staff(&[Role::Editor])")]
    async fn diversity_settings(&self, ctx: &Context<'_>) -> Result<Vec<DiversitySettingsGql>> {
        Ok(repo_curation::diversity(&state(ctx)?.db)
            .await
            .gql()?
            .into_iter()
            .map(DiversitySettingsGql::from)
            .collect())
    }
}

/// Curation changes (editors, admins).
#[derive(Default)]
pub struct CurationMutation;

async fn collection_or_404<C: ConnectionTrait>(db: &C, id: &ID) -> Result<collections::Model> {
    let id = ids::decode(Kind::Collection, id).gql()?;
    repo_curation::collection(db, id)
        .await
        .gql()?
        .ok_or(AppError::NotFound("collection"))
        .gql()
}

async fn slug_free<C: ConnectionTrait>(db: &C, slug: &str, except: Option<i32>) -> Result<()> {
    if let Some(c) = repo_curation::collection_by_slug(db, slug).await.gql()? {
        if Some(c.id) != except {
            return Err(AppError::Conflict(format!("slug {slug} is taken")).extend());
        }
    }
    Ok(())
}

#[Object]
impl CurationMutation {
    /// Creates a collection as a draft. A taken slug is CONFLICT; an unknown movie is
    /// BAD_USER_INPUT.
    #[graphql(guard = "RoleGuard::staff(&[Role::Editor])")]
    async fn create_collection(
        &self,
        ctx: &Context<'_>,
        input: CollectionInput,
    ) -> Result<Collection> {
        let (sid, role) = curator(ctx)?;
        let slug = check_slug(&input.slug)?;
        let title = check_title(&input.title)?;
        let artwork_url = check_url(input.artwork_url)?;
        let sched = schedule(input.starts_at, input.ends_at)?;
        let audience = audience_from(input.audience)?;
        let st = state(ctx)?;
        let txn = st.db.begin().await.gql()?;
        let movies = known_movies(&txn, &input.movie_ids.unwrap_or_default()).await?;
        slug_free(&txn, &slug, None).await?;
        let c = repo_curation::create_collection(
            &txn,
            NewCollection {
                slug,
                title,
                description: input.description,
                artwork_url,
                starts_at: sched.starts_at,
                ends_at: sched.ends_at,
                audience: serde_json::to_string(&audience).unwrap_or_default(),
            },
        )
        .await
        .gql()?;
        repo_curation::set_items(&txn, c.id, &movies).await.gql()?;
        commit_audited(
            st,
            txn,
            &staff_actor(sid, role),
            "collection.create",
            Some(("collection", c.id.to_string())),
            serde_json::json!({ "slug": c.slug, "movies": movies.len() }),
        )
        .await?;
        Ok(c.into())
    }

    /// Changes a collection's details, schedule, audience or status.
    #[graphql(guard = "RoleGuard::staff(&[Role::Editor])")]
    async fn update_collection(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: CollectionPatchInput,
    ) -> Result<Collection> {
        let (sid, role) = curator(ctx)?;
        let st = state(ctx)?;
        let txn = st.db.begin().await.gql()?;
        let c = collection_or_404(&txn, &id).await?;
        let starts_at = match input.starts_at {
            MaybeUndefined::Undefined => c.starts_at,
            MaybeUndefined::Null => None,
            MaybeUndefined::Value(v) => Some(v),
        };
        let ends_at = match input.ends_at {
            MaybeUndefined::Undefined => c.ends_at,
            MaybeUndefined::Null => None,
            MaybeUndefined::Value(v) => Some(v),
        };
        schedule(starts_at, ends_at)?;
        let mut changed = vec![];
        let cid = c.id;
        let mut am: collections::ActiveModel = c.into();
        if let Some(s) = input.slug {
            let s = check_slug(&s)?;
            slug_free(&txn, &s, Some(cid)).await?;
            am.slug = Set(s);
            changed.push("slug");
        }
        if let Some(t) = input.title {
            am.title = Set(check_title(&t)?);
            changed.push("title");
        }
        match input.description {
            MaybeUndefined::Undefined => {}
            MaybeUndefined::Null => {
                am.description = Set(None);
                changed.push("description");
            }
            MaybeUndefined::Value(d) => {
                am.description = Set(Some(d));
                changed.push("description");
            }
        }
        match input.artwork_url {
            MaybeUndefined::Undefined => {}
            MaybeUndefined::Null => {
                am.artwork_url = Set(None);
                changed.push("artworkUrl");
            }
            MaybeUndefined::Value(u) => {
                am.artwork_url = Set(check_url(Some(u))?);
                changed.push("artworkUrl");
            }
        }
        am.starts_at = Set(starts_at);
        am.ends_at = Set(ends_at);
        if let Some(a) = input.audience {
            am.audience = Set(Some(
                serde_json::to_string(&audience_from(Some(a))?).unwrap_or_default(),
            ));
            changed.push("audience");
        }
        if let Some(s) = input.status {
            am.status = Set(s.as_str().to_owned());
            changed.push("status");
        }
        let c = repo_curation::save_collection(&txn, am).await.gql()?;
        commit_audited(
            st,
            txn,
            &staff_actor(sid, role),
            "collection.update",
            Some(("collection", c.id.to_string())),
            serde_json::json!({ "changed": changed }),
        )
        .await?;
        Ok(c.into())
    }

    /// Replaces a collection's movies with these, in this order (to reorder, send the new
    /// order). An unknown or repeated movie is BAD_USER_INPUT and nothing changes.
    #[graphql(guard = "RoleGuard::staff(&[Role::Editor])")]
    async fn set_collection_movies(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(validator(max_items = 500))] movie_ids: Vec<ID>,
    ) -> Result<Collection> {
        let (sid, role) = curator(ctx)?;
        let st = state(ctx)?;
        let txn = st.db.begin().await.gql()?;
        let c = collection_or_404(&txn, &id).await?;
        let movies = known_movies(&txn, &movie_ids).await?;
        repo_curation::set_items(&txn, c.id, &movies).await.gql()?;
        let c = repo_curation::save_collection(&txn, c.into()).await.gql()?;
        commit_audited(
            st,
            txn,
            &staff_actor(sid, role),
            "collection.movies",
            Some(("collection", c.id.to_string())),
            serde_json::json!({ "movies": movies.len() }),
        )
        .await?;
        Ok(c.into())
    }

    /// Publishes a collection: it is shown to its audience within its schedule.
    #[graphql(guard = "RoleGuard::staff(&[Role::Editor])")]
    async fn publish_collection(&self, ctx: &Context<'_>, id: ID) -> Result<Collection> {
        set_status(ctx, &id, CollectionStatus::Published).await
    }

    /// Archives a collection: it is no longer shown.
    #[graphql(guard = "RoleGuard::staff(&[Role::Editor])")]
    async fn archive_collection(&self, ctx: &Context<'_>, id: ID) -> Result<Collection> {
        set_status(ctx, &id, CollectionStatus::Archived).await
    }

    /// Pins a movie or a collection at a position of a surface.
    #[graphql(guard = "RoleGuard::staff(&[Role::Editor])")]
    async fn create_placement(
        &self,
        ctx: &Context<'_>,
        input: PlacementInput,
    ) -> Result<Placement> {
        let (sid, role) = curator(ctx)?;
        let surface = surface(&input.surface)?;
        if !(1..=100).contains(&input.position) {
            return Err(AppError::bad_input("position must be between 1 and 100").extend());
        }
        let sched = schedule(input.starts_at, input.ends_at)?;
        let audience = audience_from(input.audience)?;
        let st = state(ctx)?;
        let txn = st.db.begin().await.gql()?;
        let (movie_id, collection_id) = match (&input.movie_id, &input.collection_id) {
            (Some(m), None) => (
                Some(known_movies(&txn, std::slice::from_ref(m)).await?[0]),
                None,
            ),
            (None, Some(c)) => (None, Some(collection_or_404(&txn, c).await?.id)),
            _ => {
                return Err(
                    AppError::bad_input("give exactly one of movieId and collectionId").extend(),
                )
            }
        };
        let p = repo_curation::create_placement(
            &txn,
            placements::ActiveModel {
                surface: Set(surface.key()),
                position: Set(input.position),
                movie_id: Set(movie_id),
                collection_id: Set(collection_id),
                starts_at: Set(sched.starts_at),
                ends_at: Set(sched.ends_at),
                audience: Set(Some(serde_json::to_string(&audience).unwrap_or_default())),
                created_at: Set(Utc::now()),
                ..Default::default()
            },
        )
        .await
        .gql()?;
        commit_audited(
            st,
            txn,
            &staff_actor(sid, role),
            "placement.create",
            Some(("placement", p.id.to_string())),
            serde_json::json!({ "surface": p.surface, "position": p.position,
                "movieId": movie_id, "collectionId": collection_id }),
        )
        .await?;
        Ok(p.into())
    }

    /// Removes a placement; false when there was none.
    #[graphql(guard = "RoleGuard::staff(&[Role::Editor])")]
    async fn delete_placement(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let (sid, role) = curator(ctx)?;
        let id = ids::decode(Kind::Placement, &id).gql()?;
        let st = state(ctx)?;
        let txn = st.db.begin().await.gql()?;
        let gone = repo_curation::delete_placement(&txn, id).await.gql()?;
        if gone {
            commit_audited(
                st,
                txn,
                &staff_actor(sid, role),
                "placement.delete",
                Some(("placement", id.to_string())),
                serde_json::json!({}),
            )
            .await?;
        }
        Ok(gone)
    }

    /// Adds a boost, bury or block rule.
    #[graphql(guard = "RoleGuard::staff(&[Role::Editor])")]
    async fn create_rule(&self, ctx: &Context<'_>, input: RuleInput) -> Result<Rule> {
        let (sid, role) = curator(ctx)?;
        let multiplier = match (input.kind, input.multiplier) {
            (RuleKind::Block, _) => 0.0,
            (RuleKind::Boost, None) => 1.5,
            (RuleKind::Bury, None) => 0.5,
            (RuleKind::Boost, Some(m)) if m > 1.0 && m <= 10.0 => m,
            (RuleKind::Bury, Some(m)) if m > 0.0 && m < 1.0 => m,
            (RuleKind::Boost, Some(_)) => {
                return Err(AppError::bad_input(
                    "a boost multiplier must be above 1 and at most 10",
                )
                .extend())
            }
            (RuleKind::Bury, Some(_)) => {
                return Err(
                    AppError::bad_input("a bury multiplier must be between 0 and 1").extend(),
                )
            }
        };
        let surface = input.surface.as_deref().map(surface).transpose()?;
        let sched = schedule(input.starts_at, input.ends_at)?;
        if let (Some(a), Some(b)) = (input.year_from, input.year_to) {
            if a > b {
                return Err(AppError::bad_input("yearFrom must not be after yearTo").extend());
            }
        }
        let targets = [
            input.movie_id.is_some(),
            input.genre.is_some(),
            input.person_id.is_some(),
            input.year_from.is_some() || input.year_to.is_some(),
        ]
        .iter()
        .filter(|t| **t)
        .count();
        if targets != 1 {
            return Err(AppError::bad_input(
                "give exactly one target: movieId, genre, personId or a year range",
            )
            .extend());
        }
        let st = state(ctx)?;
        let txn = st.db.begin().await.gql()?;
        let movie_id = match &input.movie_id {
            Some(m) => Some(known_movies(&txn, std::slice::from_ref(m)).await?[0]),
            None => None,
        };
        let genre_id = match &input.genre {
            Some(g) => Some(
                repo::movies::all_genres(&txn)
                    .await
                    .gql()?
                    .into_iter()
                    .find(|(m, _)| m.name.eq_ignore_ascii_case(g.trim()))
                    .map(|(m, _)| m.id)
                    .ok_or_else(|| AppError::bad_input(format!("unknown genre {g}")))
                    .gql()?,
            ),
            None => None,
        };
        let person_id = match &input.person_id {
            Some(p) => {
                let id = ids::decode(Kind::Person, p).gql()?;
                repo::movies::person(&txn, id)
                    .await
                    .gql()?
                    .ok_or_else(|| AppError::bad_input(format!("unknown person {}", p.as_str())))
                    .gql()?;
                Some(id)
            }
            None => None,
        };
        let note = input
            .note
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty());
        let r = repo_curation::create_rule(
            &txn,
            rules::ActiveModel {
                kind: Set(input.kind.as_str().to_owned()),
                multiplier: Set(multiplier),
                movie_id: Set(movie_id),
                genre_id: Set(genre_id),
                person_id: Set(person_id),
                year_from: Set(input.year_from),
                year_to: Set(input.year_to),
                surface: Set(surface.map(|s| s.key())),
                starts_at: Set(sched.starts_at),
                ends_at: Set(sched.ends_at),
                note: Set(note),
                created_at: Set(Utc::now()),
                ..Default::default()
            },
        )
        .await
        .gql()?;
        commit_audited(
            st,
            txn,
            &staff_actor(sid, role),
            "rule.create",
            Some(("rule", r.id.to_string())),
            serde_json::json!({ "kind": r.kind, "multiplier": r.multiplier }),
        )
        .await?;
        Ok(r.into())
    }

    /// Removes a rule; false when there was none.
    #[graphql(guard = "RoleGuard::staff(&[Role::Editor])")]
    async fn delete_rule(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let (sid, role) = curator(ctx)?;
        let id = ids::decode(Kind::Rule, &id).gql()?;
        let st = state(ctx)?;
        let txn = st.db.begin().await.gql()?;
        let gone = repo_curation::delete_rule(&txn, id).await.gql()?;
        if gone {
            commit_audited(
                st,
                txn,
                &staff_actor(sid, role),
                "rule.delete",
                Some(("rule", id.to_string())),
                serde_json::json!({}),
            )
            .await?;
        }
        Ok(gone)
    }

    /// Sets a surface's diversity settings (replacing the old ones).
    #[graphql(guard = "RoleGuard::staff(&[Role::Editor])")]
    async fn set_diversity_settings(
        &self,
        ctx: &Context<'_>,
        input: DiversitySettingsInput,
    ) -> Result<DiversitySettingsGql> {
        let (sid, role) = curator(ctx)?;
        let surface = surface(&input.surface)?;
        let d = cur::DiversitySettings {
            max_per_genre: input.max_per_genre.map(|m| u32::try_from(m).unwrap_or(0)),
            mmr_lambda: input.mmr_lambda.unwrap_or(1.0),
            calibration: input.calibration.unwrap_or(0.0),
            min_genres: input.min_genres.map(|m| u32::try_from(m).unwrap_or(0)),
            novelty_weight: input.novelty_weight.unwrap_or(0.0),
        };
        d.validate().map_err(|e| AppError::bad_input(e).extend())?;
        let st = state(ctx)?;
        let txn = st.db.begin().await.gql()?;
        let m = repo_curation::upsert_diversity(
            &txn,
            diversity_settings::Model {
                id: 0,
                surface: surface.key(),
                max_per_genre: input.max_per_genre,
                mmr_lambda: d.mmr_lambda,
                calibration: d.calibration,
                min_genres: input.min_genres,
                novelty_weight: d.novelty_weight,
                updated_at: Utc::now(),
            },
        )
        .await
        .gql()?;
        commit_audited(
            st,
            txn,
            &staff_actor(sid, role),
            "diversity.set",
            Some(("surface", m.surface.clone())),
            serde_json::json!({ "maxPerGenre": m.max_per_genre, "mmrLambda": m.mmr_lambda,
                "calibration": m.calibration, "minGenres": m.min_genres,
                "noveltyWeight": m.novelty_weight }),
        )
        .await?;
        Ok(m.into())
    }
}

/// Ends a curation change: appends its audit entry in the same transaction, commits, and
/// makes the next request load the new curation.
async fn commit_audited(
    st: &AppState,
    txn: sea_orm::DatabaseTransaction,
    actor: &audit::Actor,
    action: &str,
    target: Option<(&str, String)>,
    details: serde_json::Value,
) -> Result<()> {
    audit::append(&txn, actor, action, target, details)
        .await
        .gql()?;
    txn.commit().await.gql()?;
    st.curation_changed();
    Ok(())
}

async fn set_status(ctx: &Context<'_>, id: &ID, status: CollectionStatus) -> Result<Collection> {
    let (sid, role) = curator(ctx)?;
    let st = state(ctx)?;
    let txn = st.db.begin().await.gql()?;
    let c = collection_or_404(&txn, id).await?;
    let mut am: collections::ActiveModel = c.into();
    am.status = Set(status.as_str().to_owned());
    let c = repo_curation::save_collection(&txn, am).await.gql()?;
    commit_audited(
        st,
        txn,
        &staff_actor(sid, role),
        if status == CollectionStatus::Published {
            "collection.publish"
        } else {
            "collection.archive"
        },
        Some(("collection", c.id.to_string())),
        serde_json::json!({}),
    )
    .await?;
    Ok(c.into())
}
