"""Schemathesis against the published OpenAPI, as a logged-in owner (cookie and CSRF header)
over real HTTP: for every /api/v1 operation, generated requests never get a 5xx, and every
documented answer matches its schema and content type. The owner's real bot fills `bot_id`
(random ids would only meet the 404 of a bot not theirs); removals run last. Bounded: a few
examples per operation, no shrinking, no deadline."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from switchboard.sandbox.testing import SandboxServer
from switchboard.web.api import PREFIX
from switchboard.web.sessions import COOKIE, CSRF_HEADER

from .owner_platform import OWNED_TOKEN, login, served, web_platform

EXAMPLES = 25
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    # Made-up tokens are refused (as Telegram does), so fuzzed POST /bots adds nothing.
    with SandboxServer(flood="off", auto_register=False) as server:
        yield server


def _streams(operation: schemathesis.APIOperation) -> bool:
    """An endless event stream: not one request and answer to check."""
    responses = operation.definition.raw.get("responses", {})
    return any("text/event-stream" in (r.get("content") or {}) for r in responses.values())


def fuzz(raw: dict[str, Any], base: str, bot_id: int, cookie: str, csrf: str) -> list[str]:
    """Each operation's examples, in this (non-event-loop) thread; the failures."""
    schema = schemathesis.openapi.from_dict(raw)
    operations = [result.ok() for result in schema.get_all_operations()]
    operations.sort(key=lambda op: (op.method.upper() == "DELETE", -op.path.count("/")))
    http = httpx.Client(cookies={COOKIE: cookie}, headers={CSRF_HEADER: csrf}, timeout=30)
    failures: list[str] = []
    for operation in operations:
        if not operation.path.startswith(PREFIX + "/") or _streams(operation):
            continue
        fixed = {"bot_id": bot_id} if "{bot_id}" in operation.path else None

        @hypothesis.settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(path_parameters=fixed))
        def check(case: schemathesis.Case) -> None:
            response = _send(http, case.as_transport_kwargs(base_url=base))
            case.validate_response(response, checks=CHECKS)

        try:
            check()
        except Exception as error:  # one operation's failure; the others still run
            failures.append(f"{operation.method.upper()} {operation.path}: {error}")
    http.close()
    return failures


def _send(http: httpx.Client, request: dict[str, Any]) -> httpx.Response:
    """A case's request (as schemathesis serializes it for `requests`) sent with httpx:
    schemathesis' own transport reads urllib3 internals that urllib3-future, installed here
    beside it, replaced."""
    sent = {key: request[key] for key in ("method", "url", "params", "headers")}
    if "json" in request:
        sent["json"] = request["json"]
    if "data" in request:
        body = request["data"]
        sent["content" if isinstance(body, bytes | str) else "data"] = body
    if "files" in request:
        sent["files"] = request["files"]
    return http.request(**sent)


@pytest.mark.parametrize("database_kind", ["sqlite"])
async def test_the_published_api_survives_generated_requests(
    sandbox: SandboxServer, migrated_url: str
) -> None:
    async with web_platform(sandbox, migrated_url) as web, served(web) as base:
        bot = await web.add_owned_bot(OWNED_TOKEN, "owner")
        cookie, csrf = login(web.settings, web.accounts["owner"])
        failures = await asyncio.to_thread(fuzz, web.app.openapi(), base, bot, cookie, csrf)
    assert not failures, "\n\n".join(failures)
