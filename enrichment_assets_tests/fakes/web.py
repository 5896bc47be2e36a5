"""Fake web servers on 127.0.0.x for the crawler, the link janitor and the benchmark.

A small HTTP/1.1 server on asyncio (keep-alive, HEAD, chunked streaming), run on its own event
loop in a background thread. Each path answers with a `Route`: a status, headers, a body, a
delay before the answer (slow hosts, latency), a different status for HEAD (servers that
refuse HEAD), a body streamed in chunks without a length (huge pages) or dripped slowly.
Every request is recorded (method, path, headers) so tests can see what was really sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event

REASONS = {
    200: "OK", 301: "Moved Permanently", 302: "Found", 303: "See Other", 307: "Temporary Redirect",
    308: "Permanent Redirect", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
    405: "Method Not Allowed", 410: "Gone", 429: "Too Many Requests", 500: "Internal Server Error",
    503: "Service Unavailable",
}  # fmt: skip


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/html"})
    delay: float = 0.0  # seconds before the status line
    head_status: int | None = None  # answer HEAD with this status instead
    stream_chunks: int = 0  # >0: send `body` this many times, chunked, with no Content-Length
    drip_interval: float = 0.0  # with stream_chunks: pause between chunks
    # A callable route sees the request count for its path (1 for the first): lets a test
    # answer 429 first and 200 after.
    dynamic: Callable[[int], Route] | None = None


@dataclass
class SeenRequest:
    method: str
    path: str
    headers: dict[str, str]


def html_page(title: str, paragraphs: list[str], charset: str = "utf-8") -> bytes:
    body = "".join(f"<p>{text}</p>" for text in paragraphs)
    return (
        f'<!doctype html><html><head><meta charset="{charset}"><title>{title}</title></head>'
        f"<body><nav><a href='/'>Home</a> <a href='/about'>About</a></nav>"
        f"<article><h1>{title}</h1>{body}</article><footer>© footer</footer></body></html>"
    ).encode(charset)


class FakeWebServer:
    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, default: Route | None = None
    ) -> None:
        self.host = host
        self.port = port
        self.routes: dict[str, Route] = {}
        self.default = default or Route(404, b"not found", {"Content-Type": "text/plain"})
        self.requests: list[SeenRequest] = []
        self._hits: dict[str, int] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> FakeWebServer:
        self._thread = threading.Thread(target=self._run, name=f"fake-web-{self.host}", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("fake web server did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> FakeWebServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, self.host, self.port, backlog=1024)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            self._server.close()
            with contextlib.suppress(Exception):
                self._loop.run_until_complete(self._server.wait_closed())
            self._loop.close()

    # ------------------------------------------------------------------ helpers
    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def route(self, path: str, route: Route | None = None, **kwargs) -> str:
        self.routes[path] = route or Route(**kwargs)
        return self.url(path)

    def hits(self, path: str) -> int:
        return self._hits.get(path, 0)

    # ------------------------------------------------------------------ protocol
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request_line = await reader.readline()
                if not request_line:
                    break
                method, target, _version = request_line.decode("latin-1").split(" ", 2)
                headers: dict[str, str] = {}
                while True:
                    line = await reader.readline()
                    if line in (b"\r\n", b"\n", b""):
                        break
                    name, _, value = line.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length", "0") or 0)
                if length:
                    await reader.readexactly(length)
                path = target.split("?", 1)[0]
                self.requests.append(SeenRequest(method, target, headers))
                self._hits[path] = self._hits.get(path, 0) + 1
                keep_alive = await self._respond(writer, method, path)
                if not keep_alive or headers.get("connection", "").lower() == "close":
                    break
        except (ConnectionError, ValueError, asyncio.IncompleteReadError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def _respond(self, writer: asyncio.StreamWriter, method: str, path: str) -> bool:
        route = self.routes.get(path, self.default)
        if route.dynamic is not None:
            route = route.dynamic(self._hits[path])
        if route.delay:
            await asyncio.sleep(route.delay)
        status = route.head_status if method == "HEAD" and route.head_status else route.status
        head = [f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}"]
        head += [f"{name}: {value}" for name, value in route.headers.items()]
        if route.stream_chunks:
            head.append("Transfer-Encoding: chunked")
        else:
            head.append(f"Content-Length: {len(route.body)}")
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        if method == "HEAD":
            await writer.drain()
            return True
        if not route.stream_chunks:
            writer.write(route.body)
            await writer.drain()
            return True
        chunk = f"{len(route.body):x}\r\n".encode() + route.body + b"\r\n"
        for _ in range(route.stream_chunks):
            writer.write(chunk)
            await writer.drain()  # raises once the client hangs up: the stream stops there
            if route.drip_interval:
                await asyncio.sleep(route.drip_interval)
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        return True


def serve_in_this_process(hosts: list[str], latency: float, ports: Queue, stop: Event) -> None:
    """For the benchmark, in a child process: one server per host, every path answering 200
    after `latency` seconds (robots.txt too). Reports {host: port}, serves until `stop`."""
    page = Route(200, b"<html><title>ok</title><p>ok</p></html>", delay=latency)
    servers = [FakeWebServer(host, default=page) for host in hosts]

    async def serve() -> None:
        # One event loop for every host: threads would fight over the interpreter lock.
        for server in servers:
            listening = await asyncio.start_server(server._handle, server.host, 0, backlog=1024)
            server.port = listening.sockets[0].getsockname()[1]
        ports.put({server.host: server.port for server in servers})
        while not stop.is_set():
            await asyncio.sleep(0.2)

    asyncio.run(serve())
