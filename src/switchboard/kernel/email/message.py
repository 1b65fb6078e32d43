"""The email port: what a message is, what sending promises, and how it fails."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class EmailMessage:
    """A message to one address: plain text, and optionally an HTML alternative and extra
    headers (`List-Unsubscribe`, …); the sender's address is the adapter's."""

    to: str
    subject: str
    text: str
    html: str | None = None
    headers: tuple[tuple[str, str], ...] = ()


class EmailError(Exception):
    """The message was not accepted. `permanent`: the same message can never be (a recipient
    the server refuses); otherwise a retry may succeed (a server down, a rate limit)."""

    def __init__(self, detail: str, *, permanent: bool = False) -> None:
        super().__init__(detail)
        self.permanent = permanent


class EmailSender(Protocol):
    """Sends one message, or raises `EmailError`. `name` labels metrics and logs."""

    name: str

    async def send(self, message: EmailMessage) -> None: ...
