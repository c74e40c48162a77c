#!/usr/bin/env python3
"""A simulated phone: scans the short link and approves (or refuses).

  phone.py --link SHORT_URL --person alice --number 42 [--decision approve]
  phone.py --number-from TERMINAL_CAPTURE --person alice

Steps: GET the short link (no redirect following) -> Location is the
DingTalk authorize URL; append mock_person/mock_decision and GET it -> the
mock redirects to the helper's /callback; GET that; when approving, read the
confirmation form (<form action="/confirm">, hidden s and t, buttons n) and
POST s, t and n (n = --number, even if it is not offered).

With --inject-code the phone plays the person who started the login: it
reads the state from the short link's redirect and answers the callback
with a made-up code instead of asking DingTalk.

Where a redirect was expected but a page came back (a used link, an error
page), the flow stops there. Prints each step on stderr (codes and state
redacted), the <title> of the last page on stdout. Exit 0 when the flow ran,
whatever the page says; 2 on transport errors or unusable input.
"""

import argparse
import json
import http.client
import re
import ssl
import sys
import time
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

SECRET_PARAMS = {"authcode", "code", "state", "s", "t", "access_token"}


class TransportError(Exception):
    pass


def redact(url):
    parts = urlsplit(url)
    if not parts.query:
        return url
    q = [(k, "***" if k.lower() in SECRET_PARAMS else v)
         for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit(parts._replace(query=urlencode(q)))


def say(msg):
    print("phone: " + msg, file=sys.stderr, flush=True)


class PageParser(HTMLParser):
    """Collects the title and the forms (inputs and buttons) of a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.title = None
        self._in_title = False
        self._title_parts = []
        self.forms = []
        self._form = None
        self.inapp = None  # data-* of the in-DingTalk page's <div id="dt">

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "title" and self.title is None:
            self._in_title = True
        elif tag == "form":
            self._form = {"action": a.get("action", ""),
                          "method": a.get("method", "get").lower(),
                          "inputs": [], "buttons": []}
            self.forms.append(self._form)
        elif tag == "input" and self._form is not None:
            self._form["inputs"].append(a)
        elif tag == "button" and self._form is not None:
            self._form["buttons"].append(a)
        elif tag == "div" and a.get("id") == "dt":
            self.inapp = {k[5:]: v for k, v in a.items() if k.startswith("data-")}

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "title" and self._in_title:
            self._in_title = False
            self.title = " ".join("".join(self._title_parts).split())
        elif tag == "form":
            self._form = None

    def handle_data(self, data):
        if self._in_title:
            self._title_parts.append(data)


def parse_page(body):
    p = PageParser()
    p.feed(body)
    p.close()
    if p.title is None and p._title_parts:
        p.title = " ".join("".join(p._title_parts).split())
    return p


class Client:
    def __init__(self, timeout, cafile=None):
        self.timeout = timeout
        self.ctx = ssl.create_default_context(cafile=cafile)

    def request(self, method, url, body=None, headers=None):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise TransportError("not an http(s) URL: %s" % redact(url))
        try:
            if parts.scheme == "https":
                conn = http.client.HTTPSConnection(parts.hostname, parts.port,
                                                   timeout=self.timeout,
                                                   context=self.ctx)
            else:
                conn = http.client.HTTPConnection(parts.hostname, parts.port,
                                                  timeout=self.timeout)
            target = parts.path or "/"
            if parts.query:
                target += "?" + parts.query
            hdrs = {"User-Agent": "Mozilla/5.0 (Linux; Android 14) DingTalk/7.6 pam_dingtalk-phone-sim",
                    "Accept": "text/html,*/*"}
            hdrs.update(headers or {})
            try:
                conn.request(method, target, body=body, headers=hdrs)
                resp = conn.getresponse()
                data = resp.read(1 << 20)
                return resp.status, resp.getheader("Location"), \
                    data.decode("utf-8", "replace")
            finally:
                conn.close()
        except (OSError, http.client.HTTPException) as e:
            raise TransportError("%s %s: %s" % (method, redact(url), e))


def read_terminal(path, pattern, timeout):
    """Wait until PATH holds a short link and a number; return both."""
    num_re = re.compile(pattern, re.IGNORECASE)
    link_re = re.compile(r"https?://[^\s'\"<>]*?/l/[A-Za-z0-9_-]+")
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                text = fh.read()
        except FileNotFoundError:
            text = ""
        link = link_re.search(text)
        num = num_re.search(text)
        if link and num:
            return link.group(0), int(num.group(1))
        time.sleep(0.1)
    raise TransportError("no short link and number in %s after %.0fs" % (path, timeout))


def with_params(url, params):
    parts = urlsplit(url)
    q = parts.query + ("&" if parts.query else "") + urlencode(params)
    return urlunsplit(parts._replace(query=q))


def page_title(status, body):
    return parse_page(body).title or "(no title, HTTP %d)" % status


def inapp_callback(inapp, args, remaining):
    """What the in-DingTalk page does: requestAuthCode (here the mock's
    /_mock/inapp_code stands in for the JSAPI), then the callback."""
    if not args.mock:
        raise TransportError("an in-DingTalk page: need --mock to get a code")
    state = inapp.get("state", "")
    if args.decision != "approve":
        return "%s?error=request_auth_code_failed&state=%s" % (inapp["callback"], state)
    client = Client(min(args.request_timeout, remaining()), args.cafile)
    status, _, body = client.request(
        "POST", args.mock.rstrip("/") + "/_mock/inapp_code",
        body=json.dumps({"person": args.person, "corpId": inapp.get("corp-id", "")}),
        headers={"Content-Type": "application/json"})
    say("in-DingTalk page for corpId %s: requestAuthCode -> %d" % (inapp.get("corp-id"), status))
    if status != 200:
        raise TransportError("the mock gave no in-DingTalk code (HTTP %d)" % status)
    code = json.loads(body)["code"]
    return "%s?%s" % (inapp["callback"], urlencode([("code", code), ("state", state)]))


def run(args):
    deadline = time.monotonic() + args.timeout

    def remaining():
        left = deadline - time.monotonic()
        if left <= 0:
            raise TransportError("overall timeout of %.0fs reached" % args.timeout)
        return left

    link, number = args.link, args.number
    if args.number_from:
        flink, fnum = read_terminal(args.number_from, args.number_regex, remaining())
        link = link or flink
        number = number if number is not None else fnum
        say("read link %s and number %d from %s" % (link, number, args.number_from))
    if not link or number is None:
        raise TransportError("need --link and --number, or --number-from")

    if args.delay > 0:
        time.sleep(min(args.delay, remaining()))

    def get(url, what):
        client = Client(min(args.request_timeout, remaining()), args.cafile)
        status, loc, body = client.request("GET", url)
        say("GET %s (%s) -> %d%s" % (redact(url), what, status,
                                     " Location: " + redact(loc) if loc else ""))
        return status, (urljoin(url, loc) if loc else None), body

    # 1. the short link from the QR
    status, loc, body = get(link, "short link")
    inapp = parse_page(body).inapp if status == 200 else None
    if inapp is not None:
        # Flow C: inside DingTalk the page's JSAPI asks for a code.
        callback = inapp_callback(inapp, args, remaining)
    else:
        if not (300 <= status < 400 and loc):
            return page_title(status, body)
    if inapp is None and args.inject_code:
        # Not DingTalk's answer but one made up by whoever holds the link:
        # the state and the callback are in the redirect, so anyone who
        # follows the short link can answer the callback with any code.
        q = dict(parse_qsl(urlsplit(loc).query))
        callback = "%s?%s" % (q.get("redirect_uri", ""),
                              urlencode([("authCode", args.inject_code),
                                         ("state", q.get("state", ""))]))
        say("injecting a made-up code instead of asking DingTalk")
    elif inapp is None:
        # 2. DingTalk authorize + the user's decision on the phone
        auth = with_params(loc, [("mock_person", args.person),
                                 ("mock_decision", args.decision)])
        status, loc, body = get(auth, "authorize")
        if not (300 <= status < 400 and loc):
            return page_title(status, body)
        callback = loc

    # 3. back to the helper
    status, loc, body = get(callback, "callback")
    if args.save_page:
        with open(args.save_page, "w", encoding="utf-8") as f:
            f.write(body)
    page = parse_page(body)
    if args.decision != "approve":
        return page.title or "(no title, HTTP %d)" % status
    form = next((f for f in page.forms if f["method"] == "post"
                 and urlsplit(f["action"]).path.endswith("/confirm")), None)
    if form is None:
        return page.title or "(no title, HTTP %d)" % status

    # 4. choose the number
    hidden = {i.get("name"): i.get("value", "") for i in form["inputs"]
              if i.get("type", "").lower() == "hidden" and i.get("name")}
    choices = [b.get("value") for b in form["buttons"] if b.get("name") == "n"]
    say("confirmation page %r offers %s; choosing %d"
        % (page.title, choices, number))
    action = urljoin(callback, form["action"] or "/confirm")
    if urlsplit(action)[:2] != urlsplit(callback)[:2]:
        raise TransportError("confirm form posts to another origin: %s" % action)
    fields = [("s", hidden.get("s", "")), ("t", hidden.get("t", "")), ("n", str(number))]
    client = Client(min(args.request_timeout, remaining()), args.cafile)
    status, loc, body = client.request(
        "POST", action, body=urlencode(fields),
        headers={"Content-Type": "application/x-www-form-urlencoded",
                 "Origin": "%s://%s" % urlsplit(callback)[:2]})
    say("POST %s -> %d" % (redact(action), status))
    if 300 <= status < 400 and loc:       # post/redirect/get, if the helper does it
        status, loc, body = get(urljoin(action, loc), "after confirm")
    return page_title(status, body)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Simulated DingTalk phone")
    ap.add_argument("--link", help="short link from the QR")
    ap.add_argument("--person", default="alice", help="mock person who scans")
    ap.add_argument("--number", type=int, help="number to choose on the confirmation page")
    ap.add_argument("--decision", choices=("approve", "refuse"), default="approve")
    ap.add_argument("--delay", type=float, default=0.0)
    ap.add_argument("--timeout", type=float, default=20.0, help="overall deadline")
    ap.add_argument("--request-timeout", type=float, default=10.0)
    ap.add_argument("--number-from", metavar="FILE",
                    help="captured terminal text to take the link and number from")
    ap.add_argument("--number-regex", default=r"number\s+(\d{2})",
                    help="regex with one group for the number in --number-from text")
    ap.add_argument("--cafile", help="CA bundle for an https helper")
    ap.add_argument("--save-page", metavar="FILE",
                    help="write the page the callback answers (the confirmation page) to FILE")
    ap.add_argument("--mock", help="the DingTalk mock's URL, for flow C's in-DingTalk page")
    ap.add_argument("--inject-code", metavar="CODE",
                    help="skip DingTalk: answer the helper's callback with this code and "
                         "the state read from the short link's redirect")
    args = ap.parse_args(argv)
    try:
        title = run(args)
    except TransportError as e:
        say("error: %s" % e)
        return 2
    print(title, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
