//! Recommender benchmarks (criterion 0.5): model fitting on ML-100K, and fold-in and top-N
//! serving on ml-latest-small. Datasets are read from `../shared/datasets` beside the crate;
//! a missing dataset skips its benchmarks.
//!
//! Run: `cargo bench --bench recommender` (add `-- fit_ml100k` or `-- serve` to run one group).
//! The snapshot blob size is printed to stderr before the serving benchmarks.

use criterion::{criterion_group, criterion_main, Criterion};
use marquee_core::dataset;
use marquee_core::recommender::als::{Als, AlsParams};
use marquee_core::recommender::mf::{BiasedMf, MfParams};
use marquee_core::recommender::snapshot::{Snapshot, SnapshotParams, TrainingInput};
use marquee_core::recommender::{no_progress, Feedback, Fit, Interactions, Vocab};
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

fn data_dir(name: &str) -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/datasets")
        .join(name);
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!("skipping benchmarks on {name}: {} not found", p.display());
        None
    }
}

fn feedback(ds: &dataset::Dataset) -> Vec<Feedback> {
    ds.ratings
        .iter()
        .map(|r| Feedback::rating(r.user, r.movie, r.score, r.timestamp))
        .collect()
}

fn fit_benches(c: &mut Criterion) {
    let Some(dir) = data_dir("ml-100k") else {
        return;
    };
    let ds = dataset::load(&dir).expect("ml-100k");
    let mut vocab = Vocab::default();
    let data = Interactions::from_feedback(&mut vocab, feedback(&ds)).expect("matrix");
    let mut g = c.benchmark_group("fit_ml100k");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    g.bench_function("mf_default", |b| {
        b.iter(|| BiasedMf::fit(black_box(&data), &MfParams::default()).expect("fit"))
    });
    g.bench_function("mf_surprise_settings", |b| {
        b.iter(|| BiasedMf::fit(black_box(&data), &MfParams::surprise()).expect("fit"))
    });
    g.bench_function("als_64f_15it", |b| {
        b.iter(|| Als::fit(black_box(&data), &AlsParams::default()).expect("fit"))
    });
    g.bench_function("load_ml100k", |b| {
        b.iter(|| dataset::load(black_box(&dir)).expect("load"))
    });
    g.finish();
}

fn serving_benches(c: &mut Criterion) {
    let Some(dir) = data_dir("ml-latest-small") else {
        return;
    };
    let ds = dataset::load(&dir).expect("ml-latest-small");
    let input = TrainingInput {
        feedback: feedback(&ds),
        catalogue: ds.movies.iter().map(|m| m.id).collect(),
        item_tokens: ds.genre_tokens(),
        ..Default::default()
    };
    let snap = Snapshot::train(input, &SnapshotParams::default(), &no_progress).expect("train");
    // user 1 of ml-latest-small with their ratings
    let hist: Vec<(i64, f32, f32, i64)> = ds
        .ratings
        .iter()
        .filter(|r| r.user == 1)
        .map(|r| (r.movie, r.score, 1.0, r.timestamp))
        .collect();
    let known = snap.history(1, &hist, None);
    let mut g = c.benchmark_group("serve_ml_latest_small");
    g.bench_function("recommend_top10_known_user", |b| {
        b.iter(|| snap.recommend(black_box(&known.view()), 10, &[], &|_| true))
    });
    let mut new_user = snap.history(-1, &hist[..20], None);
    g.bench_function("fold_in_one_new_rating", |b| {
        b.iter(|| {
            let mut h = new_user.clone();
            h.rate(snap.vocab.item(6).expect("Heat"), 5.0);
            snap.fold_in(black_box(&h.view()))
        })
    });
    new_user.folded = Some(snap.fold_in(&new_user.view()));
    g.bench_function("recommend_top10_folded_user", |b| {
        b.iter(|| snap.recommend(black_box(&new_user.view()), 10, &[], &|_| true))
    });
    g.bench_function("similar_10", |b| {
        b.iter(|| snap.similar(black_box(snap.vocab.item(6).expect("Heat")), 10))
    });
    let top = snap.recommend(&known.view(), 1, &[], &|_| true);
    g.bench_function("explain_one_known_user", |b| {
        b.iter(|| snap.explain(black_box(&known.view()), top[0].item))
    });
    g.finish();
    let bytes = snap.to_bytes().expect("to_bytes");
    eprintln!(
        "snapshot blob (ml-latest-small, default params): {:.1} MB",
        bytes.len() as f64 / 1e6
    );
    let mut g = c.benchmark_group("snapshot_ml_latest_small");
    g.sample_size(10);
    g.bench_function("to_bytes", |b| {
        b.iter(|| snap.to_bytes().expect("to_bytes"))
    });
    g.bench_function("from_bytes", |b| {
        b.iter(|| Snapshot::from_bytes(black_box(&bytes)).expect("from_bytes"))
    });
    g.finish();
}

criterion_group!(benches, fit_benches, serving_benches);
criterion_main!(benches);
