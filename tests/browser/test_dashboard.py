"""Issue 17: the owners' dashboard and the Mini App in a real browser, served by `switchboard
demo` (its sandbox is the Telegram they talk to).

The login is made the way the web app makes it: an account for the demo user (who owns the demo
bot) in the demo's database, and a cookie from `start_session` in the browser (test_login.py
logs in through the login page itself, with Telegram and with OpenID Connect). Screenshots go
to tests/artifacts/ (git-ignored) and, when BROWSER_ARTIFACTS names a folder, there too.

Some steps use routes other parts of issue 17 add (the overview, the bots API, repost's owner
routes); each test says which. Without them the test fails, it does not skip."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import sqlite3
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi import Response
from playwright.async_api import Browser, BrowserContext, Page, expect
from pydantic import SecretStr

from apps.repost.feed_samples import rss2
from apps.repost.feed_site import feed_site
from e2e.demo_process import DEMO_BOT_ID, DEMO_USER_ID, TEST_TIMEOUT, DemoProcess
from switchboard.platform.demo import DEMO_TOKEN
from switchboard.sandbox.testing import SandboxClient
from switchboard.sandbox.webapp import sign_init_data
from switchboard.settings import Settings
from switchboard.web.sessions import COOKIE, start_session

from .doc_screenshots import BESIDE_A_PANEL, doc_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(TEST_TIMEOUT)]

SECRET = "browser-test-web-secret-key-0123456789"
UI_TIMEOUT = 30_000  # ms; the demo shares the machine with other test runs
THEME = {
    "bg_color": "#17212b",
    "text_color": "#f5f5f5",
    "hint_color": "#708499",
    "link_color": "#6ab3f3",
    "button_color": "#5288c1",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#232e3c",
}


@dataclass
class Dashboard:
    demo: DemoProcess
    cookie: str
    csrf: str

    @property
    def web(self) -> str:
        return f"http://127.0.0.1:{self.demo.web_port}"

    def api(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=f"{self.web}/api/v1",
            cookies={COOKIE: self.cookie},
            headers={"X-CSRF-Token": self.csrf},
            timeout=30,
        )


def _log_in(database: Path) -> tuple[str, str]:
    """The demo user's account (made as a first Telegram login makes it) and its cookie."""
    with sqlite3.connect(database) as db:
        now = datetime.now(UTC).replace(tzinfo=None).isoformat(" ")
        account_id = db.execute(
            "INSERT INTO accounts (telegram_user_id, display_name, created_at) VALUES (?, ?, ?)",
            (DEMO_USER_ID, "You", now),
        ).lastrowid
    assert account_id is not None
    response = Response()
    settings = Settings(web_secret_key=SecretStr(SECRET))
    session = start_session(response, settings, account_id)
    cookie = response.headers["set-cookie"].split(";", 1)[0].split("=", 1)[1]
    return cookie, session.csrf


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    folder = tmp_path_factory.mktemp("dashboard-demo")
    os.environ["WEB_SECRET_KEY"] = SECRET  # the demo's environment starts from ours
    os.environ["REPOST_ALLOW_PRIVATE_FEEDS"] = "true"  # the feeds a test serves on 127.0.0.1
    demo = DemoProcess(folder)
    try:
        demo.start().running()
        cookie, csrf = _log_in(folder / "switchboard.db")
        yield Dashboard(demo, cookie, csrf)
    finally:
        os.environ.pop("WEB_SECRET_KEY", None)
        os.environ.pop("REPOST_ALLOW_PRIVATE_FEEDS", None)
        demo.kill()


@pytest.fixture
async def context(browser: Browser, dashboard: Dashboard) -> AsyncIterator[BrowserContext]:
    context = await browser.new_context(
        viewport={"width": 1280, "height": 900}, color_scheme="light", locale="en-US"
    )
    await context.add_cookies(
        [{"name": COOKIE, "value": dashboard.cookie, "url": dashboard.web, "httpOnly": True}]
    )
    errors: list[str] = []
    context.on("page", lambda page: _collect_errors(page, errors))
    try:
        yield context
    finally:
        await context.close()
    assert not errors, f"the page reported errors: {errors}"


def _collect_errors(page: Page, errors: list[str]) -> None:
    """Uncaught exceptions and console errors (a message that does not compile, a component that
    throws), not the browser's note of an HTTP error answer, which the pages handle."""
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: (
            errors.append(message.text)
            if message.type == "error" and not message.text.startswith("Failed to load resource")
            else None
        ),
    )


async def _screenshot(page: Page, artifacts: Path, name: str) -> None:
    path = artifacts / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    _keep(path)


def _keep(path: Path) -> None:
    """A copy in BROWSER_ARTIFACTS, when CI names a folder to collect."""
    if extra := os.environ.get("BROWSER_ARTIFACTS"):
        Path(extra).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(extra) / path.name)


async def _drawn(page: Page, chart: str, colour: str) -> int:
    """How many pixels in the upper three quarters of the chart's canvas are (nearly) `colour`,
    the colour its data is drawn in. Axes, grid and labels are other colours, and a series of
    zeros (the overview gives every minute, counted or not) lies on the baseline, lower down:
    a chart without counts counts 0."""
    return int(
        await page.evaluate(
            """([chart, colour]) => {
                const canvas = document.querySelector(`[data-chart="${chart}"] canvas`);
                if (!canvas) return -1;
                const { width, height } = canvas;
                const pixels = canvas.getContext('2d').getImageData(0, 0, width, height).data;
                const want = [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16));
                let count = 0;
                const upper = 4 * width * Math.floor(height * 0.75);
                for (let i = 0; i < upper; i += 4) {
                    const near = want.every((v, k) => Math.abs(pixels[i + k] - v) < 24);
                    if (pixels[i + 3] > 80 && near) count++;  // a thin line's edges are translucent
                }
                return count;
            }""",
            [chart, colour],
        )
    )


async def test_without_a_session_the_dashboard_shows_the_login_page(
    browser: Browser, dashboard: Dashboard, artifacts: Path
) -> None:
    page = await browser.new_page()
    await page.goto(f"{dashboard.web}/dashboard/bots")
    await expect(page.get_by_role("heading", name="Log in to Switchboard")).to_be_visible(
        timeout=UI_TIMEOUT
    )
    assert page.url.endswith("/dashboard/login")
    await _screenshot(page, artifacts, "dashboard-login")
    await page.close()


async def test_the_dashboard_loads_after_login_in_both_languages_and_themes(
    context: BrowserContext, dashboard: Dashboard, artifacts: Path
) -> None:
    page = await context.new_page()
    await page.goto(f"{dashboard.web}/dashboard/")
    nav = page.get_by_role("navigation", name="Sections")
    await expect(nav.get_by_role("link", name="Overview")).to_be_visible(timeout=UI_TIMEOUT)
    await expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    await expect(page.get_by_text("You", exact=True)).to_be_visible()
    # The demo bot is the user's (the demo user owns it).
    await expect(page.get_by_test_id("bot-select")).to_contain_text(re.compile(r"[@#]\w+"))
    assert await page.locator("html").get_attribute("class") in (None, "")
    await _screenshot(page, artifacts, "dashboard-overview-light")

    await page.get_by_role("switch", name="Dark theme").click()
    await expect(page.locator("html")).to_have_class("dark")
    # Dark when the colours settle (Vuestic fades between its presets).
    await page.wait_for_function(
        """() => {
            const [r, g, b] = getComputedStyle(document.body).backgroundColor
                .match(/\\d+/g).map(Number);
            return 0.299 * r + 0.587 * g + 0.114 * b < 0.3 * 255;
        }"""
    )
    await page.get_by_label("Language").select_option("ru")
    await expect(page.get_by_role("heading", name="Обзор")).to_be_visible()
    await expect(page.locator("html")).to_have_attribute("lang", "ru")
    await _screenshot(page, artifacts, "dashboard-overview-dark-ru")


async def test_the_overview_charts_draw_the_bots_traffic(
    context: BrowserContext, dashboard: Dashboard, artifacts: Path
) -> None:
    """Needs GET /api/v1/overview (web-rollups) fed by the pipeline: the demo user talks to the
    demo bot, the overview counts it, the charts draw it."""
    async with SandboxClient(dashboard.demo.url, timeout=30) as tg:
        await tg.send_text({"id": DEMO_USER_ID}, "/start", bot_id=DEMO_BOT_ID)
        await tg.expect_message(chat_id=DEMO_USER_ID, bot_id=DEMO_BOT_ID, timeout=30)
    overview = await _counted(dashboard)
    assert any(n for _, n in overview["series"]["updates_per_minute"]), overview
    assert overview["active_users"]["day"] >= 1, overview

    page = await context.new_page()
    await page.goto(f"{dashboard.web}/dashboard/")
    await expect(page.locator('[data-chart="updates"] canvas')).to_be_visible(timeout=UI_TIMEOUT)
    await page.wait_for_function(
        "document.querySelector('[data-chart=\"updates\"] canvas').width > 0"
    )
    assert await _drawn(page, "updates", "#2563eb") > 20
    assert await _drawn(page, "active", "#16a34a") > 200  # the day's bar
    await _screenshot(page, artifacts, "dashboard-charts")
    await doc_screenshot(page, artifacts, "dashboard-overview")


async def _counted(dashboard: Dashboard) -> dict[str, Any]:
    """The overview once the platform's counters reach it (they are written every few seconds:
    rollups' FLUSH_EVERY), within a minute."""
    async with dashboard.api() as api:
        for _ in range(60):
            answer = await api.get("/overview", params={"hours": 24})
            overview: dict[str, Any] = answer.raise_for_status().json()
            if overview["active_users"]["day"]:
                return overview
            await asyncio.sleep(1)
    return overview


async def test_the_chart_check_sees_an_empty_chart_as_empty(
    context: BrowserContext, dashboard: Dashboard
) -> None:
    """The pixel check above can fail: a period with no traffic draws no data."""
    page = await context.new_page()
    await page.goto(f"{dashboard.web}/dashboard/")
    await expect(page.locator('[data-chart="jobs"] canvas')).to_be_visible(timeout=UI_TIMEOUT)
    # The demo has no failed jobs: the "failed" line's red stays on the baseline.
    assert await _drawn(page, "jobs", "#dc2626") == 0


async def test_a_bot_is_added_through_the_form(
    context: BrowserContext, dashboard: Dashboard, artifacts: Path
) -> None:
    """Needs POST /api/v1/bots and GET /api/v1/bots, /apps (web-owner)."""
    token = "777001:AAFrontendBrowserTestBotToken0123456"
    async with SandboxClient(dashboard.demo.url, timeout=30) as tg:
        await tg.create_bot(token, first_name="Form Bot", username="form_test_bot")
    page = await context.new_page()
    await page.goto(f"{dashboard.web}/dashboard/bots")
    form = page.get_by_test_id("add-bot")
    await form.get_by_role("textbox", name="Bot token from @BotFather").fill(token)
    await form.get_by_role("button", name="Add bot").click()
    await expect(page.get_by_test_id("bots-notice")).to_contain_text(
        "@form_test_bot", timeout=UI_TIMEOUT
    )
    await expect(page.locator('[data-bot="form_test_bot"]')).to_be_visible()
    async with dashboard.api() as api:
        bots = (await api.get("/bots")).raise_for_status().json()
    assert "form_test_bot" in [bot["username"] for bot in bots]
    await _screenshot(page, artifacts, "dashboard-bot-added")


async def test_the_account_page_lists_the_logins_and_keeps_the_last(
    context: BrowserContext, dashboard: Dashboard, artifacts: Path
) -> None:
    """Needs GET /api/v1/me/identities (web-accounts). The demo user logged in with Telegram
    only: that login is listed, cannot be unlinked (the button is off, the page says why), and
    the demo has no OIDC provider to offer for linking."""
    page = await context.new_page()
    await page.goto(f"{dashboard.web}/dashboard/account")
    identities = page.get_by_test_id("identities")
    await expect(identities).to_contain_text(f"Telegram, user {DEMO_USER_ID}", timeout=UI_TIMEOUT)
    await expect(identities.get_by_role("button", name="Unlink")).to_be_disabled()
    await expect(page.get_by_text("This is your only way to log in", exact=False)).to_have_count(1)
    await expect(page.get_by_test_id("link-oidc")).to_have_count(0)
    await page.get_by_label("Language").select_option("ru")
    await expect(page.get_by_role("heading", name="Способы входа")).to_be_visible()
    await _screenshot(page, artifacts, "dashboard-account-ru")


async def test_an_oidc_account_links_telegram_through_the_sandbox_widget(
    browser: Browser, dashboard: Dashboard, artifacts: Path
) -> None:
    """Needs the link flow (web-accounts): an account made by an OIDC login (written as that
    login writes it) links a sandbox user's Telegram login from its account page, through the
    sandbox's login page and our callback, then unlinks it again."""
    async with SandboxClient(dashboard.demo.url, timeout=30) as tg:
        lena = await tg.create_user("Lena", last_name="Link", id=100_077_001)
    with sqlite3.connect(dashboard.demo.folder / "switchboard.db") as db:
        now = datetime.now(UTC).replace(tzinfo=None).isoformat(" ")
        account_id = db.execute(
            "INSERT INTO accounts (oidc_issuer, oidc_subject, display_name, created_at)"
            " VALUES (?, ?, ?, ?)",
            ("https://id.example", "lena-1", "Lena", now),
        ).lastrowid
    assert account_id is not None
    response = Response()
    start_session(response, Settings(web_secret_key=SecretStr(SECRET)), account_id)
    cookie = response.headers["set-cookie"].split(";", 1)[0].split("=", 1)[1]
    context = await browser.new_context(locale="en-US")
    await context.add_cookies(
        [{"name": COOKIE, "value": cookie, "url": dashboard.web, "httpOnly": True}]
    )
    page = await context.new_page()
    await page.goto(f"{dashboard.web}/dashboard/account")
    identities = page.get_by_test_id("identities")
    await expect(identities).to_contain_text("https://id.example, lena-1", timeout=UI_TIMEOUT)

    await page.get_by_test_id("link-telegram").first.click()
    await page.get_by_role("link", name=re.compile(r"^Lena Link")).click()  # the sandbox's page
    await expect(page.get_by_test_id("linked")).to_be_visible(timeout=UI_TIMEOUT)
    assert page.url.endswith("/dashboard/account?linked=telegram")
    await expect(identities).to_contain_text(f"Telegram, user {lena['id']}")
    await _screenshot(page, artifacts, "dashboard-account-linked")

    telegram = identities.locator("li", has_text="Telegram")
    await telegram.get_by_role("button", name="Unlink").click()
    await expect(identities).not_to_contain_text("Telegram", timeout=UI_TIMEOUT)
    await expect(identities.get_by_role("button", name="Unlink")).to_be_disabled()
    await context.close()


async def test_the_repost_template_editor_shows_a_preview(
    context: BrowserContext, dashboard: Dashboard, artifacts: Path
) -> None:
    """Needs repost's owner routes (web-rollups): POST .../repost/template/preview."""
    page = await context.new_page()
    await page.goto(f"{dashboard.web}/dashboard/apps/repost")
    item = page.get_by_test_id("template-item").locator("textarea")
    await item.fill('{"title": "Fresh from the feed", "link": "https://example.org/a"}')
    editor = page.get_by_test_id("template-editor").locator("textarea")
    await editor.fill('<b>{{ title }}</b> <a href="{{ link }}">read</a>')
    preview = page.get_by_test_id("template-preview")
    await expect(preview.locator("b")).to_have_text("Fresh from the feed", timeout=UI_TIMEOUT)
    await expect(preview.locator("a")).to_have_attribute("href", "https://example.org/a")
    await _screenshot(page, artifacts, "dashboard-repost-template")


async def test_the_mini_app_opens_with_telegrams_theme_colours(
    browser: Browser, dashboard: Dashboard, artifacts: Path
) -> None:
    init_data = sign_init_data(
        DEMO_TOKEN, DEMO_BOT_ID, {"id": DEMO_USER_ID, "first_name": "You", "language_code": "en"}
    )
    launch = f"tgWebAppData={quote(init_data)}&tgWebAppThemeParams={quote(json.dumps(THEME))}"
    page = await browser.new_page(viewport={"width": 420, "height": 760})
    errors: list[str] = []
    _collect_errors(page, errors)
    seen: list[dict[str, Any]] = []
    page.on(
        "request",
        lambda request: seen.append(
            {"url": request.url, "authorization": request.headers.get("authorization")}
        ),
    )
    await page.goto(f"{dashboard.web}/app#{launch}")
    await expect(page.get_by_test_id("hello")).to_have_text("Hello, You", timeout=UI_TIMEOUT)
    # Telegram's colours (expect retries: Vuestic fades colours in as it applies them).
    await expect(page.locator("body")).to_have_css("background-color", "rgb(23, 33, 43)")
    await expect(page.locator("body")).to_have_css("color", "rgb(245, 245, 245)")
    first_tab = page.get_by_role("tab").first
    await expect(first_tab).to_have_css("color", "rgb(106, 179, 243)")
    api_calls = [r for r in seen if "/api/v1/miniapp/" in r["url"]]
    assert api_calls and all(r["authorization"] == f"tma {init_data}" for r in api_calls)
    await _screenshot(page, artifacts, "miniapp-topics")
    await page.close()
    assert not errors, errors


async def test_a_dead_letter_is_retried_from_the_jobs_page(
    context: BrowserContext, dashboard: Dashboard, artifacts: Path
) -> None:
    """Needs /api/v1/bots/{id}/jobs (web-owner). A dead letter of the demo bot (a kind no
    handler takes: each run of it is refused at once, so a retry shows in the row) is listed
    on the Jobs page's "Dead" tab; its Retry queues it again with fresh attempts."""
    with sqlite3.connect(dashboard.demo.folder / "switchboard.db") as db:
        now = datetime.now(UTC).replace(tzinfo=None).isoformat(" ")
        job_id = db.execute(
            "INSERT INTO jobs (kind, payload, state, priority, attempts, max_attempts, run_at,"
            " last_error, created_at, finished_at) VALUES (?, ?, 'dead', 0, 5, 5, ?, ?, ?, ?)",
            ("browser.dead_letter", json.dumps({"bot_id": DEMO_BOT_ID}), now,
             "RuntimeError: broken on purpose", now, now),
        ).lastrowid  # fmt: skip
    assert job_id is not None
    page = await context.new_page()
    await page.goto(f"{dashboard.web}/dashboard/jobs")
    # The demo bot's jobs (another test may have added a bot the page would start with).
    choice = page.get_by_test_id("bot-select").locator(f'option[value="{DEMO_BOT_ID}"]')
    await expect(choice).to_have_count(1, timeout=UI_TIMEOUT)
    await page.get_by_test_id("bot-select").select_option(str(DEMO_BOT_ID))
    await page.get_by_role("tab", name="Dead").click()
    row = page.locator("tr", has_text="browser.dead_letter")
    await expect(row).to_contain_text("broken on purpose", timeout=UI_TIMEOUT)
    await expect(row).to_contain_text("5")
    await _screenshot(page, artifacts, "dashboard-jobs-dead")
    await row.get_by_role("button", name="Retry").click()
    # Queued again with its attempts reset: the worker may have run it since (and, with no
    # handler for its kind, made it a dead letter again after one attempt), never 5 again.
    async with dashboard.api() as api:
        for _ in range(60):
            job = (await api.get(f"/bots/{DEMO_BOT_ID}/jobs", params={"state": "dead"})).json()
            queued = await api.get(f"/bots/{DEMO_BOT_ID}/jobs", params={"state": "queued"})
            found = [j for j in job["items"] + queued.json()["items"] if j["id"] == job_id]
            if found and found[0]["attempts"] < 5:
                break
            await asyncio.sleep(0.5)
    assert found and found[0]["attempts"] < 5, found
    assert found[0]["state"] == "queued" or "no handler" in (found[0]["last_error"] or "")
    await expect(page.get_by_role("alert")).to_have_count(0)


async def test_the_mini_app_in_the_web_chat_renames_a_notes_topic(
    browser: Browser, dashboard: Dashboard, artifacts: Path
) -> None:
    """The demo user binds a forum to the notes app (as in Telegram: the bot an admin that
    manages topics, /bind, the starter topics), opens the Mini App from the bot's menu button
    inside the sandbox's web chat, and renames a topic there: the forum's topic is renamed."""
    you = {"id": DEMO_USER_ID}
    async with SandboxClient(dashboard.demo.url, timeout=30) as tg:
        chat = await tg.create_group(you, "Browser notes", forum=True)
        await tg.add_member(
            chat, you, DEMO_BOT_ID, status="administrator",
            rights={"can_manage_topics": True, "can_delete_messages": True},
        )  # fmt: skip
        await tg.send_text(you, "/bind", chat_id=chat["id"])
        offer = await tg.expect(
            lambda e: e["type"] == "message" and e["chat_id"] == chat["id"]
            and "reply_markup" in e["message"],
            "the starter topics offer", timeout=30,
        )  # fmt: skip
        button = offer["message"]["reply_markup"]["inline_keyboard"][0][0]
        await tg.press(you, offer["message"], button["callback_data"])
        for _ in range(120):
            state = await tg.state()
            forum = next(c for c in state["chats"] if c["id"] == chat["id"])
            if len(forum["topics"]) >= 6:
                break
            await asyncio.sleep(0.25)
        before = {topic["name"] for topic in forum["topics"]}
        assert len(before) >= 6, forum["topics"]

        page = await browser.new_page(viewport={"width": 1200, "height": 860})
        errors: list[str] = []
        _collect_errors(page, errors)
        await page.goto(f"{dashboard.demo.url}/?user={DEMO_USER_ID}")
        await page.locator('.chat-item[data-title="Switchboard Demo"]').click()
        await expect(page.locator(".header-title")).to_have_text("Switchboard Demo")
        await page.locator(".header-actions button.btn.primary").click(timeout=UI_TIMEOUT)
        app = page.frame_locator("#miniapp-frame iframe")
        await expect(app.get_by_test_id("hello")).to_have_text("Hello, You", timeout=UI_TIMEOUT)
        await app.get_by_role("tab", name="Topics").click()
        first = app.locator("li").filter(has=app.get_by_role("button", name="Edit")).first
        await expect(first).to_be_visible(timeout=UI_TIMEOUT)
        old = (await first.inner_text()).split("·")[0].strip()
        assert old in before, (old, before)
        await first.get_by_role("button", name="Edit").click()
        await app.get_by_label("Name").fill("Renamed in the browser")
        await app.get_by_role("button", name="Save").click()
        await expect(app.get_by_text("Renamed in the browser")).to_be_visible(timeout=UI_TIMEOUT)
        await _screenshot(page, artifacts, "miniapp-webchat-topic-renamed")
        await doc_screenshot(page, artifacts, "miniapp-topics", BESIDE_A_PANEL)
        await page.close()
        assert not errors, errors

        state = await tg.state()
        forum = next(c for c in state["chats"] if c["id"] == chat["id"])
        after = {topic["name"] for topic in forum["topics"]}
        assert after == (before - {old}) | {"Renamed in the browser"}, after


async def test_the_account_page_adds_an_email_address_for_alerts(
    context: BrowserContext, dashboard: Dashboard, artifacts: Path
) -> None:
    """Needs /api/v1/email (web-email): an address added on the account page is sent a
    confirmation link and listed as waiting for it; the same address again says so."""
    page = await context.new_page()
    await page.goto(f"{dashboard.web}/dashboard/account")
    card = page.get_by_test_id("email")
    await expect(card).to_contain_text("No address yet.", timeout=UI_TIMEOUT)
    await card.get_by_role("textbox", name="E-mail address").fill("owner@example.com")
    await card.get_by_role("button", name="Add address").click()
    await expect(card.get_by_test_id("email-notice")).to_have_text(
        "We sent a confirmation link to owner@example.com.", timeout=UI_TIMEOUT
    )
    listed = card.locator('[data-address="owner@example.com"]')
    await expect(listed).to_contain_text("waiting for confirmation")
    async with dashboard.api() as api:
        rows = (await api.get("/email")).raise_for_status().json()
    assert [(r["address"], r["confirmed"]) for r in rows] == [("owner@example.com", False)]
    await page.get_by_label("Language").select_option("ru")
    await expect(card).to_contain_text("ждёт подтверждения", timeout=UI_TIMEOUT)
    await _screenshot(page, artifacts, "dashboard-account-email-ru")
    await listed.get_by_role("button", name="Удалить").click()
    await expect(card).to_contain_text("Адресов пока нет.", timeout=UI_TIMEOUT)


async def test_the_repost_page_adds_pauses_and_removes_a_feed(
    context: BrowserContext, dashboard: Dashboard, artifacts: Path
) -> None:
    """Needs POST/PATCH/DELETE .../repost/sources (web-gaps): a feed served on 127.0.0.1 is
    added from the repost page, paused, resumed and removed."""
    async with feed_site() as site:
        site.feeds["local"] = rss2(2, title="Local browser feed")
        page = await context.new_page()
        await page.goto(f"{dashboard.web}/dashboard/apps/repost")
        choice = page.get_by_test_id("bot-select").locator(f'option[value="{DEMO_BOT_ID}"]')
        await expect(choice).to_have_count(1, timeout=UI_TIMEOUT)
        await page.get_by_test_id("bot-select").select_option(str(DEMO_BOT_ID))
        form = page.get_by_test_id("add-source")
        await form.get_by_role("textbox", name="Feed link").fill(site.feed_url("local"))
        await form.get_by_role("button", name="Add source").click()
        sources = page.get_by_test_id("repost-sources")
        await expect(sources.get_by_test_id("sources-notice")).to_contain_text(
            "Local browser feed", timeout=UI_TIMEOUT
        )
        row = sources.locator('[data-source="Local browser feed"]')
        await expect(row).to_contain_text("active")
        await row.get_by_role("button", name="Pause").click()
        await expect(row).to_contain_text("paused", timeout=UI_TIMEOUT)
        await _screenshot(page, artifacts, "dashboard-repost-sources")
        await row.get_by_role("button", name="Resume").click()
        await expect(row).to_contain_text("active", timeout=UI_TIMEOUT)
        await row.get_by_role("button", name="Remove").click()
        await expect(row).to_have_count(0, timeout=UI_TIMEOUT)
