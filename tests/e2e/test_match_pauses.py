"""Pauses in the match app end to end (issue 16: "`/pause` (with an automatic resume date)",
and in rounds "pause with automatic resume works here too"): /pause hides the profile and
takes the user out of their groups' rounds; its end is a job that brings both back and tells
the user; the Pause button under a group's rounds card ends the same way."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from switchboard.apps.match.models import MatchMember
from switchboard.db import utcnow
from switchboard.sandbox.testing import SandboxClient, SandboxServer

from .conftest import BOT_ID
from .match_scene import (
    BERLIN_KREUZBERG,
    BERLIN_MITTE,
    Json,
    answer,
    make_due,
    onboard,
    profile_of,
    rows,
    running,
    tap,
    world,
)

pytestmark = pytest.mark.timeout(180)
__all__ = ["world"]


async def rounds_card(tg: SandboxClient, admin: Json, title: str) -> Json:
    """A group with rounds on, made by `admin` (who has started the bot): its rounds card."""
    chat = await tg.create_group(admin, title)
    await tg.add_member(chat, admin, BOT_ID, status="administrator")
    await tg.send_text(admin, "/rounds weekly Mon 10:00", chat_id=chat["id"])
    card = await tg.expect_message(chat_id=chat["id"], contains="Rounds are on")
    return card


async def member_of(database_url: str, user_id: int) -> MatchMember:
    async def query(session: Any) -> list[Any]:
        return list(
            await session.scalars(select(MatchMember).where(MatchMember.user_id == user_id))
        )

    (member,) = await rows(database_url, query)
    return member


async def test_pause_hides_the_profile_and_the_rounds_and_ends_by_itself(
    sandbox: SandboxServer, database_url: str, world: SandboxClient
) -> None:
    tg = world
    anna = await tg.create_user("Anna", language_code="en")
    bob = await tg.create_user("Bob", language_code="en")
    async with running(sandbox, database_url):
        await onboard(tg, anna, "Anna", 30, BERLIN_MITTE)
        await onboard(tg, bob, "Bob", 31, BERLIN_KREUZBERG)
        card = await rounds_card(tg, anna, "Coffee club")
        query = await tap(tg, anna, card, "Join rounds")
        assert "You're in" in (await tg.expect_callback_answer(query))["text"]

        ask = await answer(tg, anna, "/pause", "Hide your profile for how long?")
        await tap(tg, anna, ask, "A week")
        paused = await tg.expect_edit(chat_id=anna["id"], message_id=ask["message_id"])
        assert "Paused for 7 days." in paused["text"]
        assert "Your group rounds are paused too." in paused["text"]
        member = await member_of(database_url, anna["id"])
        assert member.paused_until is not None
        assert member.paused_until - utcnow() > timedelta(days=6)
        # Hidden while paused.
        await answer(tg, bob, "/match", "No one new to show")

        await make_due(database_url, "match.resume")
        back = await tg.expect_message(chat_id=anna["id"], contains="Your pause is over")
        assert "next rounds of Coffee club" in back["text"]
        await answer(tg, bob, "/match", "Anna, 30")
    profile = await profile_of(database_url, anna["id"])
    assert profile is not None and profile.state == "active" and profile.paused_until is None
    assert (await member_of(database_url, anna["id"])).paused_until is None


async def test_the_rounds_pause_button_ends_with_a_message_and_resume_brings_rounds_back(
    sandbox: SandboxServer, database_url: str, world: SandboxClient
) -> None:
    tg = world
    cleo = await tg.create_user("Cleo", language_code="en")
    async with running(sandbox, database_url):
        await answer(tg, cleo, "/start", "Hi")
        card = await rounds_card(tg, cleo, "Chess club")
        query = await tap(tg, cleo, card, "Pause 14 days")
        assert "Paused for 14 days" in (await tg.expect_callback_answer(query))["text"]
        await make_due(database_url, "match.resume")
        back = await tg.expect_message(chat_id=cleo["id"], contains="Your pause from rounds")
        assert "Chess club" in back["text"]
        assert (await member_of(database_url, cleo["id"])).paused_until is None

        # /pause works for a member of rounds with no profile; "until I resume" and /resume.
        ask = await answer(tg, cleo, "/pause", "Hide your profile for how long?")
        await tap(tg, cleo, ask, "Until I resume")
        paused = await tg.expect_edit(chat_id=cleo["id"], message_id=ask["message_id"])
        assert "Your group rounds are paused too." in paused["text"]
        assert (await member_of(database_url, cleo["id"])).paused_until is not None
        await answer(tg, cleo, "/resume", "You're back in the rounds of Chess club.")
    assert (await member_of(database_url, cleo["id"])).paused_until is None
    assert await profile_of(database_url, cleo["id"]) is None
