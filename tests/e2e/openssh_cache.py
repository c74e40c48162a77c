#!/usr/bin/env python3
"""Where the real-client suite finds an OpenSSH 10.3+ (sshd and ssh): an
install prefix given as is, or a source tarball built once per machine
into a cache keyed by the tarball's SHA-256.

Settings (environment; TESTING.md, "OpenSSH 10.3 and later"):
  DT_OPENSSH_PREFIX  an installed OpenSSH: PREFIX/sbin/sshd, bin/ssh and
                     libexec/sshd-auth. Wins over DT_OPENSSH_SRC.
  DT_OPENSSH_SRC     a source tarball (a release, or a `git archive`
                     without configure: autoreconf -fi is run first).
  DT_CACHE_DIR       the cache (default /var/cache/pam_dingtalk-tests);
                     the build lands in DT_CACHE_DIR/openssh-<sha256>.

The cache is trusted with root's sshd, so it must belong to the user
running the suite and be writable by nobody else. A build is made in a
temporary directory beside its final place and renamed there only when
complete, so an interrupted build is never used (its leftovers are
removed by the next build); a lock file keeps two suites from building
the same tarball at once (the second waits and uses the first's build).

As a program: prints the prefix (building it if needed) and exits 0;
exits 77 with the reason when nothing is configured, 1 on an error.
"""
import fcntl
import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile

DEFAULT_CACHE = "/var/cache/pam_dingtalk-tests"
MIN_VERSION = (10, 3)
NEEDED = ("sbin/sshd", "bin/ssh", "libexec/sshd-auth")
SETTINGS = "DT_OPENSSH_SRC (an OpenSSH 10.3+ source tarball) or DT_OPENSSH_PREFIX (an install)"


class CacheError(Exception):
    """A setting that was given but cannot be used: the message says which
    setting, which file, and what to do."""


def _sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def version_of(prefix):
    """(major, minor, text) from `ssh -V` (it prints to stderr)."""
    out = subprocess.run([os.path.join(prefix, "bin/ssh"), "-V"], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, timeout=10).stdout.decode(errors="replace")
    m = re.search(r"OpenSSH_(\d+)\.(\d+)\S*", out)
    if not m:
        return None, None, out.strip()
    return int(m.group(1)), int(m.group(2)), m.group(0)


def check_prefix(prefix, setting):
    """Raises CacheError unless PREFIX holds an OpenSSH 10.3+ sshd and ssh."""
    for rel in NEEDED:
        path = os.path.join(prefix, rel)
        if not os.access(path, os.X_OK):
            raise CacheError("%s: %s is missing or not executable (%s must be an OpenSSH 10.3+ "
                             "install prefix)" % (setting, path, setting.split("=")[0]))
    _check_tree(prefix, setting)
    major, minor, text = version_of(prefix)
    if major is None or (major, minor) < MIN_VERSION:
        raise CacheError("%s: %s reports %r; these cases need OpenSSH %d.%d or later"
                         % (setting, os.path.join(prefix, "bin/ssh"), text, *MIN_VERSION))
    return text


def _check_tree(prefix, setting):
    """Root runs these programs: every file and directory of the install
    must belong to the user running the suite (or root) and be writable by
    nobody else, or anyone who could write there could become root."""
    me = os.geteuid()
    for top, dirs, files in os.walk(prefix):
        for name in [""] + dirs + files:
            path = os.path.join(top, name) if name else top
            st = os.lstat(path)
            if st.st_uid not in (me, 0) or (st.st_mode & 0o022 and not os.path.islink(path)):
                raise CacheError("%s: %s belongs to uid %d with mode %o: an OpenSSH that root "
                                 "runs must be writable only by its owner (uid %d or root)"
                                 % (setting, path, st.st_uid, st.st_mode & 0o7777, me))


def _check_cache_dir(cache):
    """The cache holds programs root runs: its owner must be the user
    running the suite, and nobody else may write to it."""
    os.makedirs(cache, mode=0o755, exist_ok=True)
    st = os.lstat(cache)
    if not os.path.isdir(cache) or os.path.islink(cache):
        raise CacheError("DT_CACHE_DIR=%s is not a directory" % cache)
    if st.st_uid != os.geteuid() or st.st_mode & 0o022:
        raise CacheError("DT_CACHE_DIR=%s belongs to uid %d with mode %o: it must belong to uid "
                         "%d and be writable by nobody else (chown/chmod it, or choose another)"
                         % (cache, st.st_uid, st.st_mode & 0o7777, os.geteuid()))


def _build_env():
    """The caller's environment without make's own variables: under `make
    check-e2e` they carry the suite's TESTS= and jobserver descriptors into
    OpenSSH's make."""
    return {k: v for k, v in os.environ.items()
            if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "DESTDIR")}


def _step(name, argv, cwd, log):
    with open(log, "a") as f:
        f.write("\n==> %s: %s\n" % (name, " ".join(argv)))
        f.flush()
        rc = subprocess.run(argv, cwd=cwd, stdout=f, stderr=subprocess.STDOUT, env=_build_env(),
                            stdin=subprocess.DEVNULL).returncode
    if rc != 0:
        with open(log, errors="replace") as f:
            tail = "".join(f.readlines()[-15:])
        raise CacheError("building OpenSSH: %s failed (exit %d); its log: %s\n%s"
                         % (name, rc, log, tail))


def _build(tarball, final, work, log):
    """Builds TARBALL for prefix FINAL, staged under WORK (DESTDIR), its
    output in LOG; returns the staged tree of FINAL."""
    src = os.path.join(work, "src")
    os.mkdir(src)
    _step("tar", ["tar", "-xzf", tarball, "--no-same-owner", "-C", src], work, log)
    tops = os.listdir(src)
    if len(tops) != 1 or not os.path.isdir(os.path.join(src, tops[0])):
        raise CacheError("DT_OPENSSH_SRC=%s: expected one top directory in the tarball, found %s"
                         % (tarball, sorted(tops)[:5]))
    tree = os.path.join(src, tops[0])
    if not os.path.exists(os.path.join(tree, "configure")):
        _step("autoreconf", ["autoreconf", "-fi"], tree, log)
    _step("configure", ["./configure", "--prefix=" + final, "--with-pam",
                        "--sysconfdir=" + final + "/etc",
                        "--with-privsep-path=" + final + "/empty",
                        "--with-pid-dir=" + final + "/run"], tree, log)
    _step("make", ["make", "-j2"], tree, log)
    stage = os.path.join(work, "stage")
    _step("make install-nokeys", ["make", "install-nokeys", "DESTDIR=" + stage], tree, log)
    staged = stage + final
    if not os.path.isdir(staged):
        raise CacheError("building OpenSSH: make install-nokeys put nothing under %s; its log: %s"
                         % (staged, log))
    _drop_setuid(staged)
    return staged


def _drop_setuid(tree):
    """install-nokeys makes ssh-keysign setuid root; the tests never need
    it, and a cache should not hold a setuid program."""
    for top, _, files in os.walk(tree):
        for f in files:
            path = os.path.join(top, f)
            mode = os.lstat(path).st_mode
            if mode & 0o6000 and not os.path.islink(path):
                os.chmod(path, mode & 0o1777)


def build_cached(tarball, cache):
    """The prefix of TARBALL's build in CACHE, building it first if no
    complete build is there. Returns (prefix, built_now)."""
    if not os.path.isfile(tarball):
        raise CacheError("DT_OPENSSH_SRC=%s: no such file (point it at an OpenSSH 10.3+ source "
                         "tarball, or unset it to skip these cases)" % tarball)
    cache = os.path.abspath(cache)
    # The caller's umask must not make the cache or the build writable by
    # others (mkdir -p in OpenSSH's install follows it).
    old_umask = os.umask(0o022)
    try:
        return _build_cached(tarball, cache)
    finally:
        os.umask(old_umask)


def _build_cached(tarball, cache):
    _check_cache_dir(cache)
    name = "openssh-" + _sha256(tarball)
    final = os.path.join(cache, name)
    if os.path.isdir(final):
        return final, False
    with open(os.path.join(cache, name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.isdir(final):  # built by whoever held the lock before us
            return final, False
        # Leftovers of an interrupted build of this tarball: nobody else
        # can be building it while we hold the lock.
        for old in glob.glob(os.path.join(cache, "." + name + ".build.*")):
            shutil.rmtree(old, ignore_errors=True)
        work = tempfile.mkdtemp(prefix="." + name + ".build.", dir=cache)
        # The log stays beside the cache when the build fails, for whoever
        # reads the error; a successful build removes it.
        log = os.path.join(cache, name + ".failed.log")
        with open(log, "w"):
            pass
        try:
            os.rename(_build(tarball, final, work, log), final)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        os.unlink(log)
    return final, True


def resolve(environ=None):
    """(prefix, None) for an OpenSSH 10.3+ to test with, or (None, reason)
    when no setting names one. Raises CacheError when a setting names one
    that cannot be used: the suite must fail then, not skip."""
    env = os.environ if environ is None else environ
    prefix = env.get("DT_OPENSSH_PREFIX", "")
    if prefix:
        check_prefix(prefix, "DT_OPENSSH_PREFIX=" + prefix)
        return prefix, None
    tarball = env.get("DT_OPENSSH_SRC", "")
    if not tarball:
        return None, "no OpenSSH 10.3+ given: set " + SETTINGS
    built, _ = build_cached(os.path.abspath(tarball), env.get("DT_CACHE_DIR") or DEFAULT_CACHE)
    check_prefix(built, "DT_OPENSSH_SRC=" + tarball + " (built in " + built + ")")
    return built, None


def main():
    try:
        prefix, reason = resolve()
    except CacheError as e:
        print("openssh_cache: %s" % e, file=sys.stderr)
        return 1
    if prefix is None:
        print("openssh_cache: %s" % reason, file=sys.stderr)
        return 77
    print(prefix)
    return 0


if __name__ == "__main__":
    sys.exit(main())
