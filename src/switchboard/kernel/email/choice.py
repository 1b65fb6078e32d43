"""Which adapter a deployment sends email with: MailJet when its key is set, else SMTP when a
host is set, else none (settings validate that each choice is complete)."""

from __future__ import annotations

from switchboard.settings import Settings

from .mailjet import MailjetEmailSender
from .message import EmailSender
from .smtp import SmtpEmailSender


def email_sender(settings: Settings) -> EmailSender | None:
    sender = settings.email_from or ""
    if settings.mailjet_api_key is not None:
        secret = settings.mailjet_api_secret
        return MailjetEmailSender(
            settings.mailjet_api_key.get_secret_value(),
            secret.get_secret_value() if secret is not None else "",
            sender,
            base_url=settings.mailjet_base_url,
        )
    if settings.smtp_host:
        password = settings.smtp_password
        return SmtpEmailSender(
            settings.smtp_host,
            settings.smtp_port,
            sender,
            username=settings.smtp_username or None,
            password=password.get_secret_value() if password is not None else None,
            starttls=settings.smtp_starttls,
        )
    return None
