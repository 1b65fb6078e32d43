"""OpenID Connect logins against a real OpenID provider run locally (`oidc-provider-mock`, on a
free port in a thread): the whole authorization-code flow, the browser played by httpx going
from our login route to the provider's form and back, ends logged in. A callback that is not
the answer to a login started here (no flow cookie, another state) is a 400; a refusal at the
provider is a 401; neither writes an account."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import oidc_provider_mock
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.kernel.accounts import Account
from switchboard.sandbox.testing import free_port
from switchboard.settings import Settings, load_settings
from switchboard.web.app import create_web_app
from switchboard.web.auth.oidc import FLOW_COOKIE

WEB = "http://web"


@dataclass
class Deployment:
    settings: Settings
    session_factory: async_sessionmaker[AsyncSession]
    apps: dict[str, Any] = field(default_factory=dict)
    bots: dict[int, Any] = field(default_factory=dict)
    records: dict[int, Any] = field(default_factory=dict)


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    with oidc_provider_mock.run_server_in_thread(require_nonce=True) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
def web_app(
    issuer: str, session_factory: async_sessionmaker[AsyncSession], migrated_url: str
) -> FastAPI:
    provider = {
        "name": "mock", "label": "Mock ID", "issuer": issuer,
        "client_id": "switchboard-test", "client_secret": "not-so-secret",
    }  # fmt: skip
    settings = load_settings(
        database_url=migrated_url,
        oidc_providers=[provider],
        admin_emails=["boss@example.com"],
        web_login_attempts_per_minute=1000,
    )
    return create_web_app(Deployment(settings, session_factory))  # type: ignore[arg-type]


def new_browser(web_app: FastAPI) -> httpx.AsyncClient:
    """A browser: our app at WEB, anything else (the provider) over real HTTP."""
    transport = httpx.ASGITransport(app=web_app)
    return httpx.AsyncClient(mounts={WEB: transport}, base_url=WEB, timeout=30)


@pytest.fixture
async def browser(web_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with new_browser(web_app) as client:
        yield client


async def accounts(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Account)) or 0)


async def set_claims(issuer: str, sub: str, **claims: Any) -> None:
    async with httpx.AsyncClient() as http:
        answer = await http.put(f"{issuer}/users/{quote(sub, safe='')}", json=claims)
        assert answer.status_code == 204


async def to_provider(browser: httpx.AsyncClient, issuer: str) -> str:
    """Start a login: the provider's authorization URL our app sent the browser to."""
    start = await browser.get("/api/v1/auth/oidc/mock/login")
    assert start.status_code == 302, start.text
    location = start.headers["location"]
    assert location.startswith(f"{issuer}/oauth2/authorize?")
    return str(location)


async def test_a_person_logs_in_with_the_provider(
    browser: httpx.AsyncClient, issuer: str, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    config = (await browser.get("/api/v1/auth/config")).json()
    assert config["oidc"] == [{"name": "mock", "label": "Mock ID"}]

    await set_claims(
        issuer, "boss-1", email="Boss@Example.com", email_verified=True, name="The Boss"
    )
    authorize = await to_provider(browser, issuer)
    query = parse_qs(urlsplit(authorize).query)
    assert query["response_type"] == ["code"] and query["client_id"] == ["switchboard-test"]
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["state"][0] and query["nonce"][0]
    assert "openid" in query["scope"][0].split()
    assert query["redirect_uri"] == [f"{WEB}/api/v1/auth/oidc/mock/callback"]

    # The person fills in the provider's form; it sends the browser back to our callback,
    # which trades the code for tokens, checks the ID token, logs in and opens the dashboard.
    consent = await browser.post(authorize, data={"sub": "boss-1"})
    assert consent.status_code == 302
    callback = consent.headers["location"]
    assert callback.startswith(f"{WEB}/api/v1/auth/oidc/mock/callback?")
    done = await browser.get(callback)
    assert done.status_code == 302, done.text
    assert done.headers["location"] == "/dashboard/"

    me = await browser.get("/api/v1/me")
    assert me.status_code == 200, me.text
    body = me.json()
    assert body["name"] == "The Boss" and body["email"] == "boss@example.com"
    assert body["telegram_user_id"] is None and body["is_admin"] is True  # ADMIN_EMAILS
    async with session_factory() as session:
        account = await session.get(Account, body["account_id"])
    assert account is not None
    assert (account.oidc_issuer, account.oidc_subject) == (issuer, "boss-1")

    # The answer cannot be played again: the flow it belonged to is over.
    replay = await browser.get(callback)
    assert replay.status_code == 400 and "start again" in replay.json()["detail"]

    # Logging in again finds the same account.
    again = await browser.post(await to_provider(browser, issuer), data={"sub": "boss-1"})
    assert (await browser.get(again.headers["location"])).status_code == 302
    assert (await browser.get("/api/v1/me")).json()["account_id"] == body["account_id"]
    assert await accounts(session_factory) == 1


async def test_an_unverified_email_is_not_kept(
    browser: httpx.AsyncClient, issuer: str, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await set_claims(issuer, "sly", email="boss@example.com", email_verified=False, name="Sly")
    consent = await browser.post(await to_provider(browser, issuer), data={"sub": "sly"})
    assert (await browser.get(consent.headers["location"])).status_code == 302
    body = (await browser.get("/api/v1/me")).json()
    assert body["email"] is None and body["is_admin"] is False and body["name"] == "Sly"


async def test_a_callback_not_from_our_login_is_refused(
    browser: httpx.AsyncClient,
    web_app: FastAPI,
    issuer: str,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    assert (await browser.get("/api/v1/auth/oidc/nope/login")).status_code == 404
    assert (await browser.get("/api/v1/auth/oidc/nope/callback")).status_code == 404

    consent = await browser.post(await to_provider(browser, issuer), data={"sub": "mallory"})
    callback = urlsplit(consent.headers["location"])
    code = parse_qs(callback.query)["code"][0]
    wrong_state = await browser.get(
        "/api/v1/auth/oidc/mock/callback", params={"code": code, "state": "forged"}
    )
    assert wrong_state.status_code == 400 and "state" in wrong_state.json()["detail"]

    async with new_browser(web_app) as stranger:  # the answer, in a browser that started none
        no_flow = await stranger.get(f"{callback.path}?{callback.query}")
        assert no_flow.status_code == 400 and "no login in progress" in no_flow.json()["detail"]
        stranger.cookies.set(FLOW_COOKIE, "forged", path="/api/v1/auth/oidc/")
        forged = await stranger.get(f"{callback.path}?{callback.query}")
        assert forged.status_code == 400

    # Refused at the provider: a 401 with its reason.
    denied = await browser.post(await to_provider(browser, issuer), data={"action": "deny"})
    answer = await browser.get(denied.headers["location"])
    assert answer.status_code == 401 and "refused" in answer.json()["detail"]
    assert await accounts(session_factory) == 0
    assert (await browser.get("/api/v1/me")).status_code == 401


async def test_an_unreachable_provider_is_a_502(
    session_factory: async_sessionmaker[AsyncSession], migrated_url: str
) -> None:
    closed_port = free_port()  # nothing listens there
    settings = load_settings(
        database_url=migrated_url,
        oidc_providers=[
            {"name": "gone", "issuer": f"http://127.0.0.1:{closed_port}", "client_id": "x"}
        ],
    )
    app = create_web_app(Deployment(settings, session_factory))  # type: ignore[arg-type]
    async with new_browser(app) as browser:
        answer = await browser.get("/api/v1/auth/oidc/gone/login")
    assert answer.status_code == 502 and "cannot be reached" in answer.json()["detail"]
