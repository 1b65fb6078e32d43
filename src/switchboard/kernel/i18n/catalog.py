"""Message catalogues: gettext `.po` files, one per language, read with Babel at start-up.

A package's catalogues live in its `locales/` folder, in the layout gettext, Babel and
aiogram's i18n middleware use:

    locales/en/LC_MESSAGES/messages.po
    locales/ru/LC_MESSAGES/messages.po

The msgid is the dotted key code asks for ("core.start.welcome"); English's msgstr is the English
text. Placeholders are `str.format` fields ("Hi {name}!"). A plural entry has a msgid_plural and
one msgstr[n] per CLDR plural category of its language, in CLDR's order (zero, one, two, few,
many, other, those the language uses): the file's Plural-Forms header is the CLDR rule itself
(`babel.plural.to_gettext`), so translators' tools and our lookup agree on which form is which.

Files are read as they are, with no compile step, so a fresh clone runs.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from importlib.resources.abc import Traversable
from pathlib import Path
from string import Formatter
from typing import Final, TypeAlias

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog as PoCatalog
from babel.messages.pofile import PoFileError, PoFileParser
from babel.plural import PluralRule, to_gettext

__all__ = [
    "DOMAIN",
    "Catalog",
    "CatalogError",
    "Message",
    "catalog_locales",
    "catalog_path",
    "load_catalog",
    "message_texts",
    "placeholders",
    "plural_categories",
    "plural_category",
    "plural_forms_header",
]

# A plain text, or plural forms by CLDR category.
Message: TypeAlias = str | Mapping[str, str]
Catalog: TypeAlias = dict[str, Message]

DOMAIN: Final = "messages"
# CLDR's order of plural categories: msgstr[n] is the n-th of those a language uses.
_CLDR_ORDER: Final = ("zero", "one", "two", "few", "many", "other")
_LOCALE_NAME: Final = re.compile(r"^[A-Za-z]{2,3}([_-][A-Za-z0-9]+)*$")
_FORMATTER = Formatter()


class CatalogError(ValueError):
    """A catalogue file is malformed; raised at load time, so a bad catalogue fails start-up."""


def catalog_path(directory: Traversable | Path, locale: str) -> Traversable | Path:
    """Where the catalogue of `locale` lives under a `locales/` directory."""
    return directory / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def catalog_locales(directory: Traversable | Path) -> list[str]:
    """The languages `directory` has a catalogue for: adding a language is adding a folder."""
    if not directory.is_dir():
        return []
    found = []
    for entry in directory.iterdir():
        if entry.is_dir() and catalog_path(directory, entry.name).is_file():
            if not _LOCALE_NAME.match(entry.name):
                raise CatalogError(f"{entry}: {entry.name!r} is not a language code")
            _plural_rule(entry.name)  # an unknown language fails here, at start-up
            found.append(entry.name)
    return sorted(found)


def load_catalog(directory: Traversable | Path, locale: str) -> Catalog:
    """The catalogue of `locale` in `directory` (empty when it has none).

    Untranslated (empty) and fuzzy entries are left out, as gettext does, so their lookups fall
    back to English.
    """
    source = catalog_path(directory, locale)
    if not source.is_file():
        return {}
    origin = f"{source}"
    document = PoCatalog(locale=locale.replace("-", "_"), domain=DOMAIN)
    try:
        _StrictParser(document, abort_invalid=True).parse(io.BytesIO(source.read_bytes()))
    except (PoFileError, ValueError) as error:
        raise CatalogError(f"{origin}: {error}") from None
    categories = _ordered_categories(locale)
    if document.num_plurals != len(categories):
        raise CatalogError(
            f"{origin}: {locale!r} has {len(categories)} CLDR plural forms "
            f"({', '.join(categories)}); set the header to "
            f'"Plural-Forms: {plural_forms_header(locale)}"'
        )
    catalog: Catalog = {}
    for entry in document:
        if not entry.id or entry.fuzzy:
            continue  # the header, or a guess a translator has not confirmed
        key = entry.id[0] if isinstance(entry.id, tuple | list) else entry.id
        message: Message
        if entry.pluralizable:
            forms = tuple(entry.string) if isinstance(entry.string, tuple | list) else ()
            if not any(forms):
                continue
            if len(forms) != len(categories) or not all(forms):
                raise CatalogError(
                    f"{origin}: {key!r} needs {len(categories)} plural forms "
                    f"({', '.join(categories)})"
                )
            message = dict(zip(categories, forms, strict=True))
        else:
            if not isinstance(entry.string, str):
                raise CatalogError(f"{origin}: {key!r} has plural forms but no msgid_plural")
            if not entry.string:
                continue
            message = entry.string
        for text in message_texts(message):
            _check_format(text, key, origin)
        catalog[key] = message
    return catalog


class _StrictParser(PoFileParser):
    """Babel's parser, refusing a msgid defined twice (msgfmt does; Babel keeps the last)."""

    def _add_message(self) -> None:
        msgid = self.messages[0].denormalize() if self.messages else ""
        if msgid and not self.obsolete and not self.context and msgid in self.catalog:
            raise CatalogError(f"{msgid!r} is defined twice")
        super()._add_message()


def message_texts(message: Message) -> list[str]:
    """Every text of a message: itself, or each of its plural forms."""
    return [message] if isinstance(message, str) else list(message.values())


def placeholders(text: str) -> frozenset[str]:
    """The names of the fields `text` formats, e.g. {"name"} for "Hi {name}!"."""
    names = set()
    for _literal, field, _spec, _conversion in _FORMATTER.parse(text):
        if field is not None:
            # "{user.name}" and "{items[0]}" are fields of the parameter before the accessor.
            names.add(field.split(".", 1)[0].split("[", 1)[0])
    return frozenset(names)


def plural_category(locale: str, n: int | float | Decimal) -> str:
    """The CLDR plural category of `n` in `locale` (Babel's rules; unknown languages: English's).

    An integral float counts as the integer (5.0 is "5", not "5.0"): counts computed with
    division would otherwise pick a fraction's form.
    """
    if (isinstance(n, float) and n.is_integer()) or (
        isinstance(n, Decimal) and n.is_finite() and n == n.to_integral_value()
    ):
        n = int(n)
    return str(_plural_rule(locale)(n))


def plural_categories(locale: str) -> frozenset[str]:
    """The categories a plural entry in `locale` must spell out."""
    return frozenset(_ordered_categories(locale))


def plural_forms_header(locale: str) -> str:
    """The gettext Plural-Forms header of `locale`: CLDR's rule, its forms in CLDR's order."""
    return to_gettext(_plural_rule(locale))


@cache
def _plural_rule(locale: str) -> PluralRule:
    try:
        return Locale.parse(locale.replace("-", "_")).plural_form
    except (UnknownLocaleError, ValueError) as error:
        raise CatalogError(f"no CLDR data for the language {locale!r}: {error}") from None


def _ordered_categories(locale: str) -> tuple[str, ...]:
    tags = _plural_rule(locale).tags | {"other"}
    return tuple(tag for tag in _CLDR_ORDER if tag in tags)


def _check_format(text: str, key: str, origin: str) -> None:
    try:
        names = placeholders(text)
    except ValueError as error:  # unbalanced braces
        raise CatalogError(f"{origin}: {key!r} is not a valid format string: {error}") from None
    if any(not name or name.isdigit() for name in names):
        # Parameters are passed by keyword; a positional field could never be filled.
        raise CatalogError(f"{origin}: {key!r} has a positional field; name every placeholder")
