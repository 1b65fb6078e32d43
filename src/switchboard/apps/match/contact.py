"""How one person is named to another in an introduction: a link they can tap to write.

A `tg://user?id=` mention is dropped by Telegram (shown as plain text) when the person's
privacy settings forbid links to their account, so a mutual like could end with no way to
reach each other. A public username always works: with one, the name links to
`https://t.me/<username>` and the `@username` is shown too; without one, the mention is the
only link there is. Usernames are the ones Telegram last sent (the kernel's `UserRecord`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel import UserRecord

__all__ = ["contact_link", "usernames_of"]

_USERNAME = re.compile(r"^[A-Za-z0-9_]{4,32}$")


def contact_link(user_id: int, name: str, username: str | None) -> str:
    """HTML naming the person with a link to write to them."""
    shown = html.escape(name or str(user_id))
    if username and _USERNAME.match(username):
        return f'<a href="https://t.me/{username}">{shown}</a> (@{username})'
    return f'<a href="tg://user?id={user_id}">{shown}</a>'


async def usernames_of(session: AsyncSession, user_ids: Iterable[int]) -> dict[int, str | None]:
    wanted = set(user_ids)
    if not wanted:
        return {}
    rows = await session.execute(
        select(UserRecord.id, UserRecord.username).where(UserRecord.id.in_(wanted))
    )
    return dict(rows.tuples().all())
