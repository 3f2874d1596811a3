#!/usr/bin/env python3
"""End-to-end tests of notification delivery in `lachan serve`: usage: notify_e2e.py BINARY SOURCE_DIR

The real server with a real SMTP server (aiosmtpd, tests/unit/notify/smtp_sink.py), a webhook
receiver that checks the HMAC signature (500 twice, then 200), one that always fails (dead, then
replayed), a Web Push endpoint that checks VAPID and decrypts the message (RFC 8291), the live
stream (SSE, resumed with Last-Event-ID), tenancy, and a kill -9 in the middle of deliveries
(each notification reaches the receiver once by its X-Lachan-Delivery id). Warnings are raised
by intelligence matches (a STIX indicator per test, a DNS event that hits it)."""
import base64, email, email.header, hashlib, hmac, http.client, http.server, json, os, signal, socket, subprocess
import sys, tempfile, threading, time, traceback, urllib.parse

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import intel_e2e as h  # noqa: E402  the server helpers: cli, req, key, send, poll, check, validate

from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, utils  # noqa: E402
from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402

BIN, SRC = h.BIN, h.SRC
A, B, NC = h.A, h.B, h.NC
S = h.S
check, poll, req, key = h.check, h.poll, h.req, h.key
SECRET = "whsec-0123456789abcdef"
TLP_GREEN = h.TLP_GREEN


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def unb64u(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


# ---------------------------------------------------------------- receivers

class Receiver:
    """Webhooks and the push endpoint, recorded per path."""

    def __init__(self):
        self.lock = threading.Lock()
        self.got = []            # (path, headers, body, status answered)
        self.counts = {}         # (path, delivery id) -> requests seen
        self.dead_ok = False     # /dead answers 200 once set
        self.slow = 0.0          # /crash sleeps this long before answering
        self.push_key = ec.generate_private_key(ec.SECP256R1())
        self.push_auth = os.urandom(16)
        self.push_plain = []

    def push_subscription(self, base):
        pub = self.push_key.public_key().public_bytes(serialization.Encoding.X962,
                                                      serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": base + "/push/abc", "keys": {"p256dh": b64u(pub), "auth": b64u(self.push_auth)}}

    def decrypt_push(self, body):
        # RFC 8188 header, then RFC 8291 §3.4 key derivation.
        salt, rs, idlen = body[:16], int.from_bytes(body[16:20], "big"), body[20]
        as_pub = body[21:21 + idlen]
        ct = body[21 + idlen:]
        check(rs >= 18 and len(ct) <= rs, f"push record size {rs}, {len(ct)} bytes")
        peer = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), as_pub)
        secret = self.push_key.exchange(ec.ECDH(), peer)
        ua_pub = self.push_key.public_key().public_bytes(serialization.Encoding.X962,
                                                         serialization.PublicFormat.UncompressedPoint)
        prk_key = hmac.new(self.push_auth, secret, hashlib.sha256).digest()
        ikm = hmac.new(prk_key, b"WebPush: info\x00" + ua_pub + as_pub + b"\x01", hashlib.sha256).digest()
        prk = hmac.new(salt, ikm, hashlib.sha256).digest()
        cek = hmac.new(prk, b"Content-Encoding: aes128gcm\x00\x01", hashlib.sha256).digest()[:16]
        nonce = hmac.new(prk, b"Content-Encoding: nonce\x00\x01", hashlib.sha256).digest()[:12]
        plain = AESGCM(cek).decrypt(nonce, ct, None).rstrip(b"\x00")
        check(plain.endswith(b"\x02"), "push: not the last record's delimiter")
        return plain[:-1]

    def verify_vapid(self, auth, endpoint_origin):
        check(auth.startswith("vapid "), f"push Authorization: {auth}")
        parts = dict(p.strip().split("=", 1) for p in auth[6:].split(","))
        t, k = parts["t"], parts["k"]
        hd, cl, sig = t.split(".")
        claims = json.loads(unb64u(cl))
        check(claims["aud"] == endpoint_origin and claims["exp"] > time.time(), f"VAPID claims {claims}")
        pub = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64u(k))
        raw = unb64u(sig)
        der = utils.encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        pub.verify(der, (hd + "." + cl).encode(), ec.ECDSA(hashes.SHA256()))
        return k

    def answer(self, path, headers, body):
        did = headers.get("X-Lachan-Delivery", "")
        with self.lock:
            n = self.counts.get((path, did), 0) + 1
            self.counts[(path, did)] = n
            dead_ok, slow = self.dead_ok, self.slow
        if path == "/push/gone":
            return 410
        if path.startswith("/push/"):
            k = self.verify_vapid(headers.get("Authorization", ""), f"http://127.0.0.1:{S['recv_port']}")
            check(k == S.get("vapid_key", k), "VAPID key is not the one the API serves")
            self.push_plain.append(json.loads(self.decrypt_push(body)))
            return 201
        sig = headers.get("X-Lachan-Signature", "")
        fields = [p.split("=", 1) for p in sig.split(",")]
        t = next(v for k, v in fields if k == "t")
        v1 = [v for k, v in fields if k == "v1"]
        mac = hmac.new(SECRET.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()
        check(mac in v1 and abs(int(t) - time.time()) < 300, f"bad webhook signature {sig}")
        if path == "/flaky":
            return 500 if n <= 2 else 200
        if path == "/dead":
            return 200 if dead_ok else 500
        if path == "/crash":
            time.sleep(slow)
            return 200
        return 200

    def serve(self):
        rec = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    st = rec.answer(self.path, self.headers, body)
                except Exception as e:  # a check failed: answer 400, and remember it
                    print(f"receiver: {self.path}: {e}", flush=True)
                    st = 400
                with rec.lock:
                    rec.got.append((self.path, dict(self.headers), body, st))
                try:
                    self.send_response(st)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass

            def log_message(self, *a):
                pass

        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        return srv.server_address[1]

    def delivered(self, path):
        with self.lock:
            return [(hd, b) for p, hd, b, st in self.got if p == path and 200 <= st < 300]


R = Receiver()


class Sse:
    """A Server-Sent Events client on a plain socket; events collected by a thread."""

    def __init__(self, k, last_id=None, after=None):
        self.events, self.status = [], None
        self.sock = socket.create_connection((S["srv"]["host"], S["srv"]["port"]), timeout=60)
        path = "/api/v1/stream" + (f"?after={after}" if after is not None else "")
        hdr = f"GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {k}\r\nAccept: text/event-stream\r\n"
        if last_id is not None:
            hdr += f"Last-Event-ID: {last_id}\r\n"
        self.sock.sendall((hdr + "\r\n").encode())
        self.f = self.sock.makefile("rb")
        self.status = int(self.f.readline().split()[1])
        while self.f.readline() not in (b"\r\n", b"\n", b""):
            pass
        threading.Thread(target=self.read, daemon=True).start()

    def read(self):
        ev = {}
        try:
            for line in self.f:
                line = line.decode().rstrip("\r\n")
                if not line:
                    if "data" in ev:
                        self.events.append(ev)
                    ev = {}
                elif not line.startswith(":") and ":" in line:
                    k, v = line.split(":", 1)
                    ev[k] = v[1:] if v.startswith(" ") else v
        except (OSError, ValueError):
            pass

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


# ---------------------------------------------------------------- setup

def start_server():
    d = S["dir"]
    urlf = os.path.join(d, "url")
    if os.path.exists(urlf):
        os.remove(urlf)
    log = open(os.path.join(d, "serve.log"), "ab")
    p = subprocess.Popen([BIN, "serve", "--data-dir", d, "--listen", f"127.0.0.1:{S.get('port', 0)}", "--url-file", urlf,
                          "--notify-config", os.path.join(d, "notify.toml")], stdout=log, stderr=log)
    h.PROCS.append(p)
    S["proc"] = p

    def ready():
        check(p.poll() is None, f"server exited early ({p.returncode}), see {d}/serve.log")
        return os.path.exists(urlf) and open(urlf).read().splitlines()
    u = urllib.parse.urlparse(poll(ready, "url file")[0])
    S["srv"] = {"host": u.hostname, "port": u.port}
    S["port"] = u.port


def raise_warning(org, domain):
    uuid = hashlib.md5(domain.encode()).hexdigest()
    ref = f"indicator--{uuid[:8]}-{uuid[8:12]}-4{uuid[13:16]}-8{uuid[17:20]}-{uuid[20:32]}"
    st, d = h.import_stix(h.bundle(h.indicator(ref[11:], f"[domain-name:value = '{domain}']", TLP_GREEN)))
    check(st == 200 and d["added"] == 1, f"import: {st} {d}")
    poll(lambda: req("GET", f"/api/v1/intel/indicators/{ref}", key(NC, "admin"))[0] == 200, "indicator")

    def raised():
        h.send(org, [{"Computer": "ws.notify", "QueryName": domain, "EventID": 22}])
        for _ in range(10):
            w = h.intel_warnings(org, ref)
            if w:
                return w[0]
            time.sleep(0.2)
    return poll(raised, f"a warning for {domain}", 60)


def test_setup():
    d = tempfile.mkdtemp(prefix="lachan-notify-e2e-")
    S["dir"] = d
    h.cli("org", "import", "--data-dir", d, os.path.join(h.DEMO, "constituency.json"))
    S["keys"] = {(org, role): h.cli("key", "create", "--data-dir", d, "--org", org, "--role", role).stdout.strip()
                 for org in (A, B, NC) for role in ("admin", "analyst", "reporter", "viewer")}
    mail = os.path.join(d, "mail")
    os.makedirs(mail)
    smtp = subprocess.Popen(["/usr/bin/python3", os.path.join(SRC, "tests", "unit", "notify", "smtp_sink.py"), mail],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    h.PROCS.append(smtp)
    S["mail"] = mail
    smtp_port = int(smtp.stdout.readline())
    S["recv_port"] = R.serve()
    with open(os.path.join(d, "notify.toml"), "w") as f:
        f.write(f'console_url = "https://console.lachan.test"\nlanguage = "vi"\n'
                f'templates_dir = "{os.path.join(SRC, "config", "templates")}"\n'
                'retry_base_ms = 200\nretry_cap_ms = 800\nmax_attempts = 3\nlease_ms = 3000\n'
                'send_timeout_ms = 5000\n'
                f'[smtp]\nhost = "127.0.0.1"\nport = {smtp_port}\nsecurity = "none"\nfrom = "lachan@soc.test"\n')
    start_server()


def test_subscriptions_api():
    base = f"http://127.0.0.1:{S['recv_port']}"
    T = "/api/v1/subscriptions"
    bad = [{"topics": ["warnings"], "channel": "webhook", "destination": base + "/flaky"},  # no secret
           {"topics": ["warnings"], "channel": "webhook", "destination": "ftp://x/y", "secret": SECRET},
           {"topics": ["warnings"], "channel": "email", "destination": "not an address"},
           {"topics": ["warnings"], "channel": "web_push", "destination": {"endpoint": base + "/push/x"}},
           {"topics": ["gossip"], "channel": "email", "destination": "a@b.vn"},
           {"topics": ["warnings"], "channel": "email", "destination": "a@b.vn", "language": "fr"}]
    for b in bad:
        st, d = req("POST", T, key(A, "admin"), b, tmpl=T)
        check(st == 400, f"accepted {b}: {st} {d}")
    subs = {
        "email": {"topics": ["warnings"], "min_severity": "low", "channel": "email", "destination": "soc@bvhn.test"},
        "flaky": {"topics": ["warnings"], "channel": "webhook", "destination": base + "/flaky", "secret": SECRET},
        "dead": {"topics": ["warnings"], "channel": "webhook", "destination": base + "/dead", "secret": SECRET},
        "push": {"topics": ["warnings"], "channel": "web_push", "destination": R.push_subscription(base)},
        "critical": {"topics": ["warnings"], "min_severity": "critical", "channel": "webhook",
                     "destination": base + "/never", "secret": SECRET},
        "push_gone": {"topics": ["warnings"], "channel": "web_push",
                      "destination": dict(R.push_subscription(base), endpoint=base + "/push/gone")},
        "digest": {"topics": ["warnings"], "channel": "email", "destination": "digest@bvhn.test", "digest_minutes": 1},
        "email_en": {"topics": ["warnings"], "min_severity": "low", "channel": "email", "destination": "en@bvhn.test",
                     "language": "en"},
    }
    S["subs"] = {}
    for name, b in subs.items():
        st, d = req("POST", T, key(A, "admin"), b, tmpl=T)
        check(st == 201 and d["organisation"] == A and d["has_secret"] == (b["channel"] == "webhook"), f"{name}: {st} {d}")
        check("secret" not in d, "the secret is returned")
        S["subs"][name] = d["id"]
    st, d = req("POST", T, key(A, "viewer"), subs["email"], tmpl=T)
    check(st == 403, f"a viewer subscribes the organisation: {st}")
    sid = S["subs"]["critical"]
    st, d = req("GET", f"{T}/{sid}", key(A, "viewer"), tmpl=T + "/{id}")
    check(st == 200 and d["min_severity"] == "critical", f"get: {st} {d}")
    st, d = req("PUT", f"{T}/{sid}", key(A, "admin"), {"enabled": False}, tmpl=T + "/{id}")
    check(st == 200 and d["enabled"] is False, f"put: {st} {d}")
    # Tenancy: another organisation cannot read, change or list them.
    st, _ = req("GET", f"{T}/{sid}", key(B, "admin"), tmpl=T + "/{id}")
    check(st == 404, f"B reads A's subscription: {st}")
    st, _ = req("DELETE", f"{T}/{sid}", key(B, "admin"), tmpl=T + "/{id}")
    check(st == 404, f"B deletes A's subscription: {st}")
    st, d = req("GET", T, key(B, "admin"), tmpl=T)
    check(st == 200 and not [s for s in d["items"] if s["organisation"] == A], f"B lists A's: {d}")
    st, d = req("GET", T, key(A, "viewer"), tmpl=T)
    check(st == 200 and len(d["items"]) == 8, f"A lists: {st} {d}")
    langs = {x["destination"]: x["language"] for x in d["items"] if x["channel"] == "email"}
    check(langs.get("en@bvhn.test") == "en" and langs.get("soc@bvhn.test") == "", f"languages: {langs}")
    st, d = req("GET", "/api/v1/push/vapid-public-key", key(A, "viewer"), tmpl="/api/v1/push/vapid-public-key")
    check(st == 200 and len(unb64u(d["public_key"])) == 65, f"vapid key: {st} {d}")
    S["vapid_key"] = d["public_key"]
    st, d = req("GET", "/api/v1/audit?action=subscription.create", key(A, "admin"))
    check(st == 200 and len(d["items"]) >= 5, f"audit: {st} {d}")


def test_warning_delivered_everywhere():
    S["sse_a"], S["sse_b"] = Sse(key(A, "viewer"), after=0), Sse(key(B, "viewer"), after=0)
    check(S["sse_a"].status == 200 and S["sse_b"].status == 200, "stream status")
    w = raise_warning(A, "notify-one.example")
    S["w1"] = w
    # E-mail, from the Vietnamese template, with a link to the console.
    def mail(to="soc@bvhn.test"):
        for n in sorted(os.listdir(S["mail"])):
            if n.endswith(".eml"):
                m = email.message_from_bytes(open(os.path.join(S["mail"], n), "rb").read())
                subj = str(email.header.make_header(email.header.decode_header(m["Subject"])))
                if "notify-one.example" in subj and m["To"].strip("<>") == to:
                    return m, subj
    m, subj = poll(mail, "the e-mail", 30)
    check(subj.startswith("[Lachan] Cảnh báo mức high:"), f"subject: {subj}")
    # A subscription in English gets the English template (the configured default is Vietnamese).
    m_en, subj_en = poll(lambda: mail("en@bvhn.test"), "the English e-mail", 30)
    check(subj_en.startswith("[Lachan] high warning:"), f"English subject: {subj_en}")
    body_en = m_en.get_payload(decode=True).decode("utf-8")
    check("Tổ chức" not in body_en and f"/warnings/{w['id']}" in body_en, f"English body: {body_en}")
    # Its Message-ID is the notification's, the same on every attempt.
    check(m["Message-ID"] == f"<lachan.notification.{m['X-Lachan-Delivery']}@soc.test>",
          f"Message-ID {m['Message-ID']} for delivery {m['X-Lachan-Delivery']}")
    body = m.get_payload(decode=True).decode("utf-8")
    check(f"https://console.lachan.test/warnings/{w['id']}" in body and "Tổ chức" in body, f"body: {body}")
    # The flaky webhook: 500, 500, 200, each signed; the delivery log shows the three attempts.
    got = poll(lambda: R.delivered("/flaky"), "the webhook delivered", 30)
    hd, b = got[0]
    payload = json.loads(b)
    check(payload["event"] == "warning.created" and payload["data"]["id"] == w["id"], f"payload: {payload}")
    did = hd["X-Lachan-Delivery"]
    check(R.counts[("/flaky", did)] == 3, f"flaky attempts at the receiver: {R.counts}")
    def logged():
        st, d = req("GET", f"/api/v1/notifications/{did}/deliveries", key(A, "viewer"),
                    tmpl="/api/v1/notifications/{id}/deliveries")
        check(st == 200, f"log: {st} {d}")
        return len(d["items"]) == 3 and d
    d = poll(logged, "three attempts in the delivery log")
    check([x["outcome"] for x in d["items"]] == ["retry", "retry", "sent"], f"log: {d}")
    check([x["status_code"] for x in d["items"]] == [500, 500, 200], f"codes: {d}")
    st, _ = req("GET", f"/api/v1/notifications/{did}/deliveries", key(B, "admin"),
                tmpl="/api/v1/notifications/{id}/deliveries")
    check(st == 404, f"B reads A's delivery log: {st}")
    # Web Push: VAPID checked and the message decrypted by the endpoint.
    p = poll(lambda: R.push_plain, "the push message", 30)[0]
    check(p["title"] == w["title"] and p["url"].endswith(f"/warnings/{w['id']}"), f"push: {p}")
    # A push subscription its service says is gone (410) is disabled.
    poll(lambda: req("GET", f"/api/v1/subscriptions/{S['subs']['push_gone']}", key(A, "viewer"))[1]["enabled"] is False,
         "the gone push subscription disabled")
    # Below the minimum severity (and disabled): nothing.
    check(not R.delivered("/never") and not [g for g in R.got if g[0] == "/never"], "a filtered subscription got it")


def test_dead_and_replay():
    def dead():
        st, d = req("GET", "/api/v1/notifications?state=dead", key(A, "analyst"), tmpl="/api/v1/notifications")
        check(st == 200, f"list: {st} {d}")
        return [n for n in d["items"] if n["subscription"] == S["subs"]["dead"]]
    n = poll(dead, "the failing webhook dead", 30)[0]
    check(n["attempts"] == 3 and n["state"] == "dead", f"dead: {n}")
    st, d = req("GET", "/api/v1/notifications?state=dead", key(B, "admin"), tmpl="/api/v1/notifications")
    check(st == 200 and not d["items"], f"B sees A's outbox: {d}")
    st, _ = req("POST", f"/api/v1/notifications/{n['id']}/replay", key(A, "viewer"), tmpl="/api/v1/notifications/{id}/replay")
    check(st == 403, f"a viewer replays: {st}")
    st, _ = req("POST", f"/api/v1/notifications/{n['id']}/replay", key(B, "admin"), tmpl="/api/v1/notifications/{id}/replay")
    check(st == 404, f"B replays A's: {st}")
    R.dead_ok = True
    st, d = req("POST", f"/api/v1/notifications/{n['id']}/replay", key(A, "analyst"), tmpl="/api/v1/notifications/{id}/replay")
    check(st == 200 and d["state"] == "pending", f"replay: {st} {d}")
    st, d = req("POST", f"/api/v1/notifications/{n['id']}/replay", key(A, "analyst"), tmpl="/api/v1/notifications/{id}/replay")
    check(st in (200, 409), f"replay twice: {st} {d}")
    poll(lambda: R.delivered("/dead"), "the replayed webhook delivered", 30)

    def sent():
        st, d = req("GET", "/api/v1/notifications?state=sent", key(A, "analyst"), tmpl="/api/v1/notifications")
        return [x for x in d["items"] if x["id"] == n["id"]]
    poll(sent, "the replayed notification sent", 30)


def test_stream_and_resume():
    a, b = S["sse_a"], S["sse_b"]
    w = S["w1"]
    ev = poll(lambda: [e for e in a.events if json.loads(e["data"]).get("id") == w["id"]], "the warning on A's stream")[0]
    check(ev["event"] == "warning", f"event: {ev}")
    first_id = int(ev["id"])
    time.sleep(1)
    check(not [e for e in b.events if json.loads(e["data"]).get("id") == w["id"]], "B's stream shows A's warning")
    seen = [int(e["id"]) for e in a.events]
    a.close()
    # While A is away: another warning. Resuming from the last id gets it, and nothing twice.
    w2 = raise_warning(A, "notify-two.example")
    a2 = Sse(key(A, "viewer"), last_id=seen[-1])
    ev2 = poll(lambda: [e for e in a2.events if json.loads(e["data"]).get("id") == w2["id"]], "the missed warning")
    ids = [int(e["id"]) for e in a2.events]
    check(all(i > seen[-1] for i in ids) and len(ids) == len(set(ids)), f"resumed ids {ids} after {seen}")
    check(first_id not in ids and ev2, "an event repeated")
    a2.close()
    b.close()
    st, _ = req("GET", "/api/v1/stream", None)
    check(st == 401, f"anonymous stream: {st}")


def test_restart_mid_delivery():
    base = f"http://127.0.0.1:{S['recv_port']}"
    st, d = req("POST", "/api/v1/subscriptions", key(A, "admin"),
                {"topics": ["warnings"], "channel": "webhook", "destination": base + "/crash", "secret": SECRET})
    check(st == 201, f"subscribe: {st} {d}")
    sid = d["id"]
    R.slow = 2.0  # the receiver holds each delivery: the server dies with one in flight
    ws = [raise_warning(A, f"notify-crash-{i}.example") for i in range(3)]
    poll(lambda: any(k[0] == "/crash" for k in R.counts), "a delivery under way", 30)
    S["proc"].send_signal(signal.SIGKILL)
    S["proc"].wait()
    R.slow = 0.0
    start_server()

    def all_sent():
        st, d = req("GET", "/api/v1/notifications?channel=webhook&limit=500", key(A, "analyst"))
        check(st == 200, f"list: {st} {d}")
        mine = [n for n in d["items"] if n["subscription"] == sid]
        return len(mine) == 3 and all(n["state"] == "sent" for n in mine) and mine
    mine = poll(all_sent, "the three notifications sent after the restart", 60)
    got = R.delivered("/crash")
    ids = {hd["X-Lachan-Delivery"] for hd, _ in got}
    refs = {json.loads(b)["ref"] for _, b in got}
    # A delivery repeated after the crash carries the same id (the receiver drops the repeat):
    # by id, each warning reached the receiver exactly once, and none was lost.
    check(ids == {str(n["id"]) for n in mine}, f"delivery ids {ids} vs {[n['id'] for n in mine]}")
    check(refs == {f"warning:{w['id']}" for w in ws}, f"refs {refs}")
    by_ref = {}
    for hd, b in got:
        by_ref.setdefault(json.loads(b)["ref"], set()).add(hd["X-Lachan-Delivery"])
    check(all(len(v) == 1 for v in by_ref.values()), f"a warning delivered under two ids: {by_ref}")
    # The one in flight at the kill was sent again once its lease ran out (at least once).
    check(len(got) > len(ids), f"no delivery was repeated: {len(got)} for {len(ids)}; was one in flight at the kill?")


def test_openapi():
    h.test_openapi()


def test_digest():
    # Every warning so far, for the digest subscription: due together at the end of its minute,
    # sent as one message per period (the test may straddle two).
    def digests():
        out = []
        for n in sorted(os.listdir(S["mail"])):
            if n.endswith(".json") and json.load(open(os.path.join(S["mail"], n)))["rcpt_tos"] == ["digest@bvhn.test"]:
                m = email.message_from_bytes(open(os.path.join(S["mail"], n[:-5] + ".eml"), "rb").read())
                out.append((str(email.header.make_header(email.header.decode_header(m["Subject"]))),
                            m.get_payload(decode=True).decode("utf-8")))
        total = sum(int(subj.split()[3]) for subj, _ in out if subj.startswith("[Lachan] Tổng hợp "))
        return total >= 5 and out
    out = poll(digests, "the digest e-mails", 130)
    check(len(out) <= 3, f"{len(out)} digests for 5 warnings")
    check(all("https://console.lachan.test/warnings/" in body for _, body in out), f"digest: {out}")


def test_clean_stop_with_an_open_stream():
    sse = Sse(key(A, "viewer"))
    check(sse.status == 200, f"stream: {sse.status}")
    t0 = time.time()
    S["proc"].send_signal(signal.SIGTERM)
    rc = S["proc"].wait(timeout=30)
    check(rc == 0 and time.time() - t0 < 10, f"stop: rc {rc} after {time.time() - t0:.1f}s")
    log = open(os.path.join(S["dir"], "serve.log")).read()
    check("stopped cleanly" in log, "no clean stop in the log")
    sse.close()


def test_stream_pruned_and_reset():
    # Restarted with a 30 s retention: the first events (minutes old) are pruned when the
    # dispatcher starts. A client resuming from event 1 is told to reload, then gets what is new.
    with open(os.path.join(S["dir"], "notify.toml")) as f:
        conf = f.read()
    with open(os.path.join(S["dir"], "notify.toml"), "w") as f:
        f.write("stream_retention_s = 30\n" + conf)
    S["proc"].terminate()
    S["proc"].wait(20)
    start_server()
    w = raise_warning(A, "notify-after-prune.example")
    sse = Sse(key(A, "viewer"), last_id=1)
    try:
        check(sse.status == 200, f"stream: {sse.status}")
        poll(lambda: any(e.get("event") == "warning" and json.loads(e["data"]).get("id") == w["id"] for e in sse.events),
             "the new warning on the resumed stream", 30)
        check(sse.events[0].get("event") == "reset" and json.loads(sse.events[0]["data"])["first_kept"] > 2,
              f"first event: {sse.events[:2]}")
        check(sum(e.get("event") == "reset" for e in sse.events) == 1, "one reset")
    finally:
        sse.close()
    # A client that is up to date gets no reset.
    last = max(int(e["id"]) for e in sse.events if "id" in e)
    sse2 = Sse(key(A, "viewer"), last_id=last)
    try:
        check(sse2.status == 200, f"stream: {sse2.status}")
        w2 = raise_warning(A, "notify-after-prune-2.example")
        poll(lambda: any(json.loads(e["data"]).get("id") == w2["id"] for e in sse2.events), "the next warning", 30)
        check(all(e.get("event") != "reset" for e in sse2.events), f"no reset: {sse2.events}")
    finally:
        sse2.close()


TESTS = [test_setup, test_subscriptions_api, test_warning_delivered_everywhere, test_dead_and_replay,
         test_stream_and_resume, test_restart_mid_delivery, test_openapi, test_digest,
         test_stream_pruned_and_reset, test_clean_stop_with_an_open_stream]


def main():
    h.TESTS[:] = TESTS
    h.main()


if __name__ == "__main__":
    main()
