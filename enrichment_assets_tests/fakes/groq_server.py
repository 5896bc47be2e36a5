"""A fake Groq API on 127.0.0.1 that speaks the real wire format.

`POST /openai/v1/chat/completions` answers like Groq: an OpenAI-style completion with `usage`
and `x-ratelimit-*` headers, or Groq's error bodies: 429 with and without `retry-after`, 401
`invalid_api_key`, 403, 413 "Request too large" with `x-should-retry: false`, 503 with an HTML
body from the proxy, 400 `json_validate_failed`. It can add latency, and enforce a
requests-per-minute limit as a token bucket with a small burst, the way a provider does. Tests
script failures with `script` (a queue of outcomes, one per request) and read what was asked
in `requests`.

Answers by default: for an enrichment prompt, JSON with keywords taken from the post's words;
for a tags prompt, tags copied from the text plus one invented tag (to exercise grounding); for
the article writer's outline, draft and lead, valid answers built from the sources in the
question (`groq_articles.py`). Per article stage, `stage_script` scripts outcomes the way
`script` does (a 503 on the first draft, say, while outlines go through), and `stage_overrides`
replaces the answer: a string for every request of the stage, or a list answered one per
request before the default answers resume. `stage_requests(stage)` reads what one stage asked.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from enrichment_assets_tests.fakes.groq_articles import article_answer, stage_of

API_KEY = "gsk_test_fake_key_0123456789"
COMPLETIONS_PATH = "/openai/v1/chat/completions"
INVENTED_TAG = "invented-tag-not-in-text"


class TokenBucket:
    """`rate_per_minute` refilled continuously, holding at most `burst` requests."""

    def __init__(self, rate_per_minute: float, burst: float) -> None:
        self.rate = rate_per_minute / 60.0
        self.capacity = burst
        self.tokens = burst
        self.updated = time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> float:
        """0 if admitted, else the seconds until a token is available."""
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            if self.tokens >= 1:
                self.tokens -= 1
                return 0.0
            return (1 - self.tokens) / self.rate


@dataclass
class FakeGroqState:
    latency_seconds: float = 0.0
    requests_per_minute: float | None = None  # server-enforced limit; None = unlimited
    burst: float = 2.0
    send_retry_after_on_limit: bool = True
    retry_after: str = "1"  # what a scripted 429 says
    remaining_tokens: int = 18000  # what x-ratelimit-remaining-tokens reports
    reset_tokens: str = "7.66s"
    script: deque = field(default_factory=deque)  # outcomes for the next requests, in order
    content_override: str | None = None  # answer this content to every request
    # Per article stage (outline | draft | lead): outcomes taken before `script`'s, and
    # answers: a str for every request of the stage, a list consumed one per request.
    stage_script: dict[str, list[str]] = field(default_factory=dict)
    stage_overrides: dict[str, str | list[str]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    arrival_times: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    bucket: TokenBucket | None = None

    def count(self, status: int) -> int:
        with self.lock:
            return self.statuses.count(status)

    def stage_requests(self, stage: str) -> list[dict[str, Any]]:
        """The requests of one article stage (outline | draft | lead), in arrival order."""
        with self.lock:
            return [body for body in self.requests if stage_of(body) == stage]

    def next_outcome(self, stage: str | None) -> str:
        """Under `lock`: the scripted outcome of this request, "ok" when none is."""
        if stage and self.stage_script.get(stage):
            return self.stage_script[stage].pop(0)
        return self.script.popleft() if self.script else "ok"

    def answer(self, body: dict[str, Any], stage: str | None) -> str:
        if self.content_override is not None:
            return self.content_override
        if stage is None:
            return default_answer(body)
        with self.lock:
            override = self.stage_overrides.get(stage)
            if isinstance(override, list):
                override = override.pop(0) if override else None
        return override if override is not None else article_answer(stage, body)


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[^\W\d_]{4,}", text)]


def default_answer(body: dict[str, Any]) -> str:
    messages = body.get("messages", [])
    system = messages[0]["content"] if messages else ""
    post = next((m["content"] for m in messages if m["role"] == "user"), "")
    words = list(dict.fromkeys(_words(post)))
    if "You tag news posts" in system:
        return json.dumps({"tags": [*words[:3], INVENTED_TAG]})
    return json.dumps(
        {
            "keywords": words[:5],
            "category": "technology" if "software" in post.lower() else "other",
            "sentiment": "neutral",
            "entities": [{"text": w, "type": "organization"} for w in words[:1]],
        }
    )


def _rate_limit_headers(state: FakeGroqState) -> dict[str, str]:
    return {
        "x-ratelimit-limit-requests": "14400",
        "x-ratelimit-remaining-requests": "14370",
        "x-ratelimit-reset-requests": "2m59.56s",
        "x-ratelimit-limit-tokens": "18000",
        "x-ratelimit-remaining-tokens": str(state.remaining_tokens),
        "x-ratelimit-reset-tokens": state.reset_tokens,
        "x-groq-region": "fake",
        "x-request-id": f"req_{time.monotonic_ns()}",
    }


def _error(message: str, type_: str, code: str, **extra: Any) -> bytes:
    return json.dumps(
        {"error": {"message": message, "type": type_, "code": code, **extra}}
    ).encode()


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
        with self.server.state.lock:
            self.server.state.statuses.append(status)

    def do_POST(self) -> None:
        state = self.server.state
        length = int(self.headers.get("content-length", 0))
        raw = self.rfile.read(length)
        arrived = time.monotonic()
        if self.path != COMPLETIONS_PATH:
            self._send(404, _error("Unknown request URL", "invalid_request_error",
                                   "unknown_url"), "application/json", {})  # fmt: skip
            return
        body = json.loads(raw or b"{}")
        stage = stage_of(body)
        with state.lock:
            state.requests.append(body)
            state.arrival_times.append(arrived)
            outcome = state.next_outcome(stage)
        headers = _rate_limit_headers(state)
        if outcome == "403":
            self._send(403, _error("Forbidden: this organization cannot use this model",
                                   "permission_error", "permission_denied"),
                       "application/json", headers)  # fmt: skip
            return
        if self.headers.get("authorization") != f"Bearer {API_KEY}" or outcome == "401":
            self._send(401, _error("Invalid API Key", "invalid_request_error",
                                   "invalid_api_key"), "application/json", headers)  # fmt: skip
            return
        if state.bucket is not None and outcome == "ok":
            wait = state.bucket.take()
            if wait > 0:
                outcome = "429" if state.send_retry_after_on_limit else "429-no-retry-after"
                headers["retry-after"] = str(max(1, round(wait)))
        if state.latency_seconds:
            time.sleep(state.latency_seconds)
        if outcome in ("429", "429-no-retry-after"):
            if outcome == "429":
                headers.setdefault("retry-after", state.retry_after)
            else:
                headers.pop("retry-after", None)
            message = (
                "Rate limit reached for model `llama-3.1-8b-instant` in organization `org_fake` "
                "service tier `on_demand` on requests per minute (RPM): Limit 600, Used 600, "
                "Requested 1. Please try again in 100ms."
            )
            self._send(429, _error(message, "requests", "rate_limit_exceeded"),
                       "application/json", headers)  # fmt: skip
            return
        if outcome == "413":  # as captured from Groq: no retry-after, and "do not retry"
            headers["x-should-retry"] = "false"
            message = (
                "Request too large for model `llama-3.1-8b-instant` in organization `org_fake` "
                "service tier `on_demand` on tokens per minute (TPM): Limit 6000, Requested 9000"
            )
            self._send(413, _error(message, "tokens", "rate_limit_exceeded"),
                       "application/json", headers)  # fmt: skip
            return
        if outcome == "503":
            title = b"503 Service Temporarily Unavailable"
            html = b"<html><head><title>%s</title></head><body><center><h1>%s</h1></center>" \
                   b"</body></html>" % (title, title)  # fmt: skip
            self._send(503, html, "text/html", {})
            return
        if outcome == "json_validate_failed":
            self._send(400, _error("Failed to validate JSON. Please adjust your prompt. See "
                                   "'failed_generation' for more details.",
                                   "invalid_request_error", "json_validate_failed",
                                   failed_generation='{"keywords": ["a",'),
                       "application/json", headers)  # fmt: skip
            return
        if outcome == "hang":  # longer than the client's timeout in the tests
            time.sleep(3)
        content = state.answer(body, stage)
        if outcome == "invalid":
            content = '{"keywords": "not a list", "category": "nonsense"}'
        prompt_tokens = sum(len(m.get("content", "")) for m in body.get("messages", [])) // 4
        completion_tokens = max(1, len(content) // 4)
        completion = {
            "id": f"chatcmpl-{time.monotonic_ns()}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "llama-3.1-8b-instant"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "queue_time": 0.01,
                "prompt_tokens": prompt_tokens,
                "prompt_time": 0.001,
                "completion_tokens": completion_tokens,
                "completion_time": 0.001,
                "total_tokens": prompt_tokens + completion_tokens,
                "total_time": 0.002,
            },
            "system_fingerprint": "fp_fake",
            "x_groq": {"id": "req_fake"},
            "service_tier": "on_demand",
        }
        self._send(200, json.dumps(completion).encode(), "application/json", headers)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    state: FakeGroqState


class FakeGroqServer:
    """`with FakeGroqServer(latency_seconds=0.5, requests_per_minute=600) as server: …`"""

    def __init__(self, **state: Any) -> None:
        self.state = FakeGroqState(**state)
        if self.state.requests_per_minute:
            self.state.bucket = TokenBucket(self.state.requests_per_minute, self.state.burst)
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.state = self.state
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeGroqServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
