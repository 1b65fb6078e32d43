"""One update, start to finish: the kernel's pipeline.

For each update: throttle check, a database transaction, the update's id claimed (a second
delivery changes nothing), the user and chat upserted, the locale resolved, the app handlers
run, and the transaction committed — only then is the update acknowledged by the caller
(webhook 200, polling offset). A failing handler rolls back its own effects; the update is then
recorded as handled, the user gets a kind reply, and the bot keeps running.

On SQLite, where a transaction holds the database's only write lock from `BEGIN IMMEDIATE` to
commit, the processor lets one update's transaction run at a time in this process: the others
wait on an asyncio lock, which hands over at once, instead of in SQLite's busy handler, which
polls with sleeps of up to 100 ms while the lock sits free.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import structlog
from aiogram import Bot, Dispatcher
from aiogram.types import Chat, Update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from switchboard.kernel import telemetry
from switchboard.kernel.fsm import bind_session
from switchboard.kernel.i18n import Translator, resolve_locale

# Set in a session's info by `enqueue` until commit: the update's transaction queued a job.
from switchboard.kernel.jobs.queue import _ENQUEUED as JOBS_ENQUEUED
from switchboard.kernel.models import UserRecord
from switchboard.kernel.pipeline.handler_name import NO_HANDLER, SLOT
from switchboard.kernel.pipeline.records import claim_and_record, claim_update
from switchboard.kernel.throttle import InboundThrottle, Verdict

log = structlog.get_logger("switchboard.pipeline")


class UpdateProcessor:
    def __init__(
        self,
        dispatcher: Dispatcher,
        session_factory: async_sessionmaker[AsyncSession],
        translator: Translator,
        throttle: InboundThrottle,
        *,
        extra_data: dict[str, Any] | None = None,
        on_committed: Callable[[], None] | None = None,
    ) -> None:
        self.dispatcher = dispatcher
        self.session_factory = session_factory
        self.translator = translator
        self.throttle = throttle
        self.extra_data = extra_data or {}
        self.on_committed = on_committed
        engine = session_factory.kw.get("bind")
        on_sqlite = isinstance(engine, AsyncEngine) and engine.dialect.name == "sqlite"
        self._write_lock = asyncio.Lock() if on_sqlite else None

    @contextlib.asynccontextmanager
    async def _write_turn(self) -> AsyncIterator[None]:
        """On SQLite, this process's turn at the write lock; elsewhere, nothing."""
        if self._write_lock is None:
            yield
            return
        async with self._write_lock:
            yield

    async def process(self, bot: Bot, raw: dict[str, Any] | Update) -> None:
        """Handle one update; returns once its effects are committed (or it was a duplicate)."""
        update = (
            raw if isinstance(raw, Update) else Update.model_validate(raw, context={"bot": bot})
        )
        kind = update.event_type
        started = time.perf_counter()
        telemetry.bind_update_context(bot.id, update.update_id)
        outcome = "handled"
        slot: dict[str, str] = {}
        try:
            user = getattr(update.event, "from_user", None)
            if user is not None and not user.is_bot:
                verdict = await self.throttle.check(bot.id, user.id)
                if verdict is not Verdict.ALLOW:
                    outcome = "throttled"
                    await self._throttled(bot, update, verdict)
                    return
            try:
                outcome = await self._run(bot, update, kind, slot)
            except Exception as error:
                outcome = "error"
                await self._failed(bot, update, kind, error)
        finally:
            handler = slot.get("name", NO_HANDLER)
            labels = {"type": kind, "handler": handler}
            telemetry.UPDATES.labels(
                bot=telemetry.bot_label(bot.id), outcome=outcome, **labels
            ).inc()
            telemetry.HANDLER_SECONDS.labels(**labels).observe(time.perf_counter() - started)
            telemetry.clear_update_context()

    async def _run(self, bot: Bot, update: Update, kind: str, slot: dict[str, str]) -> str:
        user = getattr(update.event, "from_user", None)
        person = user if user is not None and not user.is_bot else None
        async with self._write_turn(), self.session_factory() as session, session.begin():
            claimed, record = await claim_and_record(
                session, bot.id, update.update_id, kind, person, _chat(update)
            )
            if not claimed:
                return "duplicate"
            data = self._context(session, record, user)
            data[SLOT] = slot
            with bind_session(session):
                await self.dispatcher.feed_update(bot, update, **data)
            enqueued = bool(session.info.get(JOBS_ENQUEUED))
        # Only a transaction that queued jobs has news for the workers; waking them for every
        # update cost a job-claim transaction per update (on SQLite, a second write lock).
        if enqueued and self.on_committed is not None:
            self.on_committed()
        return "handled"

    def _context(
        self, session: AsyncSession, record: UserRecord | None, user: Any
    ) -> dict[str, Any]:
        locale = resolve_locale(
            record.language if record else None,
            record.telegram_language if record else getattr(user, "language_code", None),
        )
        return {
            **self.extra_data,
            "session": session,
            "user_record": record,
            "locale": locale,
            "_": self.translator.bind(locale),
        }

    async def _failed(self, bot: Bot, update: Update, kind: str, error: Exception) -> None:
        telemetry.ERRORS.labels(type=type(error).__name__).inc()
        log.exception("handler failed", update_type=kind)
        async with self._write_turn(), self.session_factory() as session, session.begin():
            await claim_update(session, bot.id, update.update_id, kind)
        chat_id = _chat_id(update)
        if chat_id is None:
            return
        user = getattr(update.event, "from_user", None)
        locale = resolve_locale(None, getattr(user, "language_code", None))
        try:
            await bot.send_message(chat_id, self.translator.t("core.error", locale))
        except Exception:  # the apology is best effort; the failure is already logged
            log.warning("could not send the error reply", exc_info=True)

    async def _throttled(self, bot: Bot, update: Update, verdict: Verdict) -> None:
        telemetry.THROTTLED.inc()
        if verdict is not Verdict.NOTIFY:
            return
        chat_id = _chat_id(update)
        user = getattr(update.event, "from_user", None)
        if chat_id is None:
            return
        locale = resolve_locale(None, getattr(user, "language_code", None))
        try:
            await bot.send_message(chat_id, self.translator.t("core.throttled", locale))
        except Exception:
            log.warning("could not send the throttle notice", exc_info=True)


def _chat(update: Update) -> Chat | None:
    chat: Chat | None = getattr(update.event, "chat", None)
    if chat is None and update.callback_query is not None and update.callback_query.message:
        chat = update.callback_query.message.chat
    return chat


def _chat_id(update: Update) -> int | None:
    chat = _chat(update)
    return chat.id if chat is not None else None
