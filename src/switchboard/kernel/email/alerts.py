"""Alerts by email to a bot's owners: `raise_alert(session, bot_id, kind, params)`.

Apps (a feed paused, a calendar failing) and the kernel's own watch (dead jobs, a failing
webhook) call it in the transaction that saw the trouble. At most one alert per bot and kind
per `ALERT_WINDOW`: the `email_alerts` row of (bot, kind) moves on only by a conditional
UPDATE, so of two workers raising the same alert one wins, and only it enqueues the fan-out job.
The fan-out (`kernel.email.alert`) queues one send job per address of the bot's owners that
takes alerts (`kernel.email.send` checks again before sending).

A bot's owners: its `owner_ids`, the deployment's `OWNER_IDS`, and the web accounts that
manage it (`bot_ownerships`, or an account of an owner's Telegram id).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.db.base import utcnow
from switchboard.db.session import dialect_insert
from switchboard.kernel.accounts import Account, BotOwnership
from switchboard.kernel.jobs import JobContext, enqueue
from switchboard.kernel.models import BotRecord
from switchboard.settings import Settings

from .addresses import SEND_JOB, receives
from .links import EmailKind
from .models import EmailAddress, EmailAlert

ALERT_WINDOW = timedelta(hours=6)
ALERT_JOB = "kernel.email.alert"
KERNEL_ALERTS = frozenset({"source_paused", "calendar_failing", "dead_jobs", "webhook_failing"})


def alert_template(kind: str) -> str:
    """`kernel/alert_<kind>` for the kernel's kinds; an app's kind is its template's name
    (`"repost/alert_x"` for `App.email_templates`' `alert_x.txt` and `.html`)."""
    kind = kind.partition("@")[0]
    return kind if "/" in kind else f"kernel/alert_{kind}"


async def raise_alert(
    session: AsyncSession,
    bot_id: int,
    kind: str,
    params: Mapping[str, Any],
    *,
    about_user: int | None = None,
    window: timedelta = ALERT_WINDOW,
    now: datetime | None = None,
) -> bool:
    """Queue alert `kind` about `bot_id` to its owners, unless one went out within `window`;
    the caller commits. `params` (JSON) fill the template. True when this call raised it.

    `about_user`: the trouble is with that user's own things (their calendar): only they are
    told, if they are one of the bot's owners, and the window is theirs alone."""
    if "/" not in kind and kind not in KERNEL_ALERTS:
        raise ValueError(f"unknown alert kind {kind!r}")
    if about_user is not None:
        kind = f"{kind}@{about_user}"
    now = now or utcnow()
    values = dict(params)
    inserted = await session.scalar(
        dialect_insert(session)(EmailAlert)
        .values(bot_id=bot_id, kind=kind, raised_at=now, number=1, params=values)
        .on_conflict_do_nothing(index_elements=["bot_id", "kind"])
        .returning(EmailAlert.number)
    )
    number = inserted
    if number is None:
        number = await session.scalar(
            update(EmailAlert)
            .where(
                EmailAlert.bot_id == bot_id,
                EmailAlert.kind == kind,
                EmailAlert.raised_at <= now - window,
            )
            .values(raised_at=now, number=EmailAlert.number + 1, params=values)
            .returning(EmailAlert.number)
            .execution_options(synchronize_session=False)
        )
    if number is None:
        return False  # one went out within the window
    await enqueue(
        session,
        ALERT_JOB,
        {"bot_id": bot_id, "kind": kind, "number": number},
        unique_key=f"{ALERT_JOB}:{bot_id}:{kind}:{number}",
    )
    return True


async def owner_addresses(
    session: AsyncSession, settings: Settings, bot_ids: Iterable[int]
) -> dict[int, list[EmailAddress]]:
    """Each bot's owners' addresses (one row per address, the first added)."""
    wanted = list(bot_ids)
    records = (await session.scalars(select(BotRecord).where(BotRecord.id.in_(wanted)))).all()
    telegram = {r.id: set(settings.owner_ids) | set(r.owner_ids or ()) for r in records}
    accounts: dict[int, set[int]] = {r.id: set() for r in records}
    for bot_id, account_id in await session.execute(
        select(BotOwnership.bot_id, BotOwnership.account_id).where(BotOwnership.bot_id.in_(wanted))
    ):
        accounts[bot_id].add(account_id)
    every_telegram = set().union(*telegram.values()) if telegram else set()
    account_of: dict[int, int] = {}
    if every_telegram:
        for account_id, telegram_id in await session.execute(
            select(Account.id, Account.telegram_user_id).where(
                Account.telegram_user_id.in_(every_telegram)
            )
        ):
            if telegram_id is not None:
                account_of[telegram_id] = account_id
    every_account = set().union(*accounts.values(), account_of.values())
    rows = (
        await session.scalars(
            select(EmailAddress)
            .where(
                or_(
                    EmailAddress.telegram_user_id.in_(every_telegram or {0}),
                    EmailAddress.account_id.in_(every_account or {0}),
                )
            )
            .order_by(EmailAddress.id)
        )
    ).all()
    found: dict[int, list[EmailAddress]] = {}
    for bot_id in telegram:
        people = telegram[bot_id]
        managers = accounts[bot_id] | {account_of[t] for t in people if t in account_of}
        seen: set[str] = set()
        mine: list[EmailAddress] = []
        for row in rows:
            ours = row.telegram_user_id in people or row.account_id in managers
            if ours and row.address.lower() not in seen:
                seen.add(row.address.lower())
                mine.append(row)
        found[bot_id] = mine
    return found


async def fan_out_alert(ctx: JobContext, payload: dict[str, Any], settings: Settings) -> int:
    """Queue the alert's send jobs; how many."""
    bot_id, kind, number = int(payload["bot_id"]), str(payload["kind"]), int(payload["number"])
    async with ctx.session_factory() as session, session.begin():
        alert = await session.get(EmailAlert, (bot_id, kind))
        record = await session.get(BotRecord, bot_id)
        if alert is None or alert.number != number or record is None:
            return 0  # a newer alert of the kind has its own job; a removed bot, nothing
        addresses = (await owner_addresses(session, settings, [bot_id]))[bot_id]
        _kind, about, user = kind.partition("@")
        if about:
            addresses = await _of_user(session, addresses, int(user))
        key = f"alert:{bot_id}:{kind}:{number}"
        queued = 0
        for row in _takers(addresses):
            await enqueue(
                session,
                SEND_JOB,
                {
                    "address_id": row.id,
                    "template": alert_template(kind),
                    "kind": EmailKind.ALERTS.value,
                    "key": key,
                    "bot_id": bot_id,
                    "params": {"bot": _bot_name(record), "facts": dict(alert.params)},
                },
                unique_key=f"{SEND_JOB}:{row.id}:{key}",
                max_attempts=8,
            )
            queued += 1
    return queued


async def _of_user(
    session: AsyncSession, rows: Sequence[EmailAddress], telegram_user_id: int
) -> list[EmailAddress]:
    """The addresses among `rows` of one Telegram user (theirs, or their web account's)."""
    account = await session.scalar(
        select(Account.id).where(Account.telegram_user_id == telegram_user_id)
    )
    return [
        row
        for row in rows
        if row.telegram_user_id == telegram_user_id
        or (account is not None and row.account_id == account)
    ]


def _takers(rows: Sequence[EmailAddress]) -> list[EmailAddress]:
    return [row for row in rows if receives(row, EmailKind.ALERTS)]


def _bot_name(record: BotRecord) -> str:
    return f"@{record.username}" if record.username else f"bot {record.id}"
