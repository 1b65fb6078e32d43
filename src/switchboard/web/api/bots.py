"""`/api/v1/bots`: the bots the caller manages, adding one by its token, its apps, removing it.

A bot added here is registered exactly as `switchboard bots add` does it (`kernel.bots`: the
token encrypted under TOKEN_KEY, a webhook secret of its own), after Telegram answered getMe
for the token; the account that added it manages it (`BotOwnership`), and its Telegram id, if
any, is among the bot's owners (its /stats and /broadcast). Every process notices the change
within BOTS_RELOAD_SECONDS; this one reloads at once (`RunningDeployment.bots_changed`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import datetime

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import AiogramError, TelegramUnauthorizedError
from aiogram.types import User
from fastapi import APIRouter, Response
from pydantic import BaseModel, Field
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel.accounts import BotOwnership
from switchboard.kernel.apps import App
from switchboard.kernel.bots import BotRegistryError, add_bot, bot_id_of
from switchboard.kernel.models import BotRecord
from switchboard.kernel.token_vault import token_cipher, token_hash
from switchboard.settings import Settings
from switchboard.web.api_errors import ApiError
from switchboard.web.auth import may_add_bots
from switchboard.web.deps import CurrentUser, DeploymentDep, ManagedBot, SessionDep
from switchboard.web.invalid_input import invalid_body_field

router = APIRouter(tags=["bots"])

GET_ME_TIMEOUT_S = 10
WEBHOOK_INFO_TIMEOUT_S = 5


class WebhookState(BaseModel):
    url: str | None
    pending_update_count: int | None
    last_error_message: str | None
    last_error_date: datetime | None


class BotOut(BaseModel):
    id: int
    username: str | None
    apps: list[str]
    enabled: bool
    webhook: WebhookState


class NewBot(BaseModel):
    token: str = Field(max_length=200, description="the token from @BotFather")
    apps: list[str] = Field(default_factory=lambda: ["all"], max_length=100)


class BotChange(BaseModel):
    apps: list[str] | None = Field(default=None, max_length=100)
    enabled: bool | None = None


def chosen_apps(names: Sequence[str], installed: Mapping[str, App]) -> list[str]:
    """`names` checked against the installed apps (`all`: every one), the apps every bot
    runs added first; an unknown name is a 422 naming it (in `detail[0].msg`)."""
    wanted = list(installed) if "all" in names else list(dict.fromkeys(names))
    unknown = [name for name in wanted if name not in installed]
    if unknown:  # a 422 shaped as FastAPI's own (the schema every 422 is published with)
        message = f"unknown app(s) {', '.join(unknown)}; installed: {', '.join(installed)}"
        raise invalid_body_field("apps", message, names)
    for name, app in installed.items():
        if app.always_enabled and name not in wanted:
            wanted.insert(0, name)
    return wanted


async def _telegram_user(settings: Settings, token: str) -> User:
    """getMe for `token` at the configured Bot API; a 400 if Telegram refuses the token."""
    api = TelegramAPIServer.from_base(settings.telegram_api_url)
    bot = Bot(token, session=AiohttpSession(api=api))
    try:
        return await bot.get_me(request_timeout=GET_ME_TIMEOUT_S)
    except TelegramUnauthorizedError:
        raise ApiError(400, "bot_token_refused") from None
    except (AiogramError, TimeoutError) as error:
        raise ApiError(502, "bot_api_unreachable", error=type(error).__name__) from None
    finally:
        await bot.session.close()


def _stored_webhook(record: BotRecord) -> WebhookState:
    return WebhookState(
        url=record.webhook_url or None,
        pending_update_count=None,
        last_error_message=None,
        last_error_date=None,
    )


async def _webhook(record: BotRecord, bot: Bot | None) -> WebhookState:
    """The bot's webhook as Telegram reports it, when the bot runs here; else the row's."""
    if bot is None:
        return _stored_webhook(record)
    try:
        info = await bot.get_webhook_info(request_timeout=WEBHOOK_INFO_TIMEOUT_S)
    except (AiogramError, TimeoutError):
        return _stored_webhook(record)
    return WebhookState(
        url=info.url or None,
        pending_update_count=info.pending_update_count,
        last_error_message=info.last_error_message,
        last_error_date=info.last_error_date,
    )


async def _described(records: Sequence[BotRecord], bots: Mapping[int, Bot]) -> list[BotOut]:
    hooks = await asyncio.gather(*(_webhook(r, bots.get(r.id)) for r in records))
    return [
        BotOut(id=r.id, username=r.username, apps=list(r.apps), enabled=r.enabled, webhook=hook)
        for r, hook in zip(records, hooks, strict=True)
    ]


async def _record(session: AsyncSession, bot_id: int) -> BotRecord:
    record = await session.get(BotRecord, bot_id)
    if record is None:  # managed (an owner id, an admin) but gone
        raise ApiError(404, "no_such_bot")
    return record


@router.get("/bots")
async def list_bots(
    user: CurrentUser, session: SessionDep, platform: DeploymentDep
) -> list[BotOut]:
    """The bots the caller manages (an admin: every bot)."""
    query = select(BotRecord).order_by(BotRecord.id)
    if not user.is_admin:
        query = query.where(BotRecord.id.in_(sorted(user.managed_bot_ids)))
    records = list(await session.scalars(query))
    return await _described(records, platform.bots)


@router.post("/bots", status_code=201)
async def create_bot(
    body: NewBot, user: CurrentUser, session: SessionDep, platform: DeploymentDep
) -> BotOut:
    """Add a bot by its token (Telegram must accept it), running `apps`."""
    settings = platform.settings
    if not await may_add_bots(session, user, settings):
        raise ApiError(403, "invite_required")
    try:
        bot_id = bot_id_of(body.token)
    except BotRegistryError as error:
        raise ApiError(400, "bot_token_malformed", reason=str(error)) from None
    names = chosen_apps(body.apps, platform.apps)
    if not user.is_admin:
        added = await session.scalar(
            select(func.count())
            .select_from(BotOwnership)
            .where(BotOwnership.account_id == user.account_id)
        )
        if (added or 0) >= settings.web_max_bots_per_owner:
            raise ApiError(403, "bot_quota_reached", count=settings.web_max_bots_per_owner)
    taken = await session.scalar(
        select(BotRecord.id).where(
            (BotRecord.id == bot_id) | (BotRecord.token_hash == token_hash(body.token))
        )
    )
    if taken is not None:
        raise ApiError(409, "bot_registered", bot_id=bot_id)
    me = await _telegram_user(settings, body.token)
    owners = [user.telegram_user_id] if user.telegram_user_id is not None else []
    record = await add_bot(
        session, body.token.strip(), names, owners, token_cipher(settings.token_key)
    )
    record.username = me.username
    try:
        await session.flush()  # the bot's row before the ownership that names it
        session.add(BotOwnership(bot_id=record.id, account_id=user.account_id))
        await session.commit()
    except IntegrityError:  # added by someone else since the check above
        await session.rollback()
        raise ApiError(409, "bot_registered", bot_id=bot_id) from None
    await platform.bots_changed()
    return BotOut(
        id=record.id,
        username=record.username,
        apps=list(record.apps),
        enabled=record.enabled,
        webhook=_stored_webhook(record),
    )


@router.get("/bots/{bot_id}")
async def get_bot(bot_id: ManagedBot, session: SessionDep, platform: DeploymentDep) -> BotOut:
    record = await _record(session, bot_id)
    return (await _described([record], platform.bots))[0]


@router.patch("/bots/{bot_id}")
async def change_bot(
    bot_id: ManagedBot, body: BotChange, session: SessionDep, platform: DeploymentDep
) -> BotOut:
    """Set which apps the bot runs, or turn it off and on."""
    record = await _record(session, bot_id)
    if body.apps is not None:
        record.apps = chosen_apps(body.apps, platform.apps)
    if body.enabled is not None:
        record.enabled = body.enabled
    await session.commit()
    await platform.bots_changed()
    return (await _described([record], platform.bots))[0]


@router.delete("/bots/{bot_id}", status_code=204)
async def delete_bot(bot_id: ManagedBot, session: SessionDep, platform: DeploymentDep) -> Response:
    """Remove the bot from this deployment (its webhook stays with Telegram until it is
    set elsewhere; the bot's data in the apps' tables stays, as `bots remove` leaves it)."""
    await _record(session, bot_id)
    await session.execute(delete(BotOwnership).where(BotOwnership.bot_id == bot_id))
    await session.execute(delete(BotRecord).where(BotRecord.id == bot_id))
    await session.commit()
    await platform.bots_changed()
    return Response(status_code=204)
