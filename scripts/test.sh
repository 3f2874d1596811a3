#!/usr/bin/env bash
# Every test on a fresh machine: install what is missing, build; run the unit, golden, fuzz-replay
# and end-to-end server tests under AddressSanitizer + UndefinedBehaviorSanitizer, then the whole
# suite (also the SigmaHQ regression, corpus load and bundled rules) on the release build.
# Set LACHAN_SKIP_ASAN=1 to skip the sanitizer pass.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
jobs=$(nproc)

if [[ "${LACHAN_SKIP_ASAN:-0}" != "1" ]]; then
  cmake --preset asan >/dev/null
  cmake --build --preset asan -j "$jobs"
  ctest --preset asan -j "$jobs" -L 'unit|fuzz|golden|e2e'
fi

cmake --preset release >/dev/null
cmake --build --preset release -j "$jobs"
ctest --preset release -j "$jobs"
