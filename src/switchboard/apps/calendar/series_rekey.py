"""A series moved as a whole ("all" its occurrences an hour later, or to another weekday):
everything that names an occurrence by its key follows it to the new key.

Occurrence keys are the occurrences' original start times (`recurrence.occurrence_key`), so
they change when the whole series moves, and so must the rows that name them: the overrides
and EXDATE/RDATE lists of the series, the answers given to its occurrences
(`CalendarRsvp`) and the occurrence each published card shows (`CalendarCard`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .models import CalendarCard, CalendarEvent, CalendarRsvp
from .recurrence import key_to_local, occurrence_key

__all__ = ["overrides_of", "rekey_series"]


async def overrides_of(session: AsyncSession, master: CalendarEvent) -> list[CalendarEvent]:
    """The series' changed and cancelled occurrences: its rows with a `recurrence_id`."""
    rows = await session.scalars(
        select(CalendarEvent).where(
            CalendarEvent.source_id == master.source_id,
            CalendarEvent.uid == master.uid,
            CalendarEvent.recurrence_id != "",
        )
    )
    return list(rows.all())


async def rekey_series(session: AsyncSession, master: CalendarEvent, shift: timedelta) -> None:
    """A whole series moved by `shift`: its changed and cancelled occurrences, EXDATEs and
    RDATEs name the occurrences' new keys (else each changed one would show twice: as
    itself, and as the master's occurrence its old key no longer matches). An override that
    kept its original time moves along. The answers to a published series' occurrences and
    the occurrence each of its cards shows follow too (else every answer would be orphaned by
    "the meetup moves to 20:00 from now on", and the cards would show nobody coming)."""

    def moved(key: str) -> str:
        return occurrence_key(key_to_local(key) + shift, "T" not in key)

    master.exdates = [moved(k) for k in master.exdates or []]
    master.rdates = [moved(k) for k in master.rdates or []]
    rows = await overrides_of(session, master)
    for row in rows:  # two steps: a new key may be another row's old one
        row.extra = {**(row.extra or {}), "_rekey": row.recurrence_id}
        row.recurrence_id = f"~{row.id}"
    await session.flush()
    for row in rows:
        extra = dict(row.extra or {})
        original = str(extra.pop("_rekey"))
        row.extra = extra
        row.recurrence_id = moved(original)
        was = key_to_local(original)
        if "T" not in original:  # a date key: at the series' time of day before the move
            before = master.start_local - shift
            was = was.replace(hour=before.hour, minute=before.minute)
        if row.start_local == was:
            row.start_local += shift
            row.end_local += shift
    await _rekey_answers(session, master.id, moved)


async def _rekey_answers(session: AsyncSession, event_id: int, moved: Callable[[str], str]) -> None:
    answers = (
        await session.scalars(
            select(CalendarRsvp).where(
                CalendarRsvp.event_id == event_id, CalendarRsvp.occurrence_key != ""
            )
        )
    ).all()
    # Two steps, as for the overrides: a new key may be another answer's old one (a series
    # moved by exactly its interval), and the key is part of the answer's primary key.
    originals = [answer.occurrence_key for answer in answers]
    for answer in answers:
        answer.occurrence_key = "~" + answer.occurrence_key
    await session.flush()
    for answer, original in zip(answers, originals, strict=True):
        answer.occurrence_key = moved(original)
    cards = (
        await session.scalars(
            select(CalendarCard).where(
                CalendarCard.event_id == event_id, CalendarCard.occurrence_key != ""
            )
        )
    ).all()
    for card in cards:
        card.occurrence_key = moved(card.occurrence_key)
    await session.flush()
