//! Content-based scorer: BM25 (or TF-IDF) vectors over generic item tokens (genres, people, tags,
//! overview words — the server decides, e.g. `"genre:Drama"`, `"director:Michael Mann"`), a user
//! profile from liked minus disliked items, cosine scores. Serves items that have no ratings.

use super::capabilities::{ForgetUser, SimilarItems};
use super::interactions::Interactions;
use super::{Evidence, Fit, ItemIdx, RecommendError, Scorer, UserHistory, UserIdx};
use ndarray::Array1;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Term weighting scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Weighting {
    /// `tf · (ln(N / df) + 1)`.
    TfIdf,
    /// Okapi BM25 term weights.
    Bm25,
}

/// Hyperparameters of [`Content`] (`[recommender.content]`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ContentParams {
    /// Term weighting.
    pub weighting: Weighting,
    /// BM25 term-frequency saturation.
    pub k1: f32,
    /// BM25 length normalisation.
    pub b: f32,
    /// Tokens found on fewer items are dropped.
    pub min_df: usize,
}

impl Default for ContentParams {
    fn default() -> Self {
        ContentParams {
            weighting: Weighting::Bm25,
            k1: 1.2,
            b: 0.75,
            min_df: 1,
        }
    }
}

/// Content-based model.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Content {
    n_terms: usize,
    vocabulary: Vec<String>,
    /// L2-normalised sparse vector per item (term id, weight), sorted by term id.
    items: Vec<Vec<(u32, f32)>>,
}

impl Content {
    /// Builds item vectors from tokens; `n_items` sizes the catalogue (items without tokens get
    /// empty vectors).
    pub fn fit_with(
        n_items: usize,
        tokens: &[(ItemIdx, Vec<String>)],
        p: &ContentParams,
    ) -> Result<Self, RecommendError> {
        let mut term_ids: HashMap<&str, u32> = HashMap::new();
        let mut vocabulary: Vec<String> = Vec::new();
        let mut df: Vec<usize> = Vec::new();
        let mut raw: Vec<Vec<(u32, f32)>> = vec![Vec::new(); n_items];
        for (item, toks) in tokens {
            if item.ix() >= n_items {
                return Err(RecommendError::IndexOutOfRange);
            }
            let mut counts: HashMap<u32, f32> = HashMap::new();
            for t in toks {
                let t = t.as_str();
                let id = *term_ids.entry(t).or_insert_with(|| {
                    vocabulary.push(t.to_string());
                    df.push(0);
                    (vocabulary.len() - 1) as u32
                });
                *counts.entry(id).or_default() += 1.0;
            }
            for &id in counts.keys() {
                df[id as usize] += 1;
            }
            raw[item.ix()].extend(counts);
        }
        let n_docs = tokens.len().max(1) as f32;
        let avg_len = raw
            .iter()
            .map(|v| v.iter().map(|x| x.1).sum::<f32>())
            .sum::<f32>()
            / raw.iter().filter(|v| !v.is_empty()).count().max(1) as f32;
        let items = raw
            .into_iter()
            .map(|mut v| {
                let len: f32 = v.iter().map(|x| x.1).sum();
                v.retain(|&(t, _)| df[t as usize] >= p.min_df);
                for (t, w) in v.iter_mut() {
                    let d = df[*t as usize] as f32;
                    *w = match p.weighting {
                        Weighting::TfIdf => *w * ((n_docs / d).ln() + 1.0),
                        Weighting::Bm25 => {
                            let idf = ((n_docs - d + 0.5) / (d + 0.5) + 1.0).ln();
                            let norm = p.k1 * (1.0 - p.b + p.b * len / avg_len.max(1e-6));
                            idf * *w * (p.k1 + 1.0) / (*w + norm)
                        }
                    };
                }
                let n = v.iter().map(|x| x.1 * x.1).sum::<f32>().sqrt();
                if n > 0.0 {
                    v.iter_mut().for_each(|x| x.1 /= n);
                }
                v.sort_unstable_by_key(|x| x.0);
                v
            })
            .collect();
        Ok(Content {
            n_terms: vocabulary.len(),
            vocabulary,
            items,
        })
    }

    /// Per-item preference weights: rating minus the user's mean (liked minus disliked), or the
    /// signed implicit confidence; all-equal ratings count as liked.
    fn preferences(&self, user: &UserHistory<'_>) -> Vec<(ItemIdx, f32)> {
        let mean = user.mean_rating();
        let mut out: Vec<(ItemIdx, f32)> = Vec::new();
        for k in 0..user.items.len() {
            let r = user.ratings.get(k).copied().unwrap_or(f32::NAN);
            let c = user.confidence.get(k).copied().unwrap_or(0.0);
            let w = match mean {
                Some(m) if !r.is_nan() => r - m,
                _ => c,
            };
            out.push((user.items[k], w));
        }
        if !out.is_empty() && out.iter().all(|x| x.1 == 0.0) {
            out.iter_mut().for_each(|x| x.1 = 1.0);
        }
        out
    }

    fn profile(&self, user: &UserHistory<'_>) -> Vec<f32> {
        let mut prof = vec![0f32; self.n_terms];
        for (i, w) in self.preferences(user) {
            if let Some(v) = self.items.get(i.ix()) {
                for &(t, x) in v {
                    prof[t as usize] += w * x;
                }
            }
        }
        let n = prof.iter().map(|x| x * x).sum::<f32>().sqrt();
        if n > 0.0 {
            prof.iter_mut().for_each(|x| *x /= n);
        }
        prof
    }

    fn cosine(&self, a: ItemIdx, b: ItemIdx) -> f32 {
        let (Some(x), Some(y)) = (self.items.get(a.ix()), self.items.get(b.ix())) else {
            return 0.0;
        };
        let (mut i, mut j, mut s) = (0, 0, 0f32);
        while i < x.len() && j < y.len() {
            match x[i].0.cmp(&y[j].0) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    s += x[i].1 * y[j].1;
                    i += 1;
                    j += 1;
                }
            }
        }
        s
    }

    /// Liked items whose content is closest to `item`.
    pub fn explain(&self, user: &UserHistory<'_>, item: ItemIdx, n: usize) -> Vec<Evidence> {
        let mut ev: Vec<Evidence> = self
            .preferences(user)
            .into_iter()
            .filter(|x| x.1 > 0.0)
            .map(|(j, w)| {
                let k = user.items.iter().position(|&x| x == j).unwrap_or(0);
                Evidence {
                    item: j,
                    rating: user.ratings.get(k).copied().unwrap_or(f32::NAN),
                    weight: self.cosine(item, j) * w,
                }
            })
            .filter(|e| e.weight > 0.0)
            .collect();
        ev.sort_by(|a, b| b.weight.total_cmp(&a.weight).then(a.item.cmp(&b.item)));
        ev.truncate(n);
        ev
    }

    /// Token vocabulary (term id → token).
    pub fn vocabulary(&self) -> &[String] {
        &self.vocabulary
    }
}

/// The items with the most similar content (positive cosine only).
impl SimilarItems for Content {
    fn similar_items(&self, item: ItemIdx, n: usize) -> Vec<(ItemIdx, f32)> {
        let cands = super::all_items(self.items.len());
        let scores: Vec<f32> = cands.iter().map(|&c| self.cosine(item, c)).collect();
        super::rank_scores(&cands, &scores, &[item], &[], n)
            .into_iter()
            .filter(|x| x.1 > 0.0)
            .collect()
    }
}

/// No-op: item vectors come from item tokens only, and the user profile is built from the
/// history passed in on every call; the model holds nothing about any user.
impl ForgetUser for Content {
    fn forget_user(&mut self, _: UserIdx) {}
}

impl Fit for Content {
    type Params = ContentParams;
    /// Without tokens every item has an empty vector; use [`Content::fit_with`].
    fn fit(data: &Interactions, p: &ContentParams) -> Result<Self, RecommendError> {
        Self::fit_with(data.n_items(), &[], p)
    }
}

impl Scorer for Content {
    fn name(&self) -> &'static str {
        "content"
    }
    fn score(&self, user: &UserHistory<'_>, candidates: &[ItemIdx]) -> Array1<f32> {
        let prof = self.profile(user);
        candidates
            .iter()
            .map(|i| match self.items.get(i.ix()) {
                Some(v) => v.iter().map(|&(t, x)| prof[t as usize] * x).sum(),
                None => f32::NAN,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recommender::contract::{
        assert_forget_contract, assert_scorer_contract, assert_similar_contract, fixture,
    };
    use crate::recommender::{top_n, OwnedHistory};

    #[test]
    fn content_passes_the_contract() {
        for w in [Weighting::Bm25, Weighting::TfIdf] {
            let p = ContentParams {
                weighting: w,
                ..Default::default()
            };
            assert_scorer_contract(
                |f| Content::fit_with(f.data.n_items(), &f.tokens, &p).unwrap(),
                true,
            );
        }
    }

    #[test]
    fn content_passes_the_forget_and_similar_items_contracts() {
        let fit = |f: &crate::recommender::contract::Fixture| {
            Content::fit_with(f.data.n_items(), &f.tokens, &Default::default()).unwrap()
        };
        assert_forget_contract(fit);
        assert_similar_contract(&fit(&fixture()));
    }

    #[test]
    fn items_without_ratings_can_be_recommended_and_explained() {
        let toks = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let tokens = vec![
            (ItemIdx(0), toks(&["genre:Crime", "director:Mann"])),
            (ItemIdx(1), toks(&["genre:Comedy"])),
            (
                ItemIdx(2),
                toks(&["genre:Crime", "director:Mann", "actor:De Niro"]),
            ), // unrated
        ];
        let m = Content::fit_with(3, &tokens, &Default::default()).unwrap();
        let mut h = OwnedHistory::default();
        h.rate(ItemIdx(0), 5.0);
        h.rate(ItemIdx(1), 1.0);
        let got = top_n(&m, &h.view(), &crate::recommender::all_items(3), 1, &[]);
        assert_eq!(got[0].0, ItemIdx(2));
        let ev = m.explain(&h.view(), ItemIdx(2), 3);
        assert_eq!(ev.len(), 1);
        assert_eq!((ev[0].item, ev[0].rating), (ItemIdx(0), 5.0));
        assert_eq!(m.similar_items(ItemIdx(0), 5)[0].0, ItemIdx(2));
        let _ = fixture();
    }
}
