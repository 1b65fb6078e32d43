"""Group commit: callers that arrive during a flush share the next one; a failure reaches
exactly the callers of its batch."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from switchboard.kernel.pipeline.group_commit import GroupCommit


class Recorder:
    """A flush that records its batches and can be held open or made to fail."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.release = asyncio.Event()
        self.release.set()
        self.fail_on: set[int] = set()

    async def flush(self, items: Sequence[int]) -> list[int]:
        self.batches.append(list(items))
        await self.release.wait()
        if self.fail_on & set(items):
            raise RuntimeError("the database said no")
        return [item * 10 for item in items]


async def test_one_caller_alone_is_flushed_at_once_and_gets_its_result() -> None:
    recorder = Recorder()
    commit = GroupCommit(recorder.flush)
    try:
        assert await commit.submit(4) == 40
        assert recorder.batches == [[4]]
    finally:
        await commit.close()


async def test_callers_arriving_during_a_flush_share_the_next_one() -> None:
    recorder = Recorder()
    commit = GroupCommit(recorder.flush)
    try:
        recorder.release.clear()
        first = asyncio.create_task(commit.submit(1))
        await asyncio.sleep(0.01)  # the flush of [1] is running, held open
        later = [asyncio.create_task(commit.submit(n)) for n in (2, 3, 4)]
        await asyncio.sleep(0.01)
        recorder.release.set()
        assert await first == 10
        assert [await task for task in later] == [20, 30, 40]
        assert recorder.batches == [[1], [2, 3, 4]]
    finally:
        await commit.close()


async def test_batches_are_capped() -> None:
    recorder = Recorder()
    commit = GroupCommit(recorder.flush, max_batch=2)
    try:
        recorder.release.clear()
        tasks = [asyncio.create_task(commit.submit(n)) for n in range(5)]
        await asyncio.sleep(0.01)
        recorder.release.set()
        assert [await task for task in tasks] == [0, 10, 20, 30, 40]
        assert all(len(batch) <= 2 for batch in recorder.batches)
        assert sorted(n for batch in recorder.batches for n in batch) == [0, 1, 2, 3, 4]
    finally:
        await commit.close()


async def test_a_failed_flush_fails_its_callers_only() -> None:
    recorder = Recorder()
    recorder.fail_on = {2}
    commit = GroupCommit(recorder.flush)
    try:
        recorder.release.clear()
        first = asyncio.create_task(commit.submit(1))
        await asyncio.sleep(0.01)
        doomed = [asyncio.create_task(commit.submit(n)) for n in (2, 3)]
        await asyncio.sleep(0.01)
        recorder.release.set()
        assert await first == 10
        for task in doomed:
            with pytest.raises(RuntimeError, match="the database said no"):
                await task
        assert await commit.submit(5) == 50  # the group commit goes on
    finally:
        await commit.close()


async def test_close_cancels_callers_still_waiting() -> None:
    recorder = Recorder()
    commit = GroupCommit(recorder.flush)
    recorder.release.clear()
    waiting = asyncio.create_task(commit.submit(1))
    await asyncio.sleep(0.01)
    await commit.close()
    with pytest.raises(asyncio.CancelledError):
        await waiting
