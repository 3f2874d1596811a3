#!/usr/bin/env bash
# The detection benchmark of the issue "Detection engine and lachan scan":
# the full SigmaHQ corpus over evtx-attack-samples.jsonl repeated to at least 1,000,000 events.
# Prints events/s for parsing only (simdjson over the same file), detection on 1 thread and on
# all cores (median of RUNS runs each), the corpus compile time and peak memory.
# usage: bench/sigma_bench.sh [BUILD_DIR]   (default build/release; env RUNS=3, MIN_EVENTS=1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
runs=${RUNS:-3}
min_events=${MIN_EVENTS:-1000000}
shared=../shared/data
src=$shared/logs/windows/evtx-attack-samples.jsonl
if [[ ! -f "$src" ]]; then echo "sigma_bench: $src not found (the shared data folder is absent)"; exit 77; fi
[[ -x "$build/lachan" && -x "$build/bench/bench_parse" ]] || { echo "sigma_bench: build first (cmake --preset release && cmake --build --preset release)"; exit 2; }

work=${BENCH_DIR:-bench/out}
mkdir -p "$work"
input=$work/attack-samples-1m.jsonl
per=$(wc -l < "$src")
copies=$(( (min_events + per - 1) / per ))
if [[ ! -f "$input" || $(wc -l < "$input") -ne $((copies * per)) ]]; then
  echo "building $input: $copies copies of $per events"
  : > "$input"
  for ((i = 0; i < copies; i++)); do cat "$src" >> "$input"; done
fi
rules=(--rules "$shared/sigma/rules" --rules "$shared/sigma/rules-emerging-threats" --rules "$shared/sigma/rules-threat-hunting")
cat "$input" > /dev/null  # warm the page cache

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "input: $input ($(wc -l < "$input") events, $(du -h "$input" | cut -f1))"
p=(); for ((r = 0; r < runs; r++)); do p+=("$("$build/bench/bench_parse" "$input" | sed -E 's/.*: ([0-9]+) events\/s.*/\1/')"); done
parse=$(printf '%s\n' "${p[@]}" | median)

run_scan() {  # threads -> prints "events/s compile_s peak_mb"
  "$build/lachan" scan "${rules[@]}" --format none --threads "$1" "$input" 2>&1 >/dev/null | tail -1 |
    sed -E 's/.*compiled in ([0-9.]+) s.* ([0-9]+) events\/s.*peak memory ([0-9]+) MB.*/\2 \1 \3/'
}
one=(); all=(); comp=(); mem=()
cores=$(nproc)
for ((r = 0; r < runs; r++)); do
  read -r eps c m < <(run_scan 1); one+=("$eps"); comp+=("$c"); mem+=("$m")
  read -r eps c m < <(run_scan 0); all+=("$eps"); mem+=("$m")
done
one_m=$(printf '%s\n' "${one[@]}" | median)
all_m=$(printf '%s\n' "${all[@]}" | median)
comp_m=$(printf '%s\n' "${comp[@]}" | median)
mem_max=$(printf '%s\n' "${mem[@]}" | sort -g | tail -1)
echo "runs: $runs (median), cores: $cores"
echo "parsing only (simdjson):        $parse events/s"
echo "detection, 1 thread:            $one_m events/s ($(awk -v a="$one_m" -v b="$parse" 'BEGIN{printf "%.0f", 100*a/b}')% of parsing only)"
echo "detection, $cores threads:           $all_m events/s (scaling x$(awk -v a="$all_m" -v b="$one_m" 'BEGIN{printf "%.2f", a/b}'))"
echo "corpus compile time:            $comp_m s"
echo "peak memory (largest run):      $mem_max MB"
