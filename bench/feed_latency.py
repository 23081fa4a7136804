#!/usr/bin/env python3
"""Server time of `homeFeed` and `recommendations` for many users, against a running server.

Signs end-user tokens itself (HS256 with the configured secret, standard claims), so it needs
only the Python standard library. Each request's time is measured over loopback, one request at
a time; the server's own figure per operation is in /metrics
(marquee_graphql_request_duration_seconds).

    python3 bench/feed_latency.py --url http://127.0.0.1:8080 --users 1-200 \
        --secret marquee-development-secret-do-not-use-in-production
"""
import argparse
import base64
import hashlib
import hmac
import json
import statistics
import time
import urllib.request

FEED = "{ homeFeed(rows: 8, itemsPerRow: 10) { rows { key items { source reason { text } movie { id title } } } } }"
RECS = "{ recommendations(first: 20) { edges { node { source reason { text } movie { id title } } } } }"


def b64(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def token(sub: str, secret: str, iss: str, aud: str) -> str:
    now = int(time.time())
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = b64(json.dumps({"sub": sub, "iss": iss, "aud": aud, "iat": now, "exp": now + 3600}).encode())
    sig = hmac.new(secret.encode(), f"{header}.{claims}".encode(), hashlib.sha256).digest()
    return f"{header}.{claims}.{b64(sig)}"


def post(url: str, query: str, tok: str) -> dict:
    req = urllib.request.Request(
        url + "/graphql",
        json.dumps({"query": query}).encode(),
        {"content-type": "application/json", "authorization": "Bearer " + tok},
    )
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="http://127.0.0.1:8080")
    ap.add_argument("--users", default="1-100", help="external ids, a range like 1-100")
    ap.add_argument("--secret", default="marquee-development-secret-do-not-use-in-production")
    ap.add_argument("--iss", default="marquee")
    ap.add_argument("--aud", default="marquee")
    args = ap.parse_args()
    lo, hi = (int(x) for x in args.users.split("-"))
    users = [str(u) for u in range(lo, hi + 1)]
    print("| query | users | mean ms | p50 ms | p95 ms | max ms |")
    print("|---|---|---|---|---|---|")
    for name, q in (("homeFeed(rows: 8, itemsPerRow: 10)", FEED), ("recommendations(first: 20)", RECS)):
        # One warm-up request per user (creates the user on first sight, fills caches).
        toks = [token(u, args.secret, args.iss, args.aud) for u in users]
        for t in toks[:5]:
            post(args.url, q, t)
        times = []
        for t in toks:
            t0 = time.perf_counter()
            r = post(args.url, q, t)
            times.append((time.perf_counter() - t0) * 1000)
            if r.get("errors"):
                raise SystemExit(f"error: {r['errors']}")
        times.sort()
        p = lambda f: times[min(len(times) - 1, int(len(times) * f))]
        print(f"| {name} | {len(times)} | {statistics.mean(times):.2f} | {p(0.5):.2f} | {p(0.95):.2f} | {times[-1]:.2f} |")


if __name__ == "__main__":
    main()
