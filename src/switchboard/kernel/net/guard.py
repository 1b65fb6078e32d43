"""The address policy: resolve a host once, and refuse it if any address it has is refused.

Every address matters, not just the first: a host that resolves to one public and one private
address could otherwise be reached on the private one by whoever connects next. The addresses
returned are the ones to connect to (see `pinning`), so the answer checked is the answer used.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from .addresses import IPAddress, RefusedRange, parse_address, refused_range
from .errors import FetchError, FetchFailureReason

__all__ = ["AddressGuard", "AddressPolicy", "Resolver", "system_resolver"]

Resolver = Callable[[str, int], Awaitable[Sequence[IPAddress]]]
"""Resolves (host, port) to addresses; raises `OSError` when the host has none."""

# What `allow_private_addresses` opens: networks a deployment may run its own sites on. Never
# link-local (169.254.169.254 is the cloud metadata service), multicast, reserved or 0.0.0.0.
_PRIVATE_RANGES = frozenset({RefusedRange.PRIVATE, RefusedRange.SHARED, RefusedRange.LOOPBACK})


async def system_resolver(host: str, port: int) -> list[IPAddress]:
    """The operating system's answer (DNS, /etc/hosts), via `getaddrinfo` off the event loop."""
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = parse_address(str(sockaddr[0]))
        if address not in addresses:
            addresses.append(address)
    return addresses


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    """Which resolved addresses a fetch may connect to.

    `allow_private_addresses` opens private, shared and loopback ranges (a deployment fetching from
    its intranet; the tests). `allowed_endpoints` lets exact (address, port) pairs through
    whatever their range: one internal site, or a test server, while everything else stays shut.
    """

    allow_private_addresses: bool = False
    allowed_endpoints: frozenset[tuple[IPAddress, int]] = frozenset()

    def refusal(self, address: IPAddress, port: int) -> RefusedRange | None:
        """Why `address:port` may not be reached, or None if it may."""
        kind = refused_range(address)
        if kind is None or (address, port) in self.allowed_endpoints:
            return None
        if self.allow_private_addresses and kind in _PRIVATE_RANGES:
            return None
        return kind


class AddressGuard:
    """Resolves hosts and checks every address against the policy."""

    def __init__(self, policy: AddressPolicy, resolver: Resolver = system_resolver) -> None:
        self.policy = policy
        self._resolver = resolver

    async def checked_addresses(self, host: str, port: int) -> tuple[IPAddress, ...]:
        """The addresses of `host`, all allowed; else `FetchError` (not found, or refused)."""
        addresses = await self._resolve(host, port)
        for address in addresses:
            kind = self.policy.refusal(address, port)
            if kind is not None:
                raise FetchError(
                    FetchFailureReason.PRIVATE_ADDRESS, f"{host} has {kind} address {address}"
                )
        return addresses

    async def _resolve(self, host: str, port: int) -> tuple[IPAddress, ...]:
        try:
            return (parse_address(host),)
        except ValueError:
            pass  # a name, not an address literal
        try:
            addresses = tuple(await self._resolver(host, port))
        except (OSError, UnicodeError) as error:
            raise FetchError(FetchFailureReason.HOST_NOT_FOUND, f"{host}: {error}") from None
        if not addresses:
            raise FetchError(FetchFailureReason.HOST_NOT_FOUND, f"{host}: no address")
        return addresses
