"""The user guides' screenshots hold together: every image a page shows exists, every committed
screenshot is shown by the page the registry names, and each is made by a browser test (so
`UPDATE_DOC_SCREENSHOTS=1` refreshes them all); together they stay small."""

from __future__ import annotations

import re
from pathlib import Path

from PIL import Image

from browser.doc_screenshots import BESIDE_A_PANEL, DOC_SCREENSHOTS, DOCS_SCREENSHOTS

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\((?P<src>[^)\s]+)")
CODE = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)  # an image there is an example, not shown
MAX_TOTAL = 1_500_000  # bytes, every screenshot together


def images() -> dict[Path, list[tuple[str, str]]]:
    """Each page's images, as (alt text, source) pairs."""
    return {
        page: [(m["alt"], m["src"]) for m in IMAGE.finditer(CODE.sub("", page.read_text()))]
        for page in sorted(DOCS.rglob("*.md"))
    }


def committed() -> set[str]:
    return {path.stem for path in DOCS_SCREENSHOTS.glob("*.png")}


def test_every_image_a_page_shows_exists_and_has_alt_text() -> None:
    shown = [(page, alt, src) for page, found in images().items() for alt, src in found]
    assert shown, "no page shows an image"
    for page, alt, src in shown:
        assert alt.strip(), f"{page.name}: {src} has no alt text"
        assert (page.parent / src).is_file(), f"{page.name} shows {src}, which does not exist"


def test_every_screenshot_is_shown_by_its_page() -> None:
    for name in committed():
        assert name in DOC_SCREENSHOTS, f"docs/screenshots/{name}.png is not in DOC_SCREENSHOTS"
        page = DOCS / DOC_SCREENSHOTS[name]
        assert f"screenshots/{name}.png" in [src for _, src in images()[page]], (
            f"{page.name} does not show screenshots/{name}.png"
        )


def test_every_registered_screenshot_is_committed_and_made_by_a_browser_test() -> None:
    assert committed() == set(DOC_SCREENSHOTS), (
        "run the browser tests with UPDATE_DOC_SCREENSHOTS=1 (docs/contributing.md)"
    )
    sources = "\n".join(p.read_text() for p in (REPO / "tests" / "browser").glob("test_*.py"))
    for name in DOC_SCREENSHOTS:
        call = re.compile(rf'doc_screenshot\(\s*page,\s*artifacts,\s*"{re.escape(name)}"')
        assert call.search(sources), f"no browser test calls doc_screenshot(…, {name!r})"


def test_the_screenshots_are_small() -> None:
    total = 0
    for path in DOCS_SCREENSHOTS.glob("*.png"):
        with Image.open(path) as shot:
            assert shot.width <= BESIDE_A_PANEL["width"], (path.name, shot.size)
            assert shot.height <= BESIDE_A_PANEL["height"], (path.name, shot.size)
        total += path.stat().st_size
    assert total < MAX_TOTAL, f"docs/screenshots/ holds {total} bytes"
