"""Gated routers: what a gate lets through reaches the router it holds; the rest skips it."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from aiogram import BaseMiddleware, Bot, Dispatcher, Router
from aiogram.filters import Command, CommandStart, Filter, StateFilter
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    Chat,
    Document,
    Message,
    TelegramObject,
    Update,
    User,
)

from switchboard.kernel.apps import EnabledApps, app_gate
from switchboard.kernel.filters import HasText
from switchboard.kernel.routing import (
    GatedRouter,
    NeedsFields,
    TakesNoCommand,
    commands_or_in_state,
    only_its_commands,
)

TOKEN = "42:test-token-abcdefghijklmnopqrstuvw"


class Flow(StatesGroup):
    waiting = State()
    other = State()


def message(
    text: str | None = None, caption: str | None = None, document: Document | None = None
) -> Message:
    chat = Chat(id=1, type="private")
    return Message(
        message_id=1,
        date=datetime.now(UTC),
        chat=chat,
        text=text,
        caption=caption,
        document=document,
    )


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


async def _noop(_message: Message) -> None:
    return None


def test_a_command_skips_a_router_with_no_handler_for_it() -> None:
    router = Router(name="app")
    feature = Router(name="feature")
    router.include_router(feature)
    router.message.register(_noop, Command("agenda", "Today"))
    feature.message.register(_noop, CommandStart())
    feature.message.register(_noop, Flow.waiting, HasText())  # a question's answer
    gate = only_its_commands(router)
    assert gate is not None
    for taken in ("/agenda", "/AGENDA tomorrow", "/today@some_bot", "/start deep-link"):
        assert gate("message", message(taken), {}), taken
    assert gate("message", message(caption="/agenda"), {})
    assert not gate("message", message("/help"), {})
    assert not gate("message", message("/agendas"), {})
    # Not commands: they pass, as before (a question's answer, a plain text, a photo).
    assert gate("message", message("Berlin"), {"raw_state": Flow.waiting.state})
    assert gate("message", message("agenda"), {})
    assert gate("message", message(), {})
    query = CallbackQuery(
        id="1", from_user=User(id=1, is_bot=False, first_name="A"), chat_instance="c"
    )
    assert gate("callback_query", query, {})


def test_a_router_that_may_take_any_command_gets_no_command_gate() -> None:
    plain = Router(name="plain")
    plain.message.register(_noop, HasText())  # "/help" is text too
    assert only_its_commands(plain) is None
    any_state = Router(name="any-state")
    any_state.message.register(_noop, StateFilter("*"))
    assert only_its_commands(any_state) is None
    pattern = Router(name="pattern")
    pattern.message.register(_noop, Command(re.compile(r"item_\d+")))
    assert only_its_commands(pattern) is None
    watched = Router(name="watched")
    watched.message.register(_noop, Command("agenda"))
    watched.message.outer_middleware(_PassThrough())
    assert only_its_commands(watched) is None


class _PassThrough(BaseMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        return await handler(event, data)


class _NotACommand(TakesNoCommand, Filter):
    async def __call__(self, message: Message) -> bool:
        text = message.text or message.caption
        return not (text and text.startswith("/"))


class _AnyDocument(NeedsFields, Filter):
    needs = ("document",)

    async def __call__(self, message: Message) -> bool:
        return message.document is not None


class _Unsaid(Filter):  # says nothing about what it takes
    async def __call__(self, message: Message) -> bool:
        return message.document is not None


def test_filters_that_say_what_they_never_take_keep_the_command_gate() -> None:
    """An app whose only catch-all handlers are "anything but a command" and "a document"
    still turns away the commands it does not know, but not a document captioned "/x"."""
    router = Router(name="app")
    router.message.register(_noop, Command("import"))
    router.message.register(_noop, _NotACommand())
    router.message.register(_noop, _AnyDocument())
    gate = only_its_commands(router)
    assert gate is not None
    assert gate("message", message("/import"), {})
    assert not gate("message", message("/help"), {})
    assert not gate("message", message(caption="/help"), {})
    file = Document(file_id="f", file_unique_id="u", file_name="a.ics")
    assert gate("message", message(caption="/help", document=file), {})
    assert gate("message", message("a note"), {})

    unsaid = Router(name="unsaid")
    unsaid.message.register(_noop, _Unsaid())
    assert only_its_commands(unsaid) is None


def test_every_installed_app_turns_away_commands_it_does_not_know() -> None:
    """Each app's router can be skipped for a command none of its handlers takes: an unknown
    command, the webhook bench's update, meets one set lookup per app, not every filter."""
    from switchboard.platform.installed_apps import installed_apps

    for name, app in installed_apps().items():
        gate = only_its_commands(app.make_router())
        assert gate is not None, f"{name} may take any command"
        assert not gate("message", message("/no_such_command_anywhere"), {}), name
