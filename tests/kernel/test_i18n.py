"""Catalogues (gettext .po read with Babel), CLDR plural rules, fallbacks and locale resolution."""

from __future__ import annotations

import ast
import logging
import re
import zipfile
from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from importlib.resources.abc import Traversable
from pathlib import Path

import pytest

from switchboard.kernel import i18n
from switchboard.kernel.i18n import (
    KERNEL_CATALOGS,
    CatalogError,
    Message,
    Translator,
    catalog_locales,
    placeholders,
    plural_categories,
    plural_category,
    resolve_locale,
)
from switchboard.kernel.i18n.authoring import catalog_problems, write_catalog
from switchboard.platform.installed_apps import installed_apps

APPS = installed_apps()
# Every `locales/` folder of the installation: the kernel's own, then each app's.
FOLDERS: dict[str, Traversable] = {
    "kernel": KERNEL_CATALOGS,
    **{name: app.catalog for name, app in APPS.items() if app.catalog is not None},
}
TRANSLATOR = Translator(list(FOLDERS.values())[1:])
LOCALES = TRANSLATOR.locales
SRC = Path(__file__).resolve().parents[2] / "src" / "switchboard"

# What the kernel and the core app ask for, and the parameters they pass.
REQUIRED_KEYS: dict[str, set[str]] = {
    "kernel.error": set(),
    "kernel.throttled": set(),
    "kernel.unknown_command": {"command"},
    "core.title": set(),
    "core.start.welcome": {"name", "bot"},
    "core.start.payload": {"payload"},
    "core.help.title": set(),
    "core.help.app": {"app"},
    "core.language.choose": set(),
    "core.language.set": {"language"},
    "core.settings.title": set(),
    "core.settings.timezone": {"timezone"},
    "core.settings.timezone_prompt": set(),
    "core.settings.timezone_set": {"timezone"},
    "core.settings.timezone_unknown": {"value"},
    "core.privacy.summary": set(),
    "core.privacy.export_ready": set(),
    "core.privacy.delete_confirm": set(),
    "core.privacy.deleted": set(),
    "core.privacy.cancelled": set(),
    "core.stats": {"users", "chats", "updates"},
    "core.broadcast.usage": set(),
    "core.broadcast.started": {"total"},
    "core.broadcast.progress": {"sent", "failed", "total"},
    "core.broadcast.done": {"sent", "failed"},
    "core.owner_only": set(),
    "core.button.yes": set(),
    "core.button.no": set(),
    "core.button.cancel": set(),
    "core.button.export": set(),
    "core.button.delete": set(),
    "core.cmd.start": set(),
    "core.cmd.help": set(),
    "core.cmd.language": set(),
    "core.cmd.settings": set(),
    "core.cmd.privacy": set(),
    "core.cmd.stats": set(),
    "core.cmd.broadcast": set(),
    "core.notes_count": {"count"},
}


def message_placeholders(locale: str, key: str) -> set[str]:
    message = TRANSLATOR.catalog(locale)[key]
    texts = [message] if isinstance(message, str) else list(message.values())
    return set().union(*(placeholders(text) for text in texts))


@cache
def texts_used_in_code() -> dict[str, str]:
    """Every string literal in src/ shaped like a text key ("core.start.welcome"), and where.

    Docstrings, job names (`*_JOB = "notes.file"`) and router names are not text keys.
    """
    shape = re.compile(rf"^({'|'.join(['kernel', *APPS])})(\.[a-z_]+)+$")
    found: dict[str, str] = {}
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip: set[int] = set()
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Expr)
                or (
                    isinstance(node, ast.Assign)
                    and all(
                        isinstance(target, ast.Name) and target.id.endswith("_JOB")
                        for target in node.targets
                    )
                )
                or (isinstance(node, ast.keyword) and node.arg == "name")
            ):
                skip.add(id(node.value))
        heads: set[int] = set()  # the literal start of an f-string key: f"calendar.x_{y}"
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr) and node.values:
                heads.add(id(node.values[0]))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in skip
                and shape.match(node.value)
            ):
                key = node.value + ("*" if id(node) in heads else "")
                found.setdefault(key, f"{path.relative_to(SRC)}:{node.lineno}")
    return found


def has_text(key: str, catalog: Mapping[str, object]) -> bool:
    """A key has its text; a key ending in "*" (an f-string's start) has at least one."""
    if key.endswith("*"):
        return any(name.startswith(key[:-1]) for name in catalog)
    return key in catalog


# --- the catalogues --------------------------------------------------------------------------


def test_the_languages_are_those_with_catalogues() -> None:
    assert LOCALES == ("en", "ru")
    for folder in FOLDERS.values():
        assert catalog_locales(folder) == ["en", "ru"], folder


@pytest.mark.parametrize("name", FOLDERS)
def test_each_package_passes_the_catalogue_check(name: str) -> None:
    # What `switchboard i18n check` reports: missing or extra keys, placeholders unlike English.
    assert catalog_problems(Path(str(FOLDERS[name]))) == []


def test_every_key_exists_in_every_locale() -> None:
    english = set(TRANSLATOR.catalog("en"))
    for locale in LOCALES:
        keys = set(TRANSLATOR.catalog(locale))
        assert keys - english == set(), f"{locale} has keys English lacks"
        assert english - keys == set(), f"{locale} lacks keys"


@pytest.mark.parametrize("locale", LOCALES)
def test_placeholders_match_english(locale: str) -> None:
    for key in TRANSLATOR.catalog("en"):
        assert message_placeholders(locale, key) == message_placeholders("en", key), key


@pytest.mark.parametrize("locale", LOCALES)
def test_the_kernel_finds_every_text_it_needs(locale: str) -> None:
    for key, params in REQUIRED_KEYS.items():
        assert key in TRANSLATOR.catalog(locale), key
        assert message_placeholders(locale, key) == params, key


@pytest.mark.parametrize("locale", LOCALES)
def test_every_key_used_in_code_has_a_text(locale: str) -> None:
    used = texts_used_in_code()
    assert len(used) > 80  # the scan finds the keys at all
    catalog = TRANSLATOR.catalog(locale)
    missing = {key: where for key, where in used.items() if not has_text(key, catalog)}
    assert missing == {}


def test_the_kernel_keeps_only_its_own_texts() -> None:
    # Core's texts live in apps/core/locales, each app's under its own name.
    kernel = set(Translator().catalog("en"))
    # The email service's (kernel.email: emails, and the pages their links open).
    emails = {key for key in kernel if key.startswith("kernel.email.")}
    assert "kernel.email.confirm.subject" in emails
    assert kernel - emails == {
        "kernel.error",
        "kernel.throttled",
        "kernel.unknown_command",
        # The questions any app asks: their Cancel button and what it says (kernel.questions).
        "kernel.question.cancel",
        "kernel.question.cancelled",
        "kernel.question.closed",
        "kernel.question.not_yours",
        "kernel.question.left",
        "kernel.menu_button",  # every bot's menu button opening the Mini App
    }
    for name, folder in FOLDERS.items():
        for locale in LOCALES:
            keys = i18n.load_catalog(folder, locale)
            assert keys and all(key.startswith(f"{name}.") for key in keys), (name, locale)


@pytest.mark.parametrize("locale", LOCALES)
def test_plural_entries_spell_out_each_form_of_their_language(locale: str) -> None:
    for key, message in TRANSLATOR.catalog(locale).items():
        if isinstance(message, str):
            continue
        assert set(message) == plural_categories(locale), key
        for form in message.values():
            assert "count" in placeholders(form), f"{key}: every form shows the number"


# Texts only ever sent as plain text (parse_mode=None): a match card holds the user's own
# words, and its distance reads "< 1 km" as the issue writes it.
PLAIN_TEXT_ONLY = {"match.card.near"}


@pytest.mark.parametrize("locale", LOCALES)
def test_texts_are_safe_under_any_parse_mode(locale: str) -> None:
    # The bots default to HTML; a stray '<' or '&' in a text would make Telegram reject it.
    for key, message in TRANSLATOR.catalog(locale).items():
        texts = [message] if isinstance(message, str) else list(message.values())
        for text in texts:
            assert key in PLAIN_TEXT_ONLY or not re.search(r"[<>&]", text), key
            assert text == text.strip() and text, key


@pytest.mark.parametrize("locale", LOCALES)
def test_command_descriptions_fit_telegram(locale: str) -> None:
    for key, message in TRANSLATOR.catalog(locale).items():
        if key.startswith("core.cmd."):
            assert isinstance(message, str) and 3 <= len(message) <= 256, key


def test_russian_texts_are_russian() -> None:
    # Catches a key pasted into ru's messages.po untranslated.
    same = {
        key
        for key, message in TRANSLATOR.catalog("ru").items()
        if message == TRANSLATOR.catalog("en")[key]
    }
    symbols_and_placeholders = {
        "core.help.app",
        "notes.topics.item",
        "calendar.card.title",
        "calendar.card.when",
        "calendar.card.where",
        "repost.sources.item",
        "calendar.source.caldav",  # a protocol's name
    }
    assert same <= symbols_and_placeholders


# --- lookups ---------------------------------------------------------------------------------


def test_texts_are_formatted_with_their_parameters() -> None:
    assert TRANSLATOR.t("core.start.welcome", "en", name="Ann", bot="Switchboard").startswith(
        "Hi, Ann! I'm Switchboard"
    )
    assert TRANSLATOR.t("core.settings.timezone_set", "ru", timezone="Europe/Moscow") == (
        "Запомнил! Ваш часовой пояс теперь Europe/Moscow."
    )


def test_parameters_are_inserted_verbatim_not_formatted_again() -> None:
    text = TRANSLATOR.t("kernel.unknown_command", "en", command="/{oops}")
    assert "/{oops}" in text


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (0, "0 заметок"),
        (1, "1 заметка"),
        (2, "2 заметки"),
        (4, "4 заметки"),
        (5, "5 заметок"),
        (11, "11 заметок"),
        (12, "12 заметок"),
        (14, "14 заметок"),
        (21, "21 заметка"),
        (22, "22 заметки"),
        (25, "25 заметок"),
        (101, "101 заметка"),
        (111, "111 заметок"),
        (1.5, "1.5 заметки"),
    ],
)
def test_russian_plurals(count: float, expected: str) -> None:
    assert TRANSLATOR.t("core.notes_count", "ru", count=count) == expected


@pytest.mark.parametrize(
    ("count", "expected"), [(0, "0 notes"), (1, "1 note"), (2, "2 notes"), (21, "21 notes")]
)
def test_english_plurals(count: int, expected: str) -> None:
    assert TRANSLATOR.t("core.notes_count", "en", count=count) == expected


def test_plural_categories_follow_cldr() -> None:
    assert [plural_category("ru", n) for n in (1, 3, 7, 13, 31, 1004, -2)] == [
        "one",
        "few",
        "many",
        "many",
        "one",
        "few",
        "few",
    ]
    assert plural_category("ru", Decimal("2.5")) == "other"
    assert plural_category("ru", 5.0) == "many"  # an integral float counts as the integer
    assert plural_category("en", 1) == "one"
    assert plural_category("en", 1.5) == "other"


def test_a_plural_without_count_uses_the_other_form() -> None:
    assert TRANSLATOR.t("core.notes_count", "ru") == "{count} заметки"


def write_po(folder: Path, locale: str, body: str, plural_forms: str | None = None) -> None:
    """A hand-written catalogue, as a translator's tool would leave it."""
    target = folder / locale / "LC_MESSAGES" / "messages.po"
    target.parent.mkdir(parents=True, exist_ok=True)
    forms = plural_forms or i18n.plural_forms_header(locale)
    header = (
        'msgid ""\nmsgstr ""\n'
        '"Content-Type: text/plain; charset=UTF-8\\n"\n'
        f'"Plural-Forms: {forms}\\n"\n\n'
    )
    target.write_text(header + body, encoding="utf-8")


def test_missing_text_falls_back_to_english_then_to_the_key(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_po(tmp_path, "en", 'msgid "demo.only_en"\nmsgstr "Hello {name}"\n')
    # An untranslated (empty) or fuzzy entry is no translation, as in gettext.
    write_po(
        tmp_path,
        "ru",
        'msgid "demo.only_en"\nmsgstr ""\n\n#, fuzzy\nmsgid "demo.guess"\nmsgstr "Угадал"\n',
    )
    translator = Translator([tmp_path])

    with caplog.at_level(logging.WARNING, logger="switchboard.i18n"):
        assert translator.t("demo.only_en", "ru", name="Ann") == "Hello Ann"
        assert translator.t("demo.guess", "ru") == "demo.guess"
        assert translator.t("demo.nowhere", "ru") == "demo.nowhere"
        translator.t("demo.nowhere", "ru")  # reported once, not on every call

    warnings = [record.getMessage() for record in caplog.records]
    assert sum("demo.only_en" in text for text in warnings) == 1
    assert sum("demo.nowhere" in text and "'ru'" in text for text in warnings) == 1


def test_a_missing_parameter_stays_visible_instead_of_failing() -> None:
    assert TRANSLATOR.t("core.settings.timezone", "en") == "Time zone: {timezone}"


def test_unknown_or_regional_locales_are_normalised() -> None:
    assert TRANSLATOR.t("core.button.yes", "ru-RU") == "Да"
    assert TRANSLATOR.t("core.button.yes", "de") == "Yes"
    assert TRANSLATOR.t("core.button.yes", None) == "Yes"


def test_bind_gives_handlers_their_underscore() -> None:
    _ = TRANSLATOR.bind("ru")
    assert _.locale == "ru"
    assert _("core.button.cancel") == "Отмена"
    assert _("core.broadcast.done", sent=3, failed=1) == (
        "Рассылка завершена. Доставлено: 3, не доставлено: 1."
    )


def test_apps_add_their_catalogues_but_cannot_redefine_keys(tmp_path: Path) -> None:
    app = tmp_path / "demo"
    write_po(app, "en", 'msgid "demo.saved"\nmsgstr "Saved!"\n')
    write_po(app, "ru", 'msgid "demo.saved"\nmsgstr "Сохранено!"\n')
    translator = Translator([*list(FOLDERS.values())[1:], app])
    assert translator.t("demo.saved", "ru") == "Сохранено!"
    assert translator.t("core.button.yes", "ru") == "Да"

    clash = tmp_path / "clash"
    write_po(clash, "en", 'msgid "core.button.yes"\nmsgstr "Yep"\n')
    with pytest.raises(CatalogError, match=r"core\.button\.yes"):
        translator.extend(clash)


def test_a_new_language_is_a_folder_with_cldr_plurals(tmp_path: Path) -> None:
    app = tmp_path / "demo"
    write_po(
        app,
        "en",
        'msgid "demo.files"\nmsgid_plural "demo.files"\n'
        'msgstr[0] "{count} file"\nmsgstr[1] "{count} files"\n',
    )
    # Polish: one, few, many, other, in CLDR's order, as the header says.
    write_po(
        app,
        "pl",
        'msgid "demo.files"\nmsgid_plural "demo.files"\nmsgstr[0] "{count} plik"\n'
        'msgstr[1] "{count} pliki"\nmsgstr[2] "{count} plików"\nmsgstr[3] "{count} pliku"\n',
    )
    translator = Translator([app])
    assert translator.locales == ("en", "pl", "ru")  # the kernel has ru; the app brought pl
    assert translator.resolve(None, "pl-PL") == "pl"
    assert translator.language_name("pl") == "Polski"
    assert [translator.t("demo.files", "pl", count=n) for n in (1, 3, 5, 22, 1.5)] == [
        "1 plik",
        "3 pliki",
        "5 plików",
        "22 pliki",
        "1.5 pliku",
    ]
    assert translator.t("kernel.error", "pl") == translator.t("kernel.error", "en")


def test_a_template_for_translators_lists_every_key(tmp_path: Path) -> None:
    from babel.messages.pofile import read_po

    from switchboard.kernel.i18n.authoring import write_template

    app = tmp_path / "demo"
    write_catalog(
        app, "en", {"demo.hi": "Hi {name}", "demo.n": {"one": "{count}", "other": "{count}s"}}
    )
    template = read_po(write_template(app).open("rb"))
    entries = {
        message.id if isinstance(message.id, str) else message.id[0]: message
        for message in template
        if message.id
    }
    assert set(entries) == {"demo.hi", "demo.n"}
    assert entries["demo.n"].pluralizable and not any(entries["demo.n"].string)
    assert entries["demo.hi"].string == "" and entries["demo.hi"].auto_comments == ["en: Hi {name}"]


def test_the_check_names_missing_extra_and_mismatched_texts(tmp_path: Path) -> None:
    english: dict[str, Message] = {"demo.a": "A {x}", "demo.b": "B", "demo.c": "C"}
    write_catalog(tmp_path, "en", english)
    write_catalog(tmp_path, "ru", {"demo.a": "А {y}", "demo.b": None, "demo.c": "В", "demo.z": "Z"})
    problems = "\n".join(catalog_problems(tmp_path))
    assert "ru: missing 'demo.b'" in problems
    assert "ru: 'demo.z' is not in the English catalogue" in problems
    assert "ru: 'demo.a' uses ['y'], English uses ['x']" in problems
    assert "demo.c" not in problems


@pytest.mark.parametrize(
    ("locale", "body", "plural_forms"),
    [
        ("en", 'msgid "broken"\nmsgstr "unbalanced {brace"\n', None),
        ("en", 'msgid "positional"\nmsgstr "Hello {}"\n', None),
        ("en", 'msgid "plural"\nmsgid_plural "plural"\nmsgstr[0] "{count} x"\n', None),
        ("en", "not a po file at all = = =\n", None),
        ("en", 'msgid "a"\nmsgstr "A"\n\nmsgid "a"\nmsgstr "B"\n', None),
        # gettext's classic three Russian forms lack CLDR's "other" (fractions): say so.
        ("ru", 'msgid "a"\nmsgstr "А"\n', "nplurals=3; plural=(n%10==1 ? 0 : 1);"),
        ("xx", 'msgid "a"\nmsgstr "A"\n', "nplurals=2; plural=(n != 1);"),
    ],
)
def test_malformed_catalogues_fail_loudly(
    tmp_path: Path, locale: str, body: str, plural_forms: str | None
) -> None:
    write_po(tmp_path, locale, body, plural_forms or ("nplurals=2; plural=(n != 1);"))
    with pytest.raises(CatalogError):
        Translator([tmp_path])


# --- locale resolution -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("override", "telegram", "expected"),
    [
        (None, None, "en"),
        (None, "ru", "ru"),
        (None, "ru-RU", "ru"),
        (None, "RU_ru", "ru"),
        (None, "en-GB", "en"),
        (None, "uk", "en"),  # no Ukrainian catalogue, and Russian is no substitute for it
        (None, "", "en"),
        ("en", "ru", "en"),  # /language wins over the Telegram app's language
        ("ru", "en-US", "ru"),
        ("de", "ru", "ru"),  # a language without a catalogue falls through
    ],
)
def test_resolve_locale(override: str | None, telegram: str | None, expected: str) -> None:
    assert resolve_locale(override, telegram, ("en", "ru")) == expected
    assert TRANSLATOR.resolve(override, telegram) == expected


def test_a_regional_catalogue_wins_over_its_language() -> None:
    assert resolve_locale("pt-br", None, ("en", "pt", "pt_BR")) == "pt_BR"
    assert resolve_locale("pt-PT", None, ("en", "pt", "pt_BR")) == "pt"


# --- packaging -------------------------------------------------------------------------------


def test_catalogues_ship_in_the_wheel(tmp_path: Path) -> None:
    import subprocess

    root = Path(__file__).resolve().parents[2]
    subprocess.run(
        ["uv", "build", "--wheel", "--out-dir", str(tmp_path), str(root)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        f"switchboard/{package}/locales/{locale}/LC_MESSAGES/messages.po"
        for package in ("kernel", "apps/core", "apps/notes")
        for locale in ("en", "ru")
    }
    assert expected <= names
    assert not any(name.endswith(".toml") and "/i18n/" in name for name in names)
