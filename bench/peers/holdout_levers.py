#!/usr/bin/env python3
"""Upper bounds of candidate levers over EASE on a random holdout (issue #12).

Reads a split written by `marquee evaluate|tune --write-splits DIR` (DIR/fold0.train.tsv and
DIR/fold0.test.tsv: user, item, rating, timestamp) and scores NDCG@10 with Marquee's top-N
protocol (candidates = items in the training file the user has not interacted with; relevant =
all the user's test items; binary gains). For every lever it prints NDCG@10 over a small grid of
its blend weight **picked on the test split itself**: an optimistic bound of what the lever could
add, not a tuned result. A lever whose bound stays far from +5 % is not worth building for the
random-holdout goal.

Levers: time-local popularity (items popular in the periods the user was active), co-occurrence
within a window of each user's time-ordered history, EASE fitted on user rows plus per-session
rows (a gap of more than an hour starts a session), a user-degree-normalised Gram matrix, and a
blend with implicit's ALS (when `implicit` is installed). The dense item × item solve needs
8·n² bytes: fine for ML-100K (1 682 items), about a minute and 1.5 GB for 9 700 items.

    /tmp/peers/bin/python bench/peers/holdout_levers.py /tmp/splits/ml-100k-holdout --lambda 500
"""
import argparse
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402


def read(path):
    a = np.loadtxt(path, dtype=np.float64, ndmin=2)
    return a[:, 0].astype(np.int64), a[:, 1].astype(np.int64), a[:, 3].astype(np.int64)


def ease(gram, lam):
    g = gram.astype(np.float64)
    g[np.diag_indices_from(g)] += lam
    p = np.linalg.inv(g)
    b = -p / np.diag(p)
    b[np.diag_indices_from(b)] = 0
    return b


def zscore(s):
    return (s - s.mean(1, keepdims=True)) / (s.std(1, keepdims=True) + 1e-9)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir")
    ap.add_argument("--lambda", dest="lam", type=float, default=250.0)
    ap.add_argument("--k", type=int, default=10)
    a = ap.parse_args()
    tu, ti, tt = read(os.path.join(a.dir, "fold0.train.tsv"))
    su, si, _ = read(os.path.join(a.dir, "fold0.test.tsv"))
    users = {u: n for n, u in enumerate(np.unique(tu))}
    items = {i: n for n, i in enumerate(np.unique(ti))}
    u = np.array([users[x] for x in tu])
    i = np.array([items[x] for x in ti])
    nu, ni = len(users), len(items)
    x = np.zeros((nu, ni), np.float32)
    x[u, i] = 1
    relevant = {}
    for uu, ii in zip(su, si):
        if uu in users and ii in items:
            relevant.setdefault(users[uu], set()).add(items[ii])
    disc = 1 / np.log2(np.arange(a.k) + 2)

    def ndcg(s):
        s = np.where(x > 0, -np.inf, s)
        top = np.argpartition(-s, a.k, axis=1)[:, : a.k]
        total = 0.0
        for uu, rel in relevant.items():
            row = top[uu][np.argsort(-s[uu, top[uu]])]
            gains = np.array([r in rel for r in row])
            total += (gains * disc).sum() / disc[: min(len(rel), a.k)].sum()
        return total / len(relevant)

    t0 = time.time()
    s_ease = x @ ease(x.T @ x, a.lam)
    base = ndcg(s_ease)
    print(f"split {a.dir}: {nu} users, {ni} items, {len(relevant)} test users; "
          f"EASE λ {a.lam:g} NDCG@{a.k} {base:.4f} ({time.time() - t0:.1f} s)")
    print()
    print(f"| lever | best weight (picked on test) | NDCG@{a.k} | ÷ EASE |")
    print("|---|---|---|---|")

    def report(name, scores_by_weight):
        best = max(((ndcg(s), w) for w, s in scores_by_weight), key=lambda t: t[0])
        print(f"| {name} | {best[1]} | {best[0]:.4f} | {best[0] / base:.3f}× |", flush=True)

    # time-local popularity: p(item | the periods the user rated in), 20 quantile bins
    bins = 20
    edges = np.quantile(tt, np.linspace(0, 1, bins + 1)[1:-1])
    b = np.searchsorted(edges, tt)
    pop = np.zeros((bins, ni))
    np.add.at(pop, (b, i), 1)
    glob = (pop.sum(0) + 1) / (pop.sum() + ni)
    local = (pop + glob) / (pop.sum(1, keepdims=True) + 1)
    q = np.zeros((nu, bins))
    np.add.at(q, (u, b), 1)
    q /= q.sum(1, keepdims=True)
    rel_pop = np.log(q @ local) - np.log(glob)
    report("+ time-local popularity (log ratio to global)",
           [(w, s_ease + w * rel_pop) for w in (0.005, 0.01, 0.02, 0.05)])

    # co-occurrence within 3 positions of each user's time-ordered history
    order = np.lexsort((tt, u))
    us, its = u[order], i[order]
    w_co = np.zeros((ni, ni), np.float32)
    for d in (1, 2, 3):
        same = us[:-d] == us[d:]
        np.add.at(w_co, (its[:-d][same], its[d:][same]), 1.0 / d)
        np.add.at(w_co, (its[d:][same], its[:-d][same]), 1.0 / d)
    deg = x.sum(0) + 1
    s_co = x @ (w_co / np.sqrt(np.outer(deg, deg)))
    report("+ window co-occurrence (z-scores)",
           [(w, zscore(s_ease) + w * zscore(s_co)) for w in (0.1, 0.3, 1.0)])

    # EASE on user rows plus session rows
    ts = tt[order]
    new = np.ones(len(us), bool)
    new[1:] = (us[1:] != us[:-1]) | (ts[1:] - ts[:-1] > 3600)
    sid = np.cumsum(new) - 1
    xs = np.zeros((sid.max() + 1, ni), np.float32)
    xs[sid, its] = 1
    report("EASE on users + sessions (session weight)",
           [(w, x @ ease(x.T @ x + w * (xs.T @ xs), a.lam * (1 + w))) for w in (0.5, 1.0)])

    # user-degree-normalised Gram
    def degree_norm(beta):
        xw = x * (x.sum(1, keepdims=True) ** -beta)
        g = xw.T @ xw
        return x @ ease(g, a.lam * np.trace(g) / np.trace(x.T @ x))
    report("EASE on a user-degree-normalised Gram (β)", [(w, degree_norm(w)) for w in (0.25, 0.5)])

    try:
        import implicit
        import scipy.sparse as sp
    except ImportError:
        print("| + ALS | implicit not installed | – | – |")
        return
    runs = []
    for f, reg, alpha in ((32, 10, 1.0), (128, 20, 2.0)):
        m = implicit.als.AlternatingLeastSquares(factors=f, regularization=reg, alpha=alpha,
                                                 iterations=15, random_state=42, num_threads=1)
        m.fit(sp.csr_matrix(x), show_progress=False)
        runs.append(np.asarray(m.user_factors) @ np.asarray(m.item_factors).T)
    s_als = max(runs, key=ndcg)
    report("implicit ALS alone (best of 2 settings)", [("–", s_als)])
    report("+ implicit ALS (z-scores)",
           [(w, zscore(s_ease) + w * zscore(s_als)) for w in (0.25, 0.5, 1.0, 2.0)])


if __name__ == "__main__":
    sys.exit(main())
