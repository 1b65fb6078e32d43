"""`/email` end to end: an owner adds an address in Telegram (the platform polling the sandbox),
the confirmation arrives at a real SMTP server, its link opened on the web app confirms it, and
the digest's opt-in needs a confirmed address. A user who owns no bot is refused. SQLite and
PostgreSQL."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mail.standins import SmtpSink
from switchboard.db import create_engine, session_factory
from switchboard.kernel.email import EmailAddress
from switchboard.sandbox.testing import SandboxServer
from switchboard.settings import Settings, load_settings
from switchboard.web.app import create_web_app

from .conftest import BOT_ID, BOT_TOKEN, OWNER_ID, register_bot, running
from .notes_scene import until

pytestmark = pytest.mark.timeout(120)
PUBLIC = "https://bots.example.org"


@dataclass
class _Deployment:
    settings: Settings
    session_factory: async_sessionmaker[AsyncSession]
    apps: dict[str, object]


@contextlib.asynccontextmanager
async def _web(
    settings: Settings,
) -> AsyncIterator[tuple[httpx.AsyncClient, async_sessionmaker[AsyncSession]]]:
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    app = create_web_app(_Deployment(settings, sessions, {}))  # type: ignore[arg-type]
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=PUBLIC
        ) as client:
            yield client, sessions
    finally:
        await engine.dispose()


async def test_an_owner_adds_and_confirms_an_address_from_telegram(
    sandbox: SandboxServer, database_url: str
) -> None:
    sandbox.world.register_bot(BOT_TOKEN)
    await register_bot(database_url)
    with SmtpSink() as smtp:
        email = {
            "smtp_host": "127.0.0.1", "smtp_port": smtp.port, "smtp_starttls": False,
            "email_from": "bots@example.org", "public_url": PUBLIC, "web_secret_key": "w" * 40,
        }  # fmt: skip
        settings = load_settings(database_url=database_url, **email)
        async with (
            running(sandbox, database_url, **email),
            sandbox.client(timeout=20) as tg,
            _web(settings) as (web, sessions),
        ):
            olga = await tg.create_user("Olga", language_code="en", id=OWNER_ID)
            stranger = await tg.create_user("Max", language_code="en")
            await tg.send_text(stranger, "/email max@example.com", bot_id=BOT_ID)
            await tg.expect_message(chat_id=stranger["id"], contains="owner")

            await tg.send_text(olga, "/email", bot_id=BOT_ID)
            await tg.expect_message(chat_id=olga["id"], contains="No addresses yet")
            await tg.send_text(olga, "/email olga@@example", bot_id=BOT_ID)
            await tg.expect_message(chat_id=olga["id"], contains="is not an email address")
            await tg.send_text(olga, "/email digest on", bot_id=BOT_ID)
            await tg.expect_message(chat_id=olga["id"], contains="Confirm an address first")
            await tg.send_text(olga, "/email olga@example.com", bot_id=BOT_ID)
            await tg.expect_message(
                chat_id=olga["id"], contains="I sent a link to olga@example.com"
            )
            await until(lambda: smtp.received, "the confirmation email")
            [mail] = smtp.received
            assert mail.recipients == ["olga@example.com"]
            found = re.search(rf"{re.escape(PUBLIC)}(/email/confirm\?token=\S+)", mail.text)
            assert found is not None, mail.text
            await tg.send_text(olga, "/email", bot_id=BOT_ID)
            await tg.expect_message(chat_id=olga["id"], contains="waiting for confirmation")

            page = await web.get(found.group(1))
            assert page.status_code == 200 and "olga@example.com" in page.text
            await tg.send_text(olga, "/email", bot_id=BOT_ID)
            await tg.expect_message(chat_id=olga["id"], contains="olga@example.com: confirmed")
            await tg.send_text(olga, "/email digest on", bot_id=BOT_ID)
            await tg.expect_message(chat_id=olga["id"], contains="weekly digest goes to")
            async with sessions() as session:
                row = await session.scalar(select(EmailAddress))
            assert row is not None and row.telegram_user_id == OWNER_ID
            assert row.confirmed_at is not None and row.digest_since is not None
    assert len(smtp.received) == 1  # the confirmation only
