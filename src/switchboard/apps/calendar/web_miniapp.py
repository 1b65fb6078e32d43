"""The calendar app's Mini App routes: the user's agenda for the next days, in their time
zone, and events made and changed through the same functions as the chat's (`events`).

Every route is the caller's own (`MiniAppUserDep`: one bot's verified user); another user's
event is a 404, as the chat's buttons refuse it (`owned_event`). Times are wall-clock times in
the user's zone (ISO 8601 without an offset), as the chat reads them.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from switchboard.kernel import (
    AppHttpError,
    MiniAppUserDep,
    WebSessionDep,
    user_timezone_of,
)

from .agenda import agenda_between, day_range
from .errors import CalendarError
from .events import (
    Draft,
    Scope,
    create_event,
    edit_event,
    is_recurring,
    master_of,
    move_event,
    owned_event,
    refloat_user,
)
from .models import CalendarEvent

MAX_DAYS = 60  # as far as /events looks ahead


class AgendaEntry(BaseModel):
    event_id: int
    key: str  # the occurrence, for PATCH
    title: str
    location: str
    all_day: bool
    starts_at: datetime  # in the user's zone
    ends_at: datetime
    source: str
    kind: str


class Agenda(BaseModel):
    timezone: str
    days: int
    items: list[AgendaEntry]


class EventIn(BaseModel):
    title: str = Field(min_length=1, max_length=500)
    start: datetime  # wall time in the user's zone (an all-day event: its day's midnight)
    end: datetime | None = None
    all_day: bool = False
    location: str = Field(default="", max_length=500)
    rrule: str | None = Field(default=None, max_length=200)


class EventPatch(BaseModel):
    key: str = Field(default="", max_length=32)  # which occurrence (an agenda entry's key)
    scope: Scope = Scope.THIS
    title: str | None = Field(default=None, max_length=500)
    location: str | None = Field(default=None, max_length=500)
    start: datetime | None = None  # moves it, keeping its length


class EventOut(BaseModel):
    id: int
    title: str
    location: str
    all_day: bool
    start: datetime
    end: datetime
    rrule: str | None


def _event(event: CalendarEvent) -> EventOut:
    return EventOut(
        id=event.id,
        title=event.title,
        location=event.location,
        all_day=event.all_day,
        start=event.start_local,
        end=event.end_local,
        rrule=event.rrule,
    )


def _wall(moment: datetime) -> datetime:
    if moment.tzinfo is not None:
        raise AppHttpError(422, "calendar.web.time_with_offset")
    return moment


def make_router() -> APIRouter:
    router = APIRouter()

    @router.get("/agenda")
    async def agenda(
        user: MiniAppUserDep,
        session: WebSessionDep,
        days: Annotated[int, Query(ge=1, le=MAX_DAYS)] = 7,
    ) -> Agenda:
        zone = await user_timezone_of(session, user.user_id)
        now = datetime.now(UTC)
        await refloat_user(session, user.bot_id, user.user_id, zone, now)
        await session.commit()
        start, end = day_range(now.astimezone(zone).date(), days, zone)
        items = await agenda_between(session, user.bot_id, user.user_id, start, end, zone, now)
        return Agenda(
            timezone=str(zone),
            days=days,
            items=[
                AgendaEntry(
                    event_id=item.event_id,
                    key=item.key,
                    title=item.title,
                    location=item.location,
                    all_day=item.all_day,
                    starts_at=item.starts_at.astimezone(zone),
                    ends_at=item.ends_at.astimezone(zone),
                    source=item.source_name,
                    kind=item.kind,
                )
                for item in items
            ],
        )

    @router.post("/events", status_code=201)
    async def create(body: EventIn, user: MiniAppUserDep, session: WebSessionDep) -> EventOut:
        start, end = _wall(body.start), _wall(body.end) if body.end is not None else None
        if body.all_day:  # whole days, as the chat makes them
            start = datetime.combine(start.date(), time())
            end = datetime.combine(end.date(), time()) if end is not None else None
        draft = Draft(
            title=body.title,
            start=start,
            end=end,
            all_day=body.all_day,
            rrule=body.rrule or None,
            location=body.location,
        )
        if draft.end is not None and draft.start is not None and draft.end <= draft.start:
            raise AppHttpError(422, "calendar.web.end_before_start")
        zone = await user_timezone_of(session, user.user_id)
        try:
            event = await create_event(
                session, user.bot_id, user.user_id, draft, zone, datetime.now(UTC)
            )
        except CalendarError as error:
            await session.rollback()
            raise AppHttpError(422, error.key, **error.params) from None
        await session.commit()
        return _event(event)

    @router.patch("/events/{event_id}")
    async def change(
        event_id: int, body: EventPatch, user: MiniAppUserDep, session: WebSessionDep
    ) -> EventOut:
        try:
            event = await owned_event(session, user.bot_id, user.user_id, event_id)
        except CalendarError:
            raise AppHttpError(404, "calendar.web.no_such_event") from None
        if body.title is None and body.location is None and body.start is None:
            raise AppHttpError(422, "calendar.web.nothing_to_change")
        master = await master_of(session, event)
        if is_recurring(master) and body.scope is not Scope.ALL and not body.key:
            raise AppHttpError(422, "calendar.web.occurrence_key_needed")
        key = body.key
        zone = await user_timezone_of(session, user.user_id)
        now = datetime.now(UTC)
        try:
            if body.title is not None or body.location is not None:
                await edit_event(
                    session, event, key, body.scope, zone, now,
                    title=body.title, location=body.location,
                )  # fmt: skip
            if body.start is not None:
                start = _wall(body.start)
                if event.all_day:  # an all-day event stays one
                    start = datetime.combine(start.date(), time())
                await move_event(session, event, key, body.scope, start, zone, now)
        except CalendarError as error:
            await session.rollback()
            raise AppHttpError(422, error.key, **error.params) from None
        await session.commit()
        await session.refresh(event)
        return _event(event)

    return router
