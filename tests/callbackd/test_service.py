#!/usr/bin/env python3
"""dingtalk-callbackd as a systemd service runs it (systemd/, docs/deploy.md):
`--check-config` (the unit's ExecStartPre) and the readiness notification
of Type=notify, spoken here by a test socket in place of systemd. Speaks TAP.

  DT_CALLBACKD  the built helper (default: ../../src/callbackd/dingtalk-callbackd
                next to this file)

Runs as any user: the helper trusts files of its own uid when it is not
root. Every wait is bounded; helpers are killed at the end.
"""

import base64
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from tap import Tap  # noqa: E402  (tests/tap.py)
HELPER = os.environ.get("DT_CALLBACKD") or os.path.join(
    HERE, "..", "..", "src", "callbackd", "dingtalk-callbackd")
T = Tap()
PROCS = []


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def write(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def base_conf(d, extra=""):
    """A config of its own port and socket under d; returns (path, sock, port)."""
    port = free_port()
    sock = os.path.join(d, "run", "control.sock")
    path = write(os.path.join(d, "callbackd.conf"),
                 "listen = 127.0.0.1:%d\ncontrol = %s\npublic_url = http://127.0.0.1:%d\n%s"
                 % (port, sock, port, extra))
    return path, sock, port


def check(path):
    p = subprocess.run([HELPER, "--check-config", "-c", path], capture_output=True, timeout=20)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def port_free(port):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def host_key_line(kid="k1", host="jump-01"):
    secret = base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")
    return "%s %s %s created=2026-12-05\n" % (kid, host, secret)


# ---------------------------------------------------------------- --check-config


def test_check_good(tmp):
    d = os.path.join(tmp, "good")
    os.makedirs(d)
    # Flow C's hash: any well-formed one (the helper never fetches the file).
    path, sock, port = base_conf(d, "inapp_jsapi_integrity = sha384-%s\n"
                                 % base64.b64encode(bytes(48)).decode())
    rc, out, err = check(path)
    T.ok(rc == 0 and ("%s: configuration OK" % path) in out and err == "",
         "--check-config: a good configuration -> exit 0, 'configuration OK'", (rc, out, err))
    T.ok(not os.path.exists(sock) and not os.path.exists(os.path.dirname(sock))
         and port_free(port),
         "--check-config starts nothing (no control socket, no directory, port free)",
         (os.path.exists(sock), port_free(port)))


def test_check_bad_key(tmp):
    d = os.path.join(tmp, "badkey")
    os.makedirs(d)
    path, _, _ = base_conf(d, "\nlinger = forever\n")
    rc, out, err = check(path)
    T.ok(rc == 1 and ("%s:5" % path) in err and "linger" in err and out == ""
         and err.startswith("dingtalk-callbackd: "),
         "--check-config: a bad value -> exit 1 naming file:line and the key", (rc, out, err))


def test_check_files(tmp):
    """The files read only when the listeners start are read by the check
    too: without that, the unit's ExecStartPre would pass and ExecStart fail."""
    d = os.path.join(tmp, "keys")
    os.makedirs(d)
    keys = write(os.path.join(d, "host-keys"), host_key_line(), 0o600)
    cport = free_port()
    path, _, _ = base_conf(d, "control_listen = 127.0.0.1:%d\nhost_keys = %s\n" % (cport, keys))
    rc, out, err = check(path)
    T.ok(rc == 0 and "host_keys read" in out and port_free(cport),
         "--check-config with control_listen: host_keys read, the listener not started",
         (rc, out, err))

    os.chmod(keys, 0o640)
    rc, out, err = check(path)
    T.ok(rc == 1 and keys in err, "--check-config: host_keys readable by its group -> exit 1 "
         "naming the file", (rc, out, err))

    write(keys, host_key_line() + "k2 jump-02 not-base64!\n", 0o600)
    rc, out, err = check(path)
    T.ok(rc == 1 and keys in err and ":2" in err,
         "--check-config: a malformed host_keys line -> exit 1 naming file and line",
         (rc, out, err))

    os.unlink(keys)
    rc, out, err = check(path)
    T.ok(rc == 1 and keys in err, "--check-config: host_keys missing -> exit 1 naming it",
         (rc, out, err))

    cert = write(os.path.join(d, "control.crt"), "not a certificate\n")
    key = write(os.path.join(d, "control.key"), "not a key\n", 0o600)
    write(keys, host_key_line(), 0o600)
    path, _, _ = base_conf(d, "control_listen = 127.0.0.1:%d\nhost_keys = %s\n"
                           "control_tls_cert = %s\ncontrol_tls_key = %s\n"
                           % (cport, keys, cert, key))
    rc, out, err = check(path)
    T.ok(rc == 1 and "control_tls_cert" in err and cert in err,
         "--check-config: a control_tls_cert that is no certificate -> exit 1 naming it",
         (rc, out, err))


def test_check_redis_not_contacted(tmp):
    d = os.path.join(tmp, "redis")
    os.makedirs(d)
    path, _, _ = base_conf(d, "store = redis\nredis = 127.0.0.1:%d\n" % free_port())
    rc, out, err = check(path)
    T.ok(rc == 0 and "not contacted" in out,
         "--check-config: store = redis with Redis down -> exit 0 (an outage, not a "
         "configuration error)", (rc, out, err))
    pw = os.path.join(d, "redis.password")
    path, _, _ = base_conf(d, "store = redis\nredis = 127.0.0.1:1\nredis_password_file = %s\n"
                           % pw)
    rc, out, err = check(path)
    T.ok(rc == 1 and pw in err, "--check-config: a missing redis_password_file -> exit 1 "
         "naming it", (rc, out, err))


# ---------------------------------------------------------------- readiness


def healthz(port):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port, timeout=5) as r:
            return r.status
    except OSError as e:
        return str(e)


def start(d, notify):
    path, sock, port = base_conf(d)
    env = dict(os.environ)
    env.pop("NOTIFY_SOCKET", None)
    if notify is not None:
        env["NOTIFY_SOCKET"] = notify
    log = open(os.path.join(d, "callbackd.log"), "wb")
    p = subprocess.Popen([HELPER, "-c", path], stdout=log, stderr=subprocess.STDOUT, env=env)
    PROCS.append(p)
    return p, sock, port


def receive(rx, timeout=10):
    rx.settimeout(timeout)
    try:
        return rx.recv(4096).decode("utf-8", "replace")
    except socket.timeout:
        return None


def test_notify(tmp, abstract):
    kind = "abstract @name" if abstract else "path"
    d = os.path.join(tmp, "notify-abstract" if abstract else "notify-path")
    os.makedirs(d)
    rx = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    if abstract:
        name = "dt-test-notify-%d-%s" % (os.getpid(), os.urandom(4).hex())
        rx.bind("\0" + name)
        addr = "@" + name
    else:
        addr = os.path.join(d, "notify.sock")
        rx.bind(addr)
    try:
        p, sock, port = start(d, addr)
        msg = receive(rx)
        T.ok(msg == "READY=1", "NOTIFY_SOCKET (%s): READY=1 sent" % kind, msg)
        # Ready means serving: at the moment READY=1 arrives, both listen.
        T.ok(os.path.exists(sock) and healthz(port) == 200,
             "NOTIFY_SOCKET (%s): at READY=1 the control socket exists and /healthz is 200"
             % kind, (os.path.exists(sock), healthz(port)))
        p.send_signal(signal.SIGTERM)
        msg = receive(rx)
        rc = p.wait(10)
        T.ok(msg == "STOPPING=1" and rc == 0,
             "NOTIFY_SOCKET (%s): SIGTERM -> STOPPING=1, exit 0" % kind, (msg, rc))
    finally:
        rx.close()


def test_notify_bad(tmp):
    d = os.path.join(tmp, "notify-bad")
    os.makedirs(d)
    p, sock, port = start(d, "relative/notify.sock")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and healthz(port) != 200:
        time.sleep(0.05)
    up = healthz(port) == 200
    p.send_signal(signal.SIGTERM)
    p.wait(10)
    with open(os.path.join(d, "callbackd.log")) as f:
        log = f.read()
    T.ok(up and "NOTIFY_SOCKET 'relative/notify.sock' is not an absolute path" in log,
         "a NOTIFY_SOCKET that is no address: the helper serves, and says why it could not "
         "notify", log)


def test_no_notify(tmp):
    d = os.path.join(tmp, "notify-none")
    os.makedirs(d)
    p, sock, port = start(d, None)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and healthz(port) != 200:
        time.sleep(0.05)
    up = healthz(port) == 200
    p.send_signal(signal.SIGTERM)
    rc = p.wait(10)
    with open(os.path.join(d, "callbackd.log")) as f:
        log = f.read()
    T.ok(up and rc == 0 and "NOTIFY_SOCKET" not in log,
         "without NOTIFY_SOCKET (started by hand): serves, nothing said about it", (up, rc, log))


def main():
    if not os.access(HELPER, os.X_OK):
        print("1..0 # SKIP helper not built: %s" % HELPER)
        return 0
    tmp = tempfile.mkdtemp(prefix="cbd-service-")
    os.chmod(tmp, 0o755)
    try:
        test_check_good(tmp)
        test_check_bad_key(tmp)
        test_check_files(tmp)
        test_check_redis_not_contacted(tmp)
        test_notify(tmp, abstract=False)
        test_notify(tmp, abstract=True)
        test_notify_bad(tmp)
        test_no_notify(tmp)
    except Exception:
        T.ok(False, "the test run finished without an exception", traceback.format_exc())
    finally:
        for p in PROCS:
            if p.poll() is None:
                p.kill()
                p.wait(5)
        if not T.failed:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            T.diag("kept for a look: %s" % tmp)
    print("1..%d" % T.n)
    return 1 if T.failed else 0


if __name__ == "__main__":
    sys.exit(main())
