"""The handler contract: which coroutine runs a job of each kind, and what it may raise."""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


@dataclass(frozen=True)
class JobContext:
    """What a handler knows about the run it is in."""

    job_id: int
    kind: str
    attempt: int  # 1 on the first run; a run cut short by an expired lease counts too
    max_attempts: int
    # When this attempt was due: first the enqueued time (for a schedule's job, its fire time,
    # also in its unique key); after a retry, the time the retry was set for.
    run_at: datetime
    worker_id: str
    session_factory: async_sessionmaker[AsyncSession]

    @property
    def is_last_attempt(self) -> bool:
        return self.attempt >= self.max_attempts


Handler = Callable[[JobContext, dict[str, Any]], Awaitable[None]]


class RetryLater(Exception):
    """Raise to run the job again after `delay` (instead of the backoff), e.g. on a 429.

    The run still counts as an attempt, so a job cannot postpone itself forever.
    """

    def __init__(self, delay: timedelta, reason: str = "") -> None:
        super().__init__(reason or f"retry in {delay}")
        self.delay = delay


class PermanentFailure(Exception):
    """Raise when running again cannot help (bad payload, object gone): the job dies at once."""


class JobRegistry:
    """Maps job kinds to handlers. Kinds are dotted names owned by one app: `notes.transcribe`."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def register(self, kind: str, handler: Handler) -> None:
        if kind in self._handlers:
            raise ValueError(f"job kind {kind!r} already has a handler")
        self._handlers[kind] = handler

    def handler(self, kind: str) -> Callable[[Handler], Handler]:
        """Decorator form of `register`."""

        def decorate(handler: Handler) -> Handler:
            self.register(kind, handler)
            return handler

        return decorate

    def include(self, other: JobRegistry) -> None:
        """Add every handler of `other` (an app's registry) to this one."""
        for kind, handler in other._handlers.items():
            self.register(kind, handler)

    def get(self, kind: str) -> Handler | None:
        return self._handlers.get(kind)

    def __contains__(self, kind: object) -> bool:
        return kind in self._handlers

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._handlers))

    def __len__(self) -> int:
        return len(self._handlers)


def load_registry(path: str) -> JobRegistry:
    """Import `package.module:attribute` (a JobRegistry, or a callable returning one)."""
    module_name, _, attribute = path.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"expected module:attribute, got {path!r}")
    found = getattr(importlib.import_module(module_name), attribute)
    registry = found() if callable(found) and not isinstance(found, JobRegistry) else found
    if not isinstance(registry, JobRegistry):
        raise TypeError(f"{path} is {type(registry).__name__}, not a JobRegistry")
    return registry
