#!/usr/bin/env bash
# ctest's entry to the console's browser tests: exits 77 (skipped) with the reason when Chromium,
# the built console or playwright-core is missing, else runs them with node --test.
# Usage: tests/browser/run.sh LACHAN_BINARY [REPO_ROOT]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="${2:-$(cd "$here/../.." && pwd)}"
export LACHAN_BIN="${1:-${LACHAN_BIN:-$repo/build/release/lachan}}"
chromium="${LACHAN_CHROMIUM:-/usr/bin/chromium}"
web_root="${LACHAN_WEB_ROOT:-$repo/web/dist}"
skip() { echo "SKIP browser tests: $*"; exit 77; }
[[ -x "$LACHAN_BIN" ]] || skip "no lachan binary at $LACHAN_BIN"
[[ -x "$chromium" ]] || skip "no Chromium at $chromium (scripts/install-deps.sh --browser installs Debian's)"
[[ -f "$web_root/index.html" ]] || skip "no built console at $web_root (scripts/build-web.sh)"
[[ -d "$here/node_modules/playwright-core" ]] || skip "no $here/node_modules (cd tests/browser && npm ci)"
command -v node >/dev/null || skip "no node"
export LACHAN_SCREENSHOTS="${LACHAN_SCREENSHOTS:-$repo/build/browser-screenshots}"
cd "$here"
exec node --test --test-reporter=spec console.test.mjs
