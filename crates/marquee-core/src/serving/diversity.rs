//! Diversity re-ranking: a greedy pass that picks the list position by position, trading
//! relevance against similarity to what is already picked (MMR), against drift from the user's
//! genre mix (calibration, Steck 2018) and for less popular titles (novelty), under a hard
//! genre cap and a minimum number of genres. Pinned movies keep their slots.
//!
//! The pass is prefix-stable: the candidates considered for position `p` are the
//! [`OVERSAMPLE`] × max(p + 1, [`DIVERSITY_WINDOW`]) best by score, and nothing else depends on
//! the requested length. So a list of 40 always starts with the list of 20, and pages computed
//! as `rerank(..., n = offset + limit)[offset..]` never repeat or skip a title.
use std::collections::{HashMap, HashSet};

use crate::catalogue::CatalogueIndex;
use crate::serving::curation::{DiversitySettings, DIVERSITY_WINDOW};

/// How many candidates per position the re-ranker may choose from.
pub const OVERSAMPLE: usize = 4;

/// Weight of the user's own distribution mixed into a list's genre distribution before the
/// KL divergence is taken (Steck 2018), so that the divergence stays finite.
pub const CALIBRATION_ALPHA: f64 = 0.01;

/// A candidate with its score after rules (relevance × multipliers).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    /// The movie.
    pub movie_id: i32,
    /// Its score after rules; higher is better.
    pub score: f64,
}

/// How many of the best candidates position `position` (0-based) may choose from.
pub fn pool_size(position: usize) -> usize {
    OVERSAMPLE * (position + 1).max(DIVERSITY_WINDOW)
}

/// One candidate as the pass sees it.
struct Cand {
    movie_id: i32,
    value: f64,
    genres: Vec<usize>,
}

/// Genre names (lower-cased) to small dense indices, local to one pass.
#[derive(Default)]
struct Genres {
    index: HashMap<String, usize>,
}

impl Genres {
    fn id(&mut self, name: &str) -> usize {
        let key = name.trim().to_lowercase();
        let next = self.index.len();
        *self.index.entry(key).or_insert(next)
    }

    fn of(&mut self, catalogue: &CatalogueIndex, movie_id: i32) -> Vec<usize> {
        let mut g: Vec<usize> = catalogue
            .get(movie_id)
            .map(|e| e.genres.iter().map(|n| self.id(n)).collect())
            .unwrap_or_default();
        g.sort_unstable();
        g.dedup();
        g
    }
}

/// Jaccard similarity of two sorted genre sets; 0 when both are empty.
fn jaccard(a: &[usize], b: &[usize]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 0.0;
    }
    let (mut i, mut j, mut both) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                both += 1;
                i += 1;
                j += 1;
            }
        }
    }
    both as f64 / (a.len() + b.len() - both) as f64
}

/// The state of the list being built.
struct Built {
    ids: Vec<i32>,
    genres: Vec<Vec<usize>>,
    /// Sum over picked items of each genre's uniform weight (1 / number of the item's genres).
    genre_mass: Vec<f64>,
    /// Genres present in the first window (picked or pinned there).
    present: HashSet<usize>,
}

/// KL(p ‖ q̃) with q = (mass + extra) / count and q̃ = (1 − α) q + α p; only genres of the
/// user's history contribute.
fn kl(history: &[(usize, f64)], mass: &[f64], extra: &[usize], count: usize) -> f64 {
    let w = if extra.is_empty() {
        0.0
    } else {
        1.0 / extra.len() as f64
    };
    history
        .iter()
        .map(|&(g, p)| {
            let mut m = mass.get(g).copied().unwrap_or(0.0);
            if extra.contains(&g) {
                m += w;
            }
            let q = if count == 0 { 0.0 } else { m / count as f64 };
            let q_tilde = (1.0 - CALIBRATION_ALPHA) * q + CALIBRATION_ALPHA * p;
            p * (p / q_tilde).ln()
        })
        .sum()
}

/// Appends a movie to the list and updates the similarity and genre bookkeeping.
fn place(
    built: &mut Built,
    id: i32,
    g: Vec<usize>,
    cands: &[Cand],
    max_sim: &mut [f64],
    lambda: f64,
) {
    if lambda < 1.0 {
        for (c, s) in cands.iter().zip(max_sim.iter_mut()) {
            *s = s.max(jaccard(&c.genres, &g));
        }
    }
    if !g.is_empty() {
        let share = 1.0 / g.len() as f64;
        for &x in &g {
            built.genre_mass[x] += share;
        }
    }
    if built.ids.len() < DIVERSITY_WINDOW {
        built.present.extend(g.iter().copied());
    }
    built.ids.push(id);
    built.genres.push(g);
}

/// Re-ranks `items` into a list of at most `n` movie ids.
///
/// Relevance is each item's score min–max normalised over all `items` to [0.1, 1]. With novelty
/// weight w, rel' = (1 − w)·rel + w·(1 − popularity percentile among `items`). Each position
/// takes the candidate of highest value λ·rel' − (1 − λ)·(max genre-Jaccard similarity to the
/// movies already in the list) − c·(KL(p ‖ q̃ with it) − KL(p ‖ q̃ without it)), where p is the
/// user's genre share (`history_genre_share`; calibration is skipped when it is empty) and q̃ is
/// the list's genre distribution mixed with p (α = [`CALIBRATION_ALPHA`]). Ties go to the lower
/// movie id.
///
/// Hard constraints: within any [`DIVERSITY_WINDOW`] consecutive positions no genre appears in
/// more than `max_per_genre` movies (pinned movies count but are never moved or dropped). Each
/// position chooses among the best [`pool_size`] candidates; when none of them fits the cap,
/// the best fitting candidate further down is taken, and only when no candidate at all fits
/// does the list end there. While the free slots left in the first
/// window are no more than the genres still missing for `min_genres`, a candidate adding a new
/// genre is taken if there is one.
///
/// `pinned` holds (0-based slot, movie id); those movies take their slots. Pins whose slot lies
/// beyond the end of the list (because candidates ran out or the cap ended it) are clamped to
/// its end in slot order, up to `n`, each only if it keeps the genre cap there (a pin is exempt
/// from the cap at its own slot only).
/// Items that are pinned, repeated or have a non-finite score are ignored.
pub fn rerank(
    items: Vec<Scored>,
    settings: &DiversitySettings,
    history_genre_share: &HashMap<String, f64>,
    catalogue: &CatalogueIndex,
    pinned: &[(usize, i32)],
    n: usize,
) -> Vec<i32> {
    if n == 0 {
        return Vec::new();
    }
    let mut genres = Genres::default();

    // Pins: one per slot and per movie, in slot order.
    let mut pins: Vec<(usize, i32)> = Vec::new();
    {
        let mut sorted = pinned.to_vec();
        sorted.sort_unstable();
        let mut seen = HashSet::new();
        for (slot, id) in sorted {
            if pins.last().is_some_and(|&(s, _)| s == slot) || !seen.insert(id) {
                continue;
            }
            pins.push((slot, id));
        }
    }
    let pinned_ids: HashSet<i32> = pins.iter().map(|&(_, id)| id).collect();
    let pin_at: HashMap<usize, (i32, Vec<usize>)> = pins
        .iter()
        .map(|&(slot, id)| (slot, (id, genres.of(catalogue, id))))
        .collect();

    // Candidates: unique, unpinned, finite, best first.
    let mut items: Vec<Scored> = items
        .into_iter()
        .filter(|s| s.score.is_finite() && !pinned_ids.contains(&s.movie_id))
        .collect();
    // Best score first, ties by id; a repeated movie keeps its first (best) entry.
    items.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.movie_id.cmp(&b.movie_id))
    });
    {
        let mut seen = HashSet::with_capacity(items.len());
        items.retain(|s| seen.insert(s.movie_id));
    }

    // Relevance (and novelty) over every candidate, so values do not depend on `n`.
    let (lo, hi) = items
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), s| {
            (l.min(s.score), h.max(s.score))
        });
    let rel = |s: f64| {
        if hi > lo {
            0.1 + 0.9 * (s - lo) / (hi - lo)
        } else {
            1.0
        }
    };
    let w = settings.novelty_weight.clamp(0.0, 1.0);
    let popularity = |id: i32| catalogue.get(id).map_or(0.0, |e| e.popularity);
    let sorted_pop: Vec<f64> = if w > 0.0 {
        let mut p: Vec<f64> = items.iter().map(|s| popularity(s.movie_id)).collect();
        p.sort_by(f64::total_cmp);
        p
    } else {
        Vec::new()
    };
    let percentile = |id: i32| {
        if sorted_pop.len() < 2 {
            return 0.5;
        }
        let pop = popularity(id);
        sorted_pop.partition_point(|&x| x < pop) as f64 / (sorted_pop.len() - 1) as f64
    };

    let make = |genres: &mut Genres, s: &Scored| {
        let r = rel(s.score);
        let value = if w > 0.0 {
            (1.0 - w) * r + w * (1.0 - percentile(s.movie_id))
        } else {
            r
        };
        Cand {
            movie_id: s.movie_id,
            value,
            genres: genres.of(catalogue, s.movie_id),
        }
    };
    // The last position's pool; the rest only when a position's pool holds no candidate that
    // fits the genre cap (what a position takes never depends on `n`).
    let pool_max = items.len().min(pool_size(n - 1));
    let mut cands: Vec<Cand> = items[..pool_max]
        .iter()
        .map(|s| make(&mut genres, s))
        .collect();

    // The user's genre distribution, normalised.
    let calibration = settings.calibration.clamp(0.0, 1.0);
    let history: Vec<(usize, f64)> = {
        let total: f64 = history_genre_share
            .values()
            .filter(|v| v.is_finite() && **v > 0.0)
            .sum();
        let mut by_genre: HashMap<usize, f64> = HashMap::new();
        if total > 0.0 {
            for (g, v) in history_genre_share {
                if v.is_finite() && *v > 0.0 {
                    *by_genre.entry(genres.id(g)).or_insert(0.0) += v / total;
                }
            }
        }
        let mut h: Vec<(usize, f64)> = by_genre.into_iter().collect();
        h.sort_unstable_by_key(|&(g, _)| g);
        h
    };
    let calibrate = calibration > 0.0 && !history.is_empty();
    let lambda = settings.mmr_lambda.clamp(0.0, 1.0);
    let mut genre_count = genres.index.len();

    let cap = settings.max_per_genre.map(|c| c as usize);
    let min_genres = settings.min_genres.map(|m| m as usize).unwrap_or(0);
    let mut taken = vec![false; cands.len()];
    let mut max_sim = vec![0.0_f64; cands.len()];
    let mut built = Built {
        ids: Vec::with_capacity(n),
        genres: Vec::with_capacity(n),
        genre_mass: vec![0.0; genre_count],
        present: HashSet::new(),
    };
    // Genres of pins in the first window count as present from the start.
    for (slot, (_, g)) in &pin_at {
        if *slot < DIVERSITY_WINDOW {
            built.present.extend(g.iter().copied());
        }
    }

    let mut worst = vec![0usize; genre_count];
    for pos in 0..n {
        if let Some((id, g)) = pin_at.get(&pos) {
            place(&mut built, *id, g.clone(), &cands, &mut max_sim, lambda);
            continue;
        }
        // For each genre, its highest count in any window holding `pos`, not counting `pos`.
        if let Some(_cap) = cap {
            worst.iter_mut().for_each(|x| *x = 0);
            let mut counts = vec![0usize; genre_count];
            for start in pos.saturating_sub(DIVERSITY_WINDOW - 1)..=pos {
                counts.iter_mut().for_each(|x| *x = 0);
                for q in start..start + DIVERSITY_WINDOW {
                    let g = if q < pos {
                        built.genres.get(q)
                    } else if q > pos {
                        pin_at.get(&q).map(|(_, g)| g)
                    } else {
                        None
                    };
                    for &x in g.into_iter().flatten() {
                        counts[x] += 1;
                    }
                }
                for (w, c) in worst.iter_mut().zip(&counts) {
                    *w = (*w).max(*c);
                }
            }
        }
        let need_new = pos < DIVERSITY_WINDOW && {
            let free_left = (pos..DIVERSITY_WINDOW)
                .filter(|q| !pin_at.contains_key(q))
                .count();
            let missing = min_genres.saturating_sub(built.present.len());
            missing > 0 && free_left <= missing
        };
        let kl_without = if calibrate {
            kl(&history, &built.genre_mass, &[], built.ids.len())
        } else {
            0.0
        };

        // The best candidates first; when none of them fits the genre cap, every other
        // candidate is searched before the list ends.
        let pool_end = cands.len().min(pool_size(pos));
        let mut best_any: Option<(f64, usize)> = None;
        let mut best_new: Option<(f64, usize)> = None;
        let mut i = 0;
        loop {
            if i == pool_end && (best_any.is_some() || cap.is_none()) {
                break;
            }
            if i == cands.len() {
                if cands.len() == items.len() {
                    break;
                }
                // Widen, once: every remaining candidate, with its similarity to the list so far.
                for s in &items[cands.len()..] {
                    let c = make(&mut genres, s);
                    let sim = if lambda < 1.0 {
                        built
                            .genres
                            .iter()
                            .map(|g| jaccard(&c.genres, g))
                            .fold(0.0, f64::max)
                    } else {
                        0.0
                    };
                    cands.push(c);
                    taken.push(false);
                    max_sim.push(sim);
                }
                // Genres only the new candidates have: none of them is in the list yet.
                genre_count = genres.index.len();
                built.genre_mass.resize(genre_count, 0.0);
                worst.resize(genre_count, 0);
            }
            let k = i;
            i += 1;
            if taken[k] {
                continue;
            }
            let c = &cands[k];
            if let Some(cap) = cap {
                if c.genres.iter().any(|&g| worst[g] + 1 > cap) {
                    continue;
                }
            }
            let mut v = lambda * c.value - (1.0 - lambda) * max_sim[k];
            if calibrate {
                let with = kl(&history, &built.genre_mass, &c.genres, built.ids.len() + 1);
                v -= calibration * (with - kl_without);
            }
            let better = |best: Option<(f64, usize)>| match best {
                None => true,
                Some((bv, bi)) => v > bv || (v == bv && c.movie_id < cands[bi].movie_id),
            };
            if better(best_any) {
                best_any = Some((v, k));
            }
            if need_new && c.genres.iter().any(|g| !built.present.contains(g)) && better(best_new) {
                best_new = Some((v, k));
            }
        }
        let Some((_, i)) = best_new.or(best_any) else {
            break;
        };
        taken[i] = true;
        let (id, g) = (cands[i].movie_id, cands[i].genres.clone());
        place(&mut built, id, g, &cands, &mut max_sim, lambda);
    }

    // Candidates ran out before some pinned slots: those pins are clamped to the end of the
    // list, in slot order, each only if it keeps the genre cap there.
    if built.ids.len() < n {
        let placed: HashSet<i32> = built.ids.iter().copied().collect();
        for &(_, id) in &pins {
            if built.ids.len() >= n {
                break;
            }
            if placed.contains(&id) {
                continue;
            }
            let g = pin_at
                .values()
                .find(|(p, _)| *p == id)
                .map(|(_, g)| g.clone())
                .unwrap_or_default();
            let fits = cap.is_none_or(|cap| {
                let from = built.ids.len().saturating_sub(DIVERSITY_WINDOW - 1);
                g.iter().all(|x| {
                    built.genres[from..]
                        .iter()
                        .filter(|h| h.contains(x))
                        .count()
                        < cap
                })
            });
            if fits {
                place(&mut built, id, g, &cands, &mut max_sim, lambda);
            }
        }
    }
    built.ids
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::CatalogueEntry;

    fn catalogue(movies: &[(i32, &[&str], f64)]) -> CatalogueIndex {
        CatalogueIndex {
            entries: movies
                .iter()
                .map(|&(id, genres, popularity)| {
                    (
                        id,
                        CatalogueEntry {
                            movie_id: id,
                            title: format!("Movie {id}"),
                            year: Some(2000),
                            available: true,
                            genres: genres.iter().map(|g| g.to_string()).collect(),
                            directors: vec![],
                            cast: vec![],
                            keywords: vec![],
                            genre_ids: vec![],
                            person_ids: vec![],
                            popularity,
                        },
                    )
                })
                .collect(),
        }
    }

    fn scored(ids_scores: &[(i32, f64)]) -> Vec<Scored> {
        ids_scores
            .iter()
            .map(|&(movie_id, score)| Scored { movie_id, score })
            .collect()
    }

    #[test]
    fn default_settings_keep_the_score_order_with_ties_by_id() {
        let cat = catalogue(&[(1, &["A"], 1.0), (2, &["A"], 1.0), (3, &["B"], 1.0)]);
        let out = rerank(
            scored(&[(3, 0.5), (2, 0.9), (1, 0.9)]),
            &DiversitySettings::default(),
            &HashMap::new(),
            &cat,
            &[],
            10,
        );
        assert_eq!(out, vec![1, 2, 3]);
    }

    #[test]
    fn mmr_moves_a_different_genre_up() {
        let cat = catalogue(&[(1, &["A"], 1.0), (2, &["A"], 1.0), (3, &["B"], 1.0)]);
        let settings = DiversitySettings {
            mmr_lambda: 0.5,
            ..Default::default()
        };
        let out = rerank(
            scored(&[(1, 1.0), (2, 0.95), (3, 0.8)]),
            &settings,
            &HashMap::new(),
            &cat,
            &[],
            3,
        );
        assert_eq!(out, vec![1, 3, 2]);
    }

    #[test]
    fn calibration_follows_the_users_genre_mix() {
        // Three A movies slightly ahead of three B movies; the user's history is half B.
        let cat = catalogue(&[
            (1, &["A"], 1.0),
            (2, &["A"], 1.0),
            (3, &["A"], 1.0),
            (4, &["B"], 1.0),
            (5, &["B"], 1.0),
            (6, &["B"], 1.0),
            (7, &["C"], 1.0),
        ]);
        // 7 scores 0 so that the others' relevances lie close together.
        let items = scored(&[
            (1, 1.0),
            (2, 0.99),
            (3, 0.98),
            (4, 0.97),
            (5, 0.96),
            (6, 0.95),
            (7, 0.0),
        ]);
        let history = HashMap::from([("a".to_string(), 0.5), ("B".to_string(), 0.5)]);
        let plain = rerank(
            items.clone(),
            &DiversitySettings::default(),
            &history,
            &cat,
            &[],
            4,
        );
        assert_eq!(plain, vec![1, 2, 3, 4]);
        let settings = DiversitySettings {
            calibration: 1.0,
            ..Default::default()
        };
        let calibrated = rerank(items.clone(), &settings, &history, &cat, &[], 4);
        let b = calibrated.iter().filter(|&&id| id >= 4).count();
        assert_eq!(b, 2, "{calibrated:?}");
        // No history: calibration is skipped.
        assert_eq!(
            rerank(items, &settings, &HashMap::new(), &cat, &[], 4),
            plain
        );
    }

    #[test]
    fn novelty_lifts_the_less_popular_of_two_equals() {
        let cat = catalogue(&[(1, &["A"], 1000.0), (2, &["A"], 3.0), (3, &["A"], 500.0)]);
        let settings = DiversitySettings {
            novelty_weight: 0.3,
            ..Default::default()
        };
        let items = scored(&[(1, 1.0), (2, 0.99), (3, 0.0)]);
        let plain = rerank(
            items.clone(),
            &DiversitySettings::default(),
            &HashMap::new(),
            &cat,
            &[],
            2,
        );
        assert_eq!(plain, vec![1, 2]);
        let out = rerank(items, &settings, &HashMap::new(), &cat, &[], 2);
        assert_eq!(out, vec![2, 1]);
    }

    #[test]
    fn the_genre_cap_ends_the_list_rather_than_break() {
        let cat = catalogue(&[(1, &["A"], 1.0), (2, &["A"], 1.0), (3, &["A"], 1.0)]);
        let settings = DiversitySettings {
            max_per_genre: Some(2),
            ..Default::default()
        };
        let out = rerank(
            scored(&[(1, 1.0), (2, 0.9), (3, 0.8)]),
            &settings,
            &HashMap::new(),
            &cat,
            &[],
            3,
        );
        assert_eq!(out, vec![1, 2]);
    }

    #[test]
    fn the_genre_cap_looks_past_the_pool_before_ending_the_list() {
        // 100 dramas lead, far beyond any position's pool; eight other genres trail.
        const OTHERS: [&str; 8] = ["B", "C", "D", "E", "F", "G", "H", "I"];
        let mut movies: Vec<(i32, &[&str], f64)> =
            (1..=100).map(|i| (i, &["A"][..], 1.0)).collect();
        for (k, g) in OTHERS.iter().enumerate() {
            movies.push((200 + k as i32, std::slice::from_ref(g), 1.0));
        }
        let cat = catalogue(&movies);
        let mut items: Vec<(i32, f64)> = (1..=100).map(|i| (i, 2.0 - i as f64 / 100.0)).collect();
        items.extend((0..8).map(|k| (200 + k, 0.5 - k as f64 / 100.0)));
        let settings = DiversitySettings {
            max_per_genre: Some(2),
            ..Default::default()
        };
        assert!(
            pool_size(9) < 100,
            "the trailing genres must lie beyond the pool"
        );
        let out = rerank(scored(&items), &settings, &HashMap::new(), &cat, &[], 10);
        assert_eq!(out, vec![1, 2, 200, 201, 202, 203, 204, 205, 206, 207]);
    }

    #[test]
    fn pins_keep_their_slots_and_count_toward_the_cap() {
        let cat = catalogue(&[
            (1, &["A"], 1.0),
            (2, &["A"], 1.0),
            (3, &["B"], 1.0),
            (9, &["A"], 1.0),
        ]);
        let settings = DiversitySettings {
            max_per_genre: Some(2),
            ..Default::default()
        };
        let out = rerank(
            scored(&[(1, 1.0), (2, 0.9), (3, 0.8), (9, 0.1)]),
            &settings,
            &HashMap::new(),
            &cat,
            &[(2, 9)],
            3,
        );
        // The pinned A at slot 3 leaves room for one more A only.
        assert_eq!(out, vec![1, 3, 9]);
    }

    #[test]
    fn min_genres_forces_new_genres_before_the_window_closes() {
        let mut movies: Vec<(i32, &[&str], f64)> = (1..=12).map(|i| (i, &["A"][..], 1.0)).collect();
        movies.push((20, &["B"], 1.0));
        movies.push((21, &["C"], 1.0));
        let cat = catalogue(&movies);
        let mut items: Vec<(i32, f64)> = (1..=12).map(|i| (i, 1.0 - i as f64 * 0.01)).collect();
        items.push((20, 0.1));
        items.push((21, 0.05));
        let settings = DiversitySettings {
            min_genres: Some(3),
            ..Default::default()
        };
        let out = rerank(scored(&items), &settings, &HashMap::new(), &cat, &[], 10);
        assert_eq!(out.len(), 10);
        assert_eq!(&out[8..], &[20, 21]);
    }

    #[test]
    fn longer_lists_start_with_shorter_ones() {
        let genre_names = ["A", "B", "C", "D"];
        let movies: Vec<(i32, &[&str], f64)> = (0..200)
            .map(|i| {
                let g = &genre_names[(i as usize * 7) % 4..(i as usize * 7) % 4 + 1];
                (i, g, (i * 37 % 101) as f64)
            })
            .collect();
        let cat = catalogue(&movies);
        let items: Vec<(i32, f64)> = (0..200).map(|i| (i, ((i * 53) % 97) as f64)).collect();
        let settings = DiversitySettings {
            max_per_genre: Some(4),
            mmr_lambda: 0.6,
            calibration: 0.5,
            min_genres: Some(3),
            novelty_weight: 0.2,
        };
        let history = HashMap::from([("A".to_string(), 0.7), ("B".to_string(), 0.3)]);
        let long = rerank(scored(&items), &settings, &history, &cat, &[(3, 150)], 60);
        for n in [1, 5, 10, 20, 33] {
            let short = rerank(scored(&items), &settings, &history, &cat, &[(3, 150)], n);
            assert_eq!(short[..], long[..n]);
        }
    }
}
