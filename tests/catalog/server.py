#!/usr/bin/env python3
"""A small HTTP/HTTPS file server for the catalogue tests, on 127.0.0.1.

  server.py ROOT PORTFILE [--tls CERT KEY] [--lifetime SECONDS] [--log FILE]

Serves files under ROOT (GET only), with an ETag and Range/If-Range support
so that resumed downloads can be tested. Behaviour is steered by files the
test writes while the server runs:
  ROOT/.cut    one URL path per line: those responses announce the full
               Content-Length, send about half the body, then close.
  ROOT/.apikey a key: requests without "X-Api-Key: <key>" get 401, as a
               Moonraker with [authorization] answers them.
Binds port 0 (a free port) and writes the port number to PORTFILE.
Exits by itself after --lifetime seconds (default 120)."""
import hashlib
import http.server
import os
import ssl
import sys
import threading
import urllib.parse


def main():
    args = sys.argv[1:]
    root, portfile = args[0], args[1]
    cert = key = None
    lifetime = 120.0
    log = None
    i = 2
    while i < len(args):
        if args[i] == "--tls":
            cert, key = args[i + 1], args[i + 2]
            i += 3
        elif args[i] == "--lifetime":
            lifetime = float(args[i + 1])
            i += 2
        elif args[i] == "--log":
            log = args[i + 1]
            i += 2
        else:
            sys.exit("unknown argument " + args[i])

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            if log:
                with open(log, "a") as f:
                    f.write("%s %s range=%s inm=%s\n" % (self.command, self.path,
                                                         self.headers.get("Range", "-"),
                                                         self.headers.get("If-None-Match", "-")))

        def do_GET(self):
            keyfile = os.path.join(root, ".apikey")
            if os.path.isfile(keyfile):
                with open(keyfile) as f:
                    want = f.read().strip()
                if self.headers.get("X-Api-Key", "") != want:
                    self.send_error(401)
                    return
            path = urllib.parse.unquote(urllib.parse.urlparse(self.path).path)
            full = os.path.realpath(os.path.join(root, path.lstrip("/")))
            if not full.startswith(os.path.realpath(root) + os.sep) or not os.path.isfile(full):
                self.send_error(404)
                return
            with open(full, "rb") as f:
                body = f.read()
            etag = '"%s"' % hashlib.sha256(body).hexdigest()[:16]
            cut = set()
            try:
                with open(os.path.join(root, ".cut")) as f:
                    cut = {line.strip() for line in f if line.strip()}
            except FileNotFoundError:
                pass
            if self.headers.get("If-None-Match") == etag and path not in cut:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            start = 0
            rng = self.headers.get("Range")
            if rng and rng.startswith("bytes=") and rng.endswith("-"):
                if self.headers.get("If-Range", etag) == etag:
                    start = int(rng[6:-1])
            if start >= len(body) and start:
                self.send_response(416)
                self.send_header("Content-Range", "bytes */%d" % len(body))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            part = body[start:]
            self.send_response(206 if start else 200)
            self.send_header("Content-Type", "application/x-gzip")
            self.send_header("ETag", etag)
            self.send_header("Accept-Ranges", "bytes")
            if start:
                self.send_header("Content-Range",
                                 "bytes %d-%d/%d" % (start, len(body) - 1, len(body)))
            self.send_header("Content-Length", str(len(part)))
            self.send_header("Connection", "close")
            self.end_headers()
            if path in cut:
                self.wfile.write(part[: len(part) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            try:
                self.wfile.write(part)
            except (OSError, ssl.SSLError):
                pass  # the client gave up (size limit tests): not an error here

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    tmp = portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, portfile)
    threading.Timer(lifetime, lambda: os._exit(0)).start()
    srv.serve_forever()


if __name__ == "__main__":
    main()
