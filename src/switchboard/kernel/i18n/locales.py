"""Which language to answer in: the user's own choice first, then Telegram's, then English."""

from __future__ import annotations

from typing import Final, Literal

__all__ = ["DEFAULT_LOCALE", "SUPPORTED_LOCALES", "Locale", "match_locale", "resolve_locale"]

Locale = Literal["en", "ru"]

DEFAULT_LOCALE: Final[Locale] = "en"
SUPPORTED_LOCALES: Final[tuple[Locale, ...]] = ("en", "ru")

_BY_LANGUAGE: Final[dict[str, Locale]] = {locale: locale for locale in SUPPORTED_LOCALES}


def match_locale(code: str | None) -> Locale | None:
    """The supported locale of an IETF language tag ('ru-RU', 'ru_RU', 'RU' → 'ru'), if any.

    Only the primary language subtag counts: there is one English and one Russian catalogue.
    Languages without a catalogue are not mapped to a "close" one ('uk' is not 'ru').
    """
    if not code:
        return None
    language = code.strip().replace("_", "-").split("-", 1)[0].lower()
    return _BY_LANGUAGE.get(language)


def resolve_locale(user_override: str | None, telegram_language_code: str | None) -> Locale:
    """The locale to answer a user in.

    `user_override` is the language picked with /language and wins over the language the
    user's Telegram app reports (`User.language_code`); with neither supported, English.
    """
    return match_locale(user_override) or match_locale(telegram_language_code) or DEFAULT_LOCALE
