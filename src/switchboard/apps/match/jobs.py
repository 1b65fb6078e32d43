"""The match app's durable jobs: a pause that ends by itself."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiogram.exceptions import TelegramForbiddenError

from switchboard.db import utcnow
from switchboard.kernel import JobContext, JobRegistry, PlatformServices, UserRecord

from . import metrics
from .handlers import RESUME_JOB
from .models import MatchProfile, ProfileState


def register(registry: JobRegistry, services: PlatformServices) -> None:
    @registry.handler(RESUME_JOB)
    async def resume(ctx: JobContext, payload: dict[str, Any]) -> None:
        """Wake a paused profile whose pause ended, and say so (once: the row decides)."""
        async with ctx.session_factory() as session, session.begin():
            profile = await session.get(MatchProfile, int(payload["profile_id"]))
            until = datetime.fromisoformat(str(payload["until"]))
            if (
                profile is None
                or profile.state != ProfileState.PAUSED.value
                or profile.paused_until is None
                or profile.paused_until > max(until, utcnow())
            ):
                return  # resumed, deleted, or paused again for longer meanwhile
            profile.state = ProfileState.ACTIVE.value
            profile.paused_until = None
            user = await session.get(UserRecord, profile.user_id)
            locale = (user.language or user.telegram_language) if user else None
            bot_id, user_id = profile.bot_id, profile.user_id
        try:
            await services.bot(bot_id).send_message(
                user_id, services.translate("match.resumed_auto", locale), parse_mode=None
            )
        except TelegramForbiddenError:
            metrics.UNREACHABLE.inc()
