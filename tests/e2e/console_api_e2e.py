#!/usr/bin/env python3
"""End-to-end tests of what the web console needs from `lachan serve`: usage:
console_api_e2e.py BINARY SOURCE_DIR

Static files from --web-root (types, SPA fallback, traversal refused over a raw socket, gzip
siblings, cache headers, CSP), the cookie session (login, /me, CSRF refusal and acceptance,
logout ending the session and clearing the cookie), /api/v1/stats/overview for the national
centre, a provincial unit and a member (counts agree with /api/v1/warnings/count), bulk status
changes (another organisation's warning is not_found, a bad transition is refused), /rules with
hits and /reference. The warnings are `lachan demo --synthetic-warnings` over an empty demo
folder, so that nothing else adds warnings while the counts are compared."""
import gzip, http.client, json, os, socket, subprocess, sys, tempfile, urllib.parse
from lachan_e2e import check, check_answers_documented, poll, run

BIN, SRC = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
DEMO = os.path.join(SRC, "demo")
NC, PU, A, B = "ncsc", "ca-nghe-an", "bvhn-nghe-an", "cong-dvc-da-nang"  # A in Nghe An, B in Da Nang
N_SYNTHETIC = 3000
S, SEEN, PROCS = {}, [], []
APP_JS = b"console.log('lachan console');\n" * 50


def cli(*args):
    r = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise AssertionError(f"lachan {' '.join(args)} failed: {r.stderr}")
    return r


def req(method, path, key=None, body=None, headers=None, tmpl=None):
    """(status, headers as a lower-cased dict (Set-Cookie joined), body: JSON when it parses)"""
    h = dict(headers or {})
    if key:
        h["Authorization"] = "Bearer " + key
    if body is not None:
        body = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    c = http.client.HTTPConnection(S["host"], S["port"], timeout=30)
    try:
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        hdrs = {}
        for k, v in r.getheaders():
            hdrs[k.lower()] = hdrs[k.lower()] + "\n" + v if k.lower() in hdrs else v
    finally:
        c.close()
    try:
        parsed = json.loads(data) if data else None
    except ValueError:
        parsed = data
    if tmpl:
        SEEN.append((tmpl, method.lower(), r.status, parsed if isinstance(parsed, (dict, list)) else None))
    return r.status, hdrs, parsed


def raw_get(target):
    """A request sent as is (urllib and http.client would normalise '..')."""
    s = socket.create_connection((S["host"], S["port"]), timeout=10)
    try:
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), body


def key(org):
    return S["keys"][org]


# ---------------------------------------------------------------- tests

def test_setup():
    d = tempfile.mkdtemp(prefix="lachan-console-e2e-")
    S["dir"] = d
    data = os.path.join(d, "data")
    cli("org", "import", "--data-dir", data, os.path.join(DEMO, "constituency.json"))
    S["keys"] = {}
    for org in (NC, PU, A, B):
        S["keys"][org] = cli("key", "create", "--data-dir", data, "--org", org, "--role", "analyst").stdout.strip()
    S["keys"]["viewer"] = cli("key", "create", "--data-dir", data, "--org", NC, "--role", "viewer").stdout.strip()
    cli("user", "add", "--data-dir", data, "--username", "carol", "--org", A, "--role", "analyst", "--password",
        "carol-pass-123", "--name", "Carol An")
    web = os.path.join(d, "web")
    os.makedirs(os.path.join(web, "assets"))
    with open(os.path.join(web, "index.html"), "w") as f:
        f.write("<!doctype html><title>Lachan console</title>")
    with open(os.path.join(web, "assets", "app.js"), "wb") as f:
        f.write(APP_JS)
    with open(os.path.join(web, "assets", "app.js.gz"), "wb") as f:
        f.write(gzip.compress(APP_JS))
    with open(os.path.join(d, "outside.txt"), "w") as f:
        f.write("outside the web root")
    empty = os.path.join(d, "empty-demo")
    os.makedirs(empty)
    urlf = os.path.join(d, "url")
    log = open(os.path.join(d, "serve.log"), "ab")
    p = subprocess.Popen([BIN, "demo", "--data-dir", data, "--listen", "127.0.0.1:0",
                          "--url-file", urlf, "--demo-dir", empty, "--web-root", web,
                          "--synthetic-warnings", str(N_SYNTHETIC)], stdout=log, stderr=log)
    PROCS.append(p)
    S["log"] = os.path.join(d, "serve.log")
    # The demo imports its constituency and people only into an empty store: these stay.
    def ready():
        check(p.poll() is None, f"demo exited early ({p.returncode}), see {d}/serve.log")
        return os.path.exists(urlf) and "web console:" in open(S["log"], errors="replace").read() and \
            open(urlf).read().splitlines()
    u = urllib.parse.urlparse(poll(ready, "the demo to be ready", deadline=120)[0])
    S["host"], S["port"] = u.hostname, u.port
    out = open(S["log"], errors="replace").read()
    check(f"{N_SYNTHETIC} synthetic warnings inserted" in out, f"demo output: {out[-2000:]}")
    check(f"web console from {web}" in out, "the web root in use is logged")


def test_static_files():
    st, h, body = req("GET", "/")
    check(st == 200 and b"Lachan console" in body, f"/: {st} {body!r}")
    check(h["cache-control"] == "no-cache", f"index cache: {h}")
    csp = h.get("content-security-policy", "")
    check("default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "script-src 'self'" in csp, f"CSP: {csp}")
    check(h.get("x-content-type-options") == "nosniff" and h.get("x-frame-options") == "DENY" and
          h.get("referrer-policy") == "same-origin", f"headers: {h}")
    st, h, body = req("GET", "/assets/app.js")
    check(st == 200 and body == APP_JS and "content-encoding" not in h, f"app.js: {st} {h}")
    check(h["content-type"].startswith("text/javascript"), f"type: {h}")
    check(h["cache-control"] == "public, max-age=31536000, immutable", f"assets cache: {h}")
    st, h, body = req("GET", "/assets/app.js", headers={"Accept-Encoding": "gzip"})
    check(st == 200 and h.get("content-encoding") == "gzip" and gzip.decompress(body) == APP_JS, f"gzip: {st} {h}")
    check("accept-encoding" in h.get("vary", "").lower(), f"vary: {h}")
    etag = h.get("etag")
    check(etag, "an ETag")
    st, h, body = req("GET", "/assets/app.js", headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    check(st == 304 and not body, f"If-None-Match: {st}")
    # The SPA fallback: an app path loads index.html; a missing file is 404.
    st, h, body = req("GET", "/warnings/123")
    check(st == 200 and b"Lachan console" in body, f"SPA fallback: {st}")
    st, _, _ = req("GET", "/assets/missing.js")
    check(st == 404, f"missing asset: {st}")
    st, h, body = req("HEAD", "/warnings/123")
    check(st == 200 and not body and h["content-type"].startswith("text/html"), f"HEAD: {st} {h}")
    # Traversal, plain and encoded: refused, and nothing of the file leaks.
    for target in ("/../outside.txt", "/assets/../../outside.txt", "/%2e%2e/outside.txt", "/assets/%2E%2E/%2e%2e/outside.txt",
                   "/..%2foutside.txt"):
        st, body = raw_get(target)
        check(st in (400, 404) and b"outside the web root" not in body, f"{target}: {st} {body[:200]!r}")
    # The API keeps its own answers: unknown API paths are JSON 404s, wrong methods 405.
    st, h, body = req("GET", "/api/v1/nothing-here")
    check(st == 404 and isinstance(body, dict) and body["error"]["code"] == "not_found", f"api 404: {st} {body}")
    st, h, body = req("DELETE", "/api/v1/warnings", key(NC))
    check(st == 405 and "GET" in h.get("allow", ""), f"api 405: {st} {h}")
    st, h, body = req("GET", "/healthz")
    check(st == 200 and body == {"status": "ok"}, f"healthz: {st} {body}")


def login():
    st, h, body = req("POST", "/api/v1/auth/login", body={"username": "carol", "password": "carol-pass-123"},
                      tmpl="/api/v1/auth/login")
    check(st == 200, f"login: {st} {body}")
    cookie = h["set-cookie"]
    check("HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie, f"cookie: {cookie}")
    return cookie.split(";")[0], body["token"]


def test_cookie_session_and_csrf():
    cookie, token = login()
    st, _, me = req("GET", "/api/v1/me", headers={"Cookie": "theme=dark; " + cookie}, tmpl="/api/v1/me")
    check(st == 200 and me["organisation"] == A and me["username"] == "carol" and me["display_name"] == "Carol An",
          f"me: {st} {me}")
    check(me["expires"] and me["province"] == "nghe-an" and isinstance(me["sectors"], list), f"me: {me}")
    check(me["scope"]["kind"] == "organisation", f"member scope: {me['scope']}")
    st, _, me_key = req("GET", "/api/v1/me", key(NC), tmpl="/api/v1/me")
    check(st == 200 and me_key["expires"] is None and me_key["username"] is None and me_key["scope"]["kind"] == "national",
          f"me with a key: {me_key}")
    st, _, me_pu = req("GET", "/api/v1/me", key(PU))
    check(me_pu["scope"]["kind"] == "province" and me_pu["scope"]["province"] == "40", f"provincial scope: {me_pu}")
    # A change with the cookie needs X-Lachan-Request: 1; with a bearer token it does not.
    wid = S["a_ids"][0]
    body = {"ids": [wid], "action": "acknowledge"}
    st, _, d = req("POST", "/api/v1/warnings/bulk", body=body, headers={"Cookie": cookie}, tmpl="/api/v1/warnings/bulk")
    check(st == 403 and d["error"]["code"] == "csrf", f"no CSRF header: {st} {d}")
    st, _, d = req("PATCH", f"/api/v1/warnings/{wid}", body={"status": "acknowledged"}, headers={"Cookie": cookie})
    check(st == 403 and d["error"]["code"] == "csrf", f"PATCH without the header: {st} {d}")
    st, _, d = req("POST", "/api/v1/warnings/bulk", body=body, headers={"Cookie": cookie, "X-Lachan-Request": "1"},
                   tmpl="/api/v1/warnings/bulk")
    check(st == 200 and d["results"][0]["id"] == wid, f"with the header: {st} {d}")
    # Reads with the cookie need no header.
    st, _, d = req("GET", f"/api/v1/warnings/{wid}", headers={"Cookie": cookie})
    check(st == 200, f"GET with cookie: {st}")
    # Logout (a change: the header is needed) ends the session and clears the cookie.
    st, _, d = req("POST", "/api/v1/auth/logout", headers={"Cookie": cookie})
    check(st == 403, f"logout without the header: {st}")
    st, h, d = req("POST", "/api/v1/auth/logout", headers={"Cookie": cookie, "X-Lachan-Request": "1"})
    check(st == 200 and "Max-Age=0" in h.get("set-cookie", ""), f"logout: {st} {h}")
    st, _, d = req("GET", "/api/v1/me", headers={"Cookie": cookie})
    check(st == 401, f"cookie after logout: {st}")
    st, _, d = req("GET", "/api/v1/me", headers={"Authorization": "Bearer " + token})
    check(st == 401, f"token after logout: {st}")


def total(org, query=""):
    st, _, d = req("GET", "/api/v1/warnings/count" + query, key(org))
    check(st == 200, f"count: {st} {d}")
    return d["count"]


def ids_of(org, query, n):
    st, _, d = req("GET", f"/api/v1/warnings?limit={n}{query}", key(org))
    check(st == 200, f"list: {st} {d}")
    return [w["id"] for w in d["items"]]


def test_find_warnings():
    check(total(NC) == N_SYNTHETIC, f"the national centre sees every synthetic warning: {total(NC)}")
    S["a_ids"] = ids_of(A, "&status=new", 5)
    S["b_ids"] = ids_of(B, "", 2)
    check(len(S["a_ids"]) == 5 and S["b_ids"], "warnings of A and B")
    st, _, w = req("GET", f"/api/v1/warnings/{S['a_ids'][0]}", key(A), tmpl="/api/v1/warnings/{id}")
    check(st == 200 and w["evidence"] and w["organisation_detail"]["id"] == A, f"detail: {w}")
    check({r["id"] for r in w["routes"]} >= {A, PU, NC} and w["links"]["history"].endswith("/history"), f"routes: {w}")


def overview(org, query=""):
    st, _, d = req("GET", "/api/v1/stats/overview" + query, key(org), tmpl="/api/v1/stats/overview")
    check(st == 200, f"overview for {org}: {st} {d}")
    return d


def test_stats_overview():
    nc = overview(NC)
    check(nc["scope"]["kind"] == "national", f"scope: {nc['scope']}")
    check(sum(nc["by_status"].values()) == total(NC), "national by_status adds up to the count")
    check(nc["open_total"] == total(NC, "?status=new,acknowledged,in_progress"), "open_total")
    check(sum(nc["open_by_severity"].values()) == nc["open_total"], "open_by_severity adds up")
    check(len(nc["provinces"]) == 34 and len(nc["sectors"]) == 11, f"every province and sector: {len(nc['provinces'])}")
    check(sum(p["total"] for p in nc["provinces"]) == total(NC), "provinces add up (one province per organisation)")
    check(all(set(p) >= {"code", "open", "total"} for p in nc["provinces"]), "province shape")
    check(len(nc["series"]) in (7, 8) and all(set(s) == {"t", "count", "critical", "high"} for s in nc["series"]),
          f"7 days by day: {len(nc['series'])}")
    check(sum(s["count"] for s in nc["series"]) <= total(NC), "series within the range")
    check(0 < len(nc["top_rules"]) <= 10 and 0 < len(nc["top_techniques"]) <= 10, "top lists")
    check(all(t["technique"].startswith("T") for t in nc["top_techniques"]), f"techniques: {nc['top_techniques']}")
    check(0 < len(nc["top_organisations"]) <= 10 and nc["top_organisations"][0]["name"], "top organisations")
    check(set(nc["incidents"]["by_status"]) == {"new", "triage", "in_progress", "contained", "resolved", "closed"},
          f"incidents: {nc['incidents']}")
    hourly = overview(NC, "?bucket=hour&since=2020-01-01T00:00:00Z")
    check(len(hourly["series"]) == 400, f"buckets capped at 400: {len(hourly['series'])}")
    st, _, d = req("GET", "/api/v1/stats/overview?bucket=week", key(NC), tmpl="/api/v1/stats/overview")
    check(st == 400, f"bad bucket: {st}")

    # The member sees itself only; its counts agree with /warnings/count.
    a = overview(A)
    check(a["scope"]["kind"] == "organisation", f"member scope: {a['scope']}")
    check(sum(a["by_status"].values()) == total(A) and total(A) < total(NC), "member by_status = its count")
    check([o["org_id"] for o in a["top_organisations"]] in ([A], []), f"member top orgs: {a['top_organisations']}")
    non_zero = [p["code"] for p in a["provinces"] if p["total"]]
    check(non_zero == ["40"], f"member provinces: {non_zero}")
    # The provincial unit: its province only.
    pu = overview(PU)
    check(pu["scope"]["kind"] == "province" and pu["scope"]["province"] == "40", f"pu scope: {pu['scope']}")
    check([p["code"] for p in pu["provinces"]] == ["40"], f"pu provinces: {pu['provinces']}")
    check(sum(pu["by_status"].values()) == total(PU) and total(A) <= total(PU) < total(NC), "pu counts")
    check(pu["provinces"][0]["total"] == total(PU), "pu province total")


def test_bulk():
    a_ids, b_id = S["a_ids"], S["b_ids"][0]
    body = {"ids": [a_ids[1], a_ids[2], b_id, 999999999], "action": "resolve", "comment": "bulk e2e"}
    st, _, d = req("POST", "/api/v1/warnings/bulk", key(A), body, tmpl="/api/v1/warnings/bulk")
    check(st == 200 and d["updated"] == 2, f"bulk: {st} {d}")
    res = {r["id"]: r for r in d["results"]}
    check(res[a_ids[1]]["ok"] and res[a_ids[2]]["ok"], f"own warnings: {res}")
    check(not res[b_id]["ok"] and res[b_id]["error"] == "not_found", f"another organisation's: {res[b_id]}")
    check(res[999999999]["error"] == "not_found", "unknown id")
    # resolved -> acknowledged is not a transition of the workflow.
    st, _, d = req("POST", "/api/v1/warnings/bulk", key(A), {"ids": [a_ids[1]], "action": "acknowledge"})
    check(st == 200 and d["updated"] == 0 and d["results"][0]["error"] == "invalid_transition", f"bad transition: {d}")
    # History and audit like the single route.
    st, _, h = req("GET", f"/api/v1/warnings/{a_ids[1]}/history", key(A))
    check(st == 200 and h["items"][-1]["to"] == "resolved" and h["items"][-1]["comment"] == "bulk e2e", f"history: {h}")
    st, _, au = req("GET", f"/api/v1/audit?action=warning.update", key(A))
    check(st == 200 and any(e["target"] == f"warning:{a_ids[2]}" for e in au["items"]), "audited")
    # Roles and limits.
    st, _, d = req("POST", "/api/v1/warnings/bulk", key("viewer"), {"ids": [a_ids[3]], "action": "resolve"},
                   tmpl="/api/v1/warnings/bulk")
    check(st == 403, f"viewer: {st} {d}")
    st, _, d = req("POST", "/api/v1/warnings/bulk", key(A), {"ids": list(range(1, 1002)), "action": "resolve"},
                   tmpl="/api/v1/warnings/bulk")
    check(st == 400, f"over 1000 ids: {st}")
    st, _, d = req("POST", "/api/v1/warnings/bulk", key(A), {"ids": [a_ids[3]], "action": "delete"})
    check(st == 400, f"unknown action: {st}")


def test_rules_and_reference():
    st, _, d = req("GET", "/api/v1/rules?limit=1000", key(NC), tmpl="/api/v1/rules")
    check(st == 200 and d["total"] == len(d["items"]) > 0 and isinstance(d["diagnostics"], list), f"rules: {st}")
    r0 = d["items"][0]
    check(set(r0) >= {"id", "title", "level", "status", "tags", "logsource", "file", "hits"}, f"rule: {r0}")
    check(set(r0["logsource"]) == {"product", "category", "service"}, f"logsource: {r0}")
    check(sum(r["hits"] for r in d["items"]) == total(NC), "hits add up to the national count")
    # A member's hits are its own warnings'.
    st, _, m = req("GET", "/api/v1/rules?limit=1000", key(A))
    check(sum(r["hits"] for r in m["items"]) == total(A), "member hits")
    rid = next(r for r in d["items"] if r["hits"])["id"]
    check(next(r for r in d["items"] if r["id"] == rid)["hits"] == total(NC, f"?rule={rid}"), "hits per rule = count")
    st, _, q = req("GET", "/api/v1/rules?q=" + urllib.parse.quote(r0["title"][:8]) + "&limit=2", key(NC))
    check(st == 200 and len(q["items"]) <= 2 and q["total"] >= 1 and
          all(r0["title"][:8].lower() in (r["title"] + r["id"]).lower() for r in q["items"]), f"q: {q}")
    st, _, lv = req("GET", "/api/v1/rules?level=high&limit=1000", key(NC))
    check(all(r["level"] == "high" for r in lv["items"]), "level filter")
    st, _, p2 = req("GET", "/api/v1/rules?limit=2&offset=2", key(NC))
    check([r["id"] for r in p2["items"]] == [r["id"] for r in d["items"][2:4]], "offset")
    st, _, ref = req("GET", "/api/v1/reference", key(A), tmpl="/api/v1/reference")
    check(st == 200 and len(ref["provinces"]) == 34 and len(ref["sectors"]) == 11, f"reference: {st}")
    check(set(ref["provinces"][0]) >= {"code", "id", "name", "name_vi"} and set(ref["sectors"][0]) >= {"id", "name", "name_vi"},
          f"reference shapes: {ref['provinces'][0]}")
    st, _, _ = req("GET", "/api/v1/reference")
    check(st == 401, f"reference needs a caller: {st}")


def test_add_user():
    admin_a = cli("key", "create", "--data-dir", os.path.join(S["dir"], "data"), "--org", A, "--role",
                  "admin").stdout.strip()
    T = "/api/v1/users"
    dave = {"username": "dave.tran", "role": "responder", "password": "dave-pass-456", "display_name": "Trần Dave"}
    st, _, d = req("POST", T, key(A), body=dave, tmpl=T)
    check(st == 403, f"an analyst adds a person: {st} {d}")
    st, _, d = req("POST", T, admin_a, body=dict(dave, organisation=B), tmpl=T)
    check(st == 404, f"an admin adds a person to an organisation it does not see: {st} {d}")
    for bad in (dict(dave, username="Dave Tran"), dict(dave, password="short"), dict(dave, role="root")):
        st, _, d = req("POST", T, admin_a, body=bad, tmpl=T)
        check(st == 400, f"accepted {bad}: {st} {d}")
    st, _, d = req("POST", T, admin_a, body=dave, tmpl=T)
    check(st == 201 and d["username"] == "dave.tran" and d["organisation"] == A and d["role"] == "responder"
          and d["display_name"] == "Trần Dave" and "password" not in d, f"added: {st} {d}")
    st, _, d = req("POST", T, admin_a, body=dave, tmpl=T)
    check(st == 409, f"added twice: {st} {d}")
    st, _, d = req("POST", "/api/v1/auth/login", body={"username": "dave.tran", "password": "dave-pass-456"})
    check(st == 200 and d["organisation"] == A and d["role"] == "responder", f"the new person logs in: {st} {d}")
    st, _, d = req("GET", f"{T}?organisation={A}", admin_a, tmpl=T)
    check(st == 200 and "dave.tran" in [u["username"] for u in d["items"]], f"listed: {d}")


def test_openapi():
    st, _, doc = req("GET", "/api/v1/openapi.json")
    check(st == 200, f"openapi: {st}")
    for path in ("/api/v1/reference", "/api/v1/stats/overview", "/api/v1/rules", "/api/v1/warnings/bulk"):
        check(path in doc["paths"], f"{path} documented")
    n = check_answers_documented(doc, SEEN, 10)
    print(f"  {n} responses validated against the OpenAPI document", flush=True)


TESTS = [test_setup, test_static_files, test_find_warnings, test_cookie_session_and_csrf, test_stats_overview,
         test_bulk, test_rules_and_reference, test_openapi]


def main():
    return run(TESTS, PROCS, lambda: S.get("dir"), stop_after=(test_setup, test_find_warnings), clean=True, grace=20)


if __name__ == "__main__":
    sys.exit(main())
