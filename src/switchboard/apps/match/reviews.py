"""The bot owner's review of a reported profile (from /reports in the chat or the dashboard):
"restore" clears its reports and shows it again if it was hidden, "remove" hides it. Every
open report of the same profile is closed with the outcome."""

from __future__ import annotations

from typing import Literal

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from .models import MatchProfile, MatchReport, ProfileState

__all__ = ["OUTCOMES", "Outcome", "review"]

Outcome = Literal["restore", "remove"]
OUTCOMES: tuple[Outcome, ...] = ("restore", "remove")


async def review(session: AsyncSession, report: MatchReport, outcome: Outcome) -> None:
    """Apply `outcome` to the profile `report` is about; the caller commits."""
    reported = await session.get(MatchProfile, report.reported_id)
    await session.execute(
        update(MatchReport)
        .where(MatchReport.reported_id == report.reported_id, MatchReport.reviewed.is_(False))
        .values(reviewed=True, outcome=outcome)
    )
    if reported is not None:
        if outcome == "restore":
            reported.reports = 0
            if reported.state == ProfileState.HIDDEN.value:
                reported.state = ProfileState.ACTIVE.value
        else:
            reported.state = ProfileState.HIDDEN.value
