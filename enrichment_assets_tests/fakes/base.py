"""A tiny threaded HTTP server on 127.0.0.1 with scripted failures and a request log."""

from __future__ import annotations

import json
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


class Reply:
    def __init__(self, status: int, body: Any = None, headers: dict[str, str] | None = None):
        self.status = status
        self.body = body
        self.headers = headers or {}


class FakeServer:
    """Subclasses implement `handle(method, path, query, body, headers) -> Reply`."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        # Replies served before normal handling, one per request (429s, 5xx…); a predicate
        # lets a failure target one path.
        self.scripted: deque[tuple[Any, Reply]] = deque()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # keep pytest output clean
                pass

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                query = parse_qs(parts.query)
                headers = {k.lower(): v for k, v in self.headers.items()}
                fake.requests.append(
                    {"method": self.command, "path": parts.path, "query": query, "body": body,
                     "headers": headers}
                )  # fmt: skip
                reply = fake._scripted_for(parts.path) or fake.handle(
                    self.command, parts.path, query, body, headers
                )
                payload = b"" if reply.body is None else json.dumps(reply.body).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = _serve
            do_POST = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _scripted_for(self, path: str) -> Reply | None:
        for index, (matches, reply) in enumerate(self.scripted):
            if matches is None or matches(path):
                del self.scripted[index]
                return reply
        return None

    def fail_next(self, reply: Reply, times: int = 1, path_contains: str | None = None) -> None:
        matches = None if path_contains is None else (lambda path: path_contains in path)
        for _ in range(times):
            self.scripted.append((matches, reply))

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def handle(self, method, path, query, body, headers) -> Reply:  # pragma: no cover
        raise NotImplementedError

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
