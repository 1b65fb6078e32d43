"""Regression: /stats showed the deployment's job counts to every bot's owner. Each owner sees
figures of their own bot only: what other bots do (their users, their jobs) changes nothing."""

from __future__ import annotations

from datetime import timedelta

from switchboard.db import create_engine, session_factory, utcnow
from switchboard.kernel import enqueue
from switchboard.sandbox.testing import SandboxServer

from .conftest import BOT_ID, BOT_TOKEN, OWNER_ID, register_bot, running

OTHER_TOKEN = "5550002:e2e-switchboard-other-abcdefghijk"
OTHER_ID = 5550002
OTHER_OWNER = 100_000_888


async def _enqueue_elsewhere(database_url: str, count: int) -> None:
    """Jobs of another bot's work, waiting in the shared job table."""
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            for index in range(count):
                await enqueue(
                    session,
                    "other.work",
                    {"bot_id": OTHER_ID, "n": index},
                    run_at=utcnow() + timedelta(days=1),
                )
    finally:
        await engine.dispose()


def _without_updates(text: str) -> list[str]:
    # The /stats command itself is an update handled, so that one figure moves.
    return [line for line in text.splitlines() if "pdates" not in line]


async def test_stats_show_only_the_owners_bot(sandbox: SandboxServer, database_url: str) -> None:
    sandbox.world.register_bot(BOT_TOKEN, first_name="Bot A", username="bot_a")
    sandbox.world.register_bot(OTHER_TOKEN, first_name="Bot B", username="bot_b")
    await register_bot(database_url, BOT_TOKEN, owners=[OWNER_ID])
    await register_bot(database_url, OTHER_TOKEN, owners=[OTHER_OWNER])
    async with running(sandbox, database_url), sandbox.client(timeout=10) as tg:
        owner = await tg.create_user("Olga", id=OWNER_ID, language_code="en")
        other_owner = await tg.create_user("Oscar", id=OTHER_OWNER, language_code="en")
        alice = await tg.create_user("Alice", language_code="en")
        others = [await tg.create_user(f"B user {i}", language_code="en") for i in range(3)]
        for user, bot_id in [(alice, BOT_ID), *[(user, OTHER_ID) for user in others]]:
            await tg.send_text(user, "/start", bot_id=bot_id)
            await tg.expect_message(chat_id=user["id"], bot_id=bot_id)

        await tg.send_text(owner, "/stats", bot_id=BOT_ID)
        before = (await tg.expect_message(chat_id=owner["id"], bot_id=BOT_ID))["text"]
        await _enqueue_elsewhere(database_url, 4)
        await tg.send_text(owner, "/stats", bot_id=BOT_ID)
        after = (await tg.expect_message(chat_id=owner["id"], bot_id=BOT_ID))["text"]
        assert _without_updates(after) == _without_updates(before), (before, after)
        assert "Users: 2" in after  # Alice and the owner; not bot B's users

        await tg.send_text(other_owner, "/stats", bot_id=OTHER_ID)
        theirs = (await tg.expect_message(chat_id=other_owner["id"], bot_id=OTHER_ID))["text"]
        assert "Users: 4" in theirs
