//! The curation service: collections and their movies, placements (pins), boost/bury/block
//! rules and diversity settings. Each change is validated into domain values, written with its
//! audit entry in one transaction, and served from the next request on (the curation cache is
//! invalidated after the commit).
use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseTransaction, DbErr};
use serde_json::json;

use super::{Actor, Effect, UnitOfWork};
use crate::db::entities::{collections, diversity_settings, placements, rules};
use crate::db::repo;
use crate::db::repo::curation as repo_curation;
use crate::error::AppError;
use crate::state::AppState;
use marquee_core::serving::curation::{
    Audience, DiversitySettings, PinTarget, RuleKind, Schedule, Surface,
};

/// Where a collection stands.
#[derive(Copy, Clone, Eq, PartialEq, Debug)]
pub enum CollectionStatus {
    /// Being prepared; only staff see it.
    Draft,
    /// Shown to its audience within its schedule.
    Published,
    /// Retired; only staff see it.
    Archived,
}

impl CollectionStatus {
    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "DRAFT",
            Self::Published => "PUBLISHED",
            Self::Archived => "ARCHIVED",
        }
    }

    /// Parses a stored name (anything unknown is a draft, which only staff see).
    pub fn parse(s: &str) -> Self {
        match s {
            "PUBLISHED" => Self::Published,
            "ARCHIVED" => Self::Archived,
            _ => Self::Draft,
        }
    }
}

/// The stored name of a rule kind.
pub fn rule_kind_key(k: RuleKind) -> &'static str {
    match k {
        RuleKind::Boost => "BOOST",
        RuleKind::Bury => "BURY",
        RuleKind::Block => "BLOCK",
    }
}

/// Parses a stored rule kind (anything unknown blocks, the safe reading).
pub fn rule_kind(s: &str) -> RuleKind {
    match s {
        "BOOST" => RuleKind::Boost,
        "BURY" => RuleKind::Bury,
        _ => RuleKind::Block,
    }
}

/// The audience stored as JSON text (none stored: everyone).
pub fn audience_of(text: Option<&str>) -> Audience {
    text.and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_default()
}

/// A new collection (created as a draft).
#[derive(Debug, Clone, Default)]
pub struct NewCollection {
    pub slug: String,
    pub title: String,
    pub description: Option<String>,
    pub artwork_url: Option<String>,
    /// The movies, in order.
    pub movie_ids: Vec<i32>,
    pub schedule: Schedule,
    pub audience: Audience,
}

/// Changes to a collection: `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct CollectionPatch {
    pub slug: Option<String>,
    pub title: Option<String>,
    pub description: Option<Option<String>>,
    pub artwork_url: Option<Option<String>>,
    pub starts_at: Option<Option<DateTime<Utc>>>,
    pub ends_at: Option<Option<DateTime<Utc>>>,
    pub audience: Option<Audience>,
    pub status: Option<CollectionStatus>,
}

/// A new placement.
#[derive(Debug, Clone)]
pub struct NewPlacement {
    /// HOME, RECOMMENDATIONS or GENRE:<name>.
    pub surface: String,
    /// 1-based slot, at most 100.
    pub position: i32,
    pub target: PinTarget,
    pub schedule: Schedule,
    pub audience: Audience,
}

/// A new rule: exactly one target (a movie, a genre by name, a person, or a year range).
#[derive(Debug, Clone)]
pub struct NewRule {
    pub kind: RuleKind,
    /// BOOST: above 1, at most 10 (default 1.5); BURY: between 0 and 1 (default 0.5); ignored
    /// for BLOCK.
    pub multiplier: Option<f64>,
    pub movie_id: Option<i32>,
    pub genre: Option<String>,
    pub person_id: Option<i32>,
    pub year_from: Option<i32>,
    pub year_to: Option<i32>,
    /// Only on this surface (default every surface).
    pub surface: Option<String>,
    pub schedule: Schedule,
    /// Internal note for editors.
    pub note: Option<String>,
    /// A boost's public reason ("Editor's pick: <reason>").
    pub reason: Option<String>,
}

/// Opens a unit of work for a curation change: whatever it commits reloads the curation.
async fn begin(st: &AppState, actor: Actor) -> Result<UnitOfWork<'_>, AppError> {
    let mut uow = UnitOfWork::begin(st, actor).await?;
    uow.touches(Effect::Curation);
    Ok(uow)
}

/// Creates a collection as a draft. A taken slug is CONFLICT; an unknown movie BAD_USER_INPUT.
#[tracing::instrument(skip_all)]
pub async fn create_collection(
    st: &AppState,
    actor: Actor,
    new: NewCollection,
) -> Result<collections::Model, AppError> {
    let slug = check_slug(&new.slug)?;
    let title = check_title(&new.title)?;
    let artwork_url = check_url(new.artwork_url)?;
    check_schedule(new.schedule)?;
    let audience = check_audience(new.audience)?;
    let mut uow = begin(st, actor).await?;
    known_movies(&uow, &new.movie_ids).await?;
    slug_free(&uow, &slug, None).await?;
    let c = repo_curation::create_collection(
        uow.db(),
        repo_curation::NewCollection {
            slug,
            title,
            description: new.description,
            artwork_url,
            starts_at: new.schedule.starts_at,
            ends_at: new.schedule.ends_at,
            audience: audience_json(&audience),
        },
    )
    .await?;
    repo_curation::set_items(uow.db(), c.id, &new.movie_ids).await?;
    uow.audit(
        "collection.create",
        ("collection", c.id),
        json!({ "slug": c.slug, "movies": new.movie_ids.len() }),
    );
    uow.commit().await?;
    Ok(c)
}

/// Changes a collection's details, schedule, audience or status.
#[tracing::instrument(skip_all, fields(collection_id = id))]
pub async fn update_collection(
    st: &AppState,
    actor: Actor,
    id: i32,
    patch: CollectionPatch,
) -> Result<collections::Model, AppError> {
    let mut uow = begin(st, actor).await?;
    let mut c = collection_or_404(&uow, id).await?;
    c.starts_at = patch.starts_at.unwrap_or(c.starts_at);
    c.ends_at = patch.ends_at.unwrap_or(c.ends_at);
    check_schedule(Schedule {
        starts_at: c.starts_at,
        ends_at: c.ends_at,
    })?;
    let mut changed = vec![];
    if let Some(s) = patch.slug {
        let s = check_slug(&s)?;
        slug_free(&uow, &s, Some(c.id)).await?;
        c.slug = s;
        changed.push("slug");
    }
    if let Some(t) = patch.title {
        c.title = check_title(&t)?;
        changed.push("title");
    }
    if let Some(d) = patch.description {
        c.description = d;
        changed.push("description");
    }
    if let Some(u) = patch.artwork_url {
        c.artwork_url = check_url(u)?;
        changed.push("artworkUrl");
    }
    if let Some(a) = patch.audience {
        c.audience = Some(audience_json(&check_audience(a)?));
        changed.push("audience");
    }
    if let Some(s) = patch.status {
        c.status = s.as_str().to_owned();
        changed.push("status");
    }
    let c = repo_curation::save_collection(uow.db(), c).await?;
    uow.audit(
        "collection.update",
        ("collection", c.id),
        json!({ "changed": changed }),
    );
    uow.commit().await?;
    Ok(c)
}

/// Replaces a collection's movies with these, in this order. An unknown or repeated movie is
/// BAD_USER_INPUT and nothing changes.
#[tracing::instrument(skip_all, fields(collection_id = id))]
pub async fn set_collection_movies(
    st: &AppState,
    actor: Actor,
    id: i32,
    movie_ids: &[i32],
) -> Result<collections::Model, AppError> {
    let mut uow = begin(st, actor).await?;
    let c = collection_or_404(&uow, id).await?;
    known_movies(&uow, movie_ids).await?;
    repo_curation::set_items(uow.db(), c.id, movie_ids).await?;
    let c = repo_curation::save_collection(uow.db(), c).await?;
    uow.audit(
        "collection.movies",
        ("collection", c.id),
        json!({ "movies": movie_ids.len() }),
    );
    uow.commit().await?;
    Ok(c)
}

/// Publishes a collection (shown to its audience within its schedule) or archives it.
#[tracing::instrument(skip_all, fields(collection_id = id, ?status))]
pub async fn set_collection_status(
    st: &AppState,
    actor: Actor,
    id: i32,
    status: CollectionStatus,
) -> Result<collections::Model, AppError> {
    let action = match status {
        CollectionStatus::Published => "collection.publish",
        CollectionStatus::Archived => "collection.archive",
        CollectionStatus::Draft => {
            return Err(AppError::bad_input("a collection cannot go back to draft"))
        }
    };
    let mut uow = begin(st, actor).await?;
    let mut c = collection_or_404(&uow, id).await?;
    c.status = status.as_str().to_owned();
    let c = repo_curation::save_collection(uow.db(), c).await?;
    uow.audit(action, ("collection", c.id), json!({}));
    uow.commit().await?;
    Ok(c)
}

/// Pins a movie or a collection at a position of a surface.
#[tracing::instrument(skip_all)]
pub async fn create_placement(
    st: &AppState,
    actor: Actor,
    new: NewPlacement,
) -> Result<placements::Model, AppError> {
    let mut uow = begin(st, actor).await?;
    let row = placement_row(&uow, new).await?;
    let p = repo_curation::create_placement(uow.db(), row).await?;
    uow.audit("placement.create", ("placement", p.id), placement_audit(&p));
    uow.commit().await?;
    Ok(p)
}

/// Replaces a placement's settings, with the same checks as [`create_placement`]; NOT_FOUND
/// when there is none. The audit entry keeps the settings it replaced.
#[tracing::instrument(skip_all, fields(placement_id = id))]
pub async fn update_placement(
    st: &AppState,
    actor: Actor,
    id: i32,
    new: NewPlacement,
) -> Result<placements::Model, AppError> {
    let mut uow = begin(st, actor).await?;
    let old = repo_curation::placement(uow.db(), id)
        .await?
        .ok_or(AppError::NotFound("placement"))?;
    let row = placements::Model {
        id,
        created_at: old.created_at,
        ..placement_row(&uow, new).await?
    };
    let p = repo_curation::save_placement(uow.db(), row).await?;
    uow.audit(
        "placement.update",
        ("placement", id),
        json!({ "before": placement_audit(&old), "after": placement_audit(&p) }),
    );
    uow.commit().await?;
    Ok(p)
}

/// The row `new` describes, checked (its id 0, created now).
async fn placement_row(
    uow: &UnitOfWork<'_>,
    new: NewPlacement,
) -> Result<placements::Model, AppError> {
    let surface = parse_surface(&new.surface)?;
    if !(1..=100).contains(&new.position) {
        return Err(AppError::bad_input("position must be between 1 and 100"));
    }
    check_schedule(new.schedule)?;
    let audience = check_audience(new.audience)?;
    let (movie_id, collection_id) = match new.target {
        PinTarget::Movie(m) => {
            known_movies(uow, &[m]).await?;
            (Some(m), None)
        }
        PinTarget::Collection(c) => (None, Some(collection_or_404(uow, c).await?.id)),
    };
    Ok(placements::Model {
        id: 0,
        surface: surface.key(),
        position: new.position,
        movie_id,
        collection_id,
        starts_at: new.schedule.starts_at,
        ends_at: new.schedule.ends_at,
        audience: Some(audience_json(&audience)),
        created_at: Utc::now(),
    })
}

fn placement_audit(p: &placements::Model) -> serde_json::Value {
    json!({ "surface": p.surface, "position": p.position,
        "movieId": p.movie_id, "collectionId": p.collection_id,
        "startsAt": p.starts_at, "endsAt": p.ends_at, "audience": p.audience })
}

/// Removes a placement; false when there was none.
#[tracing::instrument(skip_all, fields(placement_id = id))]
pub async fn delete_placement(st: &AppState, actor: Actor, id: i32) -> Result<bool, AppError> {
    delete(
        st,
        actor,
        ("placement.delete", "placement"),
        id,
        async |db, id| repo_curation::delete_placement(db, id).await,
    )
    .await
}

/// Adds a boost, bury or block rule.
#[tracing::instrument(skip_all, fields(kind = ?new.kind))]
pub async fn create_rule(
    st: &AppState,
    actor: Actor,
    new: NewRule,
) -> Result<rules::Model, AppError> {
    let mut uow = begin(st, actor).await?;
    let row = rule_row(&uow, new).await?;
    let r = repo_curation::create_rule(uow.db(), row).await?;
    uow.audit("rule.create", ("rule", r.id), rule_audit(&r));
    uow.commit().await?;
    Ok(r)
}

/// Replaces a rule's settings, with the same checks as [`create_rule`]; NOT_FOUND when there
/// is none. The audit entry keeps the settings it replaced.
#[tracing::instrument(skip_all, fields(rule_id = id))]
pub async fn update_rule(
    st: &AppState,
    actor: Actor,
    id: i32,
    new: NewRule,
) -> Result<rules::Model, AppError> {
    let mut uow = begin(st, actor).await?;
    let old = repo_curation::rule(uow.db(), id)
        .await?
        .ok_or(AppError::NotFound("rule"))?;
    let row = rules::Model {
        id,
        created_at: old.created_at,
        ..rule_row(&uow, new).await?
    };
    let r = repo_curation::save_rule(uow.db(), row).await?;
    uow.audit(
        "rule.update",
        ("rule", id),
        json!({ "before": rule_audit(&old), "after": rule_audit(&r) }),
    );
    uow.commit().await?;
    Ok(r)
}

/// Longest internal note of a rule.
pub const RULE_NOTE_MAX_CHARS: usize = 1000;
/// Longest public reason of a boost ("Editor's pick: <reason>" must fit a card).
pub const RULE_REASON_MAX_CHARS: usize = 80;

/// The row `new` describes, checked (its id 0, created now).
async fn rule_row(uow: &UnitOfWork<'_>, new: NewRule) -> Result<rules::Model, AppError> {
    let multiplier = match (new.kind, new.multiplier) {
        (RuleKind::Block, _) => 0.0,
        (RuleKind::Boost, None) => 1.5,
        (RuleKind::Bury, None) => 0.5,
        (RuleKind::Boost, Some(m)) if m > 1.0 && m <= 10.0 => m,
        (RuleKind::Bury, Some(m)) if m > 0.0 && m < 1.0 => m,
        (RuleKind::Boost, Some(_)) => {
            return Err(AppError::bad_input(
                "a boost multiplier must be above 1 and at most 10",
            ))
        }
        (RuleKind::Bury, Some(_)) => {
            return Err(AppError::bad_input(
                "a bury multiplier must be between 0 and 1",
            ))
        }
    };
    let surface = new.surface.as_deref().map(parse_surface).transpose()?;
    check_schedule(new.schedule)?;
    if let (Some(a), Some(b)) = (new.year_from, new.year_to) {
        if a > b {
            return Err(AppError::bad_input("yearFrom must not be after yearTo"));
        }
    }
    let targets = [
        new.movie_id.is_some(),
        new.genre.is_some(),
        new.person_id.is_some(),
        new.year_from.is_some() || new.year_to.is_some(),
    ]
    .iter()
    .filter(|t| **t)
    .count();
    if targets != 1 {
        return Err(AppError::bad_input(
            "give exactly one target: movieId, genre, personId or a year range",
        ));
    }
    let trimmed = |t: Option<String>| t.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    let note = trimmed(new.note);
    if note
        .as_ref()
        .is_some_and(|n| n.chars().count() > RULE_NOTE_MAX_CHARS)
    {
        return Err(AppError::bad_input(format!(
            "note must be at most {RULE_NOTE_MAX_CHARS} characters"
        )));
    }
    let reason = trimmed(new.reason);
    if let Some(r) = &reason {
        if new.kind != RuleKind::Boost {
            return Err(AppError::bad_input(
                "only a boost has a public reason: subscribers never see buries and blocks",
            ));
        }
        if r.chars().count() > RULE_REASON_MAX_CHARS {
            return Err(AppError::bad_input(format!(
                "reason must be at most {RULE_REASON_MAX_CHARS} characters"
            )));
        }
    }
    if let Some(m) = new.movie_id {
        known_movies(uow, &[m]).await?;
    }
    let genre_id = match &new.genre {
        Some(g) => Some(
            repo::movies::all_genres(uow.db())
                .await?
                .into_iter()
                .find(|(m, _)| m.name.eq_ignore_ascii_case(g.trim()))
                .map(|(m, _)| m.id)
                .ok_or_else(|| AppError::bad_input(format!("unknown genre {g}")))?,
        ),
        None => None,
    };
    if let Some(p) = new.person_id {
        repo::movies::person(uow.db(), p)
            .await?
            .ok_or_else(|| AppError::bad_input("unknown person"))?;
    }
    Ok(rules::Model {
        id: 0,
        kind: rule_kind_key(new.kind).to_owned(),
        multiplier,
        movie_id: new.movie_id,
        genre_id,
        person_id: new.person_id,
        year_from: new.year_from,
        year_to: new.year_to,
        surface: surface.map(|s| s.key()),
        starts_at: new.schedule.starts_at,
        ends_at: new.schedule.ends_at,
        note,
        reason,
        created_at: Utc::now(),
    })
}

fn rule_audit(r: &rules::Model) -> serde_json::Value {
    json!({ "kind": r.kind, "multiplier": r.multiplier, "movieId": r.movie_id,
        "genreId": r.genre_id, "personId": r.person_id, "yearFrom": r.year_from,
        "yearTo": r.year_to, "surface": r.surface, "startsAt": r.starts_at,
        "endsAt": r.ends_at, "reason": r.reason })
}

/// Removes a rule; false when there was none.
#[tracing::instrument(skip_all, fields(rule_id = id))]
pub async fn delete_rule(st: &AppState, actor: Actor, id: i32) -> Result<bool, AppError> {
    delete(st, actor, ("rule.delete", "rule"), id, async |db, id| {
        repo_curation::delete_rule(db, id).await
    })
    .await
}

/// Deletes one row; when there was one, audits it (`action` on `target_type`) and commits.
/// When there was none nothing changed: no audit entry, and the curation stays cached.
async fn delete(
    st: &AppState,
    actor: Actor,
    (action, target_type): (&'static str, &'static str),
    id: i32,
    delete: impl AsyncFnOnce(&DatabaseTransaction, i32) -> Result<bool, DbErr>,
) -> Result<bool, AppError> {
    let mut uow = begin(st, actor).await?;
    let gone = delete(uow.db(), id).await?;
    if gone {
        uow.audit(action, (target_type, id), json!({}));
        uow.commit().await?;
    }
    Ok(gone)
}

/// The stored row of a surface's diversity settings (stamped now).
pub(crate) fn diversity_row(surface: &Surface, d: &DiversitySettings) -> diversity_settings::Model {
    diversity_settings::Model {
        id: 0,
        surface: surface.key(),
        max_per_genre: d.max_per_genre.map(|v| v as i32),
        mmr_lambda: d.mmr_lambda,
        calibration: d.calibration,
        min_genres: d.min_genres.map(|v| v as i32),
        novelty_weight: d.novelty_weight,
        updated_at: Utc::now(),
    }
}

/// Sets a surface's diversity settings (replacing the old ones).
#[tracing::instrument(skip_all)]
pub async fn set_diversity(
    st: &AppState,
    actor: Actor,
    surface: &str,
    d: DiversitySettings,
) -> Result<diversity_settings::Model, AppError> {
    let surface = parse_surface(surface)?;
    d.validate().map_err(AppError::bad_input)?;
    let mut uow = begin(st, actor).await?;
    let m = repo_curation::upsert_diversity(uow.db(), diversity_row(&surface, &d)).await?;
    uow.audit(
        "diversity.set",
        ("surface", m.surface.clone()),
        json!({ "maxPerGenre": m.max_per_genre, "mmrLambda": m.mmr_lambda,
            "calibration": m.calibration, "minGenres": m.min_genres,
            "noveltyWeight": m.novelty_weight }),
    );
    uow.commit().await?;
    Ok(m)
}

async fn collection_or_404(uow: &UnitOfWork<'_>, id: i32) -> Result<collections::Model, AppError> {
    repo_curation::collection(uow.db(), id)
        .await?
        .ok_or(AppError::NotFound("collection"))
}

async fn slug_free(uow: &UnitOfWork<'_>, slug: &str, except: Option<i32>) -> Result<(), AppError> {
    match repo_curation::collection_by_slug(uow.db(), slug).await? {
        Some(c) if Some(c.id) != except => Err(AppError::Conflict(format!("slug {slug} is taken"))),
        _ => Ok(()),
    }
}

/// Checks that no movie is listed twice and each names a movie that is not deleted. Errors
/// name the 1-based position in the list, which the caller sent.
async fn known_movies(uow: &UnitOfWork<'_>, ids: &[i32]) -> Result<(), AppError> {
    let at = |i: usize| {
        if ids.len() > 1 {
            format!(" at position {}", i + 1)
        } else {
            String::new()
        }
    };
    let mut seen = HashSet::new();
    if let Some(i) = ids.iter().position(|m| !seen.insert(*m)) {
        return Err(AppError::bad_input(format!(
            "the movie{} is listed twice",
            at(i)
        )));
    }
    let found: HashSet<i32> = repo::movies::by_ids(uow.db(), ids)
        .await?
        .into_iter()
        .filter(|m| m.deleted_at.is_none())
        .map(|m| m.id)
        .collect();
    match ids.iter().position(|m| !found.contains(m)) {
        Some(i) => Err(AppError::bad_input(format!("unknown movie{}", at(i)))),
        None => Ok(()),
    }
}

fn audience_json(a: &Audience) -> String {
    serde_json::to_string(a).unwrap_or_default()
}

/// Normalises an audience (trimmed genre, upper-case countries) and checks it.
fn check_audience(a: Audience) -> Result<Audience, AppError> {
    let a = Audience {
        genre_affinity: a
            .genre_affinity
            .map(|g| g.trim().to_owned())
            .filter(|g| !g.is_empty()),
        countries: a
            .countries
            .into_iter()
            .map(|c| c.trim().to_ascii_uppercase())
            .collect(),
        ..a
    };
    a.validate().map_err(AppError::bad_input)?;
    Ok(a)
}

fn check_schedule(s: Schedule) -> Result<(), AppError> {
    s.validate().map_err(AppError::bad_input)
}

fn parse_surface(s: &str) -> Result<Surface, AppError> {
    Surface::parse(s).map_err(AppError::bad_input)
}

fn check_slug(slug: &str) -> Result<String, AppError> {
    let s = slug.trim().to_ascii_lowercase();
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-');
    if !ok {
        return Err(AppError::bad_input(
            "slug must be 1–64 lower-case letters, digits and inner hyphens",
        ));
    }
    Ok(s)
}

fn check_title(t: &str) -> Result<String, AppError> {
    let t = t.trim();
    if t.is_empty() || t.chars().count() > 200 {
        return Err(AppError::bad_input("title must be 1–200 characters"));
    }
    Ok(t.to_owned())
}

fn check_url(u: Option<String>) -> Result<Option<String>, AppError> {
    match u.map(|u| u.trim().to_owned()).filter(|u| !u.is_empty()) {
        Some(u) if !(u.starts_with("https://") || u.starts_with("http://")) || u.len() > 2048 => {
            Err(AppError::bad_input("artworkUrl must be an http(s) URL"))
        }
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lower_cased_and_need_inner_hyphens_only() {
        assert_eq!(check_slug(" Summer-Picks ").unwrap(), "summer-picks");
        for bad in ["", "-a", "a-", "a b", "é"] {
            assert!(check_slug(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn blank_artwork_urls_clear_and_other_schemes_are_refused() {
        assert_eq!(check_url(Some("  ".into())).unwrap(), None);
        assert!(check_url(Some("ftp://x".into())).is_err());
    }

    #[test]
    fn stored_statuses_and_rule_kinds_round_trip() {
        for s in [
            CollectionStatus::Draft,
            CollectionStatus::Published,
            CollectionStatus::Archived,
        ] {
            assert_eq!(CollectionStatus::parse(s.as_str()), s);
        }
        for k in [RuleKind::Boost, RuleKind::Bury, RuleKind::Block] {
            assert_eq!(rule_kind(rule_kind_key(k)), k);
        }
    }
}
