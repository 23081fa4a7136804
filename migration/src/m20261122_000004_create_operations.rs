//! Operations: trained model versions, staff accounts, deletion requests and the audit log.
use crate::m20261122_000002_create_users_and_feedback::Users;
use crate::{fk_set_null, index};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum ModelVersions {
    Table,
    Id,
    Algorithm,
    Params,
    Metrics,
    Timings,
    DataCutoff,
    TrainedAt,
    Active,
    Blob,
}

#[derive(DeriveIden)]
pub enum Staff {
    Table,
    Id,
    Email,
    PasswordHash,
    Role,
    Disabled,
    CreatedAt,
    LastLoginAt,
}

#[derive(DeriveIden)]
pub enum DeletionRequests {
    Table,
    Id,
    UserId,
    RequestedBy,
    Status,
    Reason,
    DueAt,
    DecidedBy,
    DecidedAt,
    CompletedAt,
    Outcome,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum AuditLog {
    Table,
    Id,
    At,
    ActorKind,
    ActorId,
    ActorRole,
    Action,
    TargetType,
    TargetId,
    Details,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ModelVersions::Table)
                .if_not_exists()
                .col(pk_auto(ModelVersions::Id))
                .col(string(ModelVersions::Algorithm))
                .col(text(ModelVersions::Params))
                .col(text(ModelVersions::Metrics))
                .col(text(ModelVersions::Timings))
                .col(timestamp_with_time_zone_null(ModelVersions::DataCutoff))
                .col(timestamp_with_time_zone(ModelVersions::TrainedAt))
                .col(boolean(ModelVersions::Active).default(false))
                .col(blob_null(ModelVersions::Blob))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Staff::Table)
                .if_not_exists()
                .col(pk_auto(Staff::Id))
                .col(string_uniq(Staff::Email))
                .col(string(Staff::PasswordHash))
                .col(string(Staff::Role))
                .col(boolean(Staff::Disabled).default(false))
                .col(timestamp_with_time_zone(Staff::CreatedAt))
                .col(timestamp_with_time_zone_null(Staff::LastLoginAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(DeletionRequests::Table)
                .if_not_exists()
                .col(pk_auto(DeletionRequests::Id))
                .col(integer_null(DeletionRequests::UserId))
                .col(string(DeletionRequests::RequestedBy))
                .col(string(DeletionRequests::Status))
                .col(text_null(DeletionRequests::Reason))
                .col(timestamp_with_time_zone(DeletionRequests::DueAt))
                .col(integer_null(DeletionRequests::DecidedBy))
                .col(timestamp_with_time_zone_null(DeletionRequests::DecidedAt))
                .col(timestamp_with_time_zone_null(DeletionRequests::CompletedAt))
                .col(text_null(DeletionRequests::Outcome))
                .col(timestamp_with_time_zone(DeletionRequests::CreatedAt))
                .foreign_key(&mut fk_set_null(
                    DeletionRequests::Table,
                    DeletionRequests::UserId,
                    Users::Table,
                    Users::Id,
                ))
                .foreign_key(&mut fk_set_null(
                    DeletionRequests::Table,
                    DeletionRequests::DecidedBy,
                    Staff::Table,
                    Staff::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_deletion_requests_status",
            DeletionRequests::Table,
            vec![
                DeletionRequests::Status.into_iden(),
                DeletionRequests::DueAt.into_iden(),
            ],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(AuditLog::Table)
                .if_not_exists()
                .col(big_pk_auto(AuditLog::Id))
                .col(timestamp_with_time_zone(AuditLog::At))
                .col(string(AuditLog::ActorKind))
                .col(integer_null(AuditLog::ActorId))
                .col(string_null(AuditLog::ActorRole))
                .col(string(AuditLog::Action))
                .col(string_null(AuditLog::TargetType))
                .col(string_null(AuditLog::TargetId))
                .col(text_null(AuditLog::Details))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_audit_log_at",
            AuditLog::Table,
            vec![AuditLog::At.into_iden()],
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            AuditLog::Table.into_iden(),
            DeletionRequests::Table.into_iden(),
            Staff::Table.into_iden(),
            ModelVersions::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
