"""The alert email's delivery as a job: MailJet (stand-in) when configured, retried with backoff
while the SMTP server or MailJet fails, counted, and the worker goes on with other work."""

from __future__ import annotations

import base64
from datetime import timedelta
from urllib.parse import unquote

from aiogram import Bot

from mail.standins import MailjetStandIn, SmtpSink, free_port
from switchboard.apps.repost import health_metrics
from switchboard.apps.repost.models import RepostAlertSettings
from switchboard.apps.repost.source_health import EMAIL_NOTICE_JOB, TELEGRAM_NOTICE_JOB
from switchboard.kernel import MailjetEmailSender, SmtpEmailSender, Translator
from switchboard.kernel.email import EmailAddress
from switchboard.kernel.email import unsubscribe as unsubscribe_address
from switchboard.sandbox.testing import SandboxServer
from switchboard.settings import load_settings

from .conftest import OWNER_ID, FakeClock, Json, NoticeWorker, add_source
from .test_source_health import Sessions, fail, jobs_of, notices, succeed

HOUR = timedelta(hours=1)


def failed_emails() -> float:
    return health_metrics.ALERTS.labels(channel="email", outcome="failed")._value.get()


async def test_mailjet_receives_pause_and_resume_and_a_wrong_key_is_retried(
    session_factory: Sessions, sandbox: SandboxServer, owner: Json, bot: Bot,
    translator: Translator, clock: FakeClock,
) -> None:  # fmt: skip
    with MailjetStandIn(api_secret="rotated-secret") as mailjet:
        email = MailjetEmailSender("mj-key", "mj-secret", "bots@example.org", base_url=mailjet.url)
        worker = NoticeWorker(session_factory, bot, translator, clock, email)
        source = await add_source(session_factory, email="olga@example.com")
        for _ in range(5):
            await fail(session_factory, source.id, clock(), error="connection refused")
        before = failed_emails()
        await worker.run()
        assert len(notices(sandbox)) == 1  # Telegram went; the email waits for a retry
        [job] = await jobs_of(session_factory, EMAIL_NOTICE_JOB)
        assert job.state == "queued" and job.attempts == 1 and "401" in (job.last_error or "")
        assert failed_emails() == before + 1

        mailjet.api_secret = "mj-secret"  # the key is right again
        clock.advance(HOUR)
        await worker.run()
        [job] = await jobs_of(session_factory, EMAIL_NOTICE_JOB)
        assert job.state == "succeeded"
        assert len(mailjet.calls) == 2  # refused once, then accepted
        paused = mailjet.calls[1].body["Messages"][0]
        auth = base64.b64encode(b"mj-key:mj-secret").decode()
        assert mailjet.calls[1].authorization == f"Basic {auth}"
        assert paused["To"] == [{"Email": "olga@example.com"}]
        assert paused["From"] == {"Email": "bots@example.org"}
        assert paused["Subject"] == "Feed paused: Example blog"
        assert "connection refused" in paused["TextPart"]
        assert f"/source {source.id}" in paused["TextPart"]

        await succeed(session_factory, source.id, clock())
        await worker.run()
        resumed = mailjet.calls[-1].body["Messages"][0]
        assert resumed["Subject"] == "Feed working again: Example blog"
        assert "works again" in resumed["TextPart"]


async def test_mailjet_refusing_the_address_gives_up_at_once(
    session_factory: Sessions, sandbox: SandboxServer, owner: Json, bot: Bot,
    translator: Translator, clock: FakeClock,
) -> None:  # fmt: skip
    with MailjetStandIn() as mailjet:
        email = MailjetEmailSender("mj-key", "mj-secret", "bots@example.org", base_url=mailjet.url)
        worker = NoticeWorker(session_factory, bot, translator, clock, email)
        source = await add_source(session_factory, email="olga-at-example.com")
        for _ in range(5):
            await fail(session_factory, source.id, clock())
        await worker.run()
    [job] = await jobs_of(session_factory, EMAIL_NOTICE_JOB)
    assert job.state == "dead" and "invalid email address" in (job.last_error or "")
    assert len(notices(sandbox)) == 1


async def test_an_unreachable_smtp_server_is_retried_until_it_answers(
    session_factory: Sessions, sandbox: SandboxServer, owner: Json, bot: Bot,
    translator: Translator, clock: FakeClock,
) -> None:  # fmt: skip
    port = free_port()
    email = SmtpEmailSender("127.0.0.1", port, "bots@example.org", starttls=False)
    worker = NoticeWorker(session_factory, bot, translator, clock, email)
    first = await add_source(session_factory, title="First", email="olga@example.com")
    for _ in range(5):
        await fail(session_factory, first.id, clock())
    before = failed_emails()
    for _ in range(2):  # down for two attempts
        await worker.run()
        clock.advance(HOUR)
    [job] = await jobs_of(session_factory, EMAIL_NOTICE_JOB)
    assert job.state == "queued" and job.attempts == 2
    assert failed_emails() == before + 2
    # The worker goes on with other work meanwhile: a second source's Telegram notice.
    second = await add_source(session_factory, title="Second")
    for _ in range(5):
        await fail(session_factory, second.id, clock())
    with SmtpSink(port) as smtp:
        clock.advance(HOUR)
        await worker.run()
    assert [j.state for j in await jobs_of(session_factory, TELEGRAM_NOTICE_JOB)] == [
        "succeeded",
        "succeeded",
    ]
    assert len(notices(sandbox)) == 2
    assert sorted(m.message["Subject"] for m in smtp.received) == [
        "Feed paused: First",
        "Feed paused: Second",
    ]


async def test_an_address_not_confirmed_or_unsubscribed_gets_no_notice(
    session_factory: Sessions, sandbox: SandboxServer, owner: Json, bot: Bot,
    translator: Translator, clock: FakeClock,
) -> None:  # fmt: skip
    with SmtpSink() as smtp:
        email = SmtpEmailSender("127.0.0.1", smtp.port, "bots@example.org", starttls=False)
        settings = load_settings(public_url="https://bots.example.org")
        worker = NoticeWorker(session_factory, bot, translator, clock, email, settings)
        # /alerts email as it was before addresses were confirmed: kept, never confirmed.
        pending = await add_source(session_factory, title="Pending", failures_before_pause=5)
        async with session_factory() as session, session.begin():
            alerts = await session.get(RepostAlertSettings, (pending.bot_id, OWNER_ID))
            assert alerts is not None
            alerts.email = "olga@example.com"
        for _ in range(5):
            await fail(session_factory, pending.id, clock())
        await worker.run()
        assert smtp.received == [] and len(notices(sandbox)) == 1
        # Confirmed: the next pause is emailed, with its one-click unsubscribe link.
        async with session_factory() as session, session.begin():
            session.add(
                EmailAddress(
                    address="olga@example.com",
                    telegram_user_id=OWNER_ID,
                    confirmed_at=clock(),
                    unsubscribe_nonce="n",
                )
            )
        confirmed = await add_source(session_factory, title="Confirmed")
        for _ in range(5):
            await fail(session_factory, confirmed.id, clock())
        await worker.run()
        [mail] = smtp.received
        assert mail.message["Subject"] == "Feed paused: Confirmed"
        unsubscribe = mail.message["List-Unsubscribe"]
        assert unsubscribe.startswith("<https://bots.example.org/email/unsubscribe?token=")
        assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        # Unsubscribed from alerts (the link's POST): nothing more.
        async with session_factory() as session, session.begin():
            token = unsubscribe.strip("<>").partition("token=")[2]
            await unsubscribe_address(session, settings, unquote(token))
        third = await add_source(session_factory, title="Third")
        for _ in range(5):
            await fail(session_factory, third.id, clock())
        await worker.run()
    assert len(smtp.received) == 1 and len(notices(sandbox)) == 3
