"""An httpx transport that connects only to addresses the SSRF guard has checked.

httpcore normally resolves the host itself when it opens a connection, which leaves a window
between the guard's lookup and the connect (DNS rebinding). Here the TCP connect goes through
a network backend that looks the host up in `pins` (filled by the guard) and refuses any host
that is not there. The request keeps its real host name, so the Host header, TLS SNI and
certificate checks are unchanged, and the pool keys connections by name as usual.
"""

from __future__ import annotations

import ssl
import typing

import httpcore
import httpx


class PinnedNetworkBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, pins: dict[str, tuple[str, ...]]) -> None:
        self._pins = pins
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = self._pins.get(host)
        if not addresses:
            raise httpcore.ConnectError(f"{host} was not checked by the SSRF guard")
        last_error: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                last_error = error
        assert last_error is not None
        raise last_error

    async def connect_unix_socket(self, *args, **kwargs) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are never used for fetching")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class PinnedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport (request/response mapping, errors) over a pinned connection pool.

    httpx 0.28 takes no network backend argument, so the pool it builds is replaced by one with
    the same settings plus the pinned backend; proxies from the environment are never used.
    """

    def __init__(
        self,
        pins: dict[str, tuple[str, ...]],
        limits: httpx.Limits,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        ssl_context = ssl_context or httpx.create_ssl_context(trust_env=False)
        super().__init__(verify=ssl_context, trust_env=False, limits=limits)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=False,
            network_backend=PinnedNetworkBackend(pins),
        )
