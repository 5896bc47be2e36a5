"""Fetch policies and a resolver for tests that talk to fake web servers on 127.0.0.x."""

from __future__ import annotations

import socket

from enrichment_assets.lib.web.policy import FetchPolicy


def make_policy(**overrides) -> FetchPolicy:
    """Fast timeouts, no pacing, 127.0.0.1 allowed."""
    values = {
        "allowed_hosts": ("127.0.0.1",),
        "per_host_interval": 0.0,
        "connect_timeout": 1.0,
        "read_timeout": 1.0,
        "total_timeout": 3.0,
        "backoff": 0.05,
        "max_retry_after": 1.5,
    }
    values.update(overrides)
    return FetchPolicy(**values)


async def local_only_resolver(host: str, port: int) -> list[str]:
    """The resolver as an offline machine has it, without a DNS query leaving this one:
    numeric forms (`2130706433`, `0x7f000001`, `127.1`) are parsed by getaddrinfo itself,
    `localhost` comes from /etc/hosts, and every other name does not exist."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    except socket.gaierror:
        if host != "localhost":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))
