"""Issue 13, a newcomer's first ten minutes: chat with `switchboard demo` in the web chat, press
Ctrl+C with the tab still open, start the demo again, and the bot answers in the same chat.

Two bugs met there: the open tab's event stream held the server's shutdown (600 s seen), and the
restarted sandbox numbered updates from 1 again, which the database dropped as duplicates."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from e2e.demo_process import DEMO_USER_ID, TEST_TIMEOUT, DemoProcess

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(TEST_TIMEOUT)]

REPLY_TIMEOUT = 30_000  # ms; the demo shares the machine with other test runs


@pytest.fixture
def demos() -> Iterator[list[DemoProcess]]:
    started: list[DemoProcess] = []
    yield started
    for demo in started:
        demo.kill()


async def send(page: Page, text: str) -> None:
    composer = page.get_by_role("textbox", name="Message")
    await composer.fill(text)
    await composer.press("Enter")


async def test_demo_stopped_with_chat_open_then_restarted_answers_same_chat(
    tmp_path: Path, browser: Browser, demos: list[DemoProcess], artifacts: Path
) -> None:
    first = DemoProcess(tmp_path)
    demos.append(first)
    first.start().running()

    page = await browser.new_page(viewport={"width": 1200, "height": 760})
    await page.goto(f"{first.url}/?user={DEMO_USER_ID}")
    await page.locator(".chat-item", has_text="Switchboard Demo").click()
    await page.get_by_role("button", name="START", exact=True).click()
    greeting = page.locator(".msg.in", has_text="Send /help")
    await expect(greeting).to_be_visible(timeout=REPLY_TIMEOUT)

    # Ctrl+C with the tab open (its event stream connected): the demo exits within 15 s.
    assert first.stop() == 0, first.output()
    assert any("stopping…" in line for line in first.stdout)

    second = DemoProcess(tmp_path, port=first.port, web_port=first.web_port)
    demos.append(second)
    second.start().running()

    # The same tab reconnects to the restarted sandbox and shows the kept chat.
    await expect(page.locator(".header-title")).to_have_text(
        "Switchboard Demo", timeout=REPLY_TIMEOUT
    )
    await send(page, "/help")
    reply = page.locator(".msg.in", has_text="Here's what I can do")
    await expect(reply).to_be_visible(timeout=REPLY_TIMEOUT)
    await expect(page.locator(".msg.in", has_text="Send /help")).to_be_visible()
    await page.screenshot(path=str(artifacts / "demo-restarted.png"))

    assert second.stop() == 0, second.output()
