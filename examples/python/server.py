"""A small HTTP API: GET / says hello with a signed token, GET /healthz answers ok."""

import json
import os
import platform
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import metadata
from urllib.parse import parse_qs, urlparse

import itsdangerous

from hello import greeting

# A real service reads its key from a mounted secret; the image never carries one.
signer = itsdangerous.URLSafeSerializer(os.environ.get("SECRET_KEY", "not-a-secret"), salt="greeting")


class Handler(BaseHTTPRequestHandler):
    server_version = "hardened-python-example"
    sys_version = ""

    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/healthz":
            return self.reply(200, "text/plain", b"ok")
        if url.path != "/":
            return self.reply(404, "text/plain", b"not found")
        name = parse_qs(url.query).get("name", [""])[0]
        body = {
            "message": greeting(name),
            "token": signer.dumps(name),
            "python": platform.python_version(),
            "itsdangerous": metadata.version("itsdangerous"),
            "uid": os.getuid(),
        }
        self.reply(200, "application/json", json.dumps(body).encode())

    def reply(self, status, kind, data):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def main():
    # --port=N overrides PORT, so the port can be chosen without changing the image's env.
    port = int(os.environ.get("PORT", "8080"))
    for arg in sys.argv[1:]:
        if arg.startswith("--port="):
            port = int(arg[len("--port="):])
    server = ThreadingHTTPServer(("", port), Handler)
    # Stop cleanly on docker stop / Kubernetes termination.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"listening on :{port}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
