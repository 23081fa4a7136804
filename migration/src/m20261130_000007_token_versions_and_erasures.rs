//! Hardening: staff accounts get a token version (a password reset, a role change or disabling
//! bumps it, and tokens carrying an older one are refused at once), and erasures leave a
//! tombstone — the erased user id, a SHA-256 of their external id and when — so that a model
//! trained in another process is stripped of them before it is stored or loaded, and a token
//! issued before the erasure cannot silently re-create the account.
use crate::index;
use crate::m20261122_000004_create_operations::Staff;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum StaffTokens {
    TokenVersion,
}

#[derive(DeriveIden)]
pub enum Erasures {
    Table,
    Id,
    UserId,
    SubjectHash,
    ErasedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Staff::Table)
                .add_column(integer(StaffTokens::TokenVersion).default(0))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Erasures::Table)
                .if_not_exists()
                .col(pk_auto(Erasures::Id))
                .col(integer(Erasures::UserId))
                .col(string(Erasures::SubjectHash))
                .col(timestamp_with_time_zone(Erasures::ErasedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_erasures_subject",
            Erasures::Table,
            vec![Erasures::SubjectHash.into_iden()],
        ))
        .await?;
        m.create_index(index(
            "idx_erasures_erased_at",
            Erasures::Table,
            vec![Erasures::ErasedAt.into_iden()],
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Erasures::Table).if_exists().to_owned())
            .await?;
        m.alter_table(
            Table::alter()
                .table(Staff::Table)
                .drop_column(StaffTokens::TokenVersion)
                .to_owned(),
        )
        .await
    }
}
