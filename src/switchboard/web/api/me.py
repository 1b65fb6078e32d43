"""`/api/v1/me`: who is logged in, what they manage, and the CSRF token their page sends."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from switchboard.web.deps import CurrentUser

router = APIRouter(tags=["account"])


class Me(BaseModel):
    account_id: int
    name: str
    email: str | None
    telegram_user_id: int | None
    is_admin: bool
    bot_ids: list[int]
    csrf_token: str


@router.get("/me")
async def me(user: CurrentUser) -> Me:
    return Me(
        account_id=user.account_id,
        name=user.name,
        email=user.email,
        telegram_user_id=user.telegram_user_id,
        is_admin=user.is_admin,
        bot_ids=sorted(user.managed_bot_ids),
        csrf_token=user.csrf,
    )
