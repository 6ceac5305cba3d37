#!/usr/bin/env bash
# Proves the installed package works: `cmake --install` a preset's build into a staging prefix,
# then configure, build and run tests/install, which does find_package(ucm CONFIG REQUIRED).
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-dev}
build="build/$preset"
stage="$build/stage"
consumer="$build/install-consumer"
rm -rf "$stage" "$consumer"
cmake --install "$build" --prefix "$stage" >/dev/null
flags=$(sed -nE 's/^CMAKE_CXX_FLAGS:STRING=(.*)$/\1/p' "$build/CMakeCache.txt")
ldflags=$(sed -nE 's/^CMAKE_EXE_LINKER_FLAGS:STRING=(.*)$/\1/p' "$build/CMakeCache.txt")
cmake -S tests/install -B "$consumer" -G Ninja -DCMAKE_PREFIX_PATH="$(pwd)/$stage" \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$ldflags" >/dev/null
cmake --build "$consumer" >/dev/null
"$consumer/ucm_install_consumer"
