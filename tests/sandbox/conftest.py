"""Fixtures for the sandbox's own tests: a real sandbox over HTTP, a user-side client, raw Bot API
calls, and the published Bot API facts (vendored in `tests/sandbox/data/`, see its README).

Every test talks to a `SandboxServer` on 127.0.0.1 over real HTTP; nothing is mocked.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from switchboard.sandbox.testing import SandboxClient, SandboxServer

REPO = Path(__file__).resolve().parents[2]
FACTS = Path(__file__).resolve().parent / "data"
WEBHOOK_RETRY_BASE = 0.05  # seconds; the first retry of a failed webhook delivery

_tokens = itertools.count(700_001)

Json = dict[str, Any]


def fact_file(name: str) -> Path:
    """A file of the published Bot API facts; a missing one fails the test."""
    path = FACTS / name
    if not path.exists():
        pytest.fail(f"{path} is missing: the Bot API facts ship in {FACTS}", pytrace=False)
    return path


def new_token() -> str:
    """A fresh, well-formed bot token (the sandbox registers unknown tokens on first use)."""
    number = next(_tokens)
    return f"{number}:AAH-sandbox_test_token_{number}"


def bot_id(token: str) -> int:
    return int(token.split(":", 1)[0])


@dataclass
class Reply:
    """One Bot API answer, as the wire carried it."""

    status: int
    body: Json
    headers: httpx.Headers

    @property
    def ok(self) -> bool:
        return bool(self.body.get("ok"))

    @property
    def result(self) -> Any:
        assert self.body.get("ok") is True, f"expected success, got {self.status} {self.body}"
        return self.body["result"]

    @property
    def description(self) -> str:
        return str(self.body.get("description"))


class BotApi:
    """Raw Bot API calls for one token: JSON bodies by default, or form/multipart/query."""

    def __init__(self, http: httpx.AsyncClient, token: str) -> None:
        self.http = http
        self.token = token
        self.id = bot_id(token)

    async def __call__(self, method: str, **params: Any) -> Reply:
        body = {key: value for key, value in params.items() if value is not None}
        response = await self.http.post(f"/bot{self.token}/{method}", json=body)
        return _reply(response)

    async def form(
        self, method: str, data: dict[str, Any], files: dict[str, Any] | None = None
    ) -> Reply:
        fields = {k: v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}
        response = await self.http.post(f"/bot{self.token}/{method}", data=fields, files=files)
        return _reply(response)

    async def raw(self, method: str, **request: Any) -> Reply:
        response = await self.http.request(
            request.pop("http_method", "POST"), f"/bot{self.token}/{method}", **request
        )
        return _reply(response)

    async def ok(self, method: str, **params: Any) -> Any:
        reply = await self(method, **params)
        assert reply.ok, f"{method} failed: {reply.status} {reply.body}"
        return reply.result


def _reply(response: httpx.Response) -> Reply:
    return Reply(response.status_code, response.json(), response.headers)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    """A sandbox with flood limits off and quick webhook retries, shared by a module's tests
    (each test gets its own bot through `api`, so tests do not see each other's updates)."""
    with SandboxServer(flood="off", webhook_retry_base=WEBHOOK_RETRY_BASE) as server:
        yield server


@pytest.fixture
async def tg(sandbox: SandboxServer) -> AsyncIterator[SandboxClient]:
    """The user side of the sandbox (create users, send, press, await what bots do)."""
    async with sandbox.client(timeout=10.0) as client:
        yield client


@pytest.fixture
async def http(sandbox: SandboxServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sandbox.url, timeout=30.0) as client:
        yield client


@pytest.fixture
async def api(http: httpx.AsyncClient, tg: SandboxClient) -> BotApi:
    """A registered bot (created over the user API) and raw calls on its behalf."""
    token = new_token()
    await tg.create_bot(token, first_name="Test Bot", username=f"test_{bot_id(token)}_bot")
    return BotApi(http, token)


@pytest.fixture(scope="session")
def spec() -> Json:
    data: Json = json.loads(fact_file("api.json").read_text())
    assert len(data["methods"]) == 180, "api.json is expected to be Bot API 10.1 (180 methods)"
    return data


@pytest.fixture(scope="session")
def error_literals() -> set[str]:
    """The official server's error strings, each as a client receives it."""
    from .spec_check import server_error_strings

    return server_error_strings(fact_file("error-strings.txt").read_text())


@pytest.fixture(scope="session")
def raw_error_literals() -> set[str]:
    """The server's error literals as written in its source (for wrapped reasons)."""
    from .spec_check import server_raw_literals

    return server_raw_literals(fact_file("error-strings.txt").read_text())


@pytest.fixture(scope="session")
def webapp_vectors() -> Json:
    data: Json = json.loads(fact_file("webapp-initdata-test-vectors.json").read_text())
    return data
