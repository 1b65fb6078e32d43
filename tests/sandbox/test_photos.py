"""Photos as Telegram keeps them: re-encoded JPEGs at the sizes it makes (90, 320, 800, 1280 and
2560 on the longer side, never larger than the original), and non-images refused."""

from __future__ import annotations

import io

import httpx
import pytest
from PIL import Image

from switchboard.sandbox.testing import SandboxClient

from .conftest import BotApi, Json
from .media import png


def image(width: int, height: int, mode: str = "RGB", fmt: str = "PNG") -> bytes:
    color = (10, 120, 200, 0) if mode == "RGBA" else (10, 120, 200)
    out = io.BytesIO()
    Image.new(mode, (width, height), color[: len(mode)]).save(out, fmt)
    return out.getvalue()


@pytest.fixture
async def chat(api: BotApi, tg: SandboxClient) -> int:
    alice = await tg.create_user("Alice")
    await tg.send_text(alice, "/start", bot_id=api.id)
    return int(alice["id"])


async def send_photo(api: BotApi, chat: int, data: bytes, name: str = "p.png") -> httpx.Response:
    return await api.http.post(
        f"/bot{api.token}/sendPhoto",
        data={"chat_id": str(chat)},
        files={"photo": (name, data, "image/png")},
    )


async def download(api: BotApi, file_id: str) -> bytes:
    found = await api.ok("getFile", file_id=file_id)
    response = await api.http.get(f"/file/bot{api.token}/{found['file_path']}")
    assert response.status_code == 200
    assert found["file_size"] == len(response.content)
    return response.content


def sizes(photo: list[Json]) -> list[tuple[int, int]]:
    return [(size["width"], size["height"]) for size in photo]


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        ((3000, 1500), [(90, 45), (320, 160), (800, 400), (1280, 640), (2560, 1280)]),
        ((1500, 3000), [(45, 90), (160, 320), (400, 800), (640, 1280), (1280, 2560)]),
        ((2000, 1000), [(90, 45), (320, 160), (800, 400), (1280, 640), (2000, 1000)]),
        ((3000, 2000), [(90, 60), (320, 213), (800, 533), (1280, 853), (2560, 1707)]),
        ((1280, 960), [(90, 68), (320, 240), (800, 600), (1280, 960)]),
        ((600, 400), [(90, 60), (320, 213), (600, 400)]),
        ((50, 40), [(50, 40)]),
    ],
)
async def test_a_photo_is_kept_at_telegrams_sizes(
    api: BotApi, chat: int, original: tuple[int, int], expected: list[tuple[int, int]]
) -> None:
    response = await send_photo(api, chat, image(*original))
    assert response.status_code == 200, response.text
    photo = response.json()["result"]["photo"]
    assert sizes(photo) == expected
    assert len({size["file_id"] for size in photo}) == len(photo)
    assert len({size["file_unique_id"] for size in photo}) == len(photo)
    for size in photo:
        with Image.open(io.BytesIO(await download(api, size["file_id"]))) as kept:
            assert (kept.format, kept.size) == ("JPEG", (size["width"], size["height"]))


async def test_a_photo_sent_again_by_any_sizes_file_id_shows_every_size(
    api: BotApi, chat: int
) -> None:
    first = (await send_photo(api, chat, image(1000, 700))).json()["result"]["photo"]
    by_smallest = await api.ok("sendPhoto", chat_id=chat, photo=first[0]["file_id"])
    by_largest = await api.ok("sendPhoto", chat_id=chat, photo=first[-1]["file_id"])
    assert by_smallest["photo"] == by_largest["photo"] == first


async def test_transparency_is_laid_over_white(api: BotApi, chat: int) -> None:
    photo = (await send_photo(api, chat, image(40, 30, mode="RGBA"))).json()["result"]["photo"]
    with Image.open(io.BytesIO(await download(api, photo[-1]["file_id"]))) as kept:
        red, green, blue = kept.convert("RGB").getpixel((20, 15))
    assert min(red, green, blue) > 245


@pytest.mark.parametrize(
    "data",
    [
        b"this is not an image at all",
        png(4, 4)[:40],  # a PNG cut off after its header
        b"\xff\xd8\xff\xe0" + b"\x00" * 64,  # a JPEG's first bytes, nothing after
    ],
)
async def test_bytes_that_are_no_image_are_refused(api: BotApi, chat: int, data: bytes) -> None:
    response = await send_photo(api, chat, data)
    assert (response.status_code, response.json()) == (
        400,
        {"ok": False, "error_code": 400, "description": "Bad Request: IMAGE_PROCESS_FAILED"},
    )
    album = await api.http.post(
        f"/bot{api.token}/sendMediaGroup",
        data={
            "chat_id": str(chat),
            "media": '[{"type":"photo","media":"attach://a"},{"type":"photo","media":"attach://b"}]',
        },
        files={"a": ("a.png", png(), "image/png"), "b": ("b.png", data, "image/png")},
    )
    assert album.json()["description"] == "Bad Request: IMAGE_PROCESS_FAILED"


@pytest.mark.parametrize("original", [(6000, 4001), (2100, 100), (100, 2001)])
async def test_photos_too_large_or_too_narrow_are_refused(
    api: BotApi, chat: int, original: tuple[int, int]
) -> None:
    response = await send_photo(api, chat, image(*original))
    assert (response.status_code, response.json()["description"]) == (
        400,
        "Bad Request: PHOTO_INVALID_DIMENSIONS",
    )


async def test_users_photos_are_kept_the_same_way(
    api: BotApi, tg: SandboxClient, chat: int
) -> None:
    alice = {"id": chat}
    sent = await tg.send_media(
        alice, "photo", image(900, 300), filename="p.png", mime_type="image/png", bot_id=api.id
    )
    assert sizes(sent["photo"]) == [(90, 30), (320, 107), (800, 267), (900, 300)]
    refused = await tg.http.post(
        "/sandbox/api/send_media",
        data={"user_id": str(chat), "bot_id": str(api.id), "kind": "photo"},
        files={"file": ("p.png", b"not an image", "image/png")},
    )
    assert refused.status_code == 400
    assert "IMAGE_PROCESS_FAILED" in refused.json()["error"]


async def test_a_photo_is_turned_upright_by_its_exif_orientation(api: BotApi, chat: int) -> None:
    """A camera's portrait photo is stored landscape with an orientation tag; Telegram shows it
    upright, and so do its sizes."""
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to view
    out = io.BytesIO()
    Image.new("RGB", (1600, 1200), (10, 120, 200)).save(out, "JPEG", exif=exif.tobytes())
    photo = (await send_photo(api, chat, out.getvalue(), "p.jpg")).json()["result"]["photo"]
    assert sizes(photo) == [(68, 90), (240, 320), (600, 800), (960, 1280), (1200, 1600)]
