"""Which bot a command names: "/help@other_bot" is for other_bot, "/help" for whoever reads it."""

from __future__ import annotations

import pytest

from switchboard.kernel.addressing import addressed_to


@pytest.mark.parametrize(
    ("text", "bot"),
    [
        ("/help@other_bot", "other_bot"),
        ("/help@Other_Bot and more", "Other_Bot"),
        ("/find@notes_bot milk", "notes_bot"),
        ("/help", None),
        ("/help me@example.org", None),  # a mention in the arguments names no bot
        ("/help@", None),
        ("hello @other_bot", None),
        ("", None),
        (None, None),
    ],
)
def test_addressed_to(text: str | None, bot: str | None) -> None:
    assert addressed_to(text) == bot
