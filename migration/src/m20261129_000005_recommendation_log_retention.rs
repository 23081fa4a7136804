//! Recommendation logs are pruned by age (retention): an index on their creation time keeps
//! the pruning step from scanning the whole table.
use crate::index;
use crate::m20261122_000002_create_users_and_feedback::RecommendationLogs;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const NAME: &str = "idx_recommendation_logs_created";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(index(
            NAME,
            RecommendationLogs::Table,
            vec![RecommendationLogs::CreatedAt.into_iden()],
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name(NAME)
                .table(RecommendationLogs::Table)
                .if_exists()
                .to_owned(),
        )
        .await
    }
}
