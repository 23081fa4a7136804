//! The scorer contract every model must pass (test-only).

use super::interactions::{Interactions, Triplet};
use super::{all_items, top_n, ItemIdx, Scorer, UserIdx};

/// Number of users and of regular items in the fixture.
pub const N: usize = 16;

/// A checkerboard fixture: user `u` rates item `i` 5 (confidence +1) when `u + i` is even and 1
/// (confidence −1) otherwise, except two held-out items: `held[u] = u` (a 5) and
/// `opposite[u] = u + 1` (a 1). Two junk items are rated 1 by one user each.
pub struct Fixture {
    /// Training matrix.
    pub data: Interactions,
    /// The held-out liked item per user.
    pub held: Vec<ItemIdx>,
    /// The held-out disliked item per user.
    pub opposite: Vec<ItemIdx>,
    /// Item tokens for content models (parity + own id).
    pub tokens: Vec<(ItemIdx, Vec<String>)>,
}

/// Builds the checkerboard fixture.
pub fn fixture() -> Fixture {
    let mut t = Vec::new();
    let mut held = Vec::new();
    let mut opposite = Vec::new();
    for u in 0..N {
        held.push(ItemIdx(u as u32));
        opposite.push(ItemIdx(((u + 1) % N) as u32));
        for i in 0..N {
            if i == u || i == (u + 1) % N {
                continue;
            }
            let like = (u + i) % 2 == 0;
            t.push(Triplet {
                user: UserIdx(u as u32),
                item: ItemIdx(i as u32),
                rating: if like { 5.0 } else { 1.0 },
                confidence: if like { 1.0 } else { -1.0 },
                timestamp: (u * 100 + i) as i64,
            });
        }
    }
    for (u, junk) in [(0u32, N as u32), (1, N as u32 + 1)] {
        t.push(Triplet {
            user: UserIdx(u),
            item: ItemIdx(junk),
            rating: 1.0,
            confidence: -1.0,
            timestamp: 5,
        });
    }
    let tokens = (0..N + 2)
        .map(|i| {
            let parity = if i >= N {
                "junk".to_string()
            } else if i % 2 == 0 {
                "even".to_string()
            } else {
                "odd".to_string()
            };
            (ItemIdx(i as u32), vec![parity, format!("item{i}")])
        })
        .collect();
    Fixture {
        data: Interactions::from_triplets(N, N + 2, &t).expect("fixture"),
        held,
        opposite,
        tokens,
    }
}

/// Trains with `fit` twice and checks, for every user: finite scores, no seen items, at most `n`
/// results, descending order, identical results across the two fits (determinism by seed), and
/// the held-out liked item ranked first (`personalised`) or a held-out item ranked first (for
/// non-personalised models, which cannot tell the two apart but must beat the junk items).
pub fn assert_scorer_contract<S: Scorer>(fit: impl Fn(&Fixture) -> S, personalised: bool) {
    let fx = fixture();
    let a = fit(&fx);
    let b = fit(&fx);
    let cands = all_items(fx.data.n_items());
    let n = 5;
    for u in 0..N {
        let h = fx.data.history(UserIdx(u as u32));
        let scores = a.score(&h, &cands);
        assert_eq!(
            scores.len(),
            cands.len(),
            "{}: one score per candidate",
            a.name()
        );
        assert!(
            scores.iter().all(|s| s.is_finite()),
            "{}: non-finite scores for user {u}: {scores:?}",
            a.name()
        );
        let ra = top_n(&a, &h, &cands, n, &[]);
        let rb = top_n(&b, &h, &cands, n, &[]);
        assert_eq!(ra, rb, "{}: not deterministic", a.name());
        assert!(
            !ra.is_empty() && ra.len() <= n,
            "{}: {} results",
            a.name(),
            ra.len()
        );
        assert!(
            ra.windows(2).all(|w| w[0].1 >= w[1].1),
            "{}: not descending",
            a.name()
        );
        assert!(
            ra.iter().all(|(i, _)| !h.items.contains(i)),
            "{}: seen item returned",
            a.name()
        );
        let first = ra[0].0;
        if personalised {
            assert_eq!(first, fx.held[u], "{}: user {u} got {ra:?}", a.name());
        } else {
            assert!(
                first == fx.held[u] || first == fx.opposite[u],
                "{}: user {u} got {ra:?}",
                a.name()
            );
        }
    }
}
