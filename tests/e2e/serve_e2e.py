#!/usr/bin/env python3
"""End-to-end tests of `lachan serve`: usage: serve_e2e.py BINARY SOURCE_DIR"""
import gzip, http.client, json, os, signal, socket, subprocess, sys, tempfile, time, urllib.parse
from lachan_e2e import check, poll, resolve, run, validate

BIN, SRC = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
DEMO = os.path.join(SRC, "demo")
ROLES = ["admin", "analyst", "responder", "reporter", "viewer"]
A, B = "bvhn-nghe-an", "cong-dvc-da-nang"
S = {}            # shared state between tests
SEEN = []         # (path template, method, status, body) for the OpenAPI check
PROCS = []


def cli(*args):
    r = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError(f"lachan {' '.join(args)} failed: {r.stderr}")
    return r.stdout.strip()


def start_server(data, extra=(), config=None):
    urlf = os.path.join(data, f"url-{time.time_ns()}")
    cmd = [BIN, "serve", "--data-dir", data, "--listen", "127.0.0.1:0", "--url-file", urlf, *extra]
    if config:
        cmd += ["--config", config]
    log = open(os.path.join(data, "serve.log"), "ab")
    p = subprocess.Popen(cmd, stdout=log, stderr=log)
    PROCS.append(p)

    def ready():
        check(p.poll() is None, f"server exited early ({p.returncode}), see {data}/serve.log")
        if os.path.exists(urlf):
            lines = open(urlf).read().splitlines()
            if lines and (not extra or "--syslog-tcp" not in extra or any(l.startswith("syslog_tcp=") for l in lines)):
                return lines
        return None
    lines = poll(ready, "url file")
    info = {"proc": p, "url": lines[0]}
    for l in lines[1:]:
        k, _, v = l.partition("=")
        info[k] = int(v)
    u = urllib.parse.urlparse(lines[0])
    info["host"], info["port"] = u.hostname, u.port
    return info


def req(srv, method, path, key=None, body=None, headers=None, tmpl=None):
    h = dict(headers or {})
    if key:
        h["Authorization"] = "Bearer " + key
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        h.setdefault("Content-Type", "application/json")
    elif isinstance(body, str):
        body = body.encode()
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


def get_all(srv, key, query=""):
    items, cursor = [], None
    while True:
        q = query + ("&" if query else "") + "limit=100" + (f"&cursor={cursor}" if cursor else "")
        st, d = req(srv, "GET", "/api/v1/warnings?" + q, key, tmpl="/api/v1/warnings")
        check(st == 200, f"list warnings: {st} {d}")
        items += d["items"]
        cursor = d["next_cursor"]
        if not cursor:
            return items


def count(srv, key, query=""):
    st, d = req(srv, "GET", "/api/v1/warnings/count" + ("?" + query if query else ""), key, tmpl="/api/v1/warnings/count")
    check(st == 200, f"count: {st} {d}")
    return d["count"]


def stable(fn, what, settle=1.0):
    """Poll fn until it returns a truthy value that stays the same for `settle` seconds."""
    end = time.time() + 20
    last, since = None, time.time()
    while time.time() < end:
        v = fn()
        if v != last:
            last, since = v, time.time()
        elif v and time.time() - since >= settle:
            return v
        time.sleep(0.1)
    raise AssertionError(f"{what} did not settle (last {last})")


def win_lines():
    return [l for l in open(os.path.join(DEMO, "windows-endpoints.jsonl")).read().splitlines() if l.strip()]


def ingest(srv, key, body, source="windows", headers=None):
    return req(srv, "POST", f"/api/v1/events?source={source}", key, body, headers, tmpl="/api/v1/events")


# ---------------------------------------------------------------- tests
def test_setup():
    d = tempfile.mkdtemp(prefix="lachan-e2e-")
    S["dir"] = d
    cli("org", "import", "--data-dir", d, os.path.join(DEMO, "constituency.json"))
    keys = {}
    for org in (A, B):
        for role in ROLES:
            keys[(org, role)] = cli("key", "create", "--data-dir", d, "--org", org, "--role", role)
    for org, role in [("ca-nghe-an", "analyst"), ("csirt-health", "viewer"), ("ncsc", "admin"), ("ca-da-nang", "analyst")]:
        keys[(org, role)] = cli("key", "create", "--data-dir", d, "--org", org, "--role", role)
    S["keys"] = keys
    cli("user", "add", "--data-dir", d, "--username", "alice", "--org", A, "--role", "analyst", "--password", "s3cret-pass")
    cfg = os.path.join(d, "serve.toml")
    with open(cfg, "w") as f:
        f.write('[[syslog_source]]\nnetwork = "127.0.0.0/8"\norg = "cong-dvc-da-nang"\n')
    S["srv"] = start_server(d, ["--syslog-tcp", "0", "--syslog-udp", "0", "--max-body-bytes", "1048576",
                                 "--correlation-idle-flush", "1"], cfg)
    check("syslog_tcp" in S["srv"] and "syslog_udp" in S["srv"], f"no syslog ports in url file: {S['srv']}")


def test_ingest():
    srv, k = S["srv"], S["keys"]
    lines = win_lines()
    st, d = ingest(srv, k[(A, "reporter")], "\n".join(lines) + "\n")
    check(st == 200 and d["accepted"] == len(lines) and d["rejected"] == 0, f"ingest: {st} {d}")
    n = stable(lambda: count(srv, k[("ncsc", "admin")]), "warning count")
    S["a_ids"] = [w["id"] for w in get_all(srv, k[(A, "viewer")])]
    check(len(S["a_ids"]) == n, f"A lists {len(S['a_ids'])} warnings, ncsc counts {n}")


def test_tenancy():
    srv, k = S["srv"], S["keys"]
    ids = S["a_ids"]
    for who in [(A, "viewer"), ("ca-nghe-an", "analyst"), ("csirt-health", "viewer"), ("ncsc", "admin")]:
        for i in ids:
            st, d = req(srv, "GET", f"/api/v1/warnings/{i}", k[who], tmpl="/api/v1/warnings/{id}")
            check(st == 200, f"{who} GET warning {i}: {st} {d}")
        check(count(srv, k[who]) >= len(ids), f"{who} count < A's warnings")
    for role in ROLES:
        kb = k[(B, role)]
        for i in ids:
            for m, p, body in [("GET", f"/api/v1/warnings/{i}", None),
                               ("PATCH", f"/api/v1/warnings/{i}", {"status": "acknowledged", "comment": "x"}),
                               ("GET", f"/api/v1/warnings/{i}/history", None)]:
                st, d = req(srv, m, p, kb, body)
                check(st == 404, f"B {role} {m} {p}: expected 404, got {st} {d}")
        listed = {w["id"] for w in get_all(srv, kb)}
        check(not listed & set(ids), f"B {role} list contains A's ids {listed & set(ids)}")
        check(count(srv, kb) == len(listed) == 0, f"B {role} count {count(srv, kb)} list {len(listed)} (B sent nothing)")
    kd = k[("ca-da-nang", "analyst")]
    check(not {w["id"] for w in get_all(srv, kd)} & set(ids), "ca-da-nang sees A's warnings")
    for i in ids:
        st, _ = req(srv, "GET", f"/api/v1/warnings/{i}", kd)
        check(st == 404, f"ca-da-nang GET {i}: {st}")
    st, d = req(srv, "GET", f"/api/v1/organisations/{A}", k[(B, "admin")])
    check(st == 404, f"B GET organisations/{A}: {st} {d}")
    st, d = req(srv, "GET", f"/api/v1/organisations/{A}", k[("ncsc", "admin")], tmpl="/api/v1/organisations/{id}")
    check(st == 200 and d["id"] == A, f"ncsc GET organisations/{A}: {st} {d}")
    st, d = req(srv, "GET", "/api/v1/organisations", k[("ncsc", "admin")], tmpl="/api/v1/organisations")
    check(st == 200, f"organisations: {st}")


def test_bad_lines():
    lines = win_lines()[:5]
    body = "\n".join(lines[:2] + ["not json"] + lines[2:]) + "\n"
    st, d = ingest(S["srv"], S["keys"][(A, "reporter")], body)
    check(st == 200 and d["accepted"] == 5 and d["rejected"] == 1, f"bad-line ingest: {st} {d}")
    check(d["errors"] and d["errors"][0]["line"] == 3, f"errors[0].line should be 3: {d['errors']}")


def test_gzip_and_limit():
    srv, k = S["srv"], S["keys"][(A, "reporter")]
    lines = win_lines()[:3]
    st, d = ingest(srv, k, gzip.compress(("\n".join(lines) + "\n").encode()), headers={"Content-Encoding": "gzip"})
    check(st == 200 and d["accepted"] == 3 and d["rejected"] == 0, f"gzip ingest: {st} {d}")
    big = (lines[0] + "\n") * (2 * 1048576 // (len(lines[0]) + 1) + 1)
    st, d = ingest(srv, k, big)
    check(st == 413, f"2 MB body: expected 413, got {st} {str(d)[:300]}")
    msg = json.dumps(d)
    check(isinstance(d, dict) and ("1048576" in msg or "limit" in msg.lower() or "large" in msg.lower()),
          f"413 body does not mention the limit: {msg[:300]}")


def test_dedup():
    srv, k = S["srv"], S["keys"]
    d = S["dir"]
    for line in win_lines():
        p = os.path.join(d, "one.jsonl")
        open(p, "w").write(line + "\n")
        out = subprocess.run([BIN, "scan", "--rules", os.path.join(SRC, "rules"), "--format", "jsonl", p],
                             capture_output=True, text=True).stdout.splitlines()
        if len(out) == 1:
            rule = json.loads(out[0])["rule"]["id"]
            break
    else:
        raise AssertionError("no demo line fires exactly one rule")
    ka = k[("ncsc", "admin")]

    def state():
        ws = get_all(srv, ka, f"rule={rule}")
        return len(ws), sum(w["count"] for w in ws)
    before = stable(state, "dedup baseline", 0.5)
    for _ in range(2):
        st, r = ingest(srv, k[(A, "reporter")], line + "\n")
        check(st == 200 and r["accepted"] == 1, f"dedup ingest {st} {r}")
    after = poll(lambda: (lambda s: s if s[1] >= before[1] + 2 else None)(state()), "dedup count growth")
    time.sleep(0.5)  # give any stray extra warning a chance to show up before the final check
    after = state()
    check(after == (before[0], before[1] + 2), f"rule {rule}: (warnings, sum count) {before} -> {after}")


def test_workflow():
    srv, k = S["srv"], S["keys"]
    wid = S["a_ids"][0]
    p = f"/api/v1/warnings/{wid}"
    st, d = req(srv, "PATCH", p, k[(A, "viewer")], {"status": "acknowledged"}, tmpl="/api/v1/warnings/{id}")
    check(st == 403, f"viewer PATCH: {st} {d}")
    for s in ["acknowledged", "in_progress", "resolved"]:
        st, d = req(srv, "PATCH", p, k[(A, "analyst")], {"status": s, "comment": "e2e " + s}, tmpl="/api/v1/warnings/{id}")
        check(st == 200 and d["status"] == s, f"analyst PATCH {s}: {st} {d}")
    st, d = req(srv, "PATCH", p, k[(A, "analyst")], {"status": "acknowledged"}, tmpl="/api/v1/warnings/{id}")
    check(st == 409, f"resolved->acknowledged: expected 409, got {st} {d}")
    st, d = req(srv, "GET", p + "/history", k[(A, "viewer")], tmpl="/api/v1/warnings/{id}/history")
    check(st == 200, f"history {st} {d}")
    tos = [h["to"] for h in d["items"]]
    check(tos[-3:] == ["acknowledged", "in_progress", "resolved"] or tos[:3] == ["acknowledged", "in_progress", "resolved"]
          or sorted(tos) == sorted(["acknowledged", "in_progress", "resolved"]), f"history: {d}")
    check(all(h.get("actor") for h in d["items"]), f"history without actor: {d}")
    st, d = req(srv, "GET", "/api/v1/audit?action=warning.update&limit=500", k[("ncsc", "admin")], tmpl="/api/v1/audit")
    check(st == 200 and any(e["action"] == "warning.update" and e["target"] == f"warning:{wid}" for e in d["items"]),
          f"audit lacks warning.update for {wid}: {st} {str(d)[:400]}")
    st, d = req(srv, "GET", "/api/v1/audit", k[(A, "viewer")], tmpl="/api/v1/audit")
    check(st == 403, f"viewer /audit: {st} {d}")


def test_auth():
    srv = S["srv"]
    st, d = req(srv, "GET", "/api/v1/me", tmpl="/api/v1/me")
    check(st == 401, f"no header: {st}")
    st, d = req(srv, "GET", "/api/v1/warnings", "lk_bogus_0000", tmpl="/api/v1/warnings")
    check(st == 401, f"bad key: {st}")
    st, d = req(srv, "POST", "/api/v1/auth/login", body={"username": "alice", "password": "s3cret-pass"}, tmpl="/api/v1/auth/login")
    check(st == 200 and d.get("token"), f"login: {st} {d}")
    st, me = req(srv, "GET", "/api/v1/me", d["token"], tmpl="/api/v1/me")
    check(st == 200 and A in json.dumps(me), f"/me with token: {st} {me}")
    st, d = req(srv, "POST", "/api/v1/auth/login", body={"username": "alice", "password": "wrong"}, tmpl="/api/v1/auth/login")
    check(st == 401, f"wrong password: {st} {d}")


def test_syslog():
    srv, kb = S["srv"], S["keys"][(B, "viewer")]
    data = open(os.path.join(DEMO, "linux-syslog.log"), "rb").read()
    with socket.create_connection(("127.0.0.1", srv["syslog_tcp"]), timeout=10) as s:
        s.sendall(data if data.endswith(b"\n") else data + b"\n")
    ws = poll(lambda: get_all(srv, kb), "syslog warnings for cong-dvc-da-nang")
    check(all(w["organisation"] == B for w in ws), f"syslog warnings of other orgs: {ws}")
    check(any("reverse shell" in w["title"].lower() for w in ws), f"no Reverse Shell warning: {[w['title'] for w in ws]}")
    S["b_ids"] = [w["id"] for w in ws]
    st, d = req(srv, "GET", f"/api/v1/warnings/{ws[0]['id']}", S["keys"][(A, "admin")])
    check(st == 404, f"A sees B's syslog warning: {st}")


def test_correlation():
    """SSH brute force (an event_count correlation): per organisation, never across two."""
    srv, k = S["srv"], S["keys"]
    brute = "f4708421-8ebb-4db7-bde3-790829b274bb"

    def lines(start, n):
        return "".join(f"<38>1 2026-01-01T10:{(start + i) * 5 // 60:02d}:{(start + i) * 5 % 60:02d}Z e2e-jump01 sshd "
                       f"{4000 + start + i} - - Failed password for root from 198.51.100.7 port {50000 + i} ssh2\n"
                       for i in range(n))
    # Six failures at A and six at B on a host of the same name: ten are needed, and A's and B's
    # events never meet in one window.
    for org in (A, B):
        st, d = ingest(srv, k[(org, "reporter")], lines(0, 6), source="syslog")
        check(st == 200 and d["accepted"] == 6, f"syslog over HTTP for {org}: {st} {d}")
    st, d = ingest(srv, k[(A, "reporter")], lines(6, 6), source="syslog")
    check(st == 200 and d["accepted"] == 6, f"second syslog batch: {st} {d}")

    def found(key):
        return [w for w in get_all(srv, key, f"rule={brute}")
                if any(e.get("value") == "e2e-jump01" for e in w.get("entities", []))]
    ws = poll(lambda: found(k[(A, "viewer")]), "the brute-force correlation warning of A")
    check(len(ws) == 1, f"one correlation warning expected: {ws}")
    w = ws[0]
    check(w["organisation"] == A and w["severity"] == "high", f"correlation warning: {w}")
    check("attack.t1110.001" in w["tags"], f"tags: {w['tags']}")
    st, full = req(srv, "GET", f"/api/v1/warnings/{w['id']}", k[(A, "viewer")], tmpl="/api/v1/warnings/{id}")
    check(st == 200 and len(full["evidence"]) == 10, f"evidence of the correlation: {st} {full.get('evidence')}")
    check(all("Failed password" in json.dumps(e) for e in full["evidence"]), "evidence events are the failures")
    # A's flush and B's happen together (B went quiet first): B has none, and cannot see A's.
    check(found(k[(B, "viewer")]) == [], "B got a correlation warning from six failures (or from A's)")
    st, _ = req(srv, "GET", f"/api/v1/warnings/{w['id']}", k[(B, "admin")])
    check(st == 404, f"B reads A's correlation warning: {st}")
    check(any(x["id"] == w["id"] for x in found(k[("ncsc", "admin")])), "the national centre sees it")


def login(srv, user, password):
    st, d = req(srv, "POST", "/api/v1/auth/login", body={"username": user, "password": password}, tmpl="/api/v1/auth/login")
    return st, (d or {}).get("token") if st == 200 else None


def audited(srv, key, action, target):
    st, d = req(srv, "GET", f"/api/v1/audit?action={action}&limit=500", key, tmpl="/api/v1/audit")
    return st == 200 and any(e["target"] == target for e in d["items"])


def test_admin():
    """Keys, users and dead letters: admin only (dead letters: analysts too), scoped like everything else."""
    srv, k, d = S["srv"], S["keys"], S["dir"]
    ka, kb, kn = k[(A, "admin")], k[(B, "admin")], k[("ncsc", "admin")]

    # Keys: listed for the own organisation without secrets, revoked, refused from then on.
    st, nk = req(srv, "POST", "/api/v1/keys", ka, {"role": "viewer", "label": "to revoke"}, tmpl="/api/v1/keys")
    check(st == 201, f"create key: {st} {nk}")
    nid = nk["id"]
    check(req(srv, "GET", "/api/v1/me", nk["key"])[0] == 200, "the new key does not work")
    for q in ("", f"?organisation={A}"):
        st, lst = req(srv, "GET", "/api/v1/keys" + q, ka, tmpl="/api/v1/keys")
        check(st == 200, f"list keys{q}: {st} {lst}")
        ids = {x["id"] for x in lst["items"]}
        check({nid, ka.split("_")[1]} <= ids, f"list keys{q} lacks the new or the caller's key: {ids}")
        check(all(x["organisation"] == A for x in lst["items"]), f"list keys{q} has other orgs: {lst}")
        check(all(set(x) <= {"id", "organisation", "role", "label", "created", "revoked", "revoked_at"} for x in lst["items"]),
              f"list keys{q} shows more than it should: {lst['items'][0]}")
        check(nk["key"].split("_")[2] not in json.dumps(lst), "list keys shows a secret")
    st, lst = req(srv, "GET", "/api/v1/keys", kn, tmpl="/api/v1/keys")
    check(st == 200 and kn.split("_")[1] in {x["id"] for x in lst["items"]}, f"ncsc lists its keys: {st} {lst}")

    # Other roles: 403. An admin of B: 404 for A's key and users, exactly as for missing ones.
    for role in ROLES[1:]:
        kr = k[(A, role)]
        for m, p, body, tmpl in [("GET", "/api/v1/keys", None, "/api/v1/keys"),
                                 ("DELETE", f"/api/v1/keys/{nid}", None, "/api/v1/keys/{id}"),
                                 ("GET", "/api/v1/users", None, "/api/v1/users"),
                                 ("PATCH", "/api/v1/users/alice", {"disabled": True}, "/api/v1/users/{username}")]:
            st, r = req(srv, m, p, kr, body, tmpl=tmpl)
            check(st == 403, f"A {role} {m} {p}: expected 403, got {st} {r}")
        if role != "analyst":
            st, r = req(srv, "GET", "/api/v1/dead-letters", kr, tmpl="/api/v1/dead-letters")
            check(st == 403, f"A {role} dead letters: expected 403, got {st} {r}")
    for m, p, body, key, tmpl in [("GET", f"/api/v1/keys?organisation={A}", None, kb, "/api/v1/keys"),
                                  ("DELETE", f"/api/v1/keys/{nid}", None, kb, "/api/v1/keys/{id}"),
                                  ("DELETE", "/api/v1/keys/nosuchkey000", None, ka, "/api/v1/keys/{id}"),
                                  ("GET", f"/api/v1/users?organisation={A}", None, kb, "/api/v1/users"),
                                  ("GET", "/api/v1/users?organisation=no-such-org", None, ka, "/api/v1/users"),
                                  ("PATCH", "/api/v1/users/alice", {"disabled": True}, kb, "/api/v1/users/{username}"),
                                  ("PATCH", "/api/v1/users/nobody", {"disabled": True}, ka, "/api/v1/users/{username}")]:
        st, r = req(srv, m, p, key, body, tmpl=tmpl)
        check(st == 404 and r["error"]["message"] == "not found", f"{m} {p}: expected a plain 404, got {st} {r}")
    check(req(srv, "GET", "/api/v1/me", nk["key"])[0] == 200, "B's attempt revoked A's key")
    check(login(srv, "alice", "s3cret-pass")[0] == 200, "B's attempt disabled A's user")

    st, rk = req(srv, "DELETE", f"/api/v1/keys/{nid}", ka, tmpl="/api/v1/keys/{id}")
    check(st == 200 and rk["id"] == nid and rk["revoked"] is True and rk.get("revoked_at"), f"revoke: {st} {rk}")
    for p in ("/api/v1/me", "/api/v1/warnings"):
        st, r = req(srv, "GET", p, nk["key"], tmpl=p)
        check(st == 401, f"revoked key GET {p}: expected 401, got {st} {r}")
    st, lst = req(srv, "GET", "/api/v1/keys", ka, tmpl="/api/v1/keys")
    check([x["revoked"] for x in lst["items"] if x["id"] == nid] == [True], f"listed as not revoked: {lst}")
    check(audited(srv, ka, "key.revoke", f"key:{nid}"), "key.revoke not audited")

    # The CLI: list, revoke, and unknown ids refused.
    out = cli("key", "list", "--data-dir", d, "--org", A)
    check(any(nid in l and "revoked" in l for l in out.splitlines()), f"key list: {out}")
    kc = cli("key", "create", "--data-dir", d, "--org", B, "--role", "viewer")
    check(req(srv, "GET", "/api/v1/me", kc)[0] == 200, "a CLI key does not work")
    cli("key", "revoke", "--data-dir", d, kc.split("_")[1])
    check(req(srv, "GET", "/api/v1/me", kc)[0] == 401, "a key revoked with the CLI still works")
    for args in (["key", "revoke", "nosuchkey000"], ["key", "list", "--org", "no-such-org"],
                 ["user", "disable", "nobody"], ["user", "enable", "nobody"]):
        r = subprocess.run([BIN, *args[:2], "--data-dir", d, *args[2:]], capture_output=True, text=True, timeout=60)
        check(r.returncode != 0 and r.stderr.strip(), f"lachan {' '.join(args)}: rc {r.returncode}, stderr {r.stderr!r}")

    # Users: listed, disabled (their sessions end, their logins fail), enabled again.
    cli("user", "add", "--data-dir", d, "--username", "bob", "--org", A, "--role", "responder", "--password", "bob-pass-123")
    cli("user", "add", "--data-dir", d, "--username", "adam", "--org", A, "--role", "admin", "--password", "adam-pass-123")
    st, ul = req(srv, "GET", "/api/v1/users", ka, tmpl="/api/v1/users")
    check(st == 200, f"list users: {st} {ul}")
    names = [u["username"] for u in ul["items"]]
    check(names == sorted(names) and {"alice", "bob", "adam"} <= set(names), f"users: {names}")
    check(all(u["organisation"] == A and u["disabled"] is False for u in ul["items"]), f"users: {ul}")
    check("argon2" not in json.dumps(ul) and not any("password" in f for u in ul["items"] for f in u), "users show a password")
    st, tb = login(srv, "bob", "bob-pass-123")
    check(st == 200 and tb, f"bob login: {st}")
    st, tadam = login(srv, "adam", "adam-pass-123")
    check(st == 200 and tadam, f"adam login: {st}")
    st, r = req(srv, "PATCH", "/api/v1/users/adam", tadam, {"disabled": True}, tmpl="/api/v1/users/{username}")
    check(st == 409, f"an admin disabling themself: expected 409, got {st} {r}")
    st, r = req(srv, "PATCH", "/api/v1/users/bob", tadam, {"disabled": "yes"}, tmpl="/api/v1/users/{username}")
    check(st == 400, f"disabled: \"yes\": expected 400, got {st} {r}")
    st, u = req(srv, "PATCH", "/api/v1/users/bob", tadam, {"disabled": True}, tmpl="/api/v1/users/{username}")
    check(st == 200 and u["username"] == "bob" and u["disabled"] is True, f"disable bob: {st} {u}")
    st, r = req(srv, "GET", "/api/v1/me", tb, tmpl="/api/v1/me")
    check(st == 401, f"disabled bob's session: expected 401, got {st} {r}")
    check(login(srv, "bob", "bob-pass-123")[0] == 401, "disabled bob can log in")
    st, ul = req(srv, "GET", "/api/v1/users", ka, tmpl="/api/v1/users")
    check([u["disabled"] for u in ul["items"] if u["username"] == "bob"] == [True], f"bob listed as enabled: {ul}")
    st, u = req(srv, "PATCH", "/api/v1/users/bob", ka, {"disabled": False}, tmpl="/api/v1/users/{username}")
    check(st == 200 and u["disabled"] is False, f"enable bob: {st} {u}")
    st, tb2 = login(srv, "bob", "bob-pass-123")
    check(st == 200 and req(srv, "GET", "/api/v1/me", tb2)[0] == 200, f"enabled bob cannot log in: {st}")
    check(req(srv, "GET", "/api/v1/me", tb)[0] == 401, "the session ended by disabling came back")
    check(audited(srv, ka, "user.disable", "user:bob") and audited(srv, ka, "user.enable", "user:bob"),
          "user.disable / user.enable not audited")
    cli("user", "disable", "--data-dir", d, "bob")
    check(login(srv, "bob", "bob-pass-123")[0] == 401 and req(srv, "GET", "/api/v1/me", tb2)[0] == 401,
          "bob still works after lachan user disable")
    cli("user", "enable", "--data-dir", d, "bob")
    check(login(srv, "bob", "bob-pass-123")[0] == 200, "bob cannot log in after lachan user enable")

    # Dead letters: a syslog message from B (127.0.0.1) with more CEF fields than a record may have.
    marker = f"dead-letter-{time.time_ns()}"
    msg = f"<13>Jan  1 00:00:00 {marker} app: CEF:0|v|p|1|sig|name|5|" + " ".join(f"k{i}=1" for i in range(4200))
    with socket.create_connection(("127.0.0.1", srv["syslog_tcp"]), timeout=10) as sock:
        sock.sendall(msg.encode() + b"\n")

    def dead(key):
        st, r = req(srv, "GET", "/api/v1/dead-letters?limit=500", key, tmpl="/api/v1/dead-letters")
        check(st == 200, f"dead letters: {st} {r}")
        return r["items"]
    mine = poll(lambda: [x for x in dead(k[(B, "analyst")]) if marker in x["raw"]], "the dead letter")
    check(len(mine) == 1 and mine[0]["organisation"] == B and mine[0]["source"] == "syslog" and mine[0]["reason"]
          and mine[0]["at"] and mine[0]["raw_size"] == len(msg), f"dead letter: {str(mine)[:300]}")
    check(any(marker in x["raw"] for x in dead(kn)), "the national centre does not see B's dead letter")
    check(all(x["organisation"] != B and marker not in x["raw"] for x in dead(ka)), "A sees B's dead letters")
    st, page = req(srv, "GET", "/api/v1/dead-letters?limit=1", kn, tmpl="/api/v1/dead-letters")
    check(st == 200 and len(page["items"]) == 1, f"dead letters limit=1: {st} {page}")
    if page["next_cursor"]:
        st, nxt = req(srv, "GET", f"/api/v1/dead-letters?limit=1&cursor={page['next_cursor']}", kn, tmpl="/api/v1/dead-letters")
        check(st == 200 and all(x["id"] < page["items"][0]["id"] for x in nxt["items"]), f"next page: {st} {nxt}")
    st, r = req(srv, "GET", "/api/v1/dead-letters?cursor=bogus", kn, tmpl="/api/v1/dead-letters")
    check(st == 400, f"bad cursor: expected 400, got {st} {r}")


def test_demo():
    """The README's run command: `lachan demo` replays the demo telemetry; warnings arrive, among
    them the SSH brute force that only a correlation of many syslog lines raises."""
    d = tempfile.mkdtemp(prefix="lachan-e2e-demo-")
    urlf = os.path.join(d, "url")
    log = open(os.path.join(d, "demo.log"), "ab")
    p = subprocess.Popen([BIN, "demo", "--data-dir", d, "--listen", "127.0.0.1:0", "--url-file", urlf],
                         stdout=log, stderr=log)
    PROCS.append(p)
    poll(lambda: p.poll() is None and os.path.exists(urlf) and open(urlf).read().strip(), "demo url file")
    u = urllib.parse.urlparse(open(urlf).read().split()[0])
    srv = {"host": u.hostname, "port": u.port}
    st, login = req(srv, "POST", "/api/v1/auth/login", body={"username": "ncsc.admin", "password": "demo-ncsc-admin"})
    check(st == 200, f"demo login: {st} {login}")

    def titles():
        return {w["title"] for w in get_all(srv, login["token"])}
    ts = poll(lambda: (lambda t: t if "SSH Password Brute Force" in t else None)(titles()), "the demo's correlation warning")
    check(len(ts) >= 5, f"too few kinds of demo warnings: {ts}")
    st, viewer = req(srv, "POST", "/api/v1/auth/login", body={"username": "bvhn.viewer", "password": "demo-bvhn"})
    check(st == 200, f"member login: {st}")
    mine = get_all(srv, viewer["token"])
    check(mine and all(w["organisation"] == "bvhn-nghe-an" for w in mine), "a member sees only its own warnings")
    p.send_signal(signal.SIGTERM)
    check(p.wait(30) == 0, "demo did not exit 0 on SIGTERM")


def test_openapi():
    srv, k = S["srv"], S["keys"]
    st, doc = req(srv, "GET", "/api/v1/openapi.json")
    check(st == 200 and "paths" in doc, f"openapi: {st}")
    n = 0
    for tmpl, method, status, body in SEEN:
        op = doc["paths"].get(tmpl, {}).get(method)
        check(op is not None, f"{method.upper()} {tmpl} not documented")
        resp = op["responses"].get(str(status)) or op["responses"].get("default")
        check(resp is not None, f"{method.upper()} {tmpl} answered {status}, not documented")
        resp = resolve(doc, resp)
        sch = resp.get("content", {}).get("application/json", {}).get("schema")
        if sch is not None:
            validate(doc, sch, body, f"{method.upper()} {tmpl} {status}")
            n += 1
    check(n > 20, f"only {n} responses validated")
    wid, ka = S["a_ids"][0], k[("ncsc", "admin")]
    # Incident routes name records of their own: one of each, so that a 404 means a missing route.
    st, inc = req(srv, "POST", "/api/v1/incidents", ka, {"title": "t", "category": "other:other", "affected_orgs": [A]})
    check(st == 201, f"incident: {st} {inc}")
    st, task = req(srv, "POST", f"/api/v1/incidents/{inc['id']}/tasks", ka, {"title": "t"})
    check(st == 201, f"task: {st} {task}")
    st, ev = req(srv, "POST", f"/api/v1/incidents/{inc['id']}/evidence?name=e.txt", ka, "evidence")
    check(st == 201, f"evidence: {st} {ev}")
    ids = {"/api/v1/incidents/": inc["id"], "/api/v1/evidence/": ev["id"]}
    for tmpl, ops in doc["paths"].items():
        rid = next((v for p, v in ids.items() if tmpl.startswith(p)), wid)
        path = tmpl.replace("{id}", A if "organisations" in tmpl else str(rid)).replace("{username}", "alice")
        path = path.replace("{task_id}", str(task["id"]))
        for m in ops:
            if m not in ("get", "post", "patch"):
                continue
            if "text/event-stream" in ops[m]["responses"].get("200", {}).get("content", {}):
                continue  # a stream stays open: not read to its end here
            body = {} if m != "get" else None
            st, d = req(srv, m.upper(), path, ka, body)
            # A record that does not exist (a subscription or notification with this id) is a
            # 404 of the route itself; only the router's 404 (no such resource) means a missing route.
            routed_404 = st == 404 and isinstance(d, dict) and "no such resource" in d.get("error", {}).get("message", "")
            check(not routed_404 and st != 405 and (st != 404 or "{" in tmpl), f"documented {m.upper()} {tmpl} answers {st}")


def test_health_metrics():
    srv = S["srv"]
    for p in ("/healthz", "/readyz"):
        st, _ = req(srv, "GET", p)
        check(st == 200, f"{p}: {st}")
    st, text = req(srv, "GET", "/metrics")
    check(st == 200 and isinstance(text, str), f"/metrics: {st}")
    for m in ["lachan_events_received_total", "lachan_pipeline_events_total", "lachan_warnings",
              "lachan_acceptance_to_warning_seconds_bucket", "lachan_spool_lag_records"]:
        check(m in text, f"/metrics lacks {m}")


def crash_run(kill):
    d = tempfile.mkdtemp(prefix="lachan-e2e-crash-")
    cli("org", "import", "--data-dir", d, os.path.join(DEMO, "constituency.json"))
    kr = cli("key", "create", "--data-dir", d, "--org", A, "--role", "reporter")
    kn = cli("key", "create", "--data-dir", d, "--org", "ncsc", "--role", "admin")
    srv = start_server(d)
    lines = win_lines()
    chunks = [lines[i::5] for i in range(5)]
    for c in chunks:
        st, r = ingest(srv, kr, "\n".join(c) + "\n")
        check(st == 200 and r["accepted"] == len(c), f"crash ingest: {st} {r}")
    if kill:
        srv["proc"].kill()
        srv["proc"].wait(10)
        srv = start_server(d)
    poll(lambda: req(srv, "GET", "/readyz")[0] == 200, "/readyz after restart")

    def totals():
        ws = get_all(srv, kn)
        return len(ws), sum(w["count"] for w in ws)
    res = stable(totals, "warning totals", 1.5)
    srv["proc"].send_signal(signal.SIGTERM)
    srv["proc"].wait(20)
    return res


def test_crash_durability():
    ref = crash_run(False)
    got = crash_run(True)
    check(got == ref, f"after kill -9 + restart (warnings, sum count) = {got}, clean run = {ref}")


def test_sigterm():
    p = S["srv"]["proc"]
    p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(20)
    except subprocess.TimeoutExpired:
        raise AssertionError("server did not exit within 20 s of SIGTERM")
    check(rc == 0, f"exit code after SIGTERM: {rc}")


TESTS = [test_setup, test_ingest, test_tenancy, test_bad_lines, test_gzip_and_limit, test_dedup, test_workflow,
         test_auth, test_syslog, test_correlation, test_demo, test_admin, test_openapi, test_health_metrics, test_crash_durability, test_sigterm]


def main():
    return run(TESTS, PROCS, lambda: S.get("dir"), stop_after=(test_setup,), clean=False, grace=0)


if __name__ == "__main__":
    sys.exit(main())
