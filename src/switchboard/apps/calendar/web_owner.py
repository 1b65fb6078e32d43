"""The calendar page of the owner's dashboard (`/api/v1/bots/{bot_id}/calendar/`): the
calendars the bot's users keep (own, imported, subscribed, CalDAV), the synced ones with their
health, and the events published to groups with their RSVP counts: a series' for its next
occurrence (`rsvp`, `occurrence_key`) and each of its coming ones (`occurrences`), as each
week of a weekly meetup has its own answers.

A subscription's or CalDAV server's address is shown by its host only: a private feed's URL
is a password (Google's "secret address"), and the owner of the bot is not its user.
Subscriptions have no pause: a failing one backs off (at most a day between tries) and its
user is told after `NOTICE_AFTER` failures in a row; `failing` says it has reached that.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import func, select

from switchboard.db.base import utcnow
from switchboard.kernel import WebSessionDep

from .group_events import rsvp_key, shown_occurrence, tally, upcoming_occurrences
from .models import CalendarCard, CalendarEvent, CalendarSource, SourceKind
from .subscriptions import NOTICE_AFTER

__all__ = ["make_owner_router"]

SYNCED = (SourceKind.SUBSCRIPTION.value, SourceKind.CALDAV.value)


class SyncHealth(BaseModel):
    last_success_at: datetime | None
    last_error: str | None
    consecutive_failures: int
    next_sync_at: datetime | None
    failing: bool


class Calendar(BaseModel):
    id: int
    user_id: int
    kind: str  # own | file | subscription | caldav
    name: str
    host: str | None
    events: int
    health: SyncHealth | None  # subscriptions and CalDAV only


class Rsvps(BaseModel):
    going: int
    maybe: int
    no: int
    waiting: int


class OccurrenceRsvps(BaseModel):
    occurrence_key: str
    starts_at: datetime
    rsvp: Rsvps


class GroupEvent(BaseModel):
    id: int
    user_id: int
    title: str
    starts_at: datetime | None
    occurrence_key: str | None  # the next occurrence's, for a series; None: a single event
    capacity: int | None
    cancelled: bool
    chats: list[int]
    rsvp: Rsvps  # the answers to the next occurrence (a single event's: its only one)
    occurrences: list[OccurrenceRsvps]  # a series' coming occurrences (at most 5)


async def _rsvps(session: WebSessionDep, event_id: int, key: str) -> Rsvps:
    counted = await tally(session, event_id, key)
    return Rsvps(going=counted.going, maybe=counted.maybe, no=counted.no, waiting=counted.waiting)


def _calendar(source: CalendarSource, events: int) -> Calendar:
    health = None
    if source.kind in SYNCED:
        health = SyncHealth(
            last_success_at=source.last_success_at,
            last_error=source.last_error,
            consecutive_failures=source.consecutive_failures,
            next_sync_at=source.next_sync_at,
            failing=source.consecutive_failures >= NOTICE_AFTER,
        )
    return Calendar(
        id=source.id,
        user_id=source.user_id,
        kind=source.kind,
        name=source.name,
        host=urlsplit(source.url).hostname if source.url else None,
        events=events,
        health=health,
    )


async def _calendars(session: WebSessionDep, bot_id: int, *, synced: bool) -> list[Calendar]:
    query = select(CalendarSource).where(CalendarSource.bot_id == bot_id)
    if synced:
        query = query.where(CalendarSource.kind.in_(SYNCED))
    sources = list(await session.scalars(query.order_by(CalendarSource.id)))
    counts: dict[int, int] = {}
    if sources:
        rows = await session.execute(
            select(CalendarEvent.source_id, func.count())
            .where(CalendarEvent.source_id.in_([s.id for s in sources]))
            .group_by(CalendarEvent.source_id)
        )
        counts = {int(source_id): int(n) for source_id, n in rows}
    return [_calendar(source, counts.get(source.id, 0)) for source in sources]


def make_owner_router() -> APIRouter:
    router = APIRouter()

    @router.get("/calendars")
    async def calendars(bot_id: int, session: WebSessionDep) -> list[Calendar]:
        """Every calendar of the bot's users, with how many events each holds."""
        return await _calendars(session, bot_id, synced=False)

    @router.get("/subscriptions")
    async def subscriptions(bot_id: int, session: WebSessionDep) -> list[Calendar]:
        """The calendars synced from elsewhere (subscriptions, CalDAV), with their health."""
        return await _calendars(session, bot_id, synced=True)

    @router.get("/group-events")
    async def group_events(bot_id: int, session: WebSessionDep) -> list[GroupEvent]:
        """The events published to the bot's groups, newest first, with their RSVPs."""
        cards = await session.execute(
            select(CalendarCard.event_id, CalendarCard.chat_id)
            .where(CalendarCard.bot_id == bot_id)
            .order_by(CalendarCard.event_id.desc(), CalendarCard.id)
        )
        chats: dict[int, list[int]] = {}
        for event_id, chat_id in cards:
            chats.setdefault(event_id, []).append(chat_id)
        now = utcnow()
        found = []
        for event_id, in_chats in chats.items():
            event = await session.get(CalendarEvent, event_id)
            if event is None or event.bot_id != bot_id:
                continue
            occurrence = await shown_occurrence(session, event, now)
            key = rsvp_key(event, occurrence)
            coming = [
                OccurrenceRsvps(
                    occurrence_key=o.occurrence_key,
                    starts_at=o.starts_at,
                    rsvp=await _rsvps(session, event_id, o.occurrence_key),
                )
                for o in await upcoming_occurrences(session, event, now)
            ]
            found.append(
                GroupEvent(
                    id=event.id,
                    user_id=event.user_id,
                    title=event.title,
                    starts_at=occurrence.starts_at if occurrence is not None else None,
                    occurrence_key=key or None,
                    capacity=event.capacity,
                    cancelled=event.cancelled,
                    chats=in_chats,
                    rsvp=await _rsvps(session, event_id, key),
                    occurrences=coming,
                )
            )
        return found

    return router
