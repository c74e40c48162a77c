#!/usr/bin/env python3
"""The Redis store follows a Sentinel failover without a restart: a
primary, a replica and three redis-sentinel processes, all started here on
free loopback ports; a helper that finds the primary through the
sentinels; the primary killed with SIGKILL; the helper serves again once
the sentinels promoted the replica. Speaks TAP; skips when redis-server or
redis-sentinel is not installed.

A wait in flight rides out the failover (redis_failover_grace) and
answers approved; without a grace it answers store_down at once; with no
replica left to promote it answers store_down when its grace is over.
The PAM-level failover is the fleet's end-to-end test.

  DT_CALLBACKD  the built helper
  DT_TMPDIR     where to put everything (default: a new temp dir)
"""

import os
import shutil
import signal
import socket
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)
os.environ.pop("DT_CALLBACKD_REDIS", None)
import test_callbackd as tc  # noqa: E402
from redis_fixture import (REDIS_SENTINEL, REDIS_SERVER, RespError, Server,  # noqa: E402
                           missing_programs)
from tap import Tap  # noqa: E402

T = Tap()
MASTER = "dtfleet"


def login(h):
    """A whole login on one helper; True when the code came back."""
    r, state = h.register()
    if r.status != 201:
        return False, r
    sid = r.json()["id"]
    h.pub("GET", "/l/" + sid)
    code = tc.new_code()
    page = tc.Page(tc.Browser(h).callback(authCode=code, state=state).text)
    h.confirm(sid, page.hidden.get("t", ""), 42)
    w = h.wait(sid, 2)
    return w.json() == {"status": "approved", "code": code}, w


def until(pred, seconds, step=0.1):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if pred():
                return True
        except (OSError, RespError):
            pass
        time.sleep(step)
    return False


def sentinels_ready(sentinels, replica_port):
    """Each sentinel knows the replica and the two other sentinels: only
    then can they agree on a failover."""
    for s in sentinels:
        reps = s.call("SENTINEL", "REPLICAS", MASTER) or []
        others = s.call("SENTINEL", "SENTINELS", MASTER) or []
        ports = [r[r.index("port") + 1] for r in reps if "port" in r]
        if str(replica_port) not in ports or len(others) < 2:
            return False
    return True


def primary_port(sentinel):
    addr = sentinel.call("SENTINEL", "get-master-addr-by-name", MASTER)
    return int(addr[1]) if addr else 0


def repl_offset(server, field):
    for line in server.call("INFO", "replication").splitlines():
        if line.startswith(field + ":"):
            return int(line.split(":", 1)[1])
    return -1


def synced(primary, replica):
    """The replica has every write the primary took (what a failover
    keeps): the sessions in flight survive the primary's death."""
    want = repl_offset(primary, "master_repl_offset")
    return until(lambda: repl_offset(replica, "slave_repl_offset") >= want, 5, 0.05)


def in_flight(h, timeout=20):
    """A registered session and a wait on it, held in a thread."""
    r, state = h.register()
    sid = r.json()["id"]
    th, out = tc.background_wait(h, sid, timeout)
    return sid, state, th, out


def approve(h, sid, state):
    code = tc.new_code()
    page = tc.Page(tc.Browser(h).callback(authCode=code, state=state).text)
    r = h.confirm(sid, page.hidden.get("t", ""), 42)
    return code, r


def store_down(w):
    return w is not None and w.status == 503 and (w.json() or {}).get("error_code") == "store_down"


def misled(tmp, sentinels, replica):
    """A name the sentinels do not know, and one that names a replica: the
    helper refuses both (it writes only to a master) and says why."""
    for s in sentinels:
        s.call("SENTINEL", "MONITOR", "misled", "127.0.0.1", str(replica.port), "2")
    for name, words in (("nosuch", "does not monitor a master named 'nosuch'"),
                        ("misled", "is not a master")):
        conf = ("store = redis\nredis_sentinels = %s\nredis_master = %s\nredis_timeout = 300\n"
                "redis_prefix = m:\n" % (" ".join("127.0.0.1:%d" % s.port for s in sentinels),
                                          name))
        h = tc.Helper(tmp, "helper-" + name, conf, healthy=False)
        try:
            r, _ = h.register()
            health = h.pub("GET", "/healthz").status
            text = h.log_text()
            T.ok(r.status == 503 and health == 503 and words in text,
                 "redis_master = %s: register and /healthz -> 503; the log says '%s'"
                 % (name, words), (r.status, health, text[-600:]))
        finally:
            h.stop()
    for s in sentinels:
        s.call("SENTINEL", "REMOVE", "misled")


def silent_first(tmp, sentinels):
    """The first sentinel listed accepts and never answers (a hung host):
    it gets only its share of redis_timeout, and the next ones are asked
    in the time left."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)
    try:
        conf = ("store = redis\nredis_sentinels = 127.0.0.1:%d %s\nredis_master = %s\n"
                "redis_timeout = 400\nredis_prefix = q:\n"
                % (silent.getsockname()[1],
                   " ".join("127.0.0.1:%d" % s.port for s in sentinels), MASTER))
        h = tc.Helper(tmp, "helper-silent", conf, healthy=False)
        try:
            r, _ = h.register()
            T.ok(r.status == 201 and "no answer within redis_timeout" not in h.log_text(),
                 "a first sentinel that never answers: the next one is asked within "
                 "redis_timeout (400 ms), and the helper serves", (r.status, h.log_text()))
        finally:
            h.stop()
    finally:
        silent.close()


def grace_runs_out(tmp, conf, last):
    """The last Redis server dies and no replica is left to promote: a
    wait in flight answers store_down once its grace (3 s) is over, not
    at once and not at its own timeout (20 s)."""
    grace = 3
    g = tc.Helper(tmp, "helper-grace", conf + "redis_failover_grace = %d\n" % grace)
    g2 = tc.Helper(tmp, "helper-grace-stop", conf + "redis_failover_grace = 60\n")
    try:
        sid, _, th, out = in_flight(g)
        _, _, th2, out2 = in_flight(g2)
        time.sleep(0.3)
        t0 = time.monotonic()
        last.stop(signal.SIGKILL)
        th.join(grace + 10)
        w, took = out.get("resp"), out.get("done_at", 1e9) - t0
        T.diag("no primary left: the wait answered %.2f s after the kill "
               "(redis_failover_grace = %d)" % (took, grace))
        T.ok(store_down(w) and grace - 0.3 <= took <= grace + 1.5,
             "no primary to promote: the wait in flight -> 503 store_down after its grace "
             "(%.2f s, grace %d s)" % (took, grace), w and (w.status, w.text))
        T.ok(th2.is_alive(), "...while a wait with redis_failover_grace = 60 is still held")
        log = g.log_text() + g2.log_text()
        t1 = time.monotonic()
        rc = g2.stop()
        th2.join(5)
        w2, took2 = out2.get("resp"), out2.get("done_at", 1e9) - t1
        # At shutdown the held wait is answered or its connection closed
        # (libmicrohttpd may close it before the answer is out, as on the
        # Unix socket); what must hold is that nothing waits for Redis.
        T.ok((w2 is None or store_down(w2)) and not th2.is_alive() and took2 < 2.0 and rc == 0,
             "the helper stopped (SIGTERM): the held wait ends at once (%.2f s: 503 "
             "store_down or its connection closed), and the helper exits 0" % took2,
             (rc, w2 and (w2.status, w2.text)))
        T.ok(not any(s in log for s in tc.SECRETS), "no state or code in their logs")
    finally:
        g.stop()
        g2.stop()


def run(tmp):
    primary = Server(tmp, "primary")
    replica = Server(tmp, "replica", ["--replicaof", "127.0.0.1", str(primary.port)])
    monitor = ("sentinel monitor %s 127.0.0.1 %d 2\n"
               "sentinel down-after-milliseconds %s 1000\n"
               "sentinel failover-timeout %s 3000\n"
               "sentinel parallel-syncs %s 1\n" % (MASTER, primary.port, MASTER, MASTER, MASTER))
    sentinels = [Server(tmp, "sentinel-%d" % i, sentinel_conf=monitor) for i in range(3)]
    servers = [primary, replica] + sentinels
    h = None
    try:
        T.ok(until(lambda: sentinels_ready(sentinels, replica.port), 20),
             "three sentinels watch the primary and know the replica and each other")
        conf = ("store = redis\nredis_sentinels = %s\nredis_master = %s\n"
                "redis_timeout = 300\nredis_prefix = sent:\n"
                % (", ".join("127.0.0.1:%d" % s.port for s in sentinels), MASTER))
        h = tc.Helper(tmp, "helper", conf)
        ok, w = login(h)
        T.ok(ok, "a whole login through the primary the sentinels name", w.text)
        misled(tmp, sentinels, replica)
        silent_first(tmp, sentinels)
        inst = (h.register()[0].json() or {}).get("instance")
        T.ok(until(lambda: replica.call("GET", "sent:instance") == inst, 5),
             "the replica has the store's instance (replicated)")

        # Two logins in flight: one on h (redis_failover_grace: 10, the
        # default with sentinels), one on a helper that answers at once.
        hz = tc.Helper(tmp, "helper-nograce", conf + "redis_failover_grace = 0\n")
        sid, state, th, out = in_flight(h)
        zsid, _, zth, zout = in_flight(hz)
        T.ok(synced(primary, replica), "the sessions in flight reached the replica")
        time.sleep(0.3)
        t0 = time.monotonic()
        primary.stop(signal.SIGKILL)
        r, _ = h.register()
        T.ok(store_down(r), "primary killed: register -> 503 store_down, at once",
             (r.status, r.text))
        r = h.ctl("DELETE", "/v1/sessions/" + zsid)
        T.ok(store_down(r), "...and cancel -> 503 store_down, at once", (r.status, r.text))
        zth.join(5)
        zw, zt = zout.get("resp"), zout.get("done_at", 1e9) - t0
        T.ok(store_down(zw) and zt < 1.5,
             "redis_failover_grace = 0: the wait in flight -> 503 store_down at once "
             "(%.2f s after the kill)" % zt, zw and zw.text)
        hz.stop()
        served = until(lambda: h.register()[0].status == 201, 30, 0.2)
        took = time.monotonic() - t0
        T.diag("the helper served again %.1f s after the primary was killed "
               "(down-after-milliseconds 1000)" % took)
        T.ok(served, "the helper serves again without a restart (%.1f s)" % took)
        T.ok(th.is_alive(), "the wait in flight on h is still held (redis_failover_grace = 10)",
             out.get("resp") is not None and out["resp"].text)
        code, _ = approve(h, sid, state)
        th.join(15)
        w = out.get("resp")
        T.ok(w is not None and w.status == 200 and w.json() == {"status": "approved", "code": code},
             "...and answers approved with the code given after the failover (%.1f s wait)"
             % out.get("elapsed", -1), w and (w.status, w.text))
        # The sentinel that led the failover knows first; the others learn
        # it from its hello messages within a few seconds.
        T.ok(until(lambda: all(primary_port(s) == replica.port for s in sentinels), 10),
             "...on the promoted replica, which every sentinel names now",
             [primary_port(s) for s in sentinels])
        ok, w = login(h)
        T.ok(ok, "a whole login after the failover", w.text)
        # The wake-up subscription follows too: B's approval wakes the
        # wait held by h through it, not through the 1 s re-read.
        b = tc.Helper(tmp, "helper-b", conf)
        try:
            T.ok(until(lambda: h.log_text().count("subscribed to the wake-up channel") >= 2, 10),
                 "h subscribed again, on the new primary")
            r, state = h.register()
            sid = r.json()["id"]
            th, out = tc.background_wait(h, sid, 10)
            time.sleep(0.3)
            code = tc.new_code()
            page = tc.Page(tc.Browser(b).callback(authCode=code, state=state).text)
            b.confirm(sid, page.hidden.get("t", ""), 42)
            t_confirm = time.monotonic()
            th.join(15)
            ms = (out.get("done_at", 1e9) - t_confirm) * 1000
            w = out.get("resp")
            T.ok(w is not None and w.json() == {"status": "approved", "code": code} and ms < 200,
                 "after the failover, an approval on B wakes h's wait within 200 ms (%.1f ms)"
                 % ms, w and w.text)
        finally:
            b.stop()
        r, _ = h.register()
        T.eq((r.json() or {}).get("instance"), inst,
             "the instance survived the failover (it had been replicated)")
        T.eq(h.pub("GET", "/healthz").status, 200, "/healthz -> 200 after the failover")
        T.ok("the store serves again" in h.log_text(), "the recovery is logged")
        grace_runs_out(tmp, conf, replica)
        log = h.log_text()
        T.ok(not any(s in log for s in tc.SECRETS), "no state or code in the helper's log")
    finally:
        if h is not None:
            h.stop()
        for s in servers:
            s.stop(signal.SIGKILL)


def main():
    if not os.access(tc.HELPER, os.X_OK):
        print("1..0 # SKIP helper not built: %s" % tc.HELPER)
        return 0
    missing = missing_programs(REDIS_SERVER, REDIS_SENTINEL)
    if missing:
        print("1..0 # SKIP not installed: %s (apt-get install redis-server redis-sentinel)"
              % " ".join(missing))
        return 0
    tmp = tempfile.mkdtemp(prefix="cbd-sentinel-", dir=os.environ.get("DT_TMPDIR"))
    os.chmod(tmp, 0o755)
    try:
        run(tmp)
    except Exception:
        T.ok(False, "the test run finished without an exception", traceback.format_exc())
    finally:
        if not T.failed:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            T.diag("kept for a look: %s" % tmp)
    print("1..%d" % T.n)
    return 1 if T.failed else 0


if __name__ == "__main__":
    sys.exit(main())
