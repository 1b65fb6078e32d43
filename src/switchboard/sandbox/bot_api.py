"""The Bot API over HTTP: `/bot<token>/<method>` and `/file/bot<token>/<path>`.

Parameters are read from the query string, urlencoded or multipart forms, or a JSON body; the
answer is Telegram's envelope with Telegram's status codes. Nothing here answers 500: an
unexpected failure is logged and answered as a 400 that says what went wrong.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import methods
from .errors import BotApiError, bad_request, method_not_found, not_supported
from .files import DOWNLOAD_LIMIT, UPLOAD_LIMIT
from .params import Params, UploadedFile
from .world import BotState, World

log = logging.getLogger("switchboard.sandbox")
_QUIET = {"getupdates"}
# The route takes every method so that the ones the server does not read get its answer.
ANY_METHOD = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]


async def read_params(request: Request) -> Params:
    values: dict[str, Any] = dict(request.query_params)
    files: dict[str, UploadedFile] = {}
    if request.method != "POST":
        return Params(values)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        body = await request.body()
        if body.strip():
            try:
                data = json.loads(body)
            except ValueError:
                raise bad_request("can't parse JSON encoded request body") from None
            if not isinstance(data, dict):
                raise bad_request("JSON object expected as request body")
            values.update(data)
    elif content_type in {"application/x-www-form-urlencoded", "multipart/form-data"}:
        try:
            form = await request.form(max_files=100, max_fields=1000, max_part_size=UPLOAD_LIMIT)
        except Exception as error:  # malformed multipart bodies raise several types
            raise bad_request(f"can't parse request body: {error}") from None
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                data = await value.read()
                if len(data) > UPLOAD_LIMIT:
                    raise BotApiError(413, "Request Entity Too Large")
                files[key] = UploadedFile(value.filename or "", value.content_type or "", data)
            else:
                values[key] = value
    return Params(values, files)


async def execute(world: World, bot: BotState, name: str, params: Params) -> methods.Answer:
    found = methods.find(name)
    if found is None:
        canonical = methods.spec_methods().get(name.lower())
        if canonical is not None:
            raise not_supported(canonical)
        raise method_not_found()
    canonical, handler = found
    call = methods.Call(world, bot, params, canonical)
    try:
        result = await handler(call)  # a posting method calls call.admit() before it posts
    except BotApiError:
        if call.counted_chat is not None:
            world.flood.refund(bot.id, call.counted_chat)
        raise
    return result if isinstance(result, methods.Answer) else methods.Answer(result)


def _envelope(answer: methods.Answer) -> dict[str, Any]:
    body: dict[str, Any] = {"ok": True, "result": answer.result}
    if answer.description:
        body["description"] = answer.description
    return body


async def call_method(
    world: World, bot: BotState, name: str, params: Params
) -> tuple[int, dict[str, Any], dict[str, str]]:
    """Run one method call; (status, body, headers) exactly as Telegram would answer."""
    try:
        answer = await execute(world, bot, name, params)
        status, body, headers = 200, _envelope(answer), {}
    except BotApiError as error:
        status, body, headers = error.code, error.payload(), error.headers()
    except Exception as error:
        log.exception("sandbox failed in %s", name)
        failure = bad_request(
            f"the sandbox could not handle {name}: {type(error).__name__}: {error}"
        )
        status, body, headers = failure.code, failure.payload(), {}
    if name.lower() not in _QUIET:
        world.events.emit(
            "api_call",
            chat_id=_named_chat(world, params),
            bot_id=bot.id,
            method=name,
            ok=body["ok"],
            error_code=body.get("error_code"),
            description=body.get("description"),
        )
    return status, body, headers


def _named_chat(world: World, params: Params) -> int | None:
    """The chat a call's `chat_id` names (an id or a known @username), for its event."""
    raw = params.raw("chat_id")
    if isinstance(raw, str) and raw.startswith("@"):
        wanted = raw[1:].lower()
        found = (c.id for c in world.chats.values() if (c.username or "").lower() == wanted)
        return next(found, None)
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        return None
    try:
        return int(raw)
    except ValueError:
        return None


async def bot_endpoint(request: Request) -> Response:
    world: World = request.app.state.world
    if request.method not in {"GET", "HEAD", "POST"}:
        not_implemented = BotApiError(501, "Not Implemented")  # the server reads GET and POST
        return JSONResponse(not_implemented.payload(), status_code=not_implemented.code)
    try:
        bot = world.bot_for_token(request.path_params["token"])
        params = await read_params(request)
    except BotApiError as error:
        return JSONResponse(error.payload(), status_code=error.code, headers=error.headers())
    status, body, headers = await call_method(world, bot, request.path_params["method"], params)
    return JSONResponse(body, status_code=status, headers=headers)


async def file_endpoint(request: Request) -> Response:
    world: World = request.app.state.world
    try:
        world.bot_for_token(request.path_params["token"])
    except BotApiError as error:
        return JSONResponse(error.payload(), status_code=error.code)
    stored = world.files.by_path(request.path_params["path"])
    if stored is None or stored.size > DOWNLOAD_LIMIT:
        return JSONResponse(
            {"ok": False, "error_code": 404, "description": "Not Found"}, status_code=404
        )
    return Response(stored.data, media_type=stored.mime_type)
