"""Nothing lost, nothing twice: the platform is SIGKILLed at random moments while users send a
stream of messages; after each restart it goes on, and in the end every update the sandbox
created was handled exactly once (its claim and its effects committed together)."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from switchboard.db import create_engine, session_factory
from switchboard.kernel.models import ProcessedUpdate, UserRecord
from switchboard.sandbox.testing import SandboxServer, free_port

from .conftest import BOT_ID, BOT_TOKEN, register_bot

MESSAGES = 240
KILLS = 4


async def _processed(database_url: str) -> list[int]:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            return list(
                await session.scalars(
                    select(ProcessedUpdate.update_id).where(ProcessedUpdate.bot_id == BOT_ID)
                )
            )
    finally:
        await engine.dispose()


def _start(database_url: str, sandbox_url: str, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "TELEGRAM_API_URL": sandbox_url,
        "WEB_PORT": str(free_port()),
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "switchboard", "run"],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


@pytest.mark.timeout(600)
async def test_sigkill_at_random_moments_loses_nothing_and_repeats_nothing(
    database_url: str, tmp_path: Path
) -> None:
    rng = random.Random(20261122)
    log = tmp_path / "platform.log"
    with SandboxServer(flood="off") as sandbox:
        sandbox.world.register_bot(BOT_TOKEN)
        await register_bot(database_url)
        async with sandbox.client() as tg:
            users = [
                await tg.create_user(f"Sender {i}") for i in range(24)
            ]  # under the inbound throttle

            async def send_stream() -> None:
                for index in range(MESSAGES):
                    await tg.send_text(users[index % len(users)], f"/help {index}", bot_id=BOT_ID)
                    await asyncio.sleep(rng.uniform(0.0, 0.03))

            sender = asyncio.create_task(send_stream())
            process = _start(database_url, sandbox.url, log)
            try:
                for _ in range(KILLS):
                    baseline = len(await _processed(database_url))
                    for _ in range(600):  # wait until this incarnation is handling updates
                        if (
                            len(await _processed(database_url)) > baseline
                            or process.poll() is not None
                        ):
                            break
                        await asyncio.sleep(0.05)
                    assert process.poll() is None, log.read_text()[-3000:]
                    await asyncio.sleep(rng.uniform(0.05, 0.6))
                    process.send_signal(signal.SIGKILL)
                    process.wait()
                    process = _start(database_url, sandbox.url, log)
                await sender
                expected = sandbox.world.bots[BOT_ID].queue.next_update_id - 1
                for _ in range(1200):
                    if len(await _processed(database_url)) >= expected:
                        break
                    await asyncio.sleep(0.05)
            finally:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
    processed = await _processed(database_url)
    assert sorted(processed) == list(range(1, expected + 1)), log.read_text()[-3000:]
    assert expected >= MESSAGES  # every user message became an update
    engine = create_engine(database_url)
    async with session_factory(engine)() as session:
        known = set(await session.scalars(select(UserRecord.id)))
    await engine.dispose()
    assert {u["id"] for u in users} <= known
