#!/usr/bin/env bash
# Regenerates docs/BENCHMARKS.md (issue 3, item 7): builds the release preset, starts a sandbox
# (PostgreSQL primary + async standby, PgBouncer in transaction mode; stopped on exit), then runs
# every contender once per round, for UCM_BENCH_ROUNDS rounds (the order reversed every other
# round, so drift hits both sides of a comparison alike), and writes the medians and the ratios
# between contenders measured in the same run:
#   - SELECT 1: ucm (acquire + execute + release) vs raw libpq (same prepared-statement calls),
#     1 and 4 threads, pool size = threads; pgbench -M prepared -c 1 / -c 4 as a reference;
#   - ucm at 16 threads straight to PostgreSQL vs pgbench -M simple -c 16 through PgBouncer
#     (ucm replaces that hop; PgBouncer 1.18 cannot carry named prepared statements, gotcha 8);
#   - pool acquire + release (bench/pool_acquire_bench.cpp) vs the bare mutex + deque pool.
# 1-client contenders run pinned, with the server's backends, to CPU 0 (see pin_one_cpu).
# About 4 minutes with the defaults. Speed is reported, never asserted: the exit status says only
# whether every contender ran.
#
# Usage: scripts/bench.sh
#   UCM_BENCH_ROUNDS=5     rounds (>= 5 for the report)
#   UCM_BENCH_SECONDS=3    seconds per PostgreSQL contender per round
#   UCM_BENCH_BUILD_DIR    build directory of the release preset (default build/release)
#   UCM_BENCH_OUT          report to write (default docs/BENCHMARKS.md)
#   UCM_BENCH_FAILOVERS=10 failovers per contender (bench/failover/failover_bench.cpp)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/bench-common.sh
. scripts/bench-common.sh
root=$(pwd)
rounds=${UCM_BENCH_ROUNDS:-5}
secs=${UCM_BENCH_SECONDS:-3}
build=${UCM_BENCH_BUILD_DIR:-build/release}
out=${UCM_BENCH_OUT:-docs/BENCHMARKS.md}
pool_min_time=0.5  # seconds per pool micro-benchmark per round
pgbench=/usr/lib/postgresql/15/bin/pgbench
ncpu=$(nproc)
command_line=$(bench_command_line "scripts/bench.sh" UCM_BENCH_ROUNDS UCM_BENCH_SECONDS UCM_BENCH_BUILD_DIR UCM_BENCH_OUT UCM_BENCH_FAILOVERS)

echo "==> build ($build, release preset)"
cmake --preset release -B "$build" >/dev/null
cmake --build "$build" --target ucm_bench ucm_failover_bench ucm_cli
bench_bin=$root/$build/bench/ucm_bench
failover_bin=$root/$build/bench/ucm_failover_bench
ucm_bin=$root/$build/tools/ucm/ucm

bench_sandbox_up bench --pgbouncer --no-redis
pg=$UCM_TEST_PG_PRIMARY
bouncer=$UCM_TEST_PGBOUNCER
printf 'SELECT 1;\n' >"$work/select1.sql"
# The primary's postmaster: its affinity is inherited by the backends it forks from then on.
postmaster=$(python3 -c 'import json, sys
print(next(m["pid"] for m in json.load(open(sys.argv[1]))["members"] if m["name"] == "pg0"))' "$state")
# pgbench does not mind root; the servers do (gotcha 1), and the sandbox already runs them as postgres.
pgbench_cmd=("$pgbench")
if ! "$pgbench" --version >/dev/null 2>&1; then pgbench_cmd=(runuser -u postgres -- "$pgbench"); fi

results=$work/results.tsv  # round, contender, value, unit
rounds_tsv=$work/rounds.tsv  # round, load average at its start, compilers running
: >"$results"
: >"$rounds_tsv"

# A Google Benchmark run; appends one line per benchmark it ran. Fails on any reported error.
run_gbench() {  # run_gbench ROUND FILTER MIN_TIME METRIC(ops|ns)
  local round=$1 filter=$2 min_time=$3 metric=$4 json=$work/gbench.json
  UCM_BENCH_PG=$pg "${client_prefix[@]}" "$bench_bin" --benchmark_filter="$filter" --benchmark_min_time="$min_time" \
    --benchmark_format=json >"$json" 2>"$work/gbench.err" || { cat "$work/gbench.err" >&2; return 1; }
  python3 - "$json" "$round" "$metric" >>"$results" <<'EOF'
import json, sys
path, rnd, metric = sys.argv[1:4]
data = json.load(open(path))
if not data["benchmarks"]:
    sys.exit("no benchmark matched")
for b in data["benchmarks"]:
    if b.get("error_occurred"):
        sys.exit(f"{b['name']}: {b.get('error_message')}")
    if metric == "ops":
        print(f"{rnd}\t{b['name']}\t{b['items_per_second']:.1f}\tops/s")
    else:
        assert b["time_unit"] == "ns"
        print(f"{rnd}\t{b['name']}\t{b['real_time']:.2f}\tns")
        if "queued_pct" in b:
            print(f"{rnd}\t{b['name']}#queued_pct\t{b['queued_pct']:.3f}\tpct")
EOF
}

run_pgbench() {  # run_pgbench ROUND NAME PROTOCOL CLIENTS URI
  local round=$1 name=$2 protocol=$3 clients=$4 uri=$5 tps jobs
  jobs=$((clients < ncpu ? clients : ncpu))  # pgbench's best here: more threads than CPUs only cost
  tps=$("${client_prefix[@]}" "${pgbench_cmd[@]}" -n -M "$protocol" -c "$clients" -j "$jobs" -T "$secs" -f "$work/select1.sql" \
          "$uri" 2>&1 | sed -n 's/^tps = \([0-9.]*\) (without initial connection time)$/\1/p')
  [ -n "$tps" ] || { echo "pgbench $name failed" >&2; return 1; }
  printf '%s\t%s\t%s\tops/s\n' "$round" "$name" "$tps" >>"$results"
}

# One client is latency-bound, and its rate depends on where the scheduler puts the client and its
# backend: on the same CPU pgbench -c 1 made ~70k tps here, on different CPUs ~15k (an idle vCPU is
# slow to wake), and which one a run gets is chance. 1-client contenders therefore run with the
# client and the server's new backends pinned to CPU 0, so each of them gets the same placement.
client_prefix=(env)
pin_one_cpu() {  # pin_one_cpu on|off
  if [ "$1" = on ]; then
    taskset -a -p -c 0 "$postmaster" >/dev/null
    client_prefix=(taskset -c 0)
  else
    taskset -a -p -c "0-$((ncpu - 1))" "$postmaster" >/dev/null
    client_prefix=(env)
  fi
}

# The contenders, in the order of even rounds; ucm and its peer sit side by side.
contenders=(ucm_1 raw_1 ucm_4 raw_4 pgbench_prepared_1 pgbench_prepared_4 pgbench_bouncer_16 ucm_16 pool)
run_contender() {  # run_contender ROUND NAME
  case $2 in *_1) pin_one_cpu on ;; esac
  run_contender_as_is "$@"
  case $2 in *_1) pin_one_cpu off ;; esac
}
run_contender_as_is() {  # run_contender_as_is ROUND NAME
  case $2 in
    ucm_1) run_gbench "$1" '^PgSelect1_Ucm/real_time/threads:1$' "$secs" ops ;;
    raw_1) run_gbench "$1" '^PgSelect1_RawLibpq/real_time/threads:1$' "$secs" ops ;;
    ucm_4) run_gbench "$1" '^PgSelect1_Ucm/real_time/threads:4$' "$secs" ops ;;
    raw_4) run_gbench "$1" '^PgSelect1_RawLibpq/real_time/threads:4$' "$secs" ops ;;
    ucm_16) run_gbench "$1" '^PgSelect1_Ucm/real_time/threads:16$' "$secs" ops ;;
    pgbench_prepared_1) run_pgbench "$1" pgbench_prepared_1 prepared 1 "$pg" ;;
    pgbench_prepared_4) run_pgbench "$1" pgbench_prepared_4 prepared 4 "$pg" ;;
    pgbench_bouncer_16) run_pgbench "$1" pgbench_bouncer_16 simple 16 "$bouncer" ;;
    pool) run_gbench "$1" '^BM_(PoolAcquireRelease|MutexDequeAcquireRelease)/' "$pool_min_time" ns ;;
  esac
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u '+%Y-%m-%d %H:%M UTC')
t0=$SECONDS
for ((r = 1; r <= rounds; r++)); do
  bench_round_order "$r" "${contenders[@]}"
  compilers=$(bench_compilers)
  printf '%s\t%s\t%s\n' "$r" "$(cut -d' ' -f1 /proc/loadavg)" "$compilers" >>"$rounds_tsv"
  echo "==> round $r/$rounds (load $(cut -d' ' -f1 /proc/loadavg), $compilers compiler processes)"
  for c in "${order[@]}"; do
    echo "    $c"
    run_contender "$r" "$c"
  done
done
elapsed=$((SECONDS - t0))

# Failovers need their own sandboxes (one per failover, asynchronous replication): issue 4, item 8.
failovers=${UCM_BENCH_FAILOVERS:-10}
echo "==> failover: $failovers failovers per contender"
failover_tsv=$work/failover.tsv
UCM_SANDBOX_EXE=$ucm_bin "$failover_bin" "$failovers" 4 >"$failover_tsv" 2>"$work/failover.log" ||
  { tail -n 20 "$work/failover.log" >&2; echo "the failover benchmark failed" >&2; exit 1; }
cat "$failover_tsv"
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

pg_version=$(psql "$pg" -Atc 'SHOW server_version' 2>/dev/null || "${pgbench_cmd[@]}" --version | awk '{print $3}')
bouncer_version=$( (pgbouncer --version 2>/dev/null || /usr/sbin/pgbouncer --version 2>/dev/null) | head -n 1 | awk '{print $NF}')
cxx_version=$(c++ -dumpfullversion)
cpu_model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
git_rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git_dirty=""
if [ -n "$(git status --porcelain 2>/dev/null)" ]; then git_dirty=" + uncommitted changes"; fi
kernel=$(uname -r)

mkdir -p "$(dirname "$out")"
export BENCH_STARTED="$started" BENCH_ELAPSED="$elapsed" BENCH_NPROC="$ncpu" BENCH_CPU="$cpu_model" \
  BENCH_KERNEL="$kernel" BENCH_LOAD_START="$load_start" BENCH_LOAD_END="$load_end" BENCH_PG="$pg_version" \
  BENCH_BOUNCER="$bouncer_version" BENCH_CXX="$cxx_version" BENCH_REV="$git_rev$git_dirty" \
  BENCH_COMMAND="$command_line" BENCH_SECS="$secs" BENCH_POOL_SECS="$pool_min_time"
# The Redis and coroutine sections belong to scripts/bench-redis.sh and scripts/bench-async.sh:
# kept as they are.
redis_section=$(sed -n '/<!-- redis:begin/,/<!-- redis:end -->/p' "$out" 2>/dev/null || true)
async_section=$(sed -n '/<!-- async:begin/,/<!-- async:end -->/p' "$out" 2>/dev/null || true)
python3 - "$results" "$rounds_tsv" "$failover_tsv" >"$out" <<'EOF'
import os, statistics, sys
from collections import defaultdict

results_path, rounds_path, failover_path = sys.argv[1:4]
values = defaultdict(dict)  # contender -> round -> value
units = {}
for line in open(results_path):
    rnd, name, value, unit = line.rstrip("\n").split("\t")
    values[name][int(rnd)] = float(value)
    units[name] = unit
E = os.environ
rounds_info = [line.rstrip("\n").split("\t") for line in open(rounds_path)]

ALIAS = {
    "ucm_1": "PgSelect1_Ucm/real_time/threads:1",
    "ucm_4": "PgSelect1_Ucm/real_time/threads:4",
    "ucm_16": "PgSelect1_Ucm/real_time/threads:16",
    "raw_1": "PgSelect1_RawLibpq/real_time/threads:1",
    "raw_4": "PgSelect1_RawLibpq/real_time/threads:4",
    "pool_1": "BM_PoolAcquireRelease/real_time/threads:1",
    "pool_2": "BM_PoolAcquireRelease/real_time/threads:2",
    "pool_8": "BM_PoolAcquireRelease/real_time/threads:8",
    "mutex_1": "BM_MutexDequeAcquireRelease/real_time/threads:1",
    "mutex_2": "BM_MutexDequeAcquireRelease/real_time/threads:2",
    "mutex_8": "BM_MutexDequeAcquireRelease/real_time/threads:8",
}
ALIAS.update({k + "#queued_pct": v + "#queued_pct" for k, v in list(ALIAS.items()) if k[:4] in ("pool", "mute")})
def series(key):
    return values[ALIAS.get(key, key)]
def med(key):
    return statistics.median(series(key).values())
def spread(key):
    v = list(series(key).values())
    return 100.0 * (max(v) - min(v)) / statistics.median(v)
def paired(a, b):
    """Median of the per-round ratios a/b: each round's pair ran back to back."""
    sa, sb = series(a), series(b)
    return statistics.median(sa[r] / sb[r] for r in sa if r in sb)
def ops(x):
    return f"{x / 1000:.1f}k"
def verdict(ok):
    return "**met**" if ok else "**missed**"

rows = [
    ("ucm_1", "ucm, `SELECT 1`, 1 thread, pool 1 (acquire + execute + release), pinned"),
    ("raw_1", "raw libpq, 1 thread (PQexecPrepared on one held PGconn), pinned"),
    ("pgbench_prepared_1", "pgbench -M prepared -c 1 -j 1 (reference), pinned"),
    ("ucm_4", "ucm, 4 threads, pool 4"),
    ("raw_4", "raw libpq, 4 threads, 4 PGconns"),
    ("pgbench_prepared_4", f"pgbench -M prepared -c 4 -j {min(4, int(E['BENCH_NPROC']))} (reference)"),
    ("ucm_16", "ucm, 16 threads, pool 16, direct to PostgreSQL"),
    ("pgbench_bouncer_16", f"pgbench -M simple -c 16 -j {min(16, int(E['BENCH_NPROC']))} through PgBouncer"),
]
pool_rows = [
    ("pool_1", "ucm pool acquire + release, 1 thread (stub resource)"),
    ("mutex_1", "bare mutex + condvar + deque pool of 4, 1 thread"),
    ("pool_2", "ucm pool, 2 threads over 4 connections (aggregate)"),
    ("mutex_2", "mutex + deque, 2 threads over 4 (aggregate)"),
    ("pool_8", "ucm pool, 8 threads over 4 connections (aggregate)"),
    ("mutex_8", "mutex + deque, 8 threads over 4 (aggregate)"),
]

r1, r4 = med("ucm_1") / med("raw_1"), med("ucm_4") / med("raw_4")
rb = med("ucm_16") / med("pgbench_bouncer_16")
p1, p8 = med("pool_1"), med("pool_8")

print(f"""# Benchmarks

Generated by `scripts/bench.sh` (issue 3, item 7); do not edit by hand, rerun it. Speed is
reported here and never asserted by a test; CI only runs each Google Benchmark once as a smoke test.

- **Date**: {E["BENCH_STARTED"]}; {len(rounds_info)} rounds, {int(E["BENCH_ELAPSED"]) // 60} min {int(E["BENCH_ELAPSED"]) % 60} s of measuring
- **Machine**: {E["BENCH_NPROC"]} CPUs, {E["BENCH_CPU"]}, Linux {E["BENCH_KERNEL"]}; client and servers share the CPUs
- **Load average** (1/5/15 min): {E["BENCH_LOAD_START"]} at the start, {E["BENCH_LOAD_END"]} at the end (other engineers'
  builds run on this machine; per-round load below)
- **Software**: PostgreSQL {E["BENCH_PG"]} (fsync off, async standby attached), PgBouncer {E["BENCH_BOUNCER"]}
  (transaction pooling), g++ {E["BENCH_CXX"]}, release preset (RelWithDebInfo, -O2), Google Benchmark 1.7.1
  (Debian's; it warns it was built as DEBUG: that is its timing loop, not ucm), ucm at {E["BENCH_REV"]}
- **Command**: `{E["BENCH_COMMAND"]}`

Each round runs every contender once (PostgreSQL contenders for {E["BENCH_SECS"]} s each, pool micro-benchmarks for
{E["BENCH_POOL_SECS"]} s each), reversing the order every other round. Tables show the **median over rounds**;
ratios are medians over medians, with the median of the per-round ratios (pairs run back to back) beside
them; "spread" is (max − min) ÷ median over the rounds.

## Goals

| goal (issue 3, item 7) | measured | verdict |
|---|---|---|
| ucm ÷ raw libpq ≥ 0.95, 1 thread | {r1:.3f} (per-round {paired('ucm_1', 'raw_1'):.3f}) | {verdict(r1 >= 0.95)} |
| ucm ÷ raw libpq ≥ 0.95, 4 threads | {r4:.3f} (per-round {paired('ucm_4', 'raw_4'):.3f}) | {verdict(r4 >= 0.95)} |
| ucm (16 threads, direct) ÷ pgbench through PgBouncer (16 clients) ≥ 1.5 | {rb:.2f} (per-round {paired('ucm_16', 'pgbench_bouncer_16'):.2f}) | {verdict(rb >= 1.5)} |
| pool acquire + release, 1 thread ≤ 50 ns | {p1:.1f} ns | {verdict(p1 <= 50)} |
| pool, 8 threads over 4 connections ≤ 46 ns aggregate (HikariCP 2.7.9) | {p8:.1f} ns | {verdict(p8 <= 46)} |

## `SELECT 1` through ucm and its peers

ops/s = statements per second, all threads or clients together.

| contender | median ops/s | mean latency | spread |
|---|---|---|---|""")
for key, label in rows:
    m = med(key)
    threads = int(key.rsplit("_", 1)[1])
    print(f"| {label} | {ops(m)} | {threads * 1e6 / m:.1f} µs | {spread(key):.0f} % |")
print(f"""
| ratio (same run) | of medians | median per round |
|---|---|---|
| ucm ÷ raw libpq, 1 thread | {r1:.3f} | {paired('ucm_1', 'raw_1'):.3f} |
| ucm ÷ raw libpq, 4 threads | {r4:.3f} | {paired('ucm_4', 'raw_4'):.3f} |
| ucm ÷ pgbench -M prepared, 1 client (reference) | {med('ucm_1') / med('pgbench_prepared_1'):.3f} | {paired('ucm_1', 'pgbench_prepared_1'):.3f} |
| ucm ÷ pgbench -M prepared, 4 clients (reference) | {med('ucm_4') / med('pgbench_prepared_4'):.3f} | {paired('ucm_4', 'pgbench_prepared_4'):.3f} |
| raw libpq ÷ pgbench -M prepared, 1 / 4 (sanity) | {med('raw_1') / med('pgbench_prepared_1'):.3f} / {med('raw_4') / med('pgbench_prepared_4'):.3f} | |
| ucm 16 threads direct ÷ pgbench 16 clients through PgBouncer | {rb:.2f} | {paired('ucm_16', 'pgbench_bouncer_16'):.2f} |

## Pool acquire + release (no I/O)

`bench/pool_acquire_bench.cpp`: a stub resource that is always alive, so this is the pool's own
cost. With several threads the time is wall time ÷ all threads' cycles (aggregate cost per cycle).
HikariCP's 75 ns (1 thread) and 46 ns (8 threads over 4) are quoted from ENVIRONMENT.md (same kind of
machine), not measured in this run; the mutex + deque pool is.

| contender | median ns | spread |
|---|---|---|""")
for key, label in pool_rows:
    print(f"| {label} | {med(key):.1f} | {spread(key):.0f} % |")
print(f"""
| ratio (same run) | value |
|---|---|
| ucm pool ÷ mutex + deque, 1 thread | {med('pool_1') / med('mutex_1'):.2f} |
| ucm pool ÷ mutex + deque, 2 threads | {med('pool_2') / med('mutex_2'):.2f} |
| ucm pool ÷ mutex + deque, 8 threads | {med('pool_8') / med('mutex_8'):.2f} |
| ucm pool ÷ HikariCP (quoted), 1 thread / 8 threads | {p1 / 75:.2f} / {p8 / 46:.2f} |

## Every round

| round | load (1 min) | compiler processes |""" + "".join(f" {k} |" for k, _ in rows + pool_rows) + """
|---|---|---|""" + "---|" * len(rows + pool_rows))
for rnd, load, compilers in rounds_info:
    cells = []
    for key, _ in rows + pool_rows:
        v = series(key).get(int(rnd))
        cells.append("–" if v is None else (ops(v) if units[ALIAS.get(key, key)] == "ops/s" else f"{v:.1f}"))
    print(f"| {rnd} | {load} | {compilers} | " + " | ".join(cells) + " |")
notes = [
    f"The machine has {E['BENCH_NPROC']} CPUs, shared by the benchmark's client threads, the PostgreSQL "
    "backends, the standby's WAL receiver and PgBouncer: beyond one client, throughput measures the whole "
    "box, so the ratios between contenders of the same run matter, not the absolute numbers. "
    "ENVIRONMENT.md measured ±15 % run to run on these machines.",
    "Other engineers build in the same tree on the same machine; the per-round load average and count of "
    "compiler processes above show how busy it was. Alternating rounds and medians damp that noise; "
    "they do not remove it. A ratio within a few percent of its goal is inside the noise either way.",
    "Same calls: ucm's default path is a named prepared statement from its per-connection cache "
    "(PQsendQueryPrepared, nonblocking, waited on with poll()), so raw libpq prepares once per connection "
    "and calls PQexecPrepared (blocking libpq also waits with poll()), and the reference is "
    "`pgbench -M prepared`. The issue says \"PQexecParams\"; that would be the unnamed-statement protocol, "
    "which ucm uses only with `unnamed_statements_only` (behind PgBouncer). Both sides read the value back.",
    "ucm's iteration is a whole cycle: acquire (liveness check with a poll() of the socket, no round "
    "trip), execute, release (transaction-status check). Raw libpq holds one connection per thread and "
    "does none of that: the ratio is the price of pooling and safety checks on the fastest possible query.",
    "PgBouncer comparison: PgBouncer 1.18 in transaction mode cannot carry named prepared statements "
    "(ENVIRONMENT.md gotcha 8), so pgbench goes through it with `-M simple`; ucm at 16 threads goes "
    "straight to PostgreSQL with a pool of 16 and prepared statements, because ucm replaces that hop. "
    "The ratio is what an application gains by pooling in-process instead of through PgBouncer, not a "
    "protocol-for-protocol comparison.",
    "pgbench runs with `-j` = min(clients, CPUs), its best setting here: with one thread per client "
    "(`-j 16`) it was 10–15 % slower through PgBouncer when this script was written, and giving the peer "
    "its best keeps the ratios conservative. ucm and raw libpq run one thread per client (Google "
    "Benchmark's `->Threads(n)`), as an application with blocking calls would.",
    "Pool micro-benchmarks: with 2 CPUs, 8 threads over 4 connections seldom find the pool empty "
    f"(median share of queued acquires: ucm {med('pool_8#queued_pct'):.1f} %, mutex + deque "
    f"{med('mutex_8#queued_pct'):.1f} %), so the 8-thread figure measures lock handover between 2 CPUs "
    "more than waiting. HikariCP's figures come from ENVIRONMENT.md, not from this run.",
    "Google Benchmark 1.7.1 from Debian prints \"Library was built as DEBUG\": that concerns its own "
    "timing loop, the same for every contender; ucm and the benchmarks are built -O2.",
]
notes.append(
    "One client is latency-bound, and its rate depends on where the scheduler puts the client and its "
    "backend: with both pinned to one CPU `pgbench -M prepared -c 1` made about 70k tps when this script was "
    "written, pinned to different CPUs about 15k (waking an idle vCPU is slow on this VM), and unpinned a run "
    "gets either by chance (1-client rates of 10k and 70k in consecutive runs). So every 1-client contender "
    "runs under `taskset -c 0` with the primary's postmaster pinned to CPU 0 too (its new backends inherit "
    "that): all three get the same, fastest placement, which also makes client overhead most visible. "
    "Multi-client contenders run unpinned.")
notes.append(
    "Where the 1-client gap goes (measured when this script was written, pinned as above): the client's CPU "
    "time per statement was raw libpq's plus 1.5–2 µs, about half of it in the execute path (compare "
    "`PgSelect1_UcmHeldLease`, a lease held for the whole run) and half in the pool cycle; `perf` put ~85 % "
    "of the client's time in the kernel and ~10 % in user space, so the gap is system calls, not "
    "allocations or the statement-cache lookup. `strace -c` counted three more per statement than raw libpq: "
    "`getpid()` for the fork check on every acquire, the liveness check's `poll()` of the socket, and a "
    "`recv()` that returns EAGAIN because the query step reads right after sending, before waiting. With "
    "client and server on one CPU every microsecond of client time is taken from the server.")
if r4 < 0.95:
    notes.append(
        "Why ucm trails raw libpq at 4 threads (analysis when this script was written; rerun "
        "`PgSelect1_UcmHeldLease` and `perf stat -e cpu-migrations` to check it still holds): the pool hands "
        "out the most recently released idle connection (LIFO), so with 4 threads on 2 CPUs a thread often "
        "gets a connection another thread used last. Its partner backend then changes from one statement "
        "to the next, and the scheduler's pairing of client thread and backend breaks: ~3,000–4,000 CPU "
        "migrations per 2 s run against ~20 for raw libpq. The same cycle with one lease held per thread "
        "(`PgSelect1_UcmHeldLease`), or with one single-connection pool per thread, runs at or near raw libpq's "
        "rate. A per-thread preference for the connection the thread released last (HikariCP's "
        "ConcurrentBag keeps such a thread-local list) would remove it.")
if med("mutex_1") > 20:
    notes.append(
        f"The absolute pool goals were set from peers measured when a bare mutex + deque pool took 15 ns; in "
        f"this run it took {med('mutex_1'):.0f} ns (the pool micro-benchmarks run with the idle sandbox "
        f"beside them), so the machine was slower than when those numbers were taken. Against the "
        f"reference measured in the same run, ucm's cycle costs {med('pool_1') / med('mutex_1'):.2f}× the "
        f"bare pool; HikariCP's quoted cycle was 75 ÷ 15 = 5× it.")
notes.append(
    "The load average counts the benchmark's own runnable threads and backends (up to 16 + 16 during the "
    "16-thread contenders), so a value above 2 is not by itself another job; the count of compiler "
    "processes at the start of each round is the better sign of other engineers' builds.")
noisy = [f"{k} ({spread(k):.0f} %)" for k, _ in rows + pool_rows if spread(k) > 15]
if noisy:
    notes.append("Spread above 15 % over the rounds: " + ", ".join(noisy) + ".")
for label, a, b, goal in (("1 thread", "ucm_1", "raw_1", 0.95), ("4 threads", "ucm_4", "raw_4", 0.95),
                          ("16 threads vs PgBouncer", "ucm_16", "pgbench_bouncer_16", 1.5)):
    whole, per_round = med(a) / med(b), paired(a, b)
    if (whole >= goal) != (per_round >= goal):
        notes.append(f"ucm {label}: the ratio of medians ({whole:.3f}) and the median per-round ratio "
                     f"({per_round:.3f}) fall on different sides of {goal}: call it undecided at this noise.")
# Failover (issue 4, item 8): one TSV line per failover and contender, then the medians.
fo = defaultdict(list)
for line in open(failover_path):
    cells = line.rstrip("\n").split("\t")
    if len(cells) != 5 or not cells[0].isdigit():
        continue
    fo[cells[1]].append((float(cells[2]), int(cells[3]), int(cells[4])))
def fo_med(name, i):
    return statistics.median(x[i] for x in fo[name])
def fo_pct(name, p):
    v = sorted(x[0] for x in fo[name])
    return v[min(len(v) - 1, int(p * len(v)))]
um, lm = fo_med("ucm", 0), fo_med("libpq", 0)
print(f"""
## Failover: promotion finished → first successful write

`bench/failover/failover_bench.cpp`, {len(fo['ucm'])} failovers per contender, each on a fresh sandbox with
asynchronous replication (so only the client is measured), 4 writer threads inserting as fast as they
can. pg0 is killed with SIGKILL; once the standby's WAL receiver has noticed, `pg_ctl promote -W`;
"promotion finished" is the first `pg_is_in_recovery() = false` seen by a 5 ms poller. ucm: a manager
listing both hosts, health interval left at 10 s, writers calling `connection(ReadWrite)` +
`execute` (a write waits for the new primary). libpq: `host=…,… target_session_attrs=read-write`,
each thread reconnecting every 10 ms on error. Connect attempts are counted from the kill to the
first successful write: ucm's pools and prober together, libpq's calls × the 2 hosts each tries.

| contender | median ms | p90 ms | min / max ms | median connect attempts during the outage | median failed writes seen |
|---|---|---|---|---|---|
| ucm | {um:.1f} | {fo_pct('ucm', 0.9):.1f} | {min(x[0] for x in fo['ucm']):.1f} / {max(x[0] for x in fo['ucm']):.1f} | {fo_med('ucm', 1):.0f} | {fo_med('ucm', 2):.0f} |
| libpq multi-host, 10 ms reconnect loop | {lm:.1f} | {fo_pct('libpq', 0.9):.1f} | {min(x[0] for x in fo['libpq']):.1f} / {max(x[0] for x in fo['libpq']):.1f} | {fo_med('libpq', 1):.0f} | {fo_med('libpq', 2):.0f} |

Goal (issue 4): ucm median ≤ 25 ms: {verdict(um <= 25)} ({um:.1f} ms; libpq's loop {lm:.1f} ms, ratio {um / lm if lm > 0 else float('nan'):.1f}×).
ucm probes each host from one thread on a 1–10 ms capped backoff while no primary is known and opens
new connections to the new primary lazily, so its connect attempts stay flat while the libpq loop's
grow with threads × outage ÷ 10 ms.

| failover | ucm ms | ucm attempts | libpq ms | libpq attempts |
|---|---|---|---|---|""")
for i in range(max(len(fo['ucm']), len(fo['libpq']))):
    u = fo['ucm'][i] if i < len(fo['ucm']) else (float('nan'), 0, 0)
    l = fo['libpq'][i] if i < len(fo['libpq']) else (float('nan'), 0, 0)
    print(f"| {i + 1} | {u[0]:.1f} | {u[1]} | {l[0]:.1f} | {l[1]} |")
print("\n## Notes on noise and method\n")
for n in notes:
    print(f"- {n}")
EOF
if [ -n "$redis_section" ]; then printf '\n%s\n' "$redis_section" >>"$out"; fi
if [ -n "$async_section" ]; then printf '\n%s\n' "$async_section" >>"$out"; fi
echo "==> wrote $out (measured for ${elapsed} s)"
