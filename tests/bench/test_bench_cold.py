#!/usr/bin/env python3
"""TAP tests of the cold-login benchmark's own checks (bench/bench_cold.c):
a login that goes wrong must fail the run, promptly, and leave no client
behind. bench_cold runs a stand-in PAM client here (a shell script in
place of pam_once) that misbehaves as told: exits without a result, gets
"no" from PAM, goes silent, or shows a link no phone can open. The real
logins are measured by bench/cold_stage.sh (bench/run); this is about
the harness not hanging and not reporting figures from a failed login.

And its check of the directory-mapped service (`dingtalk_dir`): once the
warm-up logins have filled token_cache, a timed login that asks the mock
for the app token fails the run. There the stand-in client logs in
through a stand-in helper (FakeHelper: the short link, the callback, the
confirmation page, as the phone expects them) whose callback asks the
mock for an app token when told to, as a module whose cache was not used
would: the mock counts it within that login.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from tap import Tap  # noqa: E402

SRC = os.environ.get("DT_SRCDIR", os.path.join(HERE, "..", ".."))
BUILD = os.environ.get("DT_BUILDDIR", os.path.join(HERE, "..", ".."))
BENCH = os.path.join(BUILD, "bench", "bench_cold")
MOCK = os.path.join(SRC, "tests", "mock", "dingtalk_mock.py")

# The stand-in client: $FAKE_MODE decides; its last two arguments are the
# service and the user, as pam_once's.
FAKE = r"""#!/bin/sh
for a; do service=$user; user=$a; done
good="result 0 1 2 3 0 4 100 1000"
case $FAKE_MODE in
noresult) exit 0 ;;
refused) echo "result 7 1 2 3 0 4 100 1000" ;;
hang) echo $$ >"$FAKE_PIDFILE"; exec sleep 30 ;;
phonefail)
	if [ "$service" = permit ]; then echo "$good"; exit 0; fi
	echo $$ >"$FAKE_PIDFILE"
	echo "qr http://127.0.0.1:1/l/abcdef 12"
	exec sleep 30 ;;
approve)
	if [ "$service" = permit ]; then echo "$good"; exit 0; fi
	echo "qr $FAKE_HELPER/l/$service 12"
	echo "result 0 1 2 3 3.5 4 100 1000" ;;
esac
"""


class FakeHelper:
    """The helper's pages as bench/phone.c walks them, for the stand-in
    client's logins: /l/SERVICE redirects to the mock's authorize page
    with /x/SERVICE/callback as redirect_uri; the callback redirects to a
    page with the confirmation form; /x/SERVICE/confirm answers 200.
    `ask_token` (service name -> how many more times, None: always)
    makes the callback of those services ask the mock for an app token
    first (POST accessToken); `asked` counts them by service."""

    def __init__(self, mock):
        self.mock = mock
        self.ask_token = {}
        self.asked = {}
        helper = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def reply(self, status, location=None, body=b""):
                self.send_response(status)
                if location is not None:
                    self.send_header("Location", location)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                parts = self.path.split("?")[0].split("/")
                if len(parts) == 3 and parts[1] == "l":
                    callback = "%s/x/%s/callback" % (helper.url, parts[2])
                    query = urllib.parse.urlencode({
                        "client_id": "dingmockappkey", "response_type": "code",
                        "scope": "openid", "prompt": "consent", "state": "st",
                        "redirect_uri": callback})
                    return self.reply(302, "%s/oauth2/auth?%s" % (helper.mock, query))
                if len(parts) == 4 and parts[3] == "callback":
                    helper.callback(parts[2])
                    return self.reply(303, "%s/x/%s/page" % (helper.url, parts[2]))
                if len(parts) == 4 and parts[3] == "page":
                    return self.reply(200, body=b'<input name="s" value="a">'
                                      b'<input name="t" value="b">')
                return self.reply(404)

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                return self.reply(200 if self.path.endswith("/confirm") else 404)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def callback(self, service):
        left = self.ask_token.get(service, 0)
        if left is not None and left <= 0:
            return
        req = urllib.request.Request(self.mock + "/v1.0/oauth2/accessToken", data=b"{}",
                                     headers={"Content-Type": "application/json"})
        try:
            urllib.request.urlopen(req, timeout=10).read()
        except urllib.error.HTTPError:
            pass  # a 400 (no appKey): the mock has counted it all the same
        self.asked[service] = self.asked.get(service, 0) + 1
        if left is not None:
            self.ask_token[service] = left - 1

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def running(pid):
    """Whether `pid` is still a live (not zombie) process."""
    try:
        with open("/proc/%d/stat" % pid) as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def start_mock(tmp):
    port_file = os.path.join(tmp, "mock.port")
    proc = subprocess.Popen([sys.executable, MOCK, "--port", "0", "--port-file", port_file],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not os.path.exists(port_file) and time.monotonic() < deadline:
        time.sleep(0.05)
    with open(port_file) as fh:
        return proc, "http://127.0.0.1:" + fh.read().strip()


def bench(tmp, mode, mock, *extra, helper=None):
    fake = os.path.join(tmp, "fake_pam_once")
    env = dict(os.environ, FAKE_MODE=mode, FAKE_PIDFILE=os.path.join(tmp, mode + ".pid"),
               FAKE_HELPER=helper.url if helper is not None else "")
    t0 = time.monotonic()
    r = subprocess.run([BENCH, "--pam-once", fake, "--preload", "", "--mock", mock,
                        "--tls-mock", mock, "--ca", "/dev/null", "--quick"] + list(extra),
                       env=env, capture_output=True, text=True, timeout=120)
    return r, time.monotonic() - t0


def child_pid(tmp, mode):
    with open(os.path.join(tmp, mode + ".pid")) as fh:
        return int(fh.read())


def main():
    t = Tap()
    if not os.access(BENCH, os.X_OK):
        t.skip(13, "bench/bench_cold is not built")
        print("1..%d" % t.n)
        return 0
    tmp = tempfile.mkdtemp(prefix="dt-test-cold.")
    mock = None
    helper = None
    try:
        fake = os.path.join(tmp, "fake_pam_once")
        with open(fake, "w") as fh:
            fh.write(FAKE)
        os.chmod(fake, 0o755)
        mock, url = start_mock(tmp)

        r = subprocess.run([BENCH, "--quick"], capture_output=True, text=True, timeout=30)
        t.eq(r.returncode, 2, "without the stage's arguments: usage, exit 2")

        r, _ = bench(tmp, "noresult", url)
        t.ok(r.returncode == 1 and "wrote no result" in r.stderr,
             "a client that ends without its result line fails the run", r.stderr)
        t.ok("bench cold." not in r.stdout, "and no figure is reported", r.stdout)

        r, _ = bench(tmp, "refused", url)
        t.ok(r.returncode == 1 and "PAM result 7" in r.stderr,
             "a login PAM refuses fails the run, naming the result", r.stderr)

        r, took = bench(tmp, "hang", url, "--child-limit-ms", "500")
        t.ok(r.returncode == 1 and "said nothing for 500 ms" in r.stderr,
             "a silent client fails the run after --child-limit-ms", r.stderr)
        t.ok(took < 10, "promptly (%.1f s; the client would sleep 30 s)" % took)
        t.ok(not running(child_pid(tmp, "hang")), "the silent client is killed")

        r, took = bench(tmp, "phonefail", url, "--child-limit-ms", "20000")
        t.ok(r.returncode == 1 and "the phone: the short link did not redirect" in r.stderr,
             "a link the phone cannot open fails the run, naming the step", r.stderr)
        t.ok(took < 10 and not running(child_pid(tmp, "phonefail")),
             "at once, its client killed (%.1f s; the limit was 20 s)" % took)

        # The app token from the cache (dingtalk_dir).
        helper = FakeHelper(url)
        helper.ask_token = {"dingtalk_dir": 1, "dingtalk_tls": None}
        r, _ = bench(tmp, "approve", url, "--poll-logins", "1", helper=helper)
        t.ok(r.returncode == 0 and helper.asked == {"dingtalk_dir": 1, "dingtalk_tls": 6},
             "dingtalk_dir asking in its warm-up login only (which fills the cache), "
             "dingtalk_tls in every login: the run passes", "%s %s" % (helper.asked, r.stderr))
        t.ok("bench cold.dingtalk_dir.app_token_requests_per_login 0.000 " in r.stdout,
             "and reports 0 app token requests per login for dingtalk_dir", r.stdout)

        helper.ask_token, helper.asked = {"dingtalk_dir": None}, {}
        r, _ = bench(tmp, "approve", url, "--poll-logins", "1", helper=helper)
        t.ok(r.returncode == 1 and "dingtalk_dir: 5 app token requests" in r.stderr and
             "token_cache" in r.stderr,
             "one in each timed login fails the run, naming token_cache", r.stderr)
        t.ok("bench cold.dingtalk_dir.app_token_requests_per_login 1.000 " in r.stdout,
             "and reports 1 per login", r.stdout)
    finally:
        if helper is not None:
            helper.close()
        if mock is not None:
            mock.terminate()
            mock.wait(5)
        shutil.rmtree(tmp, ignore_errors=True)
    print("1..%d" % t.n)
    return 1 if t.failed else 0


if __name__ == "__main__":
    sys.exit(main())
