#!/usr/bin/env python3
"""End-to-end tests of the malware repository in `lachan serve`: usage: samples_e2e.py BINARY SOURCE_DIR

Upload as an organisation's reporter (YARA family recorded, a warning for that organisation),
tenancy of metadata, download only for admins and analysts (identical bytes, as an attachment),
the size limit, re-upload merging, the audit trail, and OpenAPI conformance of the answers."""
import hashlib, http.client, json, os, subprocess, sys, tempfile, time, urllib.parse
from lachan_e2e import check, poll, resolve, run, validate

BIN, SRC = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
DEMO = os.path.join(SRC, "demo")
A, B, NC = "bvhn-nghe-an", "cong-dvc-da-nang", "ncsc"
LIMIT = 4096
# Built from two halves so that this file is not itself taken for the test file.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-" + b"STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
S, SEEN, PROCS = {}, [], []


def cli(*args):
    r = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError(f"lachan {' '.join(args)} failed: {r.stderr}")
    return r.stdout.strip()


def start_server(data, config):
    urlf = os.path.join(data, "url")
    log = open(os.path.join(data, "serve.log"), "ab")
    p = subprocess.Popen([BIN, "serve", "--data-dir", data, "--listen", "127.0.0.1:0", "--url-file", urlf,
                          "--config", config], stdout=log, stderr=log)
    PROCS.append(p)

    def ready():
        check(p.poll() is None, f"server exited early ({p.returncode}), see {data}/serve.log")
        return os.path.exists(urlf) and open(urlf).read().splitlines()
    u = urllib.parse.urlparse(poll(ready, "url file")[0])
    return {"proc": p, "host": u.hostname, "port": u.port}


def req(method, path, key=None, body=None, tmpl=None):
    """(status, JSON or raw bytes, headers); JSON answers are kept for the OpenAPI check."""
    srv = S["srv"]
    h = {"Authorization": "Bearer " + key} if key else {}
    if body is not None:
        h["Content-Type"] = "application/octet-stream"
    c = http.client.HTTPConnection(srv["host"], srv["port"], timeout=30)
    try:
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        raw, headers = r.read(), {k.lower(): v for k, v in r.getheaders()}
    finally:
        c.close()
    data = raw
    if headers.get("content-type", "").startswith("application/json"):
        data = json.loads(raw)
    if tmpl:
        SEEN.append((tmpl, method.lower(), r.status, data, headers.get("content-type", "")))
    return r.status, data, headers


def upload(key, body, filename=None):
    q = "?filename=" + urllib.parse.quote(filename) if filename else ""
    return req("POST", "/api/v1/samples" + q, key, body, tmpl="/api/v1/samples")


def get_sample(key, h):
    return req("GET", f"/api/v1/samples/{h}", key, tmpl="/api/v1/samples/{hash}")


def sample_warnings(key, rule):
    st, d, _ = req("GET", f"/api/v1/warnings?rule={rule}&limit=100", key)
    check(st == 200, f"warnings: {st} {d}")
    return d["items"]


# ---------------------------------------------------------------- tests
def test_setup():
    d = tempfile.mkdtemp(prefix="lachan-samples-e2e-")
    S["dir"] = d
    cli("org", "import", "--data-dir", d, os.path.join(DEMO, "constituency.json"))
    S["keys"] = {(org, role): cli("key", "create", "--data-dir", d, "--org", org, "--role", role)
                 for org, role in [(A, "reporter"), (A, "viewer"), (A, "analyst"), (B, "analyst"), (B, "reporter"),
                                   (NC, "admin"), (NC, "viewer")]}
    cfg = os.path.join(d, "serve.toml")
    with open(cfg, "w") as f:
        f.write(f"max_sample_bytes = {LIMIT}\n")
    S["srv"] = start_server(d, cfg)


def test_upload_eicar():
    k = S["keys"]
    st, d, _ = upload(k[(A, "reporter")], EICAR + b"\r\n", "C:\\Users\\x\\eicar.com")
    body = EICAR + b"\r\n"
    check(st == 201, f"upload: {st} {d}")
    check(d["sha256"] == hashlib.sha256(body).hexdigest() and d["md5"] == hashlib.md5(body).hexdigest()
          and d["sha1"] == hashlib.sha1(body).hexdigest(), f"hashes: {d}")
    check(d["family"] == "EICAR-Test-File" and d["size"] == len(body) and d["file_name"] == "eicar.com", f"record: {d}")
    check([m["rule"] for m in d["yara"]] == ["EICAR_Test_File"] and "eicar" in d["tags"], f"yara: {d['yara']}")
    check([s["org"] for s in d["submitted_by"]] == [A], f"submitted_by: {d['submitted_by']}")
    S["eicar"] = d
    S["eicar_bytes"] = body
    # Stored content-addressed, read-only, never executable.
    path = os.path.join(S["dir"], "samples", d["sha256"][:2], d["sha256"])
    check(os.path.isfile(path) and (os.stat(path).st_mode & 0o777) == 0o400, f"{path}: missing or not 0400")
    st, d, _ = upload(k[(A, "viewer")], b"anything")
    check(st == 403, f"viewer upload: {st} {d}")
    st, d, _ = req("POST", "/api/v1/samples", None, b"anything")
    check(st == 401, f"unauthenticated upload: {st}")


def test_warning_for_uploader():
    k, sha = S["keys"], S["eicar"]["sha256"]
    # Stored before the upload was answered: no waiting.
    ws = sample_warnings(k[(A, "viewer")], "yara:EICAR_Test_File")
    check(len(ws) == 1, f"A's sample warnings: {ws}")
    w = ws[0]
    check(w["organisation"] == A and w["detector"] == "intel" and w["severity"] == "high", f"warning: {w}")
    check(w["title"] == "Malware sample: EICAR-Test-File" and "lachan.sample" in w["tags"], f"warning: {w}")
    check(any(e["type"] == "hash" and e["value"] == sha for e in w["entities"]), f"entities: {w['entities']}")
    check(not sample_warnings(k[(B, "analyst")], "yara:EICAR_Test_File"), "B sees A's sample warning")


def test_tenancy():
    k, d = S["keys"], S["eicar"]
    for h in (d["sha256"], d["md5"].upper(), d["sha1"]):
        st, got, _ = get_sample(k[(A, "viewer")], h)
        check(st == 200 and got["sha256"] == d["sha256"], f"A viewer GET {h}: {st} {got}")
        st, got, _ = get_sample(k[(B, "analyst")], h)
        check(st == 404, f"B analyst GET {h}: expected 404, got {st} {got}")
    st, got, _ = get_sample(k[(NC, "admin")], d["md5"])
    check(st == 200 and got["sha256"] == d["sha256"], f"national centre admin: {st} {got}")
    st, got, _ = get_sample(k[(NC, "viewer")], d["md5"])
    check(st == 404, f"national centre viewer: {st} {got}")
    st, got, _ = req("GET", "/api/v1/samples", k[(B, "analyst")], tmpl="/api/v1/samples")
    check(st == 200 and got["items"] == [], f"B's list: {st} {got}")
    st, got, _ = req("GET", "/api/v1/samples?limit=10", k[(A, "viewer")], tmpl="/api/v1/samples")
    check(st == 200 and [x["sha256"] for x in got["items"]] == [d["sha256"]], f"A's list: {st} {got}")
    st, got, _ = get_sample(k[(A, "viewer")], "not-a-hash")
    check(st == 400, f"malformed hash: {st} {got}")
    st, got, _ = get_sample(k[(A, "viewer")], "0" * 64)
    check(st == 404, f"unknown hash: {st} {got}")


def test_download():
    k, sha = S["keys"], S["eicar"]["sha256"]
    path = f"/api/v1/samples/{sha}/content"
    st, d, _ = req("GET", path, k[(A, "viewer")], tmpl="/api/v1/samples/{hash}/content")
    check(st == 403, f"viewer download: {st} {d}")
    st, d, _ = req("GET", path, k[(A, "reporter")], tmpl="/api/v1/samples/{hash}/content")
    check(st == 403, f"reporter download: {st} {d}")
    st, d, _ = req("GET", path, k[(B, "analyst")], tmpl="/api/v1/samples/{hash}/content")
    check(st == 404, f"B analyst download: {st} {d}")
    st, d, h = req("GET", f"/api/v1/samples/{S['eicar']['md5']}/content", k[(A, "analyst")],
                   tmpl="/api/v1/samples/{hash}/content")
    check(st == 200 and d == S["eicar_bytes"], f"analyst download: {st} {d[:80]!r}")
    check(h.get("content-type") == "application/octet-stream", f"content type: {h.get('content-type')}")
    check(h.get("content-disposition") == f'attachment; filename="{sha}.bin"', f"disposition: {h.get('content-disposition')}")
    check(h.get("x-content-type-options") == "nosniff", f"nosniff: {h}")


def test_size_limit():
    k = S["keys"]
    st, d, _ = upload(k[(A, "reporter")], b"x" * (LIMIT + 1), "big.bin")
    check(st == 413, f"over the limit: {st} {d}")
    st, d, _ = upload(k[(A, "reporter")], b"x" * LIMIT, "exact.bin")
    check(st == 201 and d["family"] == "" and d["yara"] == [] and d["magic"] == "unknown", f"at the limit: {st} {d}")
    st, d, _ = upload(k[(A, "reporter")], b"")
    check(st == 400, f"empty sample: {st} {d}")


def test_reupload_merges():
    k, sha = S["keys"], S["eicar"]["sha256"]
    st, d, _ = upload(k[(B, "reporter")], S["eicar_bytes"], "other-name.com")
    check(st == 200, f"re-upload: {st} {d}")
    # B is not told who else submitted it, nor the name they gave it.
    check(d["sha256"] == sha and d["file_name"] == "", f"re-upload record: {d}")
    check([s["org"] for s in d["submitted_by"]] == [B], f"submitted_by as B sees it: {d['submitted_by']}")
    st, d, _ = get_sample(k[(B, "analyst")], sha)
    check(st == 200 and [s["org"] for s in d["submitted_by"]] == [B], f"B sees the sample it submitted: {st} {d}")
    st, d, _ = get_sample(k[(NC, "admin")], sha)
    check(st == 200 and [s["org"] for s in d["submitted_by"]] == [A, B] and d["file_name"] == "eicar.com",
          f"the national centre sees every submitter: {st} {d}")
    # B found the same malware: a warning for B too.
    ws = sample_warnings(k[(B, "analyst")], "yara:EICAR_Test_File")
    check(len(ws) == 1 and ws[0]["organisation"] == B, f"B's sample warnings: {ws}")
    st, w, _ = req("GET", f"/api/v1/warnings/{ws[0]['id']}", k[(B, "analyst")])
    check(st == 200 and len(w["evidence"]) == 1, f"B's warning: {st} {w}")
    ev = w["evidence"][0]
    check(ev["sha256"] == sha and [s["org"] for s in ev["submitted_by"]] == [B] and A not in json.dumps(ev),
          f"B's evidence names another submitter: {ev}")


def test_national_centre_upload_raises_no_warning():
    k = S["keys"]
    st, d, _ = upload(k[(NC, "admin")], b"<?php @eval($_POST['pass']);?>", "shell.php")
    check(st == 201 and d["family"] == "PHP-Webshell", f"web shell upload: {st} {d}")
    # A warning is stored before the upload is answered, so none now means none at all.
    check(not sample_warnings(k[(NC, "admin")], "yara:PHP_Webshell_Eval_Request"), "a warning for the national centre's own upload")


def test_audit():
    k, sha = S["keys"], S["eicar"]["sha256"]
    for action in ("sample.upload", "sample.download"):
        st, d, _ = req("GET", f"/api/v1/audit?action={action}&limit=500", k[(NC, "admin")])
        check(st == 200 and any(e["target"] == f"sample:{sha}" for e in d["items"]), f"audit {action}: {st} {d}")


def test_openapi():
    st, doc, _ = req("GET", "/api/v1/openapi.json")
    check(st == 200 and "paths" in doc, f"openapi: {st}")
    n = 0
    for tmpl, method, status, body, ctype in SEEN:
        op = doc["paths"].get(tmpl, {}).get(method)
        check(op is not None, f"{method.upper()} {tmpl} not documented")
        resp = op["responses"].get(str(status))
        check(resp is not None, f"{method.upper()} {tmpl} answered {status}, not documented")
        content = resolve(doc, resp).get("content", {})
        check(ctype.split(";")[0] in content, f"{method.upper()} {tmpl} {status}: {ctype} not documented")
        sch = content.get("application/json", {}).get("schema")
        if sch is not None and isinstance(body, (dict, list)):
            validate(doc, sch, body, f"{method.upper()} {tmpl} {status}")
            n += 1
    check(n >= 10, f"only {n} responses validated")


TESTS = [test_setup, test_upload_eicar, test_warning_for_uploader, test_tenancy, test_download, test_size_limit,
         test_reupload_merges, test_national_centre_upload_raises_no_warning, test_audit, test_openapi]


def main():
    return run(TESTS, PROCS, lambda: S.get("dir"), stop_after=(test_setup,), clean=True, grace=20)


if __name__ == "__main__":
    sys.exit(main())
