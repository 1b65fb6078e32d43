"""Rounds in a group, in chat: `/rounds` (admins set the schedule, the group's time zone, or
turn it off; anyone sees the status, admins its participation too), the Join / Leave / Pause
buttons, and the "did you meet?" answers."""

from __future__ import annotations

from datetime import timedelta

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.db import utcnow
from switchboard.kernel import Translate, enqueue, user_timezone_of

from . import metrics
from .models import MatchCommunity, MatchFeedback, MatchMember, MatchRoundGroup
from .rounds import community_stats, parse_schedule, parse_zone, schedule_next, zone_of
from .upkeep import RESUME_JOB

PAUSE_DAYS = 14
ADMINS = ("administrator", "creator")
ZONE_WORDS = ("zone", "timezone", "tz", "пояс")


class Join(CallbackData, prefix="mjoin"):
    community: int
    action: str  # join | leave | pause


class Met(CallbackData, prefix="mmet"):
    group: int
    met: bool


class Stars(CallbackData, prefix="mstar"):
    group: int
    stars: int


def join_buttons(community_id: int, _: Translate) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_("match.rounds.join"),
                    callback_data=Join(community=community_id, action="join").pack(),
                ),
                InlineKeyboardButton(
                    text=_("match.rounds.leave"),
                    callback_data=Join(community=community_id, action="leave").pack(),
                ),
            ],
            [
                InlineKeyboardButton(
                    text=_("match.rounds.pause", count=PAUSE_DAYS),
                    callback_data=Join(community=community_id, action="pause").pack(),
                )
            ],
        ]
    )


async def _community(session: AsyncSession, bot_id: int, chat_id: int) -> MatchCommunity | None:
    return await session.scalar(
        select(MatchCommunity).where(
            MatchCommunity.bot_id == bot_id, MatchCommunity.chat_id == chat_id
        )
    )


async def _is_admin(bot: Bot, chat_id: int, user_id: int) -> bool:
    member = await bot.get_chat_member(chat_id, user_id)
    return member.status in ADMINS


def _next_local(community: MatchCommunity) -> str:
    if community.next_round_at is None:
        return "—"
    return community.next_round_at.astimezone(zone_of(community.timezone)).strftime(
        "%a %d %b %H:%M"
    )


async def _status(
    message: Message,
    community: MatchCommunity | None,
    session: AsyncSession,
    bot: Bot,
    _: Translate,
) -> None:
    """The schedule and counts for anyone; participation too for the group's admins."""
    assert message.from_user is not None
    if community is None or not community.enabled:
        await message.answer(_("match.rounds.off_status"), parse_mode=None)
        return
    stats = await community_stats(session, community.id)
    text = _("match.rounds.status", when=_next_local(community), zone=community.timezone, **stats)
    if await _is_admin(bot, message.chat.id, message.from_user.id):
        people = max(await bot.get_chat_member_count(message.chat.id) - 1, 0)  # less the bot
        share = min(100, round(100 * stats["members"] / people)) if people else 0
        text += "\n" + _(
            "match.rounds.participation",
            members=stats["members"],
            people=people,
            share=share,
            last=stats["last"],
        )
    await message.answer(text, reply_markup=join_buttons(community.id, _), parse_mode=None)


async def _set_zone(
    message: Message, community: MatchCommunity | None, typed: str, session: AsyncSession,
    _: Translate,
) -> None:  # fmt: skip
    """`/rounds zone Europe/Berlin`: the group's own zone; the next round moves to it."""
    zone = parse_zone(typed)
    if zone is None:
        await message.answer(_("match.rounds.bad_zone"), parse_mode=None)
        return
    if community is None:
        await message.answer(_("match.rounds.off_status"), parse_mode=None)
        return
    community.timezone = zone
    if community.enabled:
        await schedule_next(session, community, utcnow())  # the old time's job finds it moved
    await message.answer(
        _("match.rounds.zone_set", zone=zone, when=_next_local(community)), parse_mode=None
    )


async def rounds_command(
    message: Message, command: CommandObject, session: AsyncSession, bot: Bot, _: Translate
) -> None:
    if message.chat.type not in ("group", "supergroup") or message.from_user is None:
        await message.answer(_("match.rounds.group_only"), parse_mode=None)
        return
    community = await _community(session, bot.id, message.chat.id)
    args = (command.args or "").strip()
    if not args:
        await _status(message, community, session, bot, _)
        return
    if not await _is_admin(bot, message.chat.id, message.from_user.id):
        await message.answer(_("match.rounds.admins_only"), parse_mode=None)
        return
    if args.lower() in ("off", "выкл", "stop"):
        if community is not None:
            community.enabled = False
            community.next_round_at = None
        await message.answer(_("match.rounds.turned_off"), parse_mode=None)
        return
    first, _space, rest = args.partition(" ")
    if first.lower() in ZONE_WORDS:
        await _set_zone(message, community, rest, session, _)
        return
    plan = parse_schedule(args)
    if plan is None:
        await message.answer(_("match.rounds.bad_schedule"), parse_mode=None)
        return
    if community is None:
        # A new group's first guess is the zone of the admin who set it up; the group keeps
        # its own from then on (`/rounds zone …`, or a zone at the end of the schedule).
        admin_zone = await user_timezone_of(session, message.from_user.id)
        community = MatchCommunity(
            bot_id=bot.id,
            chat_id=message.chat.id,
            created_by=message.from_user.id,
            feedback_after_days=3,
            timezone=getattr(admin_zone, "key", "UTC"),
        )
        session.add(community)
    community.title = message.chat.title or ""
    community.enabled = True
    community.every_days, community.weekday = plan.every_days, plan.weekday
    community.at_time, community.group_size = plan.at_time, plan.group_size
    if plan.timezone is not None:
        community.timezone = plan.timezone
    await session.flush()
    await schedule_next(session, community, utcnow())
    await message.answer(
        _(
            "match.rounds.enabled",
            when=_next_local(community),
            zone=community.timezone,
            size=community.group_size,
        ),
        reply_markup=join_buttons(community.id, _),
        parse_mode=None,
    )


async def join_tapped(
    query: CallbackQuery, callback_data: Join, session: AsyncSession, bot: Bot, _: Translate
) -> None:
    community = await session.get(MatchCommunity, callback_data.community)
    chat = query.message.chat.id if query.message else None
    if community is None or community.bot_id != bot.id or community.chat_id != chat:
        await query.answer(_("match.card.gone"), show_alert=True)
        return
    user = query.from_user
    member = await session.get(MatchMember, (community.id, user.id))
    if member is None:
        member = MatchMember(community_id=community.id, user_id=user.id, opted_in=False)
        session.add(member)
    member.name = user.full_name[:128]
    if callback_data.action == "join":
        member.opted_in, member.paused_until = True, None
        text = _("match.rounds.joined")
    elif callback_data.action == "leave":
        member.opted_in = False
        text = _("match.rounds.left")
    else:
        member.opted_in = True
        member.paused_until = utcnow() + timedelta(days=PAUSE_DAYS)
        await enqueue(  # its end is a job, which tells the member they are back
            session,
            RESUME_JOB,
            {
                "bot_id": bot.id,
                "user_id": user.id,
                "community_id": community.id,
                "until": member.paused_until.isoformat(),
            },
            run_at=member.paused_until,
        )
        text = _("match.rounds.paused", count=PAUSE_DAYS)
    await query.answer(text, show_alert=True)


async def met_tapped(
    query: CallbackQuery, callback_data: Met, session: AsyncSession, _: Translate
) -> None:
    group = await session.get(MatchRoundGroup, callback_data.group)
    if group is None or query.from_user.id not in group.members:
        await query.answer(_("match.card.gone"), show_alert=True)
        return
    answer = await session.get(MatchFeedback, (group.id, query.from_user.id))
    if answer is None:
        answer = MatchFeedback(group_id=group.id, user_id=query.from_user.id, met=callback_data.met)
        session.add(answer)
        metrics.MEETINGS.labels(met="yes" if callback_data.met else "no").inc()
    answer.met = callback_data.met
    await query.answer()
    if not isinstance(query.message, Message):
        return
    if callback_data.met:
        stars = [
            InlineKeyboardButton(text="★" * n, callback_data=Stars(group=group.id, stars=n).pack())
            for n in range(1, 6)
        ]
        await query.message.edit_text(
            _("match.feedback.rate"),
            reply_markup=InlineKeyboardMarkup(inline_keyboard=[stars[:3], stars[3:]]),
            parse_mode=None,
        )
    else:
        await query.message.edit_text(_("match.feedback.thanks"), parse_mode=None)


async def stars_tapped(
    query: CallbackQuery, callback_data: Stars, session: AsyncSession, _: Translate
) -> None:
    answer = await session.get(MatchFeedback, (callback_data.group, query.from_user.id))
    if answer is None or not 1 <= callback_data.stars <= 5:
        await query.answer(_("match.card.gone"), show_alert=True)
        return
    answer.rating = callback_data.stars
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(_("match.feedback.thanks"), parse_mode=None)


def register(router: Router) -> None:
    router.message.register(rounds_command, Command("rounds"))
    router.callback_query.register(join_tapped, Join.filter())
    router.callback_query.register(met_tapped, Met.filter())
    router.callback_query.register(stars_tapped, Stars.filter())
