"""The match app's Mini App photo routes: the caller's own profile photos, listed, shown (their
bytes streamed from Telegram), deleted, made main and added.

A profile keeps Telegram file ids only (at most `MAX_PHOTOS`, the first the main one, as the
onboarding conversation fills them). So a photo is shown by asking the bot's API server for the
file (getFile, then its download path), and a photo uploaded from the Mini App becomes a file id
the way a bot makes one: the bot sends it to the user's private chat with sendPhoto and keeps the
largest size's id. No transaction is open across either call.

A photo is addressed by its place in the profile (`/photos/{index}`); its ETag is a digest of
its file id, so an unchanged photo is answered 304 without asking Telegram, and a change that
names the ETag it saw (`If-Match`) is refused with 412 when another change moved it meanwhile.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
from collections.abc import AsyncIterator

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
)
from aiogram.types import BufferedInputFile
from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse
from PIL import Image, UnidentifiedImageError
from pydantic import BaseModel
from starlette.datastructures import UploadFile

from switchboard.kernel import (
    AppHttpError,
    MiniAppUser,
    MiniAppUserDep,
    PlatformServices,
    WebSessionDep,
)

from .models import MatchProfile
from .profiles import MAX_PHOTOS, get_profile, profile_for_update

__all__ = ["MAX_UPLOAD", "PhotoOut", "add_photo_routes", "photo_tag"]

MB = 1024 * 1024
MAX_UPLOAD = 10 * MB  # Telegram's limit for a photo sent by upload
FORM_OVERHEAD = 16 * 1024  # the multipart boundaries and headers around the file
FIELD = "photo"
# What Telegram takes as a photo (it re-encodes each as JPEG), and its documented dimensions.
IMAGE_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "BMP"}
MAX_SIDES = 10_000
MAX_RATIO = 20
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": [FIELD],
                    "properties": {FIELD: {"type": "string", "format": "binary"}},
                    "additionalProperties": False,
                }
            }
        },
    }
}


class PhotoOut(BaseModel):
    index: int  # its place: 0 is the main photo, the one others see first
    etag: str  # changes when another photo takes this place
    url: str  # its bytes (GET, with the Mini App's Authorization)


def photo_tag(file_id: str) -> str:
    return hashlib.sha256(file_id.encode()).hexdigest()[:24]


def _listed(request: Request, profile: MatchProfile | None) -> list[PhotoOut]:
    photos = list(profile.photos) if profile is not None else []
    base = request.url_for("match_photo", index=0).path.rsplit("/", 1)[0]
    return [
        PhotoOut(index=i, etag=photo_tag(file_id), url=f"{base}/{i}")
        for i, file_id in enumerate(photos)
    ]


def _tags_of(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/").strip('"') for tag in header.split(",")}


def _chosen(profile: MatchProfile | None, index: int, if_match: str | None) -> str:
    """The file id at `index`: 404 if there is none, 412 if it is not the one the caller saw."""
    photos = list(profile.photos) if profile is not None else []
    if not 0 <= index < len(photos):
        raise AppHttpError(404, "match.web.no_such_photo", index=index, photos=len(photos))
    file_id: str = photos[index]
    seen = _tags_of(if_match) if if_match is not None else {"*"}
    if "*" not in seen and photo_tag(file_id) not in seen:
        raise AppHttpError(412, "match.web.photos_changed")
    return file_id


async def _download(bot: Bot, file_id: str) -> AsyncIterator[bytes]:
    """The file's bytes from the bot's API server; Telegram's refusal is a 404 with its reason,
    asked before the answer starts (the first chunk is read here)."""
    try:
        found = await bot.get_file(file_id)
    except TelegramNetworkError:
        raise AppHttpError(503, "match.web.telegram_unreachable") from None
    except TelegramAPIError as error:
        raise AppHttpError(404, "match.web.telegram_no_photo", reason=error.message) from None
    if found.file_path is None:
        raise AppHttpError(404, "match.web.no_download")
    url = bot.session.api.file_url(bot.token, found.file_path)
    chunks = bot.session.stream_content(url, timeout=30, raise_for_status=True)
    try:
        first = await anext(chunks, b"")
    except Exception:  # aiohttp's refusal or a dropped connection: the download is not there
        await chunks.aclose()
        raise AppHttpError(503, "match.web.download_failed") from None

    async def rest() -> AsyncIterator[bytes]:
        yield first
        async for chunk in chunks:
            yield chunk

    return rest()


def _checked_image(data: bytes) -> None:
    """Refuse what Telegram would refuse as a photo, with the reason, before it is sent."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind, (width, height) = image.format, image.size
            image.verify()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError):
        raise AppHttpError(415, "match.web.not_an_image") from None
    if kind not in IMAGE_FORMATS:
        raise AppHttpError(415, "match.web.format_refused", kind=kind)
    if width + height > MAX_SIDES or max(width, height) > MAX_RATIO * min(width, height):
        raise AppHttpError(422, "match.web.photo_shape")


async def _uploaded(request: Request) -> bytes:
    """The image of the multipart field `photo`, its size checked before the body is read."""
    length = request.headers.get("content-length", "")
    if not length.isdigit():
        raise AppHttpError(411, "match.web.length_required")
    if int(length) > MAX_UPLOAD + FORM_OVERHEAD:
        raise AppHttpError(413, "match.web.photo_too_big")
    async with request.form(max_files=1, max_fields=1) as form:
        upload = form.get(FIELD)
        if not isinstance(upload, UploadFile):
            raise AppHttpError(422, "match.web.no_file_field", field=FIELD)
        data = await upload.read(MAX_UPLOAD + 1)
    if not data:
        raise AppHttpError(422, "match.web.photo_empty")
    if len(data) > MAX_UPLOAD:
        raise AppHttpError(413, "match.web.photo_too_big")
    await asyncio.to_thread(_checked_image, data)
    return data


async def _sent(platform: PlatformServices, user: MiniAppUser, data: bytes) -> str:
    """The photo's file id: sent to the user's private chat as bots obtain one."""
    caption = platform.translate("match.photo_added_from_app", user.language_code)
    try:
        message = await platform.bot(user.bot_id).send_photo(
            user.user_id, BufferedInputFile(data, "photo"), caption=caption, parse_mode=None
        )
    except TelegramForbiddenError:
        raise AppHttpError(409, "match.web.no_chat") from None
    except TelegramBadRequest as error:
        if "chat not found" in error.message:  # the user never opened the bot's chat
            raise AppHttpError(409, "match.web.no_chat") from None
        raise AppHttpError(422, "match.web.telegram_refused_photo", reason=error.message) from None
    except TelegramNetworkError:
        raise AppHttpError(503, "match.web.telegram_unreachable") from None
    except TelegramAPIError as error:
        raise AppHttpError(409, "match.web.telegram_refused", reason=error.message) from None
    if not message.photo:
        raise AppHttpError(422, "match.web.not_kept_as_photo")
    return message.photo[-1].file_id


def _full() -> AppHttpError:
    return AppHttpError(409, "match.web.photos_full", most=MAX_PHOTOS)


def add_photo_routes(router: APIRouter) -> None:
    @router.get("/photos")
    async def photos(
        user: MiniAppUserDep, session: WebSessionDep, request: Request
    ) -> list[PhotoOut]:
        return _listed(request, await get_profile(session, user.bot_id, user.user_id))

    @router.get(
        "/photos/{index}",
        name="match_photo",
        response_class=Response,
        responses={200: {"content": {"image/jpeg": {}}}, 304: {"description": "unchanged"}},
    )
    async def photo(
        index: int, user: MiniAppUserDep, session: WebSessionDep, request: Request
    ) -> Response:
        profile = await get_profile(session, user.bot_id, user.user_id)
        file_id = _chosen(profile, index, None)
        await session.rollback()  # nothing to write; no transaction across the download
        tag = photo_tag(file_id)
        # The bytes behind a file id never change, but the photo at an index does: the browser
        # asks each time (no-cache) and an unchanged one costs no call to Telegram.
        headers = {"ETag": f'"{tag}"', "Cache-Control": "private, no-cache"}
        if tag in _tags_of(request.headers.get("if-none-match", "")):
            return Response(status_code=304, headers=headers)
        platform: PlatformServices = request.app.state.platform
        body = await _download(platform.bot(user.bot_id), file_id)
        return StreamingResponse(body, media_type="image/jpeg", headers=headers)

    @router.delete("/photos/{index}")
    async def delete(
        index: int, user: MiniAppUserDep, session: WebSessionDep, request: Request
    ) -> list[PhotoOut]:
        profile = await get_profile(session, user.bot_id, user.user_id)
        _chosen(profile, index, request.headers.get("if-match"))
        assert profile is not None
        profile.photos = [p for i, p in enumerate(profile.photos) if i != index]
        await session.commit()
        return _listed(request, profile)

    @router.post("/photos/{index}/main")
    async def make_main(
        index: int, user: MiniAppUserDep, session: WebSessionDep, request: Request
    ) -> list[PhotoOut]:
        profile = await get_profile(session, user.bot_id, user.user_id)
        file_id = _chosen(profile, index, request.headers.get("if-match"))
        assert profile is not None
        profile.photos = [file_id, *(p for i, p in enumerate(profile.photos) if i != index)]
        await session.commit()
        return _listed(request, profile)

    @router.post(
        "/photos", status_code=201, openapi_extra=UPLOAD_BODY,
        max_body_size=MAX_UPLOAD + FORM_OVERHEAD,
    )  # fmt: skip
    async def upload(
        user: MiniAppUserDep, session: WebSessionDep, request: Request
    ) -> list[PhotoOut]:
        before = await get_profile(session, user.bot_id, user.user_id)
        if before is not None and len(before.photos) >= MAX_PHOTOS:
            raise _full()
        await session.rollback()  # the upload and the send hold no transaction
        data = await _uploaded(request)
        platform: PlatformServices = request.app.state.platform
        file_id = await _sent(platform, user, data)
        profile = await profile_for_update(session, user.bot_id, user.user_id)
        if len(profile.photos) >= MAX_PHOTOS:  # another one was added meanwhile
            await session.rollback()
            raise _full()
        profile.photos = [*profile.photos, file_id]
        await session.commit()
        return _listed(request, profile)
