"""Who may call what, for EVERY route of the published OpenAPI under /api/v1 (routes other
parts add later are covered as they appear): each is called as anonymous, a user who manages
nothing, the owner of another bot, the bot's owner and an admin, with real ids in the path.

- anonymous: 401 everywhere but the public routes (`PUBLIC`, the login routes);
- routes of a bot (`managed_bot` among their dependencies): 403/404 for the user and the other
  owner, without a trace of the bot in the answer; the owner and an admin are let through;
- admin-only routes (`admin_user`): 403 for everyone logged in but the admin;
- a change by a logged-in caller without the session's CSRF header: 403.
The Mini App's routes authenticate with Telegram's initData, not the cookie: here they must
refuse the anonymous caller and must not fail (their own tests cover the initData).
No role ever gets a 5xx.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from owner_platform import (
    OTHER_TOKEN,
    OWNED_TOKEN,
    OWNER_TG,
    WebPlatform,
    served,
    web_platform,
)

from switchboard.apps.core.service import NO_STATUS_CHAT, start_broadcast
from switchboard.kernel.jobs import JobState, enqueue
from switchboard.sandbox.testing import SandboxServer
from switchboard.web.api import PREFIX
from switchboard.web.deps import admin_user, managed_bot
from switchboard.web.sessions import CSRF_HEADER

SPARE_TOKEN = "7100003:spare-bot-token-abcdefghijklmnop"
PUBLIC = (f"{PREFIX}/auth/",)
"""Routes anyone may call (logging in); every other one answers 401 to anonymous callers."""
MINIAPP = f"{PREFIX}/miniapp/"
ADMIN_ONLY = {f"GET {PREFIX}/jobs"}
"""Routes that must be the admins' alone (the matrix finds the others by their `admin_user`;
this list keeps a route from dropping the check unnoticed)."""
UNSAFE = {"post", "put", "patch", "delete"}
ROLES = ("user", "other", "owner", "admin")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    calls: frozenset[Callable[..., Any]]
    needs_query: bool  # a required query parameter, which the matrix does not make up

    @property
    def of_a_bot(self) -> bool:
        return managed_bot in self.calls

    @property
    def admin_only(self) -> bool:
        return admin_user in self.calls

    @property
    def public(self) -> bool:
        return self.path.startswith(PUBLIC)

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path}"


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def operations(web: WebPlatform) -> list[Operation]:
    """Every /api/v1 operation of the OpenAPI, with the checks its route depends on; changes
    last and the removals deepest first (a bot's removal ends the run)."""
    published = web.app.openapi()["paths"]
    dependants = {
        (route.path, method.lower()): route.dependant
        for route in iter_route_contexts(web.app.routes)
        if isinstance(route.original_route, APIRoute)
        for method in route.methods or ()
    }
    found = []
    for path, methods in published.items():
        if not path.startswith(PREFIX + "/"):
            continue
        for method in methods:
            if method in {"get", "post", "put", "patch", "delete"}:
                calls = frozenset(_calls(dependants[path, method]))
                parameters = methods[method].get("parameters", [])
                needs_query = any(p["in"] == "query" and p.get("required") for p in parameters)
                found.append(Operation(method, path, calls, needs_query))
    assert found, "no /api/v1 routes published"
    return sorted(found, key=lambda o: (o.method == "delete", -o.path.count("/"), o.path))


@dataclass
class Ids:
    bot: int
    spare: int
    job: int
    broadcast: int

    def known(self, path: str) -> bool:
        """Whether every parameter of `path` names a real thing."""
        names = {p.strip("{}") for p in path.split("/") if p.startswith("{")}
        return names <= {"bot_id", "job_id", "broadcast_id", "kind"}

    def fill(self, path: str, bot: int | None = None) -> str:
        filled = path.replace("{bot_id}", str(bot or self.bot))
        filled = filled.replace("{job_id}", str(self.job))
        filled = filled.replace("{broadcast_id}", str(self.broadcast))
        # A login of the caller's account (each role's has only this one: unlinking it is a
        # 409, and the route still has to answer it, not refuse the caller).
        filled = filled.replace("{kind}", "telegram")
        parts = ["1" if p.startswith("{") else p for p in filled.split("/")]
        return "/".join(parts)


async def _call(client: httpx.AsyncClient, op: Operation, url: str, **kw: Any) -> httpx.Response:
    if op.method in UNSAFE and op.method != "delete":
        kw["json"] = {}
    async with client.stream(op.method.upper(), url, **kw) as response:
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            return httpx.Response(response.status_code, text="(an event stream)")  # endless
        await response.aread()
        return response


async def _setup(web: WebPlatform) -> Ids:
    bot = await web.add_owned_bot(OWNED_TOKEN, "owner")
    await web.add_owned_bot(OTHER_TOKEN, "other")
    spare = await web.add_owned_bot(SPARE_TOKEN, "owner")
    async with web.sessions() as session, session.begin():
        job = await enqueue(session, "tests.job", {"bot_id": bot})
        assert job is not None
        job.state = JobState.DEAD.value
        record = await start_broadcast(session, bot, OWNER_TG, "hello", NO_STATUS_CHAT)
        await session.flush()
        return Ids(bot, spare, job.id, record.id)


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(flood="off") as server:
        yield server


@pytest.mark.parametrize("database_kind", ["sqlite"])
async def test_every_api_route_lets_in_exactly_whom_it_should(
    sandbox: SandboxServer, migrated_url: str
) -> None:
    async with contextlib.AsyncExitStack() as stack:
        web = await stack.enter_async_context(web_platform(sandbox, migrated_url))
        ids = await _setup(web)
        base = await stack.enter_async_context(served(web))  # real HTTP: streams end early
        clients = {role: web.client(role, base) for role in ROLES}
        anonymous = web.client(None, base)
        problems: list[str] = []

        def expect(ok: bool, op: Operation, role: str, response: httpx.Response) -> None:
            if not ok:
                problems.append(f"{op} as {role}: {response.status_code} {response.text[:200]}")

        try:
            ops = operations(web)
            for op in ops:
                url = ids.fill(op.path)
                answer = await _call(anonymous, op, url)
                expect(answer.status_code < 500, op, "anonymous", answer)
                if not op.public:
                    expect(answer.status_code == 401, op, "anonymous", answer)
                if op.public or op.path.startswith(MINIAPP):
                    for role in ROLES:
                        answer = await _call(clients[role], op, url)
                        expect(answer.status_code < 500, op, role, answer)
                    continue

                if "{bot_id}" in op.path:  # a bot's route checks that the caller manages it
                    expect(op.of_a_bot, op, "anyone (no managed_bot check)", answer)
                if str(op) in ADMIN_ONLY:
                    expect(op.admin_only, op, "anyone (no admin_user check)", answer)
                for role in ("user", "other"):
                    answer = await _call(clients[role], op, url)
                    expect(answer.status_code < 500, op, role, answer)
                    expect(str(ids.bot) not in answer.text, op, f"{role} (sees the bot)", answer)
                    if op.of_a_bot:
                        expect(answer.status_code in (403, 404), op, role, answer)
                    elif op.admin_only:
                        expect(answer.status_code == 403, op, role, answer)
                    else:
                        expect(answer.status_code not in (401, 403), op, role, answer)

                if op.method in UNSAFE:  # the session's token is required for a change
                    bare = web.client("owner", base)
                    del bare.headers[CSRF_HEADER]
                    async with bare:
                        answer = await _call(bare, op, url)
                    expect(answer.status_code == 403, op, "owner without CSRF", answer)

                refused = {401, 403, 404} if ids.known(op.path) else {401, 403}
                for role in ("owner", "admin"):
                    if role == "owner" and op.admin_only:
                        answer = await _call(clients[role], op, url)
                        expect(answer.status_code == 403, op, role, answer)
                        continue
                    # The admin removes a bot of their own choosing: the owner's comes last.
                    bot = ids.spare if role == "admin" and op.method == "delete" else None
                    answer = await _call(clients[role], op, ids.fill(op.path, bot))
                    expect(answer.status_code < 500, op, role, answer)
                    expect(answer.status_code not in refused, op, role, answer)
                    if op.method == "get" and ids.known(op.path) and not op.needs_query:
                        expect(answer.status_code == 200, op, role, answer)
        finally:
            for client in (*clients.values(), anonymous):
                await client.aclose()
        assert not problems, "\n".join(problems)
        assert {str(op) for op in ops} >= {
            f"GET {PREFIX}/bots/{{bot_id}}/jobs",
            f"DELETE {PREFIX}/bots/{{bot_id}}",
            f"GET {PREFIX}/jobs",
            f"GET {PREFIX}/me/identities",
            f"DELETE {PREFIX}/me/identities/{{kind}}",
        }
