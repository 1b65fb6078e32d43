"""Issue 17 item 5 in a real browser: the Mini App opened from the bot's menu button inside the
sandbox's Mini App panel (`switchboard demo`), its match profile page adding a photo that is
then drawn from the bytes the web app streams from the bot's API server, and its AI page
answering a save with the server's reason."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.async_api import Browser, FrameLocator, Page, expect

from e2e.demo_process import DEMO_USER_ID, TEST_TIMEOUT, DemoProcess

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(TEST_TIMEOUT)]

UI_TIMEOUT = 30_000  # ms; the demo shares the machine with other test runs


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoProcess]:
    running = DemoProcess(tmp_path_factory.mktemp("miniapp-photos-demo"))
    try:
        yield running.start().running()
    finally:
        running.kill()


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(out, "PNG")
    return out.getvalue()


async def _mini_app(page: Page, demo: DemoProcess, errors: list[str]) -> FrameLocator:
    """The demo user's chat with the demo bot, started, and its menu button's Mini App."""
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.goto(f"{demo.url}/?user={DEMO_USER_ID}")
    await page.locator(".chat-item", has_text="Switchboard Demo").click()
    await expect(page.locator(".header-title")).to_have_text("Switchboard Demo")
    start = page.get_by_role("button", name="START", exact=True)
    await page.wait_for_timeout(500)  # the chat's history renders; START only when it is empty
    if await start.is_visible():
        await start.click()
    else:
        composer = page.get_by_role("textbox", name="Message")
        await composer.fill("/start")
        await composer.press("Enter")
    menu = page.locator(".header-actions button.btn.primary")
    await menu.click(timeout=UI_TIMEOUT)  # the platform set it to the Mini App at start-up
    app = page.frame_locator("#miniapp-frame iframe")
    await expect(app.get_by_test_id("hello")).to_be_visible(timeout=UI_TIMEOUT)
    return app


async def test_the_mini_app_adds_and_shows_a_profile_photo(
    browser: Browser, demo: DemoProcess, artifacts: Path
) -> None:
    page = await browser.new_page(viewport={"width": 1200, "height": 860})
    errors: list[str] = []
    app = await _mini_app(page, demo, errors)
    await app.get_by_role("tab", name="Profile").click()
    await expect(app.get_by_text("No photos yet")).to_be_visible(timeout=UI_TIMEOUT)
    await app.get_by_test_id("photo-input").set_input_files(
        files=[{"name": "me.png", "mimeType": "image/png", "buffer": _png()}]
    )
    photo = app.get_by_test_id("match-photo").locator("img")
    await expect(photo).to_be_visible(timeout=UI_TIMEOUT)
    # drawn from the streamed JPEG: the browser decoded real pixels (Telegram's size kept)
    width = await photo.evaluate("img => img.decode().then(() => img.naturalWidth)")
    assert width == 64
    await expect(app.get_by_text("Main photo")).to_be_visible()
    # the bot sent it to the user's chat to get its file id, with a caption saying why
    await expect(page.locator(".msg.in", has_text="Added to your match profile")).to_be_visible(
        timeout=UI_TIMEOUT
    )
    await page.screenshot(path=str(artifacts / "miniapp-match-photo.png"))

    await app.get_by_test_id("match-photo").get_by_role("button", name="Remove").click()
    await expect(app.get_by_text("No photos yet")).to_be_visible(timeout=UI_TIMEOUT)

    # the profile's words in the user's language, and chosen from a list, not typed as the API
    # spells them: the photo made a profile row (a draft), and who they look for is saved
    await expect(app.get_by_text("Not finished")).to_be_visible(timeout=UI_TIMEOUT)
    looking_for = app.get_by_label("Looking for")
    await expect(looking_for).to_have_value("everyone")
    await looking_for.select_option(label="Women")
    await app.get_by_label("Name").fill("Anna")  # a draft has none yet, and one is required
    await app.get_by_label("Interests").fill("hiking, jazz")
    await app.get_by_role("button", name="Save").click()
    await expect(app.get_by_role("status")).to_have_text("Saved", timeout=UI_TIMEOUT)
    await app.get_by_role("tab", name="AI").click()
    await app.get_by_role("tab", name="Profile").click()
    await expect(app.get_by_label("Looking for")).to_have_value("women", timeout=UI_TIMEOUT)
    await expect(app.get_by_label("Interests")).to_have_value("hiking, jazz")

    # the AI page: the deployment's provider shown, and a save the server refuses (the demo
    # user bound no notes group) answered with its reason, in the user's language
    await app.get_by_role("tab", name="AI").click()
    await expect(app.get_by_text("AI provider")).to_be_visible(timeout=UI_TIMEOUT)
    field = app.get_by_label("Auto-file at confidence, %")
    await field.fill("80")
    await app.get_by_role("button", name="Save").click()
    await expect(app.get_by_role("alert")).to_contain_text("group", timeout=UI_TIMEOUT)
    await page.screenshot(path=str(artifacts / "miniapp-ai.png"))
    await page.close()
    assert not errors, errors
