"""One account for both logins: a person logged in with OpenID Connect links their Telegram
login (through the sandbox's Login Widget, over real HTTP) or the other way round, and then
either login opens the same account with the same bots and the same role. An identity that has
an account of its own is a 409 and changes nothing; the last identity cannot be unlinked; a
link intent works only in the session it was made for.

The OpenID provider is `oidc-provider-mock` run locally, as in test_auth_oidc.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import httpx
import oidc_provider_mock
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.kernel.accounts import Account, BotOwnership
from switchboard.kernel.bots import add_bot
from switchboard.kernel.models import BotRecord
from switchboard.kernel.token_vault import token_cipher
from switchboard.sandbox.testing import SandboxServer
from switchboard.settings import Settings, load_settings
from switchboard.web.app import create_web_app
from switchboard.web.sessions import CSRF_HEADER

BOT_TOKEN = "6670001:link-bot-token-abcdefghijklmnopq"
BOT_ID = 6670001
ADMIN_TG = 100_000_911
OWNER_TG = 100_000_912  # in OWNER_IDS: owns every bot of the deployment
WEB = "http://web"


@dataclass
class Deployment:
    settings: Settings
    session_factory: async_sessionmaker[AsyncSession]
    apps: dict[str, Any] = field(default_factory=dict)
    bots: dict[int, Bot] = field(default_factory=dict)
    records: dict[int, BotRecord] = field(default_factory=dict)


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    with oidc_provider_mock.run_server_in_thread(require_nonce=True) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(flood="off") as server:
        server.world.register_bot(BOT_TOKEN, first_name="Link Bot", username="link_bot")
        yield server


@dataclass
class Scene:
    app: FastAPI
    sandbox: SandboxServer
    issuer: str
    sessions: async_sessionmaker[AsyncSession]

    def browser(self) -> httpx.AsyncClient:
        """A browser: our app at WEB, the sandbox and the provider over real HTTP."""
        transport = httpx.ASGITransport(app=self.app, client=("127.0.0.1", 4321))
        return httpx.AsyncClient(mounts={WEB: transport}, base_url=WEB, timeout=30)

    def tg_user(self, first_name: str, **fields: Any) -> int:
        made = self.sandbox.call(lambda world: world.create_user(first_name, **fields))
        return int(made.id)

    async def widget_redirect(self, user_id: int, return_to: str) -> str:
        """Where the sandbox's Login Widget sends the browser once `user_id` chose to log in."""
        async with httpx.AsyncClient(base_url=self.sandbox.url) as browser:
            answer = await browser.get(
                "/login-widget",
                params={"bot": "link_bot", "return_to": return_to, "user_id": user_id},
            )
        assert answer.status_code == 302, answer.text
        return str(answer.headers["location"])

    async def widget_fields(self, user_id: int) -> dict[str, str]:
        location = await self.widget_redirect(user_id, f"{WEB}/cb")
        return dict(parse_qsl(urlsplit(location).query))

    async def telegram_login(self, browser: httpx.AsyncClient, user_id: int) -> dict[str, Any]:
        fields = await self.widget_fields(user_id)
        answer = await browser.post("/api/v1/auth/telegram", json={**fields, "bot_id": BOT_ID})
        assert answer.status_code == 200, answer.text
        browser.headers[CSRF_HEADER] = answer.json()["csrf_token"]
        body: dict[str, Any] = answer.json()
        return body

    async def to_provider(
        self, browser: httpx.AsyncClient, sub: str, link: str | None = None
    ) -> httpx.Response:
        """Through the provider's form as `sub`: the answer that sends the browser back."""
        query = f"?{urlencode({'link': link})}" if link is not None else ""
        start = await browser.get(f"/api/v1/auth/oidc/mock/login{query}")
        assert start.status_code == 302, start.text
        consent = await browser.post(start.headers["location"], data={"sub": sub})
        assert consent.status_code == 302, consent.text
        return await browser.get(consent.headers["location"])

    async def oidc_login(self, browser: httpx.AsyncClient, sub: str) -> dict[str, Any]:
        done = await self.to_provider(browser, sub)
        assert done.status_code == 302 and done.headers["location"] == "/dashboard/", done.text
        me = await browser.get("/api/v1/me")
        assert me.status_code == 200, me.text
        browser.headers[CSRF_HEADER] = me.json()["csrf_token"]
        body: dict[str, Any] = me.json()
        return body

    async def set_claims(self, sub: str, **claims: Any) -> None:
        async with httpx.AsyncClient() as http:
            answer = await http.put(f"{self.issuer}/users/{quote(sub, safe='')}", json=claims)
            assert answer.status_code == 204

    async def accounts(self) -> int:
        async with self.sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(Account)) or 0)


@pytest.fixture
async def scene(
    sandbox: SandboxServer,
    issuer: str,
    session_factory: async_sessionmaker[AsyncSession],
    migrated_url: str,
) -> AsyncIterator[Scene]:
    provider = {
        "name": "mock", "label": "Mock ID", "issuer": issuer,
        "client_id": "switchboard-test", "client_secret": "not-so-secret",
    }  # fmt: skip
    settings = load_settings(
        database_url=migrated_url,
        telegram_api_url=sandbox.url,
        oidc_providers=[provider],
        admin_ids=[ADMIN_TG],
        owner_ids=[OWNER_TG],
        admin_emails=["boss@example.com"],
        web_login_attempts_per_minute=1000,
    )
    async with session_factory() as session, session.begin():
        record = await add_bot(session, BOT_TOKEN, [], cipher=token_cipher(settings.token_key))
    bot = Bot(BOT_TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(sandbox.url)))
    deployment = Deployment(settings, session_factory, bots={BOT_ID: bot}, records={BOT_ID: record})
    app = create_web_app(deployment)  # type: ignore[arg-type]
    yield Scene(app, sandbox, issuer, session_factory)
    await bot.session.close()


async def identities(browser: httpx.AsyncClient) -> dict[str, Any]:
    answer = await browser.get("/api/v1/me/identities")
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def kinds(listed: dict[str, Any]) -> list[str]:
    return sorted(identity["kind"] for identity in listed["identities"])


async def test_telegram_linked_to_an_oidc_account_opens_it_with_its_bots(scene: Scene) -> None:
    await scene.set_claims("ann-1", email="ann@example.com", email_verified=True, name="Ann")
    ann_tg = scene.tg_user("Ann", username="ann_tg")
    async with scene.browser() as browser:
        first = await scene.oidc_login(browser, "ann-1")
        async with scene.sessions() as session, session.begin():  # Ann adds a bot on the web
            session.add(BotOwnership(bot_id=BOT_ID, account_id=first["account_id"]))
        listed = await identities(browser)
        assert kinds(listed) == ["oidc"]
        assert listed["identities"][0]["provider"] == "Mock ID"

        # The account page puts the link intent in the widget's return address; the widget
        # signs Ann's Telegram login and sends the browser back to our callback with it.
        callback = f"{WEB}/api/v1/auth/telegram/callback?" + urlencode(
            {"bot_id": BOT_ID, "link": listed["link_token"]}
        )
        back = await browser.get(await scene.widget_redirect(ann_tg, callback))
        assert back.status_code == 302, back.text
        assert back.headers["location"] == "/dashboard/account?linked=telegram"
        assert kinds(await identities(browser)) == ["oidc", "telegram"]
        me = (await browser.get("/api/v1/me")).json()
        assert me["account_id"] == first["account_id"] and me["telegram_user_id"] == ann_tg

    # Either login now opens the one account, with its bot.
    async with scene.browser() as by_telegram:
        body = await scene.telegram_login(by_telegram, ann_tg)
        assert body["account_id"] == first["account_id"] and body["bot_ids"] == [BOT_ID]
    async with scene.browser() as by_oidc:
        body = await scene.oidc_login(by_oidc, "ann-1")
        assert body["account_id"] == first["account_id"] and body["bot_ids"] == [BOT_ID]
        assert body["telegram_user_id"] == ann_tg and body["email"] == "ann@example.com"
    assert await scene.accounts() == 1


async def test_oidc_linked_to_a_telegram_admin_keeps_the_admin_role(scene: Scene) -> None:
    scene.tg_user("Boss", user_id=ADMIN_TG)
    await scene.set_claims("ceo-7", name="The CEO")  # no e-mail: the admin by Telegram id
    async with scene.browser() as browser:
        first = await scene.telegram_login(browser, ADMIN_TG)
        assert first["is_admin"] is True
        token = (await identities(browser))["link_token"]
        done = await scene.to_provider(browser, "ceo-7", link=token)
        assert done.status_code == 302, done.text
        assert done.headers["location"] == "/dashboard/account?linked=oidc"
        listed = await identities(browser)
        assert kinds(listed) == ["oidc", "telegram"]
        oidc = next(i for i in listed["identities"] if i["kind"] == "oidc")
        assert (oidc["issuer"], oidc["subject"]) == (scene.issuer, "ceo-7")
    async with scene.browser() as by_oidc:
        body = await scene.oidc_login(by_oidc, "ceo-7")
    assert body["account_id"] == first["account_id"] and body["is_admin"] is True
    assert await scene.accounts() == 1


async def test_an_owner_from_settings_sees_the_bots_through_either_login(scene: Scene) -> None:
    scene.tg_user("Olga", user_id=OWNER_TG)
    async with scene.browser() as browser:
        before = await scene.oidc_login(browser, "olga-1")
        assert before["bot_ids"] == [] and before["is_admin"] is False
        fields = await scene.widget_fields(OWNER_TG)
        linked = await browser.post(
            "/api/v1/me/identities/telegram", json={**fields, "bot_id": BOT_ID}
        )
        assert linked.status_code == 200, linked.text
    async with scene.browser() as by_oidc:
        after = await scene.oidc_login(by_oidc, "olga-1")
    assert after["account_id"] == before["account_id"] and after["bot_ids"] == [BOT_ID]


async def test_an_identity_with_an_account_of_its_own_is_a_409(scene: Scene) -> None:
    bob_tg = scene.tg_user("Bob")
    await scene.set_claims("bob-oidc", name="Bob at work")
    async with scene.browser() as bob:
        bob_account = (await scene.telegram_login(bob, bob_tg))["account_id"]
    async with scene.browser() as carol:
        carol_account = (await scene.oidc_login(carol, "carol-1"))["account_id"]
        # Carol tries to link Bob's Telegram login (the widget's fields, posted).
        fields = await scene.widget_fields(bob_tg)
        taken = await carol.post(
            "/api/v1/me/identities/telegram", json={**fields, "bot_id": BOT_ID}
        )
        assert taken.status_code == 409, taken.text
        assert taken.json()["code"] == "identity_taken"
        assert "another account" in taken.json()["detail"]
        assert kinds(await identities(carol)) == ["oidc"]
    async with scene.browser() as bob:
        await scene.telegram_login(bob, bob_tg)
        async with scene.browser() as elsewhere:  # Bob's OIDC login alone: a third account
            await scene.oidc_login(elsewhere, "bob-oidc")
        token = (await identities(bob))["link_token"]
        refused = await scene.to_provider(bob, "carol-1", link=token)  # Carol's, through Bob
        assert refused.status_code == 409 and refused.json()["code"] == "identity_taken"
        assert kinds(await identities(bob)) == ["telegram"]
    assert await scene.accounts() == 3
    async with scene.sessions() as session:
        carol_row = await session.get(Account, carol_account)
        bob_row = await session.get(Account, bob_account)
    assert carol_row is not None and carol_row.telegram_user_id is None
    assert bob_row is not None and bob_row.oidc_subject is None


async def test_the_last_identity_cannot_be_unlinked(scene: Scene) -> None:
    await scene.set_claims("dan-1", email="dan@example.com", email_verified=True, name="Dan")
    dan_tg = scene.tg_user("Dan")
    async with scene.browser() as browser:
        await scene.oidc_login(browser, "dan-1")
        last = await browser.delete("/api/v1/me/identities/oidc")
        assert last.status_code == 409 and last.json()["code"] == "last_identity"
        absent = await browser.delete("/api/v1/me/identities/telegram")
        assert absent.status_code == 404 and absent.json()["code"] == "identity_not_linked"

        fields = await scene.widget_fields(dan_tg)
        linked = await browser.post(
            "/api/v1/me/identities/telegram", json={**fields, "bot_id": BOT_ID}
        )
        assert linked.status_code == 200, linked.text
        assert kinds(linked.json()) == ["oidc", "telegram"]
        unlinked = await browser.delete("/api/v1/me/identities/oidc")
        assert unlinked.status_code == 200, unlinked.text
        assert kinds(unlinked.json()) == ["telegram"]
        me = (await browser.get("/api/v1/me")).json()
        assert me["email"] is None  # it came with the OIDC login, gone with it
        assert (await browser.delete("/api/v1/me/identities/telegram")).status_code == 409

    # The OIDC identity is free again: logging in with it makes an account of its own.
    async with scene.browser() as other:
        body = await scene.oidc_login(other, "dan-1")
        assert body["telegram_user_id"] is None
    assert await scene.accounts() == 2


async def test_a_link_intent_works_only_in_its_own_session(scene: Scene) -> None:
    eve_tg, fay_tg = scene.tg_user("Eve"), scene.tg_user("Fay")
    async with scene.browser() as eve, scene.browser() as fay:
        await scene.oidc_login(eve, "eve-1")
        await scene.telegram_login(fay, fay_tg)
        eve_token = (await identities(eve))["link_token"]

        # Fay's browser (another session) with Eve's intent: refused, nothing linked.
        callback = f"{WEB}/api/v1/auth/telegram/callback?" + urlencode(
            {"bot_id": BOT_ID, "link": eve_token}
        )
        stolen = await fay.get(await scene.widget_redirect(eve_tg, callback))
        assert stolen.status_code == 400 and stolen.json()["code"] == "link_intent_invalid"
        forged = await eve.get("/api/v1/auth/oidc/mock/login", params={"link": "forged"})
        assert forged.status_code == 400 and forged.json()["code"] == "link_intent_invalid"
        async with scene.browser() as anonymous:
            nobody = await anonymous.get("/api/v1/auth/oidc/mock/login", params={"link": eve_token})
            assert nobody.status_code == 401 and nobody.json()["code"] == "login_required"

        # Linking by posting the widget's fields needs the session's CSRF token.
        del eve.headers[CSRF_HEADER]
        fields = await scene.widget_fields(eve_tg)
        no_csrf = await eve.post(
            "/api/v1/me/identities/telegram", json={**fields, "bot_id": BOT_ID}
        )
        assert no_csrf.status_code == 403 and no_csrf.json()["code"] == "csrf_token_wrong"
        assert kinds(await identities(eve)) == ["oidc"]
    assert await scene.accounts() == 2


async def test_api_errors_come_in_the_callers_language_with_a_code(scene: Scene) -> None:
    async with scene.browser() as browser:
        english = await browser.get("/api/v1/me")
        assert english.status_code == 401
        assert english.json() == {"detail": "log in first", "code": "login_required"}
        russian = await browser.get("/api/v1/me", headers={"Accept-Language": "ru-RU,ru;q=0.9"})
        assert russian.status_code == 401
        assert russian.json() == {"detail": "Сначала войдите", "code": "login_required"}
        assert russian.headers["content-language"] == "ru"

        # A request the schema refuses: FastAPI's list of errors, each msg in Russian.
        invalid = await browser.post(
            "/api/v1/auth/telegram", json={"bot_id": "x"}, headers={"Accept-Language": "ru"}
        )
        assert invalid.status_code == 422 and invalid.json()["code"] == "invalid_input"
        errors = {tuple(e["loc"]): e for e in invalid.json()["detail"]}
        assert errors["body", "id"]["type"] == "missing"
        assert errors["body", "id"]["msg"] == "Обязательное поле"
        assert errors["body", "bot_id"]["msg"] == "Нужно целое число"
        same = await browser.post("/api/v1/auth/telegram", json={"bot_id": "x"})
        assert {tuple(e["loc"]): e["msg"] for e in same.json()["detail"]}[
            "body", "id"
        ] == "Field required"

        published = (await browser.get("/openapi.json")).json()["components"]["schemas"]
        assert "code" in published["HTTPValidationError"]["properties"]

        # A route that does not exist, and the Mini App's language_code beating the browser's.
        missing = await browser.get("/api/v1/nowhere", headers={"Accept-Language": "ru"})
        assert missing.status_code == 404
        assert missing.json() == {"detail": "Не найдено", "code": "not_found"}
        init_data = urlencode({"user": '{"id": 5, "language_code": "ru"}', "hash": "00"})
        forged = await browser.get(
            "/api/v1/miniapp/me",
            headers={"Authorization": f"tma {init_data}", "Accept-Language": "en"},
        )
        assert forged.status_code == 401 and forged.json()["code"] == "init_data_unsigned"
        assert (
            forged.json()["detail"] == "Данные Mini App не подписаны ни одним ботом этого сервера"
        )
