//! Editorial curation: collections, placements (pins), rules and diversity settings.
use crate::m20261122_000001_create_catalogue::{Genres, Movies, People};
use crate::{fk_cascade, index};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Collections {
    Table,
    Id,
    Slug,
    Title,
    Description,
    ArtworkUrl,
    Status,
    StartsAt,
    EndsAt,
    Audience,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum CollectionItems {
    Table,
    CollectionId,
    MovieId,
    Position,
}

#[derive(DeriveIden)]
pub enum Placements {
    Table,
    Id,
    Surface,
    Position,
    MovieId,
    CollectionId,
    StartsAt,
    EndsAt,
    Audience,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum Rules {
    Table,
    Id,
    Kind,
    Multiplier,
    MovieId,
    GenreId,
    PersonId,
    YearFrom,
    YearTo,
    Surface,
    StartsAt,
    EndsAt,
    Note,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum DiversitySettings {
    Table,
    Id,
    Surface,
    MaxPerGenre,
    MmrLambda,
    Calibration,
    MinGenres,
    NoveltyWeight,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Collections::Table)
                .if_not_exists()
                .col(pk_auto(Collections::Id))
                .col(string_uniq(Collections::Slug))
                .col(string(Collections::Title))
                .col(text_null(Collections::Description))
                .col(string_null(Collections::ArtworkUrl))
                .col(string(Collections::Status).default("DRAFT"))
                .col(timestamp_with_time_zone_null(Collections::StartsAt))
                .col(timestamp_with_time_zone_null(Collections::EndsAt))
                .col(text_null(Collections::Audience))
                .col(timestamp_with_time_zone(Collections::CreatedAt))
                .col(timestamp_with_time_zone(Collections::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CollectionItems::Table)
                .if_not_exists()
                .col(integer(CollectionItems::CollectionId))
                .col(integer(CollectionItems::MovieId))
                .col(integer(CollectionItems::Position))
                .primary_key(
                    Index::create()
                        .col(CollectionItems::CollectionId)
                        .col(CollectionItems::MovieId),
                )
                .foreign_key(&mut fk_cascade(
                    CollectionItems::Table,
                    CollectionItems::CollectionId,
                    Collections::Table,
                    Collections::Id,
                ))
                .foreign_key(&mut fk_cascade(
                    CollectionItems::Table,
                    CollectionItems::MovieId,
                    Movies::Table,
                    Movies::Id,
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Placements::Table)
                .if_not_exists()
                .col(pk_auto(Placements::Id))
                .col(string(Placements::Surface))
                .col(integer(Placements::Position))
                .col(integer_null(Placements::MovieId))
                .col(integer_null(Placements::CollectionId))
                .col(timestamp_with_time_zone_null(Placements::StartsAt))
                .col(timestamp_with_time_zone_null(Placements::EndsAt))
                .col(text_null(Placements::Audience))
                .col(timestamp_with_time_zone(Placements::CreatedAt))
                .foreign_key(&mut fk_cascade(
                    Placements::Table,
                    Placements::MovieId,
                    Movies::Table,
                    Movies::Id,
                ))
                .foreign_key(&mut fk_cascade(
                    Placements::Table,
                    Placements::CollectionId,
                    Collections::Table,
                    Collections::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_placements_surface",
            Placements::Table,
            vec![Placements::Surface.into_iden()],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Rules::Table)
                .if_not_exists()
                .col(pk_auto(Rules::Id))
                .col(string(Rules::Kind))
                .col(double(Rules::Multiplier).default(1.0))
                .col(integer_null(Rules::MovieId))
                .col(integer_null(Rules::GenreId))
                .col(integer_null(Rules::PersonId))
                .col(integer_null(Rules::YearFrom))
                .col(integer_null(Rules::YearTo))
                .col(string_null(Rules::Surface))
                .col(timestamp_with_time_zone_null(Rules::StartsAt))
                .col(timestamp_with_time_zone_null(Rules::EndsAt))
                .col(string_null(Rules::Note))
                .col(timestamp_with_time_zone(Rules::CreatedAt))
                .foreign_key(&mut fk_cascade(
                    Rules::Table,
                    Rules::MovieId,
                    Movies::Table,
                    Movies::Id,
                ))
                .foreign_key(&mut fk_cascade(
                    Rules::Table,
                    Rules::GenreId,
                    Genres::Table,
                    Genres::Id,
                ))
                .foreign_key(&mut fk_cascade(
                    Rules::Table,
                    Rules::PersonId,
                    People::Table,
                    People::Id,
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(DiversitySettings::Table)
                .if_not_exists()
                .col(pk_auto(DiversitySettings::Id))
                .col(string_uniq(DiversitySettings::Surface))
                .col(integer_null(DiversitySettings::MaxPerGenre))
                .col(double(DiversitySettings::MmrLambda).default(1.0))
                .col(double(DiversitySettings::Calibration).default(0.0))
                .col(integer_null(DiversitySettings::MinGenres))
                .col(double(DiversitySettings::NoveltyWeight).default(0.0))
                .col(timestamp_with_time_zone(DiversitySettings::UpdatedAt))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            DiversitySettings::Table.into_iden(),
            Rules::Table.into_iden(),
            Placements::Table.into_iden(),
            CollectionItems::Table.into_iden(),
            Collections::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
