"""`LinkPreviewService.preview` end to end: local site, real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.apps.notes.app import APP
from switchboard.apps.notes.links import LinkFailure, LinkKind, LinkPreview, LinkPreviewService
from switchboard.apps.notes.links.cache import RETENTION
from switchboard.apps.notes.links.models import LinkPreviewRecord
from switchboard.kernel import FetchFailureReason, FetchLimits, housekeeping

from .conftest import GIGABYTE, LocalSite

Sessions = async_sessionmaker[AsyncSession]


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(session_factory: Sessions, clock: Clock) -> LinkPreviewService:
    return LinkPreviewService.create(session_factory, allow_private_addresses=True, clock=clock)


async def cached_rows(session_factory: Sessions) -> int:
    async with session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(LinkPreviewRecord)) or 0)


async def test_page_preview_is_cached(
    service: LinkPreviewService, site: LocalSite, session_factory: Sessions
) -> None:
    first = await service.preview(site.url("/og"))
    assert first == LinkPreview(
        url=site.url("/og"),
        final_url=site.url("/og"),
        kind=LinkKind.PAGE,
        content_type="text/html",
        title="Open Graph & Title",
        description="A page with an Open Graph description.",
        site_name="Example Site",
    )
    assert await service.preview(site.url("/og")) == first
    assert await service.preview(site.url("/og").upper().replace("/OG", "/og#section")) == first
    assert site.hits["/og"] == 1
    assert await cached_rows(session_factory) == 1


async def test_cache_is_shared_by_every_service_on_the_database(
    service: LinkPreviewService, site: LocalSite, session_factory: Sessions, clock: Clock
) -> None:
    await service.preview(site.url("/title-only"))
    another_worker = LinkPreviewService.create(
        session_factory, allow_private_addresses=True, clock=clock
    )
    preview = await another_worker.preview(site.url("/title-only"))
    assert isinstance(preview, LinkPreview) and preview.title == "Only a title"
    assert site.hits["/title-only"] == 1


async def test_preview_expires(service: LinkPreviewService, site: LocalSite, clock: Clock) -> None:
    await service.preview(site.url("/og"))
    clock.now += service.cache.preview_ttl - timedelta(seconds=1)
    await service.preview(site.url("/og"))
    assert site.hits["/og"] == 1
    clock.now += timedelta(seconds=2)
    await service.preview(site.url("/og"))
    assert site.hits["/og"] == 2


async def test_failures_are_cached_for_a_shorter_time(
    service: LinkPreviewService, site: LocalSite, clock: Clock
) -> None:
    assert service.cache.failure_ttl < service.cache.preview_ttl
    failure = await service.preview(site.url("/missing"))
    assert isinstance(failure, LinkFailure)
    assert (failure.reason, failure.http_status) == (FetchFailureReason.HTTP_ERROR, 404)
    assert failure.message == "the site answered with an error (404)"
    assert await service.preview(site.url("/missing")) == failure
    assert site.hits["/missing"] == 1
    clock.now += service.cache.failure_ttl + timedelta(seconds=1)
    await service.preview(site.url("/missing"))
    assert site.hits["/missing"] == 2


async def test_russian_page(service: LinkPreviewService, site: LocalSite) -> None:
    preview = await service.preview(site.url("/ru/meta"))
    assert isinstance(preview, LinkPreview)
    assert preview.title == "Новости дня — главное"


async def test_gigabyte_file_is_described(service: LinkPreviewService, site: LocalSite) -> None:
    preview = await service.preview(site.url("/files/huge.iso"))
    assert preview == LinkPreview(
        url=site.url("/files/huge.iso"),
        final_url=site.url("/files/huge.iso"),
        kind=LinkKind.FILE,
        content_type="application/x-iso9660-image",
        file_name="huge.iso",
        size=GIGABYTE,
    )
    assert await service.preview(site.url("/files/huge.iso")) == preview  # from the cache
    assert site.hits["/files/huge.iso"] == 1


async def test_charset_header_wins_over_meta(service: LinkPreviewService, site: LocalSite) -> None:
    preview = await service.preview(site.url("/ru/header"))
    assert isinstance(preview, LinkPreview)
    assert preview.title == "Новости дня — главное"


async def test_file_named_by_content_disposition(
    service: LinkPreviewService, site: LocalSite
) -> None:
    preview = await service.preview(site.url("/download"))
    assert isinstance(preview, LinkPreview)
    assert (preview.kind, preview.content_type, preview.file_name) == (
        LinkKind.FILE,
        "text/csv",
        "отчёт.csv",
    )


async def test_pdf_is_a_file_with_its_size(service: LinkPreviewService, site: LocalSite) -> None:
    preview = await service.preview(site.url("/files/report.pdf"))
    assert isinstance(preview, LinkPreview)
    assert (preview.kind, preview.file_name, preview.size) == (LinkKind.FILE, "report.pdf", 1009)


async def test_the_preview_asks_for_html_as_itself(
    service: LinkPreviewService, site: LocalSite
) -> None:
    await service.preview(site.url("/og"))
    sent = site.request_headers["/og"][0]
    assert sent["Accept"].startswith("text/html")
    assert "SwitchboardLinkPreview" in sent["User-Agent"]


async def test_gigabyte_page_is_too_large(service: LinkPreviewService, site: LocalSite) -> None:
    failure = await service.preview(site.url("/huge/stream"))
    assert isinstance(failure, LinkFailure)
    assert failure.message == "too large"


async def test_redirects_end_where_they_end(service: LinkPreviewService, site: LocalSite) -> None:
    preview = await service.preview(site.url("/chain/3"))
    assert isinstance(preview, LinkPreview)
    assert (preview.url, preview.final_url) == (site.url("/chain/3"), site.url("/chain/0"))
    failure = await service.preview(site.url("/chain/6"))
    assert isinstance(failure, LinkFailure) and failure.message == "too many redirects"


async def test_slow_site_times_out(session_factory: Sessions, site: LocalSite) -> None:
    service = LinkPreviewService.create(
        session_factory, allow_private_addresses=True, limits=FetchLimits(deadline=0.3)
    )
    failure = await service.preview(site.url("/slow"))
    assert isinstance(failure, LinkFailure) and failure.message == "timed out"


@pytest.mark.parametrize(
    "link", ["ftp://example.com/f", "javascript:alert(document.cookie)", "file:///etc/passwd"]
)
async def test_other_schemes_are_refused_and_not_cached(
    service: LinkPreviewService, session_factory: Sessions, link: str
) -> None:
    failure = await service.preview(link)
    assert failure == LinkFailure(link, FetchFailureReason.UNSUPPORTED_SCHEME, failure.detail)
    assert failure.message == "refused: only http and https links"
    assert await cached_rows(session_factory) == 0


async def test_default_service_refuses_loopback_and_metadata(
    session_factory: Sessions, site: LocalSite
) -> None:
    service = LinkPreviewService.create(session_factory)  # allow_private_addresses=False
    for link in (site.url("/og"), "http://169.254.169.254/latest/meta-data/iam/"):
        failure = await service.preview(link)
        assert isinstance(failure, LinkFailure)
        assert failure.message == "refused: private address"
    assert sum(site.hits.values()) == 0


async def test_the_kernel_prune_deletes_expired_rows(
    service: LinkPreviewService, site: LocalSite, clock: Clock, session_factory: Sessions
) -> None:
    await service.preview(site.url("/og"))
    await service.preview(site.url("/missing"))

    async def prune() -> int:
        removed = await housekeeping.prune(session_factory, clock(), retention=[RETENTION])
        return removed["link_previews"]

    assert await prune() == 0
    clock.now += service.cache.failure_ttl + timedelta(seconds=1)
    assert await prune() == 1  # the failure
    assert await cached_rows(session_factory) == 1
    clock.now += service.cache.preview_ttl
    assert await prune() == 1
    assert await cached_rows(session_factory) == 0


def test_the_notes_app_gives_the_prune_its_cache() -> None:
    assert RETENTION in APP.retention


def test_results_round_trip_through_documents() -> None:
    preview = LinkPreview("http://a.test/", "http://a.test/b", LinkKind.FILE, "text/csv", size=3)
    assert LinkPreview.from_document(preview.to_document()) == preview
    newer = {**preview.to_document(), "image_url": "http://a.test/i.png"}  # a later release's
    assert LinkPreview.from_document(newer) == preview
    failure = LinkFailure("http://a.test/", FetchFailureReason.HTTP_ERROR, "status 503", 503)
    assert LinkFailure.from_document(failure.to_document()) == failure
    assert failure.to_document()["reason"] == "HTTP_ERROR"  # stable across wording changes
