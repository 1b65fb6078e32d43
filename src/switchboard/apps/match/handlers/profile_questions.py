"""The profile's questions in chat: the answers to onboarding's steps, and the Edit button
under /profile, which asks them again from the name.

Edit is registered here, ahead of `picked`: both take `Pick` callbacks, and Edit is the
narrower filter.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel import Translate

from ..onboarding import (
    Onboarding,
    Pick,
    answer_age,
    answer_bio,
    answer_city,
    answer_interests,
    answer_location,
    answer_name,
    answer_photo,
    ask,
    picked,
)
from ..profiles import profile_for_update


async def edit_profile(
    query: CallbackQuery,
    callback_data: Pick,
    state: FSMContext,
    session: AsyncSession,
    bot: Bot,
    _: Translate,
) -> None:
    if callback_data.user != query.from_user.id:
        await query.answer(_("kernel.question.not_yours"), show_alert=True)
        return
    await query.answer()
    if isinstance(query.message, Message):
        profile = await profile_for_update(session, bot.id, query.from_user.id)
        await ask(Onboarding.name, query.message, state, profile, _)


def make_router() -> Router:
    router = Router(name="match.profile_questions")
    captures = {"captures": True}  # an answer the user typed is taken even in a flood
    router.message.register(
        answer_name, StateFilter(Onboarding.name), F.text, ~F.text.startswith("/"), flags=captures
    )
    router.message.register(
        answer_age, StateFilter(Onboarding.age), F.text, ~F.text.startswith("/"), flags=captures
    )
    router.message.register(
        answer_bio, StateFilter(Onboarding.bio), F.text, ~F.text.startswith("/"), flags=captures
    )
    router.message.register(
        answer_interests,
        StateFilter(Onboarding.interests),
        F.text,
        ~F.text.startswith("/"),
        flags=captures,
    )
    router.message.register(answer_photo, StateFilter(Onboarding.photos), F.photo, flags=captures)
    router.message.register(
        answer_location, StateFilter(Onboarding.place), F.location, flags=captures
    )
    router.message.register(
        answer_city, StateFilter(Onboarding.place), F.text, ~F.text.startswith("/"), flags=captures
    )
    router.callback_query.register(edit_profile, Pick.filter(F.field == "edit"))
    router.callback_query.register(picked, Pick.filter())
    return router
