#!/usr/bin/env bash
# Every test on a fresh machine: install what is missing, build; run the unit, golden, fuzz-replay
# and end-to-end server tests under AddressSanitizer + UndefinedBehaviorSanitizer, then the whole
# suite (also the SigmaHQ regression, corpus load and bundled rules) on the release build.
# The release half also runs the web console's browser tests (tests/browser/, label browser) in
# Debian's Chromium: built with scripts/build-web.sh. Set LACHAN_SKIP_ASAN=1 to skip the sanitizer
# pass, LACHAN_SKIP_BROWSER=1 to skip installing Chromium and the browser tests' packages (the
# browser test then reports itself skipped).
set -euo pipefail
cd "$(dirname "$0")/.."
browser=1
if [[ "${LACHAN_SKIP_BROWSER:-0}" == "1" ]]; then browser=0; fi
if (( browser )); then scripts/install-deps.sh --browser; else scripts/install-deps.sh; fi
jobs=$(nproc)

if [[ "${LACHAN_SKIP_ASAN:-0}" != "1" ]]; then
  cmake --preset asan >/dev/null
  cmake --build --preset asan -j "$jobs"
  ctest --preset asan -j "$jobs" -L 'unit|fuzz|golden|e2e'
fi

cmake --preset release >/dev/null
cmake --build --preset release -j "$jobs"
scripts/build-web.sh
if (( browser )); then
  # playwright-core only (Chromium is Debian's); npm ci when missing or the lock file is newer.
  if [[ ! -d tests/browser/node_modules ]] ||
     [[ tests/browser/package-lock.json -nt tests/browser/node_modules/.package-lock.json ]]; then
    (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
ctest --preset release -j "$jobs"
