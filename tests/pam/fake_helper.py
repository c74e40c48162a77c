#!/usr/bin/env python3
"""A fake dingtalk-callbackd for the PAM fault tests: listens on a Unix
socket and answers every request with one canned HTTP answer.

  fake_helper.py SOCKET STATUS BODY [UID]

With UID (run as root), it binds the socket, opens it to everyone, then
becomes UID before it listens: the kernel records the listener's
credentials at listen(), so a client's SO_PEERCRED then names UID, as it
would for a local user who got hold of the helper's socket path. Every
request that arrives is logged ("fake helper: request METHOD PATH") on
standard error, so a test can tell that none did.
"""

import os
import socketserver
import sys
from http.server import BaseHTTPRequestHandler


def main():
    path, status, body = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode("utf-8")
    uid = int(sys.argv[4]) if len(sys.argv) > 4 else None

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def answer(self):
            sys.stderr.write("fake helper: request %s %s\n" % (self.command, self.path))
            sys.stderr.flush()
            n = int(self.headers.get("Content-Length") or 0)
            if n:
                self.rfile.read(n)
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
