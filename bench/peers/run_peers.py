#!/usr/bin/env python3
"""Run peer libraries (Surprise, implicit) on the exact splits written by Marquee's evaluation
runner (`write_splits`, the CLI's `--write-splits DIR`) and print a markdown table.

Split files: DIR/fold{N}.train.tsv and DIR/fold{N}.test.tsv, tab-separated
`user item rating timestamp`, external ids, no header; DIR/splits.json names the protocol.

Rating protocol (RMSE, as Marquee): every test rating is predicted by a model fitted on the
fold's training file. Top-N protocol (NDCG@k etc., as Marquee): for every user with a test item,
candidates are the items that occur in the training file and that the user has not interacted
with in training; relevant = all of the user's test items; binary gains; ideal DCG over
min(|relevant|, k) hits. Metrics are averaged over users, then folds.

Usage:
    python3 -m venv /tmp/peers && /tmp/peers/bin/pip install scikit-surprise implicit
    /tmp/peers/bin/python bench/peers/run_peers.py SPLIT_DIR [--rating] [--ranking] [--k 10]
        [--threads 2] [--only SVD,BaselineOnly] [--repeat 5]
"""

import argparse
import json
import math
import os
import statistics
import sys
import time
from collections import defaultdict

# implicit warns (and runs much slower) when OpenBLAS uses its own thread pool beside implicit's
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def read_split(path):
    rows = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            u, i, r, t = line.rstrip("\n").split("\t")
            rows.append((u, i, float(r), int(t)))
    return rows


def folds(split_dir):
    n = 0
    while os.path.exists(os.path.join(split_dir, f"fold{n}.train.tsv")):
        n += 1
    for f in range(n):
        yield (
            read_split(os.path.join(split_dir, f"fold{f}.train.tsv")),
            read_split(os.path.join(split_dir, f"fold{f}.test.tsv")),
        )


def timed_fit(make, fit, repeat):
    """Fits `repeat` fresh models; returns the last one and the median wall-clock fit time."""
    times = []
    model = None
    for _ in range(max(1, repeat)):
        model = make()
        t0 = time.perf_counter()
        fit(model)
        times.append(time.perf_counter() - t0)
    return model, statistics.median(times)


def run_rating(split_dir, only=None, repeat=1):
    from surprise import SVD, SVDpp, BaselineOnly, KNNBaseline, Dataset, Reader, accuracy

    algos = {
        "surprise BaselineOnly": lambda: BaselineOnly(verbose=False),
        "surprise SVD": lambda: SVD(random_state=42),
        "surprise SVD++": lambda: SVDpp(random_state=42),
        "surprise KNNBaseline (item, pearson_baseline)": lambda: KNNBaseline(
            sim_options={"name": "pearson_baseline", "user_based": False}, verbose=False
        ),
    }
    if only:
        # short names: BaselineOnly, SVD, SVD++, KNNBaseline
        algos = {n: m for n, m in algos.items() if n.split()[1].lower() in [o.lower() for o in only]}
    results = defaultdict(lambda: {"rmse": [], "mae": [], "fit": []})
    for f, (train, test) in enumerate(folds(split_dir)):
        lo = min(r[2] for r in train)
        hi = max(r[2] for r in train)
        reader = Reader(line_format="user item rating timestamp", sep="\t", rating_scale=(lo, hi))
        path = os.path.join(split_dir, f"fold{f}.train.tsv")
        trainset = Dataset.load_from_file(path, reader).build_full_trainset()
        testset = [(u, i, r) for u, i, r, _ in test]
        for name, make in algos.items():
            algo, fit = timed_fit(make, lambda a: a.fit(trainset), repeat)
            preds = algo.test(testset)
            results[name]["rmse"].append(accuracy.rmse(preds, verbose=False))
            results[name]["mae"].append(accuracy.mae(preds, verbose=False))
            results[name]["fit"].append(fit)
            print(f"  {name}: rmse {results[name]['rmse'][-1]:.4f} fit {fit:.2f}s", file=sys.stderr)
    return results


def ndcg_at(ranked, relevant, k):
    dcg = sum(1.0 / math.log2(p + 2) for p, i in enumerate(ranked[:k]) if i in relevant)
    ideal = sum(1.0 / math.log2(p + 2) for p in range(min(len(relevant), k)))
    return dcg / ideal if ideal > 0 else 0.0


def run_ranking(split_dir, k, threads, repeat=1):
    import numpy as np
    import scipy.sparse as sp
    from implicit.als import AlternatingLeastSquares

    results = defaultdict(lambda: {"ndcg": [], "hit": [], "fit": []})
    for train, test in folds(split_dir):
        users = {u: n for n, u in enumerate(sorted({r[0] for r in train}))}
        items = {i: n for n, i in enumerate(sorted({r[1] for r in train}))}
        inv_items = {n: i for i, n in items.items()}
        rows = [users[u] for u, _, _, _ in train]
        cols = [items[i] for _, i, _, _ in train]
        ui = sp.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(users), len(items))
        )
        model, fit = timed_fit(
            lambda: AlternatingLeastSquares(
                factors=64, iterations=15, num_threads=threads, random_state=42
            ),
            lambda m: m.fit(ui, show_progress=False),
            repeat,
        )
        rel = defaultdict(set)
        for u, i, _, _ in test:
            rel[u].add(i)
        uids = [u for u in rel if u in users]
        idx = np.array([users[u] for u in uids])
        ids, _ = model.recommend(idx, ui[idx], N=k, filter_already_liked_items=True)
        nd, hit = [], []
        for row, u in zip(ids, uids):
            ranked = [inv_items[int(x)] for x in row if int(x) >= 0]
            nd.append(ndcg_at(ranked, rel[u], k))
            hit.append(1.0 if any(i in rel[u] for i in ranked[:k]) else 0.0)
        name = "implicit ALS (64 factors, 15 it)"
        results[name]["ndcg"].append(sum(nd) / len(nd))
        results[name]["hit"].append(sum(hit) / len(hit))
        results[name]["fit"].append(fit)
        print(f"  {name}: ndcg@{k} {results[name]['ndcg'][-1]:.4f} fit {fit:.2f}s", file=sys.stderr)
    return results


def versions():
    out = [f"Python {sys.version.split()[0]}"]
    for mod in ("surprise", "implicit", "numpy", "scipy"):
        try:
            out.append(f"{mod} {__import__(mod).__version__}")
        except Exception:  # noqa: BLE001 - a missing peer is reported, not fatal
            out.append(f"{mod} (not installed)")
    return ", ".join(out)


def mean(v):
    return sum(v) / len(v) if v else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("split_dir")
    ap.add_argument("--rating", action="store_true", help="run the Surprise rating models")
    ap.add_argument("--ranking", action="store_true", help="run implicit ALS top-N")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument(
        "--only", default="", help="Surprise models to run: BaselineOnly,SVD,SVD++,KNNBaseline"
    )
    ap.add_argument("--repeat", type=int, default=1, help="fits per fold; the median time is shown")
    a = ap.parse_args()
    only = [o for o in a.only.split(",") if o]
    if not (a.rating or a.ranking):
        a.rating = a.ranking = True
    meta = {}
    mp = os.path.join(a.split_dir, "splits.json")
    if os.path.exists(mp):
        with open(mp) as fh:
            meta = json.load(fh)
    print(f"Splits `{a.split_dir}` ({meta.get('protocol', '?')}, seed {meta.get('seed', '?')})\n")
    print(f"Peers: {versions()}; fit time = median of {max(1, a.repeat)} fit(s) per fold\n")
    print(f"| model | RMSE | MAE | NDCG@{a.k} | HR@{a.k} | fit s/fold |")
    print("|---|---|---|---|---|---|")
    if a.rating:
        for name, r in run_rating(a.split_dir, only, a.repeat).items():
            print(f"| {name} | {mean(r['rmse']):.4f} | {mean(r['mae']):.4f} | – | – | {mean(r['fit']):.3f} |")
    if a.ranking:
        for name, r in run_ranking(a.split_dir, a.k, a.threads, a.repeat).items():
            print(f"| {name} | – | – | {mean(r['ndcg']):.4f} | {mean(r['hit']):.4f} | {mean(r['fit']):.3f} |")


if __name__ == "__main__":
    main()
