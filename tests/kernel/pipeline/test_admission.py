"""Admission and claims on the real databases: one batch upserts users and chats, returns each
user's stored row and FSM states, and tells a claimed update from a fresh one."""

from __future__ import annotations

import pytest
from aiogram.types import Chat, User
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from switchboard.kernel.fsm_models import FsmState
from switchboard.kernel.models import ChatRecord, ProcessedUpdate, UserRecord
from switchboard.kernel.pipeline.admission import Arrival, admit, claim
from switchboard.kernel.pipeline.batch_connection import BatchConnection
from switchboard.kernel.pipeline.batch_sql import ADMIT_COLUMNS, POSTGRESQL
from switchboard.kernel.pipeline.records import Claim

from .conftest import BOT


def arrival(update_id: int, user_id: int, *, name: str = "Ann", language: str = "en") -> Arrival:
    user = User(id=user_id, is_bot=False, first_name=name, language_code=language)
    chat = Chat(id=user_id, type="private", first_name=name)
    return Arrival(BOT, update_id, user, chat, (BOT, user_id, user_id))


async def test_a_batch_upserts_users_and_chats_and_returns_the_stored_rows(
    connection: BatchConnection, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    async with session_factory() as session, session.begin():
        session.add(UserRecord(id=2, first_name="Old", language="ru", timezone="Europe/Moscow"))

    admissions = await admit(connection, [arrival(1, 1), arrival(2, 2, name="Bob"), arrival(3, 1)])

    assert [a.duplicate for a in admissions] == [False, False, False]
    first, second, again = admissions
    assert first.user is not None and first.user["first_name"] == "Ann"
    assert second.user is not None
    # What the user chose stays; what Telegram says is refreshed.
    assert (second.user["first_name"], second.user["language"], second.user["timezone"]) == (
        "Bob",
        "ru",
        "Europe/Moscow",
    )
    assert second.user["last_seen"] is not None and second.user["last_seen"].tzinfo is not None
    assert again.user == first.user  # one row per user, however many of their updates
    async with session_factory() as session:
        chats = await session.scalar(select(func.count()).select_from(ChatRecord))
        users = await session.scalar(select(func.count()).select_from(UserRecord))
    assert (chats, users) == (2, 2)


async def test_a_known_chat_is_rewritten_only_when_it_changed(
    connection: BatchConnection, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    postgresql = connection.engine.dialect.name == "postgresql"

    async def chat() -> tuple[str, str]:
        """The chat's title, and its row version on PostgreSQL (xmin changes with every
        write of the row)."""
        version = "xmin::text" if postgresql else "''"
        query = text(f"SELECT title, {version} FROM chats WHERE bot_id = :b AND id = 9")
        async with session_factory() as session:
            row = (await session.execute(query, {"b": BOT})).one()
        return str(row[0]), str(row[1])

    async def rows_written(update_id: int, name: str) -> int:
        """Rows the admission wrote, as SQLite counts them on the batch connection (the
        user's row is always one: its last_seen); 0 on PostgreSQL."""
        if postgresql:
            await admit(connection, [arrival(update_id, 9, name=name)])
            return 0
        count = "SELECT total_changes()"
        [(before,)] = await connection.run(count, {}, writes=False)
        await admit(connection, [arrival(update_id, 9, name=name)])
        [(after,)] = await connection.run(count, {}, writes=False)
        return int(after) - int(before)

    first = await rows_written(50, "Ann")
    title, version = await chat()
    again = await rows_written(51, "Ann")
    unchanged = await chat()
    renamed = await rows_written(52, "Anna")
    new_title, new_version = await chat()

    assert (title, unchanged[0], new_title) == ("Ann", "Ann", "Anna")
    if postgresql:
        assert unchanged[1] == version  # not written again
        assert new_version != version
    else:
        assert (first, again, renamed) == (2, 1, 2)  # user and chat; user only; both


async def test_claimed_updates_are_duplicates_and_claiming_twice_changes_nothing(
    connection: BatchConnection, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await claim(connection, [Claim(BOT, 10, "message")])
    await claim(connection, [Claim(BOT, 10, "message"), Claim(BOT, 11, "message")])

    admissions = await admit(connection, [arrival(10, 1), arrival(11, 1), arrival(12, 1)])

    assert [a.duplicate for a in admissions] == [True, True, False]
    async with session_factory() as session:
        claimed = await session.scalar(select(func.count()).select_from(ProcessedUpdate))
    assert claimed == 2


async def test_the_fsm_states_of_each_owner_come_with_the_admission(
    connection: BatchConnection, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    async with session_factory() as session, session.begin():
        session.add(
            FsmState(bot_id=BOT, chat_id=5, user_id=5, destiny="default", state="Flow:step")
        )

    with_state, without = await admit(connection, [arrival(20, 5), arrival(21, 6)])

    assert with_state.states is not None and without.states is not None
    assert list(with_state.states.states.values()) == ["Flow:step"]
    assert without.states.states == {}


async def test_a_duplicate_refreshes_nothing_and_the_last_fresh_arrival_of_a_user_wins(
    connection: BatchConnection, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await claim(connection, [Claim(BOT, 30, "message")])
    nobody = Arrival(BOT, 33, None, None, None)  # e.g. a poll update: no user, no chat

    admissions = await admit(
        connection,
        [
            arrival(30, 7, name="Claimed"),
            arrival(31, 7, name="Early"),
            nobody,
            arrival(32, 7, name="Late"),
        ],
    )

    assert [a.duplicate for a in admissions] == [True, False, False, False]
    _, early, none, late = admissions
    assert early.user is not None and late.user is not None
    assert early.user["first_name"] == late.user["first_name"] == "Late"
    assert (none.user, none.states) == (None, None)
    async with session_factory() as session:
        user = await session.get(UserRecord, 7)
        chat = await session.get(ChatRecord, (BOT, 7))
    assert user is not None and user.first_name == "Late"
    assert chat is not None and chat.title == "Late"


async def test_a_batch_of_duplicates_only_writes_nothing(
    connection: BatchConnection, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await claim(connection, [Claim(BOT, 40, "message")])

    [admission] = await admit(connection, [arrival(40, 8)])

    assert admission.duplicate
    async with session_factory() as session:
        assert await session.get(UserRecord, 8) is None


@pytest.mark.parametrize("database_kind", ["postgresql"])
async def test_admission_commits_without_waiting_for_the_wal_and_claims_wait(
    engine: AsyncEngine,
) -> None:
    admitting = BatchConnection(engine, synchronous_commit=False)
    claiming = BatchConnection(engine)
    try:
        assert await admitting.run("SHOW synchronous_commit", (), writes=False) == [("off",)]
        assert await claiming.run("SHOW synchronous_commit", (), writes=False) == [("on",)]
    finally:
        await admitting.close()
        await claiming.close()


@pytest.mark.parametrize("database_kind", ["postgresql"])
async def test_the_admission_plan_probes_by_primary_key_without_knowing_the_batch(
    connection: BatchConnection, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    """The plan PostgreSQL keeps for a prepared statement is made without the arrays' lengths;
    a join there may hash the arrivals and read whole tables, which grow without bound."""
    async with session_factory() as session, session.begin():  # tables worth an index
        for update_id in range(2_000):
            session.add(ProcessedUpdate(bot_id=BOT, update_id=update_id, kind="message"))
        await session.execute(text("ANALYZE processed_updates"))
    types = ", ".join(f"{kind}[]" for _, kind in ADMIT_COLUMNS)
    values = (
        ", ".join(f"ARRAY[1]::{kind}[]" for _, kind in ADMIT_COLUMNS)
        .replace("ARRAY[1]::text[]", "ARRAY['x']::text[]")
        .replace("ARRAY[1]::boolean[]", "ARRAY[false]")
    )

    await connection.run("SET plan_cache_mode TO force_generic_plan", (), writes=False)
    await connection.run(
        f"PREPARE admit_plan ({types}, timestamptz) AS {POSTGRESQL.admit}", (), writes=False
    )
    plan = "\n".join(
        row[0]
        for row in await connection.run(
            f"EXPLAIN EXECUTE admit_plan ({values}, now())", (), writes=False
        )
    )

    assert "Index Only Scan using pk_processed_updates" in plan, plan
    assert "Index Scan using pk_fsm_states" in plan, plan
    assert "Seq Scan" not in plan, plan
