"""The user's time zone (set in /settings), for handlers and jobs, and dates shown in it.

Handlers ask for it by a parameter `user_timezone: ZoneInfo` (offered lazily by the pipeline,
like `user_record`); jobs, which have no update, read it with `user_timezone_of`. A user who
never set one, or whose zone is unknown to this machine, gets UTC.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel.models import UserRecord

if TYPE_CHECKING:
    from switchboard.kernel.apps import App

UTC_ZONE = ZoneInfo("UTC")
SHOWN = "%Y-%m-%d %H:%M"


@lru_cache(maxsize=512)
def zone_named(name: str | None) -> ZoneInfo:
    """The zone called `name` (an IANA name), or UTC."""
    if not name:
        return UTC_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC_ZONE


async def user_timezone_of(session: AsyncSession, user_id: int) -> ZoneInfo:
    """A user's zone, for jobs and services that have no update at hand."""
    name = await session.scalar(select(UserRecord.timezone).where(UserRecord.id == user_id))
    return zone_named(name)


async def change_user_timezone(
    session: AsyncSession, user_id: int, name: str, apps: Iterable[App]
) -> bool:
    """Set the user's zone to `name` (an IANA name) and tell every app that follows it
    (`App.timezone_changed`), in the caller's transaction; whether it changed. Every installed
    app is told, not only the bot's: the zone is the user's with every bot of the deployment."""
    user = await session.get(UserRecord, user_id)
    if user is None or user.timezone == name:
        return False
    user.timezone = name
    zone = zone_named(name)
    for app in apps:
        if app.timezone_changed is not None:
            await app.timezone_changed(session, user_id, zone)
    return True


def local_time(moment: datetime, zone: tzinfo) -> datetime:
    """`moment` (naive means UTC, as the database stores it) in `zone`."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone)


def show_time(moment: datetime, zone: tzinfo, pattern: str = SHOWN) -> str:
    """`moment` as a user reads it: in their zone, to the minute."""
    return local_time(moment, zone).strftime(pattern)
