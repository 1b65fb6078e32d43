"""Real bots, unchanged, against the sandbox: aiogram and python-telegram-bot, each by long
polling and by webhook (its own server on 127.0.0.1, the secret token checked).

The user side is the same script for every bot: the sandbox must look like Telegram to both.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from switchboard.sandbox.testing import SandboxClient, SandboxServer

from .bots import BOTS, BURST, WEBHOOK_SECRET, voice_report
from .conftest import BotApi, Json, new_token
from .media import voice
from .scene import ADMIN_RIGHTS

FRAMEWORKS = sorted(BOTS)
MODES = ["polling", "webhook"]


async def _register(tg: SandboxClient, name: str) -> tuple[str, Json]:
    token = new_token()
    bot = await tg.create_bot(token, first_name=f"{name} bot", username=f"{name}_{token[:6]}_bot")
    return token, bot


async def converse(tg: SandboxClient, bot_id: int) -> None:
    """Everything a user does with the feature bot, and what they must see."""
    alice = await tg.create_user("Alice")
    chat = alice["id"]

    await tg.send_text(alice, "/start", bot_id=bot_id)
    await tg.expect_message(chat_id=chat, bot_id=bot_id, text="Hello, Alice!")

    await tg.send_text(alice, "/menu", bot_id=bot_id)
    menu = await tg.expect_message(chat_id=chat, bot_id=bot_id, text="Choose")
    buttons = menu["reply_markup"]["inline_keyboard"][0]
    assert [b["callback_data"] for b in buttons] == ["yes", "no"]
    query_id = await tg.press(alice, menu, "yes", bot_id=bot_id)
    answer = await tg.expect_callback_answer(query_id)
    assert (answer["text"], answer["show_alert"]) == ("You chose yes", False)
    chosen = await tg.expect_edit(chat_id=chat, message_id=menu["message_id"])
    assert chosen["text"] == "Chosen: yes" and "reply_markup" not in chosen

    await tg.send_text(alice, "/edit", bot_id=bot_id)
    draft = await tg.expect_message(chat_id=chat, bot_id=bot_id, text="draft")
    final = await tg.expect_edit(chat_id=chat, message_id=draft["message_id"])
    assert final["text"] == "final" and "edit_date" in final

    await tg.send_text(alice, "/delete", bot_id=bot_id)
    doomed = await tg.expect_message(chat_id=chat, bot_id=bot_id, text="temporary")
    await tg.expect(
        lambda e: e["type"] == "deleted" and doomed["message_id"] in e["message_ids"],
        "the temporary message deleted",
    )
    await tg.expect_message(chat_id=chat, bot_id=bot_id, text=f"deleted {doomed['message_id']}")
    history = [m["message_id"] for m in await tg.messages(chat, bot_id=bot_id)]
    assert doomed["message_id"] not in history

    note = voice(3)
    sent = await tg.send_media(
        alice, "voice", note, filename="note.ogg", mime_type="audio/ogg", bot_id=bot_id, duration=3
    )
    assert sent["voice"]["duration"] == 3
    await tg.expect_message(chat_id=chat, bot_id=bot_id, text=voice_report(note))
    echoed = await tg.expect_message(chat_id=chat, bot_id=bot_id, text="echo")
    assert await tg.download(echoed["voice"]["file_id"]) == note[::-1]
    assert echoed["voice"]["file_unique_id"] != sent["voice"]["file_unique_id"]

    forum = await tg.create_group(alice, "Projects", forum=True)
    await tg.add_member(forum, alice, bot_id, status="administrator", rights=ADMIN_RIGHTS)
    await tg.send_text(alice, "/topic", chat_id=forum["id"])
    posted = await tg.expect_message(chat_id=forum["id"], bot_id=bot_id, text="first note")
    thread = posted["message_thread_id"]
    assert posted["is_topic_message"] is True
    topics = {t["message_thread_id"]: t["name"] for t in (await _chat(tg, forum["id"]))["topics"]}
    assert topics == {thread: "Notes"}
    in_topic = await tg.messages(forum["id"], thread_id=thread)
    assert [m.get("text") for m in in_topic][-1] == "first note"


async def _chat(tg: SandboxClient, chat_id: int) -> Json:
    state = await tg.state()
    return next(c for c in state["chats"] if c["id"] == chat_id)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_bot_runs_unchanged(
    sandbox: SandboxServer, tg: SandboxClient, api: BotApi, framework: str, mode: str
) -> None:
    token, bot = await _register(tg, framework)
    async with BOTS[framework](sandbox.url, token, mode) as run:
        await converse(tg, bot["id"])
        if mode == "webhook":
            info = await BotApi(api.http, token).ok("getWebhookInfo")
            assert info["url"] == run.webhook_url
            assert "last_error_message" not in info  # every delivery passed the bot's check
            if framework == "aiogram":
                assert run.secret_headers and set(run.secret_headers) == {WEBHOOK_SECRET}


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_webhook_with_a_wrong_secret_is_refused_by_the_bot(
    sandbox: SandboxServer, tg: SandboxClient, api: BotApi, framework: str
) -> None:
    token, bot = await _register(tg, framework)
    raw = BotApi(api.http, token)
    async with BOTS[framework](sandbox.url, token, "webhook") as run:
        await raw.ok("setWebhook", url=run.webhook_url, secret_token="not-the-secret")
        alice = await tg.create_user("Mallory")
        await tg.send_text(alice, "/start", bot_id=bot["id"])
        for _ in range(500):
            info = await raw.ok("getWebhookInfo")
            if "last_error_message" in info:
                break
            await _tick()
        # the status line as the bot's server wrote it (tornado words PTB's 403 itself)
        status = {"aiogram": "401 Unauthorized", "ptb": "403 Request had the wrong secret token"}
        assert info["last_error_message"] == f"Wrong response from the webhook: {status[framework]}"
        assert info["pending_update_count"] == 1
        await raw.ok("setWebhook", url=run.webhook_url, secret_token=WEBHOOK_SECRET)
        await tg.expect_message(chat_id=alice["id"], bot_id=bot["id"], text="Hello, Mallory!")


async def _tick() -> None:
    await asyncio.sleep(0.01)


@pytest.fixture(scope="module")
def telegram_sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(flood="telegram", webhook_retry_base=0.05) as server:
        yield server


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_a_bot_with_no_rate_limiter_answers_with_several_messages(
    telegram_sandbox: SandboxServer, framework: str
) -> None:
    """Telegram lets a bot answer a user with a short burst in a private chat: a stock bot that
    posts four messages in a row meets no 429 under the default profile."""
    async with telegram_sandbox.client(timeout=15) as tg:
        token, bot = await _register(tg, framework)
        async with BOTS[framework](telegram_sandbox.url, token, "polling") as run:
            alice = await tg.create_user("Alice")
            await tg.send_text(alice, "/burst", bot_id=bot["id"])
            for number in range(BURST):
                await tg.expect_message(
                    chat_id=alice["id"], bot_id=bot["id"], text=f"burst {number}"
                )
    assert run.retry_afters == []
    assert telegram_sandbox.world.flood.rejected == 0


@pytest.fixture(scope="module")
def strict_sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(flood="strict", webhook_retry_base=0.05) as server:
        yield server


# PTB 22 warns, from inside RetryAfter itself, that retry_after will become a timedelta.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_bot_honours_429_and_retries(
    strict_sandbox: SandboxServer, framework: str, mode: str
) -> None:
    async with strict_sandbox.client(timeout=15) as tg:
        token, bot = await _register(tg, framework)
        async with BOTS[framework](strict_sandbox.url, token, mode) as run:
            alice = await tg.create_user("Alice")
            await tg.send_text(alice, "/burst", bot_id=bot["id"])
            await tg.expect_message(chat_id=alice["id"], bot_id=bot["id"], text="burst 0")
            refused = await tg.expect(
                lambda e: e["type"] == "api_call" and e["bot_id"] == bot["id"] and not e["ok"],
                "a refused call",
            )
            last = f"burst {BURST - 1}"  # strict allows 3 in a row: the fourth waits
            await tg.expect_message(chat_id=alice["id"], bot_id=bot["id"], text=last)
    assert refused["method"].lower() == "sendmessage"
    assert (refused["error_code"], refused["description"]) == (
        429,
        f"Too Many Requests: retry after {run.retry_afters[0]}",
    )
    assert run.retry_afters and all(isinstance(s, int) and s >= 1 for s in run.retry_afters)
