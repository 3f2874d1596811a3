#!/usr/bin/env python3
"""End-to-end tests of `lachan mail-in`: usage: mail_in_e2e.py BINARY SOURCE_DIR

Real-world-like messages (multipart with a base64 attachment and quoted-printable Vietnamese,
windows-1258 from Outlook Express, an Outlook reply with a .docx) piped to the real binary as an
MTA's pipe transport would: a new message becomes an incident, a reply naming it a comment,
attachments evidence; the same Message-ID twice is one incident; unknown senders (67), garbage
(65), oversized messages (65) and a reply to an incident the sender may not see (77) are refused.
What was stored is then read back through `lachan serve`'s API."""
import email.policy, hashlib, json, os, re, subprocess, sys, tempfile, time, traceback, urllib.request
from email.message import EmailMessage
from email.header import Header
from lachan_e2e import check, poll

BIN, SRC = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
DEMO = os.path.join(SRC, "demo")
MAIL = os.path.join(SRC, "tests", "unit", "notify", "mail")
A, B, NC = "bvhn-nghe-an", "cong-dvc-da-nang", "ncsc"
A_MAIL, A_MAIL2, B_MAIL = "nam.nt@bvhnna.vn", "Quan.LQ@bvhnna.vn", "an.nt@dichvucong.danang.gov.vn"
EX_DATAERR, EX_NOUSER, EX_NOPERM = 65, 67, 77
S, PROCS = {}, []


def cli(*args):
    r = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=120)
    check(r.returncode == 0, f"lachan {' '.join(args)} failed: {r.stderr}")
    return r.stdout


def mail_in(data, *extra):
    r = subprocess.run([BIN, "mail-in", "--data-dir", S["dir"], *extra], input=data, capture_output=True, timeout=120)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def api(path, org=NC):
    rq = urllib.request.Request(S["url"] + path, headers={"Authorization": "Bearer " + S["keys"][org]})
    try:
        with urllib.request.urlopen(rq, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, None


def eml(name):
    return open(os.path.join(MAIL, name), "rb").read()


def replace_header(raw, name, value):
    """Replaces a (possibly folded) header of a raw message with `value` (bytes, already encoded)."""
    nl = b"\r\n" if raw.find(b"\r\n") == raw.find(b"\n") - 1 else b"\n"
    head, sep, body = raw.partition(nl + nl)
    lines, out, skip = head.split(nl), [], False
    for ln in lines:
        if skip and ln[:1] in (b" ", b"\t"):
            continue
        skip = ln.lower().startswith(name.lower().encode() + b":")
        if skip:
            out.append(name.encode() + b": " + value)
        else:
            out.append(ln)
    return nl.join(out) + sep + body


TITLE = "Mã độc tống tiền trên máy chủ HIS"
TEXT = "Kính gửi Trung tâm,\nMáy chủ HIS bị mã hoá lúc 07:15; địa chỉ 203.0.113.7 đã bị chặn.\nNgười báo cáo: Nguyễn Thành Nam\n"
PDF = b"%PDF-1.4\n% ransom note\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"


def new_report(msgid="<report-1@bvhnna.vn>", sender=A_MAIL):
    m = EmailMessage(policy=email.policy.SMTP)
    m["From"] = str(Header("Nguyễn Thành Nam", "utf-8")) + f" <{sender}>"
    m["To"] = "canhbao@ncsc.gov.vn"
    m["Subject"] = TITLE
    m["Date"] = "Mon, 30 Nov 2026 07:30:00 +0700"
    m["Message-ID"] = msgid
    m.set_content(TEXT, charset="utf-8", cte="quoted-printable")
    m.add_attachment(PDF, maintype="application", subtype="pdf", filename="Thư tống tiền.pdf")
    data = m.as_bytes()
    check(b"quoted-printable" in data and b"base64" in data, "the test message is QP + base64")
    return data


# ---------------------------------------------------------------- tests

def test_setup():
    d = tempfile.mkdtemp(prefix="lachan-mail-in-e2e-")
    S["dir"] = d
    cli("org", "import", "--data-dir", d, os.path.join(DEMO, "constituency.json"))
    S["keys"] = {o: cli("key", "create", "--data-dir", d, "--org", o, "--role", "analyst").strip() for o in (A, B, NC)}


def test_new_report():
    rc, out, err = mail_in(new_report())
    check(rc == 0, f"exit {rc}: {err}")
    check(re.fullmatch(r"LC-\d{4}-\d{6}\n", out), f"stdout: {out!r}")
    S["ref1"] = out.strip()


def test_same_message_id_twice():
    rc, out, err = mail_in(new_report())
    check(rc == 0 and out.strip() == S["ref1"], f"redelivery: exit {rc} {out!r} {err}")


def test_windows1258():
    raw = replace_header(eml("windows1258_plain.eml"), "From", f"=?windows-1258?B?TOogVGhp8iBI9MxuZyBOaHVuZw==?= <{A_MAIL2}>".encode())
    rc, out, err = mail_in(raw)
    check(rc == 0, f"exit {rc}: {err}")
    S["ref2"] = out.strip()
    check(S["ref2"] != S["ref1"], "a second incident")


def test_reply_with_attachment():
    raw = eml("outlook_alternative_attachment.eml")
    raw = replace_header(raw, "From", f"=?utf-8?B?Tmd1eeG7hW4gVsSDbiBBbg==?= <{A_MAIL2}>".encode())
    raw = replace_header(raw, "Subject", Header(f"RE: [{S['ref1']}] Cảnh báo an ninh mạng", "utf-8").encode().encode())
    rc, out, err = mail_in(raw)
    check(rc == 0 and out.strip() == S["ref1"], f"reply: exit {rc} {out!r} {err}")
    # The attachment's decoded bytes, for the evidence check.
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    att = [p for p in msg.iter_attachments()]
    check(len(att) == 1, f"attachments in the fixture: {len(att)}")
    S["docx_sha"] = hashlib.sha256(att[0].get_content()).hexdigest()
    # Delivered again: no second comment.
    rc, out, err = mail_in(raw)
    check(rc == 0 and out.strip() == S["ref1"], f"reply redelivered: exit {rc} {out!r} {err}")


def test_refusals():
    rc, out, err = mail_in(new_report(msgid="<x@evil.example>", sender="mallory@evil.example"))
    check(rc == EX_NOUSER and out == "" and "unknown sender" in err and err.count("\n") == 1, f"unknown: {rc} {err!r}")
    for name in ("broken_not_a_message.eml", "broken_no_from.eml"):
        rc, out, err = mail_in(eml(name))
        check(rc == EX_DATAERR and "malformed" in err, f"{name}: {rc} {err!r}")
    rc, out, err = mail_in(b"")
    check(rc == EX_DATAERR, f"empty: {rc} {err!r}")
    rc, out, err = mail_in(new_report(msgid="<big@bvhnna.vn>"), "--max-bytes", "1000")
    check(rc == EX_DATAERR and "too large" in err, f"oversized: {rc} {err!r}")
    # B may not see A's incident: neither comment on it nor learn that it exists.
    m = EmailMessage(policy=email.policy.SMTP)
    m["From"], m["To"], m["Message-ID"] = B_MAIL, "canhbao@ncsc.gov.vn", "<b-reply@danang>"
    m["Subject"] = f"Re: [{S['ref1']}] hello"
    m.set_content("Chúng tôi cũng bị.")
    rc, out, err = mail_in(m.as_bytes())
    check(rc == EX_NOPERM and S["ref1"] in err, f"other org: {rc} {err!r}")
    m.replace_header("Subject", "Re: [LC-2026-999999] hello")
    m.replace_header("Message-ID", "<b-reply-2@danang>")
    rc, out, err = mail_in(m.as_bytes())
    check(rc == EX_NOPERM, f"unknown ref: {rc} {err!r}")


def start_serve():
    d = S["dir"]
    urlf = os.path.join(d, "url")
    if os.path.exists(urlf):
        os.remove(urlf)
    log = open(os.path.join(d, "serve.log"), "ab")
    p = subprocess.Popen([BIN, "serve", "--data-dir", d, "--listen", "127.0.0.1:0", "--url-file", urlf],
                         stdout=log, stderr=log)
    PROCS.append(p)
    end = time.time() + 60
    while not (os.path.exists(urlf) and open(urlf).read().strip()):
        check(p.poll() is None and time.time() < end, f"server not up, see {d}/serve.log")
        time.sleep(0.1)
    S["url"] = open(urlf).read().splitlines()[0].rstrip("/")


def test_read_back_through_serve():
    d = S["dir"]
    start_serve()
    st, page = api("/api/v1/incidents?limit=100")
    check(st == 200, f"list: {st}")
    items = page["items"]
    check(len(items) == 2, f"two incidents (one per Message-ID): {[i['ref'] for i in items]}")
    i1 = next(i for i in items if i["ref"] == S["ref1"])
    check(i1["title"] == TITLE and i1["description"].strip() == TEXT.strip(), f"decoded Vietnamese: {i1['title']!r} {i1['description']!r}")
    check(i1["affected_orgs"] == [A] and i1["team"] == A and i1["source"] == "email" and i1["severity"] == "medium"
          and i1["tlp"] == "amber" and i1["category"] == "other:other" and i1["reported_by"] == "mail:" + A_MAIL,
          f"incident: {i1}")
    i2 = next(i for i in items if i["ref"] == S["ref2"])
    check(i2["title"] == "Báo cáo xử lý sự cố mã độc" and "Lê Thị Hồng Nhung" in i2["description"], f"windows-1258: {i2}")

    st, ev = api(f"/api/v1/incidents/{i1['id']}/evidence", A)
    check(st == 200, f"evidence: {st}")
    shas = {e["sha256"]: e for e in ev["items"]}
    check(len(ev["items"]) == 2, f"two evidence files: {ev['items']}")
    pdf = shas.get(hashlib.sha256(PDF).hexdigest())
    check(pdf and pdf["name"] == "Thư tống tiền.pdf" and pdf["size"] == len(PDF), f"pdf evidence: {ev['items']}")
    check(S["docx_sha"] in shas, "the reply's attachment is evidence")
    for sha in shas:
        f = os.path.join(d, "evidence", sha[:2], sha)
        check(os.path.exists(f) and hashlib.sha256(open(f, "rb").read()).hexdigest() == sha, f"file {f}")
    st, cust = api(f"/api/v1/evidence/{pdf['id']}/custody", A)
    check(st == 200 and cust["items"][0]["remote"] == "mail:report-1@bvhnna.vn", f"custody: {cust}")

    st, tl = api(f"/api/v1/incidents/{i1['id']}/timeline", A)
    comments = [t for t in tl["items"] if t["kind"] == "comment"]
    check(len(comments) == 1 and comments[0]["author"] == "mail:" + A_MAIL2.lower() and A_MAIL2.lower() in comments[0]["body"],
          f"one comment from the reply: {comments}")
    check(api(f"/api/v1/incidents/{i1['id']}", B)[0] == 404, "B does not see A's incident")
    st, audit = api("/api/v1/audit?limit=200")
    check(st == 200, f"audit: {st}")
    actions = [e.get("action") for e in audit.get("items", [])]
    check("mail.report" in actions and "mail.comment" in actions and "mail.refused" in actions, f"audit: {actions}")


def test_report_while_serving_is_notified():
    # A's subscription to incidents (a webhook nobody answers: the outbox keeps what is due).
    body = json.dumps({"topics": ["incidents"], "channel": "webhook", "destination": "http://127.0.0.1:9/hook",
                       "secret": "0123456789abcdef-secret"}).encode()
    rq = urllib.request.Request(S["url"] + "/api/v1/subscriptions", data=body, method="POST",
                                headers={"Authorization": "Bearer " + S["keys"][A], "Content-Type": "application/json"})
    with urllib.request.urlopen(rq, timeout=30) as r:
        check(r.status == 201, f"subscription: {r.status}")
        sub = json.loads(r.read())
    # mail-in beside the running server, on the same store.
    rc, out, err = mail_in(new_report(msgid="<report-3@bvhnna.vn>"))
    check(rc == 0 and "not notified" not in err, f"exit {rc}: {err}")
    st, page = api(f"/api/v1/incidents?ref={out.strip()}", A)
    check(st == 200 and len(page["items"]) == 1, f"the new incident: {st} {page}")
    want = f"incident:{page['items'][0]['id']}:incident.created:sub:{sub['id']}"

    def queued():
        st, d = api("/api/v1/notifications?limit=200", A)
        check(st == 200, f"notifications: {st}")
        return [n for n in d["items"] if n["dedup_key"] == want]
    check(len(poll(queued, "the e-mailed incident in A's outbox", deadline=20)) == 1, "queued once")


def test_report_while_down_is_notified_at_start():
    """An incident recorded while no server runs, and not notified then, is published when the
    server starts (the notifier catches up on incidents changed after its checkpoint), once."""
    d = S["dir"]
    for p in PROCS:
        p.terminate()
        p.wait(30)
    PROCS.clear()
    # mail-in whose notify settings are broken: the report is recorded, subscribers not told.
    bad = os.path.join(d, "bad-notify.toml")
    with open(bad, "w") as f:
        f.write('language = "fr"\n')
    conf = os.path.join(d, "serve.toml")
    with open(conf, "w") as f:
        f.write(f'data_dir = "{d}"\nnotify_config = "{bad}"\n')
    rc, out, err = mail_in(new_report(msgid="<report-4@bvhnna.vn>"), "--config", conf)
    check(rc == 0 and "not notified" in err, f"exit {rc}: {err}")
    ref = out.strip()
    start_serve()
    st, page = api(f"/api/v1/incidents?ref={ref}", A)
    check(st == 200 and len(page["items"]) == 1, f"the new incident: {st} {page}")
    iid = page["items"][0]["id"]
    st, subs = api("/api/v1/subscriptions", A)
    sid = [x for x in subs["items"] if "incidents" in x["topics"]][0]["id"]

    def queued(key):
        st, d = api("/api/v1/notifications?limit=200", A)
        check(st == 200, f"notifications: {st}")
        return [n for n in d["items"] if n["dedup_key"] == key]
    check(len(poll(lambda: queued(f"incident:{iid}:incident.created:sub:{sid}"), "the report made while down, queued",
                   deadline=20)) == 1, "queued once")
    # The one notified while serving (test_report_while_serving_is_notified) is not queued again.
    st, d = api("/api/v1/notifications?limit=200", A)
    created = [n["dedup_key"] for n in d["items"] if n["dedup_key"].endswith(f":incident.created:sub:{sid}")]
    check(len(created) == len(set(created)) == 2, f"each report queued once: {created}")


def test_same_message_at_once():
    """An MTA that retries while the first delivery still runs: four deliveries of one message at
    the same time make one incident, and each answers with its reference."""
    before = api("/api/v1/incidents?limit=200")[1]["items"]
    data = new_report(msgid="<report-5@bvhnna.vn>")
    procs = [subprocess.Popen([BIN, "mail-in", "--data-dir", S["dir"]], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for _ in range(4)]
    outs = [p.communicate(data, timeout=120) for p in procs]
    refs = {o.decode().strip() for o, _ in outs}
    check(all(p.returncode == 0 for p in procs), f"exits {[p.returncode for p in procs]}: {[e for _, e in outs]}")
    check(len(refs) == 1, f"one reference for all four: {refs}")
    after = api("/api/v1/incidents?limit=200")[1]["items"]
    check(len(after) == len(before) + 1, f"one incident more: {len(before)} -> {len(after)}")


def main():
    failed = 0
    try:
        for name, fn in [(k, v) for k, v in globals().items() if k.startswith("test_")]:
            try:
                fn()
                print(f"ok   {name}")
            except Exception:
                failed += 1
                print(f"FAIL {name}")
                traceback.print_exc()
                if name == "test_setup":
                    break
    finally:
        for p in PROCS:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
    print(f"{failed} failed" if failed else "all passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
