#!/usr/bin/env bash
# Regenerates the Redis section of docs/BENCHMARKS.md (issue 5, item 9): builds the release
# preset, starts a sandbox (PostgreSQL, because a manager needs it; Redis master + replica + three
# sentinels; stopped on exit), then
#   - GET and SET at one client, UCM_BENCH_ROUNDS rounds in alternating order: ucm (acquire +
#     command + release), ucm with a held lease, bare hiredis, and `redis-benchmark -c 1`; client
#     and redis-server pinned to CPU 0, as the PostgreSQL 1-client figures are (see bench.sh);
#   - UCM_BENCH_FAILOVERS rounds each of SENTINEL FAILOVER and kill -9 of the master
#     (bench/failover/redis_failover_bench.cpp): acknowledged writes lost and `+switch-master` ->
#     first write on the new master, for ucm, a naive client and a switch-on-announcement client.
# Speed is reported, never asserted. About 10 minutes with the defaults.
#
# Usage: scripts/bench-redis.sh
#   UCM_BENCH_ROUNDS=5      rounds of the GET/SET comparison (>= 5 for the report)
#   UCM_BENCH_REQUESTS=30000 requests per contender per round
#   UCM_BENCH_FAILOVERS=10  failovers of each kind
#   UCM_BENCH_BUILD_DIR     build directory of the release preset (default build/release)
#   UCM_BENCH_OUT           report to update (default docs/BENCHMARKS.md)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/bench-common.sh
. scripts/bench-common.sh
root=$(pwd)
rounds=${UCM_BENCH_ROUNDS:-5}
requests=${UCM_BENCH_REQUESTS:-30000}
failovers=${UCM_BENCH_FAILOVERS:-10}
build=${UCM_BENCH_BUILD_DIR:-build/release}
out=${UCM_BENCH_OUT:-docs/BENCHMARKS.md}
command_line=$(bench_command_line "scripts/bench-redis.sh" UCM_BENCH_ROUNDS UCM_BENCH_REQUESTS UCM_BENCH_FAILOVERS UCM_BENCH_BUILD_DIR UCM_BENCH_OUT)

echo "==> build ($build, release preset)"
cmake --preset release -B "$build" >/dev/null
cmake --build "$build" --target ucm_bench ucm_redis_failover_bench ucm_cli
bench_bin=$root/$build/bench/ucm_bench
failover_bin=$root/$build/bench/ucm_redis_failover_bench
ucm_bin=$root/$build/tools/ucm/ucm

bench_sandbox_up bench-redis
redis_host=${UCM_TEST_REDIS_MASTER%:*}
redis_port=${UCM_TEST_REDIS_MASTER##*:}
redis_pid=$(python3 -c 'import json, sys
print(next(m["pid"] for m in json.load(open(sys.argv[1]))["members"] if m["name"] == "redis0"))' "$state")

results=$work/results.tsv  # round, contender, ops/s
: >"$results"

run_gbench() {  # run_gbench ROUND NAME FILTER
  local json=$work/gbench.json
  UCM_BENCH_PG=$UCM_TEST_PG_PRIMARY UCM_BENCH_REDIS=$UCM_TEST_REDIS_MASTER taskset -c 0 "$bench_bin" \
    --benchmark_filter="$3" --benchmark_min_time=3 --benchmark_format=json >"$json" 2>"$work/gbench.err" ||
    { cat "$work/gbench.err" >&2; return 1; }
  python3 - "$json" "$1" "$2" >>"$results" <<'EOF'
import json, sys
path, rnd, name = sys.argv[1:4]
b = json.load(open(path))["benchmarks"]
if len(b) != 1 or b[0].get("error_occurred"):
    sys.exit(f"{name}: {b[0].get('error_message') if b else 'no benchmark matched'}")
print(f"{rnd}\t{name}\t{b[0]['items_per_second']:.1f}")
EOF
}

run_redis_benchmark() {  # run_redis_benchmark ROUND NAME TEST
  local rps
  rps=$(taskset -c 0 redis-benchmark -h "$redis_host" -p "$redis_port" -c 1 -n "$requests" -t "$3" -q 2>/dev/null |
          tr '\r' '\n' | sed -n 's/^[A-Z]*: \([0-9.]*\) requests per second.*/\1/p' | tail -n 1)
  [ -n "$rps" ] || { echo "redis-benchmark $3 failed" >&2; return 1; }
  printf '%s\t%s\t%s\n' "$1" "$2" "$rps" >>"$results"
}

contenders=(ucm_set rb_set hiredis_set held_set ucm_get rb_get hiredis_get held_get)
run_contender() {  # run_contender ROUND NAME
  case $2 in
    ucm_set) run_gbench "$1" "$2" '^RedisSet_Ucm/' ;;
    ucm_get) run_gbench "$1" "$2" '^RedisGet_Ucm/' ;;
    held_set) run_gbench "$1" "$2" '^RedisSet_UcmHeldLease/' ;;
    held_get) run_gbench "$1" "$2" '^RedisGet_UcmHeldLease/' ;;
    hiredis_set) run_gbench "$1" "$2" '^RedisSet_Hiredis/' ;;
    hiredis_get) run_gbench "$1" "$2" '^RedisGet_Hiredis/' ;;
    rb_set) run_redis_benchmark "$1" "$2" set ;;
    rb_get) run_redis_benchmark "$1" "$2" get ;;
  esac
}

started=$(date -u '+%Y-%m-%d %H:%M UTC')
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
taskset -a -p -c 0 "$redis_pid" >/dev/null
for ((r = 1; r <= rounds; r++)); do
  bench_round_order "$r" "${contenders[@]}"
  echo "==> round $r/$rounds (load $(cut -d' ' -f1 /proc/loadavg))"
  for c in "${order[@]}"; do
    echo "    $c"
    run_contender "$r" "$c"
  done
done
"$ucm_bin" sandbox down --state-file "$state" >/dev/null
rm -f "$state"

echo "==> failovers: $failovers of each kind (own sandbox)"
failover_tsv=$work/failover.tsv
UCM_SANDBOX_EXE=$ucm_bin "$failover_bin" "$failovers" >"$failover_tsv" 2>"$work/failover.log" ||
  { tail -n 30 "$work/failover.log" >&2; echo "the Redis failover benchmark failed" >&2; exit 1; }
cat "$failover_tsv"
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

redis_version=$(redis-server --version | sed -n 's/.*v=\([0-9.]*\).*/\1/p')
git_rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain 2>/dev/null)" ]; then git_rev="$git_rev + uncommitted changes"; fi
export BENCH_STARTED="$started" BENCH_LOAD_START="$load_start" BENCH_LOAD_END="$load_end" \
  BENCH_REDIS="$redis_version" BENCH_REV="$git_rev" BENCH_COMMAND="$command_line" BENCH_REQUESTS="$requests" \
  BENCH_ROUNDS="$rounds" BENCH_NPROC="$(nproc)"
python3 - "$results" "$failover_tsv" "$out" <<'EOF'
import os, re, statistics, sys
from collections import defaultdict

results_path, failover_path, out_path = sys.argv[1:4]
E = os.environ
ops = defaultdict(dict)
for line in open(results_path):
    rnd, name, value = line.rstrip("\n").split("\t")
    ops[name][int(rnd)] = float(value)
med = {k: statistics.median(v.values()) for k, v in ops.items()}

def ratio_cells(a, b):
    rs = [ops[a][r] / ops[b][r] for r in sorted(ops[a]) if r in ops[b]]
    return f"{statistics.median(rs):.2f} (min {min(rs):.2f}, max {max(rs):.2f})"

L = []
L.append("<!-- redis:begin (generated by scripts/bench-redis.sh; do not edit by hand) -->")
L.append("## Redis")
L.append("")
L.append(f"Regenerate with `{E['BENCH_COMMAND']}` (release build). Run {E['BENCH_STARTED']} at {E['BENCH_REV']}, "
         f"Redis {E['BENCH_REDIS']}, {E['BENCH_NPROC']} CPUs, load {E['BENCH_LOAD_START']} at the start and "
         f"{E['BENCH_LOAD_END']} at the end.")
L.append("")
L.append(f"### GET / SET at one client (median of {E['BENCH_ROUNDS']} alternating rounds)")
L.append("")
L.append("Client and redis-server pinned to CPU 0. `redis-benchmark -c 1 -n "
         f"{E['BENCH_REQUESTS']} -t set|get` against ucm's acquire + command + release per request "
         "(how a service calls `manager.redis()`), ucm with one lease held for the run, and bare blocking "
         "hiredis (`redisCommandArgv` on one context).")
L.append("")
L.append("| | SET ops/s | GET ops/s |")
L.append("|---|---:|---:|")
for label, s, g in [("ucm (acquire + command + release)", "ucm_set", "ucm_get"),
                    ("ucm, lease held", "held_set", "held_get"),
                    ("hiredis, blocking", "hiredis_set", "hiredis_get"),
                    ("redis-benchmark -c 1", "rb_set", "rb_get")]:
    L.append(f"| {label} | {med[s]:,.0f} | {med[g]:,.0f} |")
L.append("")
L.append("Ratios, median over rounds of the per-round ratio (goal: ucm ÷ redis-benchmark ≥ 0.9):")
L.append("")
L.append("| | SET | GET |")
L.append("|---|---|---|")
L.append(f"| ucm ÷ redis-benchmark | {ratio_cells('ucm_set', 'rb_set')} | {ratio_cells('ucm_get', 'rb_get')} |")
L.append(f"| ucm ÷ hiredis | {ratio_cells('ucm_set', 'hiredis_set')} | {ratio_cells('ucm_get', 'hiredis_get')} |")
L.append(f"| ucm held lease ÷ redis-benchmark | {ratio_cells('held_set', 'rb_set')} | {ratio_cells('held_get', 'rb_get')} |")
L.append("")

rows = defaultdict(list)  # (kind, writer) -> [(acked, lost, first_ms)]
for line in open(failover_path):
    kind, rnd, writer, acked, lost, first = line.rstrip("\n").split("\t")
    rows[(kind, writer)].append((int(acked), int(lost), float(first)))
L.append("### Failover: acknowledged writes lost, and `+switch-master` → first write on the new master")
L.append("")
L.append("Three writers at once, one write per millisecond each, into their own set: ucm "
         "(`manager.redis(ReadWrite)`, retrying what was not sent), a naive client (asks a sentinel, "
         "reconnects only after an error) and a switcher (the naive client that also switches the moment "
         "`+switch-master` is published). Lost = acknowledged numbers missing from the new master "
         "afterwards. The clock is the benchmark's own subscriber to every sentinel. Goals: ucm loses 0 "
         "per failover; first write ≤ 5 ms after `+switch-master` (median).")
L.append("")
L.append("| failover | writer | rounds | lost per failover: median (max) | total lost / acknowledged | first write after +switch-master: median (max) ms |")
L.append("|---|---|---:|---|---|---|")
for kind, label in [("failover", "SENTINEL FAILOVER"), ("kill", "kill -9 of the master")]:
    for writer in ["ucm", "switcher", "naive"]:
        r = rows.get((kind, writer), [])
        if not r:
            continue
        lost = [x[1] for x in r]
        first = [x[2] for x in r]
        L.append(f"| {label} | {writer} | {len(r)} | {statistics.median(lost):g} ({max(lost)}) | "
                 f"{sum(lost):,} / {sum(x[0] for x in r):,} | {statistics.median(first):.1f} ({max(first):.1f}) |")
L.append("")
L.append("After a kill, writes the master acknowledged but had not yet replicated can be lost by every client "
         "(asynchronous replication; none were in these rounds, one write per ms replicates within it); "
         "`durable()` (`WAIT`) is the remedy. After `SENTINEL FAILOVER` the old "
         "master stays up: the naive client keeps writing to it (and losing the writes) until Sentinel "
         "demotes it about 10 s later; the switcher loses the writes made between the promotion and "
         "`+switch-master`; ucm holds writes from the first failover-progress event to `+switch-master`.")
L.append("<!-- redis:end -->")
section = "\n".join(L) + "\n"

text = open(out_path).read() if os.path.exists(out_path) else "# Benchmarks\n"
m = re.search(r"<!-- redis:begin.*?<!-- redis:end -->\n", text, re.S)
text = text[:m.start()] + section + text[m.end():] if m else text.rstrip("\n") + "\n\n" + section
open(out_path, "w").write(text)
print(f"wrote the Redis section of {out_path}")
EOF
