"""The fetcher against real local servers: redirects, guards on every hop, caps, deadlines."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.kernel.net import (
    HTML_MEDIA_TYPES,
    AddressGuard,
    AddressPolicy,
    FetchedResource,
    FetchError,
    FetchFailureReason,
    FetchLimits,
    GuardedFetcher,
    parse_link,
)
from switchboard.kernel.open_writes import CallInsideWriteTransaction

from .conftest import GIGABYTE, OG_PAGE, LocalSite, StaticResolver, only_site_policy

TWO_MB = 2 * 1024 * 1024
# What a hung-up server may still have pushed into loopback socket buffers; far below 1 GB.
SOCKET_SLACK = 32 * 1024 * 1024


async def fetch(fetcher: GuardedFetcher, url: str, **options: object) -> FetchedResource:
    return await fetcher.fetch(parse_link(url), **options)  # type: ignore[arg-type]


async def refusal(fetcher: GuardedFetcher, url: str, **options: object) -> FetchError:
    with pytest.raises(FetchError) as caught:
        await fetch(fetcher, url, **options)
    return caught.value


async def test_a_page(fetcher: GuardedFetcher, site: LocalSite) -> None:
    resource = await fetch(fetcher, site.url("/og"))
    assert (resource.final_url, resource.status, resource.media_type) == (
        site.url("/og"),
        200,
        "text/html",
    )
    assert resource.body_read and resource.body == OG_PAGE.encode()
    assert resource.text == OG_PAGE
    assert not resource.not_modified


async def test_request_headers(fetcher: GuardedFetcher, site: LocalSite) -> None:
    await fetch(fetcher, site.url("/og"), accept="application/rss+xml, */*;q=0.1")
    sent = site.request_headers["/og"][0]
    assert sent["Accept"] == "application/rss+xml, */*;q=0.1"
    assert sent["User-Agent"].startswith("Mozilla/5.0 (compatible; Switchboard")
    assert sent["Accept-Encoding"] == "gzip, deflate"
    assert "If-None-Match" not in sent and "If-Modified-Since" not in sent
    assert "Cookie" not in sent and "Authorization" not in sent


async def test_gzip_body_is_inflated(fetcher: GuardedFetcher, site: LocalSite) -> None:
    assert (await fetch(fetcher, site.url("/gzip"))).body == OG_PAGE.encode()


async def test_gzip_bomb_stops_at_the_cap(fetcher: GuardedFetcher, site: LocalSite) -> None:
    error = await refusal(fetcher, site.url("/gzip-bomb"))
    assert error.reason is FetchFailureReason.TOO_LARGE


@pytest.mark.parametrize("hops", [1, 3, 5])
async def test_redirect_chains_up_to_five_are_followed(
    fetcher: GuardedFetcher, site: LocalSite, hops: int
) -> None:
    resource = await fetch(fetcher, site.url(f"/chain/{hops}"))
    assert resource.final_url == site.url("/chain/0")
    assert resource.text == "<title>End of the chain</title>"
    assert sum(site.hits.values()) == hops + 1


async def test_six_redirects_are_too_many(fetcher: GuardedFetcher, site: LocalSite) -> None:
    error = await refusal(fetcher, site.url("/chain/6"))
    assert error.reason is FetchFailureReason.TOO_MANY_REDIRECTS
    assert site.hits["/chain/0"] == 0  # the seventh request is never made
    assert sum(site.hits.values()) == 6


async def test_relative_location(fetcher: GuardedFetcher, site: LocalSite) -> None:
    resource = await fetch(fetcher, site.url("/relative/deep/page"))
    assert resource.final_url == site.url("/og")


def redirect_to(site: LocalSite, target: str, status: int = 302) -> str:
    return site.url(f"/redirect?status={status}&to={quote(target, safe='')}")


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_redirect_to_loopback_service_is_refused(
    fetcher: GuardedFetcher, site: LocalSite, internal: LocalSite, status: int
) -> None:
    """The first hop is an allowed endpoint; the redirect to another port of 127.0.0.1 is not."""
    error = await refusal(fetcher, redirect_to(site, internal.url("/admin"), status))
    assert error.reason is FetchFailureReason.PRIVATE_ADDRESS
    assert site.hits["/redirect"] == 1
    assert sum(internal.hits.values()) == 0


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/latest/meta-data/",
        "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/",  # NAT64 spelling
        "http://[fd00:ec2::254]/latest/meta-data/",  # AWS over IPv6: a ULA address
        "http://100.100.100.200/latest/meta-data/",  # Alibaba: in the shared range
        "http://0.0.0.0:80/",
        "http://[ff02::1]/",
    ],
)
async def test_redirect_to_metadata_is_refused_even_when_private_is_allowed(
    site: LocalSite, resolver: StaticResolver, target: str
) -> None:
    """allow_private opens 127.0.0.1 for the first hop; metadata services stay shut."""
    allow_private = GuardedFetcher(
        AddressGuard(AddressPolicy(allow_private_addresses=True), resolver)
    )
    error = await refusal(allow_private, redirect_to(site, target))
    assert error.reason is FetchFailureReason.PRIVATE_ADDRESS
    assert site.hits["/redirect"] == 1


@pytest.mark.parametrize(
    "target", ["http://10.0.0.1/", "http://192.168.1.1/", "http://[fd12:3456::1]/"]
)
async def test_redirect_to_private_network_is_refused(
    fetcher: GuardedFetcher, site: LocalSite, target: str
) -> None:
    error = await refusal(fetcher, redirect_to(site, target))
    assert error.reason is FetchFailureReason.PRIVATE_ADDRESS


async def test_redirect_to_a_name_that_resolves_to_the_metadata_service(
    fetcher: GuardedFetcher, site: LocalSite, resolver: StaticResolver
) -> None:
    resolver.table["metadata.test"] = ["169.254.169.254"]
    error = await refusal(fetcher, redirect_to(site, "http://metadata.test/"))
    assert error.reason is FetchFailureReason.PRIVATE_ADDRESS
    assert resolver.questions == [("metadata.test", 80)]


@pytest.mark.parametrize(
    "target", ["ftp://example.com/file", "file:///etc/passwd", "javascript:alert(1)", "gopher://x/"]
)
async def test_redirect_to_another_scheme_is_refused(
    fetcher: GuardedFetcher, site: LocalSite, target: str
) -> None:
    error = await refusal(fetcher, redirect_to(site, target))
    assert error.reason is FetchFailureReason.UNSUPPORTED_SCHEME


async def test_redirect_without_location(fetcher: GuardedFetcher, site: LocalSite) -> None:
    error = await refusal(fetcher, site.url("/redirect?to="))
    assert error.reason is FetchFailureReason.HTTP_ERROR


async def test_html_streamed_lazily_stops_at_two_megabytes(
    fetcher: GuardedFetcher, site: LocalSite
) -> None:
    error = await refusal(fetcher, site.url("/huge/stream"))
    assert error.reason is FetchFailureReason.TOO_LARGE
    # The server's generator was left behind after about 2 MB (plus socket buffers).
    assert TWO_MB < site.streamed["/huge/stream"] < TWO_MB + SOCKET_SLACK


async def test_declared_gigabyte_is_refused_before_reading(
    fetcher: GuardedFetcher, site: LocalSite
) -> None:
    error = await refusal(fetcher, site.url("/huge/declared"))
    assert error.reason is FetchFailureReason.TOO_LARGE
    assert "Content-Length" in error.detail
    assert site.streamed["/huge/declared"] < SOCKET_SLACK


async def test_the_cap_is_the_caller_s(site: LocalSite, resolver: StaticResolver) -> None:
    small = GuardedFetcher(
        AddressGuard(only_site_policy(site), resolver), FetchLimits(max_bytes=100)
    )
    error = await refusal(small, site.url("/og"))
    assert error.reason is FetchFailureReason.TOO_LARGE


async def test_a_body_of_another_type_is_not_read(fetcher: GuardedFetcher, site: LocalSite) -> None:
    """A caller that wants only HTML gets a gigabyte file's headers, not its body."""
    resource = await fetch(fetcher, site.url("/files/huge.iso"), body_media_types=HTML_MEDIA_TYPES)
    assert not resource.body_read and resource.body == b""
    assert (resource.media_type, resource.content_length, resource.file_name) == (
        "application/x-iso9660-image",
        GIGABYTE,
        "huge.iso",
    )
    assert site.streamed["/files/huge.iso"] < SOCKET_SLACK


async def test_a_wanted_type_is_read(fetcher: GuardedFetcher, site: LocalSite) -> None:
    resource = await fetch(
        fetcher, site.url("/files/report.pdf"), body_media_types={"application/pdf"}
    )
    assert resource.body_read and resource.body.startswith(b"%PDF-1.4")
    assert resource.file_name == "report.pdf"


async def test_file_name_from_content_disposition(fetcher: GuardedFetcher, site: LocalSite) -> None:
    resource = await fetch(fetcher, site.url("/download"))
    assert (resource.media_type, resource.file_name) == ("text/csv", "отчёт.csv")


async def test_slow_server_hits_the_deadline(
    short_deadline_fetcher: GuardedFetcher, site: LocalSite
) -> None:
    error = await refusal(short_deadline_fetcher, site.url("/slow"))
    assert error.reason is FetchFailureReason.TIMED_OUT


async def test_dripping_body_hits_the_deadline(
    short_deadline_fetcher: GuardedFetcher, site: LocalSite
) -> None:
    """Every read is quick; only a deadline for the whole fetch stops a slow drip."""
    error = await refusal(short_deadline_fetcher, site.url("/drip"))
    assert error.reason is FetchFailureReason.TIMED_OUT
    assert site.hits["/drip"] == 1


def test_default_limits() -> None:
    assert FetchLimits() == FetchLimits(max_redirects=5, max_bytes=TWO_MB, deadline=10.0)


async def test_no_fetch_while_a_write_transaction_is_open(
    fetcher: GuardedFetcher, site: LocalSite, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    """The write guard (the tests run it with `raise`): a slow fetch never holds a write lock."""
    async with session_factory.begin() as session:
        await session.execute(text("UPDATE users SET first_name = 'x' WHERE id = 1"))
        with pytest.raises(CallInsideWriteTransaction):
            await fetch(fetcher, site.url("/og"))
    assert site.hits["/og"] == 0


async def test_http_error_status(fetcher: GuardedFetcher, site: LocalSite) -> None:
    error = await refusal(fetcher, site.url("/missing"))
    assert (error.reason, error.http_status) == (FetchFailureReason.HTTP_ERROR, 404)


async def test_closed_port_is_a_connection_failure(
    site: LocalSite, resolver: StaticResolver
) -> None:
    await site.stop()
    fetcher = GuardedFetcher(AddressGuard(only_site_policy(site), resolver))
    error = await refusal(fetcher, site.url("/og"))
    assert error.reason is FetchFailureReason.CONNECTION_FAILED


async def test_unknown_host(fetcher: GuardedFetcher) -> None:
    error = await refusal(fetcher, "http://no-such-host.test/")
    assert error.reason is FetchFailureReason.HOST_NOT_FOUND


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "localhost", "127.1", "2130706433", "0x7f.0.0.1", "[::1]", "0.0.0.0"]
)
async def test_loopback_in_any_spelling_is_refused_by_default(site: LocalSite, host: str) -> None:
    """The real resolver (numeric forms and /etc/hosts, no DNS) and the default policy."""
    fetcher = GuardedFetcher.create()
    error = await refusal(fetcher, site.url("/og", host=host))
    assert error.reason is FetchFailureReason.PRIVATE_ADDRESS
    assert sum(site.hits.values()) == 0
