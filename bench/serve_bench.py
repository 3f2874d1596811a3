#!/usr/bin/env python3
"""Ingest benchmark of `lachan serve`: serve_bench.py BINARY SOURCE_DIR [--seconds 20] [--clients 4] [--events FILE]

--events: the Windows events (evtx_dump JSON lines) sent in the throughput part; default the demo's
windows-endpoints.jsonl, where every event fires a rule (the worst case for the warning stage).
../shared/data/logs/windows/evtx-attack-samples.jsonl gives a mix closer to real telemetry."""
import argparse, copy, shutil, http.client, json, multiprocessing as mp, os, re, signal, socket, subprocess, sys, tempfile, time, urllib.parse

ORG = "bvhn-nghe-an"


def cli(binary, *args):
    return subprocess.run([binary, *args], capture_output=True, text=True, check=True, timeout=60).stdout.strip()


def start(binary, data, extra=()):
    urlf = os.path.join(data, f"url-{time.time_ns()}")
    log = open(os.path.join(data, "serve.log"), "ab")
    p = subprocess.Popen([binary, "serve", "--data-dir", data, "--listen", "127.0.0.1:0", "--url-file", urlf, *extra],
                         stdout=log, stderr=log)
    end = time.time() + 20
    while not (os.path.exists(urlf) and open(urlf).read().strip()):
        if p.poll() is not None or time.time() > end:
            raise SystemExit(f"server did not start, see {data}/serve.log")
        time.sleep(0.1)
    time.sleep(0.1)
    lines = open(urlf).read().splitlines()
    info = {"proc": p, "url": lines[0]}
    for l in lines[1:]:
        k, _, v = l.partition("=")
        info[k] = int(v)
    u = urllib.parse.urlparse(lines[0])
    info["host"], info["port"] = u.hostname, u.port
    return info


def conn(host, port):
    return http.client.HTTPConnection(host, port, timeout=60)


def call(c, method, path, key=None, body=None):
    h = {"Authorization": "Bearer " + key} if key else {}
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    return r.status, r.read()


def metrics(host, port):
    c = conn(host, port)
    _, raw = call(c, "GET", "/metrics")
    c.close()
    out = {}
    for line in raw.decode().splitlines():
        m = re.match(r'^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?)\s+([0-9.eE+-]+|NaN)$', line)
        if m:
            out[m.group(1)] = float(m.group(2))
    return out


def msum(m, name, label=None):
    return sum(v for k, v in m.items() if (k == name or k.startswith(name + "{")) and (label is None or label in k))


def records(path, limit=16000):
    out = []
    with open(path) as f:
        for l in f:
            if l.strip():
                r = json.loads(l)
                if isinstance(r.get("Event", {}).get("System"), dict):
                    out.append(r)
                    if len(out) >= limit:
                        break
    return out


def with_host(rec, host):
    r = copy.deepcopy(rec)
    r["Event"]["System"]["Computer"] = host
    return json.dumps(r)


def build_bodies(recs, tag, n_bodies=8, per=1000):
    bodies = []
    for b in range(n_bodies):
        lines = [with_host(recs[(b * per + i) % len(recs)], f"{tag}-{b}-{i % 50}.corp.local") for i in range(per)]
        bodies.append(("\n".join(lines) + "\n").encode())
    return bodies


def http_client(host, port, key, bodies, seconds, rate, q):
    """POST bodies in a loop for `seconds`; rate = batches/s (0 = as fast as possible)."""
    c = conn(host, port)
    accepted = rejected = errors = 0
    t0 = time.time()
    i = 0
    while time.time() - t0 < seconds:
        if rate:
            due = t0 + i / rate
            if due > time.time():
                time.sleep(due - time.time())
        try:
            st, raw = call(c, "POST", "/api/v1/events?source=windows", key, bodies[i % len(bodies)])
            if st == 200:
                d = json.loads(raw)
                accepted += d["accepted"]
                rejected += d["rejected"]
            else:
                errors += 1
        except (OSError, http.client.HTTPException):
            errors += 1
            c.close()
            c = conn(host, port)
        i += 1
    q.put((accepted, rejected, errors, time.time() - t0))


def syslog_client(port, seconds, q):
    s = socket.create_connection(("127.0.0.1", port))
    chunk = b"".join(b"<38>1 2024-04-08T04:00:%02dZ bench%d sshd %d - - Failed password for alice from 192.0.2.33 port %d ssh2\n"
                     % (i % 60, i % 100, 30000 + i, 40000 + i) for i in range(1000))
    sent, t0 = 0, time.time()
    while time.time() - t0 < seconds:
        s.sendall(chunk)
        sent += 1000
    s.close()
    q.put((sent, time.time() - t0))


def wait_pipeline(host, port, target, timeout=120):
    t0 = time.time()
    last = 0
    while time.time() - t0 < timeout:
        last = msum(metrics(host, port), "lachan_pipeline_events_total")
        if last >= target:
            return last, time.time()
        time.sleep(0.2)
    return last, None


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] if xs else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("source_dir")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--events", help="evtx_dump JSON lines for the throughput part (default: the demo's)")
    ap.add_argument("--keep", action="store_true", help="keep the server's data dir (removed by default: gigabytes)")
    a = ap.parse_args()
    binary, src = os.path.abspath(a.binary), os.path.abspath(a.source_dir)
    data = tempfile.mkdtemp(prefix="lachan-bench-")
    cli(binary, "org", "import", "--data-dir", data, os.path.join(src, "demo", "constituency.json"))
    key = cli(binary, "key", "create", "--data-dir", data, "--org", ORG, "--role", "reporter")
    admin = cli(binary, "key", "create", "--data-dir", data, "--org", "ncsc", "--role", "admin")
    cfg = os.path.join(data, "serve.toml")
    open(cfg, "w").write('[[syslog_source]]\nnetwork = "127.0.0.0/8"\norg = "cong-dvc-da-nang"\n')
    srv = start(binary, data, ["--config", cfg, "--syslog-tcp", "0", "--rules", os.path.join(src, "rules")])
    H, P = srv["host"], srv["port"]
    demo_recs = records(os.path.join(src, "demo", "windows-endpoints.jsonl"))
    recs = records(a.events) if a.events else demo_recs
    summary = []
    try:
        # ---- part 1: HTTP ingest throughput
        q = mp.Queue()
        m0 = metrics(H, P)
        p0 = msum(m0, "lachan_pipeline_events_total")
        d0 = msum(m0, "lachan_detections_total")
        procs = [mp.Process(target=http_client, args=(H, P, key, build_bodies(recs, f"c{i}"), a.seconds, 0, q))
                 for i in range(a.clients)]
        t0 = time.time()
        for p in procs:
            p.start()
        res = [q.get() for _ in procs]
        for p in procs:
            p.join()
        t1 = time.time()
        acc = sum(r[0] for r in res)
        rej = sum(r[1] for r in res)
        err = sum(r[2] for r in res)
        wall = max(r[3] for r in res)
        p_end = msum(metrics(H, P), "lachan_pipeline_events_total") - p0
        done, t_done = wait_pipeline(H, P, p0 + acc)
        fired = msum(metrics(H, P), "lachan_detections_total") - d0
        summary.append(f"HTTP ingest: {a.clients} clients x {a.seconds:g}s, 1,000-event bodies of "
                       f"{os.path.basename(a.events) if a.events else 'demo windows-endpoints.jsonl'} "
                       f"({len(recs):,} distinct events; {fired / max(done - p0, 1):.2f} detections per event)")
        summary.append(f"  accepted {acc:,} ({acc / wall:,.0f} events/s), rejected {rej}, failed requests {err}")
        summary.append(f"  pipeline processed {p_end:,.0f} by the end of the run ({p_end / (t1 - t0):,.0f}/s, "
                       f"{'kept up' if p_end >= 0.95 * acc else f'lag {acc - p_end:,.0f} events'})")
        if t_done:
            summary.append(f"  pipeline caught up {t_done - t1:.1f}s after the run: {acc / (t_done - t0):,.0f} processed events/s overall")
        else:
            summary.append(f"  pipeline did NOT catch up within 120 s ({done - p0:,.0f}/{acc:,})")

        # ---- part 2: latency under 10,000 events/s
        lat_s = 15.0
        bg = mp.Process(target=http_client, args=(H, P, key, build_bodies(recs, "bg"), lat_s, 10, q))
        bg.start()
        probe_rec, probe_rule = None, None
        for r in demo_recs:  # a record that fires a rule on its own (checked offline with `lachan scan`)
            pf = os.path.join(data, "probe.jsonl")
            open(pf, "w").write(json.dumps(r) + "\n")
            out = subprocess.run([binary, "scan", "--rules", os.path.join(src, "rules"), "--format", "jsonl", pf],
                                 capture_output=True, text=True).stdout.strip()
            if out:
                probe_rec, probe_rule = r, json.loads(out.splitlines()[0])["rule"]["id"]
                break
        c = conn(H, P)
        lats, missing = [], 0
        t_start = time.time()
        n = 0
        while time.time() - t_start < lat_s:
            due = t_start + n * 0.2
            if due > time.time():
                time.sleep(due - time.time())
            host = f"probe{n}-{time.time_ns()}.corp.local"
            sent_at = time.time()
            st, _ = call(c, "POST", "/api/v1/events?source=windows", key, (with_host(probe_rec, host) + "\n").encode())
            found = False
            while time.time() - sent_at < 10:
                # The probe's warning: its rule, newest first, with the probe's unique host as entity.
                st, raw = call(c, "GET", "/api/v1/warnings?sort=id&order=desc&limit=500&rule=" +
                               urllib.parse.quote(probe_rule), admin)
                if st == 200 and any(e["type"] == "host" and e["value"] == host
                                     for w in json.loads(raw)["items"] for e in w["entities"]):
                    found = True
                    break
                time.sleep(0.005)
            if found:
                lats.append(time.time() - sent_at)
            else:
                missing += 1
            n += 1
        bgres = q.get()
        bg.join()
        summary.append(f"Latency at ~10,000 events/s ({bgres[0] / bgres[3]:,.0f} events/s accepted in the background): "
                       f"{len(lats)} probes, p50 {pct(lats, 50) * 1000:.0f} ms, p99 {pct(lats, 99) * 1000:.0f} ms, "
                       f"max {max(lats, default=float('nan')) * 1000:.0f} ms (probe sent -> warning readable), "
                       f"{missing} not seen within 10 s")
        # ---- part 3: syslog TCP
        r0 = msum(metrics(H, P), "lachan_events_received_total", 'source="syslog"')
        sp = mp.Process(target=syslog_client, args=(srv["syslog_tcp"], a.seconds, q))
        sp.start()
        sent, swall = q.get()
        sp.join()
        time.sleep(1.0)  # let the listener finish reading what is in the socket buffers
        r1 = msum(metrics(H, P), "lachan_events_received_total", 'source="syslog"')
        summary.append(f"Syslog TCP: 1 connection x {a.seconds:g}s: sent {sent:,} lines ({sent / swall:,.0f}/s), "
                       f"received {r1 - r0:,.0f} ({(r1 - r0) / swall:,.0f} lines/s)")

    finally:
        srv["proc"].send_signal(signal.SIGTERM)
        try:
            srv["proc"].wait(20)
        except subprocess.TimeoutExpired:
            srv["proc"].kill()
        if a.keep:
            print(f"data dir kept: {data}")
        else:
            shutil.rmtree(data, ignore_errors=True)
    print("\n".join(["== lachan serve benchmark =="] + summary))


if __name__ == "__main__":
    main()
