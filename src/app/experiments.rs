//! Experiments: their definitions and lifecycle (DRAFT → RUNNING → STOPPED, shipping a
//! winner), the assignment of users to variants when a list is served, and the results.
//!
//! Assignment is `marquee_core::experiments::Claim`: deterministic per user (the user's id and
//! the experiment's salt), so it is the same on every replica and request. Experiments on one
//! surface share that surface's layer and must claim disjoint traffic ranges of it to run at
//! the same time; an orthogonal experiment hashes users into a layer of its own, so it may
//! overlap any other. Users who have not consented to personalisation are in no experiment
//! (they get the default), and staff previews are never assigned or logged.
//!
//! The running experiments are read from the database at most every [`REFRESH`] (and at once
//! after a change in this process), so another replica's start or stop reaches this one within
//! that time.
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, Utc};
use marquee_core::experiments::{
    self as core_x, Allocation, Claim, Exposure, Guardrail, Metric, Origin, OriginTally, Outcome,
    Results, ShownItem, Signal, TrafficRange, VariantConfig,
};
use marquee_core::feedback::EventKind;
use marquee_core::serving::curation::{CurationSnapshot, Surface};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Actor, Effect, UnitOfWork};
use crate::db::entities::{experiments, users};
use crate::db::repo;
use crate::db::repo::events::LoggedItem;
use crate::error::AppError;
use crate::state::AppState;

/// How long the running experiments are kept before they are read again.
pub const REFRESH: StdDuration = StdDuration::from_secs(5);
/// Attribution windows allowed, in hours (up to 30 days).
const MAX_WINDOW_HOURS: i32 = 720;

/// Where an experiment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Defined, not serving.
    Draft,
    /// Serving its variants.
    Running,
    /// Over (stopped by staff, by a guardrail or at its end).
    Stopped,
}

impl Status {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "DRAFT",
            Status::Running => "RUNNING",
            Status::Stopped => "STOPPED",
        }
    }

    fn parse(s: &str) -> Option<Status> {
        [Status::Draft, Status::Running, Status::Stopped]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// One variant as stored (the `variants` column holds a JSON array of them; the first is the
/// control).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Variant {
    /// A short name ("control", "no-curation").
    pub name: String,
    /// Its share of the experiment's users.
    pub share: f64,
    /// What it changes in serving.
    #[serde(default)]
    pub config: VariantConfig,
}

/// A new experiment, as staff define it.
#[derive(Debug, Clone)]
pub struct NewExperiment {
    pub name: String,
    pub description: Option<String>,
    /// HOME or RECOMMENDATIONS.
    pub surface: String,
    /// 2 to 5; the first is the control.
    pub variants: Vec<Variant>,
    /// The part of the surface's users it claims, as fractions `[from, to)`.
    pub traffic: (f64, f64),
    /// Whether it hashes users independently of the surface's other experiments.
    pub orthogonal: bool,
    pub primary_metric: Metric,
    pub guardrails: Vec<Guardrail>,
    /// Events up to this many hours after an exposure are attributed to it.
    pub window_hours: i32,
    /// When it stops by itself.
    pub ends_at: Option<DateTime<Utc>>,
}

/// An experiment, decoded from its row.
#[derive(Debug, Clone)]
pub struct Experiment {
    pub row: experiments::Model,
    pub surface: Surface,
    pub status: Status,
    pub variants: Vec<Variant>,
    pub claim: Claim,
    pub primary_metric: Metric,
    pub guardrails: Vec<Guardrail>,
}

impl Experiment {
    /// Decodes a stored row; a row that does not decode is a bug (rows are written only here).
    pub fn decode(row: experiments::Model) -> Result<Self, AppError> {
        let bad = |what: &str| {
            AppError::Unexpected(anyhow::anyhow!(
                "experiment {} has an unreadable {what}",
                row.id
            ))
        };
        let surface = Surface::parse(&row.surface).map_err(|_| bad("surface"))?;
        let status = Status::parse(&row.status).ok_or_else(|| bad("status"))?;
        let variants: Vec<Variant> =
            serde_json::from_str(&row.variants).map_err(|_| bad("variants"))?;
        let guardrails: Vec<Guardrail> =
            serde_json::from_str(&row.guardrails).map_err(|_| bad("guardrails"))?;
        let primary_metric = Metric::parse(&row.primary_metric).ok_or_else(|| bad("metric"))?;
        let shares: Vec<f64> = variants.iter().map(|v| v.share).collect();
        let allocation = Allocation::new(&shares).map_err(|_| bad("split"))?;
        let claim = Claim {
            layer: layer(&surface, row.orthogonal, &row.salt),
            traffic: TrafficRange {
                start: row.traffic_start as u32,
                end: row.traffic_end as u32,
            },
            salt: row.salt.clone(),
            allocation,
        };
        Ok(Experiment {
            row,
            surface,
            status,
            variants,
            claim,
            primary_metric,
            guardrails,
        })
    }

    /// The variant index of a name.
    pub fn variant_index(&self, name: &str) -> Option<usize> {
        self.variants.iter().position(|v| v.name == name)
    }

    /// Whether it serves at `now` (running and not past its end).
    fn serving_at(&self, now: DateTime<Utc>) -> bool {
        self.status == Status::Running && self.row.ends_at.is_none_or(|e| now < e)
    }
}

/// The layer an experiment hashes users in: its surface's, or its own when orthogonal.
fn layer(surface: &Surface, orthogonal: bool, salt: &str) -> String {
    if orthogonal {
        format!("experiment:{salt}")
    } else {
        format!("surface:{}", surface.key())
    }
}

/// A user's place in one experiment.
#[derive(Debug, Clone)]
pub struct Assignment {
    pub experiment: Arc<Experiment>,
    pub variant: usize,
}

impl Assignment {
    /// The variant's name.
    pub fn variant_name(&self) -> &str {
        &self.experiment.variants[self.variant].name
    }

    /// (experiment id, variant index), as exposures record it.
    pub fn key(&self) -> (i32, i32) {
        (self.experiment.row.id, self.variant as i32)
    }

    /// The variant's serving configuration.
    pub fn config(&self) -> &VariantConfig {
        &self.experiment.variants[self.variant].config
    }
}

/// The running experiments, oldest first.
pub type Running = Arc<Vec<Arc<Experiment>>>;

/// (assignments' keys) → (the base snapshot it was derived from, the derived snapshot). The
/// `Weak` keeps the base's allocation from being reused while it is compared by address.
type Derived = HashMap<Vec<(i32, i32)>, (Weak<CurationSnapshot>, Arc<CurationSnapshot>)>;

/// The running experiments, cached for serving, and the curation snapshots their variants
/// derive from the one in force.
#[derive(Default)]
pub struct ExperimentRegistry {
    running: Mutex<Option<(Instant, Running)>>,
    derived: Mutex<Derived>,
}

impl ExperimentRegistry {
    /// Drops the cached list: the next request reads it again.
    pub fn invalidate(&self) {
        *self.running.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// The running experiments (read again when older than [`REFRESH`]).
    pub async fn running(&self, db: &sea_orm::DatabaseConnection) -> Result<Running, AppError> {
        if let Some((at, list)) = &*self.running.lock().unwrap_or_else(|e| e.into_inner()) {
            if at.elapsed() < REFRESH {
                return Ok(list.clone());
            }
        }
        let rows = repo::experiments::with_status(db, Status::Running.as_str()).await?;
        let list: Vec<Arc<Experiment>> = rows
            .into_iter()
            .map(|r| Experiment::decode(r).map(Arc::new))
            .collect::<Result<_, _>>()?;
        let list = Arc::new(list);
        *self.running.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((Instant::now(), list.clone()));
        Ok(list)
    }

    /// The experiments (oldest first) that claim `user` on `surface` at `now`, with their
    /// variants. None for users without personalisation consent.
    pub async fn assign(
        &self,
        db: &sea_orm::DatabaseConnection,
        surface: &Surface,
        user: &users::Model,
        now: DateTime<Utc>,
    ) -> Result<Vec<Assignment>, AppError> {
        if !user.personalization_consent {
            return Ok(vec![]);
        }
        let running = self.running(db).await?;
        let key = user.id.to_string();
        Ok(running
            .iter()
            .filter(|e| e.surface.same_as(surface) && e.serving_at(now))
            .filter_map(|e| {
                e.claim.variant(&key).map(|variant| Assignment {
                    experiment: e.clone(),
                    variant,
                })
            })
            .collect())
    }

    /// The curation snapshot the pipeline reads for these assignments: `base` with each
    /// variant's configuration applied in turn (kept while `base` is the one in force).
    pub fn curation_for(
        &self,
        assignments: &[Assignment],
        surface: &Surface,
        base: &Arc<CurationSnapshot>,
    ) -> Arc<CurationSnapshot> {
        if assignments.iter().all(|a| a.config().is_neutral()) {
            return base.clone();
        }
        let key: Vec<(i32, i32)> = assignments.iter().map(Assignment::key).collect();
        let base_weak = Arc::downgrade(base);
        let mut derived = self.derived.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((from, snap)) = derived.get(&key) {
            if from.ptr_eq(&base_weak) {
                return snap.clone();
            }
        }
        // A new base: the snapshots derived from the old one are stale.
        derived.retain(|_, (from, _)| from.ptr_eq(&base_weak));
        let mut snap = (**base).clone();
        for a in assignments {
            snap = a.config().apply(&snap, surface);
        }
        let snap = Arc::new(snap);
        derived.insert(key, (base_weak, snap.clone()));
        snap
    }
}

fn check_name(name: &str, what: &str, max: usize) -> Result<String, AppError> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > max {
        return Err(AppError::bad_input(format!(
            "{what} must have 1 to {max} characters"
        )));
    }
    Ok(n.to_owned())
}

fn parse_surface(s: &str) -> Result<Surface, AppError> {
    match Surface::parse(s) {
        Ok(s @ (Surface::Home | Surface::Recommendations)) => Ok(s),
        _ => Err(AppError::bad_input(format!(
            "experiments run on HOME or RECOMMENDATIONS, not {s}"
        ))),
    }
}

async fn experiment_or_404(uow: &UnitOfWork<'_>, id: i32) -> Result<Experiment, AppError> {
    let row = repo::experiments::get(uow.db(), id)
        .await?
        .ok_or(AppError::NotFound("experiment"))?;
    Experiment::decode(row)
}

/// A variant's blend factors must name components of the ranking blend in service (when one
/// is; a blend trained later ignores names it does not have).
fn check_blend(st: &AppState, variant: &str, config: &VariantConfig) -> Result<(), AppError> {
    let Some(active) = st.recommender.active() else {
        return Ok(());
    };
    if config.blend.is_empty() {
        return Ok(());
    }
    let known = active.snapshot.ranking_components();
    if let Some(b) = config
        .blend
        .iter()
        .find(|b| !known.contains(&b.component.as_str()))
    {
        return Err(AppError::bad_input(format!(
            "variant {variant}: the ranking blend in service has no component {} (it has {})",
            b.component,
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        )));
    }
    if known.iter().all(|k| {
        config
            .blend
            .iter()
            .any(|b| b.component == *k && b.factor == 0.0)
    }) {
        return Err(AppError::bad_input(format!(
            "variant {variant}: the blend factors leave out every component"
        )));
    }
    Ok(())
}

/// Defines an experiment, as a draft.
#[tracing::instrument(skip_all)]
pub async fn create(
    st: &AppState,
    actor: Actor,
    new: NewExperiment,
) -> Result<Experiment, AppError> {
    let name = check_name(&new.name, "an experiment's name", 100)?;
    let surface = parse_surface(&new.surface)?;
    let shares: Vec<f64> = new.variants.iter().map(|v| v.share).collect();
    Allocation::new(&shares).map_err(|e| AppError::bad_input(e.to_string()))?;
    let mut variants = Vec::with_capacity(new.variants.len());
    for v in new.variants {
        let name = check_name(&v.name, "a variant's name", 40)?;
        if variants.iter().any(|w: &Variant| w.name == name) {
            return Err(AppError::bad_input(format!(
                "two variants are named {name}"
            )));
        }
        v.config
            .validate()
            .map_err(|e| AppError::bad_input(format!("variant {name}: {e}")))?;
        check_blend(st, &name, &v.config)?;
        variants.push(Variant { name, ..v });
    }
    let traffic = TrafficRange::from_fractions(new.traffic.0, new.traffic.1)
        .map_err(|e| AppError::bad_input(e.to_string()))?;
    if !(1..=MAX_WINDOW_HOURS).contains(&new.window_hours) {
        return Err(AppError::bad_input(format!(
            "the attribution window is 1 to {MAX_WINDOW_HOURS} hours"
        )));
    }
    for (i, g) in new.guardrails.iter().enumerate() {
        if !(g.tolerance.is_finite() && (0.0..=1.0).contains(&g.tolerance)) {
            return Err(AppError::bad_input(
                "a guardrail's tolerance is a relative loss between 0 and 1",
            ));
        }
        if new.guardrails[..i].iter().any(|h| h.metric == g.metric) {
            return Err(AppError::bad_input(format!(
                "two guardrails watch {}",
                g.metric.as_str()
            )));
        }
    }
    let now = Utc::now();
    if new.ends_at.is_some_and(|e| e <= now) {
        return Err(AppError::bad_input("endsAt must be in the future"));
    }
    let description = new
        .description
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty());
    let mut uow = UnitOfWork::begin(st, actor).await?;
    let row = repo::experiments::insert(
        uow.db(),
        experiments::Model {
            id: 0,
            name,
            description,
            surface: surface.key(),
            status: Status::Draft.as_str().to_owned(),
            salt: uuid::Uuid::new_v4().simple().to_string(),
            orthogonal: new.orthogonal,
            traffic_start: traffic.start as i32,
            traffic_end: traffic.end as i32,
            variants: serde_json::to_string(&variants).map_err(anyhow::Error::from)?,
            primary_metric: new.primary_metric.as_str().to_owned(),
            guardrails: serde_json::to_string(&new.guardrails).map_err(anyhow::Error::from)?,
            window_hours: new.window_hours,
            ends_at: new.ends_at,
            started_at: None,
            stopped_at: None,
            stop_reason: None,
            shipped_variant: None,
            created_at: now,
        },
    )
    .await?;
    uow.audit(
        "experiment.create",
        ("experiment", row.id),
        json!({ "surface": row.surface, "variants": variants.len(),
            "trafficStart": row.traffic_start, "trafficEnd": row.traffic_end }),
    );
    uow.commit().await?;
    Experiment::decode(row)
}

/// Starts a draft. Refused (CONFLICT) while another running experiment claims some of the
/// same users on the same surface, unless one of them is orthogonal.
#[tracing::instrument(skip_all, fields(experiment_id = id))]
pub async fn start(st: &AppState, actor: Actor, id: i32) -> Result<Experiment, AppError> {
    let mut uow = UnitOfWork::begin(st, actor).await?;
    let e = experiment_or_404(&uow, id).await?;
    if e.status != Status::Draft {
        return Err(AppError::Conflict(format!(
            "only a draft can start; this experiment is {}",
            e.status.as_str()
        )));
    }
    let now = Utc::now();
    if e.row.ends_at.is_some_and(|end| end <= now) {
        return Err(AppError::bad_input("its endsAt has passed"));
    }
    for other in repo::experiments::with_status(uow.db(), Status::Running.as_str()).await? {
        let other = Experiment::decode(other)?;
        if other.claim.layer == e.claim.layer && other.claim.traffic.overlaps(&e.claim.traffic) {
            return Err(AppError::Conflict(format!(
                "experiment {:?} already claims some of these users on {}; give this one \
                 another traffic range or make it orthogonal",
                other.row.name, other.row.surface
            )));
        }
    }
    let mut row = e.row;
    row.status = Status::Running.as_str().to_owned();
    row.started_at = Some(now);
    let row = repo::experiments::save(uow.db(), row).await?;
    uow.audit("experiment.start", ("experiment", id), json!({}));
    uow.commit().await?;
    st.experiments.invalidate();
    Experiment::decode(row)
}

/// Stops a running experiment (`reason` is kept with it).
#[tracing::instrument(skip_all, fields(experiment_id = id))]
pub async fn stop(
    st: &AppState,
    actor: Actor,
    id: i32,
    reason: Option<String>,
) -> Result<Experiment, AppError> {
    let mut uow = UnitOfWork::begin(st, actor).await?;
    let e = experiment_or_404(&uow, id).await?;
    if e.status != Status::Running {
        return Err(AppError::Conflict(format!(
            "only a running experiment can stop; this one is {}",
            e.status.as_str()
        )));
    }
    let reason = reason
        .map(|r| r.trim().chars().take(500).collect::<String>())
        .filter(|r| !r.is_empty());
    let row = stop_row(&uow, e.row, reason.clone(), Utc::now()).await?;
    uow.audit(
        "experiment.stop",
        ("experiment", id),
        json!({ "reason": reason }),
    );
    uow.commit().await?;
    st.experiments.invalidate();
    Experiment::decode(row)
}

async fn stop_row(
    uow: &UnitOfWork<'_>,
    mut row: experiments::Model,
    reason: Option<String>,
    at: DateTime<Utc>,
) -> Result<experiments::Model, AppError> {
    row.status = Status::Stopped.as_str().to_owned();
    row.stopped_at = Some(at);
    row.stop_reason = reason;
    Ok(repo::experiments::save(uow.db(), row).await?)
}

/// Ships a variant: its diversity settings become the surface's, in the same audited change
/// that stops the experiment (if it still runs) and records the winner. A variant that turns
/// curation off cannot be shipped as a setting (editors remove pins and rules instead).
#[tracing::instrument(skip_all, fields(experiment_id = id))]
pub async fn ship(
    st: &AppState,
    actor: Actor,
    id: i32,
    variant: &str,
) -> Result<Experiment, AppError> {
    let mut uow = UnitOfWork::begin(st, actor).await?;
    let e = experiment_or_404(&uow, id).await?;
    if e.status == Status::Draft {
        return Err(AppError::Conflict("a draft has nothing to ship".into()));
    }
    if let Some(shipped) = e.row.shipped_variant {
        return Err(AppError::Conflict(format!(
            "variant {} was shipped already",
            e.variants[shipped as usize].name
        )));
    }
    let index = e
        .variant_index(variant)
        .ok_or_else(|| AppError::bad_input(format!("no variant is named {variant}")))?;
    let config = &e.variants[index].config;
    if !config.curation {
        return Err(AppError::bad_input(
            "a variant without curation cannot be shipped as a setting: remove the pins, \
             collections and rules it left out instead",
        ));
    }
    if config.candidate_pool.is_some() || !config.is_neutral_blend() {
        return Err(AppError::bad_input(
            "a variant's candidate pool and blend weights are not server settings and cannot be \
             shipped: ship a variant that changes diversity only, or change the model",
        ));
    }
    if let Some(d) = &config.diversity {
        repo::curation::upsert_diversity(uow.db(), super::curation::diversity_row(&e.surface, d))
            .await?;
        uow.touches(Effect::Curation);
    }
    let mut row = e.row;
    if e.status == Status::Running {
        row = stop_row(
            &uow,
            row,
            Some(format!("shipped variant {variant}")),
            Utc::now(),
        )
        .await?;
    }
    row.shipped_variant = Some(index as i32);
    let row = repo::experiments::save(uow.db(), row).await?;
    uow.audit(
        "experiment.ship",
        ("experiment", id),
        json!({ "variant": variant, "diversity": config.diversity }),
    );
    uow.commit().await?;
    st.experiments.invalidate();
    Experiment::decode(row)
}

/// Every experiment, newest first.
pub async fn list(st: &AppState) -> Result<Vec<Experiment>, AppError> {
    repo::experiments::list(&st.db)
        .await?
        .into_iter()
        .map(Experiment::decode)
        .collect()
}

/// One experiment.
pub async fn get(st: &AppState, id: i32) -> Result<Option<Experiment>, AppError> {
    repo::experiments::get(&st.db, id)
        .await?
        .map(Experiment::decode)
        .transpose()
}

/// An experiment's results as of now.
#[derive(Debug, Clone)]
pub struct ExperimentResults {
    pub computed_at: DateTime<Utc>,
    pub results: Results,
    /// The results as they stood at the end of each day since the start, then now (asked
    /// for: see [`results`]).
    pub over_time: Vec<(DateTime<Utc>, Results)>,
}

/// Most points of a results-over-time chart.
pub const OVER_TIME_POINTS: usize = 31;

/// Computes an experiment's results from its exposures and what the exposed users did within
/// the attribution window (none before it starts); with `over_time`, also as they stood at
/// the end of each day since it started ([`OVER_TIME_POINTS`] at most).
#[tracing::instrument(skip_all, fields(experiment_id = e.row.id))]
pub async fn results(
    st: &AppState,
    e: &Experiment,
    over_time: bool,
) -> Result<ExperimentResults, AppError> {
    let db = &st.db;
    let rows = repo::experiments::exposures(db, e.row.id).await?;
    let mut exposures = Vec::with_capacity(rows.len());
    for (x, list) in rows {
        let items: Vec<LoggedItem> =
            serde_json::from_str(&list.items).map_err(anyhow::Error::from)?;
        exposures.push(Exposure {
            list: list.id,
            user: i64::from(list.user_id),
            variant: x.variant as usize,
            shown_at: list.created_at,
            first_position: items.first().map_or(0, |i| i.position.max(0) as usize),
            movies: items.into_iter().map(|i| i64::from(i.movie_id)).collect(),
        });
    }
    let mut users: Vec<i32> = exposures.iter().map(|x| x.user as i32).collect();
    users.sort_unstable();
    users.dedup();
    let since = exposures
        .iter()
        .map(|x| x.shown_at)
        .min()
        .unwrap_or_else(Utc::now);
    let outcomes = outcomes_of(st, &users, since).await?;
    let window = Duration::hours(i64::from(e.row.window_hours));
    let attribution = core_x::attribute(&exposures, &outcomes, e.variants.len(), window);
    let catalogue = st.recommender.catalogue(db).await?;
    let shares = e.claim.allocation.shares();
    let now = Utc::now();
    let over_time = match (over_time, e.row.started_at) {
        (true, Some(start)) => {
            let end = e.row.stopped_at.unwrap_or(now).min(now);
            let cutoffs = core_x::daily_cutoffs(start, end, OVER_TIME_POINTS);
            let size = catalogue.entries.len();
            let shares_for = shares.clone();
            st.compute
                .run(move || {
                    core_x::results_over_time(
                        &exposures,
                        &outcomes,
                        &shares_for,
                        window,
                        size,
                        &cutoffs,
                    )
                })
                .await?
        }
        _ => Vec::new(),
    };
    Ok(ExperimentResults {
        computed_at: now,
        results: core_x::results(
            &attribution,
            &shares,
            catalogue.entries.len(),
            &e.guardrails,
        ),
        over_time,
    })
}

/// Stops the running experiments that are past their end or whose results break a
/// guardrail; returns (id, reason) for each one stopped. Run periodically.
pub async fn enforce(st: &AppState) -> Result<Vec<(i32, String)>, AppError> {
    let now = Utc::now();
    let mut stopped = Vec::new();
    for row in repo::experiments::with_status(&st.db, Status::Running.as_str()).await? {
        let e = Experiment::decode(row)?;
        let reason = if e.row.ends_at.is_some_and(|end| end <= now) {
            Some("ended".to_owned())
        } else if e.guardrails.is_empty() {
            None
        } else {
            let r = results(st, &e, false).await?;
            r.results
                .variants
                .iter()
                .enumerate()
                .find(|(_, v)| !v.breached.is_empty())
                .map(|(i, v)| {
                    let metrics: Vec<&str> = v.breached.iter().map(|m| m.as_str()).collect();
                    format!(
                        "guardrail breached by variant {}: {}",
                        e.variants[i].name,
                        metrics.join(", ")
                    )
                })
        };
        let Some(reason) = reason else { continue };
        let mut uow = UnitOfWork::begin(st, Actor::System).await?;
        // Stopped meanwhile by someone else: nothing to do.
        let current = experiment_or_404(&uow, e.row.id).await?;
        if current.status != Status::Running {
            continue;
        }
        let at = match e.row.ends_at {
            Some(end) if end <= now => end,
            _ => now,
        };
        stop_row(&uow, current.row, Some(reason.clone()), at).await?;
        uow.audit(
            "experiment.stop",
            ("experiment", e.row.id),
            json!({ "reason": reason }),
        );
        uow.commit().await?;
        stopped.push((e.row.id, reason));
    }
    if !stopped.is_empty() {
        st.experiments.invalidate();
    }
    Ok(stopped)
}

/// Lists read per page when adding up editorial performance.
const LIST_PAGE: u64 = 5_000;
/// The longest period editorial performance is computed over.
pub const MAX_PERFORMANCE_DAYS: i64 = 92;

/// What each collection, pin and boost rule earned in a period.
#[derive(Debug, Clone)]
pub struct EditorialPerformance {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub rows: Vec<(Origin, OriginTally)>,
}

/// Adds up what the items editors put in lists served in `[from, to)` earned within
/// `window_hours` of being shown. Reads the period's lists a page at a time and keeps only
/// their editorial items.
#[tracing::instrument(skip_all)]
pub async fn editorial_performance(
    st: &AppState,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    window_hours: i32,
) -> Result<EditorialPerformance, AppError> {
    if from >= to {
        return Err(AppError::bad_input("from must be before to"));
    }
    if to - from > Duration::days(MAX_PERFORMANCE_DAYS) {
        return Err(AppError::bad_input(format!(
            "a period is at most {MAX_PERFORMANCE_DAYS} days"
        )));
    }
    if !(1..=MAX_WINDOW_HOURS).contains(&window_hours) {
        return Err(AppError::bad_input(format!(
            "the attribution window is 1 to {MAX_WINDOW_HOURS} hours"
        )));
    }
    let db = &st.db;
    let mut shown = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page =
            repo::experiments::lists_between(db, from, to, after.as_deref(), LIST_PAGE).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id.clone());
        let full = page.len() as u64 == LIST_PAGE;
        for list in page {
            let items: Vec<LoggedItem> =
                serde_json::from_str(&list.items).map_err(anyhow::Error::from)?;
            for i in items.into_iter().filter(|i| !i.origin.is_empty()) {
                let mut origins = Vec::with_capacity(3);
                origins.extend(i.origin.collection.map(Origin::Collection));
                origins.extend(i.origin.placement.map(Origin::Placement));
                origins.extend(i.origin.rule.map(Origin::Rule));
                shown.push(ShownItem {
                    list: list.id.clone(),
                    position: i.position.max(0) as usize,
                    user: i64::from(list.user_id),
                    movie: i64::from(i.movie_id),
                    shown_at: list.created_at,
                    origins,
                });
            }
        }
        if !full {
            break;
        }
    }
    let mut users: Vec<i32> = shown.iter().map(|i| i.user as i32).collect();
    users.sort_unstable();
    users.dedup();
    let outcomes = outcomes_of(st, &users, from).await?;
    let window = Duration::hours(i64::from(window_hours));
    Ok(EditorialPerformance {
        from,
        to,
        rows: core_x::attribute_origins(&shown, &outcomes, window)
            .into_iter()
            .collect(),
    })
}

/// The events and ratings of `users` since `since` that attribution counts.
async fn outcomes_of(
    st: &AppState,
    users: &[i32],
    since: DateTime<Utc>,
) -> Result<Vec<Outcome>, AppError> {
    let db = &st.db;
    let mut outcomes = Vec::new();
    for ev in repo::experiments::outcome_events(db, users, since).await? {
        let Ok(kind) = ev.kind.parse::<EventKind>() else {
            continue;
        };
        outcomes.push(Outcome {
            user: i64::from(ev.user_id),
            movie: i64::from(ev.movie_id),
            recommendation: ev.recommendation_id.as_deref().and_then(|r| {
                let (list, pos) = r.rsplit_once(':')?;
                Some((list.to_owned(), pos.parse().ok()?))
            }),
            signal: Signal::Event(kind),
            at: ev.occurred_at,
        });
    }
    for r in repo::experiments::outcome_ratings(db, users, since).await? {
        outcomes.push(Outcome {
            user: i64::from(r.user_id),
            movie: i64::from(r.movie_id),
            recommendation: None,
            signal: Signal::Rating(r.score),
            at: r.updated_at,
        });
    }
    Ok(outcomes)
}
