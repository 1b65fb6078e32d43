"""The delivery part's jobs: `repost.route` (decide each new item for each route) and
`repost.post` (send a target's queued deliveries)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiogram import Bot

from switchboard.kernel import JobCalls, JobContext, JobRegistry, PlatformServices, UserRecord

from .posting import Poster
from .routing import POST_JOB, ROUTE_JOB, route_source
from .topic_handlers import retry_markup

__all__ = ["register_delivery_jobs"]


def register_delivery_jobs(registry: JobRegistry, services: PlatformServices) -> None:
    calls = JobCalls(
        services.session_factory,
        lease=timedelta(seconds=services.settings.outbox_lease_seconds),
    )

    async def tell(
        bot: Bot, user_id: int, key: str, *, retry_topic: int | None = None, **params: Any
    ) -> None:
        """Send the owner a notice in their language; `retry_topic`: with the button that
        has an unknown topic made again."""
        async with services.session_factory() as session:
            user = await session.get(UserRecord, user_id)
            locale = (user.language or user.telegram_language) if user else None
        markup = None
        if retry_topic is not None:
            label = services.translate("repost.button.topic_retry", locale)
            markup = retry_markup(retry_topic, label)
        await bot.send_message(
            user_id,
            services.translate(key, locale, **params),
            parse_mode="HTML",
            reply_markup=markup,
        )

    poster = Poster(
        services.session_factory, calls, services.bot, tell, translate=services.translate
    )

    async def route(ctx: JobContext, payload: dict[str, Any]) -> None:
        await route_source(ctx.session_factory, int(payload["source_id"]))

    async def post(ctx: JobContext, payload: dict[str, Any]) -> None:
        if "bot_id" in payload:
            await poster.sweep(int(payload["bot_id"]))
        else:  # a capped target's window opened
            await poster.post_target(int(payload["target_id"]))

    registry.register(ROUTE_JOB, route)
    registry.register(POST_JOB, post)
