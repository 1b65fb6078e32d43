"""Invitations, and who may add bots on the web.

With WEB_INVITE_ONLY on, adding a bot takes an invite: an admin makes a code
(`POST /api/v1/invites`), gives it to someone, and they accept it logged in. Admins need none,
nor do people who already manage a bot (an owner named with `bots add --owner`, or someone
who added one before the setting was turned on).
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import exists, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel.accounts import Invite
from switchboard.settings import Settings
from switchboard.web.deps import Principal

__all__ = ["InviteRefused", "accept_invite", "create_invite", "may_add_bots"]


class InviteRefused(Exception):
    def __init__(self, status: int, reason: str, code: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.code = code


async def may_add_bots(session: AsyncSession, principal: Principal, settings: Settings) -> bool:
    """Whether `principal` may add a bot (the quota is checked apart from this)."""
    if principal.is_admin or not settings.web_invite_only or principal.managed_bot_ids:
        return True
    accepted = await session.scalar(select(exists().where(Invite.used_by == principal.account_id)))
    return bool(accepted)


async def create_invite(session: AsyncSession, created_by: int) -> str:
    code = secrets.token_urlsafe(18)
    session.add(Invite(code=code, created_by=created_by))
    await session.commit()
    return code


async def accept_invite(session: AsyncSession, code: str, account_id: int, now: datetime) -> None:
    """Mark `code` used by `account_id` (again by the same account: nothing changes)."""
    result = await session.execute(
        update(Invite)
        .where(Invite.code == code, Invite.used_by.is_(None))
        .values(used_by=account_id, used_at=now)
    )
    assert isinstance(result, CursorResult)
    if result.rowcount == 1:
        await session.commit()
        return
    await session.rollback()
    invite = await session.get(Invite, code)
    if invite is None:
        raise InviteRefused(404, "no such invite", "no_such_invite")
    if invite.used_by != account_id:
        raise InviteRefused(409, "this invite has been used", "invite_used")
