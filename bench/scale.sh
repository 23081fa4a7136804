#!/usr/bin/env bash
# Scale benchmark: seeded synthetic MovieLens-shaped data (`marquee bench synth`, written under
# TMPDIR, never into the repository) at each size, then, per size:
#
#   import (SQLite)       marquee import movielens DIR --source synth into a fresh SQLite file
#   import (PostgreSQL)   the same into a fresh PostgreSQL database (--backends …,postgres)
#   train                 marquee train (the served model set, offline metrics included)
#   evaluate ALS holdout  marquee evaluate --protocol holdout:0.2 --models als --no-rating
#   serve: start → ready  marquee serve --no-demo until /readyz names the stored model
#   serve: recommendations  N sequential recommendations(first: 10), p50/p99 (wall = p99 ms)
#   implicit ALS fit      implicit 64 f × 15 it on the same ratings, when IMPLICIT_PY is set
#
# Each step is timed with /usr/bin/time: wall seconds, CPU seconds (user + system) and peak
# RSS. It prints one Markdown table: the cells per size and, per step, the growth of wall time
# from one size to the next divided by the growth in ratings (1.00 = linear; the goal is ≤ 1.3).
#
# Usage:
#   bench/scale.sh                         # 1M and 5M on SQLite
#   bench/scale.sh --sizes 1M,5M,25M --backends sqlite,postgres --out results.md
#   IMPLICIT_PY=/tmp/peers/bin/python bench/scale.sh --sizes 1M --threads 2
#
# Options:
#   --sizes LIST       ratings per size, e.g. 1M,5M,25M (default 1M,5M)
#   --backends LIST    sqlite and/or postgres (default sqlite); train/serve run on the first
#   --requests N       sequential recommendation requests when serving (default 300)
#   --seed N           generator seed (default 42)
#   --threads N        RAYON_NUM_THREADS for Marquee and num_threads for implicit (default: cores)
#   --skip LIST        steps to skip: import,train,evaluate,serve,implicit
#   --out FILE         also append the report to FILE
#   --keep             keep the temporary directory
#
# Environment: MARQUEE_BIN (default: cargo build --release, then target/release/marquee),
# IMPLICIT_PY (a Python with numpy, scipy and implicit, e.g. a scratch virtualenv outside the
# repo: python3 -m venv /tmp/peers && /tmp/peers/bin/pip install implicit), MARQUEE_BENCH_PG_URL
# and MARQUEE_BENCH_PG_ADMIN_URL as in bench/load.sh, TMPDIR.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HELPER=$REPO/bench/scale/helper.py
COMMAND_LINE="bench/scale.sh $*"
SIZES=1M,5M
BACKENDS=sqlite
REQUESTS=300
SEED=42
THREADS=$(nproc)
SKIP=""
OUT=""
KEEP=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --sizes) SIZES=$2; shift 2 ;;
    --backends) BACKENDS=$2; shift 2 ;;
    --requests) REQUESTS=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --skip) SKIP=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
skip() { [[ ",$SKIP," == *",$1,"* ]]; }

if [[ -z ${MARQUEE_BIN:-} ]]; then
  (cd "$REPO" && cargo build --release --quiet)
  MARQUEE_BIN=${CARGO_TARGET_DIR:-$REPO/target}/release/marquee
fi
PG_URL=${MARQUEE_BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/marquee_scale}
PG_ADMIN=${MARQUEE_BENCH_PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/test}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/marquee-scale.XXXXXX")
cleanup() {
  [[ -n ${SERVER_PID:-} ]] && pkill -P "$SERVER_PID" 2>/dev/null || true
  if [[ $KEEP == 1 ]]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
export RAYON_NUM_THREADS=$THREADS MARQUEE_ENV=local MARQUEE__LOG__LEVEL=warn
export MARQUEE__RECOMMENDER__TRAIN_ON_START=false MARQUEE__DEMO__LOAD_ON_EMPTY=false
: > "$WORK/steps.tsv"

# run SIZE RATINGS STEP NOTE CMD...: times CMD, appends a row to steps.tsv
run() {
  local size=$1 ratings=$2 step=$3 note=$4; shift 4
  echo "[$size] $step: $*" >&2
  /usr/bin/time -f "%e %U %S %M" -o "$WORK/time" "$@" > "$WORK/last.out" 2> "$WORK/last.err" || {
    echo "[$size] $step failed:" >&2; tail -20 "$WORK/last.err" >&2; return 1; }
  read -r wall user sys rss < <(tail -1 "$WORK/time")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$size" "$ratings" "$step" "$wall" \
    "$(echo "$user + $sys" | bc)" "$rss" "$note" >> "$WORK/steps.tsv"
}

pg_reset() {
  local db=${PG_URL##*/}
  psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null
}

IFS=, read -ra SIZE_LIST <<< "$SIZES"
IFS=, read -ra BACKEND_LIST <<< "$BACKENDS"
for size in "${SIZE_LIST[@]}"; do
  data=$WORK/data-$size
  "$MARQUEE_BIN" bench synth --ratings "$size" --seed "$SEED" --out "$data" >&2
  ratings=$(($(wc -l < "$data/ratings.csv") - 1))
  first_url=""
  for backend in "${BACKEND_LIST[@]}"; do
    case $backend in
      sqlite) url="sqlite://$WORK/scale-$size.db?mode=rwc"; rm -f "$WORK/scale-$size.db"* ;;
      postgres) url=$PG_URL; pg_reset ;;
      *) echo "unknown backend $backend" >&2; exit 2 ;;
    esac
    [[ -z $first_url ]] && first_url=$url
    "$MARQUEE_BIN" --database-url "$url" migrate up >/dev/null
    skip import || run "$size" "$ratings" "import ($backend)" "-" \
      "$MARQUEE_BIN" --database-url "$url" import movielens "$data" --source synth
  done
  url=$first_url
  skip train || run "$size" "$ratings" "train (${BACKEND_LIST[0]})" "-" \
    "$MARQUEE_BIN" --database-url "$url" train
  skip evaluate || run "$size" "$ratings" "evaluate ALS holdout" "-" \
    "$MARQUEE_BIN" evaluate --dataset "$data" --protocol holdout:0.2 --models als --no-rating
  if ! skip serve; then
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    start=$(date +%s.%N)
    /usr/bin/time -f "%e %U %S %M" -o "$WORK/serve.time" \
      "$MARQUEE_BIN" --database-url "$url" serve --no-demo --bind "127.0.0.1:$port" \
      > "$WORK/serve.log" 2>&1 &
    SERVER_PID=$!
    until curl -sf "http://127.0.0.1:$port/readyz" 2>/dev/null | grep -q '"version"'; do
      kill -0 $SERVER_PID 2>/dev/null || { tail "$WORK/serve.log" >&2; exit 1; }
      sleep 0.1
    done
    ready=$(echo "$(date +%s.%N) - $start" | bc)
    child=$(pgrep -P $SERVER_PID marquee || echo $SERVER_PID)
    rss_ready=$(awk '/VmRSS/ {print $2}' "/proc/$child/status")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$size" "$ratings" "serve: start → ready" "$ready" 0 "$rss_ready" "RSS when ready" >> "$WORK/steps.tsv"
    : > "$WORK/tokens"
    for u in 1 2 3 5 8 13 21 34 55 89 144 233 377 610 987; do
      "$MARQUEE_BIN" token --user "synth:$u" >> "$WORK/tokens"
    done
    python3 "$HELPER" latency "http://127.0.0.1:$port" "$WORK/tokens" "$REQUESTS" "$WORK/lat.json"
    rss_after=$(awk '/VmRSS/ {print $2}' "/proc/$child/status")
    read -r p50 p99 errs < <(python3 -c "import json; d=json.load(open('$WORK/lat.json')); print(d['p50_ms'], d['p99_ms'], d['errors'])")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$size" "$ratings" "serve: recommendations p99 ms" "$p99" 0 "$rss_after" "p50 ${p50} ms, $errs errors, $REQUESTS sequential" >> "$WORK/steps.tsv"
    kill "$child" 2>/dev/null || true; wait $SERVER_PID 2>/dev/null || true; SERVER_PID=""
  fi
  if [[ -n ${IMPLICIT_PY:-} ]] && ! skip implicit; then
    run "$size" "$ratings" "implicit ALS fit ($THREADS threads, load included)" "-" \
      env OPENBLAS_NUM_THREADS=1 "$IMPLICIT_PY" "$HELPER" implicit "$data/ratings.csv" "$THREADS" "$WORK/implicit-$size.json"
  fi
done

{
  echo "### Scale: growth from $SIZES ratings"
  echo
  echo "\`$COMMAND_LINE\` — $(date -u +%Y-%m-%d), $(nproc) cores, RAYON_NUM_THREADS=$THREADS, seed $SEED, $("$MARQUEE_BIN" --version)"
  echo
  python3 "$HELPER" render "$WORK"
} | tee -a "${OUT:-/dev/null}"
