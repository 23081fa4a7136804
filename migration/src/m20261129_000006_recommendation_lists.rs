//! One recommendation-log row per served list instead of one per shown item: a home feed
//! wrote 20–80 rows, now one. The items are kept in the row as JSON,
//! `[[movieId, "SOURCE", position], …]`; an item's `recommendationId` is `<list id>:<position>`.
//! Existing item rows become one-item lists under their old id, and the events that named
//! such a row now name `<old id>:<position>`, as new ones do.
use crate::m20261122_000001_create_catalogue::Movies;
use crate::m20261122_000002_create_users_and_feedback::{RecommendationLogs, Users};
use crate::{fk_cascade, index};
use sea_orm_migration::sea_orm::DbBackend;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum RecommendationLists {
    Table,
    Id,
    UserId,
    Surface,
    Items,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(RecommendationLists::Table)
                .if_not_exists()
                .col(string(RecommendationLists::Id).primary_key())
                .col(integer(RecommendationLists::UserId))
                .col(string(RecommendationLists::Surface))
                .col(text(RecommendationLists::Items))
                .col(timestamp_with_time_zone(RecommendationLists::CreatedAt))
                .foreign_key(&mut fk_cascade(
                    RecommendationLists::Table,
                    RecommendationLists::UserId,
                    Users::Table,
                    Users::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_recommendation_lists_user",
            RecommendationLists::Table,
            vec![
                RecommendationLists::UserId.into_iden(),
                RecommendationLists::CreatedAt.into_iden(),
            ],
        ))
        .await?;
        m.create_index(index(
            "idx_recommendation_lists_created",
            RecommendationLists::Table,
            vec![RecommendationLists::CreatedAt.into_iden()],
        ))
        .await?;
        let items = match m.get_database_backend() {
            DbBackend::Postgres => {
                "json_build_array(json_build_array(movie_id, source, position))::text"
            }
            _ => "json_array(json_array(movie_id, source, position))",
        };
        m.get_connection()
            .execute_unprepared(&format!(
                "INSERT INTO recommendation_lists (id, user_id, surface, items, created_at) \
                 SELECT id, user_id, surface, {items}, created_at FROM recommendation_logs"
            ))
            .await?;
        m.get_connection()
            .execute_unprepared(
                "UPDATE events SET recommendation_id = recommendation_id || ':' || \
                 (SELECT r.position FROM recommendation_logs r \
                 WHERE r.id = events.recommendation_id) \
                 WHERE recommendation_id IN (SELECT id FROM recommendation_logs)",
            )
            .await?;
        m.drop_table(
            Table::drop()
                .table(RecommendationLogs::Table)
                .if_exists()
                .to_owned(),
        )
        .await
    }

    /// Back to one row per item, `<list id>:<position>` as each row's id (items whose movie
    /// has gone are dropped, as the old table's foreign key did).
    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
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
        for (name, cols) in [
            (
                "idx_recommendation_logs_user",
                vec![
                    RecommendationLogs::UserId.into_iden(),
                    RecommendationLogs::CreatedAt.into_iden(),
                ],
            ),
            (
                "idx_recommendation_logs_created",
                vec![RecommendationLogs::CreatedAt.into_iden()],
            ),
        ] {
            m.create_index(index(name, RecommendationLogs::Table, cols))
                .await?;
        }
        let select = match m.get_database_backend() {
            DbBackend::Postgres => {
                "SELECT l.id || ':' || (j->>2) AS id, l.user_id, (j->>0)::int AS movie_id, \
                 l.surface, j->>1 AS source, (j->>2)::int AS position, l.created_at \
                 FROM recommendation_lists l, json_array_elements(l.items::json) j"
            }
            _ => {
                "SELECT l.id || ':' || json_extract(j.value, '$[2]') AS id, l.user_id, \
                 json_extract(j.value, '$[0]') AS movie_id, l.surface, \
                 json_extract(j.value, '$[1]') AS source, \
                 json_extract(j.value, '$[2]') AS position, l.created_at \
                 FROM recommendation_lists l, json_each(l.items) j"
            }
        };
        m.get_connection()
            .execute_unprepared(&format!(
                "INSERT INTO recommendation_logs \
                 (id, user_id, movie_id, surface, source, position, created_at) \
                 SELECT id, user_id, movie_id, surface, source, position, created_at \
                 FROM ({select}) expanded WHERE movie_id IN (SELECT id FROM movies)"
            ))
            .await?;
        m.drop_table(
            Table::drop()
                .table(RecommendationLists::Table)
                .if_exists()
                .to_owned(),
        )
        .await
    }
}
