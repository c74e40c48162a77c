"""The stage of the fleet suites (test_fleet.py, test_sentinel_failover.py):
real programs on loopback, started and stopped by the test.

- Redis: redis-server processes (and redis-sentinel ones) with their own
  configuration, port and directory under the run's temporary directory;
  nothing persisted (`save ""`, no AOF), so a restart starts empty.
- A throwaway CA made with openssl, and one server certificate for
  127.0.0.1 that every replica's TLS control listener presents.
- Host keys made with `dingtalk-ctl host-key new` in the one host_keys
  file every replica reads (and removed with `host-key remove`).
- dingtalk-callbackd replicas: each with its own public port, its own
  TCP+TLS control port and its own Unix control socket, all on the same
  Redis (or the same sentinels) and the same host_keys.
- The DingTalk mock (tests/mock/dingtalk_mock.py) with persons of the run.
- Local users, a map file and PAM service files naming the built module
  with `helper = https://r1 https://r2 https://r3`.
- Logins through Debian's pamtester, each in a private mount namespace
  whose /dev/log is the stage's own syslog socket (the module's log lines
  are read by the test, and nothing reaches the machine's syslog); with a
  hostname of its own when a case needs one (a UTS namespace).
- The phone: tests/mock/phone.py's client, driven step by step here so
  that each step (short link, callback, confirmation) can be sent to a
  chosen replica, as a load balancer would.

Every wait is bounded. Cleanup kills every process the stage started and
removes the users and the PAM service files, also when a case failed.
Codes, states and secrets are never printed: diagnostics redact them.
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
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("DT_SRCDIR", os.path.join(HERE, "..", ".."))
BUILD = os.environ.get("DT_BUILDDIR", SRC)
MODULE = os.environ.get("DT_PAM_MODULE", os.path.join(BUILD, "src/pam/.libs/pam_dingtalk.so"))
CALLBACKD = os.environ.get("DT_CALLBACKD", os.path.join(BUILD, "src/callbackd/dingtalk-callbackd"))
CTL = os.path.join(BUILD, "src/ctl/dingtalk-ctl")
PY = os.environ.get("PYTHON3", sys.executable)
MOCK = os.path.join(SRC, "tests/mock/dingtalk_mock.py")

sys.path.insert(0, os.path.join(SRC, "tests"))
sys.path.insert(0, os.path.join(SRC, "tests/mock"))
from tap import Tap  # noqa: E402,F401  (tests/tap.py)
import phone as phonelib  # noqa: E402  (tests/mock/phone.py)

# Names of their own for each run: two runs on one machine never touch
# each other's users, services or Redis keys.
RUN_ID = os.urandom(3).hex()
TIMEOUT = 15  # the module's `timeout` (its deadline) in these suites
# What pamtester prints for each PAM code (pam_strerror).
PAM_TEXT = {
    "success": "successfully authenticated",
    "unavail": "Authentication service cannot retrieve authentication info",
    "auth_err": "Authentication failure",
}
AUDIT_RE = re.compile(r"audit: result=success .*?user=(\S+) unionid=(\S+)")
LINK_RE = re.compile(r"https?://[^\s]+/l/[A-Za-z0-9_-]+")
NUMBER_RE = re.compile(r"choose the number\D{0,3}(\d{2})")

# What each part of the fleet leaves in its binary: a configuration key or
# a command that exists only once that part is built. A case whose parts
# are missing is skipped and names them.
PARTS = {
    "redis": ("the Redis store (store = redis)", CALLBACKD, b"redis_prefix"),
    "sentinel": ("sentinel discovery (redis_sentinels)", CALLBACKD, b"redis_sentinels"),
    "control_tcp": ("the TCP+TLS control listener (control_listen)", CALLBACKD,
                    b"control_tls_cert"),
    "verify": ("signed control requests on the service (host_keys)", CALLBACKD, b"host_keys"),
    "module": ("the module's https helper list (helper_key_file)", MODULE, b"helper_key_file"),
    "hostkey_cli": ("dingtalk-ctl host-key", CTL, b"host-key"),
}
FLEET_PARTS = ("redis", "control_tcp", "verify", "module", "hostkey_cli")


def missing_parts(names):
    """The parts among `names` that the built tree lacks, as sentences."""
    out = []
    for name in names:
        what, path, marker = PARTS[name]
        try:
            with open(path, "rb") as f:
                present = marker in f.read()
        except OSError:
            present = False
        if not present:
            out.append(what)
    return out


def programs_missing():
    """Why the suite cannot run here, or None."""
    if os.geteuid() != 0:
        return "needs root (users, /etc/pam.d services, mount namespaces for pamtester)"
    for prog in ("redis-server", "redis-cli", "pamtester", "openssl", "unshare", "stdbuf",
                 "useradd"):
        if shutil.which(prog) is None:
            return "needs %s (scripts/test installs it)" % prog
    try:
        with open(MODULE, "rb") as f:
            if b"__asan_init" in f.read():
                return ("the module is built with sanitizers: Debian's pamtester cannot load it "
                        "(the normal build runs this suite)")
    except OSError:
        return "the module is not built: " + MODULE
    return None


class Overrun(BaseException):
    """A case or the suite ran out of its time budget (SIGALRM)."""


def _alarm(signum, frame):
    raise Overrun()


def budget(seconds):
    """Arms the alarm: after `seconds` the main thread gets Overrun."""
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(int(seconds))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_until(pred, seconds, step=0.05):
    """Calls pred until it is true or `seconds` pass; its last value."""
    end = time.monotonic() + seconds
    while True:
        v = pred()
        if v or time.monotonic() >= end:
            return v
        time.sleep(step)


def reroute(url, port):
    """The same URL sent to another replica's public port (a load
    balancer's choice)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc="%s:%d" % (parts.hostname, port)))


def http_get(url, timeout=3.0):
    """(status, body) of a plain GET, or (None, error text)."""
    parts = urlsplit(url)
    try:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        try:
            conn.request("GET", parts.path or "/")
            r = conn.getresponse()
            return r.status, r.read(65536).decode("utf-8", "replace")
        finally:
            conn.close()
    except (OSError, http.client.HTTPException) as e:
        return None, str(e)


def run(argv, timeout=30, **kw):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout,
                          **kw)


def write_secret(path, text):
    """A file only root reads: the module and the service refuse secret
    files with group or other access."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)


def write_atomic(path, text, mode=0o600):
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(tmp, mode)
    os.rename(tmp, path)


def percentile(values, p):
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


# ---------------------------------------------------------------- processes

class Proc:
    """One program the stage started, with its log file."""

    def __init__(self, stage, name, argv):
        self.stage, self.name, self.argv = stage, name, argv
        self.log = os.path.join(stage.work, name + ".log")
        self.p = None

    def start(self):
        with open(self.log, "a") as log:
            self.p = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=log,
                                      stderr=subprocess.STDOUT, start_new_session=True)
        return self

    @property
    def pid(self):
        return self.p.pid if self.p else None

    def alive(self):
        return self.p is not None and self.p.poll() is None

    def send(self, sig):
        if self.alive():
            self.p.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, seconds=5):
        """Ends it (sig, then SIGKILL after `seconds`); True if it had to be killed."""
        if self.p is None:
            return False
        if self.p.poll() is None:
            self.p.send_signal(sig)
            try:
                self.p.wait(seconds)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(5)
                return True
        return False

    def log_tail(self, n=3000):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()[-n:]
        except OSError:
            return ""


class Redis(Proc):
    """A redis-server (or, with `sentinel`, a redis-sentinel) of the stage."""

    def __init__(self, stage, name, port=None, extra="", sentinel=False):
        self.port = port or free_port()
        self.dir = os.path.join(stage.work, name)
        os.makedirs(self.dir, exist_ok=True)
        self.conf = os.path.join(self.dir, "redis.conf")
        with open(self.conf, "w") as f:
            f.write("# written by pam_dingtalk's tests/fleet\n"
                    "port %d\nbind 127.0.0.1\ndir %s\ndaemonize no\n" % (self.port, self.dir))
            if not sentinel:
                f.write('save ""\nappendonly no\n')
            f.write(extra)
        prog = "redis-sentinel" if sentinel else "redis-server"
        super().__init__(stage, name, [shutil.which(prog) or prog, self.conf])
        stage.procs.append(self)

    def cli(self, *args, timeout=3):
        """redis-cli's answer as text, or None when it does not answer."""
        try:
            r = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(self.port)] + list(args),
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        return r.stdout.decode(errors="replace").strip() if r.returncode == 0 else None

    def info(self, section="replication"):
        """INFO's fields as a dict ({} when it does not answer)."""
        text = self.cli("INFO", section) or ""
        return dict(ln.strip().split(":", 1) for ln in text.splitlines() if ":" in ln)

    def master_port(self, name):
        """A sentinel's answer to get-master-addr-by-name: the port, or None."""
        out = (self.cli("SENTINEL", "get-master-addr-by-name", name) or "").split()
        return int(out[1]) if len(out) == 2 and out[1].isdigit() else None

    def master_fields(self, name):
        out = (self.cli("SENTINEL", "master", name) or "").splitlines()
        return dict(zip(out[0::2], out[1::2]))

    def start(self, seconds=10):
        super().start()
        if not wait_until(lambda: self.cli("PING", timeout=1) == "PONG", seconds, 0.1):
            raise RuntimeError("%s did not answer PING on port %d:\n%s"
                               % (self.name, self.port, self.log_tail()))
        return self


# ---------------------------------------------------------------- syslog

class Syslog:
    """The module's log: a datagram socket that each login's private /dev/log
    points at."""

    def __init__(self, path):
        self.path = path
        self.lines = []  # (monotonic time, text)
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        os.chmod(path, 0o666)
        self.sock.settimeout(0.2)
        self.running = True
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while self.running:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.lines.append((time.monotonic(), data.decode("utf-8", "replace")))

    def since(self, t0):
        with self.lock:
            return [text for t, text in self.lines if t >= t0]

    def close(self):
        self.running = False
        self.sock.close()


# ---------------------------------------------------------------- logins

NS_SCRIPT = r"""#!/bin/sh
# A login's private /dev (its /dev/log is the stage's syslog socket) and,
# when given, its own hostname and its own system store of CA certificates
# (a directory mounted on /etc/ssl/certs). Runs inside `unshare -m` (and --uts).
set -e
w=$1 h=$2 c=$3
shift 3
[ "$c" = - ] || mount --bind "$c" /etc/ssl/certs
mount --rbind /dev "$w/olddev"
mount -t tmpfs -o mode=0755,size=1m dt-fleet-dev /dev
for f in "$w"/olddev/*; do
	[ "${f##*/}" = log ] || ln -s "$f" /dev/
done
ln -s "$w/log.sock" /dev/log
[ "$h" = - ] || hostname "$h"
exec "$@"
"""


class Login:
    """One pamtester authentication, read as it runs."""

    def __init__(self, stage, service, user, hostname=None, certs=None):
        self.stage, self.service, self.user = stage, service, user
        argv = ["unshare", "-m", "--propagation", "private"]
        if hostname:
            argv.append("--uts")
        argv += ["sh", stage.ns_script, stage.work, hostname or "-", certs or "-",
                 "stdbuf", "-oL", "-eL", "pamtester", "-v", service, user, "authenticate"]
        self.out = b""
        self.lock = threading.Lock()
        self.started = time.monotonic()
        self.ended = None
        self.rc = None
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
        self.p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, env=env)
        stage.logins.append(self)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        while True:
            data = self.p.stdout.read1(65536)
            if not data:
                break
            with self.lock:
                self.out += data
        self.p.wait()
        self.ended = time.monotonic()

    def text(self):
        with self.lock:
            return self.out.decode("utf-8", "replace")

    def link_and_number(self, seconds=10):
        """The short link and the number the module showed, or (None, None)."""
        def found():
            t = self.text()
            links, numbers = LINK_RE.findall(t), NUMBER_RE.findall(t)
            if links and numbers:
                return links[-1], int(numbers[-1])
            if self.ended is not None:
                return (None, None)
            return None
        return wait_until(found, seconds) or (None, None)

    def wait(self, seconds):
        """The result ('success', 'unavail', 'auth_err', 'other:...') or
        'hung' when pamtester was still running after `seconds` (it is
        then killed)."""
        self.reader.join(seconds)
        if self.reader.is_alive():
            self.kill()
            self.reader.join(5)
            return "hung"
        return self.result()

    def result(self):
        t = self.text()
        for name, text in PAM_TEXT.items():
            if "pamtester: " + text in t:
                return name
        last = [ln for ln in t.splitlines() if ln.startswith("pamtester: ")]
        return "other:" + (last[-1] if last else "exit %s" % self.p.returncode)

    def elapsed(self):
        return (self.ended or time.monotonic()) - self.started

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()

    def diag(self):
        return "pamtester %s %s:\n%s" % (self.service, self.user, self.text()[-2000:])


class PhoneResult:
    def __init__(self):
        self.steps = []  # (what, port, status), for diagnostics (no URL: it holds secrets)
        self.callback = None  # the callback URL (holds the code and state: never printed)
        self.confirm = None  # (port, urlencoded form) of the confirmation
        self.ok = False
        self.error = None
        self.title = None
        self.reloads = 0  # "Service unavailable" pages reloaded

    def __str__(self):
        return "phone: %s%s%s" % (", ".join("%s@%s->%s" % s for s in self.steps),
                                  (" (%d reloads)" % self.reloads) if self.reloads else "",
                                  ("; error: " + self.error) if self.error else "")


UNAVAILABLE_TITLE = "Service unavailable"


def unavailable(status, body):
    """The service's "Service unavailable" page (its store is down)."""
    return status == 503 and phonelib.parse_page(body or "").title == UNAVAILABLE_TITLE


def reloading(res, reload, pause, fetch):
    """What a person does with a "Service unavailable" page, which asks to
    reload in a few seconds: waits `pause` s and loads the same URL again,
    `reload` times at most. fetch() -> (status, ..., body) loads it."""
    got = fetch()
    while reload > 0 and unavailable(got[0], got[-1]):
        time.sleep(pause)
        reload -= 1
        res.reloads += 1
        got = fetch()
    return got


def phone(link, number, person, link_port, callback_port, decision="approve", inject_code=None,
          timeout=10, between=None, reload=0, reload_pause=1.0):
    """The phone of `person`: opens the short link at `link_port`, lets the
    mock's DingTalk decide, comes back to the callback at `callback_port`
    and confirms `number` there. With inject_code, it skips DingTalk and
    answers the callback with that code (someone replaying a code).
    `between`, if given, runs after the short link (while the person would
    read DingTalk's page): a case's fault goes there. With `reload`, a
    "Service unavailable" page at any step is reloaded after
    `reload_pause` s, up to `reload` times per step (as the page asks)."""
    res = PhoneResult()
    client = phonelib.Client(timeout)
    try:
        status, loc, _ = reloading(res, reload, reload_pause,
                                   lambda: client.request("GET", reroute(link, link_port)))
        res.steps.append(("link", link_port, status))
        if not (300 <= status < 400 and loc):
            res.error = "the short link did not redirect"
            return res
        if between is not None:
            between()
        if inject_code is not None:
            q = dict(parse_qsl(urlsplit(loc).query))
            query = urlencode([("authCode", inject_code), ("state", q.get("state", ""))])
            callback = "%s?%s" % (q.get("redirect_uri", ""), query)
        else:
            auth = phonelib.with_params(loc, [("mock_person", person), ("mock_decision", decision)])
            status, callback, _ = client.request("GET", auth)
            res.steps.append(("authorize", urlsplit(auth).port, status))
            if not (300 <= status < 400 and callback):
                res.error = "DingTalk's mock did not redirect to the callback"
                return res
        res.callback = reroute(callback, callback_port)
        status, loc, body = reloading(res, reload, reload_pause,
                                      lambda: client.request("GET", res.callback))
        res.steps.append(("callback", callback_port, status))
        if 300 <= status < 400 and loc:
            # the helper's clean URL, with the cookie the callback set
            page_url = reroute(urljoin(res.callback, loc), callback_port)
            status, _, body = reloading(res, reload, reload_pause,
                                        lambda: client.request("GET", page_url))
            res.steps.append(("page", callback_port, status))
        page = phonelib.parse_page(body)
        res.title = page.title
        if decision != "approve":
            res.ok = status < 400
            return res
        form = next((f for f in page.forms if f["method"] == "post"
                     and (f.get("id") == "confirm-form"
                          or urlsplit(f["action"]).path.endswith("/confirm"))), None)
        if form is None:
            res.error = "no confirmation form (HTTP %d, %r)" % (status, page.title)
            return res
        hidden = {i.get("name"): i.get("value", "") for i in form["inputs"]
                  if i.get("type", "").lower() == "hidden" and i.get("name")}
        fields = urlencode([("s", hidden.get("s", "")), ("t", hidden.get("t", "")),
                            ("n", str(number))])
        res.confirm = (callback_port, fields)
        status, _ = reloading(res, reload, reload_pause,
                              lambda: post_confirm(callback_port, fields, timeout))
        res.steps.append(("confirm", callback_port, status))
        res.ok = status is not None and status < 400
    except phonelib.TransportError as e:
        res.error = phonelib.redact(str(e))
    return res


def post_confirm(port, fields, timeout=10):
    """POSTs a confirmation form to a replica's public port: (status, body)."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            conn.request("POST", "/confirm", body=fields,
                         headers={"Content-Type": "application/x-www-form-urlencoded",
                                  "Origin": "http://127.0.0.1:%d" % port})
            r = conn.getresponse()
            return r.status, r.read(65536).decode("utf-8", "replace")
        finally:
            conn.close()
    except (OSError, http.client.HTTPException) as e:
        return None, str(e)


def replay_get(url, port, timeout=10):
    """The same callback URL again at another replica: (status, has a form)."""
    try:
        status, _, body = phonelib.Client(timeout).request("GET", reroute(url, port))
    except phonelib.TransportError:
        return None, False
    page = phonelib.parse_page(body)
    return status, any(f["method"] == "post" for f in page.forms)


def code_of(callback_url):
    q = dict(parse_qsl(urlsplit(callback_url).query))
    return q.get("authCode") or q.get("code")


# ---------------------------------------------------------------- signed requests

def sign_headers(key_id, secret, method, path, body, ts=None, nonce=None):
    """The four headers of a signed control request, made here from the
    definition in src/core/proto/reqsign.h (not from the C code): a second,
    independent implementation of the string to sign."""
    ts = int(time.time()) if ts is None else ts
    nonce = nonce or base64.urlsafe_b64encode(os.urandom(18)).decode().rstrip("=")
    text = "\n".join(["DT1-HMAC-SHA256", key_id, method, path, str(ts), nonce,
                      hashlib.sha256(body or b"").hexdigest()])
    mac = hmac.new(secret, text.encode(), hashlib.sha256).hexdigest()
    return {"X-DT-Key-Id": key_id, "X-DT-Timestamp": str(ts), "X-DT-Nonce": nonce,
            "X-DT-Signature": mac}


def secret_bytes(text):
    """A key file's secret (43 characters of unpadded base64url) as bytes."""
    return base64.urlsafe_b64decode(text + "=")


class Control:
    """HTTPS to one replica's control listener, verified against the CA."""

    def __init__(self, port, cafile):
        self.port = port
        self.ctx = ssl.create_default_context(cafile=cafile)

    def request(self, method, path, body=None, headers=None, timeout=5):
        """(status, parsed JSON body or None)."""
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout,
                                           context=self.ctx)
        try:
            hdrs = {"Content-Type": "application/json"} if body is not None else {}
            hdrs.update(headers or {})
            conn.request(method, path, body=body, headers=hdrs)
            r = conn.getresponse()
            data = r.read(65536)
            try:
                return r.status, json.loads(data)
            except ValueError:
                return r.status, None
        finally:
            conn.close()


# ---------------------------------------------------------------- the stage

class Stage:
    def __init__(self, tap):
        self.tap = tap
        self.work = tempfile.mkdtemp(prefix="dt-fleet.")
        os.chmod(self.work, 0o755)
        os.mkdir(os.path.join(self.work, "olddev"))
        self.ns_script = os.path.join(self.work, "ns-run.sh")
        with open(self.ns_script, "w") as f:
            f.write(NS_SCRIPT)
        self.procs = []
        self.logins = []
        self.users = []
        self.pam_files = []
        self.replicas = []
        self.syslog = Syslog(os.path.join(self.work, "log.sock"))
        # The service's host_keys: `dingtalk-ctl host-key new` adds to it.
        self.host_keys = os.path.join(self.work, "host-keys")
        self.hostname = socket.gethostname()

    # ---- certificates

    def make_ca(self):
        """A CA of this run and a server certificate for 127.0.0.1 (every
        replica's control listener presents it)."""
        w = self.work
        self.ca = os.path.join(w, "ca.crt")
        ca_key = os.path.join(w, "ca.key")
        self.cert, self.key = os.path.join(w, "control.crt"), os.path.join(w, "control.key")
        csr, ext = os.path.join(w, "control.csr"), os.path.join(w, "control.ext")
        with open(ext, "w") as f:
            f.write("basicConstraints = critical, CA:FALSE\n"
                    "keyUsage = critical, digitalSignature, keyEncipherment\n"
                    "extendedKeyUsage = serverAuth\n"
                    "subjectAltName = IP:127.0.0.1, DNS:localhost\n")
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        steps = [
            ["openssl", "req", "-x509"] + ec + ["-keyout", ca_key, "-out", self.ca, "-days", "2",
                                               "-subj", "/CN=pam_dingtalk fleet test CA " + RUN_ID,
                                               "-addext", "basicConstraints=critical,CA:TRUE",
                                               "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
            ["openssl", "req"] + ec + ["-keyout", self.key, "-out", csr, "-subj", "/CN=127.0.0.1"],
            ["openssl", "x509", "-req", "-in", csr, "-CA", self.ca, "-CAkey", ca_key,
             "-CAcreateserial", "-out", self.cert, "-days", "2", "-extfile", ext],
        ]
        for argv in steps:
            r = run(argv)
            if r.returncode != 0:
                raise RuntimeError("openssl failed: %s\n%s"
                                   % (" ".join(argv[:3]), r.stdout.decode()))
        os.chmod(self.key, 0o600)
        os.chmod(ca_key, 0o600)

    def system_store_with_ca(self):
        """A directory laid out like /etc/ssl/certs (hashed links) holding
        this run's CA, and a second CA of no use to anyone: (the directory,
        the other CA's file)."""
        d = os.path.join(self.work, "system-certs")
        os.makedirs(d, exist_ok=True)
        shutil.copy(self.ca, os.path.join(d, "fleet-test-ca.pem"))
        other = os.path.join(self.work, "other-ca.crt")
        key = os.path.join(self.work, "other-ca.key")
        for argv in (["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                      "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", other,
                      "-days", "2", "-subj", "/CN=pam_dingtalk fleet test other CA " + RUN_ID],
                     ["openssl", "rehash", d]):
            r = run(argv)
            if r.returncode != 0:
                raise RuntimeError("openssl failed: %s\n%s" % (" ".join(argv[:2]),
                                                               r.stdout.decode()))
        return d, other

    # ---- the mock, users, map

    def start_mock(self, persons):
        """The DingTalk mock with `persons` (names) as its people."""
        path = os.path.join(self.work, "persons.json")
        self.union = {}
        plist = []
        for i, name in enumerate(persons):
            uid = "uFleet%s%02dx%sX" % (RUN_ID, i, "0" * 10)
            self.union[name] = uid
            plist.append({"name": name, "nick": "Fleet %s" % name, "unionId": uid,
                          "openId": "o" + uid, "userid": "fleet%02d" % i, "contact_type": 0,
                          "dept_id_list": [1]})
        with open(path, "w") as f:
            json.dump(plist, f)
        port_file = os.path.join(self.work, "mock.port")
        self.mock = Proc(self, "mock", [PY, MOCK, "--port", "0", "--port-file", port_file,
                                        "--persons", path])
        self.mock.start()
        self.procs.append(self.mock)
        if not wait_until(lambda: os.path.exists(port_file), 10):
            raise RuntimeError("the DingTalk mock did not start:\n" + self.mock.log_tail())
        with open(port_file) as f:
            self.mock_url = "http://127.0.0.1:" + f.read().strip()

    def mock_stats(self):
        status, body = http_get(self.mock_url + "/_mock/stats")
        return json.loads(body) if status == 200 else {}

    def add_users(self, count):
        """`count` local users of this run (no home, no shell)."""
        for i in range(count):
            name = "dtfl%s%d" % (RUN_ID, i)
            r = run(["useradd", "-M", "-d", "/nonexistent", "-s", "/usr/sbin/nologin", name])
            if r.returncode != 0:
                raise RuntimeError("useradd %s: %s" % (name, r.stdout.decode()))
            self.users.append(name)
        return list(self.users)

    def write_map(self, pairs):
        """The map file: (person, user) pairs."""
        self.owner = {self.union[person]: user for person, user in pairs}
        self.map_file = os.path.join(self.work, "pam_dingtalk.map")
        with open(self.map_file, "w") as f:
            for person, user in pairs:
                f.write("%s  %s\n" % (self.union[person], user))
        os.chmod(self.map_file, 0o644)

    # ---- host keys

    def new_host_key(self, host):
        """`dingtalk-ctl host-key new HOST`: a key added to the service's
        host_keys file; its stdout, the host's whole key file, is written
        where the module reads it. Returns (key id, key file, secret)."""
        r = subprocess.run([CTL, "host-key", "new", "--keys", self.host_keys, host],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        out = r.stdout.decode(errors="replace")
        first = out.splitlines()[0].split() if out.strip() else []
        if r.returncode != 0 or len(first) != 2:
            # stdout holds the secret: only stderr is shown
            raise RuntimeError("dingtalk-ctl host-key new %s failed (exit %d): %s"
                               % (host, r.returncode, r.stderr.decode(errors="replace")[-1500:]))
        key_id, secret = first
        path = os.path.join(self.work, "hostkey-" + key_id)
        write_secret(path, out)
        return key_id, path, secret

    def remove_host_key(self, key_id):
        """`dingtalk-ctl host-key remove KEY_ID`: (exit code, its output)."""
        r = run([CTL, "host-key", "remove", "--keys", self.host_keys, key_id])
        return r.returncode, r.stdout.decode(errors="replace")

    # ---- replicas

    def redis_conf(self, redis_port=None, sentinels=None, master=None):
        self.store_lines = ("store = redis\nredis_prefix = dtfleet-%s:\nredis_timeout = 500\n"
                            % RUN_ID)
        if sentinels:
            self.store_lines += "redis_sentinels = %s\nredis_master = %s\n" % (
                " ".join("127.0.0.1:%d" % p for p in sentinels), master)
        else:
            self.store_lines += "redis = 127.0.0.1:%d\n" % redis_port

    def single_helper(self):
        """One helper as a single host runs it today: the memory store, the
        module on its Unix socket. Returns (Proc, public port, socket path)."""
        port = free_port()
        sock_dir = os.path.join(self.work, "single")
        os.makedirs(sock_dir, exist_ok=True)
        sock = os.path.join(sock_dir, "control.sock")
        conf = os.path.join(self.work, "callbackd-single.conf")
        with open(conf, "w") as f:
            f.write("listen = 127.0.0.1:%d\npublic_url = http://127.0.0.1:%d\ncontrol = %s\n"
                    % (port, port, sock))
        p = Proc(self, "single", [CALLBACKD, "-c", conf, "-d"]).start()
        self.procs.append(p)
        if not wait_until(lambda: os.path.exists(sock) or not p.alive(), 10) or not p.alive():
            raise RuntimeError("the single helper did not start:\n" + p.log_tail())
        return p, port, sock

    def add_replica(self):
        i = len(self.replicas) + 1
        r = Replica(self, i)
        self.replicas.append(r)
        return r

    def helper_urls(self):
        return " ".join("https://127.0.0.1:%d" % r.control_port for r in self.replicas)

    # ---- the module

    def module_conf(self, name, key_file=None, helper=None, ca=None):
        """A module configuration and a PAM service naming it; returns the
        service name. Without key_file: a helper on a Unix socket."""
        conf = os.path.join(self.work, "pam_dingtalk-%s.conf" % name)
        fleet = ""
        if key_file is not None:
            fleet = "helper_ca_file = %s\nhelper_key_file = %s\n" % (ca or self.ca, key_file)
        write_secret(conf, "# written by pam_dingtalk's tests/fleet\n"
                     "client_id = dingmockappkey\nclient_secret = mock-secret-0123456789\n"
                     "login_base = %s\napi_base = %s\noapi_base = %s\nhelper = %s\n%s"
                     "map_file = %s\ntoken_cache = %s\ntimeout = %d\nwait = poll\nqr = off\n"
                     "lang = en\nrecovery = no\ndebug = yes\n"
                     % (self.mock_url, self.mock_url, self.mock_url, helper or self.helper_urls(),
                        fleet, self.map_file, os.path.join(self.work, "app-token"), TIMEOUT))
        service = "dt-fleet-%s-%s" % (RUN_ID, name)
        path = "/etc/pam.d/" + service
        self.pam_files.append(path)
        with open(path, "w") as f:
            f.write("# written by pam_dingtalk's tests/fleet (removed when the run ends)\n"
                    "auth     required %s conf=%s\n"
                    "account  required pam_permit.so\n" % (MODULE, conf))
        return service

    def login(self, service, user, hostname=None, certs=None):
        return Login(self, service, user, hostname, certs)

    def audit_successes(self, t0, expected):
        """The module's audit lines of successes since t0 (waiting up to 2 s
        for `expected` of them to come in): (their number, the lines whose
        unionId is not the one bound to their account)."""
        def lines():
            return [m for m in (AUDIT_RE.search(ln) for ln in self.syslog.since(t0)) if m]
        wait_until(lambda: len(lines()) >= expected, 2)
        found = lines()
        return len(found), [m.group(0) for m in found if self.owner.get(m.group(2)) != m.group(1)]

    # ---- the end

    def cleanup(self):
        for lg in self.logins:
            lg.kill()
        for p in reversed(self.procs):
            try:
                p.stop(signal.SIGTERM, 5)
            except Exception:
                pass
        for path in self.pam_files:
            if os.path.exists(path):
                os.unlink(path)
        for user in self.users:
            run(["pkill", "-KILL", "-u", user])
            run(["userdel", "-f", user])
        self.syslog.close()
        if os.environ.get("DT_FLEET_KEEP"):
            print("# stage kept in %s" % self.work)
        else:
            shutil.rmtree(self.work, ignore_errors=True)


class Replica(Proc):
    """One dingtalk-callbackd of the fleet."""

    def __init__(self, stage, i):
        self.i = i
        self.public_port = free_port()
        self.control_port = free_port()
        self.conf = os.path.join(stage.work, "callbackd-r%d.conf" % i)
        sock_dir = os.path.join(stage.work, "r%d" % i)
        os.makedirs(sock_dir, exist_ok=True)
        self.control_sock = os.path.join(sock_dir, "control.sock")
        with open(self.conf, "w") as f:
            f.write("# written by pam_dingtalk's tests/fleet: replica %d\n"
                    "listen = 127.0.0.1:%d\npublic_url = http://127.0.0.1:%d\ncontrol = %s\n"
                    "control_listen = 127.0.0.1:%d\ncontrol_tls_cert = %s\ncontrol_tls_key = %s\n"
                    "host_keys = %s\ncontrol_skew = 60\n%s"
                    "max_pending_per_requester = 32\nmax_pending_per_address = 0\n"
                    % (i, self.public_port, self.public_port, self.control_sock, self.control_port,
                       stage.cert, stage.key, stage.host_keys, stage.store_lines))
        super().__init__(stage, "replica%d" % i, [CALLBACKD, "-c", self.conf, "-d"])
        stage.procs.append(self)
        self.control = Control(self.control_port, stage.ca)

    def healthz(self):
        status, _ = http_get("http://127.0.0.1:%d/healthz" % self.public_port, 1.5)
        return status

    def start(self, seconds=10):
        super().start()
        if not wait_until(lambda: self.healthz() == 200 or not self.alive(), seconds, 0.1) \
                or not self.alive():
            raise RuntimeError("replica %d did not become healthy:\n%s" % (self.i, self.log_tail()))
        if not wait_until(lambda: _tcp_open(self.control_port), seconds, 0.1):
            raise RuntimeError("replica %d's control listener is not up:\n%s"
                               % (self.i, self.log_tail()))
        return self


def _tcp_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), 0.5).close()
        return True
    except OSError:
        return False
