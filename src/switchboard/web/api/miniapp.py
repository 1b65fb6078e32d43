"""`/api/v1/miniapp/me`: who opened the Mini App, with which bot, and which of the bot's apps
have Mini App pages; and the check every app's Mini App routes pass (the bot runs the app)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter
from pydantic import BaseModel

from switchboard.kernel.web_routes import MiniAppUser, MiniAppUserDep
from switchboard.web.api_errors import ApiError
from switchboard.web.deps import DeploymentDep

router = APIRouter(prefix="/miniapp", tags=["miniapp"])


class MiniAppApp(BaseModel):
    name: str
    title: str


class MiniAppMe(BaseModel):
    bot_id: int
    username: str | None
    user_id: int
    first_name: str
    language_code: str | None
    apps: list[MiniAppApp]


def _runs(platform: DeploymentDep, user: MiniAppUser) -> list[str]:
    record = platform.records.get(user.bot_id)
    return list(record.apps) if record is not None else []


@router.get("/me")
async def me(user: MiniAppUserDep, platform: DeploymentDep) -> MiniAppMe:
    record = platform.records.get(user.bot_id)
    apps = [
        MiniAppApp(name=name, title=platform.apps[name].title)
        for name in _runs(platform, user)
        if name in platform.apps
        and (web := platform.apps[name].web) is not None
        and web.miniapp is not None
    ]
    return MiniAppMe(
        bot_id=user.bot_id,
        username=record.username if record is not None else None,
        user_id=user.user_id,
        first_name=user.first_name,
        language_code=user.language_code,
        apps=apps,
    )


def app_enabled(name: str) -> Callable[[MiniAppUser, DeploymentDep], None]:
    """A dependency: the Mini App's bot runs app `name` (else 404, as for no such page)."""

    def check(user: MiniAppUserDep, platform: DeploymentDep) -> None:
        if name not in _runs(platform, user):
            raise ApiError(404, "app_not_enabled", app=name)

    return check
