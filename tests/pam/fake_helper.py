#!/usr/bin/env python3
"""A fake dingtalk-callbackd for the PAM fault tests: listens on a Unix
socket and answers every request with one canned HTTP answer.

  fake_helper.py SOCKET STATUS BODY
"""

import os
import socketserver
import sys
from http.server import BaseHTTPRequestHandler


def main():
    path, status, body = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode("utf-8")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def answer(self):
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
    with Server(path, Handler) as srv:
        srv.serve_forever()


if __name__ == "__main__":
    main()
