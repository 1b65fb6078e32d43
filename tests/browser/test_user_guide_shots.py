"""The user guides' screenshots of each app in the sandbox's web chat (the page `switchboard
demo` opens): each test takes the app's main flow as a user does, through the sandbox's user
API (quick), then shows the chat in the browser and takes the guide's shot (doc_screenshots).

One demo for the module; the tests share the demo user's chat with the demo bot, in order."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from apps.repost.feed_site import feed_site
from e2e.demo_process import DEMO_BOT_ID, DEMO_USER_ID, TEST_TIMEOUT, DemoProcess
from switchboard.sandbox.testing import SandboxClient

from .doc_screenshots import doc_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(TEST_TIMEOUT)]

Json = dict[str, Any]
YOU: Json = {"id": DEMO_USER_ID}
UI_TIMEOUT = 30_000  # ms; the demo shares the machine with other test runs
FEED = b"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>
<title>Switchboard blog</title><link>https://example.com/</link><description>d</description>
<item><title>Release 1.2: faster reminders</title><link>https://example.com/posts/12</link>
<guid isPermaLink="false">post-12</guid><pubDate>Mon, 07 Dec 2026 09:00:00 GMT</pubDate>
<description>&lt;p&gt;Reminders now leave on time even with
&lt;b&gt;four workers&lt;/b&gt;.&lt;/p&gt;</description></item>
<item><title>Release 1.1</title><link>https://example.com/posts/11</link>
<guid isPermaLink="false">post-11</guid><pubDate>Mon, 30 Nov 2026 09:00:00 GMT</pubDate>
<description>Older news.</description></item>
</channel></rss>"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoProcess]:
    os.environ["REPOST_ALLOW_PRIVATE_FEEDS"] = "true"  # the feed served on 127.0.0.1
    running = DemoProcess(tmp_path_factory.mktemp("user-guide-demo"))
    try:
        yield running.start().running()
    finally:
        os.environ.pop("REPOST_ALLOW_PRIVATE_FEEDS", None)
        running.kill()


@pytest.fixture
async def tg(demo: DemoProcess) -> AsyncIterator[SandboxClient]:
    async with SandboxClient(demo.url, timeout=30) as client:
        yield client


def button(message: Json, data_prefix: str = "", label: str = "") -> str:
    """The callback data of the message's first button whose data or label fits."""
    for row in message["reply_markup"]["inline_keyboard"]:
        for b in row:
            data = b.get("callback_data", "")
            if data.startswith(data_prefix) and label in b["text"]:
                return str(data)
    raise AssertionError(f"no button {data_prefix!r}/{label!r} in {message['reply_markup']}")


async def say(tg: SandboxClient, text: str, reply: str, user: Json = YOU) -> Json:
    await tg.send_text(user, text, bot_id=DEMO_BOT_ID)
    return await tg.expect_message(chat_id=user["id"], bot_id=DEMO_BOT_ID, contains=reply)


async def web_chat(browser: Browser, demo: DemoProcess, chat: str, last: str) -> Page:
    """The demo user's web chat with `chat` open, its newest message `last` in view."""
    page = await browser.new_page(viewport={"width": 900, "height": 700}, locale="en-US")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.goto(f"{demo.url}/?user={DEMO_USER_ID}")
    await page.locator(f'.chat-item[data-title="{chat}"]').click()
    await expect(page.locator(".header-title")).to_have_text(chat, timeout=UI_TIMEOUT)
    await expect(page.locator(".msg", has_text=last).last).to_be_in_viewport(timeout=UI_TIMEOUT)
    assert not errors, errors
    return page


async def test_core_start_and_settings(
    browser: Browser, demo: DemoProcess, tg: SandboxClient, artifacts: Path
) -> None:
    await say(tg, "/start", "Send /help")
    await say(tg, "/settings", "Your settings")
    await say(tg, "Berlin", "Your time zone is now Europe/Berlin")
    page = await web_chat(browser, demo, "Switchboard Demo", "Europe/Berlin")
    await doc_screenshot(page, artifacts, "core-start-settings")
    await page.close()


async def test_notes_a_note_is_filed_into_a_topic(
    browser: Browser, demo: DemoProcess, tg: SandboxClient, artifacts: Path
) -> None:
    chat = await tg.create_group(YOU, "My notes", forum=True)
    await tg.add_member(
        chat, YOU, DEMO_BOT_ID, status="administrator",
        rights={"can_manage_topics": True, "can_delete_messages": True},
    )  # fmt: skip
    await tg.send_text(YOU, "/bind", chat_id=chat["id"])
    offer = await tg.expect_message(chat_id=chat["id"], contains="Done! I'll file your notes")
    await tg.press(YOU, offer, button(offer))
    for _ in range(120):  # the starter topics
        state = await tg.state()
        if len(next(c for c in state["chats"] if c["id"] == chat["id"])["topics"]) >= 6:
            break
        await asyncio.sleep(0.25)
    await tg.send_text(
        YOU, "Buy milk, eggs and bread at the supermarket, and call mum about Sunday lunch.",
        bot_id=DEMO_BOT_ID,
    )  # fmt: skip
    ask = await tg.expect(
        lambda e: e["type"] == "message" and e["chat_id"] == DEMO_USER_ID
        and "%" in str(e["message"].get("reply_markup", "")),
        "the question which topic", timeout=30,
    )  # fmt: skip
    asked = ask["message"]["message_id"]
    await tg.press(YOU, ask["message"], button(ask["message"], label="%"), bot_id=DEMO_BOT_ID)
    await tg.expect(
        lambda e: e["type"] == "edited" and e["message"]["message_id"] == asked
        and "✓" in (e["message"].get("text") or ""),
        "the question edited to say where the note went", timeout=30,
    )  # fmt: skip
    page = await web_chat(browser, demo, "Switchboard Demo", "✓")
    await doc_screenshot(page, artifacts, "notes-filed")
    await page.close()


async def test_calendar_an_event_and_the_agenda(
    browser: Browser, demo: DemoProcess, tg: SandboxClient, artifacts: Path
) -> None:
    echo = await say(tg, "/new dentist tomorrow 15:00 for 1h at Dr Weiss", "I understood")
    await tg.press(YOU, echo, button(echo, "cdr:save"), bot_id=DEMO_BOT_ID)
    saved = await tg.expect_edit(chat_id=DEMO_USER_ID, message_id=echo["message_id"])
    assert saved["text"].startswith("Saved"), saved
    echo = await say(tg, "/new team sync friday 10:00-10:30", "I understood")
    await tg.press(YOU, echo, button(echo, "cdr:save"), bot_id=DEMO_BOT_ID)
    await tg.expect_edit(chat_id=DEMO_USER_ID, message_id=echo["message_id"])
    today = datetime.now(UTC).date()
    await say(tg, f"/agenda {today}..{today + timedelta(days=7)}", "Dentist")
    page = await web_chat(browser, demo, "Switchboard Demo", "Dentist")
    await doc_screenshot(page, artifacts, "calendar-agenda")
    await page.close()


async def test_repost_a_subscription_and_its_post(
    browser: Browser, demo: DemoProcess, tg: SandboxClient, artifacts: Path
) -> None:
    async with feed_site() as site:
        site.feeds["blog"] = FEED
        await say(tg, f"/sub {site.feed_url('blog')}", "Subscribed to Switchboard blog")
        await tg.expect_message(
            chat_id=DEMO_USER_ID, bot_id=DEMO_BOT_ID, contains="faster reminders", timeout=60
        )
    page = await web_chat(browser, demo, "Switchboard Demo", "faster reminders")
    await doc_screenshot(page, artifacts, "repost-subscribed")
    await page.close()


async def onboard(tg: SandboxClient, user: Json, name: str, age: int, gender: str) -> None:
    """/profile as a user answers it, to the end (a place near Berlin's centre)."""
    await say(tg, "/profile", "What's your name?", user)
    await say(tg, name, "How old are you?", user)
    question = await say(tg, str(age), "You are:", user)
    await tg.press(user, question, button(question, label=gender), bot_id=DEMO_BOT_ID)
    question = await tg.expect_message(chat_id=user["id"], contains="Who would you like")
    await tg.press(user, question, button(question, label="Everyone"), bot_id=DEMO_BOT_ID)
    await say(tg, f"I am {name}, new in town", "Your interests", user)
    await tg.send_text(user, "hiking, jazz", bot_id=DEMO_BOT_ID)
    question = await tg.expect_message(chat_id=user["id"], contains="Chosen: Hiking, jazz")
    await tg.press(user, question, button(question, label="Done"), bot_id=DEMO_BOT_ID)
    question = await tg.expect_message(chat_id=user["id"], contains="Send up to 3 photos")
    await tg.press(user, question, button(question, label="Done"), bot_id=DEMO_BOT_ID)
    await tg.expect_message(chat_id=user["id"], contains="Where are you?")
    await tg.send_location(user, 52.52, 13.405 + age / 1000, bot_id=DEMO_BOT_ID)
    await tg.expect_message(chat_id=user["id"], contains="Your profile is ready")


async def test_match_a_profile_card(
    browser: Browser, demo: DemoProcess, tg: SandboxClient, artifacts: Path
) -> None:
    anna = await tg.create_user("Anna", language_code="en", id=100_000_201)
    await onboard(tg, anna, "Anna", 29, "Woman")
    await onboard(tg, YOU, "Sam", 31, "Man")
    card = await say(tg, "/match", "Anna, 29")
    assert "In common: Hiking, jazz" in card["text"], card
    page = await web_chat(browser, demo, "Switchboard Demo", "Anna, 29")
    await doc_screenshot(page, artifacts, "match-card")
    await page.close()
