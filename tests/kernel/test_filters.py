"""The kernel's coroutine filters: what passes and what does not."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Chat, Message

from switchboard.kernel.filters import CommandOrInState


class Flow(StatesGroup):
    waiting = State()
    other = State()


def message(text: str | None = None, caption: str | None = None) -> Message:
    chat = Chat(id=1, type="private")
    return Message(message_id=1, date=datetime.now(UTC), chat=chat, text=text, caption=caption)


async def test_commands_and_messages_in_the_flow_pass_plain_text_does_not() -> None:
    only_flow = CommandOrInState(Flow.waiting)
    assert await only_flow(message("/start"))
    assert await only_flow(message(caption="/help with a photo"))
    assert await only_flow(message("Berlin"), raw_state=Flow.waiting.state)
    assert await only_flow(message(), raw_state=Flow.waiting.state)  # a location, say
    assert not await only_flow(message("Berlin"))
    assert not await only_flow(message("Berlin"), raw_state=Flow.other.state)
    assert not await only_flow(message())
