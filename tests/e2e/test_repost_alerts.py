"""Repost's source health end to end: /alerts in both languages, a failing source paused and
its owner told once in Telegram and by email (a real SMTP server), told again when it works,
and /privacy exporting and deleting the alert address with the rest. SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from urllib.parse import unquote

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mail.standins import MailjetStandIn, SmtpSink
from switchboard.apps.core.keyboards import PrivacyAction
from switchboard.apps.repost.models import (
    RepostAlertSettings,
    RepostDelivery,
    RepostItem,
    RepostRoute,
    RepostSource,
    RepostTarget,
    SourceKind,
)
from switchboard.apps.repost.source_health import on_poll_failed, on_poll_succeeded
from switchboard.db import create_engine, session_factory
from switchboard.kernel.email import confirm_address
from switchboard.kernel.jobs import Job
from switchboard.sandbox.testing import SandboxServer
from switchboard.settings import load_settings

from .conftest import BOT_ID, BOT_TOKEN, register_bot, running
from .notes_scene import until

pytestmark = pytest.mark.timeout(120)
Sessions = async_sessionmaker[AsyncSession]


async def test_alerts_settings_in_english_and_russian_without_email(
    sandbox: SandboxServer, database_url: str
) -> None:
    sandbox.world.register_bot(BOT_TOKEN)
    await register_bot(database_url)
    async with running(sandbox, database_url), sandbox.client(timeout=20) as tg:
        ann = await tg.create_user("Ann", language_code="en")
        await tg.send_text(ann, "/alerts", bot_id=BOT_ID)
        shown = await tg.expect_message(chat_id=ann["id"], contains="5 failed polls")
        assert "not set up to send email" in shown["text"]
        await tg.send_text(ann, "/alerts email ann@example.com", bot_id=BOT_ID)
        await tg.expect_message(chat_id=ann["id"], contains="SMTP or MailJet")
        for wrong in ("/alerts after 0", "/alerts after many"):
            await tg.send_text(ann, wrong, bot_id=BOT_ID)
            await tg.expect_message(chat_id=ann["id"], contains="not a number from 1 to 50")
        await tg.send_text(ann, "/alerts after 3", bot_id=BOT_ID)
        await tg.expect_message(chat_id=ann["id"], contains="after 3 failed polls")
        await tg.send_text(ann, "/alerts louder", bot_id=BOT_ID)
        await tg.expect_message(chat_id=ann["id"], contains="/alerts after N")

        ivan = await tg.create_user("Иван", language_code="ru")
        await tg.send_text(ivan, "/alerts after 2", bot_id=BOT_ID)
        await tg.expect_message(chat_id=ivan["id"], contains="после 2 неудачных опросов")
        await tg.send_text(ivan, "/alerts", bot_id=BOT_ID)
        await tg.expect_message(chat_id=ivan["id"], contains="не настроен отправлять письма")

        group = await tg.create_group(ann, "Team")
        await tg.add_member(group, ann, BOT_ID)
        await tg.send_text(ann, "/alerts email ann@example.com", chat_id=group["id"])
        await tg.expect_message(chat_id=group["id"], contains="private chat")
    async with _sessions(database_url) as sessions, sessions() as session:
        saved = {
            s.owner_id: (s.email, s.failures_before_pause)
            for s in await session.scalars(select(RepostAlertSettings))
        }
    assert saved == {ann["id"]: (None, 3), ivan["id"]: (None, 2)}


async def test_a_failing_source_is_paused_told_once_resumed_and_forgotten_by_privacy(
    sandbox: SandboxServer, database_url: str
) -> None:
    sandbox.world.register_bot(BOT_TOKEN)
    await register_bot(database_url)
    with SmtpSink() as smtp:
        email = {
            "smtp_host": "127.0.0.1", "smtp_port": smtp.port, "smtp_starttls": False,
            "email_from": "bots@example.org",
        }  # fmt: skip
        async with (
            running(sandbox, database_url, **email),
            sandbox.client(timeout=20) as tg,
            _sessions(database_url) as sessions,
        ):
            olga = await tg.create_user("Olga", language_code="en")
            await tg.send_text(olga, "/alerts email olga@@example", bot_id=BOT_ID)
            await tg.expect_message(chat_id=olga["id"], contains="does not look like an email")
            await tg.send_text(olga, "/alerts email olga@example.com", bot_id=BOT_ID)
            await tg.expect_message(chat_id=olga["id"], contains="also go to olga@example.com")
            # Nothing goes there before the link the kernel sent is opened.
            await until(lambda: smtp.received, "the confirmation email")
            await _confirm(sessions, smtp.received[0].text)
            await tg.send_text(olga, "/alerts after 3", bot_id=BOT_ID)
            await tg.expect_message(chat_id=olga["id"], contains="after 3 failed polls")
            await tg.send_text(olga, "/alerts", bot_id=BOT_ID)
            await tg.expect_message(chat_id=olga["id"], contains="Email: olga@example.com")

            source_id = await _source_with_history(sessions, olga["id"])
            for _ in range(3):
                await _poll(sessions, source_id, "HTTP 500 Internal Server Error")
            told = await tg.expect_message(chat_id=olga["id"], contains="I paused")
            assert "Dev blog" in told["text"] and "HTTP 500" in told["text"]
            assert f"/source {source_id}" in told["text"]
            await until(lambda: len(smtp.received) == 2, "the email about the pause")
            for _ in range(2):  # the probes fail too: nobody is told again
                await _poll(sessions, source_id, "HTTP 500 Internal Server Error")
            await _poll(sessions, source_id, None)
            await tg.expect_message(chat_id=olga["id"], contains="I resumed it")
            await until(lambda: len(smtp.received) == 3, "the email about the resume")
            texts = [m["text"] for m in await tg.messages(olga["id"], bot_id=BOT_ID)]
            assert sum("I paused" in t for t in texts) == 1
            assert sum("I resumed it" in t for t in texts) == 1
            assert [m.message["Subject"] for m in smtp.received] == [
                "Confirm your email address",
                "Feed paused: Dev blog",
                "Feed working again: Dev blog",
            ]
            assert all(m.recipients == ["olga@example.com"] for m in smtp.received)

            await tg.send_text(olga, "/privacy", bot_id=BOT_ID)
            menu = await tg.expect_message(chat_id=olga["id"], contains="delete")
            await tg.press(olga, menu, PrivacyAction(action="export").pack(), bot_id=BOT_ID)
            exported = await tg.expect(
                lambda e: e["type"] == "message" and "document" in e["message"],
                "the export file",
            )
            document = json.loads(await tg.download(exported["message"]["document"]["file_id"]))
            repost = document["repost"]
            assert repost["alert_email"] == "olga@example.com"
            assert repost["alerts"] == {"email": "olga@example.com", "failures_before_pause": 3}
            assert [s["address"] for s in repost["sources"]] == ["https://dev.example.com/feed"]
            assert repost["sources"][0]["paused"] is False
            assert [t["chat_id"] for t in repost["targets"]] == [olga["id"]]
            assert len(repost["routes"]) == 1
            # The items and the delivery log go with them: what was posted, where.
            [items] = repost["items"]
            assert [i["title"] for i in items["newest"]] == ["Hello"] and items["total"] == 1
            [log] = repost["delivery_log"]
            assert [(d["state"], d["message_id"]) for d in log["newest"]] == [("posted", 1)]

            await tg.press(olga, menu, PrivacyAction(action="delete").pack(), bot_id=BOT_ID)
            confirm = await tg.expect_edit(chat_id=olga["id"], message_id=menu["message_id"])
            await tg.press(olga, confirm, PrivacyAction(action="confirm").pack(), bot_id=BOT_ID)
            await tg.expect_edit(chat_id=olga["id"], message_id=menu["message_id"])
            async with sessions() as session:
                for table in (
                    RepostAlertSettings, RepostSource, RepostTarget, RepostRoute, RepostItem,
                    RepostDelivery,
                ):  # fmt: skip
                    count = await session.scalar(select(func.count()).select_from(table))
                    assert count == 0, table.__name__
                payloads = [json.dumps(j.payload) for j in await session.scalars(select(Job))]
            assert not any("olga@example.com" in p for p in payloads)


async def test_with_mailjet_configured_the_alert_goes_through_its_api(
    sandbox: SandboxServer, database_url: str
) -> None:
    sandbox.world.register_bot(BOT_TOKEN)
    await register_bot(database_url)
    with MailjetStandIn() as mailjet, SmtpSink() as smtp:
        email = {
            "mailjet_api_key": mailjet.api_key, "mailjet_api_secret": mailjet.api_secret,
            "mailjet_base_url": mailjet.url, "email_from": "bots@example.org",
            "smtp_host": "127.0.0.1", "smtp_port": smtp.port,  # MailJet wins when both are set
        }  # fmt: skip
        async with (
            running(sandbox, database_url, **email),
            sandbox.client(timeout=20) as tg,
            _sessions(database_url) as sessions,
        ):
            olga = await tg.create_user("Olga", language_code="en")
            await tg.send_text(olga, "/alerts email olga@example.com", bot_id=BOT_ID)
            await tg.expect_message(chat_id=olga["id"], contains="also go to olga@example.com")
            await until(lambda: mailjet.calls, "the confirmation email")
            await _confirm(sessions, mailjet.calls[0].body["Messages"][0]["TextPart"])
            source_id = await _source_with_history(sessions, olga["id"])
            for _ in range(5):
                await _poll(sessions, source_id, "HTTP 410 Gone")
            await tg.expect_message(chat_id=olga["id"], contains="I paused")
            await until(lambda: len(mailjet.calls) == 2, "the MailJet call")
        [_confirmation, call] = mailjet.calls
        [message] = call.body["Messages"]
        assert message["To"] == [{"Email": "olga@example.com"}]
        assert message["Subject"] == "Feed paused: Dev blog" and "HTTP 410" in message["TextPart"]
        assert smtp.received == []


class _sessions:
    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)

    async def __aenter__(self) -> Sessions:
        return session_factory(self.engine)

    async def __aexit__(self, *exc: object) -> None:
        await self.engine.dispose()


async def _source_with_history(sessions: Sessions, owner_id: int) -> int:
    """A feed into the owner's private chat with one item posted, as polling would leave it."""
    async with sessions() as session, session.begin():
        source = RepostSource(
            bot_id=BOT_ID, owner_id=owner_id, kind=SourceKind.FEED.value,
            address="https://dev.example.com/feed", title="Dev blog",
        )  # fmt: skip
        target = RepostTarget(bot_id=BOT_ID, owner_id=owner_id, chat_id=owner_id, kind="private")
        session.add_all([source, target])
        await session.flush()
        route = RepostRoute(source_id=source.id, target_id=target.id)
        item = RepostItem(source_id=source.id, guid="post-1", content_hash="h1", title="Hello")
        session.add_all([route, item])
        await session.flush()
        session.add(
            RepostDelivery(
                route_id=route.id, target_id=target.id, item_id=item.id, guid="post-1",
                content_hash="h1", state="posted", chat_id=owner_id, message_id=1,
            )
        )  # fmt: skip
        return source.id


async def _confirm(sessions: Sessions, text: str) -> None:
    """Open the confirmation link in `text` (an email's), as the web route would."""
    found = re.search(r"/email/confirm\?token=(\S+)", text)
    assert found is not None, text
    async with sessions() as session, session.begin():
        await confirm_address(session, load_settings(), unquote(found.group(1)))


async def _poll(sessions: Sessions, source_id: int, error: str | None) -> None:
    async with sessions() as session, session.begin():
        source = await session.get(RepostSource, source_id)
        assert source is not None
        now = datetime.now(UTC)
        if error is None:
            await on_poll_succeeded(session, source, now)
        else:
            await on_poll_failed(session, source, error, now)
