"""Texts in the user's language: catalogues (en, ru), plural rules, and locale resolution.

    from switchboard.kernel import i18n

    i18n.t("core.notes_count", "ru", count=21)       # "21 заметка"
    _ = i18n.bind(i18n.resolve_locale(None, "ru-RU"))
    _("core.start.welcome", name="Ann", bot="Switchboard")

The module-level `t` and `bind` use one shared `Translator` with the kernel's catalogues;
build your own `Translator(...)` to add app catalogues.
"""

from __future__ import annotations

from functools import cache

from .catalog import Catalog, CatalogError, Message, load_catalog, placeholders
from .locales import DEFAULT_LOCALE, SUPPORTED_LOCALES, Locale, match_locale, resolve_locale
from .plurals import PluralCategory, plural_categories, plural_category
from .translator import KERNEL_CATALOGS, BoundTranslator, Translate, Translator

__all__ = [
    "DEFAULT_LOCALE",
    "KERNEL_CATALOGS",
    "SUPPORTED_LOCALES",
    "BoundTranslator",
    "Catalog",
    "CatalogError",
    "Locale",
    "Message",
    "PluralCategory",
    "Translate",
    "Translator",
    "bind",
    "default_translator",
    "load_catalog",
    "match_locale",
    "placeholders",
    "plural_categories",
    "plural_category",
    "resolve_locale",
    "t",
]


@cache
def default_translator() -> Translator:
    """The shared translator with the kernel's catalogues, loaded on first use."""
    return Translator()


def t(key: str, locale: str | None, /, **params: object) -> str:
    """`key` in `locale` (falling back to English, then to the key), formatted with `params`."""
    return default_translator().t(key, locale, **params)


def bind(locale: str | None) -> BoundTranslator:
    """A `_(key, **params)` bound to `locale`."""
    return default_translator().bind(locale)
