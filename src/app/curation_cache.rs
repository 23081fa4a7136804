//! The curation snapshot as the server keeps it: loaded from the database, cached, and reloaded
//! after every local change (at once) and every few seconds (changes made by other replicas).
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;
use sea_orm::{ConnectionTrait, DbErr};

use crate::db::entities::{collections, diversity_settings, placements, rules};
use crate::db::repo::curation as repo;
use marquee_core::serving::curation::{
    Audience, Collection, CurationSnapshot, DiversitySettings, PinTarget, Placement, Rule,
    RuleKind, RuleTarget, Schedule, Surface,
};

/// How long a replica may serve curation that another replica changed.
const MAX_AGE: Duration = Duration::from_secs(5);

/// The cached snapshot.
#[derive(Default)]
pub struct CurationCache {
    current: ArcSwapOption<(Instant, Arc<CurationSnapshot>)>,
    /// One reload at a time: under load, the other requests go on with the previous snapshot
    /// (or, when there is none, wait for the one being loaded) instead of all reloading.
    loading: tokio::sync::Mutex<()>,
    /// Bumped by every local change: a reload that began before one is not kept.
    epoch: std::sync::atomic::AtomicU64,
}

impl CurationCache {
    /// The snapshot, reloaded when it is older than a few seconds or was invalidated.
    pub async fn get<C: ConnectionTrait>(&self, db: &C) -> Result<Arc<CurationSnapshot>, DbErr> {
        use std::sync::atomic::Ordering;
        let fresh = |c: &(Instant, Arc<CurationSnapshot>)| c.0.elapsed() < MAX_AGE;
        let previous = self.current.load_full();
        if let Some(c) = previous.as_deref().filter(|c| fresh(c)) {
            return Ok(c.1.clone());
        }
        let _reloading = match &previous {
            Some(c) => match self.loading.try_lock() {
                Ok(g) => g,
                // Someone is reloading the expired snapshot: serve it meanwhile.
                Err(_) => return Ok(c.1.clone()),
            },
            None => self.loading.lock().await,
        };
        if let Some(c) = self.current.load_full().filter(|c| fresh(c)) {
            return Ok(c.1.clone());
        }
        let epoch = self.epoch.load(Ordering::Acquire);
        let loaded = load(db).await?;
        // Unchanged: keep the same snapshot, so what was computed from it stays valid.
        let s = match previous {
            Some(c) if *c.1 == loaded => c.1.clone(),
            _ => Arc::new(loaded),
        };
        if self.epoch.load(Ordering::Acquire) == epoch {
            self.current
                .store(Some(Arc::new((Instant::now(), s.clone()))));
        }
        Ok(s)
    }

    /// Forgets the snapshot so the next request loads the change.
    pub fn invalidate(&self) {
        self.epoch.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        self.current.store(None);
    }
}

fn audience(text: Option<&str>) -> Audience {
    text.and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_default()
}

fn collection(m: collections::Model, movie_ids: Vec<i32>) -> Collection {
    Collection {
        id: m.id,
        slug: m.slug,
        title: m.title,
        published: m.status == "PUBLISHED",
        schedule: Schedule {
            starts_at: m.starts_at,
            ends_at: m.ends_at,
        },
        audience: audience(m.audience.as_deref()),
        movie_ids,
    }
}

fn placement(m: placements::Model) -> Option<Placement> {
    let target = match (m.movie_id, m.collection_id) {
        (Some(movie), _) => PinTarget::Movie(movie),
        (None, Some(c)) => PinTarget::Collection(c),
        (None, None) => return None,
    };
    Some(Placement {
        id: m.id,
        surface: Surface::parse(&m.surface).ok()?,
        position: u32::try_from(m.position).ok().filter(|p| *p >= 1)?,
        target,
        schedule: Schedule {
            starts_at: m.starts_at,
            ends_at: m.ends_at,
        },
        audience: audience(m.audience.as_deref()),
    })
}

fn rule(m: rules::Model) -> Option<Rule> {
    let kind = match m.kind.as_str() {
        "BOOST" => RuleKind::Boost,
        "BURY" => RuleKind::Bury,
        "BLOCK" => RuleKind::Block,
        _ => return None,
    };
    let target = match (m.movie_id, m.genre_id, m.person_id) {
        (Some(x), _, _) => RuleTarget::Movie(x),
        (_, Some(g), _) => RuleTarget::Genre(g),
        (_, _, Some(p)) => RuleTarget::Person(p),
        _ if m.year_from.is_some() || m.year_to.is_some() => RuleTarget::Years {
            from: m.year_from,
            to: m.year_to,
        },
        _ => return None,
    };
    let surface = match m.surface.as_deref() {
        Some(s) => Some(Surface::parse(s).ok()?),
        None => None,
    };
    Some(Rule {
        id: m.id,
        kind,
        multiplier: m.multiplier,
        target,
        surface,
        schedule: Schedule {
            starts_at: m.starts_at,
            ends_at: m.ends_at,
        },
        reason: m.reason,
    })
}

fn diversity(m: &diversity_settings::Model) -> DiversitySettings {
    DiversitySettings {
        max_per_genre: m.max_per_genre.and_then(|v| u32::try_from(v).ok()),
        mmr_lambda: m.mmr_lambda,
        calibration: m.calibration,
        min_genres: m.min_genres.and_then(|v| u32::try_from(v).ok()),
        novelty_weight: m.novelty_weight,
    }
}

/// Loads every collection, placement, rule and diversity setting (five queries).
pub async fn load<C: ConnectionTrait>(db: &C) -> Result<CurationSnapshot, DbErr> {
    let cs = repo::all_collections(db).await?;
    let mut items = repo::items_of(db, &[]).await?;
    let collections = cs
        .into_iter()
        .map(|c| {
            let ids = items.remove(&c.id).unwrap_or_default();
            collection(c, ids)
        })
        .collect();
    let placements = repo::placements(db, None)
        .await?
        .into_iter()
        .filter_map(placement)
        .collect();
    let rules = repo::rules(db)
        .await?
        .into_iter()
        .filter_map(rule)
        .collect();
    let diversity: HashMap<String, DiversitySettings> = repo::diversity(db)
        .await?
        .iter()
        .map(|d| (d.surface.clone(), diversity(d)))
        .collect();
    Ok(CurationSnapshot {
        collections,
        placements,
        rules,
        diversity,
    })
}
