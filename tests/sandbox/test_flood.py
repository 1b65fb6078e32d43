"""Flood limits: the `telegram` and `strict` profiles exactly (FloodControl on an injected clock),
and a 429 as a bot receives it over HTTP."""

from __future__ import annotations

import httpx
import pytest

from switchboard.sandbox.errors import BotApiError
from switchboard.sandbox.flood import PROFILES, FloodControl, FloodLimits, is_counted
from switchboard.sandbox.testing import SandboxServer

from .conftest import BotApi, new_token


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def flood(clock: Clock) -> FloodControl:
    return FloodControl(PROFILES["telegram"], clock=clock)


def refused(flood: FloodControl, bot: int, chat: int | None) -> int | None:
    """The retry_after of a refused call, or None if the call was allowed (and counted)."""
    try:
        flood.check(bot, chat)
    except BotApiError as error:
        assert error.code == 429
        assert error.parameters is not None
        assert (
            error.description == f"Too Many Requests: retry after {error.parameters['retry_after']}"
        )
        assert error.headers() == {"Retry-After": str(error.parameters["retry_after"])}
        return int(error.parameters["retry_after"])
    return None


@pytest.fixture
def strict(clock: Clock) -> FloodControl:
    return FloodControl(PROFILES["strict"], clock=clock)


def test_profile_numbers() -> None:
    assert PROFILES["telegram"] == FloodLimits(
        per_bot=30, per_bot_window=1.0, chat_burst=3.0, private_burst=10.0, chat_rate=1.0,
        per_group=20, per_group_window=60.0,
    )  # fmt: skip
    assert PROFILES["strict"] == FloodLimits(
        per_bot=30, per_bot_window=1.0, chat_burst=3.0, private_burst=3.0, chat_rate=1.0,
        per_group=20, per_group_window=60.0,
    )  # fmt: skip
    assert PROFILES["off"] is None


def test_30_calls_per_second_per_bot(flood: FloodControl, clock: Clock) -> None:
    for chat in range(1, 31):  # thirty different private chats, each bucket full
        assert refused(flood, 1, chat) is None
    assert refused(flood, 1, 31) == 1
    assert refused(flood, 2, 31) is None  # another bot has its own budget
    clock.now += 0.999
    assert refused(flood, 1, 31) == 1  # ceil of the 1 ms left
    clock.now += 0.001
    assert refused(flood, 1, 31) is None


def test_a_private_chat_takes_a_burst_of_10_then_1_per_second(
    flood: FloodControl, clock: Clock
) -> None:
    """A bot may answer a user with several messages in a row, as Telegram allows."""
    assert [refused(flood, 1, 500) for _ in range(10)] == [None] * 10
    assert refused(flood, 1, 500) == 1
    assert refused(flood, 1, 501) is None  # another chat has its own bucket
    clock.now += 1.0
    assert refused(flood, 1, 500) is None
    clock.now += 60  # the bucket refills to its burst of 10, no more
    assert [refused(flood, 1, 500) for _ in range(11)] == [None] * 10 + [1]


def test_a_group_takes_a_burst_of_3_then_1_per_second(flood: FloodControl, clock: Clock) -> None:
    group = -1_000_000_000_777
    assert [refused(flood, 1, group) for _ in range(3)] == [None, None, None]
    assert refused(flood, 1, group) == 1
    clock.now += 0.5
    assert refused(flood, 1, group) == 1  # half a token: ceil(0.5 s) to wait
    clock.now += 0.5
    assert refused(flood, 1, group) is None


def test_strict_takes_a_burst_of_3_then_1_per_second_in_every_chat(
    strict: FloodControl, clock: Clock
) -> None:
    """`strict` keeps the rules the sandbox applied before private chats took bursts."""
    for chat in (500, -1_000_000_000_778):
        assert [refused(strict, 1, chat) for _ in range(3)] == [None, None, None]
        assert refused(strict, 1, chat) == 1
    clock.now += 0.5
    assert refused(strict, 1, 500) == 1  # half a token: ceil(0.5 s) to wait
    clock.now += 0.5
    assert refused(strict, 1, 500) is None
    assert refused(strict, 1, 500) == 1
    clock.now += 10  # the bucket refills to its burst of 3, no more
    assert [refused(strict, 1, 500) for _ in range(4)] == [None, None, None, 1]


def test_20_messages_per_minute_per_group(flood: FloodControl, clock: Clock) -> None:
    group = -1_000_000_000_123
    for _ in range(20):
        assert refused(flood, 1, group) is None
        clock.now += 1.0  # keeps the per-chat bucket full
    assert refused(flood, 1, group) == 40  # the first of the 20 was 20 s ago
    assert refused(flood, 1, -555) is None  # other groups are not affected
    clock.now += 39.5
    assert refused(flood, 1, group) == 1
    clock.now += 0.5
    assert refused(flood, 1, group) is None


def test_private_chats_have_no_per_minute_limit(flood: FloodControl, clock: Clock) -> None:
    for _ in range(100):
        assert refused(flood, 1, 777) is None
        clock.now += 1.0


def test_a_refund_gives_the_call_back(strict: FloodControl) -> None:
    for _ in range(3):
        strict.check(1, 9)
        strict.refund(1, 9)
    assert [refused(strict, 1, 9) for _ in range(4)] == [None, None, None, 1]


def test_off_has_no_limits(clock: Clock) -> None:
    off = FloodControl(PROFILES["off"], clock=clock)
    assert [refused(off, 1, 5) for _ in range(100)] == [None] * 100


@pytest.mark.parametrize(
    ("method", "counted"),
    [
        ("sendMessage", True), ("sendPhoto", True), ("sendMediaGroup", True),
        ("forwardMessage", True), ("forwardMessages", True), ("copyMessage", True),
        ("SENDMESSAGE", True), ("sendChatAction", False), ("editMessageText", False),
        ("getUpdates", False), ("answerCallbackQuery", False),
    ],
)  # fmt: skip
def test_which_calls_count(method: str, counted: bool) -> None:
    assert is_counted(method) is counted


async def test_a_bot_gets_429_over_http() -> None:
    token = new_token()
    with SandboxServer(flood="strict") as server:
        async with server.client() as tg, httpx.AsyncClient(base_url=server.url) as http:
            api = BotApi(http, token)
            await tg.create_bot(token)
            alice = await tg.create_user("Alice")
            await tg.send_text(alice, "/start", bot_id=api.id)
            replies = [
                await api("sendMessage", chat_id=alice["id"], text=f"n{n}") for n in range(10)
            ]
            typing = await api("sendChatAction", chat_id=alice["id"], action="typing")
            history = await tg.messages(alice["id"], bot_id=api.id)
    limited = [r for r in replies if r.status == 429]
    assert replies[0].ok and limited, [r.status for r in replies]
    first = limited[0]
    retry_after = first.body["parameters"]["retry_after"]
    assert first.body == {
        "ok": False,
        "error_code": 429,
        "description": f"Too Many Requests: retry after {retry_after}",
        "parameters": {"retry_after": retry_after},
    }
    assert first.headers["Retry-After"] == str(retry_after)
    assert typing.ok  # chat actions are not counted
    sent = [m["text"] for m in history if m["from"]["id"] == api.id]
    assert sent == [f"n{n}" for n, r in enumerate(replies) if r.ok]  # a refused call posts nothing


async def test_a_malformed_call_gets_its_400_past_the_flood_limit() -> None:
    """The server checks a call's parameters before it counts the message against the limits:
    past them, a malformed call still gets its own 400, and does not use the budget either."""
    token = new_token()
    with SandboxServer(flood="strict") as server:
        server.world.flood = FloodControl(PROFILES["strict"], clock=Clock())  # no refill
        async with server.client() as tg, httpx.AsyncClient(base_url=server.url) as http:
            api = BotApi(http, token)
            await tg.create_bot(token)
            alice = await tg.create_user("Alice")
            await tg.send_text(alice, "/start", bot_id=api.id)
            chat = alice["id"]
            burst = [await api("sendMessage", chat_id=chat, text=f"n{n}") for n in range(4)]
            malformed = [
                await api("sendMessage", chat_id=chat),
                await api("sendMessage", text="to nowhere"),
                await api("sendMessage", chat_id=chat, text="x", parse_mode="BBCode"),
                await api("sendMessage", chat_id=chat, text="x", reply_markup="{"),
                await api("sendPhoto", chat_id=chat),
                await api("sendLocation", chat_id=chat, latitude=91, longitude=0),
                await api("forwardMessage", chat_id=chat, from_chat_id=chat, message_id=999),
            ]
            still_limited = await api("sendMessage", chat_id=chat, text="still one too many")
    assert [r.status for r in burst] == [200, 200, 200, 429]
    assert [(r.status, r.description) for r in malformed] == [
        (400, "Bad Request: message text is empty"),
        (400, "Bad Request: chat_id is empty"),
        (400, "Bad Request: unsupported parse_mode"),
        (400, "Bad Request: can't parse reply keyboard markup JSON object"),
        (400, "Bad Request: there is no photo in the request"),
        (400, "Bad Request: wrong latitude/longitude specified"),
        (400, "Bad Request: message to forward not found"),
    ]
    assert still_limited.status == 429
