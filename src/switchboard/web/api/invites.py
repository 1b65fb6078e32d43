"""`/api/v1/invites`: admins make invitation codes; a logged-in person accepts one, and may then
add bots while WEB_INVITE_ONLY is on (`switchboard.web.auth.may_add_bots`)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from switchboard.db.base import utcnow
from switchboard.web.api_errors import ApiError
from switchboard.web.auth.invites import InviteRefused, accept_invite, create_invite
from switchboard.web.deps import AdminUser, CurrentUser, SessionDep

router = APIRouter(prefix="/invites", tags=["invites"])


class InviteCode(BaseModel):
    code: str


class Accepted(BaseModel):
    code: str
    accepted: bool


@router.post("", status_code=201)
async def new_invite(admin: AdminUser, session: SessionDep) -> InviteCode:
    return InviteCode(code=await create_invite(session, admin.account_id))


@router.post("/{code}/accept")
async def accept(code: str, user: CurrentUser, session: SessionDep) -> Accepted:
    try:
        await accept_invite(session, code, user.account_id, utcnow())
    except InviteRefused as refused:
        raise ApiError(refused.status, refused.code) from None
    return Accepted(code=code, accepted=True)
