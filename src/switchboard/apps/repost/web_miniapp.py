"""The repost app's Mini App routes: the user's subscriptions (the feeds and channels they
repost from, with their health), and unsubscribing, as /unsub does (`remove_source`: its
items, routes and deliveries go with it).

Only the caller's sources with this bot are listed or removed; another's is a 404."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel

from switchboard.kernel import AppHttpError, MiniAppUserDep, WebSessionDep

from .models import RepostSource
from .sources import owned_source, remove_source, sources_of


class SubscriptionOut(BaseModel):
    id: int
    kind: str
    title: str
    address: str
    paused: bool
    last_success_at: datetime | None
    last_error: str | None


def _subscription(source: RepostSource) -> SubscriptionOut:
    return SubscriptionOut(
        id=source.id,
        kind=source.kind,
        title=source.title,
        address=source.address,
        paused=source.paused,
        last_success_at=source.last_success_at,
        last_error=source.last_error,
    )


def make_router() -> APIRouter:
    router = APIRouter()

    @router.get("/subscriptions")
    async def subscriptions(user: MiniAppUserDep, session: WebSessionDep) -> list[SubscriptionOut]:
        return [_subscription(s) for s in await sources_of(session, user.bot_id, user.user_id)]

    @router.delete("/subscriptions/{source_id}", status_code=204)
    async def unsubscribe(source_id: int, user: MiniAppUserDep, session: WebSessionDep) -> Response:
        source = await owned_source(session, user.bot_id, user.user_id, source_id)
        if source is None:
            raise AppHttpError(404, "repost.web.no_such_subscription")
        await remove_source(session, source)
        await session.commit()
        return Response(status_code=204)

    return router
