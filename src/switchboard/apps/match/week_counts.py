"""What the match app adds to the owners' weekly email digest: the new matches of the week."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from .models import MatchPair


async def week_counts(session: AsyncSession, bot_id: int, since: datetime) -> Mapping[str, int]:
    pairs = await session.scalar(
        select(func.count())
        .select_from(MatchPair)
        .where(MatchPair.bot_id == bot_id, MatchPair.created_at >= since)
    )
    return {"match.digest.pairs": int(pairs or 0)}
