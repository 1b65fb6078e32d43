"""The links in emails, and the API that adds an address.

- `GET /email/confirm?token=…`: confirms the address (the link works once); a page says so.
- `GET /email/unsubscribe?token=…`: a page asking to confirm, with a button that POSTs.
- `POST /email/unsubscribe?token=…`: unsubscribes at once, no page to click (RFC 8058's
  one-click: mail providers POST `List-Unsubscribe=One-Click` to the `List-Unsubscribe` URL).
- `/api/v1/email` (logged in): `GET` the account's addresses, `POST {address}` adds one and
  sends its confirmation, `DELETE /{id}` removes one, `PUT /digest {on}` opts in or out of the
  weekly digest.

A bad link is a 400 with the reason, on the page and in `detail`.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from html import escape
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from switchboard.kernel.email import (
    Added,
    AddressError,
    EmailAddress,
    EmailLinkError,
    Owner,
    add_address,
    addresses_of,
    check_unsubscribe_token,
    confirm_address,
    remove_address,
    set_digest,
    unsubscribe,
)
from switchboard.kernel.i18n import Translator
from switchboard.web.api_errors import ApiError
from switchboard.web.deps import CurrentUser, DeploymentDep, SessionDep
from switchboard.web.invalid_input import invalid_body_field

__all__ = ["api_router", "router"]

router = APIRouter(tags=["email"], include_in_schema=False)
api_router = APIRouter(prefix="/email", tags=["email"])
TokenQuery = Annotated[str, Query(min_length=1, max_length=2000)]
AcceptLanguage = Annotated[str | None, Header()]


@cache
def _translator() -> Translator:
    return Translator()  # the kernel's catalogues have the pages' texts


def _locale(accept_language: str | None) -> str | None:
    translator = _translator()
    for part in (accept_language or "").split(","):
        found = translator.match(part.split(";")[0].strip() or None)
        if found is not None:
            return found
    return None


def _page(locale: str | None, body: str, status: int = 200) -> HTMLResponse:
    _ = _translator().bind(locale)
    html = (
        f'<!doctype html><html lang="{escape(_.locale)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(_('kernel.email.page.title'))}</title></head>"
        '<body style="font-family: sans-serif; max-width: 36em; margin: 3em auto;">'
        f"{body}</body></html>"
    )
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def _invalid(locale: str | None, error: EmailLinkError) -> HTMLResponse:
    _ = _translator().bind(locale)
    text = _("kernel.email.page.link_invalid", reason=str(error))
    return _page(locale, f"<p>{escape(text)}</p>", 400)


@router.get("/email/confirm")
async def confirm(
    token: TokenQuery,
    platform: DeploymentDep,
    session: SessionDep,
    accept_language: AcceptLanguage = None,
) -> HTMLResponse:
    locale = _locale(accept_language)
    try:
        row = await confirm_address(session, platform.settings, token)
    except EmailLinkError as error:
        await session.rollback()
        return _invalid(locale, error)
    address = row.address
    await session.commit()
    _ = _translator().bind(locale)
    return _page(locale, f"<p>{escape(_('kernel.email.page.confirmed', address=address))}</p>")


@router.get("/email/unsubscribe")
async def unsubscribe_page(
    token: TokenQuery,
    platform: DeploymentDep,
    session: SessionDep,
    accept_language: AcceptLanguage = None,
) -> HTMLResponse:
    locale = _locale(accept_language)
    try:
        row, kind = await check_unsubscribe_token(session, platform.settings, token)
    except EmailLinkError as error:
        return _invalid(locale, error)
    _ = _translator().bind(locale)
    kind_text = _(f"kernel.email.kind.{kind}")
    question = _("kernel.email.page.unsubscribe_ask", kind=kind_text, address=row.address)
    button = _("kernel.email.page.unsubscribe_button")
    return _page(
        locale,
        f"<p>{escape(question)}</p>"
        '<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">'
        f'<button type="submit">{escape(button)}</button></form>',
    )


@router.post("/email/unsubscribe")
async def unsubscribe_now(
    token: TokenQuery,
    platform: DeploymentDep,
    session: SessionDep,
    accept_language: AcceptLanguage = None,
) -> HTMLResponse:
    locale = _locale(accept_language)
    try:
        row, kind = await unsubscribe(session, platform.settings, token)
    except EmailLinkError as error:
        await session.rollback()
        return _invalid(locale, error)
    address = row.address
    await session.commit()
    _ = _translator().bind(locale)
    done = _("kernel.email.page.unsubscribed", kind=_(f"kernel.email.kind.{kind}"), address=address)
    return _page(locale, f"<p>{escape(done)}</p>")


class AddressIn(BaseModel):
    address: str


class DigestIn(BaseModel):
    on: bool


class AddressOut(BaseModel):
    id: int
    address: str
    confirmed: bool
    alerts: bool
    digest: bool
    created_at: datetime


class AddedOut(AddressOut):
    status: Added


def _out(row: EmailAddress) -> AddressOut:
    return AddressOut(
        id=row.id,
        address=row.address,
        confirmed=row.confirmed_at is not None,
        alerts=row.alerts_unsubscribed_at is None,
        digest=row.digest_since is not None,
        created_at=row.created_at,
    )


@api_router.get("")
async def list_addresses(user: CurrentUser, session: SessionDep) -> list[AddressOut]:
    return [_out(row) for row in await addresses_of(session, Owner(account_id=user.account_id))]


@api_router.post("", status_code=201)
async def add(
    body: AddressIn,
    user: CurrentUser,
    session: SessionDep,
    response: Response,
    accept_language: AcceptLanguage = None,
) -> AddedOut:
    """Add an address for the logged-in account and send it a confirmation link (again, at
    most every 10 minutes, for one still pending; 200 for one already known)."""
    try:
        row, added = await add_address(
            session,
            Owner(account_id=user.account_id),
            body.address,
            language=_locale(accept_language),
        )
    except AddressError as error:
        await session.rollback()
        raise invalid_body_field("address", str(error), body.address) from None
    out = AddedOut(**_out(row).model_dump(), status=added)
    await session.commit()
    if added is not Added.ADDED:
        response.status_code = 200
    return out


@api_router.delete("/{address_id}", status_code=204)
async def remove(address_id: int, user: CurrentUser, session: SessionDep) -> Response:
    owner = Owner(account_id=user.account_id)
    rows = {row.id: row for row in await addresses_of(session, owner)}
    if address_id not in rows:
        raise ApiError(404, "no_such_address")
    await remove_address(session, owner, rows[address_id].address)
    await session.commit()
    return Response(status_code=204)


@api_router.put("/digest")
async def digest(body: DigestIn, user: CurrentUser, session: SessionDep) -> list[AddressOut]:
    """The weekly digest on or off for the account's confirmed addresses."""
    owner = Owner(account_id=user.account_id)
    await set_digest(session, owner, body.on)
    rows = [_out(row) for row in await addresses_of(session, owner)]
    await session.commit()
    return rows
