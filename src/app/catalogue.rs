//! The catalogue service: staff add, change, hide and delete movies. Every change is audited
//! and makes the catalogue index reload.
use sea_orm::{DatabaseTransaction, DbErr};
use serde_json::json;

use super::{Actor, Effect, UnitOfWork};
use crate::db::entities::movies;
use crate::db::repo::movies as repo;
use crate::error::AppError;
use crate::state::AppState;

pub use crate::db::repo::movies::{MoviePatch, NewMovie};

/// Adds a movie. The title must not be blank; genre, director and cast names are trimmed and
/// de-duplicated (unknown ones are created).
#[tracing::instrument(skip_all)]
pub async fn create(st: &AppState, actor: Actor, new: NewMovie) -> Result<movies::Model, AppError> {
    let new = NewMovie {
        title: check_title(&new.title)?,
        genres: clean_names(new.genres, "genre")?,
        directors: clean_names(new.directors, "director")?,
        cast: clean_names(new.cast, "cast")?,
        ..new
    };
    let mut uow = UnitOfWork::begin(st, actor).await?;
    let m = repo::create(uow.db(), new).await?;
    uow.audit("movie.create", ("movie", m.id), json!({}));
    uow.touches(Effect::Catalogue);
    uow.commit().await?;
    Ok(m)
}

/// Changes a movie's details; omitted fields stay. Deleted movie: NOT_FOUND.
#[tracing::instrument(skip_all, fields(movie_id = id))]
pub async fn update(
    st: &AppState,
    actor: Actor,
    id: i32,
    patch: MoviePatch,
) -> Result<movies::Model, AppError> {
    let patch = MoviePatch {
        title: patch.title.as_deref().map(check_title).transpose()?,
        genres: patch.genres.map(|g| clean_names(g, "genre")).transpose()?,
        directors: patch
            .directors
            .map(|d| clean_names(d, "director"))
            .transpose()?,
        cast: patch.cast.map(|c| clean_names(c, "cast")).transpose()?,
        ..patch
    };
    change(st, actor, id, "movie.update", json!({}), async |db, m| {
        repo::update(db, m, patch).await
    })
    .await
}

/// Makes a movie available or unavailable.
#[tracing::instrument(skip_all, fields(movie_id = id, available))]
pub async fn set_availability(
    st: &AppState,
    actor: Actor,
    id: i32,
    available: bool,
) -> Result<movies::Model, AppError> {
    let details = json!({ "available": available });
    change(
        st,
        actor,
        id,
        "movie.availability",
        details,
        async |db, m| repo::set_availability(db, m, available).await,
    )
    .await
}

/// Deletes a movie: it disappears from every list, search and recommendation.
#[tracing::instrument(skip_all, fields(movie_id = id))]
pub async fn delete(st: &AppState, actor: Actor, id: i32) -> Result<(), AppError> {
    change(st, actor, id, "movie.delete", json!({}), async |db, m| {
        repo::soft_delete(db, m).await
    })
    .await?;
    Ok(())
}

/// One change to an existing (not deleted) movie: applied, audited, and the catalogue index
/// reloaded after the commit.
async fn change(
    st: &AppState,
    actor: Actor,
    id: i32,
    action: &'static str,
    details: serde_json::Value,
    apply: impl AsyncFnOnce(&DatabaseTransaction, movies::Model) -> Result<movies::Model, DbErr>,
) -> Result<movies::Model, AppError> {
    let mut uow = UnitOfWork::begin(st, actor).await?;
    let m = repo::get(uow.db(), id, true)
        .await?
        .ok_or(AppError::NotFound("movie"))?;
    let m = apply(uow.db(), m).await?;
    uow.audit(action, ("movie", id), details);
    uow.touches(Effect::Catalogue);
    uow.commit().await?;
    Ok(m)
}

fn check_title(t: &str) -> Result<String, AppError> {
    let t = t.trim();
    if t.is_empty() {
        return Err(AppError::bad_input("title must not be blank"));
    }
    Ok(t.to_owned())
}

/// Trims names and drops repeats; a blank or overlong name is BAD_USER_INPUT.
fn clean_names(v: Vec<String>, what: &str) -> Result<Vec<String>, AppError> {
    let mut out: Vec<String> = Vec::with_capacity(v.len());
    for n in v {
        let n = n.trim().to_owned();
        if n.is_empty() || n.len() > 200 {
            return Err(AppError::bad_input(format!(
                "{what} names must be 1 to 200 characters"
            )));
        }
        if !out.contains(&n) {
            out.push(n);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_repeats_dropped() {
        let v = clean_names(
            vec![" Drama ".into(), "Drama".into(), "Crime".into()],
            "genre",
        );
        assert_eq!(v.unwrap(), vec!["Drama".to_owned(), "Crime".to_owned()]);
    }

    #[test]
    fn blank_names_and_titles_are_bad_input() {
        assert_eq!(
            clean_names(vec!["  ".into()], "cast").unwrap_err().code().0,
            "BAD_USER_INPUT"
        );
        assert_eq!(check_title(" \t").unwrap_err().code().0, "BAD_USER_INPUT");
    }
}
