"""Which language to answer in: the user's own choice first, then Telegram's, then English.

The languages on offer are those with a catalogue (`Translator.locales`): adding a language is
adding a catalogue folder, and nothing here names one.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Final

__all__ = ["DEFAULT_LOCALE", "match_locale", "resolve_locale"]

DEFAULT_LOCALE: Final = "en"


def match_locale(code: str | None, available: Collection[str]) -> str | None:
    """The locale in `available` of an IETF language tag ('ru-RU', 'ru_RU', 'RU' → 'ru').

    A catalogue for the full tag wins ('pt_BR' for 'pt-br'); otherwise the primary language
    subtag counts. Languages without a catalogue are not mapped to a "close" one ('uk' is not
    'ru').
    """
    if not code:
        return None
    wanted = code.strip().replace("-", "_").lower()
    by_tag = {locale.replace("-", "_").lower(): locale for locale in available}
    return by_tag.get(wanted) or by_tag.get(wanted.split("_", 1)[0])


def resolve_locale(
    user_override: str | None, telegram_language_code: str | None, available: Collection[str]
) -> str:
    """The locale to answer a user in.

    `user_override` is the language picked with /language and wins over the language the
    user's Telegram app reports (`User.language_code`); with neither available, English.
    """
    return (
        match_locale(user_override, available)
        or match_locale(telegram_language_code, available)
        or DEFAULT_LOCALE
    )
