//! Small dense kernels written so that the compiler vectorises them (no BLAS).

/// Dot product with 32 independent accumulator lanes (four 8-lane vectors, so the adds do not
/// form one long dependency chain; vectorises without fast-math).
#[inline(always)]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0f32; 32];
    let ca = a.chunks_exact(32);
    let cb = b.chunks_exact(32);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..32 {
            acc[l] += x[l] * y[l];
        }
    }
    let c8a = ra.chunks_exact(8);
    let c8b = rb.chunks_exact(8);
    let (ra, rb) = (c8a.remainder(), c8b.remainder());
    for (x, y) in c8a.zip(c8b) {
        for l in 0..8 {
            acc[l] += x[l] * y[l];
        }
    }
    let mut v = [0f32; 8];
    for l in 0..8 {
        v[l] = (acc[l] + acc[l + 8]) + (acc[l + 16] + acc[l + 24]);
    }
    let mut s = (v[0] + v[4]) + (v[1] + v[5]) + ((v[2] + v[6]) + (v[3] + v[7]));
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

/// Hints the CPU to fetch the cache lines of `row` (a no-op off x86_64).
#[inline(always)]
pub fn prefetch(row: &[f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let mut o = 0;
        while o < row.len() {
            // SAFETY: prefetching is a hint; the address is inside `row`.
            #[allow(unused_unsafe)]
            unsafe {
                _mm_prefetch::<_MM_HINT_T0>(row.as_ptr().add(o) as *const i8)
            };
            o += 16;
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = row;
}

/// `y += a * x`.
#[inline(always)]
pub fn axpy(a: f32, x: &[f32], y: &mut [f32]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

/// Whether the CPU supports AVX2 and FMA (checked once by `std`, cached).
#[inline]
pub fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Kernels that differ by instruction set. Generic code calls `S::dot`; the [`multiversion`]
/// macro instantiates it with [`Portable`] and, on x86_64 CPUs that have them, with [`Avx2`].
pub trait Simd {
    /// Dot product.
    fn dot(a: &[f32], b: &[f32]) -> f32;
    /// `out[n] = m[idx[n]] · x` for rows of width `k = x.len()` of the row-major matrix `m`.
    #[inline(always)]
    fn dots(m: &[f32], idx: &[u32], x: &[f32], out: &mut Vec<f32>) {
        let k = x.len();
        out.clear();
        out.extend(
            idx.iter()
                .map(|&j| Self::dot(&m[j as usize * k..(j as usize + 1) * k], x)),
        );
    }
    /// The fused SGD step of a factor pair: `p ← s·p + g·q`, `q ← s·q + g·p` (old values).
    #[inline(always)]
    fn sgd_step(p: &mut [f32], q: &mut [f32], shrink: f32, g: f32) {
        for (pf, qf) in p.iter_mut().zip(q.iter_mut()) {
            let (a, b) = (*pf, *qf);
            *pf = shrink * a + g * b;
            *qf = shrink * b + g * a;
        }
    }
    /// `acc += Σ_n coef[n] · m[idx[n]]` for rows of width `k = acc.len()`.
    #[inline(always)]
    fn axpy_rows(m: &[f32], idx: &[u32], coef: &[f32], acc: &mut [f32]) {
        let k = acc.len();
        for (&j, &c) in idx.iter().zip(coef) {
            axpy(c, &m[j as usize * k..(j as usize + 1) * k], acc);
        }
    }
}

/// Plain Rust kernels (auto-vectorised for the baseline target).
pub struct Portable;

impl Simd for Portable {
    #[inline(always)]
    fn dot(a: &[f32], b: &[f32]) -> f32 {
        dot(a, b)
    }
}

/// AVX2 + FMA kernels. Only used from code compiled with those features after a run-time check
/// (see [`multiversion`]).
#[cfg(target_arch = "x86_64")]
pub struct Avx2;

#[cfg(target_arch = "x86_64")]
impl Simd for Avx2 {
    #[inline(always)]
    fn dot(a: &[f32], b: &[f32]) -> f32 {
        // SAFETY: `Avx2` is only instantiated by `multiversion!` inside a function compiled with
        // AVX2 and FMA, which it calls only after checking that the CPU has both.
        unsafe { dot_avx2(a, b) }
    }
    #[inline(always)]
    fn sgd_step(p: &mut [f32], q: &mut [f32], shrink: f32, g: f32) {
        if !p.len().is_multiple_of(8) || p.len() != q.len() {
            return Portable::sgd_step(p, q, shrink, g);
        }
        // SAFETY: as for `dot`; equal lengths, a multiple of 8.
        unsafe { sgd_step_avx2(p, q, shrink, g) }
    }
    #[inline(always)]
    fn dots(m: &[f32], idx: &[u32], x: &[f32], out: &mut Vec<f32>) {
        let k = x.len();
        if !k.is_multiple_of(8) || idx.iter().any(|&j| (j as usize + 1) * k > m.len()) {
            return Portable::dots(m, idx, x, out);
        }
        out.clear();
        out.resize(idx.len(), 0.0);
        // SAFETY: as for `dot`; every row is in bounds (checked above) and k is a multiple of 8.
        unsafe { dots_avx2(m, idx, x, out) }
    }
    #[inline(always)]
    fn axpy_rows(m: &[f32], idx: &[u32], coef: &[f32], acc: &mut [f32]) {
        let k = acc.len();
        if !k.is_multiple_of(8) || idx.iter().any(|&j| (j as usize + 1) * k > m.len()) {
            return Portable::axpy_rows(m, idx, coef, acc);
        }
        // SAFETY: as for `dots`.
        unsafe { axpy_rows_avx2(m, idx, coef, acc) }
    }
}

/// `p ← s·p + g·q`, `q ← s·q + g·p` with FMAs; `p.len() == q.len()`, a multiple of 8.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn sgd_step_avx2(p: &mut [f32], q: &mut [f32], shrink: f32, g: f32) {
    use std::arch::x86_64::*;
    let (pp, pq) = (p.as_mut_ptr(), q.as_mut_ptr());
    let (s, gv) = (_mm256_set1_ps(shrink), _mm256_set1_ps(g));
    let mut c = 0;
    while c < p.len() {
        let a = _mm256_loadu_ps(pp.add(c));
        let b = _mm256_loadu_ps(pq.add(c));
        _mm256_storeu_ps(pp.add(c), _mm256_fmadd_ps(s, a, _mm256_mul_ps(gv, b)));
        _mm256_storeu_ps(pq.add(c), _mm256_fmadd_ps(s, b, _mm256_mul_ps(gv, a)));
        c += 8;
    }
}

/// Four rows at a time against one vector: the loads of `x` are shared.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn dots_avx2(m: &[f32], idx: &[u32], x: &[f32], out: &mut [f32]) {
    use std::arch::x86_64::*;
    let k = x.len();
    let (pm, px) = (m.as_ptr(), x.as_ptr());
    let hsum = |v: __m256| {
        let s4 = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
        let s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
        _mm_cvtss_f32(_mm_add_ss(s2, _mm_shuffle_ps::<1>(s2, s2)))
    };
    let quads = idx.chunks_exact(4);
    let rest = quads.remainder();
    let mut n = 0;
    for q in quads {
        let r = [
            pm.add(q[0] as usize * k),
            pm.add(q[1] as usize * k),
            pm.add(q[2] as usize * k),
            pm.add(q[3] as usize * k),
        ];
        let mut acc = [_mm256_setzero_ps(); 4];
        let mut c = 0;
        while c < k {
            let xv = _mm256_loadu_ps(px.add(c));
            for (a, row) in acc.iter_mut().zip(r) {
                *a = _mm256_fmadd_ps(_mm256_loadu_ps(row.add(c)), xv, *a);
            }
            c += 8;
        }
        for (o, a) in out[n..n + 4].iter_mut().zip(acc) {
            *o = hsum(a);
        }
        n += 4;
    }
    for &j in rest {
        out[n] = dot_avx2(&m[j as usize * k..(j as usize + 1) * k], x);
        n += 1;
    }
}

/// `acc += Σ coef[n] · m[idx[n]]`, four rows per pass over `acc`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn axpy_rows_avx2(m: &[f32], idx: &[u32], coef: &[f32], acc: &mut [f32]) {
    use std::arch::x86_64::*;
    let k = acc.len();
    let (pm, pa) = (m.as_ptr(), acc.as_mut_ptr());
    let n = idx.len().min(coef.len());
    let mut s = 0;
    while s + 4 <= n {
        let r = [
            pm.add(idx[s] as usize * k),
            pm.add(idx[s + 1] as usize * k),
            pm.add(idx[s + 2] as usize * k),
            pm.add(idx[s + 3] as usize * k),
        ];
        let cf = [
            _mm256_set1_ps(coef[s]),
            _mm256_set1_ps(coef[s + 1]),
            _mm256_set1_ps(coef[s + 2]),
            _mm256_set1_ps(coef[s + 3]),
        ];
        let mut c = 0;
        while c < k {
            let mut a = _mm256_loadu_ps(pa.add(c));
            for (row, cv) in r.iter().zip(cf) {
                a = _mm256_fmadd_ps(cv, _mm256_loadu_ps(row.add(c)), a);
            }
            _mm256_storeu_ps(pa.add(c), a);
            c += 8;
        }
        s += 4;
    }
    while s < n {
        let row = pm.add(idx[s] as usize * k);
        let cv = _mm256_set1_ps(coef[s]);
        let mut c = 0;
        while c < k {
            let a = _mm256_fmadd_ps(cv, _mm256_loadu_ps(row.add(c)), _mm256_loadu_ps(pa.add(c)));
            _mm256_storeu_ps(pa.add(c), a);
            c += 8;
        }
        s += 1;
    }
}

/// Dot product with four 8-lane FMA accumulators.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn dot_avx2(a: &[f32], b: &[f32]) -> f32 {
    use std::arch::x86_64::*;
    let n = a.len().min(b.len());
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    let mut acc = [_mm256_setzero_ps(); 4];
    let mut i = 0;
    while i + 32 <= n {
        for (q, acc) in acc.iter_mut().enumerate() {
            *acc = _mm256_fmadd_ps(
                _mm256_loadu_ps(pa.add(i + 8 * q)),
                _mm256_loadu_ps(pb.add(i + 8 * q)),
                *acc,
            );
        }
        i += 32;
    }
    while i + 8 <= n {
        acc[0] = _mm256_fmadd_ps(
            _mm256_loadu_ps(pa.add(i)),
            _mm256_loadu_ps(pb.add(i)),
            acc[0],
        );
        i += 8;
    }
    let v = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
    let s4 = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
    let s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    let mut s = _mm_cvtss_f32(_mm_add_ss(s2, _mm_shuffle_ps::<1>(s2, s2)));
    while i < n {
        s += *pa.add(i) * *pb.add(i);
        i += 1;
    }
    s
}

/// Defines `$name` calling the `#[inline(always)]` function `$generic::<S: Simd>` through a copy
/// compiled with AVX2 and FMA enabled (`S = Avx2`) when the CPU has them, else with
/// `S = Portable` (the portable build only assumes SSE2).
macro_rules! multiversion {
    ($(#[$m:meta])* $vis:vis fn $name:ident => $generic:ident ( $($arg:ident : $ty:ty),* $(,)? ) $(-> $ret:ty)?) => {
        $(#[$m])*
        #[allow(clippy::too_many_arguments)]
        $vis fn $name($($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2,fma")]
                #[allow(clippy::too_many_arguments)]
                fn avx2($($arg: $ty),*) $(-> $ret)? {
                    $generic::<$crate::recommender::linalg::Avx2>($($arg),*)
                }
                if $crate::recommender::linalg::has_avx2() {
                    // SAFETY: the CPU supports AVX2 and FMA (checked at run time just above).
                    return unsafe { avx2($($arg),*) };
                }
            }
            $generic::<$crate::recommender::linalg::Portable>($($arg),*)
        }
    };
}
pub(crate) use multiversion;

/// Solves `A x = b` for a symmetric positive definite `k × k` matrix (row-major, f64) by
/// Cholesky decomposition, in place: `a` is destroyed and `b` becomes `x`. Returns `false` if the
/// matrix is not positive definite.
pub fn cholesky_solve(a: &mut [f64], b: &mut [f64], k: usize) -> bool {
    for j in 0..k {
        let mut d = a[j * k + j];
        for p in 0..j {
            d -= a[j * k + p] * a[j * k + p];
        }
        if d <= 0.0 || !d.is_finite() {
            return false;
        }
        let d = d.sqrt();
        a[j * k + j] = d;
        for i in j + 1..k {
            let mut s = a[i * k + j];
            for p in 0..j {
                s -= a[i * k + p] * a[j * k + p];
            }
            a[i * k + j] = s / d;
        }
    }
    for i in 0..k {
        let mut s = b[i];
        for p in 0..i {
            s -= a[i * k + p] * b[p];
        }
        b[i] = s / a[i * k + i];
    }
    for i in (0..k).rev() {
        let mut s = b[i];
        for p in i + 1..k {
            s -= a[p * k + i] * b[p];
        }
        b[i] = s / a[i * k + i];
    }
    true
}

/// Solves the ridge regression `(XᵀX + λI) w = Xᵀy` over rows of `k` features.
pub fn ridge(rows: &[Vec<f32>], y: &[f32], lambda: f64, k: usize) -> Option<Vec<f64>> {
    let mut a = vec![0f64; k * k];
    let mut b = vec![0f64; k];
    for (r, &t) in rows.iter().zip(y) {
        for i in 0..k {
            b[i] += r[i] as f64 * t as f64;
            for j in 0..k {
                a[i * k + j] += r[i] as f64 * r[j] as f64;
            }
        }
    }
    for i in 0..k {
        a[i * k + i] += lambda;
    }
    cholesky_solve(&mut a, &mut b, k).then_some(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernels_match_naive_results() {
        let a: Vec<f32> = (0..19).map(|x| x as f32).collect();
        let b: Vec<f32> = (0..19).map(|x| 1.0 - x as f32 * 0.5).collect();
        let naive: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - naive).abs() < 1e-3);
        let mut m = vec![4.0, 2.0, 2.0, 3.0];
        let mut v = vec![2.0, 1.0];
        assert!(cholesky_solve(&mut m, &mut v, 2));
        assert!((v[0] - 0.5).abs() < 1e-12 && v[1].abs() < 1e-12);
        let w = ridge(&[vec![1.0, 0.0], vec![0.0, 2.0]], &[3.0, 4.0], 0.0, 2).unwrap();
        assert!((w[0] - 3.0).abs() < 1e-9 && (w[1] - 2.0).abs() < 1e-9);
    }

    fn check_kernels<S: Simd>() {
        for k in [8usize, 16, 19, 64, 100] {
            let m: Vec<f32> = (0..7 * k)
                .map(|x| ((x * 37 % 101) as f32 - 50.0) / 25.0)
                .collect();
            let x: Vec<f32> = (0..k)
                .map(|x| ((x * 13 % 29) as f32 - 14.0) / 7.0)
                .collect();
            let idx = [3u32, 0, 6, 6, 1, 2, 5];
            let coef = [0.5f32, -1.0, 2.0, 0.25, 1.5, -0.75, 3.0];
            let mut got = Vec::new();
            S::dots(&m, &idx, &x, &mut got);
            let mut acc = x.clone();
            S::axpy_rows(&m, &idx, &coef, &mut acc);
            let mut want_acc = x.clone();
            for (n, &j) in idx.iter().enumerate() {
                let row = &m[j as usize * k..(j as usize + 1) * k];
                let want: f32 = row.iter().zip(&x).map(|(a, b)| a * b).sum();
                assert!((got[n] - want).abs() < 1e-3 * (1.0 + want.abs()), "k={k}");
                assert!((S::dot(row, &x) - want).abs() < 1e-3 * (1.0 + want.abs()));
                axpy(coef[n], row, &mut want_acc);
            }
            for (a, b) in acc.iter().zip(&want_acc) {
                assert!((a - b).abs() < 1e-3 * (1.0 + b.abs()), "k={k}");
            }
            let (mut p, mut q) = (x.clone(), m[..k].to_vec());
            S::sgd_step(&mut p, &mut q, 0.9, 0.1);
            for f in 0..k {
                assert!((p[f] - (0.9 * x[f] + 0.1 * m[f])).abs() < 1e-5);
                assert!((q[f] - (0.9 * m[f] + 0.1 * x[f])).abs() < 1e-5);
            }
        }
    }

    #[test]
    fn simd_kernels_match_the_portable_ones() {
        check_kernels::<Portable>();
        #[cfg(target_arch = "x86_64")]
        if has_avx2() {
            check_kernels::<Avx2>();
        }
    }
}
