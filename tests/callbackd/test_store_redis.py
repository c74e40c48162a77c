#!/usr/bin/env python3
"""The Redis store (store = redis) against a real redis-server started here
on a free loopback port, in its own directory, without persistence. Speaks
TAP; skips when redis-server is not installed.

Two helpers on one Redis play two replicas of a fleet, each with its own
control socket and public port: a login registered on A is followed and
approved on B, A's long-poll wakes within 200 ms, the code is released
once when both are polled at once, the limits count across both, and both
name one instance. Then Redis goes away (503 store_down, /healthz 503, the
phone's "unavailable" page), comes back on the same port (the next login
works, no restart), and loses its data (a new instance). Also: the whole of
test_callbackd.py on the Redis store, the configuration's refusals, AUTH
with a password and an ACL user, redis_db, and a Unix socket.

  DT_CALLBACKD  the built helper
  DT_TMPDIR     where to put everything (default: a new temp dir)
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)
os.environ.pop("DT_CALLBACKD_REDIS", None)  # the helpers here say their store themselves
import test_callbackd as tc  # noqa: E402
import test_control_tcp as ttc  # noqa: E402
from redis_fixture import REDIS_SERVER, Resp, Server, missing_programs  # noqa: E402
from tap import Tap  # noqa: E402

T = Tap()
Helper = tc.Helper


def redis_conf(port, prefix, more=""):
    return "store = redis\nredis = 127.0.0.1:%d\nredis_prefix = %s\n%s" % (port, prefix, more)


def approve_on(a, b, number=42, **kw):
    """Registers on a; the phone follows the link, answers and picks the
    number on b. Returns (id, code, confirm response)."""
    r, state = a.register(number=number, **kw)
    sid = r.json()["id"]
    link = b.pub("GET", "/l/" + sid)
    code = tc.new_code()
    page = tc.Page(b.callback(authCode=code, state=state).text)
    resp = b.confirm(sid, page.hidden.get("t", ""), number)
    return sid, code, resp, link


# ---------------------------------------------------------------- checks


def test_conformance(port, tmp):
    """Every check of test_callbackd.py, each helper on the Redis store."""
    env = dict(os.environ, DT_CALLBACKD_REDIS="127.0.0.1:%d" % port, DT_TMPDIR=tmp)
    p = subprocess.run([sys.executable, os.path.join(HERE, "test_callbackd.py")], env=env,
                       capture_output=True, timeout=300)
    out = p.stdout.decode("utf-8", "replace")
    passed = len(re.findall(r"^ok ", out, re.M))
    failed = [line for line in out.splitlines() if line.startswith("not ok")]
    T.ok(p.returncode == 0 and passed > 100 and not failed,
         "test_callbackd.py passes on the Redis store (%d checks)" % passed,
         "\n".join(failed) + "\n" + out[-3000:] + p.stderr.decode("utf-8", "replace")[-2000:])


def test_replicas(a, b):
    ra, _ = a.register()
    rb, _ = b.register()
    ia, ib = (ra.json() or {}).get("instance"), (rb.json() or {}).get("instance")
    T.ok(ra.status == 201 and rb.status == 201 and ia and ia == ib,
         "both replicas name the same instance", (ia, ib))

    # Registered on A, the link followed and the login approved on B:
    # A's long-poll wakes through the subscription, not its 1 s re-read.
    r, state = a.register()
    sid = r.json()["id"]
    link = b.pub("GET", "/l/" + sid)
    T.eq(link.status, 302, "a session registered on A: its link works on B")
    T.eq(a.pub("GET", "/l/" + sid).status, 410, "...and is used up for A too")
    th, out = tc.background_wait(a, sid, 10)
    time.sleep(0.3)
    code = tc.new_code()
    page = tc.Page(b.callback(authCode=code, state=state).text)
    T.eq(page.title, "Confirm DingTalk login", "the callback on B shows the confirmation page")
    t0 = time.monotonic()
    resp = b.confirm(sid, page.hidden.get("t", ""), 42)
    t_confirm = time.monotonic()
    th.join(15)
    w = out.get("resp")
    T.ok(resp.status == 200 and w is not None and w.json() == {"status": "approved", "code": code},
         "the wait held by A answers approved with the code", (resp.status, w and w.text))
    ms = (out.get("done_at", 1e9) - t_confirm) * 1000
    T.diag("wake-up across replicas: %.1f ms after the confirmation's answer "
           "(%.1f ms after it was sent)" % (ms, (out.get("done_at", 1e9) - t0) * 1000))
    T.ok(ms < 200, "A's wait answers within 200 ms of B's confirmation (%.1f ms)" % ms)
    r = b.wait(sid, 1)
    T.eq(r.status, 404, "the code was released once: B's wait afterwards -> 404")
    r, state = a.register()
    again = b.callback(authCode=tc.new_code(), state=state)
    replay = a.callback(authCode=tc.new_code(), state=state)
    T.eq((again.status, replay.status), (200, 410),
         "a callback on B, then the same state replayed on A -> 410")


def test_unannounced(redis, a):
    """Changes whose wake-up message never came: a waiter still sees them,
    within about a second by its timer, and at once when the subscription
    is lost (every waiter is woken then)."""
    for kill in (False, True):
        r, _ = a.register()
        sid = r.json()["id"]
        th, out = tc.background_wait(a, sid, 10)
        time.sleep(0.3)
        # The status changed behind the helpers' back: no message published.
        redis.call("HSET", "fleet:s:" + sid, "status", "r", "reason", "cancelled")
        t0 = time.monotonic()
        if kill:
            redis.call("CLIENT", "KILL", "TYPE", "pubsub")
        th.join(15)
        w = out.get("resp")
        ms = (out.get("done_at", 1e9) - t0) * 1000
        got = w.json() if w is not None else None
        if kill:
            T.ok(got == {"status": "refused", "reason": "cancelled"} and ms < 500,
                 "the subscription killed (CLIENT KILL TYPE pubsub): the waiter reads its "
                 "session at once (%.0f ms)" % ms, got)
        else:
            T.ok(got == {"status": "refused", "reason": "cancelled"} and ms < 1300,
                 "a change without a message: the waiter reads it within about 1 s "
                 "(%.0f ms)" % ms, got)


def test_release_once(a, b, rounds=40):
    """Both replicas polled at once for an approved session: one code."""
    released = doubled = lost = 0
    for _ in range(rounds):
        sid, code, resp, _ = approve_on(a, b)
        results = {}
        go = threading.Barrier(2)

        def poll(h, key):
            go.wait()
            results[key] = h.wait(sid, 1)
        ths = [threading.Thread(target=poll, args=(h, k)) for h, k in ((a, "a"), (b, "b"))]
        for th in ths:
            th.start()
        for th in ths:
            th.join(15)
        got = [r for r in results.values() if r.status == 200 and
               (r.json() or {}).get("code") == code]
        others = [r.status for r in results.values() if r.status != 200]
        if len(got) == 1 and others == [404]:
            released += 1
        elif len(got) > 1:
            doubled += 1
        else:
            lost += 1
    T.ok(released == rounds and doubled == 0,
         "%d rounds of A and B polled at once: the code went out exactly once each time"
         % rounds, "released once %d, twice %d, otherwise %d" % (released, doubled, lost))


def test_limits(tmp, port):
    conf = redis_conf(port, "limits:", "max_pending = 6\nmax_pending_per_requester = 2\n"
                      "max_pending_per_address = 3\nsession_ttl = 60\n")
    c, d = Helper(tmp, "limit-c", conf), Helper(tmp, "limit-d", conf)
    try:
        codes = [c.register(requester="uid:7")[0].status,
                 d.register(requester="uid:7")[0].status]
        r = c.register(requester="uid:7")[0]
        T.ok(codes == [201, 201] and r.status == 429 and
             (r.json() or {}).get("error_code") == "requester_full",
             "max_pending_per_requester = 2 counts across replicas", (codes, r.status, r.text))
        codes = [h.register(requester="rhost:10.9.9.9 user:%d" % i,
                            requester_address="rhost:10.9.9.9")[0].status
                 for i, h in enumerate((c, d, c))]
        r = d.register(requester="rhost:10.9.9.9 user:x", requester_address="rhost:10.9.9.9")[0]
        T.ok(codes == [201] * 3 and r.status == 429 and
             (r.json() or {}).get("error_code") == "address_full",
             "max_pending_per_address = 3 counts across replicas", (codes, r.status, r.text))
        r1 = d.register()[0]
        r = c.register()[0]
        T.ok(r1.status == 201 and r.status == 503 and (r.json() or {}).get("error_code") == "full",
             "max_pending = 6 counts across replicas (the 7th -> 503 full)", (r1.status, r.text))
        sid = r1.json()["id"]
        T.eq(c.ctl("DELETE", "/v1/sessions/" + sid).status, 204,
             "a session of D cancelled on C")
        T.eq(d.register()[0].status, 201, "...frees a place for everyone")
    finally:
        c.stop()
        d.stop()


def wait_503(h, sid, started):
    r = h.wait(sid, 5)
    return r, time.monotonic() - started


def test_redis_down(redis, a, b):
    outages = a.log_text().count("the store cannot serve")
    r, state = a.register()
    inst = (r.json() or {}).get("instance")
    sid = r.json()["id"]
    th, out = tc.background_wait(a, sid, 20)
    time.sleep(0.3)
    t0 = time.monotonic()
    redis.stop()
    t_stop = time.monotonic()
    th.join(15)
    w = out.get("resp")
    elapsed = out.get("done_at", 1e9) - t_stop
    T.ok(w is not None and w.status == 503 and (w.json() or {}).get("error_code") == "store_down"
         and elapsed < 1.5,
         "Redis stopped: a wait in progress answers 503 store_down (%.2f s after)" % elapsed,
         (w and w.status, w and w.text, t_stop - t0))
    t1 = time.monotonic()
    r, _ = a.register()
    dt = time.monotonic() - t1
    j = r.json() or {}
    T.ok(r.status == 503 and j.get("error_code") == "store_down" and dt < 1.0 and
         "instance" in j,
         "register -> 503 store_down within 1 s (%.3f s)" % dt, (r.status, r.text))
    t1 = time.monotonic()
    r = b.wait(sid, 5)
    dt = time.monotonic() - t1
    T.ok(r.status == 503 and (r.json() or {}).get("error_code") == "store_down" and dt < 1.0,
         "wait -> 503 store_down within 1 s (%.3f s)" % dt, (r.status, r.text))
    r = b.ctl("DELETE", "/v1/sessions/" + sid)
    T.ok(r.status == 503 and (r.json() or {}).get("error_code") == "store_down",
         "cancel -> 503 store_down", (r.status, r.text))
    r = a.pub("GET", "/healthz")
    T.ok(r.status == 503 and "Redis" in r.text and "127.0.0.1" not in r.text,
         "/healthz -> 503 naming the store (not its address)", (r.status, r.text))
    r = b.pub("GET", "/l/" + sid)
    T.ok(r.status == 503 and tc.title(r) == "Service unavailable",
         "the phone's link -> 503 'Service unavailable' page", (r.status, r.text[:200]))
    r = b.callback(authCode=tc.new_code(), state=state)
    T.ok(r.status == 503 and tc.title(r) == "Service unavailable",
         "the phone's callback -> 503 'Service unavailable' page", r.status)
    T.ok("Reload this page in a few seconds" in r.text,
         "...which asks the person to reload it in a few seconds", r.text[:600])
    T.eq(a.log_text().count("the store cannot serve"), outages + 1,
         "the outage is logged, once")

    redis.start()
    r, _ = a.register()
    j = r.json() or {}
    T.ok(r.status == 201 and j.get("instance") and j.get("instance") != inst,
         "Redis back on the same port: the next registration works, no restart "
         "(a new instance: Redis lost its data)", (r.status, r.text, inst))
    sid2, code, resp, _ = approve_on(b, a)
    T.ok(b.wait(sid2, 2).json() == {"status": "approved", "code": code},
         "...and a whole login across both replicas", resp.status)
    T.eq(a.pub("GET", "/healthz").status, 200, "/healthz -> 200 again")
    T.ok("the store serves again" in a.log_text(), "the recovery is logged")


def test_outage_reads(redis, tmp):
    """Redis stops answering (SIGSTOP: the kernel still accepts, nothing
    replies) while 12 waits are held with redis_failover_grace: their
    reads take turns, at most one per 250 ms reaching Redis, each bounded
    by redis_timeout, so the control listener still answers within a
    second; and the waits, held through it, go on when Redis is back."""
    h = Helper(tmp, "outage", redis_conf(redis.port, "o:", "redis_timeout = 300\n"
                                         "redis_failover_grace = 8\n"))
    try:
        sids, waits = [], []
        for _ in range(12):
            r, _ = h.register()
            sids.append(r.json()["id"])
            waits.append(tc.background_wait(h, sids[-1], 20))
        time.sleep(0.3)
        redis.proc.send_signal(signal.SIGSTOP)
        try:
            time.sleep(1.5)  # every wait reads again within about 1 s: no answer
            worst, statuses = 0.0, set()
            for _ in range(8):
                t0 = time.monotonic()
                statuses.add(h.ctl("GET", "/v1/nothing").status)
                worst = max(worst, time.monotonic() - t0)
                time.sleep(0.2)
            held = sum(th.is_alive() for th, _ in waits)
        finally:
            redis.proc.send_signal(signal.SIGCONT)
        T.diag("12 waits held through a silent Redis: the control listener's slowest "
               "answer %.0f ms (redis_timeout 300 ms)" % (worst * 1000))
        T.ok(statuses == {404} and worst < 1.0 and held == 12,
             "12 waits held while Redis is silent: the control listener still answers "
             "within 1 s (%.0f ms), every wait still held" % (worst * 1000),
             (statuses, held))
        time.sleep(0.5)
        for sid in sids:
            h.ctl("DELETE", "/v1/sessions/" + sid)
        for th, _ in waits:
            th.join(5)
        answers = [(out.get("resp").status, (out.get("resp").json() or {}).get("status"))
                   if out.get("resp") is not None else None for _, out in waits]
        T.ok(all(a == (200, "refused") for a in answers),
             "...and Redis back, they go on: cancelled, each wait answers 'refused'", answers)
    finally:
        h.stop()


def test_flushall(redis, a, b):
    r, _ = a.register()
    before = (r.json() or {}).get("instance")
    redis.call("FLUSHALL")
    r, _ = b.register()
    after = (r.json() or {}).get("instance")
    r2, _ = a.register()
    T.ok(r.status == 201 and after and after != before and
         (r2.json() or {}).get("instance") == after,
         "FLUSHALL (lost data): a new instance, and both replicas take it", (before, after))
    T.ok("Redis lost its data" in a.log_text() + b.log_text(), "the change is logged")


def test_script_refused(redis, a):
    """A Redis that refuses the scripts' writes (min-replicas-to-write with
    no replica: NOREPLICAS) cannot serve: 503 store_down, logged."""
    redis.call("CONFIG", "SET", "min-replicas-to-write", "1")
    try:
        r, _ = a.register()
        T.ok(r.status == 503 and (r.json() or {}).get("error_code") == "store_down" and
             "NOREPLICAS" in a.log_text(),
             "writes refused (NOREPLICAS): register -> 503 store_down, the log says why",
             (r.status, r.text))
    finally:
        redis.call("CONFIG", "SET", "min-replicas-to-write", "0")
    T.eq(a.register()[0].status, 201, "...and 201 again once Redis takes writes")


def run_helper(tmp, name, body):
    path = os.path.join(tmp, name + ".conf")
    with open(path, "w") as f:
        f.write("public_url = http://127.0.0.1:1\nlisten = 127.0.0.1:%d\ncontrol = %s\n%s"
                % (tc.free_port(), os.path.join(tmp, name + ".sock"), body))
    os.chmod(path, 0o644)
    p = subprocess.run([tc.HELPER, "-c", path], capture_output=True, timeout=10)
    return p.returncode, p.stderr.decode("utf-8", "replace"), path


def test_bad_config(tmp):
    pw = os.path.join(tmp, "pw-open")
    with open(pw, "w") as f:
        f.write("pw-open-text-77\n")
    os.chmod(pw, 0o644)
    cases = [
        ("redis = 127.0.0.1:6379\n", "redis", 4, "store is memory"),
        ("redis_timeout = 100\n", "redis_timeout", 4, "store is memory"),
        ("store = redis\n", "store", 4, "neither redis"),
        ("store = redis\nredis = 127.0.0.1:6379\nredis_sentinels = 127.0.0.1:26379\n"
         "redis_master = m\n", "redis_sentinels", 6, "both set"),
        ("store = redis\nredis_sentinels = 127.0.0.1:26379\n", "redis_sentinels", 5,
         "redis_master"),
        ("store = redis\nredis_sentinels = 127.0.0.1:26379 nope\nredis_master = m\n",
         "redis_sentinels", 5, "host:port"),
        ("store = redis\nredis_sentinels = 127.0.0.1:26379\nredis_master = a b\n",
         "redis_master", 6, "letters"),
        ("store = redis\nredis = 127.0.0.1:6379\nredis_master = m\n", "redis_master", 6,
         "only used with redis_sentinels"),
        ("store = redis\nredis = localhost\n", "redis", 5, "host:port"),
        ("store = redis\nredis = unix:relative.sock\n", "redis", 5, "absolute path"),
        ("store = redis\nredis = 127.0.0.1:6379\nredis_user = u\n", "redis_user", 6,
         "redis_password_file"),
        ("store = redis\nredis = 127.0.0.1:6379\nredis_password_file = %s\n" % pw,
         "redis_password_file", 6, pw),
        ("store = redis\nredis = 127.0.0.1:6379\nredis_prefix = a b\n", "redis_prefix", 6,
         "printable"),
        ("store = redis\nredis = 127.0.0.1:6379\nredis_timeout = 20\n", "redis_timeout", 6,
         "redis_timeout"),
        ("store = disk\n", "store", 4, "memory"),
        ("redis_failover_grace = 5\n", "redis_failover_grace", 4, "store is memory"),
        ("store = redis\nredis_sentinels = 127.0.0.1:26379\nredis_master = m\n"
         "redis_failover_grace = 121\n", "redis_failover_grace", 7, "120"),
    ]
    errors = []
    for body, key, line, words in cases:
        rc, err, path = run_helper(tmp, "bad", body)
        errors.append(err)
        where = "%s:%d" % (path, line)
        T.ok(rc == 1 and where in err and key in err and words in err,
             "%s -> exit 1 naming %s, the line and the key" % (body.strip().replace("\n", "; "),
                                                              key), err)
    T.ok(not any("pw-open-text" in e for e in errors), "the password's file is named, never its text")


def test_auth(tmp):
    """requirepass and an ACL user; a wrong password: store down, logged
    without the password."""
    srv = Server(tmp, "redis-auth", ["--requirepass", "pw-default-8c1"])
    helpers = []
    try:
        Resp_c = Resp(srv.port)
        Resp_c.call("AUTH", "pw-default-8c1")
        # The rule dingtalk-callbackd(8) suggests.
        Resp_c.call("ACL", "SETUSER", "fleet", "on", ">pw-fleet-51d", "~fleet:*", "&fleet:*",
                    "+@all", "-@admin", "+role")
        Resp_c.close()
        files = {}
        for name, text in (("good", "pw-default-8c1\n"), ("user", "pw-fleet-51d\n"),
                           ("wrong", "pw-wrong-0aa\n")):
            files[name] = os.path.join(tmp, "pw-" + name)
            with open(files[name], "w") as f:
                f.write(text)
            os.chmod(files[name], 0o600)
        h = Helper(tmp, "auth", redis_conf(srv.port, "auth:", "redis_password_file = %s\n"
                                           % files["good"]))
        helpers.append(h)
        T.eq(h.register()[0].status, 201, "requirepass: AUTH with the password file")
        h = Helper(tmp, "acl", redis_conf(srv.port, "fleet:", "redis_user = fleet\n"
                                          "redis_password_file = %s\n" % files["user"]))
        helpers.append(h)
        T.eq(h.register()[0].status, 201, "an ACL user limited to the prefix's keys and channel")
        bad_conf = os.path.join(tmp, "wrongpw.conf")
        with open(bad_conf, "w") as f:
            f.write("listen = 127.0.0.1:%d\ncontrol = %s\npublic_url = http://x.example\n%s"
                    % (tc.free_port(), os.path.join(tmp, "wrongpw.sock"),
                       redis_conf(srv.port, "auth:", "redis_password_file = %s\n"
                                  % files["wrong"])))
        os.chmod(bad_conf, 0o644)
        log = open(os.path.join(tmp, "wrongpw.log"), "wb")
        p = subprocess.Popen([tc.HELPER, "-c", bad_conf], stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 10
            while not os.path.exists(os.path.join(tmp, "wrongpw.sock")) and \
                    time.monotonic() < deadline:
                time.sleep(0.05)
            r = tc.do(tc.UnixHTTPConnection(os.path.join(tmp, "wrongpw.sock")), "POST",
                      "/v1/sessions", '{"state": "%s", "number": 42, "user": "a", '
                      '"service": "s", "host": "h", "rhost": "r", "requester": "q", '
                      '"authorize_url": "https://x/", "ttl": 30}' % tc.new_state(),
                      {"Content-Type": "application/json"})
            T.ok(r.status == 503 and (r.json() or {}).get("error_code") == "store_down",
                 "a wrong password: the helper runs, and answers 503 store_down", r.text)
        finally:
            p.terminate()
            p.wait(10)
            log.close()
        with open(os.path.join(tmp, "wrongpw.log"), "rb") as f:
            text = f.read().decode("utf-8", "replace")
        T.ok("AUTH refused" in text and "pw-wrong" not in text and "pw-default" not in text,
             "the log says AUTH was refused, without the password", text[-800:])
    finally:
        for h in helpers:
            h.stop()
        srv.stop()


def test_db_and_unix(tmp):
    sock = os.path.join(tmp, "redis-unix", "redis.sock")
    srv = Server(tmp, "redis-unix", ["--unixsocket", sock, "--unixsocketperm", "700"])
    try:
        h = Helper(tmp, "unix", "store = redis\nredis = unix:%s\nredis_db = 3\n"
                   "redis_prefix = u:\n" % sock)
        try:
            sid, code, resp, _ = approve_on(h, h)
            T.ok(h.wait(sid, 2).json() == {"status": "approved", "code": code},
                 "redis = unix:/path: a whole login over Redis's Unix socket", resp.status)
            c = Resp(unix=sock)
            c.call("SELECT", "3")
            in3 = c.call("EXISTS", "u:instance")
            c.call("SELECT", "0")
            in0 = c.call("EXISTS", "u:instance")
            c.close()
            T.eq((in3, in0), (1, 0), "redis_db = 3: the keys are in database 3")
        finally:
            h.stop()
    finally:
        srv.stop()


def test_silent_redis(tmp):
    """A Redis address that accepts connections and never answers (a hung
    server, a black-holed network): every call gives up within
    redis_timeout, nothing hangs."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)
    port = silent.getsockname()[1]
    t0 = time.monotonic()
    h = Helper(tmp, "silent", redis_conf(port, "s:", "redis_timeout = 200\n"), healthy=False)
    started = time.monotonic() - t0
    try:
        t1 = time.monotonic()
        r, _ = h.register()
        dt = time.monotonic() - t1
        T.ok(r.status == 503 and (r.json() or {}).get("error_code") == "store_down" and dt < 1.0,
             "a Redis that never answers: register -> 503 store_down in %.2f s "
             "(redis_timeout = 200 ms; the helper started in %.2f s)" % (dt, started), r.text)
        t1 = time.monotonic()
        health = h.pub("GET", "/healthz").status
        dt = time.monotonic() - t1
        T.ok(health == 503 and dt < 1.0, "...and /healthz -> 503 in %.2f s" % dt, health)
    finally:
        T.eq(h.stop(), 0, "...and the helper stops cleanly (SIGTERM -> exit 0)")
        silent.close()


def test_signed_fleet(tmp, port):
    """Two replicas with the TCP control listener (plain, on loopback) on
    one Redis: a signed request replayed to the other replica is refused
    (the nonce is kept in Redis), and a host reaches only its own sessions
    on either replica."""
    k1, k2 = ttc.Key("k-jump-01", "jump-01"), ttc.Key("k-jump-02", "jump-02")
    conf = redis_conf(port, "tcpfleet:")
    a = ttc.Helper(tmp, "tcp-a", None, [k1, k2], extra=conf, tls=False)
    b = ttc.Helper(tmp, "tcp-b", None, [k1, k2], extra=conf, tls=False)
    try:
        body, _ = ttc.reg_body("jump-01")
        headers = ttc.sign(k1, "POST", "/v1/sessions", body)
        r1 = a.send("POST", "/v1/sessions", body, headers)
        r2 = b.send("POST", "/v1/sessions", body, headers)
        T.ok(r1.status == 201 and ttc.refused(r2, 401, "replay"),
             "a signed registration replayed to the other replica -> 401 replay", (r1, r2))
        sid = (r1.json() or {}).get("id", "?")
        target = "/v1/sessions/%s/wait?timeout=1" % sid
        own = b.signed(k1, "GET", target)
        other = b.signed(k2, "GET", target)
        T.ok(own.status == 200 and (own.json() or {}).get("status") == "pending" and
             other.status == 404,
             "on B: jump-01 waits on its session registered on A; jump-02 gets 404",
             (own, other))
        T.eq((b.signed(k2, "DELETE", "/v1/sessions/" + sid).status,
              b.signed(k1, "DELETE", "/v1/sessions/" + sid).status), (404, 204),
             "on B: jump-02 cannot cancel it (404), jump-01 can (204)")
        T.ok(ttc.refused(ttc.register(a, k1, host="jump-02")[0], 403, "host_mismatch"),
             "a key registering another host's name -> 403 host_mismatch", None)
    finally:
        a.stop()
        b.stop()
    return [a.log_text(), b.log_text()]


def test_no_secrets(logs):
    leaked = [s for s in tc.SECRETS | ttc.SECRETS if any(s in text for text in logs)]
    T.ok(not leaked, "no state or code reaches a helper's log", leaked)


def main():
    if not os.access(tc.HELPER, os.X_OK):
        print("1..0 # SKIP helper not built: %s" % tc.HELPER)
        return 0
    missing = missing_programs(REDIS_SERVER)
    if missing:
        print("1..0 # SKIP redis-server is not installed (apt-get install redis-server)")
        return 0
    base = os.environ.get("DT_TMPDIR")
    tmp = tempfile.mkdtemp(prefix="cbd-redis-", dir=base)
    os.chmod(tmp, 0o755)
    redis, helpers = None, []
    try:
        redis = Server(tmp, "redis")
        test_conformance(redis.port, tmp)
        fleet = redis_conf(redis.port, "fleet:", "session_ttl = 60\n")
        a, b = Helper(tmp, "replica-a", fleet), Helper(tmp, "replica-b", fleet)
        helpers += [a, b]
        test_replicas(a, b)
        test_release_once(a, b)
        test_unannounced(redis, a)
        test_limits(tmp, redis.port)
        test_flushall(redis, a, b)
        test_script_refused(redis, a)
        test_outage_reads(redis, tmp)
        test_redis_down(redis, a, b)
        test_bad_config(tmp)
        test_auth(tmp)
        test_db_and_unix(tmp)
        test_silent_redis(tmp)
        tcp_logs = test_signed_fleet(tmp, redis.port)
        test_no_secrets([h.log_text() for h in helpers] + tcp_logs)
    except Exception:
        T.ok(False, "the test run finished without an exception", traceback.format_exc())
    finally:
        for h in helpers:
            if h.proc.poll() is None:
                h.stop()
        if redis is not None:
            redis.stop()
        if T.failed:
            for h in helpers:
                T.diag("helper log (%s):\n%s" % (h.dir, open(h.log).read()[-3000:]))
        if not T.failed:
            shutil.rmtree(tmp, ignore_errors=True)
    print("1..%d" % T.n)
    return 1 if T.failed else 0


if __name__ == "__main__":
    sys.exit(main())
