"""A report's path: filed by the user who saw the card (with the card as they saw it), then a
durable job (`REPORT_JOB`, queued in the same transaction) that hides the profile once it has
K reports (`MATCH_REPORTS_TO_HIDE`) pending the owner's review, and tells the bot's owners.

The job is safe to run twice: hiding is a state the row already has the second time, and a
report an owner already reviewed is not announced again.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel import enqueue

from . import metrics
from .models import MatchProfile, MatchReport, ProfileState

__all__ = ["REPORT_JOB", "SettledReport", "file_report", "settle_report"]

REPORT_JOB = "match.report"
_HIDEABLE = (ProfileState.ACTIVE.value, ProfileState.PAUSED.value, ProfileState.SLEEPING.value)


@dataclass(frozen=True, slots=True)
class SettledReport:
    """What the owners are told of a report."""

    report_id: int
    bot_id: int
    name: str
    age: int | str
    reason: str
    reports: int  # open reports of the profile so far
    hidden: bool  # hidden (now or before) pending review


async def file_report(
    session: AsyncSession, viewer: MatchProfile, other: MatchProfile, reason: str
) -> MatchReport | None:
    """Record `viewer`'s report of `other` and queue its job; None when `viewer` reported
    `other` before (one report per pair). The caller commits."""
    existing = await session.scalar(
        select(MatchReport).where(
            MatchReport.reporter_id == viewer.id, MatchReport.reported_id == other.id
        )
    )
    if existing is not None:
        return None
    report = MatchReport(
        bot_id=viewer.bot_id,
        reporter_id=viewer.id,
        reported_id=other.id,
        reason=reason,
        card={"name": other.name, "age": other.age, "bio": other.bio, "photos": other.photos},
    )
    session.add(report)
    other.reports += 1
    await session.flush()
    await enqueue(
        session, REPORT_JOB, {"report_id": report.id}, unique_key=f"{REPORT_JOB}:{report.id}"
    )
    metrics.REPORTS.inc()
    return report


async def settle_report(
    session: AsyncSession, report_id: int, reports_to_hide: int
) -> SettledReport | None:
    """Hide the reported profile if it has `reports_to_hide` reports now; what to tell the
    owners, or None when there is nothing to tell (the report or profile is gone, or an owner
    reviewed it already). The caller commits."""
    report = await session.get(MatchReport, report_id)
    if report is None or report.reviewed:
        return None
    reported = await session.get(MatchProfile, report.reported_id)
    if reported is None:
        return None
    if reported.reports >= reports_to_hide and reported.state in _HIDEABLE:
        reported.state = ProfileState.HIDDEN.value
        reported.paused_until = None
    card = report.card or {}
    return SettledReport(
        report_id=report.id,
        bot_id=report.bot_id,
        name=str(card.get("name") or reported.name),
        age=card.get("age") or "?",
        reason=report.reason,
        reports=reported.reports,
        hidden=reported.state == ProfileState.HIDDEN.value,
    )
