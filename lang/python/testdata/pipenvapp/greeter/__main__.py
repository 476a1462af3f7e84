"""Serves GET / with the process's uid, a greeting from the locked packages and their versions."""

import argparse
import json
import os
from http.server import BaseHTTPRequestHandler, HTTPServer
from importlib.metadata import version

from greeting import greet


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({
            "UID": os.getuid(),
            "Greeting": greet("world", loud=True),
            "Versions": {name: version(name) for name in ("greeting", "words", "shout")},
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")))
    args = parser.parse_args()
    HTTPServer(("", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
