"""What went wrong with a source, as a sentence for its owner: a stored error code
(`feed_polling.error_code`), and no room for another source (the user's limit or the bot's
quota)."""

from __future__ import annotations

from switchboard.kernel import Translate

from .sources import TooManySources

__all__ = ["describe_error", "too_many_text"]


def describe_error(code: str | None, _: Translate) -> str:
    """A stored `last_error` code (`feed_polling.error_code`) as a sentence for the owner."""
    if not code:
        return ""
    key, _sep, detail = code.partition(":")
    text = _(f"repost.error.{key}")
    if text == f"repost.error.{key}":
        text = _("repost.error.other")
    return f"{text} ({detail})" if detail else text


def too_many_text(full: TooManySources, _: Translate) -> str:
    """Why there is no room: the bot's quota (the platform admin's) or the user's own."""
    key = "repost.sub.bot_quota" if full.per_bot else "repost.sub.too_many"
    return _(key, count=full.limit)
