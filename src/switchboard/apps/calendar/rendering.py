"""Events as the chat shows them: the echo of a draft and a saved event's card, with times
in the user's zone and the zone named."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from babel.dates import format_date, get_day_names

from switchboard.kernel import Translate, local_time

from .events import Draft
from .keyboards import duration_label, lead_label
from .recurrence import to_utc

__all__ = ["describe_rule", "draft_text", "when_text"]

_DAY_NAMES = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}


def describe_rule(rule: str | None, _: Translate, locale: str = "en") -> str:
    """A repeat rule in words when it is one of the common ones, else as written."""
    if not rule:
        return _("calendar.repeat.none")
    parts = dict(part.split("=", 1) for part in rule.upper().split(";") if "=" in part)
    freq, interval = parts.get("FREQ", ""), int(parts.get("INTERVAL", "1") or 1)
    extra = set(parts) - {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY"}
    if extra:
        return rule
    if parts.get("BYDAY") == "MO,TU,WE,TH,FR" and interval == 1:
        return _("calendar.repeat.weekdays")
    name = {"DAILY": "daily", "WEEKLY": "weekly", "MONTHLY": "monthly", "YEARLY": "yearly"}
    if freq not in name:
        return rule
    text = (
        _(f"calendar.repeat.{name[freq]}")
        if interval == 1
        else _(f"calendar.repeat.every_{name[freq]}", count=interval)
    )
    if "BYDAY" in parts:
        names = get_day_names("abbreviated", locale=locale)
        days = [
            names[_DAY_NAMES[day[-2:]]] if day[-2:] in _DAY_NAMES else day
            for day in parts["BYDAY"].split(",")
        ]
        text += " (" + ", ".join(days) + ")"
    if "BYMONTHDAY" in parts:
        text += " (" + parts["BYMONTHDAY"] + ")"
    return text


def when_text(
    start: datetime,
    end: datetime,
    all_day: bool,
    event_zone: tzinfo | None,
    user_zone: tzinfo,
    locale: str,
) -> str:
    """ "Tue 8 Dec, 15:00–16:00 (Europe/Berlin)": wall times of an event in `event_zone`
    shown in the user's zone; all-day events as their dates."""
    if all_day:
        last = end - timedelta(days=1)
        first_text = format_date(start.date(), "EEE d MMM y", locale=locale)
        if last.date() <= start.date():
            return first_text
        return f"{first_text} – {format_date(last.date(), 'EEE d MMM y', locale=locale)}"
    zone = event_zone or user_zone
    shown_start = local_time(to_utc(start, zone), user_zone)
    shown_end = local_time(to_utc(end, zone), user_zone)
    day = format_date(shown_start.date(), "EEE d MMM", locale=locale)
    return f"{day}, {shown_start:%H:%M}–{shown_end:%H:%M} ({user_zone})"


def draft_text(draft: Draft, zone: tzinfo, locale: str, _: Translate) -> str:
    """The echo: what the bot understood, before Save."""
    assert draft.start is not None
    end = draft.end or draft.start + timedelta(hours=1)
    lines = [f"{draft.title} — {when_text(draft.start, end, draft.all_day, zone, zone, locale)}"]
    if draft.location:
        lines.append(_("calendar.echo.where", place=draft.location))
    if draft.rrule:
        lines.append(_("calendar.echo.repeat", rule=describe_rule(draft.rrule, _, locale)))
    if draft.reminders is None:
        lines.append(_("calendar.echo.reminders_default"))
    elif draft.reminders:
        leads = ", ".join(lead_label(m, _) for m in sorted(draft.reminders))
        lines.append(_("calendar.echo.reminders", leads=leads))
    else:
        lines.append(_("calendar.echo.no_reminders"))
    if not draft.all_day:
        lines.append(_("calendar.echo.length", length=duration_label(_minutes(draft), _)))
    return "\n".join(lines)


def _minutes(draft: Draft) -> int:
    assert draft.start is not None
    end = draft.end or draft.start + timedelta(hours=1)
    return int((end - draft.start).total_seconds() // 60)
