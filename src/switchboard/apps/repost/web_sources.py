"""The repost page's sources (`/api/v1/bots/{bot_id}/repost/sources`): listed with their
health, a feed added, paused or resumed, removed — through the same service functions as
/sub, /source and /unsub in the chat, so the web and the bot keep one set of rules: the feed
is fetched and parsed before anything is written, a source is added once per user, and the
user's limit and the bot's quota (`WEB_MAX_SOURCES_PER_BOT`, the admin's) hold.

A source added here is the caller's (their Telegram id is its owner's, as if they had sent
/sub): its posts go to their private chat with the bot, or into `target_id`, one of the bot's
targets. A login without a Telegram id (OpenID) is told to link one first.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, cast

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from switchboard.kernel import AppHttpError, FetchError, WebOwnerDep, WebSessionDep
from switchboard.settings import Settings

from .feed_jobs import feed_fetcher
from .feed_parser import FeedError
from .feed_polling import error_code
from .models import RepostSource, RepostTarget
from .routing import add_route
from .sources import (
    MAX_FIRST_ITEMS,
    SourceExists,
    TooManySources,
    add_feed_source,
    default_route,
    remove_source,
    set_paused,
)

__all__ = ["Source", "SourceHealth", "add_source_routes", "source_out"]

RowId = Annotated[int, Path(ge=1, le=2**63 - 1)]


class SourceHealth(BaseModel):
    last_polled_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    consecutive_failures: int
    paused: bool
    paused_reason: str | None  # owner | failing


class Source(BaseModel):
    id: int
    kind: str
    address: str
    title: str
    owner_id: int
    interval_seconds: int
    items_seen: int
    first_items: int = Field(description="the newest items posted when the source is added")
    health: SourceHealth


class NewSource(BaseModel):
    url: str = Field(min_length=1, max_length=2000, description="an RSS, Atom or JSON feed")
    target_id: int | None = Field(
        default=None, ge=1, le=2**63 - 1, description="one of the bot's targets; null: the "
        "caller's private chat with the bot"
    )  # fmt: skip


class SourceChange(BaseModel):
    paused: bool


class FirstItemsChange(BaseModel):
    first_items: int = Field(ge=0, le=MAX_FIRST_ITEMS)
    pending: bool = Field(
        default=False,
        description="true while the source's first fetch is still ahead (the only time it "
        "counts: later polls post every new item)",
    )


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def source_out(row: RepostSource) -> Source:
    return Source(
        id=row.id,
        kind=row.kind,
        address=row.address,
        title=row.title,
        owner_id=row.owner_id,
        interval_seconds=row.interval_seconds,
        items_seen=row.items_seen,
        first_items=row.first_items,
        health=SourceHealth(
            last_polled_at=_aware(row.last_polled_at),
            last_success_at=_aware(row.last_success_at),
            last_error=row.last_error,
            consecutive_failures=row.consecutive_failures,
            paused=row.paused,
            paused_reason=row.paused_reason,
        ),
    )


def _settings(request: Request) -> Settings:
    return cast(Settings, request.app.state.platform.settings)


async def _source(session: WebSessionDep, bot_id: int, source_id: int) -> RepostSource:
    source = await session.get(RepostSource, source_id)
    if source is None or source.bot_id != bot_id:
        raise AppHttpError(404, "repost.web.no_such_source")
    return source


def add_source_routes(router: APIRouter) -> None:
    @router.get("/sources")
    async def sources(bot_id: int, session: WebSessionDep) -> list[Source]:
        """The bot's sources, oldest first, with how their polling goes."""
        rows = await session.scalars(
            select(RepostSource).where(RepostSource.bot_id == bot_id).order_by(RepostSource.id)
        )
        return [source_out(row) for row in rows]

    @router.post("/sources", status_code=201)
    async def add_source(
        bot_id: int, body: NewSource, request: Request, session: WebSessionDep, caller: WebOwnerDep
    ) -> Source:
        """Add a feed as the caller's source (fetched once first: a link that is no feed is
        a 400 with the reason); 409 if they have it, 403 past the limits or with no Telegram id."""
        if caller.telegram_user_id is None:
            raise AppHttpError(403, "repost.web.telegram_needed")
        target = None
        if body.target_id is not None:
            target = await session.get(RepostTarget, body.target_id)
            if target is None or target.bot_id != bot_id:
                raise AppHttpError(404, "repost.web.no_such_target")
        settings = _settings(request)
        try:
            source = await add_feed_source(
                session, feed_fetcher(settings.repost_allow_private_feeds), bot_id,
                caller.telegram_user_id, body.url,
                sources_per_bot=settings.web_max_sources_per_bot,
            )  # fmt: skip
        except (FetchError, FeedError) as error:
            reason = error_code(error).partition(":")[0]
            raise AppHttpError(400, f"repost.error.{reason}", code="feed_refused") from None
        except SourceExists as exists:
            raise AppHttpError(409, "repost.web.source_exists", id=exists.source.id) from None
        except TooManySources as full:
            if full.per_bot:
                raise AppHttpError(403, "repost.web.source_quota", count=full.limit) from None
            raise AppHttpError(403, "repost.web.too_many_sources", count=full.limit) from None
        if target is None:
            await default_route(session, source)
        else:
            await add_route(session, source, target)
        await session.commit()
        return source_out(source)

    @router.patch("/sources/{source_id}")
    async def change_source(
        bot_id: int, source_id: RowId, change: SourceChange, session: WebSessionDep
    ) -> Source:
        """Pause or resume a source (resumed: polled at once, its failures forgiven)."""
        source = await _source(session, bot_id, source_id)
        await set_paused(session, source, change.paused)
        await session.commit()
        return source_out(source)

    @router.delete("/sources/{source_id}", status_code=204)
    async def delete_source(bot_id: int, source_id: RowId, session: WebSessionDep) -> Response:
        """Remove a source with its items, routes and deliveries."""
        await remove_source(session, await _source(session, bot_id, source_id))
        await session.commit()
        return Response(status_code=204)

    @router.put("/sources/{source_id}/first_items")
    async def set_first_items(
        bot_id: int, source_id: RowId, change: FirstItemsChange, session: WebSessionDep
    ) -> FirstItemsChange:
        """How many of the newest items the source's first fetch posts (0 to 20; 1 by
        default), as `/sub URL first=N` sets it: for a source imported from OPML and not
        fetched yet. Once fetched it changes nothing (`pending` says which)."""
        row = await _source(session, bot_id, source_id)
        row.first_items = change.first_items
        pending = row.last_success_at is None and not (row.extra or {}).get("baselined")
        await session.commit()
        return FirstItemsChange(first_items=change.first_items, pending=pending)
