#!/usr/bin/env python3
"""End-to-end tests of the TAXII 2.1 server and the intel exports of `lachan serve`, acting as a
plain TAXII 2.1 client: usage: taxii_e2e.py BINARY SOURCE_DIR [SHARED_DATA_DIR]"""
import csv, io, json, os, re, subprocess, sys, tempfile, time, urllib.parse, uuid
from http.client import HTTPConnection
from lachan_e2e import check, poll, run

BIN, SRC = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
DATA = os.path.abspath(sys.argv[3]) if len(sys.argv) > 3 else os.environ.get("LACHAN_SHARED_DATA", "/work/shared/data")
EXAMPLES = os.path.join(DATA, "intel", "stix", "examples")
DEMO = os.path.join(SRC, "demo")
TAXII = "application/taxii+json;version=2.1"
TLP = {"clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
       "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
       "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
       "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"}
MEMBER = "bv-bach-mai"      # health sector member
OUTSIDER = "evn"            # energy: outside the health sector
S = {}
PROCS = []


def cli(*args):
    r = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError(f"lachan {' '.join(args)} failed: {r.stderr}")
    return r.stdout.strip()


def start_server(data):
    urlf = os.path.join(data, f"url-{time.time_ns()}")
    log = open(os.path.join(data, "serve.log"), "ab")
    p = subprocess.Popen([BIN, "serve", "--data-dir", data, "--listen", "127.0.0.1:0", "--url-file", urlf],
                         stdout=log, stderr=log)
    PROCS.append(p)

    def ready():
        check(p.poll() is None, f"server exited early ({p.returncode}), see {data}/serve.log")
        if os.path.exists(urlf):
            lines = open(urlf).read().splitlines()
            return lines or None
        return None
    u = urllib.parse.urlparse(poll(ready, "url file")[0])
    return {"proc": p, "host": u.hostname, "port": u.port}


def http(method, path, key=None, body=None, headers=None, accept=TAXII):
    """One request; returns (status, headers dict (lower-case names), parsed JSON or text)."""
    h = {} if accept is None else {"Accept": accept}
    h.update(headers or {})
    if key:
        h["Authorization"] = "Bearer " + key
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        h.setdefault("Content-Type", TAXII)
    srv = S["srv"]
    c = HTTPConnection(srv["host"], srv["port"], timeout=30)
    try:
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        raw = r.read()
        hdrs = {k.lower(): v for k, v in r.getheaders()}
    finally:
        c.close()
    try:
        data = json.loads(raw) if raw else None
    except ValueError:
        data = raw.decode(errors="replace")
    return r.status, hdrs, data


def taxii(method, path, key, body=None, headers=None, want=200):
    st, h, d = http(method, path, key, body, headers)
    check(st == want, f"{method} {path}: {st} (wanted {want}): {d}")
    check(h.get("content-type", "").replace(" ", "") == TAXII, f"{method} {path}: content type {h.get('content-type')}")
    return h, d


def key(org, role):
    return S["keys"][(org, role)]


def path_of(url):
    return urllib.parse.urlparse(url).path


def col_path(alias):
    return S["root"] + "collections/" + S["cols"][alias] + "/"


def example(name):
    return json.load(open(os.path.join(EXAMPLES, name)))["objects"]


def indicator(ip, tlp, modified="2024-05-01T00:00:00.000Z", oid=None):
    return {"type": "indicator", "spec_version": "2.1", "id": oid or f"indicator--{uuid.uuid4()}",
            "created": "2024-05-01T00:00:00.000Z", "modified": modified, "name": f"{tlp} test {ip}",
            "pattern": f"[ipv4-addr:value = '{ip}']", "pattern_type": "stix", "valid_from": "2024-05-01T00:00:00Z",
            "object_marking_refs": [TLP[tlp]]}


def post(alias, objects, k, want=202):
    _, st = taxii("POST", col_path(alias) + "objects/", k, {"objects": objects}, want=want)
    return st


def wait_status(st, k):
    """Follows the status resource until nothing is pending."""
    def done():
        _, s = taxii("GET", S["root"] + f"status/{st['id']}/", k)
        return s if s["status"] == "complete" and s.get("pending_count", 0) == 0 else None
    return poll(done, f"status {st['id']}")


def page_all(alias, k, query="", limit=2, encode=True):
    """Every object of a collection, following `next` until more is false."""
    objs, nxt, pages = [], None, 0
    if encode:
        query = query.replace("[", "%5B").replace("]", "%5D")  # as a client encodes match[...] keys
    while True:
        q = f"limit={limit}" + (("&" + query) if query else "") + (f"&next={urllib.parse.quote(nxt)}" if nxt else "")
        h, env = taxii("GET", col_path(alias) + "objects/?" + q, k)
        got = env.get("objects", [])
        check(len(got) <= limit, f"page of {len(got)} objects over limit {limit}")
        if got:
            for name in ("x-taxii-date-added-first", "x-taxii-date-added-last"):
                check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", h.get(name, "")), f"{name}: {h.get(name)}")
        objs += got
        pages += 1
        check(pages < 1000, "paging does not end")
        if not env["more"]:
            check("next" not in env or not env["next"], "more is false but next is set")
            return objs, pages
        nxt = env["next"]


# ---------------------------------------------------------------- tests
def test_setup():
    d = tempfile.mkdtemp(prefix="lachan-taxii-e2e-")
    S["dir"] = d
    cli("org", "import", "--data-dir", d, os.path.join(DEMO, "constituency.json"))
    keys = {}
    for org, role in [("ncsc", "admin"), ("ncsc", "viewer"), (MEMBER, "analyst"), (MEMBER, "viewer"),
                      (OUTSIDER, "analyst"), ("csirt-health", "analyst"), ("csirt-energy", "analyst")]:
        keys[(org, role)] = cli("key", "create", "--data-dir", d, "--org", org, "--role", role)
    S["keys"] = keys
    S["srv"] = start_server(d)


def test_discovery():
    k = key("ncsc", "admin")
    _, disc = taxii("GET", "/taxii2/", k)
    check(disc.get("title") and disc.get("api_roots"), f"discovery: {disc}")
    root = path_of(disc.get("default") or disc["api_roots"][0])
    check(root in [path_of(r) for r in disc["api_roots"]], f"default {root} not among api_roots")
    _, api = taxii("GET", root, k)
    check(TAXII in api["versions"], f"api root versions: {api}")
    check(api["max_content_length"] > 0, f"max_content_length: {api}")
    S["root"] = root
    _, cols = taxii("GET", root + "collections/", k)
    S["cols"] = {c["alias"]: c["id"] for c in cols["collections"]}
    for alias in ("national", "sector-health", "sector-energy", "partners"):
        check(alias in S["cols"], f"the centre does not see collection {alias}: {list(S['cols'])}")
    check(len(S["cols"]) == 13, f"13 collections expected for the centre, got {len(S['cols'])}")
    for c in cols["collections"]:
        check(c["can_read"] and c["can_write"], f"the centre may read and write {c['alias']}: {c}")
        check(re.fullmatch(r"[0-9a-f-]{36}", c["id"]), f"collection id {c['id']} is not a UUID")
    _, one = taxii("GET", col_path("national"), k)
    check(one["id"] == S["cols"]["national"] and one["can_read"], f"collection: {one}")
    _, member = taxii("GET", root + "collections/", key(MEMBER, "viewer"))
    seen = {c["alias"]: c for c in member["collections"]}
    check(set(seen) == {"national", "sector-health", "partners"}, f"member sees {sorted(seen)}")
    check(seen["national"]["can_read"] and not seen["national"]["can_write"], f"member on national: {seen['national']}")


def test_post_and_status():
    k = key("ncsc", "admin")
    first = example("indicator-for-c2-ip-address.json") + example("indicators-for-C2-with-COA.json")
    st = post("national", first, k)
    check(st["total_count"] == len(first), f"status total_count: {st}")
    st = wait_status(st, k)
    check(st["success_count"] == len(first) and st["failure_count"] == 0, f"first envelope: {st}")
    S["first_ids"] = {o["id"] for o in first}
    second = example("indicator-to-campaign-relationship.json")
    S["red"] = indicator("203.0.113.66", "red")
    S["strict"] = indicator("203.0.113.67", "amber+strict")
    S["amber"] = indicator("203.0.113.68", "amber")
    st = wait_status(post("national", second + [S["red"], S["strict"], S["amber"]], k), k)
    check(st["success_count"] == len(second) + 3, f"second envelope: {st}")
    S["all_ids"] = S["first_ids"] | {o["id"] for o in second} | {S["red"]["id"], S["strict"]["id"], S["amber"]["id"]}
    # Another organisation's status is not shown.
    st, _, _ = http("GET", S["root"] + f"status/{st['id']}/", key(MEMBER, "analyst"))
    check(st == 404, f"another organisation's status: {st}")


def test_paging():
    objs, pages = page_all("national", key("ncsc", "admin"))
    ids = [o["id"] for o in objs]
    check(len(ids) == len(set(ids)), f"an object served twice: {sorted(ids)}")
    check(set(ids) == S["all_ids"], f"paged objects differ: missing {S['all_ids'] - set(ids)}, extra {set(ids) - S['all_ids']}")
    check(pages >= len(ids) // 2, f"{pages} pages for {len(ids)} objects at limit=2")
    ind = next(o for o in objs if o["id"] == "indicator--33fe3b22-0201-47cf-85d0-97c02164528d")
    check(ind["type"] == "indicator" and ind["pattern"] == "[ipv4-addr:value = '10.0.0.0']", f"indicator served: {ind}")


def test_manifest_and_added_after():
    k = key("ncsc", "admin")
    h, man = taxii("GET", col_path("national") + "manifest/", k)
    entries = man["objects"]
    check({e["id"] for e in entries} == S["all_ids"], "manifest lists other objects")
    for e in entries:
        check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", e["date_added"]), f"date_added: {e}")
        check(e["media_type"].startswith("application/stix+json"), f"media_type: {e}")
        check(e["version"], f"version: {e}")
    cut = max(e["date_added"] for e in entries if e["id"] in S["first_ids"])
    later = {e["id"] for e in entries if e["date_added"] > cut}
    check(later, "the second envelope was stored in the same millisecond as the first")
    objs, _ = page_all("national", k, "added_after=" + urllib.parse.quote(cut), limit=100)
    check({o["id"] for o in objs} == later, f"added_after={cut}: got {len(objs)}, wanted {len(later)}")
    check(not (later & S["first_ids"]), "added_after returned objects of the first envelope")


def test_match_filters():
    k = key("ncsc", "admin")
    objs, _ = page_all("national", k, "match[type]=indicator", limit=100)
    check(objs and all(o["type"] == "indicator" for o in objs), "match[type]=indicator")
    raw, _ = page_all("national", k, "match[type]=indicator", limit=100, encode=False)  # as curl -g sends it
    check([o["id"] for o in raw] == [o["id"] for o in objs], "match[type] with raw brackets answers differently")
    n_ind = sum(1 for i in S["all_ids"] if i.startswith("indicator--"))
    check(len(objs) == n_ind, f"match[type]=indicator: {len(objs)} of {n_ind}")
    oid = S["amber"]["id"]
    objs, _ = page_all("national", k, "match[id]=" + oid)
    check([o["id"] for o in objs] == [oid], f"match[id]: {[o['id'] for o in objs]}")
    # A newer version of the amber indicator: two versions, the latest served by default.
    newer = dict(S["amber"], modified="2024-06-01T00:00:00.000Z", name="amber test, updated")
    wait_status(post("national", [newer], k), k)
    objs, _ = page_all("national", k, "match[id]=" + oid)
    check(len(objs) == 1 and objs[0]["modified"] == newer["modified"], f"default version: {objs}")
    objs, _ = page_all("national", k, f"match[id]={oid}&match[version]=all")
    check(sorted(o["modified"] for o in objs) == [S["amber"]["modified"], newer["modified"]], f"match[version]=all: {objs}")
    objs, _ = page_all("national", k, f"match[id]={oid}&match[version]=first")
    check([o["modified"] for o in objs] == [S["amber"]["modified"]], f"match[version]=first: {objs}")
    objs, _ = page_all("national", k, f"match[id]={oid}&match[version]={S['amber']['modified']}")
    check([o["modified"] for o in objs] == [S["amber"]["modified"]], f"match[version]=<timestamp>: {objs}")
    _, vers = taxii("GET", col_path("national") + f"objects/{oid}/versions/", k)
    check(sorted(vers["versions"]) == [S["amber"]["modified"], newer["modified"]], f"versions: {vers}")
    _, one = taxii("GET", col_path("national") + f"objects/{oid}/", k)
    check([o["id"] for o in one["objects"]] == [oid] and one["objects"][0]["name"] == newer["name"], f"object by id: {one}")
    _, mal = taxii("GET", col_path("national") + "objects/malware--fdd60b30-b67c-41e3-b0b9-f01faf20d111/", k)
    check(mal["objects"][0]["type"] == "malware", f"a non-indicator object: {mal}")
    taxii("GET", col_path("national") + "objects/indicator--00000000-0000-4000-8000-000000000000/", k, want=404)


def test_permissions():
    outsider = key(OUTSIDER, "analyst")
    _, cols = taxii("GET", S["root"] + "collections/", outsider)
    check("sector-health" not in {c["alias"] for c in cols["collections"]}, "outsider lists sector-health")
    taxii("GET", col_path("sector-health") + "objects/", outsider, want=404)
    taxii("GET", col_path("sector-health") + "objects/", key(MEMBER, "viewer"))
    env = {"objects": [indicator("198.51.100.7", "amber")]}
    taxii("POST", col_path("national") + "objects/", key("ncsc", "viewer"), env, want=403)       # viewer
    taxii("POST", col_path("national") + "objects/", key(MEMBER, "analyst"), env, want=403)      # not a writer
    taxii("POST", col_path("sector-health") + "objects/", key(MEMBER, "analyst"), env, want=403)  # reader only
    taxii("POST", col_path("sector-health") + "objects/", key("csirt-energy", "analyst"), env, want=404)
    st = wait_status(post("sector-health", env["objects"], key("csirt-health", "analyst")), key("csirt-health", "analyst"))
    check(st["success_count"] == 1, f"the sector's CSIRT adds to its collection: {st}")
    objs, _ = page_all("sector-health", key(MEMBER, "viewer"))
    check([o["id"] for o in objs] == [env["objects"][0]["id"]], f"member reads the sector collection: {objs}")
    # partners takes TLP:CLEAR only: the whole envelope fails.
    st = wait_status(post("partners", [indicator("198.51.100.8", "clear"), indicator("198.51.100.9", "amber")],
                          key("ncsc", "admin")), key("ncsc", "admin"))
    check(st["failure_count"] == 2 and st["success_count"] == 0, f"amber into partners: {st}")
    st = wait_status(post("partners", [indicator("198.51.100.8", "clear")], key("ncsc", "admin")), key("ncsc", "admin"))
    check(st["success_count"] == 1, f"clear into partners: {st}")


def test_tlp():
    objs, _ = page_all("national", key(MEMBER, "viewer"), limit=100)
    ids = {o["id"] for o in objs}
    check(S["amber"]["id"] in ids, "the member does not receive the amber indicator")
    check(S["red"]["id"] not in ids and S["strict"]["id"] not in ids, "the member receives red / amber+strict")
    taxii("GET", col_path("national") + f"objects/{S['red']['id']}/", key(MEMBER, "viewer"), want=404)
    objs, _ = page_all("national", key("ncsc", "viewer"), limit=100)
    ids = {o["id"] for o in objs}
    check(S["red"]["id"] in ids and S["strict"]["id"] in ids, "the centre does not receive red / amber+strict")


def test_protocol_errors():
    k = key("ncsc", "admin")
    st, _, d = http("GET", col_path("national") + "objects/", k, accept="application/json")
    check(st == 406, f"Accept: application/json: {st}")
    st, h, d = http("GET", col_path("national") + "objects/", k, accept="application/taxii+json;version=2.0")
    check(st == 406 and d.get("http_status") == "406" and d.get("title"), f"Accept 2.0: {st} {d}")
    st, _, d = http("GET", "/taxii2/", k, accept="*/*")
    check(st == 200, f"Accept */*: {st}")
    st, _, d = http("POST", col_path("national") + "objects/", k, json.dumps({"objects": []}).encode(),
                    {"Content-Type": "application/json"})
    check(st == 415, f"POST application/json: {st} {d}")
    st, _, d = http("POST", col_path("national") + "objects/", k, b"not json", {"Content-Type": TAXII})
    check(st == 400, f"POST not JSON: {st} {d}")
    st, _, d = http("GET", S["root"] + "collections/00000000-0000-4000-8000-000000000000/objects/", k)
    check(st == 404 and d.get("http_status") == "404", f"unknown collection: {st} {d}")
    st, _, d = http("GET", col_path("national") + "objects/", None)
    check(st == 401, f"no auth: {st}")
    st, _, d = http("GET", col_path("national") + "objects/?added_after=yesterday", k)
    check(st == 400, f"bad added_after: {st}")
    st, _, d = http("GET", col_path("national") + "objects/?next=garbage", k)
    check(st == 400, f"bad next: {st}")
    st, _, d = http("DELETE", col_path("national") + f"objects/{S['amber']['id']}/", k)
    check(st == 405, f"DELETE: {st}")


def test_exports():
    member, centre = key(MEMBER, "viewer"), key("ncsc", "admin")
    st, h, bundle = http("GET", "/api/v1/intel/export/stix", member, accept=None)
    check(st == 200 and bundle["type"] == "bundle", f"member STIX export: {st}")
    ids = {o["id"] for o in bundle["objects"]}
    check(S["amber"]["id"] in ids and "malware--fdd60b30-b67c-41e3-b0b9-f01faf20d111" in ids, "member export lacks readable objects")
    check(S["red"]["id"] not in ids and S["strict"]["id"] not in ids, "member export holds red / amber+strict")
    st, _, bundle = http("GET", "/api/v1/intel/export/stix?type=indicator", centre, accept=None)
    ids = {o["id"] for o in bundle["objects"] if o["type"] == "indicator"}
    check(S["red"]["id"] in ids, "the centre's export lacks the red indicator")
    check(not any(o["type"] in ("malware", "relationship") for o in bundle["objects"]), "type=indicator exported others")
    st, _, _ = http("GET", "/api/v1/intel/export/stix?collection=sector-health", key(OUTSIDER, "analyst"), accept=None)
    check(st == 404, f"outsider exports sector-health: {st}")
    st, h, text = http("GET", "/api/v1/intel/export/csv", member, accept=None)
    check(st == 200 and h["content-type"].startswith("text/csv"), f"CSV: {st} {h.get('content-type')}")
    rows = list(csv.reader(io.StringIO(text)))
    check(rows[0] == ["type", "value", "source", "tlp", "confidence", "valid_from", "valid_until", "tags", "ref"], f"CSV header: {rows[0]}")
    check(["ip", "203.0.113.68"] in [r[:2] for r in rows[1:]], "CSV lacks the amber indicator's address")
    check(not any(r[1] == "203.0.113.66" for r in rows[1:]), "CSV holds the red indicator's address")
    st, _, manifest = http("GET", "/api/v1/intel/export/misp/manifest.json", member, accept=None)
    check(st == 200 and isinstance(manifest, dict) and manifest, f"MISP manifest: {st} {manifest}")
    for ev_uuid in manifest:
        st, _, ev = http("GET", f"/api/v1/intel/export/misp/{ev_uuid}.json", member, accept=None)
        check(st == 200 and ev["Event"]["uuid"] == ev_uuid, f"MISP event {ev_uuid}: {st}")
        check("203.0.113.66" not in json.dumps(ev), "MISP event holds the red indicator")
    st, _, _ = http("GET", f"/api/v1/intel/export/misp/{uuid.uuid4()}.json", member, accept=None)
    check(st == 404, f"unknown MISP event: {st}")
    st, _, hashes = http("GET", "/api/v1/intel/export/misp/hashes.csv", member, accept=None)
    check(st == 200 and hashes.strip(), f"hashes.csv: {st}")
    st, _, _ = http("GET", "/api/v1/intel/export/csv", None, accept=None)
    check(st == 401, f"export without auth: {st}")


TESTS = [test_setup, test_discovery, test_post_and_status, test_paging, test_manifest_and_added_after,
         test_match_filters, test_permissions, test_tlp, test_protocol_errors, test_exports]


def main():
    if not os.path.isdir(EXAMPLES):
        print(f"SKIP: no STIX examples in {EXAMPLES}")
        return 77
    return run(TESTS, PROCS, lambda: S.get("dir"), stop_after=(test_setup, test_discovery, test_post_and_status), clean=False, grace=0)


if __name__ == "__main__":
    sys.exit(main())
