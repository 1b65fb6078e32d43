"""Issue 13: the README and docs hold in a fresh clone — every link leads to a file in the
repository — and say how to run the demo; `switchboard demo --help` reads plainly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from switchboard.cli import app

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def anchors(text: str) -> set[str]:
    """GitHub's anchors of a markdown file's headings."""
    headings = re.findall(r"^#+\s+(.+)$", text, flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(REPO)))
def test_links_lead_to_files_in_the_repository(doc: Path) -> None:
    text = doc.read_text()
    for target in LINK.findall(text):
        path, _, anchor = target.partition("#")
        assert "://" not in path and not path.startswith("/"), f"{doc.name} links out: {target}"
        linked = (doc.parent / path).resolve() if path else doc
        assert linked.is_relative_to(REPO), f"{doc.name} links outside the repository: {target}"
        assert linked.exists(), f"{doc.name} links to a missing file: {target}"
        if anchor and linked.suffix == ".md":
            assert anchor in anchors(linked.read_text()), f"{doc.name}: no heading #{anchor}"


def test_readme_says_how_to_run_the_demo_and_what_it_keeps() -> None:
    readme = (REPO / "README.md").read_text()
    for needed in ("demo --port", "--web-port", "demo --fresh", "switchboard.db.sandbox.json"):
        assert needed in readme, f"the README does not mention {needed}"
    assert (REPO / "docs" / "architecture.md").exists()


def test_demo_help_shows_plain_placeholders_and_every_flag() -> None:
    result = CliRunner().invoke(app, ["demo", "--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    for flag in ("--host", "--port", "--web-port", "--fresh"):
        assert flag in result.output
    for option in re.findall(r"│ (--[\w-]+.*?)│", result.output):
        if not option.startswith("--help"):  # typer's own
            assert "<" not in option, f"not a plain placeholder: {option.strip()}"
