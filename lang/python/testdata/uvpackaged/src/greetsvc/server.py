"""Serves GET / with the uid, a greeting and the installed versions of the project and its dependency."""

import json
import os
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
from importlib.metadata import version

from greeting import greet


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({
            "UID": os.getuid(),
            "Greeting": greet("package"),
            "Versions": {name: version(name) for name in ("greetsvc", "greeting", "words")},
            "File": __file__,
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)


def main():
    port = int(sys.argv[1].removeprefix("--port=")) if len(sys.argv) > 1 else 8080
    HTTPServer(("", port), Handler).serve_forever()
    return 0
