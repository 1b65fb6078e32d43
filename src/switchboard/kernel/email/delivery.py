"""The send job (`kernel.email.send`): one email to one address, only if it may have it.

Before anything is sent the job reads the address again: a confirmation goes only to an
address not yet confirmed; anything else only to a confirmed address that did not unsubscribe
from that kind (`receives`). Every alert and digest carries `List-Unsubscribe` (with
`List-Unsubscribe-Post: List-Unsubscribe=One-Click`, RFC 8058). The send happens outside any
transaction; then `email_sends` records it by its key, so a job run again (a crash after the
send) skips it, and so does a second job for the same alert or week.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.db.base import utcnow
from switchboard.db.session import dialect_insert
from switchboard.kernel.i18n import Translator
from switchboard.kernel.jobs import JobContext, PermanentFailure
from switchboard.kernel.models import UserRecord
from switchboard.settings import Settings

from .addresses import receives
from .links import (
    CONFIRM_DAYS,
    EmailKind,
    confirm_url,
    new_nonce,
    nonce_hash,
    unsubscribe_headers,
    unsubscribe_url,
)
from .message import EmailError, EmailMessage, EmailSender
from .models import EmailAddress, EmailSend
from .templates import EmailTemplates

log = structlog.get_logger("switchboard.email")


@dataclass(frozen=True)
class EmailDelivery:
    """What the email jobs need: settings (links), the templates, and the sender (None: this
    deployment sends no email, and the jobs do nothing)."""

    settings: Settings
    templates: EmailTemplates
    sender: EmailSender | None

    @property
    def translator(self) -> Translator:
        return self.templates.translator

    async def send_job(self, ctx: JobContext, payload: dict[str, Any]) -> None:
        await self.send(ctx.session_factory, payload)

    async def send(
        self, sessions: async_sessionmaker[AsyncSession], payload: Mapping[str, Any]
    ) -> bool:
        """Send the email `payload` describes; True if it went out now."""
        if self.sender is None:
            log.info("email not sent: this deployment has no email", template=payload["template"])
            return False
        kind = str(payload["kind"])
        address_id = int(payload["address_id"])
        params = dict(payload.get("params") or {})
        async with sessions() as session, session.begin():
            row = await session.get(EmailAddress, address_id, with_for_update=True)
            if row is None:
                return False  # removed meanwhile
            if kind == "confirm":
                if row.confirmed_at is not None:
                    return False
                nonce = new_nonce()
                row.confirm_hash = nonce_hash(nonce)
                key = f"confirm:{row.confirm_hash}"
                params |= {
                    "address": row.address,
                    "confirm_url": confirm_url(self.settings, row.id, nonce),
                    "days": CONFIRM_DAYS,
                }
                unsubscribe = None
            else:
                email_kind = EmailKind(kind)
                key = str(payload["key"])
                if not receives(row, email_kind):
                    log.info("email not sent: not wanted", address_id=row.id, kind=kind)
                    return False
                if await _was_sent(session, row.id, key):
                    return False
                nonce_of_row = row.unsubscribe_nonce
                unsubscribe = unsubscribe_url(self.settings, row.id, nonce_of_row, email_kind)
                params["email_kind"] = email_kind.value
            locale = await _language(session, row)
            to = row.address
        params.setdefault("email_kind", kind)
        rendered = self.templates.render(
            str(payload["template"]), locale, {**params, "unsubscribe_url": unsubscribe}
        )
        headers: tuple[tuple[str, str], ...] = ()
        if unsubscribe is not None:
            headers = unsubscribe_headers(self.settings, address_id, nonce_of_row, email_kind)
        message = EmailMessage(
            to=to, subject=rendered.subject, text=rendered.text, html=rendered.html, headers=headers
        )
        try:
            await self.sender.send(message)
        except EmailError as error:
            log.warning(
                "email not sent",
                address_id=address_id,
                sender=self.sender.name,
                error=str(error),
                permanent=error.permanent,
            )
            if error.permanent:
                raise PermanentFailure(str(error)) from None
            raise
        async with sessions() as session, session.begin():
            await session.execute(
                dialect_insert(session)(EmailSend)
                .values(
                    address_id=address_id,
                    key=key,
                    kind=kind,
                    bot_id=payload.get("bot_id"),
                    sent_at=utcnow(),
                )
                .on_conflict_do_nothing(index_elements=["address_id", "key"])
            )
        return True


async def _was_sent(session: AsyncSession, address_id: int, key: str) -> bool:
    found = await session.scalar(
        select(EmailSend.id).where(EmailSend.address_id == address_id, EmailSend.key == key)
    )
    return found is not None


async def _language(session: AsyncSession, row: EmailAddress) -> str | None:
    """The recipient's language: their Telegram user's (/language, else Telegram's), else the
    one the row was added with."""
    if row.telegram_user_id is not None:
        user = await session.get(UserRecord, row.telegram_user_id)
        if user is not None and (user.language or user.telegram_language):
            return user.language or user.telegram_language
    return row.language
