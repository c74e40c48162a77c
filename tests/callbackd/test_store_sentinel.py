#!/usr/bin/env python3
"""The Redis store follows a Sentinel failover without a restart: a
primary, a replica and three redis-sentinel processes, all started here on
free loopback ports; a helper that finds the primary through the
sentinels; the primary killed with SIGKILL; the helper serves again once
the sentinels promoted the replica. Speaks TAP; skips when redis-server or
redis-sentinel is not installed.

The PAM-level failover (logins in flight) is the fleet's end-to-end test;
this one proves the store finds the new primary by itself.

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
    page = tc.Page(h.callback(authCode=code, state=state).text)
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

        t0 = time.monotonic()
        primary.stop(signal.SIGKILL)
        r, _ = h.register()
        T.ok(r.status == 503 and (r.json() or {}).get("error_code") == "store_down",
             "primary killed: register -> 503 store_down, at once", (r.status, r.text))
        served = until(lambda: h.register()[0].status == 201, 30, 0.2)
        took = time.monotonic() - t0
        T.diag("the helper served again %.1f s after the primary was killed "
               "(down-after-milliseconds 1000)" % took)
        T.ok(served, "the helper serves again without a restart (%.1f s)" % took)
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
            page = tc.Page(b.callback(authCode=code, state=state).text)
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
