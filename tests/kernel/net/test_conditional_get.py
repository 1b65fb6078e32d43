"""Conditional GET: validators go out as If-None-Match / If-Modified-Since, a 304 comes back as
a resource that is `not_modified` (not an error), with the validators to keep for next time."""

from __future__ import annotations

import pytest

from switchboard.kernel.net import (
    FetchedResource,
    FetchError,
    FetchFailureReason,
    GuardedFetcher,
    ResponseHeaders,
    Validators,
    parse_link,
)

from .conftest import LocalSite, feed_body


async def fetch(
    fetcher: GuardedFetcher, url: str, validators: Validators | None = None
) -> FetchedResource:
    return await fetcher.fetch(parse_link(url), validators=validators)


async def test_first_fetch_gets_the_body_and_its_validators(
    fetcher: GuardedFetcher, site: LocalSite
) -> None:
    resource = await fetch(fetcher, site.url("/feed"))
    assert (resource.status, resource.not_modified, resource.body) == (200, False, feed_body(1))
    assert resource.validators == Validators(
        etag='"v1"', last_modified="Mon, 02 Mar 2026 08:00:00 GMT"
    )


async def test_unchanged_resource_is_not_modified(fetcher: GuardedFetcher, site: LocalSite) -> None:
    first = await fetch(fetcher, site.url("/feed"))
    again = await fetch(fetcher, site.url("/feed"), first.validators)
    assert again.not_modified and again.status == 304
    assert (again.body, again.body_read, again.text) == (b"", False, "")
    assert again.validators == first.validators
    assert again.final_url == site.url("/feed")
    sent = site.request_headers["/feed"][1]
    assert sent["If-None-Match"] == '"v1"'
    assert sent["If-Modified-Since"] == "Mon, 02 Mar 2026 08:00:00 GMT"


async def test_changed_resource_comes_with_new_validators(
    fetcher: GuardedFetcher, site: LocalSite
) -> None:
    first = await fetch(fetcher, site.url("/feed"))
    site.feed_version = 2
    changed = await fetch(fetcher, site.url("/feed"), first.validators)
    assert not changed.not_modified and changed.body == feed_body(2)
    assert changed.validators.etag == '"v2"'
    unchanged = await fetch(fetcher, site.url("/feed"), changed.validators)
    assert unchanged.not_modified


async def test_last_modified_alone(fetcher: GuardedFetcher, site: LocalSite) -> None:
    """An ICS server with only Last-Modified, whose 304 repeats nothing: the date is kept."""
    first = await fetch(fetcher, site.url("/dated"))
    assert first.validators == Validators(last_modified="Sun, 01 Mar 2026 08:00:00 GMT")
    assert first.text.startswith("BEGIN:VCALENDAR")
    again = await fetch(fetcher, site.url("/dated"), first.validators)
    assert again.not_modified
    assert again.validators == first.validators
    assert "If-None-Match" not in site.request_headers["/dated"][1]


async def test_validators_are_sent_through_redirects(
    fetcher: GuardedFetcher, site: LocalSite
) -> None:
    """They belong to where the redirects end: a feed that moved is still polled cheaply."""
    first = await fetch(fetcher, site.url("/feed"))
    moved = site.url("/redirect?status=301&to=/feed")
    again = await fetch(fetcher, moved, first.validators)
    assert again.not_modified and again.final_url == site.url("/feed")


async def test_a_304_nobody_asked_for_is_an_error(fetcher: GuardedFetcher, site: LocalSite) -> None:
    """Without validators we hold no copy: "not modified" would leave the caller with nothing."""
    with pytest.raises(FetchError) as caught:
        await fetch(fetcher, site.url("/always-304"))
    assert (caught.value.reason, caught.value.http_status) == (FetchFailureReason.HTTP_ERROR, 304)


async def test_unusable_stored_validators_are_not_sent(
    fetcher: GuardedFetcher, site: LocalSite
) -> None:
    """A stored value with a line break would be header injection; a bad date is noise."""
    broken = Validators(etag='"v1"\r\nX-Injected: 1', last_modified="yesterday-ish")
    resource = await fetch(fetcher, site.url("/feed"), broken)
    assert resource.status == 200
    sent = site.request_headers["/feed"][0]
    assert "If-None-Match" not in sent and "If-Modified-Since" not in sent
    assert "X-Injected" not in sent


def headers(*pairs: tuple[str, str]) -> ResponseHeaders:
    return ResponseHeaders([(k.encode(), v.encode("latin-1")) for k, v in pairs])


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([], Validators()),
        ([("ETag", 'W/"weak-1"')], Validators(etag='W/"weak-1"')),
        (
            [("etag", '"x"'), ("last-modified", "Sun, 01 Mar 2026 08:00:00 GMT")],
            Validators(etag='"x"', last_modified="Sun, 01 Mar 2026 08:00:00 GMT"),
        ),
        ([("Last-Modified", "not a date")], Validators()),
        ([("ETag", "é")], Validators()),
    ],
)
def test_validators_of_a_response(pairs: list[tuple[str, str]], expected: Validators) -> None:
    assert Validators.of(headers(*pairs)) == expected


def test_validators_are_falsy_when_empty() -> None:
    assert not Validators()
    assert Validators(etag='"a"') and Validators(last_modified="Sun, 01 Mar 2026 08:00:00 GMT")
    assert Validators().request_headers() == []
