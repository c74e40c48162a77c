#!/usr/bin/env python3
"""The phone's pages in a real browser (issue 13): Debian's chromium,
headless, driven over the DevTools protocol (cdp.py) at 390x844 with touch
and a DingTalk user agent, walks whole logins through the project's
DingTalk mock and a real dingtalk-callbackd (stage.py). Speaks TAP.

Each case asserts what the person reads (title and key sentences), that
the page works with JavaScript off (all but flow C's), and that no URL
shown after the callback carries a code or the state. Every page is saved
as a PNG under the build tree (DT_BUILDDIR/tests/browser/shots, or
shots/ next to this file); with DT_UPDATE_README_SHOT=1 the Chinese
confirmation page is copied to docs/images/ (TESTING.md).

  DT_CALLBACKD  the helper (default: the build tree's)
  DT_CHROMIUM   the browser (default: chromium on PATH); without one every
                case is a SKIP with the reason.
"""

import hashlib
import os
import re
import shutil
import signal
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)
from tap import Tap  # noqa: E402  (tests/tap.py)
import cdp  # noqa: E402
import stage  # noqa: E402

SRCDIR = os.environ.get("DT_SRCDIR") or os.path.abspath(os.path.join(HERE, "..", ".."))
BUILDDIR = os.environ.get("DT_BUILDDIR") or SRCDIR
HELPER = os.environ.get("DT_CALLBACKD") or os.path.join(
    BUILDDIR, "src", "callbackd", "dingtalk-callbackd")
SHOTS = os.path.join(BUILDDIR, "tests", "browser", "shots")
README_SHOT = os.path.join(SRCDIR, "docs", "images", "confirm-zh.png")

UA = ("Mozilla/5.0 (Linux; U; Android 14; zh-CN; Pixel 8 Build/UQ1A) AppleWebKit/537.36 "
      "(KHTML, like Gecko) Version/4.0 Chrome/120.0 Mobile Safari/537.36 "
      "AliApp(DingTalk/7.6.45) com.alibaba.android.rimet/42187003 Channel/700159 "
      "language/zh-CN")
# A phone's own browser, for the page opened outside DingTalk.
UA_BROWSER = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
              "(KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36")
EN = "en-US,en;q=0.9"
ZH = "zh-CN,zh;q=0.9,en;q=0.5"
SECRET_KEYS = {"code", "authcode", "state"}

# What today's pages do not do yet: each check whose name begins with a
# key runs and prints as a TAP TODO (automake: XFAIL) until the pages do
# it; a TODO that passes is an XPASS, a failure, so the list cannot go
# stale.
PENDING = {}


class TodoTap(Tap):
    def ok(self, cond, name, detail=None):
        why = next((w for k, w in PENDING.items() if name.startswith(k)), None)
        if why is None:
            return super().ok(cond, name, detail)
        self.n += 1
        print("%s %d - %s # TODO %s" % ("ok" if cond else "not ok", self.n, name, why),
              flush=True)
        return cond


T = TodoTap()

class Env:
    """The processes every case shares, and the browser."""

    def __init__(self, tmp, browser):
        self.tmp = tmp
        self.browser = browser
        self.mock = stage.Mock(SRCDIR, tmp)
        self.helper = stage.Helper(HELPER, tmp, "helper")
        self.requesters = 0
        self.secrets = set()

    def register(self, helper=None, ttl=90, state=None, **extra):
        h = helper or self.helper
        state = state or os.urandom(24).hex()[:32]
        self.secrets.add(state)
        self.requesters += 1
        body = {"state": state, "number": 42, "user": "alice", "service": "sshd",
                "host": "jump-01", "rhost": "10.0.0.5",
                "requester": "browser:%d" % self.requesters,
                "authorize_url": self.mock.authorize_url(state), "ttl": ttl}
        body.update(extra)
        status, ans = h.register(**body)
        if status != 201:
            raise RuntimeError("register: HTTP %d %r" % (status, ans))
        return ans["id"], ans["short_url"], body["number"]

    def page(self, lang, javascript=False, user_agent=UA):
        p = self.browser.new_page()
        p.phone(user_agent, lang, javascript)
        return p


def shot(page, name):
    os.makedirs(SHOTS, exist_ok=True)
    path = os.path.join(SHOTS, name + ".png")
    page.screenshot(path)
    return path


def clean_url(page, what, origin):
    """No URL of the helper's (`origin`) in the tab's history holds a
    secret (DingTalk's own authorize URL carries the state, as it must)."""
    idx, entries = page.history()
    bad = [e["url"] for e in entries[:idx + 1]
           if e["url"].startswith(origin + "/") and stage.query_keys(e["url"]) & SECRET_KEYS]
    T.ok(not bad, "%s: no URL shown after the callback carries code, authCode or state" % what,
         "URLs with secrets: %s" % [re.sub(r"=[^&]*", "=...", u) for u in bad])


def has(page, what, *sentences):
    text = page.text()
    missing = [s for s in sentences if s not in text]
    T.ok(not missing, "%s: the page says %s" % (what, ", ".join(repr(s) for s in sentences)),
         "missing %s in: %s" % (missing, text[:600]))


def through_dingtalk(page, link, person="alice", name=None):
    """Opens the short link, then approves as `person` on the mock's
    consent page (a plain link: no script there either); with `name`, the
    consent page's screenshot is NAME-dingtalk."""
    page.goto(link)
    if name:
        shot(page, name + "-dingtalk")
    page.tap('a[href*="mock_person=%s"]' % person)


def answer_number(page, number, wrong=False):
    """Types the number where the page asks for it, else taps it; with
    `wrong`, another number."""
    if page.query("input#number"):
        page.type_into("input#number", "%02d" % ((number + 1) % 100 if wrong else number))
        page.tap("button#confirm")
    elif wrong:
        page.tap('button[name="n"]:not([value="%d"])' % number)
    else:
        page.tap('button[name="n"][value="%d"]' % number)


def wait_answer(env, sid, helper=None):
    status, ans = (helper or env.helper).wait(sid, timeout=2)
    return ans if status == 200 and ans else {"status": "HTTP %d" % status}


# ---------------------------------------------------------------- cases

# The pages' English and Chinese titles, by the id of their <main>.
TITLES = {
    "confirm": ("Confirm DingTalk login", "确认钉钉登录"),
    "approved": ("Login approved", "登录已批准"),
    "not-me": ("Login stopped", "登录已阻止"),
    "wrong-number": ("Wrong number", "数字不正确"),
    "expired": ("Login timed out", "登录已超时"),
    "not-in-dingtalk": ("Not opened in DingTalk", "未在钉钉中打开"),
    "denied": ("Refused in DingTalk", "钉钉已拒绝"),
}


# A sentence each page must show, in both languages: what happened and
# what to do next.
SAYS = {
    "confirm": ("Type the two-digit number shown in your terminal", "请输入终端上显示的两位数字"),
    "approved": ("Go back to your terminal", "请回到终端继续"),
    "not-me": ("tell your administrator now", "请立即告知管理员"),
    "wrong-number": ("That was not the number shown in your terminal",
                     "输入的数字与终端上显示的不一致"),
    "expired": ("Start a new login in your terminal", "请在终端重新发起登录"),
    "not-in-dingtalk": ("works only inside the DingTalk app", "只能在钉钉 App"),
    "denied": ("DingTalk did not allow this login", "钉钉没有同意本次登录"),
}


def is_page(page, what, main_id, lang):
    """The page is `main_id`'s, in `lang`: title, <main id>, <html lang>,
    and the sentence that says what happened or what to do."""
    i = 1 if lang == ZH else 0
    T.eq(page.title(), TITLES[main_id][i], "%s: title" % what)
    got_lang = page.attribute("html", "lang")
    T.eq((page.attribute("main", "id"), got_lang), (main_id, "zh-CN" if lang == ZH else "en"),
         "%s: <main id> and <html lang>" % what)
    text = page.text()
    T.ok(SAYS[main_id][i] in text, "%s: says %r" % (what, SAYS[main_id][i]), text[:500])


def case_approve(env, lang, name):
    """A whole login, the number typed, JavaScript off."""
    p = env.page(lang)
    try:
        sid, link, number = env.register()
        through_dingtalk(p, link, name=name)
        shot(p, name + "-confirm")
        if lang == ZH and os.environ.get("DT_UPDATE_README_SHOT") == "1":
            shutil.copyfile(os.path.join(SHOTS, name + "-confirm.png"), README_SHOT)
        is_page(p, name + " confirm", "confirm", lang)
        has(p, name + " confirm", "alice", "jump-01", "10.0.0.5",
            "SSH 登录" if lang == ZH else "SSH login")
        T.ok(p.query("input#number[inputmode=numeric]"),
             name + " confirm: the number is typed on a numeric keypad")
        clean_url(p, name + " confirm", env.helper.public_url)
        answer_number(p, number)
        shot(p, name + "-approved")
        is_page(p, name + " approved", "approved", lang)
        clean_url(p, name + " approved", env.helper.public_url)
        ans = wait_answer(env, sid)
        T.eq(ans.get("status"), "approved", name + ": the terminal's wait is approved")
        status, _ = env.mock.exchange(ans.get("code") or "")
        T.eq(status, 200, name + ": DingTalk (the mock) takes the code the page released")
    finally:
        p.close()



def case_sudo(env):
    """sudo: the access in plain words and the command itself, as text
    (markup in it is shown, never run or rendered)."""
    p = env.page(EN)
    try:
        command = "/usr/bin/systemctl restart <b>nginx</b> && echo '<script>x</script>'"
        sid, link, number = env.register(service="sudo", command=command)
        through_dingtalk(p, link)
        shot(p, "en-sudo-confirm")
        is_page(p, "sudo confirm", "confirm", EN)
        has(p, "sudo confirm", "sudo: run a command as root", command)
        T.eq((len(p.query("#row-command")), p.query("#row-command b"), p.query("main script")),
             (1, [], []), "sudo confirm: the command's row, its markup text, not elements")
        answer_number(p, number)
        T.eq(wait_answer(env, sid).get("status"), "approved",
             "sudo: the terminal's wait is approved")
    finally:
        p.close()


def case_wrong_number(env):
    p = env.page(EN)
    try:
        sid, link, number = env.register()
        through_dingtalk(p, link)
        answer_number(p, number, wrong=True)
        shot(p, "en-wrong-number")
        is_page(p, "wrong number", "wrong-number", EN)
        T.eq(wait_answer(env, sid).get("status"), "refused",
             "wrong number: the terminal's wait is refused")
    finally:
        p.close()



def case_not_me(env, lang, name):
    """"Not me": refused at once, the terminal told why."""
    p = env.page(lang)
    try:
        sid, link, _ = env.register()
        through_dingtalk(p, link)
        p.tap("#not-me")
        shot(p, name + "-not-me")
        is_page(p, name + " not me", "not-me", lang)
        clean_url(p, name + " not me", env.helper.public_url)
        ans = wait_answer(env, sid)
        T.eq((ans.get("status"), ans.get("reason")), ("refused", "not_me"),
             name + " not me: the terminal's wait is refused, reason not_me")
    finally:
        p.close()



def case_reload_back(env):
    """Reload while pending shows the question again; Back after the
    answer says what happened instead of a dead form."""
    p = env.page(EN)
    try:
        sid, link, number = env.register()
        through_dingtalk(p, link)
        p.reload()
        shot(p, "en-reloaded")
        is_page(p, "reload while pending", "confirm", EN)
        answer_number(p, number)
        shot(p, "en-approved-after-reload")
        is_page(p, "reload, then the number", "approved", EN)
        p.back()
        shot(p, "en-back-after-approval")
        T.ok(not p.query("#confirm-form"), "back after approval: no form to answer again")
        is_page(p, "back after approval", "approved", EN)
        T.eq(wait_answer(env, sid).get("status"), "approved",
             "reload and back: the terminal's wait is approved")
    finally:
        p.close()



def case_expired(env, lang, name):
    """The short link of a login that timed out."""
    p = env.page(lang)
    try:
        sid, link, _ = env.register(ttl=10)  # the helper's shortest
        time.sleep(10.5)
        p.goto(link)
        shot(p, name + "-expired")
        is_page(p, name + " expired link", "expired", lang)
    finally:
        p.close()



def case_prefix(env):
    """public_url with a path behind a prefix-stripping proxy: every page,
    link and form stays under the prefix."""
    proxy = stage.PrefixProxy("/dt")
    helper = None
    p = env.page(EN)
    try:
        helper = stage.Helper(HELPER, env.tmp, "prefixed", public_url=proxy.url)
        proxy.upstream = helper.port
        sid, link, number = env.register(helper=helper)
        through_dingtalk(p, link)
        shot(p, "en-prefix-confirm")
        is_page(p, "prefix confirm", "confirm", EN)
        answer_number(p, number)
        shot(p, "en-prefix-approved")
        is_page(p, "prefix after the number", "approved", EN)
        T.eq(proxy.misses, [], "prefix: nothing asked for outside the prefix")
        T.eq(wait_answer(env, sid, helper).get("status"), "approved",
             "prefix: the terminal's wait is approved")
    finally:
        p.close()
        proxy.stop()
        if helper:
            helper.stop()



# ---------------------------------------------------------------- flow C

# DingTalk's script cannot run outside the app: these stand in for the dd
# object the app provides. Each answers with the code the mock issued for
# the person, and only for the right corpId (and clientId).
FAKE_DD = {
    "current": """window.dd = {ready: function (f) { f(); },
  requestAuthCode: function (o) {
    if (o.corpId === %(corp)s && o.clientId === %(client)s) o.onSuccess({code: %(code)s});
    else o.onFail({errorMessage: 'wrong corpId or clientId'}); },
  runtime: {permission: {requestAuthCode: function (o) {
    o.onFail({errorMessage: 'the older call was used'}); }}}};""",
    "older": """window.dd = {ready: function (f) { f(); },
  runtime: {permission: {requestAuthCode: function (o) {
    if (o.corpId === %(corp)s) o.onSuccess({code: %(code)s});
    else o.onFail({errorMessage: 'wrong corpId'}); }}}};""",
    "current-fails": """window.dd = {ready: function (f) { f(); },
  requestAuthCode: function (o) { o.onFail({errorMessage: 'needs DingTalk 7.0.45'}); },
  runtime: {permission: {requestAuthCode: function (o) {
    if (o.corpId === %(corp)s) o.onSuccess({code: %(code)s});
    else o.onFail({errorMessage: 'wrong corpId'}); }}}};""",
    "refuses": """window.dd = {ready: function (f) { f(); },
  requestAuthCode: function (o) { o.onFail({errorCode: '3', errorMessage: 'refused'}); }};""",
    "silent": """window.dd = {ready: function (f) { f(); },
  requestAuthCode: function (o) { /* DingTalk never answers */ }};""",
}


def fake_dd(kind, code):
    return FAKE_DD[kind] % {"corp": repr(stage.MOCK_CORP_ID),
                            "client": repr(stage.MOCK_CLIENT_ID), "code": repr(code)}


def register_inapp(env, client_id=True):
    state = os.urandom(24).hex()[:32]
    env.secrets.add(state)
    url = "dingtalk-inapp:?corpId=%s&state=%s" % (stage.MOCK_CORP_ID, state)
    if client_id:
        url += "&clientId=" + stage.MOCK_CLIENT_ID
    return env.register(authorize_url=url, state=state)


def jsapi_url(env):
    return env.helper.public_url + "/jsapi/*"


def leaves_inapp(p):
    return lambda: "/l/" not in p.url() and p.title() not in (None, "")


def case_inapp(env, kind, lang, name):
    """Inside DingTalk (a stand-in dd): the code reaches the callback, the
    number is typed, the terminal gets the very code DingTalk issued."""
    p = env.page(lang, javascript=True)
    try:
        code = env.mock.inapp_code("alice")
        env.secrets.add(code)
        p.inject(fake_dd(kind, code))
        p.intercept(jsapi_url(env))  # the real one would replace the stand-in
        sid, link, number = register_inapp(env)
        p.goto(link, wait=False)
        T.ok(p.wait_until(lambda: p.query("form") != []),
             "%s: the in-DingTalk page leads to a page with a form" % name,
             "at %s: %s" % (p.title(), p.text()[:300]))
        shot(p, name + "-confirm")
        is_page(p, name + " confirm", "confirm", lang)
        clean_url(p, name + " confirm", env.helper.public_url)
        answer_number(p, number)
        shot(p, name + "-approved")
        is_page(p, name + " approved", "approved", lang)
        ans = wait_answer(env, sid)
        T.ok(ans.get("status") == "approved" and ans.get("code") == code,
             "%s: the terminal gets the code DingTalk gave the page" % name,
             "got %s" % ans.get("status"))
    finally:
        p.close()


def case_inapp_refused(env):
    """DingTalk refuses: "refused in DingTalk", not "not in DingTalk"."""
    p = env.page(EN, javascript=True)
    try:
        p.inject(fake_dd("refuses", ""))
        p.intercept(jsapi_url(env))
        sid, link, _ = register_inapp(env)
        p.goto(link, wait=False)
        p.wait_until(leaves_inapp(p))
        shot(p, "en-inapp-refused")
        is_page(p, "in-DingTalk refused", "denied", EN)
        clean_url(p, "in-DingTalk refused", env.helper.public_url)
        T.eq(wait_answer(env, sid).get("status"), "refused",
             "in-DingTalk refused: the terminal's wait is refused")
    finally:
        p.close()


def case_inapp_silent(env):
    """DingTalk never answers: after the page's 30 s it is a refusal, not
    a page that waits forever. The test's clock runs those 30 s in 3 s
    (a setTimeout of 30 s or more fires after 3 s)."""
    p = env.page(EN, javascript=True)
    try:
        p.inject(fake_dd("silent", ""))
        p.inject("""(function () { var later = window.setTimeout;
  window.setTimeout = function (f, ms) { return later(f, ms >= 30000 ? 3000 : ms); }; })();""")
        p.intercept(jsapi_url(env))
        sid, link, _ = register_inapp(env)
        p.goto(link)
        T.eq(p.attribute("main", "id"), "inapp", "DingTalk silent: the page waits at first")
        p.wait_until(leaves_inapp(p))
        shot(p, "en-inapp-silent")
        is_page(p, "DingTalk silent", "denied", EN)
        T.eq(wait_answer(env, sid).get("status"), "refused",
             "DingTalk silent: the terminal's wait is refused")
    finally:
        p.close()


def case_inapp_outside(env):
    """A phone's own browser with the helper's real (pinned) JSAPI: it
    loads (its integrity holds), finds no DingTalk, and the page says so."""
    p = env.page(ZH, javascript=True, user_agent=UA_BROWSER)
    try:
        sid, link, _ = register_inapp(env)
        p.goto(link, wait=False)
        p.wait_until(leaves_inapp(p))
        shot(p, "zh-inapp-outside-dingtalk")
        log = p.messages()
        T.ok(not [m for m in log if "integrity" in m],
             "outside DingTalk: the pinned JSAPI passes its integrity check", log)
        is_page(p, "outside DingTalk", "not-in-dingtalk", ZH)
    finally:
        p.close()


def case_inapp_tampered(env):
    """A JSAPI changed on the way (here: a script that would hand over a
    code) is refused by its integrity hash: no code reaches the terminal."""
    p = env.page(EN, javascript=True)
    try:
        code = env.mock.inapp_code("bob")
        env.secrets.add(code)
        p.intercept(jsapi_url(env), fake_dd("current", code))
        sid, link, _ = register_inapp(env)
        p.goto(link, wait=False)
        p.wait_until(leaves_inapp(p))
        log = p.messages()
        T.ok([m for m in log if "integrity" in m],
             "tampered JSAPI: the browser refuses it for its integrity", log)
        shot(p, "en-inapp-tampered")
        T.ok(p.title() != TITLES["confirm"][0],
             "tampered JSAPI: its code never reaches the confirmation page")
        T.ok(wait_answer(env, sid).get("status") != "approved",
             "tampered JSAPI: the terminal is not approved")
    finally:
        p.close()


def case_inapp_noscript(env, lang, name):
    """JavaScript off: the page says what to do instead of waiting."""
    p = env.page(lang, javascript=False)
    try:
        sid, link, _ = register_inapp(env)
        p.goto(link)
        shot(p, name + "-inapp-noscript")
        has(p, name + " in-DingTalk without JavaScript",
            "需要 JavaScript" if lang == ZH else "needs JavaScript")
        T.eq(p.attribute("html", "lang"), "zh-CN" if lang == ZH else "en",
             name + " in-DingTalk without JavaScript: <html lang>")
        working = "正在向钉钉确认" if lang == ZH else "Asking DingTalk"
        T.ok(working not in p.text(),
             name + " in-DingTalk without JavaScript: it does not claim to be asking DingTalk",
             p.text())
    finally:
        p.close()


def main():
    binary = os.environ.get("DT_CHROMIUM") or cdp.find_chromium()
    if not binary:
        print("1..1")
        T.skip(1, "no chromium on PATH (apt-get install chromium; scripts/test installs it)")
        return 0
    if not os.access(HELPER, os.X_OK):
        print("1..1")
        T.skip(1, "dingtalk-callbackd not built at %s" % HELPER)
        return 0
    # A signal ends the run through the finally blocks below, which stop
    # the browser (its own process group), the helper and the mock.
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, lambda signum, frame: sys.exit(128 + signum))
    # The screenshots are this run's: none left from an earlier one.
    if os.path.isdir(SHOTS):
        for old in os.listdir(SHOTS):
            if old.endswith(".png"):
                os.unlink(os.path.join(SHOTS, old))
    tmp = tempfile.mkdtemp(prefix="dt-browser-")
    env = None
    try:
        with cdp.Browser(binary, tmp, os.path.join(tmp, "chromium.log")) as browser:
            env = Env(tmp, browser)
            only = os.environ.get("DT_BROWSER_CASES")  # e.g. "case_inapp" while debugging
            for fn, args in CASES:
                if only and not fn.__name__.startswith(only):
                    continue
                try:
                    fn(env, *args)
                except Exception:
                    T.ok(False, "%s%r ran to its end" % (fn.__name__, args),
                         traceback.format_exc())
            log = env.helper.log_text()
            leaked = [s for s in env.secrets if s in log]
            T.ok(not leaked, "no state in the helper's log")
    finally:
        if env is not None:
            env.helper.stop()
            env.mock.stop()
        shutil.rmtree(tmp, ignore_errors=True)
        print("1..%d" % T.n)  # a trailing plan: a case that broke off counts once
    return 1 if T.failed else 0


CASES = [
    (case_approve, (EN, "en")),
    (case_approve, (ZH, "zh")),
    (case_sudo, ()),
    (case_wrong_number, ()),
    (case_not_me, (EN, "en")),
    (case_not_me, (ZH, "zh")),
    (case_reload_back, ()),
    (case_expired, (ZH, "zh")),
    (case_prefix, ()),
    (case_inapp, ("current", ZH, "zh-inapp")),
    (case_inapp, ("older", EN, "en-inapp-older")),
    (case_inapp, ("current-fails", EN, "en-inapp-fallback")),
    (case_inapp_refused, ()),
    (case_inapp_silent, ()),
    (case_inapp_outside, ()),
    (case_inapp_tampered, ()),
    (case_inapp_noscript, (EN, "en")),
    (case_inapp_noscript, (ZH, "zh")),
]

if __name__ == "__main__":
    sys.exit(main())
