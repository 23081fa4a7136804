//! Staff accounts.
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};

use crate::db::entities::staff;

/// Finds an account by email (case-insensitive: emails are stored lower-case).
pub async fn find_by_email<C: ConnectionTrait>(
    db: &C,
    email: &str,
) -> Result<Option<staff::Model>, DbErr> {
    staff::Entity::find()
        .filter(staff::Column::Email.eq(email.trim().to_lowercase()))
        .one(db)
        .await
}

/// Finds an account by id.
pub async fn get<C: ConnectionTrait>(db: &C, id: i32) -> Result<Option<staff::Model>, DbErr> {
    staff::Entity::find_by_id(id).one(db).await
}

/// All accounts, by email.
pub async fn list<C: ConnectionTrait>(db: &C) -> Result<Vec<staff::Model>, DbErr> {
    staff::Entity::find()
        .order_by_asc(staff::Column::Email)
        .all(db)
        .await
}

/// Creates an account; the caller hashes the password.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    email: &str,
    password_hash: String,
    role: &str,
) -> Result<staff::Model, DbErr> {
    staff::ActiveModel {
        email: Set(email.trim().to_lowercase()),
        password_hash: Set(password_hash),
        role: Set(role.to_owned()),
        disabled: Set(false),
        created_at: Set(Utc::now()),
        last_login_at: Set(None),
        token_version: Set(0),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Records a successful login.
pub async fn touch_login<C: ConnectionTrait>(db: &C, m: staff::Model) -> Result<(), DbErr> {
    // A plain UPDATE that reads nothing back: a sign-in in the SQLite test suite once failed
    // INTERNAL with "Missing value for column 'token_version'" decoding a row, and the row read
    // back by `ActiveModel::update` (UPDATE … RETURNING) is not needed here.
    staff::Entity::update_many()
        .col_expr(staff::Column::LastLoginAt, Expr::value(Some(Utc::now())))
        .filter(staff::Column::Id.eq(m.id))
        .exec(db)
        .await?;
    Ok(())
}

/// Changes an account's role, disabled flag or password hash (each when given). Any change
/// bumps the token version, so tokens issued before it stop working.
pub async fn update<C: ConnectionTrait>(
    db: &C,
    m: staff::Model,
    role: Option<&str>,
    disabled: Option<bool>,
    password_hash: Option<String>,
) -> Result<staff::Model, DbErr> {
    let changes = role.is_some() || disabled.is_some() || password_hash.is_some();
    let version = m.token_version;
    let mut am: staff::ActiveModel = m.into();
    if changes {
        am.token_version = Set(version.wrapping_add(1));
    }
    if let Some(r) = role {
        am.role = Set(r.to_owned());
    }
    if let Some(d) = disabled {
        am.disabled = Set(d);
    }
    if let Some(h) = password_hash {
        am.password_hash = Set(h);
    }
    am.update(db).await
}

/// How many enabled admins there are (the last one may not be demoted or disabled).
pub async fn enabled_admins<C: ConnectionTrait>(db: &C) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    staff::Entity::find()
        .filter(staff::Column::Role.eq("admin"))
        .filter(staff::Column::Disabled.eq(false))
        .count(db)
        .await
}
