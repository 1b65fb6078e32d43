"""The repost page of the owner's dashboard (`/api/v1/bots/{bot_id}/repost/`): the bot's
sources with their health, its targets with their routes' filters, each target's template
(read, changed, previewed through the app's own renderer) and the log of deliveries.

The web layer mounts this behind the check that the caller manages the bot: every source,
target and delivery of the bot is theirs to see, whichever of its owners added it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from switchboard.kernel import AppHttpError, WebSessionDep

from .models import (
    RepostDelivery,
    RepostItem,
    RepostRoute,
    RepostSource,
    RepostTarget,
    RepostTopic,
)
from .rendering import DEFAULT_TEMPLATE, TEMPLATE_LIMIT, TemplateRefused, render_item
from .sources import MAX_FIRST_ITEMS

__all__ = ["make_owner_router"]

RowId = Annotated[int, Path(ge=1, le=2**63 - 1)]  # a row's id: no query for what cannot be one


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


class FirstItemsChange(BaseModel):
    first_items: int = Field(ge=0, le=MAX_FIRST_ITEMS)
    pending: bool = Field(
        default=False,
        description="true while the source's first fetch is still ahead (the only time it "
        "counts: later polls post every new item)",
    )


class Route(BaseModel):
    id: int
    source_id: int
    include: list[dict[str, str]]
    exclude: list[dict[str, str]]
    template: str | None
    cap_per_hour: int | None
    digest: bool
    paused: bool


class SourceTopic(BaseModel):
    source_id: int
    name: str
    thread_id: int | None = Field(description="null until Telegram answered")
    state: str = Field(description="calling | unknown (the owner is asked) | made")


class Target(BaseModel):
    id: int
    chat_id: int
    thread_id: int
    kind: str
    title: str
    owner_id: int
    topic_per_source: bool
    topics: list[SourceTopic]
    routes: list[Route]


class TopicsChange(BaseModel):
    topic_per_source: bool


class Template(BaseModel):
    template: str | None = Field(
        description="the target's routes' template; null: the default (or routes disagree)"
    )
    default_template: str = DEFAULT_TEMPLATE
    routes: int = 0
    mixed: bool = False


class TemplateChange(BaseModel):
    template: str | None = Field(max_length=TEMPLATE_LIMIT, description="null or empty: default")


class PreviewItem(BaseModel):
    title: str = "Title"
    link: str = "https://example.org/"
    summary: str = ""
    author: str = ""
    tags: list[str] = []
    published: datetime | None = None
    source: str = "Source"


class PreviewRequest(BaseModel):
    template: str = Field(max_length=TEMPLATE_LIMIT)
    item: PreviewItem | None = Field(
        default=None, description="what to render; by default the bot's newest item, or a sample"
    )


class Preview(BaseModel):
    html: str


class Delivery(BaseModel):
    id: int
    state: str
    reason: str | None
    detail: str | None
    target_id: int
    thread_id: int | None
    target_title: str
    item_title: str
    item_url: str
    created_at: datetime
    posted_at: datetime | None


class Deliveries(BaseModel):
    items: list[Delivery]
    total: int
    page: int
    per_page: int


async def _target(session: WebSessionDep, bot_id: int, target_id: int) -> RepostTarget:
    target = await session.get(RepostTarget, target_id)
    if target is None or target.bot_id != bot_id:
        raise AppHttpError(404, "repost.web.no_such_target")
    return target


async def _routes_of(session: WebSessionDep, target_id: int) -> list[RepostRoute]:
    query = select(RepostRoute).where(RepostRoute.target_id == target_id).order_by(RepostRoute.id)
    return list((await session.scalars(query)).all())


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def make_owner_router() -> APIRouter:
    router = APIRouter()

    @router.get("/sources")
    async def sources(bot_id: int, session: WebSessionDep) -> list[Source]:
        """The bot's sources, oldest first, with how their polling goes."""
        rows = await session.scalars(
            select(RepostSource).where(RepostSource.bot_id == bot_id).order_by(RepostSource.id)
        )
        return [
            Source(
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
            for row in rows
        ]

    @router.put("/sources/{source_id}/first_items")
    async def set_first_items(
        bot_id: int, source_id: RowId, change: FirstItemsChange, session: WebSessionDep
    ) -> FirstItemsChange:
        """How many of the newest items the source's first fetch posts (0 to 20; 1 by
        default), as `/sub URL first=N` sets it: for a source imported from OPML and not
        fetched yet. Once fetched it changes nothing (`pending` says which)."""
        row = await session.get(RepostSource, source_id)
        if row is None or row.bot_id != bot_id:
            raise AppHttpError(404, "repost.web.no_such_source")
        row.first_items = change.first_items
        pending = row.last_success_at is None and not (row.extra or {}).get("baselined")
        await session.commit()
        return FirstItemsChange(first_items=change.first_items, pending=pending)

    @router.get("/targets")
    async def targets(bot_id: int, session: WebSessionDep) -> list[Target]:
        """The bot's targets, each with its routes (which source, filters, template)."""
        rows = list(
            await session.scalars(
                select(RepostTarget).where(RepostTarget.bot_id == bot_id).order_by(RepostTarget.id)
            )
        )
        routes: dict[int, list[Route]] = {row.id: [] for row in rows}
        topics: dict[int, list[SourceTopic]] = {row.id: [] for row in rows}
        if rows:
            for topic in await session.scalars(
                select(RepostTopic)
                .where(RepostTopic.target_id.in_(list(topics)))
                .order_by(RepostTopic.id)
            ):
                topics[topic.target_id].append(
                    SourceTopic(
                        source_id=topic.source_id,
                        name=topic.name,
                        thread_id=topic.thread_id,
                        state=topic.state,
                    )
                )
            for route in await session.scalars(
                select(RepostRoute)
                .where(RepostRoute.target_id.in_(list(routes)))
                .order_by(RepostRoute.id)
            ):
                routes[route.target_id].append(
                    Route(
                        id=route.id,
                        source_id=route.source_id,
                        include=route.include or [],
                        exclude=route.exclude or [],
                        template=route.template,
                        cap_per_hour=route.cap_per_hour,
                        digest=route.digest,
                        paused=route.paused,
                    )
                )
        return [
            Target(
                id=row.id,
                chat_id=row.chat_id,
                thread_id=row.thread_id,
                kind=row.kind,
                title=row.title,
                owner_id=row.owner_id,
                topic_per_source=row.topic_per_source,
                topics=topics[row.id],
                routes=routes[row.id],
            )
            for row in rows
        ]

    @router.put("/targets/{target_id}/topics")
    async def set_topics(
        bot_id: int, target_id: RowId, change: TopicsChange, session: WebSessionDep
    ) -> TopicsChange:
        """Turn a topic per source on or off for a forum target (a supergroup as a whole);
        any other target is a 422. The bot's right to make topics is Telegram's to say: a
        refusal at the first post pauses the target and tells its owner why."""
        target = await _target(session, bot_id, target_id)
        if change.topic_per_source and (target.kind != "supergroup" or target.thread_id):
            raise AppHttpError(422, "repost.web.topic_per_source_needs_forum")
        target.topic_per_source = change.topic_per_source
        await session.commit()
        return change

    @router.get("/targets/{target_id}/template")
    async def template(bot_id: int, target_id: RowId, session: WebSessionDep) -> Template:
        """The template the target's posts are rendered with."""
        await _target(session, bot_id, target_id)
        routes = await _routes_of(session, target_id)
        used = {route.template for route in routes}
        mixed = len(used) > 1
        return Template(
            template=None if mixed or not used else used.pop(), routes=len(routes), mixed=mixed
        )

    @router.put("/targets/{target_id}/template")
    async def set_template(
        bot_id: int, target_id: RowId, change: TemplateChange, session: WebSessionDep
    ) -> Template:
        """Render every route of the target with `template` (null or empty: the default);
        a template the renderer refuses is a 422 with its reason, and nothing changes."""
        await _target(session, bot_id, target_id)
        source = change.template or None
        if source is not None:
            _render(source, PreviewItem())  # refuses what /template in the chat refuses
        routes = await _routes_of(session, target_id)
        for route in routes:
            route.template = source
        await session.commit()
        return Template(template=source, routes=len(routes))

    @router.post("/template/preview")
    async def preview(bot_id: int, request: PreviewRequest, session: WebSessionDep) -> Preview:
        """`template` rendered as the bot would post it (Telegram's HTML), with `item` or the
        bot's newest item."""
        item = request.item or await _newest_item(session, bot_id) or PreviewItem()
        return Preview(html=_render(request.template, item))

    @router.get("/deliveries")
    async def deliveries(
        bot_id: int,
        session: WebSessionDep,
        page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
        per_page: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> Deliveries:
        """The bot's deliveries, newest first."""
        of_bot = RepostTarget.bot_id == bot_id
        joined = (
            select(RepostDelivery, RepostItem, RepostTarget)
            .join(RepostItem, RepostItem.id == RepostDelivery.item_id)
            .join(RepostTarget, RepostTarget.id == RepostDelivery.target_id)
            .where(of_bot)
        )
        total = await session.scalar(
            select(func.count())
            .select_from(RepostDelivery)
            .join(RepostTarget, RepostTarget.id == RepostDelivery.target_id)
            .where(of_bot)
        )
        rows = await session.execute(
            joined.order_by(RepostDelivery.id.desc()).offset((page - 1) * per_page).limit(per_page)
        )
        return Deliveries(
            items=[
                Delivery(
                    id=delivery.id,
                    state=delivery.state,
                    reason=delivery.reason,
                    detail=delivery.detail,
                    target_id=target.id,
                    thread_id=delivery.thread_id,
                    target_title=target.title,
                    item_title=item.title,
                    item_url=item.url,
                    created_at=_aware(delivery.created_at) or delivery.created_at,
                    posted_at=_aware(delivery.posted_at),
                )
                for delivery, item, target in rows
            ],
            total=total or 0,
            page=page,
            per_page=per_page,
        )

    return router


async def _newest_item(session: WebSessionDep, bot_id: int) -> PreviewItem | None:
    row = (
        await session.execute(
            select(RepostItem, RepostSource)
            .join(RepostSource, RepostSource.id == RepostItem.source_id)
            .where(RepostSource.bot_id == bot_id)
            .order_by(RepostItem.id.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    item, source = row
    return PreviewItem(
        title=item.title,
        link=item.url,
        summary=item.summary,
        author=item.author,
        tags=item.tags or [],
        published=_aware(item.published_at),
        source=source.title or source.address,
    )


def _render(template: str, item: PreviewItem) -> str:
    try:
        rendered = render_item(
            template=template,
            title=item.title,
            link=item.link,
            summary_html=item.summary,
            author=item.author,
            tags=item.tags,
            published=item.published,
            source=item.source,
            locale="en",
        )
    except TemplateRefused as refused:
        raise AppHttpError(422, "repost.web.template_refused", reason=refused.reason) from None
    except Exception as error:  # what the template's own expressions raise ({{ title + 1 }})
        raise AppHttpError(422, "repost.web.template_failed", error=str(error)) from None
    return rendered.text
