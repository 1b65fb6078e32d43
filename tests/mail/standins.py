"""Local stand-ins for where email goes: a real SMTP server (aiosmtpd) that keeps what it
receives, and MailJet's Send API v3.1 speaking its wire format and its errors.

Both run on 127.0.0.1 at a free port, in a background thread.
"""

from __future__ import annotations

import base64
import email
import email.policy
import json
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import uvicorn
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def text(self) -> str:
        body = self.message.get_body(("plain",))
        assert body is not None
        # SMTP carries lines ended by CRLF; compare them as Python writes them.
        return str(body.get_content()).replace("\r\n", "\n")  # type: ignore[attr-defined]


class SmtpSink:
    """An SMTP server on 127.0.0.1 keeping every message it accepts (`received`)."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.received: list[Received] = []
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        parsed = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append(
            Received(str(envelope.mail_from), [str(r) for r in envelope.rcpt_tos], parsed)
        )
        return "250 Message accepted for delivery"

    def __enter__(self) -> SmtpSink:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()


@dataclass
class MailjetCall:
    authorization: str
    body: Any


@dataclass
class MailjetStandIn:
    """`POST /v3.1/send` with HTTP basic auth, answering as MailJet does: 200 with a
    `success` per message, 401 for a wrong key, 400 with per-message `Errors` for a message
    without a valid recipient or required field."""

    api_key: str = "mj-key"
    api_secret: str = "mj-secret"
    calls: list[MailjetCall] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.port = free_port()
        config = uvicorn.Config(
            Starlette(routes=[Route("/v3.1/send", self._send, methods=["POST"])]),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> MailjetStandIn:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the MailJet stand-in did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    async def _send(self, request: Request) -> JSONResponse:
        authorization = request.headers.get("authorization", "")
        raw = await request.body()
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        self.calls.append(MailjetCall(authorization, body))
        expected = base64.b64encode(f"{self.api_key}:{self.api_secret}".encode()).decode()
        if authorization != f"Basic {expected}":
            return JSONResponse(
                {
                    "ErrorIdentifier": str(uuid.uuid4()),
                    "StatusCode": 401,
                    "ErrorMessage": "API key authentication/authorization failure. You may be "
                    "unauthorized to access the API or your API key may be expired. Visit API "
                    "keys management section to check your keys.",
                },
                status_code=401,
            )
        if not isinstance(body, dict) or not isinstance(body.get("Messages"), list):
            return JSONResponse(
                {
                    "ErrorIdentifier": str(uuid.uuid4()),
                    "ErrorCode": "mj-0002",
                    "StatusCode": 400,
                    "ErrorMessage": "Malformed JSON, please review the syntax and properties "
                    "types.",
                },
                status_code=400,
            )
        results = [self._message(m) for m in body["Messages"]]
        failed = any(r["Status"] == "error" for r in results)
        return JSONResponse({"Messages": results}, status_code=400 if failed else 200)

    @staticmethod
    def _message(message: dict[str, Any]) -> dict[str, Any]:
        errors = []
        for name in ("From", "To", "Subject", "TextPart"):
            if not message.get(name):
                errors.append(_error("mj-0003", f'Missing mandatory property "{name}".', name))
        for index, to in enumerate(message.get("To") or []):
            if "@" not in str(to.get("Email", "")):
                errors.append(
                    _error(
                        "mj-0013",
                        f'"{to.get("Email")}" is an invalid email address.',
                        f"To[{index}].Email",
                    )
                )
        if errors:
            return {"Status": "error", "Errors": errors}
        return {
            "Status": "success",
            "CustomID": "",
            "To": [
                {
                    "Email": to["Email"],
                    "MessageUUID": str(uuid.uuid4()),
                    "MessageID": 1_000_000 + index,
                    "MessageHref": f"https://api.mailjet.com/v3/REST/message/{1_000_000 + index}",
                }
                for index, to in enumerate(message["To"])
            ],
            "Cc": [],
            "Bcc": [],
        }


def _error(code: str, text: str, related: str) -> dict[str, Any]:
    return {
        "ErrorIdentifier": str(uuid.uuid4()),
        "ErrorCode": code,
        "StatusCode": 400,
        "ErrorMessage": text,
        "ErrorRelatedTo": [related],
    }
