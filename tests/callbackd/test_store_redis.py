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
from redis_fixture import REDIS_SERVER, Resp, RespError, Server, missing_programs  # noqa: E402
from tap import Tap  # noqa: E402

T = Tap()
ttc.T = T  # its checks run here too (test_host_quota)
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


def test_command_across_replicas(redis, a, b):
    """sudo's command registered on A is in the store's session (the hash's
    `cmd`): B's confirmation page shows it (escaped), whoever took the
    callback. A session stored by a replica that predates the field has no
    `cmd`: its page has no Command row and works."""
    r, state = a.register(command="/usr/bin/systemctl restart <nginx> \u2026")
    sid = (r.json() or {}).get("id", "")
    T.eq(redis.call("HGET", "fleet:s:" + sid, "cmd"),
         "/usr/bin/systemctl restart <nginx> \u2026",
         "the command is stored in the session's hash, as registered")
    page = b.callback(authCode=tc.new_code(), state=state)
    T.eq(tc.command_row(page), "/usr/bin/systemctl restart &lt;nginx&gt; \u2026",
         "a command registered on A is shown by B's confirmation page")
    r, state = a.register(command="/bin/true")
    redis.call("HDEL", "fleet:s:" + (r.json() or {}).get("id", ""), "cmd")
    page = b.callback(authCode=tc.new_code(), state=state)
    T.ok(page.status == 200 and tc.command_row(page) is None and
         tc.title(page) == "Confirm DingTalk login",
         "a session without the cmd field shows its page without a Command row",
         (page.status, tc.title(page)))
    r, _ = b.register(command="ls\x1b[2J")
    T.eq((r.status, (r.json() or {}).get("error_code")), (400, "command_not_text"),
         "the Redis store's replicas refuse an unsafe command too")


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


def register_until_up(h, within=2.0):
    """Registers until 201 (the pool's breaker lets one probe through every
    250 ms after a failure): (last response, seconds taken)."""
    t0 = time.monotonic()
    while True:
        r, _ = h.register()
        if r.status == 201 or time.monotonic() - t0 > within:
            return r, time.monotonic() - t0
        time.sleep(0.05)


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
    r, took = register_until_up(a)
    j = r.json() or {}
    T.ok(r.status == 201 and j.get("instance") and j.get("instance") != inst,
         "Redis back on the same port: registrations work again within %.2f s (the "
         "breaker's next probe), no restart (a new instance: Redis lost its data)" % took,
         (r.status, r.text, inst))
    # b's breaker lets its own probe through on its next request (each
    # replica has its own): wait for it too before the login across both.
    register_until_up(b)
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
         "redis_sentinels", 5, "IP:port"),
        ("store = redis\nredis_sentinels = 127.0.0.1:26379 sentinel-b:26379\n"
         "redis_master = m\n", "redis_sentinels", 5, "not host names"),
        ("store = redis\nredis_sentinels = 127.0.0.1:26379\nredis_master = a b\n",
         "redis_master", 6, "letters"),
        ("store = redis\nredis = 127.0.0.1:6379\nredis_master = m\n", "redis_master", 6,
         "only used with redis_sentinels"),
        ("store = redis\nredis = localhost\n", "redis", 5, "IP:port"),
        ("store = redis\nredis = redis.example:6379\n", "redis", 5, "not a host name"),
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
        # The codes pass through Redis as script arguments: the rule must
        # keep the helper's user away from where they could be read back.
        denied = []
        for cmd in (("SLOWLOG", "GET"), ("MONITOR",), ("CONFIG", "GET", "slowlog*"),
                    ("CLIENT", "LIST"), ("DEBUG", "SLEEP", "0")):
            c = Resp(srv.port)
            c.call("AUTH", "fleet", "pw-fleet-51d")
            try:
                c.call(*cmd)
            except RespError as e:
                # DEBUG: Redis 7 also refuses it to everyone by default
                # (enable-debug-command no), before the ACL is asked.
                if "NOPERM" in str(e) or (cmd[0] == "DEBUG" and "not allowed" in str(e)):
                    denied.append(cmd[0])
            finally:
                c.close()
        T.eq(denied, ["SLOWLOG", "MONITOR", "CONFIG", "CLIENT", "DEBUG"],
             "the documented ACL rule refuses SLOWLOG, MONITOR, CONFIG, CLIENT LIST, DEBUG")
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


def test_ended_bounded(tmp, redis):
    """Ended sessions linger (their outcome for a late waiter), but no more
    than 2 * max_pending sessions are kept in all: registering and
    cancelling in a loop cannot grow Redis without bound."""
    h = Helper(tmp, "ended", redis_conf(redis.port, "ended:", "max_pending = 3\nlinger = 600\n"))
    try:
        sids = []
        for _ in range(12):
            r, _ = h.register()
            sid = (r.json() or {}).get("id", "?")
            sids.append(sid)
            h.ctl("DELETE", "/v1/sessions/" + sid)
        kept = len(redis.call("KEYS", "ended:s:*")) + len(redis.call("KEYS", "ended:st:*"))
        last = h.wait(sids[-1], 1).json() or {}
        T.ok(kept <= 2 * 2 * 3 and last.get("status") == "refused",
             "12 registered and cancelled, max_pending = 3: %d keys kept (at most 6 sessions); "
             "the latest still tells its outcome" % kept, (kept, last))
    finally:
        h.stop()


def timed(results, name, fn):
    t0 = time.monotonic()
    try:
        r = fn()
        results.append((name, r.status, (r.json() or {}).get("error_code")
                        if name != "callback" and name != "healthz" else None,
                        time.monotonic() - t0))
    except Exception as e:  # reported by the caller as a failed request
        results.append((name, repr(e), None, time.monotonic() - t0))


class NoScriptRedis:
    """A fake Redis for one timing check: EVALSHA is answered NOSCRIPT after
    `delay` seconds, EVAL never; PING is answered at once."""

    def __init__(self, delay):
        self.delay = delay
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(c,), daemon=True).start()

    def serve(self, c):
        f = c.makefile("rb")
        try:
            while True:
                line = f.readline()
                if not line.startswith(b"*"):
                    return
                args = []
                for _ in range(int(line[1:])):
                    n = int(f.readline()[1:])
                    args.append(f.read(n + 2)[:n])
                verb = args[0].upper()
                if verb == b"EVALSHA":
                    time.sleep(self.delay)
                    c.sendall(b"-NOSCRIPT No matching script.\r\n")
                elif verb == b"PING":
                    c.sendall(b"+PONG\r\n")
                # EVAL (and anything else): never answered
        except (OSError, ValueError):
            return

    def close(self):
        self.sock.close()


def test_one_deadline(tmp):
    """EVALSHA and the EVAL that follows NOSCRIPT share one redis_timeout:
    a Redis that takes 0.7 of it to say NOSCRIPT and then never answers
    EVAL fails the registration within redis_timeout, not 1.7 times it.
    redis_timeout is long enough that a slow run (valgrind, a sanitizer
    build) stays far from 1.7 times it."""
    timeout = 1.5
    fake = NoScriptRedis(0.7 * timeout)
    h = Helper(tmp, "deadline", redis_conf(fake.port, "d:", "redis_timeout = %d\n"
                                           % int(timeout * 1000)), healthy=False)
    try:
        time.sleep(0.3)  # past the breaker's next probe after the start's failure
        t0 = time.monotonic()
        r, _ = h.register()
        dt = time.monotonic() - t0
        T.ok(r.status == 503 and (r.json() or {}).get("error_code") == "store_down" and
             dt < 1.35 * timeout,
             "NOSCRIPT after 0.7 * redis_timeout, then no answer to EVAL: 503 store_down in "
             "%.2f s (redis_timeout = %.1f s: one budget for both)" % (dt, timeout), r.text)
    finally:
        h.stop()
        fake.close()


def test_black_hole(tmp):
    """Redis stops answering (SIGSTOP: connections are still accepted, nothing
    is answered). 20 requests at once (registrations, waits, the phone's
    callbacks) and /healthz all answer 503 within about 2 * redis_timeout,
    not one redis_timeout per request behind each other on the listener's
    thread (the breaker); after SIGCONT the helper serves again, no
    restart."""
    timeout = 0.3
    srv = Server(tmp, "redis-hole")
    h = None
    try:
        h = Helper(tmp, "hole", redis_conf(srv.port, "hole:", "redis_timeout = %d\n"
                                           % int(timeout * 1000)))
        pending = [h.register() for _ in range(6)]
        ids = [(r.json() or {}).get("id", "?") for r, _ in pending]
        states = [st for _, st in pending]
        srv.proc.send_signal(signal.SIGSTOP)
        results, threads = [], []
        jobs = [("register", lambda: h.register()[0]) for _ in range(8)]
        jobs += [("wait", lambda i=i: h.wait(i, 5)) for i in ids]
        jobs += [("callback", lambda st=st: h.callback(authCode=tc.new_code(), state=st))
                 for st in states]
        t0 = time.monotonic()
        for name, fn in jobs:
            th = threading.Thread(target=timed, args=(results, name, fn), daemon=True)
            th.start()
            threads.append(th)
        for th in threads:
            th.join(30)
        total = time.monotonic() - t0
        bound = 2 * timeout + 0.7
        slow = max((x[3] for x in results), default=99)
        bad = [x for x in results if x[1] != 503 or
               (x[0] in ("register", "wait") and x[2] != "store_down")]
        T.ok(len(results) == 20 and not bad and slow < bound,
             "Redis black-holed: 20 concurrent requests all 503 within %.2f s (the slowest "
             "%.2f s, all done in %.2f s; redis_timeout = %.1f s)" % (bound, slow, total,
                                                                      timeout),
             sorted(results, key=lambda x: -x[3])[:6] + bad)
        t1 = time.monotonic()
        health = h.pub("GET", "/healthz").status
        dt = time.monotonic() - t1
        T.ok(health == 503 and dt < bound, "...and /healthz -> 503 in %.2f s" % dt, health)
        srv.proc.send_signal(signal.SIGCONT)
        r, took = register_until_up(h)
        T.ok(r.status == 201,
             "SIGCONT: the helper serves again within %.2f s, no restart" % took, r.text)
        T.eq(h.pub("GET", "/healthz").status, 200, "...and /healthz -> 200")
    finally:
        if srv.proc is not None:
            srv.proc.send_signal(signal.SIGCONT)
        if h is not None:
            h.stop()
        srv.stop()


def test_waits_per_host(tmp, port):
    """At most 2 * max_pending_per_host waits of one host at once on a
    replica. Replica A (max_pending_per_host = 10) lets jump-01 register 5
    sessions; replica B (max_pending_per_host = 2: 4 waits) takes 4 of its
    waits, refuses the 5th with 429 waits_full, and takes one again when a
    wait ends; jump-02 is not affected."""
    k1, k2 = ttc.Key("k-jump-01", "jump-01"), ttc.Key("k-jump-02", "jump-02")
    conf = redis_conf(port, "waits:")
    a = ttc.Helper(tmp, "waits-a", None, [k1, k2], extra=conf + "max_pending_per_host = 10\n",
                   tls=False)
    b = ttc.Helper(tmp, "waits-b", None, [k1, k2], extra=conf + "max_pending_per_host = 2\n",
                   tls=False)
    try:
        sids = [(ttc.register(a, k1)[0].json() or {}).get("id", "?") for _ in range(5)]
        waits = [ttc.background_signed(b, k1, "/v1/sessions/%s/wait?timeout=%d" % (s, t), 30)
                 for s, t in zip(sids[:4], (2, 20, 20, 20))]
        time.sleep(0.5)
        r = b.signed(k1, "GET", "/v1/sessions/%s/wait?timeout=1" % sids[4])
        T.ok(ttc.refused(r, 429, "waits_full"),
             "a host's 5th wait at once on a replica with max_pending_per_host = 2 -> 429 "
             "waits_full", r)
        sid2 = (ttc.register(a, k2)[0].json() or {}).get("id", "?")
        r2 = b.signed(k2, "GET", "/v1/sessions/%s/wait?timeout=1" % sid2)
        T.ok(r2.status == 200, "...another host's wait is served meanwhile", r2)
        waits[0][0].join(10)
        r = b.signed(k1, "GET", "/v1/sessions/%s/wait?timeout=1" % sids[4])
        T.ok(r.status == 200 and (r.json() or {}).get("status") == "pending",
             "...and a place is free again once one of its waits ended", r)
        T.ok("wait refused: host jump-01 has 4 waits open" in b.log_text(),
             "the refusal is logged naming the host", None)
        for s in sids:
            a.signed(k1, "DELETE", "/v1/sessions/" + s)
        for th, _ in waits:
            th.join(10)
    finally:
        a.stop()
        b.stop()
    return [a.log_text(), b.log_text()]


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
        test_command_across_replicas(redis, a, b)
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
        test_black_hole(tmp)
        test_one_deadline(tmp)
        test_ended_bounded(tmp, redis)
        tcp_logs = test_signed_fleet(tmp, redis.port)
        hq = ttc.test_host_quota(tmp, None, ttc.Key("k-jump-01", "jump-01"),
                                 ttc.Key("k-jump-02", "jump-02"), name="redis-host-quota",
                                 extra=redis_conf(redis.port, "hq:"), tls=False)
        tcp_logs.append(hq.log_text())
        tcp_logs += test_waits_per_host(tmp, redis.port)
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
