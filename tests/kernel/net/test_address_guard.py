"""The address policy: which ranges are refused, and that every resolved address counts."""

from __future__ import annotations

from ipaddress import ip_address

import pytest

from switchboard.kernel.net import (
    AddressGuard,
    AddressPolicy,
    FetchError,
    FetchFailureReason,
    RefusedRange,
    refused_range,
    system_resolver,
)
from switchboard.kernel.net.addresses import parse_address

from .conftest import StaticResolver

REFUSED = {
    # IPv4
    "0.0.0.0": RefusedRange.UNSPECIFIED,
    "0.1.2.3": RefusedRange.UNSPECIFIED,
    "10.1.2.3": RefusedRange.PRIVATE,
    "100.64.0.1": RefusedRange.SHARED,
    "100.127.255.254": RefusedRange.SHARED,
    "100.100.100.200": RefusedRange.METADATA,
    "127.0.0.1": RefusedRange.LOOPBACK,
    "127.255.255.254": RefusedRange.LOOPBACK,
    "169.254.169.254": RefusedRange.LINK_LOCAL,
    "169.254.0.1": RefusedRange.LINK_LOCAL,
    "172.16.0.1": RefusedRange.PRIVATE,
    "172.31.255.255": RefusedRange.PRIVATE,
    "192.0.0.192": RefusedRange.RESERVED,
    "192.0.2.1": RefusedRange.RESERVED,
    "192.88.99.1": RefusedRange.RESERVED,
    "192.168.1.1": RefusedRange.PRIVATE,
    "198.18.0.1": RefusedRange.RESERVED,
    "198.51.100.7": RefusedRange.RESERVED,
    "203.0.113.9": RefusedRange.RESERVED,
    "224.0.0.1": RefusedRange.MULTICAST,
    "239.255.255.250": RefusedRange.MULTICAST,
    "240.0.0.1": RefusedRange.RESERVED,
    "255.255.255.255": RefusedRange.RESERVED,
    # IPv6
    "::": RefusedRange.UNSPECIFIED,
    "::1": RefusedRange.LOOPBACK,
    "::127.0.0.1": RefusedRange.RESERVED,  # IPv4-compatible, deprecated
    "::ffff:127.0.0.1": RefusedRange.LOOPBACK,  # IPv4-mapped
    "::ffff:169.254.169.254": RefusedRange.LINK_LOCAL,
    "::ffff:10.0.0.1": RefusedRange.PRIVATE,
    "64:ff9b::a9fe:a9fe": RefusedRange.LINK_LOCAL,  # NAT64 of 169.254.169.254
    "64:ff9b::7f00:1": RefusedRange.LOOPBACK,
    "64:ff9b:1::1": RefusedRange.PRIVATE,
    "2002:7f00:1::1": RefusedRange.LOOPBACK,  # 6to4 of 127.0.0.1
    "2002:a9fe:a9fe::1": RefusedRange.LINK_LOCAL,
    "2001:0:4136:e378:8000:63bf:3fff:fdd2": RefusedRange.RESERVED,  # Teredo
    "2001:db8::1": RefusedRange.RESERVED,
    "100::1": RefusedRange.RESERVED,
    "fc00::1": RefusedRange.PRIVATE,
    "fd12:3456:789a::1": RefusedRange.PRIVATE,
    "fd00:ec2::254": RefusedRange.METADATA,
    "fe80::1": RefusedRange.LINK_LOCAL,
    "febf::1": RefusedRange.LINK_LOCAL,
    "fec0::1": RefusedRange.PRIVATE,
    "ff02::1": RefusedRange.MULTICAST,
    "ff0e::1": RefusedRange.MULTICAST,
}

PUBLIC = [
    "1.1.1.1",
    "8.8.8.8",
    "93.184.215.14",
    "100.63.255.255",  # just below the shared range
    "100.128.0.0",  # just above it
    "172.32.0.1",
    "2606:4700:4700::1111",
    "2a00:1450:4001:80b::200e",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
    "2002:808:808::1",
]


@pytest.mark.parametrize(("text", "kind"), REFUSED.items())
def test_refused_ranges(text: str, kind: RefusedRange) -> None:
    assert refused_range(ip_address(text)) is kind


@pytest.mark.parametrize("text", PUBLIC)
def test_public_addresses(text: str) -> None:
    assert refused_range(ip_address(text)) is None


def test_zone_of_a_link_local_address_is_dropped() -> None:
    assert refused_range(parse_address("fe80::1%eth0")) is RefusedRange.LINK_LOCAL


def test_allow_private_opens_only_the_deployment_s_own_ranges() -> None:
    policy = AddressPolicy(allow_private_addresses=True)
    opened = ["127.0.0.1", "::1", "10.0.0.1", "192.168.0.10", "100.64.1.1", "fd12::1"]
    shut = ["169.254.169.254", "100.100.100.200", "fd00:ec2::254", "fe80::1", "0.0.0.0"]
    shut += ["224.0.0.1", "ff02::1", "240.0.0.1", "192.0.2.1"]
    assert [a for a in opened if policy.refusal(ip_address(a), 80) is not None] == []
    assert [a for a in shut if policy.refusal(ip_address(a), 80) is None] == []


def test_allowed_endpoint_is_exact() -> None:
    loopback = ip_address("127.0.0.1")
    policy = AddressPolicy(allowed_endpoints=frozenset({(loopback, 8080)}))
    assert policy.refusal(loopback, 8080) is None
    assert policy.refusal(loopback, 8081) is RefusedRange.LOOPBACK
    assert policy.refusal(ip_address("127.0.0.2"), 8080) is RefusedRange.LOOPBACK


async def test_one_refused_address_among_public_ones_refuses_the_host() -> None:
    resolver = StaticResolver({"mixed.test": ["93.184.215.14", "2606:4700::1", "10.0.0.5"]})
    guard = AddressGuard(AddressPolicy(), resolver)
    with pytest.raises(FetchError) as caught:
        await guard.checked_addresses("mixed.test", 443)
    assert caught.value.reason is FetchFailureReason.PRIVATE_ADDRESS
    assert "10.0.0.5" in caught.value.detail  # for logs
    assert "10.0.0.5" not in caught.value.reason.value  # not for users


async def test_public_host_gets_its_addresses_back_for_pinning() -> None:
    resolver = StaticResolver({"public.test": ["93.184.215.14", "2606:4700::1"]})
    guard = AddressGuard(AddressPolicy(), resolver)
    assert await guard.checked_addresses("public.test", 443) == (
        ip_address("93.184.215.14"),
        ip_address("2606:4700::1"),
    )


async def test_address_literal_is_not_resolved() -> None:
    resolver = StaticResolver()
    guard = AddressGuard(AddressPolicy(allow_private_addresses=True), resolver)
    assert await guard.checked_addresses("::1", 80) == (ip_address("::1"),)
    assert resolver.questions == []


@pytest.mark.parametrize("answer", [None, []])
async def test_unresolvable_host(answer: list[str] | None) -> None:
    resolver = StaticResolver({} if answer is None else {"empty.test": answer})
    guard = AddressGuard(AddressPolicy(), resolver)
    with pytest.raises(FetchError) as caught:
        await guard.checked_addresses("empty.test", 80)
    assert caught.value.reason is FetchFailureReason.HOST_NOT_FOUND


async def test_system_resolver_reads_hosts_file_and_numeric_forms() -> None:
    assert ip_address("127.0.0.1") in await system_resolver("localhost", 80)
    assert await system_resolver("2130706433", 80) == [ip_address("127.0.0.1")]
