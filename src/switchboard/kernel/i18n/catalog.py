"""Message catalogues: one TOML file per locale, flattened into dotted keys.

A catalogue file is nested tables of strings:

    [core.start]
    welcome = "Hi {name}!"            # key "core.start.welcome"

    [core.notes_count]                # a plural entry: a table of CLDR categories with "other"
    one = "{count} note"
    other = "{count} notes"

Placeholders are `str.format` fields. A table counts as a plural entry when all its keys are
CLDR categories (zero/one/two/few/many/other) and "other" is among them.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from importlib.resources.abc import Traversable
from pathlib import Path
from string import Formatter
from typing import Any, TypeAlias

from .plurals import PLURAL_CATEGORIES

__all__ = [
    "Catalog",
    "CatalogError",
    "Message",
    "load_catalog",
    "message_texts",
    "placeholders",
]

# A plain text, or plural forms by CLDR category.
Message: TypeAlias = str | Mapping[str, str]
Catalog: TypeAlias = dict[str, Message]

_FORMATTER = Formatter()


class CatalogError(ValueError):
    """A catalogue file is malformed; raised at load time, so a bad catalogue fails start-up."""


def load_catalog(directory: Traversable | Path, locale: str) -> Catalog:
    """The catalogue `<locale>.toml` in `directory` (empty when the file does not exist)."""
    source = directory / f"{locale}.toml"
    if not source.is_file():
        return {}
    origin = f"{source}"
    try:
        document = tomllib.loads(source.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise CatalogError(f"{origin}: {error}") from None
    catalog: Catalog = {}
    for key, message in _flatten(document, prefix="", origin=origin):
        for text in message_texts(message):
            _check_format(text, key, origin)
        catalog[key] = message
    return catalog


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


def _flatten(table: Mapping[str, Any], prefix: str, origin: str) -> Iterator[tuple[str, Message]]:
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, str):
            yield key, value
        elif isinstance(value, dict) and _is_plural(value):
            if not all(isinstance(form, str) for form in value.values()):
                raise CatalogError(f"{origin}: plural forms of {key!r} must be strings")
            yield key, dict(value)
        elif isinstance(value, dict):
            yield from _flatten(value, f"{key}.", origin)
        else:
            raise CatalogError(f"{origin}: {key!r} is a {type(value).__name__}, expected text")


def _is_plural(table: Mapping[str, Any]) -> bool:
    return "other" in table and table.keys() <= PLURAL_CATEGORIES


def _check_format(text: str, key: str, origin: str) -> None:
    try:
        names = placeholders(text)
    except ValueError as error:  # unbalanced braces
        raise CatalogError(f"{origin}: {key!r} is not a valid format string: {error}") from None
    if any(not name or name.isdigit() for name in names):
        # Parameters are passed by keyword; a positional field could never be filled.
        raise CatalogError(f"{origin}: {key!r} has a positional field; name every placeholder")
