//! Editorial curation over GraphQL: collections, placements (pins), boost/bury/block rules and
//! diversity settings. Reading published collections is public; every change is for editors
//! and admins, validated first, written in one transaction with its audit entry, and served on
//! the next request.
use async_graphql::{
    ComplexObject, Context, Enum, ErrorExtensions, InputObject, MaybeUndefined, Object,
    OneofObject, Result, SimpleObject, ID,
};
use chrono::{DateTime, Utc};

use super::ids::{self, Kind};
use super::movies::{load_movie, prime_movie_loaders, Movie, Person};
use super::pagination::{page, Page, Window};
use super::vocab::{AgeBand, SurfaceGql, SurfaceInput};
use super::{is_staff, staff_actor, state};
use crate::app::curation as app_curation;
use crate::auth::{Role, RoleGuard};
use crate::db::entities::{collections, diversity_settings, placements, rules};
use crate::db::repo;
use crate::db::repo::curation as repo_curation;
use crate::error::{AppError, GqlResult};
use marquee_core::serving::admission::Admission;
use marquee_core::serving::curation::{Audience, DiversitySettings, PinTarget, Schedule, Surface};

/// Where a collection stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::app::curation::CollectionStatus")]
pub enum CollectionStatus {
    /// Being prepared; only staff see it.
    Draft,
    /// Shown to its audience within its schedule.
    Published,
    /// Retired; only staff see it.
    Archived,
}

/// Who a collection or placement is for. Every given condition must hold; none means everyone.
#[derive(SimpleObject, Clone)]
#[graphql(name = "Audience")]
pub struct AudienceGql {
    /// Only users with little or no history (cold start).
    pub new_users: bool,
    /// Only users whose history leans to this genre.
    pub genre_affinity: Option<String>,
    /// Only users in one of these age bands.
    pub age_bands: Vec<AgeBand>,
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
            age_bands: a
                .age_bands
                .iter()
                .filter_map(|b| AgeBand::from_stored(b))
                .collect(),
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
    pub age_bands: Option<Vec<AgeBand>>,
    /// Only users in one of these countries (ISO 3166-1 alpha-2).
    #[graphql(validator(max_items = 50))]
    pub countries: Option<Vec<String>>,
}

impl From<AudienceInput> for Audience {
    fn from(i: AudienceInput) -> Self {
        Self {
            new_users: i.new_users.unwrap_or(false),
            genre_affinity: i.genre_affinity,
            age_bands: i
                .age_bands
                .unwrap_or_default()
                .into_iter()
                .map(AgeBand::stored)
                .collect(),
            countries: i.countries.unwrap_or_default(),
        }
    }
}

fn schedule(starts_at: Option<DateTime<Utc>>, ends_at: Option<DateTime<Utc>>) -> Schedule {
    Schedule { starts_at, ends_at }
}

fn audience(input: Option<AudienceInput>) -> Audience {
    input.map(Audience::from).unwrap_or_default()
}

fn curator(ctx: &Context<'_>) -> Result<crate::app::Actor> {
    staff_actor(ctx, &[Role::Editor])
}

fn movie_ids(raw: &[ID]) -> Result<Vec<i32>> {
    raw.iter()
        .map(|id| ids::decode(Kind::Movie, id))
        .collect::<Result<_, _>>()
        .gql()
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
        let status: CollectionStatus = app_curation::CollectionStatus::parse(&m.status).into();
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
            audience: app_curation::audience_of(m.audience.as_deref()).into(),
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
        if is_staff(ctx, &[Role::Editor]) {
            return Ok(all);
        }
        let catalogue = st.recommender.catalogue(&st.db).await.gql()?;
        let curation = st.curation().await.gql()?;
        // Collections are editorial, not personal: the rule without a viewer.
        let admission = Admission::new(&Surface::Home, Utc::now(), &curation, &catalogue);
        Ok(all.into_iter().filter(|m| admission.admits(*m)).collect())
    }
}

#[ComplexObject]
impl Collection {
    /// The movies in order. Staff see all; others only available movies that no rule blocks.
    #[graphql(complexity = "crate::graphql::limits::list(1, None, 100, child_complexity)")]
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
pub struct CreateCollectionInput {
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

/// A collection and the changes to make; omitted fields stay, `null` clears an optional one.
#[derive(InputObject)]
pub struct UpdateCollectionInput {
    /// The collection's opaque id.
    pub id: ID,
    #[graphql(flatten)]
    pub changes: CollectionPatchInput,
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
    /// Where it is shown.
    pub surface: SurfaceGql,
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
            surface: SurfaceGql::from_key(&m.surface),
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
            audience: app_curation::audience_of(m.audience.as_deref()).into(),
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

/// What a placement pins: exactly one of a movie and a collection.
#[derive(OneofObject)]
pub enum PlacementTargetInput {
    /// A movie, by opaque id.
    MovieId(ID),
    /// A collection, by opaque id; pinned as a row of the home feed.
    CollectionId(ID),
}

/// A placement's settings.
#[derive(InputObject)]
pub struct CreatePlacementInput {
    /// Where it is shown.
    pub surface: SurfaceInput,
    /// 1-based slot (at most 100).
    pub position: i32,
    /// What it pins.
    pub target: PlacementTargetInput,
    /// Shown from this time.
    pub starts_at: Option<DateTime<Utc>>,
    /// Shown until this time; must be after `startsAt`.
    pub ends_at: Option<DateTime<Utc>>,
    /// Who it is for (default everyone).
    pub audience: Option<AudienceInput>,
}

/// A placement and its new settings, which replace all the old ones.
#[derive(InputObject)]
pub struct UpdatePlacementInput {
    /// The placement's opaque id.
    pub id: ID,
    #[graphql(flatten)]
    pub settings: CreatePlacementInput,
}

/// What a rule does.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "marquee_core::serving::curation::RuleKind")]
pub enum RuleKind {
    /// Multiplies matching movies' relevance by more than 1.
    Boost,
    /// Multiplies matching movies' relevance by less than 1.
    Bury,
    /// Never shows matching movies.
    Block,
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
    pub surface: Option<SurfaceGql>,
    /// In force from this time.
    pub starts_at: Option<DateTime<Utc>>,
    /// In force until this time.
    pub ends_at: Option<DateTime<Utc>>,
    /// Internal note for editors; never shown to subscribers.
    pub note: Option<String>,
    /// A boost's public reason: its items are explained to subscribers as "Editor's pick:
    /// <reason>" ("Editor's pick" when null).
    pub reason: Option<String>,
    /// In force now.
    pub live: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

impl From<rules::Model> for Rule {
    fn from(m: rules::Model) -> Self {
        Self {
            id: ids::encode(Kind::Rule, m.id as i64),
            kind: app_curation::rule_kind(&m.kind).into(),
            multiplier: m.multiplier,
            movie_id: m.movie_id,
            genre_id: m.genre_id,
            person_id: m.person_id,
            year_from: m.year_from,
            year_to: m.year_to,
            surface: m.surface.as_deref().map(SurfaceGql::from_key),
            live: (Schedule {
                starts_at: m.starts_at,
                ends_at: m.ends_at,
            })
            .live(Utc::now()),
            starts_at: m.starts_at,
            ends_at: m.ends_at,
            note: m.note,
            reason: m.reason,
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

/// A range of release years; at least one bound.
#[derive(InputObject)]
pub struct YearRangeInput {
    /// Movies released in or after this year.
    pub from: Option<i32>,
    /// Movies released in or before this year.
    pub to: Option<i32>,
}

/// What a rule applies to: exactly one of a movie, a genre, a person or a range of years.
#[derive(OneofObject)]
pub enum RuleTargetInput {
    /// A movie, by opaque id.
    MovieId(ID),
    /// A genre, by name (at most 64 characters).
    #[graphql(validator(max_length = 64))]
    Genre(String),
    /// A person (director or cast), by opaque id.
    PersonId(ID),
    /// Movies released in a range of years.
    Years(YearRangeInput),
}

/// A rule's settings.
#[derive(InputObject)]
pub struct CreateRuleInput {
    /// What it does.
    pub kind: RuleKind,
    /// BOOST: > 1 (default 1.5, at most 10); BURY: between 0 and 1 (default 0.5); ignored for
    /// BLOCK.
    pub multiplier: Option<f64>,
    /// What it applies to.
    pub target: RuleTargetInput,
    /// Only on this surface (default every surface).
    pub surface: Option<SurfaceInput>,
    /// In force from this time.
    pub starts_at: Option<DateTime<Utc>>,
    /// In force until this time; must be after `startsAt`.
    pub ends_at: Option<DateTime<Utc>>,
    /// Internal note for editors (at most 1000 characters); never shown to subscribers.
    pub note: Option<String>,
    /// A boost's public reason, shown with its items as "Editor's pick: <reason>" (at most 80
    /// characters); refused on BURY and BLOCK, which subscribers never see.
    pub reason: Option<String>,
}

/// A rule and its new settings, which replace all the old ones.
#[derive(InputObject)]
pub struct UpdateRuleInput {
    /// The rule's opaque id.
    pub id: ID,
    #[graphql(flatten)]
    pub settings: CreateRuleInput,
}

/// A surface's diversity settings.
#[derive(SimpleObject, Clone)]
#[graphql(name = "DiversitySettings")]
pub struct DiversitySettingsGql {
    /// The surface they apply to.
    pub surface: SurfaceGql,
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
            surface: SurfaceGql::from_key(&m.surface),
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
pub struct SetDiversitySettingsInput {
    /// The surface they apply to.
    pub surface: SurfaceInput,
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
    async fn collection(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The collection's slug, matched exactly after trimming surrounding spaces."
        )]
        slug: String,
    ) -> Result<Collection> {
        let c = repo_curation::collection_by_slug(&state(ctx)?.db, slug.trim())
            .await
            .gql()?
            .map(Collection::from)
            .filter(|c| c.live || is_staff(ctx, &[Role::Editor]))
            .ok_or(AppError::NotFound("collection"))
            .gql()?;
        Ok(c)
    }

    /// Collections, most recently changed first. Anyone sees published collections within
    /// their schedule; editors and admins see all, optionally of one status.
    #[graphql(complexity = "crate::graphql::limits::list(1, first.or(last), 20, child_complexity)")]
    async fn collections(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many items to return (1–100; default 20).")] first: Option<i32>,
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
            desc = "Only collections with this status (omitted, every one the caller may see); only editors and admins may ask for a status other than PUBLISHED (FORBIDDEN otherwise)."
        )]
        status: Option<CollectionStatus>,
    ) -> Result<Page<Collection>> {
        let window = Window::new(first, after.as_deref(), last, before.as_deref()).gql()?;
        let db = &state(ctx)?.db;
        if is_staff(ctx, &[Role::Editor]) {
            let st = status.map(|s| [app_curation::CollectionStatus::from(s).as_str()]);
            let statuses = st.as_ref().map(|s| &s[..]);
            let (offset, limit) = window
                .resolve(|| async {
                    repo_curation::list_collections(db, statuses, 0, 0)
                        .await
                        .map(|(_, t)| t)
                        .gql()
                })
                .await?;
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
        const PUBLISHED: &str = app_curation::CollectionStatus::Published.as_str();
        let (rows, _) = repo_curation::list_collections(db, Some(&[PUBLISHED]), 0, 10_000)
            .await
            .gql()?;
        let live: Vec<Collection> = rows
            .into_iter()
            .map(Collection::from)
            .filter(|c| c.live)
            .collect();
        let total = live.len() as u64;
        let (offset, limit) = window.within(total);
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
        #[graphql(desc = "Only placements on this surface (omitted, every surface).")]
        surface: Option<SurfaceInput>,
    ) -> Result<Vec<Placement>> {
        let key = surface.as_ref().map(SurfaceInput::key).transpose().gql()?;
        Ok(repo_curation::placements(&state(ctx)?.db, key.as_deref())
            .await
            .gql()?
            .into_iter()
            .map(Placement::from)
            .collect())
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

/// The result of `setDiversitySettings`.
#[derive(SimpleObject)]
pub struct SetDiversitySettingsPayload {
    /// The surface's settings as they now are.
    pub diversity_settings: DiversitySettingsGql,
}

/// The collection whose status changes.
#[derive(InputObject)]
pub struct PublishCollectionInput {
    /// The collection's opaque id.
    pub id: ID,
}

/// The collection to archive.
#[derive(InputObject)]
pub struct ArchiveCollectionInput {
    /// The collection's opaque id.
    pub id: ID,
}

/// A collection and its new list of movies.
#[derive(InputObject)]
pub struct SetCollectionMoviesInput {
    /// The collection's opaque id.
    pub id: ID,
    /// The movies' opaque ids in the order to show them (at most 500, each once); an empty
    /// list empties the collection.
    #[graphql(validator(max_items = 500))]
    pub movie_ids: Vec<ID>,
}

/// The placement to remove.
#[derive(InputObject)]
pub struct DeletePlacementInput {
    /// The placement's opaque id.
    pub id: ID,
}

/// The rule to remove.
#[derive(InputObject)]
pub struct DeleteRuleInput {
    /// The rule's opaque id.
    pub id: ID,
}

/// The result of `createCollection`.
#[derive(SimpleObject)]
pub struct CreateCollectionPayload {
    /// The new collection.
    pub collection: Collection,
}

/// The result of `updateCollection`.
#[derive(SimpleObject)]
pub struct UpdateCollectionPayload {
    /// The collection as it now is.
    pub collection: Collection,
}

/// The result of `setCollectionMovies`.
#[derive(SimpleObject)]
pub struct SetCollectionMoviesPayload {
    /// The collection as it now is.
    pub collection: Collection,
}

/// The result of `publishCollection`.
#[derive(SimpleObject)]
pub struct PublishCollectionPayload {
    /// The collection as it now is.
    pub collection: Collection,
}

/// The result of `archiveCollection`.
#[derive(SimpleObject)]
pub struct ArchiveCollectionPayload {
    /// The collection as it now is.
    pub collection: Collection,
}

/// The result of `createPlacement`.
#[derive(SimpleObject)]
pub struct CreatePlacementPayload {
    /// The new placement.
    pub placement: Placement,
}

/// The result of `updatePlacement`.
#[derive(SimpleObject)]
pub struct UpdatePlacementPayload {
    /// The placement as it now is.
    pub placement: Placement,
}

/// The result of `createRule`.
#[derive(SimpleObject)]
pub struct CreateRulePayload {
    /// The new rule.
    pub rule: Rule,
}

/// The result of `updateRule`.
#[derive(SimpleObject)]
pub struct UpdateRulePayload {
    /// The rule as it now is.
    pub rule: Rule,
}

/// The result of `deletePlacement`.
#[derive(SimpleObject)]
pub struct DeletePlacementPayload {
    /// Whether a placement was removed (false when there was none).
    pub deleted: bool,
}

/// The result of `deleteRule`.
#[derive(SimpleObject)]
pub struct DeleteRulePayload {
    /// Whether a rule was removed (false when there was none).
    pub deleted: bool,
}

#[Object]
impl CurationMutation {
    /// Creates a collection as a draft. A taken slug is CONFLICT; an unknown movie is
    /// BAD_USER_INPUT.
    #[graphql(guard = "RoleGuard::staff(&[Role::Editor])")]
    async fn create_collection(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new collection, created as a draft.")] input: CreateCollectionInput,
    ) -> Result<CreateCollectionPayload> {
        let actor = curator(ctx)?;
        let new = app_curation::NewCollection {
            slug: input.slug,
            title: input.title,
            description: input.description,
            artwork_url: input.artwork_url,
            movie_ids: movie_ids(&input.movie_ids.unwrap_or_default())?,
            schedule: schedule(input.starts_at, input.ends_at),
            audience: audience(input.audience),
        };
        let c = app_curation::create_collection(state(ctx)?, actor, new)
            .await
            .gql()?;
        Ok(CreateCollectionPayload {
            collection: c.into(),
        })
    }

    /// Changes a collection's details, schedule, audience or status.
    #[graphql(guard = "RoleGuard::staff(&[Role::Editor])")]
    async fn update_collection(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The collection and the changes to make; omitted fields stay as they are, and `null` clears an optional one."
        )]
        input: UpdateCollectionInput,
    ) -> Result<UpdateCollectionPayload> {
        let actor = curator(ctx)?;
        let id = ids::decode(Kind::Collection, &input.id).gql()?;
        let input = input.changes;
        let patch = app_curation::CollectionPatch {
            slug: input.slug,
            title: input.title,
            description: input.description.into(),
            artwork_url: input.artwork_url.into(),
            starts_at: input.starts_at.into(),
            ends_at: input.ends_at.into(),
            audience: input.audience.map(Audience::from),
            status: input.status.map(Into::into),
        };
        let c = app_curation::update_collection(state(ctx)?, actor, id, patch)
            .await
            .gql()?;
        Ok(UpdateCollectionPayload {
            collection: c.into(),
        })
    }

    /// Replaces a collection's movies with these, in this order (to reorder, send the new
    /// order). An unknown or repeated movie is BAD_USER_INPUT and nothing changes.
    #[graphql(guard = "RoleGuard::staff(&[Role::Editor])")]
    async fn set_collection_movies(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The collection and its movies in order.")]
        input: SetCollectionMoviesInput,
    ) -> Result<SetCollectionMoviesPayload> {
        let actor = curator(ctx)?;
        let id = ids::decode(Kind::Collection, &input.id).gql()?;
        let movies = self::movie_ids(&input.movie_ids)?;
        let c = app_curation::set_collection_movies(state(ctx)?, actor, id, &movies)
            .await
            .gql()?;
        Ok(SetCollectionMoviesPayload {
            collection: c.into(),
        })
    }

    /// Publishes a collection: it is shown to its audience within its schedule.
    #[graphql(guard = "RoleGuard::staff(&[Role::Editor])")]
    async fn publish_collection(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The collection to publish.")] input: PublishCollectionInput,
    ) -> Result<PublishCollectionPayload> {
        let collection = set_status(ctx, &input.id, CollectionStatus::Published).await?;
        Ok(PublishCollectionPayload { collection })
    }

    /// Archives a collection: it is no longer shown.
    #[graphql(guard = "RoleGuard::staff(&[Role::Editor])")]
    async fn archive_collection(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The collection to archive.")] input: ArchiveCollectionInput,
    ) -> Result<ArchiveCollectionPayload> {
        let collection = set_status(ctx, &input.id, CollectionStatus::Archived).await?;
        Ok(ArchiveCollectionPayload { collection })
    }

    /// Pins a movie or a collection at a position of a surface.
    #[graphql(guard = "RoleGuard::staff(&[Role::Editor])")]
    async fn create_placement(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The placement: a surface, a position and what it pins (a movie or a collection)."
        )]
        input: CreatePlacementInput,
    ) -> Result<CreatePlacementPayload> {
        let actor = curator(ctx)?;
        let new = new_placement(input)?;
        let p = app_curation::create_placement(state(ctx)?, actor, new)
            .await
            .gql()?;
        Ok(CreatePlacementPayload {
            placement: p.into(),
        })
    }

    /// Replaces a placement's settings with the same checks as `createPlacement` (editors,
    /// admins); NOT_FOUND when there is none.
    #[graphql(guard = "RoleGuard::staff(&[Role::Editor])")]
    async fn update_placement(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The placement and its new settings, which replace all the old ones.")]
        input: UpdatePlacementInput,
    ) -> Result<UpdatePlacementPayload> {
        let actor = curator(ctx)?;
        let id = ids::decode(Kind::Placement, &input.id).gql()?;
        let new = new_placement(input.settings)?;
        let p = app_curation::update_placement(state(ctx)?, actor, id, new)
            .await
            .gql()?;
        Ok(UpdatePlacementPayload {
            placement: p.into(),
        })
    }

    /// Removes a placement; `deleted` is false when there was none.
    #[graphql(guard = "RoleGuard::staff(&[Role::Editor])")]
    async fn delete_placement(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The placement to remove.")] input: DeletePlacementInput,
    ) -> Result<DeletePlacementPayload> {
        let actor = curator(ctx)?;
        let id = ids::decode(Kind::Placement, &input.id).gql()?;
        let deleted = app_curation::delete_placement(state(ctx)?, actor, id)
            .await
            .gql()?;
        Ok(DeletePlacementPayload { deleted })
    }

    /// Adds a boost, bury or block rule.
    #[graphql(guard = "RoleGuard::staff(&[Role::Editor])")]
    async fn create_rule(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The rule: what it does and what it applies to.")] input: CreateRuleInput,
    ) -> Result<CreateRulePayload> {
        let actor = curator(ctx)?;
        let r = app_curation::create_rule(state(ctx)?, actor, new_rule(input)?)
            .await
            .gql()?;
        Ok(CreateRulePayload { rule: r.into() })
    }

    /// Replaces a rule's settings with the same checks as `createRule` (editors, admins);
    /// NOT_FOUND when there is none.
    #[graphql(guard = "RoleGuard::staff(&[Role::Editor])")]
    async fn update_rule(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The rule and its new settings, which replace all the old ones.")]
        input: UpdateRuleInput,
    ) -> Result<UpdateRulePayload> {
        let actor = curator(ctx)?;
        let id = ids::decode(Kind::Rule, &input.id).gql()?;
        let r = app_curation::update_rule(state(ctx)?, actor, id, new_rule(input.settings)?)
            .await
            .gql()?;
        Ok(UpdateRulePayload { rule: r.into() })
    }

    /// Removes a rule; `deleted` is false when there was none.
    #[graphql(guard = "RoleGuard::staff(&[Role::Editor])")]
    async fn delete_rule(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The rule to remove.")] input: DeleteRuleInput,
    ) -> Result<DeleteRulePayload> {
        let actor = curator(ctx)?;
        let id = ids::decode(Kind::Rule, &input.id).gql()?;
        let deleted = app_curation::delete_rule(state(ctx)?, actor, id)
            .await
            .gql()?;
        Ok(DeleteRulePayload { deleted })
    }

    /// Sets a surface's diversity settings (replacing the old ones).
    #[graphql(guard = "RoleGuard::staff(&[Role::Editor])")]
    async fn set_diversity_settings(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The surface and its new settings; omitted fields take their neutral defaults."
        )]
        input: SetDiversitySettingsInput,
    ) -> Result<SetDiversitySettingsPayload> {
        let actor = curator(ctx)?;
        let surface = input.surface.key().gql()?;
        // A negative count becomes 0, which the service refuses with the right message.
        let count = |v: Option<i32>| v.map(|m| u32::try_from(m).unwrap_or(0));
        let d = DiversitySettings {
            max_per_genre: count(input.max_per_genre),
            mmr_lambda: input.mmr_lambda.unwrap_or(1.0),
            calibration: input.calibration.unwrap_or(0.0),
            min_genres: count(input.min_genres),
            novelty_weight: input.novelty_weight.unwrap_or(0.0),
        };
        let m = app_curation::set_diversity(state(ctx)?, actor, &surface, d)
            .await
            .gql()?;
        Ok(SetDiversitySettingsPayload {
            diversity_settings: m.into(),
        })
    }
}

fn new_placement(input: CreatePlacementInput) -> Result<app_curation::NewPlacement> {
    let target = match &input.target {
        PlacementTargetInput::MovieId(m) => PinTarget::Movie(ids::decode(Kind::Movie, m).gql()?),
        PlacementTargetInput::CollectionId(c) => {
            PinTarget::Collection(ids::decode(Kind::Collection, c).gql()?)
        }
    };
    Ok(app_curation::NewPlacement {
        surface: input.surface.key().gql()?,
        position: input.position,
        target,
        schedule: schedule(input.starts_at, input.ends_at),
        audience: audience(input.audience),
    })
}

fn new_rule(input: CreateRuleInput) -> Result<app_curation::NewRule> {
    let (mut movie_id, mut genre, mut person_id, mut year_from, mut year_to) =
        (None, None, None, None, None);
    match input.target {
        RuleTargetInput::MovieId(m) => movie_id = Some(ids::decode(Kind::Movie, &m).gql()?),
        RuleTargetInput::Genre(g) => genre = Some(g),
        RuleTargetInput::PersonId(p) => person_id = Some(ids::decode(Kind::Person, &p).gql()?),
        RuleTargetInput::Years(y) => {
            if y.from.is_none() && y.to.is_none() {
                return Err(AppError::bad_input("a year range needs `from` or `to`").extend());
            }
            (year_from, year_to) = (y.from, y.to);
        }
    }
    Ok(app_curation::NewRule {
        kind: input.kind.into(),
        multiplier: input.multiplier,
        movie_id,
        genre,
        person_id,
        year_from,
        year_to,
        surface: input
            .surface
            .as_ref()
            .map(SurfaceInput::key)
            .transpose()
            .gql()?,
        schedule: schedule(input.starts_at, input.ends_at),
        note: input.note,
        reason: input.reason,
    })
}

async fn set_status(ctx: &Context<'_>, id: &ID, status: CollectionStatus) -> Result<Collection> {
    let actor = curator(ctx)?;
    let id = ids::decode(Kind::Collection, id).gql()?;
    let c = app_curation::set_collection_status(state(ctx)?, actor, id, status.into())
        .await
        .gql()?;
    Ok(c.into())
}
