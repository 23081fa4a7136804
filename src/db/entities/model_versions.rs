//! `SeaORM` entity for the `model_versions` table, generated from the migrations; do not edit by hand.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "model_versions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub algorithm: String,
    #[sea_orm(column_type = "Text")]
    pub params: String,
    #[sea_orm(column_type = "Text")]
    pub metrics: String,
    #[sea_orm(column_type = "Text")]
    pub timings: String,
    pub data_cutoff: Option<DateTimeUtc>,
    pub trained_at: DateTimeUtc,
    pub active: bool,
    #[sea_orm(column_type = "Blob")]
    pub blob: Option<Vec<u8>>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
