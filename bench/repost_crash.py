"""Repost delivery under SIGKILL: items keep arriving while the platform is killed and restarted.

No anchor: the targets are absolute (issue 15, "Done when"). 30 sources routed into 5 targets
(private chats: a post a second each), one new item a second (each source every 30 s), while
`switchboard run` is SIGKILLed 10 times, at random times or the instant the sandbox stores a
repost; then every (item, target) pair is counted on the sandbox's side
(tests/e2e/repost_crash.py, which the suite runs in a small form). Items are written to the
database as the feeds part writes them (row + `repost.route` job in one transaction). Targets:

- lost == 0: every item reached every target;
- doubled <= kills: a kill may double the post in flight;
- a clean restart (SIGTERM, start, SIGTERM) posts nothing.

    uv run python bench/repost_crash.py            # 30 sources x 5 targets, 10 kills, per database
    uv run python bench/repost_crash.py --quick    # 5 x 3, 2 kills, 12 items: under a minute each
    uv run python bench/repost_crash.py --database sqlite --seed 3
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from _common import load_note
from crash import fresh_database
from e2e.platform_forks import PlatformForks
from e2e.repost_crash import RepostCrashConfig, run_repost_crash

FULL = RepostCrashConfig(sources=30, targets=5, kills=10, items=150, gap=1.0, drain_seconds=180)
QUICK = RepostCrashConfig(sources=5, targets=3, kills=2, items=12, gap=1.0, drain_seconds=60)


async def main(args: argparse.Namespace) -> int:
    config = QUICK if args.quick else FULL
    kinds = [args.database] if args.database else ["sqlite", "postgresql"]
    began = time.monotonic()
    all_met = True
    with tempfile.TemporaryDirectory() as folder:
        logs = Path(folder)
        forks = PlatformForks(logs / "fork-server.log")
        try:
            for kind in kinds:
                async with fresh_database(kind, logs) as url:
                    report = await run_repost_crash(url, forks, config, args.seed, logs)
                print(f"{kind}: {report.summary()}")
                for line, met in report.targets:
                    print(f"  {kind}: {line} -> {'met' if met else 'MISSED'}")
                for lost in report.lost[:10]:
                    print(f"    lost {lost}")
                all_met &= all(met for _, met in report.targets)
                sys.stdout.flush()
        finally:
            forks.close()
    print(f"({load_note()} at the end; took {time.monotonic() - began:.0f} s)")
    return 0 if all_met else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="5 sources x 3 targets, 2 kills")
    parser.add_argument("--seed", type=int, default=1, help="kill moments (1)")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], help="only this one")
    sys.exit(asyncio.run(main(parser.parse_args())))
