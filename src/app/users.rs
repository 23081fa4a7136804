//! The users service: end users seen for the first time, and their own profile changes.
use super::{Actor, Effect, UnitOfWork};
use crate::db::entities::users;
use crate::db::repo;
use crate::error::AppError;
use crate::state::AppState;
use marquee_core::demographics::AgeBand;

pub use crate::db::repo::users::ProfileUpdate;

/// The user behind a valid end-user token, created on first sight (cached: see
/// [`crate::app::user_rows`]).
#[tracing::instrument(skip_all)]
/// A token issued (`issued_at`, seconds) no later than the person's erasure is refused rather
/// than re-creating the account (UNAUTHENTICATED); a token issued after it signs a new person up.
pub async fn find_or_create(
    st: &AppState,
    external_id: &str,
    issued_at: i64,
) -> Result<std::sync::Arc<users::Model>, AppError> {
    st.user_rows
        .find_or_create(&st.db, external_id, issued_at)
        .await?
        .ok_or(AppError::Unauthenticated)
}

/// Updates a user's optional demographics and personalisation consent: omitted fields stay,
/// `Some(None)` clears one. Every given value is checked and normalised.
#[tracing::instrument(skip_all, fields(user_id))]
pub async fn update_profile(
    st: &AppState,
    user_id: i32,
    update: ProfileUpdate,
) -> Result<users::Model, AppError> {
    let update = validate(update)?;
    let mut uow = UnitOfWork::begin(st, Actor::User { id: user_id }).await?;
    let u = repo::users::get(uow.db(), user_id)
        .await?
        .ok_or(AppError::NotFound("user"))?;
    let u = repo::users::update_profile(uow.db(), u, update).await?;
    uow.touches(Effect::Profile(user_id));
    uow.commit().await?;
    st.user_rows.changed(&u);
    Ok(u)
}

fn check_opt(
    v: Option<Option<String>>,
    check: impl Fn(&str) -> Result<String, AppError>,
) -> Result<Option<Option<String>>, AppError> {
    match v {
        Some(Some(s)) => Ok(Some(Some(check(s.trim())?))),
        other => Ok(other),
    }
}

/// Checks and normalises every given field.
pub fn validate(u: ProfileUpdate) -> Result<ProfileUpdate, AppError> {
    Ok(ProfileUpdate {
        display_name: check_opt(u.display_name, |s| {
            if (1..=100).contains(&s.chars().count()) {
                Ok(s.to_owned())
            } else {
                Err(AppError::bad_input(
                    "displayName must be 1 to 100 characters",
                ))
            }
        })?,
        age_band: check_opt(u.age_band, |s| {
            s.parse::<AgeBand>()
                .map(|b| b.as_str().to_owned())
                .map_err(|_| {
                    AppError::bad_input(format!("ageBand must be one of {}", AgeBand::names()))
                })
        })?,
        gender: check_opt(u.gender, |s| match s.to_ascii_uppercase().as_str() {
            g @ ("F" | "M" | "X") => Ok(g.to_owned()),
            _ => Err(AppError::bad_input("gender must be F, M or X")),
        })?,
        occupation: check_opt(u.occupation, |s| {
            if (1..=64).contains(&s.chars().count()) {
                Ok(s.to_lowercase())
            } else {
                Err(AppError::bad_input("occupation must be 1 to 64 characters"))
            }
        })?,
        country: check_opt(u.country, |s| {
            if s.len() == 2 && s.chars().all(|c| c.is_ascii_alphabetic()) {
                Ok(s.to_ascii_uppercase())
            } else {
                Err(AppError::bad_input(
                    "country must be an ISO 3166-1 alpha-2 code",
                ))
            }
        })?,
        personalization_consent: u.personalization_consent,
    })
}
