"""A route's filters: include and exclude keywords and regular expressions on an item's
title, text, author and categories, case-insensitive.

Regular expressions run on google-re2, whose matching time is linear in the text: a pattern
such as `(a+)+$` cannot stall a worker. A pattern re2 cannot compile (a syntax error, or a
feature it leaves out on purpose, like backreferences) is refused when the filter is saved
(`check_filter`), so a stored filter always compiles.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import re2  # type: ignore[import-untyped]  # google-re2 ships no type information

from .models import RepostItem
from .rendering import plain_text

__all__ = [
    "FIELDS",
    "KINDS",
    "FilterError",
    "ItemText",
    "check_filter",
    "item_text",
    "passes",
]

FIELDS = ("any", "title", "text", "author", "categories")
KINDS = ("keyword", "regex")
MAX_PATTERN = 500
# re2 refuses (rather than slowly matches) a pattern whose compiled program outgrows this.
_RE2_MAX_MEM = 1 << 20


class FilterError(ValueError):
    """A filter the user cannot save; `key` is the i18n message, `params` its values."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass(frozen=True)
class ItemText:
    """An item's searchable fields, lower-cased, the text without its HTML."""

    title: str
    text: str
    author: str
    categories: str

    def field(self, name: str) -> str:
        if name == "any":
            return "\n".join((self.title, self.text, self.author, self.categories))
        value: str = getattr(self, name)
        return value


def item_text(item: RepostItem) -> ItemText:

    return ItemText(
        title=item.title.casefold(),
        text=plain_text(item.summary).casefold(),
        author=(item.author or "").casefold(),
        categories="\n".join(str(tag) for tag in item.tags or ()).casefold(),
    )


@lru_cache(maxsize=512)
def _compiled(pattern: str) -> Any:
    options = re2.Options()
    options.case_sensitive = False
    options.max_mem = _RE2_MAX_MEM
    options.log_errors = False
    return re2.compile(pattern, options)


def check_filter(field: str, kind: str, value: str) -> dict[str, str]:
    """The filter as stored, or `FilterError` saying what is wrong with it."""
    value = value.strip()
    if field not in FIELDS:
        raise FilterError("repost.filter.bad_field", fields=", ".join(FIELDS))
    if kind not in KINDS:
        raise FilterError("repost.filter.bad_kind")
    if not value:
        raise FilterError("repost.filter.empty")
    if len(value) > MAX_PATTERN:
        raise FilterError("repost.filter.too_long", limit=MAX_PATTERN)
    if kind == "regex":
        try:
            _compiled(value)
        except re2.error as error:
            reason = error.args[0] if error.args else str(error)
            if isinstance(reason, bytes):
                reason = reason.decode("utf-8", "replace")
            raise FilterError("repost.filter.bad_regex", reason=html.escape(str(reason))) from None
    return {"field": field, "kind": kind, "value": value}


def _matches(rule: dict[str, str], text: ItemText) -> bool:
    haystack = text.field(rule.get("field", "any"))
    value = rule.get("value", "")
    if rule.get("kind") == "regex":
        try:
            return _compiled(value).search(haystack) is not None
        except re2.error:
            return False  # saved before a stricter check: it matches nothing
    return value.casefold() in haystack


def passes(include: list[dict[str, str]], exclude: list[dict[str, str]], text: ItemText) -> bool:
    """An item passes when it matches any include (or there is none) and no exclude."""
    if include and not any(_matches(rule, text) for rule in include):
        return False
    return not any(_matches(rule, text) for rule in exclude)
