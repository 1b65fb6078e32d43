"""Pauses: /pause hides a profile from others for a while or until /resume."""

from __future__ import annotations

from datetime import timedelta

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.db import utcnow
from switchboard.kernel import Translate, enqueue

from ..cards import buttons
from ..models import ProfileState
from ..profiles import get_profile
from ..upkeep import RESUME_JOB, mark_active

PAUSES = {"7": 7, "30": 30, "0": None}  # days; "0": until the user resumes


class Pause(CallbackData, prefix="mpause"):
    days: str


async def pause_command(message: Message, session: AsyncSession, bot: Bot, _: Translate) -> None:
    assert message.from_user is not None
    profile = await get_profile(session, bot.id, message.from_user.id)
    if profile is None or profile.state == ProfileState.DRAFT.value:
        await message.answer(_("match.no_profile"), parse_mode=None)
        return
    rows = [[(_(f"match.pause.{key}"), Pause(days=key).pack())] for key in PAUSES]
    await message.answer(_("match.pause.ask"), reply_markup=buttons(rows), parse_mode=None)


async def pause_chosen(
    query: CallbackQuery, callback_data: Pause, session: AsyncSession, bot: Bot, _: Translate
) -> None:
    profile = await get_profile(session, bot.id, query.from_user.id)
    if profile is None or callback_data.days not in PAUSES:
        await query.answer(_("match.no_profile"), show_alert=True)
        return
    days = PAUSES[callback_data.days]
    profile.state = ProfileState.PAUSED.value
    profile.paused_until = None if days is None else utcnow() + timedelta(days=days)
    if profile.paused_until is not None:
        await enqueue(
            session,
            RESUME_JOB,
            {"profile_id": profile.id, "until": profile.paused_until.isoformat()},
            run_at=profile.paused_until,
        )
    await query.answer()
    text = _("match.paused") if days is None else _("match.paused_until", count=days)
    if isinstance(query.message, Message):
        await query.message.edit_text(text, parse_mode=None)


async def resume_command(message: Message, session: AsyncSession, bot: Bot, _: Translate) -> None:
    assert message.from_user is not None
    profile = await get_profile(session, bot.id, message.from_user.id)
    if profile is None or profile.state not in (
        ProfileState.PAUSED.value,
        ProfileState.SLEEPING.value,
    ):
        await message.answer(_("match.not_paused"), parse_mode=None)
        return
    profile.state = ProfileState.ACTIVE.value
    profile.paused_until = None
    mark_active(profile, utcnow())
    await message.answer(_("match.resumed"), parse_mode=None)


def make_router() -> Router:
    router = Router(name="match.pauses")
    router.message.register(pause_command, Command("pause"))
    router.message.register(resume_command, Command("resume"))
    router.callback_query.register(pause_chosen, Pause.filter())
    return router
