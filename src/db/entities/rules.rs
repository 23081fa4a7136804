//! `SeaORM` entity for the `rules` table, generated from the migrations; do not edit by hand.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "rules")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub kind: String,
    pub multiplier: f64,
    pub movie_id: Option<i32>,
    pub genre_id: Option<i32>,
    pub person_id: Option<i32>,
    pub year_from: Option<i32>,
    pub year_to: Option<i32>,
    pub surface: Option<String>,
    pub starts_at: Option<DateTimeUtc>,
    pub ends_at: Option<DateTimeUtc>,
    pub note: Option<String>,
    pub reason: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
