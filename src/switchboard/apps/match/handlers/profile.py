"""The user's own profile: /profile shows it (or starts onboarding when there is none) with
an Edit button, and /delete removes everything the app keeps about the user."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel import Translate

from ..cards import buttons, card_text
from ..models import ProfileState
from ..onboarding import Pick, start_onboarding
from ..privacy import delete_user_match
from ..profiles import get_profile


class Confirm(CallbackData, prefix="mdel"):
    user: int
    yes: bool


async def profile_command(
    message: Message, state: FSMContext, session: AsyncSession, bot: Bot, _: Translate
) -> None:
    assert message.from_user is not None
    profile = await get_profile(session, bot.id, message.from_user.id)
    if profile is None or profile.state == ProfileState.DRAFT.value:
        await start_onboarding(message, state, session, bot, _)
        return
    status = _(f"match.state.{profile.state}")
    await message.answer(
        card_text(profile, None, _, own=True) + "\n\n" + _("match.profile.status", status=status),
        reply_markup=buttons(
            [
                [
                    (
                        _("match.button.edit"),
                        Pick(user=profile.user_id, field="edit", value="all").pack(),
                    )
                ]
            ]
        ),
        parse_mode=None,
    )


async def delete_command(message: Message, _: Translate) -> None:
    assert message.from_user is not None
    user = message.from_user.id
    await message.answer(
        _("match.delete.ask"),
        reply_markup=buttons(
            [
                [
                    (_("match.delete.yes"), Confirm(user=user, yes=True).pack()),
                    (_("match.delete.no"), Confirm(user=user, yes=False).pack()),
                ]
            ]
        ),
        parse_mode=None,
    )


async def delete_confirmed(
    query: CallbackQuery,
    callback_data: Confirm,
    session: AsyncSession,
    bot: Bot,
    state: FSMContext,
    _: Translate,
) -> None:
    if callback_data.user != query.from_user.id:
        await query.answer(_("kernel.question.not_yours"), show_alert=True)
        return
    await query.answer()
    text = _("match.delete.kept")
    if callback_data.yes:
        await delete_user_match(session, bot.id, query.from_user.id)
        await state.clear()
        text = _("match.delete.done")
    if isinstance(query.message, Message):
        await query.message.edit_text(text, parse_mode=None)


def make_router() -> Router:
    router = Router(name="match.profile")
    router.message.register(profile_command, Command("profile"))
    router.message.register(delete_command, Command("delete"))
    router.callback_query.register(delete_confirmed, Confirm.filter())
    return router
