#!/usr/bin/env python3
"""A fleet end to end: one Redis, three dingtalk-callbackd replicas on it
(each with its own public port and TCP+TLS control port, one host_keys
file), the DingTalk mock, and logins through Debian's pamtester with the
built module configured with `helper = https://r1 https://r2 https://r3`.
Emits TAP; each case prints its figures on '#' lines.

  baseline  one helper with the memory store on its Unix socket: the stage
            itself works (a failure here is the harness's, not the fleet's)
  a         logins whose wait is held by replica 1 while the phone's short
            link goes to replica 2 and its callback to replica 3, in turn
            and in parallel; replayed callbacks, confirmations and codes on
            other replicas are refused; each code reaches DingTalk once
  b         the replica holding the wait is killed (SIGKILL) mid-login: the
            login completes through another, approved once
  e         signatures: requests signed here (from reqsign.h's definition)
            against the control listeners: replay on another replica,
            stale, changed body, unknown key, missing, another host's name,
            another host's session; through the module: a key of host A on a
            host named B, the same key on a host named A, a removed key
  c         Redis stopped mid-login: PAM_AUTHINFO_UNAVAIL within 2 s,
            /healthz 503 on every replica, a new login fails fast; Redis
            started again on its port: the next login works, no replica
            restarted

Needs root, redis-server, redis-cli, pamtester, openssl and unshare (each
login runs in a private mount namespace so its syslog lines come to the
test); skips without them. Cases whose parts of the fleet are not built
skip and name the part. Everything is bounded: each case has its own
time budget (at most 60 s; about 2 minutes in all when everything passes).
"""
import base64
import json
import os
import signal
import sys
import threading
import time
from urllib.parse import urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fleet_stage as fs  # noqa: E402

T = fs.Tap()
PERSONS = ["p0", "p1", "p2", "p3"]
DEADLINE = fs.TIMEOUT + 12  # the module's deadline, the code exchange's budget, a margin


def check_overrun(case, seconds, fn, *args):
    """Runs one case under its own time budget; a case that raises or
    overruns fails there, and the suite goes on."""
    fs.budget(seconds)
    try:
        fn(*args)
    except fs.Overrun:
        T.ok(False, "%s: finished within its %d s budget" % (case, seconds))
    except Exception as e:  # a broken stage must show, not hang
        T.ok(False, "%s raised %s" % (case, type(e).__name__), repr(e))
    finally:
        signal.alarm(0)


class Run:
    """One login approved by a phone whose steps go to chosen replicas."""

    def __init__(self, stage, service, user, person, link_port, callback_port,
                 before_callback=None):
        self.login = stage.login(service, user)
        self.link, self.number = self.login.link_and_number(10)
        self.phone = None
        self.t_confirm = None
        if self.link:
            self.phone = fs.phone(self.link, self.number, person, link_port, callback_port,
                                  between=before_callback)
            self.t_confirm = time.monotonic()
        self.result = self.login.wait(DEADLINE)

    def link_port(self):
        return urlsplit(self.link).port if self.link else None

    def wake_ms(self):
        """Confirmation on one replica to pamtester's end (the waiter on
        another replica woken, the code exchanged)."""
        if self.t_confirm is None or self.login.ended is None:
            return None
        return (self.login.ended - self.t_confirm) * 1000

    def diag(self):
        return "%s\n%s\nresult %s" % (self.login.diag(), self.phone, self.result)


def figures(name, runs):
    wakes = [r.wake_ms() for r in runs if r.wake_ms() is not None]
    T.diag("%s: %d logins, confirmation-to-result p50 %.0f ms, max %.0f ms" % (
        name, len(runs), fs.percentile(wakes, 50), max(wakes) if wakes else float("nan")))


# ---------------------------------------------------------------- baseline

def case_baseline(stage):
    """One helper, memory store, Unix socket: the harness works as before."""
    _, port, sock = stage.single_helper()
    service = stage.module_conf("single", helper="unix:" + sock)
    t0 = time.monotonic()
    r = Run(stage, service, stage.users[0], "p0", port, port)
    T.ok(r.result == "success", "baseline: a login through one helper on its Unix socket "
         "(memory store) succeeds", r.diag())
    log = stage.syslog.since(t0)
    T.ok(any(service in line for line in log), "baseline: the module's log lines reach the "
         "stage's syslog socket (the login's private /dev/log)", "\n".join(log[-5:]))
    r = Run(stage, service, stage.users[0], "p1", port, port)
    T.ok(r.result == "auth_err", "baseline: another person's approval is refused "
         "(PAM_AUTH_ERR)", r.diag())


# ---------------------------------------------------------------- a

def case_a(stage, service):
    r1, r2, r3 = stage.replicas
    before = stage.mock_stats().get("userAccessToken", 0)
    t0 = time.monotonic()
    runs = []
    for k in range(4):
        runs.append(Run(stage, service, stage.users[k % 4], PERSONS[k % 4],
                        r2.public_port, r3.public_port))
    par = [None] * 6

    def one(k):
        par[k] = Run(stage, service, stage.users[k % 4], PERSONS[k % 4],
                     r2.public_port, r3.public_port)
    threads = [threading.Thread(target=one, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(DEADLINE + 20)
    runs += [r for r in par if r is not None]
    T.ok(len(runs) == 10 and all(r.link_port() == r1.public_port for r in runs),
         "a: every short link names replica 1: the module's first helper registered and holds "
         "the wait", "\n".join("link port %s" % r.link_port() for r in runs))
    bad = [r for r in runs if r.result != "success" or not (r.phone and r.phone.ok)]
    T.ok(len(runs) == 10 and not bad, "a: 10 logins (4 in turn, 6 in parallel), link on replica "
         "2, callback and confirmation on replica 3: all succeed",
         "\n".join(r.diag() for r in bad[:3]))
    figures("a", runs)
    done = [r for r in runs if r.phone and r.phone.callback]
    replays = [fs.replay_get(r.phone.callback, port)
               for r in done for port in (r1.public_port, r2.public_port)]
    T.ok(done and all(s is not None and s >= 400 and not form for s, form in replays),
         "a: each approved login's callback replayed on replicas 1 and 2 is refused "
         "(an error page, no confirmation form)", "replays: %s" % [s for s, _ in replays])
    confirms = [fs.post_confirm(r2.public_port, r.phone.confirm[1])[0]
                for r in done if r.phone.confirm]
    T.ok(confirms and all(s is not None and s >= 400 for s in confirms),
         "a: each confirmation replayed on replica 2 is refused", "statuses: %s" % confirms)
    used = stage.mock_stats().get("userAccessToken", 0) - before
    T.eq(used, 10, "a: DingTalk's mock exchanged exactly one code per login")
    n, bad = stage.audit_successes(t0, 10)
    T.ok(n == 10 and not bad, "a: the module's audit has one success per login, each naming the "
         "person bound to its account", "successes %d\n%s" % (n, "\n".join(bad[:3])))
    # A used code answered to another pending login's callback on replica 2:
    # the module exchanges it, DingTalk refuses it, the login is refused.
    code = fs.code_of(done[0].phone.callback) if done else None
    lg = stage.login(service, stage.users[1])
    link, number = lg.link_and_number(10)
    ph = fs.phone(link, number, "p1", r2.public_port, r2.public_port, inject_code=code) \
        if link and code else None
    res = lg.wait(DEADLINE)
    T.ok(ph is not None and res not in ("success", "hung"),
         "a: a used code replayed into another login's callback on replica 2 does not log in",
         lg.diag() + "\n%s" % ph)
    T.diag("a: the login given a used code ended %s in %.0f ms" % (res, lg.elapsed() * 1000))
    T.diag("a: %d callback replays and %d confirmation replays refused; codes exchanged: %d"
           % (len(replays), len(confirms), used))


# ---------------------------------------------------------------- b

def case_b(stage, service):
    r1, r2, r3 = stage.replicas
    before = stage.mock_stats().get("userAccessToken", 0)
    killed = {}

    def kill_holder():
        killed["t"] = time.monotonic()
        r1.send(signal.SIGKILL)
        r1.p.wait(5)
    run = Run(stage, service, stage.users[2], "p2", r2.public_port, r3.public_port,
              before_callback=kill_holder)
    T.ok(run.link_port() == r1.public_port and "t" in killed and run.result == "success",
         "b: replica 1, holding the wait, killed (SIGKILL) mid-login: the login completes "
         "through another replica", run.diag() + "\n" + r2.log_tail(1500))
    used = stage.mock_stats().get("userAccessToken", 0) - before
    T.eq(used, 1, "b: the code was exchanged once: nothing approved twice")
    if run.phone and run.phone.callback:
        s, form = fs.replay_get(run.phone.callback, r2.public_port)
        T.ok(s is not None and s >= 400 and not form,
             "b: the callback replayed on replica 2 after the failover is refused", "HTTP %s" % s)
    else:
        T.ok(False, "b: the callback replayed on replica 2 after the failover is refused",
             "the phone never reached the callback")
    if "t" in killed and run.login.ended:
        T.diag("b: kill to result %.0f ms, confirmation to result %.0f ms"
               % ((run.login.ended - killed["t"]) * 1000, run.wake_ms() or -1))
    r1.start()
    T.ok(r1.alive() and r1.healthz() == 200, "b: replica 1 restarted on its ports rejoins "
         "(healthy)", r1.log_tail())


# ---------------------------------------------------------------- e

def registration(host, user="sig"):
    state = base64.urlsafe_b64encode(os.urandom(24)).decode().rstrip("=")
    return json.dumps({"state": state, "number": 42, "user": user, "service": "sshd",
                       "host": host, "rhost": "10.0.0.9",
                       "requester": "rhost:10.0.0.9 user:" + user,
                       "requester_address": "rhost:10.0.0.9",
                       "authorize_url": "https://login.dingtalk.com/oauth2/auth?response_type=code"
                                        "&client_id=x&scope=openid&state=" + state,
                       "ttl": 30}).encode()


def refused(answer, status, code):
    st, body = answer
    return st == status and isinstance(body, dict) and body.get("error_code") == code \
        and bool(body.get("error"))


def case_e_requests(stage, keys):
    r1, r2, _ = stage.replicas
    kid, secret = keys["main"]
    akid, asecret = keys["a"]
    path = "/v1/sessions"
    body = registration(stage.hostname)
    h = fs.sign_headers(kid, secret, "POST", path, body)
    first = r1.control.request("POST", path, body, h)
    T.ok(first[0] == 201 and isinstance(first[1], dict) and first[1].get("id"),
         "e: a registration signed here (reqsign.h's string to sign) is accepted by replica 1",
         "%s" % (first,))
    T.ok(refused(r2.control.request("POST", path, body, h), 401, "replay"),
         "e: the same signed request (same nonce) sent to replica 2 is refused: replay")
    body2 = registration(stage.hostname)
    stale = fs.sign_headers(kid, secret, "POST", path, body2, ts=int(time.time()) - 130)
    T.ok(refused(r2.control.request("POST", path, body2, stale), 401, "stale"),
         "e: a timestamp 130 s old is refused: stale")
    changed = fs.sign_headers(kid, secret, "POST", path, body2)
    T.ok(refused(r1.control.request("POST", path, body2.replace(b'"number": 42', b'"number": 43'),
                                    changed), 401, "bad_signature"),
         "e: a body changed after signing is refused: bad_signature")
    wrong = fs.sign_headers(kid, asecret, "POST", path, body2)
    T.ok(refused(r2.control.request("POST", path, body2, wrong), 401, "bad_signature"),
         "e: this host's key id signed with another key's secret is refused: bad_signature")
    unknown = fs.sign_headers("no-such-key-" + fs.RUN_ID, secret, "POST", path, body2)
    T.ok(refused(r1.control.request("POST", path, body2, unknown), 401, "unknown_key"),
         "e: an unknown key id is refused: unknown_key")
    T.ok(refused(r1.control.request("POST", path, body2, {}), 401, "missing"),
         "e: an unsigned request is refused: missing")
    other = registration("fleet-b-" + fs.RUN_ID)
    T.ok(refused(r1.control.request("POST", path, other,
                                    fs.sign_headers(kid, secret, "POST", path, other)),
                 403, "host_mismatch"),
         "e: a session naming another host, signed with this host's key, is refused: 403 "
         "host_mismatch")
    if first[0] == 201:
        sid = first[1]["id"]
        wpath = "/v1/sessions/%s/wait?timeout=1" % sid
        st, _ = r2.control.request("GET", wpath, None,
                                   fs.sign_headers(akid, asecret, "GET", wpath, b""))
        T.eq(st, 404, "e: another host's key cannot wait on this host's session (unknown session)")
        dpath = "/v1/sessions/" + sid
        st, _ = stage.replicas[2].control.request(
            "DELETE", dpath, None, fs.sign_headers(kid, secret, "DELETE", dpath, b""))
        T.eq(st, 204, "e: the owner cancels its session on replica 3")
    else:
        T.skip(2, "no session was registered")


def case_e_module(stage, keys, services):
    hostname_a = keys["a_host"]
    # A key of host A on this host (named otherwise): 403 host_mismatch.
    t0 = time.monotonic()
    lg = stage.login(services["a"], stage.users[0])
    res = lg.wait(DEADLINE)
    log = "\n".join(stage.syslog.since(t0))
    T.ok(res == "auth_err", "e: the key of host A on a host named otherwise: "
         "PAM_AUTH_ERR (a refusal, never unavailable)", lg.diag())
    T.ok("host_mismatch" in log, "e: the module's log line names host_mismatch", log[-2000:])
    T.diag("e: host %s's key on host %s refused in %.0f ms"
           % (hostname_a, stage.hostname, lg.elapsed() * 1000))
    # The same key on a host that is named A (a UTS namespace): it logs in.
    r1, r2, r3 = stage.replicas
    lg = stage.login(services["a"], stage.users[0], hostname=hostname_a)
    link, number = lg.link_and_number(10)
    ph = fs.phone(link, number, "p0", r2.public_port, r3.public_port) if link else None
    res = lg.wait(DEADLINE)
    T.ok(res == "success", "e: the same key on a host named A (a UTS namespace) logs in",
         lg.diag() + "\n%s" % ph)
    # A key that works, removed from host_keys: refused, no replica restarted.
    pids = [r.pid for r in stage.replicas]
    lg = stage.login(services["rm"], stage.users[1])
    link, number = lg.link_and_number(10)
    ph = fs.phone(link, number, "p1", r2.public_port, r3.public_port) if link else None
    T.ok(lg.wait(DEADLINE) == "success", "e: the second key of this host logs in",
         lg.diag() + "\n%s" % ph)
    rc, out = stage.remove_host_key(keys["rm"])
    T.ok(rc == 0, "e: dingtalk-ctl host-key remove takes the key out of host_keys", out)
    time.sleep(1.5)  # the service looks at the file at most once a second
    t0 = time.monotonic()
    lg = stage.login(services["rm"], stage.users[1])
    res = lg.wait(DEADLINE)
    log = "\n".join(stage.syslog.since(t0))
    T.ok(res == "auth_err" and "unknown_key" in log,
         "e: that key removed from host_keys: PAM_AUTH_ERR, the log names unknown_key",
         lg.diag() + "\n" + log[-2000:])
    T.ok([r.pid for r in stage.replicas] == pids and all(r.alive() for r in stage.replicas),
         "e: no replica was restarted for the key's removal")


# ---------------------------------------------------------------- c

def case_c(stage, service, redis):
    r1, r2, r3 = stage.replicas
    pids = [r.pid for r in stage.replicas]
    lg = stage.login(service, stage.users[3])
    link, _ = lg.link_and_number(10)
    time.sleep(0.3)  # the module's wait is held by replica 1
    t_stop = time.monotonic()
    redis.send(signal.SIGTERM)
    res = lg.wait(DEADLINE)
    took = (lg.ended - t_stop) if lg.ended else float("inf")
    T.diag("c: Redis stopped -> pamtester's result in %.0f ms (%s)" % (took * 1000, res))
    T.ok(link is not None and urlsplit(link).port == r1.public_port and res == "unavail"
         and took < 2.0, "c: Redis stopped while replica 1 holds a login's wait: "
         "PAM_AUTHINFO_UNAVAIL within 2 s of the stop",
         lg.diag() + "\n" + r1.log_tail(1500))
    redis.p.wait(10)
    health = [r.healthz() for r in stage.replicas]
    T.ok(health == [503, 503, 503], "c: /healthz answers 503 on every replica while Redis is "
         "down (a load balancer drains them)", "healthz: %s" % health)
    lg = stage.login(service, stage.users[3])
    res = lg.wait(DEADLINE)
    T.diag("c: a login started while Redis is down: %s in %.0f ms" % (res, lg.elapsed() * 1000))
    T.ok(res == "unavail" and lg.elapsed() < 2.0,
         "c: a login started while Redis is down fails fast: PAM_AUTHINFO_UNAVAIL within 2 s",
         lg.diag())
    t_start = time.monotonic()
    redis.start()
    ok = fs.wait_until(lambda: all(r.healthz() == 200 for r in stage.replicas), 15, 0.1)
    T.diag("c: Redis started again -> every replica healthy in %.0f ms"
           % ((time.monotonic() - t_start) * 1000))
    T.ok(ok, "c: every replica is healthy again once Redis is back",
         "healthz: %s" % [r.healthz() for r in stage.replicas])
    run = Run(stage, service, stage.users[3], "p3", r2.public_port, r3.public_port)
    T.ok(run.result == "success" and [r.pid for r in stage.replicas] == pids,
         "c: the next login works with no replica restarted", run.diag())


# ---------------------------------------------------------------- main

def fleet_cases(stage):
    r = fs.Redis(stage, "redis").start()
    id_main, file_main, sec_main = stage.new_host_key(stage.hostname)
    id_rm, file_rm, _ = stage.new_host_key(stage.hostname)
    host_a = "fleet-a-" + fs.RUN_ID
    id_a, file_a, sec_a = stage.new_host_key(host_a)
    stage.redis_conf(redis_port=r.port)
    for _ in range(3):
        stage.add_replica()
    for rep in stage.replicas:
        rep.start()
    T.diag("fleet: Redis on %d, replicas' public ports %s, control ports %s" % (
        r.port, [x.public_port for x in stage.replicas], [x.control_port for x in stage.replicas]))
    service = stage.module_conf("main", file_main)
    services = {"a": stage.module_conf("a", file_a), "rm": stage.module_conf("rm", file_rm)}
    keys = {"main": (id_main, fs.secret_bytes(sec_main)), "a": (id_a, fs.secret_bytes(sec_a)),
            "a_host": host_a, "rm": id_rm}
    check_overrun("a", 60, case_a, stage, service)
    check_overrun("b", 40, case_b, stage, service)
    check_overrun("e", 45, case_e_requests, stage, keys)
    check_overrun("e", 50, case_e_module, stage, keys, services)
    check_overrun("f", 40, case_f, stage, file_main)
    check_overrun("c", 50, case_c, stage, service, r)


# The checks of each case, for the skips when its parts are missing.
FLEET_CHECKS = 7 + 4 + 10 + 7 + 2 + 5


def case_f(stage, key_file):
    """helper_ca_file is the only trust: a replica whose certificate chains
    to a CA of the system store (here this run's CA, placed in the login's
    own /etc/ssl/certs) but not to helper_ca_file is refused."""
    certs, other = stage.system_store_with_ca()
    service = stage.module_conf("otherca", key_file, ca=other)
    lg = stage.login(service, stage.users[2], certs=certs)
    res = lg.wait(DEADLINE)
    link, _ = lg.link_and_number(0)
    T.ok(res == "unavail" and link is None,
         "f: a replica trusted only by the system store, not by helper_ca_file: "
         "PAM_AUTHINFO_UNAVAIL, no QR", lg.diag())
    lg = stage.login(stage.module_conf("sysca", key_file), stage.users[2], certs=certs)
    link, number = lg.link_and_number(10)
    r2, r3 = stage.replicas[1], stage.replicas[2]
    ph = fs.phone(link, number, "p2", r2.public_port, r3.public_port) if link else None
    T.ok(lg.wait(DEADLINE) == "success",
         "f: the same store with helper_ca_file naming the replicas' CA logs in",
         lg.diag() + "\n%s" % ph)


def main():
    why = fs.programs_missing()
    if why:
        print("1..0 # SKIP " + why)
        return 0
    stage = fs.Stage(T)
    t0 = time.monotonic()
    try:
        fs.budget(30)
        stage.make_ca()
        stage.start_mock(PERSONS)
        stage.add_users(4)
        stage.write_map(list(zip(PERSONS, stage.users)))
        signal.alarm(0)
        check_overrun("baseline", 30, case_baseline, stage)
        missing = fs.missing_parts(fs.FLEET_PARTS)
        if missing:
            T.skip(FLEET_CHECKS, "not built yet: " + "; ".join(missing))
        else:
            fs.budget(40)  # the fleet's setup; each case then has its own budget
            fleet_cases(stage)
    except fs.Overrun:
        T.ok(False, "the suite finished within its budget")
    except Exception as e:
        T.ok(False, "stage setup raised " + type(e).__name__, repr(e))
    finally:
        signal.alarm(0)
        stage.cleanup()
    T.diag("suite: %.1f s" % (time.monotonic() - t0))
    print("1..%d" % T.n, flush=True)
    return 0 if T.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
