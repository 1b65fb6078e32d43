"""The running platform: every bot on one dispatcher, one HTTP session and one limiter.

`Platform.start()` opens the database (migrating it), builds the dispatcher from the installed
apps, and makes an aiogram `Bot` per enabled bot row; polling (`PollingSupervisor`) and the
webhook route (`switchboard.web`) both hand updates to `Platform.process`.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import structlog
from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import TelegramObject, Update
from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from switchboard.db import create_engine, session_factory
from switchboard.db.engine import database_file
from switchboard.db.wal_checkpoints import WalCheckpointer
from switchboard.kernel import housekeeping, rollups, telemetry
from switchboard.kernel.addressing import ignore_commands_for_other_bots
from switchboard.kernel.apps import App, EnabledApps, app_gate, keep_app_schedules
from switchboard.kernel.bots import list_bots
from switchboard.kernel.command_menus import publish_command_menus, publish_menu_button
from switchboard.kernel.email import register_email_jobs, schedule_email
from switchboard.kernel.fallback import make_fallback_router
from switchboard.kernel.fsm import make_fsm_storage
from switchboard.kernel.i18n import Translator
from switchboard.kernel.jobs import JobRegistry, Worker
from switchboard.kernel.jobs.worker import default_worker_id
from switchboard.kernel.models import BotRecord, OutboxMessage
from switchboard.kernel.pipeline import chosen_handler
from switchboard.kernel.pipeline.call_boundary import install_call_boundary
from switchboard.kernel.pipeline.outbox_courier import OutboxCourier
from switchboard.kernel.pipeline.processor import UpdateProcessor
from switchboard.kernel.pipeline.send_turns import install_send_turns
from switchboard.kernel.platform_bot import PlatformBot
from switchboard.kernel.questions import (
    askers_answer_first,
    commands_leave_questions,
    make_questions_router,
)
from switchboard.kernel.rate_limits import SlidingWindow
from switchboard.kernel.routing import GatedRouter, only_its_commands
from switchboard.kernel.sender import (
    FloodLimiter,
    InMemoryFloodBackend,
    RedisFloodBackend,
    install_flood_control,
)
from switchboard.kernel.telegram_responses import pin_response_types
from switchboard.kernel.throttle import InboundThrottle
from switchboard.kernel.token_vault import reveal, secure_tokens, token_cipher
from switchboard.platform.bot_watch import BotWatcher
from switchboard.platform.installed_apps import INSTALLED_APPS, installed_apps
from switchboard.platform.migrations import upgrade_all, version_locations
from switchboard.platform.startup_checks import check_bot_api
from switchboard.settings import Settings

log = structlog.get_logger("switchboard.runtime")
FINISHING_GRACE_S = 10.0
"""How long `stop` waits for claimed webhook updates whose calls are still going out; the
courier repeats what a longer wait would have sent."""


# The collector's thresholds while serving (CPython's default: 700, 10, 10). An update's
# handlers wait for its claim and outbox row mid-dispatch, so a hundred updates in flight hold
# their dispatch (aiogram's models, middleware wrappers, coroutines) across each other's
# allocations, and a young collection came every few updates: about a tenth of the pipeline's
# CPU went to collections that found nothing (no cycles: `bench/pipeline.py`, gc callbacks).
# Collections stay on for the cycles there are: one of 20,000 young objects pauses a few ms.
GC_THRESHOLDS = (20_000, 10, 10)
_collector_tuned = False


def _tune_collector() -> None:
    """Once per process: freeze what start-up built (aiogram's models make full collections
    slow) and raise the thresholds. Only once: a frozen object is never collected, so freezing
    at every start of a process that starts platforms again and again (the tests) would keep
    each stopped platform for good."""
    global _collector_tuned
    if _collector_tuned:
        return
    _collector_tuned = True
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


class Platform:
    def __init__(self, settings: Settings, apps: dict[str, App] | None = None) -> None:
        self.settings = settings
        self.apps = (
            apps if apps is not None else installed_apps(settings.installed_apps or INSTALLED_APPS)
        )
        self.enabled = EnabledApps()
        self.bots: dict[int, Bot] = {}
        self.records: dict[int, BotRecord] = {}
        self.jobs = JobRegistry()
        self.engine: AsyncEngine | None = None
        self.sessions: async_sessionmaker[AsyncSession] | None = None
        self.worker: Worker | None = None
        self._worker_task: asyncio.Task[None] | None = None
        self._checkpoints: asyncio.Task[None] | None = None
        self.courier: OutboxCourier | None = None
        self._courier_task: asyncio.Task[None] | None = None
        self.rollups: rollups.RollupFlusher | None = None
        self._rollups_task: asyncio.Task[None] | None = None
        self._finishing: set[asyncio.Task[None]] = set()  # claimed updates still sending
        self.redis: Redis | None = (
            Redis.from_url(settings.redis_url) if settings.redis_url else None
        )
        self.rate_limits = SlidingWindow(self.redis) if self.redis is not None else None
        self.http = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
        backend = (
            RedisFloodBackend(self.redis) if self.redis is not None else InMemoryFloodBackend()
        )
        # The margin covers the time between a grant and Telegram seeing the request (event-loop
        # stalls, GC, network): 0.2 s keeps a loaded machine at zero 429s for ~17% of peak rate.
        self.limiter = FloodLimiter(backend, safety_margin=settings.flood_safety_margin)
        self.cipher = token_cipher(settings.token_key)
        self.translator = Translator()
        for app in self.apps.values():
            if app.catalog is not None:
                self.translator.extend(app.catalog)
        self.dispatcher = Dispatcher()
        self.processor: UpdateProcessor | None = None
        self.watcher = BotWatcher(self, settings.bots_reload_seconds)
        self._watcher_task: asyncio.Task[None] | None = None

    def migration_locations(self) -> list[Path]:
        """The installed apps' folders of migrations (for /readyz's "is the schema current")."""
        return version_locations(self.apps)

    @property
    def session_factory(self) -> async_sessionmaker[AsyncSession]:
        if self.sessions is None:
            raise RuntimeError("the platform is not started")
        return self.sessions

    async def start(self, *, with_worker: bool | None = None, check_api: bool = False) -> None:
        """Migrate, then open everything; with `check_api`, a Bot API that does not answer
        each bot's token stops start-up with a `StartupError` (`run`, `serve`, `demo`)."""
        await upgrade_all(self.settings.database_url, self.apps)
        sqlite_file = database_file(self.settings.database_url)
        self.engine = create_engine(
            self.settings.database_url, background_checkpoints=sqlite_file is not None
        )
        if sqlite_file is not None:
            checkpointer = WalCheckpointer(sqlite_file, on_failure=_count_checkpoint_failure)
            self._checkpoints = asyncio.create_task(checkpointer.run())
        self.sessions = session_factory(self.engine)
        async with self.sessions() as session, session.begin():
            # A missing or wrong TOKEN_KEY stops start-up here, with a one-line TokenKeyError.
            if await secure_tokens(session, self.cipher):
                log.info("bot tokens encrypted with TOKEN_KEY")
        if self.cipher is None:
            log.warning("TOKEN_KEY is not set: bot tokens are stored in plain text")
        housekeeping.register(
            self.jobs,
            [*rollups.RETENTION, *(kept for app in self.apps.values() for kept in app.retention)],
        )
        register_email_jobs(self.jobs, self)
        async with self.sessions() as session, session.begin():
            await housekeeping.schedule(session)
            await schedule_email(session)
            await keep_app_schedules(session, list(self.apps.values()))
        self.dispatcher = Dispatcher(
            storage=make_fsm_storage(self.settings.redis_url, self.sessions)
        )
        ignore_commands_for_other_bots(self.dispatcher)  # "/help@other_bot" in a group
        commands_leave_questions(self.dispatcher)  # a command ends the question the bot asked
        app_routers: dict[str, Router] = {}
        for app in self.apps.values():
            app_routers[app.name] = self._gated_router(app)
            self.dispatcher.include_router(app_routers[app.name])
            if app.register_jobs is not None:
                app.register_jobs(self.jobs, self)
        # An answer to an app's question, or a message an app claims, goes to that app before
        # the others (notes takes any text); the apps' packages tell which app defined which
        # question.
        askers_answer_first(
            self.dispatcher,
            app_routers,
            {name: app.make_router.__module__.rsplit(".", 1)[0] for name, app in self.apps.items()},
            {name: app.claims for name, app in self.apps.items() if app.claims is not None},
        )
        questions = make_questions_router()  # Cancel taps, and messages no app took
        chosen_handler.install(questions)
        self.dispatcher.include_router(questions)
        fallback = make_fallback_router()
        chosen_handler.install(fallback)
        self.dispatcher.include_router(fallback)  # last: unknown commands
        throttle = InboundThrottle.from_url(self.settings.redis_url)
        self.processor = UpdateProcessor(
            self.dispatcher,
            self.sessions,
            self.translator,
            throttle,
            extra_data={"platform": self, "translator": self.translator},
            holder=default_worker_id(),
            outbox_lease=timedelta(seconds=self.settings.outbox_lease_seconds),
        )
        await self.watcher.prime()
        await self.reload_bots(check_api=check_api)
        self._watcher_task = asyncio.create_task(self.watcher.run(), name="bot-watcher")
        self.courier = OutboxCourier(
            self.sessions,
            self.bots.get,
            holder=self.processor.holder,
            held=self.processor.held,
            lease=self.processor.outbox_lease,
        )
        self._courier_task = asyncio.create_task(self.courier.run(), name="outbox-courier")
        self.rollups = rollups.RollupFlusher(self.sessions)
        self._rollups_task = asyncio.create_task(self.rollups.run(), name="rollups")
        run_worker = self.settings.in_process_worker if with_worker is None else with_worker
        if run_worker:
            self.worker = Worker(
                self.sessions,
                self.jobs,
                worker_id=f"inproc-{id(self)}",
                lease=timedelta(seconds=self.settings.job_lease_seconds),
            )
            self._worker_task = asyncio.create_task(self.worker.run())
        pin_response_types()
        _tune_collector()

    def _gated_router(self, app: App) -> Router:
        router = app.make_router()
        commands = only_its_commands(router)  # before chosen_handler's (inner) middleware
        chosen_handler.install(router)
        if app.always_enabled:  # every bot runs it: no gate to check
            if commands is None:
                return router
            return GatedRouter(router, commands, name=f"{app.name}:commands")
        enabled = app_gate(app.name, self.enabled)
        if commands is None:
            return GatedRouter(router, enabled, name=f"{app.name}:enabled")

        def gate(update_type: str, event: TelegramObject, data: Mapping[str, Any]) -> bool:
            return commands(update_type, event, data) and enabled(update_type, event, data)

        return GatedRouter(router, gate, name=f"{app.name}:enabled")

    def bot(self, bot_id: int) -> Bot:
        bot = self.bots.get(bot_id)
        if bot is None:
            raise LookupError(f"bot {bot_id} is not running here")
        return bot

    def translate(self, key: str, locale: str | None, **params: Any) -> str:
        return self.translator.t(key, locale, **params)

    def owners(self, bot_id: int) -> set[int]:
        record = self.records.get(bot_id)
        return set(self.settings.owner_ids) | set(record.owner_ids if record else [])

    async def reload_bots(self, *, check_api: bool = False) -> None:
        """Read the bot table: start new bots, apply app changes, forget removed ones."""
        async with self.session_factory() as session:
            records = [r for r in await list_bots(session) if r.enabled]
        seen = set()
        to_publish: list[tuple[BotRecord, Bot]] = []
        for record in records:
            seen.add(record.id)
            previous = self.records.get(record.id)
            if previous is not None and previous.token != record.token:
                self.bots.pop(record.id, None)  # a new token: a new Bot below
            changed_apps = previous is not None and previous.apps != record.apps
            self.records[record.id] = record
            self.enabled.set(record.id, record.apps)
            telemetry.bot_running(record.id, record.username or "")
            if record.id not in self.bots or changed_apps:
                bot = self.bots.get(record.id) or self._make_bot(record)
                self.bots[record.id] = bot
                to_publish.append((record, bot))
        if check_api:  # before the menus: their failures would be a traceback per bot
            await check_bot_api(self.settings.telegram_api_url, self.bots)
        # The Mini App needs the web app at an address Telegram's clients reach.
        public_url = self.settings.public_url or self.settings.webhook_base_url
        for record, bot in to_publish:
            try:
                await publish_command_menus(
                    bot, [self.apps[a] for a in record.apps if a in self.apps], self.translator
                )
            except Exception:
                log.warning("could not publish command menus", bot_id=record.id, exc_info=True)
            if public_url is not None:
                try:
                    text = self.translator.t("kernel.menu_button", None)
                    await publish_menu_button(bot, public_url, text)
                except Exception:
                    log.warning("could not set the menu button", bot_id=record.id, exc_info=True)
        for bot_id in list(self.bots):
            if bot_id not in seen:
                self.bots.pop(bot_id)
                self.records.pop(bot_id, None)
                self.enabled.forget(bot_id)
                telemetry.bot_stopped(bot_id)

    async def bots_changed(self) -> None:
        """Reload the bots now (and tell the watcher's listeners: `serve` sets webhooks)."""
        await self.watcher.check()

    def _make_bot(self, record: BotRecord) -> Bot:
        bot = PlatformBot(
            reveal(record.token, self.cipher),
            session=self.http,
            default=DefaultBotProperties(parse_mode="HTML"),
        )
        install_call_boundary(bot)  # first: commit before anything waits
        if self.limiter.tells_chat_waits:
            # The turn before flood control: the limiter decides once the turn is held, so a
            # wait for the turn never makes a send reach Telegram later than it was counted.
            install_send_turns(bot, self.limiter)
            install_flood_control(bot, self.limiter)
        else:
            # A shared backend cannot say, without a round trip, how long a chat holds a send:
            # a turn taken first would be held through that wait, holding up the bot's other
            # chats. The turn comes after flood control there (posts may then arrive late).
            install_flood_control(bot, self.limiter)
            install_send_turns(bot)
        return bot

    async def process(
        self,
        bot_id: int,
        update: dict[str, Any] | Update,
        on_claimed: Callable[[], None] | None = None,
    ) -> None:
        if self.processor is None:
            raise RuntimeError("the platform is not started")
        bot = self.bots.get(bot_id)
        if bot is None:
            raise LookupError(f"no running bot {bot_id}")
        await self.processor.process(bot, update, on_claimed)

    async def process_until_claimed(self, bot_id: int, update: Update) -> None:
        """What a webhook waits for before its 200: the update's claim (with the outbox rows
        of its calls so far), not the calls themselves, which finish here in the background
        (`stop` waits for them). A failure before the claim is raised: Telegram retries."""
        claimed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def on_claimed(_: object = None) -> None:
            if not claimed.done():  # also once the request is gone (cancelled)
                claimed.set_result(None)

        # One task per request, and a future for the claim (not an Event and a task waiting
        # on it): the handling task ends in the step that fails it, before the request wakes.
        handling = asyncio.create_task(self.process(bot_id, update, on_claimed))
        self._finishing.add(handling)
        handling.add_done_callback(self._finished)
        handling.add_done_callback(on_claimed)  # a duplicate or a failure before the claim
        await claimed
        if handling.done():
            handling.result()  # the processor calls on_claimed on its way out, failed or not

    async def calls_delivered(self, bot_id: int, update_id: int) -> None:
        """Returns once no call of the update waits in the outbox: made, or taken over and made
        by a courier after its holder died (a lease and a little more, at most; then it
        returns anyway: the courier still makes them)."""
        deadline = time.monotonic() + self.settings.outbox_lease_seconds + 10
        while time.monotonic() < deadline:
            async with self.session_factory() as session:
                waiting = await session.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.bot_id == bot_id, OutboxMessage.update_id == update_id)
                )
            if not waiting:
                return
            await asyncio.sleep(0.1)

    def _finished(self, handling: asyncio.Task[None]) -> None:
        self._finishing.discard(handling)
        if not handling.cancelled() and handling.exception() is not None:
            log.error(
                "claimed update not finished; the outbox courier repeats its calls",
                exc_info=handling.exception(),
            )

    async def stop(self) -> None:
        if self._watcher_task is not None:
            self.watcher.stop()
            await asyncio.gather(self._watcher_task, return_exceptions=True)
        if self.courier is not None and self._courier_task is not None:
            self.courier.stop()
            await asyncio.gather(self._courier_task, return_exceptions=True)
        if self._finishing:  # claimed webhook updates whose calls are still going out
            await asyncio.wait(set(self._finishing), timeout=FINISHING_GRACE_S)
        if self.worker is not None:
            self.worker.stop()
        if self._worker_task is not None:
            await asyncio.gather(self._worker_task, return_exceptions=True)
        if self.rollups is not None and self._rollups_task is not None:
            self.rollups.stop()  # after the worker: its last outcomes are counted too
            await asyncio.gather(self._rollups_task, return_exceptions=True)
        if self.processor is not None:
            await self.processor.close()
        await self.dispatcher.storage.close()
        await self.http.close()
        if self.redis is not None:
            await self.redis.aclose()
        if self._checkpoints is not None:
            self._checkpoints.cancel()  # after a last checkpoint
            await asyncio.gather(self._checkpoints, return_exceptions=True)
            self._checkpoints = None
        if self.engine is not None:
            await self.engine.dispose()


def _count_checkpoint_failure() -> None:
    telemetry.SUPERVISOR_FAILURES.labels(loop="wal_checkpoint").inc()
