#!/usr/bin/env python3
"""dingtalk-callbackd under concurrent load. Speaks TAP.

DT_LOAD_SESSIONS (default 200) sessions run at once through both listeners,
each the way a module and a phone drive it: register on the control socket,
long-poll wait, follow the short link, deliver the callback, type the number
on the confirmation page, read the result. One in six each is approved
(twice), refused with the wrong number, denied on the phone, cancelled by the
module, or left to expire. Asserted: every session ends as it should; the
helper answers /healthz throughout; no session stays pending (max_pending =
DT_LOAD_SESSIONS, so a fresh full round registers only if every old one is
gone from the count); released and ended sessions are gone from the control
API and their links; the helper's open descriptors do not grow. Prints the
figures (sessions/s, p50/p99 wake-up latency of the waiters) as diagnostics.

Uses the Helper class of test_callbackd.py (DT_CALLBACKD picks the binary,
so scripts/lib.sh can run this under valgrind). Bounded: < 60 s.
"""

import os
import re
import shutil
import sys
import tempfile
import threading
import time
import traceback
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_callbackd as cbd  # noqa: E402  (the helper harness)

T = cbd.T
N = int(os.environ.get("DT_LOAD_SESSIONS") or 200)
KINDS = ("approve", "approve", "wrong_number", "denied", "cancel", "expire")
WANT = {
    "approve": None,  # {"status": "approved", "code": <its code>}
    "wrong_number": {"status": "refused", "reason": "wrong_number"},
    "denied": {"status": "refused", "reason": "denied"},
    "cancel": {"status": "refused", "reason": "cancelled"},
    "expire": {"status": "expired"},
}
EXPIRE_TTL = 10  # the helper's floor for a session's ttl
BOUND = 60


class Session:
    def __init__(self, i):
        self.i = i
        self.kind = KINDS[i % len(KINDS)]
        self.number = 10 + i % 90
        self.code = cbd.new_code()
        self.sid = None
        self.state = None
        self.result = None      # the waiter's final answer (dict)
        self.acted_at = None    # when the phone's (or module's) act was answered
        self.woke_at = None     # when the waiter's answer came back
        self.errors = []


def fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def register(h, s):
    r, s.state = h.register(number=s.number,
                            ttl=EXPIRE_TTL if s.kind == "expire" else 60)
    if r.status != 201:
        s.errors.append("register: %d %s" % (r.status, r.text))
        return False
    s.sid = r.json()["id"]
    return True


def waiter(h, s):
    """The module's side: long-polls until the session leaves pending."""
    try:
        long_poll(h, s)
    except Exception as e:  # a refused connection is a failure of the round
        s.errors.append("wait: %r" % e)


def long_poll(h, s):
    deadline = time.monotonic() + BOUND
    while time.monotonic() < deadline:
        r = h.wait(s.sid, 25)
        body = r.json()
        if r.status != 200 or body is None:
            s.errors.append("wait: %d %s" % (r.status, r.text))
            return
        if body.get("status") != "pending":
            s.woke_at = time.monotonic()
            s.result = body
            return


def follow_link(h, s):
    r = h.pub("GET", "/l/" + s.sid)
    loc = r.headers.get("location", "")
    q = parse_qs(urlsplit(loc).query)
    if r.status != 302 or q.get("state") != [s.state] or "redirect_uri" not in q:
        s.errors.append("link: %d %s" % (r.status, loc))
        return False
    return True


def confirm(h, s, right):
    """Delivers the code (following the redirect to the clean URL), then
    types the right number or another one."""
    b = cbd.Browser(h)
    page = b.callback(authCode=s.code, state=s.state)
    p = cbd.Page(page.text)
    if page.status != 200 or "t" not in p.hidden or "n" not in p.inputs:
        s.errors.append("callback: %d %s" % (page.status, cbd.title(page)))
        return
    typed = s.number if right else 10 + (s.number - 9) % 90
    r = b.post("/c/" + s.sid, {"t": p.hidden["t"], "n": str(typed)})
    want = "Login approved" if right else "Wrong number"
    if r.status != 200 or cbd.title(r) != want:
        s.errors.append("confirm: %d %s" % (r.status, cbd.title(r)))


def phone(h, s):
    """The phone's side (or the module's cancel), by the session's kind."""
    if s.kind == "expire":
        return
    if s.kind == "cancel":
        r = h.ctl("DELETE", "/v1/sessions/" + s.sid)
        if r.status != 204:
            s.errors.append("cancel: %d" % r.status)
    elif follow_link(h, s):
        if s.kind == "denied":
            h.callback(error="access_denied", state=s.state)
        else:
            confirm(h, s, s.kind == "approve")
    s.acted_at = time.monotonic()


def run_session(h, s, start, phones_go):
    try:
        w = None
        if register(h, s):
            w = threading.Thread(target=waiter, args=(h, s), daemon=True)
            w.start()
        start.wait(BOUND)       # every waiter is in its long-poll first
        phones_go.wait(BOUND)
        if w is not None:
            phone(h, s)
            w.join(BOUND)
    except Exception:
        s.errors.append(traceback.format_exc())


class Health(threading.Thread):
    """Asks /healthz every 50 ms until stopped; keeps the worst answer."""

    def __init__(self, h):
        super().__init__(daemon=True)
        self.h = h
        self.stop = threading.Event()
        self.asked = self.bad = 0
        self.slowest = 0.0

    def run(self):
        while not self.stop.is_set():
            t0 = time.monotonic()
            try:
                ok = self.h.pub("GET", "/healthz").status == 200
            except OSError:
                ok = False
            self.asked += 1
            self.bad += not ok
            self.slowest = max(self.slowest, time.monotonic() - t0)
            self.stop.wait(0.05)


def percentile(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))] if v else float("nan")


def run_round(h):
    sessions = [Session(i) for i in range(N)]
    start = threading.Barrier(N + 1)
    phones_go = threading.Event()
    threads = [threading.Thread(target=run_session, args=(h, s, start, phones_go), daemon=True)
               for s in sessions]
    t0 = time.monotonic()
    for th in threads:
        th.start()
    start.wait(BOUND)
    registered = time.monotonic()
    time.sleep(0.3)             # the waits reach the helper and suspend
    t_phones = time.monotonic()
    phones_go.set()
    for th in threads:
        th.join(BOUND)
    return sessions, t0, registered, t_phones


def check_outcomes(sessions):
    wrong = []
    for s in sessions:
        want = WANT[s.kind] or {"status": "approved", "code": s.code}
        if s.errors or s.result != want:
            wrong.append((s.i, s.kind, s.result, s.errors[:2]))
    counts = ", ".join("%d %s" % (sum(s.kind == k for s in sessions), k) for k in WANT)
    T.ok(not wrong, "all %d sessions end as they should (%s)" % (len(sessions), counts),
         wrong[:5])


def report(sessions, t0, registered, t_phones):
    acted = [s for s in sessions if s.kind != "expire" and s.woke_at and s.acted_at]
    lat = [max(0.0, s.woke_at - s.acted_at) * 1000 for s in acted]
    last = max((s.woke_at for s in acted), default=t_phones)
    rate = len(acted) / (last - t_phones) if last > t_phones else float("nan")
    T.diag("figures: %d sessions registered in %.2f s (%.0f/s); %d decided by phone or "
           "module in %.2f s: %.0f sessions/s end to end"
           % (len(sessions), registered - t0, len(sessions) / max(registered - t0, 1e-9),
              len(acted), last - t_phones, rate))
    T.diag("figures: waiter wake-up after the deciding request: p50 %.1f ms, p99 %.1f ms, "
           "max %.1f ms" % (percentile(lat, 50), percentile(lat, 99), max(lat or [0])))
    T.ok(lat and percentile(lat, 99) < 2000,
         "every waiter wakes promptly after the deciding request (p99 < 2 s)",
         percentile(lat, 99))


def check_gone(h, sessions):
    approved = [s for s in sessions if s.kind == "approve" and s.sid]
    gone = [h.wait(s.sid, 1).status for s in approved]
    T.ok(all(st == 404 for st in gone),
         "a released session is gone: its wait -> 404 (%d checked)" % len(approved),
         [st for st in gone if st != 404][:5])
    links = [h.pub("GET", "/l/" + s.sid).status for s in sessions if s.sid]
    T.ok(all(st in (404, 410) for st in links),
         "no link of the round redirects any more (410 ended, 404 released)",
         sorted(set(links)))


def check_nothing_pending(h):
    """max_pending = N: a full new round fits only if no old session still
    counts as pending."""
    made = []
    for _ in range(N):
        r, _ = h.register()
        if r.status != 201:
            break
        made.append(r.json()["id"])
    T.eq(len(made), N, "no session stays pending: %d fresh registrations fit max_pending" % N)
    cancelled = sum(h.ctl("DELETE", "/v1/sessions/" + sid).status == 204 for sid in made)
    T.eq(cancelled, len(made), "...and all of them cancel")


def settle_fds(pid, before):
    """Connections close a moment after their last answer."""
    deadline = time.monotonic() + 5
    now = fds(pid)
    while now > before and time.monotonic() < deadline:
        time.sleep(0.1)
        now = fds(pid)
    return now


def run(tmp):
    # Every phone here comes from 127.0.0.1, as through a reverse proxy:
    # no per-address limit (dingtalk-callbackd(8), max_connections_per_ip).
    h = cbd.Helper(tmp, "load", "max_pending = %d\nsession_ttl = 60\n"
                   "max_connections_per_ip = 0\n" % N)
    try:
        r, _ = h.register()     # warm up: the first session, connections, pages
        h.ctl("DELETE", "/v1/sessions/" + r.json()["id"])
        pid = h.proc.pid
        before = settle_fds(pid, 0)
        health = Health(h)
        health.start()
        t_start = time.monotonic()
        sessions, t0, registered, t_phones = run_round(h)
        check_outcomes(sessions)
        report(sessions, t0, registered, t_phones)
        health.stop.set()
        health.join(5)
        T.ok(health.asked > 10 and health.bad == 0,
             "/healthz answered all %d times during the round (slowest %.0f ms)"
             % (health.asked, health.slowest * 1000), (health.asked, health.bad))
        check_gone(h, sessions)
        check_nothing_pending(h)
        after = settle_fds(pid, before)
        T.ok(after <= before, "open descriptors do not grow (%d before, %d after)"
             % (before, after), (before, after))
        T.ok(time.monotonic() - t_start < BOUND, "the round ends within %d s (%.1f s)"
             % (BOUND, time.monotonic() - t_start))
        return h
    finally:
        if h.proc.poll() is None:
            T.eq(h.stop(), 0, "SIGTERM -> exit 0 after the load")


def main():
    if not os.access(cbd.HELPER, os.X_OK):
        print("1..0 # SKIP helper not built: %s" % cbd.HELPER)
        return 0
    tmp = tempfile.mkdtemp(prefix="cbd-load-", dir=os.environ.get("DT_TMPDIR"))
    os.chmod(tmp, 0o755)
    try:
        run(tmp)
        with open(os.path.join(tmp, "load", "callbackd.log"), "rb") as f:
            log = f.read().decode("utf-8", "replace")
        leaked = [s for s in cbd.SECRETS if s in log]
        T.ok(not leaked, "no state or code reaches the helper's log", leaked[:3])
        T.ok(len(re.findall(r"expired", log)) >= KINDS.count("expire") * N // len(KINDS),
             "the expiries are logged")
    except Exception:
        T.ok(False, "the load test finished without an exception", traceback.format_exc())
    finally:
        if T.failed:
            T.diag("helper log: %s" % os.path.join(tmp, "load", "callbackd.log"))
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print("1..%d" % T.n)
    return 1 if T.failed else 0


if __name__ == "__main__":
    sys.exit(main())
