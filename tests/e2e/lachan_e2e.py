"""What every end-to-end script shares: assertions, bounded polling, the OpenAPI check of real
answers, and the runner that stops the servers it started (kill -9 only when they do not stop)."""
import json, shutil, subprocess, time, traceback


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def poll(fn, what, deadline=30.0):
    """fn() until it is truthy (returned), or AssertionError after `deadline` seconds."""
    end = time.time() + deadline
    while True:
        v = fn()
        if v:
            return v
        if time.time() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def resolve(doc, node):
    while isinstance(node, dict) and "$ref" in node:
        cur = doc
        for part in node["$ref"].lstrip("#/").split("/"):
            cur = cur[part]
        node = cur
    return node


def validate(doc, schema, v, where):
    """v against an OpenAPI schema: types, enums, required and nested properties, items."""
    schema = resolve(doc, schema)
    t = schema.get("type")
    if t is not None:
        ok = {"string": lambda x: isinstance(x, str), "integer": lambda x: isinstance(x, int) and not isinstance(x, bool),
              "number": lambda x: isinstance(x, (int, float)) and not isinstance(x, bool),
              "boolean": lambda x: isinstance(x, bool), "array": lambda x: isinstance(x, list),
              "object": lambda x: isinstance(x, dict), "null": lambda x: x is None}
        check(any(ok[x](v) for x in (t if isinstance(t, list) else [t])), f"{where}: {json.dumps(v)[:120]} is not {t}")
    if "enum" in schema:
        check(v in schema["enum"], f"{where}: {v!r} not in {schema['enum']}")
    if isinstance(v, dict):
        for r in schema.get("required", []):
            check(r in v, f"{where}: missing required {r!r}")
        for name, sub in schema.get("properties", {}).items():
            if name in v:
                validate(doc, sub, v[name], f"{where}.{name}")
    if isinstance(v, list) and "items" in schema:
        for i, x in enumerate(v):
            validate(doc, schema["items"], x, f"{where}[{i}]")


def check_answers_documented(doc, seen, at_least):
    """Every (path template, method, status, JSON body) seen is documented, and its body conforms."""
    n = 0
    for tmpl, method, status, body in seen:
        op = doc["paths"].get(tmpl, {}).get(method)
        check(op is not None, f"{method.upper()} {tmpl} not documented")
        resp = op["responses"].get(str(status))
        check(resp is not None, f"{method.upper()} {tmpl} answered {status}, not documented")
        sch = resolve(doc, resp).get("content", {}).get("application/json", {}).get("schema")
        if sch is not None and body is not None:
            validate(doc, sch, body, f"{method.upper()} {tmpl} {status}")
            n += 1
    check(n >= at_least, f"only {n} responses validated")
    return n


def run(tests, procs, data_dir, stop_after=(), clean=True, grace=20):
    """Runs the tests in order (a failure in one of stop_after ends the run), then stops procs;
    the data dir is removed after a clean run and kept after a failure. Returns the exit status."""
    failed = []
    try:
        for t in tests:
            t0 = time.time()
            try:
                t()
                print(f"PASS {t.__name__} ({time.time() - t0:.1f}s)", flush=True)
            except Exception as e:
                print(f"FAIL {t.__name__}: {e}", flush=True)
                if not isinstance(e, AssertionError):
                    traceback.print_exc()
                failed.append(t.__name__)
                if t in stop_after:
                    break
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=grace)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
    print(f"{len(tests) - len(failed)}/{len(tests)} passed" + (f"; failed: {', '.join(failed)}" if failed else ""))
    d = data_dir()
    if failed:
        print(f"data dir kept for inspection: {d}")
    elif clean and d:
        shutil.rmtree(d, ignore_errors=True)
    return 1 if failed else 0
