"""The delivery log's message links: t.me/<username>/… for a public chat, t.me/c/… for a
private channel or supergroup, none where Telegram has no message links (a private chat with
the bot, a basic group)."""

from __future__ import annotations

from switchboard.apps.repost.targets import target_link


def test_a_public_channel_is_linked_by_its_username() -> None:
    assert target_link(-1001234567890, 42, 0, "daily_news") == "https://t.me/daily_news/42"
    assert target_link(-1001234567890, 42, 7, "club") == "https://t.me/club/7/42"


def test_a_private_channel_or_supergroup_is_linked_by_its_internal_id() -> None:
    assert target_link(-1001234567890, 42) == "https://t.me/c/1234567890/42"
    assert target_link(-1001234567890, 42, 7) == "https://t.me/c/1234567890/7/42"


def test_a_private_chat_or_basic_group_has_no_link() -> None:
    assert target_link(100000777, 42) == ""  # the owner's private chat with the bot
    assert target_link(-4001234, 42) == ""  # a basic group
