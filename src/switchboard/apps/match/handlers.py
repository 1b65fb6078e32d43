"""The match app in chat: /profile, /pause, /resume, /delete, /match cards with
Like / Skip / Report / Block, /matches, and the owner's /reports.

The onboarding conversation is in `onboarding`, the cards' text and buttons in `cards`.
"""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramForbiddenError
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    Message,
)
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.db import utcnow
from switchboard.kernel import (
    GatedRouter,
    PlatformServices,
    Translate,
    UserRecord,
    commands_or_in_state,
    enqueue,
)

from . import metrics, round_handlers
from .cards import Card, buttons, card_buttons, card_text
from .limits import take_card, take_like
from .models import (
    MatchBlock,
    MatchPair,
    MatchProfile,
    MatchReport,
    MatchSwipe,
    ProfileState,
    Verdict,
)
from .onboarding import (
    STEPS,
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
    start_onboarding,
)
from .privacy import delete_user_match
from .profiles import (
    get_profile,
    mutual_pairs,
    profile_for_update,
)
from .reviews import review
from .scoring import Weights
from .search import candidates
from .upkeep import RESUME_JOB

REPORT_REASONS = ("spam", "fake", "offensive", "underage", "other")
PAUSES = {"7": 7, "30": 30, "0": None}  # days; "0": until the user resumes


class Reason(CallbackData, prefix="mrep"):
    shown: int
    reason: str


class Pause(CallbackData, prefix="mpause"):
    days: str


class Confirm(CallbackData, prefix="mdel"):
    user: int
    yes: bool


class Review(CallbackData, prefix="mrev"):
    report: int
    outcome: str  # restore | remove


def weights_of(platform: PlatformServices) -> Weights:
    s = platform.settings
    return Weights(
        distance=s.match_weight_distance,
        interests=s.match_weight_interests,
        preferences=s.match_weight_preferences,
        minimum=s.match_min_score,
    )


async def show_next(
    chat_id: int,
    viewer: MatchProfile,
    session: AsyncSession,
    bot: Bot,
    platform: PlatformServices,
    _: Translate,
) -> None:
    found = await candidates(session, viewer, weights_of(platform))
    if not found:
        await bot.send_message(chat_id, _("match.none"), parse_mode=None)
        return
    allowed, shown_today = await take_card(session, platform, viewer)
    if not allowed:
        await bot.send_message(chat_id, _("match.limit.cards", count=shown_today), parse_mode=None)
        return
    now = utcnow()
    best = found[0]
    session.add(
        MatchSwipe(
            viewer_id=viewer.id,
            shown_id=best.profile.id,
            bot_id=viewer.bot_id,
            verdict=None,
            at=now,
        )
    )
    viewer.last_active_at = now
    common = [k for k in viewer.interests if k in best.profile.interests]
    text = card_text(best.profile, best.km, _, common=common)
    markup = card_buttons(best.profile.id, _)
    metrics.CARDS_SHOWN.inc()
    if best.profile.photos:
        await bot.send_photo(
            chat_id,
            best.profile.photos[0],
            caption=text[:1024],
            reply_markup=markup,
            parse_mode=None,
        )
    else:
        await bot.send_message(chat_id, text, reply_markup=markup, parse_mode=None)


async def _usable_profile(
    message: Message, session: AsyncSession, bot: Bot, _: Translate
) -> MatchProfile | None:
    assert message.from_user is not None
    profile = await get_profile(session, bot.id, message.from_user.id)
    if profile is None or profile.state == ProfileState.DRAFT.value:
        await message.answer(_("match.no_profile"), parse_mode=None)
        return None
    if profile.state == ProfileState.HIDDEN.value:
        await message.answer(_("match.hidden"), parse_mode=None)
        return None
    if profile.state in (ProfileState.PAUSED.value, ProfileState.SLEEPING.value):
        profile.state = ProfileState.ACTIVE.value  # using it wakes it
        profile.paused_until = None
        await message.answer(_("match.resumed"), parse_mode=None)
    return profile


async def match_command(
    message: Message, session: AsyncSession, bot: Bot, platform: PlatformServices, _: Translate
) -> None:
    if message.chat.type != "private":
        await message.answer(_("match.private_only"), parse_mode=None)
        return
    profile = await _usable_profile(message, session, bot, _)
    if profile is not None:
        await show_next(message.chat.id, profile, session, bot, platform, _)


async def _shown_to(
    session: AsyncSession, viewer: MatchProfile, shown_id: int
) -> MatchProfile | None:
    """The profile `shown_id` if it was shown to `viewer` (a forged id finds nothing)."""
    swipe = await session.get(MatchSwipe, (viewer.id, shown_id))
    if swipe is None:
        return None
    return await session.get(MatchProfile, shown_id)


async def card_action(
    query: CallbackQuery,
    callback_data: Card,
    session: AsyncSession,
    bot: Bot,
    platform: PlatformServices,
    _: Translate,
) -> None:
    viewer = await get_profile(session, bot.id, query.from_user.id)
    other = await _shown_to(session, viewer, callback_data.shown) if viewer else None
    if viewer is None or other is None:
        await query.answer(_("match.card.gone"), show_alert=True)
        return
    chat_id = query.message.chat.id if query.message else query.from_user.id
    swipe = await session.get(MatchSwipe, (viewer.id, other.id))
    assert swipe is not None
    action = callback_data.action
    if action == "report":
        rows = [
            [(_(f"match.reason.{r}"), Reason(shown=other.id, reason=r).pack())]
            for r in REPORT_REASONS
        ]
        await query.answer()
        await bot.send_message(
            chat_id, _("match.report.why"), reply_markup=buttons(rows), parse_mode=None
        )
        return
    if action == "block":
        await _block(session, viewer, other)
        await query.answer(_("match.blocked"))
        await show_next(chat_id, viewer, session, bot, platform, _)
        return
    if swipe.verdict is not None:  # answered already (a double tap)
        await query.answer()
        return
    if action == "like":
        allowed, likes = await take_like(session, platform, viewer)
        if not allowed:
            await query.answer(_("match.limit.likes", count=likes), show_alert=True)
            return
        swipe.verdict = Verdict.LIKE.value
        metrics.LIKES.inc()
        await query.answer(_("match.liked"))
        back = await session.get(MatchSwipe, (other.id, viewer.id))
        if back is not None and back.verdict == Verdict.LIKE.value:
            await _introduce(session, bot, platform, viewer, other)
    elif action == "skip":
        swipe.verdict = Verdict.SKIP.value
        await query.answer()
    else:
        await query.answer()
        return
    await show_next(chat_id, viewer, session, bot, platform, _)


async def _block(session: AsyncSession, viewer: MatchProfile, other: MatchProfile) -> None:
    if await session.get(MatchBlock, (viewer.id, other.id)) is None:
        session.add(MatchBlock(blocker_id=viewer.id, blocked_id=other.id))
    swipe = await session.get(MatchSwipe, (viewer.id, other.id))
    if swipe is not None:
        swipe.verdict = Verdict.SKIP.value


def _mention(profile: MatchProfile) -> str:
    return f'<a href="tg://user?id={profile.user_id}">{html.escape(profile.name)}</a>'


async def _introduce(
    session: AsyncSession, bot: Bot, platform: PlatformServices, a: MatchProfile, b: MatchProfile
) -> None:
    first, second = sorted((a, b), key=lambda p: p.id)
    session.add(MatchPair(bot_id=a.bot_id, first_id=first.id, second_id=second.id))
    await session.flush()
    metrics.MUTUAL.inc()
    for me, them in ((a, b), (b, a)):
        locale = await _locale_of(session, me.user_id)
        text = platform.translate("match.mutual", locale, name="{name}")
        await _send_quietly(
            bot, me.user_id, html.escape(text).replace("{name}", _mention(them)), parse_mode="HTML"
        )


async def _locale_of(session: AsyncSession, user_id: int) -> str | None:
    user = await session.get(UserRecord, user_id)
    return (user.language or user.telegram_language) if user else None


async def _send_quietly(bot: Bot, chat_id: int, text: str, **kwargs: Any) -> bool:
    """A message to a user who may have blocked the bot: Forbidden is counted, not raised."""
    try:
        await bot.send_message(chat_id, text, **kwargs)
    except TelegramForbiddenError:
        metrics.UNREACHABLE.inc()
        return False
    return True


async def report_reason(
    query: CallbackQuery,
    callback_data: Reason,
    session: AsyncSession,
    bot: Bot,
    platform: PlatformServices,
    _: Translate,
) -> None:
    viewer = await get_profile(session, bot.id, query.from_user.id)
    other = await _shown_to(session, viewer, callback_data.shown) if viewer else None
    if viewer is None or other is None or callback_data.reason not in REPORT_REASONS:
        await query.answer(_("match.card.gone"), show_alert=True)
        return
    existing = await session.scalar(
        select(MatchReport).where(
            MatchReport.reporter_id == viewer.id, MatchReport.reported_id == other.id
        )
    )
    if existing is None:
        session.add(
            MatchReport(
                bot_id=viewer.bot_id,
                reporter_id=viewer.id,
                reported_id=other.id,
                reason=callback_data.reason,
                card={
                    "name": other.name,
                    "age": other.age,
                    "bio": other.bio,
                    "photos": other.photos,
                },
            )
        )
        other.reports += 1
        metrics.REPORTS.inc()
        if (
            other.reports >= platform.settings.match_reports_to_hide
            and other.state == ProfileState.ACTIVE.value
        ):
            other.state = ProfileState.HIDDEN.value
    await _block(session, viewer, other)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(_("match.report.thanks"), parse_mode=None)
    await show_next(query.from_user.id, viewer, session, bot, platform, _)


# --- /profile, /pause, /resume, /delete, /matches -------------------------------------------


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
    await message.answer(_("match.resumed"), parse_mode=None)


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


async def matches_command(message: Message, session: AsyncSession, bot: Bot, _: Translate) -> None:
    assert message.from_user is not None
    profile = await get_profile(session, bot.id, message.from_user.id)
    if profile is None:
        await message.answer(_("match.no_profile"), parse_mode=None)
        return
    people = await mutual_pairs(session, profile)
    if not people:
        await message.answer(_("match.matches.none"), parse_mode=None)
        return
    lines = [html.escape(_("match.matches.title"))]
    lines += [f"• {_mention(p)}, {p.age}" for p in people]
    await message.answer("\n".join(lines), parse_mode="HTML")


async def reports_command(
    message: Message, session: AsyncSession, bot: Bot, platform: PlatformServices, _: Translate
) -> None:
    if message.from_user is None or message.from_user.id not in platform.owners(bot.id):
        await message.answer(_("core.owner_only"), parse_mode=None)
        return
    pending = list(
        await session.scalars(
            select(MatchReport)
            .where(MatchReport.bot_id == bot.id, MatchReport.reviewed.is_(False))
            .order_by(MatchReport.id)
            .limit(10)
        )
    )
    if not pending:
        await message.answer(_("match.reports.none"), parse_mode=None)
        return
    for report in pending:
        card = report.card or {}
        await message.answer(
            _(
                "match.reports.item",
                name=card.get("name", "?"),
                age=card.get("age", "?"),
                reason=_(f"match.reason.{report.reason}"),
                bio=card.get("bio", ""),
            ),
            reply_markup=buttons(
                [
                    [
                        (
                            _("match.reports.restore"),
                            Review(report=report.id, outcome="restore").pack(),
                        ),
                        (
                            _("match.reports.remove"),
                            Review(report=report.id, outcome="remove").pack(),
                        ),
                    ]
                ]
            ),
            parse_mode=None,
        )


async def review_chosen(
    query: CallbackQuery,
    callback_data: Review,
    session: AsyncSession,
    bot: Bot,
    platform: PlatformServices,
    _: Translate,
) -> None:
    if query.from_user.id not in platform.owners(bot.id):
        await query.answer(_("core.owner_only"), show_alert=True)
        return
    report = await session.get(MatchReport, callback_data.report)
    if (
        report is None
        or report.bot_id != bot.id
        or callback_data.outcome not in ("restore", "remove")
    ):
        await query.answer(_("match.card.gone"), show_alert=True)
        return
    await review(session, report, "restore" if callback_data.outcome == "restore" else "remove")
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(_(f"match.reports.{callback_data.outcome}d"), parse_mode=None)


def make_router() -> Router:
    router = Router(name="match")
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
    router.callback_query.register(card_action, Card.filter())
    router.callback_query.register(report_reason, Reason.filter())
    router.callback_query.register(pause_chosen, Pause.filter())
    router.callback_query.register(delete_confirmed, Confirm.filter())
    router.callback_query.register(review_chosen, Review.filter())
    router.message.register(profile_command, Command("profile"))
    router.message.register(match_command, Command("match"))
    router.message.register(matches_command, Command("matches"))
    router.message.register(pause_command, Command("pause"))
    router.message.register(resume_command, Command("resume"))
    router.message.register(delete_command, Command("delete"))
    router.message.register(reports_command, Command("reports"))
    round_handlers.register(router)
    return GatedRouter(router, commands_or_in_state(*STEPS))
