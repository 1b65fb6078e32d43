"""docs/sandbox.md's table of methods is the code's: it fails when they disagree.

Regenerate the table after adding a method:

    uv run python tests/sandbox/test_docs.py --write
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from switchboard.sandbox import methods

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "sandbox.md"
SPEC = Path(__file__).resolve().parent / "data" / "api.json"
START, END = "<!-- methods-table:start -->", "<!-- methods-table:end -->"


def spec_method_names() -> list[str]:
    if not SPEC.exists():
        raise SystemExit(f"{SPEC} is missing: the Bot API spec ships in tests/sandbox/data/")
    return sorted(json.loads(SPEC.read_text())["methods"])


def methods_table(spec_names: list[str]) -> str:
    implemented = set(methods.implemented())
    covered = [name for name in spec_names if name in implemented]
    aliases = sorted(implemented - set(spec_names))
    lines = [
        f"{len(covered)} of the spec's {len(spec_names)} methods are implemented"
        + (f" (plus the old aliases {', '.join(f'`{a}`' for a in aliases)})." if aliases else "."),
        "Any other method answers "
        "`400 Bad Request: method <name> is not supported by the sandbox`.",
        "",
        "| method | in the sandbox |",
        "|---|---|",
    ]
    lines += [f"| `{name}` | {'yes' if name in implemented else '—'} |" for name in spec_names]
    return "\n".join(lines)


def documented_table(text: str) -> str:
    start, end = text.index(START) + len(START), text.index(END)
    return text[start:end].strip()


def test_methods_table_matches_the_code() -> None:
    expected = methods_table(spec_method_names())
    assert documented_table(DOC.read_text()) == expected, (
        "docs/sandbox.md is out of date: run `uv run python tests/sandbox/test_docs.py --write`"
    )


def test_shipped_method_list_is_the_spec() -> None:
    """The sandbox ships the spec's method names (spec_methods.txt) to name unimplemented ones."""
    assert sorted(methods.spec_methods().values()) == spec_method_names()


if __name__ == "__main__":
    table = methods_table(spec_method_names())
    if "--write" in sys.argv:
        text = DOC.read_text()
        head, tail = text[: text.index(START) + len(START)], text[text.index(END) :]
        DOC.write_text(f"{head}\n{table}\n{tail}")
    else:
        print(table)
