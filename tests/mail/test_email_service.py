"""Email as a kernel service, end to end through the jobs and the web routes, against a real
SMTP server (aiosmtpd) and MailJet's stand-in, on SQLite and PostgreSQL: an address confirmed by
its link, nothing else sent before; alerts deduplicated and sent once through a job; one-click
unsubscribe per kind; the weekly digest; user-typed names escaped in the HTML part."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from typing import Any

import httpx
from aiogram import Bot, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.responses import Response

from switchboard.apps.core.service import delete_user, export_user
from switchboard.apps.match.week_counts import week_counts as match_week_counts
from switchboard.apps.repost.models import RepostSource
from switchboard.apps.repost.source_health import on_poll_failed
from switchboard.db.base import utcnow
from switchboard.kernel import App, Translator
from switchboard.kernel.accounts import Account
from switchboard.kernel.email import (
    EmailAddress,
    EmailSend,
    Owner,
    add_address,
    raise_alert,
    register_email_jobs,
    set_digest,
)
from switchboard.kernel.email.digest import DIGEST_JOB
from switchboard.kernel.email.watch import DEAD_JOBS_THRESHOLD, check_dead_jobs, check_webhooks
from switchboard.kernel.jobs import Job, JobRegistry, JobState, Worker, enqueue
from switchboard.kernel.models import BotRecord, ChatRecord
from switchboard.sandbox.testing import SandboxServer
from switchboard.sandbox.world import WebhookConfig
from switchboard.settings import Settings, load_settings
from switchboard.web.app import create_web_app
from switchboard.web.sessions import COOKIE, CSRF_HEADER, start_session

from .standins import MailjetStandIn, Received, SmtpSink

Sessions = async_sessionmaker[AsyncSession]
BOT_ID = 4242
OWNER = 777  # a Telegram user who owns the bot
PUBLIC = "https://bots.example.org"


@dataclass
class Services:
    """What the email jobs use of the running platform."""

    settings: Settings
    session_factory: Sessions
    translator: Translator = field(default_factory=Translator)
    apps: Mapping[str, App] = field(default_factory=dict)

    def bot(self, bot_id: int) -> Bot:
        raise LookupError(bot_id)

    # The web app's view of the deployment.
    bots: Mapping[int, Bot] = field(default_factory=dict)
    records: Mapping[int, BotRecord] = field(default_factory=dict)


def smtp_settings(sink: SmtpSink) -> Settings:
    return load_settings(
        smtp_host="127.0.0.1",
        smtp_port=sink.port,
        smtp_starttls=False,
        email_from="bots@example.org",
        public_url=PUBLIC,
        web_secret_key="s" * 40,
    )


def mailjet_settings(mailjet: MailjetStandIn) -> Settings:
    return load_settings(
        mailjet_api_key=mailjet.api_key,
        mailjet_api_secret=mailjet.api_secret,
        mailjet_base_url=mailjet.url,
        email_from="bots@example.org",
        public_url=PUBLIC,
        web_secret_key="s" * 40,
    )


def worker_for(services: Services) -> Worker:
    registry = JobRegistry()
    register_email_jobs(registry, services)  # type: ignore[arg-type]
    return Worker(services.session_factory, registry, run_schedules=False, listen=False)


async def add_bot(sessions: Sessions, username: str = "news_bot") -> None:
    async with sessions() as session, session.begin():
        session.add(
            BotRecord(
                id=BOT_ID,
                token=f"{BOT_ID}:x",
                username=username,
                apps=["core", "repost"],
                owner_ids=[OWNER],
                webhook_secret="s",
            )
        )


async def confirmed(sessions: Sessions, address: str, *, digest: bool = False) -> int:
    """An owner's address, confirmed as its link would (the link itself: the first test)."""
    async with sessions() as session, session.begin():
        row, _added = await add_address(session, Owner(telegram_user_id=OWNER), address)
        row.confirmed_at = utcnow()
        if digest:
            await set_digest(session, Owner(telegram_user_id=OWNER), True)
        # The confirmation job would find it confirmed and do nothing; leave no job behind.
        for job in await session.scalars(select(Job)):
            await session.delete(job)
        return row.id


def link_in(received: Received, path: str) -> str:
    found = re.search(rf"{re.escape(PUBLIC)}{path}\?token=[\w.\-%]+", received.text)
    assert found is not None, received.text
    return found.group(0)


def html_of(received: Received) -> str:
    part = received.message.get_body(("html",))
    assert part is not None
    return str(part.get_content())


def web_client(services: Services) -> httpx.AsyncClient:
    app = create_web_app(services)  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PUBLIC)


async def login(client: httpx.AsyncClient, services: Services, account_id: int) -> str:
    """Log `account_id` in on `client`; the CSRF token its changes send."""
    response = Response()
    session = start_session(response, services.settings, account_id)
    cookie = response.headers["set-cookie"].split(";")[0].split("=", 1)[1]
    client.cookies.set(COOKIE, cookie)
    return session.csrf


async def fail_until_paused(
    sessions: Sessions, title: str, now: datetime, owner: int = OWNER
) -> int:
    async with sessions() as session, session.begin():
        source = RepostSource(
            bot_id=BOT_ID,
            owner_id=owner,
            kind="feed",
            address=f"https://blog.example.com/{len(title)}.xml",
            title=title,
        )
        session.add(source)
        await session.flush()
        source_id = source.id
    for _ in range(5):
        async with sessions() as session, session.begin():
            stored = await session.get(RepostSource, source_id)
            assert stored is not None
            await on_poll_failed(session, stored, "HTTP 500", now)
    return source_id


async def test_an_address_added_on_the_web_is_confirmed_by_its_link_once(
    session_factory: Sessions,
) -> None:
    async with session_factory() as session, session.begin():
        account = Account(display_name="Ann", email="ann@example.com")
        session.add(account)
        await session.flush()
        account_id = account.id
    with SmtpSink() as sink:
        services = Services(smtp_settings(sink), session_factory)
        async with web_client(services) as client:
            csrf = await login(client, services, account_id)
            refused = await client.post("/api/v1/email", json={"address": "not an address"},
                                        headers={CSRF_HEADER: csrf})  # fmt: skip
            assert refused.status_code == 422 and "not an email address" in refused.text
            no_csrf = await client.post("/api/v1/email", json={"address": "ann@example.com"})
            assert no_csrf.status_code == 403
            added = await client.post(
                "/api/v1/email",
                json={"address": "ann@Example.COM"},
                headers={CSRF_HEADER: csrf, "Accept-Language": "ru-RU,ru;q=0.9"},
            )
            assert added.status_code == 201, added.text
            assert added.json()["status"] == "added" and added.json()["confirmed"] is False
            assert added.json()["address"] == "ann@example.com"
            assert await worker_for(services).run_pending() == 1
            [mail] = sink.received
            assert mail.recipients == ["ann@example.com"]
            assert mail.message["Subject"] == "Подтвердите адрес почты"  # the web's language
            assert "List-Unsubscribe" not in mail.message  # nothing to unsubscribe from yet
            link = link_in(mail, "/email/confirm")
            assert link in html_of(mail)

            forged = await client.get("/email/confirm", params={"token": "x" + link[-20:]})
            assert forged.status_code == 400 and "not valid" in forged.text
            page = await client.get(link.removeprefix(PUBLIC))
            assert page.status_code == 200 and "ann@example.com" in page.text
            again = await client.get(link.removeprefix(PUBLIC))
            assert again.status_code == 400 and "already used" in again.text

            listed = await client.get("/api/v1/email")
            assert [(a["address"], a["confirmed"]) for a in listed.json()] == [
                ("ann@example.com", True)
            ]
            repeated = await client.post("/api/v1/email", json={"address": "ann@example.com"},
                                         headers={CSRF_HEADER: csrf})  # fmt: skip
            assert repeated.status_code == 200
            assert repeated.json()["status"] == "already_confirmed"
            digest = await client.put("/api/v1/email/digest", json={"on": True},
                                      headers={CSRF_HEADER: csrf})  # fmt: skip
            assert digest.status_code == 200 and digest.json()[0]["digest"] is True
            address_id = listed.json()[0]["id"]
            other = await client.delete(f"/api/v1/email/{address_id + 1}",
                                        headers={CSRF_HEADER: csrf})  # fmt: skip
            assert other.status_code == 404
            gone = await client.delete(f"/api/v1/email/{address_id}", headers={CSRF_HEADER: csrf})
            assert gone.status_code == 204
            assert (await client.get("/api/v1/email")).json() == []
        assert await worker_for(services).run_pending() == 0
    assert len(sink.received) == 1


async def test_an_unconfirmed_address_gets_no_alert(session_factory: Sessions) -> None:
    await add_bot(session_factory)
    with SmtpSink() as sink:
        services = Services(smtp_settings(sink), session_factory)
        async with session_factory() as session, session.begin():
            await add_address(session, Owner(telegram_user_id=OWNER), "ann@example.com")
            assert await raise_alert(session, BOT_ID, "dead_jobs", {"count": 12, "hours": 1})
        await worker_for(services).run_pending()
    [only] = sink.received  # the confirmation, not the alert
    assert only.message["Subject"] == "Confirm your email address"
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(EmailSend)) == 1


async def test_a_paused_source_alerts_the_owners_once_through_a_job(
    session_factory: Sessions,
) -> None:
    await add_bot(session_factory)
    await confirmed(session_factory, "ann@example.com")
    now = utcnow()
    with SmtpSink() as sink:
        services = Services(smtp_settings(sink), session_factory)
        await fail_until_paused(session_factory, "Блог <b>Ann</b> & Co", now)
        await fail_until_paused(session_factory, "Another feed", now)  # within the window
        # A user's source on the owner's bot: theirs to hear of (by /alerts), not the owner's.
        await fail_until_paused(session_factory, "Someone else's", now, owner=OWNER + 1)
        worker = worker_for(services)
        await worker.run_pending()
        await worker.run_pending()
    [mail] = sink.received
    assert mail.recipients == ["ann@example.com"]
    assert mail.message["Subject"] == "@news_bot: the source Блог <b>Ann</b> & Co is paused"
    assert "HTTP 500" in mail.text
    html = html_of(mail)
    assert "Блог &lt;b&gt;Ann&lt;/b&gt; &amp; Co" in html  # a typed name is text, not markup
    assert "<b>Ann" not in html
    async with session_factory() as session:
        jobs = (await session.scalars(select(Job).where(Job.kind.like("kernel.email.%")))).all()
    assert sorted(j.kind for j in jobs) == [
        "kernel.email.alert", "kernel.email.alert", "kernel.email.send",
    ]  # fmt: skip
    assert all(j.state == JobState.SUCCEEDED.value for j in jobs)


async def test_the_same_alert_through_mailjet_carries_html_and_one_click_headers(
    session_factory: Sessions,
) -> None:
    await add_bot(session_factory)
    await confirmed(session_factory, "ann@example.com")
    with MailjetStandIn() as mailjet:
        services = Services(mailjet_settings(mailjet), session_factory)
        await fail_until_paused(session_factory, "Weekly <i>news</i>", utcnow())
        await worker_for(services).run_pending()
    [call] = mailjet.calls
    [message] = call.body["Messages"]
    assert message["To"] == [{"Email": "ann@example.com"}]
    assert message["Subject"] == "@news_bot: the source Weekly <i>news</i> is paused"
    assert "Weekly &lt;i&gt;news&lt;/i&gt;" in message["HTMLPart"]
    unsubscribe = message["Headers"]["List-Unsubscribe"]
    assert unsubscribe.startswith(f"<{PUBLIC}/email/unsubscribe?token=")
    assert message["Headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


async def test_one_click_unsubscribe_stops_that_kind_only(session_factory: Sessions) -> None:
    await add_bot(session_factory)
    await confirmed(session_factory, "ann@example.com", digest=True)
    first = datetime(2026, 12, 1, 9, tzinfo=UTC)
    with SmtpSink() as sink:
        services = Services(smtp_settings(sink), session_factory)
        worker = worker_for(services)
        async with session_factory() as session, session.begin():
            assert await raise_alert(session, BOT_ID, "dead_jobs", {"count": 12, "hours": 1},
                                     now=first)  # fmt: skip
        await worker.run_pending()
        [alert] = sink.received
        assert alert.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        url = alert.message["List-Unsubscribe"].strip("<>")
        assert url == link_in(alert, "/email/unsubscribe")
        async with web_client(services) as client:
            page = await client.get(url.removeprefix(PUBLIC))  # asks, changes nothing
            assert page.status_code == 200 and 'method="post"' in page.text
            async with session_factory() as session:
                row = await session.scalar(select(EmailAddress))
                assert row is not None and row.alerts_unsubscribed_at is None
            # What a mail provider sends (RFC 8058): no cookie, no page, just this POST.
            done = await client.post(
                url.removeprefix(PUBLIC),
                content=b"List-Unsubscribe=One-Click",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            assert done.status_code == 200
            forged = await client.post("/email/unsubscribe", params={"token": "nope"})
            assert forged.status_code == 400
        async with session_factory() as session, session.begin():
            # A later alert, past the window: raised, but Ann unsubscribed from alerts.
            assert await raise_alert(session, BOT_ID, "dead_jobs", {"count": 30, "hours": 1},
                                     now=first + timedelta(hours=7))  # fmt: skip
            await enqueue(session, DIGEST_JOB, {})
        await worker.run_pending()
    assert [m.message["Subject"].split(",")[0] for m in sink.received[1:]] == [
        "Your bots' week"
    ]  # the digest still comes: another kind


async def test_the_weekly_digest_counts_each_bots_week(session_factory: Sessions) -> None:
    await add_bot(session_factory, username="shop_bot")
    await confirmed(session_factory, "ann@example.com", digest=True)
    now = utcnow()
    async with session_factory() as session, session.begin():
        for chat_id, age in (
            (1, timedelta(days=2)),
            (2, timedelta(days=3)),
            (3, timedelta(days=30)),
        ):
            session.add(ChatRecord(bot_id=BOT_ID, id=chat_id, type="private",
                                   first_seen=now - age))  # fmt: skip
        for _ in range(3):
            session.add(Job(kind="repost.x", payload={"bot_id": BOT_ID}, state="dead",
                            finished_at=now - timedelta(days=1)))  # fmt: skip
        session.add(Job(kind="repost.x", payload={"bot_id": 1}, state="dead", finished_at=now))
        await enqueue(session, DIGEST_JOB, {})

    async def app_counts(session: AsyncSession, bot_id: int, since: datetime) -> dict[str, int]:
        counted = await match_week_counts(session, bot_id, since)  # the real query runs
        return {key: value + 4 for key, value in counted.items()}

    app = App(name="match", title="match.title", make_router=Router, digest_counts=app_counts)
    translator = Translator([files("switchboard.apps.match").joinpath("locales")])
    with SmtpSink() as sink:
        services = Services(smtp_settings(sink), session_factory, translator, {"match": app})
        await worker_for(services).run_pending()
    [digest] = sink.received
    assert digest.message["Subject"].startswith("Your bots' week, ")
    assert "- new matches: 4" in [line.strip() for line in digest.text.splitlines()]
    assert "@shop_bot" in digest.text
    lines = [line.strip() for line in digest.text.splitlines()]
    assert "- new chats: 2" in lines and "- chats in all: 3" in lines
    assert "- jobs that failed for good: 3" in lines
    assert "<h3>@shop_bot</h3>" in html_of(digest)
    assert "/email/unsubscribe?token=" in digest.message["List-Unsubscribe"]


async def test_dead_jobs_piling_up_raise_one_alert(session_factory: Sessions) -> None:
    await add_bot(session_factory)
    await confirmed(session_factory, "ann@example.com")
    now = utcnow()
    async with session_factory() as session, session.begin():
        for _ in range(DEAD_JOBS_THRESHOLD - 1):
            session.add(Job(kind="notes.x", payload={"bot_id": BOT_ID}, state="dead",
                            finished_at=now - timedelta(minutes=5)))  # fmt: skip
    assert await check_dead_jobs(session_factory, now) == []  # below the threshold
    async with session_factory() as session, session.begin():
        session.add(Job(kind="notes.x", payload={"bot_id": BOT_ID}, state="dead",
                        finished_at=now - timedelta(minutes=1)))  # fmt: skip
    assert await check_dead_jobs(session_factory, now) == [BOT_ID]
    assert await check_dead_jobs(session_factory, now + timedelta(minutes=15)) == []
    with SmtpSink() as sink:
        await worker_for(Services(smtp_settings(sink), session_factory)).run_pending()
    [mail] = sink.received
    assert mail.message["Subject"] == "@news_bot: 10 jobs failed for good"


async def test_a_webhook_telegram_fails_to_reach_raises_one_alert(
    session_factory: Sessions,
) -> None:
    token = f"{BOT_ID}:webhook-token-abcdefghijklmnop"
    await add_bot(session_factory)
    await confirmed(session_factory, "ann@example.com")
    async with session_factory() as session, session.begin():
        record = await session.get(BotRecord, BOT_ID)
        assert record is not None
        record.webhook_url = f"{PUBLIC}/telegram/{BOT_ID}"
    now = utcnow()
    with SandboxServer(flood="off") as sandbox:
        sandbox.world.register_bot(token, username="news_bot")
        http = AiohttpSession(api=TelegramAPIServer.from_base(sandbox.url))
        bot = Bot(token, session=http)
        try:

            def webhook(**fields: Any) -> None:
                config = WebhookConfig(url=f"{PUBLIC}/telegram/{BOT_ID}", **fields)
                sandbox.call(lambda world: setattr(world.bot(BOT_ID), "webhook", config))

            webhook()  # registered, never failed
            assert await check_webhooks(session_factory, lambda _id: bot, now) == []
            old = int((now - timedelta(hours=3)).timestamp())
            webhook(last_error_date=old, last_error_message="Connection refused")
            assert await check_webhooks(session_factory, lambda _id: bot, now) == []  # history
            recent = int((now - timedelta(minutes=2)).timestamp())
            message = "SSL error: <certificate verify failed>"
            webhook(last_error_date=recent, last_error_message=message)
            assert await check_webhooks(session_factory, lambda _id: bot, now) == [BOT_ID]
            later = now + timedelta(minutes=15)  # the next check: within the alert's window
            assert await check_webhooks(session_factory, lambda _id: bot, later) == []
        finally:
            await http.close()
    with SmtpSink() as sink:
        await worker_for(Services(smtp_settings(sink), session_factory)).run_pending()
    [mail] = sink.received
    assert mail.message["Subject"] == "@news_bot: Telegram cannot deliver updates"
    assert message in mail.text
    assert "SSL error: &lt;certificate verify failed&gt;" in html_of(mail)


async def test_privacy_exports_the_addresses_and_forgets_them_with_the_user(
    session_factory: Sessions,
) -> None:
    await add_bot(session_factory)
    address_id = await confirmed(session_factory, "ann@example.com")
    async with session_factory() as session, session.begin():
        session.add(EmailSend(address_id=address_id, key="alert:1", kind="alerts"))
        document = json.loads(await export_user(session, BOT_ID, OWNER, []))
        assert [a["address"] for a in document["email_addresses"]] == ["ann@example.com"]
        assert document["email_addresses"][0]["confirmed_at"] is not None
        assert "unsubscribe_nonce" not in document["email_addresses"][0]
        await delete_user(session, BOT_ID, OWNER, [])  # the last bot that knows Ann
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(EmailAddress)) == 0
        assert await session.scalar(select(func.count()).select_from(EmailSend)) == 0


async def test_an_alert_about_a_users_own_calendar_goes_to_them_alone(
    session_factory: Sessions,
) -> None:
    await add_bot(session_factory)
    await confirmed(session_factory, "ann@example.com")
    async with session_factory() as session, session.begin():
        # Another user's calendar on Ann's bot: theirs, not Ann's, to hear of.
        team = {"name": "Team", "error": "HTTP 404"}
        assert await raise_alert(session, BOT_ID, "calendar_failing", team, about_user=OWNER + 1)
        work = {"name": "Work", "error": "HTTP 401"}
        assert await raise_alert(session, BOT_ID, "calendar_failing", work, about_user=OWNER)
        # The window is per user: Ann's second calendar within it is not raised again.
        home = {"name": "Home", "error": "x"}
        assert not await raise_alert(session, BOT_ID, "calendar_failing", home, about_user=OWNER)
    with SmtpSink() as sink:
        await worker_for(Services(smtp_settings(sink), session_factory)).run_pending()
    [mail] = sink.received
    assert mail.message["Subject"] == "@news_bot: the calendar Work does not sync"
    assert "HTTP 401" in mail.text
