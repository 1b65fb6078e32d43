"""getUpdates as Telegram serves it: offsets, limits, long polls, allowed_updates, retention, and
the 409 conflicts."""

from __future__ import annotations

import asyncio

from switchboard.sandbox.testing import SandboxClient, SandboxServer
from switchboard.sandbox.updates import RETENTION_SECONDS, TERMINATED_BY_POLL, WEBHOOK_ACTIVE

from .conftest import BotApi, Json, fact_file


async def _alice_says(tg: SandboxClient, api: BotApi, *texts: str) -> Json:
    alice = await tg.create_user("Alice")
    for text in texts:
        await tg.send_text(alice, text, bot_id=api.id)
    return alice


def _texts(updates: list[Json]) -> list[str]:
    return [u["message"]["text"] for u in updates]


async def _until_polling(sandbox: SandboxServer, api: BotApi) -> None:
    """Wait (on the sandbox's own state, not the clock) until the bot's long poll is waiting."""
    queue = sandbox.world.bot(api.id).queue
    for _ in range(1000):
        if queue.polling:
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the long poll never started waiting")


async def test_offset_confirms_everything_below_it(tg: SandboxClient, api: BotApi) -> None:
    await _alice_says(tg, api, "one", "two", "three")
    first = await api.ok("getUpdates")
    assert _texts(first) == ["one", "two", "three"]
    ids = [u["update_id"] for u in first]
    assert ids == sorted(ids) and len(set(ids)) == 3
    assert _texts(await api.ok("getUpdates")) == ["one", "two", "three"]  # nothing confirmed
    assert _texts(await api.ok("getUpdates", offset=ids[1])) == ["two", "three"]
    assert _texts(await api.ok("getUpdates", offset=ids[0])) == ["two", "three"]  # gone for good
    assert await api.ok("getUpdates", offset=ids[2] + 1) == []
    await tg.send_text(await tg.create_user("Bob"), "four", bot_id=api.id)
    after = await api.ok("getUpdates")
    assert _texts(after) == ["four"] and after[0]["update_id"] > ids[2]


async def test_negative_offset_keeps_the_last_updates(tg: SandboxClient, api: BotApi) -> None:
    await _alice_says(tg, api, "1", "2", "3", "4", "5")
    assert _texts(await api.ok("getUpdates", offset=-2)) == ["4", "5"]
    assert _texts(await api.ok("getUpdates")) == ["4", "5"]  # the earlier ones are forgotten


async def test_limit_is_clamped_to_1_through_100(tg: SandboxClient, api: BotApi) -> None:
    await _alice_says(tg, api, *[str(n) for n in range(5)])
    assert _texts(await api.ok("getUpdates", limit=2)) == ["0", "1"]
    assert _texts(await api.ok("getUpdates", limit=0)) == ["0"]
    assert len(await api.ok("getUpdates", limit=500)) == 5
    assert len(await api.ok("getUpdates", limit="x")) == 1  # garbage reads as 0, as td does


async def test_long_poll_returns_when_an_update_arrives(
    sandbox: SandboxServer, tg: SandboxClient, api: BotApi
) -> None:
    alice = await _alice_says(tg, api)
    poll = asyncio.create_task(api("getUpdates", timeout=30))
    await _until_polling(sandbox, api)
    assert not poll.done()
    await tg.send_text(alice, "wake up", bot_id=api.id)
    reply = await asyncio.wait_for(poll, 10)  # far less than the 30 s it may wait
    assert _texts(reply.result) == ["wake up"]


async def test_long_poll_without_updates_returns_empty(api: BotApi) -> None:
    assert await api.ok("getUpdates", timeout=1) == []


async def test_allowed_updates_persist_until_changed(tg: SandboxClient, api: BotApi) -> None:
    alice = await _alice_says(tg, api, "/start")
    await api.ok("getUpdates", offset=-1)
    sent = await api.ok(
        "sendMessage",
        chat_id=alice["id"],
        text="pick",
        reply_markup={"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]},
    )
    last = (await api.ok("getUpdates"))[-1]["update_id"]
    await api.ok("getUpdates", offset=last + 1, allowed_updates=["callback_query"])
    await tg.send_text(alice, "filtered out", bot_id=api.id)
    await tg.press(alice, sent, "a", bot_id=api.id)
    kinds = [next(k for k in u if k != "update_id") for u in await api.ok("getUpdates")]
    assert kinds == ["callback_query"]  # and the call above did not name allowed_updates
    await tg.send_text(alice, "still filtered", bot_id=api.id)
    assert len(await api.ok("getUpdates")) == 1
    await api.ok("getUpdates", allowed_updates=[])  # back to the default set
    await tg.send_text(alice, "heard", bot_id=api.id)
    assert [u.get("message", {}).get("text") for u in await api.ok("getUpdates")][-1] == "heard"


async def test_chat_member_updates_only_when_asked_for(tg: SandboxClient, api: BotApi) -> None:
    alice, bob = await tg.create_user("Alice"), await tg.create_user("Bob")
    group = await tg.create_group(alice, "Club")
    await tg.add_member(group, alice, api.id, status="administrator")
    await tg.add_member(group, alice, bob["id"])
    kinds = {k for u in await api.ok("getUpdates") for k in u if k != "update_id"}
    assert "chat_member" not in kinds and "my_chat_member" in kinds
    last = (await api.ok("getUpdates"))[-1]["update_id"]
    await api.ok("getUpdates", offset=last + 1, allowed_updates=["chat_member", "message"])
    await tg.add_member(group, alice, bob["id"], status="left")
    updates = await api.ok("getUpdates")
    assert [k for u in updates for k in u if k != "update_id"] == ["chat_member", "message"]
    assert updates[0]["chat_member"]["new_chat_member"]["status"] == "left"
    assert updates[1]["message"]["left_chat_member"]["id"] == bob["id"]


async def test_updates_are_kept_24_hours(
    sandbox: SandboxServer, tg: SandboxClient, api: BotApi
) -> None:
    queue = sandbox.world.bot(api.id).queue
    now = [1_000_000.0]
    queue.clock = lambda: now[0]
    await _alice_says(tg, api, "old")
    now[0] += RETENTION_SECONDS - 1
    await tg.send_text(await tg.create_user("Bob"), "newer", bot_id=api.id)
    assert _texts(await api.ok("getUpdates")) == ["old", "newer"]
    now[0] += 2  # "old" is now a day and a second old
    assert _texts(await api.ok("getUpdates")) == ["newer"]
    now[0] += RETENTION_SECONDS
    assert await api.ok("getUpdates") == []


async def test_a_second_poll_terminates_the_first(
    sandbox: SandboxServer, tg: SandboxClient, api: BotApi
) -> None:
    first = asyncio.create_task(api("getUpdates", timeout=30))
    await _until_polling(sandbox, api)
    second = await api("getUpdates", timeout=0)
    terminated = await asyncio.wait_for(first, 10)
    assert second.status == 200 and second.result == []
    assert (terminated.status, terminated.body) == (
        409,
        {"ok": False, "error_code": 409, "description": f"Conflict: {TERMINATED_BY_POLL}"},
    )
    readme = fact_file("README.md").read_text()
    assert f"Conflict: {TERMINATED_BY_POLL}" in readme


async def test_get_updates_while_a_webhook_is_set(
    sandbox: SandboxServer, api: BotApi, error_literals: set[str]
) -> None:
    waiting = asyncio.create_task(api("getUpdates", timeout=30))
    await _until_polling(sandbox, api)
    await api.ok("setWebhook", url="http://127.0.0.1:9/never")
    ended = await asyncio.wait_for(waiting, 10)
    refused = await api("getUpdates")
    assert (ended.status, ended.description) == (409, "Conflict: terminated by setWebhook request")
    assert ended.description in error_literals
    assert (refused.status, refused.description) == (409, f"Conflict: {WEBHOOK_ACTIVE}")
    assert f"Conflict: {WEBHOOK_ACTIVE}" in fact_file("README.md").read_text()
    await api.ok("deleteWebhook")
    assert (await api("getUpdates")).status == 200


async def test_webhook_info_counts_pending_updates(tg: SandboxClient, api: BotApi) -> None:
    await _alice_says(tg, api, "a", "b")
    info = await api.ok("getWebhookInfo")
    assert info == {"url": "", "has_custom_certificate": False, "pending_update_count": 2}
