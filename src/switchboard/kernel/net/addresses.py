"""Which IP addresses a fetch from the outside world may never reach.

An explicit table (IANA's special-purpose registries) rather than `ipaddress`'s `is_global`
alone: that property has changed between CPython patch releases, and it calls multicast
global. `is_global` is still consulted last, so a range the table misses but CPython knows is
refused too. IPv6 forms that embed an IPv4 address (IPv4-mapped, NAT64, 6to4) are judged by
the IPv4 address they reach; Teredo (2001::/32) is refused outright, as no web site lives there.
"""

from __future__ import annotations

from enum import StrEnum
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

__all__ = ["IPAddress", "RefusedRange", "parse_address", "refused_range"]

IPAddress = IPv4Address | IPv6Address


class RefusedRange(StrEnum):
    METADATA = "cloud metadata service"
    UNSPECIFIED = "unspecified"
    LOOPBACK = "loopback"
    PRIVATE = "private"
    SHARED = "shared (carrier-grade NAT)"
    LINK_LOCAL = "link-local"
    MULTICAST = "multicast"
    RESERVED = "reserved"


def _table(
    *rows: tuple[str, RefusedRange],
) -> tuple[tuple[IPv4Network | IPv6Network, RefusedRange], ...]:
    return tuple((ip_network(network), kind) for network, kind in rows)


# Cloud metadata services hand out credentials. Those outside link-local get rows of their own,
# listed before the range they sit in, so that no setting opens them (see `guard`).
_IPV4 = _table(
    ("100.100.100.200/32", RefusedRange.METADATA),  # Alibaba Cloud, inside 100.64/10
    ("0.0.0.0/8", RefusedRange.UNSPECIFIED),
    ("10.0.0.0/8", RefusedRange.PRIVATE),
    ("100.64.0.0/10", RefusedRange.SHARED),
    ("127.0.0.0/8", RefusedRange.LOOPBACK),
    ("169.254.0.0/16", RefusedRange.LINK_LOCAL),  # 169.254.169.254: cloud metadata
    ("172.16.0.0/12", RefusedRange.PRIVATE),
    ("192.0.0.0/24", RefusedRange.RESERVED),  # IETF protocol assignments
    ("192.0.2.0/24", RefusedRange.RESERVED),  # documentation
    ("192.31.196.0/24", RefusedRange.RESERVED),  # AS112
    ("192.52.193.0/24", RefusedRange.RESERVED),  # AMT
    ("192.88.99.0/24", RefusedRange.RESERVED),  # 6to4 relay anycast, deprecated
    ("192.168.0.0/16", RefusedRange.PRIVATE),
    ("192.175.48.0/24", RefusedRange.RESERVED),  # direct delegation AS112
    ("198.18.0.0/15", RefusedRange.RESERVED),  # benchmarking
    ("198.51.100.0/24", RefusedRange.RESERVED),  # documentation
    ("203.0.113.0/24", RefusedRange.RESERVED),  # documentation
    ("224.0.0.0/4", RefusedRange.MULTICAST),
    ("240.0.0.0/4", RefusedRange.RESERVED),  # includes 255.255.255.255, broadcast
)

_IPV6 = _table(
    ("fd00:ec2::254/128", RefusedRange.METADATA),  # AWS over IPv6, inside fc00::/7
    ("::/128", RefusedRange.UNSPECIFIED),
    ("::1/128", RefusedRange.LOOPBACK),
    ("::/96", RefusedRange.RESERVED),  # IPv4-compatible, deprecated
    ("64:ff9b:1::/48", RefusedRange.PRIVATE),  # local-use NAT64
    ("100::/64", RefusedRange.RESERVED),  # discard-only
    ("2001::/23", RefusedRange.RESERVED),  # IETF protocol assignments, Teredo among them
    ("2001:db8::/32", RefusedRange.RESERVED),  # documentation
    ("3fff::/20", RefusedRange.RESERVED),  # documentation
    ("5f00::/16", RefusedRange.RESERVED),  # SRv6 SIDs
    ("fc00::/7", RefusedRange.PRIVATE),  # unique local
    ("fe80::/10", RefusedRange.LINK_LOCAL),
    ("fec0::/10", RefusedRange.PRIVATE),  # site-local, deprecated
    ("ff00::/8", RefusedRange.MULTICAST),
)

_NAT64 = IPv6Network("64:ff9b::/96")


def parse_address(text: str) -> IPAddress:
    """An address as `getaddrinfo` prints it; an IPv6 zone (`fe80::1%eth0`) is dropped."""
    return ip_address(text.split("%", 1)[0])


def refused_range(address: IPAddress) -> RefusedRange | None:
    """The refused range `address` lies in, or None for a public unicast address."""
    if isinstance(address, IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return refused_range(embedded)
        table = _IPV6
    else:
        table = _IPV4
    for network, kind in table:
        if address in network:
            return kind
    if address.is_multicast:
        return RefusedRange.MULTICAST
    if not address.is_global or address.is_reserved:
        return RefusedRange.RESERVED
    return None


def _embedded_ipv4(address: IPv6Address) -> IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    return None
