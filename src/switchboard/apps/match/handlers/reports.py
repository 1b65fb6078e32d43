"""Reports and blocks: a user reports a card (which blocks it too; `reporting` hides and tells
the owners in a job) or blocks it; the owner's /reports reviews what was reported, restoring or
removing the profile."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel import PlatformServices, Translate

from ..cards import buttons
from ..models import MatchBlock, MatchProfile, MatchReport, MatchSwipe, Verdict
from ..profiles import get_profile
from ..reporting import file_report
from ..reviews import review
from .deck import show_next, shown_to

REPORT_REASONS = ("spam", "fake", "offensive", "underage", "other")


class Reason(CallbackData, prefix="mrep"):
    shown: int
    reason: str


class Review(CallbackData, prefix="mrev"):
    report: int
    outcome: str  # restore | remove


def review_buttons(report_id: int, _: Translate) -> InlineKeyboardMarkup:
    """The owner's choice for a report: restore the profile, or keep it hidden."""
    return buttons(
        [
            [
                (_("match.reports.restore"), Review(report=report_id, outcome="restore").pack()),
                (_("match.reports.remove"), Review(report=report_id, outcome="remove").pack()),
            ]
        ]
    )


async def block(session: AsyncSession, viewer: MatchProfile, other: MatchProfile) -> None:
    if await session.get(MatchBlock, (viewer.id, other.id)) is None:
        session.add(MatchBlock(blocker_id=viewer.id, blocked_id=other.id))
    swipe = await session.get(MatchSwipe, (viewer.id, other.id))
    if swipe is not None:
        swipe.verdict = Verdict.SKIP.value


async def report_reason(
    query: CallbackQuery,
    callback_data: Reason,
    session: AsyncSession,
    bot: Bot,
    platform: PlatformServices,
    _: Translate,
) -> None:
    viewer = await get_profile(session, bot.id, query.from_user.id)
    other = await shown_to(session, viewer, callback_data.shown) if viewer else None
    if viewer is None or other is None or callback_data.reason not in REPORT_REASONS:
        await query.answer(_("match.card.gone"), show_alert=True)
        return
    await file_report(session, viewer, other, callback_data.reason)
    await block(session, viewer, other)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(_("match.report.thanks"), parse_mode=None)
    await show_next(query.from_user.id, viewer, session, bot, platform, _)


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
            reply_markup=review_buttons(report.id, _),
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
    router = Router(name="match.reports")
    router.message.register(reports_command, Command("reports"))
    router.callback_query.register(report_reason, Reason.filter())
    router.callback_query.register(review_chosen, Review.filter())
    return router
