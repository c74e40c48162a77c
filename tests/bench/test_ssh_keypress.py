#!/usr/bin/env python3
"""bench/ssh_keypress.py runs (`make check-e2e`): a quick run (three
logins each way) must end on its own, exit 0 and print every figure of
BENCHMARKS.md's "Approval to shell over ssh" as a number, the ratio
included. No figure is judged: the machines are noisy. Skipped, as the
benchmark is, without root or without an OpenSSH 10.3+ setting (its
reason is shown). Emits TAP.
"""
import os
import re
import subprocess
import sys

SRC = os.environ.get("DT_SRCDIR", os.path.join(os.path.dirname(__file__), "..", ".."))
PY = os.environ.get("PYTHON3", sys.executable)
BENCH = os.path.join(SRC, "bench", "ssh_keypress.py")

FIGURES = ["ssh.sshd10_nokey.p50", "ssh.sshd10_nokey.p99", "ssh.sshd10_nokey.max",
           "ssh.sshd10_nokey.approved_shown.p50", "ssh.sshd9_enter.p50",
           "ssh.sshd9_enter.p99", "ssh.sshd9_enter.max", "ssh.nokey_over_enter.p50"]


def main():
    try:
        out = subprocess.run([PY, BENCH, "--quick"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, timeout=240)
    except subprocess.TimeoutExpired:
        print("not ok 1 - bench/ssh_keypress.py --quick ends within 240 s\n1..1")
        return 1
    if out.returncode == 77:
        why = out.stderr.decode(errors="replace").strip().splitlines()
        print("1..0 # SKIP %s" % (why[-1] if why else "skipped"))
        return 0
    text = out.stdout.decode(errors="replace")
    n = 0
    ok = out.returncode == 0
    n += 1
    print("%s %d - bench/ssh_keypress.py --quick exits 0" % ("ok" if ok else "not ok", n))
    if not ok:
        for line in (text + out.stderr.decode(errors="replace")).splitlines()[-40:]:
            print("# " + line)
    failed = not ok
    for name in FIGURES:
        n += 1
        m = re.search(r"^bench %s ([0-9.]+) (ms|ratio)$" % re.escape(name), text, re.M)
        good = m is not None and float(m.group(1)) >= 0
        failed |= not good
        print("%s %d - it prints %s as a number" % ("ok" if good else "not ok", n, name))
    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
