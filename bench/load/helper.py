#!/usr/bin/env python3
"""Helper of bench/load.sh (Python standard library only).

Subcommands:
  free-port                          print a free TCP port on 127.0.0.1
  wait-ready URL PID TIMEOUT         wait for GET /healthz and /readyz to answer 200
  data-file URL TOKENS MOVIES OUT    write the Lua data file wrk reads: the tokens (one a line in
                                     TOKENS) and MOVIES opaque movie ids paged from `movies`
  metrics URL                        print "<db statements> <failed db statements> <GraphQL
                                     operations served>" from /metrics
  error-codes URL                    print marquee_graphql_errors_total by code, "CODE=N ..."
  config-value KEY                   a setting as the server sees it (env MARQUEE__…, then
                                     config/{MARQUEE_ENV}.toml, then config/default.toml)
  wrk-row KEY=VALUE... WRK_OUT       turn one wrk run (its MARQUEE_RESULT line) into a TSV row
  render WORKDIR                     print the report (Markdown) from the run's TSV files
"""
import json
import os
import socket
import sys
import time
import urllib.error
import urllib.request

# Columns of results.tsv (one row per wrk run); see wrk-row.
COLUMNS = [
    "backend", "workload", "clients", "threads", "requests", "duration_us", "p50_us", "p90_us",
    "p99_us", "max_us", "non2xx", "gql_errors", "connect", "read", "write", "timeout", "status",
    "issued_recommendations", "issued_events", "issued_ratings", "cpu_ticks", "clk_tck", "rss_kb",
    "stmts", "stmts_failed", "served", "sample",
]
INT_COLUMNS = set(COLUMNS) - {"backend", "workload", "sample"}
WORKLOAD_LABELS = {
    "typename": "`{ __typename }` (anonymous)",
    "healthz": "GET /healthz",
    "healthz-probe": "GET /healthz probe",
    "movies": "movies(first: 20)",
    "recommendations": "recommendations(first: 10)",
    "homeFeed": "homeFeed(rows: 4, itemsPerRow: 5)",
    "recordEvent": "recordEvent",
    "rateMovie": "rateMovie",
    "mixed": "mixed 80/15/5",
}
WRITES = ("recordEvent", "rateMovie")


def die(msg: str) -> None:
    print(f"helper.py: {msg}", file=sys.stderr)
    sys.exit(1)


def http(url: str, body: bytes | None = None, headers: dict | None = None, timeout: float = 10):
    req = urllib.request.Request(url, body, headers or {})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status, r.read()


# ------------------------------------------------------------------------------------------ cmds
def free_port() -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
    s.close()


def wait_ready(url: str, pid: str, timeout: str) -> None:
    deadline = time.monotonic() + float(timeout)
    last = "no answer"
    for path in ("/healthz", "/readyz"):
        while True:
            try:
                os.kill(int(pid), 0)
            except ProcessLookupError:
                die(f"the server (pid {pid}) exited before it became ready")
            try:
                status, body = http(url + path, timeout=2)
                if status == 200:
                    break
                last = f"{path}: HTTP {status} {body[:200]!r}"
            except urllib.error.HTTPError as e:
                last = f"{path}: HTTP {e.code} {e.read()[:200]!r}"
            except (OSError, urllib.error.URLError) as e:
                last = f"{path}: {e}"
            if time.monotonic() > deadline:
                die(f"the server did not become ready within {timeout}s (last: {last})")
            time.sleep(0.25)


def graphql(url: str, token: str, query: str, variables: dict | None = None) -> dict:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    headers = {"content-type": "application/json", "authorization": "Bearer " + token}
    try:
        _, raw = http(url + "/graphql", body, headers, timeout=30)
    except urllib.error.HTTPError as e:
        die(f"POST /graphql: HTTP {e.code}: {e.read()[:500]!r}")
    out = json.loads(raw)
    if out.get("errors"):
        die(f"GraphQL errors: {json.dumps(out['errors'])[:500]}")
    return out["data"]


def lua_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def data_file(url: str, tokens_path: str, count: str, out: str) -> None:
    tokens = [t.strip() for t in open(tokens_path) if t.strip()]
    if not tokens:
        die(f"no tokens in {tokens_path}")
    want = int(count)
    ids: list[str] = []
    after = None
    q = ("query($first: Int, $after: String) { movies(first: $first, after: $after) "
         "{ edges { node { id } } pageInfo { endCursor hasNextPage } } }")
    while len(ids) < want:
        d = graphql(url, tokens[0], q, {"first": min(100, want - len(ids)), "after": after})
        conn = d["movies"]
        ids += [e["node"]["id"] for e in conn["edges"]]
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    if not ids:
        die("`movies` returned no movie: was the dataset imported?")
    with open(out, "w") as f:
        f.write("-- generated by bench/load.sh\nreturn {\n  tokens = {\n")
        f.writelines(f"    {lua_str(t)},\n" for t in tokens)
        f.write("  },\n  movies = {\n")
        f.writelines(f"    {lua_str(i)},\n" for i in ids)
        f.write("  },\n}\n")
    print(f"{len(tokens)} tokens, {len(ids)} movies")


def scrape(url: str) -> list[tuple[str, str, float]]:
    _, raw = http(url + "/metrics")
    rows = []
    for line in raw.decode().splitlines():
        if not line or line.startswith("#"):
            continue
        name_labels, _, value = line.rpartition(" ")
        name, _, labels = name_labels.partition("{")
        rows.append((name, labels.rstrip("}"), float(value)))
    return rows


def metrics(url: str) -> None:
    rows = scrape(url)
    m = {n: v for n, l, v in rows if not l}
    served = sum(v for n, _, v in rows if n == "marquee_graphql_requests_total")
    print(int(m.get("marquee_db_statements_total", -1)), int(m.get("marquee_db_statements_failed_total", -1)),
          int(served))


def error_codes(url: str) -> None:
    out = []
    for n, l, v in scrape(url):
        if n == "marquee_graphql_errors_total" and v:
            code = l.partition('"')[2].rstrip('"')
            out.append(f"{code}={int(v)}")
    print(" ".join(out) or "none")


def config_value(key: str) -> None:
    import tomllib

    env_key = "MARQUEE__" + key.upper().replace(".", "__")
    if env_key in os.environ:
        print(f"{os.environ[env_key]} (env {env_key})")
        return
    env = os.environ.get("MARQUEE_ENV", "local")
    found = None
    for path in ("config/default.toml", f"config/{env}.toml"):
        if not os.path.exists(path):
            continue
        node = tomllib.load(open(path, "rb"))
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node is not None:
            found = f"{node} ({path})"
    print(found or "unset")


def wrk_row(args: list[str]) -> None:
    *kvs, wrk_out = args
    row = dict(kv.split("=", 1) for kv in kvs)
    text = open(wrk_out, errors="replace").read()
    result = [l for l in text.splitlines() if l.startswith("MARQUEE_RESULT ")]
    if not result:
        tail = "\n".join(text.splitlines()[-15:])
        die(f"wrk printed no MARQUEE_RESULT line ({wrk_out}):\n{tail}")
    row.update(kv.split("=", 1) for kv in result[-1].split()[1:])
    samples = [l[len("MARQUEE_ERROR_SAMPLE "):] for l in text.splitlines() if l.startswith("MARQUEE_ERROR_SAMPLE ")]
    row["sample"] = (samples[0] if samples else "").replace("\t", " ")[:400]
    missing = [c for c in COLUMNS if c not in row]
    if missing:
        die(f"wrk-row: missing {missing}")
    print("\t".join(str(row[c]) for c in COLUMNS))
    r = parse_row(row)
    print(
        f"    {r['backend']:<8} {r['workload']:<16} c={r['clients']:<3} {r['rps']:9.1f} req/s"
        f"  p50 {r['p50']:7.2f} ms  p99 {r['p99']:7.2f} ms  errors {r['errors']}"
        f"  cpu {fmt(r['cpu_ms'], 3)} ms/req  rss {r['rss_kb'] / 1024:.0f} MB",
        file=sys.stderr,
    )


# ---------------------------------------------------------------------------------------- render
def parse_row(row: dict) -> dict:
    r = {c: (int(float(row[c])) if c in INT_COLUMNS else row[c]) for c in COLUMNS}
    r["clients"] = int(r["clients"])
    secs = r["duration_us"] / 1e6 or 1e-9
    r["secs"] = secs
    r["rps"] = r["requests"] / secs
    r["p50"] = r["p50_us"] / 1000
    r["p99"] = r["p99_us"] / 1000
    r["socket"] = r["connect"] + r["read"] + r["write"] + r["timeout"]
    r["errors"] = r["non2xx"] + r["gql_errors"] + r["socket"]
    r["acked"] = r["requests"] - r["non2xx"] - r["gql_errors"]
    r["cpu_ms"] = (r["cpu_ticks"] * 1000 / r["clk_tck"] / r["requests"]) if r["requests"] and r["cpu_ticks"] >= 0 else None
    # Per write the server served (its own count), not per response wrk saw: requests still in
    # flight when wrk stops run their statements after the client stopped counting.
    denom = r["served"] if r["served"] > 0 else r["acked"]
    r["stmts_per_write"] = (r["stmts"] / denom) if denom > 0 and r["stmts"] >= 0 else None
    return r


def read_tsv(path: str) -> list[dict]:
    if not os.path.exists(path):
        return []
    rows = []
    for line in open(path):
        parts = line.rstrip("\n").split("\t")
        if len(parts) == len(COLUMNS):
            rows.append(parse_row(dict(zip(COLUMNS, parts))))
    return rows


def read_kv(path: str) -> dict:
    if not os.path.exists(path):
        return {}
    out = {}
    for line in open(path):
        k, _, v = line.rstrip("\n").partition("\t")
        out[k] = v
    return out


def fmt(x, nd=2, pct=False) -> str:
    if x is None:
        return "n/a"
    return f"{x * 100:.1f} %" if pct else f"{x:.{nd}f}"


def render(work: str) -> None:
    meta = read_kv(os.path.join(work, "meta.tsv"))
    rows = read_tsv(os.path.join(work, "results.tsv"))
    backends = [b for b in meta.get("backends", "").split(",") if b]
    out = []
    p = out.append
    p("## Marquee HTTP load benchmark (bench/load.sh)")
    p("")
    p(f"- command: `{meta.get('command', '?')}`")
    p(f"- date: {meta.get('date', '?')}; host: {meta.get('host', '?')}, nproc = {meta.get('nproc', '?')}; "
      f"load average at start {meta.get('loadavg_start', '?')}, at end {meta.get('loadavg_end', '?')}")
    p(f"- commit: {meta.get('commit', '?')}; binary: {meta.get('binary', '?')}")
    p(f"- client: {meta.get('wrk_version', 'wrk')}, threads = min(clients, 2), connections = clients, "
      f"{meta.get('duration', '?')} s per cell after a {meta.get('warmup', '?')} s warm-up per workload "
      f"(users in turn, repeated up to 3 times until every user was answered; not counted), timeout {meta.get('timeout', '?')}; {meta.get('users', '?')} distinct users "
      f"(one token each, picked at random per request), {meta.get('movies', '?')} distinct movies")
    p(f"- server: the binary above, `serve --no-demo`, actix workers = {meta.get('workers', '?')}, "
      f"DB pool max_connections = {meta.get('pool', '?')}, log level {meta.get('log_level', '?')}; "
      f"client and server share the same {meta.get('nproc', '?')} cores")
    p(f"- data: {meta.get('dataset', '?')} imported and trained into a fresh database per backend")
    p("- errors = non-2xx + HTTP 200 with GraphQL `errors` + socket errors/timeouts; server CPU = "
      "utime+stime of the server process over the cell / completed requests; % columns = req/s over "
      "the same backend's `{ __typename }` (resp. `/healthz`) req/s at the same clients in this run")
    p("")
    p("| backend | workload | clients | req/s | p50 ms | p99 ms | errors | server CPU ms/req | % of typename | % of healthz | RSS MB |")
    p("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    floor = {(r["backend"], r["workload"], r["clients"]): r["rps"] for r in rows if r["workload"] in ("typename", "healthz")}
    for r in rows:
        t = floor.get((r["backend"], "typename", r["clients"]))
        h = floor.get((r["backend"], "healthz", r["clients"]))
        p(f"| {r['backend']} | {WORKLOAD_LABELS.get(r['workload'], r['workload'])} | {r['clients']} | {r['rps']:.0f} "
          f"| {r['p50']:.2f} | {r['p99']:.2f} | {r['errors']} | {fmt(r['cpu_ms'], 3)} "
          f"| {fmt(r['rps'] / t if t else None, pct=True)} | {fmt(r['rps'] / h if h else None, pct=True)} "
          f"| {r['rss_kb'] / 1024:.0f} |")
    for b in backends:
        render_backend(work, b, meta, [r for r in rows if r["backend"] == b], p)
    print("\n".join(out))


def render_backend(work: str, b: str, meta: dict, rows: list[dict], p) -> None:
    bm = read_kv(os.path.join(work, b, "meta.tsv"))
    p("")
    p(f"### {b}")
    p("")
    p(f"- database: {bm.get('url', '?')}; import {bm.get('import_secs', '?')} s ({bm.get('import_summary', '?')}); "
      f"train {bm.get('train_secs', '?')} s")
    p(f"- server threads: {bm.get('threads', '?')}")
    under = read_tsv(os.path.join(work, b, "underload.tsv"))
    hz = next((r for r in under if r["workload"].startswith("healthz")), None)
    bg = next((r for r in under if not r["workload"].startswith("healthz")), None)
    if hz and bg:
        p(f"- /healthz under load: p50 {hz['p50']:.2f} ms, p99 {hz['p99']:.2f} ms, max {hz['max_us'] / 1000:.2f} ms, "
          f"{hz['requests']} requests, {hz['errors']} errors (wrk -t1 -c1, {meta_probe(bm)}) while "
          f"{WORKLOAD_LABELS[bg['workload']]} ran at {bg['clients']} clients: {bg['rps']:.0f} req/s, "
          f"p50 {bg['p50']:.2f} ms, p99 {bg['p99']:.2f} ms, {bg['errors']} errors")
    warm = read_tsv(os.path.join(work, b, "warmup.tsv"))
    if warm:
        users = int(meta.get("users", "0") or 0)
        p(f"- warm-up (not in the table; users taken in turn, so the first request of each user falls here): " + "; ".join(
            f"{r['workload']} @ {r['clients']}: {r['requests']} requests"
            + ("" if r["workload"] in ("typename", "healthz") else
               f" ({'every' if r['requests'] >= users else 'only ' + str(r['requests']) + ' of'} {users} users)")
            + f", {r['rps']:.0f} req/s, p99 {r['p99']:.1f} ms, max {r['max_us'] / 1000:.1f} ms, "
            f"{r['errors']} errors" + (f", {r['stmts'] / r['served']:.2f} statements/request" if r["served"] > 0 else "")
            for r in warm))
    writes = [r for r in rows if r["workload"] in WRITES]
    if writes:
        p("- writes: acknowledged = answered without error (wrk's count); served = the server's own count "
          "(marquee_graphql_requests_total delta, includes requests in flight when wrk stopped); "
          "statements = marquee_db_statements_total delta:")
        p("")
        p("  | workload | clients | acknowledged/s | failed | served | DB statements | statements / served write | failed DB statements |")
        p("  |---|---:|---:|---:|---:|---:|---:|---:|")
        for r in writes:
            p(f"  | {r['workload']} | {r['clients']} | {r['acked'] / r['secs']:.0f} | {r['errors']} | {r['served']} | "
              f"{r['stmts']} | {fmt(r['stmts_per_write'])} | {r['stmts_failed']} |")
        p("")
    reads = [r for r in rows if r["workload"] not in WRITES and r["workload"] != "healthz" and r["served"] > 0]
    if reads:
        p("- DB statements per served request (reads, at each clients): " + "; ".join(
            f"{r['workload']}@{r['clients']}: {r['stmts'] / r['served']:.2f}" for r in reads))
    p(f"- server RSS: {bm.get('rss_start_mb', '?')} MB after start, {bm.get('rss_end_mb', '?')} MB at the end; "
      f"database size at the end: {bm.get('db_size', '?')}")
    p(f"- server-side GraphQL errors by code (marquee_graphql_errors_total at the end): {bm.get('error_codes', '?')}")
    p(f"- server log: {bm.get('log_summary', '?')}")
    errs = [r for r in rows if r["errors"]]
    if errs:
        p("- cells with errors (non-2xx / GraphQL / socket, first error body):")
        for r in errs:
            p(f"  - {r['workload']} @ {r['clients']}: {r['non2xx']} / {r['gql_errors']} / {r['socket']}"
              f" — `{r['sample'][:300]}`")
    mixed = os.path.join(work, b, "mixed.tsv")
    mres = read_tsv(os.path.join(work, b, "mixed_result.tsv"))
    if os.path.exists(mixed):
        p("")
        p(f"Mixed run (80 % recommendations, 15 % recordEvent, 5 % rateMovie, {bm.get('mixed_clients', '?')} clients):")
        if mres:
            m = mres[0]
            p(f"{m['rps']:.0f} req/s over {m['secs']:.0f} s, p50 {m['p50']:.2f} ms, p99 {m['p99']:.2f} ms, "
              f"{m['errors']} errors, server CPU {fmt(m['cpu_ms'], 3)} ms/req, issued {m['issued_recommendations']} "
              f"recommendations / {m['issued_events']} recordEvent / {m['issued_ratings']} rateMovie"
              + (f"; first error: `{m['sample'][:300]}`" if m["sample"] else ""))
        p("")
        p("| t s | server RSS MB | DB size MB | server CPU s | DB statements |")
        p("|---:|---:|---:|---:|---:|")
        for line in open(mixed):
            t, rss, db, cpu, st = line.rstrip("\n").split("\t")
            p(f"| {t} | {int(rss) / 1024:.1f} | {int(db) / 1048576:.2f} | {cpu} | {st} |")
    goals(b, rows, hz, mres, os.path.join(work, b, "mixed.tsv"), int(meta.get("nproc", "2")), p)


def meta_probe(bm: dict) -> str:
    return f"a {bm.get('probe_pause_ms', '?')} ms pause between requests"


def goals(b, rows, hz, mres, mixed_path, nproc, p) -> None:
    cell = {(r["workload"], r["clients"]): r for r in rows}
    c = 32
    rec, feed, typ = cell.get(("recommendations", c)), cell.get(("homeFeed", c)), cell.get(("typename", c))
    checks = []

    def check(name, value, ok):
        checks.append((name, value, "n/a" if ok is None else ("PASS" if ok else "FAIL")))

    check("recommendations server CPU ≤ 0.5 ms/req (32 clients)",
          fmt(rec and rec["cpu_ms"], 3) + " ms" if rec else "n/a",
          None if not rec or rec["cpu_ms"] is None else rec["cpu_ms"] <= 0.5)
    r_ratio = rec["rps"] / typ["rps"] if rec and typ else None
    check("recommendations ≥ 10 % of `{ __typename }` req/s (32 clients)", fmt(r_ratio, pct=True),
          None if r_ratio is None else r_ratio >= 0.10)
    check("recommendations p99 ≤ 25 ms (32 clients)", f"{rec['p99']:.2f} ms" if rec else "n/a",
          None if not rec else rec["p99"] <= 25)
    f_ratio = feed["rps"] / typ["rps"] if feed and typ else None
    check("homeFeed ≥ 5 % of `{ __typename }` req/s (32 clients)", fmt(f_ratio, pct=True),
          None if f_ratio is None else f_ratio >= 0.05)
    recs = sorted((r for r in rows if r["workload"] == "recommendations"), key=lambda r: r["clients"])
    if recs:
        series = ", ".join(f"{r['clients']}: {r['rps']:.0f}" for r in recs)
        beyond = [r for r in recs if r["clients"] >= nproc]
        flat = None
        if len(beyond) >= 2:
            best = max(r["rps"] for r in beyond)
            flat = min(r["rps"] for r in beyond) >= 0.9 * best
        check(f"recommendations req/s grows up to {nproc} cores, flat (within 10 %) beyond", series, flat)
    check("/healthz p99 ≤ 5 ms under recommendations load", f"{hz['p99']:.2f} ms" if hz else "n/a",
          None if not hz else hz["p99"] <= 5)
    for w in WRITES:
        r = cell.get((w, c))
        check(f"{w}: 0 failed writes with 32 concurrent writers", str(r["errors"]) if r else "n/a",
              None if not r else r["errors"] == 0)
        check(f"{w}: ≤ 3 DB statements per write (32 clients)", fmt(r["stmts_per_write"]) if r else "n/a",
              None if not r or r["stmts_per_write"] is None else r["stmts_per_write"] <= 3)
    ev = cell.get(("recordEvent", c))
    need = 1000 if b == "sqlite" else 800
    check(f"recordEvent ≥ {need} acknowledged/s (32 clients)", f"{ev['acked'] / ev['secs']:.0f}/s" if ev else "n/a",
          None if not ev else ev["acked"] / ev["secs"] >= need)
    if os.path.exists(mixed_path):
        samples = [l.rstrip("\n").split("\t") for l in open(mixed_path)]
        if len(samples) >= 3:
            # Flat: the second half of the run adds at most 5 % to the RSS. Judged only on runs of
            # 10 minutes or more (the goal's length); shorter runs show the figures.
            t_end = float(samples[-1][0])
            mid = min(samples, key=lambda x: abs(float(x[0]) - t_end / 2))
            rss_mid, rss_end = int(mid[1]), int(samples[-1][1])
            span = (t_end - float(mid[0])) / 60 or 1
            check("memory flat over a 10-minute mixed run (second half adds ≤ 5 % RSS)",
                  f"{int(samples[0][1]) / 1024:.0f} → {rss_mid / 1024:.0f} (t={mid[0]} s) → {rss_end / 1024:.0f} MB "
                  f"(t={samples[-1][0]} s), {(rss_end - rss_mid) / 1024 / span:+.1f} MB/min in the second half",
                  None if t_end < 590 else rss_end <= rss_mid * 1.05)
            d0, d1 = int(samples[0][2]), int(samples[-1][2])
            reqs = mres[0]["requests"] if mres else 0
            check("database growth during the mixed run (judge by eye: reads may log impressions too)",
                  f"{(d1 - d0) / 1048576:+.2f} MB" + (f", {(d1 - d0) / reqs:.0f} B per request" if reqs else ""), None)
    p("")
    p(f"Goals ({b}; PASS/FAIL computed from the figures above; n/a = not measured in this run):")
    p("")
    p("| goal | measured | verdict |")
    p("|---|---|---|")
    for name, value, verdict in checks:
        p(f"| {name} | {value} | {verdict} |")


def main() -> None:
    if len(sys.argv) < 2:
        die(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "free-port":
        free_port()
    elif cmd == "wait-ready":
        wait_ready(*args)
    elif cmd == "data-file":
        data_file(*args)
    elif cmd == "metrics":
        metrics(*args)
    elif cmd == "error-codes":
        error_codes(*args)
    elif cmd == "config-value":
        config_value(*args)
    elif cmd == "wrk-row":
        wrk_row(args)
    elif cmd == "render":
        render(*args)
    else:
        die(f"unknown subcommand {cmd}\n{__doc__}")


if __name__ == "__main__":
    main()
