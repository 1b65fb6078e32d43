"""The `/alerts` command's handler (the rules are in `alert_settings`)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel import PlatformServices, Translate, email_sender

from .alert_settings import apply_alerts_command


async def alerts(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    platform: PlatformServices,
    _: Translate,
) -> None:
    if message.from_user is None or message.bot is None:
        return
    if message.chat.type != "private":
        await message.answer(_("repost.alerts.private_only"), parse_mode=None)
        return
    reply = await apply_alerts_command(
        session,
        message.bot.id,
        message.from_user.id,
        command.args or "",
        email_available=email_sender(platform.settings) is not None,
    )
    params = dict(reply.params)
    email_key = params.pop("email_key", None)
    if isinstance(email_key, str):
        params["email_line"] = _(email_key, email=params.get("email", ""))
    await message.answer(_(reply.key, **params), parse_mode=None)


def make_alerts_router() -> Router:
    router = Router(name="repost.alerts")
    router.message.register(alerts, Command("alerts"))
    return router
