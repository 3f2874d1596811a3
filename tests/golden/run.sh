#!/usr/bin/env bash
# Golden tests: runs the lachan binary on every case folder tests/golden/<suite>/<case>/ and
# compares its canonicalised output with the expected files there.
#
# Usage: tests/golden/run.sh LACHAN_BINARY [CASE_FILTER]
#   LACHAN_UPDATE_GOLDEN=1 rewrites expected.jsonl / expected.txt and exit_code from the
#   current output (then read the diff: the expected files are the specification).
#
# A case folder holds:
#   cmd              the lachan arguments on one line, paths relative to the case folder,
#                    e.g. `scan --rules rules.yml --format jsonl input.jsonl`
#                    (split on whitespace: no quoting, no spaces in paths)
#   input files      whatever cmd names
#   expected.jsonl   expected stdout, compared line by line after parsing each line as JSON and
#                    sorting keys (line order matters), or
#   expected.txt     expected stdout as text (durations such as "0.01 s" are masked)
#   exit_code        the expected exit status (written by LACHAN_UPDATE_GOLDEN=1; 0 if absent)
#   stderr_contains  optional, hand-written: each non-empty line must occur somewhere in stderr
#                    (stderr is otherwise not compared: it holds timings)
# The command runs in the case folder with TZ=UTC, LC_ALL=C and SOURCE_DATE_EPOCH=1767225600
# (2026-01-01, the "now" that decides the year of RFC 3164 syslog timestamps).
set -u
if [[ $# -lt 1 ]]; then
  echo "usage: $0 LACHAN_BINARY [CASE_FILTER]" >&2
  exit 2
fi
LACHAN=$(realpath "$1")
FILTER=${2:-}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CANON="$HERE/canon.py"
UPDATE=${LACHAN_UPDATE_GOLDEN:-0}
if [[ ! -x "$LACHAN" ]]; then
  echo "golden: $LACHAN is not an executable" >&2
  exit 2
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

passed=0
failed=0
failures=()
shopt -s nullglob
for cmdfile in "$HERE"/*/*/cmd; do
  dir=$(dirname "$cmdfile")
  name=${dir#"$HERE"/}
  [[ -n "$FILTER" && "$name" != *"$FILTER"* ]] && continue
  read -r -a args < "$cmdfile"
  (cd "$dir" && TZ=UTC LC_ALL=C SOURCE_DATE_EPOCH=1767225600 "$LACHAN" "${args[@]}" > "$TMP/stdout" 2> "$TMP/stderr" < /dev/null)
  rc=$?
  ok=1
  msgs=()

  if [[ -f "$dir/expected.txt" ]]; then kind=text; expected="$dir/expected.txt"
  elif [[ -f "$dir/expected.jsonl" ]]; then kind=jsonl; expected="$dir/expected.jsonl"
  elif [[ " ${args[*]} " == *" --format jsonl "* || " ${args[*]} " != *" --format "* && "${args[0]}" == scan ]]; then
    kind=jsonl; expected="$dir/expected.jsonl"
  else kind=text; expected="$dir/expected.txt"
  fi
  python3 "$CANON" "$kind" "$TMP/stdout" > "$TMP/actual" || { ok=0; msgs+=("canonicalisation failed"); }

  if [[ "$UPDATE" == 1 ]]; then
    cp "$TMP/actual" "$expected"
    echo "$rc" > "$dir/exit_code"
  fi

  if [[ ! -f "$expected" ]]; then
    ok=0; msgs+=("no expected file (run with LACHAN_UPDATE_GOLDEN=1 to create it)")
  else
    python3 "$CANON" "$kind" "$expected" > "$TMP/expected"
    if ! diff -u --label "expected ($name/$(basename "$expected"))" --label "actual" \
        "$TMP/expected" "$TMP/actual" > "$TMP/diff"; then
      ok=0; msgs+=("stdout differs:" "$(cat "$TMP/diff")")
    fi
  fi

  want_rc=0
  [[ -f "$dir/exit_code" ]] && want_rc=$(tr -d '[:space:]' < "$dir/exit_code")
  if [[ "$rc" != "$want_rc" ]]; then
    ok=0; msgs+=("exit status $rc, expected $want_rc")
  fi

  if [[ -f "$dir/stderr_contains" ]]; then
    while IFS= read -r want || [[ -n "$want" ]]; do
      [[ -z "$want" ]] && continue
      if ! grep -qF -- "$want" "$TMP/stderr"; then
        ok=0; msgs+=("stderr does not contain: $want")
      fi
    done < "$dir/stderr_contains"
  fi

  if [[ $ok == 1 ]]; then
    passed=$((passed + 1))
    echo "PASS $name"
  else
    failed=$((failed + 1))
    failures+=("$name")
    echo "FAIL $name  (lachan ${args[*]})"
    for m in "${msgs[@]}"; do echo "$m" | sed 's/^/    /'; done
    echo "    --- stderr ---"
    sed 's/^/    /' "$TMP/stderr" | head -n 20
  fi
done

echo
echo "$passed passed, $failed failed"
if [[ $failed -gt 0 ]]; then
  printf '  failed: %s\n' "${failures[@]}"
  exit 1
fi
if [[ $passed -eq 0 ]]; then
  echo "golden: no case found${FILTER:+ matching '$FILTER'}" >&2
  exit 1
fi
exit 0
