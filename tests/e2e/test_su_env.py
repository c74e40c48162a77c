#!/usr/bin/env python3
"""The real setuid /usr/bin/su, run by an unprivileged user with a hostile
environment and umask 000, with pam_dingtalk.so in su's PAM stack. Emits TAP.

su authenticates before it resets the environment, so while the module
runs, the environment and the umask are the caller's. libcurl (Debian 12's
7.88.1, OpenSSL backend) opens SSLKEYLOGFILE with fopen(path, "a") when it
initialises: without the module's environment guard, this creates any file
the caller names, owned by root, mode 0666 under umask 000.

The machine's /etc/pam.d/su and su-l are never edited: su runs inside a
private mount namespace where a test stack is bind-mounted over them. The
test user, the stage and the namespace are gone afterwards.

sudo -E, for a user whom a sudoers drop-in grants SETENV, is tried the
same way: sudo answers getenv itself, from the environment it keeps for
the command, so there the module refuses. The drop-in and its PAM service
file have names of their own for the run and are removed afterwards.

The caller also controls the process: in a break-glass stack (the module
followed by pam_permit for PAM_AUTHINFO_UNAVAIL), stopping su past the
exchange's budget, pointing proxy_env's variables at a dead proxy, or a low
open-file limit must end in a refusal, never in "unavailable".

Needs root, util-linux's su, sudo, unshare and setpriv.
"""
import os
import shutil
import socket
import stat
import json
import signal
import subprocess
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import test_real_clients as rc  # noqa: E402  (the stage, the pty, the phone)
from tap import Tap  # noqa: E402

t = Tap()


class ProxyTrap:
    """A loopback listener standing in for an attacker's proxy: it only
    counts the connections it gets."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self):
        self.sock.close()


def hostile_env(attacker, proxy_port):
    """What a local user can hand su: every variable that could steer
    libcurl, OpenSSL or the module, pointed at the attacker's own places."""
    proxy = "http://127.0.0.1:%d" % proxy_port
    return {
        "PATH": "/usr/bin:/bin", "TERM": "xterm", "LANG": "C.UTF-8",
        "SSLKEYLOGFILE": os.path.join(attacker, "keylog"),
        "CURL_CA_BUNDLE": os.path.join(attacker, "ca.pem"),
        "SSL_CERT_FILE": os.path.join(attacker, "ca.pem"),
        "SSL_CERT_DIR": attacker,
        "OPENSSL_CONF": os.path.join(attacker, "openssl.cnf"),
        "CURL_HOME": attacker, "HOME": attacker, "TMPDIR": attacker,
        "http_proxy": proxy, "https_proxy": proxy, "HTTPS_PROXY": proxy,
        "all_proxy": proxy, "ALL_PROXY": proxy, "no_proxy": "", "NO_PROXY": "",
    }


def su_stack(stage, wheel, control="required"):
    """The su stack of pam.d-examples/su. With `wheel`, pam_wheel is in
    front as `required`, as the example had it before it became
    `requisite`: the test user is not in group sudo, yet still reaches the
    module, and the guard must hold for such a caller."""
    lines = ["# written by pam_dingtalk's tests/e2e/test_su_env.py",
             "auth     sufficient pam_rootok.so"]
    if wheel:
        lines.append("auth     %-10s pam_wheel.so use_uid group=sudo" % control)
    lines += ["auth     required   %s conf=%s" % (rc.MODULE, stage.conf),
              "account  required   pam_permit.so",
              "session  required   pam_permit.so", ""]
    path = os.path.join(stage.work, "pam-su-%s" % (control if wheel else "plain"))
    with open(path, "w") as f:
        f.write("\n".join(lines))
    os.chmod(path, 0o644)
    return path


def su_terminal(stack, env, su_args, shell_setup="", shell="sh"):
    """su as the test user, umask 000, the given environment, in a mount
    namespace of its own where `stack` is su's (and su-l's) PAM service.
    `shell_setup`: more of the caller's commands before su, in `shell`."""
    inner = "umask 000; " + shell_setup + "exec /usr/bin/su " + " ".join(su_args)
    env_args = ["%s=%s" % kv for kv in sorted(env.items())]
    script = ("mount --make-rprivate / && mount --bind {s} /etc/pam.d/su && "
              "mount --bind {s} /etc/pam.d/su-l && exec \"$@\"").format(s=stack)
    argv = ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh",
            "setpriv", "--reuid=" + rc.USER, "--regid=" + rc.USER, "--init-groups",
            "env", "-i"] + env_args + [shell, "-c", inner]
    return rc.Terminal(argv, {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})


def attacker_dir(stage, name):
    path = os.path.join(stage.work, name)
    os.mkdir(path, 0o755)
    shutil.chown(path, rc.USER, rc.USER)
    return path


def describe(path):
    st = os.lstat(path)
    return "%s exists: owner uid %d, mode %04o" % (path, st.st_uid, stat.S_IMODE(st.st_mode))


def test_ctrl_c(stage, trap):
    """The issue's attack: su - with pam_wheel in front, Ctrl-C at the QR."""
    attacker = attacker_dir(stage, "attacker-ctrl-c")
    env = hostile_env(attacker, trap.port)
    term = su_terminal(su_stack(stage, wheel=True), env, ["-"])
    shown = term.read_until(rb"expires in \d+ seconds", 20)
    term.send("\x03")
    code = term.finish(15)
    keylog = env["SSLKEYLOGFILE"]
    t.ok(shown is not None, "su - (pam_wheel refuses, the module still runs): the QR is shown",
         term.text())
    t.ok(not os.path.lexists(keylog),
         "su -, umask 000, SSLKEYLOGFILE, Ctrl-C: no key log file is created",
         describe(keylog) if os.path.lexists(keylog) else None)
    t.ok(code is not None and code != 0, "su -: Ctrl-C does not log in",
         "exit %s\n%s" % (code, term.text()))


def test_wheel_requisite(stage, trap):
    """pam.d-examples/su as it is now: pam_wheel requisite turns a caller
    outside the group away before the module runs at all."""
    attacker = attacker_dir(stage, "attacker-requisite")
    env = hostile_env(attacker, trap.port)
    term = su_terminal(su_stack(stage, wheel=True, control="requisite"), env, ["-"])
    shown = term.read_until(rb"expires in \d+ seconds|[Pp]assword|failure", 10)
    code = term.finish(15)
    t.ok(code is not None and code != 0 and b"DingTalk" not in term.out,
         "su - with pam_wheel requisite (the example): refused before the module, no QR",
         "exit %s, matched %r\n%s" % (code, shown and shown.group(0), term.text()))


def test_approved(stage, trap):
    """A whole login through su with the hostile environment: the module's
    network path works with its own environment, and the command su runs
    afterwards still sees the caller's (su -c keeps it)."""
    attacker = attacker_dir(stage, "attacker-login")
    env = hostile_env(attacker, trap.port)
    term = su_terminal(su_stack(stage, wheel=False), env,
                       ["-c", "'echo who=$(id -un); echo keylog=$SSLKEYLOGFILE; "
                        "echo proxy=$https_proxy'", "root"])
    term.read_until(rb"expires in \d+ seconds", 20)
    link, number = rc.link_and_number(term.out)
    if link:
        rc.phone(link, number)
    code = term.finish(30)
    out = term.text()
    keylog = env["SSLKEYLOGFILE"]
    t.ok(link is not None and code == 0 and "\nwho=root\n" in out,
         "su -c as root, approved in DingTalk, with a hostile environment: the command runs",
         "exit %s\n%s\n%s" % (code, out, open(stage.helper_log).read()[-1500:]))
    t.ok(not os.path.lexists(keylog), "the approved login created no key log file",
         describe(keylog) if os.path.lexists(keylog) else None)
    t.ok(("\nkeylog=%s\n" % keylog) in out and ("\nproxy=%s\n" % env["https_proxy"]) in out,
         "the command su runs after the module sees the caller's environment unchanged", out)
    t.ok(os.listdir(attacker) == [], "nothing was written into the caller's HOME/TMPDIR",
         repr(os.listdir(attacker)))


def module_conf(stage, name, extra="", timeout=None):
    """A copy of the stage's module configuration with `extra` lines, and
    another `timeout` if given."""
    text = open(stage.conf).read()
    if timeout is not None:
        text = text.replace("timeout = %d\n" % rc.TIMEOUT, "timeout = %d\n" % timeout)
    path = os.path.join(stage.work, name)
    with open(path, "w") as f:
        f.write(text + extra)
    os.chmod(path, 0o600)
    return path


def breakglass_stack(stage, conf, name):
    """A break-glass su stack: DingTalk unreachable (PAM_AUTHINFO_UNAVAIL)
    lets the next module decide, here pam_permit. Only an approval by the
    bound person, or an outage, may get past the module."""
    lines = ["# written by pam_dingtalk's tests/e2e/test_su_env.py",
             "auth     sufficient pam_rootok.so",
             "auth     [success=done authinfo_unavail=ignore default=die] %s conf=%s"
             % (rc.MODULE, conf),
             "auth     required   pam_permit.so",
             "account  required   pam_permit.so",
             "session  required   pam_permit.so", ""]
    path = os.path.join(stage.work, name)
    with open(path, "w") as f:
        f.write("\n".join(lines))
    os.chmod(path, 0o644)
    return path


def mock_post(stage, path, body):
    req = urllib.request.Request(stage.mock_url + path, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=5).read()


def as_caller(*argv):
    """A command run as the test user: what the caller of su may do."""
    return subprocess.run(["setpriv", "--reuid=" + rc.USER, "--regid=" + rc.USER,
                           "--init-groups"] + list(argv),
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE).returncode


# The module's shortest timeout (10 s): the exchange's own budget (10 s)
# then ends a few seconds after the phone approves.
STOP_TIMEOUT = 10
STOP_SECONDS = 12


def test_stopped_during_exchange(stage, trap, timeout=STOP_TIMEOUT):
    """The caller stops su (their own uid may signal it) while DingTalk's
    exchange runs, longer than its budget, then continues it: the exchange
    times out. That must be a refusal, not PAM_AUTHINFO_UNAVAIL, which the
    break-glass stack would let through to pam_permit. The person who
    approves is alice, whom the map binds: had the exchange finished, su
    would run the command, so a refusal here is the timeout's alone.
    Before the fix su ran it (PAM_AUTHINFO_UNAVAIL, then pam_permit), and
    would have for anyone's approval."""
    conf = module_conf(stage, "pam_dingtalk-stop-%d.conf" % timeout, timeout=timeout)
    env = hostile_env(attacker_dir(stage, "attacker-stop-%d" % timeout), trap.port)
    term = su_terminal(breakglass_stack(stage, conf, "pam-su-stop"), env,
                       ["-c", "'echo who=$(id -un)'", "root"])
    mock_post(stage, "/_mock/fault", {"endpoint": "userAccessToken", "mode": "slow",
                                      "seconds": 4, "count": 1})
    started = time.time()
    term.read_until(rb"expires in \d+ seconds", 20)
    link, number = rc.link_and_number(term.out)
    stopped = killed_ok = False
    if link:
        rc.phone(link, number)
        time.sleep(0.5)  # the module has the code and waits for DingTalk
        stopped = as_caller("kill", "-STOP", str(term.pid)) == 0
        time.sleep(STOP_SECONDS)
        killed_ok = as_caller("kill", "-CONT", str(term.pid)) == 0
    code = term.finish(20)
    out = term.text()
    t.ok(link is not None and stopped and killed_ok,
         "su stopped and continued by its caller during the exchange", out)
    t.ok(code is not None and code != 0 and "who=root" not in out,
         "su -c (timeout %d), the exchange timed out while the caller had su stopped: "
         "refused, not \"unavailable\" (the break-glass pam_permit is not reached)" % timeout,
         "exit %s after %.1f s\n%s" % (code, time.time() - started, out))


def test_stopped_long_before_the_deadline(stage, trap):
    """The same stop with the suite's longer timeout: the login's deadline
    is still far off when libcurl gives up on DingTalk's request (its own
    10 s), so the failure is not a timeout of the login but a failed
    transfer. Before the fix that was "unavailable" and su ran the command;
    once the session is registered, under su every such failure is a
    refusal."""
    test_stopped_during_exchange(stage, trap, timeout=rc.TIMEOUT)


def bob_through_breakglass(stage, trap, name, what, extra="", shell_setup="", shell="sh",
                           qr_needed=True):
    """su -c as root in the break-glass stack, with the module's
    configuration plus `extra` and the caller's `shell_setup`; bob, whom
    the map does not bind, approves. Whatever the caller did, that must
    end in a refusal: "unavailable" would let pam_permit run the command.
    `qr_needed`: the module must have shown the QR (not refused before)."""
    conf = module_conf(stage, "pam_dingtalk-%s.conf" % name, extra=extra)
    env = hostile_env(attacker_dir(stage, "attacker-" + name), trap.port)
    term = su_terminal(breakglass_stack(stage, conf, "pam-su-" + name), env,
                       ["-c", "'echo who=$(id -un)'", "root"], shell_setup=shell_setup,
                       shell=shell)
    term.read_until(rb"expires in \d+ seconds|[Rr]efused|[Ff]ailure", 20)
    link, number = rc.link_and_number(term.out)
    if link:
        rc.phone(link, number, person="bob")
    code = term.finish(30)
    out = term.text()
    t.ok((link is not None or not qr_needed) and code is not None and code != 0 and
         "who=root" not in out,
         "su with %s: bob's approval is refused, not \"unavailable\"" % what,
         "exit %s\n%s" % (code, out))


def test_caller_proxy_ignored(stage, trap):
    """proxy_env = yes under su: the proxy variables are the caller's, who
    could send DingTalk's traffic to a dead end and make it "unavailable".
    The module ignores them there; bob's approval reaches DingTalk and is
    refused (he is not bound)."""
    before = trap.connections
    bob_through_breakglass(stage, trap, "proxy", "proxy_env = yes and the caller's proxy",
                           extra="proxy_env = yes\n")
    t.eq(trap.connections - before, 0, "proxy_env under su: no connection to the caller's proxy")


# Descriptors the test inherits (make's jobserver) would shift the count:
# closed first, so su starts with 0-2 only. At 6 the module's DingTalk
# connection failed before the guard, every time.
NOFILE_SETUP = ("for fd in 3 4 5 6 7 8 9; do eval \"exec $fd>&-\"; done; "
                "ulimit -S -n 6; ")


def test_low_open_files(stage, trap):
    """The caller lowers the soft limit on open files: su starts, the QR is
    shown and the helper's socket fits, but DingTalk's does not. Before the
    guard raised it, that failed connection was "unavailable" and the
    break-glass stack ran the command as root for bob, whom the map does
    not bind. With the limit raised for the call, DingTalk answers and bob
    is refused."""
    bob_through_breakglass(stage, trap, "nofile", "the caller's open-file limit at 6",
                           shell_setup=NOFILE_SETUP)


# The caller keeps every descriptor from 3 to 1021 open under a limit of
# 1024 (soft and hard): su passes them on, so each new descriptor the
# module opens is one of the last two.
FD_FLOOD_SETUP = ("for fd in 3 4 5 6 7 8 9; do eval \"exec $fd>&-\"; done; "
                  "ulimit -n 1024; for ((fd = 3; fd < 1022; fd++)); do "
                  "eval \"exec $fd</dev/null\"; done; ")


def test_inherited_descriptors(stage, trap):
    """The caller starves su of descriptors without lowering the limit
    below 1024: all but the last two are already open. Before the guard
    counted them, the helper's socket still fitted, DingTalk's did not,
    and the break-glass stack ran the command as root for bob. Now the
    limit is raised past the open descriptors or, where the hard limit
    cannot be raised, the login is refused."""
    bob_through_breakglass(stage, trap, "fds", "descriptors 3-1021 open under a limit of 1024",
                           shell_setup=FD_FLOOD_SETUP, shell="bash", qr_needed=False)


SUDOERS = "/etc/sudoers.d/zz-dt-suenv-" + rc.RUN_ID
SUDO_SERVICE = "sudo-dt-suenv-" + rc.RUN_ID
SUDO_PAM = "/etc/pam.d/" + SUDO_SERVICE


def test_sudo_setenv(stage, trap):
    """sudo -E by a user whom sudoers grants SETENV: sudo answers getenv
    from the environment it keeps for the command, past the module's own,
    so there the module must refuse rather than let libcurl find the
    caller's SSLKEYLOGFILE."""
    attacker = attacker_dir(stage, "attacker-sudo")
    env = hostile_env(attacker, trap.port)
    with open(SUDO_PAM, "w") as f:
        f.write(stage.pam_stack())
    with open(SUDOERS + ".tmp", "w") as f:
        f.write("# written by pam_dingtalk's tests/e2e/test_su_env.py\n"
                "Defaults:%s pam_service=%s, !lecture, passwd_tries=1\n"
                "%s ALL=(root) SETENV: /usr/bin/id\n" % (rc.USER, SUDO_SERVICE, rc.USER))
    os.chmod(SUDOERS + ".tmp", 0o440)
    rc.run("visudo", "-cqf", SUDOERS + ".tmp")
    os.rename(SUDOERS + ".tmp", SUDOERS)
    code, text = sudo_e(env)
    keylog = env["SSLKEYLOGFILE"]
    t.ok(not os.path.lexists(keylog),
         "sudo -E (SETENV), umask 000, SSLKEYLOGFILE: no key log file is created",
         (describe(keylog) if os.path.lexists(keylog) else "") + "\n" + text)
    t.ok(code != 0 and "\nroot\n" not in text and "expires in" not in text,
         "sudo -E with SSLKEYLOGFILE: the module refuses before any QR (fails closed)",
         "exit %s\n%s" % (code, text))
    # Without it, the rest of the hostile environment does not stop sudo -E.
    del env["SSLKEYLOGFILE"]
    code, text = sudo_e(env)
    t.ok(code == 0 and "\nroot\n" in text,
         "sudo -E without SSLKEYLOGFILE (the rest as hostile): approved, the command runs",
         "exit %s\n%s" % (code, text))


def sudo_e(env):
    """sudo -E /usr/bin/id -un as the test user, umask 000, `env`, the
    phone approving if a QR comes. Returns the exit code and the text."""
    env_args = ["%s=%s" % kv for kv in sorted(env.items())]
    term = rc.Terminal(["setpriv", "--reuid=" + rc.USER, "--regid=" + rc.USER, "--init-groups",
                        "env", "-i"] + env_args +
                       ["sh", "-c", "umask 000; exec sudo -k -E /usr/bin/id -un"],
                       {"PATH": "/usr/bin:/bin"})
    term.read_until(rb"expires in \d+ seconds", 10)
    link, number = rc.link_and_number(term.out)
    if link:
        rc.phone(link, number)
    code = term.finish(30)
    return code, term.text()


def can_unshare():
    return subprocess.run(["unshare", "--mount", "--propagation", "private", "true"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0


def main():
    if os.geteuid() != 0 or not os.path.exists("/usr/bin/su") or not shutil.which("setpriv"):
        print("1..0 # SKIP needs root, /usr/bin/su and setpriv")
        return 0
    if not can_unshare():
        print("1..0 # SKIP unshare --mount is not permitted here")
        return 0
    if rc.built_with_sanitizers(rc.MODULE):
        print("1..0 # SKIP the module is built with sanitizers: the real su cannot load it "
              "(the normal build runs this suite)")
        return 0
    stage = rc.Stage()
    trap = ProxyTrap()
    try:
        stage.start_mock()
        stage.start_helper()
        stage.write_module_conf()
        stage.add_user()
        for test in (test_ctrl_c, test_wheel_requisite, test_approved, test_stopped_during_exchange,
                     test_stopped_long_before_the_deadline, test_caller_proxy_ignored,
                     test_low_open_files, test_inherited_descriptors, test_sudo_setenv):
            try:
                test(stage, trap)
            except Exception as e:  # a broken stage must show, not hang
                t.ok(False, test.__name__ + " raised " + type(e).__name__, repr(e))
            mock_post(stage, "/_mock/reset", {})  # no fault outlives its case
        t.eq(trap.connections, 0, "no connection reached the caller's proxy")
    except Exception as e:
        t.ok(False, "stage setup", repr(e))
    finally:
        trap.close()
        for path in (SUDOERS, SUDOERS + ".tmp", SUDO_PAM):
            if os.path.exists(path):
                os.unlink(path)
        stage.cleanup()
    print("1..%d" % t.n)
    return 0 if t.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
