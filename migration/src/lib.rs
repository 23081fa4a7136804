//! Marquee's database migrations. Migrations use `DeriveIden` enums, never entities, so that
//! history stays frozen when the entities change.
pub use sea_orm_migration::prelude::*;

mod m20261122_000001_create_catalogue;
mod m20261122_000002_create_users_and_feedback;
mod m20261122_000003_create_curation;
mod m20261122_000004_create_operations;
mod m20261129_000005_recommendation_log_retention;
mod m20261129_000006_recommendation_lists;
mod m20261130_000007_token_versions_and_erasures;
mod m20261130_000008_experiments;
mod m20261201_000009_rule_reasons;

/// The ordered list of Marquee's migrations.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_create_catalogue::Migration),
            Box::new(m20261122_000002_create_users_and_feedback::Migration),
            Box::new(m20261122_000003_create_curation::Migration),
            Box::new(m20261122_000004_create_operations::Migration),
            Box::new(m20261129_000005_recommendation_log_retention::Migration),
            Box::new(m20261129_000006_recommendation_lists::Migration),
            Box::new(m20261130_000007_token_versions_and_erasures::Migration),
            Box::new(m20261130_000008_experiments::Migration),
            Box::new(m20261201_000009_rule_reasons::Migration),
        ]
    }
}

/// A foreign key from `from.col` to `to.id`, cascading on delete.
pub(crate) fn fk_cascade(
    from: impl IntoIden + 'static,
    col: impl IntoIden + 'static,
    to: impl IntoIden + 'static,
    to_col: impl IntoIden + 'static,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from, col)
        .to(to, to_col)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

/// A foreign key from `from.col` to `to.id` that is set to NULL when the target goes.
pub(crate) fn fk_set_null(
    from: impl IntoIden + 'static,
    col: impl IntoIden + 'static,
    to: impl IntoIden + 'static,
    to_col: impl IntoIden + 'static,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from, col)
        .to(to, to_col)
        .on_delete(ForeignKeyAction::SetNull)
        .to_owned()
}

/// A plain (non-unique) index.
pub(crate) fn index(
    name: &str,
    table: impl IntoIden + 'static,
    cols: Vec<DynIden>,
) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(name).table(table).if_not_exists();
    for c in cols {
        idx.col(c);
    }
    idx.to_owned()
}
