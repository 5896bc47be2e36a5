"""Reading one HTTP answer into a `FetchResult` (or the next redirect URL): status, content
type, the size cap, and `Retry-After`, which also pushes back the host's next request."""

from __future__ import annotations

from urllib.parse import urljoin

import httpx

from enrichment_assets.lib.common.retry import parse_retry_after
from enrichment_assets.lib.web.host_gate import HostGate
from enrichment_assets.lib.web.outcomes import HTTP_ERROR, NOT_HTML, OK, TOO_LARGE, FetchResult

REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
RETRY_CODES = frozenset({429, 503})
HTML_TYPES = ("text/html", "application/xhtml+xml")
DRAIN_MAX_BYTES = 65_536


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


async def read_response(
    response: httpx.Response,
    current: str,
    method: str,
    gate: HostGate,
    accept: tuple[str, ...] | None,
    read_body: bool,
    limit: int,
    max_retry_after: float,
) -> FetchResult | str:
    """`accept`: the media types a page may have (None: any); `read_body`: a page fetch, not a
    link check; `limit`: the body's byte cap. A str return is the next redirect URL."""
    status = response.status_code
    content_type = response.headers.get("content-type")
    base = FetchResult(
        current, OK, "", method, status_code=status, final_url=current,
        content_type=content_type,
    )  # fmt: skip
    if status in REDIRECT_CODES and response.headers.get("location"):
        return urljoin(current, response.headers["location"])
    if status >= 400:
        base.outcome = HTTP_ERROR
        base.reason = f"HTTP {status}"
        if status in RETRY_CODES:
            base.retry_after = parse_retry_after(response.headers.get("retry-after"))
            if base.retry_after is not None:
                gate.defer(min(base.retry_after, max_retry_after))
                base.reason += f" (Retry-After {base.retry_after:g} s)"
        return base
    if (
        accept is not None
        and media_type(content_type) not in accept
        and (content_type or not read_body)
    ):
        base.outcome = NOT_HTML
        base.reason = f"content type {media_type(content_type) or '(none)'} is not HTML"
        return base
    if not read_body:  # a link check: the status is the answer, the size is no concern
        return base
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        base.outcome = TOO_LARGE
        base.reason = f"Content-Length {int(declared):,} bytes exceeds the {limit:,}-byte cap"
        return base
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            base.outcome = TOO_LARGE
            base.reason = f"body exceeds the {limit:,}-byte cap"
            return base
        chunks.append(chunk)
    base.body = b"".join(chunks)
    if accept is not None and not content_type and not looks_like_html(base.body):
        base.outcome = NOT_HTML
        base.reason = "no content type and the body is not HTML"
        base.body = None
    return base


async def drain_small(response: httpx.Response) -> None:
    """Finish reading an answer whose body is empty or small (HEAD, redirects, errors), so the
    connection goes back to the pool; a large unread body is dropped with its connection."""
    if response.is_stream_consumed or response.is_closed:
        return
    declared = response.headers.get("content-length")
    if response.request.method == "HEAD" or (
        declared and declared.isdigit() and int(declared) <= DRAIN_MAX_BYTES
    ):
        await response.aread()


def looks_like_html(body: bytes) -> bool:
    head = body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<?xml"))
