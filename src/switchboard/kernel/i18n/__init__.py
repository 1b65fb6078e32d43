"""Texts in the user's language: gettext catalogues read with Babel, CLDR plural rules, locales.

    from switchboard.kernel import i18n

    i18n.t("kernel.error", "ru")
    _ = i18n.bind(i18n.default_translator().resolve(None, "ru-RU"))
    _("kernel.unknown_command", command="/frobnicate")

The module-level `t` and `bind` use one shared `Translator` with the kernel's catalogues;
build your own `Translator([...])` to add app catalogues (each app's `locales/` folder).
"""

from __future__ import annotations

from functools import cache

from .catalog import (
    DOMAIN,
    Catalog,
    CatalogError,
    Message,
    catalog_locales,
    catalog_path,
    load_catalog,
    placeholders,
    plural_categories,
    plural_category,
    plural_forms_header,
)
from .locales import DEFAULT_LOCALE, match_locale, resolve_locale
from .translator import KERNEL_CATALOGS, BoundTranslator, Translate, Translator

__all__ = [
    "DEFAULT_LOCALE",
    "DOMAIN",
    "KERNEL_CATALOGS",
    "BoundTranslator",
    "Catalog",
    "CatalogError",
    "Message",
    "Translate",
    "Translator",
    "bind",
    "catalog_locales",
    "catalog_path",
    "default_translator",
    "load_catalog",
    "match_locale",
    "placeholders",
    "plural_categories",
    "plural_category",
    "plural_forms_header",
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
