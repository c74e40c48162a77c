#!/usr/bin/env python3
"""tests/e2e/openssh_cache.py, the OpenSSH 10.3+ build cache of the
real-client suite, against fake source tarballs whose `configure` and
Makefile take a moment, count their builds, fail or report an old version
on request: the cache is keyed by the tarball's SHA-256, builds once,
never uses an interrupted build, lets one of two simultaneous suites build
while the other waits, and refuses what it cannot trust with a message
naming the setting. Fast and without root (`make check`). Emits TAP.
"""
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))
import openssh_cache  # noqa: E402
from tap import Tap  # noqa: E402

PY = os.environ.get("PYTHON3", sys.executable)
CLI = os.path.join(HERE, "openssh_cache.py")

# A configure that writes a Makefile for its --prefix. `make` counts its
# builds in $FAKE_COUNTER, sleeps $FAKE_SLEEP seconds, fails when
# $FAKE_FAIL is set; install-nokeys installs an ssh that reports
# OpenSSH_$FAKE_VERSION, as `ssh -V` does, on stderr.
CONFIGURE = r"""#!/bin/sh
for a; do case $a in --prefix=*) prefix=${a#--prefix=} ;; esac; done
printf 'PREFIX = %s\n' "$prefix" >Makefile
cat Makefile.tmpl >>Makefile
"""
MAKEFILE = """all:
\techo built >>"$$FAKE_COUNTER"
\tsleep $${FAKE_SLEEP:-0}
\ttest -z "$$FAKE_FAIL"
install-nokeys:
\tmkdir -p $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/libexec
\tprintf '#!/bin/sh\\necho "OpenSSH_%s, OpenSSL 3.0" >&2\\n' "$${FAKE_VERSION:-10.5p1}" \\
\t\t>$(DESTDIR)$(PREFIX)/bin/ssh
\tcp $(DESTDIR)$(PREFIX)/bin/ssh $(DESTDIR)$(PREFIX)/sbin/sshd
\tcp $(DESTDIR)$(PREFIX)/bin/ssh $(DESTDIR)$(PREFIX)/libexec/sshd-auth
\tchmod 755 $(DESTDIR)$(PREFIX)/*/*
\tcp $(DESTDIR)$(PREFIX)/bin/ssh $(DESTDIR)$(PREFIX)/libexec/ssh-keysign
\tchmod 4711 $(DESTDIR)$(PREFIX)/libexec/ssh-keysign
"""
# The git-archive form: no configure, a configure.ac that autoreconf turns
# into one.
CONFIGURE_AC = """AC_INIT([fake-openssh], [1])
AC_CONFIG_FILES([Makefile])
AC_OUTPUT
"""


def make_tarball(where, name, salt="", git_archive=False):
    top = os.path.join(where, name + ".d", "openssh-fake")
    os.makedirs(top)
    makefile = MAKEFILE + "# %s\n" % salt
    if git_archive:
        with open(os.path.join(top, "configure.ac"), "w") as f:
            f.write(CONFIGURE_AC)
        with open(os.path.join(top, "Makefile.in"), "w") as f:
            f.write("PREFIX = @prefix@\n" + makefile)
    else:
        with open(os.path.join(top, "configure"), "w") as f:
            f.write(CONFIGURE)
        os.chmod(os.path.join(top, "configure"), 0o755)
        with open(os.path.join(top, "Makefile.tmpl"), "w") as f:
            f.write(makefile)
    path = os.path.join(where, name + ".tar.gz")
    with tarfile.open(path, "w:gz") as t:
        t.add(top, arcname="openssh-fake")
    return path


def walk(top):
    out = []
    for d, dirs, files in os.walk(top):
        out += [os.path.join(d, n) for n in dirs + files]
    return out


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class Case:
    def __init__(self, root):
        self.root = tempfile.mkdtemp(dir=root)
        self.cache = os.path.join(self.root, "cache")
        self.counter = os.path.join(self.root, "builds")

    def env(self, **extra):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DT_CACHE_DIR": self.cache,
               "FAKE_COUNTER": self.counter}
        env.update(extra)
        return env

    def builds(self):
        if not os.path.exists(self.counter):
            return 0
        with open(self.counter) as f:
            return len(f.read().split())

    def leftovers(self):
        if not os.path.isdir(self.cache):
            return []
        return [n for n in os.listdir(self.cache) if ".build." in n]

    def cli(self, tarball, **extra):
        return subprocess.Popen([PY, CLI], env=self.env(DT_OPENSSH_SRC=tarball, **extra),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)


def resolve(case, **settings):
    """openssh_cache.resolve in this process, with only CASE's environment
    (the fake build's variables reach its make through os.environ)."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(case.env(**settings))
    try:
        return openssh_cache.resolve(), None
    except openssh_cache.CacheError as e:
        return (None, None), str(e)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def main():
    t = Tap()
    root = tempfile.mkdtemp(prefix="dt-sshcache.")
    try:
        run(t, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print("1..%d" % t.n)
    return 1 if t.failed else 0


def run(t, root):
    tarballs = tempfile.mkdtemp(dir=root)
    good = make_tarball(tarballs, "good")

    c = Case(root)
    (prefix, reason), err = resolve(c)
    t.ok(prefix is None and err is None and "DT_OPENSSH_SRC" in reason
         and "DT_OPENSSH_PREFIX" in reason,
         "nothing set: no prefix, and the reason names both settings", (reason, err))

    (prefix, reason), err = resolve(c, DT_OPENSSH_SRC=good)
    want = os.path.join(c.cache, "openssh-" + sha(good))
    t.ok(err is None and prefix == want and os.access(os.path.join(want, "sbin/sshd"), os.X_OK),
         "a tarball is built into DT_CACHE_DIR/openssh-<its sha256>", (prefix, want, err))
    keysign = os.stat(os.path.join(want, "libexec/ssh-keysign")).st_mode if prefix else 0
    t.ok(prefix == want and keysign & 0o6000 == 0 and keysign & 0o111,
         "the cache holds no setuid program (install-nokeys' ssh-keysign)", oct(keysign))
    (again, _), err = resolve(c, DT_OPENSSH_SRC=good)
    t.ok(again == want and c.builds() == 1 and not c.leftovers(),
         "the second run uses the build: one build in all, no temporary directory left",
         (again, c.builds(), c.leftovers(), err))
    other = make_tarball(tarballs, "other", salt="another release")
    (prefix2, _), err = resolve(c, DT_OPENSSH_SRC=other)
    t.ok(prefix2 == os.path.join(c.cache, "openssh-" + sha(other)) and prefix2 != want
         and c.builds() == 2, "another tarball gets its own build", (prefix2, c.builds(), err))

    (prefix, _), err = resolve(c, DT_OPENSSH_PREFIX=want, DT_OPENSSH_SRC="/nonexistent.tgz")
    t.ok(prefix == want and err is None and c.builds() == 2,
         "DT_OPENSSH_PREFIX is used as is and wins over DT_OPENSSH_SRC", (prefix, err))

    # Interrupted: killed in the middle of make. Nothing is used; the
    # next run builds from scratch and removes the leftovers.
    c = Case(root)
    p = c.cli(good, FAKE_SLEEP="30")
    end = time.time() + 20
    while c.builds() == 0 and time.time() < end:
        time.sleep(0.05)
    os.killpg(p.pid, signal.SIGKILL)
    p.wait()
    final = os.path.join(c.cache, "openssh-" + sha(good))
    t.ok(c.builds() == 1 and not os.path.exists(final) and c.leftovers(),
         "a build killed during make leaves only its temporary directory, never the final one",
         (c.builds(), os.listdir(c.cache) if os.path.isdir(c.cache) else None))
    (prefix, _), err = resolve(c, DT_OPENSSH_SRC=good)
    t.ok(prefix == final and c.builds() == 2 and not c.leftovers(),
         "the next run builds it again and removes the interrupted one's directory",
         (prefix, c.builds(), c.leftovers(), err))

    # Two suites at once: one builds, the other waits on the lock and uses
    # that build.
    c = Case(root)
    procs = [c.cli(good, FAKE_SLEEP="1") for _ in range(2)]
    outs = [p.communicate(timeout=60) for p in procs]
    paths = [o[0].decode().strip() for o in outs]
    final = os.path.join(c.cache, "openssh-" + sha(good))
    t.ok(all(p.returncode == 0 for p in procs) and paths == [final, final] and c.builds() == 1,
         "two suites started together: one build, both get its prefix",
         (paths, c.builds(), [o[1].decode() for o in outs]))

    # A failed build: the error names the step and keeps the log.
    c = Case(root)
    (prefix, _), err = resolve(c, DT_OPENSSH_SRC=good, FAKE_FAIL="1")
    failed_log = os.path.join(c.cache, "openssh-%s.failed.log" % sha(good))
    t.ok(prefix is None and err is not None and "make failed" in err
         and os.path.exists(failed_log) and failed_log in err
         and not os.path.exists(os.path.join(c.cache, "openssh-" + sha(good)))
         and not c.leftovers(),
         "a failed build: the error names the step, the log is kept, nothing else is left",
         (err, os.listdir(c.cache)))

    # The git-archive form: autoreconf -fi makes configure first.
    if shutil.which("autoreconf"):
        c = Case(root)
        ga = make_tarball(tarballs, "gitarchive", git_archive=True)
        (prefix, _), err = resolve(c, DT_OPENSSH_SRC=ga)
        t.ok(prefix == os.path.join(c.cache, "openssh-" + sha(ga)) and err is None,
             "a tarball without configure (git archive) is autoreconf'd and built", err)
    else:
        t.skip(1, "autoreconf is not installed")

    c = Case(root)
    (prefix, _), err = resolve(c, DT_OPENSSH_SRC=os.path.join(root, "missing.tar.gz"))
    t.ok(prefix is None and err is not None and "DT_OPENSSH_SRC=" in err and "no such file" in err,
         "a tarball that is not there is an error naming DT_OPENSSH_SRC, not a skip", err)

    c = Case(root)
    (prefix, _), err = resolve(c, DT_OPENSSH_SRC=good, FAKE_VERSION="9.2p1")
    t.ok(prefix is None and err is not None and "OpenSSH_9.2p1" in err and "10.3" in err,
         "a build older than 10.3 is an error naming the version found and the one needed", err)

    c = Case(root)
    os.makedirs(c.cache)
    os.chmod(c.cache, 0o777)
    (prefix, _), err = resolve(c, DT_OPENSSH_SRC=good)
    t.ok(prefix is None and err is not None and "DT_CACHE_DIR=" + c.cache in err and c.builds() == 0,
         "a cache directory others may write to is refused before anything is built", err)
    if os.geteuid() == 0:
        c = Case(root)
        os.makedirs(c.cache, 0o755)
        os.chown(c.cache, 65534, 65534)
        (prefix, _), err = resolve(c, DT_OPENSSH_SRC=good)
        t.ok(prefix is None and err is not None and "uid 65534" in err and c.builds() == 0,
             "a cache directory of another user is refused", err)
    else:
        t.skip(1, "needs root: a cache directory of another user")

    # The caller's umask 000 must not leave the cache or the build writable
    # by others: root runs these programs.
    c = Case(root)
    old_umask = os.umask(0)
    try:
        (built, _), err = resolve(c, DT_OPENSSH_SRC=good)
    finally:
        os.umask(old_umask)
    loose = [p for p in [c.cache] + walk(built or c.cache) if os.lstat(p).st_mode & 0o022]
    t.ok(built is not None and not loose,
         "under umask 000 nothing in the cache or the build is writable by group or others",
         (err, loose[:5]))

    # An install where someone else could write is refused, naming the file.
    os.chmod(os.path.join(built, "sbin/sshd"), 0o775)
    (prefix, _), err = resolve(c, DT_OPENSSH_PREFIX=built)
    t.ok(prefix is None and err is not None and os.path.join(built, "sbin/sshd") in err
         and "775" in err, "a program of the install that others may write is an error naming it",
         err)
    (prefix, _), err = resolve(c, DT_OPENSSH_SRC=good)
    t.ok(prefix is None and err is not None and "sbin/sshd" in err,
         "the same in the cache's own build", err)
    os.chmod(os.path.join(built, "sbin/sshd"), 0o755)

    c = Case(root)
    (built, _), _ = resolve(c, DT_OPENSSH_SRC=good)
    os.unlink(os.path.join(built, "libexec/sshd-auth"))
    (prefix, _), err = resolve(c, DT_OPENSSH_PREFIX=built)
    t.ok(prefix is None and err is not None and "DT_OPENSSH_PREFIX=" + built in err
         and "libexec/sshd-auth" in err,
         "an install prefix without sshd-auth is an error naming the file", err)


if __name__ == "__main__":
    sys.exit(main())
