"""One update, start to finish: the kernel's pipeline.

For each update: admission (is it a duplicate, its user and chat upserted, its FSM states
read); the inbound throttle's verdict, judged by when the user sent it; the locale resolved;
the app handlers run; and the update claimed as handled together with its effects. The claim
commits at the handlers' first Bot API call that changes anything, with what they wrote so far
and the call's outbox row (`call_boundary`, `outbox`), or at the end if they call nothing.
Only after the claim may the caller acknowledge the update (webhook 200, polling offset:
`on_claimed`). A failing handler rolls back its own uncommitted effects; the update is then
claimed as handled all the same, the user gets a kind reply, and the bot keeps running.

The database work is shared between updates in flight at once (group commit): admission is
one batch of statements for every update waiting to be admitted, and so is the claim of every
update whose handlers wrote nothing, and the outbox rows of their calls (on connections of
their own, see `batch_connection`). A handler that uses the database gets the update's own
session, which begins a transaction on first use; the claim then goes into that transaction,
so the handler's effects and the claim commit together, and a second delivery that finds the
update claimed rolls its own effects back (`DuplicateDelivery` stops it at its first call).
Concurrent deliveries of one update in this process are handled once: the second waits for
the first.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from aiogram import Bot, Dispatcher
from aiogram.types import Chat, Update
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, SessionTransaction

from switchboard.db import utcnow
from switchboard.kernel import telemetry, tracing
from switchboard.kernel.fsm import DatabaseStorage, bind_session, use_snapshot
from switchboard.kernel.i18n import Translator
from switchboard.kernel.metric_children import Children
from switchboard.kernel.models import UserRecord
from switchboard.kernel.pipeline import unreadable
from switchboard.kernel.pipeline.admission import Admission, Arrival, admit, claim
from switchboard.kernel.pipeline.batch_connection import BatchConnection
from switchboard.kernel.pipeline.call_boundary import DuplicateDelivery, UpdateCalls, current_calls
from switchboard.kernel.pipeline.chosen_handler import LAZY, NO_HANDLER, SLOT, THROTTLED, VERDICT
from switchboard.kernel.pipeline.group_commit import MAX_BATCH, GroupCommit
from switchboard.kernel.pipeline.outbox import OutboxWrite, Written, delete_delivered, write_outbox
from switchboard.kernel.pipeline.records import Claim, claim_update, persistent_user
from switchboard.kernel.rollup_counters import COUNTERS as _ROLLUPS
from switchboard.kernel.throttle import InboundThrottle, Verdict
from switchboard.kernel.user_time import zone_named

log = structlog.get_logger("switchboard.pipeline")
_UPDATES = Children(telemetry.UPDATES)  # bot, type, handler, outcome
_HANDLER_SECONDS = Children(telemetry.HANDLER_SECONDS)  # type, handler

# In a session's info once it has a connection (and so a transaction) for the update.
_BEGUN = "switchboard_update_begun"

# Updates admitted per batch on PostgreSQL. The statement runs on the server, beside this
# process, so a burst (a getUpdates batch, a hundred webhooks at once) admitted a few dozen at
# a time has its first updates in their handlers while the next batch is in the database,
# instead of the whole burst idling on one statement (`bench/pipeline.py`: the event loop sat
# idle about a tenth of the run). On SQLite the statements run in this process, in aiosqlite's
# thread under the same GIL: nothing overlaps, so one batch for all that wait is cheapest.
POSTGRESQL_ADMISSION_BATCH = 32


@event.listens_for(Session, "after_begin")
def _mark_begun(session: Session, _transaction: SessionTransaction, _connection: Any) -> None:
    session.info[_BEGUN] = True


class _LazySession:
    """The update's session, made when something first asks for it."""

    __slots__ = ("_factory", "session")

    def __init__(self, factory: async_sessionmaker[AsyncSession]) -> None:
        self._factory = factory
        self.session: AsyncSession | None = None

    def get(self) -> AsyncSession:
        if self.session is None:
            self.session = self._factory()
        return self.session


class UpdateProcessor:
    def __init__(
        self,
        dispatcher: Dispatcher,
        session_factory: async_sessionmaker[AsyncSession],
        translator: Translator,
        throttle: InboundThrottle,
        *,
        extra_data: dict[str, Any] | None = None,
        holder: str = "pipeline",
        outbox_lease: timedelta = timedelta(seconds=30),
    ) -> None:
        """`holder`: this process's name on the outbox rows it writes; `outbox_lease`: how
        long another process waits before it repeats a call this one did not finish."""
        self.dispatcher = dispatcher
        self.holder = holder
        self.outbox_lease = outbox_lease
        self.held: set[int] = set()  # outbox rows of calls in flight here
        self.session_factory = session_factory
        self.translator = translator
        self.throttle = throttle
        self.extra_data = extra_data or {}
        engine = session_factory.kw.get("bind")
        if not isinstance(engine, AsyncEngine):
            raise TypeError("the session factory must be bound to an AsyncEngine")
        self.engine = engine
        # One connection each: a batch of claims may be written while the next one is admitted.
        # Admission commits without waiting for PostgreSQL's WAL flush: what it writes (users,
        # chats) is refreshed again on redelivery, and the update's claim, committed durably
        # later, flushes the WAL up to and past it, so nothing acknowledged rests on it. That
        # takes an fsync off every update's path.
        self._admitting = BatchConnection(engine, synchronous_commit=False)
        self._claiming = BatchConnection(engine)
        # The outbox's writes and deletes each on a connection of their own: every group
        # commit flushes from its own task, and an asyncpg connection runs one statement at a
        # time ("another operation is in progress").
        self._outboxing = BatchConnection(engine)
        # A delivered call's row is deleted without waiting for the WAL flush either: a commit
        # is visible at once and survives this process's death, which is what the courier
        # looks at; only PostgreSQL's own crash could undo it, and then the call is repeated
        # once, as it would be for a crash a moment earlier. The fsync it saves is the time a
        # kill doubles a reply in (sent, its row not yet gone).
        self._delivering = BatchConnection(engine, synchronous_commit=False)
        self._admissions: GroupCommit[Arrival, Admission] = GroupCommit(
            self._admit,
            max_batch=MAX_BATCH if self._admitting.sqlite else POSTGRESQL_ADMISSION_BATCH,
        )
        self._claims: GroupCommit[Claim, None] = GroupCommit(self._claim)
        self._outbox: GroupCommit[OutboxWrite, Written] = GroupCommit(self._write_outbox)
        self._delivered: GroupCommit[int, None] = GroupCommit(self._delete_delivered)
        self._in_flight: dict[tuple[int, int], asyncio.Future[None]] = {}

    async def _admit(self, arrivals: Sequence[Arrival]) -> list[Admission]:
        return await admit(self._admitting, arrivals)

    async def _claim(self, claims: Sequence[Claim]) -> list[None]:
        await claim(self._claiming, claims)
        return [None] * len(claims)

    def lease_until(self) -> datetime:
        return utcnow() + self.outbox_lease

    async def write(self, item: OutboxWrite) -> Written:
        written = await self._outbox.submit(item)
        if written.outbox_id is not None:
            self.held.add(written.outbox_id)
        return written

    async def delivered(self, outbox_id: int) -> None:
        await self._delivered.submit(outbox_id)
        self.held.discard(outbox_id)

    async def _write_outbox(self, items: Sequence[OutboxWrite]) -> list[Written]:
        return await write_outbox(self._outboxing, items, self.holder, self.outbox_lease)

    async def _delete_delivered(self, ids: Sequence[int]) -> list[None]:
        await delete_delivered(self._delivering, ids)
        return [None] * len(ids)

    async def close(self) -> None:
        await self._admissions.close()
        await self._claims.close()
        await self._outbox.close()
        await self._delivered.close()
        await self._admitting.close()
        await self._claiming.close()
        await self._outboxing.close()
        await self._delivering.close()

    async def process(
        self,
        bot: Bot,
        raw: dict[str, Any] | Update,
        on_claimed: Callable[[], None] | None = None,
    ) -> None:
        """Handle one update; returns once its effects are committed (or it was a duplicate).

        `on_claimed()` is called once the update is claimed (or found a duplicate): from then
        on a redelivery changes nothing, so a poller may confirm it while the handlers' calls
        still wait for the flood limiter."""
        update = (
            raw if isinstance(raw, Update) else Update.model_validate(raw, context={"bot": bot})
        )
        if unreadable.is_unknown_type(update):  # newer than aiogram: retrying would not help
            unreadable.skip_unknown_type(bot, update)
            return
        key = (bot.id, update.update_id)
        running = self._in_flight.get(key)
        if running is not None:  # delivered again while still being handled here
            await asyncio.shield(running)
            return
        done = asyncio.get_running_loop().create_future()
        self._in_flight[key] = done
        try:
            await self._process(bot, update, on_claimed)
        finally:
            del self._in_flight[key]
            done.set_result(None)
            if on_claimed is not None:
                on_claimed()

    async def _process(
        self, bot: Bot, update: Update, on_claimed: Callable[[], None] | None
    ) -> None:
        kind = update.event_type
        started = time.perf_counter()
        telemetry.bind_update_context(bot.id, update.update_id)
        slot: dict[str, str] = {}
        outcome = "error"
        with tracing.span(f"update {kind}", kind=tracing.SpanKind.CONSUMER) as span:
            try:
                outcome = await self._run(bot, update, kind, slot, on_claimed)
            finally:
                handler = slot.get("name", NO_HANDLER)
                elapsed = time.perf_counter() - started
                _UPDATES.get(telemetry.bot_label(bot.id), kind, handler, outcome).inc()
                _HANDLER_SECONDS.get(kind, handler).observe(elapsed)
                if outcome != "duplicate":  # the dashboard's rollups: a dict increment
                    user = getattr(getattr(update, kind, None), "from_user", None)
                    _ROLLUPS.update(
                        bot.id, None if user is None or user.is_bot else user.id, elapsed
                    )
                telemetry.clear_update_context()
                if span is not None:
                    span.set_attributes(
                        {
                            "switchboard.bot_id": bot.id,
                            "switchboard.update_id": update.update_id,
                            "switchboard.update_type": kind,
                            "switchboard.handler": handler,
                            "switchboard.outcome": outcome,
                        }
                    )

    def _arrival(self, bot: Bot, update: Update, event: object) -> Arrival:
        user = getattr(event, "from_user", None)
        person = user if user is not None and not user.is_bot else None
        chat = _chat(update, event)
        # The states aiogram's FSM middleware will read (its default key: this chat, this user).
        prefetch = isinstance(self.dispatcher.fsm.storage, DatabaseStorage)
        owner = (bot.id, chat.id, user.id) if prefetch and chat and user else None
        return Arrival(bot.id, update.update_id, person, chat, owner)

    async def _verdict(self, bot: Bot, event: object) -> Verdict:
        """The inbound throttle's verdict, judged by when the user sent the update (a backlog
        delivered after an outage is not a flood)."""
        user = getattr(event, "from_user", None)
        if user is None or user.is_bot:
            return Verdict.ALLOW
        sent = getattr(event, "date", None)
        at = sent.timestamp() if sent is not None else None
        return await self.throttle.check(bot.id, user.id, at=at)

    async def _run(
        self,
        bot: Bot,
        update: Update,
        kind: str,
        slot: dict[str, str],
        on_claimed: Callable[[], None] | None,
    ) -> str:
        # `update.event` finds the update's type field by field: once per update, not per use.
        event = getattr(update, kind)
        with tracing.span("db admit"):
            admission = await self._admissions.submit(self._arrival(bot, update, event))
        if admission.duplicate:
            return "duplicate"
        # After the duplicate check: a redelivered update must not spend the user's tokens.
        verdict = await self._verdict(bot, event)
        claim = Claim(bot.id, update.update_id, kind)
        lazy = _LazySession(self.session_factory)
        calls = UpdateCalls(self, bot.id, update.update_id, kind, lambda: lazy.session, on_claimed)
        try:
            data = self._context(lazy, admission.user, getattr(event, "from_user", None))
            data[SLOT] = slot
            data[VERDICT] = verdict
            calls_token = current_calls.set(calls)
            try:
                with (
                    bind_session(lazy.get),
                    use_snapshot(admission.states),
                    tracing.span("handler") as handler_span,
                ):
                    await self.dispatcher.feed_update(bot, update, **data)
                    if verdict is Verdict.NOTIFY:
                        await self._notify_throttled(bot, update)
                    if handler_span is not None:
                        handler_span.update_name(f"handler {slot.get('name', NO_HANDLER)}")
                session = lazy.session
                if session is not None and (session.new or session.dirty or session.deleted):
                    await session.flush()
                failure: Exception | None = None
            except DuplicateDelivery:
                if lazy.session is not None:
                    await lazy.session.rollback()
                return "duplicate"
            except Exception as error:
                failure = error
            finally:
                current_calls.reset(calls_token)
            if failure is not None:
                if lazy.session is not None:
                    await lazy.session.rollback()
                await self._failed(bot, update, kind, claim, failure, claimed=calls.claimed)
                return "error"
            outcome = "handled"
            if slot.get(THROTTLED):
                outcome = "throttled"
                telemetry.THROTTLED.inc()
            if calls.claimed:  # at the first call; what the handlers wrote since commits now
                if session is not None and session.in_transaction():
                    with tracing.span("db commit"):
                        await session.commit()
                return outcome
            if session is None or not session.info.get(_BEGUN):
                # The handlers wrote nothing: claim the update in a group with others.
                with tracing.span("db claim"):
                    await self._claims.submit(claim)
                return outcome
            with tracing.span("db commit"):
                if not await claim_update(session, bot.id, update.update_id, kind):
                    await session.rollback()  # handled meanwhile by another delivery
                    return "duplicate"
                await session.commit()  # jobs it queued wake the workers (`jobs.queue`)
        finally:
            if lazy.session is not None:
                await lazy.session.close()
        return outcome

    def _context(self, lazy: _LazySession, row: dict[str, Any] | None, user: Any) -> dict[str, Any]:
        locale = self.translator.resolve(
            row["language"] if row else None,
            row["telegram_language"] if row else getattr(user, "language_code", None),
        )

        def user_record() -> UserRecord | None:
            return persistent_user(lazy.get(), row) if row is not None else None

        def user_timezone() -> ZoneInfo:
            return zone_named(row.get("timezone") if row is not None else None)

        return {
            **self.extra_data,
            LAZY: {
                "session": lazy.get,
                "user_record": user_record,
                "user_timezone": user_timezone,
            },
            "locale": locale,
            "_": self.translator.bind(locale),
        }

    async def _failed(
        self, bot: Bot, update: Update, kind: str, claim: Claim, error: Exception, *, claimed: bool
    ) -> None:
        telemetry.ERRORS.labels(type=type(error).__name__).inc()
        tracing.fail(error)
        log.exception("handler failed", update_type=kind, exc_info=error)
        if not claimed:
            await self._claims.submit(claim)
        chat_id = _chat_id(update)
        if chat_id is None:
            return
        user = getattr(update.event, "from_user", None)
        locale = self.translator.resolve(None, getattr(user, "language_code", None))
        try:
            await bot.send_message(chat_id, self.translator.t("kernel.error", locale))
        except Exception:  # the apology is best effort; the failure is already logged
            log.warning("could not send the error reply", exc_info=True)

    async def _notify_throttled(self, bot: Bot, update: Update) -> None:
        """The one polite notice of a flood (within the update's calls: after its claim)."""
        chat_id = _chat_id(update)
        user = getattr(update.event, "from_user", None)
        if chat_id is None:
            return
        locale = self.translator.resolve(None, getattr(user, "language_code", None))
        try:
            await bot.send_message(chat_id, self.translator.t("kernel.throttled", locale))
        except DuplicateDelivery:
            raise
        except Exception:
            log.warning("could not send the throttle notice", exc_info=True)


def _chat(update: Update, event: object | None = None) -> Chat | None:
    chat: Chat | None = getattr(update.event if event is None else event, "chat", None)
    if chat is None and update.callback_query is not None and update.callback_query.message:
        chat = update.callback_query.message.chat
    return chat


def _chat_id(update: Update) -> int | None:
    chat = _chat(update)
    return chat.id if chat is not None else None
