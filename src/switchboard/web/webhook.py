"""`POST /telegram/{bot_id}`: Telegram's webhook, acknowledged only after commit.

The secret token header is compared in constant time; a wrong or missing one gets 401 and no
effect. A malformed body gets 400. The answer is 200 once the update's effects are committed;
if the platform cannot commit (say, the database is down) it answers 503 and Telegram retries.
"""

from __future__ import annotations

import hmac
import json
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse, Response

from switchboard.kernel.runtime import Platform

log = structlog.get_logger("switchboard.webhook")
router = APIRouter()


@router.post("/telegram/{bot_id}")
async def telegram_webhook(
    bot_id: int,
    request: Request,
    secret: Annotated[str | None, Header(alias="X-Telegram-Bot-Api-Secret-Token")] = None,
) -> Response:
    platform: Platform = request.app.state.platform
    record = platform.records.get(bot_id)
    expected = record.webhook_secret if record is not None else "-"
    # Compare even for unknown bots so that timing does not tell which bot ids exist.
    if not hmac.compare_digest((secret or "").encode(), expected.encode()) or record is None:
        return JSONResponse({"detail": "wrong or missing secret token"}, status_code=401)
    body = await request.body()
    try:
        update: Any = json.loads(body)
    except ValueError:
        return JSONResponse({"detail": "the body is not JSON"}, status_code=400)
    if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
        return JSONResponse({"detail": "the body is not a Telegram Update"}, status_code=400)
    try:
        await platform.process(bot_id, update)
    except ValueError as error:  # pydantic's ValidationError is a ValueError
        return JSONResponse(
            {"detail": f"the body is not a valid Update: {error}"[:500]}, status_code=400
        )
    except Exception:
        log.exception("webhook update not committed", bot_id=bot_id)
        return JSONResponse({"detail": "not committed; retry later"}, status_code=503)
    return Response(status_code=200)
