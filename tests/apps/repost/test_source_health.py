"""Source health: N failures pause a source and tell its owner once (Telegram and email, with
several workers racing); probes of a failing source resume it and say so; a source its owner
paused is never polled. On SQLite and PostgreSQL, against a real SMTP server and the sandbox."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from aiogram import Bot
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mail.standins import SmtpSink
from switchboard.apps.repost import health_metrics
from switchboard.apps.repost.models import RepostSource
from switchboard.apps.repost.source_health import (
    EMAIL_NOTICE_JOB,
    PROBE_INTERVAL,
    TELEGRAM_NOTICE_JOB,
    health_of,
    on_poll_failed,
    on_poll_succeeded,
    pollable,
)
from switchboard.kernel import SmtpEmailSender, Translator, UserRecord
from switchboard.kernel.jobs import Job
from switchboard.sandbox.testing import SandboxServer

from .conftest import BOT_ID, OWNER_ID, FakeClock, Json, NoticeWorker, add_source

Sessions = async_sessionmaker[AsyncSession]


async def fail(sessions: Sessions, source_id: int, now: datetime, error: str = "HTTP 500") -> None:
    async with sessions() as session, session.begin():
        source = await session.get(RepostSource, source_id)
        assert source is not None
        await on_poll_failed(session, source, error, now)


async def succeed(sessions: Sessions, source_id: int, now: datetime, new_items: int = 0) -> None:
    async with sessions() as session, session.begin():
        source = await session.get(RepostSource, source_id)
        assert source is not None
        await on_poll_succeeded(session, source, now=now, new_items=new_items)


async def reload(sessions: Sessions, source_id: int) -> RepostSource:
    async with sessions() as session:
        source = await session.get(RepostSource, source_id)
        assert source is not None
        return source


async def jobs_of(sessions: Sessions, kind: str) -> list[Job]:
    async with sessions() as session:
        return list(await session.scalars(select(Job).where(Job.kind == kind).order_by(Job.id)))


async def due_ids(sessions: Sessions, now: datetime) -> set[int]:
    async with sessions() as session:
        return set(await session.scalars(select(RepostSource.id).where(pollable(now))))


def aware(value: datetime | None) -> datetime | None:
    """SQLite gives back UTC times without their zone."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def notices(sandbox: SandboxServer) -> list[str]:
    chat = sandbox.world.private[(BOT_ID, OWNER_ID)]
    return [
        str(m.get("text")) for m in chat.messages.values() if m.get("from", {}).get("id") == BOT_ID
    ]


async def test_failures_pause_once_and_a_working_probe_resumes(
    session_factory: Sessions,
    sandbox: SandboxServer,
    owner: Json,
    bot: Bot,
    translator: Translator,
    clock: FakeClock,
) -> None:
    with SmtpSink() as smtp:
        email = SmtpEmailSender("127.0.0.1", smtp.port, "bots@example.org", starttls=False)
        worker = NoticeWorker(session_factory, bot, translator, clock, email)
        source = await add_source(session_factory, email="olga@example.com")
        now = clock()
        pauses = health_metrics.PAUSES._value.get()
        for attempt in range(4):
            await fail(session_factory, source.id, now + timedelta(minutes=attempt))
        running = await reload(session_factory, source.id)
        assert not running.paused and running.consecutive_failures == 4
        assert await jobs_of(session_factory, TELEGRAM_NOTICE_JOB) == []

        await fail(session_factory, source.id, now, error="HTTP 404 Not Found")
        paused = await reload(session_factory, source.id)
        assert paused.paused and paused.paused_reason == "failing"
        assert paused.last_error == "HTTP 404 Not Found"
        assert aware(paused.next_poll_at) == now + PROBE_INTERVAL
        assert health_of(paused)["number"] == 1
        assert health_metrics.PAUSES._value.get() == pauses + 1
        await worker.run()
        [told] = notices(sandbox)
        assert "Example blog" in told and "HTTP 404 Not Found" in told
        assert f"/source {source.id}" in told and "5 failed polls" in told
        [mail] = smtp.received
        assert mail.recipients == ["olga@example.com"]
        assert mail.message["Subject"] == "Feed paused: Example blog"
        assert "HTTP 404 Not Found" in mail.text and paused.address in mail.text
        assert f"/source {source.id}" in mail.text

        # Two more failed probes: still paused, the next probe pushed on, nobody told again.
        for _ in range(2):
            later = clock.advance(PROBE_INTERVAL)
            assert source.id in await due_ids(session_factory, later)
            await fail(session_factory, source.id, later)
            assert source.id not in await due_ids(session_factory, later)
            await worker.run()
        assert len(notices(sandbox)) == 1 and len(smtp.received) == 1
        assert len(await jobs_of(session_factory, TELEGRAM_NOTICE_JOB)) == 1
        assert len(await jobs_of(session_factory, EMAIL_NOTICE_JOB)) == 1
        marked = health_of(await reload(session_factory, source.id))
        assert marked["telegram_at"] and marked["email_at"]

        later = clock.advance(PROBE_INTERVAL)
        await succeed(session_factory, source.id, later, new_items=2)
        resumed = await reload(session_factory, source.id)
        assert not resumed.paused and resumed.paused_reason is None
        assert resumed.last_error is None and resumed.items_seen == 2
        assert resumed.consecutive_failures == 0 and aware(resumed.last_success_at) == later
        await succeed(session_factory, source.id, later)  # a second success says nothing
        await worker.run()
        assert len(notices(sandbox)) == 2 and "works again" in notices(sandbox)[1]
        assert len(smtp.received) == 2
        assert smtp.received[1].message["Subject"] == "Feed working again: Example blog"

        # Failing again later is a new pause, told anew.
        for _ in range(5):
            await fail(session_factory, source.id, later)
        await worker.run()
        assert len(notices(sandbox)) == 3 and len(smtp.received) == 3
        assert health_of(await reload(session_factory, source.id))["number"] == 2


async def test_workers_racing_on_the_last_failure_pause_and_tell_once(
    session_factory: Sessions, sandbox: SandboxServer, owner: Json, bot: Bot,
    translator: Translator, clock: FakeClock,
) -> None:  # fmt: skip
    source = await add_source(session_factory, failures_before_pause=2)
    await fail(session_factory, source.id, clock())
    # Four workers report the same failure at once: one of them pauses.
    await asyncio.gather(*(fail(session_factory, source.id, clock()) for _ in range(4)))
    paused = await reload(session_factory, source.id)
    assert paused.paused and paused.consecutive_failures == 5
    assert len(await jobs_of(session_factory, TELEGRAM_NOTICE_JOB)) == 1
    worker = NoticeWorker(session_factory, bot, translator, clock, None)
    await worker.run()
    await worker.run()
    assert len(notices(sandbox)) == 1
    [email_job] = await jobs_of(session_factory, EMAIL_NOTICE_JOB)
    assert email_job.state == "succeeded"  # no address, no email service: nothing to send


async def test_a_rerun_notice_job_does_not_tell_twice(
    session_factory: Sessions, sandbox: SandboxServer, owner: Json, bot: Bot,
    translator: Translator, clock: FakeClock,
) -> None:  # fmt: skip
    """A worker that crashed after the notice was marked sent, its job run again."""
    source = await add_source(session_factory, failures_before_pause=1)
    await fail(session_factory, source.id, clock())
    worker = NoticeWorker(session_factory, bot, translator, clock, None)
    await worker.run()
    [job] = await jobs_of(session_factory, TELEGRAM_NOTICE_JOB)
    async with session_factory() as session, session.begin():
        again = await session.get(Job, job.id)
        assert again is not None
        again.state, again.run_at = "queued", clock()
    assert await worker.run() == 1
    assert len(notices(sandbox)) == 1


async def test_a_source_its_owner_paused_is_never_probed_nor_resumed(
    session_factory: Sessions, clock: FakeClock
) -> None:
    owner_paused = await add_source(
        session_factory, title="Owner paused", paused=True, paused_reason="owner"
    )
    running = await add_source(session_factory, title="Running")
    failing = await add_source(
        session_factory, title="Failing", paused=True, paused_reason="failing",
        next_poll_at=clock() + PROBE_INTERVAL,
    )  # fmt: skip
    assert await due_ids(session_factory, clock()) == {running.id}
    far = clock() + PROBE_INTERVAL * 10
    assert await due_ids(session_factory, far) == {running.id, failing.id}
    # Even told of a poll (a poll that started before the owner paused it), it stays paused.
    for _ in range(6):
        await fail(session_factory, owner_paused.id, clock())
    await succeed(session_factory, owner_paused.id, clock())
    after = await reload(session_factory, owner_paused.id)
    assert after.paused and after.paused_reason == "owner"
    assert await jobs_of(session_factory, TELEGRAM_NOTICE_JOB) == []


async def test_the_owner_threshold_applies(session_factory: Sessions, clock: FakeClock) -> None:
    source = await add_source(session_factory, failures_before_pause=3)
    for _ in range(3):
        await fail(session_factory, source.id, clock())
    assert (await reload(session_factory, source.id)).paused
    async with session_factory() as session:
        kinds = sorted(await session.scalars(select(Job.kind)))
    # The two notices, and the kernel's email alert to the bot's owners.
    assert kinds == ["kernel.email.alert", EMAIL_NOTICE_JOB, TELEGRAM_NOTICE_JOB]


async def test_the_notice_speaks_the_owner_language_and_a_closed_chat_is_skipped(
    session_factory: Sessions, sandbox: SandboxServer, owner: Json, bot: Bot,
    translator: Translator, clock: FakeClock,
) -> None:  # fmt: skip
    async with session_factory() as session, session.begin():
        session.add(UserRecord(id=OWNER_ID, first_name="Olga", language="ru"))
    source = await add_source(session_factory, title="Блог", failures_before_pause=2)
    for _ in range(2):
        await fail(session_factory, source.id, clock(), error="HTTP 503")
    worker = NoticeWorker(session_factory, bot, translator, clock, None)
    await worker.run()
    [told] = notices(sandbox)
    assert "«Блог» на паузу" in told and "HTTP 503" in told and "2 последних опроса" in told
    # A source of someone who never opened a chat with the bot: the job ends, nothing retried.
    async with session_factory() as session, session.begin():
        stranger = RepostSource(
            bot_id=BOT_ID, owner_id=OWNER_ID + 1, kind="feed", address="https://x.example/f",
        )  # fmt: skip
        session.add(stranger)
    for _ in range(5):
        await fail(session_factory, stranger.id, clock())
    await worker.run()
    states = [j.state for j in await jobs_of(session_factory, TELEGRAM_NOTICE_JOB)]
    assert states == ["succeeded", "succeeded"]
