#!/usr/bin/env python3
"""TAP tests of bench/bench_sshd_version.c, the micro-benchmark of the
sshd path's read of OpenSSH's version: a program it cannot trust or read
fails the run with the module's own reason, a DT_OPENSSH_PREFIX without
sshd-session fails it too (the administrator asked for that program), and
no sshd-session at hand skips only that half, saying so. The programs
measured are stand-ins (a few bytes holding a version string, root's where
the module demands it) or Debian's /usr/sbin/sshd; the figures themselves
are bench/run's."""

import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from tap import Tap  # noqa: E402

BUILD = os.environ.get("DT_BUILDDIR", os.path.join(HERE, "..", ".."))
BENCH = os.path.join(BUILD, "bench", "bench_sshd_version")
ROOT = os.geteuid() == 0


def bench(env_extra, *args):
    env = {k: v for k, v in os.environ.items() if k not in ("DT_OPENSSH_PREFIX", "DT_CACHE_DIR")}
    env.update(env_extra)
    return subprocess.run([BENCH, "--quick"] + list(args), env=env, capture_output=True,
                          text=True, timeout=60)


def program(path, body, mode=0o755):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(b"\x7fELF stand-in\0" + body + b"\0tail\0")
    os.chmod(path, mode)
    return path


def main():
    t = Tap()
    if not os.access(BENCH, os.X_OK):
        t.skip(11, "bench/bench_sshd_version is not built")
        print("1..%d" % t.n)
        return 0
    with tempfile.TemporaryDirectory(prefix="dt-test-sshdver.") as tmp:
        empty = os.path.join(tmp, "empty-cache")
        os.mkdir(empty)
        no_cache = {"DT_CACHE_DIR": empty}

        r = subprocess.run([BENCH, "--sshd"], capture_output=True, text=True, timeout=30)
        t.eq(r.returncode, 2, "--sshd without a path: usage, exit 2")

        loose = program(os.path.join(tmp, "loose", "sshd"), b"OpenSSH_9.2p1", 0o757)
        r = bench(no_cache, "--sshd", loose)
        t.ok(r.returncode == 1 and loose + ": not root's or writable by others" in r.stderr,
             "a program others may write fails the run with the module's reason", r.stderr)
        t.ok("bench sshd_version" not in r.stdout, "and no figure is reported", r.stdout)

        missing = os.path.join(tmp, "nothing", "sshd")
        r = bench(no_cache, "--sshd", missing)
        t.ok(r.returncode == 1 and missing + ": cannot open" in r.stderr,
             "a missing --sshd fails the run (only the default may skip)", r.stderr)

        # A program the module trusts: Debian's sshd, or as root a stand-in.
        if ROOT:
            sshd = program(os.path.join(tmp, "root", "sshd"), b"OpenSSH_9.2p1 Debian-2+deb12u3")
        elif os.path.exists("/usr/sbin/sshd"):
            sshd = "/usr/sbin/sshd"
        else:
            sshd = None
        if sshd is None:
            t.skip(4, "not root and no /usr/sbin/sshd: no program the module trusts")
        else:
            r = bench(no_cache, "--sshd", sshd)
            t.ok(r.returncode == 0 and "bench sshd_version.sshd.p50 " in r.stdout,
                 "a trusted program is measured", r.stdout + r.stderr)
            t.ok("sshd_version.sshd_session skipped" in r.stderr and empty in r.stderr
                 and "sshd_session" not in r.stdout,
                 "no sshd-session at hand: that half is skipped, naming where it looked",
                 r.stdout + r.stderr)
            prefix = os.path.join(tmp, "no-session")
            os.mkdir(prefix)
            r = bench({"DT_OPENSSH_PREFIX": prefix}, "--sshd", sshd)
            t.ok(r.returncode == 1 and
                 "DT_OPENSSH_PREFIX=%s has no libexec/sshd-session" % prefix in r.stderr,
                 "a DT_OPENSSH_PREFIX without sshd-session fails the run", r.stderr)
            cache = os.path.join(tmp, "cache")
            session = program(os.path.join(cache, "openssh-0123", "libexec", "sshd-session"),
                              b"OpenSSH_10.5p1")
            r = bench({"DT_CACHE_DIR": cache}, "--sshd", sshd)
            if ROOT:
                t.ok(r.returncode == 0 and "bench sshd_version.sshd_session.p50 " in r.stdout
                     and session + ": OpenSSH_10.5p1" in r.stderr,
                     "the cache's sshd-session is found and measured", r.stdout + r.stderr)
            else:
                t.skip(1, "not root: a stand-in sshd-session cannot be root's")
        if ROOT:
            prefix = os.path.join(tmp, "prefix")
            session = program(os.path.join(prefix, "libexec", "sshd-session"),
                              b"OpenSSH_10.3p1")
            r = bench({"DT_OPENSSH_PREFIX": prefix, "DT_CACHE_DIR": empty}, "--sshd", sshd)
            t.ok(r.returncode == 0 and session + ": OpenSSH_10.3p1" in r.stderr,
                 "DT_OPENSSH_PREFIX's sshd-session comes first", r.stdout + r.stderr)
            blank = program(os.path.join(tmp, "blank", "sshd"), b"no version here")
            r = bench(no_cache, "--sshd", blank)
            t.ok(r.returncode == 1 and blank + " names no OpenSSH version" in r.stderr,
                 "a program naming no version fails the run", r.stderr)
            two = program(os.path.join(tmp, "two", "sshd"),
                          b"OpenSSH_9.2p1\0pad\0OpenSSH_10.5p1")
            r = bench(no_cache, "--sshd", two)
            t.ok(r.returncode == 1 and "names several OpenSSH versions" in r.stderr,
                 "a program naming two versions fails the run", r.stderr)
        else:
            t.skip(3, "not root: stand-in programs cannot be root's")
    print("1..%d" % t.n)
    return 1 if t.failed else 0


if __name__ == "__main__":
    sys.exit(main())
