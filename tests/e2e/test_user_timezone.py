"""Regression: the time zone set in /settings was used by nothing. Dates the bot prints are in
the user's zone: /recent and /find list note times in it, and /privacy exports in it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from switchboard.apps.notes.models import Note
from switchboard.db import create_engine, session_factory

from .conftest import RunningPlatform

NOON_IN_TOKYO = datetime(2026, 3, 1, 3, 30, tzinfo=UTC)  # 12:30 JST (UTC+9)


async def _add_filed_note(platform: RunningPlatform) -> None:
    engine = create_engine(platform.database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            session.add(
                Note(
                    bot_id=platform.bot_id,
                    user_id=platform.user["id"],
                    state="filed",
                    text="call the dentist",
                    title="Dentist",
                    capture_chat_id=platform.user["id"],
                    created_at=NOON_IN_TOKYO,
                    filed_at=NOON_IN_TOKYO,
                )
            )
    finally:
        await engine.dispose()


async def test_a_user_in_tokyo_sees_times_in_jst(platform: RunningPlatform) -> None:
    tg, user, bot_id = platform.tg, platform.user, platform.bot_id
    await tg.send_text(user, "/settings", bot_id=bot_id)
    await tg.expect_message(chat_id=user["id"], contains="UTC")
    await tg.send_text(user, "Asia/Tokyo", bot_id=bot_id)
    await tg.expect_message(chat_id=user["id"], contains="Asia/Tokyo")
    await _add_filed_note(platform)

    await tg.send_text(user, "/recent", bot_id=bot_id)
    recent = await tg.expect_message(chat_id=user["id"], contains="Dentist")
    assert "2026-03-01 12:30" in recent["text"], recent["text"]
    await tg.send_text(user, "/find dentist", bot_id=bot_id)
    found = await tg.expect_message(chat_id=user["id"], contains="Dentist")
    assert "2026-03-01 12:30" in found["text"], found["text"]

    await tg.send_text(user, "/privacy", bot_id=bot_id)
    menu = await tg.expect_message(chat_id=user["id"])
    export = menu["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    await tg.press(user, menu, export, bot_id=bot_id)
    exported = await tg.expect(
        lambda e: e["type"] == "message" and "document" in e["message"], "the export file"
    )
    document = json.loads(await tg.download(exported["message"]["document"]["file_id"]))
    assert document["exported_at"].endswith("+09:00")
    assert document["user"]["first_seen"].endswith("+09:00")
    assert document["notes"]["notes"][0]["created_at"] == "2026-03-01T12:30:00+09:00"
