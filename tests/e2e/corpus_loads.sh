#!/usr/bin/env bash
# The whole SigmaHQ corpus loads: `lachan rules check` reports no error and rejects no rule.
# usage: corpus_loads.sh LACHAN SIGMA_DATA_DIR   (exit 77 = skipped when the data is absent)
set -uo pipefail
lachan=$1 data=$2
if [[ ! -d "$data/rules" ]]; then echo "SKIP: $data/rules not found (the shared data folder is absent)"; exit 77; fi
out=$("$lachan" rules check "$data/rules" "$data/rules-emerging-threats" "$data/rules-threat-hunting")
status=$?
echo "$out" | tail -n 12
summary=$(echo "$out" | grep -E '^[0-9]+ files, ')
loaded=$(echo "$summary" | sed -E 's/.*: ([0-9]+) rules loaded.*/\1/')
rejected=$(echo "$summary" | sed -E 's/.* ([0-9]+) rejected.*/\1/')
files=$(find "$data/rules" "$data/rules-emerging-threats" "$data/rules-threat-hunting" -name '*.yml' | wc -l)
fail=0
[[ $status -eq 0 ]] || { echo "FAIL: rules check exited $status"; fail=1; }
[[ "$rejected" == "0" ]] || { echo "FAIL: $rejected rules rejected"; fail=1; }
[[ "$loaded" == "$files" ]] || { echo "FAIL: $loaded rules loaded from $files files"; fail=1; }
if [[ $fail -eq 0 ]]; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; fi
exit $fail
