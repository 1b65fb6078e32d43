"""A worker process for a registry named by module path:

    python -m switchboard.kernel.jobs --registry myapp.jobs:registry [--database-url URL]

`switchboard worker` is the normal way to run one; this exists for tests and benchmarks that
need a worker with their own handlers.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import timedelta

from switchboard.kernel.jobs.cli import run_worker
from switchboard.kernel.jobs.registry import load_registry
from switchboard.settings import get_settings, load_settings


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m switchboard.kernel.jobs")
    parser.add_argument("--registry", required=True, help="module:attribute of a JobRegistry")
    parser.add_argument("--database-url", help="defaults to DATABASE_URL")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--lease", type=float, default=60.0, help="seconds")
    parser.add_argument("--poll-interval", type=float, default=1.0, help="seconds")
    args = parser.parse_args()
    settings = (
        load_settings(database_url=args.database_url) if args.database_url else get_settings()
    )
    asyncio.run(
        run_worker(
            settings,
            load_registry(args.registry),
            concurrency=args.concurrency,
            lease=timedelta(seconds=args.lease),
            poll_interval=timedelta(seconds=args.poll_interval),
        )
    )


if __name__ == "__main__":
    main()
