#!/usr/bin/env python3
"""Canonicalises lachan output for the golden tests.

canon.py jsonl FILE: every line is parsed as JSON and written back with sorted keys and no
    insignificant whitespace; line order is kept (it is part of the behaviour). Lines that are
    not JSON are kept prefixed with "NOT-JSON: " so that they show up in the diff.
canon.py text FILE: the text as is (trailing spaces removed), except volatile numbers which
    are replaced by "#": durations ("compiled in 0.01 s", "events/s") and the compiler's
    internal statistics in `rules check` ("N compiled rule instances, N behind the prefilter
    (N literals)").
"""
import json
import re
import sys

# Fields that may differ between runs or machines. Paths are relative to the case folder
# (the command runs there), so none are volatile today; add dotted paths here if needed.
VOLATILE = []


def drop(obj, dotted):
    parts = dotted.split(".")
    for p in parts[:-1]:
        if not isinstance(obj, dict) or p not in obj:
            return
        obj = obj[p]
    if isinstance(obj, dict):
        obj.pop(parts[-1], None)


def canon_jsonl(text):
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            out.append("NOT-JSON: " + line)
            continue
        for v in VOLATILE:
            drop(obj, v)
        out.append(json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":")))
    return "\n".join(out) + ("\n" if out else "")


TIMING = [
    # `rules check` statistics of the compiler's internals (prefilter literals change with
    # optimisations, not with behaviour).
    (re.compile(r"^\d+ compiled rule instances, \d+ behind the prefilter \(\d+ literals\)"),
     "# compiled rule instances, # behind the prefilter (# literals)"),
    (re.compile(r"\b\d+\.\d+ s\b"), "# s"),
    (re.compile(r"\b\d+ events/s\b"), "# events/s"),
]


def canon_text(text):
    lines = []
    for line in text.splitlines():
        for rx, rep in TIMING:
            line = rx.sub(rep, line)
        lines.append(line.rstrip())
    return "\n".join(lines) + ("\n" if lines else "")


def main():
    kind, path = sys.argv[1], sys.argv[2]
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    sys.stdout.write(canon_jsonl(text) if kind == "jsonl" else canon_text(text))


if __name__ == "__main__":
    main()
