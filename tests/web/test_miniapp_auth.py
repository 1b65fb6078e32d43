"""Mini App launch data (`initData`): Telegram's own published example verifies with our
check; what the sandbox signs for a user opening a bot's Mini App is accepted by the API as
that user of that bot; forged, expired, other-bot and malformed data each get a 401 with the
reason, and change nothing."""

from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import pytest
from miniapp_world import STRANGER, MiniAppWorld, sandboxed, serving, world_fixture  # noqa: F401
from sqlalchemy import func, select

from switchboard.apps.match.models import MatchProfile
from switchboard.kernel.models import BotRecord
from switchboard.sandbox.webapp import sign_init_data
from switchboard.web.miniapp_auth import (
    MAX_AGE,
    InitDataError,
    data_check_string,
    verify_init_data,
)

VECTORS = json.loads(
    (Path(__file__).parents[1] / "sandbox" / "data" / "webapp-initdata-test-vectors.json")
    .read_text("utf-8")
)  # fmt: skip


def test_telegrams_published_example_verifies() -> None:
    example = VECTORS["hmac_first_party"]
    bot_id = VECTORS["ed25519_third_party"]["bot_id"]
    fields = dict(parse_qsl(example["init_data"]))
    signed_at = int(fields["auth_date"])
    user = verify_init_data(
        example["init_data"], {bot_id: example["bot_token"]}, now=signed_at + 60
    )
    assert (user.bot_id, user.user_id, user.username) == (bot_id, 279058397, "vdkfrost")
    assert user.first_name == "Vladislav + - ? /" and user.language_code == "ru"
    # the vectors say `signature` is part of the checked string: without it, no match
    assert "signature=" in data_check_string(fields)


def test_the_example_fails_for_another_token_a_changed_field_and_when_old() -> None:
    example = VECTORS["hmac_first_party"]
    bot_id = VECTORS["ed25519_third_party"]["bot_id"]
    token = example["bot_token"]
    fields = dict(parse_qsl(example["init_data"]))
    signed_at = int(fields["auth_date"])
    with pytest.raises(InitDataError, match="not signed by any bot"):
        verify_init_data(example["init_data"], {1: token + "x"}, now=signed_at)
    changed = urlencode({**fields, "chat_type": "group"})
    with pytest.raises(InitDataError, match="not signed"):
        verify_init_data(changed, {bot_id: token}, now=signed_at)
    with pytest.raises(InitDataError, match="expired"):
        verify_init_data(example["init_data"], {bot_id: token}, now=signed_at + MAX_AGE + 1)
    with pytest.raises(InitDataError, match="future"):
        verify_init_data(example["init_data"], {bot_id: token}, now=signed_at - 3600)
    with pytest.raises(InitDataError, match="repeats"):
        verify_init_data(example["init_data"] + "&user=x", {bot_id: token}, now=signed_at)


async def _profiles(world: MiniAppWorld) -> int:
    async with world.platform.session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(MatchProfile)) or 0)


async def test_the_sandboxs_signed_launch_data_is_accepted(world: MiniAppWorld) -> None:
    for bot_id in (world.bot_a, world.bot_b):
        launched = await world.tg.webapp(world.alice, bot_id)
        me = await world.web.get(
            "/api/v1/miniapp/me", headers={"Authorization": f"tma {launched['init_data']}"}
        )
        assert me.status_code == 200, me.text
        body = me.json()
        assert (body["bot_id"], body["user_id"]) == (bot_id, world.alice["id"])
        assert body["first_name"] == "Alice" and body["language_code"] == "en"
        assert {app["name"] for app in body["apps"]} == {"notes", "calendar", "match", "repost"}
    # the bot named by X-Bot-Id must be the one that signed
    named = await world.web.get(
        "/api/v1/miniapp/me",
        headers={**await world.headers(world.alice, world.bot_a), "X-Bot-Id": str(world.bot_a)},
    )
    assert named.status_code == 200 and named.json()["bot_id"] == world.bot_a


async def _refused(world: MiniAppWorld, headers: dict[str, str], reason: str) -> None:
    before = await _profiles(world)
    for method, path, body in (
        ("GET", "/api/v1/miniapp/me", None),
        ("PUT", "/api/v1/miniapp/match/profile", {"name": "Mallory", "age": 30}),
    ):
        answer = await world.web.request(method, path, headers=headers, json=body)
        assert answer.status_code == 401, answer.text
        assert reason in answer.json()["detail"]
        assert answer.headers["www-authenticate"] == "tma"
    assert await _profiles(world) == before


async def test_forged_expired_and_other_bot_data_get_401_and_change_nothing(
    world: MiniAppWorld,
) -> None:
    good = dict(parse_qsl(await world.init_data(world.alice)))
    # the same launch data claiming to be Bob: the hash no longer matches
    as_bob = {**good, "user": good["user"].replace(str(world.alice["id"]), str(world.bob["id"]))}
    await _refused(world, {"Authorization": f"tma {urlencode(as_bob)}"}, "not signed")
    # signed by a bot this deployment does not run
    stranger = sign_init_data(STRANGER, world.stranger, world.alice)
    await _refused(world, {"Authorization": f"tma {stranger}"}, "not signed by any bot here")
    # signed by bot B but presented to bot A
    other = await world.headers(world.alice, world.bot_b)
    await _refused(world, {**other, "X-Bot-Id": str(world.bot_a)}, "not signed by this bot")
    await _refused(world, {**other, "X-Bot-Id": str(world.stranger)}, "no such bot")
    # a day and a bit old, properly signed
    token = world.platform.bots[world.bot_a].token
    old = sign_init_data(
        token, world.bot_a, world.alice, auth_date=int(time.time()) - MAX_AGE - 3600
    )
    await _refused(world, {"Authorization": f"tma {old}"}, "expired")
    # no data, another scheme, garbage
    await _refused(world, {}, "Authorization: tma")
    await _refused(world, {"Authorization": f"Bearer {urlencode(good)}"}, "Authorization: tma")
    await _refused(world, {"Authorization": "tma %%%&&&==="}, "initData")
    assert await _profiles(world) == 0


async def test_an_app_the_bot_does_not_run_is_404(world: MiniAppWorld) -> None:
    async with world.platform.session_factory() as session, session.begin():
        record = await session.get(BotRecord, world.bot_b)
        assert record is not None
        record.apps = ["notes"]
    await world.platform.reload_bots()
    headers = await world.headers(world.alice, world.bot_b)
    assert (await world.web.get("/api/v1/miniapp/notes/topics", headers=headers)).status_code == 200
    gone = await world.web.get("/api/v1/miniapp/match/profile", headers=headers)
    assert gone.status_code == 404 and "does not run match" in gone.json()["detail"]
    me = await world.web.get("/api/v1/miniapp/me", headers=headers)
    assert [app["name"] for app in me.json()["apps"]] == ["notes"]


async def test_with_a_public_url_the_menu_button_opens_the_mini_app(database_url: str) -> None:
    """The platform sets each bot's menu button to its Mini App; the sandbox's chat opens that
    URL with launch data (as its web chat's panel does, in the fragment), and the API accepts
    that data as the user of that bot."""
    with sandboxed() as sandbox:
        async with serving(sandbox, database_url, public_url="https://sb.example/") as world:
            for bot_id in (world.bot_a, world.bot_b):
                button = await world.platform.bots[bot_id].get_chat_menu_button()
                assert button.model_dump(exclude_none=True) == {
                    "type": "web_app",
                    "text": "Open app",
                    "web_app": {"url": f"https://sb.example/app?bot={bot_id}"},
                }
            opened = await world.tg.webapp(world.bob, world.bot_b)
            assert opened["url"] == f"https://sb.example/app?bot={world.bot_b}"
            me = await world.web.get(
                "/api/v1/miniapp/me",
                headers={"Authorization": f"tma {opened['init_data']}", "X-Bot-Id": "5550202"},
            )
            assert me.status_code == 200
            assert (me.json()["bot_id"], me.json()["user_id"]) == (world.bot_b, world.bob["id"])
    with sandboxed() as sandbox:  # no public address: the menu stays the commands list
        async with serving(sandbox, database_url) as world:
            button = await world.platform.bots[world.bot_a].get_chat_menu_button()
            assert button.type == "commands"
