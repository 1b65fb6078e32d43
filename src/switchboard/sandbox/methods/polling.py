"""getUpdates and the webhook methods, with Telegram's conflicts and answers."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from ..errors import bad_request
from ..updates import TERMINATED_BY_WEBHOOK, webhook_active_error
from ..world import WebhookConfig
from .registry import Answer, Call, method

_SECRET = re.compile(r"^[A-Za-z0-9_-]*$")


@method("getUpdates")
async def get_updates(call: Call) -> list[dict[str, object]]:
    if call.bot.webhook is not None:
        raise webhook_active_error()
    allowed = call.params.array("allowed_updates", "String")
    return await call.bot.queue.get(
        offset=call.params.int("offset"),
        limit=call.params.int("limit", 100) or 0,  # clamped to 1-100 as the server does
        wait=float(call.params.int("timeout", 0) or 0),
        allowed=allowed,
    )


@method("setWebhook")
async def set_webhook(call: Call) -> Answer:
    url = call.params.str("url") or ""
    if url == "":
        return await delete_webhook(call)
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise bad_request("invalid webhook URL specified")
    if len(url) > 8192:
        raise bad_request("URL is too long")
    secret = call.params.str("secret_token")
    if secret is not None:
        if len(secret) > 256:
            raise bad_request("secret token is too long")
        if not _SECRET.match(secret):
            raise bad_request("secret token contains unallowed characters")
    max_connections = call.params.int("max_connections", 40) or 40
    max_connections = min(max(max_connections, 1), 100)
    allowed = call.params.array("allowed_updates", "String")
    if allowed is not None:
        call.bot.queue.allowed_updates = [str(kind) for kind in allowed]
    if call.params.bool("drop_pending_updates"):
        call.bot.queue.drop_pending()
    current = call.bot.webhook
    if current and (current.url, current.secret_token, current.max_connections) == (
        url,
        secret or None,
        max_connections,
    ):
        return Answer(True, "Webhook is already set")
    call.bot.webhook = WebhookConfig(
        url=url,
        secret_token=secret or None,
        max_connections=max_connections,
        ip_address="127.0.0.1",
    )
    call.bot.queue.terminate_polls(TERMINATED_BY_WEBHOOK)
    call.world.notify_bot(call.bot)
    return Answer(True, "Webhook was set")


@method("deleteWebhook")
async def delete_webhook(call: Call) -> Answer:
    if call.params.bool("drop_pending_updates"):
        call.bot.queue.drop_pending()
    if call.bot.webhook is None:
        return Answer(True, "Webhook is already deleted")
    call.bot.webhook = None
    call.world.notify_bot(call.bot)
    return Answer(True, "Webhook was deleted")


@method("getWebhookInfo")
async def get_webhook_info(call: Call) -> dict[str, object]:
    webhook = call.bot.webhook
    info: dict[str, object] = {
        "url": webhook.url if webhook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(call.bot.queue.items),
    }
    if webhook is not None:
        info["max_connections"] = webhook.max_connections
        if webhook.ip_address:
            info["ip_address"] = webhook.ip_address
        if webhook.last_error_date:
            info["last_error_date"] = webhook.last_error_date
            info["last_error_message"] = webhook.last_error_message
        if call.bot.queue.allowed_updates:
            info["allowed_updates"] = call.bot.queue.allowed_updates
    return info


@method("logOut")
async def log_out(call: Call) -> bool:
    return True


@method("close")
async def close(call: Call) -> bool:
    return True
