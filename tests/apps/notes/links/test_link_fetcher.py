"""The fetcher against real local servers: redirects, caps, deadlines, content types."""

from __future__ import annotations

import time
from urllib.parse import quote

import pytest

from switchboard.apps.notes.links import (
    AddressGuard,
    AddressPolicy,
    FetchedFile,
    FetchedPage,
    FetchLimits,
    LinkError,
    LinkFailureReason,
    LinkFetcher,
    page_metadata,
    parse_link,
)

from .conftest import (
    GIGABYTE,
    RUSSIAN_DESCRIPTION,
    RUSSIAN_TITLE,
    LocalSite,
    StaticResolver,
    only_site_policy,
)

TWO_MB = 2 * 1024 * 1024
# What a hung-up server may still have pushed into loopback socket buffers; far below 1 GB.
SOCKET_SLACK = 32 * 1024 * 1024


async def fetch(fetcher: LinkFetcher, url: str) -> FetchedPage | FetchedFile:
    return await fetcher.fetch(parse_link(url))


async def page(fetcher: LinkFetcher, url: str) -> FetchedPage:
    document = await fetch(fetcher, url)
    assert isinstance(document, FetchedPage), document
    return document


async def refusal(fetcher: LinkFetcher, url: str) -> LinkError:
    with pytest.raises(LinkError) as caught:
        await fetch(fetcher, url)
    return caught.value


async def test_open_graph_page(fetcher: LinkFetcher, site: LocalSite) -> None:
    document = await page(fetcher, site.url("/og"))
    assert document.final_url == site.url("/og")
    assert document.media_type == "text/html"
    assert page_metadata(document.html).title == "Open Graph & Title"


async def test_windows_1251_declared_in_meta_only(fetcher: LinkFetcher, site: LocalSite) -> None:
    metadata = page_metadata((await page(fetcher, site.url("/ru/meta"))).html)
    assert metadata.title == RUSSIAN_TITLE
    assert metadata.description == RUSSIAN_DESCRIPTION


async def test_charset_header_wins_over_meta(fetcher: LinkFetcher, site: LocalSite) -> None:
    metadata = page_metadata((await page(fetcher, site.url("/ru/header"))).html)
    assert metadata.title == RUSSIAN_TITLE


async def test_gzip_body_is_inflated(fetcher: LinkFetcher, site: LocalSite) -> None:
    assert page_metadata((await page(fetcher, site.url("/gzip"))).html).title == (
        "Open Graph & Title"
    )


async def test_gzip_bomb_stops_at_the_cap(fetcher: LinkFetcher, site: LocalSite) -> None:
    error = await refusal(fetcher, site.url("/gzip-bomb"))
    assert error.reason is LinkFailureReason.TOO_LARGE


@pytest.mark.parametrize("hops", [1, 3, 5])
async def test_redirect_chains_up_to_five_are_followed(
    fetcher: LinkFetcher, site: LocalSite, hops: int
) -> None:
    document = await page(fetcher, site.url(f"/chain/{hops}"))
    assert document.final_url == site.url("/chain/0")
    assert page_metadata(document.html).title == "End of the chain"
    assert sum(site.hits.values()) == hops + 1


async def test_six_redirects_are_too_many(fetcher: LinkFetcher, site: LocalSite) -> None:
    error = await refusal(fetcher, site.url("/chain/6"))
    assert error.reason is LinkFailureReason.TOO_MANY_REDIRECTS
    assert site.hits["/chain/0"] == 0  # the seventh request is never made
    assert sum(site.hits.values()) == 6


async def test_relative_location(fetcher: LinkFetcher, site: LocalSite) -> None:
    document = await page(fetcher, site.url("/relative/deep/page"))
    assert document.final_url == site.url("/og")


def redirect_to(site: LocalSite, target: str, status: int = 302) -> str:
    return site.url(f"/redirect?status={status}&to={quote(target, safe='')}")


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_redirect_to_loopback_service_is_refused(
    fetcher: LinkFetcher, site: LocalSite, internal: LocalSite, status: int
) -> None:
    """The first hop is an allowed endpoint; the redirect to another port of 127.0.0.1 is not."""
    error = await refusal(fetcher, redirect_to(site, internal.url("/admin"), status))
    assert error.reason is LinkFailureReason.PRIVATE_ADDRESS
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
    allow_private = LinkFetcher(AddressGuard(AddressPolicy(allow_private_addresses=True), resolver))
    error = await refusal(allow_private, redirect_to(site, target))
    assert error.reason is LinkFailureReason.PRIVATE_ADDRESS
    assert site.hits["/redirect"] == 1


@pytest.mark.parametrize(
    "target", ["http://10.0.0.1/", "http://192.168.1.1/", "http://[fd12:3456::1]/"]
)
async def test_redirect_to_private_network_is_refused(
    fetcher: LinkFetcher, site: LocalSite, target: str
) -> None:
    error = await refusal(fetcher, redirect_to(site, target))
    assert error.reason is LinkFailureReason.PRIVATE_ADDRESS


async def test_redirect_to_a_name_that_resolves_to_the_metadata_service(
    fetcher: LinkFetcher, site: LocalSite, resolver: StaticResolver
) -> None:
    resolver.table["metadata.test"] = ["169.254.169.254"]
    error = await refusal(fetcher, redirect_to(site, "http://metadata.test/"))
    assert error.reason is LinkFailureReason.PRIVATE_ADDRESS
    assert resolver.questions == [("metadata.test", 80)]


@pytest.mark.parametrize(
    "target", ["ftp://example.com/file", "file:///etc/passwd", "javascript:alert(1)", "gopher://x/"]
)
async def test_redirect_to_another_scheme_is_refused(
    fetcher: LinkFetcher, site: LocalSite, target: str
) -> None:
    error = await refusal(fetcher, redirect_to(site, target))
    assert error.reason is LinkFailureReason.UNSUPPORTED_SCHEME


async def test_redirect_without_location(fetcher: LinkFetcher, site: LocalSite) -> None:
    error = await refusal(fetcher, site.url("/redirect?to="))
    assert error.reason is LinkFailureReason.HTTP_ERROR


async def test_html_streamed_lazily_stops_at_two_megabytes(
    fetcher: LinkFetcher, site: LocalSite
) -> None:
    started = time.monotonic()
    error = await refusal(fetcher, site.url("/huge/stream"))
    assert error.reason is LinkFailureReason.TOO_LARGE
    assert time.monotonic() - started < 5
    # The server's generator was left behind after about 2 MB (plus socket buffers).
    assert TWO_MB < site.streamed["/huge/stream"] < TWO_MB + SOCKET_SLACK


async def test_declared_gigabyte_is_refused_before_reading(
    fetcher: LinkFetcher, site: LocalSite
) -> None:
    error = await refusal(fetcher, site.url("/huge/declared"))
    assert error.reason is LinkFailureReason.TOO_LARGE
    assert "Content-Length" in error.detail
    assert site.streamed["/huge/declared"] < SOCKET_SLACK


async def test_a_gigabyte_file_is_described_not_downloaded(
    fetcher: LinkFetcher, site: LocalSite
) -> None:
    document = await fetch(fetcher, site.url("/files/huge.iso"))
    assert document == FetchedFile(
        final_url=site.url("/files/huge.iso"),
        media_type="application/x-iso9660-image",
        size=GIGABYTE,
        file_name="huge.iso",
    )
    assert site.streamed["/files/huge.iso"] < SOCKET_SLACK


async def test_non_html_is_a_file(fetcher: LinkFetcher, site: LocalSite) -> None:
    document = await fetch(fetcher, site.url("/files/report.pdf"))
    assert isinstance(document, FetchedFile)
    assert (document.media_type, document.file_name, document.size) == (
        "application/pdf",
        "report.pdf",
        1009,
    )


async def test_file_name_from_content_disposition(fetcher: LinkFetcher, site: LocalSite) -> None:
    document = await fetch(fetcher, site.url("/download"))
    assert isinstance(document, FetchedFile)
    assert (document.media_type, document.file_name) == ("text/csv", "отчёт.csv")


async def test_slow_server_hits_the_deadline(
    short_deadline_fetcher: LinkFetcher, site: LocalSite
) -> None:
    started = time.monotonic()
    error = await refusal(short_deadline_fetcher, site.url("/slow"))
    assert error.reason is LinkFailureReason.TIMED_OUT
    assert time.monotonic() - started < 2


async def test_dripping_body_hits_the_deadline(
    short_deadline_fetcher: LinkFetcher, site: LocalSite
) -> None:
    """Every read is quick; only a deadline for the whole fetch stops a slow drip."""
    started = time.monotonic()
    error = await refusal(short_deadline_fetcher, site.url("/drip"))
    assert error.reason is LinkFailureReason.TIMED_OUT
    assert time.monotonic() - started < 2


def test_default_limits_are_the_issues() -> None:
    assert FetchLimits() == FetchLimits(max_redirects=5, max_bytes=TWO_MB, deadline=10.0)


async def test_http_error_status(fetcher: LinkFetcher, site: LocalSite) -> None:
    error = await refusal(fetcher, site.url("/missing"))
    assert (error.reason, error.http_status) == (LinkFailureReason.HTTP_ERROR, 404)


async def test_closed_port_is_a_connection_failure(
    site: LocalSite, resolver: StaticResolver
) -> None:
    await site.stop()
    fetcher = LinkFetcher(AddressGuard(only_site_policy(site), resolver))
    error = await refusal(fetcher, site.url("/og"))
    assert error.reason is LinkFailureReason.CONNECTION_FAILED


async def test_unknown_host(fetcher: LinkFetcher) -> None:
    error = await refusal(fetcher, "http://no-such-host.test/")
    assert error.reason is LinkFailureReason.HOST_NOT_FOUND


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "localhost", "127.1", "2130706433", "0x7f.0.0.1", "[::1]", "0.0.0.0"]
)
async def test_loopback_in_any_spelling_is_refused_by_default(site: LocalSite, host: str) -> None:
    """The real resolver (numeric forms and /etc/hosts, no DNS) and the default policy."""
    fetcher = LinkFetcher(AddressGuard(AddressPolicy()))
    error = await refusal(fetcher, site.url("/og", host=host))
    assert error.reason is LinkFailureReason.PRIVATE_ADDRESS
    assert sum(site.hits.values()) == 0
