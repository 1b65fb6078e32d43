"""One CalDAV sync run's reading and deciding: the local rows as series, the server's listing
(by sync-token when it can say), the plan of what goes each way (fetch, PUT, DELETE, conflicts
by the rule in `caldav_sync`), and the blocking exchange that carries it out. Writing the
outcome is `caldav_sync`'s."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from urllib.parse import urljoin

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel import user_timezone_of

from .caldav_mapping import render_resource
from .caldav_remote import CaldavLink, Fetched, href_key, resource_name
from .models import CalendarEvent, CalendarSource, SourceKind

__all__ = [
    "SYNCED_STAMP",
    "Exchange",
    "LocalState",
    "SeriesState",
    "SyncPlan",
    "aware",
    "exchange",
    "is_changed_locally",
    "plan_run",
    "read_local",
    "server_listing",
]

SYNCED_STAMP = "caldav_synced"  # in an event's `extra`: when the last run left it in sync


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def is_changed_locally(row: CalendarEvent) -> bool:
    """Whether the row changed in Telegram since the last run (or was never sent)."""
    if row.remote_etag is None or row.remote_href is None:
        return True
    stamp = (row.extra or {}).get(SYNCED_STAMP)
    if not isinstance(stamp, str):
        return True
    return aware(row.updated_at) > aware(datetime.fromisoformat(stamp))


def _manifest(source: CalendarSource) -> tuple[dict[str, tuple[str, str]], str | None]:
    """(what the last run saw, the server's sync-token then) from the `sync_token` column."""
    try:
        stored = json.loads(source.sync_token or "{}")
        known = stored.get("known", {})
        token = stored.get("token")
        return (
            {str(key): (str(value[0]), str(value[1])) for key, value in known.items()},
            str(token) if token else None,
        )
    except (ValueError, AttributeError, TypeError, IndexError):
        return {}, None


def server_listing(
    link: CaldavLink, local: LocalState
) -> tuple[dict[str, tuple[str, str]], str | None]:
    """The server's resources and ETags now, and its sync-token: from the changes since the
    last run's token when the server can say (RFC 6578), else from a full listing."""
    if local.token:
        delta = link.changes_since(local.calendar_url, local.token)
        if delta is not None:
            changed, deleted, newer = delta
            listing = {k: v for k, v in local.manifest.items() if k not in deleted}
            listing.update(changed)
            return listing, newer
    current = link.sync_token(local.calendar_url)  # before the listing: nothing slips between
    return link.listing(local.calendar_url), current


@dataclass
class SeriesState:
    uid: str
    title: str
    key: str | None  # the href key of its resource, None if never sent
    url: str | None
    etag: str | None
    changed: bool
    body: str  # as it would be PUT
    stamps: dict[int, datetime]  # row id -> updated_at when read


@dataclass
class LocalState:
    source_id: int
    bot_id: int
    user_id: int
    calendar_url: str
    username: str
    secret: str
    manifest: dict[str, tuple[str, str]]
    token: str | None
    series: dict[str, SeriesState]
    zone: tzinfo  # the owner's, for floating events


@dataclass
class SyncPlan:
    fetch: dict[str, str] = field(default_factory=dict)  # key -> url
    push: list[SeriesState] = field(default_factory=list)
    delete_there: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> url, etag
    delete_here: set[str] = field(default_factory=set)  # keys
    conflict_keys: dict[str, str] = field(default_factory=dict)  # key -> title


@dataclass
class Exchange:
    fetched: dict[str, Fetched | None] = field(default_factory=dict)  # key -> resource
    pushed: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # uid -> key, url, etag
    deleted_there: set[str] = field(default_factory=set)


async def read_local(session: AsyncSession, source_id: int, now: datetime) -> LocalState | None:
    source = await session.get(CalendarSource, source_id)
    if source is None or source.kind != SourceKind.CALDAV.value or not source.url:
        return None
    rows = (
        await session.scalars(select(CalendarEvent).where(CalendarEvent.source_id == source_id))
    ).all()
    by_uid: dict[str, list[CalendarEvent]] = defaultdict(list)
    for row in rows:
        by_uid[row.uid].append(row)
    series: dict[str, SeriesState] = {}
    for uid, members in by_uid.items():
        master = next((m for m in members if not m.recurrence_id), members[0])
        href = next((m.remote_href for m in members if m.remote_href), None)
        etag = next((m.remote_etag for m in members if m.remote_etag), None)
        changed = any(is_changed_locally(m) for m in members)
        series[uid] = SeriesState(
            uid=uid,
            title=master.title,
            key=href_key(href) if href else None,
            url=href,
            etag=etag,
            changed=changed,
            body=render_resource(members, now) if changed else "",
            stamps={m.id: m.updated_at for m in members},
        )
    manifest, token = _manifest(source)
    return LocalState(
        source_id=source.id,
        bot_id=source.bot_id,
        user_id=source.user_id,
        calendar_url=source.url,
        username=source.username or "",
        secret=source.secret or "",
        manifest=manifest,
        token=token,
        series=series,
        zone=await user_timezone_of(session, source.user_id),
    )


def plan_run(local: LocalState, listing: dict[str, tuple[str, str]]) -> SyncPlan:
    plan = SyncPlan()
    by_key = {s.key: s for s in local.series.values() if s.key is not None}
    for key, (url, etag) in listing.items():
        mine = by_key.get(key)
        known = local.manifest.get(key)
        if known is None:
            if mine is None or etag != mine.etag:
                plan.fetch[key] = url  # new on the server (or unknown to this side)
                if mine is not None and mine.changed:
                    plan.conflict_keys[key] = mine.title
            elif mine.changed:
                plan.push.append(mine)
            continue
        changed_there = etag != known[1]
        if mine is None:  # deleted in Telegram
            if changed_there:
                plan.fetch[key] = url  # the server's change wins: it comes back
            else:
                plan.delete_there[key] = (url, etag)
        elif changed_there:
            plan.fetch[key] = url
            if mine.changed:
                plan.conflict_keys[key] = mine.title
        elif mine.changed:
            plan.push.append(mine)
    for key in by_key:
        if key not in listing:
            plan.delete_here.add(key)  # deleted on the server: that wins over a local edit
    plan.push.extend(s for s in local.series.values() if s.key is None)
    return plan


def exchange(
    link: CaldavLink, local: LocalState, plan: SyncPlan
) -> tuple[Exchange, dict[str, str]]:
    """The blocking part: fetch, PUT and DELETE. Also returns the conflicts found by 412."""
    done = Exchange()
    conflicts: dict[str, str] = {}
    fetched = link.get_many(local.calendar_url, list(plan.fetch.values()))
    for key, url in plan.fetch.items():
        resource = fetched.get(key)
        # The listing's URL is the one kept (a multiget may spell the href otherwise).
        done.fetched[key] = Fetched(url, resource.text, resource.etag) if resource else None
    for series in plan.push:
        url = series.url or urljoin(local.calendar_url, resource_name(series.uid))
        key = href_key(url)
        etag = link.put(url, series.body, series.etag if series.url else None)
        if etag is False:  # 412: the server's copy changed (or exists) — it wins
            done.fetched[key] = link.get(url)
            conflicts[key] = series.title
            continue
        assert isinstance(etag, str)
        done.pushed[series.uid] = (key, url, etag or link.etag_of(url))
    for key, (url, etag) in plan.delete_there.items():
        if link.delete(url, etag):
            done.deleted_there.add(key)
        else:
            done.fetched[key] = link.get(url)
    return done, conflicts
