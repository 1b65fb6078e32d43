"""The SMTP adapter: one connection per message through aiosmtplib (alerts are rare; a pool
would only hold idle connections the server closes anyway)."""

from __future__ import annotations

from email.message import EmailMessage as MimeMessage
from email.utils import formatdate, make_msgid

import aiosmtplib

from switchboard.kernel.open_writes import check_no_open_write

from .message import EmailError, EmailMessage


class SmtpEmailSender:
    name = "smtp"

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = True,
        timeout: float = 30.0,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self._username, self._password = username, password
        self._starttls, self._timeout = starttls, timeout

    def mime(self, message: EmailMessage) -> MimeMessage:
        mime = MimeMessage()
        mime["From"] = self.sender
        mime["To"] = message.to
        mime["Subject"] = message.subject
        mime["Date"] = formatdate(localtime=False, usegmt=True)
        mime["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        for name, value in message.headers:
            mime[name] = value
        mime.set_content(message.text)  # utf-8, quoted-printable or base64 as needed
        if message.html is not None:
            mime.add_alternative(message.html, subtype="html")
        return mime

    async def send(self, message: EmailMessage) -> None:
        check_no_open_write("email via SMTP")
        try:
            errors, _response = await aiosmtplib.send(
                self.mime(message),
                hostname=self.host,
                port=self.port,
                username=self._username,
                password=self._password,
                # Port 465 speaks TLS from the first byte; others upgrade with STARTTLS.
                use_tls=self.port == 465,
                start_tls=self._starttls if self.port != 465 else False,
                timeout=self._timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            raise EmailError(f"SMTP refused the recipient: {error}", permanent=True) from None
        except (aiosmtplib.SMTPException, OSError) as error:
            raise EmailError(f"SMTP {self.host}:{self.port}: {error}") from None
        if errors:
            raise EmailError(f"SMTP refused the recipient: {errors}", permanent=True)
