"""The core app end to end: a user talks to a bot run by the platform, through the sandbox."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from switchboard.db import create_engine, session_factory
from switchboard.kernel.models import ProcessedUpdate, UserRecord

from .conftest import RunningPlatform


async def test_start_with_payload_and_help(platform: RunningPlatform) -> None:
    tg, user = platform.tg, platform.user
    await tg.send_text(user, "/start promo42", bot_id=platform.bot_id)
    welcome = await tg.expect_message(chat_id=user["id"], contains="Alice")
    assert "promo42" in welcome["text"]
    await tg.send_text(user, "/help", bot_id=platform.bot_id)
    help_text = (await tg.expect_message(chat_id=user["id"], contains="/language"))["text"]
    assert "/settings" in help_text and "/privacy" in help_text
    assert "/broadcast" not in help_text  # owner-only commands are hidden from others


async def test_unknown_command_gets_a_helpful_reply(platform: RunningPlatform) -> None:
    await platform.tg.send_text(platform.user, "/frobnicate", bot_id=platform.bot_id)
    reply = await platform.tg.expect_message(chat_id=platform.user["id"], contains="/frobnicate")
    assert "/help" in reply["text"]


async def test_language_switch_changes_replies(platform: RunningPlatform) -> None:
    tg, user = platform.tg, platform.user
    await tg.send_text(user, "/language", bot_id=platform.bot_id)
    menu = await tg.expect_message(chat_id=user["id"])
    ru_button = next(
        b for row in menu["reply_markup"]["inline_keyboard"] for b in row if b["text"] == "Русский"
    )
    await tg.press(user, menu, ru_button["callback_data"], bot_id=platform.bot_id)
    await tg.expect_edit(chat_id=user["id"], message_id=menu["message_id"])
    await tg.send_text(user, "/frobnicate", bot_id=platform.bot_id)
    reply = await tg.expect_message(chat_id=user["id"], contains="/frobnicate")
    assert any("а" <= ch <= "я" for ch in reply["text"].lower())  # now in Russian


async def test_settings_timezone_by_name_and_by_location(platform: RunningPlatform) -> None:
    tg, user = platform.tg, platform.user
    await tg.send_text(user, "/settings", bot_id=platform.bot_id)
    await tg.expect_message(chat_id=user["id"], contains="UTC")
    await tg.send_text(user, "Mars/Olympus", bot_id=platform.bot_id)
    await tg.expect_message(chat_id=user["id"], contains="Mars/Olympus")  # unknown, says so
    await tg.send_text(user, "europe/berlin", bot_id=platform.bot_id)
    await tg.expect_message(chat_id=user["id"], contains="Europe/Berlin")
    await tg.send_text(user, "/settings", bot_id=platform.bot_id)
    await tg.expect_message(chat_id=user["id"], contains="Europe/Berlin")
    await tg.send_location(user, 35.68, 139.69, bot_id=platform.bot_id)
    await tg.expect_message(chat_id=user["id"], contains="Asia/Tokyo")
    engine = create_engine(platform.database_url)
    async with session_factory(engine)() as session:
        record = await session.get(UserRecord, user["id"])
    await engine.dispose()
    assert record is not None and record.timezone == "Asia/Tokyo"


async def test_privacy_export_then_delete(platform: RunningPlatform) -> None:
    tg, user = platform.tg, platform.user
    await tg.send_text(user, "/privacy", bot_id=platform.bot_id)
    menu = await tg.expect_message(chat_id=user["id"])
    buttons = [b for row in menu["reply_markup"]["inline_keyboard"] for b in row]
    await tg.press(user, menu, buttons[0]["callback_data"], bot_id=platform.bot_id)
    exported = await tg.expect(
        lambda e: e["type"] == "message" and "document" in e["message"], "the export file"
    )
    document = json.loads(await tg.download(exported["message"]["document"]["file_id"]))
    assert document["user"]["id"] == user["id"] and document["user"]["first_name"] == "Alice"
    await tg.press(user, menu, buttons[1]["callback_data"], bot_id=platform.bot_id)
    confirm = await tg.expect_edit(chat_id=user["id"], message_id=menu["message_id"])
    yes = confirm["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    await tg.press(user, confirm, yes, bot_id=platform.bot_id)
    await tg.expect_edit(chat_id=user["id"], message_id=menu["message_id"])
    engine = create_engine(platform.database_url)
    async with session_factory(engine)() as session:
        assert await session.get(UserRecord, user["id"]) is None
    await engine.dispose()


async def test_owner_stats_and_non_owner_refused(platform: RunningPlatform) -> None:
    tg = platform.tg
    await tg.send_text(platform.user, "/stats", bot_id=platform.bot_id)
    refused = await tg.expect_message(chat_id=platform.user["id"])
    await tg.send_text(platform.owner, "/stats", bot_id=platform.bot_id)
    figures = await tg.expect_message(chat_id=platform.owner["id"])
    assert refused["text"] != figures["text"]
    assert any(ch.isdigit() for ch in figures["text"])


async def test_each_update_is_recorded_once(platform: RunningPlatform) -> None:
    tg, user = platform.tg, platform.user
    for index in range(5):
        await tg.send_text(user, f"/help {index}", bot_id=platform.bot_id)
    for _ in range(5):
        await tg.expect_message(chat_id=user["id"])
    engine = create_engine(platform.database_url)
    async with session_factory(engine)() as session:
        count = await session.scalar(select(func.count()).select_from(ProcessedUpdate))
    await engine.dispose()
    assert count == 5


async def test_a_command_for_another_bot_is_ignored(platform: RunningPlatform) -> None:
    """In a group an admin bot sees every message, "/help@other_bot" too: it is not ours to
    answer (not even with "unknown command"), while "/help@e2e_bot" and "/help" are."""
    tg, user = platform.tg, platform.user
    group = await tg.create_group(user, "Club")
    await tg.add_member(group, user, platform.bot_id, status="administrator")
    await tg.expect_message(chat_id=group["id"], contains="in this group")  # its hello
    first = await tg.send_text(user, "/help@other_bot", chat_id=group["id"])
    await tg.send_text(user, "/frobnicate@other_bot now", chat_id=group["id"])
    await tg.send_text(user, "/settings@OTHER_BOT", chat_id=group["id"])
    await tg.send_text(user, "/help@E2E_bot", chat_id=group["id"])
    await tg.expect_message(chat_id=group["id"], contains="/privacy")
    await tg.send_text(user, "/help", chat_id=group["id"])
    await tg.expect_message(chat_id=group["id"], contains="/privacy")
    chat = platform.sandbox.world.chats[group["id"]]
    answers = [
        m
        for m in chat.messages.values()
        if m["message_id"] > first["message_id"] and m.get("from", {}).get("is_bot")
    ]
    assert len(answers) == 2, [m.get("text") for m in answers]  # one per /help for us
