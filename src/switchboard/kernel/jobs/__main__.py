"""A worker process for a registry named by module path:

    python -m switchboard.kernel.jobs --registry myapp.jobs:registry [--database-url URL]

`switchboard worker` is the normal way to run one; this exists for tests and benchmarks that
need a worker with their own handlers.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from contextlib import suppress
from datetime import timedelta

from switchboard.db.engine import create_engine
from switchboard.db.session import session_factory
from switchboard.kernel.jobs.registry import JobRegistry, load_registry
from switchboard.kernel.jobs.worker import Worker
from switchboard.settings import Settings, get_settings, load_settings


async def run_worker(
    settings: Settings,
    registry: JobRegistry,
    *,
    stop_event: asyncio.Event | None = None,
    concurrency: int = 4,
    lease: timedelta = timedelta(seconds=60),
    poll_interval: timedelta = timedelta(seconds=1),
) -> None:
    """Run a worker on `settings.database_url` until `stop_event` is set, or, without one,
    until SIGINT or SIGTERM. Running handlers get `shutdown_grace` to finish."""
    engine = create_engine(settings.database_url)
    worker = Worker(
        session_factory(engine),
        registry,
        concurrency=concurrency,
        lease=lease,
        poll_interval=poll_interval,
    )
    stop = stop_event or asyncio.Event()
    loop = asyncio.get_running_loop()
    if stop_event is None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            with suppress(NotImplementedError, RuntimeError):  # not on Windows / off main thread
                loop.add_signal_handler(signum, stop.set)
    running = asyncio.create_task(worker.run())
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
        worker.stop()
        await running
    finally:
        stopping.cancel()
        if stop_event is None:
            for signum in (signal.SIGINT, signal.SIGTERM):
                with suppress(NotImplementedError, RuntimeError):
                    loop.remove_signal_handler(signum)
        await engine.dispose()


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
