"""`/api/v1/bots/{bot_id}/broadcasts`: a message to every user of the bot, as /broadcast sends
it (the core app's `start_broadcast` and its job), with a preview first and its progress after.

The text is sent as written, with no parse mode: the preview is that text escaped as HTML,
which is how Telegram shows it (a `<b>` stays the four characters it is).
"""

from __future__ import annotations

import html

from fastapi import APIRouter
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.apps.core.models import BroadcastRecord
from switchboard.apps.core.service import (
    NO_STATUS_CHAT,
    broadcast_recipients,
    start_broadcast,
)
from switchboard.web.api_errors import ApiError
from switchboard.web.deps import CurrentUser, ManagedBot, RowIdPath, SessionDep

router = APIRouter(tags=["broadcasts"])

MAX_TEXT = 4096  # Telegram's limit for one message's text


class BroadcastText(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_TEXT)

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a broadcast needs some text")
        return value.strip()


class Preview(BaseModel):
    html: str
    recipients: int


class Started(BaseModel):
    id: int
    total: int


class Progress(BaseModel):
    id: int
    sent: int
    failed: int
    total: int
    state: str


def progress_of(record: BroadcastRecord) -> Progress:
    return Progress(
        id=record.id, sent=record.sent, failed=record.failed, total=record.total, state=record.state
    )


async def recent_broadcasts(session: AsyncSession, bot_id: int, limit: int = 5) -> list[Progress]:
    """The bot's latest broadcasts, newest first."""
    rows = await session.scalars(
        select(BroadcastRecord)
        .where(BroadcastRecord.bot_id == bot_id)
        .order_by(BroadcastRecord.id.desc())
        .limit(limit)
    )
    return [progress_of(record) for record in rows]


@router.post("/bots/{bot_id}/broadcasts/preview")
async def preview(bot_id: ManagedBot, body: BroadcastText, session: SessionDep) -> Preview:
    """How the message will look, and how many chats it would go to now."""
    return Preview(
        html=html.escape(body.text), recipients=await broadcast_recipients(session, bot_id)
    )


@router.post("/bots/{bot_id}/broadcasts", status_code=201)
async def create(
    bot_id: ManagedBot, body: BroadcastText, user: CurrentUser, session: SessionDep
) -> Started:
    """Send the text to every active private chat of the bot (in the bulk lane, resumed
    after a restart); its progress is `GET …/broadcasts/{id}` and the bot's event stream."""
    record = await start_broadcast(
        session,
        bot_id,
        user.telegram_user_id or 0,
        body.text,
        NO_STATUS_CHAT,
    )
    started = Started(id=record.id, total=record.total)
    await session.commit()
    return started


@router.get("/bots/{bot_id}/broadcasts/{broadcast_id}")
async def progress(bot_id: ManagedBot, broadcast_id: RowIdPath, session: SessionDep) -> Progress:
    record = await session.get(BroadcastRecord, broadcast_id)
    if record is None or record.bot_id != bot_id:
        raise ApiError(404, "no_such_broadcast")
    return progress_of(record)
