#!/usr/bin/env python3
"""Does a learned re-ranker over the linear models reach 1.05x on a random holdout? (issue #12)

`holdout_levers.py` bounds single levers blended linearly with EASE. This asks the stronger
question: a LambdaMART re-ranker (LightGBM) over the candidates of EASE and ALS, with features
a linear blend cannot combine (ranks, user-kNN, popularity, user activity, the gap between an
item's and a user's time on the site, the item's mean rating), trained honestly:

1. stage 1 (EASE, implicit ALS, user-kNN) is fitted on DIR/validation/fold0.train.tsv and the
   re-ranker learns which candidates are in DIR/validation/fold0.test.tsv (a quarter of the
   validation users is kept aside for early stopping);
2. stage 1 is refitted on DIR/fold0.train.tsv and the re-ranker orders the test candidates once.

The test split plays no part in any choice. NDCG@10 follows Marquee's top-N protocol
(candidates = training items the user has not interacted with; relevant = all the user's test
items; binary gains). `--objective binary` trains a logistic model instead of LambdaMART.
Needs numpy, scipy, implicit, lightgbm and scikit-learn.

    /tmp/peers/bin/python bench/peers/rerank_bound.py /tmp/splits/tune-ml-100k-holdout \
        --lambda 500 --peer 0.4354
"""
import argparse
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402


def read(path):
    a = np.loadtxt(path, dtype=np.float64, ndmin=2)
    return a[:, 0].astype(np.int64), a[:, 1].astype(np.int64), a[:, 2], a[:, 3].astype(np.int64)


class Split:
    """One train/test pair as dense user x item matrices over the training file's ids."""

    def __init__(self, d):
        tu, ti, tr, tt = read(os.path.join(d, "fold0.train.tsv"))
        su, si, _, _ = read(os.path.join(d, "fold0.test.tsv"))
        self.users = {u: n for n, u in enumerate(np.unique(tu))}
        self.items = {i: n for n, i in enumerate(np.unique(ti))}
        u = np.array([self.users[x] for x in tu])
        i = np.array([self.items[x] for x in ti])
        nu, ni = len(self.users), len(self.items)
        self.x = np.zeros((nu, ni), np.float32)
        self.x[u, i] = 1
        self.u, self.i, self.r, self.t = u, i, tr, tt.astype(np.float64)
        self.relevant = {}
        for uu, ii in zip(su, si):
            if uu in self.users and ii in self.items:
                self.relevant.setdefault(self.users[uu], set()).add(self.items[ii])


def ease(x, lam):
    g = (x.T @ x).astype(np.float64)
    g[np.diag_indices_from(g)] += lam
    p = np.linalg.inv(g)
    b = -p / np.diag(p)
    b[np.diag_indices_from(b)] = 0
    return (x @ b).astype(np.float32)


def als(x, factors, reg, alpha, seed):
    import implicit
    import scipy.sparse as sp

    m = implicit.als.AlternatingLeastSquares(factors=factors, regularization=reg, alpha=alpha,
                                             iterations=15, random_state=seed, num_threads=1)
    m.fit(sp.csr_matrix(x), show_progress=False)
    return (np.asarray(m.user_factors) @ np.asarray(m.item_factors).T).astype(np.float32)


def user_knn(x, k):
    n = x / (np.linalg.norm(x, axis=1, keepdims=True) + 1e-9)
    sim = n @ n.T
    np.fill_diagonal(sim, 0)
    cut = np.partition(sim, -k, axis=1)[:, -k][:, None]
    sim = np.where(sim >= cut, sim, 0)
    return (sim @ x).astype(np.float32)


def ranks(s):
    """Each item's rank within its user's row (0 = best)."""
    order = np.argsort(-s, axis=1)
    r = np.empty_like(order)
    rows = np.arange(s.shape[0])[:, None]
    r[rows, order] = np.arange(s.shape[1])[None, :]
    return r


def stage1(sp, lam, als_params, seed):
    x = sp.x
    s = {"ease": ease(x, lam), "als": als(x, *als_params, seed), "uknn": user_knn(x, 50)}
    for k in list(s):
        s[k] = np.where(x > 0, -np.inf, s[k])
    return s


def features(sp, s, n_cand):
    """Candidates (top n of EASE and of ALS) with their features; returns (user, item, X)."""
    x = sp.x
    nu, ni = x.shape
    rk = {k: ranks(v) for k, v in s.items()}
    z = {}
    for k, v in s.items():
        fin = np.where(np.isfinite(v), v, np.nan)
        z[k] = (v - np.nanmean(fin, 1, keepdims=True)) / (np.nanstd(fin, 1, keepdims=True) + 1e-9)
    pop = x.sum(0)
    hist = x.sum(1)
    mean_r = np.bincount(sp.i, sp.r, ni) / np.maximum(pop, 1)
    # time on the site: an item's median rating time, a user's median and span (days)
    item_t = np.array([np.median(sp.t[sp.i == j]) if pop[j] else np.nan for j in range(ni)])
    user_t = np.array([np.median(sp.t[sp.u == v]) for v in range(nu)])
    user_lo = np.array([sp.t[sp.u == v].min() for v in range(nu)])
    user_hi = np.array([sp.t[sp.u == v].max() for v in range(nu)])
    item_first = np.array([sp.t[sp.i == j].min() if pop[j] else np.nan for j in range(ni)])
    user_pop = (x @ np.log1p(pop)) / np.maximum(hist, 1)
    cu, ci = [], []
    for v in range(nu):
        c = np.union1d(np.where(rk["ease"][v] < n_cand)[0], np.where(rk["als"][v] < n_cand)[0])
        c = c[np.isfinite(s["ease"][v, c])]
        cu.append(np.full(len(c), v))
        ci.append(c)
    cu, ci = np.concatenate(cu), np.concatenate(ci)
    day = 86400.0
    cols = [
        s["ease"][cu, ci], z["ease"][cu, ci], rk["ease"][cu, ci],
        s["als"][cu, ci], z["als"][cu, ci], rk["als"][cu, ci],
        z["uknn"][cu, ci], rk["uknn"][cu, ci],
        np.log1p(pop[ci]), mean_r[ci], np.log1p(hist[cu]), user_pop[cu],
        (item_t[ci] - user_t[cu]) / day, (item_first[ci] - user_hi[cu]) / day,
        (user_hi[cu] - user_lo[cu]) / day,
    ]
    return cu, ci, np.column_stack(cols).astype(np.float32)


def ndcg_of(sp, cu, ci, score, k):
    disc = 1 / np.log2(np.arange(k) + 2)
    total = 0.0
    order = np.lexsort((-score, cu))
    cu, ci = cu[order], ci[order]
    starts = np.searchsorted(cu, np.arange(sp.x.shape[0]))
    ends = np.searchsorted(cu, np.arange(sp.x.shape[0]), side="right")
    for v, rel in sp.relevant.items():
        row = ci[starts[v]:ends[v]][:k]
        gains = np.array([j in rel for j in row], dtype=float)
        total += (gains * disc[: len(row)]).sum() / disc[: min(len(rel), k)].sum()
    return total / len(sp.relevant)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir")
    ap.add_argument("--lambda", dest="lam", type=float, default=500.0)
    ap.add_argument("--als", default="32,10,1.0", help="implicit ALS factors,regularization,alpha")
    ap.add_argument("--candidates", type=int, default=50)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--peer", type=float, help="the best tuned peer's test NDCG@k, for the ratio")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--objective", default="lambdarank", help="lambdarank or binary")
    ap.add_argument("--leaves", type=int, default=15)
    ap.add_argument("--rate", type=float, default=0.03)
    a = ap.parse_args()
    import lightgbm as lgb

    f, reg, alpha = a.als.split(",")
    als_params = (int(f), float(reg), float(alpha))
    t0 = time.time()
    val = Split(os.path.join(a.dir, "validation"))
    vs = stage1(val, a.lam, als_params, a.seed)
    vu, vi, vx = features(val, vs, a.candidates)
    vy = np.array([j in val.relevant.get(v, ()) for v, j in zip(vu, vi)], dtype=int)
    rng = np.random.default_rng(a.seed)
    stop_users = set(rng.choice(val.x.shape[0], val.x.shape[0] // 4, replace=False).tolist())
    is_stop = np.array([v in stop_users for v in vu])

    def groups(users):
        return np.bincount(users)[np.unique(users)]

    fit_mask, stop_mask = ~is_stop, is_stop
    model = lgb.LGBMRanker if a.objective == "lambdarank" else lgb.LGBMClassifier
    ranker = model(objective=a.objective, n_estimators=2000, learning_rate=a.rate,
                   num_leaves=a.leaves, min_child_samples=50, subsample=0.8, subsample_freq=1,
                   colsample_bytree=0.8, random_state=a.seed, n_jobs=1, verbose=-1)
    if a.objective == "lambdarank":
        ranker.fit(vx[fit_mask], vy[fit_mask], group=groups(vu[fit_mask]),
                   eval_set=[(vx[stop_mask], vy[stop_mask])], eval_group=[groups(vu[stop_mask])],
                   eval_at=[a.k], callbacks=[lgb.early_stopping(100, verbose=False)])
    else:
        ranker.fit(vx[fit_mask], vy[fit_mask], eval_set=[(vx[stop_mask], vy[stop_mask])],
                   callbacks=[lgb.early_stopping(100, verbose=False)])
    fit_s = time.time() - t0

    test = Split(a.dir)
    ts = stage1(test, a.lam, als_params, a.seed)
    tu, ti, tx = features(test, ts, a.candidates)
    rows = {
        "EASE (stage 1)": tx[:, 0],
        "implicit ALS (stage 1)": tx[:, 3],
        "EASE + ALS, z-scores": tx[:, 1] + tx[:, 4],
        f"re-ranker ({a.objective})": (ranker.predict(tx) if a.objective == "lambdarank"
                                       else ranker.predict_proba(tx)[:, 1]),
    }
    print(f"split {a.dir}: {test.x.shape[0]} users, {test.x.shape[1]} items; stage 1 EASE λ "
          f"{a.lam:g}, implicit ALS {a.als}; {a.candidates} candidates from each; re-ranker "
          f"{ranker.best_iteration_} trees, trained on the validation split in {fit_s:.0f} s")
    print()
    hdr = f"| model | test NDCG@{a.k} | ÷ EASE |" + (" ÷ best tuned peer |" if a.peer else "")
    print(hdr)
    print("|---" * (4 if a.peer else 3) + "|")
    base = ndcg_of(test, tu, ti, rows["EASE (stage 1)"], a.k)
    for name, score in rows.items():
        n = ndcg_of(test, tu, ti, score, a.k)
        line = f"| {name} | {n:.4f} | {n / base:.3f}× |"
        if a.peer:
            line += f" {n / a.peer:.3f}× |"
        print(line, flush=True)
    names = ["ease", "ease_z", "ease_rank", "als", "als_z", "als_rank", "uknn_z", "uknn_rank",
             "log_pop", "mean_rating", "log_history", "user_mean_pop", "item_minus_user_days",
             "item_first_minus_user_last_days", "user_span_days"]
    imp = sorted(zip(ranker.booster_.feature_importance("gain"), names), reverse=True)
    print()
    print("gain by feature: " + ", ".join(f"{n} {g / sum(i for i, _ in imp):.0%}" for g, n in imp[:8]))


if __name__ == "__main__":
    sys.exit(main())
