"""Regressions (issue 13.3), the /settings trap: after /settings every plain text was read as a
time-zone name until a valid one was typed. Now a command or Cancel leaves the question, a
message that is no answer goes on as if none were open (a note, here), and places, offsets and
misspellings are understood."""

from __future__ import annotations

import pytest

from switchboard.db import create_engine, session_factory
from switchboard.kernel.models import UserRecord

from .conftest import RunningPlatform
from .notes_scene import Json, bound_forum, confirmation_in, until

pytestmark = pytest.mark.timeout(120)


async def _zone_of(platform: RunningPlatform) -> str | None:
    engine = create_engine(platform.database_url)
    try:
        async with session_factory(engine)() as session:
            record = await session.get(UserRecord, platform.user["id"])
            return record.timezone if record else None
    finally:
        await engine.dispose()


async def _settings(platform: RunningPlatform) -> Json:
    tg, user = platform.tg, platform.user
    await tg.send_text(user, "/settings", bot_id=platform.bot_id)
    return await tg.expect_message(chat_id=user["id"], contains="UTC")


def _buttons(message: Json) -> dict[str, str]:
    return {
        b["text"]: b["callback_data"]
        for row in message["reply_markup"]["inline_keyboard"]
        for b in row
    }


async def test_a_plain_note_after_settings_is_captured_not_taken_as_a_zone(
    platform: RunningPlatform,
) -> None:
    tg, user, sandbox = platform.tg, platform.user, platform.sandbox
    await bound_forum(sandbox, tg, user)
    await _settings(platform)
    await tg.send_text(user, "Buy oat milk and bread tomorrow", bot_id=platform.bot_id)
    await until(lambda: confirmation_in(sandbox, user["id"]), "the note's confirmation")
    assert await _zone_of(platform) is None


async def test_a_city_in_russian_is_its_zone(platform: RunningPlatform) -> None:
    await _settings(platform)
    await platform.tg.send_text(platform.user, "москва", bot_id=platform.bot_id)
    await platform.tg.expect_message(chat_id=platform.user["id"], contains="Europe/Moscow")
    assert await _zone_of(platform) == "Europe/Moscow"


async def test_an_offset_offers_zones_at_it_and_a_fixed_one(platform: RunningPlatform) -> None:
    tg, user = platform.tg, platform.user
    await _settings(platform)
    await tg.send_text(user, "UTC+3", bot_id=platform.bot_id)
    offer = await tg.expect_message(chat_id=user["id"], contains="UTC+3")
    buttons = _buttons(offer)
    assert "Cancel" in buttons and "UTC+3 all year" in buttons
    await tg.press(user, offer, buttons["UTC+3 all year"], bot_id=platform.bot_id)
    await tg.expect_edit(chat_id=user["id"], message_id=offer["message_id"])
    assert await _zone_of(platform) == "Etc/GMT-3"  # POSIX's sign: three hours east


async def test_a_misspelling_is_answered_with_suggestions(platform: RunningPlatform) -> None:
    tg, user = platform.tg, platform.user
    await _settings(platform)
    await tg.send_text(user, "Berlni", bot_id=platform.bot_id)
    offer = await tg.expect_message(chat_id=user["id"], contains="Berlni")
    await tg.press(user, offer, _buttons(offer)["Europe/Berlin"], bot_id=platform.bot_id)
    await tg.expect_edit(chat_id=user["id"], message_id=offer["message_id"])
    assert await _zone_of(platform) == "Europe/Berlin"


async def test_cancel_and_commands_leave_the_question(platform: RunningPlatform) -> None:
    tg, user = platform.tg, platform.user
    question = await _settings(platform)
    await tg.press(user, question, _buttons(question)["Cancel"], bot_id=platform.bot_id)
    await tg.expect_edit(chat_id=user["id"], message_id=question["message_id"])
    await tg.send_text(user, "Berlin", bot_id=platform.bot_id)  # no question open: not a zone
    await tg.expect_message(chat_id=user["id"], contains="/bind")  # the notes app's answer
    assert await _zone_of(platform) is None

    await _settings(platform)
    await tg.send_text(user, "/help", bot_id=platform.bot_id)  # runs, and leaves the question
    await tg.expect_message(chat_id=user["id"], contains="/language")
    await tg.send_text(user, "Tokyo", bot_id=platform.bot_id)
    await tg.expect_message(chat_id=user["id"], contains="/bind")
    assert await _zone_of(platform) is None
