//! End users.
use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::db::entities::users;

/// Optional demographics and consent, as a user or staff may change them.
#[derive(Debug, Default, Clone)]
pub struct ProfileUpdate {
    pub display_name: Option<Option<String>>,
    pub age_band: Option<Option<String>>,
    pub gender: Option<Option<String>>,
    pub occupation: Option<Option<String>>,
    pub country: Option<Option<String>>,
    pub personalization_consent: Option<bool>,
}

/// Finds a user by external id, creating them on first sight (a first valid token does this).
pub async fn find_or_create<C: ConnectionTrait>(
    db: &C,
    external_id: &str,
    issued_at: i64,
) -> Result<Option<users::Model>, DbErr> {
    if let Some(u) = find_by_external_id(db, external_id).await? {
        return Ok(Some(u));
    }
    if let Some(erased_at) = super::privacy::last_erasure_of(db, external_id).await? {
        if issued_at <= erased_at.timestamp() {
            return Ok(None);
        }
    }
    let now = Utc::now();
    let am = users::ActiveModel {
        external_id: Set(external_id.to_owned()),
        personalization_consent: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    // Two first requests may race: the unique key makes the second a no-op.
    users::Entity::insert(am)
        .on_conflict(
            OnConflict::column(users::Column::ExternalId)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    find_by_external_id(db, external_id)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("user {external_id}")))
        .map(Some)
}

/// Finds a user by external id.
pub async fn find_by_external_id<C: ConnectionTrait>(
    db: &C,
    external_id: &str,
) -> Result<Option<users::Model>, DbErr> {
    users::Entity::find()
        .filter(users::Column::ExternalId.eq(external_id))
        .one(db)
        .await
}

/// Finds a user by database id.
pub async fn get<C: ConnectionTrait>(db: &C, id: i32) -> Result<Option<users::Model>, DbErr> {
    users::Entity::find_by_id(id).one(db).await
}

/// A page of users ordered by id, optionally filtered by an external-id prefix; with the total.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    search: Option<&str>,
    offset: u64,
    limit: u64,
) -> Result<(Vec<users::Model>, u64), DbErr> {
    let mut q = users::Entity::find();
    if let Some(s) = search.filter(|s| !s.is_empty()) {
        q = q.filter(users::Column::ExternalId.starts_with(s));
    }
    let total = q.clone().count(db).await?;
    let rows = q
        .order_by_asc(users::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    Ok((rows, total))
}

/// Applies a profile update and returns the new row.
pub async fn update_profile<C: ConnectionTrait>(
    db: &C,
    user: users::Model,
    u: ProfileUpdate,
) -> Result<users::Model, DbErr> {
    let mut am: users::ActiveModel = user.into();
    if let Some(v) = u.display_name {
        am.display_name = Set(v);
    }
    if let Some(v) = u.age_band {
        am.age_band = Set(v);
    }
    if let Some(v) = u.gender {
        am.gender = Set(v);
    }
    if let Some(v) = u.occupation {
        am.occupation = Set(v);
    }
    if let Some(v) = u.country {
        am.country = Set(v);
    }
    if let Some(v) = u.personalization_consent {
        am.personalization_consent = Set(v);
    }
    am.updated_at = Set(Utc::now());
    am.update(db).await
}
