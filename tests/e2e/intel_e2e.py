#!/usr/bin/env python3
"""End-to-end tests of threat intelligence in `lachan serve`: usage: intel_e2e.py BINARY SOURCE_DIR

A scheduled feed (a local file, so no traffic leaves the machine), STIX and MISP imports over the
API and the CLI, every event matched (warning for the sender only, TLP and source in its tags),
warning lists (recorded, not raised), retro-hunt over archived events, TLP scoping of indicators
and sightings, and the answers checked against the OpenAPI document."""
import http.client, json, os, subprocess, sys, tempfile, time, urllib.parse
from lachan_e2e import check, check_answers_documented, poll, run

BIN, SRC = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
DEMO = os.path.join(SRC, "demo")
SHARED = os.path.join(SRC, "..", "shared", "data", "intel")
A, B, NC = "bvhn-nghe-an", "cong-dvc-da-nang", "ncsc"
S, SEEN, PROCS = {}, [], []


def cli(*args, ok=True):
    r = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=120)
    if ok and r.returncode != 0:
        raise AssertionError(f"lachan {' '.join(args)} failed: {r.stderr}")
    return r


def req(method, path, key=None, body=None, tmpl=None, ctype=None):
    srv = S["srv"]
    h = {}
    if key:
        h["Authorization"] = "Bearer " + key
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    elif isinstance(body, str):
        body = body.encode()
        h["Content-Type"] = ctype or "text/plain"
    c = http.client.HTTPConnection(srv["host"], srv["port"], timeout=30)
    try:
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        raw = r.read()
    finally:
        c.close()
    try:
        data = json.loads(raw) if raw else None
    except ValueError:
        data = raw.decode(errors="replace")
    if tmpl:
        SEEN.append((tmpl, method.lower(), r.status, data))
    return r.status, data


def key(org, role):
    return S["keys"][(org, role)]


def send(org, events):
    body = "\n".join(json.dumps(e) for e in events) + "\n"
    st, d = req("POST", "/api/v1/events?source=json", key(org, "reporter"), body)
    check(st == 200 and d["accepted"] == len(events), f"ingest: {st} {d}")


def warnings(org):
    st, d = req("GET", "/api/v1/warnings?limit=500", key(org, "viewer"))
    check(st == 200, f"warnings: {st} {d}")
    return d["items"]


def intel_warnings(org, rule_id=None):
    return [w for w in warnings(org) if w["detector"] == "intel" and (rule_id is None or w["rule_id"] == rule_id)]


def bundle(*objects):
    return {"type": "bundle", "id": "bundle--7e6d1c5e-8f0f-4e43-9b5a-2d7f2a7e5a01", "objects": list(objects)}


def indicator(uuid, pattern, tlp_ref=None, confidence=90, labels=()):
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())  # fresh: the score has not decayed
    o = {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid}", "created": now, "modified": now,
         "pattern": pattern, "pattern_type": "stix", "valid_from": now, "confidence": confidence, "labels": list(labels)}
    if tlp_ref:
        o["object_marking_refs"] = [tlp_ref]
    return o


TLP_GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
TLP_RED = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
TLP_CLEAR = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"


def import_stix(b, k=None):
    return req("POST", "/api/v1/intel/import", k or key(NC, "analyst"), b, tmpl="/api/v1/intel/import")


# ---------------------------------------------------------------- tests

def test_setup():
    d = tempfile.mkdtemp(prefix="lachan-intel-e2e-")
    S["dir"] = d
    cli("org", "import", "--data-dir", d, os.path.join(DEMO, "constituency.json"))
    keys = {}
    for org in (A, B, NC):
        for role in ("admin", "analyst", "reporter", "viewer"):
            keys[(org, role)] = cli("key", "create", "--data-dir", d, "--org", org, "--role", role).stdout.strip()
    S["keys"] = keys
    feeds = os.path.join(d, "feeds")
    os.makedirs(feeds)
    with open(os.path.join(feeds, "blocklist.txt"), "w") as f:
        f.write("# a local block list\n203.0.113.66\n198.51.100.0/24\n")
    with open(os.path.join(feeds, "local-blocklist.toml"), "w") as f:
        f.write('name = "local-blocklist"\nfile = "blocklist.txt"\nformat = "lines"\ntype = "ip"\n'
                'tlp = "clear"\nconfidence = 70\nschedule = "1h"\n')
    # The bundled feed definitions need the network: only the local one is pulled.
    urlf = os.path.join(d, "url")
    log = open(os.path.join(d, "serve.log"), "ab")
    p = subprocess.Popen([BIN, "serve", "--data-dir", d, "--listen", "127.0.0.1:0", "--url-file", urlf,
                          "--intel-feeds-dir", feeds, "--intel-pull-feeds", "--intel-retro-hunt-days", "30"],
                         stdout=log, stderr=log)
    PROCS.append(p)

    def ready():
        check(p.poll() is None, f"server exited early ({p.returncode}), see {d}/serve.log")
        return os.path.exists(urlf) and open(urlf).read().splitlines()
    u = urllib.parse.urlparse(poll(ready, "url file")[0])
    S["srv"] = {"host": u.hostname, "port": u.port}


def test_feed_pulled_and_matched():
    def pulled():
        st, d = req("GET", "/api/v1/intel/feeds", key(NC, "analyst"), tmpl="/api/v1/intel/feeds")
        check(st == 200, f"feeds: {st} {d}")
        f = [x for x in d["items"] if x["name"] == "local-blocklist"]
        return f and f[0]["indicators"] == 2 and f[0]
    f = poll(pulled, "the local feed pulled")
    check(f["last_error"] == "" and f["last_success"], f"feed state: {f}")
    st, _ = req("GET", "/api/v1/intel/feeds", key(A, "viewer"), tmpl="/api/v1/intel/feeds")
    check(st == 403, f"a viewer lists feeds: {st}")
    send(A, [{"EventID": 3, "Computer": "ws1.bvhn", "DestinationIp": "198.51.100.23", "Image": "C:\\x\\beacon.exe"}])
    w = poll(lambda: intel_warnings(A), "a warning for A from the feed")[0]
    check("tlp.clear" in w["tags"] and "intel.source:local-blocklist" in w["tags"], f"tags: {w['tags']}")
    check(w["tlp"] == "clear" and "198.51.100.23" in w["title"], f"warning: {w}")
    check(w["rule_id"] == "feed--local-blocklist--ip--198.51.100.0/24", f"rule id: {w['rule_id']}")
    check(not intel_warnings(B), "B sees A's intel warning")


def test_stix_import_over_api():
    b = bundle(indicator("5f3c4f1e-1d2b-4c6a-9e8f-0a1b2c3d4e5f", "[domain-name:value = 'evil-c2.example']", TLP_GREEN, 90,
                         ["malicious-activity"]))
    st, d = import_stix(b)
    check(st == 200 and d["indicators"] == 1 and d["added"] == 1, f"import: {st} {d}")
    st, d = import_stix(b)
    check(st == 200 and d["unchanged"] == 1 and d["added"] == 0, f"re-import: {st} {d}")
    st, d = import_stix(b, key(A, "admin"))
    check(st == 403, f"a member imports: {st}")
    st, d = import_stix("this is not intelligence")
    check(st == 400 and "format" in d["error"]["message"], f"garbage: {st} {d}")
    bad = bundle(indicator("6f3c4f1e-1d2b-4c6a-9e8f-0a1b2c3d4e5f", "[ipv4-addr:value = '10.0.0.1']"),
                 indicator("7f3c4f1e-1d2b-4c6a-9e8f-0a1b2c3d4e5f", "[domain-name:value = 'x.example'"))
    st, d = import_stix(bad)
    check(st == 400 and "7f3c4f1e" in d["error"]["message"], f"bad pattern: {st} {d}")
    st, d = req("GET", "/api/v1/intel/indicators/indicator--6f3c4f1e-1d2b-4c6a-9e8f-0a1b2c3d4e5f", key(NC, "admin"))
    check(st == 404, f"part of a refused bundle was kept: {st}")
    send(B, [{"Computer": "srv.dvc", "QueryName": "Www.Evil-C2.Example", "EventID": 22}])
    w = poll(lambda: intel_warnings(B, "indicator--5f3c4f1e-1d2b-4c6a-9e8f-0a1b2c3d4e5f"), "B's warning")[0]
    check(w["severity"] == "high" and "tlp.green" in w["tags"] and "malicious-activity" in w["tags"], f"warning: {w}")
    check(not intel_warnings(A, w["rule_id"]), "A sees B's warning")


def test_warning_list_records_not_raises():
    st, d = import_stix(bundle(indicator("8f3c4f1e-1d2b-4c6a-9e8f-0a1b2c3d4e5f", "[ipv4-addr:value = '8.8.8.8']", TLP_CLEAR)))
    check(st == 200 and d["added"] == 1, f"import: {st} {d}")
    ref = "indicator--8f3c4f1e-1d2b-4c6a-9e8f-0a1b2c3d4e5f"
    # Imports are matched from the next pipeline batch: wait until the indicator is served.
    poll(lambda: req("GET", f"/api/v1/intel/indicators/{ref}", key(NC, "admin"))[0] == 200, "indicator")

    def sighted():
        st, d = req("GET", f"/api/v1/intel/indicators/{ref}", key(A, "viewer"), tmpl="/api/v1/intel/indicators/{ref}")
        check(st == 200, f"detail: {st} {d}")
        s = [x for x in d["sightings"] if x["organisation"] == A]
        return s and s[0]["listed"] >= 1 and s[0]
    n = 0
    while not sighted():
        send(A, [{"Computer": "ws2.bvhn", "DestinationIp": "8.8.8.8", "seq": n}])
        n += 1
        check(n < 100, "no listed sighting recorded")
        time.sleep(0.2)
    check(not intel_warnings(A, ref), "a warning-list value raised a warning")
    st, d = req("GET", f"/api/v1/intel/indicators/{ref}", key(B, "viewer"))
    check(st == 200 and not [x for x in d["sightings"] if x["organisation"] == A], f"B sees A's sightings: {d}")


def test_retro_hunt():
    send(A, [{"Computer": "ws3.bvhn", "QueryName": "late-intel.example", "EventID": 22}])
    st, d = import_stix(bundle(indicator("9f3c4f1e-1d2b-4c6a-9e8f-0a1b2c3d4e5f", "[domain-name:value = 'late-intel.example']",
                                         TLP_GREEN)))
    check(st == 200 and d["added"] == 1, f"import: {st} {d}")
    w = poll(lambda: intel_warnings(A, "retro:indicator--9f3c4f1e-1d2b-4c6a-9e8f-0a1b2c3d4e5f"), "a retrospective warning")[0]
    check("lachan.retro" in w["tags"] and w["title"].startswith("Retrospective"), f"warning: {w}")
    check(not intel_warnings(B, w["rule_id"]), "B sees A's retrospective warning")


def test_cli_import_reaches_the_running_server():
    r = cli("intel", "import", "--data-dir", S["dir"], os.path.join(SHARED, "misp", "existing_event.json"))
    check("83 indicators" in r.stdout, f"cli: {r.stdout}")
    r = cli("intel", "import", "--data-dir", S["dir"], "/etc/hostname", ok=False)
    check(r.returncode != 0 and "nothing was imported" in r.stderr, f"bad file: {r.returncode} {r.stderr}")

    def hit():
        send(B, [{"Computer": "srv2.dvc", "QueryName": "movieultimate.com", "EventID": 22}])
        return [w for w in intel_warnings(B) if "movieultimate.com" in w["title"]]
    w = poll(hit, "a warning from the CLI-imported MISP event")[0]
    check("intel.source:CIRCL" in w["tags"], f"tags: {w['tags']}")


def test_tlp_scoping():
    ref = "indicator--af3c4f1e-1d2b-4c6a-9e8f-0a1b2c3d4e5f"
    st, d = import_stix(bundle(indicator(ref[11:], "[ipv4-addr:value = '192.0.2.200']", TLP_RED)))
    check(st == 200 and d["added"] == 1, f"import: {st} {d}")
    st, d = req("GET", f"/api/v1/intel/indicators/{ref}", key(A, "admin"), tmpl="/api/v1/intel/indicators/{ref}")
    check(st == 404, f"a member reads a red indicator: {st}")
    st, d = req("GET", f"/api/v1/intel/indicators/{ref}", key(NC, "viewer"), tmpl="/api/v1/intel/indicators/{ref}")
    check(st == 200 and d["tlp"] == "red", f"the centre reads it: {st} {d}")
    for org, want in ((A, False), (NC, True)):
        refs, cursor = [], ""
        while True:
            st, d = req("GET", "/api/v1/intel/indicators?limit=40" + (f"&cursor={cursor}" if cursor else ""), key(org, "viewer"),
                        tmpl="/api/v1/intel/indicators")
            check(st == 200, f"list: {st} {d}")
            refs += [i["ref"] for i in d["items"]]
            check(all(i["tlp"] in ("clear", "green", "amber") for i in d["items"]) or org == NC, "TLP above amber listed")
            cursor = d["next_cursor"]
            if not cursor:
                break
        check((ref in refs) == want, f"{org} lists the red indicator: {ref in refs}")
        check(len(refs) == len(set(refs)) and len(refs) > 80, f"{org}: {len(refs)} listed")


def test_openapi():
    st, doc = req("GET", "/api/v1/openapi.json")
    check(st == 200, f"openapi: {st}")
    check_answers_documented(doc, SEEN, 10)


TESTS = [test_setup, test_feed_pulled_and_matched, test_stix_import_over_api, test_warning_list_records_not_raises,
         test_retro_hunt, test_cli_import_reaches_the_running_server, test_tlp_scoping, test_openapi]


def main():
    return run(TESTS, PROCS, lambda: S.get("dir"), stop_after=(test_setup,), clean=True, grace=20)


if __name__ == "__main__":
    sys.exit(main())
