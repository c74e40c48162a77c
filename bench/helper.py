#!/usr/bin/env python3
"""dingtalk-callbackd: memory and throughput (BENCHMARKS.md).

  helper.rss_idle               VmRSS just after start-up
  helper.rss_pending            VmRSS with PENDING sessions registered (1,000)
  helper.register_rate          registrations/s, one at a time on the socket
  helper.rss_after_cancel       VmRSS once they are all cancelled
  helper.load.*                 one round of tests/callbackd/test_load.py
                                (LOAD sessions at once: register, long-poll,
                                link, callback, confirm or refuse or cancel):
                                sessions/s decided, waiter wake-up p50/p99/max
  helper.rss_after_load         VmRSS after the round

Reuses the helper harness (test_callbackd.Helper) and the load round
(test_load.run_round) rather than copying them; the round leaves out
test_load's "expire" kind, which only waits for a 10 s ttl. DT_CALLBACKD
picks the binary. The helper's config is the running user's own, which
the helper trusts (root's as root). Usage: helper.py [--quick].
"""

import os
import platform
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "callbackd"))
import test_load  # noqa: E402  (the load round; imports test_callbackd)

cbd = test_load.cbd
QUICK = "--quick" in sys.argv[1:]
PENDING = 50 if QUICK else 1000
LOAD = 30 if QUICK else 200


def result(name, value, unit):
    print("bench %s %.3f %s" % (name, value, unit), flush=True)


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def settle(pid):
    """Connections close a moment after their last answer: let the RSS
    reading see the helper at rest."""
    time.sleep(0.3)
    return rss_kib(pid)


def pending(h):
    sids = []
    t0 = time.monotonic()
    for _ in range(PENDING):
        r, _ = h.register(ttl=600)
        if r.status != 201:
            raise RuntimeError("register %d: %d %s" % (len(sids), r.status, r.text))
        sids.append(r.json()["id"])
    elapsed = time.monotonic() - t0
    result("helper.register_rate", PENDING / elapsed, "sessions/s")
    result("helper.pending_sessions", PENDING, "sessions")
    result("helper.rss_pending", settle(h.proc.pid), "KiB")
    for sid in sids:
        if h.ctl("DELETE", "/v1/sessions/" + sid).status != 204:
            raise RuntimeError("cancel failed")
    result("helper.rss_after_cancel", settle(h.proc.pid), "KiB")


def load_round(h):
    test_load.N = LOAD
    test_load.KINDS = tuple(k for k in test_load.KINDS if k != "expire")
    sessions, _, _, t_phones = test_load.run_round(h)
    bad = [s for s in sessions if s.errors or s.result is None
           or (s.kind == "approve" and s.result.get("status") != "approved")]
    acted = [s for s in sessions if s.woke_at and s.acted_at]
    lat = [max(0.0, s.woke_at - s.acted_at) * 1000 for s in acted]
    last = max((s.woke_at for s in acted), default=t_phones)
    result("helper.load.sessions", len(sessions), "sessions")
    result("helper.load.failed", len(bad), "sessions")
    if last > t_phones:
        result("helper.load.rate", len(acted) / (last - t_phones), "sessions/s")
    for p in (50, 99):
        result("helper.load.wakeup.p%d" % p, test_load.percentile(lat, p), "ms")
    result("helper.load.wakeup.max", max(lat or [0]), "ms")
    result("helper.rss_after_load", settle(h.proc.pid), "KiB")
    if bad:
        print("helper.py: %d sessions went wrong, e.g. %r" % (len(bad), bad[0].errors[:2]),
              file=sys.stderr)
    return not bad


def main():
    print("machine python %s" % platform.python_version())
    tmp = tempfile.mkdtemp(prefix="bench-helper-")
    os.chmod(tmp, 0o755)
    # All phones come from 127.0.0.1, as through a reverse proxy: no
    # per-address limit.
    h = cbd.Helper(tmp, "bench", "max_pending = %d\nsession_ttl = 600\n"
                   "max_connections_per_ip = 0\n" % max(PENDING, LOAD))
    ok = False
    try:
        result("helper.rss_idle", settle(h.proc.pid), "KiB")
        pending(h)
        ok = load_round(h)
    finally:
        rc = h.stop()
        if rc != 0:
            print("helper.py: the helper exited %r; log in %s" % (rc, h.log), file=sys.stderr)
            ok = False
        if ok:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
