#!/usr/bin/env bash
# The main job on a fresh machine: install what is missing, build the release binary, scan the
# demo data with the bundled rules (and, when ../shared/data is beside the checkout, the SigmaHQ
# corpus over real attack recordings), then start the platform as a demo: the demo constituency
# (national centre, 34 provincial units, 11 sector teams, member organisations), people, the
# bundled rules and a replay of the demo telemetry through the real ingest path. It prints the
# URL and the demo credentials and runs until Ctrl-C (with CI=true or LACHAN_DEMO_ONCE=1 it stops
# once the replay is processed). LACHAN_LISTEN sets the address (default 127.0.0.1:8080).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release
scripts/build-web.sh
bin=build/release/lachan

echo
echo "== Lachan: bundled rules over the demo telemetry (demo/)"
"$bin" scan --rules rules --format table demo/*.jsonl demo/*.log

shared=../shared/data
if [[ -d "$shared/sigma/rules" && -f "$shared/logs/windows/evtx-attack-samples.jsonl" ]]; then
  echo
  echo "== SigmaHQ corpus (3,754 rules) over 8,255 real Windows attack events, high and critical only"
  out=$(mktemp)
  trap 'rm -f "$out"' EXIT
  "$bin" scan --threads 0 --min-level high --format table --color never \
    --rules "$shared/sigma/rules" --rules "$shared/sigma/rules-emerging-threats" \
    --rules "$shared/sigma/rules-threat-hunting" \
    "$shared/logs/windows/evtx-attack-samples.jsonl" > "$out"
  head -n 60 "$out"
  echo "… $(wc -l < "$out") lines in all; run the command above yourself to see every detection"
fi

echo
echo "== lachan demo: the platform with the demo constituency and replayed telemetry"
data=build/demo-data
rm -rf "$data"
once=()
if [[ "${CI:-}" == "true" || "${LACHAN_DEMO_ONCE:-}" == "1" ]]; then once=(--exit-after-replay); fi
exec "$bin" demo --data-dir "$data" --listen "${LACHAN_LISTEN:-127.0.0.1:8080}" --web-root web/dist "${once[@]}"
