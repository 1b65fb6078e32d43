"""Connect only to addresses the guard checked: the defence against DNS rebinding.

If the HTTP client resolved host names itself, a hostile DNS server could answer the guard with
a public address and the connection a moment later with 127.0.0.1. Here the client never
resolves anything: httpcore asks this backend to connect to (host, port), and the backend opens
a socket to an address pinned for exactly that pair by the guard, or refuses. The host name is
still what httpcore uses for the Host header, the TLS SNI and certificate verification.
"""

from __future__ import annotations

from collections.abc import Iterable

import httpcore

from .addresses import IPAddress

__all__ = ["PinnedNetworkBackend"]


class PinnedNetworkBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that opens TCP connections to pinned addresses only."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self._inner = inner or httpcore.AnyIOBackend()
        self._pins: dict[tuple[str, int], tuple[IPAddress, ...]] = {}

    def pin(self, host: str, port: int, addresses: Iterable[IPAddress]) -> None:
        """Connections to `host:port` go to `addresses` (checked ones), tried in order."""
        self._pins[(_key(host), port)] = tuple(addresses)

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = self._pins.get((_key(host), port))
        if not addresses:
            # Fail closed: whatever asked for this connection skipped the guard.
            raise httpcore.ConnectError(f"{host}:{port} was not checked; refusing to connect")
        last_error: Exception = httpcore.ConnectError(f"{host}:{port}: no address answered")
        for address in addresses:  # several (IPv6 and IPv4, say): the first that answers
            try:
                return await self._inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                last_error = error
        raise last_error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("the guarded fetcher never uses Unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def _key(host: str) -> str:
    return host.lower().strip("[]")
