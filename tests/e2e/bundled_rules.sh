#!/usr/bin/env bash
# The project's own rules (rules/<area>/<name>.yml) each come with samples next to them:
#   <name>.positive.<ext>  must produce at least one detection of the rule
#   <name>.negative.<ext>  must produce no detection of any rule of the file
# (<ext>: jsonl, json, log, csv, gz, ... — anything `lachan scan` reads). "The rule" is the id
# of the last document in the file that has one: the rule itself, or, for a file holding a
# correlation after its base rules, the correlation. Also `lachan rules check RULES_DIR` must
# report no error.
#
# Usage: tests/e2e/bundled_rules.sh LACHAN_BINARY RULES_DIR
set -u
if [[ $# -ne 2 ]]; then
  echo "usage: $0 LACHAN_BINARY RULES_DIR" >&2
  exit 2
fi
LACHAN=$1
RULES=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export TZ=UTC LC_ALL=C

failed=0
checked=0
fail() { echo "FAIL $*"; failed=$((failed + 1)); }

if ! "$LACHAN" rules check "$RULES" > "$TMP/check" 2>&1; then
  fail "lachan rules check $RULES reports errors:"
  sed 's/^/    /' "$TMP/check"
fi

# Prints the detected rule ids, one per line.
detected_ids() {
  python3 -c '
import json, sys
for line in open(sys.argv[1]):
    line = line.strip()
    if line:
        print(json.loads(line)["rule"]["id"])
' "$1"
}

while IFS= read -r -d '' rule; do
  base=${rule%.yml}
  name=${rule#"$RULES"/}
  # Top-level `id:` lines of the file, in order.
  mapfile -t ids < <(sed -n 's/^id:[[:space:]]*\([^[:space:]#]*\).*/\1/p' "$rule" | tr -d "'\"")
  if [[ ${#ids[@]} -eq 0 ]]; then
    fail "$name: no id"
    continue
  fi
  main=${ids[-1]}
  shopt -s nullglob
  pos=("$base".positive.*)
  neg=("$base".negative.*)
  shopt -u nullglob
  if [[ ${#pos[@]} -eq 0 || ${#neg[@]} -eq 0 ]]; then
    fail "$name: needs both a $(basename "$base").positive.* and a $(basename "$base").negative.* sample"
    continue
  fi
  checked=$((checked + 1))
  ok=1
  for p in "${pos[@]}"; do
    if ! "$LACHAN" scan -q --rules "$rule" --format jsonl "$p" > "$TMP/out" 2> "$TMP/err"; then
      fail "$name: lachan scan failed on $(basename "$p")"; sed 's/^/    /' "$TMP/err"; ok=0; continue
    fi
    detected_ids "$TMP/out" > "$TMP/ids"
    if ! grep -qxF -- "$main" "$TMP/ids"; then
      fail "$name: $(basename "$p") produced no detection of $main"
      sed 's/^/    /' "$TMP/err"
      ok=0
    fi
  done
  for n in "${neg[@]}"; do
    if ! "$LACHAN" scan -q --rules "$rule" --format jsonl "$n" > "$TMP/out" 2> "$TMP/err"; then
      fail "$name: lachan scan failed on $(basename "$n")"; sed 's/^/    /' "$TMP/err"; ok=0; continue
    fi
    hits=$(detected_ids "$TMP/out" | grep -xF -f <(printf '%s\n' "${ids[@]}") | sort | uniq -c)
    if [[ -n "$hits" ]]; then
      fail "$name: $(basename "$n") produced detections:"
      echo "$hits" | sed 's/^/    /'
      ok=0
    fi
  done
  [[ $ok == 1 ]] && echo "PASS $name"
done < <(find "$RULES" -name '*.yml' -type f -print0 | sort -z)

echo
echo "$checked rules checked, $failed failures"
if [[ $checked -eq 0 ]]; then
  echo "bundled_rules: no rule with samples under $RULES" >&2
  exit 1
fi
[[ $failed -eq 0 ]]
