"""Catalogues, plural rules, fallbacks and locale resolution."""

from __future__ import annotations

import logging
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from switchboard.kernel import i18n
from switchboard.kernel.i18n import (
    SUPPORTED_LOCALES,
    CatalogError,
    Translator,
    placeholders,
    plural_categories,
    plural_category,
    resolve_locale,
)

TRANSLATOR = Translator()

# What the kernel and the core app ask for, and the parameters they pass.
REQUIRED_KEYS: dict[str, set[str]] = {
    "core.title": set(),
    "core.start.welcome": {"name", "bot"},
    "core.start.payload": {"payload"},
    "core.help.title": set(),
    "core.help.app": {"app"},
    "core.language.choose": set(),
    "core.language.set": {"language"},
    "core.language.name": set(),
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
    "core.unknown_command": {"command"},
    "core.error": set(),
    "core.throttled": set(),
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


# --- the catalogues --------------------------------------------------------------------------


def test_every_key_exists_in_every_locale() -> None:
    english = set(TRANSLATOR.catalog("en"))
    for locale in SUPPORTED_LOCALES:
        keys = set(TRANSLATOR.catalog(locale))
        assert keys - english == set(), f"{locale} has keys English lacks"
        assert english - keys == set(), f"{locale} lacks keys"


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_placeholders_match_english(locale: str) -> None:
    for key in TRANSLATOR.catalog("en"):
        assert message_placeholders(locale, key) == message_placeholders("en", key), key


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_the_kernel_finds_every_text_it_needs(locale: str) -> None:
    for key, params in REQUIRED_KEYS.items():
        assert key in TRANSLATOR.catalog(locale), key
        assert message_placeholders(locale, key) == params, key


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_plural_entries_spell_out_each_form_of_their_language(locale: str) -> None:
    for key, message in TRANSLATOR.catalog(locale).items():
        if isinstance(message, str):
            continue
        assert set(message) == plural_categories(locale), key
        for form in message.values():
            assert "count" in placeholders(form), f"{key}: every form shows the number"


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_texts_are_safe_under_any_parse_mode(locale: str) -> None:
    # The bots default to HTML; a stray '<' or '&' in a text would make Telegram reject it.
    for key, message in TRANSLATOR.catalog(locale).items():
        texts = [message] if isinstance(message, str) else list(message.values())
        for text in texts:
            assert not re.search(r"[<>&]", text), key
            assert text == text.strip() and text, key


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_command_descriptions_fit_telegram(locale: str) -> None:
    for key, message in TRANSLATOR.catalog(locale).items():
        if key.startswith("core.cmd."):
            assert isinstance(message, str) and 3 <= len(message) <= 256, key


def test_russian_texts_are_russian() -> None:
    # Catches a key pasted into ru.toml untranslated (names of languages excepted).
    same = {
        key
        for key, message in TRANSLATOR.catalog("ru").items()
        if message == TRANSLATOR.catalog("en")[key]
    }
    assert same <= {"core.help.app"}


# --- lookups ---------------------------------------------------------------------------------


def test_texts_are_formatted_with_their_parameters() -> None:
    assert i18n.t("core.start.welcome", "en", name="Ann", bot="Switchboard").startswith(
        "Hi, Ann! I'm Switchboard"
    )
    assert i18n.t("core.settings.timezone_set", "ru", timezone="Europe/Moscow") == (
        "Запомнил! Ваш часовой пояс теперь Europe/Moscow."
    )


def test_parameters_are_inserted_verbatim_not_formatted_again() -> None:
    text = i18n.t("core.unknown_command", "en", command="/{oops}")
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
    assert i18n.t("core.notes_count", "ru", count=count) == expected


@pytest.mark.parametrize(
    ("count", "expected"), [(0, "0 notes"), (1, "1 note"), (2, "2 notes"), (21, "21 notes")]
)
def test_english_plurals(count: int, expected: str) -> None:
    assert i18n.t("core.notes_count", "en", count=count) == expected


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
    assert i18n.t("core.notes_count", "ru") == "{count} заметки"


def test_missing_text_falls_back_to_english_then_to_the_key(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "en.toml").write_text('[demo]\nonly_en = "Hello {name}"\n', encoding="utf-8")
    translator = Translator([tmp_path])

    with caplog.at_level(logging.WARNING, logger="switchboard.i18n"):
        assert translator.t("demo.only_en", "ru", name="Ann") == "Hello Ann"
        assert translator.t("demo.nowhere", "ru") == "demo.nowhere"
        translator.t("demo.nowhere", "ru")  # reported once, not on every call

    warnings = [record.getMessage() for record in caplog.records]
    assert sum("demo.only_en" in text for text in warnings) == 1
    assert sum("demo.nowhere" in text and "'ru'" in text for text in warnings) == 1


def test_a_missing_parameter_stays_visible_instead_of_failing() -> None:
    assert i18n.t("core.settings.timezone", "en") == "Time zone: {timezone}"


def test_unknown_or_regional_locales_are_normalised() -> None:
    assert i18n.t("core.button.yes", "ru-RU") == "Да"
    assert i18n.t("core.button.yes", "de") == "Yes"
    assert i18n.t("core.button.yes", None) == "Yes"


def test_bind_gives_handlers_their_underscore() -> None:
    _ = i18n.bind("ru")
    assert _.locale == "ru"
    assert _("core.button.cancel") == "Отмена"
    assert _("core.broadcast.done", sent=3, failed=1) == (
        "Рассылка завершена. Доставлено: 3, не доставлено: 1."
    )


def test_apps_add_their_catalogues_but_cannot_redefine_keys(tmp_path: Path) -> None:
    app = tmp_path / "notes"
    app.mkdir()
    (app / "en.toml").write_text('[notes]\nsaved = "Saved!"\n', encoding="utf-8")
    (app / "ru.toml").write_text('[notes]\nsaved = "Сохранено!"\n', encoding="utf-8")
    translator = Translator([app])
    assert translator.t("notes.saved", "ru") == "Сохранено!"
    assert translator.t("core.button.yes", "ru") == "Да"

    clash = tmp_path / "clash"
    clash.mkdir()
    (clash / "en.toml").write_text('[core.button]\nyes = "Yep"\n', encoding="utf-8")
    with pytest.raises(CatalogError, match=r"core\.button\.yes"):
        translator.extend(clash)


@pytest.mark.parametrize(
    "content",
    [
        'broken = "unbalanced {brace"',
        'positional = "Hello {}"',
        "number = 5",
        "[plural]\none = 1\nother = 2",
        "not toml at all = = =",
    ],
)
def test_malformed_catalogues_fail_loudly(tmp_path: Path, content: str) -> None:
    (tmp_path / "en.toml").write_text(content, encoding="utf-8")
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
        ("de", "ru", "ru"),  # an unsupported override falls through
    ],
)
def test_resolve_locale(override: str | None, telegram: str | None, expected: str) -> None:
    assert resolve_locale(override, telegram) == expected


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
    assert {"switchboard/kernel/i18n/en.toml", "switchboard/kernel/i18n/ru.toml"} <= names
