"""The kernel's email adapters against a real SMTP server and MailJet's API stand-in."""

from __future__ import annotations

import base64

import pytest

from switchboard.kernel import (
    EmailError,
    EmailMessage,
    MailjetEmailSender,
    SmtpEmailSender,
    email_sender,
)
from switchboard.settings import SettingsError, load_settings

from .standins import MailjetStandIn, SmtpSink, free_port

MESSAGE = EmailMessage(to="ann@example.com", subject="Feed paused: Блог", text="Привет\nline 2")


async def test_smtp_delivers_headers_and_utf8_text() -> None:
    with SmtpSink() as sink:
        sender = SmtpEmailSender("127.0.0.1", sink.port, "bots@example.org", starttls=False)
        await sender.send(MESSAGE)
    [received] = sink.received
    assert received.recipients == ["ann@example.com"]
    assert received.sender == "bots@example.org"
    assert received.message["From"] == "bots@example.org"
    assert received.message["To"] == "ann@example.com"
    assert received.message["Subject"] == "Feed paused: Блог"
    assert received.message["Message-ID"].endswith("@example.org>")
    assert received.message["Date"]
    assert received.text.strip() == "Привет\nline 2"


async def test_smtp_unreachable_or_misconfigured_is_a_retryable_error() -> None:
    closed = SmtpEmailSender("127.0.0.1", free_port(), "bots@example.org", starttls=False)
    with pytest.raises(EmailError) as error:
        await closed.send(MESSAGE)
    assert not error.value.permanent
    with SmtpSink() as sink:  # no STARTTLS on offer, no AUTH on offer
        for sender in (
            SmtpEmailSender("127.0.0.1", sink.port, "bots@example.org", starttls=True),
            SmtpEmailSender(
                "127.0.0.1",
                sink.port,
                "bots@example.org",
                starttls=False,
                username="u",
                password="p",
            ),
        ):
            with pytest.raises(EmailError) as error:
                await sender.send(MESSAGE)
            assert not error.value.permanent
    assert sink.received == []


async def test_mailjet_sends_the_v31_body_with_basic_auth() -> None:
    with MailjetStandIn() as mailjet:
        sender = MailjetEmailSender("mj-key", "mj-secret", "bots@example.org", base_url=mailjet.url)
        await sender.send(MESSAGE)
    [call] = mailjet.calls
    assert call.authorization == "Basic " + base64.b64encode(b"mj-key:mj-secret").decode()
    assert call.body == {
        "Messages": [
            {
                "From": {"Email": "bots@example.org"},
                "To": [{"Email": "ann@example.com"}],
                "Subject": "Feed paused: Блог",
                "TextPart": "Привет\nline 2",
            }
        ]
    }


async def test_mailjet_wrong_key_retries_and_bad_recipient_does_not() -> None:
    with MailjetStandIn() as mailjet:
        wrong = MailjetEmailSender("mj-key", "nope", "bots@example.org", base_url=mailjet.url)
        with pytest.raises(EmailError) as error:
            await wrong.send(MESSAGE)
        assert not error.value.permanent and "401" in str(error.value)
        assert "authentication" in str(error.value)
        right = MailjetEmailSender("mj-key", "mj-secret", "bots@example.org", base_url=mailjet.url)
        with pytest.raises(EmailError) as error:
            await right.send(EmailMessage(to="not-an-address", subject="s", text="t"))
        assert error.value.permanent and "invalid email address" in str(error.value)
    unreachable = MailjetEmailSender(
        "k", "s", "bots@example.org", base_url=f"http://127.0.0.1:{free_port()}"
    )
    with pytest.raises(EmailError) as error:
        await unreachable.send(MESSAGE)
    assert not error.value.permanent


def test_settings_choose_mailjet_then_smtp_then_none() -> None:
    assert email_sender(load_settings()) is None
    smtp = email_sender(load_settings(smtp_host="mail.example.org", email_from="b@example.org"))
    assert isinstance(smtp, SmtpEmailSender) and smtp.port == 587
    both = load_settings(
        smtp_host="mail.example.org", email_from="b@example.org",
        mailjet_api_key="k", mailjet_api_secret="s",
    )  # fmt: skip
    assert isinstance(email_sender(both), MailjetEmailSender)


@pytest.mark.parametrize(
    ("overrides", "names"),
    [
        ({"smtp_host": "mail.example.org"}, "EMAIL_FROM"),
        ({"mailjet_api_key": "k", "email_from": "b@example.org"}, "MAILJET_API_SECRET"),
        ({"email_from": "not an address"}, "EMAIL_FROM"),
        ({"smtp_port": "70000"}, "SMTP_PORT"),
        ({"smtp_host": "smtp://mail.example.org"}, "SMTP_HOST"),
        ({"mailjet_base_url": "ftp://x"}, "MAILJET_BASE_URL"),
    ],
)
def test_a_bad_email_setting_stops_start_up_with_one_line(
    overrides: dict[str, str], names: str
) -> None:
    with pytest.raises(SettingsError) as error:
        load_settings(**overrides)
    line = str(error.value)
    assert "\n" not in line and line.startswith("invalid setting") and names in line


def test_secrets_are_never_echoed() -> None:
    with pytest.raises(SettingsError) as error:
        load_settings(mailjet_api_key="very-secret-key", email_from="b@example.org")
    assert "very-secret-key" not in str(error.value)
