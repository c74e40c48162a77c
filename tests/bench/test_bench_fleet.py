#!/usr/bin/env python3
"""TAP tests of the fleet benchmark's own checks (bench/bench_fleet.c):
the load generator must notice what it exists to notice. It runs against a
small stand-in for a replica's control API and public pages that can be
told to misbehave: hand one code to every waiter (a double release), never
release it (a lost approval), release another code (a wrong one), accept
a replayed callback. Each misbehaviour must be counted and must fail the
run (exit 1); the correct stand-in must pass (exit 0). And the stage's own
failures (a key file that does not read, a helper that cannot start) end
a run at once. The real replicas are measured by bench/run_fleet; this is
about the generator.
"""

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from tap import Tap  # noqa: E402

BUILD = os.environ.get("DT_BUILDDIR", os.path.join(HERE, "..", ".."))
BENCH = os.path.join(BUILD, "bench", "bench_fleet")
RUN_FLEET = os.path.join(os.environ.get("DT_SRCDIR", os.path.join(HERE, "..", "..")), "bench",
                         "run_fleet")
INSTANCE = "benchfakeinstanc"
SIGNATURE_HEADERS = ("X-DT-Key-Id", "X-DT-Timestamp", "X-DT-Nonce", "X-DT-Signature")


class Fake:
    """What the stand-in remembers, and how it misbehaves (`mode`)."""

    def __init__(self, mode):
        self.mode = mode
        self.lock = threading.Condition()
        self.sessions = {}  # id -> {"state", "code", "callbacks"}
        self.by_state = {}
        self.unsigned = 0   # control requests without the four headers


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake = None

    def log_message(self, *args):
        pass

    def reply(self, status, body, ctype="application/json"):
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def see_other(self, sid):
        """What dingtalk-callbackd answers a callback it takes: a 303 to
        the page's clean URL, with the browser's cookie."""
        self.send_response(303)
        self.send_header("Location", "c/" + sid)
        self.send_header("Set-Cookie", "dt_%s=%s; Path=/; HttpOnly" % (sid, "t" * 32))
        self.send_header("Content-Length", "0")
        self.end_headers()

    def signed(self):
        if all(self.headers.get(h) for h in SIGNATURE_HEADERS):
            return True
        with self.fake.lock:
            self.fake.unsigned += 1
        self.reply(401, {"error": "unsigned", "error_code": "missing"})
        return False

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        if self.path != "/v1/sessions" or not self.signed():
            return self.reply(404, {"error": "no such path"})
        sid = secrets.token_urlsafe(12)
        with self.fake.lock:
            self.fake.sessions[sid] = {"state": body["state"], "code": None, "callbacks": 0,
                                       "expires": time.monotonic() + body["ttl"]}
            self.fake.by_state[body["state"]] = sid
        self.reply(201, {"id": sid, "short_url": "http://x/l/" + sid, "expires_in": body["ttl"],
                         "instance": INSTANCE})

    def do_DELETE(self):
        if self.signed():
            self.reply(204, "")

    def do_GET(self):
        url = urlsplit(self.path)
        parts = url.path.split("/")
        if url.path.startswith("/v1/sessions/") and parts[-1] == "wait":
            if self.signed():
                self.wait(parts[3], float(parse_qs(url.query)["timeout"][0]))
        elif url.path.startswith("/l/"):
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.1:9/authorize")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif url.path == "/callback":
            self.callback(parse_qs(url.query))
        else:
            self.reply(404, {"error": "no such path"})

    def callback(self, q):
        f = self.fake
        with f.lock:
            known = q["state"][0] in f.by_state
            s = f.sessions.get(f.by_state.get(q["state"][0]))
            if s is None and known and f.mode == "replay":
                # a service that takes a callback twice, even once the
                # code is gone
                return self.see_other(f.by_state[q["state"][0]])
            if s is None:
                return self.reply(404, "unknown", "text/html")
            s["callbacks"] += 1
            if s["callbacks"] > 1 and f.mode != "replay":
                return self.reply(410, "used", "text/html")
            s["code"] = q["code"][0]
            f.lock.notify_all()
        self.see_other(f.by_state[q["state"][0]])

    def wait(self, sid, timeout):
        f = self.fake
        with f.lock:
            f.lock.wait_for(lambda: sid not in f.sessions or f.sessions[sid]["code"] is not None
                            and f.mode != "lost", timeout)
            s = f.sessions.get(sid)
            if s is None:
                return self.reply(404, {"error": "unknown session", "instance": INSTANCE})
            if s["code"] is None or f.mode == "lost":
                expired = time.monotonic() >= s["expires"]
                return self.reply(200, {"status": "expired" if expired else "pending"})
            code = s["code"] + ("-other" if f.mode == "wrong" else "")
            if f.mode != "double":
                del f.sessions[sid]  # released once: the session goes with it
        self.reply(200, {"status": "approved", "code": code})


def run_bench(mode, keys):
    fake = Fake(mode)
    handler = type("H", (Handler,), {"fake": fake})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = "http://127.0.0.1:%d" % server.server_address[1]
    # Two "replicas" (the same stand-in): the second waiter races the
    # first. A lost approval ends when the generator gives up on it.
    args = [BENCH, "run", "--mode", "fleet", "--keys", keys, "--target", "fake",
            "--replica", base, base, "--replica", base, base, "--no-confirm",
            "--waiters", "2", "--rate", "10", "--duration", "0.5", "--phone-delay", "50",
            "--wait", "1", "--ttl", "2"]
    try:
        p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=60)
    finally:
        server.shutdown()
        server.server_close()
    counts = {}
    for line in p.stdout.splitlines():
        f = line.split()
        if len(f) == 4 and f[0] == "bench":
            counts[f[1]] = float(f[2])
    return p, counts, fake


def broken_stage_checks(t, tmp):
    """The stage's own failures: a host_keys line that does not read, and
    a helper that cannot start, each end the run at once with a message
    that names the problem."""
    bad = os.path.join(tmp, "bad-keys")
    with open(bad, "w") as f:
        f.write("# a key file\nbench-k00000 only-two-fields\n")
    p = subprocess.run([BENCH, "run", "--mode", "fleet", "--keys", bad, "--target", "x",
                        "--replica", "http://127.0.0.1:9", "http://127.0.0.1:9"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
    t.ok(p.returncode == 1 and "bad-keys:2: not KEY_ID HOST SECRET" in p.stderr,
         "a host_keys line that does not read stops the run, naming the file and line",
         "exit %d: %s" % (p.returncode, p.stderr))
    if shutil.which("redis-server") is None or shutil.which("redis-cli") is None:
        t.skip(1, "redis-server is not installed (run_fleet's stage needs it)")
        return
    stub = os.path.join(tmp, "no-helper")
    with open(stub, "w") as f:
        f.write("#!/bin/sh\necho 'no-helper: refused to start' >&2\nexit 1\n")
    os.chmod(stub, 0o755)
    env = dict(os.environ, DT_CALLBACKD=stub)
    start = time.monotonic()
    p = subprocess.run([RUN_FLEET, BUILD, "--quick"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=60, env=env)
    took = time.monotonic() - start
    work = re.search(r"kept in (\S+?)\)", p.stderr)
    if work is not None and work.group(1).startswith("/tmp/dt-bench-fleet."):
        shutil.rmtree(work.group(1), ignore_errors=True)
    t.ok(p.returncode == 1 and "a replica did not start" in p.stderr
         and "refused to start" in p.stderr and took < 5,
         "run_fleet: a helper that cannot start fails the run at once, with its log",
         "exit %d after %.1f s: %s" % (p.returncode, took, p.stderr[-1500:]))


def main():
    t = Tap()
    if not os.access(BENCH, os.X_OK):
        print("1..1")
        t.ok(False, "bench/bench_fleet is built", "%s is missing: run make first" % BENCH)
        return 1
    cases = [
        # mode, the count that must be > 0 (None: the run is clean)
        ("good", None),
        ("double", "fleet.doubled"),
        ("lost", "fleet.lost"),
        ("wrong", "fleet.wrong"),
        ("replay", "fleet.replay_accepted"),
    ]
    print("1..%d" % (3 * len(cases) + 2))
    tmp = tempfile.mkdtemp(prefix="dt-test-bench-fleet-")
    keys = os.path.join(tmp, "host-keys")
    try:
        broken_stage_checks(t, tmp)
        subprocess.run([BENCH, "keys", "20", keys], check=True)
        for mode, count in cases:
            p, counts, fake = run_bench(mode, keys)
            detail = "exit %d\n%s\n%s" % (p.returncode, p.stdout[-1500:], p.stderr[-1500:])
            t.eq(fake.unsigned, 0, "%s: every control request carried the signature headers" % mode)
            if count is None:
                t.ok(p.returncode == 0, "%s: a correct service passes (exit 0)" % mode, detail)
                t.ok(counts.get("fleet.released") == counts.get("fleet.started") == 5,
                     "%s: all 5 logins released their code once" % mode, detail)
            else:
                t.ok(p.returncode == 1, "%s: the run fails (exit 1)" % mode, detail)
                t.ok(counts.get(count, 0) > 0, "%s: counted in %s" % (mode, count), detail)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if t.failed else 0


if __name__ == "__main__":
    sys.exit(main())
