#!/usr/bin/env python3
"""TAP tests: the DingTalk mock answers as docs/dingtalk-api.md describes."""

import http.client
import json
import re
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from urllib.parse import parse_qs, urlencode, urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
MOCK = os.path.join(HERE, "dingtalk_mock.py")
CID, CSECRET = "dingmockappkey", "mock-secret-0123456789"

results = []


def check(cond, desc):
    results.append((bool(cond), desc))
    print("%s %d - %s" % ("ok" if cond else "not ok", len(results), desc), flush=True)
    return bool(cond)


def diag(msg):
    for line in str(msg).splitlines():
        print("# " + line, flush=True)


class Mock:
    def __init__(self, tmp, name, *extra):
        self.port_file = os.path.join(tmp, name + ".port")
        self.log = os.path.join(tmp, name + ".log")
        self.proc = subprocess.Popen(
            [sys.executable, MOCK, "--port", "0", "--port-file", self.port_file,
             "--log", self.log] + list(extra),
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while not os.path.exists(self.port_file):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("mock did not start: %s"
                                   % self.proc.stderr.read().decode(errors="replace"))
            time.sleep(0.05)
        with open(self.port_file) as fh:
            self.port = int(fh.read().strip())

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc.stderr.close()

    def req(self, method, path, body=None, headers=None, timeout=5, raw=False):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            hdrs = dict(headers or {})
            if isinstance(body, (dict, list)):
                body = json.dumps(body)
                hdrs.setdefault("Content-Type", "application/json")
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            data = resp.read()
            if raw:
                return resp, data
            try:
                parsed = json.loads(data.decode("utf-8"))
            except ValueError:
                parsed = data.decode("utf-8", "replace")
            return resp.status, parsed, resp
        finally:
            conn.close()

    def authorize_query(self, **over):
        q = {"redirect_uri": "http://127.0.0.1:9/callback", "response_type": "code",
             "client_id": CID, "scope": "openid", "state": "st4te-xyz", "prompt": "consent"}
        q.update(over)
        return "/oauth2/auth?" + urlencode({k: v for k, v in q.items() if v is not None})

    def code(self, person="alice", scope="openid"):
        st, _, resp = self.req("GET", self.authorize_query(scope=scope) + "&" +
                               urlencode({"mock_person": person, "mock_decision": "approve"}))
        loc = resp.getheader("Location")
        return parse_qs(urlsplit(loc).query)["authCode"][0]

    def user_token(self, code, cid=CID, secret=CSECRET):
        return self.req("POST", "/v1.0/oauth2/userAccessToken",
                        {"clientId": cid, "clientSecret": secret, "code": code,
                         "grantType": "authorization_code"})

    def fault(self, endpoint, mode, seconds=0, **kw):
        body = {"endpoint": endpoint, "mode": mode, "seconds": seconds}
        body.update(kw)
        st, _, _ = self.req("POST", "/_mock/fault", body)
        assert st == 200

    def stats(self):
        return self.req("GET", "/_mock/stats")[1]


def is_v1_error(status, body, want_status, want_code):
    return (status == want_status and isinstance(body, dict)
            and body.get("code") == want_code and isinstance(body.get("message"), str)
            and isinstance(body.get("requestid"), str) and body["requestid"]
            and "requestId" not in body)


def tests_login(m):
    st, body, resp = m.req("GET", m.authorize_query())
    check(st == 200 and "Approve as Alice Zhang" in body and "Refuse" in body
          and "mock_person=bob" in body, "authorize without decision shows a consent page")
    check("<b>Mal" not in body and "\x1b" not in body and "&lt;b&gt;Mal" in body,
          "consent page escapes the HTML/ESC nick")
    for name, q in [("bad client_id", {"client_id": "nope"}),
                    ("response_type=token", {"response_type": "token"}),
                    ("scope=profile", {"scope": "profile"}),
                    ("missing redirect_uri", {"redirect_uri": None}),
                    ("ftp redirect_uri", {"redirect_uri": "ftp://x/cb"}),
                    ("missing prompt", {"prompt": None})]:
        st, body, _ = m.req("GET", m.authorize_query(**q) + "&mock_person=alice&mock_decision=approve")
        check(st == 400 and "<title>" in body, "authorize refuses %s with a 400 page" % name)

    st, _, resp = m.req("GET", m.authorize_query(
        redirect_uri="https://helper.example/cb?x=1&y=a%20b") + "&mock_person=alice&mock_decision=approve")
    loc = resp.getheader("Location") or ""
    parts = urlsplit(loc)
    q = parse_qs(parts.query)
    check(st == 302 and (loc.startswith("https://helper.example/cb?x=1&y=a+b&authCode=")
                         or loc.startswith("https://helper.example/cb?x=1&y=a%20b&authCode=")),
          "approve redirects to redirect_uri joined with its own query")
    check(q.get("authCode") == q.get("code") and len(q.get("authCode", [""])[0]) >= 16
          and q.get("state") == ["st4te-xyz"] and q.get("x") == ["1"],
          "approve carries authCode = code and the state")

    st, _, resp = m.req("GET", m.authorize_query() + "&mock_person=alice&mock_decision=refuse")
    q = parse_qs(urlsplit(resp.getheader("Location") or "").query)
    check(st == 302 and q.get("error") == ["access_denied"] and q.get("state") == ["st4te-xyz"]
          and "authCode" not in q, "refuse redirects with error=access_denied and the state")

    # user token
    code = m.code()
    st, body, resp = m.user_token(code)
    check(st == 200 and isinstance(body.get("accessToken"), str)
          and isinstance(body.get("refreshToken"), str) and body.get("expireIn") == 7200
          and type(body.get("expireIn")) is int and "expiresIn" not in body,
          "userAccessToken: accessToken, refreshToken, expireIn 7200 (int)")
    check("corpId" not in body, "no corpId with scope openid")
    token = body.get("accessToken")
    st, body2, _ = m.user_token(code)
    check(is_v1_error(st, body2, 400, "invalidParameter.authCode.notFound")
          and body2["message"] == "不合法的临时授权码", "a used code -> 400 authCode.notFound")
    st, body2, _ = m.user_token("0123456789abcdef0123456789abcdef")
    check(is_v1_error(st, body2, 400, "invalidParameter.authCode.notFound"),
          "an unknown code -> 400 authCode.notFound")
    st, body2, _ = m.user_token("made-up-code")
    check(is_v1_error(st, body2, 400, "InvalidParameter"),
          "a code not shaped like the mock's -> 400 InvalidParameter")
    st, body2, _ = m.user_token(m.code(scope="openid corpid"))
    check(st == 200 and str(body2.get("corpId", "")).startswith("ding"),
          "scope 'openid corpid' adds corpId")
    st, body2, _ = m.user_token(m.code(), secret="wrong")
    check(is_v1_error(st, body2, 400, "invalidClientIdOrSecret"), "bad clientSecret -> 400 invalidClientIdOrSecret")
    st, body2, _ = m.user_token(m.code(), cid="otherapp")
    check(is_v1_error(st, body2, 400, "invalidClientIdOrSecret"), "bad clientId -> 400 invalidClientIdOrSecret")
    st, body2, _ = m.req("POST", "/v1.0/oauth2/userAccessToken",
                         {"clientId": CID, "clientSecret": CSECRET, "grantType": "authorization_code"})
    check(st == 400 and str(body2.get("code", "")).startswith("Missing") and "requestid" in body2,
          "missing code -> 400 Missing*")
    st, body2, _ = m.req("POST", "/v1.0/oauth2/userAccessToken",
                         urlencode({"clientId": CID, "clientSecret": CSECRET, "code": m.code(),
                                    "grantType": "authorization_code"}),
                         {"Content-Type": "application/x-www-form-urlencoded"})
    check(st == 400 and "requestid" in body2, "form-encoded body -> 400")

    # users/me
    st, me, _ = m.req("GET", "/v1.0/contact/users/me", headers={"x-acs-dingtalk-access-token": token})
    check(st == 200 and me.get("unionId") == "uAlice0000000000000000iEiE"
          and me.get("nick") == "Alice Zhang" and me.get("stateCode") == "86"
          and me.get("email") == "alice@example.com" and isinstance(me.get("openId"), str)
          and "avatarUrl" in me, "users/me returns the person (unionId, nick, email, stateCode)")
    check(not any("userid" in k.lower() for k in me), "users/me has no userid")
    st, b, _ = m.req("GET", "/v1.0/contact/users/me?" + urlencode({"access_token": token}))
    check(is_v1_error(st, b, 400, "AuthenticationFailed.MissingParameter"), "token in query -> 400 AuthenticationFailed.MissingParameter")
    st, b, _ = m.req("GET", "/v1.0/contact/users/me", headers={"Authorization": "Bearer " + token})
    check(is_v1_error(st, b, 400, "AuthenticationFailed.MissingParameter"), "token in Authorization -> 400 AuthenticationFailed.MissingParameter")
    st, b, _ = m.req("GET", "/v1.0/contact/users/me", headers={"x-acs-dingtalk-access-token": "f" * 32})
    check(is_v1_error(st, b, 400, "InvalidAuthentication"), "unknown token -> 400 InvalidAuthentication (as DingTalk)")
    st, b, _ = m.user_token(m.code("mallory"))
    st, me, _ = m.req("GET", "/v1.0/contact/users/me", headers={"x-acs-dingtalk-access-token": b["accessToken"]})
    check(st == 200 and "<b>Mal</b>" in me["nick"] and "\x1b[31m" in me["nick"] and "email" not in me,
          "mallory's nick comes back raw (HTML + ESC), without email")
    st, b, _ = m.user_token(m.code("bob"))
    st, me, _ = m.req("GET", "/v1.0/contact/users/me", headers={"x-acs-dingtalk-access-token": b["accessToken"]})
    check(st == 200 and me.get("unionId") == "uBob00000000000000000000iEiE" and me.get("nick") == "Bob Li",
          "bob's identity")
    return token


def tests_app(m):
    st, a, _ = m.req("POST", "/v1.0/oauth2/accessToken", {"appKey": CID, "appSecret": CSECRET})
    st2, a2, _ = m.req("POST", "/v1.0/oauth2/accessToken", {"appKey": CID, "appSecret": CSECRET})
    check(st == 200 and st2 == 200 and a.get("accessToken") and a["accessToken"] == a2.get("accessToken")
          and a.get("expireIn") == 7200 and "expiresIn" not in a,
          "v1.0 app accessToken: same token while valid, expireIn")
    st, b, _ = m.req("POST", "/v1.0/oauth2/accessToken", {"appKey": CID, "appSecret": "x"})
    check(is_v1_error(st, b, 400, "invalidClientIdOrSecret"), "v1.0 app token bad secret -> 400 invalidClientIdOrSecret")
    st, b, _ = m.req("POST", "/v1.0/oauth2/accessToken", urlencode({"appKey": CID, "appSecret": CSECRET}),
                     {"Content-Type": "application/x-www-form-urlencoded"})
    check(st == 400 and "body is mandatory" in b.get("message", ""), "v1.0 app token form body -> 400 body is mandatory")
    st, g, _ = m.req("GET", "/gettoken?" + urlencode({"appkey": CID, "appsecret": CSECRET}))
    check(st == 200 and g.get("errcode") == 0 and g.get("errmsg") == "ok"
          and g.get("access_token") == a["accessToken"] and g.get("expires_in") == 7200,
          "gettoken: oapi envelope, access_token/expires_in, same app token")
    st, g, _ = m.req("GET", "/gettoken?" + urlencode({"appkey": CID, "appsecret": "bad"}))
    check(st == 200 and g.get("errcode") == 40096 and g.get("errmsg") == "不合法的appKey或appSecret"
          and "access_token" not in g, "gettoken bad creds -> 200 errcode 40096")
    st, g, _ = m.req("GET", "/gettoken")
    check(st == 200 and g.get("errcode") == 40035 and "access_token" not in g,
          "gettoken without appkey -> 200 errcode 40035")
    st, g, _ = m.req("GET", "/gettoken?" + urlencode({"appkey": CID}))
    check(g.get("errcode") == 40035, "gettoken without appsecret -> 40035")
    app = a["accessToken"]

    def byunion(uid, tok=app, headers=None):
        path = "/topapi/user/getbyunionid" + ("?access_token=" + tok if tok else "")
        return m.req("POST", path, {"unionid": uid}, headers)

    st, r, _ = byunion("uAlice0000000000000000iEiE")
    check(st == 200 and r.get("errcode") == 0 and r.get("result") == {"contact_type": 0, "userid": "zhangalice01"}
          and "request_id" in r, "getbyunionid alice -> contact_type 0, userid")
    st, r, _ = byunion("uCarol0000000000000000iEiE")
    check(r.get("errcode") == 0 and r["result"]["contact_type"] == 1, "getbyunionid external contact -> contact_type 1")
    st, r, _ = byunion("uEve000000000000000000000iEiE")
    check(st == 200 and r.get("errcode") == 60121, "getbyunionid not in org -> 60121")
    st, r, _ = byunion("uNobody")
    check(st == 200 and r.get("errcode") == 60121, "getbyunionid unknown -> 60121")
    st, r, _ = byunion("uAlice0000000000000000iEiE", tok=None, headers={"x-acs-dingtalk-access-token": app})
    check(st == 200 and r.get("errcode") == 88 and r.get("sub_code") == "40000"
          and r.get("sub_msg") == "access_token is blank",
          "getbyunionid token not in query -> errcode 88, sub_code '40000' (string), access_token is blank")
    st, r, _ = byunion("uAlice0000000000000000iEiE", tok="bad")
    check(st == 200 and r.get("errcode") == 88 and r.get("sub_code") == "40014", "getbyunionid bad token -> 88/40014")
    st, r, _ = m.req("POST", "/topapi/v2/user/get?access_token=" + app, {"userid": "zhangalice01", "language": "zh_CN"})
    res = r.get("result", {})
    check(r.get("errcode") == 0 and res.get("unionid") == "uAlice0000000000000000iEiE"
          and res.get("name") == "Alice Zhang" and isinstance(res.get("dept_id_list"), list)
          and res.get("active") is True and isinstance(res.get("hired_date"), int),
          "v2/user/get -> result with real JSON types")
    st, r, _ = m.req("POST", "/topapi/v2/user/get?access_token=" + app, {"userid": "ghost"})
    check(r.get("errcode") == 60121, "v2/user/get unknown -> 60121")
    return app


def tests_faults(m, token, app):
    hdr = {"x-acs-dingtalk-access-token": token}
    m.fault("userAccessToken", "throttled")
    st, b, _ = m.user_token(m.code())
    check(is_v1_error(st, b, 403, "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi"), "fault throttled on v1.0 -> 403 QpsLimitForAppkeyAndApi")
    m.fault("userAccessToken", "none")
    m.fault("getbyunionid", "throttled", count=1)
    st, r, _ = m.req("POST", "/topapi/user/getbyunionid?access_token=" + app, {"unionid": "uAlice0000000000000000iEiE"})
    st2, r2, _ = m.req("POST", "/topapi/user/getbyunionid?access_token=" + app, {"unionid": "uAlice0000000000000000iEiE"})
    check(st == 200 and r.get("errcode") == 90018 and r2.get("errcode") == 0,
          "fault throttled on oapi -> errcode 90018, count=1 clears itself")
    m.fault("users_me", "http500")
    st, b, _ = m.req("GET", "/v1.0/contact/users/me", headers=hdr)
    check(st == 500, "fault http500 -> 500")
    m.fault("users_me", "nonjson")
    st, b, _ = m.req("GET", "/v1.0/contact/users/me", headers=hdr)
    check(st == 200 and isinstance(b, str) and "<html" in b, "fault nonjson -> 200 with an HTML body")
    m.fault("users_me", "truncated")
    try:
        m.req("GET", "/v1.0/contact/users/me", headers=hdr)
        check(False, "fault truncated -> short body")
    except http.client.IncompleteRead:
        check(True, "fault truncated -> short body")
    m.fault("users_me", "wrongtypes")
    st, b, _ = m.req("GET", "/v1.0/contact/users/me", headers=hdr)
    check(st == 200 and not isinstance(b.get("unionId"), str), "fault wrongtypes on users_me -> unionId not a string")
    m.fault("userAccessToken", "wrongtypes")
    st, b, _ = m.user_token(m.code())
    check(st == 200 and b.get("expireIn") == "7200", "fault wrongtypes on userAccessToken -> expireIn \"7200\"")
    m.fault("users_me", "huge", bytes=3 * 1024 * 1024, count=1)
    st, b, _ = m.req("GET", "/v1.0/contact/users/me", headers=hdr)
    check(st == 200 and len(b.get("pad", "")) > 3 * 1024 * 1024 - 100,
          "fault huge -> a 3 MB JSON body (10 MB by default)")
    m.fault("*", "none")
    m.fault("users_me", "slow", seconds=1)
    t0 = time.monotonic()
    st, b, _ = m.req("GET", "/v1.0/contact/users/me", headers=hdr)
    check(st == 200 and time.monotonic() - t0 >= 0.9, "fault slow 1s -> answer after >= 1s")
    m.fault("*", "none")
    tests_trickle(m, hdr)
    m.fault("*", "hang", seconds=3)
    t0 = time.monotonic()
    try:
        m.req("GET", "/v1.0/contact/users/me", headers=hdr, timeout=0.7)
        check(False, "fault hang ('*') -> client times out")
    except (socket.timeout, TimeoutError):
        check(0.6 < time.monotonic() - t0 < 2, "fault hang ('*') -> client times out")
    m.fault("*", "none")
    st, b, _ = m.req("GET", "/v1.0/contact/users/me", headers=hdr)
    check(st == 200 and b.get("unionId"), "fault none clears '*'")


def tests_trickle(m, hdr):
    """trickle: the headers at once, then the body a byte at a time, so a
    client sees the status long before the body is complete."""
    m.fault("users_me", "trickle", interval_ms=5, count=1)
    sock = socket.create_connection(("127.0.0.1", m.port), timeout=10)
    t0 = time.monotonic()
    sock.sendall(("GET /v1.0/contact/users/me HTTP/1.1\r\nHost: x\r\n"
                  "x-acs-dingtalk-access-token: %s\r\n\r\n" % hdr["x-acs-dingtalk-access-token"])
                 .encode())
    data, t_head, chunks = b"", None, 0
    while True:
        part = sock.recv(65536)
        if not part:
            break
        data += part
        chunks += 1
        if t_head is None and b"\r\n\r\n" in data:
            t_head = time.monotonic() - t0
    total = time.monotonic() - t0
    sock.close()
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"Content-Length: (\d+)", head).group(1))
    check(head.startswith(b"HTTP/1.1 200") and t_head is not None and t_head < 0.5,
          "fault trickle -> status and headers at once (%.2f s)" % (t_head or -1))
    check(len(body) == length and json.loads(body).get("unionId"),
          "fault trickle -> the whole body arrives, as its Content-Length says")
    check(total >= 0.005 * (length - 1) * 0.9 and chunks > length // 2,
          "fault trickle -> one byte every interval_ms (%d bytes in %.2f s, %d reads)"
          % (length, total, chunks))


def tests_misc(m, token):
    m.req("POST", "/_mock/reset")
    m.code()
    m.req("GET", "/v1.0/contact/users/me", headers={"x-acs-dingtalk-access-token": token})
    m.req("GET", "/v1.0/contact/users/me", headers={"x-acs-dingtalk-access-token": token})
    s = m.stats()
    check(s == {"authorize": 1, "users_me": 2}, "stats count calls per endpoint after reset (%s)" % s)
    st, b, _ = m.req("GET", "/v1.0/nothing/here")
    check(st == 200 and isinstance(b, dict) and b.get("errcode") == 404, "unknown path -> HTTP 200, errcode 404")
    st, b, _ = m.req("GET", "/v1.0/oauth2/userAccessToken")
    check(st == 200 and b.get("errcode") == 404, "wrong method -> HTTP 200, errcode 404")
    st, b, _ = m.req("POST", "/_mock/fault", {"endpoint": "users_me", "mode": "explode"})
    check(st == 400, "unknown fault mode refused")
    with open(m.log, encoding="utf-8") as fh:
        log = fh.read()
    lines = log.splitlines()
    check(len(lines) > 20 and all(len(l.split()) == 5 for l in lines)
          and "GET /oauth2/auth 302" in log, "log: one line per request, method path status")
    leaks = [s for s in (CSECRET, token, "st4te-xyz", "?", "access_token", "authCode") if s in log]
    check(not leaks, "log carries no secrets, tokens, state or query (%s)" % leaks)


def keepalive_requests(conn, paths):
    """GETs `paths` one after the other on one open connection."""
    for path in paths:
        conn.request("GET", path)
        conn.getresponse().read()


def traffic(m):
    st, b, _ = m.req("GET", "/_mock/traffic")
    return b if st == 200 else {}


def tests_traffic(m):
    m.req("POST", "/_mock/reset")
    check(traffic(m) == {"connections": 0, "tls_handshakes": 0, "requests": {}},
          "traffic after reset: nothing, and reading it counts no connection")
    conn = http.client.HTTPConnection("127.0.0.1", m.port, timeout=5)
    keepalive_requests(conn, ["/gettoken?appkey=x&appsecret=y", "/gettoken?appkey=x&appsecret=y"])
    t = traffic(m)
    check(t.get("connections") == 1 and t.get("requests") == {"gettoken": 2},
          "two requests on one keep-alive connection count one connection (%s)" % t)
    keepalive_requests(conn, ["/gettoken?appkey=x&appsecret=y"])
    conn.close()
    keepalive_requests(http.client.HTTPConnection("127.0.0.1", m.port, timeout=5),
                       ["/gettoken?appkey=x&appsecret=y"])
    t = traffic(m)
    check(t.get("connections") == 2 and t.get("tls_handshakes") == 0
          and t.get("requests") == {"gettoken": 4},
          "a new connection counts again; plain HTTP counts no handshake (%s)" % t)


def make_cert(tmp):
    """A self-signed certificate for 127.0.0.1 (the mock's HTTPS)."""
    cert, key = os.path.join(tmp, "tls.pem"), os.path.join(tmp, "tls.key")
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", key, "-out", cert], capture_output=True)
    return (cert, key) if r.returncode == 0 else (None, None)


def tests_traffic_tls(tmp):
    import ssl
    cert, key = make_cert(tmp)
    if cert is None:
        check(False, "openssl made a test certificate")
        return
    m = Mock(tmp, "tls", "--tls-cert", cert, "--tls-key", key)
    ctx = ssl.create_default_context(cafile=cert)

    def https():
        return http.client.HTTPSConnection("127.0.0.1", m.port, timeout=5, context=ctx)

    def tls_traffic():
        conn = https()
        try:
            conn.request("GET", "/_mock/traffic")
            return json.loads(conn.getresponse().read())
        finally:
            conn.close()
    try:
        conn = https()
        conn.request("POST", "/_mock/reset", body="{}")
        conn.getresponse().read()
        conn.close()
        conn = https()
        keepalive_requests(conn, ["/gettoken?appkey=x&appsecret=y"] * 2)
        conn.close()
        t = tls_traffic()
        check(t.get("connections") == 1 and t.get("tls_handshakes") == 1,
              "TLS: two requests on one connection, one connection and one handshake (%s)" % t)
        keepalive_requests(https(), ["/gettoken?appkey=x&appsecret=y"])
        t = tls_traffic()
        check(t.get("connections") == 2 and t.get("tls_handshakes") == 2
              and t.get("requests") == {"gettoken": 3},
              "TLS: a handshake per connection (%s)" % t)
        with socket.create_connection(("127.0.0.1", m.port), timeout=5) as raw:
            raw.sendall(b"GET / HTTP/1.1\r\n\r\n")  # not TLS: the handshake fails
            try:
                raw.recv(100)
            except ConnectionResetError:
                pass
        t = tls_traffic()
        check(t.get("connections") == 3 and t.get("tls_handshakes") == 2,
              "TLS: a failed handshake counts the connection, not a handshake (%s)" % t)
    finally:
        m.stop()


def tests_ttl(tmp):
    persons = os.path.join(tmp, "persons.json")
    with open(persons, "w") as fh:
        json.dump([{"name": "zed", "nick": "Zed Q", "unionId": "uZed", "userid": "zed9"}], fh)
    m = Mock(tmp, "ttl", "--code-ttl", "1", "--token-ttl", "2", "--persons", persons,
             "--client-id", "otherkey", "--client-secret", "othersecret")
    try:
        st, b, _ = m.req("GET", m.authorize_query(client_id="otherkey") + "&mock_person=zed&mock_decision=approve")
        check(st == 302, "--client-id and --persons are honoured")
        code = parse_qs(urlsplit(_.getheader("Location")).query)["authCode"][0]
        time.sleep(1.3)
        st, b, _ = m.user_token(code, cid="otherkey", secret="othersecret")
        check(is_v1_error(st, b, 400, "invalidParameter.authCode.notFound"), "--code-ttl 1: expired code -> 400 authCode.notFound")
        st, b, _ = m.req("GET", m.authorize_query(client_id="otherkey") + "&mock_person=zed&mock_decision=approve")
        code = parse_qs(urlsplit(_.getheader("Location")).query)["authCode"][0]
        st, b, _ = m.user_token(code, cid="otherkey", secret="othersecret")
        check(st == 200 and b.get("expireIn") == 2, "--token-ttl sets expireIn")
        tok = b.get("accessToken")
        st, me, _ = m.req("GET", "/v1.0/contact/users/me", headers={"x-acs-dingtalk-access-token": tok})
        check(st == 200 and me.get("unionId") == "uZed", "custom person via users/me")
        st, a1, _ = m.req("POST", "/v1.0/oauth2/accessToken", {"appKey": "otherkey", "appSecret": "othersecret"})
        time.sleep(2.2)
        st, me, _ = m.req("GET", "/v1.0/contact/users/me", headers={"x-acs-dingtalk-access-token": tok})
        check(is_v1_error(st, me, 400, "InvalidAuthentication"), "expired user token -> 400 InvalidAuthentication")
        st, r, _ = m.req("POST", "/topapi/user/getbyunionid?access_token=" + a1["accessToken"], {"unionid": "uZed"})
        check(r.get("errcode") == 88, "expired app token -> 88/40014")
        st, a2, _ = m.req("POST", "/v1.0/oauth2/accessToken", {"appKey": "otherkey", "appSecret": "othersecret"})
        check(a2.get("accessToken") and a2["accessToken"] != a1["accessToken"], "a new app token after expiry")
    finally:
        m.stop()


def tests_flows_b_c(m):
    """Flow B (signed sns exchange) and flow C (免登 code), issue 4."""
    import base64
    import hashlib
    import hmac
    q = urlencode({"appid": CID, "response_type": "code", "scope": "snsapi_login", "state": "st",
                   "redirect_uri": "http://127.0.0.1/cb", "mock_person": "alice",
                   "mock_decision": "approve"})
    resp, _ = m.req("GET", "/connect/qrconnect?" + q, raw=True)
    loc = parse_qs(urlsplit(resp.getheader("Location") or "").query)
    check(resp.status == 302 and "code" in loc and "authCode" not in loc and loc.get("state") == ["st"],
          "qrconnect: redirect with code and state (no authCode)")
    code = loc.get("code", [""])[0]

    def signed(ts, secret=CSECRET, key=CID, encode=True):
        sig = base64.b64encode(hmac.new(secret.encode(), str(ts).encode(), hashlib.sha256).digest()).decode()
        from urllib.parse import quote
        return "/sns/getuserinfo_bycode?accessKey=%s&timestamp=%s&signature=%s" % (
            key, ts, quote(sig, safe="") if encode else sig)

    # A timestamp whose signature holds a '+', so that sending it without
    # URL-encoding really differs (a '+' in a query reads as a space).
    now = int(time.time() * 1000)
    while "%2B" not in signed(now):
        now += 1
    st, r, _ = m.req("POST", signed(now, secret="wrong"), {"tmp_auth_code": code})
    check(r.get("errcode") == 853004 and r.get("errmsg", "").startswith("signature参数不正确"),
          "sns: wrong secret -> 853004 signature mismatch")
    st, r, _ = m.req("POST", signed(now - 3600 * 1000), {"tmp_auth_code": code})
    check(r.get("errcode") == 853002 and "相差超过1分钟" in r.get("errmsg", ""),
          "sns: a timestamp an hour old -> 853002 more than a minute off")
    st, r, _ = m.req("POST", signed(now // 1000), {"tmp_auth_code": code})
    check(r.get("errcode") == 853001 and "毫秒数" in r.get("errmsg", ""),
          "sns: a timestamp in seconds -> 853001 not milliseconds")
    m.fault("sns_userinfo", "clockskew", seconds=3600, count=1)
    st, r, resp = m.req("POST", signed(now), {"tmp_auth_code": code})
    from email.utils import parsedate_to_datetime
    date = parsedate_to_datetime(resp.getheader("Date")).timestamp()
    check(r.get("errcode") == 853002 and 3590 < date - now / 1000 < 3610,
          "fault clockskew 3600 s -> a fresh timestamp is 853002, and the Date header runs ahead too")
    st, r, _ = m.req("POST", signed(now, key="other"), {"tmp_auth_code": code})
    check(r.get("errcode") == 853003, "sns: unknown accessKey -> 853003")
    st, r, _ = m.req("POST", signed(now, encode=False), {"tmp_auth_code": code})
    check(r.get("errcode") == 853004, "sns: a signature not URL-encoded ('+' read as space) is refused")
    st, r, _ = m.req("POST", signed(now), {"tmp_auth_code": code})
    ui = r.get("user_info") or {}
    check(r.get("errcode") == 0 and ui.get("unionid") == "uAlice0000000000000000iEiE" and ui.get("nick") == "Alice Zhang",
          "sns: signed exchange -> user_info with unionid")
    st, r, _ = m.req("POST", signed(now), {"tmp_auth_code": code})
    check(r.get("errcode") == 40078, "sns: code is single use -> 40078")

    st, c, _ = m.req("POST", "/_mock/inapp_code", {"person": "bob", "corpId": "dingother"})
    check(st == 400, "inapp code only for the mock's corpId")
    st, c, _ = m.req("POST", "/_mock/inapp_code", {"person": "bob", "corpId": "dingmockcorp0000000000000000000000"})
    st2, a, _ = m.req("POST", "/v1.0/oauth2/accessToken", {"appKey": CID, "appSecret": CSECRET})
    path = "/topapi/v2/user/getuserinfo?access_token=" + a["accessToken"]
    st, r, _ = m.req("POST", "/topapi/v2/user/getuserinfo", {"code": c["code"]})
    check(r.get("errcode") == 88 and r.get("sub_code") == "40000", "inapp getuserinfo without token -> 88/40000")
    st, r, _ = m.req("POST", path, {"code": c["code"]})
    res = r.get("result") or {}
    check(r.get("errcode") == 0 and res.get("userid") == "libob02" and res.get("unionid") == "uBob00000000000000000000iEiE",
          "inapp getuserinfo -> userid and unionid")
    st, r, _ = m.req("POST", path, {"code": c["code"]})
    check(r.get("errcode") == 40078, "inapp code is single use -> 40078")

    m.req("POST", "/_mock/fault", {"endpoint": "getbyunionid", "mode": "error", "errcode": 60020,
                                   "errmsg": "ip", "count": 1})
    st, r, _ = m.req("POST", "/topapi/user/getbyunionid?access_token=" + a["accessToken"], {"unionid": "x"})
    check(r.get("errcode") == 60020 and r.get("errmsg") == "ip", "fault error: chosen oapi errcode")
    m.req("POST", "/_mock/fault", {"endpoint": "users_me", "mode": "error", "status": 403,
                                   "code": "Forbidden.AccessDenied.IpNotInWhiteList", "count": 1})
    st, r, _ = m.req("GET", "/v1.0/contact/users/me")
    check(st == 403 and r.get("code") == "Forbidden.AccessDenied.IpNotInWhiteList" and "requestid" in r,
          "fault error: chosen v1 code and status")
    m.req("POST", "/_mock/fault", {"endpoint": "user_get", "mode": "ipban", "count": 1})
    st, r, _ = m.req("POST", "/topapi/v2/user/get?access_token=" + a["accessToken"], {"userid": "libob02"})
    check(st == 200 and r.get("status") == 1111 and r.get("wait") == 5 and r.get("punish") == "deny"
          and "errcode" not in r, "fault ipban: HTTP 200, status 1111, wait 5 (minutes) by default")
    m.req("POST", "/_mock/fault", {"endpoint": "user_get", "mode": "ipban", "wait": 0.02, "count": 1})
    st, r, _ = m.req("POST", "/topapi/v2/user/get?access_token=" + a["accessToken"], {"userid": "libob02"})
    check(r.get("wait") == 0.02, "fault ipban: a chosen wait")
    st, r, _ = m.req("POST", "/_mock/fault", {"endpoint": "user_get", "mode": "ipban", "wait": "5"})
    check(st == 400, "fault ipban: wait must be a number of minutes")


def tests_dingtalk_errors(m, app):
    """Issue 14: the error answers as DingTalk gives them."""
    st, r, _ = m.req("POST", "/v1.0/oauth2/notAnApi", {})
    check(st == 200 and r == {"errcode": 404, "errmsg": "请求的URI地址不存在"},
          "unknown path on api.dingtalk.com -> HTTP 200 errcode 404")
    st, r, _ = m.req("POST", "/wrong/v1.0/oauth2/userAccessToken", {})
    check(st == 200 and r.get("errcode") == 404, "a base with a path -> HTTP 200 errcode 404")
    st, r, _ = m.req("POST", "/topapi/v2/user/notexist?access_token=" + app, {})
    check(st == 200 and r.get("errcode") == 22 and "dingtalk.oapi.v2.user.notexist" in r.get("sub_msg", ""),
          "unknown topapi name -> errcode 22 naming the API")
    st, r, _ = m.req("GET", "/_mock/nothing")
    check(st == 404, "unknown admin path -> 404")
    m.fault("getbyunionid", "blanktoken", count=1)
    st, r, _ = m.req("POST", "/topapi/user/getbyunionid?access_token=" + app, {"unionid": "uAlice0000000000000000iEiE"})
    check(r.get("errcode") == 88 and r.get("sub_code") == "40000" and r.get("sub_msg") == "access_token is blank",
          "fault blanktoken -> 88 / 40000 access_token is blank")
    st, r, _ = m.req("POST", "/topapi/user/getbyunionid?access_token=" + app, {"unionid": "uAlice0000000000000000iEiE"})
    check(r.get("errcode") == 0, "fault blanktoken count=1 clears itself")
    for code in ("Forbidden.AccessDenied.QpmLimitForAppkeyAndApi",
                 "Forbidden.AccessDenied.QpmLimitForSuitekeyAndOrgAndApi",
                 "Forbidden.AccessDenied.QpsLimitForSuitekeyAndOrgAndApi"):
        m.fault("users_me", "throttled", code=code, count=1)
        st, b, _ = m.req("GET", "/v1.0/contact/users/me")
        check(is_v1_error(st, b, 403, code), "fault throttled code=%s -> 403 %s" % (code, code))
    for errcode in (90001, 90005, 90017):
        m.fault("user_get", "throttled", errcode=errcode, count=1)
        st, r, _ = m.req("POST", "/topapi/v2/user/get?access_token=" + app, {"userid": "libob02"})
        check(st == 200 and r.get("errcode") == errcode and r.get("errmsg"),
              "fault throttled errcode=%d -> errcode %d" % (errcode, errcode))
    st, r, _ = m.req("POST", "/_mock/fault", {"endpoint": "users_me", "mode": "throttled", "code": "Made.Up"})
    check(st == 400, "fault throttled: only documented codes")
    m.fault("*", "none")


def tests_people(m, token, app):
    """External contacts, leavers, left-out fields and permission refusals,
    answered as docs/dingtalk-api.md says DingTalk answers them."""
    def topapi(path, body):
        return m.req("POST", path + "?access_token=" + app, body)[1]

    r = topapi("/topapi/v2/user/get", {"userid": "extcarol04"})
    check(r.get("errcode") == 60121, "v2/user/get for an external contact -> 60121")
    r = topapi("/topapi/extcontact/get", {"user_id": "extcarol04"})
    res = r.get("result", {})
    check(r.get("errcode") == 0 and res.get("userid") == "extcarol04"
          and res.get("company_name") == "Partner Co" and "unionid" not in res
          and "active" not in res and "dept_id_list" not in res,
          "extcontact/get -> the external contact's record (no unionid, active, departments)")
    r = topapi("/topapi/extcontact/get", {"user_id": "zhangalice01"})
    check(r.get("errcode") == 33012, "extcontact/get for an employee -> 33012")
    r = topapi("/topapi/user/getbyunionid", {"unionid": "uFrank0000000000000000iEiE"})
    check(r.get("errcode") == 60121, "getbyunionid for a leaver -> 60121, not active=false")
    r = topapi("/topapi/v2/user/get", {"userid": "frank06"})
    check(r.get("errcode") == 60121, "v2/user/get for a leaver -> 60121")
    r = topapi("/topapi/v2/user/get", {"userid": "dave05"})
    check(r.get("errcode") == 0 and r["result"].get("active") is False,
          "v2/user/get for a member who has not activated DingTalk -> active false")
    r = topapi("/topapi/v2/user/get", {"userid": "mallory03"})
    res = r.get("result", {})
    check(r.get("errcode") == 0 and not {"email", "org_email", "work_place", "remark",
                                         "mobile", "job_number", "hired_date",
                                         "manager_userid"} & set(res),
          "v2/user/get leaves out empty fields instead of sending \"\"")
    check("" not in res.values(), "v2/user/get sends no empty strings")

    def grant(*names):
        st, _, _ = m.req("POST", "/_mock/permissions", {"granted": list(names)})
        assert st == 200
    grant("Contact.User.Read", "qyapi_get_member", "qyapi_ext_read")
    r = topapi("/topapi/v2/user/get", {"userid": "zhangalice01"})
    check(r.get("errcode") == 0 and "email" not in r["result"] and "mobile" not in r["result"],
          "without 邮箱等个人信息 v2/user/get leaves email out")
    grant("Contact.User.Read", "qyapi_ext_read", "email")
    r = topapi("/topapi/user/getbyunionid", {"unionid": "uAlice0000000000000000iEiE"})
    check(r.get("errcode") == 60011 and r.get("errmsg") == "没有调用该接口的权限",
          "without qyapi_get_member getbyunionid -> 60011")
    grant("qyapi_get_member")
    r = topapi("/topapi/extcontact/get", {"user_id": "extcarol04"})
    check(r.get("errcode") == 60011, "without qyapi_ext_read extcontact/get -> 60011")
    st, b, _ = m.req("GET", "/v1.0/contact/users/me", headers={"x-acs-dingtalk-access-token": token})
    check(st == 403 and b.get("Code") == "Forbidden.AccessDenied.AccessTokenPermissionDenied"
          and b.get("AccessDeniedDetail") == {"requiredScopes": ["Contact.User.Read"]},
          "without Contact.User.Read users/me -> 403 naming requiredScopes")
    st, b, _ = m.req("POST", "/_mock/permissions", {"granted": ["nonsense"]})
    check(st == 400, "an unknown permission is refused by the admin API")
    m.req("POST", "/_mock/reset")
    st, b, _ = m.req("GET", "/v1.0/contact/users/me", headers={"x-acs-dingtalk-access-token": token})
    check(st == 200, "reset grants every permission again")


def main():
    tmp = tempfile.mkdtemp(prefix="dtmock-test-")
    m = None
    try:
        m = Mock(tmp, "main")
        check(m.port > 0, "mock starts on a free port and writes --port-file")
        token = tests_login(m)
        app = tests_app(m)
        tests_dingtalk_errors(m, app)
        tests_faults(m, token, app)
        tests_people(m, token, app)
        tests_misc(m, token)
        tests_traffic(m)
        tests_flows_b_c(m)
        tests_ttl(tmp)
        tests_traffic_tls(tmp)
    except Exception as e:  # a crash is a failure, not a silent pass
        import traceback
        diag(traceback.format_exc())
        check(False, "test run crashed: %r" % e)
    finally:
        if m:
            m.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print("1..%d" % len(results), flush=True)  # plan at the end: valid TAP
    failed = [i for i, (ok, _) in enumerate(results, 1) if not ok]
    if failed:
        diag("failed: %s" % failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
