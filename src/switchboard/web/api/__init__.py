"""The web API, `/api/v1`: the dashboard's and the Mini App's, each app adding its own routes
through `App.web` (mounted here behind the right check)."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Depends, FastAPI

from switchboard.kernel.apps import App
from switchboard.kernel.web_routes import miniapp_user, web_owner, web_session
from switchboard.web import email_links
from switchboard.web.api import (
    auth,
    bots,
    broadcasts,
    events,
    identities,
    invites,
    jobs,
    me,
    miniapp,
    overview,
)
from switchboard.web.api.apps import router as apps_router
from switchboard.web.deps import db_session, managed_bot, web_owner_of
from switchboard.web.miniapp_auth import miniapp_user_of

__all__ = ["PREFIX", "mount_api"]

PREFIX = "/api/v1"


def mount_api(app: FastAPI, apps: Mapping[str, App]) -> None:
    """Every `/api/v1` route on `app`, the installed apps' included."""
    api = APIRouter(prefix=PREFIX)
    api.include_router(me.router)
    api.include_router(identities.router)
    api.include_router(auth.router)
    api.include_router(invites.router)
    api.include_router(apps_router)
    api.include_router(bots.router)
    api.include_router(jobs.router)
    api.include_router(broadcasts.router)
    api.include_router(events.router)
    api.include_router(miniapp.router)
    api.include_router(email_links.api_router)
    api.include_router(overview.router)
    for name, installed in apps.items():
        if installed.web is None:
            continue
        if installed.web.owner is not None:
            api.include_router(
                installed.web.owner(),
                prefix=f"/bots/{{bot_id}}/{name}",
                tags=[name],
                dependencies=[Depends(managed_bot)],
            )
        if installed.web.miniapp is not None:
            api.include_router(
                installed.web.miniapp(),
                prefix=f"/miniapp/{name}",
                tags=[f"miniapp:{name}"],
                dependencies=[Depends(miniapp.app_enabled(name))],
            )
    app.include_router(api)
    app.dependency_overrides[web_session] = db_session
    app.dependency_overrides[miniapp_user] = miniapp_user_of
    app.dependency_overrides[web_owner] = web_owner_of
