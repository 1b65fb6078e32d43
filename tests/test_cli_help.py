"""CLI help a newcomer can read: plain placeholders, and the installed apps where apps are
asked for (issue 13, item 10)."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from switchboard.cli import app
from switchboard.platform.installed_apps import INSTALLED_APPS, installed_apps


def help_of(*command: str) -> str:
    result = CliRunner().invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    return result.output


def options_section(text: str) -> str:
    return text.split("Options:", 1)[1]


def test_options_show_plain_placeholders_not_python_types() -> None:
    for command in (("sandbox",), ("demo",), ("bots", "add"), ("jobs", "list")):
        options = options_section(help_of(*command))
        assert not re.search(r"<(str|int|path|list\[[a-z]+\])>", options), (command, options)


def test_app_names_are_listed_where_apps_are_asked_for() -> None:
    names = list(installed_apps(INSTALLED_APPS))  # the apps' own names, in their order
    for command in (("bots", "add"), ("bots", "apps")):
        text = " ".join(help_of(*command).split())
        assert f"installed: {', '.join(names)}" in text, text
