"""Updates per second through Switchboard's whole pipeline, against two bare aiogram echo bots.

Anchors (DESIGN.md, "Performance facts"): aiogram's echo bot as its docs write it (`F.text`,
~3,800 updates/s on one core) and the same bot with an `async def` filter (~7,800/s).
Switchboard runs the full kernel pipeline for every update: inbound throttle, one database
transaction, the update id claimed, user and chat upserted, FSM state read, i18n, the core app's
routers and then an echo app's handler (a reply through the outbound flood limiter), metrics,
commit. Target: >= 1.0x the first anchor and >= 0.5x the second, on SQLite and on PostgreSQL.

Fed the same way to all: private text messages, `--concurrency` in flight (default 100, a
getUpdates batch), each chat's updates in order, through `Dispatcher.feed_raw_update` for the
anchors and `Platform.process` (what the poller and the webhook call) for Switchboard. Every
Bot API call is answered in process by `LocalBotAPI` (serialize the request, parse and validate
the JSON answer, no socket), the same session class for all; `--rtt MS` makes each call take
that long, like a real round-trip to Telegram.

Throttle: the default rule (a burst of 10, then 1/s per user) is kept; every round uses fresh
users who each send 3 messages, so nothing is throttled (checked).
Outbound limiter: measured both ways. "limiter" keeps Telegram's real limits (30/s per bot,
1/s per chat after a burst of 3) with updates spread over `--bots` bots (default 300) and many
private chats, as real traffic is; the time sends waited is printed to show it did not bind.
"no limiter" removes the flood-control middleware, to show what the limiter itself costs.

    uv run python bench/pipeline.py            # 3 rounds of 3,000 updates per contender
    uv run python bench/pipeline.py --quick    # 2 rounds of 1,000: under a minute
    uv run python bench/pipeline.py --rtt 50   # with a 50 ms Bot API round-trip
    uv run python bench/pipeline.py --breakdown  # CPU per update of each stage, sequentially

Needs PostgreSQL (SWITCHBOARD_BENCH_PG, default postgresql://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import uvloop
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.filters import Filter
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import Message
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    PG_ADMIN,
    Item,
    bot_token,
    feed,
    load_note,
    median,
    text_updates,
)
from switchboard.apps.core import APP as CORE_APP
from switchboard.db import create_engine, session_factory
from switchboard.kernel import telemetry
from switchboard.kernel.apps import App
from switchboard.kernel.filters import HasText
from switchboard.kernel.models import BotRecord
from switchboard.kernel.sender import FloodControlMiddleware
from switchboard.kernel.sender.metrics import FLOOD_WAIT_SECONDS
from switchboard.platform.migrations import upgrade_all
from switchboard.platform.runtime import Platform
from switchboard.settings import load_settings

# Within the inbound throttle's burst (10) and the outbound per-chat burst (3): neither limit
# has a reason to hold a benchmark update, however fast the run.
MESSAGES_PER_USER = 3  # at most: users are rounded up, so none sends a 4th (limited to 1/s)

# --- a Bot API that answers in process -------------------------------------------------------

_BOT_RESULTS: dict[str, Any] = {
    "getWebhookInfo": {"url": "", "has_custom_certificate": False, "pending_update_count": 0},
    "getMyCommands": [],
}


class LocalBotAPI(AiohttpSession):
    """An aiogram session that does everything the aiohttp session does for a call except the
    socket round-trip: request middlewares (flood control) run, the method is serialized to the
    same form body, and the answer is JSON that is parsed and validated into aiogram's types.

    `latency` adds an `asyncio.sleep` per call, standing in for Telegram's round-trip time.
    """

    def __init__(self, latency: float = 0.0) -> None:
        super().__init__()
        self.latency = latency
        self.calls = 0
        self._message_ids = itertools.count(1)

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 - aiogram's signature, overridden
    ) -> TelegramType:
        self.calls += 1
        form = self.build_form_data(bot=bot, method=method)
        form()  # encode the body, as sending it would
        if self.latency:
            await asyncio.sleep(self.latency)
        answer = json.dumps({"ok": True, "result": self._result(bot, method)})
        response = self.check_response(bot=bot, method=method, status_code=200, content=answer)
        return response.result  # type: ignore[return-value]

    def _result(self, bot: Bot, method: TelegramMethod[Any]) -> Any:
        name = method.__api_method__
        if name == "getMe":
            return {
                "id": bot.id,
                "is_bot": True,
                "first_name": "Bench Bot",
                "username": f"bench_{bot.id}_bot",
            }
        if name.startswith("send"):
            chat_id = getattr(method, "chat_id", 0)
            return {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private" if int(chat_id) > 0 else "supergroup"},
                "from": {"id": bot.id, "is_bot": True, "first_name": "Bench Bot"},
                "text": getattr(method, "text", "") or "",
            }
        return _BOT_RESULTS.get(name, True)


# --- the anchors: aiogram's echo bot, twice ------------------------------------------------


async def echo(message: Message) -> None:
    await message.answer(message.text or "")


def docs_echo() -> Dispatcher:
    """As aiogram's docs write it: `@router.message(F.text)`."""
    router = Router()
    router.message.register(echo, F.text)
    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    return dispatcher


class AsyncHasText(Filter):
    async def __call__(self, message: Message) -> bool:
        return bool(message.text)


def async_echo() -> Dispatcher:
    """The same bot with a coroutine filter, which aiogram does not send to a thread."""
    router = Router()
    router.message.register(echo, AsyncHasText())
    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    return dispatcher


# --- Switchboard: the platform with the core app and an echo app -----------------------------


async def platform_echo(message: Message) -> None:
    await message.answer(message.text or "", parse_mode=None)


def _echo_router() -> Router:
    router = Router(name="echo")
    router.message.register(platform_echo, HasText())
    return router


ECHO_APP = App(name="echo", title="core.title", make_router=_echo_router)


@asynccontextmanager
async def fresh_postgres() -> AsyncIterator[str]:
    name = f"sb_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(PG_ADMIN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = make_url(PG_ADMIN).set(drivername="postgresql+asyncpg", database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def register_bots(database_url: str, count: int) -> None:
    await upgrade_all(database_url)
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            for index in range(count):
                token = bot_token(index)
                session.add(
                    BotRecord(
                        id=int(token.split(":")[0]),
                        token=token,
                        apps=["core", "echo"],
                        owner_ids=[],
                        webhook_secret=f"secret-{index}",
                        enabled=True,
                    )
                )
    finally:
        await engine.dispose()


@asynccontextmanager
async def running_platform(database_url: str, bots: int, rtt: float) -> AsyncIterator[Platform]:
    await register_bots(database_url, bots)
    settings = load_settings(
        database_url=database_url, telegram_api_url="http://bench.invalid", redis_url=None
    )
    platform = Platform(settings, apps={"core": CORE_APP, "echo": ECHO_APP})
    platform.http = LocalBotAPI(latency=rtt)
    await platform.start()  # with the in-process job worker, as `switchboard run` has it
    try:
        yield platform
    finally:
        await platform.stop()


def flood_control(platform: Platform) -> FloodControlMiddleware:
    for middleware in platform.http.middleware:
        if isinstance(middleware, FloodControlMiddleware):
            return middleware
    raise RuntimeError("the platform's session has no flood control")


# --- contenders -----------------------------------------------------------------------------


@dataclass
class Contender:
    name: str
    handle: Callable[[Item], Any]
    bot_ids: list[int]
    before: Callable[[], None] = lambda: None
    after: Callable[[], None] = lambda: None
    rates: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # process CPU seconds per update


def anchor(name: str, dispatcher: Dispatcher, bots: list[Bot]) -> Contender:
    async def handle(item: Item) -> None:
        await dispatcher.feed_raw_update(bots[item.bot], item.update)

    return Contender(name, handle, [bot.id for bot in bots])


def switchboard(name: str, platform: Platform, *, limiter: bool) -> Contender:
    ids = sorted(platform.bots)
    middleware = flood_control(platform)

    async def handle(item: Item) -> None:
        await platform.process(ids[item.bot], item.update)

    def before() -> None:
        if not limiter:
            platform.http.middleware.unregister(middleware)

    def after() -> None:
        if not limiter:
            platform.http.middleware.register(middleware)

    return Contender(name, handle, ids, before, after)


def waited_seconds() -> tuple[float, float]:
    """(sends counted, seconds waited) by the flood limiter so far, over every lane."""
    count = total = 0.0
    for metric in FLOOD_WAIT_SECONDS.collect():
        for sample in metric.samples:
            if sample.name.endswith("_count"):
                count += sample.value
            elif sample.name.endswith("_sum"):
                total += sample.value
    return count, total


def throttled() -> float:
    return sum(
        sample.value
        for metric in telemetry.THROTTLED.collect()
        for sample in metric.samples
        if sample.name.endswith("_total")
    )


# --- the run --------------------------------------------------------------------------------


async def main(args: argparse.Namespace) -> None:
    rtt = args.rtt / 1000
    users = -(-args.updates // MESSAGES_PER_USER)
    print(
        f"{args.rounds} rounds x {args.updates} updates per contender, {args.bots} bots, "
        f"{users} fresh users per round ({MESSAGES_PER_USER} messages each), "
        f"{args.concurrency} in flight, Bot API answered in process "
        f"(LocalBotAPI, rtt {args.rtt:g} ms), {args.loop} event loop; {load_note()}"
    )
    async with AsyncExitStack() as stack:
        directory = stack.enter_context(tempfile.TemporaryDirectory())
        sqlite_url = f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}"
        on_sqlite = await stack.enter_async_context(running_platform(sqlite_url, args.bots, rtt))
        pg_url = await stack.enter_async_context(fresh_postgres())
        on_pg = await stack.enter_async_context(running_platform(pg_url, args.bots, rtt))

        session = LocalBotAPI(latency=rtt)
        stack.push_async_callback(session.close)
        bots = [Bot(bot_token(i), session=session) for i in range(args.bots)]
        contenders = [
            anchor("aiogram echo, F.text (docs)", docs_echo(), bots),
            anchor("aiogram echo, async filter", async_echo(), bots),
            switchboard("switchboard sqlite, limiter", on_sqlite, limiter=True),
            switchboard("switchboard sqlite, no limiter", on_sqlite, limiter=False),
            switchboard("switchboard postgres, limiter", on_pg, limiter=True),
            switchboard("switchboard postgres, no limiter", on_pg, limiter=False),
        ]
        gc.collect()
        gc.freeze()

        next_update = 1
        next_user = 0

        async def one_round(contender: Contender, count: int) -> float:
            nonlocal next_update, next_user
            round_users = -(-count // MESSAGES_PER_USER)
            items = text_updates(
                count,
                bots=len(contender.bot_ids),
                users=round_users,
                first_update_id=next_update,
                first_user=200_000_000 + next_user,
            )
            next_update += count
            next_user += round_users
            contender.before()
            cpu = time.process_time()
            try:
                elapsed = await feed(items, contender.handle, concurrency=args.concurrency)
            finally:
                contender.after()
            contender.cpu.append((time.process_time() - cpu) / count)
            return count / elapsed

        for contender in contenders:  # warm-up: caches, connection pools, first inserts
            await one_round(contender, min(args.updates, 300))
        sends_before, waited_before = waited_seconds()
        throttled_before = throttled()
        for round_number in range(args.rounds):
            order = contenders if round_number % 2 == 0 else contenders[::-1]
            for contender in order:
                contender.rates.append(await one_round(contender, args.updates))
        sends, waited = waited_seconds()
        refused = throttled() - throttled_before

    print()
    print(f"{'contender':36} {'updates/s':>9} {'CPU us/update':>13}   each round (updates/s)")
    for contender in contenders:
        rounds = " ".join(f"{rate:,.0f}" for rate in contender.rates)
        cpu = median(contender.cpu[1:]) * 1e6  # [0] is the warm-up
        print(f"{contender.name:36} {median(contender.rates):9,.0f} {cpu:13,.0f}   {rounds}")
    print()
    print(
        f"limiter: {sends - sends_before:,.0f} sends went through it, waiting "
        f"{waited - waited_before:.2f} s in all; throttled updates: {refused:.0f}"
    )
    docs, fast = (median(c.rates) for c in contenders[:2])
    docs_cpu, fast_cpu = (median(c.cpu[1:]) for c in contenders[:2])
    print()
    for contender in contenders[2:]:
        ours, ours_cpu = median(contender.rates), median(contender.cpu[1:])
        verdict = "met" if ours >= docs and ours >= 0.5 * fast else "MISSED"
        print(
            f"ratio {contender.name}: {ours / docs:.2f}x F.text echo (target >= 1.0), "
            f"{ours / fast:.2f}x async echo (target >= 0.5) -> {verdict}; "
            f"by CPU per update {docs_cpu / ours_cpu:.2f}x and {fast_cpu / ours_cpu:.2f}x"
        )
    print(f"({load_note()} at the end)")


# --- where the time goes -----------------------------------------------------------------------


async def breakdown(args: argparse.Namespace) -> None:
    """CPU per update of the pipeline with parts taken out, fed as the main run feeds it."""
    count = args.updates
    print(
        f"CPU us per update (this thread), {count} updates per stage, {args.concurrency} in "
        f"flight, median of 3; {load_note()}"
    )
    async with AsyncExitStack() as stack:
        directory = stack.enter_context(tempfile.TemporaryDirectory())
        sqlite_url = f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}"
        pg_url = await stack.enter_async_context(fresh_postgres())
        session = LocalBotAPI()
        stack.push_async_callback(session.close)
        bots = [Bot(bot_token(i), session=session) for i in range(args.bots)]
        anchor_dispatcher = async_echo()

        async def anchor_echo(item: Item) -> None:
            await anchor_dispatcher.feed_raw_update(bots[item.bot], item.update)

        for database, url in (("sqlite", sqlite_url), ("postgres", pg_url)):
            platform = await stack.enter_async_context(running_platform(url, args.bots, 0.0))
            print(f"{database}:")
            costs = await price_stages(platform, anchor_echo, count, args.concurrency)
            for name, cost in costs.items():
                print(f"  {name:58} {cost:7,.0f}")


async def price_stages(
    platform: Platform, anchor_echo: Callable[[Item], Any], count: int, concurrency: int
) -> dict[str, float]:
    from aiogram.fsm.storage.memory import MemoryStorage
    from aiogram.types import Update

    from switchboard.kernel.fsm import StateSnapshot
    from switchboard.kernel.pipeline.admission import Admission, Arrival

    processor, dispatcher = platform.processor, platform.dispatcher
    assert processor is not None
    ids = sorted(platform.bots)
    memory_storage = MemoryStorage()
    admissions, claims = processor._admissions, processor._claims
    real_admit, real_claim = admissions._flush, claims._flush

    async def no_admission_writes(arrivals: list[Arrival]) -> list[Admission]:
        return [Admission(False, None, StateSnapshot(a.fsm_owner, {})) for a in arrivals]

    async def no_claim_writes(items: list[Any]) -> list[None]:
        return [None] * len(items)

    async def parse(item: Item) -> None:
        bot = platform.bots[ids[item.bot]]
        Update.model_validate(item.update, context={"bot": bot})

    async def dispatch(item: Item) -> None:  # routers, handler, reply; no database
        bot = platform.bots[ids[item.bot]]
        update = Update.model_validate(item.update, context={"bot": bot})
        context = {**processor.extra_data, "locale": "en", "handler_slot": {}}
        context["_"] = processor.translator.bind("en")
        await dispatcher.feed_update(bot, update, **context)

    async def whole(item: Item) -> None:
        await platform.process(ids[item.bot], item.update)

    def no_database() -> None:
        admissions._flush, claims._flush = no_admission_writes, no_claim_writes

    def with_database() -> None:
        admissions._flush, claims._flush = real_admit, real_claim

    def memory_fsm() -> None:
        dispatcher.fsm.storage = memory_storage

    storage = dispatcher.fsm.storage

    def database_fsm() -> None:
        dispatcher.fsm.storage = storage

    stages: dict[str, tuple[Callable[[Item], Any], Callable[[], None], Callable[[], None]]] = {
        "aiogram echo, async filter (the anchor, whole)": (
            anchor_echo,
            with_database,
            with_database,
        ),
        "parse the Update": (parse, with_database, with_database),
        "dispatch: routers, echo handler, reply via limiter": (dispatch, memory_fsm, database_fsm),
        "the pipeline with admission and claim writes taken out": (
            whole,
            no_database,
            with_database,
        ),
        "the whole pipeline, Platform.process": (whole, with_database, with_database),
    }
    costs: dict[str, list[float]] = {name: [] for name in stages}
    first_user = 400_000_000 + id(platform) % 1000 * 1_000_000
    for repeat in range(3):
        for number, (name, (stage, before, after)) in enumerate(stages.items()):
            offset = (repeat * len(stages) + number) * count
            items = text_updates(
                count,
                bots=len(ids),
                users=-(-count // MESSAGES_PER_USER),
                first_update_id=offset + 1,
                first_user=first_user + offset,
            )
            before()
            try:
                cpu = time.thread_time()
                await feed(items, stage, concurrency=concurrency)
                costs[name].append((time.thread_time() - cpu) / count * 1e6)
            finally:
                after()
    return {name: median(values) for name, values in costs.items()}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 rounds of 1,000: under a minute")
    parser.add_argument("--updates", type=int, help="updates per round")
    parser.add_argument("--rounds", type=int, help="measured rounds per contender")
    parser.add_argument("--bots", type=int, default=300, help="bots the updates are spread over")
    parser.add_argument("--concurrency", type=int, default=100, help="updates in flight")
    parser.add_argument("--rtt", type=float, default=0.0, help="Bot API round-trip, ms")
    parser.add_argument(
        "--breakdown", action="store_true", help="CPU per update of each pipeline stage instead"
    )
    parser.add_argument(
        "--loop",
        choices=("asyncio", "uvloop"),
        default="asyncio",
        help="the event loop every contender runs on (switchboard's commands use uvloop)",
    )
    arguments = parser.parse_args()
    default_updates = 1_000 if arguments.quick else 3_000
    arguments.updates = arguments.updates or default_updates
    arguments.rounds = arguments.rounds or (2 if arguments.quick else 3)
    started = time.monotonic()
    factory = uvloop.new_event_loop if arguments.loop == "uvloop" else None
    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(breakdown(arguments) if arguments.breakdown else main(arguments))
    print(f"took {time.monotonic() - started:.0f} s")
