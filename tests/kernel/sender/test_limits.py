from __future__ import annotations

import pytest

from switchboard.kernel.sender import (
    TELEGRAM_LIMITS,
    InMemoryFloodBackend,
    Priority,
    SendTarget,
    is_counted_method,
    is_group_chat,
)

BOT = 5550001


@pytest.mark.parametrize(
    "method",
    [
        "sendMessage",
        "sendPhoto",
        "sendMediaGroup",
        "sendGift",
        "sendInvoice",
        "forwardMessage",
        "forwardMessages",
        "copyMessage",
        "copyMessages",
    ],
)
def test_posting_methods_are_counted(method: str) -> None:
    assert is_counted_method(method)


@pytest.mark.parametrize(
    "method",
    [
        "sendChatAction",
        "editMessageText",
        "deleteMessage",
        "answerCallbackQuery",
        "getMe",
        "getUpdates",
        "setMyCommands",
        "editMessageMedia",
    ],
)
def test_other_methods_are_not_counted(method: str) -> None:
    assert not is_counted_method(method)


def test_the_telegram_numbers() -> None:
    assert (TELEGRAM_LIMITS.per_bot.max_calls, TELEGRAM_LIMITS.per_bot.window) == (30, 1.0)
    assert TELEGRAM_LIMITS.per_chat.capacity == 3
    assert TELEGRAM_LIMITS.per_chat.refill_per_second == 1.0
    assert (TELEGRAM_LIMITS.per_group.max_calls, TELEGRAM_LIMITS.per_group.window) == (20, 60.0)


def test_the_margin_widens_every_window_and_cuts_the_bucket_tolerance() -> None:
    widened = TELEGRAM_LIMITS.with_margin(0.05)

    assert widened.per_bot.window == pytest.approx(1.05)
    # The bucket's rate is kept: the margin comes off its burst tolerance instead.
    assert widened.per_chat.refill_period == pytest.approx(1.0)
    assert widened.per_chat.slack == pytest.approx(0.05)
    assert widened.per_group.window == pytest.approx(60.05)
    assert (widened.per_bot.max_calls, widened.per_chat.capacity) == (30, 3)


@pytest.mark.parametrize(
    ("chat_id", "key", "group"),
    [
        (42, "42", False),
        (-42, "-42", True),
        (-1001234567890, "-1001234567890", True),
        ("-1001234567890", "-1001234567890", True),
        ("42", "42", False),
        ("@SomeChannel", "@somechannel", True),
    ],
)
def test_send_targets(chat_id: int | str, key: str, group: bool) -> None:
    target = SendTarget.of(chat_id)

    assert (target.key, target.is_group) == (key, group)
    assert is_group_chat(chat_id) == group


def test_a_send_answered_later_than_the_margin_counts_from_its_answer() -> None:
    """A send held between its grant and the wire (a busy process) may reach Telegram as late
    as its answer: counted from its grant, the send a window later could arrive less than a
    window behind it (429s in a broadcast on a loaded machine). It counts from its answer."""
    limits = TELEGRAM_LIMITS.with_margin(0.2)
    backend = InMemoryFloodBackend()
    for at in [0.0] + [0.35] * 29:
        assert backend.decide(BOT, None, Priority.BULK, limits, at).granted
    backend.settle(BOT, 0.0, 0.5, 0.2)  # the first was answered half a second after its grant

    # The 31st keeps a window from the first's answer (less the margin): 0.3 + 1.2, not 1.2.
    assert not backend.decide(BOT, None, Priority.BULK, limits, 1.3).granted
    assert backend.decide(BOT, None, Priority.BULK, limits, 1.5).granted
    # The next keeps a window from the second (0.35).
    assert not backend.decide(BOT, None, Priority.BULK, limits, 1.5).granted
    assert backend.decide(BOT, None, Priority.BULK, limits, 1.55).granted


def test_an_answered_send_costs_the_bot_window_its_round_trip_not_the_margin() -> None:
    """A send answered 10 ms after its grant reached Telegram by then: the window counts it
    from there, not from its grant plus the whole margin (0.2 s made 30/s into 25/s)."""
    limits = TELEGRAM_LIMITS.with_margin(0.2)
    backend = InMemoryFloodBackend()
    for _ in range(30):
        assert backend.decide(BOT, None, Priority.BULK, limits, 0.0).granted
    backend.settle(BOT, 0.0, 0.01, 0.2)  # only the first was answered yet

    assert not backend.decide(BOT, None, Priority.BULK, limits, 1.0).granted
    assert backend.decide(BOT, None, Priority.BULK, limits, 1.01).granted
    # The other 29 still count from grant + margin.
    assert not backend.decide(BOT, None, Priority.BULK, limits, 1.1).granted
