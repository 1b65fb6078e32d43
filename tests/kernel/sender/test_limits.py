from __future__ import annotations

import pytest

from switchboard.kernel.sender import (
    TELEGRAM_LIMITS,
    SendTarget,
    is_counted_method,
    is_group_chat,
)


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


def test_the_margin_widens_every_window_and_period() -> None:
    widened = TELEGRAM_LIMITS.with_margin(0.05)

    assert widened.per_bot.window == pytest.approx(1.05)
    assert widened.per_chat.refill_period == pytest.approx(1.05)
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
