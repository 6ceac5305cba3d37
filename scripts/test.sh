#!/usr/bin/env bash
# Runs every test tier the way CI does: install packages, build the asan and tsan presets, run
# ctest by label (the shared sandbox is a ctest fixture; destructive tests start their own), build
# the examples and the install consumer. Prints each phase's wall time; exits non-zero on any
# failure. Usage: scripts/test.sh            (everything, as CI)
#                 UCM_PRESETS=asan scripts/test.sh   (one preset, for local work)
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
presets=${UCM_PRESETS:-"asan tsan"}
jobs=${UCM_JOBS:-$(nproc)}

declare -a phase_names=() phase_secs=()
failed_phases=()
total_passed=0
total_failed=0

run_phase() {  # run_phase NAME COMMAND...
  local name=$1; shift
  local start=$SECONDS
  echo "==> [$name] $*"
  if "$@"; then
    echo "==> [$name] ok in $((SECONDS - start)) s"
  else
    echo "==> [$name] FAILED after $((SECONDS - start)) s"
    failed_phases+=("$name")
  fi
  phase_names+=("$name"); phase_secs+=($((SECONDS - start)))
}

# ctest with a label; adds its counts to the totals so the script can close with one summary line.
run_ctest() {  # run_ctest PRESET LABEL
  local dir="build/$1" label=$2 log
  log=$(mktemp)
  ctest --test-dir "$dir" -L "$label" --output-on-failure --timeout 600 -j "$jobs" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  local line
  line=$(grep -E '[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1)
  if [ -n "$line" ]; then
    local failed total
    failed=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
    total=$(sed -E 's/.* failed out of ([0-9]+).*/\1/' <<<"$line")
    total_failed=$((total_failed + failed)); total_passed=$((total_passed + total - failed))
  elif [ "$rc" -ne 0 ]; then
    total_failed=$((total_failed + 1))
  fi
  rm -f "$log"
  return "$rc"
}

# Whatever happens, no sandbox outlives this script: the fixture's cleanup normally stops it; if
# ctest was killed, stop it here by its recorded supervisor PID.
cleanup() {
  for state in "$root"/build/*/shared-sandbox.json; do
    [ -f "$state" ] || continue
    local cli=${state%/shared-sandbox.json}/tools/ucm/ucm
    [ -x "$cli" ] && "$cli" sandbox down --state-file "$state" >/dev/null 2>&1 || true
    local pid
    pid=$(sed -nE 's/.*"supervisor_pid": *([0-9]+).*/\1/p' "$state" 2>/dev/null | head -n 1)
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true
    rm -f "$state"
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

run_phase install scripts/setup.sh

for preset in $presets; do
  run_phase "configure $preset" cmake --preset "$preset" -DUCM_WARNINGS_AS_ERRORS=ON >/dev/null
  if [ "$preset" = tsan ]; then
    # TSan: the library, the unit tier and the concurrency-labelled integration tests.
    run_phase "build $preset" cmake --build --preset "$preset" -j "$jobs" \
      --target ucm_unit_tests ucm_integration_tests ucm_cli
    run_phase "test $preset unit" run_ctest "$preset" unit
    run_phase "test $preset concurrency" run_ctest "$preset" concurrency
  else
    run_phase "build $preset" cmake --build --preset "$preset" -j "$jobs"
    run_phase "test $preset unit" run_ctest "$preset" unit
    run_phase "test $preset integration" run_ctest "$preset" integration
    run_phase "install consumer $preset" scripts/check-install.sh "$preset"
  fi
done

echo
echo "phase times:"
for i in "${!phase_names[@]}"; do
  printf '  %-32s %5d s\n' "${phase_names[$i]}" "${phase_secs[$i]}"
done
printf '  %-32s %5d s\n' "total" "$SECONDS"
if [ ${#failed_phases[@]} -ne 0 ]; then
  echo "failed phases: ${failed_phases[*]}"
fi
echo "tests: $total_passed passed, $total_failed failed"
[ ${#failed_phases[@]} -eq 0 ]
