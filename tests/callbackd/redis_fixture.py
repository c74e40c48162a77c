"""Real Redis processes for the Redis store's tests: redis-server and
redis-sentinel started on free loopback ports, each in its own directory,
without persistence, and a tiny RESP client to talk to them. Never a mock.

Shared by test_store_redis.py and test_store_sentinel.py."""

import os
import shutil
import signal
import socket
import subprocess
import time

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
REDIS_SENTINEL = shutil.which("redis-sentinel") or "/usr/bin/redis-sentinel"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def missing_programs(*programs):
    """The programs in `programs` that are not installed, for a SKIP line."""
    return [p for p in programs if not os.access(p, os.X_OK)]


def _encode(args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


class RespError(Exception):
    pass


class Resp:
    """One connection speaking RESP2: enough for the tests' commands."""

    def __init__(self, port=None, unix=None, timeout=5):
        if unix:
            self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.s.settimeout(timeout)
            self.s.connect(unix)
        else:
            self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.f = self.s.makefile("rb")

    def close(self):
        self.f.close()
        self.s.close()

    def call(self, *args):
        self.s.sendall(_encode(args))
        return self._read()

    def _read(self):
        line = self.f.readline()
        if not line:
            raise ConnectionError("connection closed")
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RespError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.f.read(n + 2)[:-2]
            return data.decode("utf-8", "replace")
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._read() for _ in range(n)]
        raise ConnectionError("bad RESP line %r" % line)


def call(port, *args, timeout=5):
    c = Resp(port, timeout=timeout)
    try:
        return c.call(*args)
    finally:
        c.close()


class Server:
    """A redis-server (or redis-sentinel) in `dir`, stopped with stop()."""

    def __init__(self, base, name, args=(), port=None, sentinel_conf=None):
        self.dir = os.path.join(base, name)
        os.makedirs(self.dir, exist_ok=True)
        self.port = port or free_port()
        self.name = name
        self.args = list(args)
        self.sentinel_conf = sentinel_conf
        self.proc = None
        self.start()

    def command(self):
        if self.sentinel_conf is not None:
            conf = os.path.join(self.dir, "sentinel.conf")
            with open(conf, "w") as f:
                f.write("port %d\nbind 127.0.0.1\ndaemonize no\ndir %s\n%s"
                        % (self.port, self.dir, self.sentinel_conf))
            return [REDIS_SENTINEL, conf]
        return [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", self.dir, "--save", "", "--appendonly", "no",
                "--daemonize", "no", "--protected-mode", "no"] + self.args

    def start(self):
        log = open(os.path.join(self.dir, "server.log"), "ab")
        self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        log.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if call(self.port, "PING", timeout=1) == "PONG":
                    return
            except RespError as e:
                if "NOAUTH" in str(e):  # up, and wants a password
                    return
            except OSError:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError("%s did not start:\n%s" % (self.name, self.log_text()))

    def log_text(self):
        try:
            with open(os.path.join(self.dir, "server.log"), "rb") as f:
                return f.read().decode("utf-8", "replace")[-4000:]
        except OSError:
            return ""

    def stop(self, sig=signal.SIGTERM):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def call(self, *args):
        return call(self.port, *args)
