"""Error answers: the real server's words and status codes, bad input of every kind, no 500s.

Descriptions that come from the official server's source are checked against
`tests/sandbox/data/error-strings.txt` (after its rendering rule: `Status::Error(400, "X…")`
reaches clients as `Bad Request: x…`); the others (TDLib's) at least follow the same rule.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from switchboard.sandbox import methods
from switchboard.sandbox.files import DOWNLOAD_LIMIT, UPLOAD_LIMIT
from switchboard.sandbox.testing import SandboxClient, SandboxServer

from .conftest import BotApi, Json, new_token
from .scene import Scene, build_scene

Params = Callable[[Scene], dict[str, Any]]


@pytest.fixture
async def scene(api: BotApi, tg: SandboxClient) -> Scene:
    return await build_scene(api, tg)


def _markup(markup: Any) -> Params:
    """reply_markup as sent on the wire: a string as it is, anything else JSON-encoded."""
    wire = markup if isinstance(markup, str) else json.dumps(markup)
    return lambda s: {"chat_id": s.private, "text": "x", "reply_markup": wire}


# (method, params, status, description) — every description here is the server's own literal.
SERVER_ERRORS: list[tuple[str, Params, int, str]] = [
    ("sendMessage", lambda s: {"text": "x"}, 400, "Bad Request: chat_id is empty"),
    ("sendMessage", lambda s: {"chat_id": 123, "text": "x"}, 400, "Bad Request: chat not found"),
    (
        "sendMessage",
        lambda s: {"chat_id": "@nobody_here", "text": "x"},
        400,
        "Bad Request: chat not found",
    ),
    ("sendMessage", lambda s: {"chat_id": s.private}, 400, "Bad Request: message text is empty"),
    (
        "sendMessage",
        lambda s: {"chat_id": s.private, "text": "x", "parse_mode": "BBCode"},
        400,
        "Bad Request: unsupported parse_mode",
    ),
    (
        "sendMessage",
        lambda s: {"chat_id": s.forum["id"], "text": "x", "message_thread_id": 1},
        400,
        "Bad Request: message thread not found",
    ),
    (
        "sendMessage",
        _markup("{bad"),
        400,
        "Bad Request: can't parse reply keyboard markup JSON object",
    ),
    ("sendMessage", _markup([1]), 400, "Bad Request: object expected as reply markup"),
    (
        "sendMessage",
        lambda s: {"chat_id": s.private, "text": "x", "reply_parameters": "[1]"},
        400,
        "Bad Request: object expected as reply parameters",
    ),
    (
        "sendMessage",
        lambda s: {"chat_id": s.private, "text": "x", "reply_parameters": "{"},
        400,
        "Bad Request: can't parse reply parameters JSON object",
    ),
    (
        "sendMessage",
        lambda s: {"chat_id": s.private, "text": "x", "link_preview_options": "{"},
        400,
        "Bad Request: can't parse link preview options JSON object",
    ),
    (
        "sendMessage",
        lambda s: {"chat_id": s.private, "text": "x", "link_preview_options": "[]"},
        400,
        "Bad Request: object expected as link preview options",
    ),
    ("getFile", lambda s: {}, 400, "Bad Request: file_id not specified"),
    (
        "getFile",
        lambda s: {"file_id": "AgACnope"},
        400,
        "Bad Request: wrong file_id or the file is temporarily unavailable",
    ),
    (
        "setWebhook",
        lambda s: {"url": "ftp://example.org/hook"},
        400,
        "Bad Request: invalid webhook URL specified",
    ),
    (
        "setWebhook",
        lambda s: {"url": "http://127.0.0.1:9/h", "secret_token": "no spaces"},
        400,
        "Bad Request: secret token contains unallowed characters",
    ),
    (
        "setWebhook",
        lambda s: {"url": "http://127.0.0.1:9/h", "secret_token": "x" * 257},
        400,
        "Bad Request: secret token is too long",
    ),
    (
        "sendChatAction",
        lambda s: {"chat_id": s.private, "action": "dance"},
        400,
        "Bad Request: wrong parameter action in request",
    ),
    (
        "sendLocation",
        lambda s: {"chat_id": s.private, "longitude": 1},
        400,
        "Bad Request: latitude is empty",
    ),
    (
        "sendLocation",
        lambda s: {"chat_id": s.private, "latitude": 1},
        400,
        "Bad Request: longitude is empty",
    ),
    (
        "answerCallbackQuery",
        lambda s: {"callback_query_id": "42"},
        400,
        "Bad Request: query is too old and response timeout expired or query ID is invalid",
    ),
    (
        "getChatAdministrators",
        lambda s: {"chat_id": s.private},
        400,
        "Bad Request: there are no administrators in the private chat",
    ),
    (
        "createForumTopic",
        lambda s: {"chat_id": s.group["id"], "name": "t"},
        400,
        "Bad Request: method is available only for supergroups",
    ),
    (
        "setMyCommands",
        lambda s: {"commands": "{bad"},
        400,
        "Bad Request: can't parse commands JSON object",
    ),
    (
        "setMyCommands",
        lambda s: {"commands": "{}"},
        400,
        "Bad Request: expected an Array of BotCommand",
    ),
    (
        "setMyCommands",
        lambda s: {"commands": "[]", "scope": "[]"},
        400,
        "Bad Request: botCommandScope must be an Object",
    ),
    (
        "setMyCommands",
        lambda s: {"commands": "[]", "scope": "{"},
        400,
        "Bad Request: can't parse BotCommandScope JSON object",
    ),
    (
        "setMyCommands",
        lambda s: {"commands": "[]", "scope": '{"type": "x"}'},
        400,
        "Bad Request: unsupported type specified",
    ),
    (
        "setChatMenuButton",
        lambda s: {"menu_button": "[1]"},
        400,
        "Bad Request: menuButton must be an Object",
    ),
    (
        "setChatMenuButton",
        lambda s: {"menu_button": '{"type": "x"}'},
        400,
        "Bad Request: menuButton has unsupported type",
    ),
    (
        "setChatMenuButton",
        lambda s: {"menu_button": "{"},
        400,
        "Bad Request: can't parse menu button JSON object",
    ),
    (
        "setMyDefaultAdministratorRights",
        lambda s: {"rights": "[1]"},
        400,
        "Bad Request: chatAdministratorRights must be an Object",
    ),
    (
        "setMyDefaultAdministratorRights",
        lambda s: {"rights": "{"},
        400,
        "Bad Request: can't parse ChatAdministratorRights JSON object",
    ),
    (
        "sendMediaGroup",
        lambda s: {"chat_id": s.private, "media": "{"},
        400,
        "Bad Request: can't parse media JSON object",
    ),
    (
        "sendMediaGroup",
        lambda s: {"chat_id": s.private, "media": "{}"},
        400,
        "Bad Request: expected an Array of InputMedia",
    ),
    (
        "deleteMessages",
        lambda s: {"chat_id": s.private},
        400,
        "Bad Request: message identifiers are not specified",
    ),
    (
        "deleteMessages",
        lambda s: {"chat_id": s.private, "message_ids": list(range(1, 102))},
        400,
        "Bad Request: too many message identifiers specified",
    ),
    (
        "setMessageReaction",
        lambda s: {"chat_id": s.private, "message_id": 1, "reaction": "{"},
        400,
        "Bad Request: can't parse reaction types JSON object",
    ),
    (
        "setMessageReaction",
        lambda s: {"chat_id": s.private, "message_id": 1, "reaction": "{}"},
        400,
        "Bad Request: expected an Array of ReactionType",
    ),
    (
        "restrictChatMember",
        lambda s: {"chat_id": s.forum["id"], "user_id": s.bob["id"], "permissions": "[1]"},
        400,
        "Bad Request: object expected as permissions",
    ),
    (
        "answerInlineQuery",
        lambda s: {"inline_query_id": "1", "results": "{}"},
        400,
        "Bad Request: expected an Array of inline query results",
    ),
    (
        "answerWebAppQuery",
        lambda s: {"web_app_query_id": "1"},
        400,
        "Bad Request: result isn't specified",
    ),
    (
        "setChatDescription",
        lambda s: {"chat_id": s.forum["id"], "description": ""},
        400,
        "Bad Request: chat description is not modified",
    ),
]

# (method, params, description, the server's inner literal) — reasons the server wraps.
WRAPPED_ERRORS: list[tuple[str, Params, str, str]] = [
    (
        "sendMessage",
        _markup({"inline_keyboard": [[{"text": "t"}]]}),
        "Bad Request: can't parse inline keyboard button: "
        "Text buttons are unallowed in the inline keyboard",
        "Text buttons are unallowed in the inline keyboard",
    ),
    (
        "sendMessage",
        _markup({"inline_keyboard": [["t"]]}),
        "Bad Request: can't parse inline keyboard button: InlineKeyboardButton must be an Object",
        "InlineKeyboardButton must be an Object",
    ),
    (
        "sendMessage",
        _markup({"keyboard": [[1]]}),
        "Bad Request: can't parse keyboard button: KeyboardButton must be a String or an Object",
        "KeyboardButton must be a String or an Object",
    ),
    (
        "setMyCommands",
        lambda s: {"commands": "[1]"},
        "Bad Request: can't parse BotCommand: expected an Object",
        "expected an Object",
    ),
]


@pytest.mark.parametrize(
    ("method", "params", "status", "description"),
    SERVER_ERRORS,
    ids=[f"{m}:{d.split(': ', 1)[1][:40]}" for m, _, _, d in SERVER_ERRORS],
)
async def test_server_error_strings(
    scene: Scene,
    error_literals: set[str],
    method: str,
    params: Params,
    status: int,
    description: str,
) -> None:
    assert description in error_literals, "the expectation itself must be the server's literal"
    reply = await scene.api(method, **params(scene))
    assert (reply.status, reply.body) == (
        status,
        {"ok": False, "error_code": status, "description": description},
    )


@pytest.mark.parametrize(
    ("method", "params", "description", "inner"),
    WRAPPED_ERRORS,
    ids=[inner[:40] for *_, inner in WRAPPED_ERRORS],
)
async def test_wrapped_server_reasons(
    scene: Scene,
    raw_error_literals: set[str],
    method: str,
    params: Params,
    description: str,
    inner: str,
) -> None:
    assert inner in raw_error_literals
    reply = await scene.api(method, **params(scene))
    assert (reply.status, reply.description) == (400, description)


async def test_membership_errors_are_the_servers(
    scene: Scene, tg: SandboxClient, error_literals: set[str]
) -> None:
    api, alice = scene.api, scene.alice
    await tg.add_member(scene.forum, alice, api.id, status="left")
    left = await api("sendMessage", chat_id=scene.forum["id"], text="x")
    await tg.add_member(scene.forum, alice, api.id, status="kicked")
    kicked = await api("sendMessage", chat_id=scene.forum["id"], text="x")
    await tg.http.post(
        "/sandbox/api/block", json={"user_id": alice["id"], "bot_id": api.id, "blocked": True}
    )
    blocked = await api("sendMessage", chat_id=alice["id"], text="x")
    found = [(r.status, r.description) for r in (left, kicked, blocked)]
    assert found == [
        (403, "Forbidden: bot is not a member of the supergroup chat"),
        (403, "Forbidden: bot was kicked from the supergroup chat"),
        (403, "Forbidden: bot was blocked by the user"),
    ]
    assert all(description in error_literals for _, description in found)


async def test_deleting_someone_elses_message_without_rights(
    scene: Scene, tg: SandboxClient, error_literals: set[str]
) -> None:
    posted = await tg.send_text(scene.alice, "mine", chat_id=scene.group["id"])
    reply = await scene.api(
        "deleteMessage", chat_id=scene.group["id"], message_id=posted["message_id"]
    )
    assert (reply.status, reply.description) == (400, "Bad Request: message can't be deleted")
    assert reply.description in error_literals


async def test_tdlib_errors_follow_the_rendering_rule(scene: Scene) -> None:
    """Errors that come from TDLib, not the Bot API server's source, worded as Telegram words
    them (these are the strings bots match on)."""
    api, chat = scene.api, scene.private
    sent = await api.ok("sendMessage", chat_id=chat, text="same")
    cases = [
        (await api("editMessageText", chat_id=chat, message_id=999, text="x"),
         "Bad Request: message to edit not found"),
        (await api("editMessageText", chat_id=chat, message_id=sent["message_id"], text="same"),
         "Bad Request: message is not modified: specified new message content and reply markup "
         "are exactly the same as a current content and reply markup of the message"),
        (await api("deleteMessage", chat_id=chat, message_id=999),
         "Bad Request: message to delete not found"),
        (await api("sendMessage", chat_id=chat, text="x", reply_parameters={"message_id": 999}),
         "Bad Request: message to be replied not found"),
        (await api("sendMessage", chat_id=chat, text="x" * 4097),
         "Bad Request: message is too long"),
        (await api("sendMessage", chat_id=scene.bob["id"] + 10**6, text="x"),
         "Bad Request: chat not found"),
    ]  # fmt: skip
    assert [(r.status, r.description) for r, _ in cases] == [(400, d) for _, d in cases]


async def test_bot_cannot_start_a_conversation(tg: SandboxClient, api: BotApi) -> None:
    carol = await tg.create_user("Carol")
    reply = await api("sendMessage", chat_id=carol["id"], text="hello")
    assert (reply.status, reply.description) == (400, "Bad Request: chat not found")
    private = await tg.http.get(f"/sandbox/api/chats/{carol['id']}/messages?bot_id={api.id}")
    assert private.status_code == 200  # the user side opens the chat; the bot still may not
    reply = await api("sendMessage", chat_id=carol["id"], text="hello")
    assert (reply.status, reply.description) == (
        403,
        "Forbidden: bot can't initiate conversation with a user",
    )


async def test_an_album_with_a_bad_item_posts_nothing(scene: Scene, tg: SandboxClient) -> None:
    """Every item is checked before any is posted: a failing album leaves no half of it."""
    sent = await scene.api.form(
        "sendDocument",
        {"chat_id": str(scene.private)},
        {"document": ("a.txt", b"hi", "text/plain")},
    )
    file_id = sent.result["document"]["file_id"]
    before = await tg.messages(scene.private, bot_id=scene.api.id)
    album = await scene.api(
        "sendMediaGroup",
        chat_id=scene.private,
        media=[
            {"type": "document", "media": file_id},
            {"type": "document", "media": file_id, "caption": "x" * 1025},
        ],
    )
    assert (album.status, album.description) == (400, "Bad Request: message caption is too long")
    after = await tg.messages(scene.private, bot_id=scene.api.id)
    assert after == before


async def test_a_group_member_who_never_started_the_bot_is_403(
    scene: Scene, tg: SandboxClient
) -> None:
    """The bot knows Bob from the forum they share, but Bob never opened its private chat: the
    bot may not write first, and Telegram says so (a user it has never seen is `chat not found`)."""
    bob = scene.bob["id"]
    for method, params in [
        ("sendMessage", {"text": "hello"}),
        ("sendLocation", {"latitude": 1, "longitude": 2}),
        ("sendChatAction", {"action": "typing"}),
    ]:
        reply = await scene.api(method, chat_id=bob, **params)
        assert (reply.status, reply.description) == (
            403,
            "Forbidden: bot can't initiate conversation with a user",
        ), method
    stranger = await tg.create_user("Stranger")  # shares no chat with the bot
    unknown = await scene.api("sendMessage", chat_id=stranger["id"], text="hello")
    assert (unknown.status, unknown.description) == (400, "Bad Request: chat not found")
    await tg.send_text(scene.bob, "/start", bot_id=scene.api.id)
    assert (await scene.api("sendMessage", chat_id=bob, text="hello")).ok


# transport-level mistakes ----------------------------------------------------------------------


@pytest.mark.parametrize("http_method", ["GET", "POST"])
async def test_a_trailing_slash_is_an_unknown_method_not_a_redirect(
    api: BotApi, error_literals: set[str], http_method: str
) -> None:
    """The server takes everything after `/bot<token>/` as the method's name: `getMe/` is no
    method. It answers in its envelope, never with a redirect a client would not follow."""
    for method in ("getMe/", "sendMessage/", "getMe/extra"):
        response = await api.http.request(http_method, f"/bot{api.token}/{method}")
        assert (response.status_code, response.json()) == (
            404,
            {"ok": False, "error_code": 404, "description": "Not Found: method not found"},
        ), method
    assert "Not Found: method not found" in error_literals


@pytest.mark.parametrize(
    "path", ["/nothing/here", "/bot", "/foo/", "/bot123:abc", "/sandbox/api/state/"]
)
async def test_unknown_paths_get_the_envelope(http: httpx.AsyncClient, path: str) -> None:
    response = await http.post(path, content=b"")
    assert (response.status_code, response.json()) == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )


async def test_other_http_methods_get_the_envelope(api: BotApi) -> None:
    """The server reads GET and POST only; it answers anything else `501 Not Implemented`."""
    for http_method in ("PUT", "DELETE", "PATCH"):
        response = await api.http.request(http_method, f"/bot{api.token}/getMe")
        assert (response.status_code, response.json()) == (
            501,
            {"ok": False, "error_code": 501, "description": "Not Implemented"},
        ), http_method


async def _raw_request(url: str, request: bytes) -> tuple[int, bytes, bytes]:
    """Send bytes as they are; (status, headers, body) of the answer."""
    parts = httpx.URL(url)
    reader, writer = await asyncio.open_connection(parts.host, parts.port)
    try:
        writer.write(request)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), head, body


@pytest.mark.parametrize("length", [70_000, 2_000_000])
async def test_an_over_long_request_line_gets_the_envelope(
    sandbox: SandboxServer, api: BotApi, length: int
) -> None:
    line = f"GET /bot{api.token}/sendMessage?text={'a' * length} HTTP/1.1\r\n"
    request = (line + "Host: 127.0.0.1\r\nConnection: close\r\n\r\n").encode()
    status, head, body = await _raw_request(sandbox.url, request)
    assert b"content-type: application/json" in head.lower()
    assert (status, json.loads(body)) == (
        431,
        {
            "ok": False,
            "error_code": 431,
            "description": "Request Header Fields Too Large: total headers size exceeded",
        },
    )
    assert (await api.ok("getMe"))["id"] == api.id  # and the server goes on


async def test_an_unreadable_request_gets_the_envelope(sandbox: SandboxServer) -> None:
    status, head, body = await _raw_request(sandbox.url, b"NONSENSE\r\n\r\n")
    assert b"content-type: application/json" in head.lower()
    assert (status, json.loads(body)) == (
        400,
        {"ok": False, "error_code": 400, "description": "Bad Request"},
    )


async def test_malformed_json_body(api: BotApi) -> None:
    reply = await api.raw(
        "sendMessage", content=b'{"chat_id": 1,', headers={"content-type": "application/json"}
    )
    assert reply.status == 400
    assert reply.body["ok"] is False
    assert reply.description.startswith("Bad Request: ")


async def test_json_body_that_is_not_an_object(api: BotApi) -> None:
    reply = await api.raw("getMe", content=b"[1, 2]", headers={"content-type": "application/json"})
    assert (reply.status, reply.body["ok"]) == (400, False)


@pytest.mark.parametrize(
    "params",
    [
        {"chat_id": [1], "text": "x"},
        {"chat_id": {"id": 1}, "text": "x"},
        {"chat_id": True, "text": "x"},
        {"chat_id": 1.5, "text": "x"},
        {"chat_id": "abc", "text": "x"},
    ],
)
async def test_wrong_chat_id_types(scene: Scene, params: Json) -> None:
    reply = await scene.api("sendMessage", **params)
    assert (reply.status, reply.description) == (400, "Bad Request: chat not found")


async def test_values_arrive_as_strings_or_json_types_alike(scene: Scene) -> None:
    """A number where text is expected is text, as the server reads every value as a string."""
    sent = await scene.api.ok("sendMessage", chat_id=str(scene.private), text=12345)
    assert sent["text"] == "12345"
    formed = await scene.api.form("sendMessage", {"chat_id": str(scene.private), "text": "form"})
    queried = await scene.api.raw("sendMessage", params={"chat_id": scene.private, "text": "query"})
    got = await scene.api.raw(
        "SENDMESSAGE",
        http_method="GET",
        params={"chat_id": scene.private, "text": "get"},
    )
    assert [r.result["text"] for r in (formed, queried, got)] == ["form", "query", "get"]


async def test_malformed_token(http: httpx.AsyncClient, error_literals: set[str]) -> None:
    for token in ("nonsense", "123:", ":abc", "12ab:cd", "1:a b"):
        response = await http.post(f"/bot{token}/getMe")
        assert (response.status_code, response.json()) == (
            401,
            {
                "ok": False,
                "error_code": 401,
                "description": "Unauthorized: invalid token specified",
            },
        )
    assert "Unauthorized: invalid token specified" in error_literals


async def test_unknown_token_without_auto_registration(error_literals: set[str]) -> None:
    with SandboxServer(flood="off", auto_register=False) as server:
        async with httpx.AsyncClient(base_url=server.url) as http:
            unknown = await http.post(f"/bot{new_token()}/getMe")
            token = new_token()
            await http.post("/sandbox/api/bots", json={"token": token})
            known = await http.post(f"/bot{token}/getMe")
    assert (unknown.status_code, unknown.json()) == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    assert known.status_code == 200
    assert "Unauthorized" in error_literals


async def test_unknown_method(api: BotApi, error_literals: set[str]) -> None:
    reply = await api("sendTelepathy")
    assert (reply.status, reply.body) == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found: method not found"},
    )
    assert reply.description in error_literals


async def test_known_but_unimplemented_methods_say_so(api: BotApi, spec: Json) -> None:
    missing = sorted(set(spec["methods"]) - set(methods.implemented()))
    assert missing, "every method is implemented: drop this test's premise"
    for name in missing:
        reply = await api(name)
        assert reply.status == 400, name
        assert reply.description == f"Bad Request: method {name} is not supported by the sandbox"
        lowered = await api(name.lower())
        assert lowered.description == reply.description  # method names are case-insensitive


async def test_upload_over_50_mb_is_413(scene: Scene) -> None:
    big = b"\0" * (UPLOAD_LIMIT + 1)
    reply = await scene.api.form(
        "sendDocument",
        {"chat_id": str(scene.private)},
        {"document": ("big.bin", big, "application/octet-stream")},
    )
    assert reply.status == 413
    assert reply.body == {
        "ok": False,
        "error_code": 413,
        "description": "Request Entity Too Large",
    }


async def test_get_file_over_20_mb(scene: Scene, error_literals: set[str]) -> None:
    payload = b"\1" * (DOWNLOAD_LIMIT + 1)
    sent = await scene.api.form(
        "sendDocument",
        {"chat_id": str(scene.private)},
        {"document": ("big.bin", payload, "application/octet-stream")},
    )
    file_id = sent.result["document"]["file_id"]
    assert sent.result["document"]["file_size"] == len(payload)
    reply = await scene.api("getFile", file_id=file_id)
    assert (reply.status, reply.description) == (400, "Bad Request: file is too big")
    assert reply.description in error_literals


async def test_photo_over_10_mb(scene: Scene) -> None:
    reply = await scene.api.form(
        "sendPhoto",
        {"chat_id": str(scene.private)},
        {"photo": ("p.png", b"\x89PNG" + b"\0" * (10 * 1024 * 1024), "image/png")},
    )
    assert (reply.status, reply.description) == (400, "Bad Request: PHOTO_SAVE_FILE_INVALID")


# fuzz ------------------------------------------------------------------------------------------

_VALUES: list[Any] = [
    None, "", " ", "0", "-1", "1", "abc", "@nobody", "{", "[", "{}", "[]", "[1]", '[{"a":1}]',
    '{"type":"x"}', 0, -1, 1, 2**63, -(2**70), 1.5, True, False, [], [1, "a"], {}, {"a": None},
    "attach://x", "https://example.org/a.png", "http://127.0.0.1:1/x", "x" * 5000, "😀" * 3,
    "<b>", "*bold", "`code",
]  # fmt: skip


def _fuzz_params(rng: random.Random, spec_method: Json, scene: Scene) -> dict[str, Any]:
    chats: list[Any] = [scene.private, scene.group["id"], scene.forum["id"], scene.channel["id"]]
    params: dict[str, Any] = {}
    for field in spec_method.get("fields", []):
        roll = rng.random()
        if roll < 0.3:
            continue
        name = field["name"]
        if name in {"chat_id", "from_chat_id"} and roll < 0.8:
            params[name] = rng.choice(chats)
        elif name in {"message_id", "message_thread_id"} and roll < 0.6:
            params[name] = rng.randint(1, 8)
        else:
            params[name] = rng.choice(_VALUES)
    return params


async def test_fuzzed_calls_never_answer_500(scene: Scene, spec: Json) -> None:
    """Random methods with random parameters: never a 500, never an unhandled failure (the
    sandbox turns those into a 400 that says `could not handle`), always Telegram's envelope."""
    rng = random.Random(int(os.environ.get("SANDBOX_FUZZ_SEED", "20240611")))
    names = sorted(spec["methods"])
    implemented = set(methods.implemented())
    failures: list[str] = []
    statuses: dict[int, int] = {}
    for attempt in range(int(os.environ.get("SANDBOX_FUZZ_CALLS", "400"))):
        name = rng.choice(sorted(implemented & set(names))) if attempt % 4 else rng.choice(names)
        if name in {"logOut", "close", "getUpdates"}:
            continue  # would end the bot's session or long-poll; covered elsewhere
        params = _fuzz_params(rng, spec["methods"][name], scene)
        body = {k: v for k, v in params.items() if v is not None}
        response = await scene.api.http.post(f"/bot{scene.api.token}/{name}", json=body)
        data = response.json()
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        if response.status_code >= 500 or "could not handle" in str(data.get("description")):
            failures.append(f"{name}({body!r:.300}) -> {response.status_code} {data}")
        assert set(data) <= {"ok", "result", "description", "error_code", "parameters"}
        assert data["ok"] is (response.status_code == 200)
        if not data["ok"]:
            assert data["error_code"] == response.status_code
    assert failures == []
    assert statuses.get(200, 0) >= 40, f"the fuzz should also reach success paths: {statuses}"
