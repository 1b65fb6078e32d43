"""Where limiter state lives: the contract every backend keeps, and what it answers.

A backend makes one atomic decision per call: record a send now if every limit allows it, or say
how long to wait. Two backends keep the same contract: `InMemoryFloodBackend` (one process) and
`RedisFloodBackend` (shared by processes and replicas). Both use the same rules, below.

- Time never runs backwards per bot: `now` is raised to the latest time already recorded, so
  records stay sorted and callers with a lagging clock are only made more careful.
- A pause (after a 429) blocks every lane of the bot until it ends.
- Lanes across processes: a send that waits for the bot (not for its chat) leaves a short-lived
  mark saying its lane is waiting; a grant clears it unless the caller has more of that lane
  queued (a waiter elsewhere sets it again when next refused).
- A bulk send that could go yields while interactive is marked waiting, so a reply waiting in
  another process goes first. Interactive grants made while bulk is marked waiting are counted;
  after `BULK_SHARE` in a row, interactive yields to bulk for one grant: bulk is slowed, never
  starved. Within one process the queue (`send_queue.py`) keeps the same order itself (and says
  so with `bulk_turn`); the marks matter between processes.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol

from .limits import FloodLimits, is_group_chat
from .priority import Priority

__all__ = [
    "BULK_SHARE",
    "LANE_MARK_GRACE",
    "YIELD_RETRY",
    "Decision",
    "FloodBackend",
    "SendTarget",
]

# How long past its expected turn a lane's waiting mark lasts: long enough for the waiting
# process to wake and take its slot, short enough that a vanished waiter costs little.
LANE_MARK_GRACE = 0.1
# Interactive grants in a row, while bulk waits, after which one bulk send goes first.
BULK_SHARE = 10
# How soon a send that yielded to the other lane asks again.
YIELD_RETRY = 0.02


class SendTarget(NamedTuple):
    """The chat a counted call posts to, as the limits see it."""

    key: str
    is_group: bool

    @classmethod
    def of(cls, chat_id: int | str) -> SendTarget:
        if isinstance(chat_id, str):
            text = chat_id.strip()
            if not text.lstrip("-").isdigit():
                # `@username`: only channels and public supergroups are addressed this way.
                return cls(text.lower(), is_group=True)
            chat_id = int(text)
        return cls(str(chat_id), is_group_chat(chat_id))


class Decision(NamedTuple):
    """A backend's answer. Waits are seconds from the decision; zero means "not blocked"."""

    # The backend's time the send was recorded at, or None if it was refused.
    granted_at: float | None
    # Every lane of the bot is blocked this long (pause, or the bot-wide window is full).
    bot_wait: float = 0.0
    # This chat is blocked this long (its bucket is empty, or its group window is full).
    chat_wait: float = 0.0
    # Only this lane is blocked this long (it yields to the other lane, waiting elsewhere).
    lane_wait: float = 0.0

    @property
    def granted(self) -> bool:
        return self.granted_at is not None


class FloodBackend(Protocol):
    async def try_acquire(
        self,
        bot_id: int,
        target: SendTarget | None,
        priority: Priority,
        limits: FloodLimits,
        now: float,
        *,
        backlog: bool = False,
        bulk_turn: bool = False,
    ) -> Decision:
        """Record one counted send to `target` (None: no chat, bot-wide limit only) if every
        limit allows it at `now`, atomically; otherwise record nothing and say how long to wait.

        `backlog`: more sends of this lane wait in the caller's process (a grant then keeps the
        lane's waiting mark instead of clearing it). `bulk_turn`: the caller's own queue gives
        this bulk send its share (see `BULK_SHARE`), so it does not yield to interactive marks.
        """
        ...

    async def pause(self, bot_id: int, seconds: float, now: float) -> None:
        """Block every send of the bot for `seconds` from `now` (an existing longer pause stays)."""
        ...

    async def aclose(self) -> None: ...
