"""`POST /telegram/{bot_id}`: Telegram's webhook, acknowledged only after commit.

The secret token header is compared in constant time; a wrong or missing one gets 401 and no
effect. A malformed body gets 400. The answer is 200 once the update's effects are committed;
if the platform cannot commit (say, the database is down) it answers 503 and Telegram retries.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from switchboard.kernel.deployment import RunningDeployment

log = structlog.get_logger("switchboard.webhook")


async def telegram_webhook(request: Request) -> Response:
    # A plain Starlette endpoint: this is the hot path, and FastAPI's parameter solving would
    # cost more than the rest of the request's handling outside the pipeline.
    platform: RunningDeployment = request.app.state.platform
    bot_id: int = request.path_params["bot_id"]
    secret = request.headers.get("x-telegram-bot-api-secret-token")
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


ROUTE = Route("/telegram/{bot_id:int}", telegram_webhook, methods=["POST"])
