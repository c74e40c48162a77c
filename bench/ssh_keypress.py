#!/usr/bin/env python3
"""Approval to shell over ssh: a real OpenSSH 10.3+ sshd, where the module
waits without a prompt and nothing is typed, against Debian's 9.2 sshd,
where the person presses Enter the moment the phone's confirmation is
answered (BENCHMARKS.md, "Approval to shell over ssh").

  ssh.sshd10_nokey.{p50,p99,max}  ms from the phone's confirmation answered
                                  to the remote command's output, 10.x sshd
                                  and ssh, no key
  ssh.sshd10_nokey.approved_shown.{p50,p99,max}
                                  of which: to the module's "Approved in
                                  DingTalk" line on the client (the rest is
                                  sshd's, after the module returned)
  ssh.sshd9_enter.{p50,p99,max}   the same over sshd 9.2 with Debian's ssh,
                                  Enter sent as soon as the confirmation is
                                  answered
  ssh.nokey_over_enter.p50        the ratio of the two p50s (below 1: the
                                  no-key login reaches the shell sooner)

Both in one run, alternating, on one stage: the real-client suite's
(tests/e2e/test_real_clients.py: the DingTalk mock, dingtalk-callbackd, a
per-run user, pam.d services; removed afterwards). Needs root and an
OpenSSH 10.3+ named by DT_OPENSSH_SRC or DT_OPENSSH_PREFIX
(tests/e2e/openssh_cache.py builds it once); exits 77 (skipped) without
them. DT_SRCDIR, DT_PAM_MODULE and DT_CALLBACKD as in `make check`; by
default this tree's in-place build.

  ssh_keypress.py [--quick] [--logins N] [--wait auto|poll]

--wait sets the OpenSSH 10.x service's `wait` (default: none, so `auto`).
--phone-delay also gives that service `timeout = 40`: with the suite's
20 s, prompt_after (at most timeout - 15) would bring the prompt form
after 5 s, before a slow phone.
"""
import argparse
import os
import platform
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
os.environ.setdefault("DT_SRCDIR", TOP)
os.environ.setdefault("DT_BUILDDIR", TOP)
os.environ.setdefault("DT_PAM_MODULE", os.path.join(TOP, "src/pam/.libs/pam_dingtalk.so"))
os.environ.setdefault("DT_CALLBACKD", os.path.join(TOP, "src/callbackd/dingtalk-callbackd"))
sys.path.insert(0, os.path.join(TOP, "tests", "e2e"))
import openssh_cache  # noqa: E402
import test_real_clients as rc  # noqa: E402  (the stage, sshd, terminal, phone)

NUMBER = rb"choose the number\D{0,3}\d{2}"
APPROVED = rb"Approved in DingTalk"


def until_confirmed(term, phone):
    """Keeps reading the client while the phone works; returns once the
    phone's confirmation is answered (or it ended without one)."""
    while phone.confirmed is None and phone.proc.poll() is None:
        term._read(0.005)
    if phone.confirmed is None:
        phone.thread.join(5)


def one_login(sshd, ssh, press_enter, delay=0.0):
    """ms from the confirmation answered to the command's output, or None
    when the login did not complete."""
    term = sshd.client(ssh=ssh)
    wanted = rc.PROMPT if press_enter else NUMBER
    if not term.read_until(wanted, 30):
        term.finish(5)
        return None, term.text()
    link, number = rc.link_and_number(term.out)
    phone = rc.TimedPhone(link, number, delay=delay)
    until_confirmed(term, phone)
    approved = None
    if press_enter:
        term.send("\n")
    else:
        # The module's last word before it returns; over sshd 10.x it
        # reaches the client at once, so what follows is sshd's.
        if term.read_until(APPROVED, 20):
            approved = (time.monotonic() - phone.confirmed) * 1000
    m = term.read_until(rb"\n" + rc.USER.encode() + rb"\r?\n", 20)
    seen = time.monotonic()
    phone.wait()
    code = term.finish(20)
    if not m or code != 0 or phone.confirmed is None:
        return None, None, term.text()
    return (seen - phone.confirmed) * 1000, approved, None


def rank(samples, q):
    s = sorted(samples)
    return s[min(len(s) - 1, max(0, int(-(-q * len(s) // 1)) - 1))]


def report(name, samples):
    for label, q in (("p50", 0.5), ("p99", 0.99)):
        print("bench %s.%s %.1f ms" % (name, label, rank(samples, q)))
    print("bench %s.max %.1f ms" % (name, max(samples)))
    print("bench %s.samples %d count" % (name, len(samples)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--logins", type=int, default=None)
    ap.add_argument("--wait", choices=("auto", "poll"), default=None)
    ap.add_argument("--phone-delay", type=float, default=0.0,
                    help="seconds the phone waits before it scans (a person's)")
    args = ap.parse_args()
    logins = args.logins or (3 if args.quick else 30)
    if os.geteuid() != 0:
        print("ssh_keypress: needs root (real sshd, a per-run user)", file=sys.stderr)
        return 77
    if rc.built_with_sanitizers(rc.MODULE):
        print("ssh_keypress: skipped: the module is built with sanitizers, which the real sshd "
              "cannot load", file=sys.stderr)
        return 77
    try:
        prefix, reason = openssh_cache.resolve()
    except openssh_cache.CacheError as e:
        print("ssh_keypress: %s" % e, file=sys.stderr)
        return 1
    if prefix is None:
        print("ssh_keypress: skipped: %s" % reason, file=sys.stderr)
        return 77
    print("machine date %s" % time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    print("machine cpu %s x %d" % (platform.processor() or platform.machine(), os.cpu_count()))
    print("machine openssh %s" % rc.run(os.path.join(prefix, "bin/ssh"), "-V").stdout.decode()
          .split(",")[0])
    stage = rc.Stage()
    failed = 0
    try:
        stage.start()
        extra = "wait = %s\n" % args.wait if args.wait else ""
        if args.phone_delay > 0:
            # The suite's timeout (20 s) leaves prompt_after at 5 s
            # (timeout - 15): a slower phone would meet the prompt form.
            # 40 s keeps the default 25 s without a prompt.
            extra += "[service %s]\ntimeout = 40\n" % rc.SSHD10_SERVICE
        if extra:
            stage.write_conf(stage.conf10, extra)
        sshd10 = rc.Sshd(stage, prefix=prefix, service=rc.SSHD10_SERVICE)
        sshd9 = rc.Sshd(stage)
        ssh10 = os.path.join(prefix, "bin/ssh")
        nokey, enter, module = [], [], []
        for _ in range(logins):
            for sshd, ssh, press, into in ((sshd10, ssh10, False, nokey),
                                           (sshd9, "ssh", True, enter)):
                ms, approved, why = one_login(sshd, ssh, press, args.phone_delay)
                if ms is None:
                    failed += 1
                    print("# a login failed:\n# " + why.replace("\n", "\n# ")[-3000:],
                          file=sys.stderr)
                else:
                    into.append(ms)
                if approved is not None:
                    module.append(approved)
        if nokey and enter:
            report("ssh.sshd10_nokey", nokey)
            if module:
                report("ssh.sshd10_nokey.approved_shown", module)
            report("ssh.sshd9_enter", enter)
            print("bench ssh.nokey_over_enter.p50 %.2f ratio" % (rank(nokey, 0.5) /
                                                                rank(enter, 0.5)))
    finally:
        stage.cleanup()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
