//! Recommendations for the token's user, similar movies, trending and popular lists, and the
//! staff side of training (model versions, status, train now).
use async_graphql::{
    ComplexObject, Context, Enum, ErrorExtensions, InputObject, Json, Object, Result, SimpleObject,
    ID,
};
use chrono::{DateTime, Utc};

use super::ids::{self, Kind};
use super::loaders::{Cached, MovieLoader};
use super::movies::{load_movie, prime_movie_loaders, Movie};
use super::pagination::{page_args, page_with, Page};
use super::state;
use super::vocab::{AgeBand, Gender};
use crate::auth::{require_user_row, Role, RoleGuard};
use crate::db::repo;
use std::collections::{HashMap, HashSet};

use crate::app::experiments::Assignment;
use crate::app::model::CatalogueIndex;
use crate::app::serving;
use crate::error::{AppError, GqlResult};
use marquee_core::serving::admission::Admission;
use marquee_core::serving::curation::{CurationSnapshot, Surface};
use marquee_core::serving::pipeline::ServedItem;

/// Where a recommended item came from.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "marquee_core::serving::pipeline::ServedSource")]
pub enum RecommendationSource {
    /// The personalised model blend (collaborative filtering and matrix factorisation).
    Model,
    /// Overall popularity.
    Popular,
    /// Recent popularity.
    Trending,
    /// Popular in the user's demographic segment.
    Demographic,
    /// Content similarity (genres, people, tags) to what the user liked.
    Content,
    /// An editor pinned it into this slot.
    Pinned,
    /// It comes from an editorial collection.
    Collection,
    /// The model's pick, raised by an editor's boost rule.
    Boosted,
}

/// The kind of a reason.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(
    name = "ReasonKind",
    remote = "marquee_core::serving::explain::ReasonKind"
)]
pub enum ReasonKindGql {
    /// A movie the user rated is a close neighbour.
    BecauseYouRated,
    /// A movie the user watched is a close neighbour.
    BecauseYouWatched,
    /// Shares a director with a movie the user liked.
    SameDirector,
    /// Similar genres, people or tags to a movie the user liked.
    SimilarContent,
    /// The model's pick with no single piece of evidence.
    Personalized,
    /// Popular overall.
    Popular,
    /// Popular recently.
    Trending,
    /// Popular in the user's segment.
    Demographic,
    /// Chosen by an editor (pin, collection or boost): "Editor's pick: Noir Week".
    EditorsPick,
}

/// Why an item is recommended.
#[derive(SimpleObject, Clone)]
#[graphql(complex, name = "Reason")]
pub struct Reason {
    /// The kind of reason.
    pub kind: ReasonKindGql,
    /// A sentence to show, e.g. "Because you rated Heat ★5".
    pub text: String,
    #[graphql(skip)]
    pub evidence_ids: Vec<i32>,
}

#[ComplexObject]
impl Reason {
    /// The movies the reason names, most important first.
    async fn evidence(&self, ctx: &Context<'_>) -> Result<Vec<Movie>> {
        let loaded = ctx
            .data::<Cached<MovieLoader>>()?
            .load_many(self.evidence_ids.iter().copied())
            .await
            .gql()?;
        Ok(self
            .evidence_ids
            .iter()
            .filter_map(|id| loaded.get(id).cloned().map(Movie::from))
            .collect())
    }
}

/// One recommended movie.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct RecommendationItem {
    #[graphql(skip)]
    pub movie_id: i32,
    /// Relative score (comparable within one list only).
    pub score: f64,
    /// Where it came from.
    pub source: RecommendationSource,
    /// Why it is recommended.
    pub reason: Reason,
    /// Send this with IMPRESSION and CLICK events (`recordEvent`) to attribute them.
    pub recommendation_id: String,
    /// The experiment variants this item was served in (empty outside experiments), for
    /// client analytics.
    pub variants: Vec<ServedVariant>,
}

/// An experiment and the variant of it a user was served.
#[derive(SimpleObject, Clone)]
pub struct ServedVariant {
    /// The experiment's id.
    pub experiment_id: ID,
    /// The variant's name.
    pub variant: String,
}

#[ComplexObject]
impl RecommendationItem {
    /// The movie.
    async fn movie(&self, ctx: &Context<'_>) -> Result<Movie> {
        load_movie(ctx, self.movie_id).await
    }
}

/// A movie with a score, for lists that are not personal.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct ScoredMovie {
    #[graphql(skip)]
    pub movie_id: i32,
    /// Relative score (similarity, interaction count or popularity).
    pub score: f64,
}

#[ComplexObject]
impl ScoredMovie {
    /// The movie.
    async fn movie(&self, ctx: &Context<'_>) -> Result<Movie> {
        load_movie(ctx, self.movie_id).await
    }
}

/// Restricts recommendations.
#[derive(InputObject, Default)]
pub struct RecommendationFilterInput {
    /// Only movies in any of these genres.
    #[graphql(validator(max_items = 20))]
    pub genres: Option<Vec<String>>,
    /// Released in or after this year.
    pub year_from: Option<i32>,
    /// Released in or before this year.
    pub year_to: Option<i32>,
}

/// How far back `trending` looks: each interaction's weight halves with every window's length
/// of age. The home feed's trending row is the `WEEK` list.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Default)]
pub enum TrendingWindow {
    /// A day's half-life.
    Day,
    /// A week's half-life.
    #[default]
    Week,
    /// A 30-day half-life.
    Month,
}

impl TrendingWindow {
    /// The window's length in days.
    fn days(self) -> u32 {
        match self {
            TrendingWindow::Day => 1,
            TrendingWindow::Week => 7,
            TrendingWindow::Month => 30,
        }
    }
}

/// A demographic segment; omitted fields match everyone.
#[derive(InputObject, Default)]
pub struct SegmentInput {
    /// Age band.
    pub age_band: Option<AgeBand>,
    /// Gender.
    pub gender: Option<Gender>,
    /// Occupation.
    #[graphql(validator(max_length = 64))]
    pub occupation: Option<String>,
    /// Country (ISO 3166-1 alpha-2).
    #[graphql(validator(max_length = 2))]
    pub country: Option<String>,
}

impl SegmentInput {
    /// The segment, with a known age band and values normalised as stored.
    fn validate(self) -> Result<serving::Segment, AppError> {
        Ok(serving::Segment {
            age_band: self.age_band.map(Into::into),
            gender: self.gender.map(Gender::stored),
            occupation: self.occupation.map(|o| o.to_lowercase()),
            country: self.country.map(|c| c.to_ascii_uppercase()),
        })
    }
}

/// A trained model version.
#[derive(SimpleObject)]
pub struct ModelVersion {
    /// Opaque identifier.
    pub id: ID,
    /// The algorithm (the hybrid blend).
    pub algorithm: String,
    /// Hyperparameters used.
    pub params: Json<serde_json::Value>,
    /// Offline metrics computed at training time: the served ranking blend and popularity on an
    /// 80/20 holdout, in the JSON shape of `marquee evaluate --format json` (docs/evaluation.md);
    /// when the training searched hyperparameters first (`[recommender.tuning]`), `tuning` holds
    /// the winner, its validation score and each model's tuned parameters.
    pub metrics: Json<serde_json::Value>,
    /// Timings in seconds and the blob size.
    pub timings: Json<serde_json::Value>,
    /// Time of the newest feedback trained on.
    pub data_cutoff: Option<DateTime<Utc>>,
    /// When it was trained.
    pub trained_at: DateTime<Utc>,
    /// Whether it is the one being served.
    pub active: bool,
}

/// The state of background training.
#[derive(SimpleObject)]
#[graphql(name = "TrainingStatus")]
pub struct TrainingStatusGql {
    /// Whether a training is running now.
    pub running: bool,
    /// What it is doing (loading, training, evaluating, storing).
    pub stage: Option<String>,
    /// When the current or last training started.
    pub started_at: Option<DateTime<Utc>>,
    /// When the last training finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// The last training's error, if it failed.
    pub last_error: Option<String>,
    /// The model version the last training produced.
    pub last_version_id: Option<ID>,
    /// Microseconds the latest fold-in of new feedback took.
    pub last_fold_in_micros: u64,
    /// The model version this replica serves (none before the first training).
    pub served_version_id: Option<ID>,
    /// When this replica began serving it.
    pub served_since: Option<DateTime<Utc>>,
    /// This replica's id (random per process start; `/readyz` shows it too).
    pub replica_id: String,
}

fn status(st: &crate::state::AppState) -> TrainingStatusGql {
    let s = st.recommender.status();
    let active = st.recommender.active();
    TrainingStatusGql {
        running: s.running,
        stage: s.stage,
        started_at: s.started_at,
        finished_at: s.finished_at,
        last_error: s.last_error,
        last_version_id: s
            .last_version_id
            .map(|id| ids::encode(Kind::ModelVersion, id as i64)),
        last_fold_in_micros: st.recommender.last_foldin_micros(),
        served_version_id: active
            .as_ref()
            .map(|a| ids::encode(Kind::ModelVersion, a.version_id as i64)),
        served_since: active.as_ref().map(|a| a.loaded_at),
        replica_id: st.replica.id.clone(),
    }
}

/// A row of the home feed.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "marquee_core::serving::feed::RowKind")]
pub enum FeedRowKind {
    /// An editorial collection.
    Collection,
    /// "Top picks for you".
    TopPicks,
    /// "Because you watched …".
    BecauseYouWatched,
    /// "Trending now".
    Trending,
    /// "Popular on Marquee".
    Popular,
    /// "Popular with viewers aged …".
    Demographic,
    /// One genre.
    Genre,
}

/// One row of the home feed.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct FeedRow {
    /// Stable key, e.g. "top-picks", "because:<movie id>", "collection:noir-week".
    pub key: String,
    /// Heading to show.
    pub title: String,
    /// What kind of row it is.
    pub kind: FeedRowKind,
    #[graphql(skip)]
    pub collection_id: Option<i32>,
    /// The row's items, each explained.
    pub items: Vec<RecommendationItem>,
    /// Previews only (empty in `homeFeed`): the movies of a COLLECTION row that it leaves out
    /// before it fills, and why, in the editor's order.
    pub removed: Vec<RemovedItem>,
}

/// Why a preview leaves a movie out.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum RemovalReason {
    /// Already in the feed: in an earlier row (`rowKey`), or pinned into a ranked row.
    ShownElsewhere,
    /// The user rated, finished, thumbed down or dismissed it.
    UserHistory,
    /// Deleted or marked unavailable.
    Unavailable,
    /// A block rule in force matches it (`rule`).
    Blocked,
}

/// A movie a preview leaves out, and why.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct RemovedItem {
    /// Why it is left out.
    pub reason: RemovalReason,
    /// For SHOWN_ELSEWHERE: the key of the row that shows it; null when a pin put it in a
    /// ranked row.
    pub row_key: Option<String>,
    #[graphql(skip)]
    pub movie_id: i32,
    /// Whether the movie must not be named (an editor's view of the user's history).
    #[graphql(skip)]
    pub hidden: bool,
    #[graphql(skip)]
    pub rule_id: Option<i32>,
}

#[ComplexObject]
impl RemovedItem {
    /// The movie; null when it is gone from the catalogue, and for editors when it is left
    /// out because of the user's history (editors do not see what people watched).
    async fn movie(&self, ctx: &Context<'_>) -> Result<Option<Movie>> {
        if self.hidden {
            return Ok(None);
        }
        Ok(ctx
            .data::<Cached<MovieLoader>>()?
            .load_one(self.movie_id)
            .await
            .gql()?
            .map(Into::into))
    }

    /// For BLOCKED: the rule.
    async fn rule(&self, ctx: &Context<'_>) -> Result<Option<super::curation::Rule>> {
        let Some(id) = self.rule_id else {
            return Ok(None);
        };
        Ok(repo::curation::rule(&state(ctx)?.db, id)
            .await
            .gql()?
            .map(Into::into))
    }
}

impl RemovedItem {
    fn new(r: marquee_core::serving::feed::Removed, redact: bool) -> Self {
        use marquee_core::serving::feed::Removal as R;
        let (reason, row_key, rule_id) = match r.why {
            R::ShownElsewhere(key) => (RemovalReason::ShownElsewhere, key, None),
            R::History => (RemovalReason::UserHistory, None, None),
            R::Unavailable => (RemovalReason::Unavailable, None, None),
            R::Blocked(rule) => (RemovalReason::Blocked, None, Some(rule)),
        };
        Self {
            hidden: redact && reason == RemovalReason::UserHistory,
            reason,
            row_key,
            movie_id: r.movie_id,
            rule_id,
        }
    }
}

#[ComplexObject]
impl FeedRow {
    /// The collection of a COLLECTION row.
    async fn collection(&self, ctx: &Context<'_>) -> Result<Option<super::curation::Collection>> {
        let Some(id) = self.collection_id else {
            return Ok(None);
        };
        Ok(repo::curation::collection(&state(ctx)?.db, id)
            .await
            .gql()?
            .map(Into::into))
    }
}

/// A user's home feed.
#[derive(SimpleObject)]
pub struct HomeFeed {
    /// The rows, top to bottom.
    pub rows: Vec<FeedRow>,
}

/// The admission rule for lists that are the same for everyone (similar, popular, trending).
fn public_admission<'a>(
    catalogue: &'a CatalogueIndex,
    curation: &'a CurationSnapshot,
) -> Admission<'a> {
    Admission::new(&Surface::Recommendations, Utc::now(), curation, catalogue)
}

/// A chart as GraphQL items.
async fn chart_items(
    ctx: &Context<'_>,
    chart: &serving::Chart,
    n: usize,
) -> Result<Vec<ScoredMovie>> {
    let st = state(ctx)?;
    let catalogue = st.recommender.catalogue(&st.db).await.gql()?;
    let curation = st.curation().await.gql()?;
    let admission = public_admission(&catalogue, &curation);
    let active = st.recommender.active();
    Ok(
        serving::chart_of(st, active.as_deref(), chart, &admission, n)
            .await
            .gql()?
            .into_iter()
            .map(|(movie_id, score)| ScoredMovie { movie_id, score })
            .collect(),
    )
}

/// The serving inputs of the user a staff preview names: by opaque id or by the external id
/// the frontends know them by (exactly one).
async fn preview_user(
    ctx: &Context<'_>,
    user_id: Option<&ID>,
    external_id: Option<&str>,
) -> Result<serving::UserInputs> {
    let st = state(ctx)?;
    let user = match (user_id, external_id.map(str::trim)) {
        (Some(id), None) => {
            let id = ids::decode(Kind::User, id).gql()?;
            repo::users::get(&st.db, id).await.gql()?
        }
        (None, Some(ext)) if !ext.is_empty() => {
            repo::users::find_by_external_id(&st.db, ext).await.gql()?
        }
        _ => return Err(AppError::bad_input("give exactly one of userId and externalId").extend()),
    }
    .ok_or(AppError::NotFound("user"))
    .gql()?;
    serving::load_user(st, user).await.gql()
}

/// A preview's recommendations list: `first` items (default 20), no client filter.
fn preview_ask(first: Option<i32>) -> serving::ListAsk {
    serving::ListAsk {
        surface: Surface::Recommendations,
        n: first.unwrap_or(20) as usize,
        exclude: HashSet::new(),
        filter: serving::ListFilter::default(),
        now: Utc::now(),
    }
}

/// Whether a preview must hide what rests on the user's own history and profile: editors
/// curate, they do not read people's ratings or demographics; admins see previews in full.
fn redacts_evidence(ctx: &Context<'_>) -> bool {
    matches!(
        ctx.data_opt::<crate::auth::Principal>(),
        Some(crate::auth::Principal::Staff { role, .. }) if *role != Role::Admin
    )
}

/// A preview's reason with the user's evidence taken out: the kind stays, the sentence no
/// longer names what they rated or watched or which segment they are in.
fn redact_reason(r: &mut Reason) {
    use marquee_core::serving::explain::ReasonKind as K;
    let text = match K::from(r.kind) {
        K::BecauseYouRated | K::BecauseYouWatched | K::SameDirector | K::SimilarContent => {
            "Based on their history"
        }
        K::Demographic => "Popular in their segment",
        _ => return,
    };
    r.text = text.to_owned();
    r.evidence_ids.clear();
}

/// Maps served items to GraphQL items. `log` is the user's own answer (a preview's is
/// `None`), with the experiments they were served in: it is recorded for attribution.
async fn served_items(
    ctx: &Context<'_>,
    user_id: i32,
    surface: &'static str,
    offset: usize,
    items: Vec<ServedItem>,
    log: Option<&[Assignment]>,
    movie_look: async_graphql::Lookahead<'_>,
) -> Result<Vec<RecommendationItem>> {
    let assignments = log.unwrap_or_default();
    let log = log.is_some();
    let mut out = Vec::with_capacity(items.len());
    let variants: Vec<ServedVariant> = assignments
        .iter()
        .map(|a| ServedVariant {
            experiment_id: ids::encode(Kind::Experiment, i64::from(a.experiment.row.id)),
            variant: a.variant_name().to_owned(),
        })
        .collect();
    // One log row per list, its id time-ordered (UUIDv7): a batch of rows appends to the
    // primary key instead of touching a page per row. Items are `<list id>:<position>`.
    let list_id = uuid::Uuid::now_v7().to_string();
    let mut shown = Vec::with_capacity(if log { items.len() } else { 0 });
    for (pos, it) in items.into_iter().enumerate() {
        let served = it.source;
        let source: RecommendationSource = served.into();
        let position = (offset + pos) as i32;
        if log {
            shown.push(repo::events::LoggedItem {
                movie_id: it.movie_id,
                source: served.as_str().into(),
                position,
                origin: repo::events::ItemOrigin {
                    collection: it.collection_id,
                    placement: it.placement_id,
                    rule: it.rule_id,
                },
            });
        }
        out.push(RecommendationItem {
            movie_id: it.movie_id,
            score: it.score,
            source,
            reason: Reason {
                kind: it.reason_kind.into(),
                text: it.reason_text,
                evidence_ids: it.evidence,
            },
            recommendation_id: repo::events::ShownList::item_id(&list_id, position),
            variants: variants.clone(),
        });
    }
    // Written in batches after the answer is sent: a failed write costs a list's
    // attribution, never the user's answer.
    if log {
        state(ctx)?.impressions.record(repo::events::ShownList {
            id: list_id,
            user_id,
            surface,
            items: shown,
            shown_at: Utc::now(),
            experiments: assignments.iter().map(Assignment::key).collect(),
        });
    }
    if !log && redacts_evidence(ctx) {
        out.iter_mut().for_each(|i| redact_reason(&mut i.reason));
    }
    let ids: Vec<i32> = out.iter().map(|r| r.movie_id).collect();
    prime_movie_loaders(ctx, movie_look, &ids).await?;
    Ok(out)
}

/// Builds and maps a home feed.
async fn feed_of(
    ctx: &Context<'_>,
    u: serving::UserInputs,
    rows: Option<i32>,
    per_row: Option<i32>,
    log: bool,
) -> Result<HomeFeed> {
    let st = state(ctx)?;
    let user_id = u.user.id;
    let assignments = u.assignments().to_vec();
    let (rows, per_row) = (rows.unwrap_or(8) as usize, per_row.unwrap_or(10) as usize);
    let rows = st
        .compute
        .run(move || {
            let now = Utc::now();
            if log {
                // The user's own feed: the kept one while nothing it depends on changed.
                u.answer_feed(rows, per_row, now)
            } else {
                serving::home_feed(&u.prepare(), rows, per_row, now)
            }
        })
        .await
        .gql()?;
    // One batch for every row: the movies are loaded and the shown items logged at once.
    let sizes: Vec<usize> = rows.iter().map(|r| r.items.len()).collect();
    let mut heads = Vec::with_capacity(rows.len());
    let mut all = Vec::with_capacity(sizes.iter().sum());
    for r in rows {
        let removed = if log { Vec::new() } else { r.removed };
        heads.push((r.key, r.title, r.kind, r.collection_id, removed));
        all.extend(r.items);
    }
    let mut items = served_items(
        ctx,
        user_id,
        "HOME",
        0,
        all,
        log.then_some(&assignments[..]),
        ctx.look_ahead().field("rows").field("items").field("movie"),
    )
    .await?
    .into_iter();
    let redact = !log && redacts_evidence(ctx);
    let mut out = Vec::with_capacity(heads.len());
    // Each row's key as shown, by its own key: a removed item names the row that shows it.
    let mut shown_keys: HashMap<String, String> = HashMap::new();
    for (i, ((key, title, kind, collection_id, removed), n)) in
        heads.into_iter().zip(sizes).enumerate()
    {
        let kind: FeedRowKind = kind.into();
        // A preview's row headings must not name the user's history or segment either.
        let (shown_key, title) = match kind {
            FeedRowKind::BecauseYouWatched if redact => (
                format!("because:hidden-{i}"),
                "Because of what they watched".to_owned(),
            ),
            FeedRowKind::Demographic if redact => {
                (key.clone(), "Popular in their segment".to_owned())
            }
            _ => (key.clone(), title),
        };
        shown_keys.insert(key, shown_key.clone());
        let removed = removed
            .into_iter()
            .map(|r| {
                let mut item = RemovedItem::new(r, redact);
                item.row_key = item.row_key.and_then(|k| shown_keys.get(&k).cloned());
                item
            })
            .collect();
        out.push(FeedRow {
            key: shown_key,
            title,
            kind,
            collection_id,
            items: items.by_ref().take(n).collect(),
            removed,
        });
    }
    Ok(HomeFeed { rows: out })
}

/// How deep a recommendations list goes.
const MAX_DEPTH: usize = 500;

/// Recommendation queries.
#[derive(Default)]
pub struct RecommendationQuery;

#[Object]
impl RecommendationQuery {
    /// Personal recommendations for the token's user, each explained. Never includes movies the
    /// user rated, finished, thumbed down or marked not interested, unavailable or deleted
    /// movies, or anything in `exclude`. Users without personalisation consent get popular
    /// movies. `first` defaults to 20, at most 100. There is no backward paging (the list is
    /// computed for each request and has no fixed end), so keep the pages already shown.
    #[graphql(
        guard = "RoleGuard::User",
        complexity = "crate::graphql::limits::list(crate::graphql::limits::MODEL_CALL, first, 20, child_complexity)"
    )]
    async fn recommendations(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            validator(minimum = 1, maximum = 100),
            desc = "How many items to return (1–100; default 20)."
        )]
        first: Option<i32>,
        #[graphql(
            desc = "Cursor of the last item seen (the previous page's `endCursor`): the page starts after it; omit it for the first page (the list goes at most 500 deep)."
        )]
        after: Option<String>,
        #[graphql(
            validator(max_items = 500),
            desc = "Opaque ids of movies to leave out, e.g. those already shown (at most 500)."
        )]
        exclude: Option<Vec<ID>>,
        #[graphql(
            desc = "Only movies in any of the given genres and within the given years (omitted, no restriction); `yearFrom` must not be after `yearTo`."
        )]
        filter: Option<RecommendationFilterInput>,
    ) -> Result<Page<RecommendationItem>> {
        let user = require_user_row(ctx)?;
        let (offset, limit) = page_args(first, after.as_deref()).gql()?;
        if offset > 400 {
            return Err(AppError::bad_input("recommendations go at most 500 deep").extend());
        }
        let f = filter.unwrap_or_default();
        if let (Some(a), Some(b)) = (f.year_from, f.year_to) {
            if a > b {
                return Err(AppError::bad_input("yearFrom must not be after yearTo").extend());
            }
        }
        let exclude_ids: Vec<i32> = exclude
            .unwrap_or_default()
            .iter()
            .map(|id| ids::decode(Kind::Movie, id))
            .collect::<Result<_, _>>()
            .gql()?;
        let st = state(ctx)?;
        let now = Utc::now();
        let u = serving::load_user(st, (*user).clone())
            .await
            .gql()?
            .enter_experiments(&Surface::Recommendations, now)
            .await
            .gql()?;
        let assignments = u.assignments().to_vec();
        let end = (offset + limit) as usize;
        let ask = serving::ListAsk {
            surface: Surface::Recommendations,
            // One item more than the page tells whether another page follows.
            n: end + 1,
            exclude: exclude_ids.into_iter().collect(),
            filter: serving::ListFilter {
                genres: f.genres.unwrap_or_default(),
                year_from: f.year_from,
                year_to: f.year_to,
            },
            now,
        };
        // Counting every admitted movie walks the catalogue: only when asked for.
        let count = ctx.look_ahead().field("totalCount").exists();
        let user_id = u.user.id;
        let (mut items, total) = st
            .compute
            .run(move || u.answer_list(&ask, count))
            .await
            .gql()?;
        let has_next = items.len() > end && end < MAX_DEPTH;
        items.truncate(end);
        let page_items: Vec<ServedItem> = items.into_iter().skip(offset as usize).collect();
        let out = served_items(
            ctx,
            user_id,
            "RECOMMENDATIONS",
            offset as usize,
            page_items,
            Some(&assignments),
            ctx.look_ahead().field("edges").field("node").field("movie"),
        )
        .await?;
        Ok(page_with(out, offset, has_next, total.unwrap_or(0)))
    }

    /// The recommendations a user would get now, with each item's source and reason (editors,
    /// admins). The user is named by `userId` (opaque) or `externalId` (the id frontends know
    /// them by), exactly one. Nothing is logged for the user. Editors see reasons that rest on
    /// the user's ratings, views or segment redacted ("Based on their history", no evidence);
    /// admins see them in full.
    #[graphql(
        guard = "RoleGuard::staff(&[Role::Editor])",
        complexity = "crate::graphql::limits::list(crate::graphql::limits::MODEL_CALL, first, 20, child_complexity)"
    )]
    async fn preview_recommendations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user's opaque id; give exactly one of `userId` and `externalId`.")]
        user_id: Option<ID>,
        #[graphql(
            desc = "The user's external id, the one frontends know them by (`User.externalId`); give exactly one of `userId` and `externalId`."
        )]
        external_id: Option<String>,
        #[graphql(
            validator(minimum = 1, maximum = 100),
            desc = "How many items to return (1–100; default 20)."
        )]
        first: Option<i32>,
    ) -> Result<Vec<RecommendationItem>> {
        let st = state(ctx)?;
        let u = preview_user(ctx, user_id.as_ref(), external_id.as_deref()).await?;
        let id = u.user.id;
        let ask = preview_ask(first);
        let items = st
            .compute
            .run(move || serving::list(&u.prepare(), &ask))
            .await
            .gql()?;
        served_items(
            ctx,
            id,
            "RECOMMENDATIONS",
            0,
            items,
            None,
            ctx.look_ahead().field("movie"),
        )
        .await
    }

    /// The token user's home feed: editorial collections, "Top picks for you", "Because you
    /// watched …", "Trending now" and genre rows; new users get popular, demographic and
    /// editorial rows. No movie appears twice. `rows` defaults to 8 (at most 20),
    /// `itemsPerRow` to 10 (at most 30).
    #[graphql(
        guard = "RoleGuard::User",
        complexity = "crate::graphql::limits::MODEL_CALL + rows.unwrap_or(8).clamp(1, 20) as usize * items_per_row.unwrap_or(10).clamp(1, 30) as usize * child_complexity"
    )]
    async fn home_feed(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            validator(minimum = 1, maximum = 20),
            desc = "How many rows to return at most (1–20; default 8)."
        )]
        rows: Option<i32>,
        #[graphql(
            validator(minimum = 1, maximum = 30),
            desc = "How many items each row holds at most (1–30; default 10)."
        )]
        items_per_row: Option<i32>,
    ) -> Result<HomeFeed> {
        let user = require_user_row(ctx)?;
        let u = serving::load_user(state(ctx)?, (*user).clone())
            .await
            .gql()?
            .enter_experiments(&Surface::Home, Utc::now())
            .await
            .gql()?;
        feed_of(ctx, u, rows, items_per_row, true).await
    }

    /// The home feed a user would get now (editors, admins), the user named by `userId` or
    /// `externalId` as in `previewRecommendations`. Nothing is logged for the user.
    /// For editors, reasons and row headings that rest on the user's history or segment are
    /// redacted as in `previewRecommendations`.
    #[graphql(
        guard = "RoleGuard::staff(&[Role::Editor])",
        complexity = "crate::graphql::limits::MODEL_CALL + rows.unwrap_or(8).clamp(1, 20) as usize * items_per_row.unwrap_or(10).clamp(1, 30) as usize * child_complexity"
    )]
    async fn preview_home_feed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user's opaque id; give exactly one of `userId` and `externalId`.")]
        user_id: Option<ID>,
        #[graphql(
            desc = "The user's external id, the one frontends know them by (`User.externalId`); give exactly one of `userId` and `externalId`."
        )]
        external_id: Option<String>,
        #[graphql(
            validator(minimum = 1, maximum = 20),
            desc = "How many rows to return at most (1–20; default 8)."
        )]
        rows: Option<i32>,
        #[graphql(
            validator(minimum = 1, maximum = 30),
            desc = "How many items each row holds at most (1–30; default 10)."
        )]
        items_per_row: Option<i32>,
    ) -> Result<HomeFeed> {
        let u = preview_user(ctx, user_id.as_ref(), external_id.as_deref()).await?;
        feed_of(ctx, u, rows, items_per_row, false).await
    }

    /// The movies the model ranks among a user's first `first` recommendations (default 20)
    /// that curation keeps out of the list (a block rule, or unavailable), best first
    /// (editors, admins), the user named as in `previewRecommendations`. Nothing is logged
    /// for the user.
    #[graphql(
        guard = "RoleGuard::staff(&[Role::Editor])",
        complexity = "crate::graphql::limits::list(crate::graphql::limits::MODEL_CALL, first, 20, child_complexity)"
    )]
    async fn preview_removed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user's opaque id; give exactly one of `userId` and `externalId`.")]
        user_id: Option<ID>,
        #[graphql(
            desc = "The user's external id, the one frontends know them by (`User.externalId`); give exactly one of `userId` and `externalId`."
        )]
        external_id: Option<String>,
        #[graphql(
            validator(minimum = 1, maximum = 100),
            desc = "How many of the user's top-ranked recommendations to look through (1–100; default 20)."
        )]
        first: Option<i32>,
    ) -> Result<Vec<RemovedItem>> {
        let st = state(ctx)?;
        let u = preview_user(ctx, user_id.as_ref(), external_id.as_deref()).await?;
        let ask = preview_ask(first);
        let removed = st
            .compute
            .run(move || serving::removed_by_curation(&u.prepare(), &ask))
            .await
            .gql()?;
        Ok(removed
            .into_iter()
            .map(|r| RemovedItem::new(r, false))
            .collect())
    }

    /// Movies most like this one (people who liked it also liked; for new movies, by content).
    #[graphql(
        complexity = "crate::graphql::limits::list(crate::graphql::limits::MODEL_CALL, first, 10, child_complexity)"
    )]
    async fn similar_movies(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The movie's opaque id; the movie must be available (otherwise NOT_FOUND)."
        )]
        movie_id: ID,
        #[graphql(
            validator(minimum = 1, maximum = 100),
            desc = "How many items to return (1–100; default 10)."
        )]
        first: Option<i32>,
    ) -> Result<Vec<ScoredMovie>> {
        let id = ids::decode(Kind::Movie, &movie_id).gql()?;
        let n = first.unwrap_or(10) as usize;
        let st = state(ctx)?;
        let catalogue = st.recommender.catalogue(&st.db).await.gql()?;
        if !catalogue.get(id).is_some_and(|e| e.available) {
            return Err(AppError::NotFound("movie").extend());
        }
        let curation = st.curation().await.gql()?;
        let Some(active) = st.recommender.active() else {
            return Ok(vec![]);
        };
        let admission = public_admission(&catalogue, &curation);
        Ok(serving::similar(&active, id, n, &admission)
            .into_iter()
            .map(|(movie_id, s)| ScoredMovie {
                movie_id,
                score: s as f64,
            })
            .collect())
    }

    /// Movies with the most views, completions, thumbs up and ratings in the window.
    #[graphql(complexity = "crate::graphql::limits::list(1, first, 20, child_complexity)")]
    async fn trending(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            validator(minimum = 1, maximum = 100),
            desc = "How many items to return (1–100; default 20)."
        )]
        first: Option<i32>,
        #[graphql(
            desc = "The half-life of an interaction's weight: a DAY, a WEEK or a MONTH of 30 days (default WEEK)."
        )]
        window: Option<TrendingWindow>,
    ) -> Result<Vec<ScoredMovie>> {
        let n = first.unwrap_or(20) as usize;
        let chart = serving::Chart::Trending {
            days: window.unwrap_or_default().days(),
        };
        chart_items(ctx, &chart, n).await
    }

    /// The most popular movies (many ratings, high damped mean), overall or in a segment.
    #[graphql(complexity = "crate::graphql::limits::list(1, first, 20, child_complexity)")]
    async fn popular(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            validator(minimum = 1, maximum = 100),
            desc = "How many items to return (1–100; default 20)."
        )]
        first: Option<i32>,
        #[graphql(
            desc = "Rank by what viewers in this demographic segment like (omitted, everyone); an unknown age band is BAD_USER_INPUT."
        )]
        segment: Option<SegmentInput>,
    ) -> Result<Vec<ScoredMovie>> {
        let n = first.unwrap_or(20) as usize;
        let seg = segment.unwrap_or_default().validate().gql()?;
        chart_items(ctx, &serving::Chart::Popular(seg), n).await
    }

    /// Trained model versions, newest first (admins and editors).
    #[graphql(
        guard = "RoleGuard::staff(&[Role::Editor])",
        complexity = "crate::graphql::limits::list(1, first, 20, child_complexity)"
    )]
    async fn model_versions(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            validator(minimum = 1, maximum = 100),
            desc = "How many model versions to return (1–100; default 20)."
        )]
        first: Option<i32>,
    ) -> Result<Vec<ModelVersion>> {
        let rows = repo::training::versions(&state(ctx)?.db, first.unwrap_or(20) as u64)
            .await
            .gql()?;
        let parse = |s: &str| Json(serde_json::from_str(s).unwrap_or(serde_json::Value::Null));
        Ok(rows
            .into_iter()
            .map(|v| ModelVersion {
                id: ids::encode(Kind::ModelVersion, v.id as i64),
                algorithm: v.algorithm,
                params: parse(&v.params),
                metrics: parse(&v.metrics),
                timings: parse(&v.timings),
                data_cutoff: v.data_cutoff,
                trained_at: v.trained_at,
                active: v.active,
            })
            .collect())
    }

    /// The state of background training (admins and editors).
    #[graphql(guard = "RoleGuard::staff(&[Role::Editor])")]
    async fn training_status(&self, ctx: &Context<'_>) -> Result<TrainingStatusGql> {
        Ok(status(state(ctx)?))
    }
}

/// Training, for staff.
#[derive(Default)]
pub struct RecommendationMutation;

#[Object]
impl RecommendationMutation {
    /// Starts training every model in the background (admins and editors); requests go on
    /// being served from the current model until the new one is swapped in. At most one
    /// start per `recommender.min_minutes_between_trainings` (RATE_LIMITED with the wait).
    #[graphql(guard = "RoleGuard::staff(&[Role::Editor])")]
    async fn train_models(&self, ctx: &Context<'_>) -> Result<TrainModelsPayload> {
        let st = state(ctx)?.clone();
        let status_now = st.recommender.status();
        if status_now.running {
            return Err(AppError::Conflict("a training is already running".into()).extend());
        }
        let spacing =
            chrono::Duration::minutes(st.settings.recommender.min_minutes_between_trainings as i64);
        if let Some(started) = status_now.started_at {
            let next = started + spacing;
            if let Ok(wait) = (next - Utc::now()).to_std() {
                return Err(AppError::RateLimited(wait).extend());
            }
        }
        let bg = st.clone();
        tokio::spawn(async move {
            if let Err(e) = bg
                .recommender
                .train(&bg.db, &marquee_core::recommender::no_progress)
                .await
            {
                tracing::warn!(error = %e, "training requested by staff failed");
            }
        });
        tokio::task::yield_now().await;
        Ok(TrainModelsPayload {
            training_status: status(&st),
        })
    }
}

/// The result of `trainModels`.
#[derive(SimpleObject)]
pub struct TrainModelsPayload {
    /// Training's state just after the start.
    pub training_status: TrainingStatusGql,
}
