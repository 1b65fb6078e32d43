"""Regression (issue 13, item 6): `switchboard --help` imported aiogram, SQLAlchemy and the
settings' models, seconds before a line of help. The command's modules now import only typer;
each command imports what it runs. These check which modules load, never how long they take."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("aiogram", "sqlalchemy", "pydantic", "pydantic_settings", "redis", "asyncpg", "rich")


def _loaded_after(code: str) -> set[str]:
    probe = (
        f"{code}\n"
        "import json, sys\n"
        "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


def test_importing_the_cli_imports_no_heavy_module() -> None:
    loaded = _loaded_after("import switchboard.cli")
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


def test_help_imports_no_heavy_module() -> None:
    loaded = _loaded_after(
        "import contextlib, io, sys\n"
        "sys.argv = ['switchboard', '--help']\n"
        "from switchboard.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    main()\n"
    )
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


def test_a_sub_command_group_help_imports_no_heavy_module() -> None:
    # typer itself reads options such as `--owner` (a list of ints) through pydantic.
    heavy = set(HEAVY) - {"pydantic"}
    for group in ("bots", "jobs", "i18n"):
        loaded = _loaded_after(
            "import contextlib, io, sys\n"
            f"sys.argv = ['switchboard', '{group}', '--help']\n"
            "from switchboard.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
            "    main()\n"
        )
        assert loaded.isdisjoint(heavy), (group, sorted(loaded & heavy))
