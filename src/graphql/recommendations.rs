//! Recommendations for the token's user, similar movies, trending and popular lists, and the
//! staff side of training (model versions, status, train now).
use async_graphql::{
    ComplexObject, Context, Enum, ErrorExtensions, InputObject, Json, Object, Result, SimpleObject,
    ID,
};
use chrono::{DateTime, Duration, Utc};

use super::ids::{self, Kind};
use super::loaders::{Cached, MovieLoader};
use super::movies::{load_movie, prime_movie_loaders, Movie};
use super::pagination::{page, page_args, Page};
use super::state;
use crate::auth::{require_user, Role, RoleGuard};
use crate::db::repo;
use crate::db::repo::training::Segment;
use crate::engine::{allowed, movie_of};
use crate::error::{AppError, GqlResult};
use crate::recommender::{ItemIdx, Source};
use crate::serving::explain::{self, EvidenceItem, ReasonKind};

/// Where a recommended item came from.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
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
}

impl RecommendationSource {
    fn as_str(self) -> &'static str {
        match self {
            Self::Model => "MODEL",
            Self::Popular => "POPULAR",
            Self::Trending => "TRENDING",
            Self::Demographic => "DEMOGRAPHIC",
            Self::Content => "CONTENT",
        }
    }
}

impl From<Source> for RecommendationSource {
    fn from(s: Source) -> Self {
        match s {
            Source::Model => Self::Model,
            Source::Popular => Self::Popular,
            Source::Trending => Self::Trending,
            Source::Demographic => Self::Demographic,
            Source::Content => Self::Content,
        }
    }
}

/// The kind of a reason.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "ReasonKind")]
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
}

impl From<ReasonKind> for ReasonKindGql {
    fn from(k: ReasonKind) -> Self {
        match k {
            ReasonKind::BecauseYouRated => Self::BecauseYouRated,
            ReasonKind::BecauseYouWatched => Self::BecauseYouWatched,
            ReasonKind::SameDirector => Self::SameDirector,
            ReasonKind::SimilarContent => Self::SimilarContent,
            ReasonKind::Personalized => Self::Personalized,
            ReasonKind::Popular => Self::Popular,
            ReasonKind::Trending => Self::Trending,
            ReasonKind::Demographic => Self::Demographic,
        }
    }
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

/// How far back `trending` looks.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Default)]
pub enum TrendingWindow {
    /// The last 24 hours.
    Day,
    /// The last 7 days.
    #[default]
    Week,
    /// The last 30 days.
    Month,
}

/// A demographic segment; omitted fields match everyone.
#[derive(InputObject, Default)]
pub struct SegmentInput {
    /// Age band, e.g. 25-34.
    #[graphql(validator(max_length = 16))]
    pub age_band: Option<String>,
    /// F, M or X.
    #[graphql(validator(max_length = 1))]
    pub gender: Option<String>,
    /// Occupation.
    #[graphql(validator(max_length = 64))]
    pub occupation: Option<String>,
    /// Country (ISO 3166-1 alpha-2).
    #[graphql(validator(max_length = 2))]
    pub country: Option<String>,
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
    /// Offline metrics computed at training time (80/20 holdout).
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
}

fn status(st: &crate::state::AppState) -> TrainingStatusGql {
    let s = st.recommender.status();
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
    }
}

/// (movie, score, source, evidence as (movie, the user's rating)) of one ranked item.
type Ranked = (i32, f64, Source, Vec<(i32, Option<f32>)>);

/// Most rated movies among all users, for when there is no trained model yet.
async fn popular_fallback(
    ctx: &Context<'_>,
    seg: &Segment,
    keep: impl Fn(i32) -> bool,
    n: usize,
) -> Result<Vec<(i32, f64)>> {
    let st = state(ctx)?;
    let mut rows = repo::training::segment_ratings(&st.db, seg).await.gql()?;
    // Damped mean: a few high ratings do not beat many good ones.
    let global = {
        let (s, c) = rows
            .iter()
            .fold((0.0, 0i64), |(s, c), (_, n, m)| (s + m * *n as f64, c + n));
        if c > 0 {
            s / c as f64
        } else {
            3.0
        }
    };
    const DAMPING: f64 = 10.0;
    let score = |n: i64, m: f64| {
        (m * n as f64 + global * DAMPING) / (n as f64 + DAMPING) * (1.0 + n as f64).ln()
    };
    rows.sort_by(|a, b| {
        score(b.1, b.2)
            .total_cmp(&score(a.1, a.2))
            .then(a.0.cmp(&b.0))
    });
    Ok(rows
        .into_iter()
        .filter(|(m, _, _)| keep(*m))
        .take(n)
        .map(|(m, n, mean)| (m, score(n, mean)))
        .collect())
}

/// Recommendation queries.
#[derive(Default)]
pub struct RecommendationQuery;

#[Object]
impl RecommendationQuery {
    /// Personal recommendations for the token's user, each explained. Never includes movies the
    /// user rated, finished, thumbed down or marked not interested, unavailable or deleted
    /// movies, or anything in `exclude`. Users without personalisation consent get popular
    /// movies. `first` defaults to 20, at most 100.
    #[graphql(
        guard = "RoleGuard::User",
        complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity"
    )]
    async fn recommendations(
        &self,
        ctx: &Context<'_>,
        #[graphql(validator(minimum = 1, maximum = 100))] first: Option<i32>,
        after: Option<String>,
        #[graphql(validator(max_items = 500))] exclude: Option<Vec<ID>>,
        filter: Option<RecommendationFilterInput>,
    ) -> Result<Page<RecommendationItem>> {
        let (user_id, _) = require_user(ctx)?;
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
        let genres = f.genres.unwrap_or_default();
        let st = state(ctx)?;
        let user = repo::users::get(&st.db, user_id)
            .await
            .gql()?
            .ok_or(AppError::NotFound("user"))
            .gql()?;
        let catalogue = st.recommender.catalogue(&st.db).await.gql()?;
        let need = (offset + limit) as usize;

        let mut items: Vec<Ranked> = vec![];
        let mut excluded: std::collections::HashSet<i32>;
        let active = st.recommender.active();
        match &active {
            Some(active) => {
                let (mut history, ex) =
                    st.recommender.history(&st.db, active, &user).await.gql()?;
                excluded = ex;
                excluded.extend(exclude_ids.iter().copied());
                if !user.personalization_consent {
                    history.demographics = None;
                }
                let exclude_idx: Vec<ItemIdx> = excluded
                    .iter()
                    .filter_map(|m| active.snapshot.vocab.item(*m as i64))
                    .collect();
                let allow = |i: ItemIdx| {
                    movie_of(active, i)
                        .is_some_and(|m| allowed(&catalogue, m, &genres, f.year_from, f.year_to))
                };
                for r in active
                    .snapshot
                    .recommend(&history.view(), need, &exclude_idx, &allow)
                {
                    let Some(m) = movie_of(active, r.item) else {
                        continue;
                    };
                    let ev = r
                        .explanation
                        .evidence
                        .iter()
                        .filter_map(|e| {
                            movie_of(active, e.item)
                                .map(|id| (id, (!e.rating.is_nan()).then_some(e.rating)))
                        })
                        .collect();
                    items.push((m, r.score as f64, r.explanation.source, ev));
                }
            }
            None => {
                let inter = repo::training::interactions(&st.db, Some(user.id))
                    .await
                    .gql()?;
                excluded = inter
                    .iter()
                    .filter(|i| i.excluded)
                    .map(|i| i.movie_id)
                    .collect();
                excluded.extend(exclude_ids.iter().copied());
                let keep = |m: i32| {
                    !excluded.contains(&m)
                        && allowed(&catalogue, m, &genres, f.year_from, f.year_to)
                };
                for (m, s) in popular_fallback(ctx, &Segment::default(), keep, need).await? {
                    items.push((m, s, Source::Popular, vec![]));
                }
            }
        }
        let total = catalogue
            .entries
            .keys()
            .filter(|m| {
                !excluded.contains(m) && allowed(&catalogue, **m, &genres, f.year_from, f.year_to)
            })
            .count() as u64;

        let page_items: Vec<_> = items
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .collect();
        let mut out = Vec::with_capacity(page_items.len());
        let mut logs = Vec::with_capacity(page_items.len());
        for (pos, (m, score, source, ev)) in page_items.into_iter().enumerate() {
            let target_directors: Vec<&str> = catalogue
                .get(m)
                .map(|e| e.directors.iter().map(String::as_str).collect())
                .unwrap_or_default();
            let evidence: Vec<EvidenceItem<'_>> = ev
                .iter()
                .filter_map(|(id, rating)| {
                    catalogue.get(*id).map(|e| EvidenceItem {
                        title: e.title.as_str(),
                        rating: *rating,
                        shared_directors: e
                            .directors
                            .iter()
                            .map(String::as_str)
                            .filter(|d| target_directors.contains(d))
                            .collect(),
                    })
                })
                .collect();
            let (kind, text) = explain::reason(source, &evidence, user.age_band.as_deref());
            let source: RecommendationSource = source.into();
            let rec_id = uuid::Uuid::new_v4().to_string();
            logs.push((
                rec_id.clone(),
                m,
                source.as_str(),
                (offset as usize + pos) as i32,
            ));
            out.push(RecommendationItem {
                movie_id: m,
                score,
                source,
                reason: Reason {
                    kind: kind.into(),
                    text,
                    evidence_ids: ev.iter().map(|(id, _)| *id).collect(),
                },
                recommendation_id: rec_id,
            });
        }
        repo::events::log_recommendations(&st.db, user.id, "RECOMMENDATIONS", &logs)
            .await
            .gql()?;
        let ids: Vec<i32> = out.iter().map(|r| r.movie_id).collect();
        prime_movie_loaders(
            ctx,
            ctx.look_ahead().field("edges").field("node").field("movie"),
            &ids,
        )
        .await?;
        Ok(page(out, offset, total))
    }

    /// Movies most like this one (people who liked it also liked; for new movies, by content).
    async fn similar_movies(
        &self,
        ctx: &Context<'_>,
        movie_id: ID,
        #[graphql(validator(minimum = 1, maximum = 100))] first: Option<i32>,
    ) -> Result<Vec<ScoredMovie>> {
        let id = ids::decode(Kind::Movie, &movie_id).gql()?;
        let n = first.unwrap_or(10) as usize;
        let st = state(ctx)?;
        let catalogue = st.recommender.catalogue(&st.db).await.gql()?;
        if !catalogue.get(id).is_some_and(|e| e.available) {
            return Err(AppError::NotFound("movie").extend());
        }
        let Some(active) = st.recommender.active() else {
            return Ok(vec![]);
        };
        let Some(item) = active.snapshot.vocab.item(id as i64) else {
            return Ok(vec![]);
        };
        Ok(active
            .snapshot
            .similar(item, n * 3 + 10)
            .into_iter()
            .filter_map(|(i, s)| movie_of(&active, i).map(|m| (m, s)))
            .filter(|(m, _)| *m != id && allowed(&catalogue, *m, &[], None, None))
            .take(n)
            .map(|(movie_id, s)| ScoredMovie {
                movie_id,
                score: s as f64,
            })
            .collect())
    }

    /// Movies with the most views, completions, thumbs up and ratings in the window.
    async fn trending(
        &self,
        ctx: &Context<'_>,
        #[graphql(validator(minimum = 1, maximum = 100))] first: Option<i32>,
        window: Option<TrendingWindow>,
    ) -> Result<Vec<ScoredMovie>> {
        let n = first.unwrap_or(20) as usize;
        let since = Utc::now()
            - match window.unwrap_or_default() {
                TrendingWindow::Day => Duration::days(1),
                TrendingWindow::Week => Duration::days(7),
                TrendingWindow::Month => Duration::days(30),
            };
        let st = state(ctx)?;
        let catalogue = st.recommender.catalogue(&st.db).await.gql()?;
        let rows = repo::training::trending(&st.db, since, (n * 3 + 20) as u64)
            .await
            .gql()?;
        Ok(rows
            .into_iter()
            .filter(|(m, _)| allowed(&catalogue, *m, &[], None, None))
            .take(n)
            .map(|(movie_id, c)| ScoredMovie {
                movie_id,
                score: c as f64,
            })
            .collect())
    }

    /// The most popular movies (many ratings, high damped mean), overall or in a segment.
    async fn popular(
        &self,
        ctx: &Context<'_>,
        #[graphql(validator(minimum = 1, maximum = 100))] first: Option<i32>,
        segment: Option<SegmentInput>,
    ) -> Result<Vec<ScoredMovie>> {
        let n = first.unwrap_or(20) as usize;
        let s = segment.unwrap_or_default();
        let seg = Segment {
            age_band: s.age_band,
            gender: s.gender.map(|g| g.to_ascii_uppercase()),
            occupation: s.occupation.map(|o| o.to_lowercase()),
            country: s.country.map(|c| c.to_ascii_uppercase()),
        };
        let st = state(ctx)?;
        let catalogue = st.recommender.catalogue(&st.db).await.gql()?;
        let keep = |m: i32| allowed(&catalogue, m, &[], None, None);
        Ok(popular_fallback(ctx, &seg, keep, n)
            .await?
            .into_iter()
            .map(|(movie_id, score)| ScoredMovie { movie_id, score })
            .collect())
    }

    /// Trained model versions, newest first (admins and editors).
    #[graphql(guard = "RoleGuard::staff(&[Role::Editor])")]
    async fn model_versions(
        &self,
        ctx: &Context<'_>,
        #[graphql(validator(minimum = 1, maximum = 100))] first: Option<i32>,
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
    /// being served from the current model until the new one is swapped in.
    #[graphql(guard = "RoleGuard::staff(&[Role::Editor])")]
    async fn train_models(&self, ctx: &Context<'_>) -> Result<TrainingStatusGql> {
        let st = state(ctx)?.clone();
        if st.recommender.status().running {
            return Err(AppError::Conflict("a training is already running".into()).extend());
        }
        let bg = st.clone();
        tokio::spawn(async move {
            if let Err(e) = bg
                .recommender
                .train(&bg.db, &crate::recommender::no_progress)
                .await
            {
                tracing::warn!(error = %e, "training requested by staff failed");
            }
        });
        tokio::task::yield_now().await;
        Ok(status(&st))
    }
}
