//! `marquee bench synth`: a seeded generator of MovieLens-shaped data at any size, in the
//! ml-25m CSV layout (`movies.csv`, `ratings.csv`), for the scale benchmark (`bench/scale.sh`).
//! The data is written outside the repository at run time; the same seed and size give the same
//! files byte for byte.
//!
//! Shape, scaled from ML-25M (25 M ratings, 162 k users, 62 k movies):
//! - one user per ~154 ratings and one movie per ~400, at least 20 ratings per user;
//! - users' activity long-tailed (Pareto, capped at half the catalogue);
//! - movies' popularity Zipf-like (exponent 0.9) over a random order of the catalogue;
//! - tastes latent: users and movies get 8 factors, a user picks the best-suited of three
//!   popularity draws, and scores `3.5 + taste + bias + noise`, rounded to half stars in 0.5–5;
//! - genres follow each movie's strongest factors, timestamps run forward from each user's start.
use std::collections::HashSet;
use std::io::Write;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const FACTORS: usize = 8;
const GENRES: [&str; 16] = [
    "Action",
    "Adventure",
    "Animation",
    "Children",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
];

/// What `generate` wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SynthSummary {
    pub users: usize,
    pub movies: usize,
    pub ratings: usize,
}

/// Users and movies for `ratings` ratings (ML-25M's proportions; at least 2 000 movies, so that
/// small sizes keep room for a long tail of heavy users).
pub fn shape(ratings: usize) -> (usize, usize) {
    let users = (ratings / 154).max(1);
    let movies = (ratings / 400).max(2_000);
    (users, movies)
}

/// Ratings per user: 20 each, plus the rest shared in proportion to `weight` with none above
/// `cap` (what a capped user cannot take goes to the others), summing to `total` when the caps
/// allow.
fn allot(weight: &[f64], total: usize, cap: usize) -> Vec<usize> {
    let mut counts = vec![20usize.min(cap); weight.len()];
    for _ in 0..8 {
        let given: usize = counts.iter().sum();
        let left = total.saturating_sub(given);
        let open: f64 = weight
            .iter()
            .zip(&counts)
            .filter(|(_, &c)| c < cap)
            .map(|(w, _)| w)
            .sum();
        if left == 0 || open <= 0.0 {
            break;
        }
        for (c, w) in counts.iter_mut().zip(weight) {
            if *c < cap {
                *c = (*c + (w / open * left as f64).round() as usize).min(cap);
            }
        }
    }
    counts
}

fn normal(rng: &mut ChaCha8Rng) -> f32 {
    // Box–Muller; one value per call is plenty here.
    let u1: f32 = rng.random::<f32>().max(1e-7);
    let u2: f32 = rng.random::<f32>();
    (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
}

fn factors(rng: &mut ChaCha8Rng, scale: f32) -> [f32; FACTORS] {
    std::array::from_fn(|_| normal(rng) * scale)
}

fn dot(a: &[f32; FACTORS], b: &[f32; FACTORS]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Writes `movies.csv` and `ratings.csv` (about `ratings` ratings, exactly as many as reported)
/// for `seed`. `progress` is told how many ratings are written so far.
pub fn generate(
    ratings: usize,
    seed: u64,
    movies_out: &mut dyn Write,
    ratings_out: &mut dyn Write,
    progress: &dyn Fn(usize),
) -> std::io::Result<SynthSummary> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (n_users, n_movies) = shape(ratings);
    let max_per_user = (n_movies / 2).max(20);

    // Movies: factors, a bias, a year, genres from the strongest factors; popularity by rank.
    let items: Vec<[f32; FACTORS]> = (0..n_movies).map(|_| factors(&mut rng, 0.45)).collect();
    let item_bias: Vec<f32> = (0..n_movies).map(|_| normal(&mut rng) * 0.3).collect();
    writeln!(movies_out, "movieId,title,genres")?;
    for (i, f) in items.iter().enumerate() {
        let year = 1930 + (rng.random::<f32>().powf(0.5) * 94.0) as i32;
        let mut order: Vec<usize> = (0..FACTORS).collect();
        order.sort_by(|&a, &b| f[b].abs().total_cmp(&f[a].abs()));
        let n_genres = 1 + rng.random_range(0..3);
        let genres: Vec<&str> = order
            .iter()
            .take(n_genres)
            .map(|&k| GENRES[k * 2 + usize::from(f[k] < 0.0)])
            .collect();
        writeln!(
            movies_out,
            "{},Synthetic Movie {} ({year}),{}",
            i + 1,
            i + 1,
            genres.join("|")
        )?;
    }
    let mut rank: Vec<usize> = (0..n_movies).collect();
    for i in (1..n_movies).rev() {
        rank.swap(i, rng.random_range(0..=i));
    }
    // cumulative Zipf weights over popularity ranks; rank[r] is the movie at rank r
    let mut cdf = Vec::with_capacity(n_movies);
    let mut total = 0.0f64;
    for r in 0..n_movies {
        total += 1.0 / ((r + 1) as f64).powf(0.9);
        cdf.push(total);
    }
    let draw = |rng: &mut ChaCha8Rng| -> usize {
        let x = rng.random::<f64>() * total;
        rank[cdf.partition_point(|&c| c < x).min(n_movies - 1)]
    };

    // Users' activity: 20 + Pareto(1.2) tail, scaled so the total comes out at `ratings`.
    let raw: Vec<f64> = (0..n_users)
        .map(|_| rng.random::<f64>().max(1e-9).powf(-1.0 / 1.2) - 1.0)
        .collect();
    let counts = allot(&raw, ratings, max_per_user);

    writeln!(ratings_out, "userId,movieId,rating,timestamp")?;
    let mut written = 0usize;
    let mut seen = HashSet::new();
    let mut line = Vec::with_capacity(64);
    for (u, &n) in counts.iter().enumerate() {
        let taste = factors(&mut rng, 0.45);
        let user_bias = normal(&mut rng) * 0.35;
        let start: i64 = 820_000_000 + rng.random_range(0..880_000_000);
        let mut at = start;
        seen.clear();
        let mut picked = Vec::with_capacity(n);
        while picked.len() < n {
            // the best-suited of three popularity draws: taste shapes what people watch
            let mut best = draw(&mut rng);
            for _ in 0..2 {
                let c = draw(&mut rng);
                if dot(&taste, &items[c]) > dot(&taste, &items[best]) {
                    best = c;
                }
            }
            if seen.insert(best) {
                picked.push(best);
            }
        }
        for m in picked {
            let score = 3.5
                + 2.0 * dot(&taste, &items[m])
                + user_bias
                + item_bias[m]
                + normal(&mut rng) * 0.6;
            let half_stars = (score * 2.0).round().clamp(1.0, 10.0) as u32;
            at += rng.random_range(1..200_000);
            line.clear();
            write!(
                line,
                "{},{},{}.{},{at}",
                u + 1,
                m + 1,
                half_stars / 2,
                if half_stars % 2 == 1 { 5 } else { 0 }
            )?;
            line.push(b'\n');
            ratings_out.write_all(&line)?;
            written += 1;
            if written.is_multiple_of(1 << 16) {
                progress(written);
            }
        }
    }
    progress(written);
    Ok(SynthSummary {
        users: n_users,
        movies: n_movies,
        ratings: written,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(n: usize, seed: u64) -> (Vec<u8>, Vec<u8>, SynthSummary) {
        let (mut m, mut r) = (Vec::new(), Vec::new());
        let s = generate(n, seed, &mut m, &mut r, &|_| {}).unwrap();
        (m, r, s)
    }

    #[test]
    fn activity_is_shared_out_under_the_cap() {
        let c = allot(&[1.0, 1.0, 100.0], 300, 150);
        assert_eq!(c.iter().sum::<usize>(), 300);
        assert_eq!(c[2], 150);
        assert!(c.iter().all(|&n| n >= 20));
    }

    #[test]
    fn the_same_seed_gives_the_same_files_and_another_seed_other_ones() {
        let a = run(20_000, 7);
        assert_eq!(a, run(20_000, 7));
        assert_ne!(a.1, run(20_000, 8).1);
    }

    #[test]
    fn the_files_parse_as_movielens_with_the_promised_shape() {
        let dir = tempfile::tempdir().unwrap();
        let (m, r, s) = run(50_000, 1);
        std::fs::write(dir.path().join("movies.csv"), m).unwrap();
        std::fs::write(dir.path().join("ratings.csv"), r).unwrap();
        let ds = marquee_core::dataset::load(dir.path()).unwrap();
        assert_eq!(ds.ratings.len(), s.ratings);
        assert!((45_000..55_000).contains(&s.ratings), "{s:?}");
        assert_eq!(ds.movies.len(), s.movies);
        let mut per_user = std::collections::HashMap::<i64, usize>::new();
        let mut pairs = HashSet::new();
        for x in &ds.ratings {
            *per_user.entry(x.user).or_default() += 1;
            assert!(pairs.insert((x.user, x.movie)), "duplicate pair");
            assert!((0.5..=5.0).contains(&x.score));
        }
        assert_eq!(per_user.len(), s.users);
        assert!(per_user.values().all(|&n| n >= 20));
        // long tail: the busiest users rate several times the median
        let mut n: Vec<usize> = per_user.into_values().collect();
        n.sort_unstable();
        let median = n[n.len() / 2];
        assert!(
            n[n.len() - 1] >= 3 * median,
            "median {median}, top {:?}",
            &n[n.len() - 3..]
        );
    }
}
