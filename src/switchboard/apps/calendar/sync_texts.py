"""A subscription's stored `last_error` in the user's words."""

from __future__ import annotations

from switchboard.kernel import FetchFailureReason, Translate

from .ics_codec import MAX_EVENTS
from .mirror import MAX_STORED_OCCURRENCES

__all__ = ["sync_error_text"]


def sync_error_text(error: str | None, _: Translate) -> str:
    """`error` as `subscriptions` stores it ("PRIVATE_ADDRESS", "HTTP_ERROR: HTTP 404",
    "ICS_TOO_MANY: 25000") as a sentence."""
    if not error:
        return _("calendar.sync.error.unknown")
    head, _sep, detail = error.partition(":")
    detail = detail.strip()
    if head in FetchFailureReason.__members__:
        return _(f"calendar.sync.error.{head.lower()}", detail=detail)
    if head.startswith("ICS_"):
        reason = head[4:].lower()
        limit = MAX_STORED_OCCURRENCES if reason == "too_many_occurrences" else MAX_EVENTS
        return _(f"calendar.ics.error.{reason}", detail=detail, count=detail, limit=limit)
    return _("calendar.sync.error.unknown")
