//! The user × item interaction matrix in compressed sparse row form (by user) plus its transpose
//! (by item). Each cell holds an explicit rating (NaN when the interaction is implicit only), a
//! signed implicit confidence (negative = negative feedback) and a timestamp.

use super::vocab::{ItemIdx, UserIdx, Vocab};
use super::{RecommendError, UserHistory};
use serde::{Deserialize, Serialize};

/// One interaction to build an [`Interactions`] matrix from, in external ids.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Feedback {
    /// External user id.
    pub user: i64,
    /// External item id.
    pub item: i64,
    /// Explicit rating, NaN if there is none (a view, a thumbs up…).
    pub rating: f32,
    /// Signed implicit confidence: > 0 positive, < 0 negative feedback, 0 = rating only.
    pub confidence: f32,
    /// Unix seconds.
    pub timestamp: i64,
}

impl Feedback {
    /// An explicit rating with implicit confidence 1.
    pub fn rating(user: i64, item: i64, rating: f32, timestamp: i64) -> Self {
        Feedback {
            user,
            item,
            rating,
            confidence: 1.0,
            timestamp,
        }
    }
    /// An implicit event of the given signed weight.
    pub fn implicit(user: i64, item: i64, confidence: f32, timestamp: i64) -> Self {
        Feedback {
            user,
            item,
            rating: f32::NAN,
            confidence,
            timestamp,
        }
    }
}

/// One interaction in dense indices.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Triplet {
    /// User index.
    pub user: UserIdx,
    /// Item index.
    pub item: ItemIdx,
    /// Explicit rating or NaN.
    pub rating: f32,
    /// Signed implicit confidence.
    pub confidence: f32,
    /// Unix seconds.
    pub timestamp: i64,
}

/// Sparse user × item matrix, stored by user and by item: each user's items in ascending order,
/// each item's users in ascending order.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Interactions {
    n_users: usize,
    n_items: usize,
    user_ptr: Vec<usize>,
    user_items: Vec<ItemIdx>,
    user_ratings: Vec<f32>,
    user_conf: Vec<f32>,
    user_ts: Vec<i64>,
    item_ptr: Vec<usize>,
    item_users: Vec<UserIdx>,
    item_ratings: Vec<f32>,
    item_conf: Vec<f32>,
    global_mean: f32,
    n_rated: usize,
}

impl Interactions {
    /// Builds the matrix from dense triplets. Duplicate (user, item) pairs keep the latest
    /// (by timestamp, then by position) rating, and add up implicit confidences.
    pub fn from_triplets(
        n_users: usize,
        n_items: usize,
        triplets: &[Triplet],
    ) -> Result<Self, RecommendError> {
        Self::from_triplet_vec(n_users, n_items, triplets.to_vec())
    }

    /// [`Self::from_triplets`], sorting and merging the triplets in their own allocation (which
    /// is freed before the item-major half is built): about half the peak memory.
    pub fn from_triplet_vec(
        n_users: usize,
        n_items: usize,
        mut cells: Vec<Triplet>,
    ) -> Result<Self, RecommendError> {
        if cells
            .iter()
            .any(|t| t.user.ix() >= n_users || t.item.ix() >= n_items)
        {
            return Err(RecommendError::IndexOutOfRange);
        }
        // stable: equal (user, item, timestamp) keep their order, so the later position wins
        cells.sort_by_key(|t| (t.user, t.item, t.timestamp));
        cells.dedup_by(|t, last| {
            let same = last.user == t.user && last.item == t.item;
            if same {
                if !t.rating.is_nan() {
                    last.rating = t.rating;
                }
                last.confidence += t.confidence;
                last.timestamp = last.timestamp.max(t.timestamp);
            }
            same
        });
        let nnz = cells.len();
        let mut user_ptr = vec![0usize; n_users + 1];
        for c in &cells {
            user_ptr[c.user.ix() + 1] += 1;
        }
        for u in 0..n_users {
            user_ptr[u + 1] += user_ptr[u];
        }
        let user_items: Vec<ItemIdx> = cells.iter().map(|c| c.item).collect();
        let user_ratings: Vec<f32> = cells.iter().map(|c| c.rating).collect();
        let user_conf: Vec<f32> = cells.iter().map(|c| c.confidence).collect();
        let user_ts = cells.iter().map(|c| c.timestamp).collect();
        drop(cells);

        let mut item_ptr = vec![0usize; n_items + 1];
        for &i in &user_items {
            item_ptr[i.ix() + 1] += 1;
        }
        for i in 0..n_items {
            item_ptr[i + 1] += item_ptr[i];
        }
        let mut fill = item_ptr.clone();
        let mut item_users = vec![UserIdx(0); nnz];
        let mut item_ratings = vec![0f32; nnz];
        let mut item_conf = vec![0f32; nnz];
        for u in 0..n_users {
            for p in user_ptr[u]..user_ptr[u + 1] {
                let i = user_items[p].ix();
                let q = fill[i];
                fill[i] += 1;
                item_users[q] = UserIdx(u as u32);
                item_ratings[q] = user_ratings[p];
                item_conf[q] = user_conf[p];
            }
        }
        let (sum, n) = user_ratings
            .iter()
            .filter(|r| !r.is_nan())
            .fold((0f64, 0usize), |(s, n), &r| (s + r as f64, n + 1));
        Ok(Interactions {
            n_users,
            n_items,
            user_ptr,
            user_items,
            user_ratings,
            user_conf,
            user_ts,
            item_ptr,
            item_users,
            item_ratings,
            item_conf,
            global_mean: if n > 0 { (sum / n as f64) as f32 } else { 0.0 },
            n_rated: n,
        })
    }

    /// Builds the matrix from external-id feedback, extending `vocab` with unseen ids.
    pub fn from_feedback(
        vocab: &mut Vocab,
        feedback: Vec<Feedback>,
    ) -> Result<Self, RecommendError> {
        // Consumed: the rows become triplets in the same allocation, freed once the matrix is built.
        let triplets: Vec<Triplet> = feedback
            .into_iter()
            .map(|f| Triplet {
                user: vocab.add_user(f.user),
                item: vocab.add_item(f.item),
                rating: f.rating,
                confidence: f.confidence,
                timestamp: f.timestamp,
            })
            .collect();
        Self::from_triplet_vec(vocab.n_users(), vocab.n_items(), triplets)
    }

    /// All cells as triplets, in user-major order.
    pub fn triplets(&self) -> Vec<Triplet> {
        let mut out = Vec::with_capacity(self.nnz());
        for u in 0..self.n_users {
            for p in self.user_ptr[u]..self.user_ptr[u + 1] {
                out.push(Triplet {
                    user: UserIdx(u as u32),
                    item: self.user_items[p],
                    rating: self.user_ratings[p],
                    confidence: self.user_conf[p],
                    timestamp: self.user_ts[p],
                });
            }
        }
        out
    }

    /// Number of users (rows).
    pub fn n_users(&self) -> usize {
        self.n_users
    }
    /// Number of items (columns), including items without interactions.
    pub fn n_items(&self) -> usize {
        self.n_items
    }
    /// Number of stored cells.
    pub fn nnz(&self) -> usize {
        self.user_items.len()
    }
    /// Number of cells with an explicit rating.
    pub fn n_rated(&self) -> usize {
        self.n_rated
    }
    /// Mean of the explicit ratings (0 if there are none).
    pub fn global_mean(&self) -> f32 {
        self.global_mean
    }
    /// Items of a user, sorted by index.
    pub fn user_items(&self, u: UserIdx) -> &[ItemIdx] {
        &self.user_items[self.user_ptr[u.ix()]..self.user_ptr[u.ix() + 1]]
    }
    /// Ratings of a user, aligned with [`Self::user_items`] (NaN = implicit only).
    pub fn user_ratings(&self, u: UserIdx) -> &[f32] {
        &self.user_ratings[self.user_ptr[u.ix()]..self.user_ptr[u.ix() + 1]]
    }
    /// Implicit confidences of a user, aligned with [`Self::user_items`].
    pub fn user_confidence(&self, u: UserIdx) -> &[f32] {
        &self.user_conf[self.user_ptr[u.ix()]..self.user_ptr[u.ix() + 1]]
    }
    /// Timestamps of a user, aligned with [`Self::user_items`].
    pub fn user_timestamps(&self, u: UserIdx) -> &[i64] {
        &self.user_ts[self.user_ptr[u.ix()]..self.user_ptr[u.ix() + 1]]
    }
    /// Users of an item, sorted by index.
    pub fn item_users(&self, i: ItemIdx) -> &[UserIdx] {
        &self.item_users[self.item_ptr[i.ix()]..self.item_ptr[i.ix() + 1]]
    }
    /// Ratings of an item, aligned with [`Self::item_users`].
    pub fn item_ratings(&self, i: ItemIdx) -> &[f32] {
        &self.item_ratings[self.item_ptr[i.ix()]..self.item_ptr[i.ix() + 1]]
    }
    /// Implicit confidences of an item, aligned with [`Self::item_users`].
    pub fn item_confidence(&self, i: ItemIdx) -> &[f32] {
        &self.item_conf[self.item_ptr[i.ix()]..self.item_ptr[i.ix() + 1]]
    }
    /// Number of interactions of a user.
    pub fn user_len(&self, u: UserIdx) -> usize {
        self.user_ptr[u.ix() + 1] - self.user_ptr[u.ix()]
    }
    /// Number of interactions of an item.
    pub fn item_len(&self, i: ItemIdx) -> usize {
        self.item_ptr[i.ix() + 1] - self.item_ptr[i.ix()]
    }
    /// The full history of a training user, as a scorer input.
    pub fn history(&self, u: UserIdx) -> UserHistory<'_> {
        UserHistory {
            user: Some(u),
            items: self.user_items(u),
            ratings: self.user_ratings(u),
            confidence: self.user_confidence(u),
            timestamps: self.user_timestamps(u),
            folded: None,
            demographics: None,
        }
    }
    /// Row offsets (length n_users + 1) into the user-major arrays.
    pub fn user_ptr(&self) -> &[usize] {
        &self.user_ptr
    }
    /// Column offsets (length n_items + 1) into the item-major arrays.
    pub fn item_ptr(&self) -> &[usize] {
        &self.item_ptr
    }
    /// Largest timestamp stored (0 if empty).
    pub fn max_timestamp(&self) -> i64 {
        self.user_ts.iter().copied().max().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_keep_the_latest_rating_and_transpose_matches() {
        let t = |u, i, r, ts| Triplet {
            user: UserIdx(u),
            item: ItemIdx(i),
            rating: r,
            confidence: 1.0,
            timestamp: ts,
        };
        let m = Interactions::from_triplets(
            2,
            3,
            &[
                t(0, 2, 4.0, 5),
                t(0, 2, 2.0, 1),
                t(1, 0, 3.0, 0),
                t(0, 0, 5.0, 0),
            ],
        )
        .unwrap();
        assert_eq!(m.nnz(), 3);
        assert_eq!(m.user_items(UserIdx(0)), &[ItemIdx(0), ItemIdx(2)]);
        assert_eq!(m.user_ratings(UserIdx(0)), &[5.0, 4.0]);
        assert_eq!(m.user_confidence(UserIdx(0)), &[1.0, 2.0]);
        assert_eq!(m.item_users(ItemIdx(0)), &[UserIdx(0), UserIdx(1)]);
        assert_eq!(m.item_len(ItemIdx(1)), 0);
        assert!((m.global_mean() - 4.0).abs() < 1e-6);
        assert!(Interactions::from_triplets(1, 1, &[t(0, 1, 1.0, 0)]).is_err());
    }
}
