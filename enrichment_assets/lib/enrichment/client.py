"""One chat completion through the groq SDK, with its errors sorted into what we do about them.

The SDK's own retries are off (`max_retries=0`) on purpose: retrying is done one layer up,
where a 429's wait is written into the shared limiter so every worker and process honours it,
and where the attempts are counted and logged. Two retry layers would multiply (3 × N calls).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

# Models that accept `response_format: json_schema`; the others get JSON mode and the schema in
# the prompt. Either way the answer is validated by pydantic before it is used.
JSON_SCHEMA_MODELS = frozenset(
    {
        "openai/gpt-oss-20b",
        "openai/gpt-oss-120b",
        "moonshotai/kimi-k2-instruct",
        "moonshotai/kimi-k2-instruct-0905",
        "meta-llama/llama-4-scout-17b-16e-instruct",
        "meta-llama/llama-4-maverick-17b-128e-instruct",
    }
)


@dataclass(frozen=True)
class ChatResult:
    content: str | None
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    latency_ms: int
    headers: Mapping[str, str] = field(default_factory=dict)


class LLMCallError(Exception):
    """A call that did not return an answer. `error_type` goes to llm_usage_log."""

    retryable = False
    error_type = "error"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
        latency_ms: int = 0,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.headers = dict(headers or {})
        self.latency_ms = latency_ms


class RateLimited(LLMCallError):
    retryable = True
    error_type = "rate_limited"


class Transient(LLMCallError):
    """Timeouts, connection errors, 5xx, 498 capacity: wait and try again."""

    retryable = True
    error_type = "transient"


class AuthFailed(LLMCallError):
    """401/403: no retry; the step fails at once, naming the setting to fix."""

    error_type = "auth"


class JsonValidateFailed(LLMCallError):
    """Groq's 400 `json_validate_failed`: the model's JSON did not parse; worth one correction."""

    error_type = "json_validate_failed"

    def __init__(self, message: str, failed_generation: str = "", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.failed_generation = failed_generation


class Rejected(LLMCallError):
    """Any other refusal (400, 404, 413, 422, or a 429 marked `x-should-retry: false`)."""

    error_type = "rejected"


class ChatClient(Protocol):
    provider: str
    model: str

    def complete(
        self, messages: list[dict[str, str]], response_format: dict, max_tokens: int
    ) -> ChatResult: ...

    def close(self) -> None: ...


def _error_detail(body: object) -> tuple[str, str, str]:
    """(message, code, failed_generation) from a Groq error body; the body may be HTML text."""
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict):
            return (
                str(error.get("message", ""))[:500],
                str(error.get("code") or error.get("type") or ""),
                str(error.get("failed_generation") or ""),
            )
        return str(error)[:500], "", ""
    text = str(body or "").strip()
    return (text[:200] + ("…" if len(text) > 200 else "")), "", ""


class GroqChatClient:
    """Chat completions on Groq (or anything speaking its wire format at `base_url`)."""

    provider = "groq"

    def __init__(
        self,
        api_key: str,
        model: str,
        base_url: str | None = None,
        timeout_seconds: float = 30.0,
        http_client: httpx.Client | None = None,
    ) -> None:
        import groq

        self.model = model
        self._groq = groq
        self._client = groq.Groq(
            api_key=api_key,
            base_url=base_url,
            max_retries=0,  # deliberate: see the module docstring
            timeout=httpx.Timeout(timeout_seconds, connect=min(5.0, timeout_seconds)),
            http_client=http_client,
        )

    def close(self) -> None:
        self._client.close()

    def response_format(self, schema_format: dict) -> dict:
        return schema_format if self.model in JSON_SCHEMA_MODELS else {"type": "json_object"}

    def complete(
        self, messages: list[dict[str, str]], response_format: dict, max_tokens: int
    ) -> ChatResult:
        groq = self._groq
        started = time.perf_counter()

        def elapsed() -> int:
            return int((time.perf_counter() - started) * 1000)

        try:
            raw = self._client.chat.completions.with_raw_response.create(
                model=self.model,
                messages=messages,
                response_format=self.response_format(response_format),
                temperature=0,
                max_completion_tokens=max_tokens,
            )
            completion = raw.parse()
        except groq.APITimeoutError as error:
            raise Transient("request timed out", latency_ms=elapsed()) from error
        except groq.APIConnectionError as error:
            raise Transient(f"connection error: {error}", latency_ms=elapsed()) from error
        except groq.APIStatusError as error:
            raise _classify(error, elapsed()) from error
        usage = completion.usage
        content = completion.choices[0].message.content if completion.choices else None
        return ChatResult(
            content=content,
            prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
            completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
            total_tokens=getattr(usage, "total_tokens", 0) or 0,
            latency_ms=elapsed(),
            headers=dict(raw.headers),
        )


def _classify(error, latency_ms: int) -> LLMCallError:
    status = error.status_code
    headers = dict(error.response.headers) if error.response is not None else {}
    message, code, failed_generation = _error_detail(error.body)
    summary = f"HTTP {status}" + (f" {code}" if code else "") + (f": {message}" if message else "")
    common = {"status": status, "headers": headers, "latency_ms": latency_ms}
    if status in (401, 403):
        return AuthFailed(
            f"Groq refused the credentials (HTTP {status}): check GROQ_API_KEY", **common
        )
    should_retry = headers.get("x-should-retry", "").lower()
    if status == 400 and code == "json_validate_failed":
        return JsonValidateFailed(summary, failed_generation=failed_generation, **common)
    if should_retry == "false":
        return Rejected(summary, **common)
    if status == 429:
        return RateLimited(summary, **common)
    if status >= 500 or status in (408, 409, 498) or should_retry == "true":
        return Transient(summary, **common)
    return Rejected(summary, **common)
