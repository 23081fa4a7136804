//! Experiments over GraphQL (editors and admins): define, start, stop, read results, ship a
//! variant; and what collections, pins and boosts earned (`collectionPerformance`,
//! `placementPerformance`). Frontends need nothing new: users are assigned server-side, and every served
//! item names its experiments' variants (`RecommendationItem.variants`).
use std::sync::Arc;

use async_graphql::{ComplexObject, Context, Enum, InputObject, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::ids::{self, Kind};
use super::{staff_actor, state};
use crate::app::experiments::{self as app_x, NewExperiment};
use crate::auth::{Role, RoleGuard};
use crate::error::{AppError, GqlResult};
use marquee_core::experiments::{BlendFactor, Guardrail, Origin, VariantConfig, BUCKETS};
use marquee_core::serving::curation::{DiversitySettings, Surface};

/// Where an experiment runs.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ExperimentSurface {
    /// The home feed.
    Home,
    /// The `recommendations` list.
    Recommendations,
}

/// Where an experiment is in its life.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::app::experiments::Status")]
pub enum ExperimentStatus {
    /// Defined; serves nothing yet.
    Draft,
    /// Its variants are served.
    Running,
    /// Over: stopped by staff, by a guardrail, at its end, or by shipping a variant.
    Stopped,
}

/// An online metric, computed per variant over the users exposed (docs/experiments.md).
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "marquee_core::experiments::Metric")]
pub enum ExperimentMetric {
    /// Shown movies clicked ÷ movies shown.
    ClickThrough,
    /// Shown movies watched to the end ÷ movies shown.
    Completion,
    /// Mean rating of shown movies rated afterwards.
    MeanRating,
    /// Shown movies dismissed ("not interested") ÷ movies shown; lower is better.
    NotInterested,
    /// Shown movies clicked per user.
    ClicksPerUser,
    /// Shown movies watched to the end per user.
    CompletionsPerUser,
}

/// Diversity settings a variant serves its surface with, in place of the editors' ones.
#[derive(InputObject)]
pub struct VariantDiversityInput {
    /// At least 1.
    pub max_per_genre: Option<i32>,
    /// 0–1 (default 1).
    pub mmr_lambda: Option<f64>,
    /// 0–1 (default 0).
    pub calibration: Option<f64>,
    /// 1–10.
    pub min_genres: Option<i32>,
    /// 0–1 (default 0).
    pub novelty_weight: Option<f64>,
}

/// A variant of a new experiment.
#[derive(InputObject)]
pub struct ExperimentVariantInput {
    /// 1–40 characters, unique in the experiment.
    pub name: String,
    /// Its share of the experiment's users, in (0, 1]; the shares add up to 1.
    pub share: f64,
    /// Editorial curation (pins, collection rows, boosts, buries) on the surface; default
    /// true. Block rules apply in every variant.
    pub curation: Option<bool>,
    /// Diversity settings in place of the surface's.
    pub diversity: Option<VariantDiversityInput>,
    /// How many of the model's best candidates a list (and the home feed's personal rows)
    /// re-ranks, 20–5000, in place of the server's default.
    pub candidate_pool: Option<i32>,
    /// Factors on the served ranking blend's learned component weights (components not
    /// named keep theirs).
    #[graphql(validator(max_items = 20))]
    pub blend_weights: Option<Vec<BlendWeightInput>>,
}

/// A factor on one component's learned weight in the ranking blend.
#[derive(InputObject)]
pub struct BlendWeightInput {
    /// The component, by model name as `modelStatus` lists the blend (`als`, `ease`,
    /// `knn_rank`, `popularity`, …).
    #[graphql(validator(max_length = 40))]
    pub component: String,
    /// Multiplies its learned weight, 0–10: 2 doubles it, 0 leaves the component out.
    pub factor: f64,
}

/// A factor on one component's weight in a variant's ranking blend.
#[derive(SimpleObject, Clone)]
pub struct BlendWeight {
    /// The component, by model name.
    pub component: String,
    /// Multiplies its learned weight.
    pub factor: f64,
}

/// A guardrail: the experiment stops when a variant makes this metric worse than the control
/// by more than `tolerance` (relative), with 95 % confidence.
#[derive(InputObject)]
pub struct GuardrailInput {
    /// The metric watched.
    pub metric: ExperimentMetric,
    /// Relative loss tolerated, 0–1 (0.05 = 5 % worse than control).
    pub tolerance: f64,
}

/// A new experiment (created as a draft).
#[derive(InputObject)]
pub struct CreateExperimentInput {
    /// 1–100 characters.
    pub name: String,
    /// What it tests and why, for staff.
    pub description: Option<String>,
    /// Where it runs.
    pub surface: ExperimentSurface,
    /// 2–5 variants; the first is the control the others are compared with.
    pub variants: Vec<ExperimentVariantInput>,
    /// The part of the surface's users it claims: `[trafficFrom, trafficTo)` of the
    /// surface's user hash (default 0 to 1, everyone). Experiments on one surface that run at
    /// the same time claim disjoint ranges.
    pub traffic_from: Option<f64>,
    /// The end of the range claimed (default 1).
    pub traffic_to: Option<f64>,
    /// Hash users independently of the surface's other experiments, so it may overlap them
    /// (its variants' changes then combine with theirs). Default false.
    pub orthogonal: Option<bool>,
    /// The metric the experiment is decided on.
    pub primary_metric: ExperimentMetric,
    /// Default none.
    pub guardrails: Option<Vec<GuardrailInput>>,
    /// Events up to this many hours after a list was shown are attributed to it (1–720,
    /// default 24).
    pub attribution_window_hours: Option<i32>,
    /// When it stops by itself.
    pub ends_at: Option<DateTime<Utc>>,
}

/// A variant's diversity settings.
#[derive(SimpleObject, Clone)]
pub struct VariantDiversity {
    /// At most this many movies of one genre in any 10 consecutive positions.
    pub max_per_genre: Option<i32>,
    /// MMR trade-off: 1 = relevance only, 0 = diversity only.
    pub mmr_lambda: f64,
    /// 0–1: how strongly the genre mix follows the user's history.
    pub calibration: f64,
    /// At least this many distinct genres in the first 10 positions.
    pub min_genres: Option<i32>,
    /// 0–1: weight on less popular titles.
    pub novelty_weight: f64,
}

/// One variant of an experiment.
#[derive(SimpleObject, Clone)]
pub struct ExperimentVariant {
    /// Its name, unique in the experiment.
    pub name: String,
    /// Its share of the experiment's users.
    pub share: f64,
    /// Whether editorial curation is on.
    pub curation: bool,
    /// Diversity settings in place of the surface's, if any.
    pub diversity: Option<VariantDiversity>,
    /// The candidate pool in place of the server's default, if any.
    pub candidate_pool: Option<i32>,
    /// Factors on the ranking blend's component weights (empty: as learned).
    pub blend_weights: Vec<BlendWeight>,
}

/// A guardrail of an experiment.
#[derive(SimpleObject, Clone)]
pub struct ExperimentGuardrail {
    /// The metric watched.
    pub metric: ExperimentMetric,
    /// Relative loss tolerated.
    pub tolerance: f64,
}

/// An A/B experiment.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct Experiment {
    /// Its id.
    pub id: ID,
    /// Its name.
    pub name: String,
    /// What it tests and why.
    pub description: Option<String>,
    /// Where it runs.
    pub surface: ExperimentSurface,
    /// Where it is in its life.
    pub status: ExperimentStatus,
    /// Whether users are hashed independently of the surface's other experiments.
    pub orthogonal: bool,
    /// The part of the surface's users claimed: `[trafficFrom, trafficTo)`.
    pub traffic_from: f64,
    /// The end of the range claimed.
    pub traffic_to: f64,
    /// The control first.
    pub variants: Vec<ExperimentVariant>,
    /// The metric it is decided on.
    pub primary_metric: ExperimentMetric,
    /// Limits that stop it when a variant breaks them.
    pub guardrails: Vec<ExperimentGuardrail>,
    /// Hours after an exposure in which events are attributed to it.
    pub attribution_window_hours: i32,
    /// When it stops by itself.
    pub ends_at: Option<DateTime<Utc>>,
    /// When it started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it stopped.
    pub stopped_at: Option<DateTime<Utc>>,
    /// Why it stopped (staff's reason, "ended", a guardrail, a shipped variant).
    pub stop_reason: Option<String>,
    /// The variant shipped, if any.
    pub shipped_variant: Option<String>,
    /// When it was defined.
    pub created_at: DateTime<Utc>,
    #[graphql(skip)]
    inner: Arc<app_x::Experiment>,
}

impl From<app_x::Experiment> for Experiment {
    fn from(e: app_x::Experiment) -> Self {
        let r = &e.row;
        let surface = match e.surface {
            Surface::Home => ExperimentSurface::Home,
            _ => ExperimentSurface::Recommendations,
        };
        Experiment {
            id: ids::encode(Kind::Experiment, i64::from(r.id)),
            name: r.name.clone(),
            description: r.description.clone(),
            surface,
            status: e.status.into(),
            orthogonal: r.orthogonal,
            traffic_from: f64::from(r.traffic_start) / f64::from(BUCKETS),
            traffic_to: f64::from(r.traffic_end) / f64::from(BUCKETS),
            variants: e
                .variants
                .iter()
                .map(|v| ExperimentVariant {
                    name: v.name.clone(),
                    share: v.share,
                    curation: v.config.curation,
                    diversity: v.config.diversity.as_ref().map(|d| VariantDiversity {
                        max_per_genre: d.max_per_genre.map(|x| x as i32),
                        mmr_lambda: d.mmr_lambda,
                        calibration: d.calibration,
                        min_genres: d.min_genres.map(|x| x as i32),
                        novelty_weight: d.novelty_weight,
                    }),
                    candidate_pool: v.config.candidate_pool.map(|p| p as i32),
                    blend_weights: v
                        .config
                        .blend
                        .iter()
                        .map(|b| BlendWeight {
                            component: b.component.clone(),
                            factor: b.factor,
                        })
                        .collect(),
                })
                .collect(),
            primary_metric: e.primary_metric.into(),
            guardrails: e
                .guardrails
                .iter()
                .map(|g| ExperimentGuardrail {
                    metric: g.metric.into(),
                    tolerance: g.tolerance,
                })
                .collect(),
            attribution_window_hours: r.window_hours,
            ends_at: r.ends_at,
            started_at: r.started_at,
            stopped_at: r.stopped_at,
            stop_reason: r.stop_reason.clone(),
            shipped_variant: r
                .shipped_variant
                .and_then(|i| e.variants.get(i as usize))
                .map(|v| v.name.clone()),
            created_at: r.created_at,
            inner: Arc::new(e),
        }
    }
}

/// The sample-ratio check: did each variant get the share of users it should have?
#[derive(SimpleObject, Clone)]
pub struct SampleRatioCheck {
    /// Pearson's χ² of users per variant against the shares.
    pub chi_square: f64,
    /// Its p-value.
    pub p_value: f64,
    /// p < 0.001: the split is broken (assignment or logging), so the results cannot be
    /// trusted.
    pub mismatch: bool,
}

/// A variant against the control on one metric (two-sided z-test).
#[derive(SimpleObject, Clone)]
pub struct MetricComparison {
    /// Variant − control.
    pub difference: f64,
    /// The difference relative to the control (null when the control is 0).
    pub relative: Option<f64>,
    /// Lower end of the difference's 95 % interval.
    pub low: f64,
    /// Upper end of the difference's 95 % interval.
    pub high: f64,
    /// The z statistic.
    pub z: f64,
    /// Two-sided p-value.
    pub p_value: f64,
    /// p < 0.05.
    pub significant: bool,
}

/// One metric of one variant.
#[derive(SimpleObject, Clone)]
pub struct MetricResult {
    /// The metric.
    pub metric: ExperimentMetric,
    /// Null when undefined (no users yet; no ratings for MEAN_RATING).
    pub value: Option<f64>,
    /// Its standard error (users are the unit; rates use the delta method).
    pub std_err: Option<f64>,
    /// Lower end of the 95 % interval.
    pub low: Option<f64>,
    /// Upper end of the 95 % interval.
    pub high: Option<f64>,
    /// Against the control; null for the control and when either side is undefined.
    pub vs_control: Option<MetricComparison>,
}

/// One variant's results.
#[derive(SimpleObject, Clone)]
pub struct VariantResults {
    /// The variant's name.
    pub name: String,
    /// Users exposed.
    pub users: i32,
    /// Lists served.
    pub lists: i64,
    /// Distinct movies served ÷ the catalogue.
    pub coverage: f64,
    /// Every metric, with its comparison to the control.
    pub metrics: Vec<MetricResult>,
    /// Guardrails this variant breaks.
    pub breached_guardrails: Vec<ExperimentMetric>,
}

/// An experiment's results, computed when asked from its exposures and the events that
/// followed them.
#[derive(SimpleObject, Clone)]
pub struct ExperimentResults {
    /// When they were computed.
    pub computed_at: DateTime<Utc>,
    /// Null before any exposure.
    pub sample_ratio: Option<SampleRatioCheck>,
    /// The control first.
    pub variants: Vec<VariantResults>,
    /// The results as they stood at the end of each UTC day since the start, then now (or at
    /// the stop), cumulative, in at most 31 points (days evenly skipped when it ran longer).
    /// Guardrails are judged on the current results only (`breachedGuardrails` is empty
    /// here).
    pub over_time: Vec<ResultsAtTime>,
}

/// An experiment's results as they stood at one instant.
#[derive(SimpleObject, Clone)]
pub struct ResultsAtTime {
    /// The instant: only exposures and events before it count.
    pub at: DateTime<Utc>,
    /// The control first.
    pub variants: Vec<VariantResults>,
}

#[ComplexObject]
impl Experiment {
    /// Results so far (null for a draft). Reads every exposure: ask for it on one experiment
    /// at a time.
    #[graphql(complexity = "crate::graphql::limits::MODEL_CALL + child_complexity")]
    async fn results(&self, ctx: &Context<'_>) -> Result<Option<ExperimentResults>> {
        if self.inner.status == app_x::Status::Draft {
            return Ok(None);
        }
        let over_time = ctx.look_ahead().field("overTime").exists();
        let r = app_x::results(state(ctx)?, &self.inner, over_time)
            .await
            .gql()?;
        let names: Vec<String> = self.inner.variants.iter().map(|v| v.name.clone()).collect();
        Ok(Some(ExperimentResults {
            computed_at: r.computed_at,
            sample_ratio: r.results.sample_ratio.map(|s| SampleRatioCheck {
                chi_square: s.chi_square,
                p_value: s.p_value,
                mismatch: s.mismatch,
            }),
            variants: variant_results(&r.results, &names),
            over_time: r
                .over_time
                .iter()
                .map(|(at, res)| ResultsAtTime {
                    at: *at,
                    variants: variant_results(res, &names),
                })
                .collect(),
        }))
    }
}

/// Each variant's figures, named, the control first.
fn variant_results(
    r: &marquee_core::experiments::Results,
    names: &[String],
) -> Vec<VariantResults> {
    r.variants
        .iter()
        .zip(names)
        .map(|(v, name)| VariantResults {
            name: name.clone(),
            users: v.users as i32,
            lists: v.lists as i64,
            coverage: v.coverage,
            metrics: v
                .metrics
                .iter()
                .map(|(m, est)| {
                    let cmp = v
                        .comparisons
                        .iter()
                        .find(|(k, _)| k == m)
                        .and_then(|(_, c)| *c);
                    MetricResult {
                        metric: (*m).into(),
                        value: est.map(|e| e.value),
                        std_err: est.map(|e| e.std_err),
                        low: est.map(|e| e.low),
                        high: est.map(|e| e.high),
                        vs_control: cmp.map(|c| MetricComparison {
                            difference: c.difference,
                            relative: c.relative,
                            low: c.low,
                            high: c.high,
                            z: c.z,
                            p_value: c.p_value,
                            significant: c.p_value < 0.05,
                        }),
                    }
                })
                .collect(),
            breached_guardrails: v.breached.iter().map(|m| (*m).into()).collect(),
        })
        .collect()
}

fn experimenter(ctx: &Context<'_>) -> Result<crate::app::Actor> {
    staff_actor(ctx, &[Role::Editor])
}

/// Experiment queries (editors and admins).
#[derive(Default)]
pub struct ExperimentQuery;

#[Object]
impl ExperimentQuery {
    /// Every experiment, newest first, optionally of one status.
    #[graphql(guard = "RoleGuard::staff(&[Role::Editor])")]
    async fn experiments(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only experiments with this status (omitted, all).")] status: Option<
            ExperimentStatus,
        >,
    ) -> Result<Vec<Experiment>> {
        let all = app_x::list(state(ctx)?).await.gql()?;
        Ok(all
            .into_iter()
            .filter(|e| status.is_none_or(|s| app_x::Status::from(s) == e.status))
            .map(Experiment::from)
            .collect())
    }

    /// One experiment; NOT_FOUND when there is none.
    #[graphql(guard = "RoleGuard::staff(&[Role::Editor])")]
    async fn experiment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The experiment's opaque id.")] id: ID,
    ) -> Result<Experiment> {
        let id = ids::decode(Kind::Experiment, &id).gql()?;
        app_x::get(state(ctx)?, id)
            .await
            .gql()?
            .map(Experiment::from)
            .ok_or(AppError::NotFound("experiment"))
            .gql()
    }
}

/// Experiment changes (editors and admins), each audited.
#[derive(Default)]
pub struct ExperimentMutation;

#[Object]
impl ExperimentMutation {
    /// Defines an experiment as a draft; BAD_USER_INPUT names what is wrong.
    #[graphql(guard = "RoleGuard::staff(&[Role::Editor])")]
    async fn create_experiment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The experiment's definition; it is created as a draft.")]
        input: CreateExperimentInput,
    ) -> Result<CreateExperimentPayload> {
        let actor = experimenter(ctx)?;
        let count = |v: Option<i32>| v.map(|m| u32::try_from(m).unwrap_or(0));
        let variants = input
            .variants
            .into_iter()
            .map(|v| app_x::Variant {
                name: v.name,
                share: v.share,
                config: VariantConfig {
                    curation: v.curation.unwrap_or(true),
                    diversity: v.diversity.map(|d| DiversitySettings {
                        max_per_genre: count(d.max_per_genre),
                        mmr_lambda: d.mmr_lambda.unwrap_or(1.0),
                        calibration: d.calibration.unwrap_or(0.0),
                        min_genres: count(d.min_genres),
                        novelty_weight: d.novelty_weight.unwrap_or(0.0),
                    }),
                    // A negative pool becomes 0, which validation refuses with its range.
                    candidate_pool: count(v.candidate_pool),
                    blend: v
                        .blend_weights
                        .unwrap_or_default()
                        .into_iter()
                        .map(|b| BlendFactor {
                            component: b.component.trim().to_owned(),
                            factor: b.factor,
                        })
                        .collect(),
                },
            })
            .collect();
        let new = NewExperiment {
            name: input.name,
            description: input.description,
            surface: match input.surface {
                ExperimentSurface::Home => "HOME",
                ExperimentSurface::Recommendations => "RECOMMENDATIONS",
            }
            .to_owned(),
            variants,
            traffic: (
                input.traffic_from.unwrap_or(0.0),
                input.traffic_to.unwrap_or(1.0),
            ),
            orthogonal: input.orthogonal.unwrap_or(false),
            primary_metric: input.primary_metric.into(),
            guardrails: input
                .guardrails
                .unwrap_or_default()
                .into_iter()
                .map(|g| Guardrail {
                    metric: g.metric.into(),
                    tolerance: g.tolerance,
                })
                .collect(),
            window_hours: input.attribution_window_hours.unwrap_or(24),
            ends_at: input.ends_at,
        };
        let experiment = app_x::create(state(ctx)?, actor, new).await.gql()?.into();
        Ok(CreateExperimentPayload { experiment })
    }

    /// Starts a draft: its variants are served from the next request. CONFLICT when another
    /// running experiment claims some of the same users on the surface.
    #[graphql(guard = "RoleGuard::staff(&[Role::Editor])")]
    async fn start_experiment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The experiment to start.")] input: StartExperimentInput,
    ) -> Result<StartExperimentPayload> {
        let actor = experimenter(ctx)?;
        let id = ids::decode(Kind::Experiment, &input.id).gql()?;
        let experiment = app_x::start(state(ctx)?, actor, id).await.gql()?.into();
        Ok(StartExperimentPayload { experiment })
    }

    /// Stops a running experiment; everyone gets the default again.
    #[graphql(guard = "RoleGuard::staff(&[Role::Editor])")]
    async fn stop_experiment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The experiment to stop and why.")] input: StopExperimentInput,
    ) -> Result<StopExperimentPayload> {
        let actor = experimenter(ctx)?;
        let id = ids::decode(Kind::Experiment, &input.id).gql()?;
        let experiment = app_x::stop(state(ctx)?, actor, id, input.reason)
            .await
            .gql()?
            .into();
        Ok(StopExperimentPayload { experiment })
    }

    /// Ships a variant: its diversity settings become the surface's, the experiment stops
    /// (if it still runs) and records the winner, in one audited change.
    #[graphql(guard = "RoleGuard::staff(&[Role::Editor])")]
    async fn ship_variant(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The experiment and the variant to ship.")] input: ShipVariantInput,
    ) -> Result<ShipVariantPayload> {
        let actor = experimenter(ctx)?;
        let id = ids::decode(Kind::Experiment, &input.experiment_id).gql()?;
        let experiment = app_x::ship(state(ctx)?, actor, id, &input.variant)
            .await
            .gql()?
            .into();
        Ok(ShipVariantPayload { experiment })
    }
}

/// The result of `createExperiment`.
#[derive(SimpleObject)]
pub struct CreateExperimentPayload {
    /// The new experiment, a draft.
    pub experiment: Experiment,
}

/// The experiment to start.
#[derive(InputObject)]
pub struct StartExperimentInput {
    /// The experiment's opaque id.
    pub id: ID,
}

/// The result of `startExperiment`.
#[derive(SimpleObject)]
pub struct StartExperimentPayload {
    /// The experiment as it now is.
    pub experiment: Experiment,
}

/// The experiment to stop, and why.
#[derive(InputObject)]
pub struct StopExperimentInput {
    /// The experiment's opaque id.
    pub id: ID,
    /// Why it is stopped, kept as its `stopReason` (at most 500 characters; trimmed, and
    /// blank counts as none).
    #[graphql(validator(max_length = 500))]
    pub reason: Option<String>,
}

/// The result of `stopExperiment`.
#[derive(SimpleObject)]
pub struct StopExperimentPayload {
    /// The experiment as it now is.
    pub experiment: Experiment,
}

/// The experiment and the variant to ship.
#[derive(InputObject)]
pub struct ShipVariantInput {
    /// The experiment's opaque id.
    pub experiment_id: ID,
    /// The name of the variant to ship, exactly as defined (case-sensitive).
    pub variant: String,
}

/// The result of `shipVariant`.
#[derive(SimpleObject)]
pub struct ShipVariantPayload {
    /// The experiment as it now is, with the shipped variant recorded.
    pub experiment: Experiment,
}

/// A rate with its 95 % interval (users are the unit; delta method).
#[derive(SimpleObject, Clone)]
pub struct RateEstimate {
    /// The rate.
    pub value: f64,
    /// Lower end of the 95 % interval.
    pub low: f64,
    /// Upper end of the 95 % interval.
    pub high: f64,
}

impl From<marquee_core::experiments::stats::Estimate> for RateEstimate {
    fn from(e: marquee_core::experiments::stats::Estimate) -> Self {
        RateEstimate {
            value: e.value,
            low: e.low,
            high: e.high,
        }
    }
}

/// What one editorial choice (a collection, a pin or a boost rule) earned in a period: the
/// items it put in lists, and the clicks and completions that followed within the window.
#[derive(SimpleObject, Clone)]
pub struct EditorialPerformance {
    /// The collection, for `collectionPerformance`.
    pub collection_id: Option<ID>,
    /// The placement (pin), for `placementPerformance`.
    pub placement_id: Option<ID>,
    /// The boost rule, for `placementPerformance`.
    pub rule_id: Option<ID>,
    /// Items served (every list counts).
    pub impressions: i64,
    /// Distinct users shown one.
    pub users: i64,
    /// Distinct (user, movie) shown.
    pub shown: i64,
    /// Distinct (user, movie) shown and then clicked.
    pub clicks: i64,
    /// Distinct (user, movie) shown and then watched to the end.
    pub completions: i64,
    /// clicks ÷ shown.
    pub click_through: Option<RateEstimate>,
    /// completions ÷ shown.
    pub completion_rate: Option<RateEstimate>,
}

async fn performance(
    ctx: &Context<'_>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    window: Option<i32>,
    keep: impl Fn(&Origin) -> bool,
) -> Result<Vec<EditorialPerformance>> {
    let p = app_x::editorial_performance(state(ctx)?, from, to, window.unwrap_or(24))
        .await
        .gql()?;
    let mut rows: Vec<EditorialPerformance> = p
        .rows
        .into_iter()
        .filter(|(o, _)| keep(o))
        .map(|(o, t)| {
            let id = |kind, id: i32| Some(ids::encode(kind, i64::from(id)));
            let (collection_id, placement_id, rule_id) = match o {
                Origin::Collection(c) => (id(Kind::Collection, c), None, None),
                Origin::Placement(p) => (None, id(Kind::Placement, p), None),
                Origin::Rule(r) => (None, None, id(Kind::Rule, r)),
            };
            EditorialPerformance {
                collection_id,
                placement_id,
                rule_id,
                impressions: t.impressions as i64,
                users: t.users as i64,
                shown: t.shown as i64,
                clicks: t.clicked as i64,
                completions: t.completed as i64,
                click_through: t.click_through.map(Into::into),
                completion_rate: t.completion.map(Into::into),
            }
        })
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.impressions));
    Ok(rows)
}

/// Editorial performance (editors and admins).
#[derive(Default)]
pub struct PerformanceQuery;

#[Object]
impl PerformanceQuery {
    /// What each collection earned from lists served in `[from, to)` (at most 92 days), most
    /// shown first. Its items in home-feed rows and pins count, and so do the clicks and
    /// completions within `attributionWindowHours` (default 24) of their being shown.
    #[graphql(
        guard = "RoleGuard::staff(&[Role::Editor])",
        complexity = "crate::graphql::limits::MODEL_CALL + child_complexity"
    )]
    async fn collection_performance(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Start of the period (inclusive): lists served at or after this time count."
        )]
        from: DateTime<Utc>,
        #[graphql(
            desc = "End of the period (exclusive); must be after `from` and at most 92 days later."
        )]
        to: DateTime<Utc>,
        #[graphql(
            desc = "Clicks and completions up to this many hours after an item was shown are credited to it (1–720; default 24)."
        )]
        attribution_window_hours: Option<i32>,
    ) -> Result<Vec<EditorialPerformance>> {
        performance(ctx, from, to, attribution_window_hours, |o| {
            matches!(o, Origin::Collection(_))
        })
        .await
    }

    /// What each pin (placement) and boost rule earned from lists served in `[from, to)` (at
    /// most 92 days), most shown first; as `collectionPerformance`.
    #[graphql(
        guard = "RoleGuard::staff(&[Role::Editor])",
        complexity = "crate::graphql::limits::MODEL_CALL + child_complexity"
    )]
    async fn placement_performance(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Start of the period (inclusive): lists served at or after this time count."
        )]
        from: DateTime<Utc>,
        #[graphql(
            desc = "End of the period (exclusive); must be after `from` and at most 92 days later."
        )]
        to: DateTime<Utc>,
        #[graphql(
            desc = "Clicks and completions up to this many hours after an item was shown are credited to it (1–720; default 24)."
        )]
        attribution_window_hours: Option<i32>,
    ) -> Result<Vec<EditorialPerformance>> {
        performance(ctx, from, to, attribution_window_hours, |o| {
            matches!(o, Origin::Placement(_) | Origin::Rule(_))
        })
        .await
    }
}
