"""How a landing page is made: its language from Accept-Language, its texts from the web
layer's catalogue and the installed apps' (their titles and first steps), its HTML from the
templates in `web/templates/`."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from switchboard.kernel.deployment import RunningDeployment
from switchboard.kernel.i18n import Translator

__all__ = ["WEB_CATALOG", "page", "page_language", "page_translator"]

WEB_CATALOG = files("switchboard.web").joinpath("locales")
TEMPLATES = Jinja2Templates(directory=Path(__file__).parents[1] / "templates")
PAGE_LANGUAGES = ("en", "ru")


def page_language(request: Request) -> str:
    """The first language of Accept-Language (by its q) the pages speak; else English."""
    wanted: list[tuple[float, int, str]] = []
    for position, part in enumerate(request.headers.get("Accept-Language", "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        language = tag.strip().lower().split("-")[0]
        if language:
            wanted.append((-quality, position, language))
    for quality, _position, language in sorted(wanted):
        if quality < 0 and language in PAGE_LANGUAGES:
            return language
    return "en"


def page_translator(request: Request) -> Translator:
    """The pages' texts and the installed apps' (made once per web app)."""
    made: Translator | None = getattr(request.app.state, "page_translator", None)
    if made is None:
        platform: RunningDeployment = request.app.state.platform
        catalogs = [app.catalog for app in platform.apps.values() if app.catalog is not None]
        made = Translator([WEB_CATALOG, *catalogs])
        request.app.state.page_translator = made
    return made


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """`template` rendered in the request's language, with `t(key, **params)` for texts."""
    language = page_language(request)
    translator = page_translator(request)

    def t(key: str, **params: object) -> str:
        return translator.t(key, language, **params)

    response = TEMPLATES.TemplateResponse(
        request, template, {"lang": language, "t": t, **context}, status_code=status_code
    )
    response.headers["Content-Language"] = language
    response.headers["Vary"] = "Accept-Language"
    return response
