"""Crash safety under SIGKILL: what users receive when the platform is killed at random moments.

No anchor: the targets are absolute (issue 11). Users talk to the bot (commands and notes, some
binding their forum group and creating its starter topics mid-run) while `switchboard run` is
SIGKILLed and restarted again and again: at random times, the instant the bot posts a message,
the instant it creates a forum topic. Afterwards every message sent is checked for its reply
(attributed exactly: see tests/e2e/crash_scenario.py, which this runs, as the kill test does in
its CI-sized form). Targets, per database:

- lost == 0: every message answered (a note also has its row), every starter topic created;
- doubled <= kills: a kill may double at most about one reply in flight;
- created objects doubled == 0: no forum topic twice.

    uv run python bench/crash.py            # 20 users x 40 messages, 16 kills, per database
    uv run python bench/crash.py --quick    # 5 users x 9 messages, 3 kills: under a minute
    uv run python bench/crash.py --seed 7 --database sqlite

Needs PostgreSQL (`SWITCHBOARD_BENCH_PG`) unless `--database sqlite`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from _common import PG_ADMIN, load_note
from e2e.crash_scenario import CrashConfig, CrashReport, run_crash_scenario
from e2e.platform_forks import PlatformForks

FULL = CrashConfig(users=20, messages=40, kills=16, binders=4, drain_seconds=180)
QUICK = CrashConfig(users=5, messages=9, kills=3, binders=1, drain_seconds=60)


@contextlib.asynccontextmanager
async def fresh_database(kind: str, folder: Path) -> AsyncIterator[str]:
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{folder / f'crash-{uuid.uuid4().hex[:8]}.db'}"
        return
    import asyncpg
    from sqlalchemy.engine import make_url

    name = f"sb_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(PG_ADMIN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = make_url(PG_ADMIN).set(drivername="postgresql+asyncpg", database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def print_report(report: CrashReport, verbose: bool) -> bool:
    name = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[report.database]
    print(report.summary())
    if verbose or not all(met for _, met in report.targets):
        for line in report.details().splitlines():
            print(f"    {line[:400]}")
    for line, met in report.targets:
        print(f"  {name}: {line} -> {'met' if met else 'MISSED'}")
    return all(met for _, met in report.targets)


async def main(args: argparse.Namespace) -> int:
    config = QUICK if args.quick else FULL
    kinds = [args.database] if args.database else ["sqlite", "postgresql"]
    print(
        f"crash: {config.users} users x {config.messages} messages, {config.kills} kills, "
        f"{config.binders} binding mid-run; seed {args.seed}; {', '.join(kinds)}",
        flush=True,
    )
    began = time.monotonic()
    all_met = True
    with tempfile.TemporaryDirectory() as folder:
        logs = Path(folder)
        forks = PlatformForks(logs / "fork-server.log")
        try:
            for kind in kinds:
                async with fresh_database(kind, logs) as url:
                    report = await run_crash_scenario(url, kind, forks, config, args.seed, logs)
                all_met &= print_report(report, args.verbose)
                sys.stdout.flush()
        finally:
            forks.close()
    print(f"({load_note()} at the end; took {time.monotonic() - began:.0f} s)")
    return 0 if all_met else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="5 users x 9 messages, 3 kills")
    parser.add_argument("--seed", type=int, default=1, help="kill moments and messages (1)")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], help="only this one")
    parser.add_argument("--verbose", action="store_true", help="list what was lost or doubled")
    sys.exit(asyncio.run(main(parser.parse_args())))
