//! Relay's object identification: the `Node` interface, `node(id:)` and `nodes(ids:)`. Every
//! id is already global (`base64url("Kind:123")`), so any object a client holds an id of can be
//! fetched again, with the same rights as through its own query.
use async_graphql::{Context, Guard, Interface, Object, Result, ID};

use super::curation::Collection;
use super::experiments::Experiment;
use super::ids::{self, Kind};
use super::movies::{Movie, Person};
use super::privacy::DeletionRequest;
use super::users::User;
use super::{is_staff, state};
use crate::auth::{Principal, Role, RoleGuard};
use crate::db::repo;
use crate::error::{AppError, GqlResult};

/// The most ids one `nodes` call takes.
pub const MAX_NODES: usize = 100;

/// An object with a global id, which `node(id:)` fetches again.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "&ID", desc = "The object's opaque global id."))]
pub enum Node {
    Movie(Movie),
    Person(Person),
    Collection(Collection),
    Experiment(Experiment),
    DeletionRequest(DeletionRequest),
    User(User),
}

fn principal<'a>(ctx: &'a Context<'_>) -> Option<&'a Principal> {
    ctx.data_opt::<Principal>()
}

fn own_user_id(ctx: &Context<'_>) -> Option<i32> {
    match principal(ctx) {
        Some(Principal::User { id, .. }) => Some(*id),
        _ => None,
    }
}

/// One object by its global id, with the rights of the query that serves its kind.
async fn fetch(ctx: &Context<'_>, id: &ID) -> Result<Option<Node>> {
    let Some((kind, n)) = ids::decode_any(id) else {
        return Err(AppError::bad_input("not an id of this API")).gql();
    };
    let db = &state(ctx)?.db;
    Ok(match kind {
        Kind::Movie => repo::movies::get(db, n, is_staff(ctx, &[Role::Editor]))
            .await
            .gql()?
            .map(|m| Node::Movie(Movie::from(m))),
        Kind::Person => repo::movies::person(db, n)
            .await
            .gql()?
            .map(|p| Node::Person(Person::from(p))),
        Kind::Collection => repo::curation::collection(db, n)
            .await
            .gql()?
            .map(Collection::from)
            .filter(|c| c.live || is_staff(ctx, &[Role::Editor]))
            .map(Node::Collection),
        Kind::Experiment => {
            RoleGuard::staff(&[Role::Editor]).check(ctx).await?;
            crate::app::experiments::get(state(ctx)?, n)
                .await
                .gql()?
                .map(|e| Node::Experiment(Experiment::from(e)))
        }
        Kind::DeletionRequest => {
            let r = repo::privacy::get_request(db, n).await.gql()?;
            match r {
                Some(r)
                    if is_staff(ctx, &[Role::Compliance])
                        || (own_user_id(ctx).is_some() && own_user_id(ctx) == r.user_id) =>
                {
                    Some(Node::DeletionRequest(DeletionRequest::from(r)))
                }
                Some(_) if principal(ctx).is_none_or(|p| matches!(p, Principal::Anonymous)) => {
                    return Err(AppError::Unauthenticated).gql()
                }
                Some(_) => return Err(AppError::Forbidden).gql(),
                None => None,
            }
        }
        Kind::User => {
            if !(is_staff(ctx, &[Role::Compliance]) || own_user_id(ctx) == Some(n)) {
                return Err(match principal(ctx) {
                    Some(Principal::User { .. } | Principal::Staff { .. }) => AppError::Forbidden,
                    _ => AppError::Unauthenticated,
                })
                .gql();
            }
            repo::users::get(db, n)
                .await
                .gql()?
                .map(|u| Node::User(User::from(u)))
        }
        // Kinds reached only through their parents (ratings, events, rules, …) are not
        // fetched on their own.
        _ => None,
    })
}

/// `node` and `nodes`.
#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Any object by its global id (movies, people, collections, experiments, deletion
    /// requests, users), with the same rights as its own query. Null when there is none or
    /// the caller may not see it, FORBIDDEN or UNAUTHENTICATED where its query says so.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The object's opaque global id, as any `id` field returns it.")] id: ID,
    ) -> Result<Option<Node>> {
        fetch(ctx, &id).await
    }

    /// Objects by their global ids, in the order asked (at most 100); each is null where
    /// `node` would be.
    #[graphql(complexity = "ids.len() * child_complexity")]
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Opaque global ids (at most 100).")] ids: Vec<ID>,
    ) -> Result<Vec<Option<Node>>> {
        if ids.len() > MAX_NODES {
            return Err(AppError::bad_input(format!(
                "nodes takes at most {MAX_NODES} ids; {} were sent",
                ids.len()
            )))
            .gql();
        }
        let mut out = Vec::with_capacity(ids.len());
        for id in &ids {
            out.push(fetch(ctx, id).await?);
        }
        Ok(out)
    }
}
