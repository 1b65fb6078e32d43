"""Tools for people who write texts: templates for translators, and the checks CI runs.

`write_template` turns a package's English catalogue into `locales/messages.pot`, the file
`pybabel init` / `pybabel update`, Poedit and Weblate start a translation from; `catalog_problems`
lists what a language lacks or has too many of, and placeholders a translation got wrong.
Code asks for texts by dotted keys, so the English catalogue, not the code, is the source of
truth: every key code uses must be there (a test checks it).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from babel.messages.catalog import Catalog as PoCatalog
from babel.messages.pofile import write_po

from .catalog import (
    DOMAIN,
    Message,
    catalog_locales,
    load_catalog,
    message_texts,
    placeholders,
    plural_forms_header,
)
from .locales import DEFAULT_LOCALE

__all__ = ["catalog_problems", "render_catalog", "write_catalog", "write_template"]

_HEADER: Final = """# {title}: {what}.
#
# msgids are the keys code asks for; English's msgstrs are the source texts. Texts are plain (no
# HTML, no Markdown), so they are safe under any parse mode; keep every {{placeholder}} English
# has. Plural forms follow CLDR, in its order (zero, one, two, few, many, other: those the
# language has), as the Plural-Forms header says. Check with `switchboard i18n check`.
#"""
# A fixed date keeps regenerated files byte-for-byte stable, so diffs show only real changes.
_EPOCH: Final = datetime(2026, 1, 1, tzinfo=UTC)


def render_catalog(
    entries: Mapping[str, Message | None],
    locale: str | None,
    *,
    english: Mapping[str, Message] | None = None,
    title: str = "Switchboard",
) -> bytes:
    """A `.po` (or, with `locale=None`, a `.pot`) holding `entries` in their order.

    An entry of None, or a template, gets empty msgstrs; `english` adds each key's English text
    as a comment, since a msgid that is a key tells a translator little.
    """
    document = PoCatalog(
        locale=locale,
        domain=DOMAIN,
        header_comment=_HEADER.format(
            what=f"texts in {locale!r}" if locale else "texts to translate", title=title
        ),
        project="switchboard",
        version="1",
        creation_date=_EPOCH,
        revision_date=_EPOCH,
        fuzzy=False,
    )
    if locale is not None:
        document.mime_headers = [("Plural-Forms", plural_forms_header(locale))]
    for key, message in entries.items():
        source = (english or {}).get(key)
        comments = [f"en: {text}" for text in message_texts(source)] if source else []
        texts = message_texts(message) if message is not None and locale is not None else []
        is_plural = not isinstance(message if message is not None else source, str | None)
        if is_plural:
            forms = tuple(texts) if texts else ("",) * document.num_plurals
            document.add((key, key), forms, auto_comments=comments)
        else:
            # No python-brace-format flag: the msgid is a key, so msgfmt --check would find every
            # {placeholder} missing from it. `switchboard i18n check` compares them with English.
            document.add(key, texts[0] if texts else "", auto_comments=comments)
    buffer = io.BytesIO()
    write_po(buffer, document, width=100, omit_header=False)
    return buffer.getvalue()


def write_catalog(
    directory: Path,
    locale: str,
    entries: Mapping[str, Message | None],
    english: Mapping[str, Message] | None = None,
) -> Path:
    """Write `locales/<locale>/LC_MESSAGES/messages.po` under `directory`."""
    target = directory / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    content = render_catalog(entries, locale, english=english)  # an unknown language: no folder
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    return target


def write_template(directory: Path) -> Path:
    """`messages.pot` from the English catalogue in `directory`: every key, no translations."""
    english = load_catalog(directory, DEFAULT_LOCALE)
    target = directory / f"{DOMAIN}.pot"
    target.write_bytes(render_catalog(dict(english), None, english=english))
    return target


def catalog_problems(directory: Path) -> list[str]:
    """What is wrong with the catalogues in `directory`, one line per problem (none: empty).

    Every language must have each English key, no key English lacks, and the same placeholders
    as English; malformed files raise `CatalogError` while loading.
    """
    english = load_catalog(directory, DEFAULT_LOCALE)
    problems = []
    if not english:
        problems.append(f"{directory}: no English catalogue ({DEFAULT_LOCALE})")
    for locale in catalog_locales(directory):
        catalog = load_catalog(directory, locale)
        for key in sorted(english.keys() - catalog.keys()):
            problems.append(f"{directory}: {locale}: missing {key!r}")
        for key in sorted(catalog.keys() - english.keys()):
            problems.append(f"{directory}: {locale}: {key!r} is not in the English catalogue")
        for key in sorted(catalog.keys() & english.keys()):
            expected, found = _fields(english[key]), _fields(catalog[key])
            if expected != found:
                problems.append(
                    f"{directory}: {locale}: {key!r} uses {sorted(found)}, "
                    f"English uses {sorted(expected)}"
                )
    return problems


def _fields(message: Message) -> set[str]:
    return set().union(*(placeholders(text) for text in message_texts(message)))
