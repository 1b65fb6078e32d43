"""Reports through the sandbox up to the owner's review in chat (issue 16, item 6: "automatic
hiding after K reports pending the bot owner's review (`/reports` for owners)"): the K-th
report hides the profile from everyone, the owner is told and lists the reports with
/reports, and Restore makes it visible again; nobody else may review."""

from __future__ import annotations

import pytest

from switchboard.sandbox.testing import SandboxClient, SandboxServer

from .conftest import BOT_ID, OWNER_ID
from .match_scene import (
    BERLIN_KREUZBERG,
    BERLIN_MITTE,
    Json,
    answer,
    buttons,
    onboard,
    profile_of,
    running,
    tap,
    world,
)

pytestmark = pytest.mark.timeout(240)
__all__ = ["world"]


async def next_card(tg: SandboxClient, user: Json) -> Json:
    """The next card the bot shows `user` (a message with the card's buttons), or its
    "no one new" answer."""

    def card(event: Json) -> bool:
        message = event.get("message") or {}
        rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
        taps = [b.get("callback_data", "") for row in rows for b in row]
        return (
            event["type"] == "message"
            and event["chat_id"] == user["id"]
            and message.get("from", {}).get("is_bot", False)
            and (
                any(t.startswith("mcard:") for t in taps) or "No one new" in message.get("text", "")
            )
        )

    found = await tg.expect(card, "a card")
    return found["message"]  # type: ignore[no-any-return]


async def test_three_reports_hide_a_profile_until_the_owner_restores_it_with_reports(
    sandbox: SandboxServer, database_url: str, world: SandboxClient
) -> None:
    tg = world
    rita = await tg.create_user("Rita", language_code="en")
    reporters = [await tg.create_user(n, language_code="en") for n in ("Abe", "Bea", "Cid")]
    viewer = await tg.create_user("Vic", language_code="en")
    owner = await tg.create_user("Olga", language_code="en", id=OWNER_ID)
    async with running(sandbox, database_url):
        await tg.send_text(owner, "/start", bot_id=BOT_ID)
        await onboard(tg, rita, "Rita", 30, BERLIN_MITTE)
        for person, name in zip(reporters, ("Abe", "Bea", "Cid"), strict=True):
            await onboard(tg, person, name, 31, BERLIN_KREUZBERG)
        await onboard(tg, viewer, "Vic", 32, BERLIN_KREUZBERG)
        # The reporters are all men; Rita a woman: each asks for Rita only (the others are
        # each other's cards, skipped when they come first).
        for count, person in enumerate(reporters, start=1):
            await tg.send_text(person, "/match", bot_id=BOT_ID)
            while True:
                card = await next_card(tg, person)
                if card["text"].startswith("Rita, 30"):
                    break
                await tap(tg, person, card, "Skip")
            await tap(tg, person, card, "⚠️ Report")
            why = await tg.expect_message(chat_id=person["id"], contains="What is wrong")
            await tap(tg, person, why, "Fake profile")
            notice = await tg.expect_message(chat_id=owner["id"], contains="New report: Rita, 30")
            hidden = "hidden from everyone" in notice["text"]
            assert hidden == (count == 3), notice["text"]
        profile = await profile_of(database_url, rita["id"])
        assert profile is not None and (profile.state, profile.reports) == ("hidden", 3)
        await answer(tg, rita, "/match", "Your profile is hidden while reports")
        await tg.send_text(viewer, "/match", bot_id=BOT_ID)
        while True:  # Vic sees the three reporters, never Rita
            card = await next_card(tg, viewer)
            assert "Rita" not in card["text"]
            if "No one new to show" in card["text"]:
                break
            await tap(tg, viewer, card, "Skip")

        await answer(tg, viewer, "/reports", "only the owner of this bot")
        await tg.send_text(owner, "/reports", bot_id=BOT_ID)
        items = [
            await tg.expect_message(chat_id=owner["id"], contains="Reported: Rita, 30")
            for _ in range(3)
        ]
        assert all("Fake profile" in item["text"] for item in items)
        # Vic forges the owner's Restore: refused.
        restore = buttons(items[0])["Restore"]
        query = await tg.press(viewer, items[0], restore, bot_id=BOT_ID, forged=True)
        assert "only the owner" in (await tg.expect_callback_answer(query))["text"]
        assert (await profile_of(database_url, rita["id"])).state == "hidden"  # type: ignore[union-attr]
        await tap(tg, owner, items[0], "Restore")
        done = await tg.expect_edit(chat_id=owner["id"], message_id=items[0]["message_id"])
        assert "visible again" in done["text"]
        await answer(tg, viewer, "/match", "Rita, 30")
    profile = await profile_of(database_url, rita["id"])
    assert profile is not None and profile.state == "active"
