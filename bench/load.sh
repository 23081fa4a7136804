#!/usr/bin/env bash
# HTTP load benchmark of a release Marquee server, driven by wrk (Debian's package, installed here
# when missing).
#
# For each backend (SQLite, PostgreSQL) it creates a fresh database, imports ml-latest-small,
# trains, starts `marquee serve --no-demo` and runs every workload at 1/8/32/64 clients for a
# bounded time with 200 distinct users (one end-user token each, picked at random per request):
#
#   typename         anonymous `{ __typename }` (the floor)
#   healthz          GET /healthz (the second floor)
#   movies           movies(first: 20)
#   recommendations  recommendations(first: 10) with source and reason
#   homeFeed         homeFeed(rows: 4, itemsPerRow: 5)
#   recordEvent      recordEvent (CLICK or VIEW_START on a random movie)
#   rateMovie        rateMovie (a random movie, a random score)
#
# then a light /healthz probe (one connection, 10 ms between requests) while recommendations run
# at 32 clients, and, with
# --mixed SECONDS, a mixed run (80 % recommendations, 15 % recordEvent, 5 % rateMovie) sampling the
# server's RSS and the database size. It prints one Markdown report: req/s, p50/p99, errors, server
# CPU ms per request and the ratio to `{ __typename }` and /healthz for every cell, statements per
# write, RSS, database size, and the goals checked against the figures.
#
# Usage (from anywhere; paths in options are relative to the current directory, except --dataset,
# which is relative to the repository root):
#
#   bench/load.sh                                   # full matrix, both backends (~12 min)
#   MARQUEE_BIN=/path/to/marquee bench/load.sh --backends sqlite --duration 2 --clients 1,8
#   bench/load.sh --mixed 600 --out bench-results.md
#
# Options:
#   --backends LIST      sqlite,postgres (default both)
#   --clients LIST       concurrent connections per cell (default 1,8,32,64)
#   --duration SECONDS   per cell (default 10)
#   --warmup SECONDS     before the first cell of each workload, at the most clients, taking the
#                        users in turn; not in the table, shown apart (default 2; 0 = none)
#   --workloads LIST     default typename,healthz,movies,recommendations,homeFeed,recordEvent,rateMovie
#   --users N            distinct users, MovieLens ids 1..N (default 200)
#   --movies N           distinct movies the writes pick from (default 1000)
#   --under-load-clients N  recommendations clients while /healthz is measured (default 32; 0 = skip)
#   --mixed SECONDS      also run the mixed workload this long (default 0 = skip)
#   --mixed-clients N    clients of the mixed run (default 32)
#   --mixed-sample S     sample RSS and database size every S seconds (default 30)
#   --dataset DIR        MovieLens folder (default ../shared/datasets/ml-latest-small)
#   --out FILE           also append the report to FILE
#   --keep               keep the temporary directory (logs, wrk output, SQLite database)
#
# Environment:
#   MARQUEE_BIN                 the server binary; unset: `cargo build --release` and
#                               ${CARGO_TARGET_DIR:-target}/release/marquee
#   MARQUEE_BENCH_PG_URL        default postgres://postgres@127.0.0.1:5432/marquee_bench
#                               (that database is dropped and created)
#   MARQUEE_BENCH_PG_ADMIN_URL  where to drop/create it, default
#                               postgres://postgres@127.0.0.1:5432/test
#   MARQUEE__…                  passed to the server as usual (e.g. MARQUEE__DATABASE__MAX_CONNECTIONS)
#   TMPDIR                      where the temporary directory goes (default /tmp)
set -euo pipefail

CALLER_PWD=$PWD
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HELPER=$REPO/bench/load/helper.py
LUA=$REPO/bench/load/marquee.lua
quote() { if [[ $1 =~ ^[A-Za-z0-9_./,:=@%+-]+$ ]]; then printf '%s' "$1"; else printf '%q' "$1"; fi; }
COMMAND_LINE=bench/load.sh
for a in "$@"; do COMMAND_LINE+=" $(quote "$a")"; done
[[ -z ${MARQUEE_BIN:-} ]] || COMMAND_LINE="MARQUEE_BIN=$(quote "$MARQUEE_BIN") $COMMAND_LINE"

BACKENDS=sqlite,postgres
CLIENTS=1,8,32,64
DURATION=10
WARMUP=2
WORKLOADS=typename,healthz,movies,recommendations,homeFeed,recordEvent,rateMovie
USERS=200
MOVIES=1000
UNDER_LOAD_CLIENTS=32
MIXED=0
MIXED_CLIENTS=32
MIXED_SAMPLE=30
DATASET=../shared/datasets/ml-latest-small
OUT=""
KEEP=0
WRK_MAX_THREADS=2
WRK_TIMEOUT=10s
PROBE_PAUSE_MS=10
SETTLE=0.5
READY_TIMEOUT=60
TOKEN_TTL=24h
PG_URL=${MARQUEE_BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/marquee_bench}
PG_ADMIN_URL=${MARQUEE_BENCH_PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/test}

log() { printf '[load.sh %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }

# ------------------------------------------------------------------------------------ options
while (($#)); do
  if [[ $1 == --*=* ]]; then set -- "${1%%=*}" "${1#*=}" "${@:2}"; fi
  opt=$1
  case $opt in
    -h|--help) usage; exit 0 ;;
    --keep) KEEP=1; shift; continue ;;
  esac
  (($# >= 2)) || die "$opt needs a value (see --help)"
  val=$2
  shift 2
  case $opt in
    --backends) BACKENDS=$val ;;
    --clients) CLIENTS=$val ;;
    --duration) DURATION=$val ;;
    --warmup) WARMUP=$val ;;
    --workloads) WORKLOADS=$val ;;
    --users) USERS=$val ;;
    --movies) MOVIES=$val ;;
    --under-load-clients) UNDER_LOAD_CLIENTS=$val ;;
    --mixed) MIXED=$val ;;
    --mixed-clients) MIXED_CLIENTS=$val ;;
    --mixed-sample) MIXED_SAMPLE=$val ;;
    --dataset) DATASET=$val ;;
    --out) [[ $val == /* ]] && OUT=$val || OUT=$CALLER_PWD/$val ;;
    *) die "unknown option $opt (see --help)" ;;
  esac
done

is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }
for v in DURATION WARMUP USERS MOVIES UNDER_LOAD_CLIENTS MIXED MIXED_CLIENTS MIXED_SAMPLE; do
  opt=${v,,}
  is_uint "${!v}" || die "--${opt//_/-} must be a whole number, not '${!v}'"
done
((DURATION > 0)) || die "--duration must be positive"
((USERS > 0 && MOVIES > 0 && MIXED_SAMPLE > 0 && MIXED_CLIENTS > 0)) || die "--users, --movies, --mixed-clients and --mixed-sample must be positive"
IFS=, read -r -a CLIENT_LIST <<<"$CLIENTS"
for c in "${CLIENT_LIST[@]}"; do
  is_uint "$c" && ((c > 0)) || die "--clients must be positive whole numbers, not '$c'"
done
IFS=, read -r -a BACKEND_LIST <<<"$BACKENDS"
for b in "${BACKEND_LIST[@]}"; do
  [[ $b == sqlite || $b == postgres ]] || die "unknown backend '$b' (sqlite, postgres)"
done
IFS=, read -r -a WORKLOAD_LIST <<<"$WORKLOADS"
for w in "${WORKLOAD_LIST[@]}"; do
  case $w in typename|healthz|movies|recommendations|homeFeed|recordEvent|rateMovie) ;;
    *) die "unknown workload '$w'" ;;
  esac
done
MAX_CLIENTS=$(printf '%s\n' "${CLIENT_LIST[@]}" | sort -n | tail -1)

cd "$REPO"
[[ -d $DATASET ]] || die "dataset folder $DATASET not found (relative to $REPO)"
command -v python3 >/dev/null || die "python3 is required"
CLK_TCK=$(getconf CLK_TCK)

# ------------------------------------------------------------------------------------ cleanup
WORK=""
SERVER_PID=""
BG_PIDS=()
REPORTED=0
PG_DB=""

stop_server() {
  [[ -n $SERVER_PID ]] || return 0
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    local i
    for ((i = 0; i < 120; i++)); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.25
    done
    if kill -0 "$SERVER_PID" 2>/dev/null; then
      log "the server did not stop within 30 s of SIGTERM; sending SIGKILL"
      kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
  fi
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

cleanup() {
  local rc=$?
  set +e
  trap - INT TERM HUP
  local p
  for p in ${BG_PIDS[@]+"${BG_PIDS[@]}"}; do
    kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
  done
  stop_server
  if ((rc != 0)) && ((REPORTED == 0)) && [[ -n $WORK && -s $WORK/results.tsv ]]; then
    log "partial results of the failed run:"
    python3 "$HELPER" render "$WORK" >&2
  fi
  if [[ -n $WORK && -d $WORK ]]; then
    if ((KEEP)) || ((rc != 0)); then
      log "temporary files (logs, wrk output) kept in $WORK"
    else
      rm -rf "$WORK"
    fi
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM HUP
trap 'log "ERROR: \"$BASH_COMMAND\" failed (exit status $?) at line $LINENO"' ERR

WORK=$(mktemp -d "${TMPDIR:-/tmp}/marquee-load.XXXXXX")
case $WORK/ in "$REPO"/*) die "the temporary directory $WORK is inside the repository; set TMPDIR elsewhere" ;; esac

# ------------------------------------------------------------------------------------ tools
ensure_wrk() {
  command -v wrk >/dev/null && return 0
  log "wrk is missing: installing Debian's package"
  local -a as_root=(env DEBIAN_FRONTEND=noninteractive)
  if ((EUID != 0)); then
    command -v sudo >/dev/null || die "wrk is missing and this is not root and there is no sudo: run 'apt-get install wrk' as root"
    as_root=(sudo -n env DEBIAN_FRONTEND=noninteractive)
  fi
  if ! "${as_root[@]}" apt-get install -y wrk >"$WORK/apt.log" 2>&1; then
    "${as_root[@]}" apt-get update >>"$WORK/apt.log" 2>&1 &&
      "${as_root[@]}" apt-get install -y wrk >>"$WORK/apt.log" 2>&1 ||
      { tail -5 "$WORK/apt.log" >&2; die "wrk is missing and could not be installed with apt-get (log above)"; }
  fi
  command -v wrk >/dev/null || die "wrk is still missing after apt-get install wrk"
}
ensure_wrk

if [[ -n ${MARQUEE_BIN:-} ]]; then
  BIN=$MARQUEE_BIN
  [[ $BIN == /* ]] || BIN=$CALLER_PWD/$BIN
else
  log "MARQUEE_BIN is unset: cargo build --release"
  command -v cargo >/dev/null || die "MARQUEE_BIN is unset and cargo is not installed"
  cargo build --release || die "cargo build --release failed"
  TARGET_DIR=${CARGO_TARGET_DIR:-target}
  [[ $TARGET_DIR == /* ]] || TARGET_DIR=$REPO/$TARGET_DIR
  BIN=$TARGET_DIR/release/marquee
fi
[[ -x $BIN ]] || die "no executable server binary at $BIN"

for b in "${BACKEND_LIST[@]}"; do
  if [[ $b == postgres ]]; then
    command -v psql >/dev/null || die "the postgres backend needs psql"
    PG_DB=${PG_URL##*/}
    PG_DB=${PG_DB%%\?*}
    [[ $PG_DB =~ ^[A-Za-z0-9_]+$ ]] || die "cannot read a plain database name from MARQUEE_BENCH_PG_URL ($PG_URL)"
    admin_db=${PG_ADMIN_URL##*/}
    [[ ${admin_db%%\?*} != "$PG_DB" ]] || die "MARQUEE_BENCH_PG_ADMIN_URL must name another database than $PG_DB"
    psql "$PG_ADMIN_URL" -qAtc 'SELECT 1' >/dev/null 2>&1 || die "cannot connect to PostgreSQL at $PG_ADMIN_URL"
  fi
done

# ------------------------------------------------------------------------------------ helpers
kv() { printf '%s\t%s\n' "$2" "$3" >>"$1"; }

cpu_ticks() { # utime + stime of the server process (all threads), in clock ticks
  local s
  s=$(<"/proc/$SERVER_PID/stat")
  s=${s##*) }
  local -a f
  read -r -a f <<<"$s"
  echo $((f[11] + f[12]))
}

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status"; }

db_bytes() {
  case $1 in
    sqlite)
      local n=0 f
      for f in "$BDIR/db/bench.db" "$BDIR/db/bench.db-wal" "$BDIR/db/bench.db-shm"; do
        [[ -f $f ]] && n=$((n + $(stat -c %s "$f")))
      done
      echo "$n" ;;
    postgres) psql "$PG_ADMIN_URL" -qAtc "SELECT pg_database_size('$PG_DB')" ;;
  esac
}

db_size_text() {
  case $1 in
    sqlite)
      local f out="" n
      for f in bench.db bench.db-wal bench.db-shm; do
        [[ -f $BDIR/db/$f ]] || continue
        n=$(stat -c %s "$BDIR/db/$f")
        out+="${out:+ + }$f $(awk -v n="$n" 'BEGIN { printf "%.1f MB", n / 1048576 }')"
      done
      echo "${out:-none}" ;;
    postgres)
      echo "pg_database_size $(awk -v n="$(db_bytes postgres)" 'BEGIN { printf "%.1f MB", n / 1048576 }')" ;;
  esac
}

server_alive() {
  kill -0 "$SERVER_PID" 2>/dev/null && return 0
  wait "$SERVER_PID" 2>/dev/null && rc=0 || rc=$?
  SERVER_PID=""
  log "the server died (exit status $rc); last lines of its log:"
  tail -n 20 "$BDIR/server.log" >&2
  die "the server died during the benchmark"
}

metrics() { # prints "statements failed-statements graphql-operations-served"
  python3 "$HELPER" metrics "$URL" || { server_alive; die "GET /metrics failed"; }
}

wrk_threads() { local c=$1; echo $((c < WRK_MAX_THREADS ? c : WRK_MAX_THREADS)); }

run_wrk() { # workload clients seconds outfile [script argument]
  local t
  t=$(wrk_threads "$2")
  wrk -t"$t" -c"$2" -d"$3s" --timeout "$WRK_TIMEOUT" -s "$LUA" "$URL" -- "$1" "$DATA" ${5:+"$5"} >"$4" 2>&1 ||
    { cat "$4" >&2; die "wrk failed ($1, $2 clients)"; }
}

measure() { # workload clients seconds tsv [script argument]
  local w=$1 c=$2 d=$3 tsv=$4 m0 m1 s0 f0 q0 s1 f1 q1 t0 t1 rss out
  out=$BDIR/wrk-$w-c$c${5:+-$5}.txt
  m0=$(metrics)
  read -r s0 f0 q0 <<<"$m0"
  t0=$(cpu_ticks)
  run_wrk "$w" "$c" "$d" "$out" ${5:+"$5"}
  # Requests in flight when wrk stops still run: let them finish before reading the counters.
  sleep "$SETTLE"
  server_alive
  t1=$(cpu_ticks)
  rss=$(rss_kb)
  m1=$(metrics)
  read -r s1 f1 q1 <<<"$m1"
  python3 "$HELPER" wrk-row backend="$B" workload="$w" clients="$c" threads="$(wrk_threads "$c")" \
    cpu_ticks=$((t1 - t0)) clk_tck="$CLK_TCK" rss_kb="$rss" stmts=$((s1 - s0)) \
    stmts_failed=$((f1 - f0)) served=$((q1 - q0)) "$out" >>"$tsv"
}

thread_summary() {
  local f
  for f in /proc/"$SERVER_PID"/task/*/comm; do cat "$f"; done | sort | uniq -c |
    awk '{ c = $1; $1 = ""; sub(/^ /, ""); printf "%s%d × \"%s\"", sep, c, $0; sep = ", " }'
}

seconds_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

# ------------------------------------------------------------------------------------ header
commit=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
[[ -z $(git -C "$REPO" status --porcelain 2>/dev/null) ]] || commit+="+dirty"
META=$WORK/meta.tsv
: >"$WORK/results.tsv"
kv "$META" command "$COMMAND_LINE"
kv "$META" date "$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
kv "$META" host "$(hostname 2>/dev/null || echo '?')"
kv "$META" nproc "$(nproc)"
kv "$META" loadavg_start "$(cut -d' ' -f1-3 /proc/loadavg)"
kv "$META" commit "$commit"
kv "$META" binary "$BIN ($("$BIN" --version 2>/dev/null || echo '?'), modified $(date -r "$BIN" '+%Y-%m-%d %H:%M'))"
kv "$META" wrk_version "$(wrk -v 2>&1 | head -1 | awk '{ print $1, $2 }')"
kv "$META" duration "$DURATION"
kv "$META" warmup "$WARMUP"
kv "$META" timeout "$WRK_TIMEOUT"
kv "$META" users "$USERS"
kv "$META" movies "$MOVIES"
kv "$META" dataset "$DATASET"
kv "$META" backends "$BACKENDS"
kv "$META" pool "$(python3 "$HELPER" config-value database.max_connections)"
kv "$META" log_level "$(python3 "$HELPER" config-value log.level)"
log "binary $BIN; work dir $WORK; $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"

# ------------------------------------------------------------------------------------ backends
for B in "${BACKEND_LIST[@]}"; do
  BDIR=$WORK/$B
  BMETA=$BDIR/meta.tsv
  mkdir -p "$BDIR"
  log "== $B: fresh database"
  case $B in
    sqlite)
      mkdir -p "$BDIR/db"
      DB_URL="sqlite://$BDIR/db/bench.db?mode=rwc" ;;
    postgres)
      psql "$PG_ADMIN_URL" -v ON_ERROR_STOP=1 -q \
        -c "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" \
        -c "CREATE DATABASE \"$PG_DB\"" >"$BDIR/psql.log" 2>&1 ||
        { cat "$BDIR/psql.log" >&2; die "could not drop and create $PG_DB"; }
      DB_URL=$PG_URL ;;
  esac
  kv "$BMETA" url "${DB_URL/:\/\/*@/://***@}"

  log "importing $DATASET"
  t=$EPOCHREALTIME
  "$BIN" --database-url "$DB_URL" import movielens --source ml "$DATASET" >"$BDIR/import.log" 2>&1 ||
    { tail -n 20 "$BDIR/import.log" >&2; die "import into $B failed (log above)"; }
  kv "$BMETA" import_secs "$(seconds_since "$t")"
  kv "$BMETA" import_summary "$(awk '$1 ~ /^(movies|users|ratings|tags)$/ { printf "%s%s %s", sep, $5, $1; sep = ", " }' "$BDIR/import.log")"

  log "training"
  t=$EPOCHREALTIME
  "$BIN" --database-url "$DB_URL" train >"$BDIR/train.log" 2>&1 ||
    { tail -n 20 "$BDIR/train.log" >&2; die "training on $B failed (log above)"; }
  kv "$BMETA" train_secs "$(seconds_since "$t")"

  log "signing $USERS user tokens"
  : >"$BDIR/tokens.txt"
  for ((u = 1; u <= USERS; u++)); do
    "$BIN" token --user "ml:$u" --ttl "$TOKEN_TTL" >>"$BDIR/tokens.txt" 2>>"$BDIR/token.log" ||
      { tail -n 5 "$BDIR/token.log" >&2; die "marquee token --user $u failed"; }
  done
  distinct=$(sort -u "$BDIR/tokens.txt" | grep -c .)
  ((distinct == USERS)) || die "expected $USERS distinct tokens, got $distinct"

  PORT=$(python3 "$HELPER" free-port)
  URL=http://127.0.0.1:$PORT
  log "starting the server on $URL"
  "$BIN" --database-url "$DB_URL" serve --no-demo --bind "127.0.0.1:$PORT" >"$BDIR/server.log" 2>&1 &
  SERVER_PID=$!
  python3 "$HELPER" wait-ready "$URL" "$SERVER_PID" "$READY_TIMEOUT" ||
    { tail -n 20 "$BDIR/server.log" >&2; die "the $B server did not become healthy within ${READY_TIMEOUT}s (log above)"; }
  DATA=$BDIR/data.lua
  log "data file: $(python3 "$HELPER" data-file "$URL" "$BDIR/tokens.txt" "$MOVIES" "$DATA")"
  kv "$BMETA" threads "$(thread_summary)"
  workers=$(cat /proc/"$SERVER_PID"/task/*/comm | grep -c '^actix-server wo' || true)
  kv "$META" workers "$workers (server.workers, default two per core; counted 'actix-server worker' threads)"
  kv "$BMETA" rss_start_mb "$(($(rss_kb) / 1024))"

  for w in "${WORKLOAD_LIST[@]}"; do
    if ((WARMUP > 0)); then
      # Users in turn, not at random: every user's first request (a cold start) falls here. When
      # the warm-up did not reach every user (a slow cold start), it goes on, up to 3 rounds.
      for ((round = 1; round <= 3; round++)); do
        measure "$w" "$MAX_CLIENTS" "$WARMUP" "$BDIR/warmup.tsv" sweep
        answered=$(tail -n 1 "$BDIR/warmup.tsv" | cut -f5)
        [[ $w == typename || $w == healthz ]] && break
        ((answered >= USERS)) && break
        ((round < 3)) && log "the $w warm-up answered $answered requests, fewer than the $USERS users: warming up again"
      done
    fi
    for c in "${CLIENT_LIST[@]}"; do
      measure "$w" "$c" "$DURATION" "$WORK/results.tsv"
    done
  done

  if ((UNDER_LOAD_CLIENTS > 0)); then
    log "/healthz probe (1 connection, ${PROBE_PAUSE_MS} ms pause) while recommendations run at $UNDER_LOAD_CLIENTS clients"
    kv "$BMETA" probe_pause_ms "$PROBE_PAUSE_MS"
    bg_out=$BDIR/wrk-underload-recommendations.txt
    t0=$(cpu_ticks)
    run_wrk recommendations "$UNDER_LOAD_CLIENTS" $((DURATION + 2)) "$bg_out" &
    BG_PIDS+=($!)
    sleep 1
    measure healthz-probe 1 "$DURATION" "$BDIR/underload.tsv" "$PROBE_PAUSE_MS"
    wait "${BG_PIDS[-1]}" || die "the recommendations load under /healthz failed"
    unset 'BG_PIDS[-1]'
    server_alive
    t1=$(cpu_ticks)
    python3 "$HELPER" wrk-row backend="$B" workload=recommendations clients="$UNDER_LOAD_CLIENTS" \
      threads="$(wrk_threads "$UNDER_LOAD_CLIENTS")" cpu_ticks=$((t1 - t0)) clk_tck="$CLK_TCK" \
      rss_kb="$(rss_kb)" stmts=-1 stmts_failed=-1 served=-1 "$bg_out" >>"$BDIR/underload.tsv"
  fi

  if ((MIXED > 0)); then
    log "mixed run: $MIXED s at $MIXED_CLIENTS clients, sampling every $MIXED_SAMPLE s"
    kv "$BMETA" mixed_clients "$MIXED_CLIENTS"
    sample() { # seconds
      local st
      st=$(metrics)
      printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$(rss_kb)" "$(db_bytes "$B")" \
        "$(awk -v t="$(cpu_ticks)" -v k="$CLK_TCK" 'BEGIN { printf "%.1f", t / k }')" "${st%% *}" >>"$BDIR/mixed.tsv"
    }
    : >"$BDIR/mixed.tsv"
    m0=$(metrics)
    t0=$(cpu_ticks)
    sample 0
    run_wrk mixed "$MIXED_CLIENTS" "$MIXED" "$BDIR/wrk-mixed.txt" &
    BG_PIDS+=($!)
    start=$EPOCHSECONDS
    next=$MIXED_SAMPLE
    while kill -0 "${BG_PIDS[-1]}" 2>/dev/null; do
      sleep 1
      server_alive
      if ((EPOCHSECONDS - start >= next)) && ((EPOCHSECONDS - start < MIXED)); then
        sample "$((EPOCHSECONDS - start))"
        next=$((next + MIXED_SAMPLE))
      fi
    done
    wait "${BG_PIDS[-1]}" || die "the mixed run failed"
    unset 'BG_PIDS[-1]'
    sleep "$SETTLE"
    server_alive
    sample "$((EPOCHSECONDS - start))"
    t1=$(cpu_ticks)
    m1=$(metrics)
    python3 "$HELPER" wrk-row backend="$B" workload=mixed clients="$MIXED_CLIENTS" \
      threads="$(wrk_threads "$MIXED_CLIENTS")" cpu_ticks=$((t1 - t0)) clk_tck="$CLK_TCK" \
      rss_kb="$(rss_kb)" stmts=$((${m1%% *} - ${m0%% *})) stmts_failed=-1 served=$((${m1##* } - ${m0##* })) \
      "$BDIR/wrk-mixed.txt" >"$BDIR/mixed_result.tsv"
  fi

  kv "$BMETA" rss_end_mb "$(($(rss_kb) / 1024))"
  kv "$BMETA" error_codes "$(python3 "$HELPER" error-codes "$URL")"
  size_live=$(db_size_text "$B")
  stop_server
  kv "$BMETA" db_size "$size_live while serving; $(db_size_text "$B") after shutdown"
  # The log is colourised even into a file; count warnings and errors, show the commonest.
  sed 's/\x1b\[[0-9;]*m//g' "$BDIR/server.log" >"$BDIR/server.plain.log"
  nwarn=$(grep -c ' WARN ' "$BDIR/server.plain.log" || true)
  nerr=$(grep -c ' ERROR ' "$BDIR/server.plain.log" || true)
  top=$(grep -E ' (WARN|ERROR) ' "$BDIR/server.plain.log" | cut -d' ' -f2- | cut -c1-160 | sort | uniq -c |
    sort -rn | head -3 | awk '{ c = $1; $1 = ""; printf "%s%d × `%s`", sep, c, substr($0, 2); sep = "; " }' || true)
  kv "$BMETA" log_summary "$nwarn warnings, $nerr errors${top:+ (commonest: $top)}"
  if [[ $B == postgres ]] && ((KEEP == 0)); then
    psql "$PG_ADMIN_URL" -qc "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" >/dev/null 2>&1 || true
  fi
done

kv "$META" loadavg_end "$(cut -d' ' -f1-3 /proc/loadavg)"
REPORT=$(python3 "$HELPER" render "$WORK")
REPORTED=1
printf '%s\n' "$REPORT"
if [[ -n $OUT ]]; then
  printf '%s\n\n' "$REPORT" >>"$OUT"
  log "report appended to $OUT"
fi
