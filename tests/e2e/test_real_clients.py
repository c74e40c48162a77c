#!/usr/bin/env python3
"""pam_dingtalk inside the programs it exists for: OpenSSH's sshd and ssh,
sudo, and login, from Debian's packages, driven through a pty the way a
person would. Emits TAP.

The machine is left as it was found: sshd runs as a copy under its own
name (sshd uses its program name as the PAM service), sudo takes its PAM
service from a sudoers drop-in, login gets its own /etc/pam.d/login only
inside a private mount namespace. The test users, the drop-in and the
service files are removed afterwards, also when a test fails.

Needs root and the packages openssh-server, openssh-client, sudo.
"""
import os
import pty
import pwd
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import openssh_cache

SRC = os.environ.get("DT_SRCDIR", os.path.join(os.path.dirname(__file__), "..", ".."))
MODULE = os.environ.get("DT_PAM_MODULE", os.path.join(SRC, "src/pam/.libs/pam_dingtalk.so"))
CALLBACKD = os.environ.get("DT_CALLBACKD", os.path.join(SRC, "src/callbackd/dingtalk-callbackd"))
CTL = os.path.join(os.environ.get("DT_BUILDDIR", SRC), "src/ctl/dingtalk-ctl")
PY = os.environ.get("PYTHON3", sys.executable)
PHONE = os.path.join(SRC, "tests/mock/phone.py")
MOCK = os.path.join(SRC, "tests/mock/dingtalk_mock.py")
QR_DECODE = os.path.join(SRC, "tests/tools/qr_decode.py")

# Names of their own for each run, so that runs on one machine (CI, a
# developer's tree, a distcheck) never remove each other's user or files.
RUN_ID = os.urandom(3).hex()
USER = "dte2e" + RUN_ID
SSHD_NAME = "sshd-dt-" + RUN_ID
SUDO_SERVICE = "sudo-dt-" + RUN_ID
SUDOERS = "/etc/sudoers.d/zz-dt-e2e-" + RUN_ID
# sshd 10.x takes its PAM service from PAMServiceName: a name of its own.
SSHD10_SERVICE = "sshd10-dt-" + RUN_ID
PAM_FILES = ["/etc/pam.d/" + SSHD_NAME, "/etc/pam.d/" + SUDO_SERVICE, "/etc/pam.d/" + SSHD10_SERVICE]
TIMEOUT = 20  # the module's timeout in this suite

LINK_RE = re.compile(rb"https?://[^\s]+/l/[A-Za-z0-9_-]+")
NUMBER_RE = re.compile(rb"choose the number\D{0,3}(\d{2})")

results = []


def tap(name, ok, diag=""):
    results.append(ok)
    print(("ok" if ok else "not ok") + " %d - %s" % (len(results), name))
    if not ok and diag:
        for line in str(diag).splitlines()[-60:]:
            print("# " + line)
    sys.stdout.flush()


def run(*cmd, check=True, **kw):
    return subprocess.run(cmd, check=check, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kw)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(path, seconds=10):
    end = time.time() + seconds
    while time.time() < end:
        if os.path.exists(path):
            return True
        time.sleep(0.05)
    return False


class Terminal:
    """A program under a pty, read and typed into like a person would."""

    def __init__(self, argv, env=None):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            # A person's terminal delivers Ctrl-C: whatever started the
            # suite (a shell without job control ignores SIGINT and SIGQUIT
            # in background commands, and that is inherited) must not make
            # the program under test deaf to it.
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            signal.signal(signal.SIGQUIT, signal.SIG_DFL)
            os.execvpe(argv[0], argv, env or os.environ)
        self.out = b""
        self.status = None
        self.typed = 0  # bytes sent, for the cases that must need no key

    def read_until(self, pattern, seconds):
        """Reads until `pattern` (bytes regex) matches the whole output, or
        the program ends or the time is up. Returns the match or None."""
        end = time.time() + seconds
        rx = re.compile(pattern, re.S)
        while True:
            m = rx.search(self.out)
            if m:
                return m
            left = end - time.time()
            if left <= 0 or not self._read(left):
                return rx.search(self.out)

    def _read(self, seconds):
        r, _, _ = select.select([self.fd], [], [], min(seconds, 0.5))
        if not r:
            return self.alive()
        try:
            data = os.read(self.fd, 65536)
        except OSError:
            return False
        if not data:
            return False
        self.out += data
        return True

    def alive(self):
        if self.status is not None:
            return False
        pid, status = os.waitpid(self.pid, os.WNOHANG)
        if pid == 0:
            return True
        self.status = status
        return False

    def send(self, text):
        self.typed += len(text)
        os.write(self.fd, text.encode())

    def finish(self, seconds=30):
        """Reads to the end and waits for the exit; returns the exit code,
        or None if the program was still running after `seconds`."""
        end = time.time() + seconds
        while time.time() < end and self._read(end - time.time()):
            pass
        while self.alive() and time.time() < end:
            time.sleep(0.05)
        if self.status is None:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        os.close(self.fd)
        return None if self.status is None else os.waitstatus_to_exitcode(self.status)

    def text(self):
        return self.out.decode("utf-8", "replace").replace("\r", "")


class Stage:
    """The mock, the helper, the test user and the service files."""

    def __init__(self):
        self.work = tempfile.mkdtemp(prefix="dt-e2e.")
        os.chmod(self.work, 0o755)
        self.procs = []
        self.created_user = False

    def start(self):
        self.start_mock()
        self.start_helper()
        self.write_module_conf()
        self.add_user()
        self.write_pam_files()

    def start_mock(self):
        port_file = os.path.join(self.work, "mock.port")
        self.procs.append(subprocess.Popen(
            [PY, MOCK, "--port", "0", "--port-file", port_file],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.work, "mock.log"), "w")))
        if not wait_for(port_file):
            raise RuntimeError("the DingTalk mock did not start")
        self.mock_url = "http://127.0.0.1:" + open(port_file).read().strip()

    def start_helper(self):
        port = free_port()
        self.control = os.path.join(self.work, "run", "control.sock")
        conf = os.path.join(self.work, "callbackd.conf")
        with open(conf, "w") as f:
            f.write("listen = 127.0.0.1:%d\ncontrol = %s\npublic_url = http://127.0.0.1:%d\n"
                    % (port, self.control, port))
        self.helper_log = os.path.join(self.work, "callbackd.log")
        self.procs.append(subprocess.Popen([CALLBACKD, "-c", conf, "-d"],
                                           stdout=subprocess.DEVNULL,
                                           stderr=open(self.helper_log, "w")))
        if not wait_for(self.control):
            raise RuntimeError("dingtalk-callbackd did not start")

    def write_module_conf(self):
        self.map_file = os.path.join(self.work, "pam_dingtalk.map")
        with open(self.map_file, "w") as f:
            f.write("uAlice0000000000000000iEiE  %s\n" % USER)
        os.chmod(self.map_file, 0o644)
        self.conf = os.path.join(self.work, "pam_dingtalk.conf")
        self.write_conf(self.conf)
        # The OpenSSH 10.x service's own, rewritten by its cases (`wait`).
        self.conf10 = os.path.join(self.work, "pam_dingtalk-sshd10.conf")
        self.write_conf(self.conf10)

    def write_conf(self, path, extra=""):
        """The module's configuration plus `extra` lines, replaced at once
        (the module reads it at every login)."""
        with open(path + ".tmp", "w") as f:
            f.write("client_id = dingmockappkey\nclient_secret = mock-secret-0123456789\n"
                    "login_base = %s\napi_base = %s\nhelper = unix:%s\nmap_file = %s\n"
                    "timeout = %d\n%s" % (self.mock_url, self.mock_url, self.control,
                                          self.map_file, TIMEOUT, extra))
        os.chmod(path + ".tmp", 0o600)
        os.rename(path + ".tmp", path)

    def add_user(self):
        self.home = os.path.join(self.work, "home")
        run("useradd", "-M", "-d", self.home, "-s", "/bin/sh", USER)
        self.created_user = True
        os.mkdir(self.home, 0o700)
        shutil.chown(self.home, USER, USER)

    def pam_stack(self, conf=None):
        return ("# written by pam_dingtalk's tests/e2e/test_real_clients.py\n"
                "auth     required %s conf=%s\n"
                "account  required pam_permit.so\n"
                "session  required pam_permit.so\n"
                "password required pam_deny.so\n" % (MODULE, conf or self.conf))

    def write_pam_files(self):
        for path in PAM_FILES:
            with open(path, "w") as f:
                f.write(self.pam_stack(self.conf10 if path.endswith(SSHD10_SERVICE) else None))
        self.login_pam = os.path.join(self.work, "pam-login")
        with open(self.login_pam, "w") as f:
            f.write(self.pam_stack())

    def cleanup(self):
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
        for path in PAM_FILES + [SUDOERS]:
            if os.path.exists(path):
                os.unlink(path)
        if self.created_user:
            run("pkill", "-KILL", "-u", USER, check=False)
            run("userdel", "-f", USER, check=False)
        shutil.rmtree(self.work, ignore_errors=True)


def phone(link, number, person="alice", decision="approve", save_page=None):
    """Scans and approves like a phone would; returns its exit code. With
    save_page, the confirmation page is written to that file."""
    more = ["--save-page", save_page] if save_page else []
    return subprocess.run([PY, PHONE, "--link", link, "--person", person, "--number", str(number),
                           "--decision", decision, "--timeout", "20"] + more,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          env={"PATH": "/usr/bin:/bin"}, timeout=40).returncode


def link_and_number(data):
    links = LINK_RE.findall(data)
    numbers = NUMBER_RE.findall(data)
    if not links or not numbers:
        return None, None
    return links[-1].decode(), int(numbers[-1])


def qr_decodes(text, rendering, double_width=False):
    path = tempfile.mktemp(prefix="dt-qr.")
    with open(path, "w") as f:
        f.write(text)
    argv = [PY, QR_DECODE, "--rendering", rendering] + (["--double-width"] if double_width else [])
    out = subprocess.run(argv + [path], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    os.unlink(path)
    return out.stdout.decode().strip()


# ---------------------------------------------------------------- sshd

class Sshd:
    """Debian's sshd copied under its own name (9.2 takes the PAM service
    from its program name), or with `prefix` an OpenSSH 10.3+ install run
    from there, its service set by PAMServiceName."""

    def __init__(self, stage, prefix=None, service=None):
        self.stage = stage
        work = os.path.join(stage.work, "sshd-" + (service or SSHD_NAME))
        os.mkdir(work)
        os.chmod(work, 0o755)
        self.port = free_port()
        if prefix is None:
            self.binary = os.path.join(work, SSHD_NAME)
            shutil.copy("/usr/sbin/sshd", self.binary)
            extra = ""
        else:
            # sshd 10.x re-executes itself and runs sshd-session and
            # sshd-auth from its libexec, so it runs where it was built for.
            self.binary = os.path.join(prefix, "sbin/sshd")
            # PerSourcePenalties (10.x, on by default) would shut the
            # address out after the refused logins of this suite.
            extra = "PAMServiceName %s\nPerSourcePenalties no\n" % service
        run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", os.path.join(work, "hostkey"))
        self.config = os.path.join(work, "sshd_config")
        with open(self.config, "w") as f:
            f.write("""Port %d
ListenAddress 127.0.0.1
HostKey %s/hostkey
PidFile %s/sshd.pid
UsePAM yes
KbdInteractiveAuthentication yes
PasswordAuthentication no
PubkeyAuthentication no
AuthenticationMethods keyboard-interactive
PermitRootLogin no
LoginGraceTime 60
StrictModes no
LogLevel VERBOSE
""" % (self.port, work, work) + extra)
        os.makedirs("/run/sshd", exist_ok=True)
        self.log = os.path.join(work, "sshd.log")
        self.proc = subprocess.Popen([self.binary, "-D", "-e", "-f", self.config],
                                     stdout=subprocess.DEVNULL, stderr=open(self.log, "w"))
        stage.procs.append(self.proc)
        end = time.time() + 10
        while time.time() < end:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("sshd did not start: " + open(self.log).read())

    def argv(self, ssh="ssh", options=()):
        # `options` first: ssh keeps the first value given for an option.
        # LogLevel=ERROR hides the host key warning, and also what ssh
        # before 10.3 prints of a round without a prompt (its logger, at
        # INFO): the cases about that text give LogLevel=INFO.
        return [ssh, "-F", "/dev/null", "-p", str(self.port)] + list(options) + [
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "PreferredAuthentications=keyboard-interactive",
            "-o", "NumberOfPasswordPrompts=1", "-o", "LogLevel=ERROR",
            USER + "@127.0.0.1", "id", "-un"]

    def env(self, lang):
        return {"PATH": "/usr/bin:/bin", "LANG": lang, "HOME": self.stage.work, "TERM": "xterm"}

    def client(self, lang="C.UTF-8", ssh="ssh", options=()):
        return Terminal(self.argv(ssh, options), self.env(lang))


PROMPT = rb"Press Enter after approving in DingTalk[^\n]*: $"


def ssh_approve(sshd, tap_name):
    term = sshd.client()
    m = term.read_until(PROMPT, 20)
    link, number = link_and_number(term.out)
    if not m or not link:
        tap(tap_name, False, term.text())
        term.finish(5)
        return None
    first = term.text()
    phone(link, number)
    term.send("\n")
    term.read_until(rb"\n" + USER.encode() + rb"\r?\n", 20)
    code = term.finish(20)
    ok = code == 0 and ("\n%s\n" % USER) in term.text()
    tap(tap_name, ok, term.text() + "\nexit %s\n%s" % (code, open(sshd.log).read()[-3000:]))
    return first


def test_sshd(stage):
    sshd = stage.sshd9 = Sshd(stage)

    # Approve: the remote command runs as the user. The QR in the prompt
    # decodes to the short link.
    first = ssh_approve(sshd, "sshd: approve in DingTalk, Enter, the command runs as the user")
    if first is not None:
        link, _ = link_and_number(first.encode())
        tap("sshd: the UTF-8 QR captured from the ssh client decodes to the short link",
            qr_decodes(first, "utf8") == link, first)
        tap("sshd: no escape sequence reaches the ssh client", "\\033" not in first and
            "\x1b" not in first, first)

    # The wrong person is denied.
    term = sshd.client()
    term.read_until(PROMPT, 20)
    link, number = link_and_number(term.out)
    if link:
        phone(link, number, person="bob")
    term.send("\n")
    code = term.finish(30)
    tap("sshd: another person's approval is denied",
        code == 255 and "Permission denied" in term.text(), term.text())

    # r: a new QR (a new session) that works.
    term = sshd.client()
    term.read_until(PROMPT, 20)
    old, _ = link_and_number(term.out)
    term.out = b""
    term.send("r\n")
    term.read_until(PROMPT, 20)
    new, number = link_and_number(term.out)
    if new and new != old:
        phone(new, number)
    term.send("\n")
    code = term.finish(30)
    tap("sshd: r draws a new QR for a new session, which logs in",
        bool(new) and new != old and code == 0 and ("\n%s\n" % USER) in term.text(),
        term.text())

    # a: the same QR in ASCII, which survives a double-width terminal.
    term = sshd.client(lang="C")
    term.read_until(PROMPT, 20)
    term.out = b""
    term.send("a\n")
    term.read_until(PROMPT, 20)
    ascii_text = term.text()
    link, number = link_and_number(term.out)
    tap("sshd: a redraws the QR in ASCII, which decodes to the short link",
        link is not None and qr_decodes(ascii_text, "ascii") == link, ascii_text)
    tap("sshd: the ASCII QR still decodes when block elements would be drawn double width",
        link is not None and qr_decodes(ascii_text, "ascii", double_width=True) == link,
        ascii_text)
    if link:
        phone(link, number)
    term.send("\n")
    code = term.finish(30)
    tap("sshd: the ASCII choice is remembered in the user's home",
        code == 0 and os.path.exists(os.path.join(stage.home, ".pam_dingtalk")), term.text())
    prefs = os.path.join(stage.home, ".pam_dingtalk")
    if os.path.exists(prefs):
        os.unlink(prefs)

    # A client without a UTF-8 locale sees the half blocks as octal escapes:
    # the link and the number are still plain text.
    term = sshd.client(lang="C")
    term.read_until(PROMPT, 20)
    link, number = link_and_number(term.out)
    tap("sshd: with LANG=C the link and the number still arrive as text",
        link is not None and number is not None, term.text())
    term.send("\x03")
    term.finish(10)

    # Timeout: Enter after the module's deadline is a denial.
    term = sshd.client()
    term.read_until(PROMPT, 20)
    time.sleep(TIMEOUT + 1)
    term.send("\n")
    code = term.finish(30)
    log = open(stage.helper_log).read()
    tap("sshd: Enter after the timeout is denied and the session is cancelled",
        code == 255 and "Permission denied" in term.text() and "cancel" in log.lower(),
        term.text() + log[-2000:])


# ---------------------------------------------------------------- sudo

def sudo_terminal(stage, command, more_env=None):
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "TERM": "xterm"}
    env.update(more_env or {})
    return Terminal(["setpriv", "--reuid=" + USER, "--regid=" + USER, "--init-groups",
                     "sudo", "-k"] + command, env)


def test_sudo(stage):
    with open(SUDOERS + ".tmp", "w") as f:
        f.write("# written by pam_dingtalk's tests/e2e/test_real_clients.py\n"
                "Defaults:%s pam_service=%s, !lecture, passwd_tries=1\n"
                "%s ALL=(root) /usr/bin/id\n" % (USER, SUDO_SERVICE, USER))
    os.chmod(SUDOERS + ".tmp", 0o440)
    run("visudo", "-cqf", SUDOERS + ".tmp")
    os.rename(SUDOERS + ".tmp", SUDOERS)

    term = sudo_terminal(stage, ["/usr/bin/id", "-un"])
    term.read_until(rb"expires in \d+ seconds", 20)
    link, number = link_and_number(term.out)
    shown = term.text()
    if link:
        phone(link, number)
    code = term.finish(30)
    tap("sudo: the QR is shown at once, approving runs the command as root",
        code == 0 and "\nroot\n" in term.text(),
        term.text() + "exit %s\n" % code + open(stage.helper_log).read()[-1500:])
    tap("sudo: the prompt names the command being approved",
        "/usr/bin/id -un" in shown, shown)
    tap("sudo: PAM_USER is the invoking user", ("login for %s" % USER) in shown or
        ("approval for %s" % USER) in shown, shown)

    # The phone shows the command sudo will run, as sudo itself names it:
    # a SUDO_COMMAND in the invoking user's environment is theirs to
    # write, and must not dress up the command on the phone.
    term = sudo_terminal(stage, ["/usr/bin/id", "-un"], {"SUDO_COMMAND": "/usr/bin/apt upgrade"})
    term.read_until(rb"expires in \d+ seconds", 20)
    link, number = link_and_number(term.out)
    shown = term.text()
    page_file = os.path.join(stage.work, "confirm.html")
    if link:
        phone(link, number, save_page=page_file)
    code = term.finish(30)
    try:
        with open(page_file, encoding="utf-8") as f:
            page = f.read()
    except OSError:
        page = ""
    row = re.search(r'<tr id="row-command"><th>Command</th><td class="long">(.*?)</td></tr>',
                    page)
    tap("sudo: the confirmation page shows sudo's command, not the caller's SUDO_COMMAND",
        code == 0 and row is not None and row.group(1) == "/usr/bin/id -un" and
        "apt upgrade" not in page, "exit %s\n%s" % (code, page[-1500:]))
    tap("sudo: so does the terminal's first line",
        "to run: /usr/bin/id -un" in shown and "apt upgrade" not in shown, shown)

    term = sudo_terminal(stage, ["/usr/bin/id", "-un"])
    term.read_until(rb"expires in \d+ seconds", 20)
    link, number = link_and_number(term.out)
    if link:
        phone(link, number, decision="refuse")
    code = term.finish(30)
    tap("sudo: a refusal on the phone denies", code == 1 and "\nroot\n" not in term.text(),
        term.text())

    term = sudo_terminal(stage, ["/usr/bin/id", "-un"])
    term.read_until(rb"expires in \d+ seconds", 20)
    time.sleep(0.5)
    started = time.time()
    term.send("\x03")
    code = term.finish(10)
    tap("sudo: Ctrl-C ends the wait at once", code is not None and code != 0 and
        time.time() - started < 5, "exit %s after %.1fs\n%s" % (code, time.time() - started,
                                                              term.text()))


def test_sudo_self_enroll(stage):
    """sudo dingtalk-ctl enroll --self: the identity lands in the invoking
    user's own binding file, told apart by real sudo's SUDO_UID."""
    ctl_conf = os.path.join(stage.work, "ctl.conf")
    with open(stage.conf) as f, open(ctl_conf, "w") as out:
        out.write(f.read() + "map = file userfile\n")
    os.chmod(ctl_conf, 0o600)
    command = [CTL, "--conf", ctl_conf, "enroll", "--self", "--yes"]
    with open(SUDOERS + ".tmp", "w") as f:
        f.write("# written by pam_dingtalk's tests/e2e/test_real_clients.py\n"
                "%s ALL=(root) NOPASSWD: %s\n" % (USER, " ".join(command)))
    os.chmod(SUDOERS + ".tmp", 0o440)
    run("visudo", "-cqf", SUDOERS + ".tmp")
    os.rename(SUDOERS + ".tmp", SUDOERS)
    # SUDO_UID=0 from the user is overridden by sudo itself.
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "TERM": "xterm", "SUDO_UID": "0"}
    term = Terminal(["setpriv", "--reuid=" + USER, "--regid=" + USER, "--init-groups",
                     "sudo", "-n"] + command, env)
    term.read_until(rb"expires in \d+ seconds", 20)
    link, number = link_and_number(term.out)
    if link:
        phone(link, number, person="bob")
    code = term.finish(30)
    binding = os.path.join(stage.home, ".pam_dingtalk_id")
    st = os.lstat(binding) if os.path.exists(binding) else None
    text = open(binding).read() if st is not None else ""
    owned = st is not None and st.st_uid == pwd.getpwnam(USER).pw_uid
    tap("sudo dingtalk-ctl enroll --self: the person is bound in the user's own file",
        code == 0 and "uBob00000000000000000000iEiE" in text and owned,
        term.text() + "exit %s\n" % code)
    os.unlink(SUDOERS)


# ---------------------------------------------------------------- login

def test_login(stage):
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "TERM": "xterm"}
    term = Terminal(["unshare", "-m", "sh", "-c",
                     "mount --bind %s /etc/pam.d/login && exec login %s" % (stage.login_pam, USER)],
                    env)
    term.read_until(rb"expires in \d+ seconds", 20)
    link, number = link_and_number(term.out)
    shown = term.text()
    if link:
        phone(link, number)
    term.read_until(rb"\$ $", 20)
    term.send("id -un; exit\n")
    code = term.finish(20)
    tap("login: the QR at a console login, approved, gives the user's shell",
        link is not None and ("\n%s\n" % USER) in term.text(), term.text() + "exit %s" % code)
    tap("login: the console QR decodes to the short link", link is not None and
        qr_decodes(shown, "utf8") == link, shown)


# ------------------------------------------------- OpenSSH 10.3 and later

# sshd 10.3+ sends each PAM info message at once, as a keyboard-interactive
# round without a prompt (openssh-portable b9a6dd4d): `wait = auto` shows
# the QR there and waits with no prompt. Its clients print such a round
# with a UTF-8-safe printer; Debian's 9.2 client prints it through its
# logger (octal escapes outside UTF-8, nothing with -q), so the module
# turns to the prompt form after `prompt_after` seconds.
PROMPT_AFTER = 5  # the least the module accepts
SSHD10_CHECKS = 15  # the checks test_sshd10 makes; skipped together


def skip_sshd10(reason):
    for _ in range(SSHD10_CHECKS):
        results.append(True)
        print("ok %d # SKIP OpenSSH 10.3+ cases: %s" % (len(results), reason))
    sys.stdout.flush()


class TimedPhone:
    """The phone in the background; `confirmed` becomes the monotonic time
    at which its confirmation was answered (its "POST .../confirm" line)."""

    def __init__(self, link, number, person="alice", delay=0.0):
        self.confirmed = None
        self.proc = subprocess.Popen(
            [PY, PHONE, "--link", link, "--person", person, "--number", str(number),
             "--timeout", str(20 + delay), "--delay", str(delay)], stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env={"PATH": "/usr/bin:/bin"})
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self):
        for line in self.proc.stderr:
            if line.startswith(b"phone: POST ") and self.confirmed is None:
                self.confirmed = time.monotonic()

    def wait(self):
        code = self.proc.wait(40)
        self.thread.join(5)
        return code


def no_key_login(sshd, ssh, name, lang="C.UTF-8"):
    """A login through `ssh` during which nothing is typed: the link and
    the number must show without a prompt, the phone approves, the command
    must run. Returns (shown text, link, ms from confirmation to output)."""
    term = sshd.client(lang=lang, ssh=ssh)
    term.read_until(rb"https?://\S+/l/[A-Za-z0-9_-]+.*choose the number\D{0,3}\d{2}", 20)
    # What the no-prompt round brings with it: the QR after the link.
    term.read_until(rb"\n[^\n]*(?:\xe2\x96\x80){10}", 3)
    shown = term.text()
    link, number = link_and_number(term.out)
    if not link:
        term.finish(5)
        tap(name + ": the link and the number show without a prompt", False,
            shown + open(sshd.log).read()[-2000:])
        return None, None, None
    tap(name + ": the link and the number show without a prompt",
        "Press Enter" not in shown, shown)
    p = TimedPhone(link, number)
    m = term.read_until(rb"\n" + USER.encode() + rb"\r?\n", 20)
    seen = time.monotonic()
    p.wait()
    code = term.finish(20)
    ok = m is not None and code == 0 and term.typed == 0
    tap(name + ": approved on the phone, the command runs with no key pressed", ok,
        term.text() + "\nexit %s\n%s" % (code, open(sshd.log).read()[-3000:]))
    ms = (seen - p.confirmed) * 1000 if ok and p.confirmed is not None else None
    return shown, link, ms


def login_some_way(sshd, options, lang, name):
    """Debian's 9.2 client against sshd 10.x: the person reads the link and
    the number wherever they show (the no-prompt text, or the prompt form
    the module falls back to), approves, and presses Enter only if a
    prompt asks for it."""
    started = time.monotonic()
    term = sshd.client(lang=lang, options=options)
    term.read_until(rb"choose the number\D{0,3}\d{2}", PROMPT_AFTER + 20)
    took = time.monotonic() - started
    link, number = link_and_number(term.out)
    shown = term.text()
    if link:
        phone(link, number)
    if term.read_until(PROMPT + rb"|\n" + USER.encode() + rb"\r?\n", 20) and \
            re.search(PROMPT, term.out):
        term.send("\n")
    code = term.finish(30)
    tap(name, link is not None and code == 0 and ("\n%s\n" % USER) in term.text(),
        term.text() + "\nexit %s\n%s" % (code, open(sshd.log).read()[-2000:]))
    return shown, took


def test_sshd10(stage, prefix):
    sshd = Sshd(stage, prefix=prefix, service=SSHD10_SERVICE)
    ssh10 = os.path.join(prefix, "bin/ssh")
    version = run(ssh10, "-V").stdout.decode().strip()
    print("# OpenSSH under test: %s (%s)" % (version, prefix))

    # wait = poll set explicitly: the module shows and waits, sshd 10.x
    # delivers it at once.
    stage.write_conf(stage.conf10, "wait = poll\n")
    shown, link, ms = no_key_login(sshd, ssh10, "sshd 10 + ssh 10, wait = poll")
    shown = shown or ""
    tap("sshd 10 + ssh 10, wait = poll: the QR in the client's output decodes to the short link",
        link is not None and qr_decodes(shown, "utf8") == link, shown)
    tap("sshd 10: sshd-auth runs the module under the service PAMServiceName names",
        "(%s)" % SSHD10_SERVICE in shown, shown)
    if ms is not None:
        print("# sshd 10 + ssh 10, wait = poll: phone's confirmation -> command output %.0f ms" % ms)

    # The default, wait = auto: the module tells sshd 10.x apart by itself.
    stage.write_conf(stage.conf10, "prompt_after = %d\n" % PROMPT_AFTER)
    shown, link, ms = no_key_login(sshd, ssh10, "sshd 10 + ssh 10, wait = auto")
    shown = shown or ""
    tap("sshd 10 + ssh 10, wait = auto: the QR in the client's output decodes to the short link",
        link is not None and qr_decodes(shown, "utf8") == link, shown)
    qr_at = min([i for i in (shown.find(c) for c in "\u2580\u2584\u2588") if i >= 0] or [-1])
    tap("sshd 10 + ssh 10, wait = auto: the link and the number come first, as ASCII text",
        link is not None and 0 <= shown.find(link) < qr_at and
        "choose the number" in shown[:qr_at], shown)
    if ms is not None:
        print("# sshd 10 + ssh 10, wait = auto: phone's confirmation -> command output %.0f ms" % ms)
    tap("sshd 10 + ssh 10, wait = auto: confirmation to command output within 10 s",
        ms is not None and ms < 10000, "ms = %s" % ms)

    # Debian's 9.2 client: LANG=C escapes the QR, -q hides the no-prompt
    # text altogether; the person still logs in.
    # (LogLevel=INFO, ssh's default: what it prints of such a round goes
    # through its logger.)
    shown, took = login_some_way(sshd, ["-o", "LogLevel=INFO"], "C", "sshd 10 + Debian's ssh 9.2 "
                                 "with LANG=C: the person logs in through the link text")
    link, number = link_and_number(shown.encode())
    tap("sshd 10 + ssh 9.2 with LANG=C: the link and the number are readable text at once, "
        "before any prompt", link is not None and number is not None and took < PROMPT_AFTER and
        "Press Enter" not in shown, shown + "\n(after %.1f s)" % took)
    shown, took = login_some_way(sshd, ["-q"], "C.UTF-8", "sshd 10 + Debian's ssh 9.2 with -q: "
                                 "the person logs in through the prompt form the module falls "
                                 "back to")
    # Nothing can show before the module turns to the prompt form.
    tap("sshd 10 + ssh 9.2 with -q: the prompt form with the link arrives after prompt_after "
        "(%d s)" % PROMPT_AFTER, re.search(PROMPT.decode().rstrip("$"), shown) is not None and
        LINK_RE.search(shown.encode()) is not None and PROMPT_AFTER - 0.5 <= took <
        PROMPT_AFTER + 15, shown + "\n(after %.1f s)" % took)
    print("# sshd 10 + ssh 9.2 -q: the prompt form after %.1f s" % took)

    # BatchMode never offers keyboard-interactive: ssh ends at once.
    started = time.monotonic()
    out = subprocess.run(sshd.argv(ssh10, ["-o", "BatchMode=yes"]), env=sshd.env("C.UTF-8"),
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, timeout=30)
    took = time.monotonic() - started
    text = out.stdout.decode(errors="replace")
    tap("sshd 10 + ssh 10 -o BatchMode=yes: ends within 2 s with \"Permission denied\"",
        out.returncode == 255 and "Permission denied" in text and took < 2,
        "%s\nexit %d after %.1f s" % (text, out.returncode, took))

    # Refused on the phone: denied without a key too.
    stage.write_conf(stage.conf10, "")
    term = sshd.client(ssh=ssh10)
    term.read_until(rb"choose the number\D{0,3}\d{2}", 20)
    link, number = link_and_number(term.out)
    if link:
        phone(link, number, decision="refuse")
    code = term.finish(30)
    tap("sshd 10 + ssh 10: a refusal on the phone is denied with no key pressed",
        link is not None and code == 255 and "Permission denied" in term.text() and
        term.typed == 0, term.text())


# ---------------------------------------------------------------- no one to ask

def ends_fast(argv, env, name, must_say, stdin=subprocess.DEVNULL, setsid=False):
    """Runs a caller that cannot show a QR to anyone: it must end within
    2 s, not run its command, and say why (`must_say`, a regex)."""
    started = time.monotonic()
    try:
        out = subprocess.run(argv, env=env, stdin=stdin, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, timeout=TIMEOUT + 10,
                             start_new_session=setsid)
        code, text = out.returncode, out.stdout.decode(errors="replace")
    except subprocess.TimeoutExpired as e:
        code, text = None, (e.stdout or b"").decode(errors="replace")
    took = time.monotonic() - started
    tap(name, code not in (0, None) and took < 2 and "\nroot\n" not in "\n" + text and
        re.search(must_say, text) is not None and not LINK_RE.search(text.encode()),
        "%s\nexit %s after %.1f s" % (text, code, took))


def write_sudoers(text):
    with open(SUDOERS + ".tmp", "w") as f:
        f.write("# written by pam_dingtalk's tests/e2e/test_real_clients.py\n" + text)
    os.chmod(SUDOERS + ".tmp", 0o440)
    run("visudo", "-cqf", SUDOERS + ".tmp")
    os.rename(SUDOERS + ".tmp", SUDOERS)


# The module's refusal when nobody can be shown a QR (its message catalogue).
NOBODY_TO_SCAN = r"DingTalk login needs a person at a terminal"


def test_noninteractive(stage):
    as_user = ["setpriv", "--reuid=" + USER, "--regid=" + USER, "--init-groups"]
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    rule = "%s ALL=(root) /usr/bin/id\n" % USER
    write_sudoers("Defaults:%s pam_service=%s, !lecture, passwd_tries=1\n" % (USER, SUDO_SERVICE)
                  + rule)
    ends_fast(as_user + ["sudo", "-k", "-n", "/usr/bin/id", "-un"], env,
              "sudo -n: ends within 2 s, the command not run, saying a password is required",
              r"sudo: a password is required")
    # Ansible's become: no terminal at all, stdin from /dev/null.
    ends_fast(as_user + ["sudo", "-k", "/usr/bin/id", "-un"], env,
              "sudo without a terminal (setsid, stdin /dev/null): ends within 2 s and says why",
              NOBODY_TO_SCAN, setsid=True)
    # sudo -n that runs PAM anyway (noninteractive_auth): the module
    # itself must see that nobody can be shown the QR.
    write_sudoers("Defaults:%s pam_service=%s, !lecture, passwd_tries=1, noninteractive_auth\n"
                  % (USER, SUDO_SERVICE) + rule)
    ends_fast(as_user + ["sudo", "-k", "-n", "/usr/bin/id", "-un"], env,
              "sudo -n with noninteractive_auth: the module ends within 2 s and says why",
              NOBODY_TO_SCAN)
    os.unlink(SUDOERS)

    sshd = stage.sshd9
    ends_fast(sshd.argv("ssh", ["-o", "BatchMode=yes"]), sshd.env("C.UTF-8"),
              "ssh -o BatchMode=yes (Debian's 9.2, sshd 9.2): ends within 2 s, "
              "\"Permission denied\"", r"Permission denied")


def built_with_sanitizers(path):
    """A module built with ASan cannot be loaded into the system's own,
    uninstrumented sshd, sudo and login (the ASan runtime must come first);
    the sanitizer build covers the module through pam_wrapper instead."""
    try:
        with open(path, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


def run_sshd10(stage):
    """The OpenSSH 10.3+ cases, with the build the settings name
    (openssh_cache.py): skipped when none is named, failed when the one
    named cannot be used."""
    try:
        prefix, reason = openssh_cache.resolve()
    except openssh_cache.CacheError as e:
        tap("OpenSSH 10.3+ from DT_OPENSSH_PREFIX or DT_OPENSSH_SRC", False, str(e))
        return
    if prefix is None:
        skip_sshd10(reason)
        return
    try:
        test_sshd10(stage, prefix)
    except Exception as e:
        tap("test_sshd10 raised " + type(e).__name__, False, repr(e))


def main():
    if os.geteuid() != 0 or not os.path.exists("/usr/sbin/sshd") or not shutil.which("sudo"):
        print("1..0 # SKIP needs root, openssh-server and sudo")
        return 0
    if built_with_sanitizers(MODULE):
        print("1..0 # SKIP the module is built with sanitizers: real sshd, sudo and login "
              "cannot load it (the normal build runs this suite)")
        return 0
    stage = Stage()
    try:
        stage.start()
        for test in (test_sshd, test_sudo, test_sudo_self_enroll, test_login, test_noninteractive):
            try:
                test(stage)
            except Exception as e:  # a broken stage must show, not hang
                tap(test.__name__ + " raised " + type(e).__name__, False, repr(e))
        run_sshd10(stage)
    except Exception as e:
        tap("stage setup", False, repr(e))
    finally:
        stage.cleanup()
    print("1..%d" % len(results))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
