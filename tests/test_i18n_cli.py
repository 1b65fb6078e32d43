"""`switchboard i18n extract | init | check`, on copies of the installation's catalogues."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from typer.testing import CliRunner

from switchboard import cli
from switchboard.cli import i18n as i18n_commands
from switchboard.kernel.i18n import Translator, load_catalog

runner = CliRunner()


@pytest.fixture
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Copies of every package's locales/ folder, which the commands then work on."""
    copies = {}
    for name, folder in i18n_commands._catalog_folders().items():
        copies[name] = tmp_path / name / "locales"
        shutil.copytree(folder, copies[name])
    monkeypatch.setattr(i18n_commands, "_catalog_folders", lambda: copies)
    return copies


def test_the_shipped_catalogues_pass_the_check() -> None:
    result = runner.invoke(cli.app, ["i18n", "check"])
    assert result.exit_code == 0, result.output
    assert "core: ok (en, ru)" in result.output


def test_check_fails_on_a_missing_text_and_a_wrong_placeholder(folders: dict[str, Path]) -> None:
    ru = folders["core"] / "ru" / "LC_MESSAGES" / "messages.po"
    text = ru.read_text(encoding="utf-8")
    text = text.replace("Рассылка началась. Получателей: {total}.", "Рассылка началась: {count}.")
    text = text.replace('msgstr "Основное"', 'msgstr ""')
    ru.write_text(text, encoding="utf-8")

    result = runner.invoke(cli.app, ["i18n", "check"])
    assert result.exit_code == 1
    assert "ru: missing 'core.title'" in result.output
    assert "ru: 'core.broadcast.started' uses ['count'], English uses ['total']" in result.output
    assert "notes: ok (en, ru)" in result.output


def test_extract_writes_a_template_per_package(folders: dict[str, Path]) -> None:
    result = runner.invoke(cli.app, ["i18n", "extract"])
    assert result.exit_code == 0, result.output
    for folder in folders.values():
        with (folder / "messages.pot").open("rb") as file:
            template = read_po(file)
        keys = {m.id if isinstance(m.id, str) else m.id[0] for m in template if m.id}
        assert keys == set(load_catalog(folder, "en"))
        assert not any(
            m.string if isinstance(m.string, str) else any(m.string) for m in template if m.id
        )


def test_pybabel_update_keeps_catalogues_loadable(folders: dict[str, Path]) -> None:
    # The translators' round trip: template from English, `pybabel update` into each language.
    runner.invoke(cli.app, ["i18n", "extract"])
    folder = folders["core"]
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run(
        [str(pybabel), "update", "-i", str(folder / "messages.pot"), "-d", str(folder)],
        check=True,
        capture_output=True,
    )
    translator = Translator([folder])
    assert translator.t("core.notes_count", "ru", count=5) == "5 заметок"
    assert runner.invoke(cli.app, ["i18n", "check"]).exit_code == 0


def test_init_starts_a_language_that_falls_back_to_english(folders: dict[str, Path]) -> None:
    result = runner.invoke(cli.app, ["i18n", "init", "de"])
    assert result.exit_code == 0, result.output
    core = folders["core"] / "de" / "LC_MESSAGES" / "messages.po"
    assert "nplurals=2" in core.read_text(encoding="utf-8")
    translator = Translator([folders["core"], folders["notes"]])
    assert "de" in translator.locales
    assert translator.t("core.button.yes", "de") == "Yes"  # untranslated: English
    # A missing text is no failure of the check's structure, but it is listed, so CI can see
    # how far a translation has come.
    check = runner.invoke(cli.app, ["i18n", "check"])
    assert check.exit_code == 1 and "de: missing 'core.button.yes'" in check.output

    again = runner.invoke(cli.app, ["i18n", "init", "de"])
    assert "exists, left as it is" in again.output


def test_init_refuses_a_language_without_cldr_data(folders: dict[str, Path]) -> None:
    result = runner.invoke(cli.app, ["i18n", "init", "xx"])
    assert result.exit_code == 2
    assert not any((folder / "xx").exists() for folder in folders.values())
