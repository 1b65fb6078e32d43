"""The two single-page apps, built by `frontend/` and committed under `web/static/`: the owners'
dashboard at `/dashboard/` and the Telegram Mini App at `/app`.

Their `assets/` are content-hashed, so a browser may keep them for a year; `index.html` is
answered for every client-side route under the app (the SPA's router takes it from there) and
revalidated on each visit, so a new build is picked up at once.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

__all__ = ["STATIC", "mount_spas"]

STATIC = Path(__file__).parent / "static"
ASSET_CACHE = "public, max-age=31536000, immutable"
INDEX_CACHE = "no-cache"


class HashedAssets(StaticFiles):
    """Static files whose names change with their content: cached for good."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = ASSET_CACHE
        return response


def _index(folder: Path) -> FileResponse:
    return FileResponse(
        folder / "index.html", media_type="text/html", headers={"Cache-Control": INDEX_CACHE}
    )


def mount_spas(app: FastAPI, static: Path = STATIC) -> None:
    """`/dashboard/…` and `/app/…` on `app`, each an index page and its hashed assets."""
    dashboard, miniapp = static / "dashboard", static / "miniapp"
    for prefix, folder in (("/dashboard", dashboard), ("/app", miniapp)):
        app.mount(
            f"{prefix}/assets",
            HashedAssets(directory=folder / "assets", check_dir=False),
            name=f"{prefix[1:]}-assets",
        )

    @app.get("/dashboard", include_in_schema=False)
    async def dashboard_root() -> RedirectResponse:
        return RedirectResponse("/dashboard/", status_code=308)

    @app.get("/dashboard/{route:path}", include_in_schema=False)
    async def dashboard_page(route: str) -> FileResponse:
        return _index(dashboard)

    @app.get("/app", include_in_schema=False)
    @app.get("/app/{route:path}", include_in_schema=False)
    async def miniapp_page(route: str = "") -> FileResponse:
        return _index(miniapp)
