//! The statistics of an experiment's results. The unit is the user (assignment is per user, so
//! a user's events are not independent of each other): a per-user metric is a mean over users;
//! a rate such as click-through is a ratio of per-user sums, whose variance comes from the delta
//! method (Deng et al., "Applying the delta method in metric analytics", KDD 2018). Variants are
//! compared with a two-sided z-test on the difference of two independent estimates, and the
//! split of users is checked against the shares with Pearson's χ² (a sample-ratio mismatch).
//! Intervals are 95 %.
use serde::Serialize;
use statrs::distribution::{ChiSquared, ContinuousCDF, Normal};

/// The 97.5th percentile of the standard normal.
const Z_95: f64 = 1.959_963_984_540_054;

/// p below this flags a sample-ratio mismatch (the usual, deliberately strict threshold: a
/// mismatch means the assignment or the logging is broken, and the results cannot be trusted).
pub const SRM_ALPHA: f64 = 0.001;

/// An estimate with its standard error and 95 % interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Estimate {
    /// The value.
    pub value: f64,
    /// Its standard error (0 when there are fewer than two users).
    pub std_err: f64,
    /// Lower end of the 95 % interval.
    pub low: f64,
    /// Upper end of the 95 % interval.
    pub high: f64,
    /// Users it is computed from.
    pub users: usize,
}

impl Estimate {
    fn new(value: f64, std_err: f64, users: usize) -> Self {
        Estimate {
            value,
            std_err,
            low: value - Z_95 * std_err,
            high: value + Z_95 * std_err,
            users,
        }
    }
}

fn avg(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

/// Sample covariance (n − 1).
fn cov(x: &[f64], mx: f64, y: &[f64], my: f64) -> f64 {
    x.iter()
        .zip(y)
        .map(|(a, b)| (a - mx) * (b - my))
        .sum::<f64>()
        / (x.len() - 1) as f64
}

/// The mean over users of a per-user value; `None` without users.
pub fn mean(values: &[f64]) -> Option<Estimate> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let m = avg(values);
    let se = if n > 1 {
        (cov(values, m, values, m) / n as f64).sqrt()
    } else {
        0.0
    };
    Some(Estimate::new(m, se, n))
}

/// The ratio of sums `Σ num / Σ den` over users (e.g. clicks / items shown), with the delta
/// method's standard error:
/// `Var(x̄/ȳ) ≈ (s²ₓ − 2R·sₓᵧ + R²·s²ᵧ) / (n·ȳ²)`, `R = x̄/ȳ`.
/// `None` without users or when the denominators add up to 0.
pub fn ratio(num: &[f64], den: &[f64]) -> Option<Estimate> {
    assert_eq!(
        num.len(),
        den.len(),
        "one numerator and denominator per user"
    );
    let n = num.len();
    if n == 0 {
        return None;
    }
    let (mx, my) = (avg(num), avg(den));
    if my <= 0.0 {
        return None;
    }
    let r = mx / my;
    let se = if n > 1 {
        let var = (cov(num, mx, num, mx) - 2.0 * r * cov(num, mx, den, my)
            + r * r * cov(den, my, den, my))
            / (n as f64 * my * my);
        var.max(0.0).sqrt()
    } else {
        0.0
    };
    Some(Estimate::new(r, se, n))
}

/// A treatment against the control.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Comparison {
    /// treatment − control.
    pub difference: f64,
    /// The difference relative to the control (`None` when the control is 0).
    pub relative: Option<f64>,
    /// Lower end of the difference's 95 % interval.
    pub low: f64,
    /// Upper end of the difference's 95 % interval.
    pub high: f64,
    /// The z statistic.
    pub z: f64,
    /// Two-sided p-value (1 when neither estimate has any spread).
    pub p_value: f64,
}

/// Compares two independent estimates (users are in one variant only).
pub fn compare(control: &Estimate, treatment: &Estimate) -> Comparison {
    let difference = treatment.value - control.value;
    let se = (control.std_err.powi(2) + treatment.std_err.powi(2)).sqrt();
    let (z, p_value) = if se > 0.0 {
        let z = difference / se;
        let normal = Normal::standard();
        (z, 2.0 * (1.0 - normal.cdf(z.abs())))
    } else {
        (0.0, 1.0)
    };
    Comparison {
        difference,
        relative: (control.value != 0.0).then(|| difference / control.value),
        low: difference - Z_95 * se,
        high: difference + Z_95 * se,
        z,
        p_value,
    }
}

/// Pearson's χ² test of the users each variant got against the shares it should have got.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SampleRatio {
    /// The χ² statistic.
    pub chi_square: f64,
    /// Its p-value (variants − 1 degrees of freedom).
    pub p_value: f64,
    /// `p_value < SRM_ALPHA`: the split is not what was asked, so the results are suspect.
    pub mismatch: bool,
}

/// The sample-ratio check; `None` without users.
pub fn sample_ratio(observed: &[u64], shares: &[f64]) -> Option<SampleRatio> {
    assert_eq!(observed.len(), shares.len(), "one count per share");
    let total: u64 = observed.iter().sum();
    if total == 0 || observed.len() < 2 {
        return None;
    }
    let chi_square: f64 = observed
        .iter()
        .zip(shares)
        .map(|(o, s)| {
            let e = total as f64 * s;
            (*o as f64 - e).powi(2) / e
        })
        .sum();
    let dist = ChiSquared::new((observed.len() - 1) as f64).ok()?;
    let p_value = 1.0 - dist.cdf(chi_square);
    Some(SampleRatio {
        chi_square,
        p_value,
        mismatch: p_value < SRM_ALPHA,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn a_mean_has_the_standard_error_of_the_sample() {
        // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, sample variance 32/7, se = sqrt(32/7/8).
        let e = mean(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).unwrap();
        assert_eq!(e.value, 5.0);
        assert!(close(e.std_err, (32.0f64 / 7.0 / 8.0).sqrt(), 1e-12));
        assert!(close(e.low, 5.0 - 1.959964 * e.std_err, 1e-5));
        assert_eq!(e.users, 8);
        assert_eq!(mean(&[3.0]).unwrap().std_err, 0.0);
        assert!(mean(&[]).is_none());
    }

    #[test]
    fn a_ratio_uses_the_delta_method() {
        // Three users: clicks 1, 0, 3 of 4, 2, 6 shown. R = 4/12 = 1/3.
        // x̄ = 4/3, ȳ = 4; s²ₓ = 7/3, s²ᵧ = 4, sₓᵧ = 3 (by hand).
        // Var = (7/3 − 2·(1/3)·3 + (1/9)·4) / (3·16) = (7/3 − 2 + 4/9) / 48 = (7/9) / 48.
        let e = ratio(&[1.0, 0.0, 3.0], &[4.0, 2.0, 6.0]).unwrap();
        assert!(close(e.value, 1.0 / 3.0, 1e-12));
        assert!(close(e.std_err, (7.0f64 / 9.0 / 48.0).sqrt(), 1e-12));
        assert!(ratio(&[0.0], &[0.0]).is_none());
        assert!(ratio(&[], &[]).is_none());
    }

    #[test]
    fn a_ratio_with_equal_denominators_is_a_mean_of_rates() {
        // With every user shown 10 items, clicks/shown is the mean of the per-user rates.
        let clicks = [1.0, 3.0, 0.0, 2.0, 5.0];
        let e = ratio(&clicks, &[10.0; 5]).unwrap();
        let m = mean(&clicks.map(|c| c / 10.0)).unwrap();
        assert!(close(e.value, m.value, 1e-12));
        assert!(close(e.std_err, m.std_err, 1e-12));
    }

    #[test]
    fn a_comparison_is_a_two_sided_z_test() {
        let c = Estimate::new(0.10, 0.01, 1000);
        let t = Estimate::new(0.13, 0.01, 1000);
        let cmp = compare(&c, &t);
        assert!(close(cmp.difference, 0.03, 1e-12));
        assert!(close(cmp.relative.unwrap(), 0.3, 1e-12));
        // z = 0.03 / sqrt(2)·0.01 = 2.1213; two-sided p = 0.0339 (normal tables).
        assert!(close(cmp.z, 2.121_320, 1e-6));
        assert!(close(cmp.p_value, 0.033_895, 1e-5));
        assert!(cmp.low > 0.0);
        let flat = compare(&Estimate::new(0.0, 0.0, 1), &Estimate::new(0.0, 0.0, 1));
        assert_eq!((flat.p_value, flat.relative), (1.0, None));
    }

    #[test]
    fn the_sample_ratio_check_flags_a_broken_split() {
        // 5 000 / 5 000 asked, 5 100 / 4 900 seen: χ² = 4, p = 0.0455 — no mismatch at 0.001.
        let ok = sample_ratio(&[5100, 4900], &[0.5, 0.5]).unwrap();
        assert!(close(ok.chi_square, 4.0, 1e-12));
        assert!(close(ok.p_value, 0.045_500, 1e-5));
        assert!(!ok.mismatch);
        // 5 300 / 4 700: χ² = 36, p ≈ 2·10⁻⁹.
        let bad = sample_ratio(&[5300, 4700], &[0.5, 0.5]).unwrap();
        assert!(bad.mismatch && bad.p_value < 1e-8);
        // Three variants at 50/25/25, seen exactly: χ² = 0, p = 1.
        let exact = sample_ratio(&[500, 250, 250], &[0.5, 0.25, 0.25]).unwrap();
        assert_eq!((exact.chi_square, exact.mismatch), (0.0, false));
        assert!(sample_ratio(&[0, 0], &[0.5, 0.5]).is_none());
    }
}
