from __future__ import annotations

import asyncio

from switchboard.kernel.sender import Priority, bulk_sends, send_priority


async def test_sends_are_interactive_unless_said_otherwise() -> None:
    assert send_priority.get() is Priority.INTERACTIVE


async def test_bulk_sends_covers_the_block_and_tasks_started_in_it() -> None:
    async def lane() -> Priority:
        await asyncio.sleep(0)
        return send_priority.get()

    with bulk_sends():
        inside = send_priority.get()
        task = asyncio.create_task(lane())
    outside = await asyncio.create_task(lane())

    assert (inside, await task, outside) == (Priority.BULK, Priority.BULK, Priority.INTERACTIVE)
