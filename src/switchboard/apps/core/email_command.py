"""`/email`: an owner's addresses for alerts (and the weekly digest) by email.

    /email                       the addresses and their state
    /email ann@example.com       add one: a link to confirm it is sent there
    /email remove ann@example.com
    /email digest on|off         the weekly digest to the confirmed addresses

Only a bot's owners, in a private chat: the alerts are about their bots. Nothing but the
confirmation goes to an address until its link is opened (`switchboard.kernel`'s email).
"""

from __future__ import annotations

from aiogram import Bot
from aiogram.filters import CommandObject
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel import (
    AddressError,
    Owner,
    PlatformServices,
    Translate,
    add_address,
    addresses_of,
    email_sender,
    remove_address,
    set_digest,
)

_ON = frozenset({"on", "вкл", "да"})
_OFF = frozenset({"off", "выкл", "нет"})


async def email_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    platform: PlatformServices,
    bot: Bot,
    _: Translate,
) -> None:
    user = message.from_user
    if user is None or user.id not in platform.owners(bot.id):
        await message.answer(_("core.owner_only"))
        return
    if message.chat.type != "private":
        await message.answer(_("core.email.private_only"), parse_mode=None)
        return
    if email_sender(platform.settings) is None:
        await message.answer(_("core.email.unavailable"), parse_mode=None)
        return
    owner = Owner(telegram_user_id=user.id)
    words = (command.args or "").split()
    if not words:
        await message.answer(await _listing(session, owner, _), parse_mode=None)
        return
    verb = words[0].lower()
    if verb in ("remove", "удалить") and len(words) == 2:
        removed = await remove_address(session, owner, words[1])
        key = "core.email.removed" if removed else "core.email.not_found"
        await message.answer(_(key, address=words[1][:100]), parse_mode=None)
        return
    if verb in ("digest", "сводка") and len(words) == 2 and words[1].lower() in _ON | _OFF:
        on = words[1].lower() in _ON
        changed = await set_digest(session, owner, on)
        if not changed and not any(r.confirmed_at for r in await addresses_of(session, owner)):
            await message.answer(_("core.email.digest_needs_address"), parse_mode=None)
            return
        await message.answer(_("core.email.digest_on" if on else "core.email.digest_off"))
        return
    if len(words) != 1:
        await message.answer(_("core.email.usage"), parse_mode=None)
        return
    try:
        row, added = await add_address(session, owner, words[0], language=user.language_code)
    except AddressError:
        await message.answer(_("core.email.invalid", value=words[0][:100]), parse_mode=None)
        return
    await message.answer(_(f"core.email.{added.value}", address=row.address), parse_mode=None)


async def _listing(session: AsyncSession, owner: Owner, _: Translate) -> str:
    rows = await addresses_of(session, owner)
    if not rows:
        return _("core.email.none")
    lines = [_("core.email.list_title")]
    for row in rows:
        if row.confirmed_at is None:
            state = _("core.email.state.pending")
        elif row.alerts_unsubscribed_at is not None:
            state = _("core.email.state.unsubscribed")
        else:
            state = _("core.email.state.confirmed")
        digest = _("core.email.state.digest") if row.digest_since is not None else ""
        lines.append(f"• {row.address}: {state}{digest}")
    lines.append("")
    lines.append(_("core.email.usage"))
    return "\n".join(lines)
