//! `SeaORM` entity for the `diversity_settings` table, generated from the migrations; do not edit by hand.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "diversity_settings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub surface: String,
    pub max_per_genre: Option<i32>,
    pub mmr_lambda: f64,
    pub calibration: f64,
    pub min_genres: Option<i32>,
    pub novelty_weight: f64,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
