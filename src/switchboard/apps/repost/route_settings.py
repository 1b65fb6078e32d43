"""A route's settings as the owner changes them (no Telegram types): who owns a route,
its summary line, filters, cap, digest, template, pause, and `/test`'s verdicts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .filters import check_filter, item_text, passes
from .models import (
    DeliveryState,
    RepostDelivery,
    RepostItem,
    RepostRoute,
    RepostSource,
    RepostTarget,
)
from .rendering import Rendered, render_item

__all__ = [
    "CAP_STEPS",
    "MAX_CAP",
    "OwnedRoute",
    "add_filter",
    "delivery_log",
    "next_cap",
    "owned_route",
    "parse_cap",
    "preview",
    "routes_of_source",
    "would_pass",
]

CAP_STEPS = (None, 1, 5, 10, 30)
MAX_CAP = 1000  # posts per hour: beyond it the kernel's flood limiter is the only cap
CAP_OFF_WORDS = frozenset({"off", "none", "0", "выкл", "нет"})
TEST_ITEMS = 10
LOG_LINES = 20


@dataclass
class OwnedRoute:
    route: RepostRoute
    source: RepostSource
    target: RepostTarget


async def owned_route(
    session: AsyncSession, bot_id: int, user_id: int, route_id: int
) -> OwnedRoute | None:
    """The route if this user of this bot owns it; None for anyone else's (or none): a
    button's or command's id is never trusted on its own."""
    row = (
        await session.execute(
            select(RepostRoute, RepostSource, RepostTarget)
            .join(RepostSource, RepostSource.id == RepostRoute.source_id)
            .join(RepostTarget, RepostTarget.id == RepostRoute.target_id)
            .where(
                RepostRoute.id == route_id,
                RepostSource.bot_id == bot_id,
                RepostSource.owner_id == user_id,
                RepostTarget.owner_id == user_id,
            )
        )
    ).first()
    return OwnedRoute(*row) if row is not None else None


async def routes_of_source(
    session: AsyncSession, bot_id: int, user_id: int, source_id: int
) -> tuple[RepostSource | None, list[OwnedRoute]]:
    source = await session.get(RepostSource, source_id)
    if source is None or source.bot_id != bot_id or source.owner_id != user_id:
        return None, []
    rows = await session.execute(
        select(RepostRoute, RepostTarget)
        .join(RepostTarget, RepostTarget.id == RepostRoute.target_id)
        .where(RepostRoute.source_id == source.id)
        .order_by(RepostRoute.id)
    )
    return source, [OwnedRoute(route, source, target) for route, target in rows.all()]


def next_cap(current: int | None) -> int | None:
    """The cap a tap on the cap button sets: off → 1 → 5 → 10 → 30 → off per hour."""
    steps = list(CAP_STEPS)
    index = steps.index(current) if current in steps else 0
    return steps[(index + 1) % len(steps)]


def parse_cap(words: list[str]) -> int | None:
    """`/cap ROUTE N|off`'s value: N posts per hour (1 to `MAX_CAP`), None for no cap;
    `ValueError` for anything else (nothing, two words, 1.5, 5000, ten)."""
    if len(words) != 1:
        raise ValueError(words)
    word = words[0].casefold()
    if word in CAP_OFF_WORDS:
        return None
    if not (word.isascii() and word.isdigit()) or not 1 <= int(word) <= MAX_CAP:
        raise ValueError(word)
    return int(word)


def add_filter(route: RepostRoute, words: list[str]) -> None:
    """`include|exclude FIELD keyword|regex VALUE…` onto the route; `FilterError` if bad."""
    from .filters import FilterError

    if len(words) < 4 or words[0] not in {"include", "exclude"}:
        raise FilterError("repost.filter.usage")
    rule = check_filter(words[1], words[2], " ".join(words[3:]))
    if words[0] == "include":
        route.include = [*(route.include or []), rule]
    else:
        route.exclude = [*(route.exclude or []), rule]


async def _recent_items(session: AsyncSession, source_id: int) -> list[RepostItem]:
    return list(
        (
            await session.scalars(
                select(RepostItem)
                .where(RepostItem.source_id == source_id)
                .order_by(RepostItem.id.desc())
                .limit(TEST_ITEMS)
            )
        ).all()
    )


async def would_pass(session: AsyncSession, owned: OwnedRoute) -> list[tuple[str, bool]]:
    """The source's recent items (newest first) and whether the route's filters pass each."""
    items = await _recent_items(session, owned.source.id)
    route = owned.route
    return [
        (item.title or item.url, passes(route.include or [], route.exclude or [], item_text(item)))
        for item in items
    ]


async def preview(session: AsyncSession, owned: OwnedRoute, template: str) -> Rendered | None:
    """The source's newest item through `template` (raises `TemplateRefused`); None when the
    source has no item yet."""
    items = await _recent_items(session, owned.source.id)
    if not items:
        render_item(
            template=template, title="Title", link="https://example.org/", summary_html="",
            author="", tags=[], published=None, source=owned.source.title, locale="en",
        )  # fmt: skip
        return None
    item = items[0]
    published = item.published_at
    if published is not None and published.tzinfo is None:
        published = published.replace(tzinfo=UTC)
    return render_item(
        template=template, title=item.title, link=item.url, summary_html=item.summary,
        author=item.author, tags=item.tags or [], published=published,
        source=owned.source.title or owned.source.address, locale=owned.route.locale,
    )  # fmt: skip


async def delivery_log(
    session: AsyncSession, bot_id: int, user_id: int, target_id: int | None
) -> list[tuple[RepostDelivery, RepostItem, RepostTarget]]:
    """The user's latest deliveries (of one target, if given), newest first."""
    query = (
        select(RepostDelivery, RepostItem, RepostTarget)
        .join(RepostItem, RepostItem.id == RepostDelivery.item_id)
        .join(RepostTarget, RepostTarget.id == RepostDelivery.target_id)
        .where(RepostTarget.bot_id == bot_id, RepostTarget.owner_id == user_id)
        .order_by(RepostDelivery.id.desc())
        .limit(LOG_LINES)
    )
    if target_id is not None:
        query = query.where(RepostDelivery.target_id == target_id)
    return [(d, i, t) for d, i, t in (await session.execute(query)).all()]


QUEUED = DeliveryState.QUEUED.value
