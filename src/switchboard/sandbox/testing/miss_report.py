"""What a failed `expect…` says: what it waited for, and the events that came instead."""

from __future__ import annotations

import json
from typing import Any

Json = dict[str, Any]


def describe_miss(what: str, timeout: float, seen: list[Json], earlier: int) -> str:
    lines = [f"waited {timeout:.1f}s for {what}; it did not come."]
    if earlier:
        lines.append(f"None of the {earlier} unclaimed earlier events matched either.")
    if not seen:
        lines.append(
            "Nothing happened in the sandbox meanwhile (is the bot polling this sandbox?)."
        )
    else:
        lines.append(f"What happened meanwhile ({len(seen)} events, last 15):")
        for event in seen[-15:]:
            lines.append("  " + _short(event))
    return "\n".join(lines)


def _short(event: Json) -> str:
    if event["type"] in {"message", "edited"}:
        message = event["message"]
        sender = message.get("from", {}).get("username") or message.get("from", {}).get(
            "first_name"
        )
        body = (
            message.get("text")
            or message.get("caption")
            or "<"
            + ",".join(k for k in message if k not in {"message_id", "date", "chat", "from"})
            + ">"
        )
        return f"{event['type']} in chat {event['chat_id']} from {sender}: {body[:80]!r}"
    if event["type"] == "api_call" and not event.get("ok"):
        call = f"bot {event['bot_id']} called {event['method']}"
        return f"{call} -> {event['error_code']} {event['description']}"
    return json.dumps({k: v for k, v in event.items() if k != "chat"})[:160]
