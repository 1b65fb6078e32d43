"""The built dashboard and Mini App as the web app serves them: the index page for any client
route (revalidated each visit), the content-hashed assets cached for a year, a 404 for an asset
that is not there."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI

from switchboard.web.spa import STATIC, mount_spas


def _client() -> httpx.AsyncClient:
    app = FastAPI()
    mount_spas(app)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://spa")


def _assets(index: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/(?:dashboard|app)/assets/[^"]+)"', index)


async def test_client_routes_get_the_dashboard_index_and_its_assets_are_cached() -> None:
    built = (STATIC / "dashboard" / "index.html").read_text("utf-8")
    async with _client() as client:
        for path in ("/dashboard/", "/dashboard/bots", "/dashboard/apps/repost"):
            page = await client.get(path)
            assert page.status_code == 200, path
            assert page.text == built
            assert page.headers["cache-control"] == "no-cache"
        assets = _assets(built)
        assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
        for asset in assets:
            served = await client.get(asset)
            assert served.status_code == 200, asset
            assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
        missing = await client.get("/dashboard/assets/index-nothere.js")
        assert missing.status_code == 404
        bare = await client.get("/dashboard")
        assert bare.status_code == 308 and bare.headers["location"] == "/dashboard/"


async def test_the_mini_app_is_served_at_app_with_or_without_the_slash() -> None:
    built = (STATIC / "miniapp" / "index.html").read_text("utf-8")
    assert "telegram.org" not in built  # no script from elsewhere: the page reads its launch data
    async with _client() as client:
        for path in ("/app", "/app/", "/app/agenda"):
            page = await client.get(path)
            assert page.status_code == 200 and page.text == built, path
        for asset in _assets(built):
            assert (await client.get(asset)).status_code == 200, asset
