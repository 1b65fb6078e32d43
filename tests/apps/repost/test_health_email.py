"""The alert email's delivery as a job: MailJet (stand-in) when configured, retried with backoff
while the SMTP server or MailJet fails, counted, and the worker goes on with other work."""

from __future__ import annotations

import base64
from datetime import timedelta

from aiogram import Bot

from mail.standins import MailjetStandIn, SmtpSink, free_port
from switchboard.apps.repost import health_metrics
from switchboard.apps.repost.source_health import EMAIL_NOTICE_JOB, TELEGRAM_NOTICE_JOB
from switchboard.kernel import MailjetEmailSender, SmtpEmailSender, Translator
from switchboard.sandbox.testing import SandboxServer

from .conftest import FakeClock, Json, NoticeWorker, add_source
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
