"""The user guides' screenshots (docs/screenshots/NAME.png), taken by the browser tests.

`DOC_SCREENSHOTS` names every one and the page that shows it; each is made by one browser test's
`doc_screenshot(page, artifacts, NAME)` call, which saves it at the guides' size to
tests/artifacts/ (and BROWSER_ARTIFACTS) always, and to docs/screenshots/ when
UPDATE_DOC_SCREENSHOTS=1 (docs/contributing.md has the command). tests/test_doc_screenshots.py
holds the three together: the registry, the committed files and the pages' images.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from PIL import Image
from playwright.async_api import Page, ViewportSize

DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SIZE: ViewportSize = {"width": 900, "height": 700}  # small: a page's column, the repository
DOC_SCREENSHOTS: dict[str, str] = {
    "core-start-settings": "app-core.md",
    "notes-filed": "app-notes.md",
    "calendar-agenda": "app-calendar.md",
    "repost-subscribed": "app-repost.md",
    "match-card": "app-match.md",
    "dashboard-overview": "web.md",
    "miniapp-topics": "web.md",
}
BESIDE_A_PANEL: ViewportSize = {"width": 1200, "height": 700}  # the chat, and the Mini App


def updating() -> bool:
    return os.environ.get("UPDATE_DOC_SCREENSHOTS") == "1"


async def doc_screenshot(page: Page, artifacts: Path, name: str, size: ViewportSize = SIZE) -> Path:
    """The page's viewport at `size` (wider for a page beside a Mini App's panel); the page's
    own size is restored after."""
    assert name in DOC_SCREENSHOTS, f"{name!r} is not in DOC_SCREENSHOTS"
    path = artifacts / f"{name}.png"
    before = page.viewport_size
    await page.set_viewport_size(size)
    await page.wait_for_timeout(300)  # the layout settles at the new width
    try:
        await page.screenshot(path=str(path))
    finally:
        if before is not None:
            await page.set_viewport_size(before)
    _keep(path)
    return path


def _keep(path: Path) -> None:
    """Compacted, copied to BROWSER_ARTIFACTS when CI names it, and to the docs if updating."""
    _compact(path)
    if extra := os.environ.get("BROWSER_ARTIFACTS"):
        Path(extra).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(extra) / path.name)
    if updating():
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, DOCS_SCREENSHOTS / path.name)


def _compact(path: Path) -> None:
    """A palette PNG: flat interface colours lose nothing a reader sees, and the file shrinks."""
    with Image.open(path) as shot:
        small = shot.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)
