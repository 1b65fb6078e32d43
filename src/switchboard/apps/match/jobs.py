"""The match app's durable jobs: pauses that end by themselves, rounds (introductions and
feedback), reports (hiding at K, telling the owners), and the hourly sweep (inactive profiles
reminded once, then asleep; unfinished ones nudged once; the profile gauges counted)."""

from __future__ import annotations

import html
from datetime import datetime, timedelta
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramForbiddenError
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.db import utcnow
from switchboard.kernel import JobContext, JobRegistry, PlatformServices, UserRecord

from . import metrics
from .blocked_bot import blocked_by_user, put_to_sleep
from .contact import contact_link, usernames_of
from .handlers.reports import review_buttons
from .models import (
    MatchCommunity,
    MatchMember,
    MatchProfile,
    MatchRound,
    MatchRoundGroup,
    ProfileState,
)
from .reporting import REPORT_JOB, settle_report
from .round_handlers import Met
from .round_pauses import resume_memberships
from .rounds import FEEDBACK_JOB, INTRODUCE_JOB, ROUND_JOB, run_round
from .upkeep import NUDGE_AFTER, RESUME_JOB, SWEEP_JOB, SleepTimings


async def _locale(session: AsyncSession, user_id: int) -> str | None:
    user = await session.get(UserRecord, user_id)
    return (user.language or user.telegram_language) if user else None


ACTIVE_WITHIN = timedelta(days=7)  # "active users": used the app in the last week


async def count_profiles(session: AsyncSession, now: datetime) -> None:
    """Set the profile gauges: profiles by state, and active users (one index range each)."""
    by_state = dict(
        (
            await session.execute(
                select(MatchProfile.state, func.count()).group_by(MatchProfile.state)
            )
        )
        .tuples()
        .all()
    )
    for state in ProfileState:
        metrics.PROFILES.labels(state=state.value).set(by_state.get(state.value, 0))
    active = await session.scalar(
        select(func.count())
        .select_from(MatchProfile)
        .where(
            MatchProfile.state == ProfileState.ACTIVE.value,
            MatchProfile.last_active_at > now - ACTIVE_WITHIN,
        )
    )
    metrics.ACTIVE_USERS.set(active or 0)


async def _send(
    bot: Bot,
    sessions: async_sessionmaker[AsyncSession],
    chat_id: int,
    text: str,
    **kwargs: Any,
) -> bool:
    """Send, or skip a user the bot may not write to (counted, never retried); one who blocked
    the bot has their profile put to sleep."""
    try:
        await bot.send_message(chat_id, text, **kwargs)
    except TelegramForbiddenError as error:  # blocked the bot, or never started it
        metrics.UNREACHABLE.inc()
        if blocked_by_user(error):
            async with sessions() as session, session.begin():
                await put_to_sleep(session, bot.id, chat_id)
        return False
    return True


def register(registry: JobRegistry, services: PlatformServices) -> None:
    def t(key: str, locale: str | None, **params: Any) -> str:
        return services.translate(key, locale, **params)

    @registry.handler(RESUME_JOB)
    async def resume(ctx: JobContext, payload: dict[str, Any]) -> None:
        """End a pause: the profile's (`profile_id`) and the user's rounds (all of the bot's
        groups, or `community_id`'s), and say so once (the rows decide: a pause resumed or
        taken again for longer meanwhile is left alone)."""
        until = datetime.fromisoformat(str(payload["until"]))
        ended_by = max(until, utcnow())
        async with ctx.session_factory() as session, session.begin():
            profile_id = payload.get("profile_id")
            profile = await session.get(MatchProfile, int(profile_id)) if profile_id else None
            if "user_id" in payload:
                bot_id, user_id = int(payload["bot_id"]), int(payload["user_id"])
            elif profile is not None:  # queued before pauses covered rounds
                bot_id, user_id = profile.bot_id, profile.user_id
            else:
                return
            woke = (
                profile is not None
                and profile.state == ProfileState.PAUSED.value
                and profile.paused_until is not None
                and profile.paused_until <= ended_by
            )
            if profile is not None and woke:
                profile.state = ProfileState.ACTIVE.value
                profile.paused_until = None
            community = payload.get("community_id")
            titles = await resume_memberships(
                session,
                bot_id,
                user_id,
                ended_by=ended_by,
                community_id=None if community is None else int(community),
            )
            locale = await _locale(session, user_id)
        lines = [t("match.resumed_auto", locale)] if woke else []
        if titles:
            lines.append(t("match.rounds.resumed_auto", locale, groups=", ".join(titles)))
        if lines:
            await _send(
                services.bot(bot_id),
                ctx.session_factory,
                user_id,
                "\n".join(lines),
                parse_mode=None,
            )

    @registry.handler(ROUND_JOB)
    async def round_due(ctx: JobContext, payload: dict[str, Any]) -> None:
        async with ctx.session_factory() as session, session.begin():
            await run_round(
                session,
                int(payload["community_id"]),
                datetime.fromisoformat(str(payload["at"])),
                utcnow(),
            )

    @registry.handler(INTRODUCE_JOB)
    async def introduce(ctx: JobContext, payload: dict[str, Any]) -> None:
        """Tell each group's members privately who they meet; each group marked once told."""
        async with ctx.session_factory() as session:
            made = await session.get(MatchRound, int(payload["round_id"]))
            community = await session.get(MatchCommunity, made.community_id) if made else None
            if made is None or community is None:
                return
            groups = list(
                await session.scalars(
                    select(MatchRoundGroup).where(
                        MatchRoundGroup.round_id == made.id, MatchRoundGroup.introduced.is_(False)
                    )
                )
            )
            names = {
                m.user_id: m.name
                for m in await session.scalars(
                    select(MatchMember).where(MatchMember.community_id == community.id)
                )
            }
            locales = {u: await _locale(session, u) for g in groups for u in g.members}
            usernames = await usernames_of(session, (u for g in groups for u in g.members))
        bot = services.bot(community.bot_id)
        for group in groups:
            for user_id in group.members:
                others = ", ".join(
                    contact_link(o, names.get(o, ""), usernames.get(o))
                    for o in group.members
                    if o != user_id
                )
                key = "match.round.odd" if user_id == made.odd_user_id else "match.round.intro"
                text = html.escape(t(key, locales[user_id], group="{group}", people="{people}"))
                text = text.replace("{group}", html.escape(community.title)).replace(
                    "{people}", others
                )
                await _send(bot, ctx.session_factory, user_id, text, parse_mode="HTML")
            async with ctx.session_factory() as session, session.begin():
                stored = await session.get(MatchRoundGroup, group.id)
                if stored is not None:
                    stored.introduced = True

    @registry.handler(FEEDBACK_JOB)
    async def feedback(ctx: JobContext, payload: dict[str, Any]) -> None:
        """Ask each member of each group whether they met."""
        async with ctx.session_factory() as session:
            made = await session.get(MatchRound, int(payload["round_id"]))
            community = await session.get(MatchCommunity, made.community_id) if made else None
            if made is None or community is None:
                return
            groups = list(
                await session.scalars(
                    select(MatchRoundGroup).where(
                        MatchRoundGroup.round_id == made.id,
                        MatchRoundGroup.feedback_asked.is_(False),
                    )
                )
            )
            locales = {u: await _locale(session, u) for g in groups for u in g.members}
        bot = services.bot(community.bot_id)
        for group in groups:
            for user_id in group.members:
                locale = locales[user_id]
                buttons = InlineKeyboardMarkup(
                    inline_keyboard=[
                        [
                            InlineKeyboardButton(
                                text=t("match.feedback.yes", locale),
                                callback_data=Met(group=group.id, met=True).pack(),
                            ),
                            InlineKeyboardButton(
                                text=t("match.feedback.no", locale),
                                callback_data=Met(group=group.id, met=False).pack(),
                            ),
                        ]
                    ]
                )
                await _send(
                    bot,
                    ctx.session_factory,
                    user_id,
                    t("match.feedback.ask", locale, group=community.title),
                    reply_markup=buttons,
                    parse_mode=None,
                )
            async with ctx.session_factory() as session, session.begin():
                stored = await session.get(MatchRoundGroup, group.id)
                if stored is not None:
                    stored.feedback_asked = True

    @registry.handler(REPORT_JOB)
    async def report_filed(ctx: JobContext, payload: dict[str, Any]) -> None:
        """Hide the reported profile at K reports, and tell the bot's owners (with the review
        buttons of /reports)."""
        async with ctx.session_factory() as session, session.begin():
            settled = await settle_report(
                session, int(payload["report_id"]), services.settings.match_reports_to_hide
            )
            if settled is None:
                return
            owners = {o: await _locale(session, o) for o in services.owners(settled.bot_id)}
        try:
            bot = services.bot(settled.bot_id)
        except LookupError:
            return  # the bot was removed meanwhile
        for owner, locale in sorted(owners.items()):
            _ = services.translator.bind(locale)
            notice = _(
                "match.report.owner_notice",
                name=settled.name,
                age=settled.age,
                reason=_(f"match.reason.{settled.reason}"),
                count=settled.reports,
            )
            more = _(
                "match.report.owner_hidden" if settled.hidden else "match.report.owner_visible"
            )
            await _send(
                bot,
                ctx.session_factory,
                owner,
                f"{notice}\n{more}",
                reply_markup=review_buttons(settled.report_id, _),
                parse_mode=None,
            )

    @registry.handler(SWEEP_JOB)
    async def sweep(ctx: JobContext, payload: dict[str, Any]) -> None:
        """Remind profiles inactive for a while once (`SleepTimings`), put those inactive for
        the sleep time to sleep, nudge unfinished ones once (the hourly `upkeep.SWEEP`)."""
        now = utcnow()
        timings = SleepTimings.of(services.settings)
        reminder_days = (timings.sleep_after - timings.remind_after).days
        tell: list[tuple[int, int, str, str | None]] = []
        async with ctx.session_factory() as session, session.begin():
            active = ProfileState.ACTIVE.value
            to_warn = await session.scalars(
                select(MatchProfile).where(
                    MatchProfile.state == active,
                    MatchProfile.last_active_at <= now - timings.remind_after,
                    MatchProfile.sleep_warned_at.is_(None),
                )
            )
            for profile in to_warn:
                profile.sleep_warned_at = now
                tell.append((profile.bot_id, profile.user_id, "match.sweep.warn", None))
            asleep = await session.scalars(
                select(MatchProfile).where(
                    MatchProfile.state == active,
                    MatchProfile.last_active_at <= now - timings.sleep_after,
                    # the reminder's days have passed too (a late reminder keeps its word)
                    MatchProfile.sleep_warned_at <= now - timedelta(days=reminder_days),
                )
            )
            for profile in asleep:
                profile.state = ProfileState.SLEEPING.value
            drafts = await session.scalars(
                select(MatchProfile).where(
                    MatchProfile.state == ProfileState.DRAFT.value,
                    MatchProfile.created_at <= now - NUDGE_AFTER,
                    MatchProfile.nudged_at.is_(None),
                )
            )
            for profile in drafts:
                profile.nudged_at = now
                tell.append((profile.bot_id, profile.user_id, "match.sweep.nudge", None))
            tell = [(b, u, k, await _locale(session, u)) for b, u, k, _ in tell]
            await count_profiles(session, now)
        for bot_id, user_id, key, locale in tell:
            try:
                bot = services.bot(bot_id)
            except LookupError:
                continue
            await _send(
                bot,
                ctx.session_factory,
                user_id,
                t(key, locale, count=reminder_days),
                parse_mode=None,
            )
