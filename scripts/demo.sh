#!/usr/bin/env bash
# The main job: install what is needed, build the `ucm` tool, run `ucm demo` (it starts its own
# sandbox of real servers on 127.0.0.1 and stops it again). Extra arguments go to `ucm demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release --target ucm_cli
exec build/release/tools/ucm/ucm demo "$@"
