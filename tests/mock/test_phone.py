#!/usr/bin/env python3
"""TAP tests for phone.py against the DingTalk mock and a tiny stand-in for
the helper's public pages (docs/control-api.md, "The phone's side"). The
stand-in is only what phone.py needs; the real helper is C in src/callbackd.
"""

import html
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import http.client
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
MOCK = os.path.join(HERE, "dingtalk_mock.py")
PHONE = os.path.join(HERE, "phone.py")

results = []


def check(cond, desc):
    results.append(bool(cond))
    print("%s %d - %s" % ("ok" if cond else "not ok", len(results), desc), flush=True)


def page(title, body):
    return ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>%s</title>"
            "</head><body>%s</body></html>" % (html.escape(title), body))


class FakeHelper(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    sessions = {}     # id -> dict
    lock = threading.Lock()

    def log_message(self, *a):
        pass

    def reply(self, status, body, location=None):
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        if location:
            self.send_header("Location", location)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        parts = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path.startswith("/l/"):
            with self.lock:
                s = self.sessions.get(parts.path[3:])
                if s is None or s["visited"]:
                    return self.reply(410, page("Link not valid", "<p>used</p>"))
                s["visited"] = True
            cb = "http://127.0.0.1:%d/callback" % self.server.server_address[1]
            return self.reply(302, "", s["authorize_url"] + "&" + urlencode({"redirect_uri": cb}))
        if parts.path == "/callback":
            with self.lock:
                s = next((x for x in self.sessions.values() if x["state"] == q.get("state")), None)
                if s is None or s["status"] != "pending":
                    return self.reply(404, page("Link not valid", ""))
                if "error" in q:
                    s["status"], s["reason"] = "refused", "denied"
                    return self.reply(200, page("Login refused", ""))
                s["code"] = q.get("authCode") or q.get("code")
                s["t"] = secrets.token_urlsafe(16)
                choices = sorted({s["number"], 17, 73})
            buttons = "".join('<button type="submit" name="n" value="%d">%d</button>' % (n, n)
                              for n in choices)
            form = ('<form method="post" action="/confirm">'
                    '<input type="hidden" name="s" value="%s">'
                    '<input type="hidden" name="t" value="%s">%s</form>'
                    % (s["id"], s["t"], buttons))
            return self.reply(200, page("Confirm DingTalk login", form))
        self.reply(404, page("Not found", ""))

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode()
        if self.path != "/confirm" or \
                self.headers.get("Content-Type") != "application/x-www-form-urlencoded":
            return self.reply(400, page("Bad request", ""))
        f = {k: v[0] for k, v in parse_qs(body).items()}
        with self.lock:
            s = self.sessions.get(f.get("s", ""))
            if s is None or s["status"] != "pending" or f.get("t") != s.get("t"):
                return self.reply(404, page("Link not valid", ""))
            if f.get("n") == str(s["number"]):
                s["status"] = "approved"
                return self.reply(200, page("Login approved", ""))
            s["status"], s["reason"] = "refused", "wrong_number"
        return self.reply(200, page("Login refused", ""))


def start_mock(tmp):
    pf = os.path.join(tmp, "mock.port")
    proc = subprocess.Popen([sys.executable, MOCK, "--port", "0", "--port-file", pf],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not os.path.exists(pf):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("mock did not start")
        time.sleep(0.05)
    with open(pf) as fh:
        return proc, int(fh.read())


def new_session(helper_port, mock_port, number):
    sid = secrets.token_urlsafe(12)
    state = secrets.token_urlsafe(24)
    auth = ("http://127.0.0.1:%d/oauth2/auth?" % mock_port) + urlencode(
        {"response_type": "code", "client_id": "dingmockappkey", "scope": "openid",
         "state": state, "prompt": "consent"})
    with FakeHelper.lock:
        FakeHelper.sessions[sid] = {"id": sid, "state": state, "number": number,
                                    "authorize_url": auth, "visited": False,
                                    "status": "pending"}
    return sid, "http://127.0.0.1:%d/l/%s" % (helper_port, sid)


def phone(*args, timeout=30):
    p = subprocess.run([sys.executable, PHONE] + list(args), capture_output=True,
                       timeout=timeout)
    return p.returncode, p.stdout.decode().strip(), p.stderr.decode()


def exchange(mock_port, code):
    conn = http.client.HTTPConnection("127.0.0.1", mock_port, timeout=5)
    try:
        conn.request("POST", "/v1.0/oauth2/userAccessToken", json.dumps(
            {"clientId": "dingmockappkey", "clientSecret": "mock-secret-0123456789",
             "code": code, "grantType": "authorization_code"}),
            {"Content-Type": "application/json"})
        r = conn.getresponse()
        return r.status
    finally:
        conn.close()


def main():
    tmp = tempfile.mkdtemp(prefix="phone-test-")
    mock = None
    helper = ThreadingHTTPServer(("127.0.0.1", 0), FakeHelper)
    helper.daemon_threads = True
    threading.Thread(target=helper.serve_forever, daemon=True).start()
    hport = helper.server_address[1]
    try:
        mock, mport = start_mock(tmp)

        sid, link = new_session(hport, mport, 42)
        rc, out, err = phone("--link", link, "--person", "alice", "--number", "42")
        s = FakeHelper.sessions[sid]
        check(rc == 0 and out == "Login approved" and s["status"] == "approved",
              "approve with the right number -> Login approved")
        check(s.get("code") and exchange(mport, s["code"]) == 200,
              "the code the helper got is a live mock code")
        check(s["code"] not in err and s["state"] not in err, "phone's stderr redacts code and state")

        rc, out, _ = phone("--link", link, "--number", "42")
        check(rc == 0 and out == "Link not valid", "a used short link -> Link not valid")

        sid, link = new_session(hport, mport, 42)
        rc, out, _ = phone("--link", link, "--number", "55")
        s = FakeHelper.sessions[sid]
        check(rc == 0 and out == "Login refused" and s.get("reason") == "wrong_number",
              "a number not offered is still posted -> wrong_number")

        sid, link = new_session(hport, mport, 42)
        rc, out, _ = phone("--link", link, "--number", "42", "--decision", "refuse")
        s = FakeHelper.sessions[sid]
        check(rc == 0 and out == "Login refused" and s.get("reason") == "denied",
              "refuse on the phone -> error=access_denied reaches the helper")

        sid, link = new_session(hport, mport, 64)
        cap = os.path.join(tmp, "terminal.txt")
        proc = subprocess.Popen([sys.executable, PHONE, "--number-from", cap, "--timeout", "15"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        try:
            time.sleep(0.5)
            with open(cap + ".tmp", "w") as fh:
                fh.write("(alice@jump-01) Log in with DingTalk\n"
                         "Open %s and choose the number 64 on your phone.\n" % link)
            os.rename(cap + ".tmp", cap)
            out, _ = proc.communicate(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(5)
        check(proc.returncode == 0 and out.decode().strip() == "Login approved"
              and FakeHelper.sessions[sid]["status"] == "approved",
              "--number-from waits for the capture and takes link and number")

        rc, out, _ = phone("--link", "http://127.0.0.1:1/l/x", "--number", "42", "--timeout", "5")
        check(rc == 2, "transport error -> exit 2")
    except Exception as e:  # a crash is a failure, not a silent pass
        import traceback
        for line in traceback.format_exc().splitlines():
            print("# " + line)
        check(False, "test run crashed: %r" % e)
    finally:
        helper.shutdown()
        helper.server_close()
        if mock is not None and mock.poll() is None:
            mock.terminate()
            try:
                mock.wait(5)
            except subprocess.TimeoutExpired:
                mock.kill()
                mock.wait(5)
        shutil.rmtree(tmp, ignore_errors=True)
    print("1..%d" % len(results))
    return 0 if results and all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
