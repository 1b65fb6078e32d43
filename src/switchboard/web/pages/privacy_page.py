"""`/privacy`: what this deployment keeps about the people who use its bots, made from what
is installed: each app's own words (`web.privacy.app.<name>`, a general line for an app
without them), the tables of its models, what its hourly prune
deletes (`App.retention`) and whether /privacy exports and deletes its data."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from switchboard.db import Base
from switchboard.kernel.apps import App
from switchboard.kernel.deployment import RunningDeployment
from switchboard.web.pages.rendering import page, page_language, page_translator

router = APIRouter()


@dataclass(frozen=True)
class AppPrivacy:
    name: str
    title: str  # i18n key
    about: str  # i18n key
    tables: list[str]
    pruned: list[str]
    user_controls: bool  # /privacy exports and deletes it


def _package(app: App) -> str:
    """The app's package: the one named after it that its router comes from."""
    module = app.make_router.__module__
    parts = module.split(".")
    if app.name in parts:
        return ".".join(parts[: parts.index(app.name) + 1])
    return module.rsplit(".", 1)[0]


def _tables(app: App) -> list[str]:
    """The tables of the app's own models."""
    package = _package(app)
    return sorted(
        {
            table.name
            for mapper in Base.registry.mappers
            if mapper.class_.__module__.startswith(f"{package}.")
            for table in mapper.tables
        }
    )


def app_privacy(app: App, known: set[str]) -> AppPrivacy:
    about = f"web.privacy.app.{app.name}"
    return AppPrivacy(
        name=app.name,
        title=app.title,
        about=about if about in known else "web.privacy.app_generic",
        tables=_tables(app),
        pruned=sorted({kept.table.name for kept in app.retention}),
        user_controls=app.export_user_data is not None and app.delete_user_data is not None,
    )


@router.get("/privacy", response_class=HTMLResponse)
async def privacy(request: Request) -> HTMLResponse:
    platform: RunningDeployment = request.app.state.platform
    translator = page_translator(request)
    language = page_language(request)
    known = {
        f"web.privacy.app.{name}"
        for name in platform.apps
        if translator.t(f"web.privacy.app.{name}", language) != f"web.privacy.app.{name}"
    }
    apps = [app_privacy(app, known) for app in platform.apps.values()]
    return page(request, "privacy.html", apps=apps)
