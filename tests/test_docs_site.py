"""The documentation site (mkdocs.yml, docs/) builds with `mkdocs build --strict`, which fails
on a page missing from the nav, a link to a missing page and a link to a missing anchor (the
`validation:` settings turn each into a warning, strict mode into a failure)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def build(root: Path, site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(root / "mkdocs.yml"),
         "-d", str(site)],
        capture_output=True, text=True, timeout=120, env={"NO_MKDOCS_2_WARNING": "1", "PATH": ""},
    )  # fmt: skip


def test_the_docs_site_builds_strictly(tmp_path: Path) -> None:
    result = build(REPO, tmp_path / "site")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "site" / "scaling" / "index.html").is_file()
    assert (tmp_path / "site" / "app-calendar" / "index.html").is_file()


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "copy"
    shutil.copytree(REPO / "docs", root / "docs")
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    return root


@pytest.mark.parametrize(
    "link",
    ["[gone](no-such-page.md)", "[gone](operations.md#no-such-heading)", "[gone](#nowhere)"],
)
def test_a_broken_link_or_anchor_fails_the_build(tmp_path: Path, link: str) -> None:
    root = _copy(tmp_path)
    page = root / "docs" / "scaling.md"
    page.write_text(page.read_text() + f"\nSee {link}.\n")
    result = build(root, tmp_path / "site")
    assert result.returncode != 0
    assert "gone" in result.stderr or "no-such" in result.stderr or "nowhere" in result.stderr


def test_a_page_left_out_of_the_nav_fails_the_build(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    (root / "docs" / "stray.md").write_text("# Stray\n")
    assert build(root, tmp_path / "site").returncode != 0
