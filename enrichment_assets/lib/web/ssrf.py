"""The SSRF guard: which addresses a URL may reach, decided before any byte is sent.

A URL is parsed with httpx's own parser (the one that will send the request, so the guard and
the client can never disagree about the host), its host resolved, and every address checked.
If any address is private, loopback, link-local, multicast, reserved, unspecified, shared
(CGNAT) or an IPv6 form that embeds an IPv4 address (IPv4-mapped, NAT64, 6to4, Teredo), the
URL is blocked. The addresses that passed are returned so the caller connects to exactly
those (no second DNS lookup, so no DNS rebinding between check and connect).

Hosts named in `allowed_hosts` (HTTP_ALLOW_PRIVATE_HOSTS) are allowed whatever they resolve
to. They are matched on the host exactly as written in the URL: `127.0.0.1` allows
`http://127.0.0.1:8080/`, not `http://0x7f000001/`, `http://127.1/` or `http://[::1]/`.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

import httpx

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]

ALLOWED_SCHEMES = ("http", "https")
# NAT64 (RFC 6052) carries an IPv4 address in its last 32 bits; `is_global` says True for it.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")


class UrlRefused(Exception):
    """The URL may not be fetched. `outcome` is `blocked` or `invalid_url`."""

    def __init__(self, outcome: str, reason: str) -> None:
        super().__init__(reason)
        self.outcome = outcome
        self.reason = reason


class DnsFailure(Exception):
    """The host did not resolve. `permanent`: the name does not exist (NXDOMAIN / no data), as
    opposed to a resolver that did not answer in time or failed temporarily."""

    def __init__(self, reason: str, permanent: bool) -> None:
        super().__init__(reason)
        self.permanent = permanent


_PERMANENT_DNS_ERRORS = {
    code
    for code in (getattr(socket, "EAI_NONAME", None), getattr(socket, "EAI_NODATA", None))
    if code is not None
}


@dataclass(frozen=True)
class CheckedTarget:
    url: httpx.URL
    host: str  # the host as httpcore sees it (IDNA-encoded, IPv6 without brackets)
    port: int
    addresses: tuple[str, ...]  # every one checked; connect to these and nothing else
    allowed_private: bool


def forbidden_reason(address: Address) -> str | None:
    """Why `address` must never be fetched, or None when it is a public unicast address."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return f"IPv4-mapped IPv6 address {address}"
        if address in _NAT64 or address in _NAT64_LOCAL:
            return f"NAT64 address {address} embeds an IPv4 address"
        if address.sixtofour is not None:
            return f"6to4 address {address} embeds an IPv4 address"
        if address.teredo is not None:
            return f"Teredo address {address} embeds an IPv4 address"
    for attribute, label in (
        ("is_loopback", "loopback"),
        ("is_link_local", "link-local"),
        ("is_multicast", "multicast"),
        ("is_unspecified", "unspecified"),
        ("is_reserved", "reserved"),
        ("is_private", "private"),
    ):
        if getattr(address, attribute):
            return f"{label} address {address}"
    if not address.is_global:  # 100.64.0.0/10 (shared/CGNAT) and other special ranges
        return f"non-public address {address}"
    return None


def parse_allowed_hosts(raw: str | Iterable[str] | None) -> frozenset[str]:
    """`"127.0.0.1, localhost"` → {"127.0.0.1", "localhost"} (lower case, no brackets)."""
    if raw is None:
        return frozenset()
    items = raw.split(",") if isinstance(raw, str) else raw
    return frozenset(_normalise_host(item) for item in items if item.strip())


def _normalise_host(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


_dns_executor: ThreadPoolExecutor | None = None


async def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for `host`. Lookups run in their own threads,
    so a resolver that hangs on one name cannot starve the event loop's default executor."""
    global _dns_executor
    if _dns_executor is None:
        _dns_executor = ThreadPoolExecutor(max_workers=16, thread_name_prefix="dns")
    infos = await asyncio.get_running_loop().run_in_executor(
        _dns_executor, partial(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    )
    return list(dict.fromkeys(info[4][0] for info in infos))


class SsrfGuard:
    def __init__(
        self,
        allowed_hosts: Iterable[str] = (),
        resolver: Resolver | None = None,
        dns_timeout: float = 5.0,
        dns_ttl: float = 60.0,
    ) -> None:
        self.allowed_hosts = parse_allowed_hosts(list(allowed_hosts))
        self._resolver = resolver or system_resolver
        self._dns_timeout = dns_timeout
        self._dns_ttl = dns_ttl
        # (host, port) → (expiry, lookup): one lookup per host for many URLs, answers and
        # failures alike, shared by concurrent requests.
        self._lookups: dict[tuple[str, int], tuple[float, asyncio.Future[list[str]]]] = {}

    def parse(self, url: str | httpx.URL) -> httpx.URL:
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError, ValueError) as error:
            raise UrlRefused("invalid_url", f"invalid URL: {error}") from error
        if parsed.scheme not in ALLOWED_SCHEMES:
            raise UrlRefused("invalid_url", f"scheme {parsed.scheme or '(none)'!r} is not http(s)")
        if not parsed.raw_host:
            raise UrlRefused("invalid_url", "URL has no host")
        return parsed

    async def check(self, url: str | httpx.URL) -> CheckedTarget:
        """Resolve and vet `url`'s host. Raises UrlRefused (blocked, invalid_url) or DnsFailure."""
        parsed = self.parse(url)
        host = parsed.raw_host.decode("ascii")
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        allowed = _normalise_host(host) in self.allowed_hosts
        literal = _ip_literal(host)
        if literal is not None:
            addresses = [str(literal)]
        else:
            try:
                addresses = await self._lookup(host, port)
            except TimeoutError as error:
                raise DnsFailure(f"DNS lookup for {host} timed out", permanent=False) from error
            except socket.gaierror as error:
                raise DnsFailure(
                    f"DNS lookup for {host} failed: {error.strerror or error}",
                    permanent=error.errno in _PERMANENT_DNS_ERRORS,
                ) from error
            except (OSError, UnicodeError) as error:
                raise DnsFailure(
                    f"DNS lookup for {host} failed: {error}", permanent=False
                ) from error
            if not addresses:
                raise DnsFailure(f"DNS lookup for {host} returned no address", permanent=True)
        if not allowed:
            for raw in addresses:
                try:
                    address = ipaddress.ip_address(raw.split("%", 1)[0])  # drop an IPv6 zone
                except ValueError as error:
                    raise UrlRefused("blocked", f"{host} resolved to {raw!r}") from error
                reason = forbidden_reason(address)
                if reason is not None:
                    via = "" if literal is not None else f"{host} resolves to "
                    raise UrlRefused("blocked", f"blocked: {via}{reason}")
        return CheckedTarget(
            url=parsed, host=host, port=port, addresses=tuple(addresses), allowed_private=allowed
        )

    async def _lookup(self, host: str, port: int) -> list[str]:
        key = (host, port)
        now = time.monotonic()
        cached = self._lookups.get(key)
        if cached is None or cached[0] < now:
            future = asyncio.ensure_future(
                asyncio.wait_for(self._resolver(host, port), timeout=self._dns_timeout)
            )
            cached = self._lookups[key] = (now + self._dns_ttl, future)
        return list(await asyncio.shield(cached[1]))


def _ip_literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None
