//! End users and everything they tell us: ratings, events, tags, and the log of what we showed.
use crate::m20261122_000001_create_catalogue::{Movies, Tags};
use crate::{fk_cascade, index};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Users {
    Table,
    Id,
    ExternalId,
    DisplayName,
    AgeBand,
    Gender,
    Occupation,
    Country,
    PersonalizationConsent,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum Ratings {
    Table,
    Id,
    UserId,
    MovieId,
    Score,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum Events {
    Table,
    Id,
    UserId,
    MovieId,
    Kind,
    Progress,
    Context,
    RecommendationId,
    OccurredAt,
}

#[derive(DeriveIden)]
pub enum UserTags {
    Table,
    Id,
    UserId,
    MovieId,
    TagId,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum RecommendationLogs {
    Table,
    Id,
    UserId,
    MovieId,
    Surface,
    Source,
    Position,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Users::Table)
                .if_not_exists()
                .col(pk_auto(Users::Id))
                .col(string_uniq(Users::ExternalId))
                .col(string_null(Users::DisplayName))
                .col(string_null(Users::AgeBand))
                .col(string_null(Users::Gender))
                .col(string_null(Users::Occupation))
                .col(string_null(Users::Country))
                .col(boolean(Users::PersonalizationConsent).default(true))
                .col(timestamp_with_time_zone(Users::CreatedAt))
                .col(timestamp_with_time_zone(Users::UpdatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Ratings::Table)
                .if_not_exists()
                .col(pk_auto(Ratings::Id))
                .col(integer(Ratings::UserId))
                .col(integer(Ratings::MovieId))
                .col(double(Ratings::Score))
                .col(timestamp_with_time_zone(Ratings::CreatedAt))
                .col(timestamp_with_time_zone(Ratings::UpdatedAt))
                .foreign_key(&mut fk_cascade(
                    Ratings::Table,
                    Ratings::UserId,
                    Users::Table,
                    Users::Id,
                ))
                .foreign_key(&mut fk_cascade(
                    Ratings::Table,
                    Ratings::MovieId,
                    Movies::Table,
                    Movies::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_ratings_user_movie")
                .table(Ratings::Table)
                .col(Ratings::UserId)
                .col(Ratings::MovieId)
                .unique()
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_ratings_movie",
            Ratings::Table,
            vec![Ratings::MovieId.into_iden()],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Events::Table)
                .if_not_exists()
                .col(big_pk_auto(Events::Id))
                .col(integer(Events::UserId))
                .col(integer(Events::MovieId))
                .col(string(Events::Kind))
                .col(double_null(Events::Progress))
                .col(text_null(Events::Context))
                .col(string_null(Events::RecommendationId))
                .col(timestamp_with_time_zone(Events::OccurredAt))
                .foreign_key(&mut fk_cascade(
                    Events::Table,
                    Events::UserId,
                    Users::Table,
                    Users::Id,
                ))
                .foreign_key(&mut fk_cascade(
                    Events::Table,
                    Events::MovieId,
                    Movies::Table,
                    Movies::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_events_user_time",
            Events::Table,
            vec![Events::UserId.into_iden(), Events::OccurredAt.into_iden()],
        ))
        .await?;
        m.create_index(index(
            "idx_events_movie_time",
            Events::Table,
            vec![Events::MovieId.into_iden(), Events::OccurredAt.into_iden()],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(UserTags::Table)
                .if_not_exists()
                .col(pk_auto(UserTags::Id))
                .col(integer(UserTags::UserId))
                .col(integer(UserTags::MovieId))
                .col(integer(UserTags::TagId))
                .col(timestamp_with_time_zone(UserTags::CreatedAt))
                .foreign_key(&mut fk_cascade(
                    UserTags::Table,
                    UserTags::UserId,
                    Users::Table,
                    Users::Id,
                ))
                .foreign_key(&mut fk_cascade(
                    UserTags::Table,
                    UserTags::MovieId,
                    Movies::Table,
                    Movies::Id,
                ))
                .foreign_key(&mut fk_cascade(
                    UserTags::Table,
                    UserTags::TagId,
                    Tags::Table,
                    Tags::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_user_tags")
                .table(UserTags::Table)
                .col(UserTags::UserId)
                .col(UserTags::MovieId)
                .col(UserTags::TagId)
                .unique()
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_user_tags_movie",
            UserTags::Table,
            vec![UserTags::MovieId.into_iden()],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(RecommendationLogs::Table)
                .if_not_exists()
                .col(string(RecommendationLogs::Id).primary_key())
                .col(integer(RecommendationLogs::UserId))
                .col(integer(RecommendationLogs::MovieId))
                .col(string(RecommendationLogs::Surface))
                .col(string(RecommendationLogs::Source))
                .col(integer(RecommendationLogs::Position))
                .col(timestamp_with_time_zone(RecommendationLogs::CreatedAt))
                .foreign_key(&mut fk_cascade(
                    RecommendationLogs::Table,
                    RecommendationLogs::UserId,
                    Users::Table,
                    Users::Id,
                ))
                .foreign_key(&mut fk_cascade(
                    RecommendationLogs::Table,
                    RecommendationLogs::MovieId,
                    Movies::Table,
                    Movies::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_recommendation_logs_user",
            RecommendationLogs::Table,
            vec![
                RecommendationLogs::UserId.into_iden(),
                RecommendationLogs::CreatedAt.into_iden(),
            ],
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            RecommendationLogs::Table.into_iden(),
            UserTags::Table.into_iden(),
            Events::Table.into_iden(),
            Ratings::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
