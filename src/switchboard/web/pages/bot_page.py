"""`/bots/{username}`: a bot's public page. What it does (its enabled apps' titles, first
steps and commands, from the apps' catalogues) and a link that opens it in Telegram. Only bots
running here have one; any other name is the 404 page."""

from __future__ import annotations

from dataclasses import dataclass

from aiogram import Bot
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from switchboard.kernel.deployment import RunningDeployment
from switchboard.kernel.models import BotRecord
from switchboard.web.pages.rendering import page

router = APIRouter()


@dataclass(frozen=True)
class ShownApp:
    title: str
    first_step: str | None
    commands: list[tuple[str, str]]  # name, description key


async def _username(bot: Bot, record: BotRecord) -> str | None:
    if record.username:
        return record.username
    try:  # a bot added before usernames were stored: Telegram knows (aiogram keeps the answer)
        me = await bot.me()
    except Exception:
        return None
    return me.username


async def _found(platform: RunningDeployment, username: str) -> tuple[BotRecord, Bot] | None:
    wanted = username.lower().lstrip("@")
    for bot_id, record in platform.records.items():
        bot = platform.bots.get(bot_id)
        if bot is None:
            continue
        name = await _username(bot, record)
        if name is not None and name.lower() == wanted:
            return record, bot
    return None


@router.get("/bots/{username}", response_class=HTMLResponse)
async def bot_page(username: str, request: Request) -> HTMLResponse:
    platform: RunningDeployment = request.app.state.platform
    found = await _found(platform, username)
    if found is None:
        return page(request, "not_found.html", status_code=404, what=username)
    record, bot = found
    name = await _username(bot, record) or username
    try:
        title = (await bot.me()).first_name
    except Exception:
        title = name
    shown = [
        ShownApp(
            title=app.title,
            first_step=app.first_step,
            commands=[(c.name, c.description) for c in app.commands if not c.owner_only],
        )
        for app_name in record.apps
        if (app := platform.apps.get(app_name)) is not None
    ]
    return page(
        request, "bot.html", bot_title=title, username=name, apps=shown,
        telegram_link=f"https://t.me/{name}",
    )  # fmt: skip
