#!/usr/bin/env python3
"""Local mock of the DingTalk login and identity APIs, for tests.

Plays DingTalk as docs/dingtalk-api.md describes it (that document
also lists where the mock still differs): one loopback HTTP server plays
login.dingtalk.com (authorize page), api.dingtalk.com (v1.0 envelope) and
oapi.dingtalk.com (errcode envelope); point login_base, api_base and
oapi_base all at it.

Endpoints (stats/fault names in brackets):
  GET  /oauth2/auth                      [authorize]
  POST /v1.0/oauth2/userAccessToken      [userAccessToken] a code that is not
       32 hex digits -> 400 InvalidParameter; unknown or used -> 400
       invalidParameter.authCode.notFound
  GET  /v1.0/contact/users/me            [users_me]
  POST /v1.0/oauth2/accessToken          [accessToken]
  GET  /gettoken                         [gettoken]
  POST /topapi/user/getbyunionid         [getbyunionid]
  POST /topapi/v2/user/get               [user_get] employees only; fields
       that are empty or not permitted are left out
  POST /topapi/extcontact/get            [extcontact_get] external contacts
  GET  /connect/qrconnect                [qrconnect]   flow B authorize
  POST /sns/getuserinfo_bycode           [sns_userinfo] flow B, signed:
       accessKey, timestamp (ms), signature = base64(HMAC-SHA256(secret,
       timestamp)) URL-encoded once; errors as DingTalk documents them:
       853001 timestamp not milliseconds, 853002 more than --sign-window
       seconds off, 853003 unknown accessKey, 853004 signature mismatch
  POST /topapi/v2/user/getuserinfo       [inapp_userinfo] flow C, app token
  POST /user/getuserinfo is not served (the older flat form).
  Any other path: HTTP 200 {"errcode":404,"errmsg":"请求的URI地址不存在"}, or
       under /topapi/ errcode 22 (an API name DingTalk does not know).
Admin (not DingTalk):
  POST /_mock/fault  {"endpoint": NAME|"*", "mode": MODE, "seconds": N, "count": K}
       MODE: none slow trickle truncated nonjson http500 throttled wrongtypes
             hang error ipban badtoken huge clockskew
       slow: the whole answer waits "seconds" (default 3).
       trickle: the status line and headers (with the full Content-Length)
         at once, then the body one byte every "interval_ms" (default 250),
         so only a deadline on the whole transfer stops it, not one on the
         first byte.
       "count" (optional) limits the fault to the next K calls.
       error: answer with a chosen DingTalk error in the endpoint's envelope:
         {"code": "Forbidden.AccessDenied.IpNotInWhiteList", "status": 403,
          "message": "..."} (v1 endpoints) or {"errcode": 60020,
          "errmsg": "...", "sub_code": "60011"} (oapi endpoints; with
          sub_code the answer is errcode 88 wrapping it, as topapi does).
       ipban: {"status": 1111, "wait": N, ...} (N = "wait", in MINUTES as
         DingTalk means it, default 5; a fraction lets a test see a short
         ban end), HTTP 200.
       throttled: DingTalk's throttling answer; "code" (v1 endpoints) or
         "errcode" (oapi) picks one of the documented ones (THROTTLES).
       blanktoken: the call is taken as sent without its access_token (as
         behind a proxy that drops the query): errcode 88, sub_code 40000.
       badtoken: forget the current app token (as if it expired early), so
         the next call with it fails with 40014 / InvalidAuthentication.
       huge: HTTP 200, a JSON body of "bytes" bytes (default 10 MB), sent
         with its Content-Length; a client that hangs up early is fine.
       clockskew: the mock's clock runs "seconds" ahead (negative: behind)
         when it checks a signed request's timestamp (sns_userinfo), as if
         this host's clock were that far off.
  POST /_mock/inapp_code {"person": NAME, "corpId": CORP}: what the JSAPI
       dd.runtime.permission.requestAuthCode gives a page inside DingTalk: a
       免登 code (single use, --code-ttl), for corpId = --corp-id only.
  GET  /_mock/fault  current faults
  GET  /_mock/stats  {"authorize": 3, ...} calls per endpoint (incl. failures)
  GET  /_mock/traffic {"connections": N, "tls_handshakes": N, "requests":
       {"authorize": 3, ...}}: TCP connections accepted, TLS handshakes
       completed (HTTPS only) and calls per endpoint. A connection whose
       first request is an admin one (/_mock/...) is left out of both
       counts, so reading them (or resetting them) does not count itself.
  POST /_mock/reset  clear stats, traffic and faults, grant every
       permission again (codes and tokens are kept)
  POST /_mock/permissions {"granted": [...]}: the app's permissions from now
       on, of Contact.User.Read (users/me), qyapi_get_member (getbyunionid,
       v2/user/get), qyapi_ext_read (extcontact/get), email (邮箱等个人信息:
       v2/user/get's email), mobile. Default: all. A missing one answers as
       DingTalk does (403 AccessTokenPermissionDenied, errcode 60011).

--persons FILE: a JSON list of objects replacing the built-in persons, keys:
  name (used as mock_person), nick, unionId, openId, avatarUrl, and optional
  email, mobile, userid (absent/null = not in the organisation -> 60121),
  contact_type (0 employee, 1 external contact), title, dept_id_list,
  active (false: has not activated DingTalk), left (true: has left the
  organisation -> 60121), org_email, job_number, hired_date,
  company_name, follower_user_id.

Never logs codes, secrets, tokens or query strings.
"""

import argparse
import base64
import hashlib
import hmac
import html
import json
import os
import re
import secrets
import signal
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

BUILTIN_PERSONS = [
    {"name": "alice", "nick": "Alice Zhang",
     "unionId": "uAlice0000000000000000iEiE", "openId": "oAlice00000000000000iEiE",
     "avatarUrl": "https://static.example.invalid/avatar/alice.png",
     "email": "alice@example.com", "mobile": "13800000001",
     "userid": "zhangalice01", "contact_type": 0, "title": "SRE", "hired_date": 1597573616828,
     "dept_id_list": [1, 100]},
    {"name": "bob", "nick": "Bob Li",
     "unionId": "uBob00000000000000000000iEiE", "openId": "oBob000000000000000000iEiE",
     "avatarUrl": "https://static.example.invalid/avatar/bob.png",
     "email": "bob@example.com",
     "userid": "libob02", "contact_type": 0, "title": "Developer",
     "dept_id_list": [100]},
    {"name": "mallory", "nick": "<b>Mal</b>\x1b[31mlory\x1b[0m",
     "unionId": "uMallory000000000000000iEiE", "openId": "oMallory0000000000000iEiE",
     "avatarUrl": "https://static.example.invalid/avatar/mallory.png",
     "userid": "mallory03", "contact_type": 0, "title": "<script>x</script>",
     "dept_id_list": [200]},
    # external contact: getbyunionid answers contact_type 1, v2/user/get
    # 60121, extcontact/get her record (see "People" below)
    {"name": "carol", "nick": "Carol Wang",
     "unionId": "uCarol0000000000000000iEiE", "openId": "oCarol00000000000000iEiE",
     "avatarUrl": "https://static.example.invalid/avatar/carol.png",
     "email": "carol@partner.example", "userid": "extcarol04", "contact_type": 1,
     "title": "Consultant", "company_name": "Partner Co", "follower_user_id": "zhangalice01",
     "dept_id_list": []},
    # in the organisation, has not activated DingTalk there: active = false
    {"name": "dave", "nick": "Dave Inactive",
     "unionId": "uDave00000000000000000000iEiE", "openId": "oDave0000000000000000iEiE",
     "avatarUrl": "https://static.example.invalid/avatar/dave.png",
     "email": "dave@example.com", "userid": "dave05", "contact_type": 0,
     "active": False, "dept_id_list": [100]},
    # left the organisation: DingTalk no longer finds him (60121 everywhere)
    {"name": "frank", "nick": "Frank Left",
     "unionId": "uFrank0000000000000000iEiE", "openId": "oFrank00000000000000iEiE",
     "avatarUrl": "https://static.example.invalid/avatar/frank.png",
     "email": "frank@example.com", "userid": "frank06", "contact_type": 0,
     "left": True, "dept_id_list": [100]},
    # Records the client cannot use, standing for any such answer (not
    # DingTalk behaviours): a contact_type getbyunionid does not document
    # (0 and 1 only [getbyunionid]), and a title longer than the client
    # reads. Either login must be refused, not "unavailable".
    {"name": "grace", "nick": "Grace Odd",
     "unionId": "uGrace0000000000000000iEiE", "openId": "oGrace00000000000000iEiE",
     "avatarUrl": "https://static.example.invalid/avatar/grace.png",
     "email": "grace@example.com", "userid": "grace07", "contact_type": 2,
     "title": "Ops", "dept_id_list": [100]},
    {"name": "heidi", "nick": "Heidi Long",
     "unionId": "uHeidi0000000000000000iEiE", "openId": "oHeidi00000000000000iEiE",
     "avatarUrl": "https://static.example.invalid/avatar/heidi.png",
     "email": "heidi@example.com", "userid": "heidi08", "contact_type": 0,
     "title": "T" * 300, "dept_id_list": [100]},
    # has a DingTalk account, not in the organisation: getbyunionid -> 60121
    {"name": "eve", "nick": "Eve Stranger",
     "unionId": "uEve000000000000000000000iEiE", "openId": "oEve00000000000000000iEiE",
     "avatarUrl": "https://static.example.invalid/avatar/eve.png",
     "userid": None},
]

FAULT_MODES = ("none", "slow", "trickle", "truncated", "nonjson", "http500", "throttled",
               "wrongtypes", "hang", "error", "ipban", "badtoken", "huge", "clockskew",
               "blanktoken")
ENDPOINTS = ("authorize", "userAccessToken", "users_me", "accessToken",
             "gettoken", "getbyunionid", "user_get", "qrconnect", "sns_userinfo",
             "inapp_userinfo", "extcontact_get")
V1_ENDPOINTS = ("userAccessToken", "users_me", "accessToken")
CODE_SHAPE = re.compile(r"[0-9a-f]{32}")


def request_id():
    return str(uuid.uuid4()).upper()


def _to_wrong_types(v):
    """Same shape, wrong JSON types: numbers/booleans become strings,
    strings become numbers."""
    if isinstance(v, dict):
        return {k: _to_wrong_types(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_to_wrong_types(x) for x in v]
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, str):
        return len(v) or 1
    return v


class Reply:
    """What a handler returns; faults may rewrite it before it is sent."""

    def __init__(self, status, body, ctype="application/json;charset=utf-8",
                 headers=None, is_json=True):
        self.status = status
        self.body = body           # dict for JSON, str/bytes otherwise
        self.ctype = ctype
        self.headers = headers or {}
        self.is_json = is_json

    def payload(self):
        if self.is_json:
            return json.dumps(self.body, ensure_ascii=False).encode("utf-8")
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        return self.body


def v1_error(status, code, message):
    rid = request_id()
    return Reply(status, {"code": code, "message": message, "requestid": rid},
                 headers={"x-acs-request-id": rid})


def v1_ok(body):
    return Reply(200, body, headers={"x-acs-request-id": request_id()})


def oapi(errcode, errmsg, **extra):
    body = {"errcode": errcode, "errmsg": errmsg}
    body.update(extra)
    return Reply(200, body)


def oapi_topapi(errcode, errmsg, **extra):
    body = {"errcode": errcode, "errmsg": errmsg}
    body.update(extra)
    body["request_id"] = secrets.token_hex(7)
    return Reply(200, body)


# --- DingTalk's answers to errors (issue 14), each with its public source --
# [errors] is DingTalk's global error code list,
# https://open.dingtalk.com/document/development/server-api-error-codes-1;
# [probe] is a public log of calls with made-up credentials to the real
# DingTalk on 2026-09-11 (see docs/dingtalk-api.md, "Sources").

def topapi_auth_error(token):
    """A topapi call without a token: 88 / sub_code "40000" "access_token is
    blank" [probe P9]; with one DingTalk does not know: 88 / "40014" [probe
    P8] ([errors]: 88 is 鉴权异常, the cause is in sub_code and sub_msg)."""
    if not token:
        sub_code, sub = "40000", "access_token is blank"
    else:
        sub_code, sub = "40014", "不合法的access_token"
    return oapi_topapi(88, "ding talk error[subcode=%s,submsg=%s]" % (sub_code, sub),
                       sub_code=sub_code, sub_msg=sub)


def invalid_authentication():
    """api.dingtalk.com with a token it does not know: HTTP 400
    InvalidAuthentication ([errors]; [probe P6]; satorijs/satori#240)."""
    return v1_error(400, "InvalidAuthentication", "不合法的access_token")


def gettoken_missing():
    """gettoken without appkey/appsecret in the query: 40035 ([errors]:
    不合法的参数, no parameters sent; the text from [probe P2])."""
    return oapi(40035, "缺少参数 corpid or appkey")


def gettoken_bad_credentials():
    """gettoken with an appkey/appsecret DingTalk does not know: 40096
    [probe P1] (not in [errors], which lists 40089 for corpid/corpsecret)."""
    return oapi(40096, "不合法的appKey或appSecret")


def unknown_path(path):
    """A path DingTalk does not serve: HTTP 200 in the errcode envelope,
    errcode 404 even on api.dingtalk.com ([errors]; [probe P12]); an unknown
    topapi name is errcode 22 [probe P14]."""
    if path.startswith("/topapi/"):
        name = "dingtalk.oapi." + path[len("/topapi/"):].replace("/", ".")
        sub = "不合法ApiName，ApiName = %s" % name
        return oapi_topapi(22, "Invalid method[submsg=%s]" % sub, sub_msg=sub)
    return oapi(404, "请求的URI地址不存在")


# The throttling answers [errors]: api.dingtalk.com's 403 codes, oapi's
# errcodes (90002 and 90018 also in [throttling]).
THROTTLES_V1 = {
    "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi": "您的企业应用调用钉钉开放平台当前接口的所有请求都被暂时禁用了",
    "Forbidden.AccessDenied.QpsLimitForApi": "您的服务器调用钉钉开放平台当前接口的所有请求都被暂时禁用了",
    "Forbidden.AccessDenied.QpsLimitForSuitekeyAndOrgAndApi": "您的ISV应用调用钉钉开放平台当前接口的所有请求都被暂时禁用了",
    "Forbidden.AccessDenied.QpmLimitForAppkeyAndApi": "您的企业应用调用钉钉开放平台当前接口的所有请求都被暂时禁用了",
    "Forbidden.AccessDenied.QpmLimitForSuitekeyAndOrgAndApi": "您的ISV应用调用钉钉开放平台当前接口的所有请求都被暂时禁用了",
}
THROTTLES_OAPI = {
    90001: "您的服务器调用钉钉开放平台所有接口的请求都被暂时禁用了",
    90002: "您的服务器调用钉钉开放平台当前接口的所有请求都被暂时禁用了",
    90003: "您的企业调用钉钉开放平台所有接口的请求都被暂时禁用了，仅对企业自己的Accesstoken有效",
    90004: "您当前使用的CorpId及CorpSecret被暂时禁用了，仅对企业自己的Accesstoken有效",
    90005: "您的企业调用当前接口次数过多，请求被暂时禁用了，仅对企业自己的Accesstoken有效",
    90006: "您当前使用的CorpId及CorpSecret调用当前接口次数过多，请求被暂时禁用了，仅对企业自己的Accesstoken有效",
    90007: "您当前要调用的企业的接口次数过多，对该企业的所有请求都被暂时禁用了",
    90008: "您当前要调用的企业的当前接口次数过多，对此企业下该接口的所有请求都被暂时禁用了",
    90009: "您调用企业接口超过了限制，对所有企业的所有接口的请求都被暂时禁用了",
    90010: "您调用企业当前接口超过了限制，对所有企业的该接口的请求都被暂时禁用了",
    90011: "您的套件调用企业接口超过了限制，该套件的所有请求都被暂时禁用了",
    90012: "您的套件调用企业当前接口超过了限制，该套件对此接口的所有请求都被暂时禁用了",
    90013: "您的套件调用当前企业的接口超过了限制，该套件对此企业的所有请求都被暂时禁用了",
    90014: "您的套件调用企业当前接口超过了限制，该套件对此企业该接口的所有请求都被暂时禁用了",
    90017: "此IP使用CorpId及CorpSecret调用接口的CorpId个数超过限制",
    90018: "当前企业调用该接口超过限制，请稍后再试",
}


def ip_ban(wait_minutes):
    """The IP ban: HTTP 200 and this object, not an error envelope; "wait"
    counts minutes (the documented example is 5, the ban five minutes)
    ([rate-limit] https://open.dingtalk.com/document/development/call-frequency-limit)."""
    return Reply(200, {"status": 1111, "wait": wait_minutes, "source": "x5",
                       "punish": "deny", "uuid": str(uuid.uuid4())})


# flow B's signature errors, texts from [errors]
SNS_ERRORS = {
    853001: "timestamp参数格式不正确，必须是当前时间的毫秒数",
    853002: "timestamp参数不合法，该参数值与钉钉服务器当前时间相差超过1分钟",
    853003: "accessKey参数不合法，必须是钉钉开放平台存在的appId",
    853004: "signature参数不正确，与钉钉服务端计算出来的签名不一致，注意该参数传递时必须urlEncode",
}


# --- People: what the directory says about whom, and with which permission --
# Sources (docs/dingtalk-api.md names the pages):
#  * 查询用户详情 (query-user-details), topapi/v2/user/get: fields such as
#    avatar, manager_userid, email, work_place, remark, org_email,
#    extension and hired_date are returned only when they have a value;
#    email, work_place, remark and extension only when the app holds
#    邮箱等个人信息, mobile only with 企业员工手机号信息. `active` means "has
#    activated DingTalk". Permission qyapi_get_member.
#  * 全局错误码 (server-api-error-codes-1): 60121 找不到该用户 "check that the
#    employee exists in the organisation": a person who left is no longer
#    found; 60011 没有调用该接口的权限 for a missing permission (oapi), and
#    HTTP 403 Forbidden.AccessDenied.AccessTokenPermissionDenied (api).
#  * 添加接口调用权限 (add-api-permission): the 403 body, with
#    AccessDeniedDetail.requiredScopes naming the permission, capitals and
#    all, as the page shows it.
#  * 获取外部联系人详情 (obtains-the-external-contact-details-of-an-enterprise),
#    topapi/extcontact/get with {"user_id"}: the record below (no unionid,
#    no active, no departments); 33012 无效的userId; permission
#    qyapi_ext_read. v2/user/get documents employees only, so an external
#    contact's userid is not found there (60121).
#  * 获取用户通讯录个人信息 (dingtalk-retrieve-user-information),
#    contact/users/me: permission Contact.User.Read.
PERMISSIONS = ("Contact.User.Read", "qyapi_get_member", "qyapi_ext_read", "email", "mobile")


def permission_denied_v1(scope):
    rid = request_id()
    return Reply(403, {
        "AccessDeniedDetail": {"requiredScopes": [scope]},
        "Code": "Forbidden.AccessDenied.AccessTokenPermissionDenied",
        "HostId": "dingtalk-inner.aliyuncs.com",
        "Message": "没有调用该接口的权限",
        "Recommend": "https://next.api.aliyun.com/troubleshoot?q=Forbidden.AccessDenied."
                     "AccessTokenPermissionDenied&product=dingtalk",
        "RequestId": rid}, headers={"x-acs-request-id": rid})


def permission_denied_oapi():
    return oapi_topapi(60011, "没有调用该接口的权限")


def employee_record(p, granted):
    """topapi/v2/user/get's result: what is empty or not permitted is left out."""
    depts = list(p.get("dept_id_list") or [])
    result = {
        "userid": p["userid"], "unionid": p["unionId"], "name": p["nick"],
        "state_code": "86", "hide_mobile": False, "exclusive_account": False,
        "dept_id_list": depts,
        "dept_order_list": [{"dept_id": d, "order": 176294576350761512} for d in depts],
        "leader_in_dept": [{"dept_id": d, "leader": False} for d in depts],
        "role_list": [{"id": 1, "name": "负责人", "group_name": "默认"}],
        "active": p.get("active", True), "admin": False, "boss": False, "senior": False,
        "real_authed": True,
    }
    optional = {"avatar": p.get("avatarUrl"), "job_number": p.get("job_number"),
                "title": p.get("title"), "org_email": p.get("org_email"),
                "hired_date": p.get("hired_date"), "manager_userid": p.get("manager_userid")}
    if "email" in granted:
        optional.update(email=p.get("email"), work_place=p.get("work_place"),
                        remark=p.get("remark"))
    if "mobile" in granted:
        optional["mobile"] = p.get("mobile")
    result.update({k: v for k, v in optional.items() if v not in (None, "")})
    return result


def external_record(p):
    """topapi/extcontact/get's result for an external contact."""
    result = {"userid": p["userid"], "name": p["nick"], "share_user_ids": [],
              "share_dept_ids": [], "label_ids": [], "state_code": "86"}
    optional = {"title": p.get("title"), "company_name": p.get("company_name"),
                "email": p.get("email"), "mobile": p.get("mobile"),
                "follower_user_id": p.get("follower_user_id")}
    result.update({k: v for k, v in optional.items() if v not in (None, "")})
    return result


def html_page(status, title, body_html):
    doc = ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
           "<title>%s</title></head><body>\n%s\n</body></html>\n"
           % (html.escape(title), body_html))
    return Reply(status, doc, ctype="text/html;charset=utf-8", is_json=False)


def esc(s):
    """HTML-escape, and make control characters visible and inert."""
    s = html.escape(str(s), quote=True)
    return re.sub(r"[\x00-\x1f\x7f]", lambda m: "&#%d;" % ord(m.group()), s)


def add_query(url, params):
    """Append params to url's query (url may already have one)."""
    parts = urlsplit(url)
    extra = urlencode(params)
    query = parts.query + ("&" if parts.query else "") + extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query,
                       parts.fragment))


class State:
    def __init__(self, args, persons):
        self.lock = threading.Lock()
        self.client_id = args.client_id
        self.client_secret = args.client_secret
        self.corp_id = args.corp_id
        self.sign_window = args.sign_window
        self.code_ttl = args.code_ttl
        self.token_ttl = args.token_ttl
        self.redirect_domains = args.redirect_domain or []
        self.persons = {p["name"]: p for p in persons}
        self.by_union = {p["unionId"]: p for p in persons}
        self.by_userid = {p["userid"]: p for p in persons
                          if p.get("userid") and not p.get("left")}
        self.codes = {}          # code -> {person, scope, client_id, exp}
        self.user_tokens = {}    # token -> {person, exp}
        self.refresh_tokens = {}  # refresh token -> {person, scope, client_id}
        self.app_token = None    # (token, exp)
        self.stats = {}
        self.connections = 0     # TCP connections accepted (GET /_mock/traffic)
        self.tls_handshakes = 0  # TLS handshakes completed
        self.faults = {}         # endpoint|"*" -> {mode, seconds, count}
        self.granted = set(PERMISSIONS)  # the app's permissions (see "People")
        self.log_file = args.log
        self.log_lock = threading.Lock()

    # --- bookkeeping -------------------------------------------------------
    def count(self, endpoint):
        with self.lock:
            self.stats[endpoint] = self.stats.get(endpoint, 0) + 1

    def note_accept(self):
        with self.lock:
            self.connections += 1

    def note_handshake(self):
        with self.lock:
            self.tls_handshakes += 1

    def forget_connection(self, tls):
        """An admin connection: the reader's own, not the client's."""
        with self.lock:
            self.connections -= 1
            if tls:
                self.tls_handshakes -= 1

    def take_fault(self, endpoint):
        with self.lock:
            for key in (endpoint, "*"):
                f = self.faults.get(key)
                if f is None:
                    continue
                if f.get("count") is not None:
                    f["count"] -= 1
                    if f["count"] <= 0:
                        del self.faults[key]
                return dict(f)
        return None

    def log(self, line):
        if not self.log_file:
            return
        with self.log_lock:
            with open(self.log_file, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")

    # --- codes and tokens --------------------------------------------------
    def issue_code(self, person, scope, client_id):
        code = secrets.token_hex(16)
        with self.lock:
            self.codes[code] = {"person": person, "scope": scope,
                                "client_id": client_id,
                                "exp": time.monotonic() + self.code_ttl}
        return code

    def consume_code(self, code):
        """Single use: the code is gone after the first try."""
        with self.lock:
            rec = self.codes.pop(code, None)
        if rec is None or rec["exp"] < time.monotonic():
            return None
        return rec

    def issue_user_token(self, rec):
        tok = secrets.token_hex(16)
        ref = secrets.token_hex(16)
        with self.lock:
            self.user_tokens[tok] = {"person": rec["person"],
                                     "exp": time.monotonic() + self.token_ttl}
            self.refresh_tokens[ref] = dict(rec)
        return tok, ref

    def consume_refresh(self, ref):
        with self.lock:
            return self.refresh_tokens.pop(ref, None)

    def user_token(self, tok):
        with self.lock:
            rec = self.user_tokens.get(tok)
        if rec is None or rec["exp"] < time.monotonic():
            return None
        return rec

    def get_app_token(self):
        """Same token while valid; each fetch renews it (as DingTalk does)."""
        now = time.monotonic()
        with self.lock:
            if self.app_token is None or self.app_token[1] < now:
                self.app_token = [secrets.token_hex(16), 0]
            self.app_token[1] = now + self.token_ttl
            return self.app_token[0]

    def app_token_valid(self, tok):
        if not tok:
            return False
        with self.lock:
            cur = self.app_token
        return (cur is not None and cur[1] >= time.monotonic()
                and secrets.compare_digest(cur[0], tok))

    def client_ok(self, cid, csecret):
        return (isinstance(cid, str) and isinstance(csecret, str)
                and secrets.compare_digest(cid.encode(), self.client_id.encode())
                and secrets.compare_digest(csecret.encode(),
                                           self.client_secret.encode()))


class Handler(BaseHTTPRequestHandler):
    clock_offset = 0.0                 # clockskew fault, per request
    blank_token = False                # blanktoken fault, per request
    protocol_version = "HTTP/1.1"
    timeout = 60          # idle keep-alive connections do not pin threads
    # Headers and body are two writes: with Nagle on, the body waited for
    # the client's delayed ACK (40 ms on Linux) on every answer after the
    # first of a connection, which bench/ measured as 44 ms of every login.
    disable_nagle_algorithm = True
    first_request = True  # of this connection (one Handler per connection)

    ROUTES = {
        ("GET", "/oauth2/auth"): ("authorize", "h_authorize"),
        ("POST", "/v1.0/oauth2/userAccessToken"): ("userAccessToken", "h_user_access_token"),
        ("GET", "/v1.0/contact/users/me"): ("users_me", "h_users_me"),
        ("POST", "/v1.0/oauth2/accessToken"): ("accessToken", "h_app_access_token"),
        ("GET", "/gettoken"): ("gettoken", "h_gettoken"),
        ("POST", "/topapi/user/getbyunionid"): ("getbyunionid", "h_getbyunionid"),
        ("POST", "/topapi/v2/user/get"): ("user_get", "h_user_get"),
        ("POST", "/topapi/extcontact/get"): ("extcontact_get", "h_extcontact_get"),
        ("GET", "/connect/qrconnect"): ("qrconnect", "h_qrconnect"),
        ("POST", "/sns/getuserinfo_bycode"): ("sns_userinfo", "h_sns_userinfo"),
        ("POST", "/topapi/v2/user/getuserinfo"): ("inapp_userinfo", "h_inapp_userinfo"),
        ("POST", "/_mock/inapp_code"): (None, "h_mock_inapp_code"),
        ("POST", "/_mock/fault"): (None, "h_mock_fault_set"),
        ("GET", "/_mock/fault"): (None, "h_mock_fault_get"),
        ("GET", "/_mock/stats"): (None, "h_mock_stats"),
        ("GET", "/_mock/traffic"): (None, "h_mock_traffic"),
        ("POST", "/_mock/reset"): (None, "h_mock_reset"),
        ("POST", "/_mock/permissions"): (None, "h_mock_permissions"),
    }

    def version_string(self):
        return "Tengine"

    @property
    def st(self):
        return self.server.state

    # no default logging: it would print the request line with its query
    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_DELETE(self):
        self.dispatch("DELETE")

    # --- plumbing -------------------------------------------------------------
    def dispatch(self, method):
        self.clock_offset = 0.0
        self.blank_token = False
        parts = urlsplit(self.path)
        self.req_path = parts.path
        self.query = parse_qs(parts.query, keep_blank_values=True)
        self.body = b""
        length = self.headers.get("Content-Length")
        try:
            n = int(length) if length else 0
        except ValueError:
            n = -1
        if n < 0 or n > 1 << 20:
            self.close_connection = True
            self.send_reply(v1_error(400, "InvalidParameter", "bad Content-Length"))
            return
        if n:
            self.body = self.rfile.read(n)

        if self.first_request:
            self.first_request = False
            if parts.path.startswith("/_mock/"):
                self.st.forget_connection(self.server.tls is not None)

        endpoint, fname = self.ROUTES.get((method, parts.path), (None, None))
        if fname is None:
            self.st.count("unknown")
            if parts.path.startswith("/_mock/"):
                self.send_reply(Reply(404, {"error": "no such admin path"}))
            else:
                self.send_reply(unknown_path(parts.path))
            return
        if endpoint is None:           # admin
            self.send_reply(getattr(self, fname)())
            return

        self.st.count(endpoint)
        fault = self.st.take_fault(endpoint)
        mode = fault["mode"] if fault else "none"
        seconds = float(fault.get("seconds") or 0) if fault else 0.0
        # Per request: a Handler serves every request of its connection.
        self.clock_offset = seconds if mode == "clockskew" else 0.0
        self.blank_token = mode == "blanktoken"

        if mode == "hang":
            # accepted, never answered; the connection is dropped afterwards
            time.sleep(seconds if seconds > 0 else 30)
            self.close_connection = True
            self.log_request_line(0)
            return
        if mode == "slow":
            time.sleep(seconds if seconds > 0 else 3)
        if mode == "throttled":
            self.send_reply(self.throttled(endpoint, fault))
            return
        if mode == "error":
            self.send_reply(self.chosen_error(endpoint, fault))
            return
        if mode == "ipban":
            self.send_reply(ip_ban(fault.get("wait", 5)))
            return

        if mode == "badtoken":
            with self.st.lock:
                self.st.app_token = None
        if mode == "http500":
            if endpoint in V1_ENDPOINTS:
                reply = v1_error(500, "ServiceUnavailable",
                                 "The request has failed due to a temporary failure of the server.")
            else:
                reply = Reply(500, "<html><body><h1>500 Internal Server Error</h1></body></html>",
                              ctype="text/html", is_json=False)
            self.send_reply(reply)
            return
        if mode == "huge":
            self.send_huge(int(fault.get("bytes") or 10 * 1024 * 1024))
            return
        if mode == "nonjson":
            self.send_reply(Reply(200, "<html><head><title>系统繁忙</title></head>"
                                       "<body>系统繁忙，请稍后再试</body></html>",
                                  ctype="text/html;charset=utf-8", is_json=False))
            return

        reply = getattr(self, fname)()
        if mode == "wrongtypes" and reply.is_json and reply.status == 200:
            reply.body = _to_wrong_types(reply.body)
        if mode == "trickle":
            self.send_trickle(reply, float(fault.get("interval_ms") or 250) / 1000)
            return
        self.send_reply(reply, truncated=(mode == "truncated"))

    def send_trickle(self, reply, interval):
        data = reply.payload()
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.close_connection = True
        self.end_headers()
        try:
            self.wfile.flush()
            for i in range(len(data)):
                time.sleep(interval)
                self.wfile.write(data[i:i + 1])
                self.wfile.flush()
        except OSError:
            pass                       # the client gave up: that is the point
        self.log_request_line(reply.status)

    def send_huge(self, size):
        head, tail = b'{"errcode": 0, "pad": "', b'"}'
        pad = max(0, size - len(head) - len(tail))
        self.send_response(200)
        self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Content-Length", str(len(head) + pad + len(tail)))
        self.send_header("Connection", "close")
        self.close_connection = True
        self.end_headers()
        chunk = b"x" * 65536
        try:
            self.wfile.write(head)
            while pad > 0:
                self.wfile.write(chunk[:pad])
                pad -= min(pad, len(chunk))
            self.wfile.write(tail)
            self.wfile.flush()
        except OSError:
            pass                       # the client refused the rest
        self.log_request_line(200)

    def chosen_error(self, endpoint, fault):
        if endpoint in V1_ENDPOINTS:
            return v1_error(int(fault.get("status") or 400), fault.get("code") or "unknown",
                            fault.get("message") or "mock error")
        if fault.get("sub_code"):
            sub = str(fault["sub_code"])
            msg = fault.get("message") or "mock error"
            return oapi_topapi(88, "ding talk error[subcode=%s,submsg=%s]" % (sub, msg),
                               sub_code=sub, sub_msg=msg)
        return oapi_topapi(int(fault.get("errcode") or -1), fault.get("errmsg") or "mock error")

    def throttled(self, endpoint, fault):
        if endpoint in V1_ENDPOINTS:
            code = fault.get("code")
            if code is not None:
                return v1_error(403, code, THROTTLES_V1[code])
            return v1_error(403, "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi",
                            "调用该接口触发了限流，请稍后再试")
        if endpoint == "authorize":
            return html_page(403, "Too many requests", "<p>请求过于频繁</p>")
        errcode = fault.get("errcode") or 90018
        return oapi(errcode, THROTTLES_OAPI[errcode])

    def send_reply(self, reply, truncated=False):
        data = reply.payload()
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in reply.headers.items():
            self.send_header(k, v)
        if truncated:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data[: len(data) // 2] if truncated else data)
            self.wfile.flush()
        self.log_request_line(reply.status)

    def log_request_line(self, status):
        # method and path only: never the query, body or headers
        self.st.log("%s %s %s %s %d" % (
            time.strftime("%Y-%m-%dT%H:%M:%S"), self.client_address[0],
            self.command, self.req_path, status))

    def json_body(self):
        """Parsed JSON object body, or None (wrong Content-Type or not JSON)."""
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/json" or not self.body:
            return None
        try:
            obj = json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None
        return obj if isinstance(obj, dict) else None

    def topapi_body(self):
        """topapi accepts JSON or form bodies."""
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype == "application/x-www-form-urlencoded":
            q = parse_qs(self.body.decode("utf-8", "replace"))
            return {k: v[0] for k, v in q.items()}
        return self.json_body() or {}

    def q1(self, name):
        v = self.query.get(name)
        return v[0] if v else None

    def app_token_sent(self):
        """The access_token of a topapi call; the blanktoken fault drops it."""
        return None if self.blank_token else self.q1("access_token")

    def date_time_string(self, timestamp=None):
        """The Date header from the mock's clock: the clockskew fault moves
        it too, so that a client can measure the skew by it."""
        if timestamp is None:
            timestamp = time.time() + self.clock_offset
        return super().date_time_string(timestamp)

    # --- login.dingtalk.com ---------------------------------------------------
    def h_authorize(self):
        st = self.st
        q = self.q1
        problems = []
        cid = q("client_id")
        if not cid or not secrets.compare_digest(cid.encode(), st.client_id.encode()):
            problems.append("client_id 无效 (invalid client_id)")
        if q("response_type") != "code":
            problems.append("response_type 必须为 code")
        scope = q("scope")
        scopes = (scope or "").split(" ")
        if not scope or "openid" not in scopes or not set(scopes) <= {"openid", "corpid"} \
                or len(set(scopes)) != len(scopes):
            problems.append("scope 无效 (openid or 'openid corpid')")
        if q("prompt") != "consent":
            problems.append("prompt 必须为 consent")
        redirect = q("redirect_uri")
        rparts = urlsplit(redirect or "")
        if not redirect or rparts.scheme not in ("http", "https") or not rparts.hostname:
            problems.append("redirect_uri 无效")
        elif st.redirect_domains and rparts.hostname not in st.redirect_domains:
            problems.append("redirect_url的域名不在appid的安全域名内")
        state = q("state") or ""
        if problems:
            items = "".join("<li>%s</li>" % esc(p) for p in problems)
            return html_page(400, "钉钉登录 - 参数错误",
                             "<h1>参数错误</h1><ul>%s</ul>" % items)

        return self.consent(redirect, state, scope, cid)

    def consent(self, redirect, state, scope, cid):
        """The phone's step: mock_person/mock_decision (tests) or a page."""
        st = self.st
        q = self.q1
        person_name = q("mock_person")
        decision = q("mock_decision")
        if person_name is not None or decision is not None:
            if decision == "refuse":
                return Reply(302, "", ctype="text/plain", is_json=False,
                             headers={"Location": add_query(redirect, [
                                 ("error", "access_denied"), ("state", state)])})
            person = st.persons.get(person_name or "")
            if decision != "approve" or person is None:
                return html_page(400, "钉钉登录 - 参数错误",
                                 "<p>unknown mock_person or mock_decision</p>")
            code = st.issue_code(person, scope, cid)
            params = [("code", code), ("state", state)]
            if scope != "snsapi_login":     # flow A carries both, authCode first
                params.insert(0, ("authCode", code))
            loc = add_query(redirect, params)
            return Reply(302, "", ctype="text/plain", is_json=False,
                         headers={"Location": loc})

        # consent page for a human with a browser
        here = self.req_path + "?" + urlsplit(self.path).query
        links = []
        for p in st.persons.values():
            url = add_query(here, [("mock_person", p["name"]),
                                   ("mock_decision", "approve")])
            links.append('<li><a href="%s">Approve as %s</a></li>'
                         % (esc(url), esc(p["nick"])))
        refuse = add_query(here, [("mock_decision", "refuse")])
        body = ("<h1>DingTalk mock: authorize</h1>"
                "<p>An application asks to sign you in (scope %s).</p><ul>%s</ul>"
                '<p><a href="%s">Refuse</a></p>'
                % (esc(scope), "".join(links), esc(refuse)))
        return html_page(200, "钉钉登录 (mock)", body)

    # --- api.dingtalk.com v1.0 -------------------------------------------------
    def h_user_access_token(self):
        st = self.st
        body = self.json_body()
        if body is None:
            return v1_error(400, "MissingParameter", "body is mandatory for this action.")
        for field in ("clientId", "clientSecret", "grantType"):
            if not body.get(field):
                return v1_error(400, "MissingParameter",
                                "%s is mandatory for this action." % field)
        grant = body["grantType"]
        if grant == "authorization_code":
            if not body.get("code"):
                return v1_error(400, "MissingParameter", "code is mandatory for this action.")
        elif grant == "refresh_token":
            if not body.get("refreshToken"):
                return v1_error(400, "MissingParameter",
                                "refreshToken is mandatory for this action.")
        else:
            return v1_error(400, "InvalidParameter", "grantType 参数不合法")
        if not st.client_ok(body["clientId"], body["clientSecret"]):
            return v1_error(400, "invalidClientIdOrSecret", "无效的clientId或clientSecret")
        if grant == "authorization_code":
            # A code that cannot be one of ours (ours are 32 hex digits) is
            # refused as a bad parameter, before any lookup: the mock's
            # stand-in for how DingTalk answers a made-up code (not
            # documented; the module must refuse the login either way).
            if not (isinstance(body["code"], str) and CODE_SHAPE.fullmatch(body["code"])):
                return v1_error(400, "InvalidParameter", "code 参数格式不正确")
            rec = st.consume_code(body["code"]) if isinstance(body["code"], str) else None
            if rec is None or rec["client_id"] != body["clientId"]:
                return v1_error(400, "invalidParameter.authCode.notFound", "不合法的临时授权码")
        else:
            rec = st.consume_refresh(body["refreshToken"]) \
                if isinstance(body["refreshToken"], str) else None
            if rec is None:
                return v1_error(400, "invalidParameter.refreshToken.notFound",
                                "不合法的refreshToken")
        tok, ref = st.issue_user_token(rec)
        out = {"accessToken": tok, "refreshToken": ref, "expireIn": st.token_ttl}
        if "corpid" in rec["scope"].split(" "):
            out["corpId"] = st.corp_id
        return v1_ok(out)

    def h_users_me(self):
        tok = self.headers.get("x-acs-dingtalk-access-token")
        if not tok:
            return v1_error(400, "AuthenticationFailed.MissingParameter",
                            "x-acs-dingtalk-access-token is mandatory for this action.")
        rec = self.st.user_token(tok)
        if rec is None:
            return invalid_authentication()
        if not self.granted("Contact.User.Read"):
            return permission_denied_v1("Contact.User.Read")
        p = rec["person"]
        out = {"nick": p["nick"], "avatarUrl": p["avatarUrl"], "openId": p["openId"],
               "unionId": p["unionId"], "stateCode": "86"}
        if p.get("mobile"):
            out["mobile"] = p["mobile"]
        if p.get("email"):
            out["email"] = p["email"]
        return v1_ok(out)

    def h_app_access_token(self):
        body = self.json_body()
        if body is None:
            return v1_error(400, "MissingParameter", "body is mandatory for this action.")
        for field in ("appKey", "appSecret"):
            if not body.get(field):
                return v1_error(400, "MissingParameter",
                                "%s is mandatory for this action." % field)
        if not self.st.client_ok(body["appKey"], body["appSecret"]):
            return v1_error(400, "invalidClientIdOrSecret", "无效的clientId或clientSecret")
        return v1_ok({"accessToken": self.st.get_app_token(),
                      "expireIn": self.st.token_ttl})

    # --- oapi.dingtalk.com ----------------------------------------------------
    def h_gettoken(self):
        if not self.q1("appkey") or not self.q1("appsecret"):
            return gettoken_missing()
        if not self.st.client_ok(self.q1("appkey"), self.q1("appsecret")):
            return gettoken_bad_credentials()
        return oapi(0, "ok", access_token=self.st.get_app_token(),
                    expires_in=self.st.token_ttl)

    def h_getbyunionid(self):
        if not self.st.app_token_valid(self.app_token_sent()):
            return topapi_auth_error(self.app_token_sent())
        if not self.granted("qyapi_get_member"):
            return permission_denied_oapi()
        unionid = self.topapi_body().get("unionid")
        if not isinstance(unionid, str) or not unionid:
            return oapi_topapi(400002, "无效的参数 unionid")
        p = self.st.by_union.get(unionid)
        if p is None or not p.get("userid") or p.get("left"):
            return oapi_topapi(60121, "找不到该用户")
        return oapi_topapi(0, "ok", result={"contact_type": int(p.get("contact_type", 0)),
                                            "userid": p["userid"]})

    def h_user_get(self):
        if not self.st.app_token_valid(self.app_token_sent()):
            return topapi_auth_error(self.app_token_sent())
        if not self.granted("qyapi_get_member"):
            return permission_denied_oapi()
        userid = self.topapi_body().get("userid")
        if not isinstance(userid, str) or not userid:
            return oapi_topapi(400002, "无效的参数 userid")
        p = self.st.by_userid.get(userid)
        if p is None or p.get("contact_type") == 1:
            # Employees only: an external contact's userid is no employee's.
            return oapi_topapi(60121, "找不到该用户")
        return oapi_topapi(0, "ok", result=employee_record(p, self.st.granted))

    def h_extcontact_get(self):
        if not self.st.app_token_valid(self.app_token_sent()):
            return topapi_auth_error(self.app_token_sent())
        if not self.granted("qyapi_ext_read"):
            return permission_denied_oapi()
        userid = self.topapi_body().get("user_id")
        if not isinstance(userid, str) or not userid:
            return oapi_topapi(400002, "无效的参数 user_id")
        p = self.st.by_userid.get(userid)
        if p is None or p.get("contact_type") != 1:
            # The page's own error for a user_id it does not know.
            return oapi_topapi(33012, "无效的userId")
        return oapi_topapi(0, "ok", result=external_record(p))

    def granted(self, permission):
        with self.st.lock:
            return permission in self.st.granted

    def h_mock_permissions(self):
        try:
            req = json.loads(self.body.decode("utf-8") or "{}")
        except ValueError:
            return Reply(400, {"error": "body must be JSON"})
        granted = req.get("granted")
        if not isinstance(granted, list) or any(g not in PERMISSIONS for g in granted):
            return Reply(400, {"error": "granted must list known permissions",
                               "permissions": list(PERMISSIONS)})
        with self.st.lock:
            self.st.granted = set(granted)
        return Reply(200, {"granted": sorted(granted)})

    # --- flow B: snsapi_login -------------------------------------------------
    def h_qrconnect(self):
        st = self.st
        q = self.q1
        problems = []
        appid = q("appid")
        if not appid or not secrets.compare_digest(appid.encode(), st.client_id.encode()):
            problems.append("appid 无效 (invalid appid)")
        if q("response_type") != "code":
            problems.append("response_type 必须为 code")
        if q("scope") != "snsapi_login":
            problems.append("scope 必须为 snsapi_login")
        redirect = q("redirect_uri")
        rparts = urlsplit(redirect or "")
        if not redirect or rparts.scheme not in ("http", "https") or not rparts.hostname:
            problems.append("redirect_uri 无效")
        if problems:
            items = "".join("<li>%s</li>" % esc(p) for p in problems)
            return html_page(400, "钉钉登录 - 参数错误",
                             "<h1>参数错误</h1><ul>%s</ul>" % items)
        return self.consent(redirect, q("state") or "", "snsapi_login", appid)

    def expected_signature(self, timestamp):
        mac = hmac.new(self.st.client_secret.encode(), timestamp.encode(), hashlib.sha256)
        return base64.b64encode(mac.digest()).decode()

    def h_sns_userinfo(self):
        st = self.st
        key = self.q1("accessKey")
        ts = self.q1("timestamp") or ""
        sig = self.q1("signature") or ""
        # The checks' order is the mock's; the codes are [errors]'s.
        if not key or not secrets.compare_digest(key.encode(), st.client_id.encode()):
            return oapi(853003, SNS_ERRORS[853003])
        now = time.time() + self.clock_offset
        if not ts.isdigit() or len(ts) != 13:
            return oapi(853001, SNS_ERRORS[853001])
        if abs(int(ts) / 1000.0 - now) > st.sign_window:
            return oapi(853002, SNS_ERRORS[853002])
        if not secrets.compare_digest(sig.encode(), self.expected_signature(ts).encode()):
            return oapi(853004, SNS_ERRORS[853004])
        code = self.json_body() or {}
        code = code.get("tmp_auth_code")
        rec = st.consume_code(code) if isinstance(code, str) and code else None
        if rec is None or rec["scope"] != "snsapi_login":
            return oapi(40078, "不存在的临时授权码")
        p = rec["person"]
        return oapi(0, "ok", user_info={"nick": p["nick"], "unionid": p["unionId"],
                                        "openid": p["openId"],
                                        "main_org_auth_high_level": True})

    # --- flow C: in-DingTalk 免登 -----------------------------------------------
    def h_inapp_userinfo(self):
        st = self.st
        if not st.app_token_valid(self.app_token_sent()):
            return topapi_auth_error(self.app_token_sent())
        code = self.topapi_body().get("code")
        rec = st.consume_code(code) if isinstance(code, str) and code else None
        if rec is None or rec["scope"] != "inapp":
            return oapi_topapi(40078, "不存在的临时授权码")
        p = rec["person"]
        if not p.get("userid") or p.get("left"):
            return oapi_topapi(60121, "找不到该用户")
        return oapi_topapi(0, "ok", result={
            "userid": p["userid"], "unionid": p["unionId"], "name": p["nick"],
            "associated_unionid": "", "device_id": secrets.token_hex(8),
            "sys": False, "sys_level": 0})

    def h_mock_inapp_code(self):
        try:
            req = json.loads(self.body.decode("utf-8") or "{}")
        except ValueError:
            return Reply(400, {"error": "body must be JSON"})
        p = self.st.persons.get(req.get("person") or "")
        if p is None:
            return Reply(400, {"error": "unknown person"})
        if req.get("corpId") != self.st.corp_id:
            return Reply(400, {"error": "corpId is not the mock's organisation"})
        return Reply(200, {"code": self.st.issue_code(p, "inapp", self.st.client_id)})

    # --- admin ----------------------------------------------------------------
    def h_mock_fault_set(self):
        try:
            req = json.loads(self.body.decode("utf-8") or "{}")
        except ValueError:
            return Reply(400, {"error": "body must be JSON"})
        ep = req.get("endpoint", "*")
        mode = req.get("mode", "none")
        if ep != "*" and ep not in ENDPOINTS:
            return Reply(400, {"error": "unknown endpoint", "endpoints": list(ENDPOINTS)})
        if mode not in FAULT_MODES:
            return Reply(400, {"error": "unknown mode", "modes": list(FAULT_MODES)})
        if mode == "throttled" and (
                (req.get("code") is not None and req["code"] not in THROTTLES_V1)
                or (req.get("errcode") is not None and req["errcode"] not in THROTTLES_OAPI)):
            return Reply(400, {"error": "not a documented throttling answer",
                               "codes": list(THROTTLES_V1), "errcodes": list(THROTTLES_OAPI)})
        if mode == "ipban" and req.get("wait") is not None and (
                not isinstance(req["wait"], (int, float)) or req["wait"] < 0):
            return Reply(400, {"error": "wait is a number of minutes"})
        with self.st.lock:
            if mode == "none":
                if ep == "*":
                    self.st.faults.clear()
                else:
                    self.st.faults.pop(ep, None)
            else:
                f = {"mode": mode, "seconds": float(req.get("seconds") or 0)}
                for k in ("code", "status", "message", "errcode", "errmsg", "sub_code", "bytes",
                          "interval_ms", "wait"):
                    if req.get(k) is not None:
                        f[k] = req[k]
                if req.get("count") is not None:
                    f["count"] = int(req["count"])
                self.st.faults[ep] = f
            faults = dict(self.st.faults)
        return Reply(200, {"faults": faults})

    def h_mock_fault_get(self):
        with self.st.lock:
            return Reply(200, {"faults": dict(self.st.faults)})

    def h_mock_stats(self):
        with self.st.lock:
            return Reply(200, dict(self.st.stats))

    def h_mock_traffic(self):
        with self.st.lock:
            return Reply(200, {"connections": self.st.connections,
                               "tls_handshakes": self.st.tls_handshakes,
                               "requests": dict(self.st.stats)})

    def h_mock_reset(self):
        with self.st.lock:
            self.st.stats.clear()
            self.st.connections = 0
            self.st.tls_handshakes = 0
            self.st.faults.clear()
            self.st.granted = set(PERMISSIONS)
        return Reply(200, {"ok": True})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    tls = None  # an ssl.SSLContext when serving HTTPS

    # The listening socket stays plain: each connection is counted when it
    # is accepted, then (HTTPS) wrapped, its handshake counted once done.
    # The handshake runs here, in the accepting thread, as when the
    # listening socket itself was wrapped; a failed one drops the
    # connection (an OSError, which the server's loop already handles).
    def get_request(self):
        sock, addr = self.socket.accept()
        self.state.note_accept()
        if self.tls is None:
            return sock, addr
        try:
            tls_sock = self.tls.wrap_socket(sock, server_side=True)
        except OSError:
            sock.close()
            raise
        self.state.note_handshake()
        return tls_sock, addr


def write_atomic(path, text):
    d = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(d, ".%s.%d.tmp" % (os.path.basename(path), os.getpid()))
    with open(tmp, "w") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.rename(tmp, path)


def load_persons(path):
    with open(path, encoding="utf-8") as fh:
        persons = json.load(fh)
    if not isinstance(persons, list) or not persons:
        raise ValueError("persons file must be a non-empty JSON list")
    for p in persons:
        for k in ("name", "nick", "unionId"):
            if not isinstance(p.get(k), str):
                raise ValueError("person without string %r: %r" % (k, p))
        p.setdefault("openId", "o" + p["unionId"])
        p.setdefault("avatarUrl", "")
    return persons


def main(argv=None):
    ap = argparse.ArgumentParser(description="Local DingTalk mock")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--client-id", default="dingmockappkey")
    ap.add_argument("--client-secret", default="mock-secret-0123456789")
    ap.add_argument("--corp-id", default="dingmockcorp0000000000000000000000")
    ap.add_argument("--sign-window", type=float, default=60,
                    help="seconds a flow B timestamp may be off (UNCONFIRMED at DingTalk)")
    ap.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM)")
    ap.add_argument("--tls-key", help="the certificate's key (PEM)")
    ap.add_argument("--code-ttl", type=float, default=300)
    ap.add_argument("--token-ttl", type=int, default=7200,
                    help="lifetime of user and app tokens (expireIn)")
    ap.add_argument("--persons")
    ap.add_argument("--redirect-domain", action="append",
                    help="registered callback domain (repeatable); default: any")
    ap.add_argument("--log")
    args = ap.parse_args(argv)

    persons = load_persons(args.persons) if args.persons else \
        [dict(p) for p in BUILTIN_PERSONS]
    srv = Server((args.host, args.port), Handler)
    srv.state = State(args, persons)
    scheme = "http"
    if args.tls_cert:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        srv.tls = ctx
        scheme = "https"
    port = srv.server_address[1]
    if args.port_file:
        write_atomic(args.port_file, "%d\n" % port)
    print("dingtalk_mock listening on %s://%s:%d" % (scheme, args.host, port),
          file=sys.stderr, flush=True)

    def stop(signum, frame):
        threading.Thread(target=srv.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        srv.serve_forever(poll_interval=0.2)
    finally:
        srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
