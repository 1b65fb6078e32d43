"""The database FSM storage on SQLite and PostgreSQL, and the Redis choice, through aiogram."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
import redis.asyncio as redis
import sqlalchemy as sa
from aiogram import Bot, Dispatcher
from aiogram.exceptions import DataNotDictLikeError
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import BaseStorage, StorageKey
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.types import Chat, Message, Update, User
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

import switchboard.platform.models  # noqa: F401  (every table on Base.metadata)
from switchboard.db import Base, create_engine, session_factory
from switchboard.db.migrate import downgrade, upgrade
from switchboard.kernel.fsm import (
    DatabaseStorage,
    FsmKeyBuilder,
    bind_session,
    forget_user,
    make_fsm_storage,
)
from switchboard.kernel.fsm_models import FsmState
from switchboard.settings import Settings

BOT_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"
BOT_ID = 123456789
USER_ID = 4242
KEY = StorageKey(bot_id=BOT_ID, chat_id=USER_ID, user_id=USER_ID)


class Signup(StatesGroup):
    name = State()
    age = State()


@pytest.fixture
def storage(session_factory: async_sessionmaker[AsyncSession]) -> DatabaseStorage:
    return DatabaseStorage(session_factory)


async def count_rows(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int(await session.scalar(sa.select(sa.func.count()).select_from(FsmState)) or 0)


# --- the storage contract ------------------------------------------------------------------


async def test_unknown_key_has_no_state_and_no_data(storage: DatabaseStorage) -> None:
    assert await storage.get_state(KEY) is None
    assert await storage.get_data(KEY) == {}
    assert await storage.get_value(KEY, "missing", "default") == "default"


async def test_state_and_data_round_trip(storage: DatabaseStorage) -> None:
    await storage.set_state(KEY, Signup.name)
    await storage.set_data(KEY, {"name": "Ann", "tags": ["a", "b"], "nested": {"n": 1}})

    assert await storage.get_state(KEY) == "Signup:name"
    assert await storage.get_data(KEY) == {"name": "Ann", "tags": ["a", "b"], "nested": {"n": 1}}
    assert await storage.get_value(KEY, "name") == "Ann"


async def test_setting_state_keeps_data_and_setting_data_keeps_state(
    storage: DatabaseStorage,
) -> None:
    await storage.set_data(KEY, {"name": "Ann"})
    await storage.set_state(KEY, "Signup:age")
    assert await storage.get_data(KEY) == {"name": "Ann"}

    await storage.set_data(KEY, {"age": 30})
    assert await storage.get_state(KEY) == "Signup:age"
    assert await storage.get_data(KEY) == {"age": 30}  # set_data replaces


async def test_update_data_merges_like_dict_update(storage: DatabaseStorage) -> None:
    await storage.set_state(KEY, Signup.name)
    await storage.set_data(KEY, {"name": "Ann", "age": 1})

    merged = await storage.update_data(KEY, {"age": 30, "city": "Riga"})

    assert merged == {"name": "Ann", "age": 30, "city": "Riga"}
    assert await storage.get_data(KEY) == merged
    assert await storage.get_state(KEY) == "Signup:name"


async def test_concurrent_update_data_loses_no_write(storage: DatabaseStorage) -> None:
    # Read-modify-write in one locked transaction: every writer's key survives.
    await asyncio.gather(*(storage.update_data(KEY, {f"k{i}": i}) for i in range(20)))

    assert await storage.get_data(KEY) == {f"k{i}": i for i in range(20)}


async def test_every_part_of_the_key_separates_conversations(storage: DatabaseStorage) -> None:
    keys = [
        KEY,
        StorageKey(bot_id=BOT_ID + 1, chat_id=USER_ID, user_id=USER_ID),
        StorageKey(bot_id=BOT_ID, chat_id=-100, user_id=USER_ID),
        StorageKey(bot_id=BOT_ID, chat_id=USER_ID, user_id=USER_ID, thread_id=7),
        StorageKey(bot_id=BOT_ID, chat_id=USER_ID, user_id=USER_ID, business_connection_id="bc"),
        StorageKey(bot_id=BOT_ID, chat_id=USER_ID, user_id=USER_ID, destiny="scene"),
    ]
    for number, key in enumerate(keys):
        await storage.set_state(key, f"S:{number}")
        await storage.set_data(key, {"n": number})

    for number, key in enumerate(keys):
        assert await storage.get_state(key) == f"S:{number}"
        assert await storage.get_data(key) == {"n": number}


async def test_a_finished_conversation_leaves_no_row(
    storage: DatabaseStorage, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await storage.set_state(KEY, Signup.name)
    await storage.update_data(KEY, {"name": "Ann"})
    assert await count_rows(session_factory) == 1

    await storage.set_state(KEY, None)  # what FSMContext.clear() does: state, then data
    assert await count_rows(session_factory) == 1  # the data is still there
    await storage.set_data(KEY, {})

    assert await count_rows(session_factory) == 0
    # Clearing what does not exist stays a no-op.
    await storage.set_state(KEY, None)
    await storage.set_data(KEY, {})
    assert await count_rows(session_factory) == 0


@pytest.mark.parametrize("database_kind", ["sqlite"])
async def test_set_data_rejects_what_is_not_a_dict(storage: DatabaseStorage) -> None:
    with pytest.raises(DataNotDictLikeError):
        await storage.set_data(KEY, [("a", 1)])  # type: ignore[arg-type]


async def test_rows_record_when_they_changed(
    storage: DatabaseStorage, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    before = datetime.now(UTC)
    await storage.set_state(KEY, Signup.name)
    async with session_factory() as session:
        row = (await session.scalars(sa.select(FsmState))).one()
    assert row.updated_at >= before.replace(microsecond=0)
    assert row.thread_id == 0 and row.business_connection_id == "" and row.destiny == "default"


# --- inside the update's transaction (the pipeline binds its session) -----------------------


async def test_a_bound_session_works_inside_the_updates_transaction(
    storage: DatabaseStorage, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    async with session_factory() as session, session.begin():
        await session.execute(sa.text("SELECT 1"))  # begun: on SQLite it holds the write lock
        with bind_session(session):
            # A second connection would wait for that lock (30 s busy timeout); this must not.
            await asyncio.wait_for(storage.set_state(KEY, Signup.name), timeout=5)
            await asyncio.wait_for(storage.update_data(KEY, {"name": "Ann"}), timeout=5)
            assert await storage.get_state(KEY) == "Signup:name"

    assert await storage.get_state(KEY) == "Signup:name"
    assert await storage.get_data(KEY) == {"name": "Ann"}


async def test_a_failed_update_rolls_its_state_back(
    storage: DatabaseStorage, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    with pytest.raises(RuntimeError, match="handler failed"):
        async with session_factory() as session, session.begin():
            with bind_session(session):
                await storage.set_state(KEY, Signup.name)
                await storage.update_data(KEY, {"name": "Ann"})
            raise RuntimeError("handler failed")

    assert await storage.get_state(KEY) is None
    assert await count_rows(session_factory) == 0


# --- a real dispatcher across a restart ----------------------------------------------------


def make_dispatcher(storage: BaseStorage, replies: list[str]) -> Dispatcher:
    dispatcher = Dispatcher(storage=storage)

    @dispatcher.message(Command("signup"))
    async def ask_name(message: Message, state: FSMContext) -> None:
        await state.set_state(Signup.name)
        replies.append("name?")

    @dispatcher.message(Signup.name)
    async def ask_age(message: Message, state: FSMContext) -> None:
        await state.update_data(name=message.text)
        await state.set_state(Signup.age)
        replies.append("age?")

    @dispatcher.message(Signup.age)
    async def finish(message: Message, state: FSMContext) -> None:
        data = await state.get_data()
        await state.clear()
        replies.append(f"{data['name']} is {message.text}")

    return dispatcher


def text_update(update_id: int, text: str) -> Update:
    return Update(
        update_id=update_id,
        message=Message(
            message_id=update_id,
            date=datetime.now(UTC),
            chat=Chat(id=USER_ID, type="private"),
            from_user=User(id=USER_ID, is_bot=False, first_name="Ann"),
            text=text,
        ),
    )


@pytest.fixture
async def bot() -> AsyncIterator[Bot]:
    bot = Bot(BOT_TOKEN)  # never calls Telegram: the handlers only touch the FSM
    try:
        yield bot
    finally:
        await bot.session.close()


async def run_conversation_with_restart(
    bot: Bot, first: BaseStorage, second: BaseStorage
) -> list[str]:
    replies: list[str] = []
    dispatcher = make_dispatcher(first, replies)
    await dispatcher.feed_update(bot, text_update(1, "/signup"))
    await dispatcher.feed_update(bot, text_update(2, "Ann"))
    await first.close()  # the process stops mid-conversation …

    restarted = make_dispatcher(second, replies)  # … and a new one takes over
    await restarted.feed_update(bot, text_update(3, "30"))
    return replies


async def test_conversation_survives_a_restart(migrated_url: str, bot: Bot) -> None:
    engines: list[AsyncEngine] = [create_engine(migrated_url), create_engine(migrated_url)]
    try:
        first, second = (DatabaseStorage(session_factory(engine)) for engine in engines)

        replies = await run_conversation_with_restart(bot, first, second)

        assert replies == ["name?", "age?", "Ann is 30"]
        assert await count_rows(session_factory(engines[1])) == 0  # cleared at the end
    finally:
        for engine in engines:
            await engine.dispose()


@pytest.mark.redis
@pytest.mark.parametrize("database_kind", ["sqlite"])
async def test_conversation_survives_a_restart_on_redis(
    redis_url: str, session_factory: async_sessionmaker[AsyncSession], bot: Bot
) -> None:
    first = make_fsm_storage(redis_url, session_factory)
    second = make_fsm_storage(Settings(redis_url=redis_url), session_factory)
    assert isinstance(first, RedisStorage) and isinstance(second, RedisStorage)
    seen: dict[str, Any] = {}

    replies: list[str] = []
    dispatcher = make_dispatcher(first, replies)
    await dispatcher.feed_update(bot, text_update(1, "/signup"))
    await dispatcher.feed_update(bot, text_update(2, "Ann"))
    client = redis.from_url(redis_url)
    try:
        seen["keys"] = sorted(key.decode() for key in await client.keys("*"))
    finally:
        await client.aclose()
    await first.close()
    restarted = make_dispatcher(second, replies)
    await restarted.feed_update(bot, text_update(3, "30"))
    await second.close()

    assert replies == ["name?", "age?", "Ann is 30"]
    base = f"switchboard:fsm:{BOT_ID}:{USER_ID}:0:{USER_ID}::default"
    assert seen["keys"] == [f"{base}:data", f"{base}:state"]
    assert await count_rows(session_factory) == 0  # nothing went to the database


@pytest.mark.parametrize("database_kind", ["sqlite"])
async def test_without_redis_the_storage_is_the_database(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    assert isinstance(make_fsm_storage(None, session_factory), DatabaseStorage)
    assert isinstance(make_fsm_storage(Settings(redis_url=None), session_factory), DatabaseStorage)


def test_redis_keys_spell_out_every_part() -> None:
    builder = FsmKeyBuilder()
    plain = builder.build(StorageKey(bot_id=1, chat_id=2, user_id=3), "state")
    threaded = builder.build(StorageKey(bot_id=1, chat_id=2, user_id=3, thread_id=4), "state")
    business = builder.build(
        StorageKey(bot_id=1, chat_id=2, user_id=3, business_connection_id="4"), "state"
    )
    assert plain == "switchboard:fsm:1:2:0:3::default:state"
    assert threaded == "switchboard:fsm:1:2:4:3::default:state"
    assert business == "switchboard:fsm:1:2:0:3:4:default:state"


# --- forgetting a user (/privacy delete) ---------------------------------------------------

OTHER_USER = USER_ID + 1
USER_KEYS = [
    KEY,
    StorageKey(bot_id=BOT_ID + 1, chat_id=-100, user_id=USER_ID, thread_id=3),
    StorageKey(bot_id=BOT_ID, chat_id=USER_ID, user_id=USER_ID, destiny="scene"),
]
# Keys where the user's id appears in other places, which must survive.
OTHER_KEYS = [
    StorageKey(bot_id=BOT_ID, chat_id=USER_ID, user_id=OTHER_USER),
    StorageKey(bot_id=BOT_ID, chat_id=1, user_id=OTHER_USER, thread_id=USER_ID),
    StorageKey(
        bot_id=BOT_ID, chat_id=1, user_id=OTHER_USER, business_connection_id=f"x:{USER_ID}:y"
    ),
]


async def fill(storage: BaseStorage) -> None:
    for key in USER_KEYS + OTHER_KEYS:
        await storage.set_state(key, "S:one")
        await storage.set_data(key, {"n": 1})


async def assert_only_others_remain(storage: BaseStorage) -> None:
    for key in USER_KEYS:
        assert (await storage.get_state(key), await storage.get_data(key)) == (None, {})
    for key in OTHER_KEYS:
        assert (await storage.get_state(key), await storage.get_data(key)) == ("S:one", {"n": 1})


async def test_forget_user_in_the_database(storage: DatabaseStorage) -> None:
    await fill(storage)
    assert await forget_user(storage, USER_ID) == len(USER_KEYS)
    await assert_only_others_remain(storage)


@pytest.mark.redis
@pytest.mark.parametrize("database_kind", ["sqlite"])
async def test_forget_user_in_redis(
    redis_url: str, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    storage = make_fsm_storage(redis_url, session_factory)
    try:
        await fill(storage)
        assert await forget_user(storage, USER_ID) == 2 * len(USER_KEYS)  # state and data keys
        await assert_only_others_remain(storage)
    finally:
        await storage.close()


async def assert_only_this_bot_forgotten(storage: BaseStorage) -> None:
    for key in USER_KEYS + OTHER_KEYS:
        forgotten = key.user_id == USER_ID and key.bot_id == BOT_ID
        expected = (None, {}) if forgotten else ("S:one", {"n": 1})
        assert (await storage.get_state(key), await storage.get_data(key)) == expected, key


async def test_forget_user_with_one_bot_in_the_database(storage: DatabaseStorage) -> None:
    """/privacy answers for the bot it is sent to: the user's conversations with other bots
    of the deployment stay."""
    await fill(storage)
    mine = [key for key in USER_KEYS if key.bot_id == BOT_ID]
    assert await forget_user(storage, USER_ID, BOT_ID) == len(mine)
    await assert_only_this_bot_forgotten(storage)


@pytest.mark.redis
@pytest.mark.parametrize("database_kind", ["sqlite"])
async def test_forget_user_with_one_bot_in_redis(
    redis_url: str, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    storage = make_fsm_storage(redis_url, session_factory)
    try:
        await fill(storage)
        mine = [key for key in USER_KEYS if key.bot_id == BOT_ID]
        assert await forget_user(storage, USER_ID, BOT_ID) == 2 * len(mine)
        await assert_only_this_bot_forgotten(storage)
    finally:
        await storage.close()


# --- the migration -------------------------------------------------------------------------


def _table_names(connection: sa.Connection) -> set[str]:
    return set(sa.inspect(connection).get_table_names())


async def test_migration_creates_and_drops_the_table(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade(database_url, revision="kernel_0003_fsm")
        async with engine.connect() as connection:
            assert "fsm_states" in await connection.run_sync(_table_names)

        await downgrade(database_url, "kernel_0002_kernel")
        async with engine.connect() as connection:
            tables = await connection.run_sync(_table_names)
        assert "fsm_states" not in tables and "users" in tables

        await upgrade(database_url, revision="kernel_0003_fsm")
        async with engine.connect() as connection:
            assert "fsm_states" in await connection.run_sync(_table_names)
    finally:
        await engine.dispose()


def _fsm_differences(connection: sa.Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    differences = compare_metadata(context, Base.metadata)
    return [d for d in differences if "fsm_states" in repr(d)]


async def test_the_migration_matches_the_model(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        assert await connection.run_sync(_fsm_differences) == []
