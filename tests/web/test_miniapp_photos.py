"""The match profile's photos in the Mini App, through the real web app and the sandbox's Bot
API: an upload becomes a Telegram file id the way a bot gets one (sendPhoto to the user's chat),
a photo's bytes come back through getFile and the file download with an ETag, and only the
caller's own profile with that bot is ever reached."""

from __future__ import annotations

import io
from typing import Any

import httpx
from miniapp_world import MiniAppWorld, world_fixture  # noqa: F401
from PIL import Image

from switchboard.apps.match.models import MatchProfile
from switchboard.apps.match.profiles import get_profile

API = "/api/v1/miniapp/match"
RED, GREEN, BLUE, GREY = (220, 30, 30), (30, 200, 30), (30, 30, 220), (128, 128, 128)


def _png(colour: tuple[int, int, int], size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def _shown(body: bytes) -> tuple[tuple[int, int], tuple[int, int, int]]:
    """The size and the middle pixel's colour of a photo as Telegram re-encoded it."""
    with Image.open(io.BytesIO(body)) as image:
        rgb = image.convert("RGB")
        pixel: Any = rgb.getpixel((rgb.width // 2, rgb.height // 2))
        return rgb.size, tuple(pixel)


def _near(found: tuple[int, int, int], wanted: tuple[int, int, int]) -> bool:
    return all(abs(a - b) < 12 for a, b in zip(found, wanted, strict=True))  # JPEG's loss


async def _upload(world: MiniAppWorld, headers: dict[str, str], data: bytes) -> httpx.Response:
    files = {"photo": ("me.png", data, "image/png")}
    return await world.web.post(f"{API}/photos", headers=headers, files=files)


async def _stored(world: MiniAppWorld, user: dict[str, Any]) -> MatchProfile | None:
    async with world.platform.session_factory() as session:
        return await get_profile(session, world.bot_a, user["id"])


async def _started(world: MiniAppWorld, user: dict[str, Any]) -> None:
    """The user has the bot's chat open (a bot cannot write first)."""
    await world.tg.send_text(user, "/start", bot_id=world.bot_a)


async def test_photos_are_added_shown_made_main_and_deleted(world: MiniAppWorld) -> None:
    await _started(world, world.alice)
    alice = await world.headers(world.alice)
    assert (await world.web.get(f"{API}/photos", headers=alice)).json() == []
    for colour in (RED, GREEN, BLUE):
        added = await _upload(world, alice, _png(colour))
        assert added.status_code == 201, added.text
    listed = added.json()
    assert [p["index"] for p in listed] == [0, 1, 2]
    assert listed == (await world.web.get(f"{API}/photos", headers=alice)).json()
    # each was sent to Alice's chat with the bot, and the profile keeps those file ids
    chat = await world.tg.messages(world.alice["id"], world.bot_a)
    sent = [m for m in chat if m.get("photo")]
    assert [m["caption"] for m in sent] == ["Added to your match profile from the app."] * 3
    profile = await _stored(world, world.alice)
    assert profile is not None
    assert profile.photos == [m["photo"][-1]["file_id"] for m in sent]
    # a fourth is refused before anything is sent
    full = await _upload(world, alice, _png(GREY))
    assert full.status_code == 409 and "at most 3" in full.json()["detail"]
    assert len(await world.tg.messages(world.alice["id"], world.bot_a)) == len(chat)

    first = await world.web.get(listed[0]["url"], headers=alice)
    assert first.status_code == 200 and first.headers["content-type"] == "image/jpeg"
    assert first.headers["etag"] == f'"{listed[0]["etag"]}"'
    size, colour = _shown(first.content)
    assert size == (40, 30) and _near(colour, RED)
    unchanged = await world.web.get(
        listed[0]["url"], headers={**alice, "If-None-Match": first.headers["etag"]}
    )
    assert unchanged.status_code == 304 and unchanged.content == b""

    main = await world.web.post(f"{API}/photos/2/main", headers=alice)
    assert main.status_code == 200, main.text
    assert [p["etag"] for p in main.json()] == [listed[i]["etag"] for i in (2, 0, 1)]
    # the photo at 0 is another one now: the old ETag gets the new bytes
    now_first = await world.web.get(
        f"{API}/photos/0", headers={**alice, "If-None-Match": first.headers["etag"]}
    )
    assert now_first.status_code == 200 and _near(_shown(now_first.content)[1], BLUE)

    stale = await world.web.delete(
        f"{API}/photos/1", headers={**alice, "If-Match": f'"{listed[1]["etag"]}"'}
    )
    assert stale.status_code == 412  # photo 1 is the red one now, not the green one seen
    gone = await world.web.delete(
        f"{API}/photos/1", headers={**alice, "If-Match": f'"{listed[0]["etag"]}"'}
    )
    assert gone.status_code == 200, gone.text
    assert [p["etag"] for p in gone.json()] == [listed[2]["etag"], listed[1]["etag"]]
    profile = await _stored(world, world.alice)
    assert profile is not None and len(profile.photos) == 2
    for missing in ("photos/2", "photos/-1", "photos/2/main"):
        method = "POST" if missing.endswith("main") else "GET"
        answer = await world.web.request(method, f"{API}/{missing}", headers=alice)
        assert answer.status_code == 404, missing
    # room again: a photo can be added after a deletion
    assert (await _upload(world, alice, _png(GREY))).status_code == 201


async def test_another_users_photos_are_unreachable(world: MiniAppWorld) -> None:
    await _started(world, world.alice)
    alice = await world.headers(world.alice)
    assert (await _upload(world, alice, _png(RED))).status_code == 201
    for headers in (await world.headers(world.bob), await world.headers(world.alice, world.bot_b)):
        assert (await world.web.get(f"{API}/photos", headers=headers)).json() == []
        for method, path in (
            ("GET", "photos/0"), ("DELETE", "photos/0"), ("POST", "photos/0/main"),
        ):  # fmt: skip
            answer = await world.web.request(method, f"{API}/{path}", headers=headers)
            assert answer.status_code == 404, (method, path)
    anonymous = await world.web.get(f"{API}/photos/0")
    assert anonymous.status_code == 401
    profile = await _stored(world, world.alice)
    assert profile is not None and len(profile.photos) == 1


async def test_uploads_that_are_no_photo_are_refused_with_a_reason(world: MiniAppWorld) -> None:
    alice = await world.headers(world.alice)
    # the bot cannot write to a user who never opened its chat: nothing is written
    unstarted = await _upload(world, alice, _png(RED))
    assert unstarted.status_code == 409 and "Start" in unstarted.json()["detail"]
    await _started(world, world.alice)
    refusals: list[tuple[int, dict[str, Any]]] = [
        (415, {"files": {"photo": ("notes.txt", b"just some text", "image/png")}}),
        (415, {"files": {"photo": ("doc.pdf", b"%PDF-1.4\n%\xe2\xe3", "application/pdf")}}),
        (422, {"files": {"picture": ("me.png", _png(RED), "image/png")}}),
        (422, {"json": {"photo": "AgACAgIAAxkB"}}),
        (422, {"files": {"photo": ("thin.png", _png(RED, (2, 60)), "image/png")}}),
        (413, {"files": {"photo": ("big.png", b"\x89PNG" + b"\0" * (10 * 1024 * 1024), "")}}),
    ]
    for status, body in refusals:
        answer = await world.web.post(f"{API}/photos", headers=alice, **body)
        assert answer.status_code == status, (status, answer.text)
        assert isinstance(answer.json()["detail"], str) and answer.json()["detail"]
    profile = await _stored(world, world.alice)
    assert profile is None or profile.photos == []
    photos = [m for m in await world.tg.messages(world.alice["id"], world.bot_a) if m.get("photo")]
    assert photos == []
