"""Capture: what a user sends the bot in private, or writes in their forum's General topic,
becomes a pending note (its preparation is a job)."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import StateFilter
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel import Translate

from .. import forum, metrics, service
from ..capture_reader import read_capture
from ..errors import NotesError
from ..filters import GeneralTopicMessage, PrivateNonCommand

CAPTURES = {"captures": True}  # never skipped by the inbound throttle (see `handlers`)


async def _capture(
    message: Message, bot: Bot, session: AsyncSession, _: Translate, from_general: bool
) -> None:
    assert message.from_user is not None
    item = read_capture(message, from_general=from_general)
    try:
        note, new = await service.capture(session, bot.id, message.from_user.id, item)
    except NotesError as error:
        if not from_general:  # the General topic is the group's: no replies there
            await message.reply(_(error.key, **error.params), parse_mode=None)
        return
    if new:
        metrics.CAPTURED.labels(kind=note.kind).inc()


async def capture_private(message: Message, bot: Bot, session: AsyncSession, _: Translate) -> None:
    await _capture(message, bot, session, _, from_general=False)


async def capture_general(message: Message, bot: Bot, session: AsyncSession, _: Translate) -> None:
    if message.from_user is None:
        return
    if not await forum.owns_chat(session, bot.id, message.from_user.id, message.chat.id):
        return
    await _capture(message, bot, session, _, from_general=True)


def make_router() -> Router:
    router = Router(name="notes.capture")
    router.message.register(capture_private, StateFilter(None), PrivateNonCommand(), flags=CAPTURES)
    router.message.register(
        capture_general, StateFilter(None), GeneralTopicMessage(), flags=CAPTURES
    )
    return router
