#!/usr/bin/env python3
"""SigmaHQ regression data: every case must fire its rule (match_count times when info.yml
gives it), both from the .json and from the .evtx file, through the real `lachan scan`.

usage: sigma_regression.py LACHAN SIGMA_DATA_DIR
Exit 77 (skipped) when the shared data folder is absent.
"""
import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor


def main():
    lachan, data = sys.argv[1], sys.argv[2]
    reg = os.path.join(data, "regression_data")
    if not os.path.isdir(reg):
        print(f"SKIP: {reg} not found (the shared data folder is absent)")
        return 77
    # rule id -> rule file
    rules = {}
    for top in ("rules", "rules-emerging-threats", "rules-threat-hunting"):
        for root, _, files in os.walk(os.path.join(data, top)):
            for f in files:
                if f.endswith(".yml"):
                    p = os.path.join(root, f)
                    with open(p, encoding="utf-8") as fh:
                        m = re.search(r"^id:\s*([0-9a-fA-F-]{36})", fh.read(), re.M)
                    if m:
                        rules[m.group(1).lower()] = p
    exceptions = {}
    exc_file = os.path.join(os.path.dirname(os.path.abspath(__file__)), "regression_exceptions.txt")
    for line in open(exc_file, encoding="utf-8"):
        if line.strip() and not line.startswith("#"):
            rid, n = line.split()[:2]
            exceptions[rid.lower()] = int(n)
    cases = []
    for root, _, files in os.walk(reg):
        if "info.yml" not in files:
            continue
        text = open(os.path.join(root, "info.yml"), encoding="utf-8").read()
        # Only active evtx tests (commented-out entries start with '#').
        if not re.search(r"^\s+type:\s*evtx", text, re.M):
            continue
        rid = re.search(r"rule_metadata:\s*\n\s*-\s*id:\s*([0-9a-fA-F-]{36})", text).group(1).lower()
        mc = re.search(r"^\s+match_count:\s*(\d+)", text, re.M)
        for f in files:
            if f.endswith(".json") or f.endswith(".evtx"):
                count = int(mc.group(1)) if mc else None
                count = exceptions.get(rid, count)
                cases.append((root, os.path.join(root, f), rid, count))
    cases.sort()

    def run(case):
        root, path, rid, count = case
        rule = rules.get(rid)
        if rule is None:
            return (path, f"rule {rid} not found in the corpus")
        p = subprocess.run([lachan, "scan", "--quiet", "--rules", rule, path], capture_output=True, text=True)
        if p.returncode != 0:
            return (path, f"exit {p.returncode}: {p.stderr.strip()[:300]}")
        n = 0
        for line in p.stdout.splitlines():
            d = json.loads(line)
            if d["rule"]["id"].lower() == rid:
                n += 1
        if count is None and n < 1:
            return (path, f"rule {rid} did not fire")
        if count is not None and n != count:
            return (path, f"rule {rid} fired {n} times, expected {count}")
        return (path, None)

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as ex:
        results = list(ex.map(run, cases))
    failed = [(p, e) for p, e in results if e]
    for p, e in failed:
        print(f"FAIL {os.path.relpath(p, reg)}: {e}")
    json_n = sum(1 for c in cases if c[1].endswith(".json"))
    evtx_n = len(cases) - json_n
    print(f"{len(cases)} regression inputs ({json_n} json, {evtx_n} evtx): "
          f"{len(cases) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
