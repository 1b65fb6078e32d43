"""The sandbox's event log: what happened in the world, for the web chat and test clients.

Events are numbered; a reader asks for everything after the number it has seen, waiting up to a
timeout (long poll), or subscribes to a live stream. The log keeps the most recent events only.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

Event = dict[str, Any]


class EventLog:
    def __init__(self, keep: int = 20_000) -> None:
        self._events: deque[Event] = deque(maxlen=keep)
        self._seq = 0
        self._changed = asyncio.Event()
        # Live streams; None in a queue ends its stream (the server is shutting down).
        self._subscribers: set[asyncio.Queue[Event | None]] = set()

    @property
    def last(self) -> int:
        return self._seq

    def emit(
        self, kind: str, chat_id: int | None = None, bot_id: int | None = None, **fields: Any
    ) -> Event:
        self._seq += 1
        event: Event = {
            "seq": self._seq,
            "type": kind,
            "chat_id": chat_id,
            "bot_id": bot_id,
            **fields,
        }
        self._events.append(event)
        for queue in self._subscribers:
            queue.put_nowait(event)
        self._changed.set()
        self._changed = asyncio.Event()
        return event

    def after(self, seq: int) -> list[Event]:
        if seq >= self._seq:
            return []
        return [event for event in self._events if event["seq"] > seq]

    async def wait_after(self, seq: int, wait: float) -> list[Event]:
        """The events after `seq`, waiting up to `wait` seconds for one if there are none yet."""
        events = self.after(seq)
        if events or wait <= 0:
            return events
        changed = self._changed
        try:
            await asyncio.wait_for(changed.wait(), wait)
        except TimeoutError:
            return []
        return self.after(seq)

    def subscribe(self) -> asyncio.Queue[Event | None]:
        queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Event | None]) -> None:
        self._subscribers.discard(queue)

    def end_streams(self) -> None:
        """End every live stream: a server waits for open responses before it stops, and a
        web chat's stream never ends by itself. Clients reconnect (to a restarted sandbox)."""
        for queue in self._subscribers:
            queue.put_nowait(None)
        self._changed.set()  # long polls of /sandbox/api/events answer now, with what is new
        self._changed = asyncio.Event()

    def clear(self) -> None:
        self._events.clear()
