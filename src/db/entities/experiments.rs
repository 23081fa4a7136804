//! `SeaORM` entity for the `experiments` table, generated from the migrations; do not edit by hand.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "experiments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub name: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub description: Option<String>,
    pub surface: String,
    pub status: String,
    pub salt: String,
    pub orthogonal: bool,
    pub traffic_start: i32,
    pub traffic_end: i32,
    #[sea_orm(column_type = "Text")]
    pub variants: String,
    pub primary_metric: String,
    #[sea_orm(column_type = "Text")]
    pub guardrails: String,
    pub window_hours: i32,
    pub ends_at: Option<DateTimeUtc>,
    pub started_at: Option<DateTimeUtc>,
    pub stopped_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub stop_reason: Option<String>,
    pub shipped_variant: Option<i32>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
