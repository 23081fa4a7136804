//! The staff service: sign-in (with its bookkeeping), and admins creating and changing staff
//! accounts. Account changes are audited; the last enabled admin is protected.
use chrono::{DateTime, Utc};
use serde_json::json;

use super::{Actor, UnitOfWork};
use crate::auth::{password, AuthError, Role};
use crate::db::entities::staff;
use crate::db::repo;
use crate::error::AppError;
use crate::state::AppState;

/// Shortest staff password accepted (here and in `marquee staff add`).
pub const MIN_PASSWORD_CHARS: usize = 10;

/// A signed-in staff session.
#[derive(Debug, Clone)]
pub struct Session {
    /// Bearer token.
    pub token: String,
    pub role: Role,
    pub expires_at: DateTime<Utc>,
}

/// A new staff account.
#[derive(Debug, Clone)]
pub struct NewStaff {
    pub email: String,
    pub password: String,
    pub role: Role,
}

/// Changes to a staff account; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct StaffPatch {
    pub role: Option<Role>,
    pub disabled: Option<bool>,
    pub password: Option<String>,
}

/// Signs a staff member in and records the sign-in. Wrong credentials, a disabled account or
/// an unknown stored role are UNAUTHENTICATED.
#[tracing::instrument(skip_all, fields(staff_id = tracing::field::Empty))]
pub async fn login(
    st: &AppState,
    email: &str,
    pw: &str,
    client: Option<std::net::IpAddr>,
) -> Result<Session, AppError> {
    // Throttled before anything is read or hashed: a refused attempt costs nothing.
    st.login_throttle
        .attempt(email, client)
        .map_err(|t| AppError::RateLimited(t.0))?;
    let account = repo::staff::find_by_email(&st.db, email).await?;
    let ok = match &account {
        Some(a) => {
            password::verify_off_worker(pw.to_owned(), a.password_hash.clone()).await && !a.disabled
        }
        None => {
            // Same work as for a real account, so timing does not reveal which emails exist.
            let _ =
                password::verify_off_worker(pw.to_owned(), password::dummy_hash().to_owned()).await;
            false
        }
    };
    let account = match (ok, account) {
        (true, Some(a)) => a,
        _ => return Err(AuthError::BadCredentials.into()),
    };
    tracing::Span::current().record("staff_id", account.id);
    let role = Role::parse(&account.role).ok_or(AuthError::Refused("unknown role"))?;
    let (token, expires_at) = st
        .jwt
        .issue_staff(account.id, role, account.token_version)?;
    // A single-row update: no transaction, and not audited (sign-ins are not changes).
    repo::staff::touch_login(&st.db, account).await?;
    Ok(Session {
        token,
        role,
        expires_at,
    })
}

/// Adds a staff account. A taken email is CONFLICT; a short password BAD_USER_INPUT.
#[tracing::instrument(skip_all, fields(role = new.role.as_str()))]
pub async fn create(st: &AppState, actor: Actor, new: NewStaff) -> Result<staff::Model, AppError> {
    check_password(&new.password)?;
    let hash = password::hash_off_worker(new.password.clone()).await?;
    let mut uow = UnitOfWork::begin(st, actor).await?;
    if repo::staff::find_by_email(uow.db(), &new.email)
        .await?
        .is_some()
    {
        return Err(AppError::Conflict(
            "a staff account with this email exists".into(),
        ));
    }
    let m = repo::staff::create(uow.db(), &new.email, hash, new.role.as_str()).await?;
    uow.audit(
        "staff.create",
        ("staff", m.id),
        json!({ "role": new.role.as_str() }),
    );
    uow.commit().await?;
    Ok(m)
}

/// Changes a staff account's role, disables or enables it, or sets a new password. The last
/// enabled admin cannot be demoted or disabled (CONFLICT).
#[tracing::instrument(skip_all, fields(staff_id = id))]
pub async fn update(
    st: &AppState,
    actor: Actor,
    id: i32,
    patch: StaffPatch,
) -> Result<staff::Model, AppError> {
    let hash = match &patch.password {
        Some(p) => {
            check_password(p)?;
            Some(password::hash_off_worker(p.clone()).await?)
        }
        None => None,
    };
    let mut uow = UnitOfWork::begin(st, actor).await?;
    let m = repo::staff::get(uow.db(), id)
        .await?
        .ok_or(AppError::NotFound("staff account"))?;
    let loses_admin = m.role == Role::Admin.as_str()
        && !m.disabled
        && (patch.role.is_some_and(|r| r != Role::Admin) || patch.disabled == Some(true));
    if loses_admin && repo::staff::enabled_admins(uow.db()).await? <= 1 {
        return Err(AppError::Conflict(
            "the last enabled admin cannot be demoted or disabled".into(),
        ));
    }
    let m = repo::staff::update(
        uow.db(),
        m,
        patch.role.map(Role::as_str),
        patch.disabled,
        hash,
    )
    .await?;
    uow.audit(
        "staff.update",
        ("staff", id),
        json!({
            "role": patch.role.map(Role::as_str),
            "disabled": patch.disabled,
            "passwordChanged": patch.password.is_some(),
        }),
    );
    uow.commit().await?;
    Ok(m)
}

fn check_password(p: &str) -> Result<(), AppError> {
    if p.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AppError::bad_input(format!(
            "the password must be at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_shorter_than_the_minimum_are_bad_input() {
        assert_eq!(
            check_password("123456789").unwrap_err().code().0,
            "BAD_USER_INPUT"
        );
        assert!(check_password("1234567890").is_ok());
    }
}
