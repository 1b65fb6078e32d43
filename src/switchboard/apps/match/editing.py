"""Editing a finished profile one field at a time: the Edit button under /profile opens a
menu of the fields, and the one picked is asked alone, then the profile is shown again.

The fields onboarding asks reuse its questions and answers (the FSM data's `EDITING` makes
them stop after one); the search settings onboarding does not ask (the maximum distance and
the age range of the people shown) have their own questions here. Photos sent while editing
replace the old ones; a button removes them all.
"""

from __future__ import annotations

import re

from aiogram import Bot
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel import Translate

from .cards import buttons, with_cancel
from .models import MatchProfile, ProfileState
from .onboarding import EDITING, Onboarding, Pick, ask, saved
from .profiles import ADULT_AGE, MAX_AGE, MAX_PHOTOS, profile_for_update


class Editing(StatesGroup):
    distance = State()
    ages = State()


EDIT_STEPS = tuple(Editing.__states__)

# The menu's fields, in the order shown, and the question each one asks.
FIELDS: dict[str, State] = {
    "name": Onboarding.name,
    "age": Onboarding.age,
    "gender": Onboarding.gender,
    "wants": Onboarding.wants,
    "place": Onboarding.place,
    "interests": Onboarding.interests,
    "bio": Onboarding.bio,
    "photos": Onboarding.photos,
    "distance": Editing.distance,
    "ages": Editing.ages,
}
DISTANCES_KM = (5, 10, 25, 50, 100, 300)
MAX_DISTANCE_KM = 20_000  # as the Mini App allows
_AGE_RANGE = re.compile(r"^\s*(\d{1,3})\s*(?:-|–|—|\s|to|до)\s*(\d{1,3})\s*$", re.IGNORECASE)


class EditField(CallbackData, prefix="medit"):
    """A field picked from the edit menu (`field` is a key of FIELDS, or `photos_clear`),
    for `user` only."""

    user: int
    field: str


def edit_menu(profile: MatchProfile, _: Translate) -> InlineKeyboardMarkup:
    keys = list(FIELDS)
    rows = [
        [
            (_(f"match.edit.field.{key}"), EditField(user=profile.user_id, field=key).pack())
            for key in keys[i : i + 2]
        ]
        for i in range(0, len(keys), 2)
    ]
    return with_cancel(buttons(rows), _, profile.user_id)  # type: ignore[no-any-return]


async def show_menu(
    query: CallbackQuery, callback_data: Pick, session: AsyncSession, bot: Bot, _: Translate
) -> None:
    """The Edit button under /profile: which field to change."""
    if callback_data.user != query.from_user.id:
        await query.answer(_("kernel.question.not_yours"), show_alert=True)
        return
    await query.answer()
    profile = await profile_for_update(session, bot.id, query.from_user.id)
    if isinstance(query.message, Message):
        await query.message.answer(
            _("match.edit.which"), reply_markup=edit_menu(profile, _), parse_mode=None
        )


async def field_picked(
    query: CallbackQuery,
    callback_data: EditField,
    state: FSMContext,
    session: AsyncSession,
    bot: Bot,
    _: Translate,
) -> None:
    if callback_data.user != query.from_user.id:
        await query.answer(_("kernel.question.not_yours"), show_alert=True)
        return
    await query.answer()
    message = query.message if isinstance(query.message, Message) else None
    profile = await profile_for_update(session, bot.id, query.from_user.id)
    if message is None or profile.state == ProfileState.DRAFT.value:
        return
    field = callback_data.field
    if field == "photos_clear":
        if await state.get_state() == Onboarding.photos.state:
            profile.photos = []
            await saved(message, state, profile, _)
        return
    step = FIELDS.get(field)
    if step is None:
        return
    await state.set_data({EDITING: True})
    if step == Editing.distance:
        await _ask_distance(message, state, profile, _)
    elif step == Editing.ages:
        await state.set_state(Editing.ages)
        await message.answer(
            _("match.edit.ask_ages", low=profile.age_min, high=profile.age_max, adult=ADULT_AGE),
            reply_markup=with_cancel(None, _, profile.user_id),
            parse_mode=None,
        )
    elif step == Onboarding.photos:
        await state.set_state(Onboarding.photos)
        rows = [
            [
                (
                    _("match.edit.photos_clear"),
                    EditField(user=profile.user_id, field="photos_clear").pack(),
                )
            ],
            [
                (
                    _("match.button.done"),
                    Pick(user=profile.user_id, field="done", value="photos").pack(),
                )
            ],
        ]
        await message.answer(
            _("match.edit.ask_photos", have=len(profile.photos), most=MAX_PHOTOS),
            reply_markup=with_cancel(buttons(rows), _, profile.user_id),
            parse_mode=None,
        )
    else:
        await ask(step, message, state, profile, _)


async def _ask_distance(
    message: Message, state: FSMContext, profile: MatchProfile, _: Translate
) -> None:
    await state.set_state(Editing.distance)
    row = [
        (
            _("match.edit.km", km=km),
            Pick(user=profile.user_id, field="distance", value=str(km)).pack(),
        )
        for km in DISTANCES_KM
    ]
    await message.answer(
        _("match.edit.ask_distance", km=profile.max_distance_km),
        reply_markup=with_cancel(buttons([row[:3], row[3:]]), _, profile.user_id),
        parse_mode=None,
    )


async def answer_distance(
    message: Message, state: FSMContext, session: AsyncSession, bot: Bot, _: Translate
) -> None:
    assert message.from_user is not None
    text = (message.text or "").strip().lower().removesuffix("km").removesuffix("км").strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_DISTANCE_KM:
        await message.answer(_("match.edit.bad_distance", most=MAX_DISTANCE_KM), parse_mode=None)
        return
    profile = await profile_for_update(session, bot.id, message.from_user.id)
    profile.max_distance_km = int(text)
    await saved(message, state, profile, _)


async def distance_picked(
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
    message = query.message if isinstance(query.message, Message) else None
    km = int(callback_data.value) if callback_data.value.isdigit() else 0
    if message is None or await state.get_state() != Editing.distance.state:
        return
    if not 1 <= km <= MAX_DISTANCE_KM:
        return
    profile = await profile_for_update(session, bot.id, query.from_user.id)
    profile.max_distance_km = km
    await saved(message, state, profile, _)


async def answer_ages(
    message: Message, state: FSMContext, session: AsyncSession, bot: Bot, _: Translate
) -> None:
    assert message.from_user is not None
    found = _AGE_RANGE.match(message.text or "")
    low, high = (int(found.group(1)), int(found.group(2))) if found else (0, 0)
    if not ADULT_AGE <= low <= high <= MAX_AGE:
        await message.answer(
            _("match.edit.bad_ages", adult=ADULT_AGE, most=MAX_AGE), parse_mode=None
        )
        return
    profile = await profile_for_update(session, bot.id, message.from_user.id)
    profile.age_min, profile.age_max = low, high
    await saved(message, state, profile, _)
