//! Editorial curation: collections and their movies, placements, rules and diversity settings.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, NotSet, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::db::entities::{collection_items, collections, diversity_settings, placements, rules};

/// Fields of a new collection.
#[derive(Debug, Clone)]
pub struct NewCollection {
    pub slug: String,
    pub title: String,
    pub description: Option<String>,
    pub artwork_url: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    /// Audience as JSON text.
    pub audience: String,
}

/// A page of collections (optionally of some statuses), newest first, and the total.
pub async fn list_collections<C: ConnectionTrait>(
    db: &C,
    statuses: Option<&[&str]>,
    offset: u64,
    limit: u64,
) -> Result<(Vec<collections::Model>, u64), DbErr> {
    let mut q = collections::Entity::find();
    if let Some(s) = statuses {
        q = q.filter(collections::Column::Status.is_in(s.iter().copied()));
    }
    let total = q.clone().count(db).await?;
    let rows = q
        .order_by_desc(collections::Column::UpdatedAt)
        .order_by_desc(collections::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    Ok((rows, total))
}

/// Every collection (for the curation snapshot).
pub async fn all_collections<C: ConnectionTrait>(db: &C) -> Result<Vec<collections::Model>, DbErr> {
    collections::Entity::find()
        .order_by_asc(collections::Column::Id)
        .all(db)
        .await
}

/// One collection by id.
pub async fn collection<C: ConnectionTrait>(
    db: &C,
    id: i32,
) -> Result<Option<collections::Model>, DbErr> {
    collections::Entity::find_by_id(id).one(db).await
}

/// One collection by slug.
pub async fn collection_by_slug<C: ConnectionTrait>(
    db: &C,
    slug: &str,
) -> Result<Option<collections::Model>, DbErr> {
    collections::Entity::find()
        .filter(collections::Column::Slug.eq(slug))
        .one(db)
        .await
}

/// Creates a collection (as a draft).
pub async fn create_collection<C: ConnectionTrait>(
    db: &C,
    c: NewCollection,
) -> Result<collections::Model, DbErr> {
    let now = Utc::now();
    collections::ActiveModel {
        slug: Set(c.slug),
        title: Set(c.title),
        description: Set(c.description),
        artwork_url: Set(c.artwork_url),
        status: Set("DRAFT".to_owned()),
        starts_at: Set(c.starts_at),
        ends_at: Set(c.ends_at),
        audience: Set(Some(c.audience)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Saves a changed collection (every column), stamping `updated_at`.
pub async fn save_collection<C: ConnectionTrait>(
    db: &C,
    m: collections::Model,
) -> Result<collections::Model, DbErr> {
    let mut am = collections::ActiveModel::from(m).reset_all();
    am.updated_at = Set(Utc::now());
    am.update(db).await
}

/// Replaces a collection's movies with `movie_ids`, in that order.
pub async fn set_items<C: ConnectionTrait>(
    db: &C,
    collection_id: i32,
    movie_ids: &[i32],
) -> Result<(), DbErr> {
    collection_items::Entity::delete_many()
        .filter(collection_items::Column::CollectionId.eq(collection_id))
        .exec(db)
        .await?;
    if movie_ids.is_empty() {
        return Ok(());
    }
    collection_items::Entity::insert_many(movie_ids.iter().enumerate().map(|(i, m)| {
        collection_items::ActiveModel {
            collection_id: Set(collection_id),
            movie_id: Set(*m),
            position: Set(i as i32 + 1),
        }
    }))
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The movies of the given collections, in order.
pub async fn items_of<C: ConnectionTrait>(
    db: &C,
    collection_ids: &[i32],
) -> Result<HashMap<i32, Vec<i32>>, DbErr> {
    let mut q = collection_items::Entity::find();
    if !collection_ids.is_empty() {
        q = q.filter(collection_items::Column::CollectionId.is_in(collection_ids.iter().copied()));
    }
    let rows = q
        .order_by_asc(collection_items::Column::CollectionId)
        .order_by_asc(collection_items::Column::Position)
        .all(db)
        .await?;
    let mut out: HashMap<i32, Vec<i32>> = HashMap::new();
    for r in rows {
        out.entry(r.collection_id).or_default().push(r.movie_id);
    }
    Ok(out)
}

/// Placements, optionally of one surface, by surface and position.
pub async fn placements<C: ConnectionTrait>(
    db: &C,
    surface: Option<&str>,
) -> Result<Vec<placements::Model>, DbErr> {
    let mut q = placements::Entity::find();
    if let Some(s) = surface {
        q = q.filter(placements::Column::Surface.eq(s));
    }
    q.order_by_asc(placements::Column::Surface)
        .order_by_asc(placements::Column::Position)
        .order_by_asc(placements::Column::Id)
        .all(db)
        .await
}

/// Inserts a placement (its `id` is ignored) and returns it with its new id.
pub async fn create_placement<C: ConnectionTrait>(
    db: &C,
    m: placements::Model,
) -> Result<placements::Model, DbErr> {
    let mut am = placements::ActiveModel::from(m).reset_all();
    am.id = NotSet;
    am.insert(db).await
}

/// One placement.
pub async fn placement<C: ConnectionTrait>(
    db: &C,
    id: i32,
) -> Result<Option<placements::Model>, DbErr> {
    placements::Entity::find_by_id(id).one(db).await
}

/// Writes every field of an existing placement.
pub async fn save_placement<C: ConnectionTrait>(
    db: &C,
    m: placements::Model,
) -> Result<placements::Model, DbErr> {
    placements::ActiveModel::from(m)
        .reset_all()
        .update(db)
        .await
}

/// Deletes a placement; false when there was none.
pub async fn delete_placement<C: ConnectionTrait>(db: &C, id: i32) -> Result<bool, DbErr> {
    Ok(placements::Entity::delete_by_id(id)
        .exec(db)
        .await?
        .rows_affected
        > 0)
}

/// Every rule, oldest first.
pub async fn rules<C: ConnectionTrait>(db: &C) -> Result<Vec<rules::Model>, DbErr> {
    rules::Entity::find()
        .order_by_asc(rules::Column::Id)
        .all(db)
        .await
}

/// Inserts a rule (its `id` is ignored) and returns it with its new id.
pub async fn create_rule<C: ConnectionTrait>(
    db: &C,
    m: rules::Model,
) -> Result<rules::Model, DbErr> {
    let mut am = rules::ActiveModel::from(m).reset_all();
    am.id = NotSet;
    am.insert(db).await
}

/// One rule.
pub async fn rule<C: ConnectionTrait>(db: &C, id: i32) -> Result<Option<rules::Model>, DbErr> {
    rules::Entity::find_by_id(id).one(db).await
}

/// Writes every field of an existing rule.
pub async fn save_rule<C: ConnectionTrait>(db: &C, m: rules::Model) -> Result<rules::Model, DbErr> {
    rules::ActiveModel::from(m).reset_all().update(db).await
}

/// Deletes a rule; false when there was none.
pub async fn delete_rule<C: ConnectionTrait>(db: &C, id: i32) -> Result<bool, DbErr> {
    Ok(rules::Entity::delete_by_id(id)
        .exec(db)
        .await?
        .rows_affected
        > 0)
}

/// Every surface's diversity settings.
pub async fn diversity<C: ConnectionTrait>(
    db: &C,
) -> Result<Vec<diversity_settings::Model>, DbErr> {
    diversity_settings::Entity::find()
        .order_by_asc(diversity_settings::Column::Surface)
        .all(db)
        .await
}

/// Inserts or replaces a surface's diversity settings.
pub async fn upsert_diversity<C: ConnectionTrait>(
    db: &C,
    m: diversity_settings::Model,
) -> Result<diversity_settings::Model, DbErr> {
    let existing = diversity_settings::Entity::find()
        .filter(diversity_settings::Column::Surface.eq(m.surface.as_str()))
        .one(db)
        .await?;
    let mut am = diversity_settings::ActiveModel {
        surface: Set(m.surface),
        max_per_genre: Set(m.max_per_genre),
        mmr_lambda: Set(m.mmr_lambda),
        calibration: Set(m.calibration),
        min_genres: Set(m.min_genres),
        novelty_weight: Set(m.novelty_weight),
        updated_at: Set(Utc::now()),
        ..Default::default()
    };
    match existing {
        Some(e) => {
            am.id = Set(e.id);
            am.update(db).await
        }
        None => am.insert(db).await,
    }
}
