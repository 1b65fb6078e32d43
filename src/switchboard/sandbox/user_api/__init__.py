"""The user side of the sandbox: act as Telegram users and watch what bots do.

The contract is `docs/sandbox-user-api.md`. Every mistake answers 4xx with a reason.
"""

from __future__ import annotations

from starlette.routing import Route

from .acting import (
    block,
    delete,
    edit,
    forward,
    press,
    send,
    send_contact,
    send_location,
    send_media,
    share_chat,
    web_app_data,
    webapp,
)
from .watching import commands, events, file_download, messages, state, stream
from .world_setup import (
    create_bot,
    create_group,
    create_topic,
    create_user,
    delete_topic,
    reset,
    set_member,
)

ROUTES = [
    Route("/sandbox/api/state", state),
    Route("/sandbox/api/chats/{chat_id}/messages", messages),
    Route("/sandbox/api/chats/{chat_id}/commands", commands),
    Route("/sandbox/api/files/{file_id}", file_download),
    Route("/sandbox/api/events", events),
    Route("/sandbox/api/stream", stream),
    Route("/sandbox/api/bots", create_bot, methods=["POST"]),
    Route("/sandbox/api/users", create_user, methods=["POST"]),
    Route("/sandbox/api/send", send, methods=["POST"]),
    Route("/sandbox/api/send_media", send_media, methods=["POST"]),
    Route("/sandbox/api/send_location", send_location, methods=["POST"]),
    Route("/sandbox/api/send_contact", send_contact, methods=["POST"]),
    Route("/sandbox/api/share_chat", share_chat, methods=["POST"]),
    Route("/sandbox/api/press", press, methods=["POST"]),
    Route("/sandbox/api/forward", forward, methods=["POST"]),
    Route("/sandbox/api/edit", edit, methods=["POST"]),
    Route("/sandbox/api/delete", delete, methods=["POST"]),
    Route("/sandbox/api/groups", create_group, methods=["POST"]),
    Route("/sandbox/api/chats/{chat_id}/members", set_member, methods=["POST"]),
    Route("/sandbox/api/chats/{chat_id}/topics", create_topic, methods=["POST"]),
    Route(
        "/sandbox/api/chats/{chat_id}/topics/{thread_id:int}/delete", delete_topic, methods=["POST"]
    ),
    Route("/sandbox/api/webapp", webapp, methods=["POST"]),
    Route("/sandbox/api/web_app_data", web_app_data, methods=["POST"]),
    Route("/sandbox/api/block", block, methods=["POST"]),
    Route("/sandbox/api/reset", reset, methods=["POST"]),
]
