"""The layers are a check that can fail: import-linter's contracts in pyproject.toml pass on the
tree and fail on a deliberate violation of each kind (issue 12)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(tree / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("layers")
    shutil.copytree(ROOT / "src", copy / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    return copy


def test_the_tree_keeps_every_contract(tree: Path) -> None:
    result = _lint(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("kernel/_violation.py", "import switchboard.web", "layers"),
        ("kernel/_violation.py", "import switchboard.apps.notes", "layers"),
        ("db/_violation.py", "import switchboard.kernel.models", "layers"),
        ("apps/notes/_violation.py", "import switchboard.apps.core", "independent"),
        ("apps/core/_violation.py", "import switchboard.kernel.pipeline.records", "surface"),
        ("sandbox/_violation.py", "import switchboard.settings", "sandbox"),
    ],
)
def test_a_violation_breaks_its_contract(tree: Path, module: str, line: str, contract: str) -> None:
    violation = tree / "src" / "switchboard" / module
    violation.write_text(f"{line}  # a deliberate violation\n")
    try:
        result = _lint(tree)
    finally:
        violation.unlink()
    assert result.returncode != 0, result.stdout
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken, result.stdout
