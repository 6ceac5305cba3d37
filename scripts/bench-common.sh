# Shared by scripts/bench.sh, bench-redis.sh and bench-async.sh: sourced, not run.
# shellcheck shell=bash

# bench_command_line SCRIPT VAR...: the command that reproduces this run, with the UCM_BENCH_*
# variables that were set.
bench_command_line() {
  local line=$1 v
  shift
  for v in "$@"; do
    if [ -n "${!v:-}" ]; then line="$v=${!v} $line"; fi
  done
  printf '%s' "$line"
}

# bench_sandbox_up NAME [sandbox up options...]: starts a sandbox in a temporary directory ($work,
# state file $state), stopped and removed on exit, and sources its environment. Needs $ucm_bin.
bench_sandbox_up() {
  local name=$1
  shift
  work=$(mktemp -d "/tmp/ucm-$name.XXXXXX")
  state=$work/sandbox.json
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
  echo "==> sandbox"
  "$ucm_bin" sandbox up "$@" --state-file "$state" --env-file "$work/sandbox.env"
  # shellcheck disable=SC1091
  . "$work/sandbox.env"
}

bench_cleanup() {
  if [ -f "$state" ]; then "$ucm_bin" sandbox down --state-file "$state" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}

# bench_round_order ROUND CONTENDER...: sets the array `order`, reversed in every other round.
bench_round_order() {
  local round=$1 i
  shift
  order=("$@")
  if ((round % 2 == 0)); then
    order=()
    for ((i = $#; i >= 1; i--)); do order+=("${!i}"); done
  fi
}

# bench_compilers: how many compiler processes run now (the machine is shared; noted per round).
bench_compilers() {
  # shellcheck disable=SC2009  # pgrep refuses a pattern this long
  ps -eo comm= | grep -c -x -E 'cc1plus|cc1|collect2|ld|ld\.bfd|ld\.gold' || true
}
