//! Experiments: each splits a surface's users between 2–5 variants (the definition is kept as
//! JSON: names, traffic shares, serving configurations), with a lifecycle (DRAFT → RUNNING →
//! STOPPED) and a salt that makes the assignment deterministic. A served list records each
//! experiment and variant it was served in (`recommendation_list_experiments`; orthogonal
//! experiments can share a list), so events can be attributed to the exposure. Both go with
//! their list when it is pruned.
use crate::m20261129_000006_recommendation_lists::RecommendationLists;
use crate::{fk_cascade, index};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Experiments {
    Table,
    Id,
    Name,
    Description,
    Surface,
    Status,
    Salt,
    Orthogonal,
    TrafficStart,
    TrafficEnd,
    Variants,
    PrimaryMetric,
    Guardrails,
    WindowHours,
    EndsAt,
    StartedAt,
    StoppedAt,
    StopReason,
    ShippedVariant,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum RecommendationListExperiments {
    Table,
    ListId,
    ExperimentId,
    Variant,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Experiments::Table)
                .if_not_exists()
                .col(pk_auto(Experiments::Id))
                .col(string(Experiments::Name))
                .col(text_null(Experiments::Description))
                .col(string(Experiments::Surface))
                .col(string(Experiments::Status))
                .col(string(Experiments::Salt))
                .col(boolean(Experiments::Orthogonal).default(false))
                .col(integer(Experiments::TrafficStart))
                .col(integer(Experiments::TrafficEnd))
                .col(text(Experiments::Variants))
                .col(string(Experiments::PrimaryMetric))
                .col(text(Experiments::Guardrails))
                .col(integer(Experiments::WindowHours))
                .col(timestamp_with_time_zone_null(Experiments::EndsAt))
                .col(timestamp_with_time_zone_null(Experiments::StartedAt))
                .col(timestamp_with_time_zone_null(Experiments::StoppedAt))
                .col(text_null(Experiments::StopReason))
                .col(integer_null(Experiments::ShippedVariant))
                .col(timestamp_with_time_zone(Experiments::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_experiments_status",
            Experiments::Table,
            vec![Experiments::Status.into_iden()],
        ))
        .await?;
        type L = RecommendationListExperiments;
        m.create_table(
            Table::create()
                .table(L::Table)
                .if_not_exists()
                .col(string(L::ListId))
                .col(integer(L::ExperimentId))
                .col(integer(L::Variant))
                .col(timestamp_with_time_zone(L::CreatedAt))
                .primary_key(Index::create().col(L::ListId).col(L::ExperimentId))
                .foreign_key(&mut fk_cascade(
                    L::Table,
                    L::ListId,
                    RecommendationLists::Table,
                    RecommendationLists::Id,
                ))
                .foreign_key(&mut fk_cascade(
                    L::Table,
                    L::ExperimentId,
                    Experiments::Table,
                    Experiments::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_recommendation_list_experiments_experiment",
            L::Table,
            vec![L::ExperimentId.into_iden(), L::CreatedAt.into_iden()],
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(
            Table::drop()
                .table(RecommendationListExperiments::Table)
                .if_exists()
                .to_owned(),
        )
        .await?;
        m.drop_table(
            Table::drop()
                .table(Experiments::Table)
                .if_exists()
                .to_owned(),
        )
        .await
    }
}
