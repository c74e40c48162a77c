#!/usr/bin/env python3
"""Black-box tests of dingtalk-callbackd: the control API on its Unix socket
(docs/control-api.md) and the public pages a phone sees. Speaks TAP.

  DT_CALLBACKD  the built helper (default: ../../src/callbackd/dingtalk-callbackd
                next to this file)
  DT_TMPDIR     where to put configs, sockets and logs (default: a new temp dir)
  DT_CALLBACKD_REDIS  a Redis address: every helper runs on the Redis store
                (store = redis), each under its own key prefix, so the same
                checks hold for both stores (test_store_redis.py sets it)

Runs as any user (the helper trusts a config of its own uid when it is not
root); as root, the non-root peer test drops to uid 65534 in a forked
child, and without root it is skipped. Every wait is bounded; helpers
are killed at the end whatever happened.
"""

import base64
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from html.parser import HTMLParser
from urllib.parse import parse_qs, quote, urlencode, urljoin, urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from tap import Tap  # noqa: E402  (tests/tap.py)
HELPER = os.environ.get("DT_CALLBACKD") or os.path.join(
    HERE, "..", "..", "src", "callbackd", "dingtalk-callbackd")
AUTH_URL = ("https://login.dingtalk.com/oauth2/auth?response_type=code"
            "&client_id=dingmock&scope=openid&state=%s&prompt=consent")
SECURITY_HEADERS = {
    "content-security-policy":
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'",
    "cache-control": "no-store",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "vary": "Accept-Language",
}
IO_TIMEOUT = 40

# ---------------------------------------------------------------- TAP


T = Tap()
SECRETS = set()  # states and codes: must never show up in the helper's log


def new_state():
    s = os.urandom(24).hex()[:32]
    SECRETS.add(s)
    return s


def new_code():
    c = "code" + os.urandom(12).hex()
    SECRETS.add(c)
    return c

# ---------------------------------------------------------------- HTTP


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=IO_TIMEOUT):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.unix_path)
        self.sock = s


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


def do(conn, method, path, body=None, headers=None):
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return Resp(r, r.read())
    finally:
        conn.close()


class Helper:
    """One running dingtalk-callbackd with its own config and socket."""

    def __init__(self, tmp, name, extra="", umask=None, healthy=True, url_path=""):
        """healthy=False: waits for the control socket only (a helper
        whose store is down answers /healthz 503). url_path: public_url's
        path, as behind a proxy that strips it (Browser(prefix=...))."""
        self.dir = os.path.join(tmp, name)
        os.makedirs(self.dir, exist_ok=True)
        self.port = free_port()
        self.public_url = "http://127.0.0.1:%d%s" % (self.port, url_path)
        self.sock = os.path.join(self.dir, "run", "control.sock")
        self.conf = os.path.join(self.dir, "callbackd.conf")
        self.log = os.path.join(self.dir, "callbackd.log")
        redis = os.environ.get("DT_CALLBACKD_REDIS")
        if redis:
            extra += ("store = redis\nredis = %s\nredis_prefix = t:%s:%s:\n"
                      % (redis, os.path.basename(tmp), name))
        with open(self.conf, "w") as f:
            f.write("# written by test_callbackd.py\n"
                    "listen = 127.0.0.1:%d\ncontrol = %s\npublic_url = %s\n%s"
                    % (self.port, self.sock, self.public_url, extra))
        os.chmod(self.conf, 0o644)
        self.logf = open(self.log, "wb")
        self.proc = subprocess.Popen([HELPER, "-c", self.conf, "-d"],
                                     stdout=self.logf, stderr=subprocess.STDOUT,
                                     preexec_fn=None if umask is None else lambda: os.umask(umask))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if os.path.exists(self.sock) and (not healthy or self.healthy()):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError("helper %s did not start:\n%s" % (name, self.log_text()))

    def healthy(self):
        try:
            return self.pub("GET", "/healthz").status == 200
        except OSError:
            return False

    def log_text(self):
        self.logf.flush()
        with open(self.log, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def ctl(self, method, path, body=None, timeout=IO_TIMEOUT, raw=False):
        headers = {}
        if body is not None and not raw:
            body = json.dumps(body)
        if body is not None:
            headers["Content-Type"] = "application/json"
        return do(UnixHTTPConnection(self.sock, timeout), method, path, body, headers)

    def pub(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=IO_TIMEOUT)
        return do(conn, method, path, body, headers)

    requesters = 0

    def register(self, **kw):
        """Registers a session; unless told otherwise each call is a
        requester of its own, so max_pending_per_requester stays out of the
        way of tests about other things."""
        state = kw.pop("state", None) or new_state()
        Helper.requesters += 1
        body = {"state": state, "number": 42, "user": "alice", "service": "sshd",
                "host": "jump-01", "rhost": "10.0.0.5",
                "requester": "test:%d" % Helper.requesters,
                "authorize_url": AUTH_URL % state, "ttl": 90}
        body.update(kw)
        r = self.ctl("POST", "/v1/sessions", body)
        return r, state

    def wait(self, sid, timeout=1):
        return self.ctl("GET", "/v1/sessions/%s/wait?timeout=%d" % (sid, timeout),
                        timeout=timeout + 10)

    def callback(self, **params):
        return self.pub("GET", "/callback?" + urlencode(params))

    def confirm(self, s, t, n):
        return self.pub("POST", "/confirm", urlencode({"s": s, "t": t, "n": n}),
                        {"Content-Type": "application/x-www-form-urlencoded"})

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.logf.close()
        return self.proc.returncode


def raw_status(sock, head, body):
    """Sends a request whose body the server may refuse half way; returns the
    status line's code (0 if none arrived)."""
    sock.settimeout(10)
    data = b""
    try:
        sock.sendall(head)
        try:
            sock.sendall(body)
        except (BrokenPipeError, ConnectionResetError):
            pass
        while b"\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    except (ConnectionResetError, socket.timeout):
        pass
    finally:
        sock.close()
    m = re.match(rb"HTTP/1\.[01] (\d+)", data)
    return int(m.group(1)) if m else 0


def post_big(h, public, path, ctype, body):
    if public:
        s = socket.create_connection(("127.0.0.1", h.port), timeout=10)
    else:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(h.sock)
    head = ("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n"
            % (path, ctype, len(body))).encode()
    return raw_status(s, head, body)


class Browser:
    """A phone's browser in front of one helper: a cookie jar that keeps
    each cookie's Path, redirects resolved against the address the browser
    shows (relative ones too), an Accept-Language. With `prefix` it stands
    behind a proxy that serves the helper under that path and strips it:
    a request outside the prefix is the proxy's 404, never the helper's.
    `shown` lists every address the browser displayed after a redirect."""

    def __init__(self, h, lang=None, prefix=""):
        self.h, self.lang, self.prefix = h, lang, prefix
        self.cookies = {}  # name -> (value, path, attributes)
        self.shown = []
        self.set_cookies = []

    def _take_cookie(self, r, path):
        v = r.headers.get("set-cookie")
        if not v:
            return
        self.set_cookies.append(v)
        parts = [p.strip() for p in v.split(";")]
        name, _, value = parts[0].partition("=")
        attrs = {}
        for p in parts[1:]:
            k, _, val = p.partition("=")
            attrs[k.lower()] = val
        cpath = attrs.get("path") or path.rsplit("/", 1)[0] + "/"
        self.cookies[name] = (value, cpath, attrs)

    def _cookie_header(self, path):
        return "; ".join("%s=%s" % (n, v) for n, (v, p, _) in self.cookies.items()
                         if path.startswith(p) or path == p.rstrip("/"))

    def request(self, method, path, form=None, follow=True, headers=None):
        """path: what the browser asks for (with the prefix). Returns the
        final Resp with .url (the address shown)."""
        hdrs = dict(headers or {})
        cookie = self._cookie_header(path.split("?")[0])
        if cookie:
            hdrs["Cookie"] = cookie
        if self.lang is not None:
            hdrs["Accept-Language"] = self.lang
        body = None
        if form is not None:
            body = urlencode(form)
            hdrs.setdefault("Content-Type", "application/x-www-form-urlencoded")
        if not path.startswith(self.prefix + "/"):
            r = Resp.__new__(Resp)
            r.status, r.headers, r.body, r.text = 404, {}, b"", "proxy: not under the prefix"
        else:
            r = self.h.pub(method, path[len(self.prefix):], body, hdrs)
        self._take_cookie(r, path.split("?")[0])
        r.url = path
        loc = r.headers.get("location")
        if follow and r.status in (302, 303) and loc:
            nxt = urljoin("http://phone" + path, loc)
            if not nxt.startswith("http://phone/"):
                return r  # leaves for another origin (DingTalk)
            nxt = nxt[len("http://phone"):]
            self.shown.append(nxt)
            return self.request("GET", nxt, follow=True)
        return r

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, form, **kw):
        return self.request("POST", path, form=form, **kw)

    def callback(self, **params):
        return self.get(self.prefix + "/callback?" + urlencode(params))


def form_action(page, path, form_id="confirm-form"):
    """Where the form `form_id` of the page shown at `path` posts."""
    f = Page(page.text).forms.get(form_id) or {}
    return urljoin("http://phone" + path, f.get("action", ""))[len("http://phone"):]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port

# ---------------------------------------------------------------- pages


class Page(HTMLParser):
    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.title = None
        self._in_title = False
        self.form = None
        self.forms = {}
        self.hidden = {}
        self.buttons = []
        self.inputs = {}
        self.ids = {}
        self.tags = []
        self.lang = None
        self.text = []
        self.feed(text)
        self.text = " ".join(" ".join(self.text).split())

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if "id" in a:
            self.ids[a["id"]] = (tag, a)
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "title":
            self._in_title = True
            self.title = ""
        elif tag == "form":
            if self.form is None:
                self.form = a
            self.forms[a.get("id")] = a
        elif tag == "input" and a.get("type") == "hidden":
            self.hidden[a.get("name")] = a.get("value")
        elif tag == "input":
            self.inputs[a.get("name")] = a
        elif tag == "button":
            self.buttons.append((a.get("type"), a.get("name"), a.get("value")))

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        elif "style" not in self.tags[-1:]:
            self.text.append(data)


def title(resp):
    return Page(resp.text).title


def headers_ok(resp):
    bad = ["%s: %r" % (k, resp.headers.get(k)) for k, v in SECURITY_HEADERS.items()
           if resp.headers.get(k) != v]
    return not bad, "; ".join(bad)

# ---------------------------------------------------------------- helpers


def background_wait(h, sid, timeout):
    """Starts a wait in a thread; returns (thread, result dict)."""
    out = {}

    def run():
        t0 = time.monotonic()
        try:
            out["resp"] = h.wait(sid, timeout)
        except Exception as e:  # reported by the caller
            out["error"] = e
        out["elapsed"] = time.monotonic() - t0
        out["done_at"] = time.monotonic()

    th = threading.Thread(target=run, daemon=True)
    th.start()
    return th, out


def session_at_confirm(h, number=42, browser=None, **kw):
    """Registers, follows the link, delivers a code and follows the
    redirect to the clean URL in `browser` (a new one by default); returns
    id, state, code and the page (page.browser: the browser)."""
    r, state = h.register(number=number, **kw)
    sid = r.json()["id"]
    h.pub("GET", "/l/" + sid)
    code = new_code()
    b = browser or Browser(h)
    page = b.callback(authCode=code, state=state)
    page.browser = b
    return sid, state, code, page


def as_nobody(path, request):
    """Connects to `path` as uid 65534 in a forked child; returns what it saw:
    ('status', code) or ('error', errno)."""
    rd, wr = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(rd)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(10)
            try:
                s.connect(path)
                s.sendall(request)
                data = b""
                while b"\r\n" not in data:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                m = re.match(rb"HTTP/1\.[01] (\d+)", data)
                msg = "status %s" % (m.group(1).decode() if m else "none")
            except OSError as e:
                msg = "error %d" % (e.errno or 0)
            os.write(wr, msg.encode())
        finally:
            os._exit(0)
    os.close(wr)
    data = b""
    while True:
        chunk = os.read(rd, 100)
        if not chunk:
            break
        data += chunk
    os.close(rd)
    os.waitpid(pid, 0)
    kind, _, value = data.decode().partition(" ")
    return kind, value

# ---------------------------------------------------------------- tests


def test_startup(h):
    st = os.stat(h.sock)
    T.ok(stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600,
         "control socket exists with mode 0600", oct(st.st_mode))
    r = h.pub("GET", "/healthz")
    T.ok(r.status == 200 and r.text.strip() == "ok", "GET /healthz -> 200 ok",
         (r.status, r.text))


def test_umask(tmp):
    """The socket's directory (made by the helper) and the socket get their
    modes whatever umask the helper was started with."""
    for mask in (0o077, 0o000):
        h = Helper(tmp, "umask%03o" % mask, umask=mask)
        try:
            d = os.stat(os.path.dirname(h.sock))
            s = os.stat(h.sock)
            T.ok(stat.S_IMODE(d.st_mode) == 0o755 and stat.S_IMODE(s.st_mode) == 0o600,
                 "umask %03o: the socket's new directory is 0755, the socket 0600" % mask,
                 "directory %o, socket %o" % (stat.S_IMODE(d.st_mode), stat.S_IMODE(s.st_mode)))
        finally:
            h.stop()


def test_register(h):
    r, _ = h.register()
    j = r.json() or {}
    T.ok(r.status == 201 and re.fullmatch(r"[A-Za-z0-9_-]{16}", j.get("id", "")) is not None,
         "register -> 201 with a 16-char id", (r.status, r.text))
    T.eq(j.get("short_url"), h.public_url + "/l/" + j.get("id", "?"),
         "short_url is public_url/l/<id>")
    T.eq(j.get("expires_in"), 90, "expires_in echoes the ttl")
    T.eq(r.headers.get("content-type"), "application/json", "control answers are JSON")

    r, _ = h.register(ttl=100000)
    T.eq((r.status, (r.json() or {}).get("expires_in")), (201, 120),
         "a ttl above session_ttl is clamped")
    r, _ = h.register(ttl=5)
    T.eq((r.status, (r.json() or {}).get("expires_in")), (201, 10),
         "a ttl below 10 is raised to 10")


def test_register_bad(h):
    cases = [
        ("number as a string", {"number": "42"}, "number"),
        ("number out of range", {"number": 100}, "number"),
        ("number as a float", {"number": 42.0}, "number"),
        ("state too short", {"state": "abc"}, "state"),
        ("state with bad characters", {"state": "a" * 30 + "!!"}, "state"),
        ("user not a string", {"user": 7}, "user"),
        ("user too long", {"user": "u" * 257}, "user"),
        ("host missing", {"host": None}, "host"),
        ("authorize_url not http(s)", {"authorize_url": "ftp://x/y"}, "authorize_url"),
        ("authorize_url with redirect_uri",
         {"authorize_url": "https://x/a?b=c&redirect_uri=https%3A%2F%2Fevil"}, "authorize_url"),
        ("ttl 0", {"ttl": 0}, "ttl"),
        ("ttl as a string", {"ttl": "90"}, "ttl"),
        ("requester missing", {"requester": None}, "requester"),
        ("requester empty", {"requester": ""}, "requester"),
        ("requester too long", {"requester": "r" * 601}, "requester"),
        ("requester not a string", {"requester": 1001}, "requester"),
    ]
    for name, change, field in cases:
        state = new_state()
        body = {"state": state, "number": 42, "user": "alice", "service": "sshd",
                "host": "jump-01", "rhost": "", "authorize_url": AUTH_URL % state,
                "requester": "uid:1001"}
        for k, v in change.items():
            if v is None:
                body.pop(k, None)
            else:
                body[k] = v
        r = h.ctl("POST", "/v1/sessions", body)
        err = (r.json() or {}).get("error", "")
        T.ok(r.status == 400 and field in err, "register with %s -> 400 naming '%s'"
             % (name, field), (r.status, r.text))

    r = h.ctl("POST", "/v1/sessions", "{not json", raw=True)
    T.eq(r.status, 400, "register with a body that is not JSON -> 400")
    r = h.ctl("POST", "/v1/sessions", "[1,2]", raw=True)
    T.eq(r.status, 400, "register with a JSON array -> 400")
    big = json.dumps({"state": new_state(), "pad": "x" * 9000}).encode()
    T.eq(post_big(h, False, "/v1/sessions", "application/json", big), 413,
         "register with a body over 8 KiB -> 413")

    r, state = h.register()
    r2, _ = h.register(state=state)
    T.eq((r.status, r2.status), (201, 409), "a duplicate state -> 409")


def test_control_routes(h):
    T.eq(h.ctl("GET", "/v1/nothing").status, 404, "control: unknown path -> 404")
    T.eq(h.ctl("GET", "/v1/sessions").status, 405, "control: GET /v1/sessions -> 405")
    r = h.wait("AAAAAAAAAAAAAAAA", 1)
    T.ok(r.status == 404 and (r.json() or {}).get("error") == "unknown session",
         "wait on an unknown id -> 404 unknown session", (r.status, r.text))
    r, _ = h.register()
    sid = r.json()["id"]
    for bad in ("0", "31", "abc", "-1"):
        r = h.ctl("GET", "/v1/sessions/%s/wait?timeout=%s" % (sid, bad))
        T.eq(r.status, 400, "wait with timeout=%s -> 400" % bad)


def test_link(h):
    r, state = h.register()
    sid = r.json()["id"]
    r = h.pub("GET", "/l/" + sid)
    loc = r.headers.get("location", "")
    want = (AUTH_URL % state) + "&redirect_uri=" + quote(h.public_url + "/callback", safe="")
    T.eq(r.status, 302, "GET /l/<id> -> 302")
    T.eq(loc, want, "Location is authorize_url + &redirect_uri=<urlencoded callback>")
    q = parse_qs(urlsplit(loc).query)
    T.eq(q.get("redirect_uri"), [h.public_url + "/callback"], "redirect_uri decodes back")
    ok, why = headers_ok(r)
    T.ok(ok, "the redirect carries the security headers", why)

    r = h.pub("GET", "/l/" + sid)
    T.ok(r.status == 410 and title(r) == "Link already used", "a second visit -> 410 page",
         (r.status, title(r)))
    r = h.pub("GET", "/l/ZZZZZZZZZZZZZZZZ")
    T.ok(r.status == 404 and title(r) == "Unknown or expired link", "an unknown link -> 404 page",
         (r.status, title(r)))
    r = h.pub("GET", "/l/%3Cscript%3E")
    T.ok(r.status == 404 and "<script" not in r.text, "a malformed link -> 404 page")
    r = h.pub("GET", "/nope")
    T.eq(r.status, 404, "an unknown public path -> 404")
    T.ok(headers_ok(r)[0], "the 404 page carries the security headers", headers_ok(r)[1])
    r = h.pub("POST", "/l/" + sid, "")
    T.ok(r.status == 405 and r.headers.get("allow") == "GET" and
         title(r) == "Request not allowed", "POST /l/<id> -> 405 with Allow: GET",
         (r.status, r.headers.get("allow"), title(r)))
    for method, path, allow in (("POST", "/callback", "GET"), ("GET", "/confirm", "POST"),
                                ("PUT", "/c/AAAAAAAAAAAAAAAA", "GET, POST"),
                                ("DELETE", "/healthz", "GET, HEAD")):
        r = h.pub(method, path, "" if method != "GET" else None)
        T.ok(r.status == 405 and r.headers.get("allow") == allow and headers_ok(r)[0],
             "%s %s -> 405 with Allow: %s" % (method, path, allow),
             (r.status, r.headers.get("allow")))


def test_inapp_page(h):
    """Flow C: a dingtalk-inapp pseudo-URL makes the short link serve the
    page that runs DingTalk's JSAPI, with a nonce-only script policy."""
    state = new_state()
    r, _ = h.register(state=state,
                      authorize_url="dingtalk-inapp:?corpId=dingcorp42&state=%s"
                      "&clientId=dingappkey7" % state)
    T.ok(r.status == 201, "register with a dingtalk-inapp URL -> 201", r.text)
    sid = (r.json() or {}).get("id", "?")
    r = h.pub("GET", "/l/" + sid)
    T.eq(r.status, 200, "GET /l/<id> of an in-DingTalk session -> 200 page")
    csp = r.headers.get("content-security-policy", "")
    m = re.search(r"script-src 'nonce-([A-Za-z0-9_-]{20,})';", csp)
    T.ok(m is not None and csp.startswith("default-src 'none';"),
         "the page's CSP allows only its nonce: no other host", csp)
    nonce = m.group(1) if m else "?"
    scripts = re.findall(r"<script([^>]*)>", r.text)
    T.ok(len(scripts) == 2 and all('nonce="%s"' % nonce in a for a in scripts),
         "both scripts carry the nonce", scripts)
    T.ok('data-corp-id="dingcorp42"' in r.text and ('data-state="%s"' % state) in r.text and
         'data-client-id="dingappkey7"' in r.text and
         ('data-callback="%s/callback"' % h.public_url) in r.text,
         "corpId, clientId, state and callback travel in data attributes", r.text[:600])
    T.ok("frame-ancestors 'none'" in csp and "base-uri 'none'" in csp,
         "the page may not be framed nor change its base", csp)
    T.ok('<html lang="en">' in r.text and "<noscript>" in r.text,
         "English by default, with a <noscript> text")
    T.ok("dd.requestAuthCode(" in r.text and "p.requestAuthCode(" in r.text,
         "the page asks with dd.requestAuthCode, the older call as fallback")
    m = re.search(r'<script[^>]* src="%s(/jsapi/[^"]+\.js)" integrity="(sha384-[^"]+)" '
                  r'crossorigin="anonymous"' % re.escape(h.public_url), r.text)
    T.ok(m is not None, "DingTalk's JSAPI is ours, under public_url, with an integrity hash",
         scripts)
    js = h.pub("GET", m.group(1) if m else "/jsapi/none.js")
    with open(os.path.join(HERE, "..", "..", "src", "callbackd", "jsapi",
                           "dingtalk-jsapi.js"), "rb") as f:
        pinned = f.read()
    want = "sha384-" + base64.b64encode(hashlib.sha384(js.body).digest()).decode()
    T.ok(js.status == 200 and js.body == pinned and m is not None and m.group(2) == want and
         js.headers.get("content-type", "").startswith("text/javascript"),
         "the helper serves the pinned file, and the page's hash is its sha384",
         "status %d, %d bytes (pinned %d), integrity %s, want %s"
         % (js.status, len(js.body), len(pinned), m and m.group(2), want))
    T.eq(h.pub("POST", m.group(1) if m else "/jsapi/none.js").status, 405,
         "POST to the JSAPI -> 405")
    old_state = new_state()
    r, _ = h.register(state=old_state,
                      authorize_url="dingtalk-inapp:?corpId=dingcorp42&state=" + old_state)
    T.eq(r.status, 201, "a module without clientId still registers")
    r = h.pub("GET", "/l/" + (r.json() or {}).get("id", "?"),
              headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    T.ok('data-client-id=""' in r.text and '<html lang="zh-CN">' in r.text,
         "without clientId the page has none (the older call), in Chinese for zh-CN",
         r.text[:300])
    r2 = h.pub("GET", "/l/" + sid)
    T.eq(r2.status, 410, "the in-DingTalk link is single use too")
    r = Browser(h).callback(code="inapp-code-1", state=state)
    T.eq(title(r), "Confirm DingTalk login", "its callback leads to the confirmation page")
    for bad in ("dingtalk-inapp:?corpId=ding%3Cx%3E&state=" + state,
                "dingtalk-inapp:?corpId=dingcorp42",
                "dingtalk-inapp:?corpId=dingcorp42&state=short",
                "dingtalk-inapp:corpId=dingcorp42&state=" + state,
                "dingtalk-inapp:?corpId=dingcorp42&state=%s&clientId=" % state,
                "dingtalk-inapp:?corpId=dingcorp42&state=%s&clientId=a%%3Cb" % state,
                "dingtalk-inapp:?corpId=dingcorp42&state=%s&other=1" % state,
                "dingtalk-inapp:?corpId=dingcorp42&state=%s&clientId=a&x=1" % state):
        r, _ = h.register(authorize_url=bad)
        T.eq(r.status, 400, "a malformed dingtalk-inapp URL -> 400 (%s)" % bad[:40])


def test_callback_and_confirm(h):
    r = h.callback(authCode=new_code(), state=new_state())
    T.ok(r.status == 404 and title(r) == "Unknown or expired link",
         "a callback with an unknown state -> error page", (r.status, title(r)))
    r = h.callback(authCode=new_code())
    T.ok(r.status == 400 and title(r) == "Incomplete answer from DingTalk",
         "a callback without state -> 400 'Incomplete answer from DingTalk'", (r.status, title(r)))

    sid, state, code, page = session_at_confirm(h, number=42)
    b = page.browser
    p = Page(page.text)
    T.eq((page.status, p.title, page.url), (200, "Confirm DingTalk login", "/c/" + sid),
         "a callback with authCode -> the confirmation page at the clean URL /c/<id>")
    T.eq(p.buttons, [("submit", None, None), ("submit", None, None)],
         "two choices: Confirm and Not me, no number to pick")
    n = p.inputs.get("n", {})
    T.ok(n.get("type") == "text" and n.get("inputmode") == "numeric" and
         n.get("pattern") == "[0-9]{2}" and n.get("autocomplete") == "off" and
         n.get("maxlength") == "2" and n.get("id") == "number" and "required" in n,
         "the number is typed: a numeric text input of two digits, no autocomplete", n)
    forms = Page(page.text).forms
    T.ok(set(forms) == {"confirm-form", "not-me-form"} and
         all(f.get("method") == "post" and f.get("action") == sid for f in forms.values()),
         "both forms post to the page's own address, relative (no leading /)", forms)
    T.ok(p.hidden.get("s") == sid and re.fullmatch(r"[A-Za-z0-9_-]{32}", p.hidden.get("t", "")),
         "hidden s is the id, hidden t a token", p.hidden)
    ok, why = headers_ok(page)
    T.ok(ok, "the confirmation page carries CSP, no-store, DENY, no-referrer, nosniff, Vary", why)
    T.ok(page.headers.get("content-type", "").startswith("text/html; charset=utf-8"),
         "pages are UTF-8 HTML")
    T.ok(code not in page.text and state not in page.text,
         "neither code nor state appears on the page")
    T.ok("script" not in p.tags, "the page has no script")
    T.ok("jump-01" in page.text and "10.0.0.5" in page.text and "alice" in page.text and
         "SSH login" in p.text and "Service" not in p.text,
         "the page shows user, host, remote address and 'SSH login' (not the PAM service)",
         p.text)

    r = h.callback(authCode=new_code(), state=state)
    T.ok(r.status == 410 and title(r) == "Login already answered",
         "a second callback for the same state (another browser) -> 410 'Login already answered'",
         (r.status, title(r)))

    t0 = time.monotonic()
    r = h.wait(sid, 1)
    dt = time.monotonic() - t0
    T.ok(r.status == 200 and r.json() == {"status": "pending"} and 0.8 <= dt <= 2.5,
         "wait timeout=1 answers pending in about a second", (r.status, r.text, dt))

    path = "/c/" + sid
    r = b.post(path, {"t": "A" * 32, "n": "42"})
    T.ok(r.status == 403 and title(r) == "Form not valid",
         "a confirmation with a wrong token -> 403 'Form not valid'", (r.status, title(r)))
    T.eq(h.wait(sid, 1).json(), {"status": "pending"}, "...and the session stays pending")

    th, out = background_wait(h, sid, 20)
    time.sleep(0.5)
    t_confirm = time.monotonic()
    r = b.post(form_action(page, path), {"s": sid, "t": p.hidden["t"], "n": "42"})
    T.ok(r.status == 200 and title(r) == "Login approved" and r.url == path and
         "Go back to your terminal" in r.text and b.shown[-1] == path,
         "the right number -> 303 back to the clean URL, which says approved",
         (r.status, title(r), r.url))
    th.join(25)
    resp = out.get("resp")
    T.ok(resp is not None and resp.status == 200 and
         resp.json() == {"status": "approved", "code": code},
         "the waiter gets approved with the code", out)
    T.ok(resp is not None and out["done_at"] - t_confirm < 1.0,
         "the waiter (timeout=20) is woken within 1 s of the confirmation",
         out.get("done_at", 0) - t_confirm)
    r = h.wait(sid, 1)
    T.eq(r.status, 404, "the code is released once: the next wait -> 404")
    r = b.get(path)
    T.ok(r.status == 200 and title(r) == "Login approved",
         "Back (or reload) after the code was released still says approved", (r.status, title(r)))
    r = h.confirm(sid, p.hidden["t"], 42)
    T.ok(r.status == 410 and title(r) == "Login already ended",
         "confirming again afterwards (the old form) -> 410 'Login already ended'",
         (r.status, title(r)))
    r = b.post(path, {"t": p.hidden["t"], "n": "42"})
    T.ok(r.status == 200 and title(r) == "Login approved" and r.url == path,
         "...and the new form sent again shows what happened", (r.status, title(r)))

    # The form of earlier versions (POST /confirm with s, t, n) still works.
    sid, _, code, page = session_at_confirm(h, number=42)
    r = h.confirm(sid, Page(page.text).hidden["t"], 42)
    T.ok(r.status == 200 and title(r) == "Login approved",
         "POST /confirm (s, t, n) still approves", (r.status, title(r)))
    T.eq(h.wait(sid, 1).json(), {"status": "approved", "code": code}, "...with the code")


def test_wrong_number(h):
    sid, _, _, page = session_at_confirm(h, number=42)
    b, path = page.browser, "/c/" + sid
    p = Page(page.text)
    r = b.post(path, {"t": p.hidden["t"], "n": "43"})
    T.ok(r.status == 200 and title(r) == "Wrong number" and r.url == path,
         "a wrong number -> 'Wrong number' at the clean URL", (r.status, title(r)))
    T.eq(h.wait(sid, 1).json(), {"status": "refused", "reason": "wrong_number"},
         "wait -> refused wrong_number")
    r = h.confirm(sid, p.hidden["t"], 42)
    T.ok(r.status == 410 and title(r) == "Login already ended",
         "a second try with the right number fails", (r.status, title(r)))
    T.eq(h.wait(sid, 1).json(), {"status": "refused", "reason": "wrong_number"},
         "...and the session stays refused")
    T.eq(title(b.get(path)), "Wrong number", "reloading says 'Wrong number'")

    sid, _, _, page = session_at_confirm(h, number=42)
    p = Page(page.text)
    r = h.confirm(sid, p.hidden["t"], 7)
    T.ok(r.status == 200 and title(r) == "Wrong number",
         "the old form: a wrong number -> 'Wrong number'", (r.status, title(r)))
    T.eq(h.wait(sid, 1).json(), {"status": "refused", "reason": "wrong_number"},
         "a number that was not offered also refuses")
    for form, why in (({"t": p.hidden["t"]}, "no number"),
                      ({"t": p.hidden["t"], "n": "4x"}, "a number that is not digits"),
                      ({"t": p.hidden["t"], "n": "42", "a": "maybe"}, "an unknown action"),
                      ({"n": "42"}, "no token")):
        sid2, _, _, page2 = session_at_confirm(h, number=42)
        if "t" in form:
            form["t"] = Page(page2.text).hidden["t"]
        r = page2.browser.post("/c/" + sid2, form)
        T.ok(r.status == 400 and title(r) == "Form not valid" and
             h.wait(sid2, 1).json() == {"status": "pending"},
             "a form with %s -> 400 'Form not valid', the login still pending" % why,
             (r.status, title(r)))
    big = ("s=%s&t=%s&n=42" % (sid, "x" * 2000)).encode()
    T.eq(post_big(h, True, "/confirm", "application/x-www-form-urlencoded", big), 413,
         "a confirmation body over 1 KiB -> 413")
    T.eq(post_big(h, True, "/c/" + sid, "application/x-www-form-urlencoded", big), 413,
         "...to the clean URL too")


def test_hostile_callbacks(h):
    """Malformed and oversized callbacks, and one session's form used for
    another: refused, and the sessions they aimed at are unharmed."""
    r, state = h.register(number=42)
    sid = r.json()["id"]
    h.pub("GET", "/l/" + sid)
    cases = [
        ("a code over 512 bytes", {"authCode": "A" * 513, "state": state}),
        ("a code with markup", {"authCode": "<script>x</script>", "state": state}),
        ("a code with a quote (would break the JSON)", {"authCode": 'a"b', "state": state}),
        ("an empty code", {"authCode": "", "state": state}),
        ("a state with bad characters", {"authCode": new_code(), "state": state[:-1] + "!"}),
        ("a state over 128 characters", {"authCode": new_code(), "state": "s" * 129}),
    ]
    for name, params in cases:
        r = h.callback(**params)
        T.ok(r.status == 400 and "<script" not in r.text, "a callback with %s -> 400" % name,
             (r.status, title(r)))
    try:
        r = h.pub("GET", "/callback?state=%s&authCode=%s&pad=%s" % (state, new_code(), "x" * 40000))
        status = r.status
    except (OSError, http.client.HTTPException) as e:
        status = "dropped: %s" % e
    T.ok(status != 200, "a callback with a 40 KB query (over the 32 KiB connection memory) is not served", status)
    T.eq(h.wait(sid, 1).json(), {"status": "pending"},
         "...and the session they aimed at is still pending")

    sid_a, _, _, page_a = session_at_confirm(h, number=42)
    sid_b, _, _, page_b = session_at_confirm(h, number=42)
    t_a, t_b = Page(page_a.text).hidden["t"], Page(page_b.text).hidden["t"]
    T.eq((h.confirm(sid_b, t_a, 42).status, h.confirm(sid_a, t_b, 42).status), (403, 403),
         "one session's confirmation token does not confirm another session")
    T.eq((h.wait(sid_a, 1).json(), h.wait(sid_b, 1).json()),
         ({"status": "pending"}, {"status": "pending"}), "...and both stay pending")
    T.ok(h.confirm(sid_a, t_a, 42).status == 200 and h.confirm(sid_b, t_b, 42).status == 200,
         "...and each still confirms with its own token")


def test_denied(h):
    r, state = h.register()
    sid = r.json()["id"]
    th, out = background_wait(h, sid, 20)
    time.sleep(0.3)
    r = Browser(h).callback(error="access_denied", state=state)
    T.ok(r.status == 200 and title(r) == "Refused in DingTalk" and r.url == "/c/" + sid,
         "error= on the callback -> 'Refused in DingTalk' at the clean URL", (r.status, title(r)))
    th.join(25)
    resp = out.get("resp")
    T.ok(resp is not None and resp.json() == {"status": "refused", "reason": "denied"},
         "the waiter gets refused denied", out)


def test_cancel(h):
    r, _ = h.register()
    sid = r.json()["id"]
    th, out = background_wait(h, sid, 20)
    time.sleep(0.3)
    r = h.ctl("DELETE", "/v1/sessions/" + sid)
    T.eq(r.status, 204, "DELETE -> 204")
    th.join(25)
    resp = out.get("resp")
    T.ok(resp is not None and resp.json() == {"status": "refused", "reason": "cancelled"} and
         out["elapsed"] < 2, "the waiter gets refused cancelled at once", out)
    r = h.pub("GET", "/l/" + sid)
    T.eq(r.status, 410, "the link of a cancelled session -> 410")
    T.eq(h.ctl("DELETE", "/v1/sessions/AAAAAAAAAAAAAAAA").status, 404,
         "DELETE of an unknown id -> 404")


def test_escaping(h):
    evil = "<script>alert(\"x\")</script>&'"
    sid, _, _, page = session_at_confirm(h, user=evil, host="h<b>", service="s\"q",
                                         rhost="1.2.3.4'")
    T.eq(page.status, 200, "a session with markup in its fields reaches the page")
    T.ok("<script" not in page.text and "<b>" not in page.text,
         "no raw markup from the fields on the page")
    T.ok("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;" in page.text,
         "& < > \" ' are escaped", page.text[:2000])


def command_row(page):
    """The text of the confirmation page's Command row, or None."""
    m = re.search(r'<tr id="row-command"><th>Command</th><td class="long">(.*?)</td></tr>',
                  page.text, re.S)
    return m.group(1) if m else None


def test_command(h):
    """sudo's command (registration field `command`): shown on the page,
    escaped; refused with its own error_code when the module would not
    have sent it (too long, control or hiding characters, invalid UTF-8)."""
    cmd = "/usr/bin/apt install <b>vim</b> && echo \"中文\" 'x' \u2026"
    sid, _, _, page = session_at_confirm(h, command=cmd)
    T.eq(page.status, 200, "a session with a command reaches the confirmation page")
    T.eq(command_row(page),
         "/usr/bin/apt install &lt;b&gt;vim&lt;/b&gt; &amp;&amp; echo &quot;中文&quot; "
         "&#39;x&#39; \u2026", "the page shows the command, escaped")
    _, _, _, page = session_at_confirm(h)
    T.eq(command_row(page), None, "without a command the page has no Command row")
    _, _, _, page = session_at_confirm(h, command="")
    T.eq(command_row(page), None, "an empty command shows no Command row")
    r, _ = h.register(command="c" * 256)
    T.eq(r.status, 201, "a command of 256 bytes is taken")
    r, _ = h.register(command="中" * 85 + "x")
    T.eq(r.status, 201, "256 bytes of UTF-8 are taken")

    cases = [
        ("257 bytes", "c" * 257, "command_too_long"),
        ("86 Chinese characters (258 bytes)", "中" * 86, "command_too_long"),
        ("an escape", "ls \x1b[2J", "command_not_text"),
        ("a newline", "ls\nrm -rf /", "command_not_text"),
        ("a NUL", "ls\x00rm", "command_not_text"),
        ("DEL", "ls\x7f", "command_not_text"),
        ("a C1 control", "ls\x9b2J", "command_not_text"),
        ("a right-to-left override", "rm -rf /\u202etxt.", "command_not_text"),
        ("a bidi isolate", "ls \u2066x\u2069", "command_not_text"),
        ("a number", 7, "command_not_text"),
        ("a list", ["ls"], "command_not_text"),
        ("null", None, "command_not_text"),
    ]
    for name, value, code in cases:
        r, _ = h.register(command=value)
        j = r.json() or {}
        T.ok(r.status == 400 and j.get("error_code") == code and "command" in j.get("error", "")
             and j.get("instance"), "a command with %s -> 400 %s" % (name, code),
             (r.status, r.text))
    # Bytes that are not UTF-8 at all, sent as they are.
    state = new_state()
    body = json.dumps({"state": state, "number": 42, "user": "alice", "service": "sudo",
                       "host": "jump-01", "rhost": "", "authorize_url": AUTH_URL % state,
                       "requester": "uid:1001", "command": "@@"}).encode()
    for bad, what in ((b"\xff\xfe", "invalid UTF-8"), (b"\xc0\xaf", "an overlong form"),
                      (b"\xed\xa0\x80", "a surrogate")):
        r = h.ctl("POST", "/v1/sessions", body.replace(b"@@", b"ls " + bad), raw=True)
        T.ok(r.status == 400 and (r.json() or {}).get("error_code") == "command_not_text",
             "a command with %s -> 400 command_not_text" % what, (r.status, r.text))
    r = h.ctl("POST", "/v1/sessions", body.replace(b"@@", b"ls \\u0000 rm"), raw=True)
    T.ok(r.status == 400 and (r.json() or {}).get("error_code") == "command_not_text",
         "an escaped NUL in the command -> 400 command_not_text", (r.status, r.text))
    # A command may carry what its author typed on the command line (a
    # password given as an argument): it is shown to the person, not logged.
    T.ok("/usr/bin/apt install" not in h.log_text(), "the helper's log never carries a command")


def test_not_root(h):
    if os.geteuid() != 0:
        T.skip(3, "needs root: a client of another uid (uid 65534)")
        return
    req = b"GET /v1/sessions/AAAAAAAAAAAAAAAA/wait?timeout=1 HTTP/1.1\r\nHost: x\r\n\r\n"
    kind, value = as_nobody(h.sock, req)
    T.ok((kind == "error" and int(value) in (13, 1, 111)) or (kind == "status" and value == "403"),
         "uid 65534 cannot use the 0600 socket", (kind, value))
    os.chmod(h.sock, 0o666)
    try:
        kind, value = as_nobody(h.sock, req)
    finally:
        os.chmod(h.sock, 0o600)
    T.ok((kind, value) == ("status", "403"),
         "with the socket opened to all, SO_PEERCRED still refuses uid 65534 with 403",
         (kind, value))
    T.ok("refused a client with uid 65534" in h.log_text(), "the refusal is logged")


def test_expiry_start(h):
    r, _ = h.register(ttl=10)
    sid = r.json()["id"]
    th, out = background_wait(h, sid, 30)
    return sid, th, out


def test_expiry_finish(h, sid, th, out):
    th.join(40)
    resp = out.get("resp")
    T.ok(resp is not None and resp.json() == {"status": "expired"} and
         9 <= out["elapsed"] <= 13, "a waiter sees expired when the ttl (10 s) passes", out)
    r = h.pub("GET", "/l/" + sid)
    T.eq(r.status, 410, "the link of an expired session -> 410")
    T.ok("id=%s expired" % sid in h.log_text(), "the expiry is logged")


def test_instance(h, tmp):
    """The instance id: in the 201, in every 404 for a session, the same for
    one helper's life, another for the next helper."""
    r, _ = h.register()
    j = r.json() or {}
    inst = j.get("instance", "")
    T.ok(r.status == 201 and re.fullmatch(r"[A-Za-z0-9_-]{16}", inst) is not None,
         "register -> 201 with a 16-char instance", (r.status, r.text))
    r2, _ = h.register()
    T.eq((r2.json() or {}).get("instance"), inst, "every registration names the same instance")
    r = h.wait("AAAAAAAAAAAAAAAA", 1)
    T.ok(r.status == 404 and (r.json() or {}).get("instance") == inst,
         "a 404 for an unknown session names the same instance", (r.status, r.text))
    sid = j.get("id", "?")
    T.eq(h.ctl("DELETE", "/v1/sessions/" + sid).status, 204, "cancel a session")
    r = h.ctl("DELETE", "/v1/sessions/AAAAAAAAAAAAAAAA")
    T.ok(r.status == 404 and (r.json() or {}).get("instance") == inst,
         "a 404 of DELETE names the instance too", (r.status, r.text))
    other = Helper(tmp, "other")
    try:
        r, _ = other.register()
        o = (r.json() or {}).get("instance", "")
        T.ok(r.status == 201 and o and o != inst,
             "another helper (a restart) has another instance", (inst, o))
    finally:
        other.stop()
    return inst


def test_linger(tmp):
    """An ended session is remembered for `linger` seconds; afterwards the
    same instance answers 404: the module reads that as "ended", not as a
    restart."""
    h = Helper(tmp, "linger", "linger = 1\n")
    try:
        r, state = h.register()
        j = r.json()
        h.callback(error="access_denied", state=state)
        T.eq(h.wait(j["id"], 1).json(), {"status": "refused", "reason": "denied"},
             "linger = 1: right after the refusal, wait -> refused denied")
        time.sleep(2.2)
        r = h.wait(j["id"], 1)
        T.ok(r.status == 404 and (r.json() or {}).get("instance") == j["instance"],
             "linger = 1: two seconds later, 404 naming the same instance",
             (r.status, r.text, j["instance"]))
    finally:
        h.stop()
    for bad in ("linger = 0", "linger = 3601", "max_pending_per_requester = 0",
                "max_pending_per_address = 100001"):
        path = os.path.join(tmp, "badlimit.conf")
        with open(path, "w") as f:
            f.write("public_url = http://127.0.0.1:1\n%s\n" % bad)
        os.chmod(path, 0o644)
        p = subprocess.run([HELPER, "-c", path], capture_output=True, timeout=10)
        T.ok(p.returncode == 1 and bad.split()[0] in p.stderr.decode("utf-8", "replace"),
             "%s -> exit 1 naming the key" % bad, p.stderr)


def test_small_helper(tmp):
    h = Helper(tmp, "small", "max_pending = 3\nmax_pending_per_requester = 2\nsession_ttl = 60\n")
    try:
        codes = [h.register()[0].status for _ in range(3)]
        r, _ = h.register()
        T.ok(codes == [201] * 3 and r.status == 503, "max_pending = 3: the 4th -> 503",
             (codes, r.status, r.text))
        j = r.json() or {}
        T.ok(j.get("error_code") == "full" and "max_pending" in j.get("error", "") and
             j.get("instance"),
             "the 503 names itself: error_code full (the module's refusal, not an outage)",
             r.text)
        more = [h.register()[0].status for _ in range(5)]
        T.eq(more, [503] * 5, "five more registrations -> 503")
        T.eq(h.log_text().count("register refused: full: max_pending (3) reached"), 1,
             "the full helper logs one line for the burst, not one per request")
    finally:
        h.stop()
    h = Helper(tmp, "perreq", "max_pending = 10\nmax_pending_per_requester = 2\n"
               "session_ttl = 60\n")
    try:
        made = [h.register(requester="uid:1001")[0] for _ in range(2)]
        r, _ = h.register(requester="uid:1001")
        j = r.json() or {}
        T.ok([m.status for m in made] == [201, 201] and r.status == 429 and
             "max_pending_per_requester" in j.get("error", "") and
             j.get("error_code") == "requester_full" and
             j.get("instance") == made[0].json()["instance"],
             "max_pending_per_requester = 2: the requester's 3rd -> 429 naming the limit",
             (r.status, r.text))
        r, _ = h.register(requester="uid:1002")
        T.eq(r.status, 201, "...while another requester still registers")
        T.eq(h.ctl("DELETE", "/v1/sessions/" + made[0].json()["id"]).status, 204,
             "one of the first requester's sessions is cancelled")
        r, _ = h.register(requester="uid:1001")
        T.eq(r.status, 201, "...and it may register again (only pending sessions count)")
        T.ok("requester uid:1001 has max_pending_per_requester (2)" in h.log_text(),
             "the refusal is logged with the requester")
    finally:
        h.stop()
    h = Helper(tmp, "noconfirm", "confirm = no\n")
    try:
        r, state = h.register()
        sid = r.json()["id"]
        code = new_code()
        r = Browser(h).callback(authCode=code, state=state)
        T.ok(r.status == 200 and title(r) == "Login approved",
             "confirm = no: the callback approves at once", (r.status, title(r)))
        T.eq(h.wait(sid, 1).json(), {"status": "approved", "code": code},
             "confirm = no: the waiter gets the code")
        r, state = h.register()
        sid = r.json()["id"]
        code = new_code()
        h.callback(code=code, state=state)
        T.eq(h.wait(sid, 1).json(), {"status": "approved", "code": code},
             "the callback falls back to code= when authCode is absent")
    finally:
        h.stop()


def test_address_limit(tmp):
    h = Helper(tmp, "peraddr", "max_pending = 100\nmax_pending_per_requester = 8\n"
               "max_pending_per_address = 3\nsession_ttl = 60\n")
    try:
        def reg(address, user):
            return h.register(requester="%s user:%s" % (address, user),
                              requester_address=address)[0]
        codes = [reg("rhost:10.1.2.3", "u%d" % i).status for i in range(3)]
        r = reg("rhost:10.1.2.3", "root")
        j = r.json() or {}
        T.ok(codes == [201] * 3 and r.status == 429 and
             j.get("error_code") == "address_full" and
             "max_pending_per_address" in j.get("error", "") and j.get("instance"),
             "max_pending_per_address = 3: a 4th account from one address -> 429 "
             "address_full", (codes, r.status, r.text))
        T.eq(reg("rhost:10.1.2.4", "root").status, 201, "...while another address registers")
        net = ["2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:fffe",
               "2001:0DB8:0001:0002:0000:0000:0000:0009"]
        codes = [reg("rhost:" + a, "u").status for a in net]
        r = reg("rhost:2001:db8:1:2:abcd::1%eth0", "v")
        T.ok(codes == [201] * 3 and r.status == 429 and
             (r.json() or {}).get("error_code") == "address_full",
             "IPv6: three addresses of one /64 (any spelling) fill it, a fourth one "
             "(with a zone) -> 429", (codes, r.status, r.text))
        T.eq(reg("rhost:2001:db8:1:3::1", "u").status, 201, "...the next /64 registers")
        codes = [reg("rhost:::ffff:10.1.2.4", "m%d" % i).status for i in range(2)]
        r = reg("rhost:10.1.2.4", "m9")
        T.ok(codes == [201, 201] and r.status == 429,
             "an IPv4-mapped IPv6 address counts as the IPv4 address", (codes, r.status))
        codes = [h.register(requester="uid:1001 %d" % i, requester_address="uid:1001")[0]
                 .status for i in range(3)]
        T.eq(codes, [201] * 3, "uid:1001 registers three sessions")
        T.eq(h.register(requester="uid:1001 x", requester_address="uid:1001")[0].status,
             429, "a local uid is an address too: its 4th -> 429")
        T.eq(h.register(requester="x", requester_address="rhost:uid:1002")[0].status, 201,
             "a host name never passes for a uid (the prefixes differ)")
        nat64 = ["rhost:64:ff9b::a01:205", "rhost:64:ff9b::10.1.2.5", "rhost:10.1.2.5"]
        codes = [reg(a, "n%d" % i).status for i, a in enumerate(nat64)]
        r = reg("rhost:64:ff9b::a01:205", "n9")
        T.ok(codes == [201] * 3 and r.status == 429,
             "a NAT64 address (64:ff9b::/96) counts as its IPv4 client", (codes, r.status))
        T.eq(reg("rhost:64:ff9b::a01:206", "n").status, 201,
             "...so the gateway's other clients still register")
        ll = ["rhost:fe80::1%eth0", "rhost:fe80::2%eth0", "rhost:fe80::1%eth1"]
        codes = [[reg(a, "l%d" % i).status for i in range(3)] for a in ll]
        r = reg("rhost:fe80::1%eth0", "l9")
        T.ok(codes == [[201] * 3] * 3 and r.status == 429,
             "link-local: each neighbour (address and zone) has its own quota",
             (codes, r.status))
        zone = "z" * 60
        codes = [reg("rhost:2001:db8:9:9::%d%%%s" % (i + 1, zone), "z").status
                 for i in range(3)]
        r = reg("rhost:2001:db8:9:9::9", "z")
        T.ok(codes == [201] * 3 and r.status == 429,
             "a 60-byte zone is dropped too: the /64 still counts", (codes, r.status))
        for bad in ("", 42):
            r = h.register(requester="y", requester_address=bad)[0]
            T.ok(r.status == 400 and "requester_address" in (r.json() or {}).get("error", ""),
                 "requester_address %r -> 400 naming the field" % (bad,), r.text)
    finally:
        h.stop()
    h = Helper(tmp, "noaddr", "max_pending_per_address = 0\nsession_ttl = 60\n")
    try:
        codes = [h.register(requester="rhost:10.1.2.3 user:u%d" % i,
                            requester_address="rhost:10.1.2.3")[0].status for i in range(40)]
        T.eq(codes, [201] * 40, "max_pending_per_address = 0: no limit per address")
    finally:
        h.stop()


def test_refusal_log(tmp):
    """The refusal log names up to four distinct keys a minute, each once:
    a decoy refused first does not hide the keys refused after it."""
    h = Helper(tmp, "refusallog", "max_pending = 100\nmax_pending_per_requester = 8\n"
               "max_pending_per_address = 1\nsession_ttl = 60\n")
    try:
        def reg(address):
            return h.register(requester="%s user:u" % address,
                              requester_address=address)[0].status
        keys = ["rhost:10.7.0.%d" % i for i in range(1, 7)]
        codes = [reg(a) for a in keys]
        refused = [reg(a) for a in keys for _ in range(2)]
        T.ok(codes == [201] * 6 and refused == [429] * 12,
             "six addresses fill their quota of 1; two refusals each", (codes, refused))
        log = h.log_text()
        lines = [ln for ln in log.splitlines() if "has max_pending_per_address (1)" in ln]
        named = [a for a in keys if any("address %s has" % a in ln for ln in lines)]
        T.ok(named == keys[:4] and len(lines) == 4,
             "the first four distinct addresses are named, once each; the decoy "
             "refused first does not hide the others", lines)
        T.ok(all("at most 4 keys named per 60 s window" in ln for ln in lines),
             "each line says the rest of the minute is counted, not named", lines)
    finally:
        h.stop()


def test_shutdown(h):
    r, _ = h.register()
    sid = r.json()["id"]
    th, out = background_wait(h, sid, 20)
    time.sleep(0.3)
    rc = h.stop(signal.SIGTERM)
    th.join(15)
    T.eq(rc, 0, "SIGTERM -> exit 0 (with a waiter suspended)")
    T.ok(not os.path.exists(h.sock), "the control socket is removed on shutdown")


def slow_client(port, source="127.0.0.1"):
    """A slowloris: connects and starts a request it never finishes."""
    s = socket.create_connection(("127.0.0.1", port), timeout=2, source_address=(source, 0))
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    return s


def trickle(s):
    """One more header byte; False once the helper has closed the
    connection (EOF, reset or a broken pipe)."""
    try:
        s.setblocking(False)
        try:
            if s.recv(1024) == b"":
                return False
        except BlockingIOError:
            pass
        s.sendall(b"x")
        return True
    except OSError:
        return False
    finally:
        s.setblocking(True)


def get_from(port, source, path="/healthz", conn=None):
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=5,
                                              source_address=(source, 0))
    conn.request("GET", path)
    r = conn.getresponse()
    r.read()
    return conn, r.status


def test_slow_clients(tmp):
    """Slowloris against the public listener: one address may hold only
    max_connections_per_ip connections, and a request that is not received
    and answered within request_timeout is cut, however slowly it keeps
    sending; other addresses are served all along."""
    h = Helper(tmp, "slow", "max_connections_per_ip = 4\nrequest_timeout = 3\n")
    slow, closed_at = [], {}
    done = threading.Event()

    def keep_trickling(start):
        # A header byte every 0.5 s: MHD's idle timeout never fires.
        while not done.is_set() and time.monotonic() - start < 10:
            for i, s in enumerate(slow):
                if i not in closed_at and not trickle(s):
                    closed_at[i] = time.monotonic() - start
            if len(closed_at) == len(slow):
                break
            time.sleep(0.5)

    try:
        time.sleep(1)  # the start-up check's connection is gone
        start = time.monotonic()
        slow.extend(slow_client(h.port) for _ in range(6))
        th = threading.Thread(target=keep_trickling, args=(start,), daemon=True)
        th.start()
        time.sleep(1)
        refused = sorted(i for i, t in closed_at.items() if t < 1.5)
        T.ok(len(refused) == 2,
             "max_connections_per_ip = 4: two more slow connections from 127.0.0.1 are "
             "closed at once", dict(closed_at))
        conn, status = get_from(h.port, "127.0.0.2")
        T.eq(status, 200, "meanwhile 127.0.0.2 is served (/healthz)")
        # Keep-alive: each completed request renews the deadline, so a
        # normal client that keeps its connection is not cut.
        time.sleep(2)
        _, again = get_from(h.port, "127.0.0.2", conn=conn)
        time.sleep(2)
        _, third = get_from(h.port, "127.0.0.2", conn=conn)
        conn.close()
        T.ok(again == 200 and third == 200,
             "a keep-alive client making a request every 2 s is served past 3 s",
             (again, third))
        th.join(12)
        late = sorted(t for i, t in closed_at.items() if i not in refused)
        T.ok(len(late) == 4 and all(2.5 <= t <= 4.5 for t in late),
             "request_timeout = 3: the 4 slow connections, sending a byte every 0.5 s, "
             "are cut after about 3 s", dict(closed_at))
        T.ok("did not complete a request in 3 s (request_timeout)" in h.log_text(),
             "the cut is logged")
        _, status = get_from(h.port, "127.0.0.1")
        T.eq(status, 200, "then 127.0.0.1 is served again")
    finally:
        done.set()
        for s in slow:
            s.close()
        h.stop()


def test_bad_config(tmp):
    path = os.path.join(tmp, "bad.conf")
    with open(path, "w") as f:
        f.write("public_url = http://127.0.0.1:1\n\nfoo = bar\n")
    os.chmod(path, 0o644)
    p = subprocess.run([HELPER, "-c", path], capture_output=True, timeout=10)
    err = p.stderr.decode("utf-8", "replace")
    T.ok(p.returncode == 1 and ("%s:3" % path) in err and "foo" in err and
         err.startswith("dingtalk-callbackd: "),
         "an unknown key -> exit 1 naming file:line and the key", (p.returncode, err))

    with open(path, "w") as f:
        f.write("listen = 127.0.0.1:1\n")
    p = subprocess.run([HELPER, "-c", path], capture_output=True, timeout=10)
    err = p.stderr.decode("utf-8", "replace")
    T.ok(p.returncode == 1 and "public_url" in err, "no public_url -> exit 1 naming it",
         (p.returncode, err))

    with open(path, "w") as f:
        f.write("public_url = http://example.com/\n")
    p = subprocess.run([HELPER, "-c", path], capture_output=True, timeout=10)
    err = p.stderr.decode("utf-8", "replace")
    T.ok(p.returncode == 1 and "public_url" in err, "a trailing slash in public_url -> exit 1",
         (p.returncode, err))

    for bad in ("request_timeout = 0", "max_connections = 0", "max_connections_per_ip = -1"):
        with open(path, "w") as f:
            f.write("public_url = http://127.0.0.1:1\n%s\n" % bad)
        p = subprocess.run([HELPER, "-c", path], capture_output=True, timeout=10)
        err = p.stderr.decode("utf-8", "replace")
        T.ok(p.returncode == 1 and ("%s:2" % path) in err and bad.split()[0] in err,
             "%s -> exit 1 naming file:line and the key" % bad, (p.returncode, err))

    p = subprocess.run([HELPER, "--version"], capture_output=True, timeout=10)
    T.ok(p.returncode == 0 and p.stdout.startswith(b"dingtalk-callbackd "),
         "--version prints the version", p.stdout)


# ---------------------------------------------------------------- the phone's pages


def test_languages(h):
    """Every page in English or Simplified Chinese after Accept-Language,
    with the lang attribute and Vary: Accept-Language."""
    cases = [(None, "en"), ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"), ("zh", "zh-CN"),
             ("zh-Hans-CN", "zh-CN"), ("en-US,en;q=0.9", "en"), ("fr, zh;q=0.5", "zh-CN"),
             ("zh;q=0.2, en;q=0.8", "en"), ("en;q=0.3, ZH-cn;q=0.7", "zh-CN"),
             ("zh-TW", "en"), ("zh-Hant", "en"), ("zh;q=0", "en"), ("zh;q=abc", "en"),
             ("de, fr;q=0.9", "en"), ("*;q=0.5, zh;q=0.4", "en"), ("en;q=0, zh;q=0.001", "zh-CN")]
    for header, want in cases:
        b = Browser(h, lang=header)
        sid, _, _, page = session_at_confirm(h, browser=b)
        p = Page(page.text)
        zh = want == "zh-CN"
        T.ok(page.status == 200 and p.lang == want and
             p.title == ("确认钉钉登录" if zh else "Confirm DingTalk login") and
             page.headers.get("vary") == "Accept-Language",
             "Accept-Language %r -> the confirmation page in %s" % (header, want),
             (page.status, p.lang, p.title))
    b = Browser(h, lang="zh-CN")
    sid, _, _, page = session_at_confirm(h, browser=b, service="sudo")
    p = Page(page.text)
    T.ok("SSH" not in p.text and "sudo：以 root 身份运行命令" in p.text and "不是我" in p.text and
         "请输入终端上显示的两位数字" in p.text and "剩余时间" in p.text,
         "the Chinese page names sudo in plain words, the prompt, the time left and 不是我",
         p.text)
    r = b.post("/c/" + sid, {"t": p.hidden["t"], "a": "not_me"})
    T.ok(r.status == 200 and Page(r.text).lang == "zh-CN" and title(r) == "登录已阻止" and
         "管理员" in r.text, "'Not me' answers in Chinese too", (r.status, title(r)))
    for path, status, want in (("/l/AAAAAAAAAAAAAAAA", 404, "链接无效或已过期"),
                               ("/nope", 404, "页面不存在"),
                               ("/callback?state=x", 400, "钉钉的应答不完整")):
        r = b.get(path)
        T.ok(r.status == status and title(r) == want and Page(r.text).lang == "zh-CN" and
             r.headers.get("vary") == "Accept-Language",
             "%s in Chinese -> %d %s" % (path, status, want), (r.status, title(r)))


def test_page_details(h):
    """What the confirmation page says: who, where, what access, how long."""
    for service, words in (("sshd", "SSH login"), ("sudo", "sudo: run a command as root"),
                           ("su", "su: switch to another user"), ("login", "Console login"),
                           ("cockpit", "Login through cockpit")):
        _, _, _, page = session_at_confirm(h, service=service, ttl=90)
        p = Page(page.text)
        row = p.ids.get("row-access")
        T.ok(row is not None and words in p.text, "service %s -> '%s'" % (service, words),
             p.text)
    sid, _, _, page = session_at_confirm(h, rhost="", ttl=90)
    p = Page(page.text)
    T.ok("this computer itself (no network address)" in p.text,
         "a local login (no rhost) says so", p.text)
    m = re.search(r"Time left (\d+) min (\d+) s \(until (\d\d:\d\d:\d\d) ", p.text)
    T.ok(m is not None and 45 <= int(m.group(1)) * 60 + int(m.group(2)) <= 90,
         "the time left (ttl 90 s; wide bounds for valgrind) and the clock time it ends",
         p.text)
    T.ok(all(i in p.ids for i in ("confirm", "details", "row-account", "row-computer",
                                  "row-from", "row-access", "row-time-left", "number",
                                  "not-me", "confirm-form", "not-me-form")) and
         "row-command" not in p.ids,
         "the page's element ids are there (no command row without a command)", sorted(p.ids))
    T.ok("break-all" not in page.text and ".long{overflow-wrap:anywhere" in page.text,
         "no word-break: break-all; long values wrap with overflow-wrap: anywhere", "")
    T.ok(p.ids.get("row-computer") is not None and 'class="long"' in page.text,
         "the host's cell may wrap anywhere")


def test_clean_url(h):
    """The callback answers a 303 to <relative>/c/<id> with a cookie; the
    code and the state never appear in an address shown afterwards."""
    r, state = h.register(number=42)
    sid = r.json()["id"]
    h.pub("GET", "/l/" + sid)
    code = new_code()
    b = Browser(h)
    r = b.callback(authCode=code, state=state)
    T.eq(b.shown, ["/c/" + sid], "the browser shows only /c/<id> after the callback")
    raw = h.callback(authCode=new_code(), state=new_state())  # an unknown one: no redirect
    T.eq(raw.status, 404, "an unknown state is not redirected")
    cookie = b.set_cookies[0] if b.set_cookies else ""
    attrs = [a.strip() for a in cookie.split(";")]
    T.ok(attrs[0].startswith("dt_%s=" % sid) and "HttpOnly" in attrs and
         "SameSite=Lax" in attrs and "Path=/" in attrs and "Secure" not in attrs and
         any(re.fullmatch(r"Max-Age=(\d+)", a) and 0 < int(a[8:]) <= 7200 for a in attrs),
         "the cookie: dt_<id>, HttpOnly, SameSite=Lax, Path=/, a short Max-Age, "
         "not Secure over http", cookie)
    T.ok(code not in cookie and state not in cookie, "the cookie holds neither code nor state")
    T.ok(all(code not in u and state not in u and "authCode" not in u for u in b.shown),
         "no address shown after the callback carries the code or the state", b.shown)
    page = r
    t = Page(page.text).hidden.get("t")
    again = b.get("/c/" + sid)
    T.ok(again.status == 200 and title(again) == "Confirm DingTalk login" and
         Page(again.text).hidden.get("t") == t,
         "reloading while pending shows the same form", (again.status, title(again)))
    other = Browser(h)
    r = other.get("/c/" + sid)
    T.ok(r.status == 403 and title(r) == "Open in the same browser" and t not in r.text,
         "another browser (no cookie) -> 403 'Open in the same browser'", (r.status, title(r)))
    other.cookies["dt_" + sid] = ("B" * 32, "/", {})
    r = other.get("/c/" + sid)
    T.ok(r.status == 403 and title(r) == "Open in the same browser" and t not in r.text,
         "a wrong cookie -> 403, the form not shown", (r.status, title(r)))
    r = b.callback(authCode=code, state=state)
    T.ok(r.status == 200 and title(r) == "Confirm DingTalk login" and b.shown[-1] == "/c/" + sid,
         "the callback reloaded in the same browser leads back to the clean URL",
         (r.status, title(r), b.shown[-1:]))
    T.eq(h.wait(sid, 1).json(), {"status": "pending"}, "...and the login is still pending")
    r = b.get("/c/AAAAAAAAAAAAAAAA")
    T.ok(r.status == 403, "an unknown id without a cookie -> 403", r.status)
    b.cookies["dt_AAAAAAAAAAAAAAAA"] = (t, "/", {})
    r = b.get("/c/AAAAAAAAAAAAAAAA")
    T.ok(r.status == 404 and title(r) == "Unknown or expired link",
         "an unknown id with a cookie -> 404 'Unknown or expired link'", (r.status, title(r)))
    r = b.get("/c/%3Cx%3E")
    T.ok(r.status == 404 and "<x>" not in r.text, "a malformed id -> 404", r.status)


def test_not_me(h):
    """'Not me' refuses at once, wakes the waiter, says what to do, and logs
    a warning naming the session and where, never the token."""
    sid, state, code, page = session_at_confirm(h, number=42, user="carol", host="bastion-7",
                                                rhost="203.0.113.9")
    b, path = page.browser, "/c/" + sid
    t = Page(page.text).hidden["t"]
    r = b.post(path, {"t": "C" * 32, "a": "not_me"})
    T.ok(r.status == 403 and h.wait(sid, 1).json() == {"status": "pending"},
         "'Not me' with a wrong token -> 403, the login still pending", r.status)
    th, out = background_wait(h, sid, 20)
    time.sleep(0.3)
    t0 = time.monotonic()
    r = b.post(form_action(page, path, "not-me-form"), {"s": sid, "t": t, "a": "not_me"})
    T.ok(r.status == 200 and title(r) == "Login stopped" and r.url == path and
         "tell your administrator" in r.text,
         "'Not me' -> 303 to the clean URL: 'Login stopped', tell your administrator",
         (r.status, title(r)))
    th.join(25)
    resp = out.get("resp")
    T.ok(resp is not None and resp.json() == {"status": "refused", "reason": "not_me"} and
         out["done_at"] - t0 < 1.0,
         "the waiter gets refused not_me within a second", out)
    T.eq(h.wait(sid, 1).json(), {"status": "refused", "reason": "not_me"},
         "wait afterwards -> refused not_me")
    T.eq(title(b.get(path)), "Login stopped", "reload and Back say 'Login stopped'")
    T.eq(title(b.post(path, {"t": t, "n": "42"})), "Login stopped",
         "the number sent afterwards cannot approve it")
    T.eq(h.wait(sid, 1).json(), {"status": "refused", "reason": "not_me"},
         "...the login stays refused")
    log = h.log_text()
    line = next((l for l in log.splitlines() if "reason=not_me" in l and sid in l), "")
    T.ok(line.startswith("dingtalk-callbackd: warning:") and sid in line and
         "user=carol" in line and "host=bastion-7" in line and "rhost=203.0.113.9" in line,
         "the audit line is a warning naming the id, user, host and rhost", line)
    T.ok(t not in log and code not in log and state not in log,
         "the log holds no token, code or state")


def test_outcomes(h):
    """After the end, the clean URL says what happened."""
    r, state = h.register()
    sid = r.json()["id"]
    b = Browser(h)
    r = b.callback(error="not_in_dingtalk", state=state)
    T.ok(r.status == 200 and title(r) == "Not opened in DingTalk" and
         "scan the new code with DingTalk" in r.text,
         "flow C's page outside DingTalk -> 'Not opened in DingTalk' (not a refusal by you)",
         (r.status, title(r)))
    T.eq(h.wait(sid, 1).json(), {"status": "refused", "reason": "denied"},
         "...the login is refused (denied)")
    sid, _, _, page = session_at_confirm(h)
    T.eq(h.ctl("DELETE", "/v1/sessions/" + sid).status, 204, "the terminal cancels")
    r = page.browser.get("/c/" + sid)
    T.ok(r.status == 200 and title(r) == "Login cancelled in the terminal",
         "reload after a cancel -> 'Login cancelled in the terminal'", (r.status, title(r)))
    r = page.browser.post("/c/" + sid, {"t": Page(page.text).hidden["t"], "n": "42"})
    T.eq(title(r), "Login cancelled in the terminal", "...and the form sent then says so too")


def test_pick_and_config(tmp):
    """confirm = pick shows three numbers; yes/no still mean what they did;
    a wrong value is refused naming the key."""
    h = Helper(tmp, "pick", "confirm = pick\n")
    try:
        sid, _, code, page = session_at_confirm(h, number=42)
        p = Page(page.text)
        nums = [b[2] for b in p.buttons if b[1] == "n"]
        T.ok(len(nums) == 3 and len(set(nums)) == 3 and "42" in nums and
             all(re.fullmatch(r"[1-9][0-9]", n or "") for n in nums) and "n" not in p.inputs,
             "confirm = pick: three distinct two-digit buttons named n, no input", nums)
        T.ok(all(i in p.ids for i in ("pick-1", "pick-2", "pick-3", "not-me")),
             "...with the ids pick-1..3 and not-me", sorted(p.ids))
        r = page.browser.post("/c/" + sid, {"t": p.hidden["t"], "n": "42"})
        T.eq(title(r), "Login approved", "...and a tap on the right one approves")
        T.eq(h.wait(sid, 1).json(), {"status": "approved", "code": code}, "...with the code")
    finally:
        h.stop()
    h = Helper(tmp, "confirmyes", "confirm = yes\n")
    try:
        _, _, _, page = session_at_confirm(h)
        T.ok("n" in Page(page.text).inputs, "confirm = yes (earlier versions): the typed number")
    finally:
        h.stop()
    for bad in ("confirm = maybe", "confirm = Pick"):
        path = os.path.join(tmp, "badconfirm.conf")
        with open(path, "w") as f:
            f.write("public_url = http://127.0.0.1:1\n%s\n" % bad)
        os.chmod(path, 0o644)
        p = subprocess.run([HELPER, "-c", path], capture_output=True, timeout=10)
        err = p.stderr.decode("utf-8", "replace")
        T.ok(p.returncode == 1 and "'confirm'" in err and "type" in err and "pick" in err,
             "%s -> exit 1 naming the key and the choices" % bad, err)


def test_url_path(tmp):
    """public_url with a path, behind a proxy that strips it: every form
    action and redirect stays under the path."""
    h = Helper(tmp, "prefix", url_path="/dingtalk")
    try:
        r, state = h.register(number=42)
        sid = r.json()["id"]
        link = h.pub("GET", "/l/" + sid)
        T.ok(quote(h.public_url + "/callback", safe="") in link.headers.get("location", ""),
             "the redirect_uri is {public_url}/callback, with the path")
        b = Browser(h, prefix="/dingtalk")
        code = new_code()
        page = b.callback(authCode=code, state=state)
        T.ok(page.status == 200 and title(page) == "Confirm DingTalk login" and
             b.shown == ["/dingtalk/c/" + sid],
             "the callback leads to /dingtalk/c/<id> through the proxy", (page.status, b.shown))
        T.ok("Path=/dingtalk/" in b.set_cookies[0], "the cookie's Path is the prefix",
             b.set_cookies)
        T.ok('action="/' not in page.text, "no form posts to an absolute path")
        t = Page(page.text).hidden["t"]
        r = b.post(form_action(page, "/dingtalk/c/" + sid), {"t": t, "n": "42"})
        T.ok(r.status == 200 and title(r) == "Login approved" and r.url == "/dingtalk/c/" + sid,
             "the typed number posts through the proxy and comes back approved",
             (r.status, title(r), r.url))
        T.eq(h.wait(sid, 1).json(), {"status": "approved", "code": code},
             "...and the waiter gets the code")
    finally:
        h.stop()
    h = Helper(tmp, "https", "public_url = https://login.example.com/dt\n")
    try:
        r, state = h.register()
        r = h.callback(authCode=new_code(), state=state)
        cookie = r.headers.get("set-cookie", "")
        T.ok(r.status == 303 and r.headers.get("location") == "c/" + r.headers.get(
             "location", "c/")[2:] and "; Secure" in cookie and "Path=/dt/" in cookie,
             "public_url https://...: the cookie is Secure, its Path the URL's path",
             (r.status, cookie))
    finally:
        h.stop()


def test_expired_page_start(h):
    sid, _, _, page = session_at_confirm(h, ttl=10)
    return sid, page


def test_expired_page_finish(h, sid, page):
    r = page.browser.get("/c/" + sid)
    T.ok(r.status == 200 and title(r) == "Login timed out",
         "reload after the ttl -> 'Login timed out'", (r.status, title(r)))
    r = h.pub("GET", "/l/" + sid)
    T.ok(r.status == 410 and title(r) == "Login timed out",
         "the link after the ttl -> 410 'Login timed out'", (r.status, title(r)))


def test_no_secrets_logged(logs):
    leaked = [s for s in SECRETS if any(s in text for text in logs)]
    T.ok(not leaked, "no state or code ever reaches the helper's log", leaked)


def main():
    if not os.access(HELPER, os.X_OK):
        print("1..0 # SKIP helper not built: %s" % HELPER)
        return 0
    tmp = os.environ.get("DT_TMPDIR")
    own_tmp = tmp is None
    tmp = tempfile.mkdtemp(prefix="cbd-test-", dir=tmp)
    os.chmod(tmp, 0o755)
    helpers = []
    logs = []
    try:
        h = Helper(tmp, "main")
        helpers.append(h)
        test_startup(h)
        test_umask(tmp)
        expiry = test_expiry_start(h)
        expired_page = test_expired_page_start(h)
        test_register(h)
        test_register_bad(h)
        test_control_routes(h)
        test_link(h)
        test_inapp_page(h)
        test_callback_and_confirm(h)
        test_wrong_number(h)
        test_hostile_callbacks(h)
        test_denied(h)
        test_cancel(h)
        test_escaping(h)
        test_command(h)
        test_not_root(h)
        test_languages(h)
        test_page_details(h)
        test_clean_url(h)
        test_not_me(h)
        test_outcomes(h)
        test_expiry_finish(h, *expiry)
        test_expired_page_finish(h, *expired_page)
        test_instance(h, tmp)
        test_linger(tmp)
        test_small_helper(tmp)
        test_address_limit(tmp)
        test_refusal_log(tmp)
        test_slow_clients(tmp)
        test_pick_and_config(tmp)
        test_url_path(tmp)
        logs.append(h.log_text())
        test_shutdown(h)
        test_bad_config(tmp)
        for name in ("small", "perreq", "peraddr", "noaddr", "linger", "other", "noconfirm",
                     "pick", "confirmyes", "prefix", "https"):
            with open(os.path.join(tmp, name, "callbackd.log"), "rb") as f:
                logs.append(f.read().decode("utf-8", "replace"))
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
                T.diag("helper log (%s):\n%s" % (h.dir, h.log_text() if not h.logf.closed
                                                  else open(h.log).read()))
        if own_tmp and not T.failed:
            shutil.rmtree(tmp, ignore_errors=True)
    print("1..%d" % T.n)
    return 1 if T.failed else 0


if __name__ == "__main__":
    sys.exit(main())
