"""Logging in with Telegram through the real web app, the bots' Telegram being the sandbox over
real HTTP: its Login Widget signs the user, our API checks the signature with the bot's token.

A refused login (tampered, expired, another bot's, a bot not run here) is a 401 with the reason
and leaves no account behind; a change without the CSRF token is a 403 and changes nothing; a
forged cookie logs no one in; too many attempts are a 429 with Retry-After. Invitations and
`may_add_bots` under WEB_INVITE_ONLY are here too.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from fastapi import FastAPI
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.kernel.accounts import Account, Invite
from switchboard.kernel.apps import App
from switchboard.kernel.bots import add_bot
from switchboard.kernel.models import BotRecord
from switchboard.kernel.token_vault import token_cipher
from switchboard.sandbox import login_widget
from switchboard.sandbox.model import Account as SandboxAccount
from switchboard.sandbox.testing import SandboxServer
from switchboard.settings import Settings, load_settings
from switchboard.web.app import create_web_app
from switchboard.web.auth import may_add_bots
from switchboard.web.deps import principal_of
from switchboard.web.sessions import COOKIE

BOT_TOKEN = "6660001:login-bot-token-abcdefghijklmnop"
BOT_ID = 6660001
OTHER_TOKEN = "6660002:other-bot-token-abcdefghijklmnop"  # in the sandbox, not run here
OTHER_ID = 6660002
ADMIN_ID = 100_000_901
OWNER_ID = 100_000_902
WEB = "http://web"


@dataclass
class Deployment:
    """What the web app reads of a running deployment: settings, sessions, bots, their rows."""

    settings: Settings
    session_factory: async_sessionmaker[AsyncSession]
    apps: dict[str, App] = field(default_factory=dict)
    bots: dict[int, Bot] = field(default_factory=dict)
    records: dict[int, BotRecord] = field(default_factory=dict)


@dataclass
class Scene:
    sandbox: SandboxServer
    deployment: Deployment
    app: FastAPI
    web: httpx.AsyncClient  # a browser: the web app (in process) and the sandbox (real HTTP)
    sessions: async_sessionmaker[AsyncSession]

    def client(self, address: str = "127.0.0.1") -> httpx.AsyncClient:
        """Another browser, at `address`."""
        transport = httpx.ASGITransport(app=self.app, client=(address, 4321))
        return httpx.AsyncClient(mounts={WEB: transport}, base_url=WEB, timeout=30)

    def user(self, first_name: str, **fields: Any) -> SandboxAccount:
        return self.sandbox.call(lambda world: world.create_user(first_name, **fields))  # type: ignore[no-any-return]

    async def widget_fields(self, bot_username: str, user_id: int) -> dict[str, str]:
        """What the sandbox's widget sends the site for `user_id` (through its real page)."""
        async with httpx.AsyncClient(base_url=self.sandbox.url) as browser:
            answer = await browser.get(
                "/login-widget",
                params={"bot": bot_username, "return_to": f"{WEB}/cb", "user_id": user_id},
            )
        assert answer.status_code == 302, answer.text
        return dict(parse_qsl(urlsplit(answer.headers["location"]).query))

    async def accounts(self) -> int:
        async with self.sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(Account)) or 0)

    async def login(self, client: httpx.AsyncClient, user_id: int) -> dict[str, Any]:
        fields = await self.widget_fields("login_bot", user_id)
        answer = await client.post("/api/v1/auth/telegram", json={**fields, "bot_id": BOT_ID})
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(flood="off") as server:
        server.world.register_bot(BOT_TOKEN, first_name="Login Bot", username="login_bot")
        server.world.register_bot(OTHER_TOKEN, first_name="Other Bot", username="other_bot")
        yield server


SceneMaker = Callable[..., Awaitable[Scene]]


@pytest.fixture
async def make_scene(
    sandbox: SandboxServer,
    session_factory: async_sessionmaker[AsyncSession],
    migrated_url: str,
) -> AsyncIterator[SceneMaker]:
    """Scenes with settings of a test's choosing (closed when the test ends)."""
    made: list[Scene] = []

    async def make(**overrides: Any) -> Scene:
        options: dict[str, Any] = {"web_login_attempts_per_minute": 1000, **overrides}
        settings = load_settings(
            database_url=migrated_url, telegram_api_url=sandbox.url, admin_ids=[ADMIN_ID],
            **options,
        )  # fmt: skip
        async with session_factory() as session, session.begin():
            record = await add_bot(
                session, BOT_TOKEN, [], owner_ids=[OWNER_ID],
                cipher=token_cipher(settings.token_key),
            )  # fmt: skip
        # The row has no username (`bots add` stores none): /auth/config asks getMe.
        api = AiohttpSession(api=TelegramAPIServer.from_base(sandbox.url))
        bot = Bot(BOT_TOKEN, session=api)
        deployment = Deployment(
            settings, session_factory, bots={BOT_ID: bot}, records={BOT_ID: record}
        )
        app = create_web_app(deployment)  # type: ignore[arg-type]
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 4321))
        web = httpx.AsyncClient(mounts={WEB: transport}, base_url=WEB, timeout=30)
        made.append(Scene(sandbox, deployment, app, web, session_factory))
        return made[-1]

    yield make
    for scene in made:
        await scene.web.aclose()
        for bot in scene.deployment.bots.values():
            await bot.session.close()


@pytest.fixture
async def scene(make_scene: SceneMaker) -> Scene:
    return await make_scene()


async def test_a_sandbox_user_logs_in_through_the_widget(scene: Scene) -> None:
    ann = scene.user("Ann", last_name="Lee", username="ann_login")
    web = scene.web
    callback = f"{WEB}/api/v1/auth/telegram/callback?bot_id={BOT_ID}"
    page = await web.get(
        f"{scene.sandbox.url}/login-widget",
        params={
            "bot": "login_bot",
            "return_to": callback,
        },
    )
    assert page.status_code == 200 and "Ann Lee (@ann_login)" in page.text

    chosen = await web.get(
        f"{scene.sandbox.url}/login-widget",
        params={
            "bot": "login_bot",
            "return_to": callback,
            "user_id": ann.id,
        },
    )
    assert chosen.status_code == 302
    back = await web.get(chosen.headers["location"])  # the browser follows to our callback
    assert back.status_code == 302 and back.headers["location"] == "/dashboard/"
    assert COOKIE in back.cookies

    me = await web.get("/api/v1/me")
    assert me.status_code == 200, me.text
    body = me.json()
    assert body["name"] == "Ann Lee" and body["telegram_user_id"] == ann.id
    assert body["is_admin"] is False and body["bot_ids"] == [] and body["csrf_token"]
    async with scene.sessions() as session:
        account = await session.scalar(select(Account).where(Account.telegram_user_id == ann.id))
    assert account is not None and account.last_login_at is not None
    assert account.display_name == "Ann Lee"

    # A second login is the same account, with the session's fresh CSRF token.
    async with scene.client() as other:
        again = await scene.login(other, ann.id)
    assert again["account_id"] == body["account_id"] and again["csrf_token"] != body["csrf_token"]
    assert await scene.accounts() == 1


async def test_a_posted_login_answers_me_and_owners_see_their_bot(scene: Scene) -> None:
    owner = scene.user("Olga", user_id=OWNER_ID)
    body = await scene.login(scene.web, owner.id)
    assert body["telegram_user_id"] == OWNER_ID and body["bot_ids"] == [BOT_ID]
    assert (await scene.web.get("/api/v1/me")).json()["account_id"] == body["account_id"]


async def test_a_refused_login_writes_nothing(scene: Scene) -> None:
    bob = scene.user("Bob", username="bob_login")
    good = await scene.widget_fields("login_bot", bob.id)
    other_bots = await scene.widget_fields("other_bot", bob.id)
    stale = login_widget.login_fields(BOT_TOKEN, bob, auth_date=int(time.time()) - 2 * 86400)
    ahead = login_widget.login_fields(BOT_TOKEN, bob, auth_date=int(time.time()) + 3600)
    cases = [
        ({**good, "first_name": "Mallory"}, BOT_ID, "does not check"),  # tampered
        ({**good, "id": str(ADMIN_ID)}, BOT_ID, "does not check"),
        ({**good, "is_admin": "true"}, BOT_ID, "does not check"),  # a field added
        ({k: v for k, v in good.items() if k != "username"}, BOT_ID, "does not check"),
        ({**good, "hash": ""}, BOT_ID, "no hash"),
        (other_bots, BOT_ID, "does not check"),  # signed with another bot's token
        (other_bots, OTHER_ID, f"bot {OTHER_ID} is not one this deployment runs"),
        (good, 999, "bot 999 is not one this deployment runs"),
        (stale, BOT_ID, "expired"),
        (ahead, BOT_ID, "in the future"),
    ]
    for fields, bot_id, reason in cases:
        answer = await scene.web.post("/api/v1/auth/telegram", json={**fields, "bot_id": bot_id})
        assert answer.status_code == 401, (fields, answer.text)
        assert reason in answer.json()["detail"], answer.text
        assert COOKIE not in answer.cookies
    callback = await scene.web.get(
        "/api/v1/auth/telegram/callback", params={**good, "first_name": "X", "bot_id": BOT_ID}
    )
    assert callback.status_code == 401 and "does not check" in callback.json()["detail"]
    assert await scene.accounts() == 0
    assert (await scene.web.get("/api/v1/me")).status_code == 401

    # The untouched payload still logs in: the refusals above were for what was changed (a
    # null is a field left out, as Telegram leaves out what a user lacks).
    assert "last_name" not in good
    answer = await scene.web.post(
        "/api/v1/auth/telegram", json={**good, "last_name": None, "bot_id": BOT_ID}
    )
    assert answer.status_code == 200 and await scene.accounts() == 1


async def test_a_change_without_the_csrf_token_is_refused(scene: Scene) -> None:
    admin = scene.user("Ada", user_id=ADMIN_ID)
    carl = scene.user("Carl")
    admin_me = await scene.login(scene.web, admin.id)
    assert admin_me["is_admin"] is True
    made = await scene.web.post("/api/v1/invites", headers={"X-CSRF-Token": admin_me["csrf_token"]})
    assert made.status_code == 201, made.text
    code = made.json()["code"]

    async with scene.client() as browser:
        carl_me = await scene.login(browser, carl.id)
        for headers in ({}, {"X-CSRF-Token": "guess"}, {"X-CSRF-Token": admin_me["csrf_token"]}):
            refused = await browser.post(f"/api/v1/invites/{code}/accept", headers=headers)
            assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
        async with scene.sessions() as session:
            invite = await session.get(Invite, code)
            assert invite is not None and invite.used_by is None  # nothing changed
        assert (await browser.post("/api/v1/auth/logout")).status_code == 403
        assert (await browser.get("/api/v1/me")).status_code == 200  # still logged in

        accepted = await browser.post(
            f"/api/v1/invites/{code}/accept", headers={"X-CSRF-Token": carl_me["csrf_token"]}
        )
        assert accepted.status_code == 200 and accepted.json() == {"code": code, "accepted": True}
        async with scene.sessions() as session:
            invite = await session.get(Invite, code)
            assert invite is not None and invite.used_by == carl_me["account_id"]

        out = await browser.post(
            "/api/v1/auth/logout", headers={"X-CSRF-Token": carl_me["csrf_token"]}
        )
        assert out.status_code == 204
        assert (await browser.get("/api/v1/me")).status_code == 401


async def test_a_forged_cookie_logs_no_one_in(scene: Scene) -> None:
    dana = scene.user("Dana")
    await scene.login(scene.web, dana.id)
    genuine = scene.web.cookies[COOKIE]
    forged_key = URLSafeTimedSerializer("not the deployment's key", salt="switchboard.web.session")
    for value in (
        forged_key.dumps({"a": 1, "c": "x"}),  # well-formed, signed with another key
        genuine[:-2] + ("AA" if not genuine.endswith("AA") else "BB"),  # signature altered
        "garbage",
    ):
        async with scene.client() as browser:
            browser.cookies.set(COOKIE, value)
            me = await browser.get("/api/v1/me")
            assert me.status_code == 401, value
            assert me.json()["detail"] == "log in first"


async def test_too_many_attempts_are_refused_for_a_minute(make_scene: SceneMaker) -> None:
    scene = await make_scene(web_login_attempts_per_minute=3)
    eve = scene.user("Eve")
    fay = scene.user("Fay")
    async with scene.web:
        fields = await scene.widget_fields("login_bot", eve.id)
        tampered = {**fields, "first_name": "Evil", "bot_id": BOT_ID}
        for _ in range(3):
            answer = await scene.web.post("/api/v1/auth/telegram", json=tampered)
            assert answer.status_code == 401
        # The fourth try from this address is refused before it is checked, even a good one.
        limited = await scene.web.post("/api/v1/auth/telegram", json={**fields, "bot_id": BOT_ID})
        assert limited.status_code == 429, limited.text
        assert 1 <= int(limited.headers["Retry-After"]) <= 60
        assert "too many" in limited.json()["detail"]
        assert await scene.accounts() == 0

        # From another address: Eve's identity is limited too; Fay's is not.
        async with scene.client("10.0.0.2") as other:
            as_eve = await other.post("/api/v1/auth/telegram", json={**fields, "bot_id": BOT_ID})
            assert as_eve.status_code == 429
            fay_fields = await scene.widget_fields("login_bot", fay.id)
            as_fay = await other.post(
                "/api/v1/auth/telegram", json={**fay_fields, "bot_id": BOT_ID}
            )
            assert as_fay.status_code == 200, as_fay.text
        callback = await scene.web.get("/api/v1/auth/telegram/callback", params={"bot_id": BOT_ID})
        assert callback.status_code == 429  # the callback counts against the address as well


async def test_the_login_page_learns_what_it_offers(scene: Scene) -> None:
    config = (await scene.web.get("/api/v1/auth/config")).json()
    assert config == {
        "telegram": [{"bot_id": BOT_ID, "username": "login_bot"}],
        "oidc": [],
        "invite_only": False,
        "telegram_widget_script": f"{scene.sandbox.url}/login-widget.js",
    }
    script = await scene.web.get(config["telegram_widget_script"])
    assert script.status_code == 200 and "data-telegram-login" in script.text


async def test_invites_decide_who_may_add_bots_when_invite_only(make_scene: SceneMaker) -> None:
    scene = await make_scene(web_invite_only=True)
    settings = scene.deployment.settings
    admin = scene.user("Ada", user_id=ADMIN_ID)
    owner = scene.user("Olga", user_id=OWNER_ID)
    gus, hal = scene.user("Gus"), scene.user("Hal")

    async def allowed(account_id: int) -> bool:
        async with scene.sessions() as session:
            account = await session.get(Account, account_id)
            assert account is not None
            principal = await principal_of(session, scene.deployment, account, "csrf")  # type: ignore[arg-type]
            return await may_add_bots(session, principal, settings)

    async with scene.web, scene.client() as owner_web:
        admin_me = await scene.login(scene.web, admin.id)
        owner_me = await scene.login(owner_web, owner.id)
    async with scene.client() as gus_web, scene.client() as hal_web:
        gus_me = await scene.login(gus_web, gus.id)
        hal_me = await scene.login(hal_web, hal.id)
        assert await allowed(admin_me["account_id"]) is True  # admins always
        assert await allowed(owner_me["account_id"]) is True  # already manages a bot
        assert await allowed(gus_me["account_id"]) is False  # invite-only: no invite yet

        not_admin = await gus_web.post(
            "/api/v1/invites", headers={"X-CSRF-Token": gus_me["csrf_token"]}
        )
        assert not_admin.status_code == 403
        async with scene.client() as admin_web:
            admin_me = await scene.login(admin_web, admin.id)
            made = await admin_web.post(
                "/api/v1/invites", headers={"X-CSRF-Token": admin_me["csrf_token"]}
            )
        code = made.json()["code"]
        unknown = await gus_web.post(
            "/api/v1/invites/nope/accept", headers={"X-CSRF-Token": gus_me["csrf_token"]}
        )
        assert unknown.status_code == 404
        accepted = await gus_web.post(
            f"/api/v1/invites/{code}/accept", headers={"X-CSRF-Token": gus_me["csrf_token"]}
        )
        assert accepted.status_code == 200
        assert await allowed(gus_me["account_id"]) is True
        again = await gus_web.post(
            f"/api/v1/invites/{code}/accept", headers={"X-CSRF-Token": gus_me["csrf_token"]}
        )
        assert again.status_code == 200  # accepting twice changes nothing
        taken = await hal_web.post(
            f"/api/v1/invites/{code}/accept", headers={"X-CSRF-Token": hal_me["csrf_token"]}
        )
        assert taken.status_code == 409 and "used" in taken.json()["detail"]
        assert await allowed(hal_me["account_id"]) is False
        config = (await hal_web.get("/api/v1/auth/config")).json()
        assert config["invite_only"] is True

    open_settings = settings.model_copy(update={"web_invite_only": False})
    async with scene.sessions() as session:
        account = await session.get(Account, hal_me["account_id"])
        assert account is not None
        principal = await principal_of(session, scene.deployment, account, "csrf")  # type: ignore[arg-type]
        assert await may_add_bots(session, principal, open_settings) is True


def test_the_widget_fields_check_by_telegrams_recipe() -> None:
    """Our check and the sandbox's signer agree, and both follow Telegram's example shape."""
    from switchboard.web.auth.telegram_login import check_telegram_login, login_hash

    user = SandboxAccount(42, False, "Zoe", None, "zoe")
    fields = login_widget.login_fields(BOT_TOKEN, user, auth_date=1_700_000_000)
    assert fields["hash"] == login_hash(BOT_TOKEN, fields)
    identity = check_telegram_login(fields, BOT_TOKEN, now=1_700_000_100)
    assert (identity.user_id, identity.display_name, identity.username) == (42, "Zoe", "zoe")
    assert urlencode(fields)  # plain strings, fit for a query
