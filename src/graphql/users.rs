//! End users: `me` for the token's user, `user`/`users` for staff allowed to see users' data.
use super::vocab::{AgeBand, Gender};
use async_graphql::{ComplexObject, Context, InputObject, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::feedback::Event;
use super::ids::{self, Kind};
use super::pagination::{page, Page, Window};
use super::ratings::Rating;
use super::state;
use crate::app::users::{self, ProfileUpdate};
use crate::auth::{require_user, require_user_row, Role, RoleGuard};
use crate::db::entities;
use crate::db::repo;
use crate::error::GqlResult;

/// An end user of a frontend app.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct User {
    #[graphql(skip)]
    pub db_id: i32,
    /// Opaque identifier.
    pub id: ID,
    /// The identity provider's subject (the token's `sub`), e.g. a MovieLens user id.
    pub external_id: String,
    /// Name to show.
    pub display_name: Option<String>,
    /// Age band.
    pub age_band: Option<AgeBand>,
    /// Gender.
    pub gender: Option<Gender>,
    /// Occupation.
    pub occupation: Option<String>,
    /// Country (ISO 3166-1 alpha-2).
    pub country: Option<String>,
    /// Whether recommendations may be personalised and the user's data used for training.
    pub personalization_consent: bool,
    /// When the user was first seen.
    pub created_at: DateTime<Utc>,
}

impl From<entities::users::Model> for User {
    fn from(u: entities::users::Model) -> Self {
        Self {
            db_id: u.id,
            id: ids::encode(Kind::User, u.id as i64),
            external_id: u.external_id,
            display_name: u.display_name,
            age_band: u.age_band.as_deref().and_then(AgeBand::from_stored),
            gender: u.gender.as_deref().and_then(Gender::from_stored),
            occupation: u.occupation,
            country: u.country,
            personalization_consent: u.personalization_consent,
            created_at: u.created_at,
        }
    }
}

#[ComplexObject]
impl User {
    /// The user's ratings, most recently changed first.
    #[graphql(complexity = "crate::graphql::limits::list(1, first.or(last), 20, child_complexity)")]
    async fn ratings(
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
    ) -> Result<Page<Rating>> {
        let (offset, limit) = Window::new(first, after.as_deref(), last, before.as_deref())
            .gql()?
            .resolve(|| async {
                repo::ratings::for_user(&state(ctx)?.db, self.db_id, 0, 0)
                    .await
                    .map(|(_, total)| total)
                    .gql()
            })
            .await?;
        let (rows, total) = repo::ratings::for_user(&state(ctx)?.db, self.db_id, offset, limit)
            .await
            .gql()?;
        Ok(page(
            rows.into_iter().map(Rating::from).collect(),
            offset,
            total,
        ))
    }

    /// The user's most recent viewing and feedback events, newest first (default 20, at most 100).
    #[graphql(complexity = "crate::graphql::limits::list(1, first, 20, child_complexity)")]
    async fn recent_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            validator(minimum = 1, maximum = 100),
            desc = "How many items to return (1–100; default 20)."
        )]
        first: Option<i32>,
    ) -> Result<Vec<Event>> {
        let rows =
            repo::events::recent_for_user(&state(ctx)?.db, self.db_id, first.unwrap_or(20) as u64)
                .await
                .gql()?;
        rows.into_iter()
            .map(Event::try_from)
            .collect::<Result<_, _>>()
            .gql()
    }
}

/// Queries about users.
#[derive(Default)]
pub struct UserQuery;

#[Object]
impl UserQuery {
    /// The token's own user.
    #[graphql(guard = "RoleGuard::User")]
    async fn me(&self, ctx: &Context<'_>) -> Result<User> {
        Ok((*require_user_row(ctx)?).clone().into())
    }

    /// One user by id (compliance and admins).
    #[graphql(guard = "RoleGuard::staff(&[Role::Compliance])")]
    async fn user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user's opaque id.")] id: ID,
    ) -> Result<Option<User>> {
        let id = ids::decode(Kind::User, &id).gql()?;
        Ok(repo::users::get(&state(ctx)?.db, id)
            .await
            .gql()?
            .map(User::from))
    }

    /// Users by id, optionally those whose external id starts with `search` (compliance and admins).
    #[graphql(
        guard = "RoleGuard::staff(&[Role::Compliance])",
        complexity = "crate::graphql::limits::list(1, first.or(last), 20, child_complexity)"
    )]
    async fn users(
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
            validator(max_length = 200),
            desc = "Only users whose external id starts with this text (at most 200 characters; empty matches everyone)."
        )]
        search: Option<String>,
    ) -> Result<Page<User>> {
        let (offset, limit) = Window::new(first, after.as_deref(), last, before.as_deref())
            .gql()?
            .resolve(|| async {
                repo::users::list(&state(ctx)?.db, search.as_deref(), 0, 0)
                    .await
                    .map(|(_, total)| total)
                    .gql()
            })
            .await?;
        let (rows, total) = repo::users::list(&state(ctx)?.db, search.as_deref(), offset, limit)
            .await
            .gql()?;
        Ok(page(
            rows.into_iter().map(User::from).collect(),
            offset,
            total,
        ))
    }
}

/// Changes to the token user's own profile; omitted fields stay, `null` clears.
#[derive(InputObject, Default)]
pub struct UpdateMyProfileInput {
    /// Name to show (1–100 characters).
    pub display_name: Option<Option<String>>,
    /// Age band.
    pub age_band: Option<Option<AgeBand>>,
    /// Gender.
    pub gender: Option<Option<Gender>>,
    /// Occupation (1–64 characters).
    pub occupation: Option<Option<String>>,
    /// Country, ISO 3166-1 alpha-2 (two letters).
    pub country: Option<Option<String>>,
    /// Whether recommendations may be personalised and the data used for training.
    pub personalization_consent: Option<bool>,
}

impl From<UpdateMyProfileInput> for ProfileUpdate {
    fn from(i: UpdateMyProfileInput) -> Self {
        Self {
            display_name: i.display_name,
            age_band: i.age_band.map(|b| b.map(AgeBand::stored)),
            gender: i.gender.map(|g| g.map(Gender::stored)),
            occupation: i.occupation,
            country: i.country,
            personalization_consent: i.personalization_consent,
        }
    }
}

/// Changes to the token user's own data.
#[derive(Default)]
pub struct UserMutation;

#[Object]
impl UserMutation {
    /// Updates the token user's optional demographics and personalisation consent.
    #[graphql(guard = "RoleGuard::User")]
    async fn update_my_profile(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The changes to make; omitted fields stay as they are, and `null` clears the display name or a demographic field."
        )]
        input: UpdateMyProfileInput,
    ) -> Result<UpdateMyProfilePayload> {
        let (id, _) = require_user(ctx)?;
        let u = users::update_profile(state(ctx)?, id, input.into())
            .await
            .gql()?;
        Ok(UpdateMyProfilePayload { user: u.into() })
    }
}

/// The result of `updateMyProfile`.
#[derive(SimpleObject)]
pub struct UpdateMyProfilePayload {
    /// The token's user as they now are.
    pub user: User,
}
