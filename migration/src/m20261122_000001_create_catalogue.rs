//! Movies, genres, people, editorial keywords and their links.
use crate::{fk_cascade, index};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Movies {
    Table,
    Id,
    ExternalId,
    Title,
    Year,
    Overview,
    Runtime,
    PosterUrl,
    Language,
    Country,
    ImdbId,
    TmdbId,
    Available,
    DeletedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum Genres {
    Table,
    Id,
    Name,
}

#[derive(DeriveIden)]
pub enum MovieGenres {
    Table,
    MovieId,
    GenreId,
}

#[derive(DeriveIden)]
pub enum People {
    Table,
    Id,
    Name,
}

#[derive(DeriveIden)]
pub enum MoviePeople {
    Table,
    MovieId,
    PersonId,
    Role,
    Position,
}

#[derive(DeriveIden)]
pub enum Tags {
    Table,
    Id,
    Name,
}

#[derive(DeriveIden)]
pub enum MovieKeywords {
    Table,
    MovieId,
    TagId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Movies::Table)
                .if_not_exists()
                .col(pk_auto(Movies::Id))
                .col(string_null(Movies::ExternalId).unique_key())
                .col(string(Movies::Title))
                .col(integer_null(Movies::Year))
                .col(text_null(Movies::Overview))
                .col(integer_null(Movies::Runtime))
                .col(string_null(Movies::PosterUrl))
                .col(string_null(Movies::Language))
                .col(string_null(Movies::Country))
                .col(string_null(Movies::ImdbId))
                .col(big_integer_null(Movies::TmdbId))
                .col(boolean(Movies::Available).default(true))
                .col(timestamp_with_time_zone_null(Movies::DeletedAt))
                .col(timestamp_with_time_zone(Movies::CreatedAt))
                .col(timestamp_with_time_zone(Movies::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_movies_title",
            Movies::Table,
            vec![Movies::Title.into_iden()],
        ))
        .await?;
        m.create_index(index(
            "idx_movies_year",
            Movies::Table,
            vec![Movies::Year.into_iden()],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Genres::Table)
                .if_not_exists()
                .col(pk_auto(Genres::Id))
                .col(string_uniq(Genres::Name))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(MovieGenres::Table)
                .if_not_exists()
                .col(integer(MovieGenres::MovieId))
                .col(integer(MovieGenres::GenreId))
                .primary_key(
                    Index::create()
                        .col(MovieGenres::MovieId)
                        .col(MovieGenres::GenreId),
                )
                .foreign_key(&mut fk_cascade(
                    MovieGenres::Table,
                    MovieGenres::MovieId,
                    Movies::Table,
                    Movies::Id,
                ))
                .foreign_key(&mut fk_cascade(
                    MovieGenres::Table,
                    MovieGenres::GenreId,
                    Genres::Table,
                    Genres::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_movie_genres_genre",
            MovieGenres::Table,
            vec![MovieGenres::GenreId.into_iden()],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(People::Table)
                .if_not_exists()
                .col(pk_auto(People::Id))
                .col(string(People::Name))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_people_name",
            People::Table,
            vec![People::Name.into_iden()],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table(MoviePeople::Table)
                .if_not_exists()
                .col(integer(MoviePeople::MovieId))
                .col(integer(MoviePeople::PersonId))
                .col(string(MoviePeople::Role))
                .col(integer(MoviePeople::Position).default(0))
                .primary_key(
                    Index::create()
                        .col(MoviePeople::MovieId)
                        .col(MoviePeople::PersonId)
                        .col(MoviePeople::Role),
                )
                .foreign_key(&mut fk_cascade(
                    MoviePeople::Table,
                    MoviePeople::MovieId,
                    Movies::Table,
                    Movies::Id,
                ))
                .foreign_key(&mut fk_cascade(
                    MoviePeople::Table,
                    MoviePeople::PersonId,
                    People::Table,
                    People::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_movie_people_person",
            MoviePeople::Table,
            vec![MoviePeople::PersonId.into_iden()],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Tags::Table)
                .if_not_exists()
                .col(pk_auto(Tags::Id))
                .col(string_uniq(Tags::Name))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(MovieKeywords::Table)
                .if_not_exists()
                .col(integer(MovieKeywords::MovieId))
                .col(integer(MovieKeywords::TagId))
                .primary_key(
                    Index::create()
                        .col(MovieKeywords::MovieId)
                        .col(MovieKeywords::TagId),
                )
                .foreign_key(&mut fk_cascade(
                    MovieKeywords::Table,
                    MovieKeywords::MovieId,
                    Movies::Table,
                    Movies::Id,
                ))
                .foreign_key(&mut fk_cascade(
                    MovieKeywords::Table,
                    MovieKeywords::TagId,
                    Tags::Table,
                    Tags::Id,
                ))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            MovieKeywords::Table.into_iden(),
            Tags::Table.into_iden(),
            MoviePeople::Table.into_iden(),
            People::Table.into_iden(),
            MovieGenres::Table.into_iden(),
            Genres::Table.into_iden(),
            Movies::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
