"""`POST /telegram/{bot_id}`: Telegram's webhook, acknowledged once the update is claimed.

The secret token header is compared in constant time; a wrong or missing one gets 401 and no
effect. A body that is not a valid Update gets 400 with the reason (`update_body` says what
JSON is refused), one past the size cap 413 (`app.MAX_BODY_BYTES`), an update of a type this
aiogram does not know 200 (the pipeline skips it). The answer is 200 once the update is claimed:
what its handlers wrote so far and the outbox rows of their calls are committed, so a
redelivery would change nothing and a crash from then on is finished by the outbox courier (the
replies themselves go out after the answer, as with polling's confirmed offset). With
`WEBHOOK_ACK=sent` the answer waits for the replies: Telegram sends a chat's next update only
after the answer, so with several replicas none can answer it before this one's replies. If the
platform cannot commit (say, the database is down) it answers 503 and Telegram retries. Only
that: a 5xx for bad input would have Telegram retry it forever, so the body is checked before
the pipeline sees it, and the pipeline's failures are never a 400 (one would have Telegram drop
an update we failed to handle).
"""

from __future__ import annotations

import hmac

import structlog
from aiogram.types import Update
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from switchboard.kernel import telemetry
from switchboard.kernel.deployment import RunningDeployment
from switchboard.kernel.metric_children import Children
from switchboard.settings import WebhookAck
from switchboard.web.update_body import BadUpdateBody, read_update

log = structlog.get_logger("switchboard.webhook")
_REQUESTS = Children(telemetry.WEBHOOK_REQUESTS)  # bot, status


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
        if record is not None:  # unknown ids are anyone's guess: no series of their own
            _answered(bot_id, "401")
        return JSONResponse({"detail": "wrong or missing secret token"}, status_code=401)
    bot = platform.bots.get(bot_id)
    try:
        update = Update.model_validate(read_update(await request.body()), context={"bot": bot})
    except BadUpdateBody as error:
        _answered(bot_id, "400")
        return _bad_request(str(error))
    except ValidationError as error:
        _answered(bot_id, "400")
        return _bad_request(f"the body is not a valid Update: {_first_error(error)}")
    try:
        if platform.settings.webhook_ack is WebhookAck.SENT:
            # Telegram sends a chat's next update after this answer: with several replicas,
            # answering at the claim would let another replica answer the next one first.
            await platform.process(bot_id, update)
            # A redelivery of an update whose holder died (a killed replica) is a duplicate
            # here: its replies are still in the outbox, made by a courier after the lease.
            await platform.calls_delivered(bot_id, update.update_id)
        else:
            await platform.process_until_claimed(bot_id, update)
    except Exception:
        log.exception("webhook update not committed", bot_id=bot_id)
        _answered(bot_id, "503")
        return JSONResponse({"detail": "not committed; retry later"}, status_code=503)
    _answered(bot_id, "200")
    return Response(status_code=200)


def _answered(bot_id: int, status: str) -> None:
    _REQUESTS.get(telemetry.bot_label(bot_id), status).inc()


def _bad_request(reason: str) -> Response:
    return JSONResponse({"detail": reason[:500]}, status_code=400)


def _first_error(error: ValidationError) -> str:
    # Not str(error): it quotes the input, which may be huge, deep or personal.
    first = error.errors(include_url=False, include_input=False)[0]
    return f"{'.'.join(str(part) for part in first['loc'])}: {first['msg']}"


ROUTE = Route("/telegram/{bot_id:int}", telegram_webhook, methods=["POST"])
