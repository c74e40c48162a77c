"""A small Chrome DevTools Protocol client for the browser test: starts
Debian's chromium headless with a profile of its own, speaks CDP over the
browser's websocket (RFC 6455, written here so the test needs no Python
package beyond the standard library), and always kills the browser.

Every call and every wait has a deadline; a browser that does not answer
in time is an error, never a hang.
"""

import base64
import hashlib
import html as htmlmod
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time

CALL_TIMEOUT = 30


class CDPError(Exception):
    pass


# ---------------------------------------------------------------- websocket


class WebSocket:
    """A client websocket for text messages only (CDP's JSON)."""

    def __init__(self, host, port, path, timeout):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(("GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
                           "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n" % (path, host, port, key)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise CDPError("websocket handshake: connection closed")
            head += chunk
        head, self.buf = head.split(b"\r\n\r\n", 1)
        self.parts = []  # a fragmented message's frames so far
        lines = head.decode("latin-1").split("\r\n")
        want = base64.b64encode(hashlib.sha1(
            (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
        accept = [ln.split(":", 1)[1].strip() for ln in lines[1:]
                  if ln.lower().startswith("sec-websocket-accept:")]
        if " 101 " not in lines[0] + " " or accept != [want]:
            raise CDPError("websocket handshake refused: %s" % lines[0])

    def _fill(self):
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise CDPError("websocket closed by the browser")
        self.buf += chunk

    def _frame(self):
        """One whole frame off the buffer, reading more as needed. Nothing
        is taken off before the frame is whole, so a timeout in between
        leaves the stream intact for the next call."""
        while True:
            buf = self.buf
            if len(buf) >= 2:
                n, at = buf[1] & 0x7F, 2
                if n == 126 and len(buf) >= 4:
                    n, at = struct.unpack("!H", buf[2:4])[0], 4
                elif n == 127 and len(buf) >= 10:
                    n, at = struct.unpack("!Q", buf[2:10])[0], 10
                masked = buf[1] & 0x80
                if (n < 126 or at > 2) and len(buf) >= at + (4 if masked else 0) + n:
                    mask = buf[at:at + 4] if masked else None
                    at += 4 if masked else 0
                    data = buf[at:at + n]
                    self.buf = buf[at + n:]
                    if mask:
                        data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
                    return buf[0], data
            self._fill()

    def _send_frame(self, opcode, payload):
        head = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 1 << 16:
            head += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", n)
        mask = os.urandom(4)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + body)

    def send(self, text):
        self._send_frame(0x1, text.encode("utf-8"))

    def recv(self, timeout):
        """One whole text message, or socket.timeout after `timeout` s."""
        self.sock.settimeout(timeout)
        while True:
            b0, data = self._frame()
            op = b0 & 0x0F
            if op == 0x9:
                self._send_frame(0xA, data)
                continue
            if op == 0x8:
                raise CDPError("websocket closed by the browser")
            if op in (0x1, 0x2, 0x0):
                self.parts.append(data)
                if b0 & 0x80:
                    msg, self.parts = b"".join(self.parts), []
                    return msg.decode("utf-8")

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


# ---------------------------------------------------------------- browser


def die_with_parent(sig=signal.SIGKILL):
    """For Popen's preexec_fn: the child gets `sig` when the test process
    dies, even by SIGKILL, so nothing it started outlives it (Linux prctl
    PR_SET_PDEATHSIG)."""
    def arm():
        try:
            import ctypes
            ctypes.CDLL(None, use_errno=True).prctl(1, sig, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    return arm


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    """One headless chromium with its own temporary profile. Use as a
    context manager: the process group is killed and the profile removed
    on the way out, whatever happened."""

    def __init__(self, binary, tmp, log_path):
        self.profile = tempfile.mkdtemp(prefix="chromium-", dir=tmp)
        self.proc = None
        self.ws = None
        self.next_id = 0
        self.events = []
        self.handlers = {}  # (method, session) -> function(params), run on arrival
        self.replies = {}  # answers read by a nested call (a handler's) for an outer one
        args = [binary, "--headless", "--disable-gpu", "--no-first-run",
                "--no-default-browser-check", "--disable-extensions", "--disable-sync",
                "--disable-background-networking", "--disable-component-update",
                "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
                "--password-store=basic", "--use-mock-keychain",
                "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
                "--user-data-dir=" + self.profile, "about:blank"]
        if os.geteuid() == 0:
            args.insert(1, "--no-sandbox")  # chromium refuses root otherwise
        self.logf = open(log_path, "ab")
        # A process group of its own: the wrapper script, the browser and
        # its renderers end together.
        self.proc = subprocess.Popen(args, stdout=self.logf, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True,
                                     preexec_fn=die_with_parent())
        try:
            port, path = self._wait_port(20)
            self.ws = WebSocket("127.0.0.1", port, path, 10)
        except BaseException:
            self.close()
            raise

    def _wait_port(self, timeout):
        f = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise CDPError("chromium exited with %s before it listened" % self.proc.returncode)
            try:
                with open(f) as fh:
                    lines = fh.read().split("\n")
                if len(lines) >= 2 and lines[0].isdigit() and lines[1].startswith("/"):
                    return int(lines[0]), lines[1]
            except FileNotFoundError:
                pass
            time.sleep(0.1)
        raise CDPError("chromium wrote no DevToolsActivePort within %ds" % timeout)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.ws is not None:
            try:
                self.call("Browser.close", timeout=5)
            except (CDPError, OSError):
                pass
            self.ws.close()
            self.ws = None
        if self.proc is not None:
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(10)
            self.proc = None
        self.logf.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    def call(self, method, params=None, session=None, timeout=CALL_TIMEOUT):
        self.next_id += 1
        mid = self.next_id
        msg = {"id": mid, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self.ws.send(json.dumps(msg))
        deadline = time.monotonic() + timeout
        while mid not in self.replies:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CDPError("%s: no answer within %ds" % (method, timeout))
            try:
                m = json.loads(self.ws.recv(left))
            except socket.timeout:
                continue
            if "id" in m:
                self.replies[m["id"]] = m
            elif "method" in m:
                self._event(m)  # a handler may call in turn: its reply waits above
        m = self.replies.pop(mid)
        if "error" in m:
            raise CDPError("%s: %s" % (method, m["error"].get("message")))
        return m.get("result", {})

    def _event(self, m):
        fn = self.handlers.get((m["method"], m.get("sessionId")))
        if fn is not None:
            fn(m["params"])
        else:
            self.events.append(m)

    def pump(self, seconds):
        """Reads events for up to `seconds`."""
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            try:
                m = json.loads(self.ws.recv(left))
            except socket.timeout:
                return
            if "method" in m:
                self._event(m)

    def wait_event(self, method, session, timeout, pred=None):
        """The first queued or arriving event `method` of `session` (that
        `pred` accepts); it is taken off the queue."""
        deadline = time.monotonic() + timeout
        while True:
            for i, e in enumerate(self.events):
                if e["method"] == method and e.get("sessionId") == session and \
                        (pred is None or pred(e["params"])):
                    return self.events.pop(i)["params"]
            left = deadline - time.monotonic()
            if left <= 0:
                raise CDPError("no %s within %ds" % (method, timeout))
            try:
                m = json.loads(self.ws.recv(left))
            except socket.timeout:
                continue
            if "method" in m:
                self._event(m)

    def drain(self, session):
        """Forgets the queued events of `session`."""
        self.events = [e for e in self.events if e.get("sessionId") != session]

    def new_page(self):
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget",
                            {"targetId": target, "flatten": True})["sessionId"]
        return Page(self, target, session)


class Page:
    """One tab: a phone-sized viewport, and the few actions a person takes."""

    def __init__(self, browser, target, session):
        self.b = browser
        self.target = target
        self.session = session

    def call(self, method, params=None, timeout=CALL_TIMEOUT):
        return self.b.call(method, params, self.session, timeout)

    def close(self):
        try:
            self.b.call("Target.closeTarget", {"targetId": self.target}, timeout=5)
        except CDPError:
            pass

    def inject(self, source):
        """Runs `source` in every new document before its own scripts."""
        self.call("Page.addScriptToEvaluateOnNewDocument", {"source": source})

    def intercept(self, url, body=None):
        """Requests for `url` fail as if the network refused them, or, with
        `body`, are answered 200 with it as JavaScript."""
        self.call("Fetch.enable", {"patterns": [{"urlPattern": url}]})

        def paused(params):
            if body is None:
                self.call("Fetch.failRequest", {"requestId": params["requestId"],
                                                "errorReason": "ConnectionRefused"})
                return
            self.call("Fetch.fulfillRequest", {
                "requestId": params["requestId"], "responseCode": 200,
                "responseHeaders": [{"name": "Content-Type", "value": "text/javascript"}],
                "body": base64.b64encode(body.encode()).decode()})
        self.b.handlers[("Fetch.requestPaused", self.session)] = paused

    def messages(self):
        """The console's and the browser's log lines so far (Log and
        Runtime events of this tab), taken off the queue."""
        out, keep = [], []
        for e in self.b.events:
            if e.get("sessionId") == self.session and e["method"] == "Log.entryAdded":
                out.append(e["params"]["entry"].get("text", ""))
            elif e.get("sessionId") == self.session and e["method"] == "Runtime.consoleAPICalled":
                out.append(" ".join(str(a.get("value", "")) for a in e["params"]["args"]))
            else:
                keep.append(e)
        self.b.events = keep
        return out

    def wait_until(self, pred, timeout=20):
        """Pumps events until pred() holds; False after `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if pred():
                    return True
            except CDPError:
                pass  # a document between two navigations
            self.b.pump(0.1)
        return False

    def phone(self, user_agent, accept_language, javascript):
        """390x844 CSS pixels at 3x, touch, the user agent and language."""
        for domain in ("Page", "Runtime", "Network", "Log"):
            self.call(domain + ".enable")
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": 390, "height": 844, "deviceScaleFactor": 3, "mobile": True})
        self.call("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})
        self.call("Emulation.setUserAgentOverride",
                  {"userAgent": user_agent, "acceptLanguage": accept_language,
                   "platform": "Android"})
        self.call("Emulation.setScriptExecutionDisabled", {"value": not javascript})

    def _wait_load(self, timeout):
        self.b.wait_event("Page.loadEventFired", self.session, timeout)

    def goto(self, url, timeout=20, wait=True):
        self.b.drain(self.session)
        r = self.call("Page.navigate", {"url": url})
        if r.get("errorText"):
            raise CDPError("navigating: %s" % r["errorText"])
        if wait:
            self._wait_load(timeout)

    def reload(self, timeout=20):
        self.b.drain(self.session)
        self.call("Page.reload", {"ignoreCache": False})
        self._wait_load(timeout)

    def history(self):
        h = self.call("Page.getNavigationHistory")
        return h["currentIndex"], h["entries"]

    def back(self, timeout=20):
        idx, entries = self.history()
        if idx < 1:
            raise CDPError("no page to go back to")
        self.b.drain(self.session)
        self.call("Page.navigateToHistoryEntry", {"entryId": entries[idx - 1]["id"]})
        self._wait_load(timeout)

    def url(self):
        idx, entries = self.history()
        return entries[idx]["url"]

    def document(self):
        return self.call("DOM.getDocument", {"depth": 0})["root"]["nodeId"]

    def query(self, selector):
        """The node ids of `selector` (the DOM domain works with JavaScript
        off, unlike Runtime.evaluate in the page)."""
        return self.call("DOM.querySelectorAll",
                         {"nodeId": self.document(), "selector": selector})["nodeIds"]

    def html(self):
        return self.call("DOM.getOuterHTML", {"nodeId": self.document()})["outerHTML"]

    def text(self):
        """The page's visible text: the accessibility tree's static text
        (rendered, not display:none), joined with single spaces."""
        nodes = self.call("Accessibility.getFullAXTree")["nodes"]
        out = [n.get("name", {}).get("value", "") for n in nodes
               if not n.get("ignored") and n.get("role", {}).get("value") == "StaticText"]
        return " ".join(" ".join(out).split())

    def attribute(self, selector, name):
        """`name` of the first element of `selector`, or None."""
        ids = self.query(selector)
        if not ids:
            return None
        a = self.call("DOM.getAttributes", {"nodeId": ids[0]})["attributes"]
        return dict(zip(a[0::2], a[1::2])).get(name)

    def title(self):
        ids = self.query("title")
        if not ids:
            return None
        html = self.call("DOM.getOuterHTML", {"nodeId": ids[0]})["outerHTML"]
        inner = html.split(">", 1)[1].rsplit("<", 1)[0]
        return " ".join(htmlmod.unescape(inner).split())

    def center(self, node_id):
        self.call("DOM.scrollIntoViewIfNeeded", {"nodeId": node_id})
        q = self.call("DOM.getBoxModel", {"nodeId": node_id})["model"]["content"]
        return (q[0] + q[4]) / 2, (q[1] + q[5]) / 2

    def tap(self, selector, navigates=True, timeout=20):
        """A finger on the first element of `selector`."""
        ids = self.query(selector)
        if not ids:
            raise CDPError("nothing to tap: %s" % selector)
        x, y = self.center(ids[0])
        self.b.drain(self.session)
        pt = [{"x": x, "y": y, "radiusX": 4, "radiusY": 4, "force": 1, "id": 1}]
        self.call("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": pt})
        self.call("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        if navigates:
            self._wait_load(timeout)

    def type_into(self, selector, text):
        ids = self.query(selector)
        if not ids:
            raise CDPError("no field to type into: %s" % selector)
        self.call("DOM.focus", {"nodeId": ids[0]})
        for ch in text:
            self.call("Input.dispatchKeyEvent", {"type": "keyDown", "text": ch, "key": ch})
            self.call("Input.dispatchKeyEvent", {"type": "keyUp", "key": ch})

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot",
                         {"format": "png", "captureBeyondViewport": False})["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
