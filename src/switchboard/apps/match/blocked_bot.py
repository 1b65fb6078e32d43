"""A user who blocked the bot (issue 16: "a user who blocked the bot is skipped and never
crashes a flow"): their profile goes to sleep, so nobody is shown a card no like can ever
reach. Telegram says so twice: a `my_chat_member` update when they block it, and
`Forbidden: bot was blocked by the user` on the next message to them (a job's send counts
it and goes on; it is never retried). A sleeping profile wakes on the user's next visit.
"""

from __future__ import annotations

from aiogram.exceptions import TelegramForbiddenError
from sqlalchemy.ext.asyncio import AsyncSession

from .models import ProfileState
from .profiles import get_profile

BLOCKED = "bot was blocked by the user"


def blocked_by_user(error: TelegramForbiddenError) -> bool:
    """Forbidden because the user blocked the bot (not, say, because they never started it)."""
    return BLOCKED in error.message


async def put_to_sleep(session: AsyncSession, bot_id: int, user_id: int) -> bool:
    """Take the user's profile out of the search (until they come back); whether it was in."""
    profile = await get_profile(session, bot_id, user_id)
    if profile is None or profile.state != ProfileState.ACTIVE.value:
        return False
    profile.state = ProfileState.SLEEPING.value
    return True
