"""A source's stored error code (`feed_polling.error_code`) as a sentence for its owner."""

from __future__ import annotations

from switchboard.kernel import Translate

__all__ = ["describe_error"]


def describe_error(code: str | None, _: Translate) -> str:
    """A stored `last_error` code (`feed_polling.error_code`) as a sentence for the owner."""
    if not code:
        return ""
    key, _sep, detail = code.partition(":")
    text = _(f"repost.error.{key}")
    if text == f"repost.error.{key}":
        text = _("repost.error.other")
    return f"{text} ({detail})" if detail else text
