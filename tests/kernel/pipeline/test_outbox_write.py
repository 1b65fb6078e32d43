"""A batch of claims and calls written in one go: who won each update, and which row is whose."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.kernel.models import OutboxMessage, ProcessedUpdate
from switchboard.kernel.pipeline.batch_connection import BatchConnection
from switchboard.kernel.pipeline.outbox import Delivery, OutboxWrite, write_outbox

from .conftest import BOT


def call(text: str) -> Delivery:
    return Delivery(BOT, "sendMessage", f'{{"chat_id":1,"text":"{text}"}}')


async def test_each_update_is_won_once_and_each_row_is_the_call_of_its_item(
    connection: BatchConnection, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    first = await write_outbox(
        connection, [OutboxWrite(BOT, 1, "message", True, call("one"))], "me", timedelta(30)
    )
    assert first[0].won and first[0].outbox_id is not None
    items = [
        OutboxWrite(BOT, 2, "message", True, call("two")),
        OutboxWrite(BOT, 1, "message", True, call("again")),  # claimed in the batch before
        OutboxWrite(BOT, 3, "message", True, None),  # claims, calls nothing repeatable
        OutboxWrite(BOT, 1, "message", False, call("later")),  # a later call of a claimed one
        OutboxWrite(BOT, 4, "message", True, call("four")),
    ]
    written = await write_outbox(connection, items, "me", timedelta(seconds=30))
    assert [w.won for w in written] == [True, False, True, True, True]
    assert [w.outbox_id is not None for w in written] == [True, False, False, True, True]
    async with session_factory() as session:
        rows = {row.id: row.payload for row in await session.scalars(select(OutboxMessage))}
        claimed = set(await session.scalars(select(ProcessedUpdate.update_id)))
    assert claimed == {1, 2, 3, 4}
    texts = {w.outbox_id: rows[w.outbox_id] for w in written if w.outbox_id is not None}
    assert [texts[w.outbox_id] for w in written if w.outbox_id is not None] == [
        call("two").payload,
        call("later").payload,
        call("four").payload,
    ]
    assert len(rows) == 4  # "one" and the three above
