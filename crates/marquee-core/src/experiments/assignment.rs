//! Deterministic assignment: a user's place in an experiment depends only on their key and the
//! experiment's salt, so it is the same on every request, every replica and after a restart,
//! and never changes while the experiment runs.
//!
//! Two hashes, after Tang et al., "Overlapping experiment infrastructure" (KDD 2010):
//! - the **layer** bucket, `bucket(layer, user)`, decides whether an experiment claims the user
//!   at all. Experiments that share a layer (a surface, unless declared orthogonal) claim
//!   disjoint [`TrafficRange`]s of it, so no user is in two of them; an orthogonal experiment
//!   has a layer of its own, independent of the others;
//! - the **variant** bucket, `bucket(salt, user)`, picks the variant among those the
//!   experiment claims, by the [`Allocation`]'s shares. Using a second, independent hash keeps
//!   the split of the claimed users at the shares whatever the traffic range is.
//!
//! A bucket is the first 8 bytes of SHA-256(`key` ‖ 0x1F ‖ `user`), big-endian, modulo
//! [`BUCKETS`] (the modulo bias is below 10⁻¹⁵).
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::ExperimentError;

/// Buckets per hash: shares and traffic ranges are whole basis points.
pub const BUCKETS: u32 = 10_000;

/// The bucket, in `[0, BUCKETS)`, of `user` under `key` (a layer or an experiment's salt).
pub fn bucket(key: &str, user: &str) -> u32 {
    let mut h = Sha256::new();
    h.update(key.as_bytes());
    h.update([0x1F]);
    h.update(user.as_bytes());
    let digest = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    (u64::from_be_bytes(first) % u64::from(BUCKETS)) as u32
}

/// The part of a layer an experiment claims: layer buckets `start..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrafficRange {
    /// First bucket claimed.
    pub start: u32,
    /// One past the last bucket claimed.
    pub end: u32,
}

impl TrafficRange {
    /// The whole layer.
    pub const ALL: TrafficRange = TrafficRange {
        start: 0,
        end: BUCKETS,
    };

    /// The range `[from, to)` given as fractions of the layer (0 ≤ from < to ≤ 1), rounded to
    /// whole buckets.
    pub fn from_fractions(from: f64, to: f64) -> Result<Self, ExperimentError> {
        if !(from.is_finite() && to.is_finite() && 0.0 <= from && from < to && to <= 1.0) {
            return Err(ExperimentError::Traffic(format!(
                "traffic is a range from..to with 0 ≤ from < to ≤ 1, not {from}..{to}"
            )));
        }
        let start = (from * f64::from(BUCKETS)).round() as u32;
        let end = (to * f64::from(BUCKETS)).round() as u32;
        if start >= end {
            return Err(ExperimentError::Traffic(format!(
                "traffic {from}..{to} is narrower than one bucket in {BUCKETS}"
            )));
        }
        Ok(TrafficRange { start, end })
    }

    /// The fraction of the layer claimed.
    pub fn fraction(&self) -> f64 {
        f64::from(self.end - self.start) / f64::from(BUCKETS)
    }

    /// Whether the two ranges share a bucket.
    pub fn overlaps(&self, other: &TrafficRange) -> bool {
        self.start < other.end && other.start < self.end
    }

    /// Whether a user in layer bucket `b` is claimed.
    pub fn contains(&self, b: u32) -> bool {
        (self.start..self.end).contains(&b)
    }
}

/// How an experiment's users are split between its variants: each variant's share, in
/// buckets, adding up to [`BUCKETS`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allocation {
    buckets: Vec<u32>,
}

impl Allocation {
    /// From shares (each in (0, 1], adding up to 1 within 10⁻⁶), 2 to 5 of them. Shares are
    /// rounded to whole buckets by largest remainder, so they add up exactly.
    pub fn new(shares: &[f64]) -> Result<Self, ExperimentError> {
        if !(2..=5).contains(&shares.len()) {
            return Err(ExperimentError::VariantCount(shares.len()));
        }
        if let Some(bad) = shares
            .iter()
            .find(|s| !(s.is_finite() && **s > 0.0 && **s <= 1.0))
        {
            return Err(ExperimentError::Shares(format!(
                "each variant's traffic share is in (0, 1], not {bad}"
            )));
        }
        let total: f64 = shares.iter().sum();
        if (total - 1.0).abs() > 1e-6 {
            return Err(ExperimentError::Shares(format!(
                "the variants' traffic shares add up to {total}, not 1"
            )));
        }
        let exact: Vec<f64> = shares.iter().map(|s| s * f64::from(BUCKETS)).collect();
        let mut buckets: Vec<u32> = exact.iter().map(|x| x.floor() as u32).collect();
        let mut order: Vec<usize> = (0..shares.len()).collect();
        order.sort_by(|&a, &b| {
            (exact[b] - exact[b].floor())
                .total_cmp(&(exact[a] - exact[a].floor()))
                .then(a.cmp(&b))
        });
        let mut missing = BUCKETS - buckets.iter().sum::<u32>();
        for i in order.into_iter().cycle() {
            if missing == 0 {
                break;
            }
            buckets[i] += 1;
            missing -= 1;
        }
        if buckets.contains(&0) {
            return Err(ExperimentError::Shares(format!(
                "a variant's share is below one bucket in {BUCKETS}"
            )));
        }
        Ok(Allocation { buckets })
    }

    /// An even split between `n` variants.
    pub fn even(n: usize) -> Result<Self, ExperimentError> {
        Allocation::new(&vec![1.0 / n as f64; n])
    }

    /// Each variant's share of the claimed users.
    pub fn shares(&self) -> Vec<f64> {
        self.buckets
            .iter()
            .map(|b| f64::from(*b) / f64::from(BUCKETS))
            .collect()
    }

    /// Number of variants.
    pub fn len(&self) -> usize {
        self.buckets.len()
    }

    /// Never true: an allocation has at least two variants.
    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }

    /// The variant of a user in variant bucket `b`.
    pub fn variant_of(&self, b: u32) -> usize {
        let mut upper = 0;
        for (i, width) in self.buckets.iter().enumerate() {
            upper += width;
            if b < upper {
                return i;
            }
        }
        self.buckets.len() - 1
    }

    /// The variant `user` gets in the experiment salted `salt`.
    pub fn assign(&self, salt: &str, user: &str) -> usize {
        self.variant_of(bucket(salt, user))
    }
}

/// Where one experiment claims users: its layer, its range of that layer, its salt and split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    /// The layer key (the surface, or the experiment's own salt when orthogonal).
    pub layer: String,
    /// The part of the layer claimed.
    pub traffic: TrafficRange,
    /// The experiment's salt.
    pub salt: String,
    /// The split between variants.
    pub allocation: Allocation,
}

impl Claim {
    /// The variant `user` gets, or `None` when the experiment does not claim them.
    pub fn variant(&self, user: &str) -> Option<usize> {
        self.traffic
            .contains(bucket(&self.layer, user))
            .then(|| self.allocation.assign(&self.salt, user))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_bucket_is_the_first_eight_bytes_of_the_sha256_modulo_ten_thousand() {
        // Computed independently with Python's hashlib:
        // int.from_bytes(sha256((key + "\x1f" + user).encode()).digest()[:8], "big") % 10000
        assert_eq!(bucket("exp-1", "user-7"), 1563);
        assert_eq!(bucket("RECOMMENDATIONS", "42"), 9952);
        // The separator keeps ("ab", "c") and ("a", "bc") apart.
        assert_ne!(bucket("ab", "c"), bucket("a", "bc"));
    }

    #[test]
    fn shares_round_to_whole_buckets_that_add_up() {
        let a = Allocation::new(&[1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0]).unwrap();
        assert_eq!(a.buckets.iter().sum::<u32>(), BUCKETS);
        assert_eq!(a.buckets, vec![3334, 3333, 3333]);
        let b = Allocation::new(&[0.9, 0.1]).unwrap();
        assert_eq!(b.buckets, vec![9000, 1000]);
        assert_eq!(b.variant_of(8999), 0);
        assert_eq!(b.variant_of(9000), 1);
        assert_eq!(b.variant_of(9999), 1);
    }

    #[test]
    fn bad_splits_are_refused_with_the_reason() {
        assert_eq!(
            Allocation::new(&[1.0]),
            Err(ExperimentError::VariantCount(1))
        );
        assert_eq!(
            Allocation::new(&[0.2; 6]),
            Err(ExperimentError::VariantCount(6))
        );
        assert!(matches!(
            Allocation::new(&[0.5, 0.6]),
            Err(ExperimentError::Shares(m)) if m.contains("add up to 1.1")
        ));
        assert!(matches!(
            Allocation::new(&[1.0, 0.0]),
            Err(ExperimentError::Shares(_))
        ));
        assert!(matches!(
            Allocation::new(&[0.99999, 0.00001]),
            Err(ExperimentError::Shares(m)) if m.contains("below one bucket")
        ));
        assert!(Allocation::new(&[f64::NAN, 0.5]).is_err());
        assert!(TrafficRange::from_fractions(0.5, 0.5).is_err());
        assert!(TrafficRange::from_fractions(-0.1, 0.5).is_err());
        assert!(TrafficRange::from_fractions(0.2, 1.5).is_err());
    }

    #[test]
    fn ranges_overlap_only_when_they_share_a_bucket() {
        let a = TrafficRange::from_fractions(0.0, 0.5).unwrap();
        let b = TrafficRange::from_fractions(0.5, 1.0).unwrap();
        let c = TrafficRange::from_fractions(0.4, 0.6).unwrap();
        assert!(!a.overlaps(&b) && !b.overlaps(&a));
        assert!(a.overlaps(&c) && c.overlaps(&b));
        assert!(a.contains(4999) && !a.contains(5000) && b.contains(5000));
        assert_eq!(c.fraction(), 0.2);
    }

    #[test]
    fn users_split_at_the_shares_and_the_two_hashes_are_independent() {
        // 20 000 users, a claim of 40 % of the layer, variants 50/30/20: the claimed fraction
        // and the split are within 4 standard errors of what was asked, and the variant split
        // inside the claimed range is the same as outside it (independent hashes).
        let claim = Claim {
            layer: "RECOMMENDATIONS".into(),
            traffic: TrafficRange::from_fractions(0.3, 0.7).unwrap(),
            salt: "salt-42".into(),
            allocation: Allocation::new(&[0.5, 0.3, 0.2]).unwrap(),
        };
        let n = 20_000;
        let mut counts = [0usize; 3];
        let mut claimed = 0;
        for u in 0..n {
            if let Some(v) = claim.variant(&format!("user-{u}")) {
                claimed += 1;
                counts[v] += 1;
            }
        }
        let within = |observed: usize, trials: usize, p: f64| {
            let sd = (trials as f64 * p * (1.0 - p)).sqrt();
            (observed as f64 - trials as f64 * p).abs() < 4.0 * sd
        };
        assert!(within(claimed, n, 0.4), "claimed {claimed} of {n}");
        for (v, p) in [0.5, 0.3, 0.2].into_iter().enumerate() {
            assert!(
                within(counts[v], claimed, p),
                "variant {v}: {counts:?} of {claimed}"
            );
        }
    }

    proptest! {
        #[test]
        fn assignment_is_a_function_of_salt_and_user(salt in ".{0,20}", user in ".{0,20}") {
            let a = Allocation::new(&[0.25, 0.25, 0.5]).unwrap();
            let v = a.assign(&salt, &user);
            prop_assert!(v < 3);
            prop_assert_eq!(v, a.clone().assign(&salt, &user));
            prop_assert!(bucket(&salt, &user) < BUCKETS);
        }

        #[test]
        fn any_valid_shares_give_an_allocation_covering_every_bucket(
            raw in proptest::collection::vec(1u32..1000, 2..=5)
        ) {
            let total: u32 = raw.iter().sum();
            let shares: Vec<f64> = raw.iter().map(|r| f64::from(*r) / f64::from(total)).collect();
            if let Ok(a) = Allocation::new(&shares) {
                prop_assert_eq!(a.buckets.iter().sum::<u32>(), BUCKETS);
                for (got, want) in a.shares().iter().zip(&shares) {
                    prop_assert!((got - want).abs() <= 1.0 / f64::from(BUCKETS));
                }
                prop_assert_eq!(a.variant_of(BUCKETS - 1), shares.len() - 1);
            }
        }
    }
}
