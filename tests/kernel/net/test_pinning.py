"""The connection goes to the address the guard checked, with the link's own Host and SNI.

Host names here (`site.test`, …) exist only in the tests' resolver: the operating system cannot
resolve them, so a fetch that succeeds connected to the pinned address, not to a fresh lookup.
"""

from __future__ import annotations

import datetime as dt
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from ipaddress import ip_address
from pathlib import Path

import httpcore
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from switchboard.kernel.net import (
    AddressGuard,
    FetchError,
    FetchFailureReason,
    GuardedFetcher,
    IPAddress,
    parse_link,
)
from switchboard.kernel.net.pinning import PinnedNetworkBackend

from .conftest import (
    OG_PAGE,
    LocalSite,
    StaticResolver,
    internal_app,
    only_site_policy,
    site_app,
)


async def test_host_header_is_the_link_s_host(site: LocalSite, resolver: StaticResolver) -> None:
    resolver.table["site.test"] = ["127.0.0.1"]
    fetcher = GuardedFetcher(AddressGuard(only_site_policy(site), resolver))
    document = await fetcher.fetch(parse_link(site.url("/host", host="site.test")))
    assert document.text == f"<title>site.test:{site.port}</title>"
    assert resolver.questions == [("site.test", site.port)]


class RebindingResolver(StaticResolver):
    """Answers the first question with an allowed address, every later one with another."""

    def __init__(self, first: str, then: str) -> None:
        super().__init__()
        self.first, self.then = first, then

    async def __call__(self, host: str, port: int) -> list[IPAddress]:
        self.questions.append((host, port))
        return [ip_address(self.first if len(self.questions) == 1 else self.then)]


async def test_dns_rebinding_cannot_redirect_the_connection(site: LocalSite) -> None:
    """An internal service listens on 127.0.0.2 at the site's port; DNS flips to it after the
    check. A client that looked the name up again to connect would land there."""
    internal = LocalSite(address="127.0.0.2")
    await internal.start(internal_app(), port=site.port)
    try:
        resolver = RebindingResolver(first="127.0.0.1", then="127.0.0.2")
        fetcher = GuardedFetcher(AddressGuard(only_site_policy(site), resolver))
        document = await fetcher.fetch(parse_link(site.url("/og", host="rebind.test")))
        assert document.text == OG_PAGE
        assert len(resolver.questions) == 1
        assert sum(internal.hits.values()) == 0
        assert site.hits["/og"] == 1
    finally:
        await internal.stop()


async def test_each_redirect_hop_is_resolved_and_checked_again(site: LocalSite) -> None:
    """Same name on every hop; the second answer is refused, so the second hop never happens."""
    resolver = RebindingResolver(first="127.0.0.1", then="169.254.169.254")
    fetcher = GuardedFetcher(AddressGuard(only_site_policy(site), resolver))
    with pytest.raises(FetchError) as caught:
        # /chain/3 redirects with a relative Location: the same host name again.
        await fetcher.fetch(parse_link(site.url("/chain/3", host="rebind.test")))
    assert caught.value.reason is FetchFailureReason.PRIVATE_ADDRESS
    assert len(resolver.questions) == 2
    assert dict(site.hits) == {"/chain/3": 1}


async def test_backend_refuses_hosts_that_were_not_pinned(site: LocalSite) -> None:
    backend = PinnedNetworkBackend()
    with pytest.raises(httpcore.ConnectError, match="not checked"):
        await backend.connect_tcp("127.0.0.1", site.port)
    backend.pin("site.test", site.port + 1 if site.port < 65535 else 1, [ip_address("127.0.0.1")])
    with pytest.raises(httpcore.ConnectError, match="not checked"):
        await backend.connect_tcp("site.test", site.port)  # pinned for another port only
    with pytest.raises(httpcore.ConnectError):
        await backend.connect_unix_socket("/var/run/docker.sock")


async def test_backend_falls_back_to_the_next_checked_address(site: LocalSite) -> None:
    backend = PinnedNetworkBackend()
    # Nothing listens on 127.0.0.3 at the site's port: refused, then the next address.
    backend.pin("Site.Test", site.port, [ip_address("127.0.0.3"), ip_address("127.0.0.1")])
    stream = await backend.connect_tcp("site.test", site.port)
    try:
        assert stream.get_extra_info("server_addr") == ("127.0.0.1", site.port)
    finally:
        await stream.aclose()


# TLS: the certificate names `site.test`; the server is at 127.0.0.1.


class TestAuthority:
    """A certificate authority made for one test, and the server certificates it signs."""

    __test__ = False  # pytest: not a test class

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Switchboard test CA")])
        self.certificate = (
            _certificate(name, name, self.key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )

    def pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode()

    def server_context(self, host: str, directory: Path) -> ssl.SSLContext:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
        certificate = (
            _certificate(name, self.certificate.subject, key.public_key())
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        (directory / "server.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        (directory / "server.key").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(directory / "server.pem", directory / "server.key")
        return context


def _certificate(
    subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePublicKey
) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
    )


@dataclass
class TlsSite:
    local: LocalSite
    authority: TestAuthority
    server_names: list[str | None]  # SNI names the server was sent

    def fetcher(self, resolver: StaticResolver) -> GuardedFetcher:
        trusting_the_authority = ssl.create_default_context(cadata=self.authority.pem())
        guard = AddressGuard(only_site_policy(self.local), resolver)
        return GuardedFetcher(guard, ssl_context=trusting_the_authority)


@pytest.fixture
async def tls_site(tmp_path: Path) -> AsyncIterator[TlsSite]:
    authority = TestAuthority()
    context = authority.server_context("site.test", tmp_path)
    server_names: list[str | None] = []

    def record_sni(_socket: ssl.SSLObject, name: str | None, _context: ssl.SSLContext) -> None:
        server_names.append(name)

    context.sni_callback = record_sni
    local = LocalSite(ssl_context=context)
    await local.start(site_app(local))
    try:
        yield TlsSite(local, authority, server_names)
    finally:
        await local.stop()


async def test_tls_to_a_pinned_address_verifies_the_link_s_host(tls_site: TlsSite) -> None:
    local = tls_site.local
    resolver = StaticResolver({"site.test": ["127.0.0.1"]})
    document = await tls_site.fetcher(resolver).fetch(
        parse_link(local.url("/host", host="site.test"))
    )
    assert document.final_url == f"https://site.test:{local.port}/host"
    assert document.text == f"<title>site.test:{local.port}</title>"
    assert tls_site.server_names == ["site.test"]  # SNI: the name, not the address


async def test_tls_certificate_for_another_name_is_refused(tls_site: TlsSite) -> None:
    resolver = StaticResolver({"other.test": ["127.0.0.1"]})
    with pytest.raises(FetchError) as caught:
        await tls_site.fetcher(resolver).fetch(
            parse_link(tls_site.local.url("/og", host="other.test"))
        )
    assert caught.value.reason is FetchFailureReason.INSECURE_CONNECTION
    assert sum(tls_site.local.hits.values()) == 0


async def test_tls_certificate_from_an_unknown_authority_is_refused(tls_site: TlsSite) -> None:
    resolver = StaticResolver({"site.test": ["127.0.0.1"]})
    default_trust = GuardedFetcher(AddressGuard(only_site_policy(tls_site.local), resolver))
    with pytest.raises(FetchError) as caught:
        await default_trust.fetch(parse_link(tls_site.local.url("/og", host="site.test")))
    assert caught.value.reason is FetchFailureReason.INSECURE_CONNECTION
