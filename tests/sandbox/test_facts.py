"""The Bot API facts the sandbox is checked against ship with the repository: a fresh clone with
nothing beside it runs these tests (they once read a folder beside the checkout)."""

from __future__ import annotations

import hashlib

from . import test_docs
from .conftest import FACTS, REPO, fact_file

FILES = ("api.json", "error-strings.txt", "webapp-initdata-test-vectors.json", "README.md")


def test_facts_live_inside_the_repository() -> None:
    for path in (FACTS, test_docs.SPEC):
        assert path.resolve().is_relative_to(REPO), f"{path} is outside {REPO}"
    for name in FILES:
        assert fact_file(name).is_file()


def test_facts_say_where_they_come_from() -> None:
    readme = fact_file("README.md").read_text()
    for name in FILES[:-1]:
        assert f"`{name}`" in readme, f"README.md does not say where {name} comes from"


def test_vendored_files_are_the_ones_recorded() -> None:
    """The README's sha256 of each file is the file's: an update says what changed."""
    readme = fact_file("README.md").read_text()
    for name in FILES[:-1]:
        digest = hashlib.sha256(fact_file(name).read_bytes()).hexdigest()
        assert f"`{digest}`" in readme, f"{name} changed: record its new sha256 in README.md"
