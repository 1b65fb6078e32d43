"""Email out of the platform, as a kernel service.

The transport: one port (`EmailSender`), two adapters (SMTP through aiosmtplib, MailJet's HTTP
API v3.1), chosen by the deployment's settings (`email_sender(settings)`, None: no email).
`send` raises `EmailError` when the message was not accepted; `EmailError.permanent` says
retrying cannot help. Email is sent from durable jobs, never inside a write transaction.

The service on top:
- templates: every email is a Jinja2 text and HTML pair in the recipient's language
  (`templates`); apps ship their own folder (`App.email_templates`);
- addresses: added from Telegram (`/email`) or the web (`POST /api/v1/email`), confirmed by a
  signed single-use link; nothing else goes to an unconfirmed address (`addresses`, `links`);
- one-click unsubscribe (RFC 8058) per kind of email, alerts or digest (`links`, `delivery`);
- alerts to a bot's owners, one per kind per bot per window (`alerts.raise_alert`), from apps
  and from the kernel's watch (dead jobs, a failing webhook: `watch`);
- the weekly owner digest, opt-in (`digest`).
"""

from switchboard.email_address import is_email_address

from .addresses import (
    MAX_ADDRESSES,
    Added,
    AddressError,
    Owner,
    add_address,
    address_export,
    addresses_of,
    alerts_address,
    check_unsubscribe_token,
    confirm_address,
    forget_addresses,
    receives,
    remove_address,
    set_digest,
    unsubscribe,
)
from .alerts import ALERT_WINDOW, raise_alert
from .choice import email_sender
from .links import EmailKind, EmailLinkError, unsubscribe_headers
from .mailjet import MAILJET_BASE_URL, MailjetEmailSender
from .message import EmailError, EmailMessage, EmailSender
from .models import EmailAddress, EmailAlert, EmailSend
from .service import email_delivery, register_email_jobs, schedule_email
from .smtp import SmtpEmailSender
from .templates import EmailTemplates, RenderedEmail

__all__ = [
    "ALERT_WINDOW",
    "MAILJET_BASE_URL",
    "MAX_ADDRESSES",
    "Added",
    "AddressError",
    "EmailAddress",
    "EmailAlert",
    "EmailError",
    "EmailKind",
    "EmailLinkError",
    "EmailMessage",
    "EmailSend",
    "EmailSender",
    "EmailTemplates",
    "MailjetEmailSender",
    "Owner",
    "RenderedEmail",
    "SmtpEmailSender",
    "add_address",
    "address_export",
    "addresses_of",
    "alerts_address",
    "check_unsubscribe_token",
    "confirm_address",
    "email_delivery",
    "email_sender",
    "forget_addresses",
    "is_email_address",
    "raise_alert",
    "receives",
    "register_email_jobs",
    "remove_address",
    "schedule_email",
    "set_digest",
    "unsubscribe",
    "unsubscribe_headers",
]
