#!/usr/bin/env python3
"""Black-box tests of dingtalk-callbackd's control API over TCP (a fleet's
hosts; docs/control-api.md, "The TCP control listener"). Speaks TAP.

The helper listens with TLS on 127.0.0.1, with a certificate of a
throwaway CA that openssl makes here, and a host_keys file. Requests are
signed in Python with hmac and hashlib from the definition in
src/core/proto/reqsign.h (an implementation of the wire format
independent of the C one): a round trip, then each way a request is
refused (unsigned, unknown key, wrong secret, stale both ways and the edge
of the window, a replayed nonce, a body or query changed after signing,
another host's name, another host's session), plain HTTP to the TLS
listener, the configuration's rules, the request deadline and key
rotation without a restart.

  DT_CALLBACKD  the built helper (default: ../../src/callbackd/dingtalk-callbackd)
  DT_TMPDIR     where to put configs, keys and logs (default: a new temp dir)

Runs as any user (the helper trusts files of its own uid when it is not
root). Every wait is bounded; helpers are killed at the end.
"""

import base64
import hashlib
import hmac
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from urllib.parse import urlencode

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from tap import Tap  # noqa: E402  (tests/tap.py)
HELPER = os.environ.get("DT_CALLBACKD") or os.path.join(
    HERE, "..", "..", "src", "callbackd", "dingtalk-callbackd")
AUTH_URL = ("https://login.dingtalk.com/oauth2/auth?response_type=code"
            "&client_id=dingmock&scope=openid&state=%s&prompt=consent")
IO_TIMEOUT = 40
SKEW = 60
REQUEST_TIMEOUT = 3

T = Tap()
# States, codes, nonces, signatures and secrets: never in the helper's log.
SECRETS = set()


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def new_state():
    s = os.urandom(24).hex()[:32]
    SECRETS.add(s)
    return s


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port

# ---------------------------------------------------------------- signing


class Key:
    """A host key: id, host and its 32-byte secret."""

    def __init__(self, kid, host):
        self.id = kid
        self.host = host
        self.secret = os.urandom(32)
        SECRETS.add(b64url(self.secret))

    def line(self):
        return "%s %s %s created=2026-12-05\n" % (self.id, self.host, b64url(self.secret))


def sign(key, method, target, body=b"", ts=None, nonce=None, secret=None):
    """The four headers of reqsign.h: the string to sign is the scheme, the
    key id, the method, the target with its query, the timestamp, the nonce
    and the body's SHA-256 (hex), joined by newlines."""
    ts = int(time.time()) if ts is None else ts
    nonce = nonce or b64url(os.urandom(18))
    text = "\n".join(["DT1-HMAC-SHA256", key.id, method, target, str(ts), nonce,
                      hashlib.sha256(body).hexdigest()])
    mac = hmac.new(secret or key.secret, text.encode(), hashlib.sha256).hexdigest()
    SECRETS.add(nonce)
    SECRETS.add(mac)
    return {"X-DT-Key-Id": key.id, "X-DT-Timestamp": str(ts), "X-DT-Nonce": nonce,
            "X-DT-Signature": mac}

# ---------------------------------------------------------------- TLS


def run(args, cwd):
    subprocess.run(args, cwd=cwd, check=True, capture_output=True, timeout=60)


def make_ca(d):
    """A CA and a server certificate for 127.0.0.1 (subjectAltName)."""
    os.makedirs(d, exist_ok=True)
    run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=dt test CA"],
        d)
    run(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"], d)
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("subjectAltName = IP:127.0.0.1\n")
    run(["openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
         "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf"], d)
    # another key, which does not belong to the certificate
    run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-out", "other.key"], d)
    for name in ("server.key", "other.key", "ca.key"):
        os.chmod(os.path.join(d, name), 0o600)
    os.chmod(os.path.join(d, "server.pem"), 0o644)
    return d

# ---------------------------------------------------------------- the helper


class Resp:
    def __init__(self, r, body):
        self.status = r.status
        self.headers = {k.lower(): v for k, v in r.getheaders()}
        self.body = body
        self.text = body.decode("utf-8", "replace")

    def json(self):
        try:
            return json.loads(self.text)
        except ValueError:
            return None

    def __repr__(self):
        return "%d %s" % (self.status, self.text)


def write_keys(path, keys):
    """Replaces the file as an administrator's tool would: a new file
    renamed over the old one."""
    tmp = path + ".new"
    with open(tmp, "w") as f:
        f.write("# written by test_control_tcp.py\n")
        for k in keys:
            f.write(k.line())
    os.chmod(tmp, 0o600)
    os.rename(tmp, path)


class Helper:
    def __init__(self, tmp, name, ca, keys, extra="", tls=True):
        self.dir = os.path.join(tmp, name)
        os.makedirs(self.dir, exist_ok=True)
        self.port = free_port()
        self.cport = free_port()
        self.public_url = "http://127.0.0.1:%d" % self.port
        self.sock = os.path.join(self.dir, "run", "control.sock")
        self.conf = os.path.join(self.dir, "callbackd.conf")
        self.log = os.path.join(self.dir, "callbackd.log")
        self.keys_path = os.path.join(self.dir, "host-keys")
        self.ca = ca if tls else None
        write_keys(self.keys_path, keys)
        if tls:
            extra = "control_tls_cert = %s/server.pem\ncontrol_tls_key = %s/server.key\n%s" % (
                ca, ca, extra)
        with open(self.conf, "w") as f:
            f.write("listen = 127.0.0.1:%d\ncontrol = %s\npublic_url = %s\nconfirm = no\n"
                    "control_listen = 127.0.0.1:%d\nhost_keys = %s\ncontrol_skew = %d\n"
                    "request_timeout = %d\n%s"
                    % (self.port, self.sock, self.public_url, self.cport, self.keys_path, SKEW,
                       REQUEST_TIMEOUT, extra))
        os.chmod(self.conf, 0o644)
        self.logf = open(self.log, "wb")
        self.proc = subprocess.Popen([HELPER, "-c", self.conf, "-d"],
                                     stdout=self.logf, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if os.path.exists(self.sock) and self.healthy():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError("helper %s did not start:\n%s" % (name, self.log_text()))

    def healthy(self):
        try:
            c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            c.request("GET", "/healthz")
            return c.getresponse().status == 200
        except OSError:
            return False

    def log_text(self):
        if not self.logf.closed:
            self.logf.flush()
        with open(self.log, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def tls(self, timeout=IO_TIMEOUT):
        if self.ca is None:  # plain, on loopback behind a proxy
            return http.client.HTTPConnection("127.0.0.1", self.cport, timeout=timeout)
        ctx = ssl.create_default_context(cafile=os.path.join(self.ca, "ca.pem"))
        return http.client.HTTPSConnection("127.0.0.1", self.cport, context=ctx,
                                           timeout=timeout)

    def send(self, method, target, body=b"", headers=None, timeout=IO_TIMEOUT):
        conn = self.tls(timeout)
        h = dict(headers or {})
        if body:
            h["Content-Type"] = "application/json"
        try:
            conn.request(method, target, body=body or None, headers=h)
            r = conn.getresponse()
            return Resp(r, r.read())
        finally:
            conn.close()

    def signed(self, key, method, target, body=b"", timeout=IO_TIMEOUT, **kw):
        return self.send(method, target, body, sign(key, method, target, body, **kw), timeout)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.logf.close()
        return self.proc.returncode


REQUESTERS = [0]


def reg_body(host="jump-01", state=None):
    """A registration of a requester of its own, so that
    max_pending_per_requester stays out of the way."""
    state = state or new_state()
    REQUESTERS[0] += 1
    return json.dumps({"state": state, "number": 42, "user": "alice", "service": "sshd",
                       "host": host, "rhost": "10.0.0.5",
                       "requester": "test:%d" % REQUESTERS[0],
                       "authorize_url": AUTH_URL % state, "ttl": 90}).encode(), state


def register(h, key, host=None):
    body, state = reg_body(host or key.host)
    return h.signed(key, "POST", "/v1/sessions", body), state


def unix_wait(h, sid):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(h.sock)
    s.sendall(("GET /v1/sessions/%s/wait?timeout=1 HTTP/1.1\r\nHost: x\r\n"
               "Connection: close\r\n\r\n" % sid).encode())
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    m = re.match(rb"HTTP/1\.[01] (\d+)", data)
    return int(m.group(1)) if m else 0


def refused(r, status, code):
    j = r.json() or {}
    return r.status == status and j.get("error_code") == code and bool(j.get("error"))

# ---------------------------------------------------------------- cases


def test_round_trip(h, k1):
    r, state = register(h, k1)
    j = r.json() or {}
    T.ok(r.status == 201 and len(j.get("id", "")) == 16 and j.get("instance"),
         "a signed registration over TLS -> 201 with an id and the instance", r)
    sid = j.get("id", "")
    T.ok(re.search(r"registered id=%s .* key=%s\n" % (re.escape(sid), k1.id), h.log_text()),
         "the registration's log line names the key that signed it")
    code = "code" + os.urandom(12).hex()
    SECRETS.add(code)
    c = http.client.HTTPConnection("127.0.0.1", h.port, timeout=IO_TIMEOUT)
    c.request("GET", "/callback?" + urlencode({"code": code, "state": state}))
    cr = c.getresponse()
    cr.read()
    target = "/v1/sessions/%s/wait?timeout=5" % sid
    w = h.signed(k1, "GET", target)
    T.ok(w.status == 200 and (w.json() or {}).get("code") == code,
         "a signed wait over TLS releases the code to the host that registered", w)

    # a signed long-poll outlasts request_timeout: its deadline moves once signed
    r, _ = register(h, k1)
    sid = (r.json() or {}).get("id", "")
    t0 = time.monotonic()
    w = h.signed(k1, "GET", "/v1/sessions/%s/wait?timeout=%d" % (sid, REQUEST_TIMEOUT + 2))
    took = time.monotonic() - t0
    T.ok(w.status == 200 and (w.json() or {}).get("status") == "pending" and
         took >= REQUEST_TIMEOUT + 1.5,
         "a signed wait longer than request_timeout is answered at its own end",
         (w, took))
    c = h.signed(k1, "DELETE", "/v1/sessions/%s" % sid)
    T.eq(c.status, 204, "a signed cancel -> 204")
    w = h.signed(k1, "GET", "/v1/sessions/%s/wait?timeout=1" % sid)
    T.ok(w.status == 200 and (w.json() or {}).get("reason") == "cancelled",
         "a wait after the cancel -> refused, cancelled", w)


def test_refusals(h, k1):
    target = "/v1/sessions"
    body, _ = reg_body()
    r = h.send("POST", target, body)
    T.ok(refused(r, 401, "missing"), "no signature headers -> 401 missing", r)

    hdrs = sign(k1, "POST", target, body)
    del hdrs["X-DT-Nonce"]
    r = h.send("POST", target, body, hdrs)
    T.ok(refused(r, 401, "missing"), "one header missing -> 401 missing", r)

    hdrs = sign(k1, "POST", target, body)
    hdrs["X-DT-Signature"] = "Z" * 64
    r = h.send("POST", target, body, hdrs)
    T.ok(refused(r, 401, "malformed"), "a signature that is not hex -> 401 malformed", r)

    ghost = Key("no-such-key", "jump-01")
    r = h.signed(ghost, "POST", target, body)
    T.ok(refused(r, 401, "unknown_key"), "a key id not in host_keys -> 401 unknown_key", r)

    r = h.signed(k1, "POST", target, body, secret=os.urandom(32))
    T.ok(refused(r, 401, "bad_signature"), "a wrong secret -> 401 bad_signature", r)

    now = int(time.time())
    # The edges: 3 s beyond the window either way is refused, 2 s inside
    # it accepted (a second's tick and a slow client, e.g. under valgrind,
    # fit in between).
    for off, what in ((-(SKEW + 3), "behind"), (SKEW + 3, "ahead of")):
        body, _ = reg_body()
        r = h.signed(k1, "POST", target, body, ts=now + off)
        T.ok(refused(r, 401, "stale") and what in (r.json() or {}).get("error", ""),
             "a timestamp %d s off -> 401 stale, saying the host's clock is %s" % (off, what),
             r)
    for off in (-(SKEW - 2), SKEW - 2):
        body, _ = reg_body()
        r = h.signed(k1, "POST", target, body, ts=int(time.time()) + off)
        T.eq(r.status, 201, "a timestamp %d s off (inside the window) is accepted" % off)

    body, _ = reg_body()
    hdrs = sign(k1, "POST", target, body)
    first = h.send("POST", target, body, hdrs)
    again = h.send("POST", target, body, hdrs)
    T.ok(first.status == 201 and refused(again, 401, "replay"),
         "the same signed request twice -> 201, then 401 replay", (first, again))

    body, _ = reg_body()
    hdrs = sign(k1, "POST", target, body)
    changed = body.replace(b'"number": 42', b'"number": 43')
    r = h.send("POST", target, changed, hdrs)
    T.ok(changed != body and refused(r, 401, "bad_signature"),
         "a body changed after signing -> 401 bad_signature", r)

    r, _ = register(h, k1)
    sid = (r.json() or {}).get("id", "")
    hdrs = sign(k1, "GET", "/v1/sessions/%s/wait?timeout=1" % sid)
    r = h.send("GET", "/v1/sessions/%s/wait?timeout=2" % sid, headers=hdrs)
    T.ok(refused(r, 401, "bad_signature"), "a query changed after signing -> 401 bad_signature",
         r)
    hdrs = sign(k1, "GET", "/v1/sessions/%s/wait?timeout=1" % sid)
    r = h.send("DELETE", "/v1/sessions/%s/wait?timeout=1" % sid, headers=hdrs)
    T.ok(refused(r, 401, "bad_signature"), "a method changed after signing -> 401", r)

    big = b"{" + b" " * 9000 + b"}"
    r = h.signed(k1, "POST", target, big)
    T.eq(r.status, 413, "a body over 8 KiB -> 413 before anything is checked")


def test_command_signed(h, k1):
    """sudo's command over the fleet's listener: signed like the rest of
    the body, so a command changed on the way fails the signature, and
    checked as on the Unix socket. (This helper approves without a page,
    confirm = no: test_store_redis.py shows a command across replicas.)"""
    body, _ = reg_body()
    body = body[:-1] + b', "command": "/usr/bin/apt upgrade"}'
    r = h.signed(k1, "POST", "/v1/sessions", body)
    T.eq(r.status, 201, "a signed registration with a command -> 201")
    body, _ = reg_body()
    body = body[:-1] + b', "command": "ls \\u001b[2J"}'
    r = h.signed(k1, "POST", "/v1/sessions", body)
    T.ok(refused(r, 400, "command_not_text"),
         "a signed registration with an unsafe command -> 400 command_not_text", r)
    body, _ = reg_body()
    body = body[:-1] + b', "command": "/usr/bin/apt upgrade"}'
    hdrs = sign(k1, "POST", "/v1/sessions", body)
    changed = body.replace(b"apt upgrade", b"apt purge..")
    r = h.send("POST", "/v1/sessions", changed, hdrs)
    T.ok(changed != body and refused(r, 401, "bad_signature"),
         "a command changed after signing -> 401 bad_signature", r)


def test_owner(h, k1, k2):
    r, _ = register(h, k1, host="jump-02")
    T.ok(refused(r, 403, "host_mismatch"),
         "a key of jump-01 registering jump-02 -> 403 host_mismatch", r)
    log = h.log_text()
    T.ok(re.search(r"register refused: key %s belongs to host jump-01 but the registration "
                   r"names host jump-02" % k1.id, log) is not None,
         "the refusal is logged naming the key id and both hosts", log[-2000:])

    r, _ = register(h, k1)
    sid = (r.json() or {}).get("id", "")
    w = h.signed(k2, "GET", "/v1/sessions/%s/wait?timeout=1" % sid)
    T.ok(w.status == 404 and (w.json() or {}).get("error") == "unknown session",
         "another host waiting on the session -> 404 unknown session", w)
    c = h.signed(k2, "DELETE", "/v1/sessions/%s" % sid)
    T.ok(c.status == 404 and (c.json() or {}).get("error") == "unknown session",
         "another host cancelling the session -> 404 unknown session", c)
    w = h.signed(k1, "GET", "/v1/sessions/%s/wait?timeout=1" % sid)
    T.ok(w.status == 200 and (w.json() or {}).get("status") == "pending",
         "the session survived both: its own host still waits on it", w)
    T.eq(unix_wait(h, sid), 200, "root on the Unix socket still reaches every session")


def test_plain_http(h):
    s = socket.create_connection(("127.0.0.1", h.cport), timeout=10)
    data = b""
    try:
        s.sendall(b"GET /v1/sessions HTTP/1.1\r\nHost: x\r\n\r\n")
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except (ConnectionResetError, socket.timeout):
        pass
    finally:
        s.close()
    T.ok(not data.startswith(b"HTTP/"), "plain HTTP to the TLS listener gets no HTTP answer",
         data[:200])


def handshake(h, version):
    """Whether openssl's client completes a handshake with only `version`
    (its own security level lowered, so that only the server decides)."""
    p = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % h.cport,
                        "-" + version, "-cipher", "DEFAULT@SECLEVEL=0",
                        "-CAfile", os.path.join(h.ca, "ca.pem")],
                       input=b"", capture_output=True, timeout=20)
    out = p.stdout.decode("utf-8", "replace")
    return re.search(r"New, TLSv1\.[0-9], Cipher is ", out) is not None


def test_tls_versions(h):
    T.ok(handshake(h, "tls1_2"), "a TLS 1.2 client is served")
    for v in ("tls1", "tls1_1"):
        T.ok(not handshake(h, v), "a client offering only %s is refused" % v)


def test_deadline(h):
    """A client that sends half a request is cut after request_timeout."""
    ctx = ssl.create_default_context(cafile=os.path.join(h.ca, "ca.pem"))
    raw = socket.create_connection(("127.0.0.1", h.cport), timeout=REQUEST_TIMEOUT + 10)
    s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
    t0 = time.monotonic()
    s.sendall(b"GET /v1/sessions HTTP/1.1\r\nHost: x\r\n")
    try:
        while s.recv(4096):
            pass
    except (ConnectionResetError, ssl.SSLError, socket.timeout, OSError):
        pass
    took = time.monotonic() - t0
    s.close()
    T.ok(took < REQUEST_TIMEOUT + 3,
         "half a request is cut within request_timeout (%d s): %.1f s" % (REQUEST_TIMEOUT, took))


def test_rotation(h, k1, k2):
    k1b = Key("jump-01-2026b", "jump-01")
    write_keys(h.keys_path, [k1, k1b, k2])
    ok, deadline = False, time.monotonic() + 5
    while not ok and time.monotonic() < deadline:
        r, _ = register(h, k1b)
        ok = r.status == 201
        if not ok:
            time.sleep(0.3)
    T.ok(ok, "a key added to host_keys works without a restart", r)
    write_keys(h.keys_path, [k1b, k2])
    gone, deadline = False, time.monotonic() + 5
    while not gone and time.monotonic() < deadline:
        r, _ = register(h, k1)
        gone = refused(r, 401, "unknown_key")
        if not gone:
            time.sleep(0.3)
    T.ok(gone, "a key removed from host_keys is refused without a restart", r)
    r, _ = register(h, k1b)
    T.eq(r.status, 201, "the new key still works")
    T.ok(h.proc.poll() is None, "the same helper process throughout")


def test_log(h):
    log = h.log_text()
    T.ok(re.search(r"control: refused a request from 127\.0\.0\.1, key no-such-key: "
                   r"unknown_key: ", log) is not None,
         "a 401 is logged naming the client, the key id and the error_code", log[-3000:])


def test_log_burst(tmp, ca, k1):
    """A flood of refusals names at most 4 keys a minute."""
    h = Helper(tmp, "burst", ca, [k1])
    try:
        codes = []
        for i in range(12):
            body, _ = reg_body()
            codes.append(h.signed(Key("flood-%02d" % i, "x"), "POST", "/v1/sessions",
                                  body).status)
        lines = [ln for ln in h.log_text().splitlines() if "control: refused a request" in ln]
        T.ok(codes == [401] * 12 and len(lines) == 4,
             "12 refusals of 12 keys -> 12 x 401 and 4 log lines", (codes, lines))
    finally:
        h.stop()
    return h


def test_quota_per_host(tmp, ca, k1, k2):
    """uid 1000 on jump-01 is not uid 1000 on jump-02: each host's requesters
    and addresses have quotas of their own."""
    h = Helper(tmp, "quota", ca, [k1, k2],
               "max_pending_per_requester = 2\nmax_pending_per_address = 3\n")

    def reg(key, requester, address):
        state = new_state()
        body = json.dumps({"state": state, "number": 42, "user": "alice", "service": "sudo",
                           "host": key.host, "rhost": "", "requester": requester,
                           "requester_address": address,
                           "authorize_url": AUTH_URL % state, "ttl": 90}).encode()
        return h.signed(key, "POST", "/v1/sessions", body)

    got = [reg(k1, "uid:1000", "uid:1000").status for _ in range(2)]
    r = reg(k1, "uid:1000", "uid:1000")
    T.ok(got == [201, 201] and refused(r, 429, "requester_full"),
         "jump-01's uid:1000 gets max_pending_per_requester sessions, then 429", (got, r))
    r = reg(k2, "uid:1000", "uid:1000")
    T.eq(r.status, 201, "jump-02's uid:1000 has a quota of its own")
    got = [reg(k1, "rhost:10.0.0.9 user:u%d" % i, "rhost:10.0.0.9").status for i in range(3)]
    r = reg(k1, "rhost:10.0.0.9 user:u9", "rhost:10.0.0.9")
    T.ok(got == [201] * 3 and refused(r, 429, "address_full"),
         "jump-01's client address gets max_pending_per_address sessions, then 429", (got, r))
    r = reg(k2, "rhost:10.0.0.9 user:u9", "rhost:10.0.0.9")
    T.eq(r.status, 201, "the same client address seen by jump-02 has a quota of its own")
    T.ok(re.search(r"requester host=jump-01 uid:1000 has max_pending_per_requester",
                   h.log_text()), "the refusal's log line names the host with the requester")
    T.eq(h.stop(), 0, "the helper of the quota case stops cleanly")
    return h


def unix_register(h):
    """A registration on the Unix socket (owner ""): a status code."""
    body, _ = reg_body("jump-01")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(h.sock)
    s.sendall(b"POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    m = re.match(rb"HTTP/1\.[01] (\d+)", data)
    return int(m.group(1)) if m else 0


def test_host_quota(tmp, ca, k1, k2, name="host-quota", extra="", tls=True):
    """max_pending_per_host: one fleet host (a key) cannot fill max_pending
    for the others. Its logins past the quota get 429 host_full; another
    host's and the Unix socket's still register; a cancelled one frees a
    place. Also run on the Redis store (test_store_redis.py)."""
    h = Helper(tmp, name, ca, [k1, k2], "max_pending_per_host = 3\nmax_pending = 10\n" + extra,
               tls=tls)
    try:
        got = [register(h, k1)[0] for _ in range(3)]
        r = register(h, k1)[0]
        T.ok([x.status for x in got] == [201] * 3 and refused(r, 429, "host_full"),
             "%s: jump-01 registers max_pending_per_host (3) sessions, then 429 host_full"
             % name, (got, r))
        others = [register(h, k2)[0].status for _ in range(3)]
        T.eq(others, [201] * 3, "%s: jump-02 has a quota of its own" % name)
        T.eq(unix_register(h), 201,
             "%s: the Unix socket's registrations are not counted against a host" % name)
        sid = (got[0].json() or {}).get("id", "?")
        gone = h.signed(k1, "DELETE", "/v1/sessions/" + sid).status
        again = register(h, k1)[0]
        T.ok(gone == 204 and again.status == 201,
             "%s: a cancelled session frees its host's place" % name, (gone, again))
        T.ok(re.search(r"host jump-01 has max_pending_per_host \(3\) sessions pending",
                       h.log_text()), "%s: the refusal's log line names the host" % name)
    finally:
        h.stop()
    return h


def background_signed(h, key, target, timeout):
    out = {}

    def run():
        try:
            out["resp"] = h.signed(key, "GET", target, timeout=timeout)
        except Exception as e:  # reported by the caller
            out["error"] = repr(e)
        out["done_at"] = time.monotonic()

    th = threading.Thread(target=run, daemon=True)
    th.start()
    return th, out


def test_wait_takeover(h, k1, k2):
    """One live wait per session: a second wait of the same host on the same
    session takes over, and the older one is answered "pending" at once (a
    module that lost its connection and asks again is served)."""
    r, _ = register(h, k1)
    sid = (r.json() or {}).get("id", "?")
    target = "/v1/sessions/%s/wait?timeout=%d"
    th_a, a = background_signed(h, k1, target % (sid, 20), 30)
    time.sleep(0.4)
    t_b = time.monotonic()
    th_b, b = background_signed(h, k1, target % (sid, 2), 30)
    th_a.join(10)
    ra, waited = a.get("resp"), a.get("done_at", 1e9) - t_b
    T.ok(ra is not None and ra.status == 200 and (ra.json() or {}).get("status") == "pending"
         and waited < 1.0,
         "a second wait on the session takes over: the first answers pending %.2f s after it"
         % waited, a)
    other = h.signed(k2, "GET", target % (sid, 1))
    th_b.join(10)
    rb = b.get("resp")
    T.ok(rb is not None and rb.status == 200 and (rb.json() or {}).get("status") == "pending"
         and b.get("done_at", 0) - t_b > 1.5 and other.status == 404,
         "...the second waits its whole timeout; another host's wait cannot take it over (404)",
         (b, other))


def test_plain_loopback(tmp, ca, k1):
    """Without TLS on a loopback address (behind a local TLS proxy): the
    same signed API."""
    h = Helper(tmp, "plain", ca, [k1], tls=False)
    try:
        r, _ = register(h, k1)
        T.eq(r.status, 201, "a plain loopback control_listen serves signed requests")
        body, _ = reg_body()
        r = h.send("POST", "/v1/sessions", body)
        T.ok(refused(r, 401, "missing"), "... and refuses unsigned ones", r)
    finally:
        h.stop()
    return h


def start_fails(tmp, name, text, files=()):
    path = os.path.join(tmp, name + ".conf")
    with open(path, "w") as f:
        f.write("public_url = http://127.0.0.1:1\nlisten = 127.0.0.1:%d\n"
                "control = %s/%s.sock\n%s" % (free_port(), tmp, name, text))
    os.chmod(path, 0o644)
    p = subprocess.run([HELPER, "-c", path], capture_output=True, timeout=20)
    err = p.stderr.decode("utf-8", "replace")
    return p.returncode, err


def test_bad_config(tmp, ca, keys_path):
    cert, key = os.path.join(ca, "server.pem"), os.path.join(ca, "server.key")
    cases = [
        ("nontls", "control_listen = 0.0.0.0:%d\nhost_keys = %s\n" % (free_port(), keys_path),
         ["control_listen", "loopback"], "a non-loopback control_listen without TLS"),
        ("name", "control_listen = localhost:%d\nhost_keys = %s\n" % (free_port(), keys_path),
         ["control_listen", "loopback"], "a host name (not an address) without TLS"),
        ("anyaddr", "control_listen = *:%d\nhost_keys = %s\n" % (free_port(), keys_path),
         ["control_listen", "loopback"], "every address without TLS"),
        ("nokeys", "control_listen = 127.0.0.1:%d\n" % free_port(),
         ["host_keys"], "control_listen without host_keys"),
        ("halftls", "control_listen = 127.0.0.1:%d\ncontrol_tls_cert = %s\nhost_keys = %s\n"
         % (free_port(), cert, keys_path), ["control_tls_key"], "a certificate without a key"),
        ("stray", "host_keys = %s\n" % keys_path, ["host_keys", "control_listen"],
         "host_keys without control_listen"),
        ("badpem", "control_listen = 0.0.0.0:%d\ncontrol_tls_cert = %s\n"
         "control_tls_key = %s\nhost_keys = %s\n" % (free_port(), keys_path, key, keys_path),
         ["control_tls_cert", keys_path, "PEM"], "a certificate file that is not PEM"),
        ("otherkey", "control_listen = 127.0.0.1:%d\ncontrol_tls_cert = %s\n"
         "control_tls_key = %s\nhost_keys = %s\n"
         % (free_port(), cert, os.path.join(ca, "other.key"), keys_path),
         ["control_tls_key", "other.key", "does not belong"], "a key of another certificate"),
        ("nokeyfile", "control_listen = 127.0.0.1:%d\nhost_keys = %s/none\n"
         % (free_port(), tmp), ["%s/none" % tmp], "a host_keys file that does not exist"),
        ("skew", "control_skew = 0\n", ["control_skew"], "control_skew = 0"),
    ]
    for name, text, words, what in cases:
        rc, err = start_fails(tmp, name, text)
        T.ok(rc == 1 and all(w in err for w in words),
             "%s -> exit 1 naming %s" % (what, ", ".join(words)), (rc, err))
    os.chmod(key, 0o644)
    try:
        rc, err = start_fails(tmp, "openkey", "control_listen = 127.0.0.1:%d\n"
                              "control_tls_cert = %s\ncontrol_tls_key = %s\nhost_keys = %s\n"
                              % (free_port(), cert, key, keys_path))
    finally:
        os.chmod(key, 0o600)
    T.ok(rc == 1 and key in err, "a TLS key readable by others -> exit 1 naming it", (rc, err))


def test_shutdown(h, key):
    """SIGTERM while a signed wait is (most likely) suspended: the helper
    exits 0 at once, and the waiter is answered or its connection closed
    (a module then asks another replica), never left hanging."""
    r, _ = register(h, key)
    sid = (r.json() or {}).get("id", "")
    out = []

    def wait():
        try:
            out.append(h.signed(key, "GET", "/v1/sessions/%s/wait?timeout=25" % sid,
                                timeout=15).status)
        except (ConnectionError, ssl.SSLError, http.client.HTTPException) as e:
            out.append("closed: %r" % e)
        except OSError as e:  # a timeout: the waiter was left hanging
            out.append("hung: %r" % e)
    th = threading.Thread(target=wait)
    th.start()
    time.sleep(0.5)
    t0 = time.monotonic()
    rc = h.stop()
    th.join(20)
    took = time.monotonic() - t0
    T.ok(rc == 0 and took < 5 and not th.is_alive() and len(out) == 1 and
         (out[0] == 200 or str(out[0]).startswith("closed")),
         "SIGTERM with a signed wait: exit 0 at once, the waiter answered or closed",
         (rc, took, out))


def test_no_secrets_logged(logs):
    leaked = [s for s in SECRETS if any(s in text for text in logs)]
    T.ok(not leaked, "no state, code, secret, nonce or signature reaches the helper's log",
         leaked)


def main():
    if not os.access(HELPER, os.X_OK):
        print("1..0 # SKIP helper not built: %s" % HELPER)
        return 0
    if shutil.which("openssl") is None:
        print("1..0 # SKIP openssl not installed (it makes the test CA)")
        return 0
    tmp = os.environ.get("DT_TMPDIR")
    tmp = tempfile.mkdtemp(prefix="cbd-tcp-", dir=tmp)
    os.chmod(tmp, 0o755)
    helpers = []
    logs = []
    try:
        ca = make_ca(os.path.join(tmp, "ca"))
        k1 = Key("jump-01-2026a", "jump-01")
        k2 = Key("jump-02-2026a", "jump-02")
        h = Helper(tmp, "main", ca, [k1, k2])
        helpers.append(h)
        test_round_trip(h, k1)
        test_refusals(h, k1)
        test_command_signed(h, k1)
        test_owner(h, k1, k2)
        test_plain_http(h)
        test_tls_versions(h)
        test_deadline(h)
        test_log(h)
        test_wait_takeover(h, k1, k2)
        test_rotation(h, k1, k2)
        b = test_log_burst(tmp, ca, k1)
        helpers.append(b)
        helpers.append(test_quota_per_host(tmp, ca, k1, k2))
        helpers.append(test_host_quota(tmp, ca, k1, k2))
        helpers.append(test_plain_loopback(tmp, ca, k1))
        test_bad_config(tmp, ca, h.keys_path)
        test_shutdown(h, k2)
        logs = [h.log_text(), b.log_text()]
        test_no_secrets_logged(logs)
    except Exception:
        T.ok(False, "the test run finished without an exception", traceback.format_exc())
    finally:
        for h in helpers:
            if h.proc.poll() is None:
                h.proc.kill()
                h.proc.wait(5)
        if T.failed:
            for h in helpers:
                T.diag("--- log of %s:\n%s" % (h.dir, h.log_text()))
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print("1..%d" % T.n)
    return 1 if T.failed else 0


if __name__ == "__main__":
    sys.exit(main())
