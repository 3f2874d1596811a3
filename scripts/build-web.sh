#!/usr/bin/env bash
# Builds the web console (web/ -> web/dist) that `lachan serve --web-root web/dist` serves.
# Installs Node.js and npm from Debian when they are missing; `npm ci` only when node_modules is
# missing or older than package-lock.json; `npm run build` only when something under web/src,
# web/public, web/index.html, the lock file or the vite/ts config is newer than web/dist/index.html.
# Quiet when there is nothing to do. LACHAN_WEB_FORCE=1 rebuilds anyway.
set -euo pipefail
cd "$(dirname "$0")/.."
web=web
min_node=20

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "build-web: installing nodejs and npm (Debian packages)"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
if (( node_major < min_node )); then
  echo "build-web: Node.js $(node --version) is too old: the console needs Node.js >= $min_node" \
       "(Debian 12's own package is 18; install 20 or later, e.g. from NodeSource, and rerun)" >&2
  exit 1
fi

# True when $1 is missing or some file among the rest is newer than it.
stale() {
  local target=$1
  shift
  [[ -e "$target" ]] || return 0
  local newer
  newer=$(find "$@" -type f -newer "$target" -print -quit 2>/dev/null || true)
  [[ -n "$newer" ]]
}

if [[ ! -d $web/node_modules ]] || stale $web/node_modules/.package-lock.json $web/package-lock.json; then
  echo "build-web: npm ci"
  (cd $web && npm ci --no-audit --no-fund --loglevel=error)
fi

inputs=()
for p in src public index.html package.json package-lock.json vite.config.ts vite.config.js tsconfig.json scripts; do
  [[ -e $web/$p ]] && inputs+=("$web/$p")
done
if [[ "${LACHAN_WEB_FORCE:-0}" == "1" ]] || stale $web/dist/index.html "${inputs[@]}"; then
  echo "build-web: npm run build"
  (cd $web && npm run build --silent)
  touch $web/dist/index.html
fi
