#!/usr/bin/env python3
"""dingtalk-ctl against the DingTalk mock and a real dingtalk-callbackd
(started by run_ctl_tests.sh), with local users from nss_wrapper. Speaks TAP.

Covers: usage and exit codes, root only, map list|add|remove (backup, mode,
no duplicates, a broken file refused and left alone), enroll by the
administrator (approve, refuse, not confirmed, an inactive person, Ctrl-C),
self-service enroll through sudo's SUDO_UID (binding file owned by the user,
refused where map has no userfile), recovery codes (printed once, only
hashes stored, status, revoke), `test` (an out-of-scope user is ignored, as
the module does), host-key new|list|remove (the secret on stdout only, the
service's key file kept byte for byte, broken or open files refused, its
owner, racing writers), and writers killed mid-way or racing each other: the map
file always parses and loses nothing.
"""

import json
import os
import glob
import random
import re
import shutil
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

WORK = os.environ["DT_WORK"]
CTL = os.environ["DT_CTL"]
PHONE = os.environ["DT_PHONE"]
MOCK = os.environ["DT_MOCK_URL"]
CONTROL = os.environ["DT_CONTROL"]
PY = sys.executable
UNION = {"alice": "uAlice0000000000000000iEiE", "bob": "uBob00000000000000000000iEiE",
         "dave": "uDave00000000000000000000iEiE", "mallory": "uMallory000000000000000iEiE"}
STEP_TIMEOUT = 60
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tap import Tap  # noqa: E402  (tests/tap.py)


T = Tap()


def env_for_ctl(extra=None):
    env = dict(os.environ)
    env["LD_PRELOAD"] = "libnss_wrapper.so" + (" " + env["LD_PRELOAD"] if env.get("LD_PRELOAD") else "")
    env["NSS_WRAPPER_PASSWD"] = os.environ["DT_NSS_PASSWD"]
    env["NSS_WRAPPER_GROUP"] = os.environ["DT_NSS_GROUP"]
    env["LANG"] = "C"
    env.pop("SUDO_UID", None)
    env.update(extra or {})
    return env


def write_conf(name, *extra):
    path = os.path.join(WORK, name + ".conf")
    lines = ["client_id = dingmockappkey", "client_secret = mock-secret-0123456789",
             "login_base = " + MOCK, "api_base = " + MOCK, "oapi_base = " + MOCK,
             "helper = unix:" + CONTROL, "map_file = " + os.path.join(WORK, name + ".map"),
             "recovery_file = " + os.path.join(WORK, name + ".recovery"), "timeout = 30",
             "qr = ascii"] + list(extra)
    with open(path, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    os.chmod(path, 0o600)
    return path


def map_path(conf):
    return conf[:-len(".conf")] + ".map"


def write_map(conf, text):
    path = map_path(conf)
    with open(path, "w") as fh:
        fh.write(text)
    os.chmod(path, 0o644)
    return path


def read(path):
    with open(path) as fh:
        return fh.read()


def ctl(conf, *args, stdin=subprocess.DEVNULL, extra_env=None, timeout=STEP_TIMEOUT):
    cmd = [CTL] + (["--conf", conf] if conf else []) + list(args)
    p = subprocess.run(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=env_for_ctl(extra_env), timeout=timeout, text=True)
    return p.returncode, p.stdout, p.stderr


def with_phone(conf, args, person, decision="approve", stdin_text=None, extra_env=None,
               interrupt=False):
    """Runs a ctl command that shows a QR; the phone reads the terminal."""
    term = tempfile.NamedTemporaryFile("w+", dir=WORK, delete=False, suffix=".term")
    cmd = [CTL, "--conf", conf] + list(args)
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=term, stderr=subprocess.STDOUT,
                            env=env_for_ctl(extra_env), text=True)
    if interrupt:
        deadline = time.monotonic() + 20
        while "number" not in read(term.name) and time.monotonic() < deadline:
            time.sleep(0.1)
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=STEP_TIMEOUT)
        return proc.returncode, read(term.name), time.monotonic() - started
    phone = subprocess.run([PY, PHONE, "--number-from", term.name, "--person", person,
                            "--decision", decision, "--timeout", "30"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=STEP_TIMEOUT)
    proc.communicate(input=stdin_text, timeout=STEP_TIMEOUT)
    out = read(term.name)
    os.unlink(term.name)
    return proc.returncode, out, phone.stdout + phone.stderr


# ------------------------------------------------------------------ usage

def test_usage():
    rc, out, _ = ctl(None, "--help")
    T.ok(rc == 0 and "enroll --user USER" in out, "--help prints the commands, exit 0")
    test_help_lists_every_command(out)
    T.ok(ctl(None)[0] == 2, "no command: exit 2")
    rc, _, err = ctl(None, "frobnicate")
    T.ok(rc == 2 and "unknown command" in err, "an unknown command: exit 2", err)
    conf = write_conf("usage")
    rc, _, err = ctl(conf, "enroll")
    T.ok(rc == 2 and "--user USER or --self" in err, "enroll needs --user or --self", err)
    if os.geteuid() == 0:
        rc, _, err = ctl(conf, "enroll", "--user", "../etc")
        T.ok(rc == 2 and "not a user name" in err, "enroll refuses an odd user name", err)
    else:
        T.skip(1, "needs root: enroll checks the caller before the user name")
    rc, _, err = ctl(conf, "recovery", "--user", "dtuser", "--count", "0")
    T.ok(rc == 2, "recovery --count 0: exit 2", err)
    rc, _, err = ctl(conf, "map", "frob")
    T.ok(rc == 2, "map frob: exit 2", err)


def test_help_lists_every_command(help_text):
    """Every command main.c dispatches, and every ctl_cmd_ handler ctl.h
    declares, has a line of its own in --help; and every command --help
    names is one main.c knows (not "unknown command")."""
    src = os.path.join(os.environ["DT_SRCDIR"], "src", "ctl")
    table = re.findall(r'\{"([a-z-]+)",\s*ctl_cmd_(\w+)', read(os.path.join(src, "main.c")))
    handlers = re.findall(r"^int ctl_cmd_(\w+)\(", read(os.path.join(src, "ctl.h")), re.M)
    listed = set(re.findall(r"^  ([a-z-]+) ", help_text.split("Options:")[0], re.M))
    dispatched = {name for name, _ in table}
    # A handler is named after its command, without the dash.
    missing = (dispatched | {h for h in handlers
                             if h not in {n.replace("-", "") for n in listed}}) - listed
    T.ok(len(table) >= 5 and set(handlers) <= {h for _, h in table} and not missing,
         "--help lists every command dispatched (%s)" % " ".join(sorted(dispatched)),
         "not in --help: %s; table %s; handlers %s" % (sorted(missing), table, handlers))
    # A bad option: each command refuses it itself, none runs.
    unknown = [v for v in sorted(listed)
               if "unknown command" in ctl(None, v, "--no-such-option")[2]]
    T.ok(listed and not unknown, "every command --help lists is dispatched",
         "unknown: %s" % unknown)


def test_root_only():
    conf = write_conf("rootonly")
    # As root, the caller becomes uid 65534; a caller that is not root
    # already is one.
    drop = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    p = subprocess.run((drop if os.geteuid() == 0 else []) + [CTL,
                        "--conf", conf, "map", "list"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=STEP_TIMEOUT)
    T.ok(p.returncode == 1 and "must run as root" in p.stderr, "a non-root caller is refused",
         p.stderr)


def test_bad_config():
    conf = write_conf("badconf", "clientid = typo")
    rc, _, err = ctl(conf, "map", "list")
    T.ok(rc == 3 and "badconf.conf:" in err and "clientid" in err,
         "a wrong config line names the file, line and key (exit 3)", err)


# -------------------------------------------------------------------- map

def test_map_edit():
    conf = write_conf("edit")
    path = write_map(conf, "# the map\nuAlice0000000000000000iEiE alice\n\nuBob1 bob\n")
    rc, out, err = ctl(conf, "map", "list")
    T.ok(rc == 0 and re.search(r"uAlice\S+\s+alice\n", out) and "uBob1" in out,
         "map list shows each binding", out + err)
    rc, out, _ = ctl(conf, "map", "list", "--user", "bob")
    T.ok(rc == 0 and "uBob1" in out and "alice" not in out, "map list --user filters", out)
    before = read(path)
    rc, out, err = ctl(conf, "map", "add", "--user", "dtuser", "--union-id", "uNew1")
    after = read(path)
    T.ok(rc == 0 and after == before + "uNew1\tdtuser\n", "map add appends a line", after + err)
    T.ok(read(path + ".bak") == before, "the previous file is kept as .bak")
    st = os.stat(path)
    T.ok(stat.S_IMODE(st.st_mode) == 0o644 and st.st_uid == 0, "the new file is root's, 0644")
    rc, out, _ = ctl(conf, "map", "add", "--user", "dtuser", "--union-id", "uNew1")
    T.ok(rc == 0 and "already" in out and read(path) == after, "adding twice changes nothing",
         out)
    rc, _, _ = ctl(conf, "map", "add", "--user", "alice-admin", "--union-id",
                   "uAlice0000000000000000iEiE")
    T.ok(rc == 0 and "uAlice0000000000000000iEiE alice alice-admin\n" in read(path),
         "a second account joins the identity's line")
    rc, out, _ = ctl(conf, "map", "remove", "--user", "dtuser")
    T.ok(rc == 0 and "uNew1" not in read(path) and "# the map\n" in read(path),
         "map remove drops the binding, comments stay", out)
    rc, _, err = ctl(conf, "map", "remove", "--user", "dtuser")
    T.ok(rc == 1 and "no binding" in err, "removing what is not there: exit 1", err)
    rc, _, err = ctl(conf, "map", "add", "--user", "dtuser", "--union-id", "has space")
    T.ok(rc != 0 and "uNew1" not in read(path), "a unionId with a space is refused", err)


def test_map_broken_file_left_alone():
    conf = write_conf("broken")
    text = "uAlice0000000000000000iEiE alice\nlonely-id\n"
    path = write_map(conf, text)
    rc, _, err = ctl(conf, "map", "add", "--user", "bob", "--union-id", "uBob1")
    T.ok(rc == 3 and "broken.map:2" in err and read(path) == text,
         "a broken map file is refused with its line and left as it was", err)
    os.chmod(path, 0o666)
    rc, _, err = ctl(conf, "map", "add", "--user", "bob", "--union-id", "uBob1")
    T.ok(rc == 3 and read(path) == text, "a world-writable map file is refused", err)
    os.chmod(path, 0o644)


# ----------------------------------------------------------------- enroll

def test_enroll_admin():
    conf = write_conf("enroll")
    path = write_map(conf, "# enrolled here\n")
    rc, out, phone = with_phone(conf, ["enroll", "--user", "dtuser", "--yes"], "bob")
    T.ok(rc == 0 and read(path) == "# enrolled here\n%s\tdtuser\n" % UNION["bob"],
         "enroll --user: the approving person's unionId now serves the user",
         out[-1500:] + phone[-800:])
    T.ok("Bob Li" in out and UNION["bob"] in out, "enroll shows who DingTalk named", out[-600:])
    rc, out, phone = with_phone(conf, ["enroll", "--user", "dtuser", "--yes"], "bob")
    T.ok(rc == 0 and read(path).count(UNION["bob"]) == 1 and "already" in out,
         "enrolling the same person again adds no duplicate", out[-400:])
    before = read(path)
    rc, out, phone = with_phone(conf, ["enroll", "--user", "dtuser", "--yes"], "alice",
                                decision="refuse")
    T.ok(rc == 1 and read(path) == before, "refused on the phone: exit 1, map unchanged",
         out[-600:])
    rc, out, phone = with_phone(conf, ["enroll", "--user", "dtuser"], "alice", stdin_text="n\n")
    T.ok(rc == 1 and read(path) == before and "not confirmed" in out,
         "not confirmed at the terminal: map unchanged", out[-600:])
    rc, out, phone = with_phone(conf, ["enroll", "--user", "dtuser"], "alice", stdin_text="y\n")
    T.ok(rc == 0 and UNION["alice"] in read(path), "confirmed with y: enrolled", out[-600:])


def test_enroll_directory_rules():
    conf = write_conf("enrolldir", "directory = yes", "require_active = yes")
    path = write_map(conf, "")
    rc, out, _ = with_phone(conf, ["enroll", "--user", "dtuser", "--yes"], "dave")
    T.ok(rc == 1 and read(path) == "" and "active" in out,
         "a person the directory calls inactive is not enrolled", out[-600:])


def test_enroll_interrupted():
    conf = write_conf("enrollint")
    path = write_map(conf, "")
    rc, out, took = with_phone(conf, ["enroll", "--user", "dtuser", "--yes"], "bob",
                               interrupt=True)
    T.ok(rc != 0 and took < 5 and read(path) == "",
         "Ctrl-C while waiting ends enroll within 5 s (%.1f s), map unchanged" % took, out[-400:])


def test_enroll_self():
    conf = write_conf("self", "map = file userfile")
    home = os.path.join(WORK, "home", "dtself")
    binding = os.path.join(home, ".pam_dingtalk_id")
    rc, _, err = ctl(conf, "enroll", "--self", "--yes")
    T.ok(rc == 3 and "sudo" in err, "enroll --self outside sudo is refused", err)
    rc, out, phone = with_phone(conf, ["enroll", "--self", "--yes"], "bob",
                                extra_env={"SUDO_UID": "2002"})
    ok = os.path.exists(binding)
    st = os.lstat(binding) if ok else None
    T.ok(rc == 0 and ok and UNION["bob"] in read(binding),
         "enroll --self (SUDO_UID) writes the person to the user's binding file",
         out[-800:] + phone[-400:])
    T.ok(st is not None and st.st_uid == 2002 and stat.S_IMODE(st.st_mode) == 0o600,
         "the binding file is the user's own, mode 0600")
    # A symlink planted in its place is replaced, its target untouched.
    target = os.path.join(WORK, "precious")
    with open(target, "w") as fh:
        fh.write("keep\n")
    os.unlink(binding)
    os.symlink(target, binding)
    rc, out, _ = with_phone(conf, ["enroll", "--self", "--yes"], "bob",
                            extra_env={"SUDO_UID": "2002"})
    T.ok(rc == 0 and read(target) == "keep\n" and not os.path.islink(binding),
         "a symlinked binding file is replaced, not followed", out[-400:])
    conf2 = write_conf("selfnouserfile")
    rc, _, err = ctl(conf2, "enroll", "--self", "--yes", extra_env={"SUDO_UID": "2002"})
    T.ok(rc == 3 and "userfile" in err, "enroll --self where map has no userfile is refused",
         err)
    rc, _, err = ctl(conf, "enroll", "--self", "--yes", extra_env={"SUDO_UID": "0"})
    T.ok(rc == 3, "SUDO_UID=0 is not a user to enroll for", err)


# --------------------------------------------------------------- recovery

def test_recovery():
    conf = write_conf("rec")
    path = conf[:-len(".conf")] + ".recovery"
    rc, out, err = ctl(conf, "recovery", "--user", "dtuser", "--count", "4")
    codes = re.findall(r"^  ([0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4})$", out, re.M)
    T.ok(rc == 0 and len(codes) == 4 and len(set(codes)) == 4, "recovery prints 4 new codes",
         out + err)
    text = read(path)
    T.ok(stat.S_IMODE(os.stat(path).st_mode) == 0o600 and text.count("dtuser\tpbkdf2-sha256$")
         == 4 and not any(c in text or c.replace("-", "") in text for c in codes),
         "the file is root-only and holds hashes, not codes", text)
    rc, out, _ = ctl(conf, "recovery", "--user", "dtuser", "--status")
    T.ok(rc == 0 and "4 recovery code(s) left" in out, "--status counts them", out)
    rc, out, _ = ctl(conf, "recovery", "--user", "dtuser", "--revoke")
    rc2, out2, _ = ctl(conf, "recovery", "--user", "dtuser", "--status")
    T.ok(rc == 0 and "0 recovery code(s)" in out2, "--revoke removes them", out + out2)
    rc, _, err = ctl(conf, "recovery", "--user", "nosuchuser")
    T.ok(rc == 1 and "no local user" in err, "codes for a user that does not exist: refused",
         err)


# ------------------------------------------------------------------- test

def test_test_command():
    conf = write_conf("testcmd")
    write_map(conf, "%s bob\n" % UNION["bob"])
    rc, out, _ = with_phone(conf, ["test", "--user", "bob"], "bob")
    T.ok(rc == 0 and "may log in as bob" in out, "test: the bound person passes", out[-500:])
    rc, out, _ = with_phone(conf, ["test", "--user", "bob"], "alice")
    T.ok(rc == 1 and "may log in" not in out, "test: someone else is denied", out[-500:])
    # The user's own binding file (written by test_enroll_self), read as
    # that user: bob is bound to dtself there, alice is not.
    uconf = write_conf("testuser", "map = userfile")
    rc, out, _ = with_phone(uconf, ["test", "--user", "dtself"], "bob")
    T.ok(rc == 0 and "may log in as dtself" in out,
         "test: a binding file read as its owner lets the bound person in", out[-500:])
    rc, out, _ = with_phone(uconf, ["test", "--user", "dtself"], "alice")
    T.ok(rc == 1 and "may log in" not in out,
         "test: a binding file that names someone else refuses", out[-500:])
    # Out of the module's scope, the module returns PAM_IGNORE: neither let
    # in nor refused, and no QR code. The same rules, said the same way.
    for key in ("skip_groups = bob", "only_groups = dtuser"):
        sconf = write_conf("testscope", key)
        write_map(sconf, "%s bob\n" % UNION["bob"])
        rc, out, err = ctl(sconf, "test", "--user", "bob")
        T.ok(rc == 1 and re.search(r"^IGNORED: user bob is out of scope \(", out, re.M) and
             "PAM_IGNORE" in out and "denied" not in (out + err).lower() and
             "number" not in out,
             "test: a user out of scope (%s) is ignored, not denied, and sees no QR" % key,
             out + err)


# ----------------------------------------------------------------- doctor

def doctor_stage():
    pamd = os.path.join(WORK, "pam.d")
    os.makedirs(pamd, exist_ok=True)
    with open(os.path.join(pamd, "sshd"), "w") as fh:
        fh.write("# pam_dingtalk.so in a comment does not count\n"
                 "auth required pam_dingtalk.so\n")
    with open(os.path.join(pamd, "common-auth"), "w") as fh:
        fh.write("auth sufficient pam_dingtalk.so\n")
    key = os.path.join(WORK, "hostkey")
    if not os.path.exists(key):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key],
                       check=True, timeout=STEP_TIMEOUT)
    sshd = os.path.join(WORK, "sshd_config")
    with open(sshd, "w") as fh:
        fh.write("HostKey %s\nUsePAM yes\nKbdInteractiveAuthentication no\n"
                 "LoginGraceTime 20\n" % key)
    return ["--pam-dir", pamd, "--sshd-config", sshd]


def test_doctor():
    stage = doctor_stage()
    conf = write_conf("doc", "token_cache = " + os.path.join(WORK, "doc.token"))
    write_map(conf, "%s bob\n" % UNION["bob"])
    rc, out, err = ctl(conf, "doctor", *stage)
    T.ok(rc == 0 and re.search(r"^ok +helper", out, re.M) and
         re.search(r"^ok +dingtalk +client_id dingmockappkey: credentials accepted", out, re.M)
         and re.search(r"^ok +map .*1 binding", out, re.M),
         "doctor: helper, DingTalk credentials and the map check out (exit 0)", out + err)
    T.ok(re.search(r"^warn +pam .*common-auth calls pam_dingtalk.so", out, re.M) and
         re.search(r"^ok +pam +used by: .*sshd", out, re.M),
         "doctor lists the services using the module and warns about common-auth", out)
    have_sshd = any(os.access(os.path.join(d, "sshd"), os.X_OK)
                    for d in ("/usr/sbin", "/usr/bin", "/sbin"))
    T.ok(not have_sshd or (re.search(r"^warn +sshd +KbdInteractiveAuthentication is no", out,
                                     re.M) and
                           re.search(r"^warn +sshd +LoginGraceTime 20s is not above timeout = "
                                     r"30 \+ 10 s for the code exchange", out, re.M)),
         "doctor reads sshd -T: keyboard-interactive off and a short LoginGraceTime", out)
    bad = write_conf("docbad", "client_secret = wrong-secret",
                     "helper = unix:" + os.path.join(WORK, "absent.sock"),
                     "token_cache = " + os.path.join(WORK, "docbad.token"))
    write_map(bad, "lonely\n")
    rc, out, _ = ctl(bad, "doctor", *stage)
    T.ok(rc == 1 and re.search(r"^FAIL +helper .*absent.sock", out, re.M) and
         re.search(r"^FAIL +dingtalk .*client_secret", out, re.M) and
         re.search(r"^FAIL +map .*docbad.map:1", out, re.M) and "3 failed" in out,
         "doctor names each failure and what to fix (exit 1)", out)
    rc, out, _ = ctl(write_conf("docconf", "timeout = 5"), "doctor", *stage)
    T.ok(rc == 3 and re.search(r"^FAIL +config .*timeout", out, re.M),
         "doctor: a bad config value fails at once (exit 3)", out)


def mock_admin(path, body):
    req = urllib.request.Request(MOCK + path, method="POST", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=STEP_TIMEOUT).read()


def mock_permissions(*granted):
    mock_admin("/_mock/permissions", {"granted": list(granted)})


ALL_PERMISSIONS = ("Contact.User.Read", "qyapi_get_member", "qyapi_ext_read", "email", "mobile")


def test_doctor_permissions():
    """doctor asks the directory APIs about a made-up person to learn whether
    the app holds their permissions, and names the ones it cannot ask."""
    stage = doctor_stage()
    conf = write_conf("docperm", "directory = yes", "allow_external = yes",
                      "map = file directory:email", "email_domain = example.com",
                      "token_cache = " + os.path.join(WORK, "docperm.token"))
    write_map(conf, "%s bob\n" % UNION["bob"])
    rc, out, err = ctl(conf, "doctor", *stage)
    T.ok(re.search(r"^ok +permission +成员信息读权限 \(qyapi_get_member: read member "
                   r"information\): granted", out, re.M) and
         re.search(r"^ok +permission +企业外部联系人读权限 \(qyapi_ext_read: read external "
                   r"contacts\): granted", out, re.M) and
         re.search(r"^warn +permission +通讯录个人信息读权限 \(Contact.User.Read: .*cannot be "
                   r"asked without a person", out, re.M) and
         re.search(r"^warn +permission +邮箱等个人信息 .*map = directory:email needs it", out,
                   re.M) and "FAIL" not in out,
         "doctor: the directory permissions granted, the others named", out + err)
    mock_permissions("Contact.User.Read", "email")
    try:
        rc, out, err = ctl(conf, "doctor", *stage)
    finally:
        mock_permissions(*ALL_PERMISSIONS)
    T.ok(rc == 1 and
         re.search(r"^FAIL +permission +DingTalk topapi/user/getbyunionid: errcode 60011 "
                   r".*the app lacks the permission 成员信息读权限 \(qyapi_get_member", out,
                   re.M) and
         re.search(r"^FAIL +permission +DingTalk topapi/extcontact/get: errcode 60011 .*"
                   r"企业外部联系人读权限 \(qyapi_ext_read", out, re.M),
         "doctor: a missing directory permission fails, naming it (exit 1)", out + err)
    # 400002 (a unionId DingTalk cannot read) also means the call got past
    # the permission check; any other failure is reported as it is.
    mock_admin("/_mock/fault", {"endpoint": "getbyunionid", "mode": "error", "count": 1,
                                "errcode": 400002, "errmsg": "无效的参数"})
    mock_admin("/_mock/fault", {"endpoint": "extcontact_get", "mode": "error", "count": 1,
                                "errcode": 60020, "errmsg": "访问ip不在白名单之中"})
    try:
        rc, out, err = ctl(conf, "doctor", *stage)
    finally:
        mock_admin("/_mock/fault", {"endpoint": "*", "mode": "none"})
    T.ok(rc == 1 and
         re.search(r"^ok +permission +成员信息读权限 .*: granted", out, re.M) and
         re.search(r"^FAIL +permission +DingTalk topapi/extcontact/get: errcode 60020 .*"
                   r"egress IP", out, re.M),
         "doctor: 400002 proves the permission, another failure is reported as it is", out + err)


def built_openssh_10():
    """An OpenSSH 10.3+ the real-client suite built into its cache, or None."""
    cache = os.environ.get("DT_CACHE_DIR", "/var/cache/pam_dingtalk-tests")
    for sshd in sorted(glob.glob(os.path.join(cache, "openssh-*", "sbin", "sshd"))):
        out = subprocess.run([sshd, "-V"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, timeout=STEP_TIMEOUT).stdout
        m = re.match(r"OpenSSH_(\d+)\.(\d+)", out)
        if m and (int(m.group(1)), int(m.group(2))) >= (10, 3):
            return sshd
    return None


def test_doctor_ssh_wait():
    """doctor says which wait sshd logins get: from sshd -V and the version
    compiled into the program that calls PAM; it recommends the override
    when it cannot be sure or when the configuration contradicts sshd."""
    stage = doctor_stage()
    sshd_config = stage[stage.index("--sshd-config") + 1]
    conf = write_conf("docwait", "token_cache = " + os.path.join(WORK, "docwait.token"))
    write_map(conf, "%s bob\n" % UNION["bob"])
    debian = "/usr/sbin/sshd"
    if os.access(debian, os.X_OK):
        rc, out, _ = ctl(conf, "doctor", *stage)
        T.ok(re.search(r"^ok +sshd-wait +/usr/sbin/sshd -V: OpenSSH_\d+\.\d+.*/usr/sbin/sshd: "
                       r"OpenSSH_[^ ]+.*sshd logins get wait = (enter|poll)", out, re.M),
             "doctor reports sshd -V, the program's own version and the wait it gives", out)
        older = re.search(r"sshd logins get wait = enter", out)
        poll = write_conf("docwaitpoll", "token_cache = " + os.path.join(WORK, "dw.token"),
                          "[service sshd]", "wait = poll")
        write_map(poll, "%s bob\n" % UNION["bob"])
        rc, out, _ = ctl(poll, "doctor", *stage)
        T.ok(not older or re.search(r"^warn +sshd-wait .*wait = poll for service sshd, but this "
                                    r"sshd holds info messages until a prompt.*set wait = auto",
                                    out, re.M),
             "doctor warns when [service sshd] wait = poll meets an sshd before 10.3", out)
    else:
        T.skip(2, "no /usr/sbin/sshd")
    rc, out, _ = ctl(conf, "doctor", "--sshd", "/bin/echo", *stage)
    T.ok(re.search(r"^ok +sshd-wait +/bin/echo -V: no version; /bin/echo names no OpenSSH "
                   r"version \(prompt kept\): sshd logins get wait = enter", out, re.M),
         "doctor: a program that names no OpenSSH keeps the prompt", out)
    edge = write_conf("docwaitedge", "token_cache = " + os.path.join(WORK, "dwe.token"),
                      "timeout = 60", "prompt_after = 45")
    write_map(edge, "%s bob\n" % UNION["bob"])
    rc, out, _ = ctl(edge, "doctor", "--sshd", "/bin/echo", *stage)
    T.ok(re.search(r"^ok +sshd-wait .*prompt", out, re.M) and "prompt-after" not in out,
         "doctor: prompt_after = timeout - 15 s is no warning", out)
    late = write_conf("docwaitlate", "token_cache = " + os.path.join(WORK, "dwl.token"),
                      "timeout = 60", "prompt_after = 46")
    write_map(late, "%s bob\n" % UNION["bob"])
    rc, out, _ = ctl(late, "doctor", "--sshd", "/bin/echo", *stage)
    T.ok(re.search(r"^warn +prompt-after +service echo: prompt_after = 46 s leaves less than "
                   r"15 s of timeout = 60 s for the prompt; logins cut it to 45 s: set "
                   r"prompt_after to at most 45 in .*docwaitlate", out, re.M),
         "doctor warns when prompt_after leaves too little of the timeout for the prompt", out)
    sshd10 = built_openssh_10()
    if sshd10 is None:
        T.skip(2, "no OpenSSH 10.3+ built in the cache (tests/e2e builds one)")
        return
    rc, out, _ = ctl(conf, "doctor", "--sshd", sshd10, *stage)
    T.ok(re.search(r"^ok +sshd-wait .*-V: OpenSSH_1\d\.\d+p\d.*sshd-session: OpenSSH_.*"
                   r"sshd logins get wait = poll", out, re.M),
         "doctor: an OpenSSH 10.3+ sshd gives wait = poll", out)
    # sshd -V says 10.3+, but the program that calls PAM names two versions.
    session = os.path.join(WORK, "sshd-session-two-versions")
    shutil.copy(os.path.join(os.path.dirname(os.path.dirname(sshd10)), "libexec", "sshd-session"),
                session)
    # Planted in .rodata, where the module reads (sshd_version.c): the
    # first bytes of the section, clear of the real string.
    plant_in_rodata(session, b"\0OpenSSH_9.2p1\0")
    with open(sshd_config, "a") as fh:
        fh.write("SshdSessionPath %s\n" % session)
    rc, out, _ = ctl(conf, "doctor", "--sshd", sshd10, *stage)
    T.ok(re.search(r"^warn +sshd-wait .*names several OpenSSH versions.*keep the prompt.*set "
                   r"wait = poll in \[service sshd\]", out, re.M),
         "doctor recommends the override when it cannot tell the version for sure", out)


def plant_in_rodata(path, text):
    """Overwrites the start of the ELF64 program's .rodata section with
    `text` (a copy of sshd-session that is read, never run)."""
    with open(path, "r+b") as fh:
        data = fh.read()
        shoff, = struct.unpack_from("<Q", data, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3a)
        sections = [struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize)
                    for i in range(shnum)]
        names_off = sections[shstrndx][4]
        for name, _type, _flags, _addr, offset, size in sections:
            end = data.index(b"\0", names_off + name)
            if data[names_off + name:end] == b".rodata":
                real = data.find(b"OpenSSH_", offset, offset + size)
                at = offset if real < 0 or real >= offset + len(text) + 8 else real + 64
                fh.seek(at)
                fh.write(text)
                return
    raise RuntimeError("%s has no .rodata" % path)


def start_fake_fleet(keys_text, *replicas):
    """fake_fleet.py (tests/pam) with these replicas; returns the process
    and each replica's URL by name."""
    fleet = tempfile.mkdtemp(dir=WORK, prefix="fleet.")
    ca = os.path.dirname(os.environ["DT_TEST_CA"])
    for name in ("server.pem", "server.key"):
        with open(os.path.join(ca, name), "rb") as src, \
                open(os.path.join(fleet, name), "wb") as dst:
            dst.write(src.read())
    keys = os.path.join(fleet, "host-keys")
    with open(keys, "w") as fh:
        fh.write(keys_text)
    args = [PY, os.environ["DT_FAKE_FLEET"], "--control", CONTROL, "--host-keys", keys,
            "--dir", fleet]
    for r in replicas:
        args += ["--replica", r]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                            stderr=open(os.path.join(fleet, "fleet.log"), "w"))
    urls = {}
    deadline = time.monotonic() + 20
    for r in replicas:
        name = r.split(":")[0]
        port = os.path.join(fleet, name + ".port")
        while not os.path.exists(port) and time.monotonic() < deadline:
            time.sleep(0.1)
        urls[name] = "https://127.0.0.1:" + read(port).strip()
    return proc, urls


def test_doctor_fleet():
    """doctor on a fleet host: the key file, the CA, and each replica asked
    one signed request that changes nothing."""
    stage = doctor_stage()
    secret = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
    key = os.path.join(WORK, "fleet.hostkey")
    with open(key, "w") as fh:
        fh.write("h-doc %s\n" % secret)
    os.chmod(key, 0o600)
    proc, urls = start_fake_fleet("h-doc %s %s\n" % (os.uname().nodename, secret),
                                  "a:ok", "skewed:skew:120")
    try:
        sock = subprocess.run([PY, "-c", "import socket; s = socket.socket(); "
                               "s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"],
                              stdout=subprocess.PIPE, text=True, check=True).stdout.strip()
        dead = "https://127.0.0.1:" + sock
        conf = write_conf("docfleet", "token_cache = " + os.path.join(WORK, "docfleet.token"),
                          "helper = %s, %s %s" % (urls["a"], urls["skewed"], dead),
                          "helper_ca_file = " + os.environ["DT_TEST_CA"],
                          "helper_key_file = " + key)
        write_map(conf, "%s bob\n" % UNION["bob"])
        rc, out, err = ctl(conf, "doctor", *stage)
        T.ok(rc == 1 and re.search(r"^ok +host key +%s: key id h-doc, owner uid 0, mode 0600"
                                   % re.escape(key), out, re.M) and
             re.search(r"^ok +helper CA +%s" % re.escape(os.environ["DT_TEST_CA"]), out, re.M),
             "doctor on a fleet host: the key file (owner, mode, key id) and the CA", out + err)
        T.ok(re.search(r"^ok +helper +%s answers a signed request from key h-doc \(instance "
                       % re.escape(urls["a"]), out, re.M) and
             re.search(r"^FAIL +helper +%s: .*error_code stale.*check this host's clock and NTP"
                       % re.escape(urls["skewed"]), out, re.M) and
             re.search(r"^FAIL +helper +%s: .*Couldn't connect" % re.escape(dead), out, re.M)
             and secret not in out + err,
             "doctor asks each replica: one answers, a 401 names its cause, a dead one fails",
             out + err)
        rc, out, _ = ctl(write_conf("docnokey", "helper = " + urls["a"],
                                    "helper_key_file = " + os.path.join(WORK, "absent.hostkey")),
                         "doctor", *stage)
        T.ok(rc == 3 and re.search(r"^FAIL +config +helper_key_file .*absent.hostkey", out, re.M),
             "doctor: a fleet host without its key file fails at once, naming it (exit 3)", out)
    finally:
        proc.kill()
        proc.wait()
# --------------------------------------------------------------- host-key

KEY_LINE = re.compile(r"^([A-Za-z0-9._-]{1,64}) ([!-~]{1,256}) ([A-Za-z0-9_-]{43})"
                      r"( created=\d{4}-\d\d-\d\d)?$")


def host_keys(path):
    """{key id: (host, secret, created)} of a service key file."""
    keys = {}
    for line in lines_of(read(path)):
        m = KEY_LINE.match(line)
        if not m:
            raise AssertionError("not a key line: %r" % line)
        keys[m.group(1)] = (m.group(2), m.group(3), (m.group(4) or "")[len(" created="):])
    return keys


def new_key(path, host, *extra):
    return ctl(None, "host-key", "new", host, "--keys", path, *extra)


def test_host_key_new():
    path = os.path.join(WORK, "hk-new", "host-keys")
    os.makedirs(os.path.dirname(path), mode=0o755)
    rc, out, err = new_key(path, "web-01.example.com")
    lines = out.splitlines()
    keys = host_keys(path)
    ok = rc == 0 and len(lines) == 2 and len(keys) == 1
    kid, secret = (lines[0].split(" ") + ["", ""])[:2] if lines else ("", "")
    T.ok(ok and kid in keys and keys[kid][0] == "web-01.example.com" and keys[kid][1] == secret,
         "host-key new: stdout holds the key id and the secret the service's file holds",
         "rc=%d out=%r err=%r keys=%r" % (rc, out, err, keys))
    T.ok(kid.startswith("web-01.example.com.") and re.fullmatch(r"[A-Za-z0-9._-]+", kid)
         and keys.get(kid, ("", "", ""))[2] == time.strftime("%Y-%m-%d", time.gmtime()),
         "the key id starts with the host's name; the line says when it was made", kid)
    T.ok(len(lines) == 2 and lines[1].startswith("#") and
         "/etc/security/pam_dingtalk.hostkey" in lines[1] and "0600" in lines[1],
         "the second line (a comment) says where the host keeps it", out)
    st = os.stat(path)
    T.ok(stat.S_IMODE(st.st_mode) == 0o600 and st.st_uid == 0 and
         sorted(os.listdir(os.path.dirname(path))) == ["host-keys", "host-keys.lock"],
         "the file is created root's, mode 0600; no temporary file or backup is left",
         "%o %d %r" % (st.st_mode, st.st_uid, os.listdir(os.path.dirname(path))))
    T.ok(secret and secret not in err and kid in err, "the secret is on stdout only", err)
    # A second key for the host (a rotation), the first kept.
    with open(path, "a") as fh:
        fh.write("# kept as it is\n")
    rc, out2, _ = new_key(path, "web-01.example.com")
    keys2 = host_keys(path)
    T.ok(rc == 0 and len(keys2) == 2 and keys2[kid] == keys[kid] and
         "# kept as it is\n" in read(path) and out2.split(" ")[0] != kid,
         "a second key for the same host is appended, the rest of the file kept", read(path))
    rc, out, err = ctl(None, "host-key", "list", "--keys", path)
    T.ok(rc == 0 and all(k in out for k in keys2) and
         not any(v[1] in out or v[1] in err for v in keys2.values()) and "CREATED" in out,
         "host-key list shows ids, hosts and dates, never a secret", out + err)


def test_host_key_remove():
    path = os.path.join(WORK, "hk-remove")
    for host in ("a.example", "b.example", "a.example"):
        assert new_key(path, host)[0] == 0
    with open(path, "a") as fh:
        fh.write("# trailing comment, no newline")
    before = read(path)
    ids = [l.split()[0] for l in lines_of(before)]
    rc, out, err = ctl(None, "host-key", "remove", ids[0], "--keys", path)
    after = read(path)
    kept = before.replace(next(l for l in before.split("\n") if l.startswith(ids[0] + " "))
                          + "\n", "")
    T.ok(rc == 0 and after == kept and "1 other key(s) of a.example remain" in out,
         "host-key remove drops that line only, every other byte kept", out + err)
    rc, out, err = ctl(None, "host-key", "remove", ids[1], "--keys", path)
    T.ok(rc == 0 and "can no longer reach the service" in out,
         "removing a host's last key says the host is cut off", out)
    rc, _, err = ctl(None, "host-key", "remove", ids[1], "--keys", path)
    T.ok(rc == 1 and "no key '%s'" % ids[1] in err, "removing an unknown key: exit 1", err)
    T.ok(sorted(host_keys(path)) == [ids[2]] and not os.path.exists(path + ".bak"),
         "the removed keys are gone, and no backup keeps them", read(path))
    rc, out, err = new_key(path, "c.example")
    T.ok(rc == 0 and
         "# trailing comment, no newline\nc.example." in read(path) and len(host_keys(path)) == 2,
         "a key is added on a line of its own after a last line without newline", read(path))


def test_host_key_refusals():
    path = os.path.join(WORK, "hk-bad")
    assert new_key(path, "web-01")[0] == 0
    kid = lines_of(read(path))[0].split()[0]
    with open(path, "a") as fh:
        fh.write(read(path))  # the same key id twice
    before = read(path)
    rc, _, err = new_key(path, "web-02")
    T.ok(rc == 3 and "%s:2: key id '%s' is also on line 1" % (path, kid) in err and
         read(path) == before, "a broken file is refused (file, line, key; exit 3), unchanged",
         err)
    rc, _, err = ctl(None, "host-key", "list", "--keys", path)
    T.ok(rc == 3 and "%s:2:" % path in err, "list refuses it too", err)
    with open(path, "w") as fh:
        fh.write(before.split("\n")[0] + "\n")
    os.chmod(path, 0o640)
    rc, _, err = new_key(path, "web-02")
    T.ok(rc == 3 and "too open" in err and len(lines_of(read(path))) == 1,
         "a key file others may read is refused", err)
    os.chmod(path, 0o600)
    cases = [(("new",), "wants one operand: HOST"), (("new", "a", "b"), "wants one operand: HOST"),
             (("remove",), "wants one operand: KEY_ID"), (("new", "a b"), "printable"),
             (("remove", "a/b"), "KEY_ID"), (("list", "x"), "takes no operand"),
             (("frob",), "want new, list or remove"), (("new", "h", "--owner", "nosuch"),
                                                       "no local user")]
    bad = [(a, r) for a, r in cases
           if (lambda res: res[0] != 2 or r not in res[2])(
               ctl(None, "host-key", *a, "--keys", path))]
    T.ok(not bad, "host-key usage errors: exit 2 with the reason", repr(bad))
    rc, _, err = ctl(None, "host-key", "new", "h", "--keys", "relative/keys")
    T.ok(rc == 3 and "absolute path" in err, "a relative --keys is refused", err)


def test_host_key_owner():
    path = os.path.join(WORK, "hk-owner")
    assert new_key(path, "web-01")[0] == 0
    rc, _, err = new_key(path, "web-02", "--owner", "bob")
    st = os.stat(path)
    T.ok(rc == 0 and (st.st_uid, st.st_gid) == (2003, 2003) and stat.S_IMODE(st.st_mode) == 0o600
         and len(host_keys(path)) == 2,
         "--owner USER: root's file becomes the service user's, mode 0600", err)
    rc, _, err = ctl(None, "host-key", "list", "--keys", path)
    T.ok(rc == 3 and "owned by uid 2003" in err and "pass --owner USER" in err,
         "without --owner, bob's file is refused, with a hint", err)
    rc, _, err = ctl(None, "host-key", "list", "--keys", path, "--owner", "dtuser")
    T.ok(rc == 3 and "owned by uid 2003" in err, "... and with another user's --owner", err)
    rc, _, err = new_key(path, "web-03", "--owner", "bob")
    st = os.stat(path)
    T.ok(rc == 0 and st.st_uid == 2003 and len(host_keys(path)) == 3,
         "a rewrite keeps it bob's", err)


def test_host_key_racing_writers():
    path = os.path.join(WORK, "hk-race")
    procs = [subprocess.Popen([CTL, "host-key", "new", "host%d" % i, "--keys", path],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env_for_ctl(),
                              text=True) for i in range(12)]
    outs = [p.communicate(timeout=STEP_TIMEOUT) for p in procs]
    keys = host_keys(path)
    printed = {o.split(" ")[0]: o.split("\n")[0].split(" ")[1] for o, _ in outs if o}
    T.ok(all(p.returncode == 0 for p in procs) and len(keys) == 12 and
         all(keys[k][1] == v for k, v in printed.items()) and len(printed) == 12,
         "12 concurrent host-key new: every key there once, each with its printed secret",
         "codes=%r" % [p.returncode for p in procs])


# ------------------------------------------------------- crash and races

def lines_of(text):
    return [l for l in text.split("\n") if l and not l.startswith("#")]


def test_killed_writers():
    """SIGKILL map writers at random moments: the map always parses, every
    completed add is there, nothing else was lost."""
    conf = write_conf("kill")
    base = "# big map\n" + "".join("uBase%06d\tuser%d\n" % (i, i % 500) for i in range(60000))
    path = write_map(conf, base)
    random.seed(int(os.environ.get("DT_CTL_SEED", "1")))
    done, killed, torn = [], 0, []
    start = time.monotonic()
    for i in range(40):
        uid = "uKill%04d" % i
        p = subprocess.Popen([CTL, "--conf", conf, "map", "add", "--user", "bob", "--union-id",
                              uid], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             env=env_for_ctl())
        time.sleep(random.uniform(0.0, 0.06))
        p.send_signal(signal.SIGKILL)
        p.wait()
        if p.returncode == 0:
            done.append(uid)
        else:
            killed += 1
        rc, out, err = ctl(conf, "map", "list", "--user", "bob")
        if rc != 0:
            torn.append(err)
    text = read(path)
    present = set(l.split()[0] for l in lines_of(text))
    lost = [u for u in done if u not in present]
    base_ok = all(("uBase%06d" % i) in present for i in range(0, 60000, 997))
    T.ok(not torn and not lost and base_ok and text.startswith("# big map\n"),
         "40 writers, %d killed mid-way: the map always parsed, nothing lost (%.1f s)"
         % (killed, time.monotonic() - start), "torn=%r lost=%r" % (torn[:3], lost))
    T.ok(killed > 0, "some writers really were killed mid-way (%d)" % killed)
    rc, _, err = ctl(conf, "map", "add", "--user", "bob", "--union-id", "uAfter")
    T.ok(rc == 0 and not os.path.exists(path + ".tmp") and "uAfter\tbob" in read(path),
         "the next writer replaces any leftover temp file", err)


def test_racing_writers():
    conf = write_conf("race")
    path = write_map(conf, "# race\n")
    procs = [subprocess.Popen([CTL, "--conf", conf, "map", "add", "--user", "user%d" % (i % 3),
                               "--union-id", "uRace%02d" % i], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, env=env_for_ctl())
             for i in range(24)]
    codes = [p.wait(timeout=STEP_TIMEOUT) for p in procs]
    ids = [l.split()[0] for l in lines_of(read(path))]
    T.ok(all(c == 0 for c in codes) and sorted(ids) == sorted("uRace%02d" % i for i in range(24)),
         "24 concurrent writers: every binding is there, once", "codes=%r ids=%r" % (codes, ids))


def main():
    tests = [test_usage, test_root_only, test_bad_config, test_map_edit,
             test_map_broken_file_left_alone, test_enroll_admin, test_enroll_directory_rules,
             test_enroll_interrupted, test_enroll_self, test_recovery, test_test_command,
             test_doctor, test_doctor_permissions, test_doctor_ssh_wait, test_doctor_fleet,
             test_host_key_new, test_host_key_remove, test_host_key_refusals, test_host_key_owner,
             test_host_key_racing_writers,
             test_killed_writers, test_racing_writers]
    # dingtalk-ctl is root's alone (test_root_only): without root only its
    # usage and that refusal can be checked, one skip for each other step.
    anyone = (test_usage, test_root_only)
    for t in tests:
        if os.geteuid() != 0 and t not in anyone:
            T.skip(1, "needs root: %s (dingtalk-ctl runs as root only)" % t.__name__)
            continue
        try:
            t()
        except Exception as e:  # a broken step is a failure, not a crash
            T.ok(False, "%s ran to the end" % t.__name__, repr(e))
    print("1..%d" % T.n, flush=True)
    return 1 if T.failed else 0


if __name__ == "__main__":
    sys.exit(main())
