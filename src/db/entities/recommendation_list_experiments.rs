//! `SeaORM` entity for the `recommendation_list_experiments` table, generated from the migrations; do not edit by hand.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "recommendation_list_experiments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub list_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub experiment_id: i32,
    pub variant: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
