"""Looking texts up: `Translator.t(key, locale, **params)` and the locale-bound `_`.

Lookup falls back from the asked locale to English, then to the key itself, so a missing
translation shows up as readable English (or as the key, which is easy to grep for) and is
logged once, never raised: a user never gets an error because a text is missing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Protocol

from babel import Locale as BabelLocale
from babel import UnknownLocaleError

from .catalog import (
    Catalog,
    CatalogError,
    Message,
    catalog_locales,
    load_catalog,
    plural_category,
)
from .locales import DEFAULT_LOCALE, match_locale

__all__ = ["KERNEL_CATALOGS", "BoundTranslator", "Translate", "Translator"]

log = logging.getLogger("switchboard.i18n")

_MATCHES_KEPT = 1024

# The kernel's own texts (its error reply, throttle notice, unknown-command reply) ship in
# `switchboard/kernel/locales/`; every app's live in its own `locales/` folder.
KERNEL_CATALOGS: Traversable = files("switchboard.kernel").joinpath("locales")


class Translate(Protocol):
    """The `_` handlers receive: a translator bound to the user's locale."""

    def __call__(self, key: str, /, **params: object) -> str: ...


class Translator:
    """Every catalogue of the installation, in every language any of them has.

    `Translator()` has the kernel's texts; apps add theirs with `extend(directory)`, a `locales/`
    directory of gettext catalogues (e.g. `files("switchboard.apps.notes") / "locales"`).
    Keys are global, so apps prefix theirs with the app name ("notes.saved"). The languages on
    offer are those some catalogue has: a language one app lacks falls back to English there.
    """

    def __init__(self, sources: Iterable[Traversable | Path] = ()) -> None:
        self._catalogs: dict[str, Catalog] = {DEFAULT_LOCALE: {}}
        self._reported: set[tuple[str, str, str]] = set()
        # Every lookup matches a language tag; remember the answers (the tags users' apps send
        # are few), bounded so odd tags cannot grow it without end.
        self._matched: dict[str | None, str | None] = {}
        for source in (KERNEL_CATALOGS, *sources):
            self.extend(source)

    def extend(self, directory: Traversable | Path) -> None:
        """Add the catalogues in `directory`; a key defined twice is an error."""
        loaded = {locale: load_catalog(directory, locale) for locale in catalog_locales(directory)}
        for locale, catalog in loaded.items():
            clash = catalog.keys() & self._catalogs.get(locale, {}).keys()
            if clash:
                raise CatalogError(f"{directory}: keys already defined: {', '.join(sorted(clash))}")
        for locale, catalog in loaded.items():
            self._catalogs.setdefault(locale, {}).update(catalog)
        self._matched.clear()

    @property
    def locales(self) -> tuple[str, ...]:
        """The languages on offer, English first."""
        return (DEFAULT_LOCALE, *sorted(set(self._catalogs) - {DEFAULT_LOCALE}))

    def language_name(self, locale: str) -> str:
        """The language's own name for itself ("Deutsch", "Русский"), from Babel's CLDR data."""
        try:
            name = BabelLocale.parse(locale.replace("-", "_")).get_display_name(locale)
        except (UnknownLocaleError, ValueError):
            name = None
        return name[:1].upper() + name[1:] if name else locale

    def match(self, code: str | None) -> str | None:
        """The language on offer for an IETF tag ('ru-RU' → 'ru'), if any."""
        try:
            return self._matched[code]
        except KeyError:
            pass
        if len(self._matched) >= _MATCHES_KEPT:
            self._matched.clear()
        matched = self._matched[code] = match_locale(code, self._catalogs)
        return matched

    def resolve(self, user_override: str | None, telegram_language_code: str | None) -> str:
        """The language to answer a user in: /language's choice, then Telegram's, then English."""
        return self.match(user_override) or self.match(telegram_language_code) or DEFAULT_LOCALE

    def catalog(self, locale: str) -> Mapping[str, Message]:
        """The raw entries of one locale (read-only view, for checks and tooling)."""
        return self._catalogs[locale]

    def t(self, key: str, locale: str | None, /, **params: object) -> str:
        """The text of `key` in `locale`, formatted with `params`.

        A plural entry picks its form by the `count` parameter. Parameters are inserted as
        they are: escape them first when the text is sent with an HTML parse mode.
        """
        asked = self.match(locale) or DEFAULT_LOCALE
        found = self._lookup(key, asked)
        if found is None:
            return key
        message, used = found
        text = message if isinstance(message, str) else _plural_form(message, used, params)
        return self._format(text, params, key, used)

    def bind(self, locale: str | None) -> BoundTranslator:
        """A `_(key, **params)` for one locale, the way handlers want it."""
        return BoundTranslator(self, self.match(locale) or DEFAULT_LOCALE)

    def _lookup(self, key: str, locale: str) -> tuple[Message, str] | None:
        message = self._catalogs[locale].get(key)
        if message is not None:
            return message, locale
        self._report("missing", key, locale)
        if locale != DEFAULT_LOCALE:
            message = self._catalogs[DEFAULT_LOCALE].get(key)
            if message is not None:
                return message, DEFAULT_LOCALE
            self._report("missing", key, DEFAULT_LOCALE)
        return None

    def _format(self, text: str, params: Mapping[str, object], key: str, locale: str) -> str:
        values = _Params(params)
        try:
            formatted = text.format_map(values)
        except (ValueError, TypeError, AttributeError, IndexError, KeyError):
            # A parameter of the wrong type for its format spec: show the text unformatted
            # rather than fail the handler.
            self._report("unformattable", key, locale)
            return text
        if values.missing:
            self._report(f"missing parameters {sorted(values.missing)} for", key, locale)
        return formatted

    def _report(self, problem: str, key: str, locale: str) -> None:
        # Once per key and locale: a missing text is a bug to fix, not a stream of warnings.
        if (problem, key, locale) in self._reported:
            return
        self._reported.add((problem, key, locale))
        log.warning("i18n: %s %r in locale %r", problem, key, locale)


@dataclass(frozen=True, slots=True)
class BoundTranslator:
    """A translator with its locale fixed; call it as `_(key, **params)`."""

    translator: Translator
    locale: str

    def __call__(self, key: str, /, **params: object) -> str:
        return self.translator.t(key, self.locale, **params)


class _Params(dict[str, object]):
    """Format parameters that leave an unknown placeholder in place instead of raising."""

    def __init__(self, params: Mapping[str, object]) -> None:
        super().__init__(params)
        self.missing: set[str] = set()

    def __missing__(self, name: str) -> str:
        self.missing.add(name)
        return f"{{{name}}}"


def _plural_form(forms: Mapping[str, str], locale: str, params: Mapping[str, object]) -> str:
    count = params.get("count")
    if isinstance(count, int | float | Decimal) and not isinstance(count, bool):
        category = plural_category(locale, count)
        return forms.get(category, forms["other"])
    return forms["other"]
