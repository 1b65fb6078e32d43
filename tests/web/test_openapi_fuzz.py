"""Schemathesis against the published OpenAPI, as a logged-in owner (cookie and CSRF header)
over real HTTP: for every /api/v1 operation, generated requests never get a 5xx, and every
documented answer matches its schema and content type. The owner's real bot fills `bot_id`
(random ids would only meet the 404 of a bot not theirs); removals run last. Bounded: a few
examples per operation (fewer as operations are added: a budget of requests), no shrinking,
no deadline."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from owner_platform import OWNED_TOKEN, login, served, web_platform
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from switchboard.sandbox.testing import SandboxServer
from switchboard.web.api import PREFIX
from switchboard.web.sessions import COOKIE, CSRF_HEADER

MOST_EXAMPLES = 25  # per operation
BUDGET = 400
"""Requests in all: as operations are added, each gets fewer examples (at least `FEWEST`),
so the run stays well under a minute on a busy machine (some 80 ms a request here)."""
FEWEST = 5
HUGE = 2**64  # past any column's integer
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
    operations = [op for op in operations if op.path.startswith(PREFIX + "/") and not _streams(op)]
    examples = min(MOST_EXAMPLES, max(FEWEST, BUDGET // max(len(operations), 1)))
    failures: list[str] = []
    for operation in operations:
        fixed = {"bot_id": bot_id} if "{bot_id}" in operation.path else {}
        runs = [(examples, fixed, {})]
        path_ints, query_ints = _integers(operation)
        if path_ints or query_ints:  # ids and pages past 64 bits: found by chance, else
            huge = {name: HUGE for name in path_ints if name != "bot_id"}
            runs.append((2, fixed | huge, {name: HUGE for name in query_ints}))
        for count, path, query in runs:
            try:
                _check(http, base, operation, count, path, query)
            except (Exception, FailureGroup) as error:  # one operation's; the others still run
                failures.append(f"{operation.method.upper()} {operation.path}: {error}")
                break
    http.close()
    return failures


def _integers(operation: schemathesis.APIOperation) -> tuple[list[str], list[str]]:
    """The operation's integer path and query parameters."""
    found: dict[str, list[str]] = {"path": [], "query": []}
    for parameter in operation.definition.raw.get("parameters", []):
        kinds = parameter.get("schema", {})
        types = {kinds.get("type"), *(k.get("type") for k in kinds.get("anyOf", []))}
        if "integer" in types and parameter["in"] in found:
            found[parameter["in"]].append(parameter["name"])
    return found["path"], found["query"]


def _check(
    http: httpx.Client,
    base: str,
    operation: schemathesis.APIOperation,
    examples: int,
    path: dict[str, Any],
    query: dict[str, Any],
) -> None:
    """`examples` generated requests (`path` and `query` fixed where given), each checked."""

    @hypothesis.settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(path_parameters=path or None, query=query or None))
    def check(case: schemathesis.Case) -> None:
        response = _send(http, case.as_transport_kwargs(base_url=base))
        case.validate_response(response, checks=CHECKS)

    check()


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
    built = http.build_request(**sent)
    built.read()  # a multipart body is a stream: read, so the checks can show the request
    return http.send(built)


@pytest.mark.parametrize("database_kind", ["sqlite"])
async def test_the_published_api_survives_generated_requests(
    sandbox: SandboxServer, migrated_url: str
) -> None:
    async with web_platform(sandbox, migrated_url) as web, served(web) as base:
        bot = await web.add_owned_bot(OWNED_TOKEN, "owner")
        cookie, csrf = login(web.settings, web.accounts["owner"])
        failures = await asyncio.to_thread(fuzz, web.app.openapi(), base, bot, cookie, csrf)
    assert not failures, "\n\n".join(failures)
