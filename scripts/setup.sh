#!/usr/bin/env bash
# Installs every Debian 12 package ucm needs to build, test, benchmark and run its sandbox.
# Idempotent and quiet when everything is there. Works as root or as a user with sudo, with or
# without an init system: the project never uses system-wide services (its sandbox starts its own
# servers on free ports below 32768, away from 5432 and 6379).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache git
  libpq-dev postgresql-15 pgbouncer
  libhiredis-dev redis-server redis-sentinel redis-tools
  libasio-dev libtomlplusplus-dev libspdlog-dev libfmt-dev nlohmann-json3-dev prometheus-cpp-dev
  libcli11-dev googletest libgtest-dev libgmock-dev libbenchmark-dev
  procps iproute2
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

# As root, run apt-get directly; otherwise through sudo (-E keeps DEBIAN_FRONTEND).
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  as_root=(sudo -E)
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
