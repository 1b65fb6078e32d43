"""Issue 17: logging in to the dashboard in a real browser, as a person does it, against
`switchboard demo` with an OpenID provider configured.

- Telegram: the login page's button opens the sandbox's login widget page (the offline stand-in
  for Telegram's), the person picks who they are, the sandbox signs the fields with the bot's
  token and sends the browser to our callback, which checks them and opens the dashboard.
- OpenID Connect: the login page's button goes to the local provider (`oidc-provider-mock`, the
  one tests/web/test_auth_oidc.py runs), the person authorizes there, the provider sends the
  browser back with a code our callback trades for a checked ID token.

No cookie is made by the test: each starts in a fresh browser context with none."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import oidc_provider_mock
import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from e2e.demo_process import DEMO_USER_ID, TEST_TIMEOUT, DemoProcess

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(TEST_TIMEOUT)]

SECRET = "browser-login-web-secret-key-0123456789"
UI_TIMEOUT = 30_000  # ms; the demo shares the machine with other test runs


@dataclass
class LoginDemo:
    demo: DemoProcess
    issuer: str

    @property
    def web(self) -> str:
        return f"http://127.0.0.1:{self.demo.web_port}"


@pytest.fixture(scope="module")
def login_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoginDemo]:
    folder = tmp_path_factory.mktemp("login-demo")
    with oidc_provider_mock.run_server_in_thread(require_nonce=True) as server:
        issuer = f"http://localhost:{server.server_port}"
        provider = {
            "name": "mock", "label": "Mock ID", "issuer": issuer,
            "client_id": "switchboard-browser", "client_secret": "not-so-secret",
        }  # fmt: skip
        added = {"WEB_SECRET_KEY": SECRET, "OIDC_PROVIDERS": json.dumps([provider])}
        os.environ.update(added)  # the demo's environment starts from ours
        demo = DemoProcess(folder)
        try:
            demo.start().running()
            yield LoginDemo(demo, issuer)
        finally:
            for name in added:
                os.environ.pop(name, None)
            demo.kill()


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    errors: list[str] = []
    context.on("page", lambda page: page.on("pageerror", lambda e: errors.append(str(e))))
    try:
        yield context
    finally:
        await context.close()
    assert not errors, f"the page reported errors: {errors}"


async def _me(page: Page) -> dict[str, object]:
    """GET /api/v1/me with the page's own cookie: who the browser is logged in as."""
    answer = await page.request.get(page.url.split("/dashboard", 1)[0] + "/api/v1/me")
    assert answer.ok, await answer.text()
    me: dict[str, object] = await answer.json()
    return me


async def test_a_person_logs_in_with_telegram_through_the_sandbox_widget(
    context: BrowserContext, login_demo: LoginDemo, artifacts: Path
) -> None:
    page = await context.new_page()
    await page.goto(f"{login_demo.web}/dashboard/")
    await expect(page.get_by_role("heading", name="Log in to Switchboard")).to_be_visible(
        timeout=UI_TIMEOUT
    )
    await page.get_by_test_id("telegram-login").first.click()
    # The sandbox's page: Telegram's confirmation, offline. The demo user is "You (@you)".
    await expect(page.get_by_role("heading", name="Log in to a site with")).to_be_visible(
        timeout=UI_TIMEOUT
    )
    await page.get_by_role("link", name="You (@you)").click()
    nav = page.get_by_role("navigation", name="Sections")
    await expect(nav.get_by_role("link", name="Overview")).to_be_visible(timeout=UI_TIMEOUT)
    assert page.url == f"{login_demo.web}/dashboard/"
    await expect(page.get_by_text("You", exact=True)).to_be_visible()
    me = await _me(page)
    assert me["telegram_user_id"] == DEMO_USER_ID, me
    await page.screenshot(path=str(artifacts / "login-telegram.png"), full_page=True)


async def test_a_person_logs_in_with_the_openid_provider(
    context: BrowserContext, login_demo: LoginDemo, artifacts: Path
) -> None:
    async with httpx.AsyncClient() as http:
        claims = {"email": "olga@example.com", "email_verified": True, "name": "Olga Open"}
        answer = await http.put(f"{login_demo.issuer}/users/olga-1", json=claims)
        assert answer.status_code == 204
    page = await context.new_page()
    await page.goto(f"{login_demo.web}/dashboard/login")
    await page.get_by_role("link", name="Mock ID").click()
    # The provider's own authorization form.
    assert page.url.startswith(f"{login_demo.issuer}/oauth2/authorize?")
    await page.get_by_placeholder("sub").fill("olga-1")
    await page.get_by_role("button", name="Authorize").click()
    nav = page.get_by_role("navigation", name="Sections")
    await expect(nav.get_by_role("link", name="Overview")).to_be_visible(timeout=UI_TIMEOUT)
    assert page.url == f"{login_demo.web}/dashboard/"
    await expect(page.get_by_text("Olga Open", exact=True)).to_be_visible()
    me = await _me(page)
    assert me["email"] == "olga@example.com" and me["telegram_user_id"] is None, me
    await page.screenshot(path=str(artifacts / "login-oidc.png"), full_page=True)
