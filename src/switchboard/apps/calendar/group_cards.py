"""What a group event's card says: title, time in the event's own zone (named), place,
capacity and the answers so far. Plain text, so names and titles need no escaping."""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date, format_datetime

from switchboard.kernel import Translate, local_time, zone_named

from .group_events import Tally
from .models import CalendarEvent, CalendarOccurrence, RsvpAnswer
from .recurrence import key_to_local

__all__ = ["babel_locale", "card_text", "occurrence_local", "when_text"]

WHEN = "EEE d MMMM y, HH:mm"


def babel_locale(locale: str | None) -> str:
    return "ru" if (locale or "").lower().startswith("ru") else "en"


def occurrence_local(
    event: CalendarEvent, occurrence: CalendarOccurrence
) -> tuple[datetime | date, datetime | date]:
    """The occurrence's start and end as the event's audience reads them: in the event's
    zone, or as the wall clock written for a floating or all-day event."""
    length = event.end_local - event.start_local
    if event.all_day:
        start = key_to_local(occurrence.occurrence_key).date()
        return start, start + length
    if event.timezone:
        zone = zone_named(event.timezone)
        return local_time(occurrence.starts_at, zone), local_time(occurrence.ends_at, zone)
    local = (
        key_to_local(occurrence.occurrence_key) if not event.recurrence_id else event.start_local
    )
    return local, local + length


def when_text(event: CalendarEvent, occurrence: CalendarOccurrence, locale: str) -> str:
    start, end = occurrence_local(event, occurrence)
    lang = babel_locale(locale)
    if not isinstance(start, datetime) or not isinstance(end, datetime):
        return format_date(start, "full", locale=lang)
    shown = format_datetime(start, WHEN, locale=lang)
    if end.date() == start.date():
        shown += "–" + format_datetime(end, "HH:mm", locale=lang)
    else:
        shown += " – " + format_datetime(end, WHEN, locale=lang)
    return f"{shown} ({event.timezone})" if event.timezone else shown


def card_text(
    event: CalendarEvent,
    occurrence: CalendarOccurrence | None,
    counts: Tally,
    locale: str,
    _: Translate,
) -> str:
    lines = [_("calendar.card.title", title=event.title or "…")]
    if event.cancelled or occurrence is None:
        return _("calendar.card.cancelled", title=event.title or "…")
    lines.append(_("calendar.card.when", when=when_text(event, occurrence, locale)))
    if event.location:
        lines.append(_("calendar.card.where", where=event.location))
    if event.capacity is not None:
        lines.append(
            _("calendar.card.counts_capacity", going=counts.going, capacity=event.capacity,
              maybe=counts.maybe, no=counts.no, waiting=counts.waiting)
        )  # fmt: skip
    else:
        lines.append(
            _("calendar.card.counts", going=counts.going, maybe=counts.maybe, no=counts.no)
        )
    return "\n".join(lines)


ANSWER_KEYS = {
    RsvpAnswer.GOING: "calendar.rsvp.going",
    RsvpAnswer.MAYBE: "calendar.rsvp.maybe",
    RsvpAnswer.NO: "calendar.rsvp.no",
    RsvpAnswer.WAITING: "calendar.rsvp.waiting",
}
