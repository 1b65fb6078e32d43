"""Pauses: /pause hides a profile from others and takes the user out of their groups' rounds,
for a while (a job ends it and says so) or until /resume."""

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
from ..round_pauses import memberships, pause_memberships, resume_memberships
from ..upkeep import RESUME_JOB, mark_active

PAUSES = {"7": 7, "30": 30, "0": None}  # days; "0": until the user resumes


class Pause(CallbackData, prefix="mpause"):
    days: str


async def pause_command(message: Message, session: AsyncSession, bot: Bot, _: Translate) -> None:
    assert message.from_user is not None
    profile = await get_profile(session, bot.id, message.from_user.id)
    drafted = profile is None or profile.state == ProfileState.DRAFT.value
    if drafted and not await memberships(session, bot.id, message.from_user.id):
        await message.answer(_("match.no_profile"), parse_mode=None)
        return
    rows = [[(_(f"match.pause.{key}"), Pause(days=key).pack())] for key in PAUSES]
    await message.answer(_("match.pause.ask"), reply_markup=buttons(rows), parse_mode=None)


async def pause_chosen(
    query: CallbackQuery, callback_data: Pause, session: AsyncSession, bot: Bot, _: Translate
) -> None:
    profile = await get_profile(session, bot.id, query.from_user.id)
    if profile is not None and profile.state == ProfileState.DRAFT.value:
        profile = None
    if callback_data.days not in PAUSES:
        await query.answer(_("match.no_profile"), show_alert=True)
        return
    days = PAUSES[callback_data.days]
    until = None if days is None else utcnow() + timedelta(days=days)
    rounds = await pause_memberships(session, bot.id, query.from_user.id, until)
    if profile is None and not rounds:
        await query.answer(_("match.no_profile"), show_alert=True)
        return
    if profile is not None:
        profile.state = ProfileState.PAUSED.value
        profile.paused_until = until
    if until is not None:
        payload: dict[str, object] = {
            "bot_id": bot.id,
            "user_id": query.from_user.id,
            "until": until.isoformat(),
        }
        if profile is not None:
            payload["profile_id"] = profile.id
        await enqueue(session, RESUME_JOB, payload, run_at=until)
    await query.answer()
    text = _("match.paused") if days is None else _("match.paused_until", count=days)
    if rounds:
        text += "\n" + _("match.pause.rounds_too")
    if isinstance(query.message, Message):
        await query.message.edit_text(text, parse_mode=None)


async def resume_command(message: Message, session: AsyncSession, bot: Bot, _: Translate) -> None:
    assert message.from_user is not None
    profile = await get_profile(session, bot.id, message.from_user.id)
    titles = await resume_memberships(session, bot.id, message.from_user.id)
    paused = profile is not None and profile.state in (
        ProfileState.PAUSED.value,
        ProfileState.SLEEPING.value,
    )
    if profile is None or not paused:
        text = _("match.rounds.resumed", groups=", ".join(titles)) if titles else None
        await message.answer(text or _("match.not_paused"), parse_mode=None)
        return
    profile.state = ProfileState.ACTIVE.value
    profile.paused_until = None
    mark_active(profile, utcnow())
    text = _("match.resumed")
    if titles:
        text += "\n" + _("match.rounds.resumed", groups=", ".join(titles))
    await message.answer(text, parse_mode=None)


def make_router() -> Router:
    router = Router(name="match.pauses")
    router.message.register(pause_command, Command("pause"))
    router.message.register(resume_command, Command("resume"))
    router.callback_query.register(pause_chosen, Pause.filter())
    return router
