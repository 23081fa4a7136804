"""Train ALS with the `implicit` library on ratings taken from Marquee's database, and write a
factor folder that `marquee model import` serves (the worked example of docs/scaling.md).

    python implicit_als.py RATINGS.csv OUT_DIR [--factors 64] [--iterations 15] [--reg 5] [--alpha 2]

RATINGS.csv has a header and the columns user_id, movie_id, score (Marquee's own ids). Every
rating counts as one positive interaction (value 1, weighted by alpha). Needs numpy, scipy and implicit (`pip install implicit`); threads follow
OPENBLAS_NUM_THREADS / implicit's defaults.
"""

import argparse
import csv
import json
import os
import time

import numpy as np
import scipy.sparse as sp
from implicit.als import AlternatingLeastSquares
import implicit


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("ratings")
    ap.add_argument("out")
    ap.add_argument("--factors", type=int, default=64)
    ap.add_argument("--iterations", type=int, default=15)
    ap.add_argument("--reg", type=float, default=5.0)
    ap.add_argument("--alpha", type=float, default=2.0)
    a = ap.parse_args()

    with open(a.ratings, newline="") as f:
        rows = [(int(r["user_id"]), int(r["movie_id"])) for r in csv.DictReader(f)]
    if not rows:
        raise SystemExit(f"{a.ratings}: no ratings")
    u = np.array([r[0] for r in rows], dtype=np.int64)
    m = np.array([r[1] for r in rows], dtype=np.int64)
    users, ui = np.unique(u, return_inverse=True)
    items, ii = np.unique(m, return_inverse=True)
    matrix = sp.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (ui, ii)), shape=(len(users), len(items))
    )
    model = AlternatingLeastSquares(
        factors=a.factors,
        regularization=a.reg,
        alpha=a.alpha,
        iterations=a.iterations,
        random_state=42,
    )
    t = time.time()
    model.fit(matrix, show_progress=False)
    seconds = time.time() - t

    os.makedirs(a.out, exist_ok=True)
    np.save(os.path.join(a.out, "users.npy"), users)
    np.save(os.path.join(a.out, "items.npy"), items)
    np.save(os.path.join(a.out, "user_factors.npy"), np.asarray(model.user_factors, np.float32))
    np.save(os.path.join(a.out, "item_factors.npy"), np.asarray(model.item_factors, np.float32))
    manifest = {
        "format": "marquee-factors",
        "formatVersion": 1,
        "factors": a.factors,
        "users": int(len(users)),
        "items": int(len(items)),
        "als": {"reg": a.reg, "alpha": a.alpha},
        "trainedAt": int(time.time()),
        "source": f"implicit {implicit.__version__} AlternatingLeastSquares",
    }
    with open(os.path.join(a.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    print(
        f"| ratings | users | movies | factors | fit seconds | folder |\n|---|---|---|---|---|---|\n"
        f"| {len(rows)} | {len(users)} | {len(items)} | {a.factors} | {seconds:.2f} | {a.out} |"
    )


if __name__ == "__main__":
    main()
