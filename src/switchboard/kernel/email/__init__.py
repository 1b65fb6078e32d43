"""Email out of the platform: one port (`EmailSender`), two adapters (SMTP through aiosmtplib,
MailJet's HTTP API v3.1), and the choice between them made by the deployment's settings.

    sender = email_sender(settings)  # None: this deployment sends no email
    if sender is not None:
        await sender.send(EmailMessage(to="ann@example.com", subject="…", text="…"))

`send` raises `EmailError` when the message was not accepted; callers send from a durable
job (never inside a write transaction: `check_no_open_write` refuses it) and let the job's
backoff retry. `EmailError.permanent` says retrying cannot help (a refused address, bad
credentials are not permanent: the owner may fix the setting meanwhile).
"""

from switchboard.email_address import is_email_address

from .choice import email_sender
from .mailjet import MAILJET_BASE_URL, MailjetEmailSender
from .message import EmailError, EmailMessage, EmailSender
from .smtp import SmtpEmailSender

__all__ = [
    "MAILJET_BASE_URL",
    "EmailError",
    "EmailMessage",
    "EmailSender",
    "MailjetEmailSender",
    "SmtpEmailSender",
    "email_sender",
    "is_email_address",
]
