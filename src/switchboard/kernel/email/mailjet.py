"""The MailJet adapter: Send API v3.1 (`POST {base}/v3.1/send`, HTTP basic auth with the API
key and secret, one message per call). The base URL is a setting so tests can point it at a
local stand-in.

MailJet answers 200 with `Messages[0].Status == "success"`; 400 with per-message `Errors`
(a bad address: permanent); 401 for bad credentials and 429/5xx when busy (retry: the owner
may fix the key, the service comes back).
"""

from __future__ import annotations

from typing import Any

import httpx

from switchboard.kernel.open_writes import check_no_open_write

from .message import EmailError, EmailMessage

MAILJET_BASE_URL = "https://api.mailjet.com"


class MailjetEmailSender:
    name = "mailjet"

    def __init__(
        self,
        api_key: str,
        api_secret: str,
        sender: str,
        *,
        base_url: str = MAILJET_BASE_URL,
        timeout: float = 30.0,
    ) -> None:
        self.sender = sender
        self._auth = (api_key, api_secret)
        self._url = base_url.rstrip("/") + "/v3.1/send"
        self._timeout = timeout

    def body(self, message: EmailMessage) -> dict[str, Any]:
        part: dict[str, Any] = {
            "From": {"Email": self.sender},
            "To": [{"Email": message.to}],
            "Subject": message.subject,
            "TextPart": message.text,
        }
        if message.html is not None:
            part["HTMLPart"] = message.html
        if message.headers:
            part["Headers"] = dict(message.headers)
        return {"Messages": [part]}

    async def send(self, message: EmailMessage) -> None:
        check_no_open_write("email via MailJet")
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                response = await client.post(self._url, json=self.body(message), auth=self._auth)
        except httpx.HTTPError as error:
            raise EmailError(f"MailJet unreachable: {type(error).__name__}: {error}") from None
        if response.status_code == 200 and _statuses(response) == ["success"]:
            return
        detail = f"MailJet answered {response.status_code}: {_errors(response)}"
        raise EmailError(detail, permanent=response.status_code == 400)


def _statuses(response: httpx.Response) -> list[str]:
    try:
        return [str(m.get("Status")) for m in response.json().get("Messages", [])]
    except (ValueError, AttributeError):
        return []


def _errors(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:200]
    if not isinstance(data, dict):
        return str(data)[:200]
    messages = [
        str(error.get("ErrorMessage"))
        for message in data.get("Messages", [])
        for error in message.get("Errors", [])
    ]
    return "; ".join(messages) or str(data.get("ErrorMessage") or data)[:200]
