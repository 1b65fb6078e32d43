"""How a user API endpoint reads its request and answers: JSON in and out, and every mistake
a 4xx with a reason (`UserApiError`, or the world's LookupError / ValueError as 404 / 400)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .. import user_actions as actions
from ..world import World

Endpoint = Callable[[Request], Awaitable[Response]]


class UserApiError(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def world_of(request: Request) -> World:
    world: World = request.app.state.world
    return world


def endpoint(handler: Callable[[Request, World], Awaitable[Any]]) -> Endpoint:
    async def wrapped(request: Request) -> Response:
        try:
            result = await handler(request, world_of(request))
        except UserApiError as error:
            return JSONResponse({"ok": False, "error": error.reason}, status_code=error.status)
        except (LookupError, KeyError) as error:
            return JSONResponse({"ok": False, "error": reason_of(error)}, status_code=404)
        except (ValueError, TypeError, PermissionError) as error:
            return JSONResponse({"ok": False, "error": reason_of(error)}, status_code=400)
        if isinstance(result, Response):
            return result
        return JSONResponse(result)

    return wrapped


def reason_of(error: Exception) -> str:
    return str(error.args[0]) if error.args else type(error).__name__


async def json_body(request: Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except ValueError:
        raise UserApiError(400, "the body must be a JSON object") from None
    if not isinstance(data, dict):
        raise UserApiError(400, "the body must be a JSON object")
    return data


def int_field(data: dict[str, Any], name: str, required: bool = True) -> int | None:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise UserApiError(400, f"{name} is required")
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise UserApiError(400, f"{name} must be an integer") from None


def str_field(data: dict[str, Any], name: str, required: bool = True) -> str | None:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise UserApiError(400, f"{name} is required")
        return None
    return str(value)


def chat_ref(world: World, data: dict[str, Any]) -> actions.ChatRef:
    user_id = int_field(data, "user_id")
    assert user_id is not None
    bot_id = int_field(data, "bot_id", required=False)
    chat_id = int_field(data, "chat_id", required=False)
    if bot_id is None and chat_id is None:
        raise UserApiError(400, "bot_id (private chat) or chat_id is required")
    return actions.ChatRef(world, user_id, chat_id, bot_id)
