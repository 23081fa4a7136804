//! A rule's internal note and its public reason become two fields: `note` stays for editors,
//! `reason` is what subscribers read with a boost's items ("Editor's pick: <reason>"). Until now
//! a boost's note was shown to subscribers, so up copies each boost's note into its reason
//! (what subscribers see does not change); down drops the column.
use crate::m20261122_000003_create_curation::Rules;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RuleReason {
    Reason,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Rules::Table)
                .add_column(text_null(RuleReason::Reason))
                .to_owned(),
        )
        .await?;
        m.exec_stmt(
            Query::update()
                .table(Rules::Table)
                .value(RuleReason::Reason, Expr::col(Rules::Note))
                .and_where(Expr::col(Rules::Kind).eq("BOOST"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Rules::Table)
                .drop_column(RuleReason::Reason)
                .to_owned(),
        )
        .await
    }
}
