"""The last router: a command no app handled gets a helpful reply instead of silence."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import Message

from switchboard.kernel.filters import UnknownCommand
from switchboard.kernel.i18n import Translate


async def unknown_command(message: Message, _: Translate) -> None:
    command = (message.text or "").split()[0].split("@")[0]
    await message.answer(_("kernel.unknown_command", command=command), parse_mode=None)


def make_fallback_router() -> Router:
    router = Router(name="fallback")
    router.message.register(unknown_command, UnknownCommand())
    return router
