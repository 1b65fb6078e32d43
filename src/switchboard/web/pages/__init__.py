"""The landing pages (server-rendered, Jinja2): a public page per bot (`/bots/{username}`),
what the deployment keeps about people (`/privacy`) and whether it is up (`/status`), in
English or Russian as the browser asks (Accept-Language)."""

from __future__ import annotations

from fastapi import APIRouter

from switchboard.web.pages import bot_page, privacy_page, status_page

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
router.include_router(bot_page.router)
router.include_router(privacy_page.router)
router.include_router(status_page.router)
