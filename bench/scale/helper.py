#!/usr/bin/env python3
"""Helper of bench/scale.sh (Python standard library, plus numpy/scipy/implicit for `implicit`).

Subcommands:
  latency URL TOKENS N OUT     N sequential recommendations(first: 10) requests, one token per
                               request in turn from TOKENS (one a line); writes p50/p99/max ms
                               and errors as JSON to OUT
  implicit RATINGS THREADS OUT fit implicit's ALS (64 factors, 15 iterations) on RATINGS
                               (ratings.csv, every rating a positive) and write the fit seconds
                               (wall and CPU) as JSON to OUT
  render WORKDIR               print the growth table (Markdown) from WORKDIR/steps.tsv
"""
import json
import os
import sys
import time
import urllib.request

QUERY = "query { recommendations(first: 10) { edges { node { movie { title } reason { text } } } } }"


def latency(url, tokens_file, n, out):
    tokens = [t.strip() for t in open(tokens_file) if t.strip()]
    body = json.dumps({"query": QUERY}).encode()
    times, errors = [], 0
    for i in range(int(n)):
        req = urllib.request.Request(
            url + "/graphql",
            data=body,
            headers={"content-type": "application/json", "authorization": "Bearer " + tokens[i % len(tokens)]},
        )
        t = time.perf_counter()
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                doc = json.loads(r.read())
            if doc.get("errors") or not doc.get("data", {}).get("recommendations", {}).get("edges"):
                errors += 1
        except Exception:
            errors += 1
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    pick = lambda q: times[min(len(times) - 1, int(q * len(times)))]
    json.dump({"p50_ms": round(pick(0.5), 2), "p99_ms": round(pick(0.99), 2), "max_ms": round(times[-1], 2),
               "errors": errors, "n": len(times)}, open(out, "w"))


def implicit_fit(ratings, threads, out):
    import numpy as np
    import scipy.sparse as sp
    from implicit.als import AlternatingLeastSquares

    data = np.loadtxt(ratings, delimiter=",", skiprows=1, usecols=(0, 1), dtype=np.int64)
    users, rows = np.unique(data[:, 0], return_inverse=True)
    items, cols = np.unique(data[:, 1], return_inverse=True)
    ui = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(users), len(items)))
    model = AlternatingLeastSquares(factors=64, iterations=15, num_threads=int(threads), random_state=42)
    w, c = time.perf_counter(), time.process_time()
    model.fit(ui, show_progress=False)
    json.dump({"fit_s": time.perf_counter() - w, "cpu_s": time.process_time() - c}, open(out, "w"))


def render(workdir):
    rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(workdir, "steps.tsv")) if l.strip()]
    sizes = []
    cells = {}
    order = []
    for size, ratings, step, wall, cpu, rss_kb, note in rows:
        if size not in sizes:
            sizes.append(size)
        if step not in order:
            order.append(step)
        cells[(step, size)] = (float(wall), float(cpu), int(rss_kb), note, int(ratings))
    head = "| step | " + " | ".join(f"{s}: wall s / CPU s / peak RSS MB" for s in sizes)
    head += " | growth per ×ratings (wall, ÷ linear) |"
    print(head)
    print("|---" * (len(sizes) + 2) + "|")
    for step in order:
        line = f"| {step} |"
        for s in sizes:
            c = cells.get((step, s))
            if c is None:
                line += " – |"
                continue
            wall, cpu, rss, note, _ = c
            line += f" {wall:.1f} / {cpu:.1f} / {rss // 1024}" + (f" ({note})" if note and note != "-" else "") + " |"
        growth = []
        for a, b in zip(sizes, sizes[1:]):
            ca, cb = cells.get((step, a)), cells.get((step, b))
            if ca and cb and ca[0] > 0 and ca[4] > 0:
                factor = (cb[0] / ca[0]) / (cb[4] / ca[4])
                growth.append(f"{a}→{b}: {factor:.2f}")
        line += " " + (", ".join(growth) or "–") + " |"
        print(line)


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"latency": latency, "implicit": implicit_fit, "render": render}[cmd](*args)
