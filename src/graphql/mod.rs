//! The GraphQL API: one module per domain, merged into one schema.
pub mod admin;
pub mod curation;
pub mod experiments;
pub mod feedback;
pub mod handler;
pub mod ids;
pub mod limits;
pub mod loaders;
pub mod movies;
pub mod node;
pub mod pagination;
pub mod persisted;
pub mod privacy;
pub mod ratings;
pub mod recommendations;
pub mod users;
pub mod vocab;

use std::sync::Arc;

use async_graphql::{Context, EmptySubscription, MergedObject, SDLExportOptions, Schema};

use crate::config::GraphqlSettings;
use crate::state::AppState;

/// All queries.
#[derive(MergedObject, Default)]
pub struct QueryRoot(
    movies::MovieQuery,
    users::UserQuery,
    recommendations::RecommendationQuery,
    admin::AdminQuery,
    privacy::PrivacyQuery,
    curation::CurationQuery,
    experiments::ExperimentQuery,
    experiments::PerformanceQuery,
    node::NodeQuery,
);

/// All mutations.
#[derive(MergedObject, Default)]
pub struct MutationRoot(
    ratings::RatingMutation,
    feedback::FeedbackMutation,
    users::UserMutation,
    movies::CatalogueMutation,
    recommendations::RecommendationMutation,
    admin::AdminMutation,
    privacy::PrivacyMutation,
    curation::CurationMutation,
    experiments::ExperimentMutation,
);

/// The schema type.
pub type MarqueeSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// Builds the schema with depth and complexity limits. Request data (state, principal,
/// loaders) is attached per request by the handler.
pub fn build_schema(limits: &GraphqlSettings) -> MarqueeSchema {
    let builder = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        EmptySubscription,
    )
    .limit_depth(limits.max_depth)
    .limit_complexity(limits.max_complexity);
    if limits.introspection {
        builder.finish()
    } else {
        builder.disable_introspection().finish()
    }
}

/// The schema's SDL, in a stable order: `schema.graphql` is this text.
pub fn sdl(schema: &MarqueeSchema) -> String {
    schema.sdl_with_options(
        SDLExportOptions::new()
            .sorted_fields()
            .sorted_arguments()
            .sorted_enum_items(),
    )
}

/// The calling staff member, as the audit log names them, when their role is one of `roles`
/// (admins always are); otherwise FORBIDDEN or UNAUTHENTICATED.
pub fn staff_actor(
    ctx: &Context<'_>,
    roles: &[crate::auth::Role],
) -> async_graphql::Result<crate::app::Actor> {
    let (id, role) = crate::auth::require_staff(ctx, roles)?;
    Ok(crate::app::staff_actor(id, role))
}

/// Whether the caller is staff with one of `roles` (admins always are).
pub fn is_staff(ctx: &Context<'_>, roles: &[crate::auth::Role]) -> bool {
    matches!(
        ctx.data_opt::<crate::auth::Principal>(),
        Some(crate::auth::Principal::Staff { role, .. }) if role.permits(roles)
    )
}

/// The shared state, from a resolver's context.
pub fn state<'a>(ctx: &'a Context<'_>) -> async_graphql::Result<&'a Arc<AppState>> {
    ctx.data::<Arc<AppState>>()
}
