"""Nothing that can time out ends the process: the polling supervisor survives a failed reload.

Regression: `PollingSupervisor.run` re-read the bot table every 10 s with no guard, so one
timeout there (SQLite's write turn after 30 s behind a slow transaction, PostgreSQL
restarting) ended the supervisor, and `switchboard run` with it (rc=1).
"""

from __future__ import annotations

import asyncio

from prometheus_client import REGISTRY
from sqlalchemy.exc import OperationalError

from switchboard.platform.polling import PollingSupervisor
from switchboard.platform.runtime import Platform
from switchboard.sandbox.testing import SandboxServer
from switchboard.settings import Settings, load_settings

from .conftest import BOT_ID, BOT_TOKEN, register_bot

OTHER_TOKEN = "5550002:e2e-switchboard-token-second-bot"


class FlakyReloads(Platform):
    """A platform whose bot reloads after start-up fail with `failures`, one per reload."""

    def __init__(self, settings: Settings, failures: list[Exception]) -> None:
        super().__init__(settings)
        self.failures = failures
        self.started = False
        self.all_failed = asyncio.Event()

    async def reload_bots(self, *, check_api: bool = False) -> None:
        if self.started and self.failures:
            error = self.failures.pop(0)
            if not self.failures:
                self.all_failed.set()
            raise error
        await super().reload_bots(check_api=check_api)


def _failures() -> float:
    value = REGISTRY.get_sample_value(
        "switchboard_supervisor_failures_total", {"loop": "bot_reload"}
    )
    return value or 0.0


async def test_a_failed_bot_reload_does_not_stop_polling(
    sandbox: SandboxServer, database_url: str
) -> None:
    sandbox.world.register_bot(BOT_TOKEN)
    await register_bot(database_url)
    settings = load_settings(
        database_url=database_url, telegram_api_url=sandbox.url, bots_reload_seconds=0.05
    )
    platform = FlakyReloads(
        settings,
        [
            TimeoutError("no turn at the SQLite write lock within 30 s"),
            OperationalError("SELECT bots", {}, Exception("the database system is starting up")),
        ],
    )
    before = _failures()
    await platform.start(with_worker=False)
    platform.started = True
    await register_bot(database_url, token=OTHER_TOKEN)  # the table changes: a reload is due
    supervisor = PollingSupervisor(platform, refresh_every=0.05)
    running = asyncio.create_task(supervisor.run())
    try:
        await asyncio.wait_for(platform.all_failed.wait(), 10)
        async with sandbox.client(timeout=10) as tg:
            user = await tg.create_user("Rita")
            await tg.send_text(user, "/start", bot_id=BOT_ID)
            await tg.expect_message(chat_id=user["id"], contains="Rita")
        assert not running.done()
        assert _failures() == before + 2
        for _ in range(100):  # and the reload is retried until it succeeds
            if 5550002 in platform.bots:
                break
            await asyncio.sleep(0.05)
        assert 5550002 in platform.bots
    finally:
        supervisor.stop()
        await asyncio.wait_for(running, 30)
        await platform.stop()
