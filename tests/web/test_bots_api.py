"""The owner API's bots, through the real web app of a started platform, against the sandbox
(getMe, getWebhookInfo over real HTTP), on SQLite and PostgreSQL: adding a bot by its token,
its apps and on/off, removal; each refusal a clear 4xx with nothing written."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from owner_platform import OWNER_TG, WebPlatform, web_platform
from sqlalchemy import func, select

from switchboard.kernel.accounts import BotOwnership, Invite
from switchboard.kernel.models import BotRecord
from switchboard.sandbox.testing import SandboxServer

NEW_TOKEN = "7200001:new-bot-token-abcdefghijklmnopqr"
NEW_ID = 7200001


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    # A token the sandbox was not told about is refused, as Telegram refuses a made-up one.
    with SandboxServer(flood="off", auto_register=False) as server:
        yield server


async def _bot_rows(web: WebPlatform) -> tuple[int, int]:
    async with web.sessions() as session:
        bots = await session.scalar(select(func.count()).select_from(BotRecord))
        owned = await session.scalar(select(func.count()).select_from(BotOwnership))
    return int(bots or 0), int(owned or 0)


async def test_an_owner_adds_lists_changes_and_removes_a_bot(
    sandbox: SandboxServer, migrated_url: str
) -> None:
    sandbox.world.register_bot(NEW_TOKEN, username="fresh_bot")
    async with web_platform(sandbox, migrated_url) as web, web.client("owner") as owner:
        added = await owner.post("/api/v1/bots", json={"token": NEW_TOKEN, "apps": ["notes"]})
        assert added.status_code == 201, added.text
        body = added.json()
        assert body["id"] == NEW_ID and body["username"] == "fresh_bot"
        assert body["apps"] == ["core", "notes"]  # every bot runs core
        assert NEW_ID in web.platform.bots  # this process reloaded at once
        async with web.sessions() as session:
            record = await session.get(BotRecord, NEW_ID)
            assert record is not None
            assert record.token != NEW_TOKEN  # encrypted under TOKEN_KEY, as `bots add` does
            assert record.owner_ids == [OWNER_TG] and record.webhook_secret
            owned = await session.scalar(
                select(BotOwnership.account_id).where(BotOwnership.bot_id == NEW_ID)
            )
            assert owned == web.accounts["owner"]

        # The webhook as Telegram reports it for a running bot, not the row (which has none).
        await web.platform.bots[NEW_ID].set_webhook("https://hooks.example/fresh")
        listed = await owner.get("/api/v1/bots")
        assert listed.status_code == 200
        [shown] = listed.json()
        assert shown["webhook"]["url"] == "https://hooks.example/fresh"
        assert shown["webhook"]["pending_update_count"] == 0

        unknown = await owner.patch(f"/api/v1/bots/{NEW_ID}", json={"apps": ["notes", "chess"]})
        assert unknown.status_code == 422 and "chess" in unknown.json()["detail"][0]["msg"]
        changed = await owner.patch(
            f"/api/v1/bots/{NEW_ID}", json={"apps": ["calendar"], "enabled": False}
        )
        assert changed.status_code == 200
        assert changed.json()["apps"] == ["core", "calendar"] and not changed.json()["enabled"]
        assert NEW_ID not in web.platform.bots  # turned off: stopped here at once
        again = await owner.patch(f"/api/v1/bots/{NEW_ID}", json={"enabled": True})
        assert again.json()["enabled"] and NEW_ID in web.platform.bots

        gone = await owner.delete(f"/api/v1/bots/{NEW_ID}")
        assert gone.status_code == 204
        assert await _bot_rows(web) == (0, 0)
        assert NEW_ID not in web.platform.bots
        assert (await owner.get(f"/api/v1/bots/{NEW_ID}")).status_code == 404
        assert (await owner.get("/api/v1/bots")).json() == []


async def test_a_bad_token_a_taken_one_and_unknown_apps_are_refused(
    sandbox: SandboxServer, migrated_url: str
) -> None:
    async with web_platform(sandbox, migrated_url) as web, web.client("owner") as owner:
        refused = await owner.post("/api/v1/bots", json={"token": NEW_TOKEN, "apps": ["all"]})
        assert refused.status_code == 400
        assert refused.json()["detail"] == "Telegram refused this token"
        malformed = await owner.post("/api/v1/bots", json={"token": "not-a-token"})
        assert malformed.status_code == 400 and "token" in malformed.json()["detail"]
        sandbox.world.register_bot(NEW_TOKEN)
        unknown = await owner.post("/api/v1/bots", json={"token": NEW_TOKEN, "apps": ["chess"]})
        assert unknown.status_code == 422 and "chess" in unknown.json()["detail"][0]["msg"]
        assert await _bot_rows(web) == (0, 0)  # nothing half-written

        assert (await owner.post("/api/v1/bots", json={"token": NEW_TOKEN})).status_code == 201
        async with web.client("other") as other:
            taken = await other.post("/api/v1/bots", json={"token": NEW_TOKEN})
        assert taken.status_code == 409 and str(NEW_ID) in taken.json()["detail"]
        assert await _bot_rows(web) == (1, 1)


async def test_the_quota_and_invitations_limit_who_adds_bots(
    sandbox: SandboxServer, migrated_url: str
) -> None:
    second = "7200002:second-bot-token-abcdefghijklmnop"
    sandbox.world.register_bot(NEW_TOKEN)
    sandbox.world.register_bot(second)
    async with web_platform(
        sandbox, migrated_url, web_max_bots_per_owner=1, web_invite_only=True
    ) as web:
        async with web.client("owner") as owner:
            uninvited = await owner.post("/api/v1/bots", json={"token": NEW_TOKEN})
            assert uninvited.status_code == 403 and "invite" in uninvited.json()["detail"]
            async with web.sessions() as session, session.begin():
                session.add(Invite(code="welcome", used_by=web.accounts["owner"]))
            assert (await owner.post("/api/v1/bots", json={"token": NEW_TOKEN})).status_code == 201
            over = await owner.post("/api/v1/bots", json={"token": second})
            assert over.status_code == 403 and "1 bot" in over.json()["detail"]
        async with web.client("admin") as admin:  # admins: no invitation, no quota
            assert (await admin.post("/api/v1/bots", json={"token": second})).status_code == 201
        assert await _bot_rows(web) == (2, 2)


async def test_apps_lists_the_installed_apps_in_the_callers_language(
    sandbox: SandboxServer, migrated_url: str
) -> None:
    async with web_platform(sandbox, migrated_url) as web, web.client("user") as user:
        english = (await user.get("/api/v1/apps")).json()
        russian = (await user.get("/api/v1/apps", headers={"Accept-Language": "ru-RU"})).json()
    assert [app["name"] for app in english] == list(web.platform.apps)
    assert [app["name"] for app in english if app["always_enabled"]] == ["core"]
    assert all(app["title"] and "." not in app["title"] for app in english)
    assert [a["title"] for a in english] != [a["title"] for a in russian]
