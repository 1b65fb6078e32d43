"""Capture: what a user sends the bot in private, or writes in their forum's General topic,
becomes a pending note (its preparation is a job)."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel import Translate

from .. import forum, metrics, service
from ..capture_reader import read_capture
from ..errors import NotesError
from ..filters import GeneralTopicMessage, NoNotesQuestion, PrivateNonCommand

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


async def _leave_question(state: FSMContext, raw_state: str | None) -> None:
    """Another app's question was open, and this message was not its answer: a note instead,
    and the question is left (as a command leaves it)."""
    if raw_state is not None:
        await state.clear()


async def capture_private(
    message: Message,
    bot: Bot,
    session: AsyncSession,
    state: FSMContext,
    _: Translate,
    raw_state: str | None = None,
) -> None:
    await _leave_question(state, raw_state)
    await _capture(message, bot, session, _, from_general=False)


async def capture_general(
    message: Message,
    bot: Bot,
    session: AsyncSession,
    state: FSMContext,
    _: Translate,
    raw_state: str | None = None,
) -> None:
    if message.from_user is None:
        return
    if not await forum.owns_chat(session, bot.id, message.from_user.id, message.chat.id):
        return
    await _leave_question(state, raw_state)
    await _capture(message, bot, session, _, from_general=True)


def make_router() -> Router:
    router = Router(name="notes.capture")
    router.message.register(capture_private, NoNotesQuestion(), PrivateNonCommand(), flags=CAPTURES)
    router.message.register(
        capture_general, NoNotesQuestion(), GeneralTopicMessage(), flags=CAPTURES
    )
    return router
