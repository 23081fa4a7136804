//! `marquee bench serving`: what the serving pipeline's diversity rules buy and cost, measured
//! offline on a MovieLens folder (no database). A model is trained on an 80/20 per-user holdout;
//! for every test user the model's candidates go through `serving::pipeline::rank_list` under
//! several diversity settings, and the top 10 are scored against the held-out ratings (NDCG@10)
//! and for intra-list diversity, genre calibration (KL, Steck 2018), catalogue coverage and
//! exposure Gini. It also times one home feed per user (candidates, rows, rules, diversity,
//! explanations; the database queries of a live request are not included).

pub mod synth;
use std::collections::{HashMap, HashSet};
use std::fmt::Write;
use std::time::Instant;

use chrono::Utc;

use crate::app::model::CatalogueIndex;
use crate::app::serving::candidate_of;
use crate::db::repo::training::CatalogueEntry;
use marquee_core::dataset::Dataset;
use marquee_core::eval::metrics::{coverage, exposure_gini, intra_list_diversity, rank_metrics};
use marquee_core::eval::split::split;
use marquee_core::eval::Protocol;
use marquee_core::recommender::snapshot::{Snapshot, SnapshotParams, TrainingInput};
use marquee_core::recommender::{Feedback, ItemIdx, Progress, RecommendError, Source};
use marquee_core::serving::curation::{CurationSnapshot, DiversitySettings, Surface, UserContext};
use marquee_core::serving::feed::{home_feed, FeedInputs, FeedRequest};
use marquee_core::serving::pipeline::{rank_list, Candidate, ListRequest};

/// List length measured.
const K: usize = 10;
/// Candidates per user, as the server takes them.
const POOL: usize = 800;
/// Smoothing of the calibration KL (Steck 2018).
const ALPHA: f64 = 0.01;

/// One diversity configuration to compare.
pub struct Variant {
    pub name: &'static str,
    pub settings: DiversitySettings,
}

/// The configurations the report compares.
pub fn variants() -> Vec<Variant> {
    let off = DiversitySettings::default();
    vec![
        Variant {
            name: "model order (rules off)",
            settings: off.clone(),
        },
        Variant {
            name: "genre cap 3 / 10",
            settings: DiversitySettings {
                max_per_genre: Some(3),
                ..off.clone()
            },
        },
        Variant {
            name: "MMR λ = 0.7",
            settings: DiversitySettings {
                mmr_lambda: 0.7,
                ..off.clone()
            },
        },
        Variant {
            name: "calibration 0.5",
            settings: DiversitySettings {
                calibration: 0.5,
                ..off.clone()
            },
        },
        Variant {
            name: "novelty 0.3",
            settings: DiversitySettings {
                novelty_weight: 0.3,
                ..off.clone()
            },
        },
        Variant {
            name: "cap 3 + MMR 0.8 + calibration 0.3",
            settings: DiversitySettings {
                max_per_genre: Some(3),
                mmr_lambda: 0.8,
                calibration: 0.3,
                ..off
            },
        },
    ]
}

/// One row of the report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Row {
    pub variant: String,
    pub ndcg: f64,
    pub ild: f64,
    pub calibration_kl: f64,
    pub coverage: f64,
    pub gini: f64,
    pub rank_ms_mean: f64,
}

/// The whole report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ServingReport {
    pub dataset: String,
    pub users: usize,
    pub items: usize,
    pub train_seconds: f64,
    pub rows: Vec<Row>,
    pub candidates_ms_mean: f64,
    pub feed_ms_mean: f64,
    pub feed_ms_p95: f64,
}

fn genre_dist(movies: &[i32], cat: &CatalogueIndex) -> HashMap<String, f64> {
    let mut q: HashMap<String, f64> = HashMap::new();
    for m in movies {
        if let Some(e) = cat.get(*m) {
            let w = 1.0 / e.genres.len().max(1) as f64;
            for g in &e.genres {
                *q.entry(g.clone()).or_default() += w;
            }
        }
    }
    let t: f64 = q.values().sum();
    if t > 0.0 {
        q.values_mut().for_each(|v| *v /= t);
    }
    q
}

/// KL(p ‖ (1−α)q + αp) of a list's genre mix q against the user's history p.
fn calibration_kl(p: &HashMap<String, f64>, q: &HashMap<String, f64>) -> f64 {
    p.iter()
        .filter(|(_, pv)| **pv > 0.0)
        .map(|(g, pv)| {
            let qv = (1.0 - ALPHA) * q.get(g).copied().unwrap_or(0.0) + ALPHA * pv;
            pv * (pv / qv).ln()
        })
        .sum()
}

/// Runs the measurement on a loaded dataset.
pub fn serving_report(
    ds: &Dataset,
    name: &str,
    seed: u64,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<ServingReport, RecommendError> {
    let users: Vec<i64> = ds.ratings.iter().map(|r| r.user).collect();
    let ts: Vec<i64> = ds.ratings.iter().map(|r| r.timestamp).collect();
    let folds = split(&users, &ts, Protocol::Holdout(0.2), seed);
    let fold = &folds[0];
    let train_set: Vec<&marquee_core::dataset::Rating> =
        fold.train.iter().map(|&i| &ds.ratings[i]).collect();
    let mut test: HashMap<i64, HashSet<i64>> = HashMap::new();
    for &i in &fold.test {
        let r = &ds.ratings[i];
        test.entry(r.user).or_default().insert(r.movie);
    }
    let now = ds.ratings.iter().map(|r| r.timestamp).max();
    let input = TrainingInput {
        feedback: train_set
            .iter()
            .map(|r| Feedback {
                user: r.user,
                item: r.movie,
                rating: r.score,
                confidence: 1.0,
                timestamp: r.timestamp,
            })
            .collect(),
        catalogue: ds.movies.iter().map(|m| m.id).collect(),
        item_tokens: ds.genre_tokens(),
        demographics: vec![],
        now,
    };
    let t0 = Instant::now();
    let snap = Snapshot::train(input, &SnapshotParams::default(), progress)?;
    let train_seconds = t0.elapsed().as_secs_f64();

    // The catalogue as serving sees it; popularity = training interactions.
    let mut pop: HashMap<i64, f64> = HashMap::new();
    for r in &train_set {
        *pop.entry(r.movie).or_default() += 1.0;
    }
    let mut genre_ids: HashMap<String, i32> = HashMap::new();
    let catalogue = CatalogueIndex {
        entries: ds
            .movies
            .iter()
            .map(|m| {
                let ids = m
                    .genres
                    .iter()
                    .map(|g| {
                        let n = genre_ids.len() as i32 + 1;
                        *genre_ids.entry(g.clone()).or_insert(n)
                    })
                    .collect();
                (
                    m.id as i32,
                    CatalogueEntry {
                        movie_id: m.id as i32,
                        title: m.title.clone(),
                        year: m.year,
                        available: true,
                        genres: m.genres.clone(),
                        directors: vec![],
                        cast: vec![],
                        keywords: vec![],
                        genre_ids: ids,
                        person_ids: vec![],
                        popularity: pop.get(&m.id).copied().unwrap_or(0.0),
                    },
                )
            })
            .collect(),
    };
    let n_items = snap.vocab.n_items();
    let item_genres: Vec<Vec<u32>> = (0..n_items)
        .map(|i| {
            snap.vocab
                .item_id(ItemIdx(i as u32))
                .and_then(|m| catalogue.get(m as i32))
                .map(|e| e.genre_ids.iter().map(|g| *g as u32).collect())
                .unwrap_or_default()
        })
        .collect();

    // Each test user's history, candidates and context, computed once.
    let mut by_user: HashMap<i64, Vec<(i64, f32, f32, i64)>> = HashMap::new();
    for r in &train_set {
        by_user
            .entry(r.user)
            .or_default()
            .push((r.movie, r.score, 1.0, r.timestamp));
    }
    let mut test_users: Vec<i64> = test.keys().copied().collect();
    test_users.sort_unstable();
    struct Prepared {
        user: i64,
        seen: HashSet<i32>,
        ctx: UserContext,
        history_mix: HashMap<String, f64>,
        cands: Vec<Candidate>,
        seeds: Vec<(i32, Option<f32>)>,
    }
    let t_c = Instant::now();
    let prepared: Vec<Prepared> = test_users
        .iter()
        .map(|&u| {
            let hist = by_user.get(&u).cloned().unwrap_or_default();
            let h = snap.history(u, &hist, None);
            let cands: Vec<Candidate> = snap
                .recommend(&h.view(), POOL, &[], &|_| true)
                .iter()
                .filter_map(|r| candidate_of(&snap, r))
                .collect();
            let liked: Vec<i32> = hist
                .iter()
                .filter(|h| h.1 >= 3.5)
                .map(|h| h.0 as i32)
                .collect();
            let history_mix = genre_dist(&liked, &catalogue);
            let mut seeds: Vec<(i32, Option<f32>)> =
                liked.iter().take(2).map(|m| (*m, None)).collect();
            seeds.dedup();
            Prepared {
                user: u,
                seen: hist.iter().map(|h| h.0 as i32).collect(),
                ctx: UserContext {
                    user_id: Some(u as i32),
                    is_new: hist.len() < crate::app::serving::COLD_START_INTERACTIONS,
                    age_band: None,
                    country: None,
                    genre_affinity: history_mix.clone(),
                },
                history_mix,
                cands,
                seeds,
            }
        })
        .collect();
    let candidates_ms_mean = t_c.elapsed().as_secs_f64() * 1000.0 / prepared.len().max(1) as f64;

    let all_ok = |_: &CatalogueEntry| true;
    let now_dt = Utc::now();
    let vars = variants();
    let mut rows = vec![];
    for (vi, v) in vars.iter().enumerate() {
        progress(Progress {
            stage: format!("ranking: {}", v.name),
            done: vi as u64,
            total: vars.len() as u64,
        });
        let curation = CurationSnapshot {
            diversity: [(Surface::Recommendations.key(), v.settings.clone())]
                .into_iter()
                .collect(),
            ..Default::default()
        };
        let mut lists = vec![];
        let (mut ndcg, mut kl, mut n) = (0.0, 0.0, 0usize);
        let t = Instant::now();
        for p in &prepared {
            let req = ListRequest {
                surface: &Surface::Recommendations,
                user: &p.ctx,
                now: now_dt,
                n: K,
                exclude: &p.seen,
                keep: &all_ok,
                explain: None,
            };
            let served = rank_list(&req, p.cands.clone(), &curation, &catalogue);
            let ids: Vec<i32> = served.iter().map(|s| s.movie_id).collect();
            let top: Vec<ItemIdx> = ids
                .iter()
                .filter_map(|m| snap.vocab.item(*m as i64))
                .collect();
            let rel: HashSet<ItemIdx> = test[&p.user]
                .iter()
                .filter_map(|m| snap.vocab.item(*m))
                .collect();
            ndcg += rank_metrics(&top, &rel, K).ndcg;
            if !p.history_mix.is_empty() {
                kl += calibration_kl(&p.history_mix, &genre_dist(&ids, &catalogue));
            }
            n += 1;
            lists.push(top);
        }
        let rank_ms_mean = t.elapsed().as_secs_f64() * 1000.0 / n.max(1) as f64;
        rows.push(Row {
            variant: v.name.to_owned(),
            ndcg: ndcg / n.max(1) as f64,
            ild: intra_list_diversity(&lists, &item_genres),
            calibration_kl: kl / n.max(1) as f64,
            coverage: coverage(&lists, n_items),
            gini: exposure_gini(&lists, n_items),
            rank_ms_mean,
        });
    }

    // One home feed per user with the combined settings on HOME: candidates, rows, rules,
    // diversity and explanations, as `homeFeed` computes them after its queries.
    let home = CurationSnapshot {
        diversity: [(Surface::Home.key(), vars[vars.len() - 1].settings.clone())]
            .into_iter()
            .collect(),
        ..Default::default()
    };
    let all_items = |_: ItemIdx| true;
    let mut times = vec![];
    for p in &prepared {
        let t = Instant::now();
        let hist = by_user.get(&p.user).cloned().unwrap_or_default();
        let h = snap.history(p.user, &hist, None);
        let to_cands = |v: Vec<(ItemIdx, f32)>, source: Source| -> Vec<Candidate> {
            v.into_iter()
                .filter_map(|(i, s)| {
                    Some(Candidate {
                        movie_id: snap.vocab.item_id(i)? as i32,
                        score: s as f64,
                        source,
                        evidence: vec![],
                    })
                })
                .collect()
        };
        let top_picks: Vec<Candidate> = snap
            .recommend(&h.view(), 120, &[], &all_items)
            .iter()
            .filter_map(|r| candidate_of(&snap, r))
            .collect();
        let because = p
            .seeds
            .iter()
            .filter_map(|(m, r)| {
                let item = snap.vocab.item(*m as i64)?;
                let c: Vec<Candidate> = snap
                    .similar(item, 40)
                    .into_iter()
                    .filter_map(|(i, s)| {
                        Some(Candidate {
                            movie_id: snap.vocab.item_id(i)? as i32,
                            score: s as f64,
                            source: Source::Model,
                            evidence: vec![(*m, *r)],
                        })
                    })
                    .collect();
                Some((*m, c))
            })
            .collect();
        let trending = to_cands(
            snap.non_personal(Source::Trending, None, 40, &all_items),
            Source::Trending,
        );
        let popular = to_cands(
            snap.non_personal(Source::Popular, None, 120, &all_items),
            Source::Popular,
        );
        let mut genres: Vec<(&String, &f64)> = p.ctx.genre_affinity.iter().collect();
        genres.sort_by(|a, b| b.1.total_cmp(a.1).then(a.0.cmp(b.0)));
        let by_genre = genres
            .into_iter()
            .take(4)
            .map(|(g, _)| {
                let items = top_picks
                    .iter()
                    .filter(|c| {
                        catalogue
                            .get(c.movie_id)
                            .is_some_and(|e| e.genres.contains(g))
                    })
                    .cloned()
                    .collect();
                (g.clone(), items)
            })
            .collect();
        let rows = home_feed(
            FeedInputs {
                top_picks,
                because,
                trending,
                popular,
                demographic: None,
                by_genre,
            },
            &FeedRequest {
                user: &p.ctx,
                now: now_dt,
                exclude: &p.seen,
                rows: 8,
                per_row: 10,
                explain: None,
            },
            &home,
            &catalogue,
        );
        std::hint::black_box(rows);
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    let feed_ms_mean = times.iter().sum::<f64>() / times.len().max(1) as f64;
    let feed_ms_p95 = times
        .get(((times.len() as f64 * 0.95) as usize).min(times.len().saturating_sub(1)))
        .copied()
        .unwrap_or(0.0);
    Ok(ServingReport {
        dataset: name.to_owned(),
        users: prepared.len(),
        items: n_items,
        train_seconds,
        rows,
        candidates_ms_mean,
        feed_ms_mean,
        feed_ms_p95,
    })
}

impl ServingReport {
    /// The report as a markdown table.
    pub fn to_markdown(&self) -> String {
        let mut s = format!(
            "Dataset {} ({} test users, {} items), 80/20 per-user holdout, k = {K}; model trained in {:.2} s\n\n",
            self.dataset, self.users, self.items, self.train_seconds
        );
        let _ = writeln!(
            s,
            "| diversity settings | NDCG@{K} | ILD | calibration KL | coverage | exposure Gini | rank ms/user |"
        );
        let _ = writeln!(s, "|---|---|---|---|---|---|---|");
        for r in &self.rows {
            let _ = writeln!(
                s,
                "| {} | {:.4} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |",
                r.variant, r.ndcg, r.ild, r.calibration_kl, r.coverage, r.gini, r.rank_ms_mean
            );
        }
        let _ = writeln!(
            s,
            "\nCandidates ({POOL} per user, explained): {:.2} ms/user. Home feed (8 rows × 10, combined settings, no database): mean {:.2} ms, p95 {:.2} ms.",
            self.candidates_ms_mean, self.feed_ms_mean, self.feed_ms_p95
        );
        s
    }
}
