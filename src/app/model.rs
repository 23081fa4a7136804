//! The recommender as the server sees it: the active snapshot (swapped atomically), training in
//! the background, per-user fold-in after new feedback, and the catalogue index serving filters
//! on. The models themselves are pure (`marquee_core::recommender`); this module adds the database.
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use arc_swap::ArcSwapOption;
use chrono::{DateTime, TimeZone, Utc};
use sea_orm::DatabaseConnection;
use serde::Serialize;

use crate::db::entities::users;
use crate::db::repo::training::{self, CatalogueEntry, Interaction, NewModelVersion};
use marquee_core::dataset;
use marquee_core::demographics::AgeBand;
use marquee_core::eval::{self, EvalConfig, Protocol};
use marquee_core::recommender::factors::{FactorModel, ImportReport};
use marquee_core::recommender::hybrid::ComponentSpec;
use marquee_core::recommender::snapshot::{Snapshot, SnapshotParams, TrainingInput};
use marquee_core::recommender::{Demographics, Feedback, Folded, ItemIdx, OwnedHistory, Progress};

/// Removes `users` from a snapshot; true if any was in it.
fn strip_users(snapshot: &mut Snapshot, users: &[i32]) -> bool {
    let mut any = false;
    for &id in users {
        any |= snapshot.remove_user(id as i64);
    }
    any
}

/// Stores `snapshot` as version `id`'s parameters (serialised off the async workers).
async fn rewrite_blob(
    db: &DatabaseConnection,
    id: i32,
    snapshot: Snapshot,
) -> Result<(), EngineError> {
    let blob = blocking(move || snapshot.to_bytes())
        .await
        .map_err(|e| EngineError::Join(e.to_string()))??;
    training::replace_blob(db, id, blob).await?;
    Ok(())
}

/// Errors of training and serving.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("a training is already running")]
    Busy,
    #[error("a training is already running in another process (replica or `marquee train`)")]
    BusyElsewhere,
    #[error("nothing to train on: no ratings or events from consenting users")]
    NoData,
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
    #[error(transparent)]
    Model(#[from] marquee_core::recommender::RecommendError),
    #[error("training task failed: {0}")]
    Join(String),
    #[error("{0}")]
    NoModel(String),
}

impl From<EngineError> for crate::error::AppError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::Busy | EngineError::BusyElsewhere => {
                crate::error::AppError::Conflict(e.to_string())
            }
            EngineError::NoData | EngineError::NoModel(_) => {
                crate::error::AppError::bad_input(e.to_string())
            }
            EngineError::Db(d) => d.into(),
            other => crate::error::AppError::Unexpected(anyhow::anyhow!(other.to_string())),
        }
    }
}

/// The snapshot being served and where it came from.
pub struct Active {
    pub snapshot: Snapshot,
    pub version_id: i32,
    pub trained_at: DateTime<Utc>,
    /// When this process began serving the version.
    pub loaded_at: DateTime<Utc>,
}

pub use marquee_core::catalogue::CatalogueIndex;

/// Training status, for `trainingStatus` and the dashboard.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TrainingStatus {
    pub running: bool,
    pub stage: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub last_version_id: Option<i32>,
    /// Trainings this process finished, by outcome (for `/metrics`).
    pub successes: u64,
    pub failures: u64,
    /// The last successful training's figures.
    pub last_success: Option<LastTraining>,
}

/// A successful training's figures, for `/metrics`.
#[derive(Debug, Clone, Serialize)]
pub struct LastTraining {
    pub at: DateTime<Utc>,
    /// Loading, training and evaluation.
    pub seconds: f64,
    /// The cut-off of the offline ranking metrics.
    pub k: usize,
    /// Offline NDCG@k by model, when the training was evaluated.
    pub offline_ndcg: Vec<(String, f64)>,
}

/// Figures of one training, stored with the model version.
#[derive(Debug, Clone, Serialize)]
pub struct TrainOutcome {
    pub version_id: i32,
    pub users: usize,
    pub items: usize,
    pub interactions: usize,
    pub load_seconds: f64,
    pub train_seconds: f64,
    pub evaluate_seconds: f64,
    /// Seconds of each training stage, in order (within `train_seconds`).
    pub stage_seconds: Vec<(String, f64)>,
    /// The stored offline metrics (`EvalReport::to_json`'s shape).
    pub metrics: serde_json::Value,
    /// The offline evaluation they come from, if it ran.
    #[serde(skip)]
    pub report: Option<eval::EvalReport>,
    /// How imported factors met the data (`marquee model import`); `None` for a training.
    pub imported: Option<ImportReport>,
    /// The hyperparameter search the training ran first, if it did.
    #[serde(skip)]
    pub tuning: Option<eval::TuneReport>,
}

/// Times the stages a training reports through its progress.
#[derive(Default)]
struct StageClock {
    current: Option<(String, Instant)>,
    done: Vec<(String, f64)>,
}

impl StageClock {
    /// Passes on the progress reported since the last call, timing its stages.
    fn relay(&mut self, rx: &std::sync::mpsc::Receiver<Progress>, to: &(dyn Fn(Progress) + Sync)) {
        while let Ok(p) = rx.try_recv() {
            self.enter(&p.stage);
            to(p);
        }
    }

    /// Notes that `stage` is under way (ending the one before it, if it differs).
    fn enter(&mut self, stage: &str) {
        if self.current.as_ref().is_some_and(|(s, _)| s == stage) {
            return;
        }
        if let Some((s, t)) = self.current.take() {
            self.done.push((s, t.elapsed().as_secs_f64()));
        }
        if stage != "done" {
            self.current = Some((stage.to_string(), Instant::now()));
        }
    }
}

/// Most users whose re-solved factors are kept between trainings; past it the least recently
/// updated are dropped (they are served from their trained factors until their next write).
const MAX_FOLDED_USERS: usize = 100_000;

/// A user's re-solved factors: due after a write, or solved against one model version.
#[derive(Clone)]
enum FoldState {
    /// Feedback changed (write number `gen`): the next read re-solves.
    Due { gen: u64 },
    /// Solved against `version` from the feedback as of write `gen`.
    Solved {
        gen: u64,
        version: i32,
        folded: Arc<Folded>,
    },
}

impl FoldState {
    fn gen(&self) -> u64 {
        match self {
            FoldState::Due { gen } | FoldState::Solved { gen, .. } => *gen,
        }
    }
}

/// What a request learned about a user's factors before it read their feedback.
#[derive(Clone, Default)]
pub struct FoldTicket(Option<FoldState>);

/// Users' fold-in state, bounded.
#[derive(Default)]
struct FoldedCache {
    entries: HashMap<i32, (u64, FoldState)>,
    clock: u64,
    writes: u64,
}

impl FoldedCache {
    #[cfg(test)]
    fn get(&self, user_id: i32, version: i32) -> Option<Arc<Folded>> {
        match self.entries.get(&user_id) {
            Some((
                _,
                FoldState::Solved {
                    version: v, folded, ..
                },
            )) if *v == version => Some(folded.clone()),
            _ => None,
        }
    }

    fn put(&mut self, user_id: i32, state: FoldState) {
        self.clock += 1;
        self.entries.insert(user_id, (self.clock, state));
        if self.entries.len() > MAX_FOLDED_USERS {
            // Drop the older half at once, so eviction is amortised O(1) per insert.
            let mut ticks: Vec<u64> = self.entries.values().map(|e| e.0).collect();
            let mid = ticks.len() / 2;
            let (_, cut, _) = ticks.select_nth_unstable(mid);
            let cut = *cut;
            self.entries.retain(|_, e| e.0 > cut);
        }
    }

    /// A write changed the user's feedback: their factors are due.
    fn due(&mut self, user_id: i32) {
        self.writes += 1;
        let gen = self.writes;
        self.put(user_id, FoldState::Due { gen });
    }

    fn remove(&mut self, user_id: i32) {
        self.entries.remove(&user_id);
    }

    /// After a new model is swapped in: factors solved against another one mean nothing in
    /// its latent space and go; users whose factors are due stay due.
    fn retain_version(&mut self, version: i32) {
        self.entries.retain(|_, e| match &e.1 {
            FoldState::Due { .. } => true,
            FoldState::Solved { version: v, .. } => *v == version,
        });
    }
}

/// Runs CPU-bound work on the blocking pool inside the caller's span, so its logs and timings
/// stay attached to the request or training that asked for it.
fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> tokio::task::JoinHandle<T> {
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(f))
}

/// The process's recommender.
pub struct RecommenderHandle {
    active: ArcSwapOption<Active>,
    catalogue: ArcSwapOption<CatalogueIndex>,
    /// One catalogue load at a time (the first requests after a start or a change wait for it
    /// instead of all loading it), and an epoch bumped by every change.
    catalogue_loading: tokio::sync::Mutex<()>,
    catalogue_epoch: std::sync::atomic::AtomicU64,
    /// Users' re-solved factors, each tagged with the model version it was solved against: a
    /// vector solved against one version means nothing in another's latent space.
    folded: Mutex<FoldedCache>,
    status: Mutex<TrainingStatus>,
    params: SnapshotParams,
    evaluate_after_training: bool,
    foldin_micros: std::sync::atomic::AtomicU64,
    /// Users erased since the running training loaded its data: stripped from its snapshot
    /// before it is stored or served.
    erased_during_training: Mutex<HashSet<i32>>,
    /// Inactive versions that keep their stored parameters; older ones keep only their metrics.
    keep_previous_versions: u64,
    /// One load of a newer version at a time ([`Self::follow`]).
    following: tokio::sync::Mutex<()>,
    /// Sent with change notices, so this process skips its own.
    replica_id: String,
    /// Offline metrics after training use the ratings of at most this many users.
    evaluation_max_users: usize,
    /// The hyperparameter search a training runs first, if any.
    tuning: Option<eval::TuneConfig>,
}

/// A user's demographics as the models take them.
pub fn demographics_of(u: &users::Model) -> Demographics {
    Demographics {
        age: u
            .age_band
            .as_deref()
            .and_then(|b| b.parse::<AgeBand>().ok())
            .map(AgeBand::midpoint),
        gender: u.gender.clone(),
        occupation: u.occupation.clone(),
        country: u.country.clone(),
    }
}

fn feedback(i: &Interaction) -> Feedback {
    Feedback {
        user: i.user_id as i64,
        item: i.movie_id as i64,
        rating: i.rating,
        confidence: i.confidence,
        timestamp: i.timestamp,
    }
}

impl RecommenderHandle {
    /// A handle with no snapshot yet.
    pub fn new(params: SnapshotParams, evaluate_after_training: bool) -> Self {
        Self {
            active: ArcSwapOption::empty(),
            catalogue: ArcSwapOption::empty(),
            catalogue_loading: tokio::sync::Mutex::new(()),
            catalogue_epoch: Default::default(),
            folded: Mutex::new(FoldedCache::default()),
            status: Mutex::new(TrainingStatus::default()),
            params,
            evaluate_after_training,
            foldin_micros: Default::default(),
            erased_during_training: Mutex::new(HashSet::new()),
            keep_previous_versions: 2,
            following: tokio::sync::Mutex::new(()),
            replica_id: String::new(),
            evaluation_max_users: 20_000,
            tuning: None,
        }
    }

    /// Keeps the stored parameters of the active version and `n` previous ones (default 2).
    pub fn with_retention(mut self, n: u64) -> Self {
        self.keep_previous_versions = n;
        self
    }

    /// The snapshot being served, if any.
    pub fn active(&self) -> Option<Arc<Active>> {
        self.active.load_full()
    }

    /// The current training status.
    pub fn status(&self) -> TrainingStatus {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Microseconds the last fold-in took.
    pub fn last_foldin_micros(&self) -> u64 {
        self.foldin_micros
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Loads the active stored model version, if there is one. Returns whether one was loaded.
    #[tracing::instrument(skip_all)]
    pub async fn load_active(&self, db: &DatabaseConnection) -> Result<bool, EngineError> {
        let Some(v) = training::active_version(db).await? else {
            return Ok(false);
        };
        let Some(blob) = v.blob else { return Ok(false) };
        let mut snapshot = blocking(move || Snapshot::from_bytes(&blob))
            .await
            .map_err(|e| EngineError::Join(e.to_string()))??;
        // A version stored by another process may hold someone erased meanwhile: never serve
        // them, and rewrite the stored parameters without them.
        let erased = crate::db::repo::privacy::erased_user_ids(db, None).await?;
        if strip_users(&mut snapshot, &erased) {
            rewrite_blob(db, v.id, snapshot.clone()).await?;
        }
        Ok(self.swap(Active {
            snapshot,
            version_id: v.id,
            trained_at: v.trained_at,
            loaded_at: Utc::now(),
        }))
    }

    /// Serves `a` unless a newer version is served already (a replica never goes back to an
    /// older model). Returns whether it was swapped in.
    fn swap(&self, a: Active) -> bool {
        let version = a.version_id;
        let next = Arc::new(a);
        let mut swapped = false;
        self.active.rcu(|current| match current {
            Some(c) if c.version_id > version => {
                swapped = false;
                Some(c.clone())
            }
            _ => {
                swapped = true;
                Some(next.clone())
            }
        });
        if swapped {
            if let Ok(mut f) = self.folded.lock() {
                f.retain_version(version);
            }
        }
        swapped
    }

    /// Loads the active stored version if it is newer than the one served (another replica
    /// or `marquee train` stored it). Returns the version now served, if it changed. One load
    /// at a time: notices arriving meanwhile find it served.
    pub async fn follow(&self, db: &DatabaseConnection) -> Result<Option<i32>, EngineError> {
        let _one = self.following.lock().await;
        let Some(id) = training::active_version_id(db).await? else {
            return Ok(None);
        };
        if self.active().is_some_and(|a| a.version_id >= id) {
            return Ok(None);
        }
        Ok(if self.load_active(db).await? {
            self.active().map(|a| a.version_id)
        } else {
            None
        })
    }

    /// Forgets every user's re-solved factors (after change notices may have been lost): each
    /// user's next request solves them again from the database.
    pub fn forget_all_folded(&self) {
        if let Ok(mut f) = self.folded.lock() {
            f.entries.clear();
        }
    }

    /// Offline metrics after training sample at most `n` users (default 20 000).
    pub fn with_evaluation_users(mut self, n: usize) -> Self {
        self.evaluation_max_users = n.max(1);
        self
    }

    /// Trainings search the ranking blend's hyperparameters first (`None`: they do not).
    pub fn with_tuning(mut self, tuning: Option<eval::TuneConfig>) -> Self {
        self.tuning = tuning;
        self
    }

    /// This process's replica id (stamped on the notices it sends).
    pub fn with_replica_id(mut self, id: &str) -> Self {
        self.replica_id = id.to_owned();
        self
    }

    /// The catalogue index, loaded on first use and after every catalogue change.
    pub async fn catalogue(
        &self,
        db: &DatabaseConnection,
    ) -> Result<Arc<CatalogueIndex>, EngineError> {
        use std::sync::atomic::Ordering;
        if let Some(c) = self.catalogue.load_full() {
            return Ok(c);
        }
        let _loading = self.catalogue_loading.lock().await;
        if let Some(c) = self.catalogue.load_full() {
            return Ok(c);
        }
        let epoch = self.catalogue_epoch.load(Ordering::Acquire);
        let idx = Arc::new(CatalogueIndex::new(training::catalogue(db).await?));
        // A change committed during the load: serve this request, let the next one reload.
        if self.catalogue_epoch.load(Ordering::Acquire) == epoch {
            self.catalogue.store(Some(idx.clone()));
        }
        Ok(idx)
    }

    /// Forgets the catalogue index; the next request reloads it (after a catalogue change).
    pub fn catalogue_changed(&self) {
        self.catalogue_epoch
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        self.catalogue.store(None);
    }

    fn set_status(&self, f: impl FnOnce(&mut TrainingStatus)) {
        if let Ok(mut s) = self.status.lock() {
            f(&mut s);
        }
    }

    /// Trains every model from the database, stores the result as the active model version and
    /// swaps it in. Requests go on being served from the old snapshot meanwhile.
    #[tracing::instrument(skip_all)]
    pub async fn train(
        &self,
        db: &DatabaseConnection,
        progress: &(dyn Fn(Progress) + Sync),
    ) -> Result<TrainOutcome, EngineError> {
        self.build(db, progress, None).await
    }

    /// Like [`Self::train`], but the ranking blend serves `factors` (ALS trained elsewhere, or
    /// exported by [`export_factors`]): every other model is fitted from the database, the
    /// blend takes the factors' recipe or ranks by ALS alone (see
    /// `marquee_core::recommender::factors`). Takes the same training lease; no offline metrics
    /// (they would measure models trained here, not the factors).
    #[tracing::instrument(skip_all)]
    pub async fn import_factors(
        &self,
        db: &DatabaseConnection,
        factors: FactorModel,
        progress: &(dyn Fn(Progress) + Sync),
    ) -> Result<TrainOutcome, EngineError> {
        self.build(db, progress, Some(factors)).await
    }

    async fn build(
        &self,
        db: &DatabaseConnection,
        progress: &(dyn Fn(Progress) + Sync),
        factors: Option<FactorModel>,
    ) -> Result<TrainOutcome, EngineError> {
        {
            let mut s = self
                .status
                .lock()
                .map_err(|_| EngineError::Join("status lock".into()))?;
            if s.running {
                return Err(EngineError::Busy);
            }
            s.running = true;
        }
        // One training at a time across replicas and `marquee train` (PostgreSQL advisory
        // lock; released when this ends, or with the connection if the process dies). A
        // training refused here never started: it sets no start time.
        let lease = match crate::db::notify::try_training_lease(db).await {
            Ok(Some(lease)) => lease,
            refused => {
                let e = match refused {
                    Err(e) => EngineError::from(e),
                    _ => EngineError::BusyElsewhere,
                };
                self.set_status(|s| {
                    s.running = false;
                    s.last_error = Some(e.to_string());
                });
                return Err(e);
            }
        };
        self.set_status(|s| {
            s.stage = Some("loading".into());
            s.started_at = Some(Utc::now());
            s.last_error = None;
        });
        let result = self.train_inner(db, progress, factors).await;
        lease.release().await;
        self.set_status(|s| {
            s.running = false;
            s.stage = None;
            s.finished_at = Some(Utc::now());
            match &result {
                Ok(o) => {
                    s.last_version_id = Some(o.version_id);
                    s.successes += 1;
                    s.last_success = Some(LastTraining {
                        at: Utc::now(),
                        seconds: o.load_seconds + o.train_seconds + o.evaluate_seconds,
                        k: o.report.as_ref().map_or(0, |r| r.k),
                        offline_ndcg: o
                            .report
                            .iter()
                            .flat_map(|r| &r.models)
                            .filter_map(|m| Some((m.name.clone(), m.ranking.as_ref()?.ndcg)))
                            .collect(),
                    });
                }
                Err(e) => {
                    s.failures += 1;
                    s.last_error = Some(e.to_string());
                }
            }
        });
        result
    }

    async fn train_inner(
        &self,
        db: &DatabaseConnection,
        progress: &(dyn Fn(Progress) + Sync),
        factors: Option<FactorModel>,
    ) -> Result<TrainOutcome, EngineError> {
        let t0 = Instant::now();
        if let Ok(mut e) = self.erased_during_training.lock() {
            e.clear();
        }
        // Erasures committed from here on, by this process or another, are stripped from the
        // result (a minute's margin for clocks of different replicas).
        let reading_from = Utc::now() - chrono::Duration::minutes(1);
        // Stages without a count of their own report 0/0 (a spinner, not a stuck bar).
        let phase = |stage: &str| {
            progress(Progress {
                stage: stage.into(),
                done: 0,
                total: 0,
            })
        };
        phase("loading the data");
        let interactions = training::interactions(db).await?;
        if interactions.is_empty() {
            return Err(EngineError::NoData);
        }
        let catalogue = training::catalogue(db).await?;
        let demographics = training::demographics(db).await?;
        let cutoff = interactions.iter().map(|i| i.timestamp).max();
        // The evaluation sample is taken now, so the full interactions go before training.
        let eval_data = (self.evaluate_after_training && factors.is_none())
            .then(|| dataset_from(&interactions, &catalogue, self.evaluation_max_users));
        let input = TrainingInput {
            feedback: interactions.iter().map(feedback).collect(),
            catalogue: catalogue.iter().map(|e| e.movie_id as i64).collect(),
            item_tokens: catalogue
                .iter()
                .map(|e| (e.movie_id as i64, e.tokens()))
                .collect(),
            demographics: demographics
                .iter()
                .map(|u| (u.id as i64, demographics_of(u)))
                .collect(),
            now: factors
                .as_ref()
                .and_then(|f| f.trained_at)
                .or(Some(Utc::now().timestamp())),
        };
        drop(interactions);
        let load_seconds = t0.elapsed().as_secs_f64();
        self.set_status(|s| s.stage = Some("training".into()));

        let params = self.params.clone();
        let tuning = self.tuning.clone().filter(|_| factors.is_none());
        let t1 = Instant::now();
        let mut stages = StageClock::default();
        let (snapshot, imported, tuned) = {
            let (tx, rx) = std::sync::mpsc::channel::<Progress>();
            let job = blocking(move || {
                let progress = move |p| {
                    let _ = tx.send(p);
                };
                match factors {
                    None => Snapshot::train_tuned(input, &params, tuning.as_ref(), &progress)
                        .map(|(s, t)| (s, None, t)),
                    Some(f) => Snapshot::from_factors(input, &params, &f, &progress)
                        .map(|(s, r)| (s, Some(r), None)),
                }
            });
            // Relay progress from the blocking task to the caller's callback, timing each stage
            // (to within the 50 ms it is polled at).
            let mut job = job;
            let result = loop {
                tokio::select! {
                    r = &mut job => break r,
                    _ = tokio::time::sleep(std::time::Duration::from_millis(50)) => {
                        stages.relay(&rx, progress);
                    }
                }
            };
            stages.relay(&rx, progress);
            stages.enter("done");
            result.map_err(|e| EngineError::Join(e.to_string()))??
        };
        let train_seconds = t1.elapsed().as_secs_f64();

        let t2 = Instant::now();
        let evaluation_users = eval_data.as_ref().map_or(0, |d| d.users.len());
        let (metrics, report) = if let Some(ds) = eval_data {
            self.set_status(|s| s.stage = Some("evaluating".into()));
            phase("offline evaluation");
            // The blend as trained (components left out for this data, tuned parameters).
            let ranking = snapshot.meta.params.ranking.clone();
            blocking(move || offline_metrics(&ds, &ranking))
                .await
                .map_err(|e| EngineError::Join(e.to_string()))?
        } else {
            (serde_json::json!({}), None)
        };
        let evaluate_seconds = t2.elapsed().as_secs_f64();
        let mut metrics = metrics;
        if let Some(t) = &tuned {
            metrics["tuning"] = tuning_summary(t);
        }

        self.set_status(|s| s.stage = Some("storing".into()));
        phase("storing the model");
        let users = snapshot.meta.users;
        let items = snapshot.meta.items;
        let n = snapshot.meta.interactions;
        let mut snapshot = snapshot;
        self.strip_erased(&mut snapshot);
        let erased = crate::db::repo::privacy::erased_user_ids(db, Some(reading_from)).await?;
        strip_users(&mut snapshot, &erased);
        let (blob, snapshot) = blocking(move || snapshot.to_bytes().map(|b| (b, snapshot)))
            .await
            .map_err(|e| EngineError::Join(e.to_string()))??;
        let mut timings = serde_json::json!({
            "load_seconds": load_seconds, "train_seconds": train_seconds, "evaluate_seconds": evaluate_seconds,
            "blob_bytes": blob.len(), "evaluation_users": evaluation_users,
        });
        if let Some(r) = &imported {
            timings["imported"] = serde_json::to_value(r).unwrap_or_default();
        }
        timings["stage_seconds"] = serde_json::json!(stages
            .done
            .iter()
            .map(|(s, t)| serde_json::json!({ "stage": s, "seconds": t }))
            .collect::<Vec<_>>());
        let version = training::store_active_version(
            db,
            NewModelVersion {
                algorithm: if imported.is_some() {
                    "imported_als"
                } else {
                    "hybrid"
                }
                .into(),
                params: serde_json::to_value(&snapshot.meta.params).unwrap_or_default(),
                metrics: metrics.clone(),
                timings,
                data_cutoff: cutoff.and_then(|c| Utc.timestamp_opt(c, 0).single()),
                blob,
            },
        )
        .await?;
        let mut snapshot = snapshot;
        let erased = crate::db::repo::privacy::erased_user_ids(db, Some(reading_from)).await?;
        let in_other_process = strip_users(&mut snapshot, &erased);
        if self.strip_erased(&mut snapshot) | in_other_process {
            // Someone was erased while the blob was written: store it again without them.
            rewrite_blob(db, version.id, snapshot.clone()).await?;
        }
        self.swap(Active {
            snapshot,
            version_id: version.id,
            trained_at: version.trained_at,
            loaded_at: Utc::now(),
        });
        // Other replicas load it now (delivered once this autocommit statement runs).
        if let Err(e) = crate::app::replication::announce(
            db,
            &self.replica_id,
            crate::app::replication::Notice::Model {
                version: version.id,
            },
        )
        .await
        {
            tracing::warn!(error = %e, "telling other replicas of the new model failed; their poll finds it");
        }
        let pruned = training::prune_blobs(db, self.keep_previous_versions).await?;
        if pruned > 0 {
            tracing::info!(pruned, "stored parameters of old model versions dropped");
        }
        Ok(TrainOutcome {
            version_id: version.id,
            users,
            items,
            interactions: n,
            load_seconds,
            train_seconds,
            evaluate_seconds,
            stage_seconds: stages.done,
            metrics,
            report,
            imported,
            tuning: tuned,
        })
    }

    /// Takes note of a user's fold-in state; call it before reading their feedback, and pass
    /// it to [`Self::history`].
    pub fn fold_ticket(&self, user_id: i32) -> FoldTicket {
        FoldTicket(
            self.folded
                .lock()
                .ok()
                .and_then(|m| m.entries.get(&user_id).map(|e| e.1.clone())),
        )
    }

    /// A user's feedback changed (a committed write): their factors are re-solved on their
    /// next read, so it reflects the write. Cheap: the write itself solves nothing.
    pub fn feedback_changed(&self, user_id: i32) {
        if let Ok(mut m) = self.folded.lock() {
            m.due(user_id);
        }
    }

    /// A user's history as the snapshot sees it (empty without consent), with their factors
    /// re-solved from `inter` if a write made them due since the ticket was taken. CPU-bound:
    /// call it off the HTTP workers.
    pub fn history(
        &self,
        active: &Active,
        user: &users::Model,
        inter: &[Interaction],
        ticket: &FoldTicket,
    ) -> OwnedHistory {
        if !user.personalization_consent {
            return OwnedHistory::default();
        }
        let triples: Vec<(i64, f32, f32, i64)> = inter
            .iter()
            .map(|i| (i.movie_id as i64, i.rating, i.confidence, i.timestamp))
            .collect();
        let d = demographics_of(user);
        let known =
            d.age.is_some() || d.gender.is_some() || d.occupation.is_some() || d.country.is_some();
        let mut h = active
            .snapshot
            .history(user.id as i64, &triples, known.then_some(d));
        match &ticket.0 {
            // Never written since the model was trained: its own factors.
            None => {}
            Some(FoldState::Solved {
                version, folded, ..
            }) if *version == active.version_id => h.folded = Some((**folded).clone()),
            Some(state) => {
                let t = Instant::now();
                let folded = active.snapshot.fold_in(&h.view());
                self.foldin_micros.store(
                    t.elapsed().as_micros() as u64,
                    std::sync::atomic::Ordering::Relaxed,
                );
                self.remember_folded(active.version_id, user.id, state.gen(), &folded);
                h.folded = Some(folded);
            }
        }
        h
    }

    /// Removes users erased during the running training (in this process) from its snapshot;
    /// true if any was known to it.
    fn strip_erased(&self, snapshot: &mut Snapshot) -> bool {
        let ids: Vec<i32> = self
            .erased_during_training
            .lock()
            .map(|e| e.iter().copied().collect())
            .unwrap_or_default();
        strip_users(snapshot, &ids)
    }

    /// Privacy deletion, after the person's rows are gone: removes them from the live snapshot
    /// at once, rewrites the active version's stored blob without them, drops the blobs of
    /// inactive versions (which still hold their vectors), and makes a running training strip
    /// them too. Their remaining influence on shared item factors goes with the next training,
    /// which no longer sees their data.
    #[tracing::instrument(skip(self, db))]
    pub async fn erase_user(
        &self,
        db: &DatabaseConnection,
        user_id: i32,
    ) -> Result<(), EngineError> {
        if let Ok(mut e) = self.erased_during_training.lock() {
            e.insert(user_id);
        }
        let served = self.forget_user(user_id);
        if let Some(a) = &served {
            rewrite_blob(db, a.version_id, a.snapshot.clone()).await?;
        }
        // The stored active version may be one this process does not serve (stored by
        // `marquee train` or another replica): strip the person from it too.
        if let Some(v) = training::active_version(db).await? {
            if served.as_ref().map(|a| a.version_id) != Some(v.id) {
                if let Some(blob) = v.blob {
                    let rewritten = blocking(move || -> Result<Option<Vec<u8>>, EngineError> {
                        let mut s = Snapshot::from_bytes(&blob)?;
                        Ok(if s.remove_user(user_id as i64) {
                            Some(s.to_bytes()?)
                        } else {
                            None
                        })
                    })
                    .await
                    .map_err(|e| EngineError::Join(e.to_string()))??;
                    if let Some(blob) = rewritten {
                        training::replace_blob(db, v.id, blob).await?;
                    }
                }
            }
        }
        // Every stored version but the active one (which may be newer than the snapshot above,
        // if a training finished meanwhile: it never saw the person's data) loses its blob.
        training::drop_inactive_blobs(db).await?;
        Ok(())
    }

    /// Keeps a user's re-solved factors, unless the model they were solved against is no longer
    /// the one served (a training finished meanwhile), or a write made them due again since the
    /// feedback they were solved from was read (write number `gen`): such factors serve the
    /// request that solved them, and are not kept.
    fn remember_folded(&self, solved_against: i32, user_id: i32, gen: u64, folded: &Folded) {
        let Ok(mut m) = self.folded.lock() else {
            return;
        };
        // Checked under the cache's lock, which `swap` also takes after storing a new model:
        // either this sees the new version, or `swap` runs after and drops the entry.
        let current = self.active().map(|a| a.version_id) == Some(solved_against);
        let unchanged = m.entries.get(&user_id).is_some_and(|e| e.1.gen() == gen);
        if current && unchanged {
            m.put(
                user_id,
                FoldState::Solved {
                    gen,
                    version: solved_against,
                    folded: Arc::new(folded.clone()),
                },
            );
        }
    }

    /// Drops the user's vectors from the live snapshot and any folded state, and returns the
    /// snapshot now served. A compare-and-swap: a model swapped in meanwhile (a training that
    /// finished) is never replaced by the older one; the user is removed from it instead.
    pub fn forget_user(&self, user_id: i32) -> Option<Arc<Active>> {
        if let Ok(mut m) = self.folded.lock() {
            m.remove(user_id);
        }
        let mut result = None;
        self.active.rcu(|current| {
            let Some(a) = current else {
                result = None;
                return None;
            };
            // (cloning a large model is costly: only when the user is in it)
            if !a.snapshot.holds_user(user_id as i64) {
                result = Some(a.clone());
                return Some(a.clone());
            }
            let mut snapshot = a.snapshot.clone();
            snapshot.remove_user(user_id as i64);
            let next = Arc::new(Active {
                snapshot,
                version_id: a.version_id,
                trained_at: a.trained_at,
                loaded_at: a.loaded_at,
            });
            result = Some(next.clone());
            Some(next)
        });
        result
    }

    /// Whether the live snapshot still knows a user (tests of deletion).
    pub fn knows_user(&self, user_id: i32) -> bool {
        self.active()
            .map(|a| {
                let h = a.snapshot.history(user_id as i64, &[], None);
                h.user.is_some()
            })
            .unwrap_or(false)
    }
}

/// The database's ratings as a dataset for offline evaluation.
/// The ratings of at most `max_users` users (a fixed pseudo-random sample by user id, the same
/// from one training to the next while the users stay), as an offline evaluation dataset:
/// offline metrics then cost the same at any scale.
fn dataset_from(
    inter: &[Interaction],
    catalogue: &[CatalogueEntry],
    max_users: usize,
) -> dataset::Dataset {
    let mut raters: Vec<i32> = inter
        .iter()
        .filter(|i| !i.rating.is_nan())
        .map(|i| i.user_id)
        .collect();
    raters.dedup();
    raters.sort_unstable();
    raters.dedup();
    let sampled: Option<HashSet<i32>> = (raters.len() > max_users).then(|| {
        // splitmix64 of the id: a sample that does not follow id order
        let mix = |id: i32| {
            let mut z = (id as u64).wrapping_add(0x9e37_79b9_7f4a_7c15);
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        raters.sort_unstable_by_key(|&u| mix(u));
        raters.truncate(max_users);
        raters.into_iter().collect()
    });
    let ratings: Vec<dataset::Rating> = inter
        .iter()
        .filter(|i| !i.rating.is_nan())
        .filter(|i| sampled.as_ref().is_none_or(|s| s.contains(&i.user_id)))
        .map(|i| dataset::Rating {
            user: i.user_id as i64,
            movie: i.movie_id as i64,
            score: i.rating,
            timestamp: i.timestamp,
        })
        .collect();
    let mut user_ids: Vec<i64> = ratings.iter().map(|r| r.user).collect();
    user_ids.sort_unstable();
    user_ids.dedup();
    dataset::Dataset {
        format: dataset::Format::MlCsv,
        movies: catalogue
            .iter()
            .map(|e| dataset::Movie {
                id: e.movie_id as i64,
                title: e.title.clone(),
                year: e.year,
                genres: e.genres.clone(),
                imdb_id: None,
                tmdb_id: None,
            })
            .collect(),
        users: user_ids.into_iter().map(dataset::User::anonymous).collect(),
        ratings,
        tags: vec![],
        links: vec![],
    }
}

/// Protocol of the offline check stored with each model version.
const OFFLINE_PROTOCOL: &str = "holdout:0.2";

/// A quick offline check stored with each model version: the served top-N blend (`ranking`, as
/// configured) against popularity on an 80/20 holdout of the sampled users, in the JSON shape of
/// `marquee evaluate --format json` (and the report itself, when it ran).
/// What a model version records of the search its training ran (docs/evaluation.md): the
/// winner (the blend as served) and its validation score, and per model the starting and tuned
/// validation scores and parameters.
fn tuning_summary(t: &eval::TuneReport) -> serde_json::Value {
    let metric = |m: &eval::tune::ModelTuning| match m.metric {
        eval::Metric::Ndcg => format!("ndcg@{}", t.k),
        eval::Metric::Rmse => "rmse".to_string(),
    };
    let winner = t.models.last();
    serde_json::json!({
        "validation": t.validation.to_string(),
        "seed": t.seed,
        "fit_interactions": t.fit_interactions,
        "held_out": t.held_out,
        "budget_seconds": t.budget_seconds,
        "seconds": t.seconds,
        "winner": winner.map(|w| w.name.clone()),
        "metric": winner.map(metric),
        "validation_score": winner.and_then(|w| w.best_score),
        "models": t.models.iter().map(|m| serde_json::json!({
            "name": m.name,
            "metric": metric(m),
            "start": m.start_score,
            "tuned": m.best_score,
            "params": m.best.params,
            "trials": m.trials.len(),
            "cut_short": m.cut_short,
        })).collect::<Vec<_>>(),
    })
}

fn offline_metrics(
    ds: &dataset::Dataset,
    ranking: &marquee_core::recommender::hybrid::HybridParams,
) -> (serde_json::Value, Option<eval::EvalReport>) {
    if ds.ratings.len() < 200 {
        return (
            serde_json::json!({ "skipped": "fewer than 200 ratings" }),
            None,
        );
    }
    let cfg = EvalConfig {
        protocol: OFFLINE_PROTOCOL.parse().unwrap_or(Protocol::Holdout(0.2)),
        seed: 42,
        k: 10,
        models: vec![
            ComponentSpec::with(
                "hybrid_rank",
                serde_json::to_value(ranking).unwrap_or_default(),
            ),
            ComponentSpec::new("popularity"),
        ],
        rating_metrics: false,
        ranking_metrics: true,
        relevance_threshold: None,
    };
    match eval::evaluate(ds, &cfg, &marquee_core::recommender::no_progress) {
        Ok(r) => (r.to_json("training data", OFFLINE_PROTOCOL), Some(r)),
        Err(e) => (serde_json::json!({ "error": e.to_string() }), None),
    }
}

/// The ALS factors of a stored model version (the active one if `version` is `None`), without
/// anyone erased, for `marquee model export`. Returns the version's id with them.
pub async fn export_factors(
    db: &DatabaseConnection,
    version: Option<i32>,
) -> Result<(i32, FactorModel), EngineError> {
    let v = match version {
        Some(id) => training::version(db, id).await?,
        None => training::active_version(db).await?,
    };
    let what = version.map_or("the active model version".to_string(), |id| {
        format!("model version {id}")
    });
    let Some(v) = v else {
        return Err(EngineError::NoModel(format!("there is no {what}")));
    };
    let Some(blob) = v.blob else {
        return Err(EngineError::NoModel(format!(
            "{what} no longer keeps its parameters (only the newest versions do)"
        )));
    };
    let erased = crate::db::repo::privacy::erased_user_ids(db, None).await?;
    let factors = blocking(move || -> Result<FactorModel, EngineError> {
        let mut s = Snapshot::from_bytes(&blob)?;
        strip_users(&mut s, &erased);
        Ok(s.export_factors()?)
    })
    .await
    .map_err(|e| EngineError::Join(e.to_string()))??;
    Ok((v.id, factors))
}

/// Maps a snapshot item to its movie id.
pub fn movie_of(active: &Active, item: ItemIdx) -> Option<i32> {
    active.snapshot.vocab.item_id(item).map(|id| id as i32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use marquee_core::recommender::hybrid::HybridParams;

    /// A small trained snapshot: 40 users in two taste groups over 30 movies.
    fn snapshot() -> Snapshot {
        let mut feedback = vec![];
        for u in 0..40i64 {
            for m in 0..30i64 {
                if (u + m) % 2 == 0 && (u * 7 + m * 3) % 5 != 0 {
                    feedback.push(Feedback {
                        user: u,
                        item: m,
                        rating: if u % 2 == 0 { 4.0 } else { 3.0 },
                        confidence: 1.0,
                        timestamp: 1_000 + u * 30 + m,
                    });
                }
            }
        }
        let params = SnapshotParams {
            ranking: HybridParams {
                components: vec![
                    ComponentSpec::with("als", serde_json::json!({"factors": 4, "iterations": 3})),
                    ComponentSpec::new("popularity"),
                ],
                min_bucket_samples: 5,
                ..HybridParams::ranking()
            },
            rating: None,
            ..SnapshotParams::default()
        };
        let input = TrainingInput {
            feedback,
            catalogue: (0..30).collect(),
            item_tokens: vec![],
            demographics: vec![],
            now: Some(10_000),
        };
        Snapshot::train(input, &params, &marquee_core::recommender::no_progress).unwrap()
    }

    fn active(snapshot: Snapshot, version_id: i32) -> Active {
        Active {
            snapshot,
            version_id,
            trained_at: Utc::now(),
            loaded_at: Utc::now(),
        }
    }

    fn handle() -> RecommenderHandle {
        RecommenderHandle::new(SnapshotParams::default(), false)
    }

    #[test]
    fn a_replica_never_goes_back_to_an_older_model() {
        let h = handle();
        let snap = snapshot();
        assert!(h.swap(active(snap.clone(), 2)));
        assert!(
            !h.swap(active(snap.clone(), 1)),
            "an older version is not served"
        );
        assert_eq!(h.active().unwrap().version_id, 2);
        assert!(h.swap(active(snap, 3)));
        assert_eq!(h.active().unwrap().version_id, 3);
    }

    #[test]
    fn forgetting_someone_the_model_never_held_keeps_the_same_snapshot() {
        let h = handle();
        h.swap(active(snapshot(), 1));
        let before = h.active().unwrap();
        let after = h.forget_user(424_242).unwrap();
        assert!(Arc::ptr_eq(&before, &after));
        let changed = h.forget_user(3).unwrap();
        assert!(!Arc::ptr_eq(&before, &changed));
        assert!(!changed.snapshot.holds_user(3));
    }

    #[test]
    fn a_fold_in_solved_against_an_older_model_is_never_served() {
        let h = handle();
        let snap = snapshot();
        h.swap(active(snap.clone(), 1));
        let user_history = snap.history(0, &[(1, 5.0, 1.0, 1)], None);
        let folded = snap.fold_in(&user_history.view());
        assert!(!folded.vectors.is_empty());
        h.feedback_changed(0);
        let gen = h.fold_ticket(0).0.unwrap().gen();

        // A training finishes while the fold-in is being computed; its result arrives after.
        h.swap(active(snap.clone(), 2));
        h.remember_folded(1, 0, gen, &folded);
        assert!(h.folded.lock().unwrap().get(0, 2).is_none());

        // Solved against the model in service, it is kept and served with that model only.
        h.remember_folded(2, 0, gen, &folded);
        assert!(h.folded.lock().unwrap().get(0, 2).is_some());
        h.swap(active(snap, 3));
        assert!(h.folded.lock().unwrap().get(0, 3).is_none());
    }

    #[test]
    fn factors_solved_before_a_later_write_are_not_kept() {
        let h = handle();
        let snap = snapshot();
        h.swap(active(snap.clone(), 1));
        let user = users::Model {
            id: 0,
            external_id: "0".into(),
            display_name: None,
            personalization_consent: true,
            age_band: None,
            gender: None,
            occupation: None,
            country: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        let inter = |m: i32| Interaction {
            user_id: 0,
            movie_id: m,
            rating: 5.0,
            confidence: 1.0,
            timestamp: 1,
            excluded: true,
        };
        // Never written: the trained factors, nothing solved.
        let a = h.active().unwrap();
        let hist = h.history(&a, &user, &[inter(1)], &h.fold_ticket(0));
        assert!(hist.folded.is_none());

        // A write makes the factors due; a read takes its ticket, then a second write lands
        // before the read's solution is stored: that solution serves the read, and is dropped.
        h.feedback_changed(0);
        let ticket = h.fold_ticket(0);
        h.feedback_changed(0);
        let hist = h.history(&a, &user, &[inter(1)], &ticket);
        assert!(hist.folded.is_some());
        assert!(h.folded.lock().unwrap().get(0, 1).is_none());

        // The next read solves again, from feedback that includes the second write, and keeps it.
        let hist = h.history(&a, &user, &[inter(1), inter(2)], &h.fold_ticket(0));
        assert!(hist.folded.is_some());
        assert!(h.folded.lock().unwrap().get(0, 1).is_some());
    }

    #[test]
    fn forgetting_a_user_never_replaces_a_model_swapped_in_meanwhile() {
        let snap = snapshot();
        let h = Arc::new(handle());
        h.swap(active(snap.clone(), 1));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let forgetter = {
            let (h, stop) = (h.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut last = 0;
                let mut u = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let served = h.forget_user(u % 40).map_or(0, |a| a.version_id);
                    assert!(
                        served >= last,
                        "served model went back from {last} to {served}"
                    );
                    last = served;
                    u += 1;
                }
            })
        };
        for v in 2..=150 {
            h.swap(active(snap.clone(), v));
            assert!(h.active().unwrap().version_id >= v);
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        forgetter.join().unwrap();
        assert_eq!(
            h.active().unwrap().version_id,
            150,
            "the newest model was lost"
        );
    }

    #[test]
    fn forgetting_a_user_removes_them_from_the_model_in_service() {
        let h = handle();
        h.swap(active(snapshot(), 1));
        assert!(h.knows_user(3));
        let served = h.forget_user(3).unwrap();
        assert!(!h.knows_user(3));
        assert_eq!(served.version_id, 1);
    }

    #[test]
    fn the_folded_cache_stays_bounded() {
        let mut c = FoldedCache::default();
        for u in 0..(MAX_FOLDED_USERS as i32 + 10) {
            c.put(
                u,
                FoldState::Solved {
                    gen: 1,
                    version: 1,
                    folded: Arc::new(Folded::default()),
                },
            );
        }
        assert!(c.entries.len() <= MAX_FOLDED_USERS);
        // The most recent entries survive.
        assert!(c.get(MAX_FOLDED_USERS as i32 + 9, 1).is_some());
    }
}
