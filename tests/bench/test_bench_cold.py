#!/usr/bin/env python3
"""TAP tests of the cold-login benchmark's own checks (bench/bench_cold.c):
a login that goes wrong must fail the run, promptly, and leave no client
behind. bench_cold runs a stand-in PAM client here (a shell script in
place of pam_once) that misbehaves as told: exits without a result, gets
"no" from PAM, goes silent, or shows a link no phone can open. The real
logins are measured by bench/cold_stage.sh (bench/run); this is about
the harness not hanging and not reporting figures from a failed login.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from tap import Tap  # noqa: E402

SRC = os.environ.get("DT_SRCDIR", os.path.join(HERE, "..", ".."))
BUILD = os.environ.get("DT_BUILDDIR", os.path.join(HERE, "..", ".."))
BENCH = os.path.join(BUILD, "bench", "bench_cold")
MOCK = os.path.join(SRC, "tests", "mock", "dingtalk_mock.py")

# The stand-in client: $FAKE_MODE decides; its last two arguments are the
# service and the user, as pam_once's.
FAKE = r"""#!/bin/sh
for a; do service=$user; user=$a; done
good="result 0 1 2 3 0 4 100 1000"
case $FAKE_MODE in
noresult) exit 0 ;;
refused) echo "result 7 1 2 3 0 4 100 1000" ;;
hang) echo $$ >"$FAKE_PIDFILE"; exec sleep 30 ;;
phonefail)
	if [ "$service" = permit ]; then echo "$good"; exit 0; fi
	echo $$ >"$FAKE_PIDFILE"
	echo "qr http://127.0.0.1:1/l/abcdef 12"
	exec sleep 30 ;;
esac
"""


def running(pid):
    """Whether `pid` is still a live (not zombie) process."""
    try:
        with open("/proc/%d/stat" % pid) as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def start_mock(tmp):
    port_file = os.path.join(tmp, "mock.port")
    proc = subprocess.Popen([sys.executable, MOCK, "--port", "0", "--port-file", port_file],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not os.path.exists(port_file) and time.monotonic() < deadline:
        time.sleep(0.05)
    with open(port_file) as fh:
        return proc, "http://127.0.0.1:" + fh.read().strip()


def bench(tmp, mode, mock, *extra):
    fake = os.path.join(tmp, "fake_pam_once")
    env = dict(os.environ, FAKE_MODE=mode, FAKE_PIDFILE=os.path.join(tmp, mode + ".pid"))
    t0 = time.monotonic()
    r = subprocess.run([BENCH, "--pam-once", fake, "--preload", "", "--mock", mock,
                        "--tls-mock", mock, "--ca", "/dev/null", "--quick"] + list(extra),
                       env=env, capture_output=True, text=True, timeout=120)
    return r, time.monotonic() - t0


def child_pid(tmp, mode):
    with open(os.path.join(tmp, mode + ".pid")) as fh:
        return int(fh.read())


def main():
    t = Tap()
    if not os.access(BENCH, os.X_OK):
        t.skip(9, "bench/bench_cold is not built")
        print("1..%d" % t.n)
        return 0
    tmp = tempfile.mkdtemp(prefix="dt-test-cold.")
    mock = None
    try:
        fake = os.path.join(tmp, "fake_pam_once")
        with open(fake, "w") as fh:
            fh.write(FAKE)
        os.chmod(fake, 0o755)
        mock, url = start_mock(tmp)

        r = subprocess.run([BENCH, "--quick"], capture_output=True, text=True, timeout=30)
        t.eq(r.returncode, 2, "without the stage's arguments: usage, exit 2")

        r, _ = bench(tmp, "noresult", url)
        t.ok(r.returncode == 1 and "wrote no result" in r.stderr,
             "a client that ends without its result line fails the run", r.stderr)
        t.ok("bench cold." not in r.stdout, "and no figure is reported", r.stdout)

        r, _ = bench(tmp, "refused", url)
        t.ok(r.returncode == 1 and "PAM result 7" in r.stderr,
             "a login PAM refuses fails the run, naming the result", r.stderr)

        r, took = bench(tmp, "hang", url, "--child-limit-ms", "500")
        t.ok(r.returncode == 1 and "said nothing for 500 ms" in r.stderr,
             "a silent client fails the run after --child-limit-ms", r.stderr)
        t.ok(took < 10, "promptly (%.1f s; the client would sleep 30 s)" % took)
        t.ok(not running(child_pid(tmp, "hang")), "the silent client is killed")

        r, took = bench(tmp, "phonefail", url, "--child-limit-ms", "20000")
        t.ok(r.returncode == 1 and "the phone: the short link did not redirect" in r.stderr,
             "a link the phone cannot open fails the run, naming the step", r.stderr)
        t.ok(took < 10 and not running(child_pid(tmp, "phonefail")),
             "at once, its client killed (%.1f s; the limit was 20 s)" % took)
    finally:
        if mock is not None:
            mock.terminate()
            mock.wait(5)
        shutil.rmtree(tmp, ignore_errors=True)
    print("1..%d" % t.n)
    return 1 if t.failed else 0


if __name__ == "__main__":
    sys.exit(main())
