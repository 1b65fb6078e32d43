"""Onboarding: the profile conversation. Its state lives in the database (the kernel's FSM
storage) and each answer is written to the draft profile at once, so a restart mid-way resumes
at the same question with everything answered so far kept."""

from __future__ import annotations

import asyncio
from typing import Any

from aiogram import Bot
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.db import utcnow
from switchboard.kernel import (
    Translate,
)

from . import metrics
from .cards import buttons, card_text, with_cancel
from .interests import MAX_INTERESTS, STANDARD, parse_interests, shown
from .models import (
    MatchProfile,
    ProfileState,
)
from .places import city_by_id, find_cities
from .profiles import (
    ADULT_AGE,
    MAX_AGE,
    MAX_PHOTOS,
    place_profile,
    profile_for_update,
)
from .upkeep import mark_active

GENDERS = ("woman", "man", "other")
WANTS = {"women": ["woman"], "men": ["man"], "everyone": []}


class Onboarding(StatesGroup):
    name = State()
    age = State()
    gender = State()
    wants = State()
    bio = State()
    interests = State()
    photos = State()
    place = State()


STEPS = tuple(Onboarding.__states__)
EDITING = "editing"  # FSM data: one field of a finished profile is being edited, not onboarding
REPLACING = "replacing"  # FSM data: the photos being sent replace the old ones


class Pick(CallbackData, prefix="mpick"):
    """An onboarding button: `field` gender|wants|interest|skip|done|city, for `user` only."""

    user: int
    field: str
    value: str


# --- onboarding ----------------------------------------------------------------------------


async def ask(
    step: State, message: Message, state: FSMContext, profile: MatchProfile, _: Translate
) -> None:
    """Ask the question of `step` (and remember it is the one being asked)."""
    user = profile.user_id
    await state.set_state(step)
    markup: Any = None
    if step == Onboarding.name:
        text = _("match.ask.name")
    elif step == Onboarding.age:
        text = _("match.ask.age", adult=ADULT_AGE)
    elif step == Onboarding.gender:
        text = _("match.ask.gender")
        rows = [
            [(_(f"match.gender.{g}"), Pick(user=user, field="gender", value=g).pack())]
            for g in GENDERS
        ]
        markup = buttons(rows)
    elif step == Onboarding.wants:
        text = _("match.ask.wants")
        markup = buttons(
            [
                [(_(f"match.wants.{w}"), Pick(user=user, field="wants", value=w).pack())]
                for w in WANTS
            ]
        )
    elif step == Onboarding.bio:
        text = _("match.ask.bio")
        markup = buttons(
            [[(_("match.button.skip"), Pick(user=user, field="skip", value="bio").pack())]]
        )
    elif step == Onboarding.interests:
        text = _("match.ask.interests", chosen=_interest_list(profile, _), most=MAX_INTERESTS)
        markup = _interest_keyboard(profile, _)
    elif step == Onboarding.photos:
        text = _("match.ask.photos", most=MAX_PHOTOS)
        markup = buttons(
            [[(_("match.button.done"), Pick(user=user, field="done", value="photos").pack())]]
        )
    else:
        text = _("match.ask.place")
        await message.answer(
            text,
            reply_markup=ReplyKeyboardMarkup(
                keyboard=[[KeyboardButton(text=_("match.button.location"), request_location=True)]],
                resize_keyboard=True,
                one_time_keyboard=True,
            ),
            parse_mode=None,
        )
        return
    await message.answer(text, reply_markup=with_cancel(markup, _, user), parse_mode=None)


def _interest_list(profile: MatchProfile, _: Translate) -> str:
    locale = _("match.locale")
    return ", ".join(shown(key, locale) for key in profile.interests) or "—"


def _interest_keyboard(profile: MatchProfile, _: Translate) -> InlineKeyboardMarkup:
    locale = _("match.locale")
    rows: list[list[tuple[str, str]]] = []
    row: list[tuple[str, str]] = []
    for key in STANDARD:
        mark = "✓ " if key in profile.interests else ""
        row.append(
            (
                mark + shown(key, locale),
                Pick(user=profile.user_id, field="interest", value=key).pack(),
            )
        )
        if len(row) == 3:
            rows.append(row)
            row = []
    if row:
        rows.append(row)
    rows.append(
        [
            (
                _("match.button.done"),
                Pick(user=profile.user_id, field="done", value="interests").pack(),
            )
        ]
    )
    return buttons(rows)


async def _next(
    after: State, message: Message, state: FSMContext, profile: MatchProfile, _: Translate
) -> None:
    if (await state.get_data()).get(EDITING):
        await saved(message, state, profile, _)
        return
    index = STEPS.index(after)
    if index + 1 < len(STEPS):
        await ask(STEPS[index + 1], message, state, profile, _)


async def start_onboarding(
    message: Message, state: FSMContext, session: AsyncSession, bot: Bot, _: Translate
) -> None:
    assert message.from_user is not None
    profile = await profile_for_update(session, bot.id, message.from_user.id)
    await state.set_data({})
    await message.answer(_("match.onboarding.intro", adult=ADULT_AGE), parse_mode=None)
    await ask(Onboarding.name, message, state, profile, _)


async def answer_name(
    message: Message, state: FSMContext, session: AsyncSession, bot: Bot, _: Translate
) -> None:
    assert message.from_user is not None
    name = " ".join((message.text or "").split())
    if not 1 <= len(name) <= 64:
        await message.answer(_("match.bad.name"), parse_mode=None)
        return
    profile = await profile_for_update(session, bot.id, message.from_user.id)
    profile.name = name
    await _next(Onboarding.name, message, state, profile, _)


async def answer_age(
    message: Message, state: FSMContext, session: AsyncSession, bot: Bot, _: Translate
) -> None:
    assert message.from_user is not None
    text = (message.text or "").strip()
    if not text.isdigit() or not 0 < int(text) <= MAX_AGE:
        await message.answer(_("match.bad.age"), parse_mode=None)
        return
    age = int(text)
    if age < ADULT_AGE:
        await state.clear()
        await message.answer(_("match.adults_only", adult=ADULT_AGE), parse_mode=None)
        return
    profile = await profile_for_update(session, bot.id, message.from_user.id)
    profile.age = age
    if not (await state.get_data()).get(EDITING):  # an edited age keeps the chosen range
        profile.age_min = max(ADULT_AGE, age - 10)
        profile.age_max = min(MAX_AGE, age + 10)
    await _next(Onboarding.age, message, state, profile, _)


async def answer_bio(
    message: Message, state: FSMContext, session: AsyncSession, bot: Bot, _: Translate
) -> None:
    assert message.from_user is not None
    profile = await profile_for_update(session, bot.id, message.from_user.id)
    profile.bio = (message.text or "").strip()[:500]
    await _next(Onboarding.bio, message, state, profile, _)


async def answer_interests(
    message: Message, state: FSMContext, session: AsyncSession, bot: Bot, _: Translate
) -> None:
    assert message.from_user is not None
    profile = await profile_for_update(session, bot.id, message.from_user.id)
    added = parse_interests(message.text or "")
    profile.interests = list(dict.fromkeys([*profile.interests, *added]))[:MAX_INTERESTS]
    await ask(Onboarding.interests, message, state, profile, _)


async def answer_photo(
    message: Message, state: FSMContext, session: AsyncSession, bot: Bot, _: Translate
) -> None:
    assert message.from_user is not None and message.photo
    profile = await profile_for_update(session, bot.id, message.from_user.id)
    kept = profile.photos
    data = await state.get_data()
    if data.get(EDITING) and not data.get(REPLACING):  # the first new photo replaces the old
        kept = []
        await state.update_data({REPLACING: True})
    photos = [*kept, message.photo[-1].file_id][:MAX_PHOTOS]
    profile.photos = photos
    if len(photos) >= MAX_PHOTOS:
        await _next(Onboarding.photos, message, state, profile, _)
    else:
        await message.answer(
            _("match.photo_added", count=len(photos), most=MAX_PHOTOS), parse_mode=None
        )


async def answer_location(
    message: Message, state: FSMContext, session: AsyncSession, bot: Bot, _: Translate
) -> None:
    assert message.from_user is not None and message.location is not None
    profile = await profile_for_update(session, bot.id, message.from_user.id)
    try:
        place_profile(profile, message.location.latitude, message.location.longitude)
    except ValueError:
        await message.answer(_("match.bad.place"), parse_mode=None)
        return
    await _finish(message, state, session, profile, _)


async def answer_city(
    message: Message, state: FSMContext, session: AsyncSession, bot: Bot, _: Translate
) -> None:
    assert message.from_user is not None
    text = (message.text or "").strip()
    cities = await asyncio.to_thread(find_cities, text)
    if not cities:
        await message.answer(_("match.bad.city", city=text[:64]), parse_mode=None)
        return
    profile = await profile_for_update(session, bot.id, message.from_user.id)
    if len(cities) == 1:
        place_profile(profile, cities[0].lat, cities[0].lon, cities[0].name)
        await _finish(message, state, session, profile, _)
        return
    rows = [
        [
            (
                f"{c.name}, {c.country}",
                Pick(user=profile.user_id, field="city", value=str(c.id)).pack(),
            )
        ]
        for c in cities
    ]
    await message.answer(
        _("match.which_city"),
        reply_markup=with_cancel(buttons(rows), _, profile.user_id),
        parse_mode=None,
    )


async def _finish(
    message: Message, state: FSMContext, session: AsyncSession, profile: MatchProfile, _: Translate
) -> None:
    editing = (await state.get_data()).get(EDITING)
    await state.clear()
    first = profile.state == ProfileState.DRAFT.value
    # A paused or hidden profile stays so when its place changes; a sleeping one wakes.
    if first or profile.state == ProfileState.SLEEPING.value:
        profile.state = ProfileState.ACTIVE.value
    mark_active(profile, utcnow())
    if first:
        metrics.PROFILES_MADE.inc()
    ready = _("match.edit.saved") if editing and not first else _("match.profile.ready")
    await message.answer(ready, reply_markup=ReplyKeyboardRemove(), parse_mode=None)
    await message.answer(card_text(profile, None, _, own=True), parse_mode=None)


async def saved(message: Message, state: FSMContext, profile: MatchProfile, _: Translate) -> None:
    """An edited field is stored: the edit is over, and the profile is shown as it is now."""
    await state.clear()
    mark_active(profile, utcnow())
    await message.answer(_("match.edit.saved"), parse_mode=None)
    await message.answer(card_text(profile, None, _, own=True), parse_mode=None)


async def picked(
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
    message = query.message if isinstance(query.message, Message) else None
    profile = await profile_for_update(session, bot.id, query.from_user.id)
    field, value = callback_data.field, callback_data.value
    current = await state.get_state()
    await query.answer()
    if message is None:
        return
    if field == "gender" and value in GENDERS and current == Onboarding.gender.state:
        profile.gender = value
        await _next(Onboarding.gender, message, state, profile, _)
    elif field == "wants" and value in WANTS and current == Onboarding.wants.state:
        profile.wants = WANTS[value]
        await _next(Onboarding.wants, message, state, profile, _)
    elif field == "skip" and value == "bio" and current == Onboarding.bio.state:
        await _next(Onboarding.bio, message, state, profile, _)
    elif field == "interest" and value in STANDARD and current == Onboarding.interests.state:
        chosen = list(profile.interests)
        if value in chosen:
            chosen.remove(value)
        elif len(chosen) < MAX_INTERESTS:
            chosen.append(value)
        profile.interests = chosen
        await message.edit_text(
            _("match.ask.interests", chosen=_interest_list(profile, _), most=MAX_INTERESTS),
            reply_markup=with_cancel(_interest_keyboard(profile, _), _, profile.user_id),
            parse_mode=None,
        )
    elif field == "done" and value == "interests" and current == Onboarding.interests.state:
        await _next(Onboarding.interests, message, state, profile, _)
    elif field == "done" and value == "photos" and current == Onboarding.photos.state:
        await _next(Onboarding.photos, message, state, profile, _)
    elif field == "city" and value.isdigit() and current == Onboarding.place.state:
        city = await asyncio.to_thread(city_by_id, int(value))
        if city is not None:
            place_profile(profile, city.lat, city.lon, city.name)
            await _finish(message, state, session, profile, _)
