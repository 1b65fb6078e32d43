"""Updates this aiogram cannot read: acknowledged, counted, logged and skipped.

Two kinds reach us. An update of a type newer than the installed aiogram (Telegram adds types
with every Bot API release) validates, since aiogram keeps unknown fields, but has no event
to dispatch. An update that does not validate at all (a field whose shape changed) makes
aiogram reject the whole getUpdates answer it came in. Neither will ever be handled by this
code, so retrying is no use: a retried update holds back every later one (a poller's offset
cannot move past it; Telegram retries a webhook that answered 5xx), which freezes the bot.
They are skipped instead, as `switchboard_updates_total{type="unknown"|"invalid",
outcome="skipped"}`, with a warning the first time each shape is seen (an unknown type may
come with every update of a busy bot; the counter shows how often).
"""

from __future__ import annotations

from typing import Any, Literal

import structlog
from aiogram import Bot
from aiogram.types import Update
from aiogram.types.update import UpdateTypeLookupError
from pydantic import ValidationError

from switchboard.kernel import telemetry
from switchboard.kernel.metric_children import Children
from switchboard.kernel.pipeline.chosen_handler import NO_HANDLER

log = structlog.get_logger("switchboard.pipeline")
_UPDATES = Children(telemetry.UPDATES)  # bot, type, handler, outcome

Unreadable = Literal["unknown", "invalid"]
# Shapes already logged at WARNING, bounded: field names come from outside.
_SEEN_LIMIT = 256
_seen: set[tuple[str, str]] = set()


def is_unknown_type(update: Update) -> bool:
    """No field of `update` is a type this aiogram dispatches."""
    try:
        update.event_type  # noqa: B018 - the lookup is the check (and aiogram caches it)
    except UpdateTypeLookupError:
        return True
    return False


def skip_unknown_type(bot: Bot, update: Update) -> None:
    fields = sorted(name[:64] for name in (update.model_extra or {}))[:8]
    skip(bot.id, "unknown", update.update_id, ",".join(fields) or "-")


def skip(bot_id: int, kind: Unreadable, update_id: int | None, shape: str) -> None:
    """Count and log one skipped update; `shape` says what it looked like (no content)."""
    _UPDATES.get(telemetry.bot_label(bot_id), kind, NO_HANDLER, "skipped").inc()
    first = (kind, shape) not in _seen and len(_seen) < _SEEN_LIMIT
    if first:
        _seen.add((kind, shape))
    level = log.warning if first else log.debug
    what = "update of a type this aiogram does not know" if kind == "unknown" else "invalid update"
    level(f"skipped an {what}", bot_id=bot_id, update_id=update_id, shape=shape)


def salvage(bot: Bot, answer: Any) -> tuple[list[Update], int] | None:
    """What a getUpdates answer that failed to validate still holds: its updates that
    validate, and the offset that confirms the whole batch (past the ones that do not).

    None when there is nothing to salvage (not an answer, or no update ids at all): the
    caller then retries as after a server error."""
    result = answer.get("result") if isinstance(answer, dict) and answer.get("ok") else None
    if not isinstance(result, list):
        return None
    updates: list[Update] = []
    last: int | None = None
    for item in result:
        update_id = item.get("update_id") if isinstance(item, dict) else None
        if type(update_id) is int:
            last = update_id if last is None else max(last, update_id)
        try:
            updates.append(Update.model_validate(item, context={"bot": bot}))
        except ValidationError as error:
            first = error.errors()[0]
            place = ".".join(str(part) for part in first["loc"])
            skip(bot.id, "invalid", update_id if type(update_id) is int else None, place)
    if last is None:
        return None
    return updates, last + 1


__all__ = ["is_unknown_type", "salvage", "skip", "skip_unknown_type"]
