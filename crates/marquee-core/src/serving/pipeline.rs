//! One ranked list for one surface: `recommendations`, `previewRecommendations`, a genre page
//! and each row of the home feed all go through [`rank_list`] (or its core), so filters, rules,
//! pins, diversity and explanations behave the same everywhere.
//!
//! # How editors' rules change a score (THE rule)
//!
//! Each candidate's model score is min–max normalised over the eligible candidates of the list
//! to a relevance in [0.1, 1] (0.1, not 0, so that even the weakest candidate can be lifted),
//! then multiplied by the multiplier of every boost and bury in force for that movie on that
//! surface:
//!
//! ```text
//! final = relevance × Π multiplier(rule)   over live BOOST and BURY rules matching the movie
//! ```
//!
//! A boost of 2 doubles the relevance, a bury of 0.5 halves it; two boosts of 2 give 4. Blocks
//! do not multiply: a blocked movie is removed. With diversity off the list is ordered by
//! `final` (ties by movie id); with diversity on, `final` is the relevance the re-ranker
//! trades against diversity.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::admission::{Admission, Refusal};
use crate::catalogue::CatalogueEntry;
use crate::catalogue::CatalogueIndex;
use crate::recommender::Source;
use crate::serving::curation::{
    multiplier_of, CurationSnapshot, PinTarget, Rule, Surface, UserContext,
};
use crate::serving::diversity::{self, Scored};
use crate::serving::explain::{self, EvidenceItem, ReasonKind};

/// A movie proposed by a model, before serving.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The movie.
    pub movie_id: i32,
    /// The model's score; higher is better. NaN means "cannot score" and drops the candidate.
    pub score: f64,
    /// Which model proposed it.
    pub source: Source,
    /// Movies that explain it, with the user's rating of each if any.
    pub evidence: Vec<(i32, Option<f32>)>,
}

/// Where a served item comes from, as frontends see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServedSource {
    /// The personalised model blend.
    Model,
    /// Global popularity.
    Popular,
    /// Recently popular.
    Trending,
    /// Popular in the user's demographic segment.
    Demographic,
    /// Content similarity.
    Content,
    /// Pinned by an editor at this position.
    Pinned,
    /// From an editor's collection.
    Collection,
    /// Proposed by a model and lifted by an editor's boost.
    Boosted,
}

impl ServedSource {
    /// The stored name (recommendation logs): `MODEL`, `PINNED`, ….
    pub fn as_str(self) -> &'static str {
        match self {
            ServedSource::Model => "MODEL",
            ServedSource::Popular => "POPULAR",
            ServedSource::Trending => "TRENDING",
            ServedSource::Demographic => "DEMOGRAPHIC",
            ServedSource::Content => "CONTENT",
            ServedSource::Pinned => "PINNED",
            ServedSource::Collection => "COLLECTION",
            ServedSource::Boosted => "BOOSTED",
        }
    }
}

impl From<Source> for ServedSource {
    fn from(s: Source) -> Self {
        match s {
            Source::Model => ServedSource::Model,
            Source::Popular => ServedSource::Popular,
            Source::Trending => ServedSource::Trending,
            Source::Demographic => ServedSource::Demographic,
            Source::Content => ServedSource::Content,
        }
    }
}

/// One item of a served list, explained.
#[derive(Debug, Clone, PartialEq)]
pub struct ServedItem {
    /// The movie.
    pub movie_id: i32,
    /// Its score after rules (0 for pinned or collection items the models did not propose).
    pub score: f64,
    /// Where it comes from.
    pub source: ServedSource,
    /// The kind of reason.
    pub reason_kind: ReasonKind,
    /// The reason, ready to show.
    pub reason_text: String,
    /// Movies that explain it.
    pub evidence: Vec<i32>,
    /// The collection it comes from, if any.
    pub collection_id: Option<i32>,
    /// The placement (pin) that put it here, if any.
    pub placement_id: Option<i32>,
    /// The boost rule that lifted it (the strongest), if any.
    pub rule_id: Option<i32>,
}

/// What one list is for.
pub struct ListRequest<'a> {
    /// The surface the list is shown on (selects pins, rules and diversity settings).
    pub surface: &'a Surface,
    /// The user.
    pub user: &'a UserContext,
    /// The clock.
    pub now: DateTime<Utc>,
    /// How many items to return.
    pub n: usize,
    /// Movies never to show (already seen, not interested, thumbs down, shown elsewhere).
    pub exclude: &'a HashSet<i32>,
    /// The client's own filter (genres, years).
    pub keep: &'a (dyn Fn(&CatalogueEntry) -> bool + Sync),
    /// Explains a personal (`Source::Model`) candidate that came without evidence: asked only
    /// for the items the list finally shows.
    pub explain: Option<&'a Explain<'a>>,
}

/// Explains a personal candidate by movie id: its source (`Model`, or `Content` when the
/// evidence is content similarity) and its evidence (movie, the user's rating of it).
pub type Explain<'a> = dyn Fn(i32) -> Option<Explained> + Sync + 'a;

/// A personal candidate's source and evidence (movie, the user's rating of it).
pub type Explained = (Source, Vec<(i32, Option<f32>)>);

/// The rules of one surface at one instant, gathered once per list: the admission rule and
/// the boosts and buries.
pub(crate) struct Gate<'a> {
    admission: Admission<'a>,
    weights: Vec<&'a Rule>,
}

impl<'a> Gate<'a> {
    pub(crate) fn new(
        surface: &Surface,
        now: DateTime<Utc>,
        curation: &'a CurationSnapshot,
        catalogue: &'a CatalogueIndex,
    ) -> Self {
        Self {
            admission: Admission::new(surface, now, curation, catalogue),
            weights: curation.live_weighting_rules(surface, now),
        }
    }

    /// The movie's entry if [`Admission`] lets it in under `exclude` and `keep`.
    pub(crate) fn admit(
        &self,
        movie_id: i32,
        exclude: &HashSet<i32>,
        keep: &dyn Fn(&CatalogueEntry) -> bool,
    ) -> Option<&'a CatalogueEntry> {
        self.admission.admit(movie_id, exclude, keep)
    }

    /// [`Self::admit`], saying why a movie is refused.
    pub(crate) fn check(
        &self,
        movie_id: i32,
        exclude: &HashSet<i32>,
        keep: &dyn Fn(&CatalogueEntry) -> bool,
    ) -> Result<&'a CatalogueEntry, Refusal> {
        self.admission.check(movie_id, exclude, keep)
    }
}

/// A movie holding a slot of a list.
#[derive(Debug, Clone)]
pub(crate) struct Pin {
    /// The placement.
    pub placement_id: i32,
    /// 0-based slot.
    pub slot: usize,
    pub movie_id: i32,
    /// The pinned collection it stands for: id and title.
    pub collection: Option<(i32, String)>,
}

/// Pins of the request's surface that may be shown to this user: live, audience matching,
/// the movie admitted; a pinned collection contributes its first admitted movie not pinned
/// already.
pub(crate) fn resolve_pins(
    req: &ListRequest<'_>,
    gate: &Gate<'_>,
    curation: &CurationSnapshot,
) -> Vec<Pin> {
    let mut pins: Vec<Pin> = Vec::new();
    let mut used: HashSet<i32> = HashSet::new();
    for p in curation.placements_for(req.surface, req.user, req.now) {
        let slot = p.position as usize - 1;
        match p.target {
            PinTarget::Movie(id) => {
                if !used.contains(&id) && gate.admit(id, req.exclude, req.keep).is_some() {
                    used.insert(id);
                    pins.push(Pin {
                        placement_id: p.id,
                        slot,
                        movie_id: id,
                        collection: None,
                    });
                }
            }
            PinTarget::Collection(cid) => {
                let Some(c) = curation.collection(cid) else {
                    continue;
                };
                if !c.visible_to(req.user, req.now) {
                    continue;
                }
                let first = c.movie_ids.iter().copied().find(|id| {
                    !used.contains(id) && gate.admit(*id, req.exclude, req.keep).is_some()
                });
                if let Some(id) = first {
                    used.insert(id);
                    pins.push(Pin {
                        placement_id: p.id,
                        slot,
                        movie_id: id,
                        collection: Some((c.id, c.title.clone())),
                    });
                }
            }
        }
    }
    pins
}

/// Ranks candidates for one surface and returns exactly the first `req.n` items (fewer when
/// there are not enough eligible candidates, or when the genre cap ends the list).
///
/// Steps: drop excluded, unavailable or missing, blocked and `keep`-failing movies; score by
/// the rule in the module documentation; let the surface's pins take their positions
/// (a pinned collection contributes its first eligible movie); re-rank the rest for
/// diversity with the surface's settings ([`diversity::rerank`]); explain each item.
///
/// The answer for `n` always starts with the answer for any smaller `n`, so the page at
/// offset `k` is `rank_list(n = k + limit)[k..]` and pages never repeat a title.
pub fn rank_list(
    req: &ListRequest<'_>,
    candidates: Vec<Candidate>,
    curation: &CurationSnapshot,
    catalogue: &CatalogueIndex,
) -> Vec<ServedItem> {
    let gate = Gate::new(req.surface, req.now, curation, catalogue);
    let pins = resolve_pins(req, &gate, curation);
    rank_with_pins(req, candidates, &pins, &gate, curation, catalogue)
}

/// What the list knows of a model candidate after rules.
struct Weighted<'a> {
    candidate: Candidate,
    entry: &'a CatalogueEntry,
    score: f64,
    multiplier: f64,
    boost: Option<&'a Rule>,
}

/// [`rank_list`] with the pins given (the home feed decides its pins itself).
pub(crate) fn rank_with_pins<'a>(
    req: &ListRequest<'_>,
    candidates: Vec<Candidate>,
    pins: &[Pin],
    gate: &Gate<'a>,
    curation: &CurationSnapshot,
    catalogue: &CatalogueIndex,
) -> Vec<ServedItem> {
    // Eligible, one per movie (the best score wins), sorted by id.
    let mut eligible: Vec<(Candidate, &'a CatalogueEntry)> = candidates
        .into_iter()
        .filter(|c| c.score.is_finite())
        .filter_map(|c| {
            let entry = gate.admit(c.movie_id, req.exclude, req.keep)?;
            Some((c, entry))
        })
        .collect();
    eligible.sort_by(|(a, _), (b, _)| {
        a.movie_id
            .cmp(&b.movie_id)
            .then(b.score.total_cmp(&a.score))
    });
    eligible.dedup_by_key(|(c, _)| c.movie_id);

    // Relevance in [0.1, 1] times the rules' multipliers.
    let (lo, hi) = eligible
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), (c, _)| {
            (l.min(c.score), h.max(c.score))
        });
    let weighted: Vec<Weighted<'a>> = eligible
        .into_iter()
        .map(|(candidate, entry)| {
            let relevance = if hi > lo {
                0.1 + 0.9 * (candidate.score - lo) / (hi - lo)
            } else {
                1.0
            };
            let (multiplier, boost) = multiplier_of(&gate.weights, entry);
            Weighted {
                candidate,
                entry,
                score: relevance * multiplier,
                multiplier,
                boost,
            }
        })
        .collect();
    let find = |id: i32| {
        weighted
            .binary_search_by_key(&id, |w| w.candidate.movie_id)
            .ok()
            .map(|i| &weighted[i])
    };

    let items: Vec<Scored> = weighted
        .iter()
        .filter(|w| !pins.iter().any(|p| p.movie_id == w.candidate.movie_id))
        .map(|w| Scored {
            movie_id: w.candidate.movie_id,
            score: w.score,
        })
        .collect();
    let slots: Vec<(usize, i32)> = pins.iter().map(|p| (p.slot, p.movie_id)).collect();
    let settings = curation.diversity_for(req.surface);
    let order = diversity::rerank(
        items,
        &settings,
        &req.user.genre_affinity,
        catalogue,
        &slots,
        req.n,
    );

    let pin_of: HashMap<i32, &Pin> = pins.iter().map(|p| (p.movie_id, p)).collect();
    order
        .into_iter()
        .filter_map(|id| {
            let w = find(id);
            if let Some(pin) = pin_of.get(&id) {
                let note = pin.collection.as_ref().map(|(_, title)| title.as_str());
                let (reason_kind, reason_text) = explain::editors_pick(note);
                return Some(ServedItem {
                    movie_id: id,
                    score: w.map_or(0.0, |w| w.score),
                    source: ServedSource::Pinned,
                    reason_kind,
                    reason_text,
                    evidence: Vec::new(),
                    collection_id: pin.collection.as_ref().map(|(cid, _)| *cid),
                    placement_id: Some(pin.placement_id),
                    rule_id: None,
                });
            }
            w.map(|w| explain_model_item(w, req, catalogue))
        })
        .collect()
}

/// The served form of a model candidate: its model's reason, or an editor's pick when a
/// boost lifted it.
fn explain_model_item(
    w: &Weighted<'_>,
    req: &ListRequest<'_>,
    catalogue: &CatalogueIndex,
) -> ServedItem {
    let user = req.user;
    let deferred = match req.explain {
        Some(explain) if w.candidate.source == Source::Model && w.candidate.evidence.is_empty() => {
            explain(w.candidate.movie_id)
        }
        _ => None,
    };
    let (model_source, given) = match &deferred {
        Some((source, ev)) => (*source, ev.as_slice()),
        None => (w.candidate.source, w.candidate.evidence.as_slice()),
    };
    let evidence: Vec<(i32, EvidenceItem<'_>)> = given
        .iter()
        .filter_map(|&(id, rating)| {
            let e = catalogue.get(id)?;
            let shared_directors = e
                .directors
                .iter()
                .filter(|d| w.entry.directors.contains(d))
                .map(String::as_str)
                .collect();
            Some((
                id,
                EvidenceItem {
                    title: &e.title,
                    rating,
                    shared_directors,
                },
            ))
        })
        .collect();
    let ids = evidence.iter().map(|(id, _)| *id).collect();
    let boost = w.boost.filter(|_| w.multiplier > 1.0);
    let (source, (reason_kind, reason_text)) = match boost {
        Some(rule) => (
            ServedSource::Boosted,
            explain::editors_pick(rule.reason.as_deref()),
        ),
        _ => {
            let items: Vec<EvidenceItem<'_>> = evidence.into_iter().map(|(_, e)| e).collect();
            (
                model_source.into(),
                explain::reason(model_source, &items, user.age_band),
            )
        }
    };
    ServedItem {
        movie_id: w.candidate.movie_id,
        score: w.score,
        source,
        reason_kind,
        reason_text,
        evidence: ids,
        collection_id: None,
        placement_id: None,
        rule_id: boost.map(|r| r.id),
    }
}
