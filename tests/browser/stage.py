"""What the browser test logs in through: the project's DingTalk mock, a
real dingtalk-callbackd (sessions registered on its control socket, as the
module does), and a prefix-stripping reverse proxy for a `public_url`
with a path. Every process is the test's own child and is killed at the
end; every wait is bounded.
"""

import http.client
import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit

import cdp

IO_TIMEOUT = 20
MOCK_CLIENT_ID = "dingmockappkey"
MOCK_CLIENT_SECRET = "mock-secret-0123456789"
MOCK_CORP_ID = "dingmockcorp0000000000000000000000"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise RuntimeError("%s: not ready within %ds" % (what, timeout))


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=IO_TIMEOUT):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.unix_path)
        self.sock = s


def http_json(conn, method, path, body=None, headers=None):
    try:
        hdrs = dict(headers or {})
        if body is not None:
            body = json.dumps(body)
            hdrs["Content-Type"] = "application/json"
        conn.request(method, path, body=body, headers=hdrs)
        r = conn.getresponse()
        text = r.read().decode("utf-8", "replace")
        try:
            return r.status, json.loads(text)
        except ValueError:
            return r.status, None
    finally:
        conn.close()


class Mock:
    """tests/mock/dingtalk_mock.py on a port of its own."""

    def __init__(self, srcdir, tmp):
        port_file = os.path.join(tmp, "mock.port")
        self.logf = open(os.path.join(tmp, "mock.log"), "wb")
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(srcdir, "tests", "mock", "dingtalk_mock.py"),
             "--port-file", port_file, "--client-id", MOCK_CLIENT_ID,
             "--client-secret", MOCK_CLIENT_SECRET, "--corp-id", MOCK_CORP_ID],
            stdout=self.logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            preexec_fn=cdp.die_with_parent(signal.SIGTERM))
        wait_for(lambda: os.path.exists(port_file) or self.proc.poll() is not None, 10, "mock")
        with open(port_file) as f:
            self.port = int(f.read())
        self.url = "http://127.0.0.1:%d" % self.port

    def authorize_url(self, state):
        return ("%s/oauth2/auth?response_type=code&client_id=%s&scope=openid&state=%s"
                "&prompt=consent" % (self.url, MOCK_CLIENT_ID, state))

    def post(self, path, body):
        return http_json(http.client.HTTPConnection("127.0.0.1", self.port, timeout=IO_TIMEOUT),
                         "POST", path, body)

    def inapp_code(self, person):
        """What DingTalk's JSAPI would hand the page for `person`."""
        status, body = self.post("/_mock/inapp_code", {"person": person, "corpId": MOCK_CORP_ID})
        if status != 200:
            raise RuntimeError("mock gave no in-DingTalk code: %d" % status)
        return body["code"]

    def exchange(self, code):
        """The module's flow A exchange: does DingTalk accept this code?"""
        return self.post("/v1.0/oauth2/userAccessToken",
                         {"clientId": MOCK_CLIENT_ID, "clientSecret": MOCK_CLIENT_SECRET,
                          "code": code, "grantType": "authorization_code"})

    def stop(self):
        stop(self.proc)
        self.logf.close()


class Helper:
    """One dingtalk-callbackd; `public_url` defaults to its own listener."""

    def __init__(self, binary, tmp, name, public_url=None):
        d = os.path.join(tmp, name)
        os.makedirs(d, exist_ok=True)
        self.port = free_port()
        self.direct_url = "http://127.0.0.1:%d" % self.port
        self.public_url = public_url or self.direct_url
        self.sock = os.path.join(d, "run", "control.sock")
        conf = os.path.join(d, "callbackd.conf")
        with open(conf, "w") as f:
            f.write("listen = 127.0.0.1:%d\ncontrol = %s\npublic_url = %s\n"
                    % (self.port, self.sock, self.public_url))
        os.chmod(conf, 0o644)
        self.log = os.path.join(d, "callbackd.log")
        self.logf = open(self.log, "wb")
        self.proc = subprocess.Popen([binary, "-c", conf, "-d"], stdout=self.logf,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     preexec_fn=cdp.die_with_parent(signal.SIGTERM))
        wait_for(lambda: os.path.exists(self.sock) or self.proc.poll() is not None, 10,
                 "dingtalk-callbackd")
        if self.proc.poll() is not None:
            raise RuntimeError("dingtalk-callbackd exited:\n" + self.log_text())

    def log_text(self):
        self.logf.flush()
        with open(self.log, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def ctl(self, method, path, body=None, timeout=IO_TIMEOUT):
        return http_json(UnixHTTPConnection(self.sock, timeout), method, path, body)

    def register(self, **fields):
        """POST /v1/sessions as the module would; (status, answer)."""
        return self.ctl("POST", "/v1/sessions", fields)

    def wait(self, sid, timeout=1):
        return self.ctl("GET", "/v1/sessions/%s/wait?timeout=%d" % (sid, timeout),
                        timeout=timeout + 10)

    def stop(self):
        stop(self.proc)
        self.logf.close()


class PrefixProxy:
    """A reverse proxy on loopback that serves `prefix`/... from the
    helper's /..., as dingtalk-callbackd(8) suggests for a public_url with
    a path; anything else is a 404 of the proxy's own."""

    def __init__(self, prefix):
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def forward(self):
                if not self.path.startswith(proxy.prefix + "/"):
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    proxy.misses.append(self.path.split("?")[0])
                    return
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else None
                hdrs = {k: v for k, v in self.headers.items()
                        if k.lower() not in ("host", "connection")}
                conn = http.client.HTTPConnection("127.0.0.1", proxy.upstream,
                                                  timeout=IO_TIMEOUT)
                try:
                    conn.request(self.command, self.path[len(proxy.prefix):], body, hdrs)
                    r = conn.getresponse()
                    data = r.read()
                finally:
                    conn.close()
                self.send_response(r.status)
                for k, v in r.getheaders():
                    if k.lower() not in ("connection", "transfer-encoding", "content-length"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_HEAD = forward

        self.prefix = prefix
        self.upstream = None  # the helper's port, once it runs
        self.misses = []
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d%s" % (self.port, prefix)
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.2}, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def query_keys(url):
    """The names of a URL's query parameters, lowercased."""
    q = urlsplit(url).query
    return {p.split("=", 1)[0].lower() for p in q.split("&") if p}
