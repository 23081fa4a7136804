//! Deterministic train/test splits over a list of interactions.
//!
//! | protocol        | meaning                                                                  |
//! |-----------------|--------------------------------------------------------------------------|
//! | `kfold:K`       | shuffle all interactions (seeded), fold `f` tests every K-th one          |
//! | `holdout:F`     | shuffle all interactions (seeded), the last fraction `F` is the test set  |
//! | `temporal:F`    | sort by time (ties by position), the latest fraction `F` is the test set  |
//! | `leave-last:N`  | per user with more than N interactions, their latest N are the test set   |

use crate::recommender::RecommendError;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// An evaluation protocol.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Protocol {
    /// K-fold cross-validation over interactions.
    KFold(usize),
    /// Random holdout of a fraction of the interactions.
    Holdout(f64),
    /// Global temporal split: the latest fraction is the test set.
    Temporal(f64),
    /// The latest N interactions of every user are the test set.
    LeaveLast(usize),
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Protocol::KFold(k) => write!(f, "kfold:{k}"),
            Protocol::Holdout(x) => write!(f, "holdout:{x}"),
            Protocol::Temporal(x) => write!(f, "temporal:{x}"),
            Protocol::LeaveLast(n) => write!(f, "leave-last:{n}"),
        }
    }
}

impl FromStr for Protocol {
    type Err = RecommendError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |reason: &str| RecommendError::InvalidParam {
            name: "protocol",
            reason: format!(
                "`{s}`: {reason} (expected kfold:K, holdout:F, temporal:F or leave-last:N)"
            ),
        };
        let (kind, arg) = s.split_once(':').ok_or_else(|| bad("missing `:`"))?;
        let frac = || -> Result<f64, RecommendError> {
            let f: f64 = arg.trim().parse().map_err(|_| bad("not a number"))?;
            if f > 0.0 && f < 1.0 {
                Ok(f)
            } else {
                Err(bad("fraction must be in (0, 1)"))
            }
        };
        let count = || -> Result<usize, RecommendError> {
            let n: usize = arg.trim().parse().map_err(|_| bad("not an integer"))?;
            if n >= 1 {
                Ok(n)
            } else {
                Err(bad("must be at least 1"))
            }
        };
        match kind.trim() {
            "kfold" => {
                let k = count()?;
                if k < 2 {
                    return Err(bad("K must be at least 2"));
                }
                Ok(Protocol::KFold(k))
            }
            "holdout" => Ok(Protocol::Holdout(frac()?)),
            "temporal" => Ok(Protocol::Temporal(frac()?)),
            "leave-last" => Ok(Protocol::LeaveLast(count()?)),
            _ => Err(bad("unknown protocol")),
        }
    }
}

impl TryFrom<String> for Protocol {
    type Error = RecommendError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Protocol> for String {
    fn from(p: Protocol) -> Self {
        p.to_string()
    }
}

/// One train/test split: indices into the interaction list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fold {
    /// Training interactions (ascending indices).
    pub train: Vec<usize>,
    /// Test interactions (ascending indices).
    pub test: Vec<usize>,
}

/// Splits interactions given by their users and timestamps (parallel slices) under `protocol`,
/// deterministically for a given `seed`.
pub fn split(users: &[i64], timestamps: &[i64], protocol: Protocol, seed: u64) -> Vec<Fold> {
    let n = users.len().min(timestamps.len());
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let finish = |mut train: Vec<usize>, mut test: Vec<usize>| {
        train.sort_unstable();
        test.sort_unstable();
        Fold { train, test }
    };
    match protocol {
        Protocol::KFold(k) => {
            let mut idx: Vec<usize> = (0..n).collect();
            idx.shuffle(&mut rng);
            (0..k)
                .map(|f| {
                    let (mut tr, mut te) = (Vec::new(), Vec::new());
                    for (pos, &i) in idx.iter().enumerate() {
                        if pos % k == f {
                            te.push(i)
                        } else {
                            tr.push(i)
                        }
                    }
                    finish(tr, te)
                })
                .collect()
        }
        Protocol::Holdout(frac) => {
            let mut idx: Vec<usize> = (0..n).collect();
            idx.shuffle(&mut rng);
            let n_test = ((n as f64) * frac).round() as usize;
            let test = idx.split_off(n - n_test.min(n));
            vec![finish(idx, test)]
        }
        Protocol::Temporal(frac) => {
            let mut idx: Vec<usize> = (0..n).collect();
            idx.sort_by_key(|&i| (timestamps[i], i));
            let n_test = ((n as f64) * frac).round() as usize;
            let test = idx.split_off(n - n_test.min(n));
            vec![finish(idx, test)]
        }
        Protocol::LeaveLast(k) => {
            let mut idx: Vec<usize> = (0..n).collect();
            idx.sort_by_key(|&i| (users[i], timestamps[i], i));
            let (mut tr, mut te) = (Vec::new(), Vec::new());
            let mut start = 0;
            while start < n {
                let mut end = start;
                while end < n && users[idx[end]] == users[idx[start]] {
                    end += 1;
                }
                let len = end - start;
                let cut = if len > k { end - k } else { end };
                tr.extend_from_slice(&idx[start..cut]);
                te.extend_from_slice(&idx[cut..end]);
                start = end;
            }
            vec![finish(tr, te)]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> (Vec<i64>, Vec<i64>) {
        let users: Vec<i64> = (0..200).map(|i| i % 7).collect();
        let ts: Vec<i64> = (0..200).map(|i| (i * 37) % 101).collect();
        (users, ts)
    }

    fn check_partition(f: &Fold, n: usize) {
        let mut all: Vec<usize> = f.train.iter().chain(&f.test).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..n).collect::<Vec<_>>(), "disjoint and covering");
    }

    #[test]
    fn protocols_parse_and_print() {
        for s in ["kfold:5", "holdout:0.2", "temporal:0.1", "leave-last:1"] {
            assert_eq!(s.parse::<Protocol>().unwrap().to_string(), s);
        }
        for s in ["kfold:1", "holdout:1.5", "nope:3", "kfold"] {
            assert!(s.parse::<Protocol>().is_err(), "{s}");
        }
    }

    #[test]
    fn kfold_test_sets_are_disjoint_and_cover_everything() {
        let (u, t) = data();
        let folds = split(&u, &t, Protocol::KFold(5), 1);
        assert_eq!(folds.len(), 5);
        let mut tests: Vec<usize> = folds.iter().flat_map(|f| f.test.clone()).collect();
        tests.sort_unstable();
        assert_eq!(tests, (0..200).collect::<Vec<_>>());
        for f in &folds {
            check_partition(f, 200);
            assert_eq!(f.test.len(), 40);
        }
    }

    #[test]
    fn splits_are_deterministic_by_seed() {
        let (u, t) = data();
        for p in [Protocol::KFold(3), Protocol::Holdout(0.2)] {
            assert_eq!(split(&u, &t, p, 9), split(&u, &t, p, 9));
            assert_ne!(split(&u, &t, p, 9), split(&u, &t, p, 10));
        }
        let h = split(&u, &t, Protocol::Holdout(0.2), 3);
        check_partition(&h[0], 200);
        assert_eq!(h[0].test.len(), 40);
    }

    #[test]
    fn temporal_split_respects_time() {
        let (u, t) = data();
        let f = &split(&u, &t, Protocol::Temporal(0.25), 0)[0];
        check_partition(f, 200);
        let last_train = f.train.iter().map(|&i| t[i]).max().unwrap();
        let first_test = f.test.iter().map(|&i| t[i]).min().unwrap();
        assert!(last_train <= first_test);
    }

    #[test]
    fn leave_last_takes_each_users_latest() {
        let (u, t) = data();
        let f = &split(&u, &t, Protocol::LeaveLast(2), 0)[0];
        check_partition(f, 200);
        assert_eq!(f.test.len(), 14);
        for &i in &f.test {
            let later_train = f.train.iter().any(|&j| u[j] == u[i] && t[j] > t[i]);
            assert!(!later_train);
        }
    }
}
