"""Gated routers: what a gate lets through reaches the router it holds; the rest skips it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot, Dispatcher, Router
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Chat, Message, TelegramObject, Update, User

from switchboard.kernel.apps import EnabledApps, app_gate
from switchboard.kernel.routing import GatedRouter, commands_or_in_state

TOKEN = "42:test-token-abcdefghijklmnopqrstuvw"


class Flow(StatesGroup):
    waiting = State()
    other = State()


def message(text: str | None = None, caption: str | None = None) -> Message:
    chat = Chat(id=1, type="private")
    return Message(message_id=1, date=datetime.now(UTC), chat=chat, text=text, caption=caption)


def test_commands_and_messages_in_the_flow_pass_plain_text_does_not() -> None:
    gate = commands_or_in_state(Flow.waiting)
    in_flow = {"raw_state": Flow.waiting.state}
    assert gate("message", message("/start"), {})
    assert gate("message", message(caption="/help with a photo"), {})
    assert gate("message", message("Berlin"), in_flow)
    assert gate("message", message(), in_flow)  # a location, say
    assert not gate("message", message("Berlin"), {})
    assert not gate("message", message("Berlin"), {"raw_state": Flow.other.state})
    assert not gate("message", message(), {})
    query = CallbackQuery(
        id="1", from_user=User(id=1, is_bot=False, first_name="A"), chat_instance="c"
    )
    assert gate("callback_query", query, {})  # only messages are looked at


def test_the_app_gate_follows_the_bots_enabled_apps() -> None:
    registry = EnabledApps()
    registry.set(42, ["core", "notes"])
    bot = Bot(TOKEN)
    assert app_gate("notes", registry)("message", message("hi"), {"bot": bot})
    assert not app_gate("calendar", registry)("message", message("hi"), {"bot": bot})
    assert not app_gate("notes", registry)("message", message("hi"), {})


async def test_a_gated_router_is_skipped_when_its_gate_says_no() -> None:
    seen: list[str] = []

    def only_hello(_type: str, event: TelegramObject, _data: Mapping[str, Any]) -> bool:
        return isinstance(event, Message) and event.text == "hello"

    inner = Router(name="inner")

    @inner.message()
    async def inner_handler(message: Message) -> None:
        seen.append(f"inner {message.text}")

    after = Router(name="after")

    @after.message()
    async def after_handler(message: Message) -> None:
        seen.append(f"after {message.text}")

    dispatcher = Dispatcher()
    dispatcher.include_router(GatedRouter(inner, only_hello))
    dispatcher.include_router(after)
    bot = Bot(TOKEN)
    for update_id, text in enumerate(("hello", "bye"), 1):
        update = Update(update_id=update_id, message=message(text))
        await dispatcher.feed_update(bot, update)

    assert seen == ["inner hello", "after bye"]
    assert dispatcher.resolve_used_update_types() == ["message"]  # the held router counts
