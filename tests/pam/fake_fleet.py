#!/usr/bin/env python3
"""Fake replicas of a fleet's callback service, for the module's fleet
tests (run_pam_fleet.sh): HTTPS listeners on loopback that check every
control request's signature in Python, independently of the C code
(proto/reqsign.h describes the string to sign), and pass what passes to
the real dingtalk-callbackd's control socket. The replicas so share one
store, as a fleet's do, and the phone talks to that helper's public
listener as usual.

  fake_fleet.py --control SOCKET --host-keys FILE --dir DIR \\
      --replica NAME:MODE[:CERT] ...

Each replica listens on 127.0.0.1, port chosen by the kernel, written to
DIR/NAME.port once it listens; CERT names DIR/CERT.pem and DIR/CERT.key
(default "server"). MODE:
  ok          check, then forward
  drop-wait   ok, but the first wait of each session is held 1 s and the
              connection dropped without an answer (a replica dying
              mid-wait)
  store-down  check, then 503 error_code store_down (Redis unreachable)
  forget      ok, but every wait is answered 404 with an instance of its
              own (a replica on another store)
  skew:S      ok, with this replica's clock S seconds ahead
  refuse:CODE check nothing, answer 401 (403 for host_mismatch) CODE
  mute        check, then never answer (a hung replica that completes TLS)
  blackhole   accept TCP connections and never answer (not even TLS)

host_keys lines are "KEY_ID HOST SECRET" (the service's format). Nonces
are remembered across the replicas (one store). One line per request goes
to standard error: "fleet NAME: METHOD PATH -> STATUS [error_code]".
"""

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import os
import socket
import socketserver
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler

SKEW = 60
SCHEME = "DT1-HMAC-SHA256"
INSTANCE_DOWN = "fakefleetdown000"

log_lock = threading.Lock()
nonces = set()
nonce_lock = threading.Lock()


def log(line):
    with log_lock:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()


def load_keys(path):
    keys = {}
    with open(path, encoding="ascii") as f:
        for line in f:
            line = line.split("#", 1)[0].split()
            if len(line) >= 3:
                secret = base64.urlsafe_b64decode(line[2] + "=")
                keys[line[0]] = (line[1], secret)
    return keys


def string_to_sign(key_id, method, path, timestamp, nonce, body):
    return "\n".join([SCHEME, key_id, method, path, timestamp, nonce,
                      hashlib.sha256(body).hexdigest()]).encode("utf-8")


def verify(keys, method, path, headers, body, skew_s):
    """None when the request is good, else (status, error_code)."""
    kid = headers.get("X-DT-Key-Id")
    ts = headers.get("X-DT-Timestamp")
    nonce = headers.get("X-DT-Nonce")
    mac = headers.get("X-DT-Signature")
    if None in (kid, ts, nonce, mac):
        return 401, "missing"
    if (not ts.isdigit() or ts.startswith("0") or len(ts) > 18 or len(mac) != 64
            or not 16 <= len(nonce) <= 64):
        return 401, "malformed"
    if kid not in keys:
        return 401, "unknown_key"
    if abs(time.time() + skew_s - int(ts)) > SKEW:
        return 401, "stale"
    want = hmac.new(keys[kid][1], string_to_sign(kid, method, path, ts, nonce, body),
                    hashlib.sha256).hexdigest()
    if not hmac.compare_digest(want, mac):
        return 401, "bad_signature"
    with nonce_lock:
        if (kid, nonce) in nonces:
            return 401, "replay"
        nonces.add((kid, nonce))
    if method == "POST":
        try:
            host = json.loads(body).get("host")
        except ValueError:
            host = None
        if host != keys[kid][0]:
            return 403, "host_mismatch"
    return None


def self_test():
    """The known answer of docs/control-api.md ("Signed requests"), so that
    this independent implementation is checked against the documented one
    before it judges the module."""
    mac = hmac.new(bytes(range(32)),
                   string_to_sign("web-01.k1", "POST", "/v1/sessions?x=1", "1764900000",
                                  "AAECAwQFBgcICQoLDA0ODw", b'{"host":"web-01"}'),
                   hashlib.sha256).hexdigest()
    return mac == "bb75aca651180b6e757407913845ffc986048a19a534e8f4080c9cd1764f91ee"


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


def make_handler(name, mode, args):
    dropped = set()
    skew_s = int(mode.split(":", 1)[1]) if mode.startswith("skew:") else 0

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def reply(self, status, body, note=""):
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            log("fleet %s: %s %s -> %d%s" % (name, self.command, self.path, status, note))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def refuse(self, status, code):
            self.reply(status, {"error": "fake fleet: refused (%s)" % code, "error_code": code},
                       " " + code)

        def drop(self):
            log("fleet %s: %s %s -> dropped" % (name, self.command, self.path))
            self.close_connection = True
            raw = self.connection
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            raw.close()

        def forward(self, body):
            conn = UnixConnection(args.control, 60)
            headers = {"Content-Type": "application/json"} if body else {}
            conn.request(self.command, self.path, body=body or None, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            conn.close()
            self.reply(resp.status, data)

        def answer(self):
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n) if n else b""
            if mode.startswith("refuse:"):
                code = mode.split(":", 1)[1]
                self.refuse(403 if code == "host_mismatch" else 401, code)
                return
            bad = verify(load_keys(args.host_keys), self.command, self.path, self.headers, body,
                         skew_s)
            if bad is not None:
                self.refuse(*bad)
                return
            if mode == "mute":
                log("fleet %s: %s %s -> (no answer)" % (name, self.command, self.path))
                time.sleep(3600)
                return
            if mode == "waits-full" and self.command == "GET":
                self.reply(429, {"error": "fake fleet: too many waits", "error_code": "waits_full",
                                 "instance": INSTANCE_DOWN}, " waits_full")
                return
            if mode.startswith("limit:") and self.command == "POST":
                code = mode.split(":", 1)[1]
                self.reply(429, {"error": "fake fleet: a limit (%s)" % code, "error_code": code,
                                 "instance": INSTANCE_DOWN}, " " + code)
                return
            if mode == "store-down":
                self.reply(503, {"error": "the session store cannot be reached",
                                 "error_code": "store_down", "instance": INSTANCE_DOWN},
                           " store_down")
                return
            session = self.path.split("?")[0]
            if mode == "forget" and session.endswith("/wait"):
                self.reply(404, {"error": "unknown session", "instance": "fakeforgetful000"},
                           " other instance")
                return
            if mode == "slow-register" and self.command == "POST":
                # The session is stored, but the answer comes after the
                # module's attempt bound (5 s): it tries the next replica
                # with the same registration.
                conn = UnixConnection(args.control, 60)
                conn.request("POST", self.path, body=body,
                             headers={"Content-Type": "application/json"})
                resp = conn.getresponse()
                data = resp.read()
                conn.close()
                log("fleet %s: POST %s -> stored (%d), answering late"
                    % (name, self.path, resp.status))
                time.sleep(8)
                self.reply(resp.status, data, " late")
                return
            if mode == "drop-wait" and session.endswith("/wait"):
                if session not in dropped:
                    dropped.add(session)
                    time.sleep(1)
                    self.drop()
                    return
            self.forward(body)

        do_GET = do_POST = do_DELETE = answer

        def log_message(self, fmt, *a):
            pass

    return Handler


class TLSServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, handler, context):
        super().__init__(("127.0.0.1", 0), handler)
        self.context = context

    def finish_request(self, request, client_address):
        # The handshake runs in the request's thread, so a client that
        # never finishes it holds up nobody else.
        try:
            request.settimeout(30)
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as e:
            log("fleet: TLS handshake failed: %s" % e)
            return
        super().finish_request(tls, client_address)


def blackhole(port_file):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    held = []
    with open(port_file + ".tmp", "w") as f:
        f.write(str(s.getsockname()[1]))
    os.rename(port_file + ".tmp", port_file)
    while True:
        c, _ = s.accept()
        held.append(c)  # kept open, never read or answered


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--control", required=True)
    p.add_argument("--host-keys", required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--replica", action="append", default=[])
    args = p.parse_args()
    if not self_test():
        log("fleet: the string to sign disagrees with docs/control-api.md's known answer")
        sys.exit(1)
    for spec in args.replica:
        parts = spec.split(":")
        name, cert = parts[0], "server"
        mode = ":".join(parts[1:])
        if mode.startswith(("ok:", "drop-wait:", "store-down:", "forget:", "slow-register:",
                            "waits-full:")):
            mode, cert = mode.split(":", 1)
        port_file = os.path.join(args.dir, name + ".port")
        if mode == "blackhole":
            threading.Thread(target=blackhole, args=(port_file,), daemon=True).start()
            continue
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(args.dir, cert + ".pem"),
                            os.path.join(args.dir, cert + ".key"))
        srv = TLSServer(make_handler(name, mode, args), ctx)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        with open(port_file + ".tmp", "w") as f:
            f.write(str(srv.server_address[1]))
        os.rename(port_file + ".tmp", port_file)
    log("fleet: listening")
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
