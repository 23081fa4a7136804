//! Accuracy, ranking and beyond-accuracy metrics.
//!
//! Ranking metrics take one user's ranked list (best first, already cut to `k`) and the set of
//! relevant items; averages over users are taken by the caller.

use crate::recommender::ItemIdx;
use std::collections::HashSet;

/// Root mean squared error over `(prediction, truth)` pairs (NaN if empty).
pub fn rmse(pairs: &[(f32, f32)]) -> f64 {
    if pairs.is_empty() {
        return f64::NAN;
    }
    let s: f64 = pairs.iter().map(|&(p, t)| ((p - t) as f64).powi(2)).sum();
    (s / pairs.len() as f64).sqrt()
}

/// Mean absolute error over `(prediction, truth)` pairs (NaN if empty).
pub fn mae(pairs: &[(f32, f32)]) -> f64 {
    if pairs.is_empty() {
        return f64::NAN;
    }
    pairs
        .iter()
        .map(|&(p, t)| (p - t).abs() as f64)
        .sum::<f64>()
        / pairs.len() as f64
}

/// Ranking metrics of one user at cut-off `k`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RankMetrics {
    /// hits / k.
    pub precision: f64,
    /// hits / |relevant|.
    pub recall: f64,
    /// DCG / ideal DCG with binary gains and `log2(rank + 1)` discounts.
    pub ndcg: f64,
    /// Average precision: Σ precision@hit / min(|relevant|, k).
    pub ap: f64,
    /// Reciprocal rank of the first hit (0 if none in the list).
    pub rr: f64,
    /// 1 if any relevant item is in the list.
    pub hit: f64,
}

/// Computes [`RankMetrics`] for one ranked list (truncated to `k`) against a relevant set.
pub fn rank_metrics(ranked: &[ItemIdx], relevant: &HashSet<ItemIdx>, k: usize) -> RankMetrics {
    if relevant.is_empty() || k == 0 {
        return RankMetrics::default();
    }
    let list = &ranked[..ranked.len().min(k)];
    let (mut hits, mut dcg, mut ap, mut rr) = (0usize, 0f64, 0f64, 0f64);
    for (pos, item) in list.iter().enumerate() {
        if relevant.contains(item) {
            hits += 1;
            dcg += 1.0 / ((pos + 2) as f64).log2();
            ap += hits as f64 / (pos + 1) as f64;
            if rr == 0.0 {
                rr = 1.0 / (pos + 1) as f64;
            }
        }
    }
    let ideal: f64 = (0..relevant.len().min(k))
        .map(|p| 1.0 / ((p + 2) as f64).log2())
        .sum();
    RankMetrics {
        precision: hits as f64 / k as f64,
        recall: hits as f64 / relevant.len() as f64,
        ndcg: dcg / ideal,
        ap: ap / relevant.len().min(k) as f64,
        rr,
        hit: if hits > 0 { 1.0 } else { 0.0 },
    }
}

/// Share of the catalogue (`n_items`) that appears in at least one list.
pub fn coverage(lists: &[Vec<ItemIdx>], n_items: usize) -> f64 {
    if n_items == 0 {
        return 0.0;
    }
    let distinct: HashSet<ItemIdx> = lists.iter().flatten().copied().collect();
    distinct.len() as f64 / n_items as f64
}

/// Mean self-information `−log2(popularity_i / n_users)` of the recommended items, where
/// `popularity` counts training users per item (items with 0 count as 1).
pub fn novelty(lists: &[Vec<ItemIdx>], popularity: &[u32], n_users: usize) -> f64 {
    let (mut s, mut n) = (0f64, 0usize);
    for &i in lists.iter().flatten() {
        let p = popularity.get(i.ix()).copied().unwrap_or(0).max(1) as f64 / n_users.max(1) as f64;
        s += -p.log2();
        n += 1;
    }
    if n == 0 {
        0.0
    } else {
        s / n as f64
    }
}

/// Mean pairwise genre distance `1 − Jaccard` inside each list, averaged over lists with at
/// least two items. `genres[i]` lists the genre ids of item `i`.
pub fn intra_list_diversity(lists: &[Vec<ItemIdx>], genres: &[Vec<u32>]) -> f64 {
    let empty = Vec::new();
    let g = |i: ItemIdx| genres.get(i.ix()).unwrap_or(&empty);
    let (mut total, mut n_lists) = (0f64, 0usize);
    for list in lists.iter().filter(|l| l.len() >= 2) {
        let (mut s, mut pairs) = (0f64, 0usize);
        for a in 0..list.len() {
            for b in a + 1..list.len() {
                let (ga, gb) = (g(list[a]), g(list[b]));
                let inter = ga.iter().filter(|x| gb.contains(x)).count();
                let union = ga.len() + gb.len() - inter;
                let jac = if union == 0 {
                    1.0
                } else {
                    inter as f64 / union as f64
                };
                s += 1.0 - jac;
                pairs += 1;
            }
        }
        total += s / pairs as f64;
        n_lists += 1;
    }
    if n_lists == 0 {
        0.0
    } else {
        total / n_lists as f64
    }
}

/// Gini coefficient of item exposure (how often each of the `n_items` items is recommended):
/// 0 = perfectly even, → 1 = all exposure on one item.
pub fn exposure_gini(lists: &[Vec<ItemIdx>], n_items: usize) -> f64 {
    if n_items == 0 {
        return 0.0;
    }
    let mut counts = vec![0f64; n_items];
    for &i in lists.iter().flatten() {
        if i.ix() < n_items {
            counts[i.ix()] += 1.0;
        }
    }
    gini(&mut counts)
}

/// Gini coefficient of non-negative values (sorted in place).
pub fn gini(values: &mut [f64]) -> f64 {
    let n = values.len();
    let total: f64 = values.iter().sum();
    if n == 0 || total <= 0.0 {
        return 0.0;
    }
    values.sort_by(|a, b| a.total_cmp(b));
    let weighted: f64 = values
        .iter()
        .enumerate()
        .map(|(i, v)| (2.0 * (i + 1) as f64 - n as f64 - 1.0) * v)
        .sum();
    weighted / (n as f64 * total)
}

/// Mean training popularity (user count) of the recommended items.
pub fn mean_popularity(lists: &[Vec<ItemIdx>], popularity: &[u32]) -> f64 {
    let (mut s, mut n) = (0f64, 0usize);
    for &i in lists.iter().flatten() {
        s += popularity.get(i.ix()).copied().unwrap_or(0) as f64;
        n += 1;
    }
    if n == 0 {
        0.0
    } else {
        s / n as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[u32]) -> Vec<ItemIdx> {
        v.iter().map(|&i| ItemIdx(i)).collect()
    }

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-9, "{a} != {b}");
    }

    #[test]
    fn rmse_and_mae_match_hand_computation() {
        let pairs = [(3.0, 4.0), (5.0, 2.0)];
        close(rmse(&pairs), (5.0f64).sqrt());
        close(mae(&pairs), 2.0);
        assert!(rmse(&[]).is_nan());
    }

    #[test]
    fn ranking_metrics_match_hand_computation() {
        // relevant {1, 3}; list [1, 2, 3]: hits at ranks 1 and 3.
        let rel: HashSet<ItemIdx> = ids(&[1, 3]).into_iter().collect();
        let m = rank_metrics(&ids(&[1, 2, 3]), &rel, 3);
        close(m.precision, 2.0 / 3.0);
        close(m.recall, 1.0);
        let dcg = 1.0 + 1.0 / 4f64.log2();
        let idcg = 1.0 + 1.0 / 3f64.log2();
        close(m.ndcg, dcg / idcg);
        close(m.ap, (1.0 + 2.0 / 3.0) / 2.0);
        close(m.rr, 1.0);
        close(m.hit, 1.0);
        // first hit at rank 2, k = 2 cuts the list.
        let m = rank_metrics(&ids(&[9, 3, 1]), &rel, 2);
        close(m.rr, 0.5);
        close(m.recall, 0.5);
        close(m.ndcg, (1.0 / 3f64.log2()) / idcg);
        close(m.ap, 0.5 / 2.0);
        let none = rank_metrics(&ids(&[7, 8]), &rel, 2);
        assert_eq!(none, RankMetrics::default());
    }

    #[test]
    fn beyond_accuracy_metrics_match_hand_computation() {
        let lists = vec![ids(&[0, 1]), ids(&[0, 2])];
        close(coverage(&lists, 4), 0.75);
        // popularity: item 0 seen by 4 of 8 users, items 1, 2 by 1.
        let pop = [4, 1, 1, 0];
        close(novelty(&lists, &pop, 8), (1.0 + 3.0 + 1.0 + 3.0) / 4.0);
        close(mean_popularity(&lists, &pop), 2.5);
        // genres: 0 = {a, b}, 1 = {a}, 2 = {c}.
        let genres = vec![vec![0, 1], vec![0], vec![2]];
        close(intra_list_diversity(&lists, &genres), (0.5 + 1.0) / 2.0);
        // exposure counts [2, 1, 1, 0]: gini = Σ(2i−n−1)x / (n Σx) over sorted [0,1,1,2].
        close(
            exposure_gini(&lists, 4),
            (-3.0 * 0.0 - 1.0 + 1.0 + 3.0 * 2.0) / (4.0 * 4.0),
        );
        close(exposure_gini(&[ids(&[0]), ids(&[1])], 2), 0.0);
    }
}
