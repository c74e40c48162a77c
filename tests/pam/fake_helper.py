#!/usr/bin/env python3
"""A fake dingtalk-callbackd for the PAM fault tests: listens on a Unix
socket and answers every request with one canned HTTP answer.

  fake_helper.py SOCKET STATUS BODY [UID] [--get STATUS BODY] [--delete STATUS BODY]
  fake_helper.py SOCKET 0 - : reads each request and closes the connection
                              without an answer (a helper that dropped it)

--get and --delete give waits and cancels answers of their own (STATUS
BODY then answers only the registration, POST), so that a whole login can
be played: registered, then refused with whatever reason the test needs.
A registration's `command` field is logged as "fake helper: command=JSON
command_bytes=N" (or "command=-" without one): never the rest of the body,
which holds the state.

With UID (run as root), it binds the socket, opens it to everyone, then
becomes UID before it listens: the kernel records the listener's
credentials at listen(), so a client's SO_PEERCRED then names UID, as it
would for a local user who got hold of the helper's socket path. Every
request that arrives is logged ("fake helper: request METHOD PATH") on
standard error, so a test can tell that none did.
"""

import json
import os
import socketserver
import sys
from http.server import BaseHTTPRequestHandler


def parse_args(argv):
    """The positional SOCKET STATUS BODY [UID] and the per-method answers."""
    per_method, rest, i = {}, [], 0
    while i < len(argv):
        if argv[i] in ("--get", "--delete"):
            per_method[argv[i][2:].upper()] = (int(argv[i + 1]), argv[i + 2].encode("utf-8"))
            i += 3
        else:
            rest.append(argv[i])
            i += 1
    path, status, body = rest[0], int(rest[1]), rest[2].encode("utf-8")
    uid = int(rest[3]) if len(rest) > 3 else None
    return path, (status, body), per_method, uid


def log_command(raw):
    """The registration's command as the helper would receive it."""
    try:
        command = json.loads(raw.decode("utf-8")).get("command")
    except (ValueError, AttributeError):
        command = None
    if command is None:
        sys.stderr.write("fake helper: command=-\n")
    else:
        sys.stderr.write("fake helper: command=%s command_bytes=%d\n"
                         % (json.dumps(command), len(command.encode("utf-8"))))


def main():
    path, default, per_method, uid = parse_args(sys.argv[1:])

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def answer(self):
            sys.stderr.write("fake helper: request %s %s\n" % (self.command, self.path))
            sys.stderr.flush()
            n = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(n) if n else b""
            if self.command == "POST":
                log_command(raw)
            sys.stderr.flush()
            status, body = per_method.get(self.command, default)
            if status == 0:
                self.close_connection = True
                return
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_DELETE = answer

        def address_string(self):
            return "unix"

        def log_message(self, fmt, *args):
            sys.stderr.write("fake helper: " + (fmt % args) + "\n")

    class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
        daemon_threads = True

    if os.path.exists(path):
        os.unlink(path)
    with Server(path, Handler, bind_and_activate=False) as srv:
        srv.server_bind()
        if uid is not None:
            os.chmod(path, 0o666)
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
        srv.server_activate()
        sys.stderr.write("fake helper: listening as uid %d\n" % os.getuid())
        sys.stderr.flush()
        srv.serve_forever()


if __name__ == "__main__":
    main()
