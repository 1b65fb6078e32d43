"""Connecting a CalDAV server: what is found, and each way it can go wrong, told apart."""

from __future__ import annotations

import pytest
from caldav_radicale import USERS, Radicale, radicale_server  # noqa: F401  (the fixture)

from e2e.servers import LocalSite
from switchboard.apps.calendar.caldav_remote import CaldavError, Failure
from switchboard.apps.calendar.caldav_sources import discover
from switchboard.kernel import AddressPolicy
from switchboard.sandbox.testing import free_port

LOOPBACK = AddressPolicy(allow_private_addresses=True)

pytestmark = pytest.mark.timeout(60)


async def _failure(
    url: str, password: str = USERS["alice"], policy: AddressPolicy = LOOPBACK
) -> Failure:
    with pytest.raises(CaldavError) as raised:
        await discover(url, "alice", password, policy)
    return raised.value.failure


async def test_a_calendar_url_is_that_calendar(radicale: Radicale) -> None:
    calendar = radicale.new_calendar("alice", "Garden")
    (found,) = await discover(str(calendar.url), "alice", USERS["alice"], LOOPBACK)
    assert (found.url, found.name) == (str(calendar.url), "Garden")


async def test_the_server_root_lists_the_accounts_calendars(radicale: Radicale) -> None:
    first = radicale.new_calendar("alice", "Chores")
    second = radicale.new_calendar("alice", "Trips")
    found = await discover(radicale.url, "alice", USERS["alice"], LOOPBACK)
    by_url = {each.url: each.name for each in found}
    assert by_url[str(first.url)] == "Chores" and by_url[str(second.url)] == "Trips"


async def test_each_failure_is_named(radicale: Radicale) -> None:
    calendar = radicale.new_calendar("alice", "Work")
    assert await _failure(str(calendar.url), password="nope") is Failure.AUTH
    assert await _failure(f"http://127.0.0.1:{free_port()}/dav/") is Failure.UNREACHABLE
    assert await _failure("ftp://127.0.0.1/calendar") is Failure.BAD_URL
    assert await _failure("https://no-such-host.invalid/dav/") is Failure.UNREACHABLE
    # Loopback is refused unless the deployment allows private addresses.
    assert await _failure(str(calendar.url), policy=AddressPolicy()) is Failure.REFUSED
    with LocalSite({"/": "<html><body>a blog</body></html>"}) as site:
        assert await _failure(f"{site.url}/") is Failure.NOT_CALDAV
