"""The pipeline's batch connection on a migrated database with one registered bot."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from switchboard.kernel.models import BotRecord
from switchboard.kernel.pipeline.batch_connection import BatchConnection

BOT = 7001


@pytest.fixture
async def connection(
    engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]
) -> AsyncIterator[BatchConnection]:
    async with session_factory() as session, session.begin():
        session.add(
            BotRecord(id=BOT, token=f"{BOT}:x", apps=["core"], owner_ids=[], webhook_secret="s")
        )
    batch = BatchConnection(engine)
    yield batch
    await batch.close()
