"""Answers to queries: callback queries (button presses), inline and Mini App queries."""

from __future__ import annotations

import json

from ..errors import QUERY_TOO_OLD, bad_request
from .registry import Call, method


@method("answerCallbackQuery")
async def answer_callback_query(call: Call) -> bool:
    query_id = call.params.str("callback_query_id") or ""
    pending = call.world.callbacks.get(query_id)
    if pending is None or pending.bot_id != call.bot.id or pending.answered:
        raise bad_request(QUERY_TOO_OLD)
    text = call.params.str("text")
    if text is not None and len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    pending.answered = True
    chat_id, bot_id = pending.chat_key
    call.world.events.emit(
        "callback_answer",
        chat_id=chat_id,
        bot_id=bot_id or None,
        callback_query_id=query_id,
        user_id=pending.user_id,
        message_id=pending.message_id,
        text=text,
        show_alert=call.params.bool("show_alert"),
        url=call.params.str("url"),
    )
    return True


@method("answerInlineQuery")
async def answer_inline_query(call: Call) -> bool:
    raw = call.params.raw("results")
    if isinstance(raw, str) and raw:
        try:
            json.loads(raw)
        except ValueError as error:
            raise bad_request(f"Can't parse JSON encoded inline query results: {error}") from None
    results = call.params.array("results", "inline query results") or []  # none: an empty answer
    if len(results) > 50:
        raise bad_request("Too many inline query results specified")
    return True


@method("answerWebAppQuery")
async def answer_web_app_query(call: Call) -> dict[str, str]:
    query_id = call.params.str("web_app_query_id")
    result = call.params.object("result", "inline query result")
    if not query_id:
        raise bad_request("web_app_query_id is empty")
    if result is None:
        raise bad_request("Result isn't specified")
    call.world.events.emit(
        "web_app_answer", bot_id=call.bot.id, web_app_query_id=query_id, result=result
    )
    return {"inline_message_id": f"sandbox-{query_id}"}
