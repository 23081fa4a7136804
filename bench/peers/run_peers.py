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

Tuned top-N comparison (--ranking --tune): every peer (implicit ALS and BPR; LensKit ImplicitMF,
ItemKNN and EASE when `lenskit` is installed) is tuned by coordinate descent on NDCG@k over the
validation split DIR/validation/fold0.{train,test}.tsv (carved by Marquee from fold0.train; if it
is missing, a seeded random 20 % holdout of fold0.train is carved here and the output says so),
its best configuration is refitted on fold0.train and scored on fold0.test, and that fit is timed
at 1 and 2 threads. Trial log on stderr, markdown table on stdout.

Usage:
    python3 -m venv /tmp/peers && /tmp/peers/bin/pip install scikit-surprise implicit [lenskit]
    /tmp/peers/bin/python bench/peers/run_peers.py SPLIT_DIR [--rating] [--ranking] [--k 10]
        [--threads 2] [--only SVD,BaselineOnly] [--repeat 5]
    /tmp/peers/bin/python bench/peers/run_peers.py SPLIT_DIR --ranking --tune [--peers als,bpr]
        [--budget 300] [--rounds 3] [--min-gain 0] [--seed 42] [--threads 2] [--repeat 5]
        [--timing-threads 1,2]
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


# --- Tuned comparison (--ranking --tune) -------------------------------------------------------
#
# Every peer is tuned on the validation split (DIR/validation/fold0.{train,test}.tsv, carved by
# Marquee from fold0.train only) by coordinate descent on NDCG@k, then its best configuration is
# refitted on fold0.train and scored on fold0.test with the same metric code as above.


class RankSplit:
    """One train/test pair, indexed for the ranking protocol (the same rules as run_ranking)."""

    def __init__(self, train, test):
        import numpy as np
        import scipy.sparse as sp

        self.train = train
        self.users = {u: n for n, u in enumerate(sorted({r[0] for r in train}))}
        self.items = {i: n for n, i in enumerate(sorted({r[1] for r in train}))}
        self.inv_items = {n: i for i, n in self.items.items()}
        rows = [self.users[u] for u, _, _, _ in train]
        cols = [self.items[i] for _, i, _, _ in train]
        self.ui = sp.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, cols)),
            shape=(len(self.users), len(self.items)),
        )
        self.rel = defaultdict(set)
        for u, i, _, _ in test:
            self.rel[u].add(i)
        # users with a test item and a training history (as run_ranking)
        self.uids = [u for u in self.rel if u in self.users]
        self._lenskit = None

    def lenskit_dataset(self):
        """The training interactions as a LensKit Dataset (ids as strings, no rating column, so
        every interaction counts as one implicit-feedback event)."""
        if self._lenskit is None:
            import pandas as pd
            from lenskit.data import from_interactions_df

            df = pd.DataFrame(
                {"user_id": [r[0] for r in self.train], "item_id": [r[1] for r in self.train]}
            )
            self._lenskit = from_interactions_df(df)
        return self._lenskit

    def score(self, ranked, k):
        """NDCG@k and HR@k averaged over self.uids; `ranked` maps a user to its ranked item ids."""
        nd, hit = [], []
        for u in self.uids:
            r = ranked.get(u, [])
            nd.append(ndcg_at(r, self.rel[u], k))
            hit.append(1.0 if any(i in self.rel[u] for i in r[:k]) else 0.0)
        return mean(nd), mean(hit)


def _implicit_recommend(model, split, k):
    import numpy as np

    idx = np.array([split.users[u] for u in split.uids])
    ids, _ = model.recommend(idx, split.ui[idx], N=k, filter_already_liked_items=True)
    return {
        u: [split.inv_items[int(x)] for x in row if int(x) >= 0] for u, row in zip(split.uids, ids)
    }


def _implicit_als(params, threads, seed):
    from implicit.cpu.als import AlternatingLeastSquares

    return AlternatingLeastSquares(num_threads=threads, random_state=seed, **params)


def _implicit_bpr(params, threads, seed):
    from implicit.cpu.bpr import BayesianPersonalizedRanking

    return BayesianPersonalizedRanking(num_threads=threads, random_state=seed, **params)


_LENSKIT_THREADS = None


def _lenskit_init(threads):
    """LensKit sizes its thread pools once per process (LK_NUM_THREADS / LK_NUM_BACKEND_THREADS):
    its Rust pool for ALS and k-NN, PyTorch's for EASE. The 1- and 2-thread timings therefore run
    in fresh processes (see time_fit_subprocess)."""
    global _LENSKIT_THREADS
    if _LENSKIT_THREADS is None:
        import logging

        from lenskit.parallel import initialize

        logging.getLogger("lenskit").setLevel(logging.ERROR)
        initialize(threads=threads, backend_threads=threads)
        _LENSKIT_THREADS = threads


def _lenskit_pipeline(scorer_path):
    def make(params, threads, seed):
        import importlib

        from lenskit import topn_pipeline

        _lenskit_init(threads)
        mod, cls = scorer_path.rsplit(".", 1)
        return topn_pipeline(getattr(importlib.import_module(mod), cls)(**params))

    return make


def _lenskit_fit(pipe, split, seed):
    from lenskit.training import TrainingOptions

    pipe.train(split.lenskit_dataset(), TrainingOptions(rng=seed))


def _lenskit_recommend(pipe, split, k):
    # LensKit's own top-N pipeline: its default candidate selector is "training items the user has
    # not interacted with in training", the protocol's candidate set; NaN-scored items are dropped.
    from lenskit import recommend

    return {u: [str(i) for i in recommend(pipe, u, n=k).ids()] for u in split.uids}


def _log_grid(lo_exp, hi_exp):
    """1, 3, 10, 30, ... from 10**lo_exp to 10**hi_exp."""
    out = []
    for e in range(lo_exp, hi_exp + 1):
        out.append(round(10.0**e, 10))
        if e < hi_exp:
            out.append(round(3 * 10.0**e, 10))
    return out


# key -> (label, library module, defaults, search space as ordered (param, values) dimensions,
#         make(params, threads, seed), fit(model, split, seed), recommend(model, split, k))
PEERS = {
    "als": (
        "implicit ALS",
        "implicit",
        # implicit's defaults, except 64 factors as in the untuned --ranking run
        {"factors": 64, "regularization": 0.01, "alpha": 1.0, "iterations": 15},
        [
            ("regularization", _log_grid(-2, 3)),
            ("alpha", [1.0, 2.0, 5.0, 10.0, 20.0, 40.0]),
            ("factors", [32, 64, 128, 256]),
            ("iterations", [15, 30]),
        ],
        _implicit_als,
        lambda m, s, seed: m.fit(s.ui, show_progress=False),
        _implicit_recommend,
    ),
    "bpr": (
        "implicit BPR",
        "implicit",
        {"factors": 100, "learning_rate": 0.01, "regularization": 0.01, "iterations": 100},
        [
            ("learning_rate", [0.001, 0.003, 0.01, 0.03, 0.1]),
            ("regularization", [0.0001, 0.001, 0.01, 0.1]),
            ("factors", [32, 64, 100, 128, 256]),
            ("iterations", [50, 100, 200, 400]),
        ],
        _implicit_bpr,
        lambda m, s, seed: m.fit(s.ui, show_progress=False),
        _implicit_recommend,
    ),
    "lk_als": (
        "LensKit ImplicitMF",
        "lenskit",
        {"embedding_size": 50, "regularization": 0.1, "weight": 40.0, "epochs": 10},
        [
            ("regularization", _log_grid(-2, 3)),
            ("weight", [1.0, 5.0, 10.0, 20.0, 40.0, 80.0]),
            ("embedding_size", [32, 50, 64, 128, 256]),
            ("epochs", [10, 20, 30]),
        ],
        _lenskit_pipeline("lenskit.als.ImplicitMFScorer"),
        _lenskit_fit,
        _lenskit_recommend,
    ),
    "lk_knn": (
        "LensKit ItemKNN",
        "lenskit",
        # binary data, so implicit feedback (sum of cosine similarities); max_nbrs etc. as LensKit
        {"feedback": "implicit", "max_nbrs": 20, "min_nbrs": 1, "min_sim": 1e-6},
        [
            ("max_nbrs", [5, 10, 20, 40, 80, 160, 320]),
            ("min_sim", [1e-6, 0.001, 0.01, 0.05, 0.1]),
            ("min_nbrs", [1, 2, 5]),
        ],
        _lenskit_pipeline("lenskit.knn.ItemKNNScorer"),
        _lenskit_fit,
        _lenskit_recommend,
    ),
    "lk_ease": (
        "LensKit EASE",
        "lenskit",
        {"regularization": 1.0},
        [("regularization", [1.0, 10.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0])],
        _lenskit_pipeline("lenskit.knn.EASEScorer"),
        _lenskit_fit,
        _lenskit_recommend,
    ),
}


def available_peers(names):
    out, skipped = [], []
    for key in names:
        if key not in PEERS:
            sys.exit(f"unknown peer {key!r}; known: {', '.join(PEERS)}")
        try:
            __import__(PEERS[key][1])
            out.append(key)
        except ImportError:
            skipped.append(key)
    return out, skipped


def fmt_params(p):
    return ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in p.items())


def fit_and_score(key, params, fit_split, eval_split, k, threads, seed):
    """Fits on fit_split, ranks eval_split's users; returns (ndcg, hr, fit s, ranking s)."""
    _, lib, _, _, make, fit, recommend = PEERS[key]
    model = make(params, threads, seed)
    if lib == "lenskit":
        fit_split.lenskit_dataset()  # built once per split, outside the timed fit
    t0 = time.perf_counter()
    fit(model, fit_split, seed)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    nd, hr = eval_split.score(recommend(model, eval_split, k), k)
    return nd, hr, fit_s, time.perf_counter() - t0


def coordinate_descent(key, valid, k, threads, seed, budget, rounds, min_gain=0.0):
    """From the defaults, sweeps one parameter at a time (all its values, the others at the best
    so far), keeping a configuration whose validation NDCG@k beats the best by more than
    `min_gain` (0: strictly higher, as `marquee tune`); a round sweeps
    every parameter; stops after a round with no gain, after `rounds` rounds, or after the trial
    that takes the search past `budget` seconds. Returns (best params, best score, trials, stop)."""
    label, _, defaults, space, _, _, _ = PEERS[key]
    t0 = time.perf_counter()
    tried = {}
    trials = 0

    def trial(params, note):
        nonlocal trials
        sig = json.dumps(params, sort_keys=True)
        if sig in tried:
            return tried[sig]
        trials += 1
        try:
            nd, _, fit_s, eval_s = fit_and_score(key, params, valid, valid, k, threads, seed)
            msg = f"val NDCG@{k} {nd:.4f} fit {fit_s:.2f}s eval {eval_s:.2f}s"
        except Exception as e:  # noqa: BLE001 - a failing configuration is logged and skipped
            nd, msg = None, f"failed: {type(e).__name__}: {e}"
        tried[sig] = nd
        print(
            f"  [{label}] trial {trials:3d} {note:<22} {fmt_params(params)}: {msg} "
            f"(search {time.perf_counter() - t0:.1f}s)",
            file=sys.stderr,
        )
        return nd

    best = dict(defaults)
    best_score = trial(best, "defaults")
    stop = None
    for rnd in range(1, max(1, rounds) + 1):
        improved = False
        for name, values in space:
            for v in values:
                cand = {**best, name: v}
                if json.dumps(cand, sort_keys=True) in tried:
                    continue
                if time.perf_counter() - t0 > budget:
                    stop = f"stopped by the budget ({budget:g}s) after {trials} trials"
                    break
                s = trial(cand, f"round {rnd} {name}")
                if s is not None and (best_score is None or s > best_score + min_gain):
                    best, best_score, improved = cand, s, True
            if stop:
                break
        if stop:
            break
        if not improved:
            stop = f"converged: round {rnd} brought no gain ({trials} trials)"
            break
    else:
        stop = f"round cap ({rounds}) reached ({trials} trials)"
    return best, best_score, trials, stop, time.perf_counter() - t0


def time_fit_subprocess(split_dir, key, params, threads, repeat, seed):
    """Median fit seconds of `repeat` fits on fold0.train in a fresh process at `threads` threads
    (LensKit's thread pools are sized once per process)."""
    import subprocess

    cmd = [
        sys.executable,
        os.path.abspath(__file__),
        split_dir,
        "--time-fit",
        key,
        "--time-params",
        json.dumps(params),
        "--threads",
        str(threads),
        "--repeat",
        str(repeat),
        "--seed",
        str(seed),
    ]
    env = dict(os.environ, LK_NUM_THREADS=str(threads), LK_NUM_BACKEND_THREADS=str(threads))
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        print(f"  timing {key} at {threads} thread(s) failed:\n{out.stderr}", file=sys.stderr)
        return float("nan")
    return json.loads(out.stdout.strip().splitlines()[-1])["median"]


def time_fit_main(split_dir, key, params, threads, repeat, seed):
    """Child of time_fit_subprocess: prints {"median": seconds, "times": [...]} as JSON."""
    split = RankSplit(
        read_split(os.path.join(split_dir, "fold0.train.tsv")),
        [],
    )
    _, _, _, _, make, fit, _ = PEERS[key]
    if PEERS[key][1] == "lenskit":
        split.lenskit_dataset()  # build the Dataset outside the timed region
    times = []
    for _ in range(max(1, repeat)):
        model = make(params, threads, seed)
        t0 = time.perf_counter()
        fit(model, split, seed)
        times.append(time.perf_counter() - t0)
    print(json.dumps({"median": statistics.median(times), "times": times}))


def validation_split(split_dir, seed):
    """The validation pair written by Marquee (DIR/validation/fold0.*), or, if it is missing, a
    seeded random 20 % holdout of fold0.train. Returns (train, test, description)."""
    vdir = os.path.join(split_dir, "validation")
    vtrain = os.path.join(vdir, "fold0.train.tsv")
    vtest = os.path.join(vdir, "fold0.test.tsv")
    if os.path.exists(vtrain) and os.path.exists(vtest):
        meta = {}
        if os.path.exists(os.path.join(vdir, "splits.json")):
            with open(os.path.join(vdir, "splits.json")) as fh:
                meta = json.load(fh)
        desc = (
            f"`{vdir}` as written by Marquee ({meta.get('protocol', '?')}, "
            f"seed {meta.get('seed', '?')}, of {meta.get('of', 'fold0.train')})"
        )
        return read_split(vtrain), read_split(vtest), desc
    import random

    rows = read_split(os.path.join(split_dir, "fold0.train.tsv"))
    order = list(range(len(rows)))
    random.Random(seed + 1).shuffle(order)
    n_test = round(len(rows) * 0.2)
    test_ix = set(order[:n_test])
    train = [r for n, r in enumerate(rows) if n not in test_ix]
    test = [r for n, r in enumerate(rows) if n in test_ix]
    desc = (
        f"**`{vdir}` is missing**: carved here as a seeded random 20 % holdout of fold0.train "
        f"(Python `random.Random({seed + 1})`), which does not mirror a temporal test protocol"
    )
    return train, test, desc


def run_tune(split_dir, args, peers):
    """Tunes every peer on the validation split, refits the best on fold0.train, scores fold0.test;
    returns the table rows and notes."""
    k, threads, seed = args.k, args.threads, args.seed
    vtrain, vtest, vdesc = validation_split(split_dir, seed)
    valid = RankSplit(vtrain, vtest)
    test = RankSplit(
        read_split(os.path.join(split_dir, "fold0.train.tsv")),
        read_split(os.path.join(split_dir, "fold0.test.tsv")),
    )
    print(
        f"validation: {len(vtrain)} fit / {len(vtest)} held out, {len(valid.uids)} users scored",
        file=sys.stderr,
    )
    timing_threads = [int(t) for t in args.timing_threads.split(",") if t]
    rows = []
    for key in peers:
        label, _, defaults, _, _, _, _ = PEERS[key]
        print(f"== {label}: coordinate descent on the validation split", file=sys.stderr)
        best, best_val, trials, stop, search_s = coordinate_descent(
            key, valid, k, threads, seed, args.budget, args.rounds, args.min_gain
        )
        t_nd, t_hr, t_fit, _ = fit_and_score(key, best, test, test, k, threads, seed)
        if best == defaults:
            d_nd = t_nd
        else:
            d_nd, _, _, _ = fit_and_score(key, defaults, test, test, k, threads, seed)
        print(
            f"  [{label}] test: defaults NDCG@{k} {d_nd:.4f}; tuned NDCG@{k} {t_nd:.4f} "
            f"HR@{k} {t_hr:.4f} fit {t_fit:.2f}s at {threads} thread(s)",
            file=sys.stderr,
        )
        fits = {}
        for n in timing_threads:
            fits[n] = time_fit_subprocess(split_dir, key, best, n, args.repeat, seed)
            print(f"  [{label}] fit at {n} thread(s): {fits[n]:.3f}s (median)", file=sys.stderr)
        rows.append(
            {
                "label": label,
                "defaults": defaults,
                "default_test": d_nd,
                "best": best,
                "val": best_val,
                "test": t_nd,
                "hr": t_hr,
                "fits": fits,
                "trials": trials,
                "stop": stop,
                "search_s": search_s,
            }
        )
    return rows, vdesc, timing_threads


def print_tune(rows, vdesc, timing_threads, args, skipped):
    k = args.k
    print(
        f"Validation split: {vdesc}. Search: coordinate descent on validation NDCG@{k} from the "
        f"defaults, {args.rounds} round(s) at most, kept when it gains more than "
        f"{args.min_gain:g}, budget {args.budget:g}s per model, "
        f"{args.threads} thread(s), seed {args.seed}; the best configuration is refitted on "
        f"fold0.train and scored on fold0.test."
        + (
            f" Fit time = median of {max(1, args.repeat)} fit(s) of the tuned configuration on "
            f"fold0.train, in a fresh process per thread count."
            if timing_threads
            else ""
        )
        + "\n"
    )
    fit_cols = "".join(f" fit s, {n} thr |" for n in timing_threads)
    print(
        f"| model | defaults | test NDCG@{k} (defaults) | tuned | val NDCG@{k} (tuned) "
        f"| test NDCG@{k} (tuned) | test HR@{k} (tuned) |{fit_cols} trials |"
    )
    print("|---|---|---|---|---|---|---|" + "---|" * len(timing_threads) + "---|")
    for r in rows:
        fits = "".join(f" {r['fits'][n]:.3f} |" for n in timing_threads)
        val = f"{r['val']:.4f}" if r["val"] is not None else "–"
        print(
            f"| {r['label']} | {fmt_params(r['defaults'])} | {r['default_test']:.4f} "
            f"| {fmt_params(r['best'])} | {val} | {r['test']:.4f} | {r['hr']:.4f} |{fits} "
            f"{r['trials']} |"
        )
    print()
    for r in rows:
        print(f"* {r['label']}: {r['stop']}, search {r['search_s']:.0f}s.")
    for key in skipped:
        print(f"* {PEERS[key][0]}: skipped, `{PEERS[key][1]}` is not installed.")


def versions(mods=("surprise", "implicit", "numpy", "scipy")):
    out = [f"Python {sys.version.split()[0]}"]
    for mod in mods:
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
    ap.add_argument(
        "--tune",
        action="store_true",
        help="with --ranking: tune every peer on DIR/validation, then score the best on fold0",
    )
    ap.add_argument(
        "--peers",
        default=",".join(PEERS),
        help=f"peers to tune (default all installed): {','.join(PEERS)}",
    )
    ap.add_argument("--budget", type=float, default=300.0, help="search seconds per peer (--tune)")
    ap.add_argument("--rounds", type=int, default=3, help="coordinate-descent rounds at most")
    ap.add_argument(
        "--min-gain",
        type=float,
        default=0.0,
        help="validation NDCG a new configuration must add to be kept (--tune; default 0)",
    )
    ap.add_argument("--seed", type=int, default=42, help="model seed (--tune)")
    ap.add_argument(
        "--timing-threads",
        default="1,2",
        help="thread counts at which the tuned fit is timed (--tune; empty to skip)",
    )
    ap.add_argument("--time-fit", help=argparse.SUPPRESS)  # child process of the --tune timing
    ap.add_argument("--time-params", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.time_fit:
        params = json.loads(a.time_params)
        time_fit_main(a.split_dir, a.time_fit, params, a.threads, a.repeat, a.seed)
        return
    only = [o for o in a.only.split(",") if o]
    if a.tune:
        if a.rating:
            ap.error("--tune applies to --ranking only")
        a.ranking = True
    if not (a.rating or a.ranking):
        a.rating = a.ranking = True
    meta = {}
    mp = os.path.join(a.split_dir, "splits.json")
    if os.path.exists(mp):
        with open(mp) as fh:
            meta = json.load(fh)
    print(f"Splits `{a.split_dir}` ({meta.get('protocol', '?')}, seed {meta.get('seed', '?')})\n")
    if a.tune:
        peers, skipped = available_peers([p for p in a.peers.split(",") if p])
        mods = ["implicit"]
        if any(PEERS[p][1] == "lenskit" for p in peers):
            mods += ["lenskit", "torch"]
        print(f"Peers: {versions(mods + ['numpy', 'scipy'])}\n")
        rows, vdesc, timing_threads = run_tune(a.split_dir, a, peers)
        print_tune(rows, vdesc, timing_threads, a, skipped)
        return
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
