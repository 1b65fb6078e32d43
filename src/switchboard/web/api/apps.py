"""`/api/v1/apps`: the apps installed here, which a bot may run."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Request
from pydantic import BaseModel

from switchboard.kernel.apps import App
from switchboard.kernel.i18n import Translator
from switchboard.web.deps import CurrentUser, DeploymentDep

router = APIRouter(tags=["bots"])


class AppInfo(BaseModel):
    name: str
    title: str
    always_enabled: bool


def _translator(request: Request, apps: Mapping[str, App]) -> Translator:
    """The apps' catalogues, read once per web app."""
    translator: Translator | None = getattr(request.app.state, "app_titles", None)
    if translator is None:
        translator = Translator([app.catalog for app in apps.values() if app.catalog is not None])
        request.app.state.app_titles = translator
    return translator


@router.get("/apps")
async def list_apps(request: Request, user: CurrentUser, platform: DeploymentDep) -> list[AppInfo]:
    """Every installed app, its name in the caller's language (Accept-Language)."""
    translator = _translator(request, platform.apps)
    wanted = request.headers.get("accept-language", "").split(",")[0].split(";")[0].strip()
    locale = translator.match(wanted or None)
    return [
        AppInfo(name=name, title=translator.t(app.title, locale), always_enabled=app.always_enabled)
        for name, app in platform.apps.items()
    ]
