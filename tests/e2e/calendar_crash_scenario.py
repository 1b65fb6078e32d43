"""Reminders while the platform is SIGKILLed: N reminders fall due over a short period while
`switchboard run` is killed at random moments and restarted at once; each reminder is then
counted on its user's side (a sandbox watcher sees every message as it is stored).
Shared by `test_calendar_crash.py` (CI-sized) and `bench/calendar_reminders.py --crash`.

Each reminder is for its own user and event ("Crash 007"), due at a whole second spread over
`spread_seconds`. Kill moments are uniform over the period (seeded), each followed by an
immediate restart. The killed process's running jobs are taken over when their lease runs
out (`JOB_LEASE_SECONDS`), and messages it had written down but not sent are made by the
next process's outbox courier (`OUTBOX_LEASE_SECONDS`).

Targets: lost == 0 (every reminder arrives) and doubled == 0, except that a kill landing while
a message is in flight between the bot and Telegram (sent, its answer not yet recorded) can
double that one message: Telegram has no idempotency key, so no sender can tell "sent" from
"not sent" then. A double is therefore reported with the number of kills, and the test holds
doubles to at most the kills (the calls in flight at a kill are at most the worker's 4).
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from switchboard.apps.calendar.reminders import REMIND_JOB
from switchboard.db import create_engine, session_factory, utcnow
from switchboard.kernel.jobs import Job
from switchboard.kernel.models import OutboxMessage
from switchboard.sandbox.testing import SandboxServer

from .calendar_reminder_scene import Planned, open_private_chats, plan_events
from .conftest import BOT_ID, BOT_TOKEN, register_bot
from .crash_scenario import wait_until
from .delivered import Delivered
from .platform_forks import PlatformForks, platform_env

JOB_LEASE_SECONDS = "3"
OUTBOX_LEASE_SECONDS = "2"


@dataclass(frozen=True)
class ReminderCrashConfig:
    reminders: int = 60
    spread_seconds: float = 5.0
    kills: int = 3
    lead_in_seconds: float = 4.0  # from planning to the first due time
    drain_seconds: float = 60.0
    per_transaction: int = 1  # events planned per transaction


@dataclass
class ReminderCrashReport:
    database: str
    config: ReminderCrashConfig
    counts: Counter[str] = field(default_factory=Counter)
    kills: list[float] = field(default_factory=list)  # seconds after the first due time
    exit_codes: list[int | None] = field(default_factory=list)
    lateness: list[float] = field(default_factory=list)  # seconds, first arrival - due
    too_many_requests: int = 0  # 429 answers the sandbox gave the bot

    @property
    def lost(self) -> int:
        return sum(1 for n in range(self.config.reminders) if self.counts[title(n)] == 0)

    @property
    def doubled(self) -> int:
        return sum(count - 1 for count in self.counts.values() if count > 1)

    @property
    def p99(self) -> float:
        late = sorted(self.lateness)
        return late[min(len(late) - 1, int(len(late) * 0.99))] if late else float("nan")

    def summary(self) -> str:
        late = sorted(self.lateness)
        p99 = self.p99
        median = statistics.median(late) if late else float("nan")
        return (
            f"{self.database}: {self.config.reminders} reminders over "
            f"{self.config.spread_seconds:.0f} s, kills at "
            f"{', '.join(f'{k:.1f}s' for k in self.kills)}; delivered "
            f"{sum(self.counts.values())}, lost {self.lost}, doubled {self.doubled}; "
            f"lateness median {median:.1f} s, p99 {p99:.1f} s; 429s {self.too_many_requests}"
        )

    @property
    def targets(self) -> list[tuple[str, bool]]:
        return [
            (f"reminders lost {self.lost} (target 0)", self.lost == 0),
            (
                f"reminders doubled {self.doubled} (target 0; a kill mid-send may double the "
                f"message in flight: <= kills {len(self.kills)})",
                self.doubled <= len(self.kills),
            ),
        ]


def title(number: int) -> str:
    return f"Crash {number:04d}"


async def reminders_pending(database_url: str) -> int:
    """Reminder jobs queued or running, and calls left in the outbox (the plan job queued for
    tomorrow is not waited for)."""
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            pending = Job.state.in_(["queued", "running"]) & (Job.kind == REMIND_JOB)
            jobs = await session.scalar(select(func.count()).select_from(Job).where(pending))
            calls = await session.scalar(select(func.count()).select_from(OutboxMessage))
            return int(jobs or 0) + int(calls or 0)
    finally:
        await engine.dispose()


async def run_reminder_crash(
    database_url: str,
    database_kind: str,
    forks: PlatformForks,
    config: ReminderCrashConfig,
    seed: int,
    folder: Path,
    *,
    flood: str = "telegram",
    env_extra: dict[str, str] | None = None,
) -> ReminderCrashReport:
    rng = random.Random(seed)
    report = ReminderCrashReport(database_kind, config)
    log = folder / f"platform-{database_kind}-{seed}.log"
    with SandboxServer(flood=flood) as sandbox:
        sandbox.world.register_bot(BOT_TOKEN, first_name="Crash Bot", username="crash_bot")
        delivered = Delivered(BOT_ID)
        sandbox.watch(delivered)

        def count_429(event: dict[str, object]) -> None:
            if event.get("type") == "api_call" and event.get("error_code") == 429:
                report.too_many_requests += 1

        sandbox.watch(count_429)
        await register_bot(database_url)
        async with sandbox.client(timeout=30) as tg:
            users = [int((await tg.create_user(f"R{n}"))["id"]) for n in range(config.reminders)]
        open_private_chats(sandbox, BOT_ID, users)
        env = platform_env(
            database_url,
            sandbox.url,
            JOB_LEASE_SECONDS=JOB_LEASE_SECONDS,
            OUTBOX_LEASE_SECONDS=OUTBOX_LEASE_SECONDS,
            **(env_extra or {}),
        )
        started_at = time.monotonic()
        pid = forks.start(env, log)
        try:
            assert await wait_until(lambda: delivered.polling_since(started_at), 90)
            now = utcnow()
            first_due = (now + timedelta(seconds=config.lead_in_seconds)).replace(microsecond=0)
            step = config.spread_seconds / config.reminders
            dues = [first_due + timedelta(seconds=int(n * step)) for n in range(config.reminders)]
            await plan_events(
                database_url,
                BOT_ID,
                [
                    Planned(user_id, title(n), dues[n] + timedelta(minutes=15))
                    for n, user_id in enumerate(users)
                ],
                now,
                per_transaction=config.per_transaction,
            )
            # The monotonic moment of the first due time, to measure arrivals against.
            due_base = time.monotonic() + (first_due - utcnow()).total_seconds()
            moments = sorted(
                rng.uniform(0, config.spread_seconds + 1.0) for _ in range(config.kills)
            )
            for moment in moments:
                await asyncio.sleep(max(0.0, due_base + moment - time.monotonic()))
                await asyncio.to_thread(forks.kill, pid)
                report.exit_codes.append(forks.returncode(pid))
                report.kills.append(time.monotonic() - due_base)
                pid = forks.start(env, log)
            wanted = {title(n) for n in range(config.reminders)}

            def arrived() -> set[str]:
                return {m.text.splitlines()[0][2:] for m in list(delivered.messages)}

            began = time.monotonic()
            while time.monotonic() - began < config.drain_seconds:
                if wanted <= arrived() and await reminders_pending(database_url) == 0:
                    break
                await asyncio.sleep(0.5)
            await asyncio.sleep(1.0)  # a last double on its way
        finally:
            report.exit_codes.append(forks.stop(pid))
    first_at: dict[str, float] = {}
    for message in list(delivered.messages):
        if not message.text.startswith("⏰ "):
            continue
        name = message.text.splitlines()[0][2:]
        report.counts[name] += 1
        first_at.setdefault(name, message.at)
    for n in range(config.reminders):
        if title(n) in first_at:
            due_offset = (dues[n] - first_due).total_seconds()
            report.lateness.append(first_at[title(n)] - (due_base + due_offset))
    return report
