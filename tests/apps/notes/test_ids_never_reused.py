"""Regression (issue 13.4): after /privacy delete, a new note got the deleted note's id, and the
deleted note's expiry job, still queued, filed the new one (another user's) minutes early."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.apps.notes import forum, jobs, service
from switchboard.apps.notes.privacy import delete_user_notes
from switchboard.apps.notes.service import Capture
from switchboard.db import utcnow
from switchboard.kernel import JobContext, JobRegistry
from switchboard.kernel.jobs.models import Job

BOT_ID = 4242
ALICE, BOB = 1001, 1002


async def _note_of(session: AsyncSession, user_id: int, chat_id: int, text: str) -> int:
    group = await forum.bind_group(session, BOT_ID, user_id, chat_id, "Notes")
    await forum.remember_topic(session, group, 7, "Inbox")
    note, _new = await service.capture(
        session, BOT_ID, user_id, Capture(kind="text", text=text, chat_id=user_id, message_id=1)
    )
    await service.schedule_expiry(session, note, 300)
    return note.id


async def _queued(session: AsyncSession, kind: str) -> list[Job]:
    return list(await session.scalars(select(Job).where(Job.kind == kind).order_by(Job.id)))


async def test_a_deleted_users_old_expiry_does_not_file_a_new_note_with_its_id(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session, session.begin():
        alices = await _note_of(session, ALICE, -100_1, "Alice's note")
    async with session_factory() as session, session.begin():
        (old_expiry,) = await _queued(session, service.EXPIRE_JOB)
        await delete_user_notes(session, BOT_ID, ALICE)  # /privacy delete
    async with session_factory() as session, session.begin():
        bobs = await _note_of(session, BOB, -100_2, "Bob's note")
    assert bobs > alices  # a new id, never the deleted note's

    # Alice's expiry comes due: it finds her note gone and leaves Bob's alone.
    registry = JobRegistry()
    jobs.register(registry, cast(Any, None))
    run = registry.get(service.EXPIRE_JOB)
    assert run is not None
    context = JobContext(
        job_id=old_expiry.id, kind=old_expiry.kind, attempt=1, max_attempts=5,
        run_at=utcnow(), worker_id="test", session_factory=session_factory,
    )  # fmt: skip
    await run(context, dict(old_expiry.payload))
    # And had the id come back (a database from before), the job's owner and stamp refuse it.
    await run(context, {**old_expiry.payload, "note_id": bobs})
    async with session_factory() as session:
        note = await service.tapped_note(session, BOT_ID, BOB, bobs, BOB)
        assert note.state == "pending" and note.topic_id is None
        assert not await _queued(session, service.FILE_JOB)
