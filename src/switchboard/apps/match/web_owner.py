"""The match page of the owner's dashboard (`/api/v1/bots/{bot_id}/match/`): the bot's
numbers (profiles, active ones, matches, likes), the queue of reported profiles with the
owner's review (the same as /reports' buttons in the chat, `reviews.review`), and the group
rounds run in its communities."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel
from sqlalchemy import func, select

from switchboard.kernel import AppHttpError, WebSessionDep

from .models import (
    MatchCommunity,
    MatchPair,
    MatchProfile,
    MatchReport,
    MatchRound,
    MatchRoundGroup,
    MatchSwipe,
    ProfileState,
    Verdict,
)
from .reviews import Outcome, review

__all__ = ["make_owner_router"]

RowId = Annotated[int, Path(ge=1, le=2**63 - 1)]  # a row's id: no query for what cannot be one

ROUNDS_LISTED = 100


class Stats(BaseModel):
    profiles: int
    by_state: dict[str, int]  # draft | active | paused | sleeping | hidden
    active: int
    matches: int
    likes: int
    reports_open: int


class Report(BaseModel):
    id: int
    reporter_id: int  # profile ids
    reported_id: int
    reported_name: str
    reported_state: str | None
    reports_against: int
    reason: str
    card: dict[str, Any]
    reviewed: bool
    outcome: str | None
    created_at: datetime


class Resolution(BaseModel):
    outcome: Outcome


class Round(BaseModel):
    id: int
    community_id: int
    community: str
    scheduled_for: datetime
    ran_at: datetime | None
    members: int
    groups: int


async def _count(session: WebSessionDep, statement: Any) -> int:
    return int(await session.scalar(statement) or 0)


def _report(report: MatchReport, reported: MatchProfile | None) -> Report:
    return Report(
        id=report.id,
        reporter_id=report.reporter_id,
        reported_id=report.reported_id,
        reported_name=reported.name if reported is not None else "",
        reported_state=reported.state if reported is not None else None,
        reports_against=reported.reports if reported is not None else 0,
        reason=report.reason,
        card=report.card or {},
        reviewed=report.reviewed,
        outcome=report.outcome,
        created_at=report.created_at,
    )


def make_owner_router() -> APIRouter:
    router = APIRouter()

    @router.get("/stats")
    async def stats(bot_id: int, session: WebSessionDep) -> Stats:
        """How many profiles (by state), mutual matches, likes and open reports."""
        states = await session.execute(
            select(MatchProfile.state, func.count())
            .where(MatchProfile.bot_id == bot_id)
            .group_by(MatchProfile.state)
        )
        by_state = {state.value: 0 for state in ProfileState}
        by_state.update({state: int(n) for state, n in states})
        matches = await _count(
            session, select(func.count()).select_from(MatchPair).where(MatchPair.bot_id == bot_id)
        )
        likes = await _count(
            session,
            select(func.count())
            .select_from(MatchSwipe)
            .where(MatchSwipe.bot_id == bot_id, MatchSwipe.verdict == Verdict.LIKE.value),
        )
        open_reports = await _count(
            session,
            select(func.count())
            .select_from(MatchReport)
            .where(MatchReport.bot_id == bot_id, MatchReport.reviewed.is_(False)),
        )
        return Stats(
            profiles=sum(by_state.values()),
            by_state=by_state,
            active=by_state[ProfileState.ACTIVE.value],
            matches=matches,
            likes=likes,
            reports_open=open_reports,
        )

    @router.get("/reports")
    async def reports(bot_id: int, session: WebSessionDep, reviewed: bool = False) -> list[Report]:
        """The reports waiting for review, oldest first (`reviewed=true`: those reviewed,
        newest first)."""
        order = MatchReport.id.desc() if reviewed else MatchReport.id
        rows = await session.execute(
            select(MatchReport, MatchProfile)
            .outerjoin(MatchProfile, MatchProfile.id == MatchReport.reported_id)
            .where(MatchReport.bot_id == bot_id, MatchReport.reviewed.is_(reviewed))
            .order_by(order)
            .limit(200)
        )
        return [_report(report, reported) for report, reported in rows]

    @router.post("/reports/{report_id}/resolve")
    async def resolve(
        bot_id: int, report_id: RowId, resolution: Resolution, session: WebSessionDep
    ) -> Report:
        """Restore the reported profile or remove it; every open report of it is closed."""
        report = await session.get(MatchReport, report_id)
        if report is None or report.bot_id != bot_id:
            raise AppHttpError(404, "match.web.no_such_report")
        if report.reviewed:
            raise AppHttpError(409, "match.web.already_reviewed", outcome=report.outcome)
        await review(session, report, resolution.outcome)
        await session.commit()
        await session.refresh(report)
        reported = await session.get(MatchProfile, report.reported_id)
        return _report(report, reported)

    @router.get("/rounds")
    async def rounds(bot_id: int, session: WebSessionDep) -> list[Round]:
        """The latest rounds of the bot's communities, newest first, with the groups made."""
        groups = (
            select(MatchRoundGroup.round_id, func.count().label("groups"))
            .group_by(MatchRoundGroup.round_id)
            .subquery()
        )
        rows = await session.execute(
            select(MatchRound, MatchCommunity.title, groups.c.groups)
            .join(MatchCommunity, MatchCommunity.id == MatchRound.community_id)
            .outerjoin(groups, groups.c.round_id == MatchRound.id)
            .where(MatchCommunity.bot_id == bot_id)
            .order_by(MatchRound.scheduled_for.desc(), MatchRound.id.desc())
            .limit(ROUNDS_LISTED)
        )
        return [
            Round(
                id=row.id,
                community_id=row.community_id,
                community=title,
                scheduled_for=row.scheduled_for,
                ran_at=row.ran_at,
                members=row.members,
                groups=int(count or 0),
            )
            for row, title, count in rows
        ]

    return router
