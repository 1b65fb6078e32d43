"""The inbound throttle against a flood, and fairness between users (issue 11, item 3).

A user firing 100 commands at once gets one polite notice and the rest are ignored; another
user who writes meanwhile is answered at once, not after the flooder's replies (which wait
for the outbound limiter, one a second in a private chat). Before the fix the poller handled
a whole batch before fetching the next, so the other user's reply came after all of them.
"""

from __future__ import annotations

import asyncio

from .conftest import RunningPlatform

FLOOD = 100
NOTICE = "slow down"


async def _bot_texts(platform: RunningPlatform, chat_id: int) -> list[str]:
    messages = await platform.tg.messages(chat_id, bot_id=platform.bot_id)
    return [m.get("text", "") for m in messages if m["from"]["is_bot"]]


async def test_a_flood_gets_one_notice_and_does_not_hold_up_another_user(
    platform: RunningPlatform,
) -> None:
    tg, flooder = platform.tg, platform.user
    other = await tg.create_user("Bob", username="bob", language_code="en")
    await tg.send_text(flooder, "/help", bot_id=platform.bot_id)
    await tg.expect_message(chat_id=flooder["id"], contains="/language")
    for _ in range(FLOOD):
        await tg.send_text(flooder, "/help", bot_id=platform.bot_id)
    await tg.expect_message(chat_id=flooder["id"], contains="/language")  # the flood is in hand
    await tg.send_text(other, "/help", bot_id=platform.bot_id)
    await tg.expect_message(chat_id=other["id"], contains="/language", timeout=30)
    answered_before_other = len(await _bot_texts(platform, flooder["id"]))

    # Then the flood settles: the replies the bucket allowed, one notice, nothing more.
    settled: list[str] = []
    for _ in range(120):
        await asyncio.sleep(0.5)
        texts = await _bot_texts(platform, flooder["id"])
        if texts == settled and any(NOTICE in t for t in texts):
            break
        settled = texts
    notices = [t for t in settled if NOTICE in t]
    replies = [t for t in settled if "/language" in t]
    assert len(notices) == 1, (len(settled), settled[-3:])
    assert len(replies) < 30, "the flood was not throttled"
    assert answered_before_other < len(settled), (
        "the other user's reply waited behind every reply to the flood"
    )
