"""Broadcasts from the web, on both databases: the preview is the text as Telegram shows it
(sent with no parse mode) and the chats it would reach; the broadcast is the core app's (the
same row and job as /broadcast), sent by the worker to every user over the sandbox; its
progress is read back, and followed live on the bot's server-sent events over real HTTP."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from owner_platform import (
    OTHER_TOKEN,
    OWNED_TOKEN,
    OWNER_TG,
    WebPlatform,
    login,
    served,
    web_platform,
)
from sqlalchemy import select

from switchboard.apps.core.models import BroadcastRecord
from switchboard.apps.core.service import BROADCAST_JOB
from switchboard.kernel.jobs import Job
from switchboard.sandbox.testing import SandboxServer
from switchboard.web.sessions import COOKIE, CSRF_HEADER

TEXT = "<b>Sale</b> & more: 50% off"


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(flood="off") as server:
        yield server


async def _users_start_the_bot(web: WebPlatform, bot_id: int, names: list[str]) -> list[int]:
    """Users who sent /start, handled by the platform's pipeline (which records their chats)."""
    ids = []
    async with web.sandbox.client() as tg:
        for name in names:
            user = await tg.create_user(name)
            await tg.send_text(user, "/start", bot_id=bot_id)
            ids.append(int(user["id"]))
    bot = web.platform.bots[bot_id]
    for update in await bot.get_updates(timeout=0):
        await web.platform.process(bot_id, update)
    return ids


async def _events(base: str, web: WebPlatform, bot_id: int) -> AsyncIterator[dict[str, Any]]:
    cookie, csrf = login(web.settings, web.accounts["owner"])
    headers = {"Cookie": f"{COOKIE}={cookie}", CSRF_HEADER: csrf}
    async with (
        httpx.AsyncClient(base_url=base, headers=headers, timeout=10) as client,
        client.stream("GET", f"/api/v1/bots/{bot_id}/events") as stream,
    ):
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        kind = None
        async for line in stream.aiter_lines():
            if line.startswith("event: "):
                kind = line.removeprefix("event: ")
            elif line.startswith("data: "):
                assert kind == "counters"
                yield json.loads(line.removeprefix("data: "))


async def test_an_owner_previews_sends_and_follows_a_broadcast(
    sandbox: SandboxServer, migrated_url: str
) -> None:
    async with web_platform(sandbox, migrated_url, in_process_worker=True) as web:
        bot = await web.add_owned_bot(OWNED_TOKEN, "owner")
        other_bot = await web.add_owned_bot(OTHER_TOKEN, "other")
        users = await _users_start_the_bot(web, bot, ["Ann", "Bob", "Cid"])
        await _users_start_the_bot(web, other_bot, ["Dan"])  # not this bot's user
        async with web.client("owner") as owner:
            url = f"/api/v1/bots/{bot}/broadcasts"
            preview = await owner.post(f"{url}/preview", json={"text": TEXT})
            assert preview.status_code == 200
            assert preview.json() == {
                "html": "&lt;b&gt;Sale&lt;/b&gt; &amp; more: 50% off",
                "recipients": 3,
            }
            assert (await owner.post(url, json={"text": "   "})).status_code == 422

            async with served(web) as base:
                stream = _events(base, web, bot)
                first = await anext(stream)
                assert first["users"] == 3 and first["broadcasts"] == []
                assert first["jobs_queued"] == 0 and first["jobs_dead"] == 0
                started = await owner.post(url, json={"text": TEXT})
                assert started.status_code == 201, started.text
                broadcast = started.json()["id"]
                assert started.json()["total"] == 3
                async with asyncio.timeout(60):
                    async for figures in stream:  # a tick a second until the worker is done
                        shown = figures["broadcasts"]
                        if shown and shown[0]["id"] == broadcast and shown[0]["state"] == "done":
                            break
                await stream.aclose()  # the client leaves
            assert shown[0] == {
                "id": broadcast,
                "sent": 3,
                "failed": 0,
                "total": 3,
                "state": "done",
            }
            assert figures["jobs_dead"] == 0

            progress = await owner.get(f"{url}/{broadcast}")
            assert progress.json() == shown[0]

        async with web.sandbox.client() as tg:
            for user_id in users:
                texts = [m.get("text") for m in await tg.messages(user_id, bot_id=bot)]
                assert texts[-1] == TEXT  # as written: no parse mode
        async with web.sessions() as session:
            record = await session.get(BroadcastRecord, broadcast)
            assert record is not None and record.owner_id == OWNER_TG
            job = await session.scalar(select(Job).where(Job.kind == BROADCAST_JOB))
            assert job is not None and job.state == "succeeded" and job.attempts == 1

        async with web.client("other") as other:  # another bot's owner learns nothing
            assert (await other.get(f"{url}/{broadcast}")).status_code == 404
            assert (await other.post(f"{url}/preview", json={"text": "x"})).status_code == 404
            assert (await other.post(url, json={"text": "x"})).status_code == 404
            assert (await other.get(f"/api/v1/bots/{bot}/events")).status_code == 404
            theirs = f"/api/v1/bots/{other_bot}/broadcasts/{broadcast}"
            assert (await other.get(theirs)).status_code == 404
